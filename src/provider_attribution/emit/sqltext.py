"""SQL text of a run for any dialect: SQLAlchemy's compiler where the dialect is installed,
sqlglot transpilation from PostgreSQL otherwise."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
import sqlglot
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.url import URL

from provider_attribution.engines import expressions, output_tables
from provider_attribution.engines.ddl import WorkTableKind, create_table, select_table
from provider_attribution.engines.profiles import profile_for
from provider_attribution.model import outputs
from provider_attribution.model.inputs import Inputs
from provider_attribution.model.method import Method
from provider_attribution.model.method_file import resolve_method
from provider_attribution.model.windows import AsOf, ScopeKey, as_of_dates, scope_keys
from provider_attribution.sql.compile import CompiledRun, QueryBuilder
from provider_attribution.warehouse import stage_tables

# Dialects compiled by SQLAlchemy (when its dialect package is installed; else transpiled).
SQLALCHEMY_DIALECTS = ("duckdb", "postgres", "snowflake", "mysql", "sqlite")
# Dialects transpiled by sqlglot from the PostgreSQL text.
TRANSPILED_DIALECTS = (
    "bigquery",
    "databricks",
    "spark",
    "trino",
    "redshift",
    "tsql",
    "clickhouse",
    "oracle",
)
# Every dialect :func:`sql_statements` and the ``sql`` command accept.
SUPPORTED_DIALECTS = SQLALCHEMY_DIALECTS + TRANSPILED_DIALECTS

# names users type → SQLAlchemy dialect names
_ALIASES = {"postgres": "postgresql", "mariadb": "mysql", "sqlite3": "sqlite"}
# SQLAlchemy dialect name → sqlglot dialect name
_SQLGLOT_NAMES = {
    "postgresql": "postgres",
    "mysql": "mysql",
    "sqlite": "sqlite",
    "duckdb": "duckdb",
}


_STANDARD_STRINGS = {"postgresql", "duckdb"}


def check_dialect(name: str) -> str:
    """``name`` if it is a supported dialect (or an alias of one); ValueError otherwise."""
    if name in SUPPORTED_DIALECTS or name in _ALIASES or name in _SQLGLOT_NAMES:
        return name
    raise ValueError(
        f"unsupported SQL dialect {name!r}; supported: {', '.join(SUPPORTED_DIALECTS)}"
    )


def sqlalchemy_dialect(name: str) -> Dialect | None:
    """The installed SQLAlchemy dialect called ``name``, or None."""
    real = _ALIASES.get(name, name)
    try:
        dialect_class: Any = URL.create(real).get_dialect()
    except Exception:
        return None
    # A named paramstyle: pyformat dialects would print "%" in the SQL text as "%%".
    dialect: Dialect = dialect_class(paramstyle="named")
    if real in _STANDARD_STRINGS:
        # Without a connection the PostgreSQL dialect (and DuckDB's, built on it) assumes
        # standard_conforming_strings off and doubles backslashes in literals; both engines
        # treat a backslash in '...' as an ordinary character.
        dialect._backslash_escapes = False  # type: ignore[attr-defined]
    return dialect


def _compile(select: sa.Select[Any], dialect: Dialect, *, transpiling: bool = False) -> str:
    """``select`` with values as literals; ``transpiling``: compiled for PostgreSQL only to be
    transpiled, so PostgreSQL's own id spelling stays out (``expressions.TRANSPILING``)."""
    kwargs = {"literal_binds": True, expressions.TRANSPILING: transpiling}
    return str(select.compile(dialect=dialect, compile_kwargs=kwargs))


def output_selects(run: CompiledRun, schema: str | None = None) -> dict[str, sa.Select[Any]]:
    """Output table → the select that fills it; the assigned tables read the written ranking
    table in ``schema``, as :func:`~provider_attribution.warehouse.run.attribute` does."""
    ranking = output_tables.table(outputs.RANKING, schema)
    bodies = {outputs.RANKING: run.provider_ranking}
    for name in (outputs.CURRENT, outputs.YEARLY):
        bodies[name] = QueryBuilder.assigned(ranking, name)
    bodies[outputs.EXCLUSIONS] = run.attribution_exclusions
    bodies[outputs.BENEFICIARY_EXCLUSIONS] = run.beneficiary_exclusions
    return bodies


def _transpile(text: str, dialect_name: str) -> str:
    """``text`` (PostgreSQL) in ``dialect_name``; a construct the target cannot express raises
    sqlglot's UnsupportedError instead of being written as a best guess."""
    write = _SQLGLOT_NAMES.get(dialect_name, dialect_name)
    return sqlglot.transpile(
        text,
        read="postgres",
        write=write,
        pretty=True,
        unsupported_level=sqlglot.ErrorLevel.RAISE,
    )[0]


def _compiler(dialect_name: str) -> Dialect | None:
    """The SQLAlchemy dialect compiling for ``dialect_name``, or None to transpile: the
    :data:`TRANSPILED_DIALECTS` are always transpiled, even Oracle, which SQLAlchemy ships."""
    if dialect_name in TRANSPILED_DIALECTS:
        return None
    return sqlalchemy_dialect(dialect_name)


class _Printer:
    """Prints SQLAlchemy constructs in one dialect: compiled by its SQLAlchemy dialect, or
    compiled for PostgreSQL and transpiled with sqlglot (see :func:`_compiler`)."""

    def __init__(self, dialect_name: str) -> None:
        self.dialect_name = dialect_name
        self.compiler = _compiler(dialect_name)
        target = self.compiler or sqlalchemy_dialect("postgresql")
        assert target is not None
        self.target: Dialect = target

    def table(self, table: sa.TableClause) -> str:
        """``table``'s name, schema-qualified and quoted as the compiling dialect quotes it."""
        return self.target.identifier_preparer.format_table(table)

    def compiled(self, select: sa.Select[Any]) -> str:
        """``select`` compiled with values as literals, not yet transpiled."""
        return _compile(select, self.target, transpiling=self.compiler is None)

    def finished(self, text: str) -> str:
        """Compiled ``text`` in the printer's dialect: as it is, or transpiled."""
        return text if self.compiler is not None else _transpile(text, self.dialect_name)

    def create_table_as(
        self, table: sa.TableClause, select: sa.Select[Any], *, kind: WorkTableKind = "ordinary"
    ) -> str:
        """``CREATE [UNLOGGED | TEMPORARY] TABLE <table> AS <select>``."""
        opening = create_table(kind)
        return self.finished(f"{opening} {self.table(table)} AS\n{self.compiled(select)}")


def select_text(select: sa.Select[Any], dialect_name: str) -> str:
    """One select's text in dialect ``dialect_name``, values as literals."""
    printer = _Printer(dialect_name)
    return printer.finished(printer.compiled(select))


def select_texts(run: CompiledRun, dialect_name: str, schema: str | None = None) -> dict[str, str]:
    """Output table → its SELECT text in dialect ``dialect_name``, values as literals."""
    printer = _Printer(dialect_name)
    return {
        name: printer.finished(printer.compiled(body))
        for name, body in output_selects(run, schema).items()
    }


def statements(run: CompiledRun, dialect_name: str, schema: str | None = None) -> list[str]:
    """``CREATE TABLE ... AS`` statements writing every output, in dialect ``dialect_name``."""
    printer = _Printer(dialect_name)
    return [
        printer.create_table_as(output_tables.table(name, schema), body)
        for name, body in output_selects(run, schema).items()
    ]


def _labelled(select: sa.Select[Any]) -> sa.Select[Any]:
    """``select`` with every column labelled by its name: ``CREATE TABLE ... AS`` on
    ClickHouse names an unlabelled ``t.c`` column ``t.c``, not ``c``."""
    columns = [c if isinstance(c, sa.Label) else c.label(c.name) for c in select.selected_columns]
    return select.with_only_columns(*columns, maintain_column_froms=True)


def staged_statements(
    builder: QueryBuilder,
    keys: Sequence[ScopeKey],
    dialect_name: str,
    schema: str | None = None,
    *,
    stages: Collection[str] | None = None,
) -> list[str]:
    """The statements of a run as :func:`~provider_attribution.warehouse.run.attribute`
    executes it, in dialect ``dialect_name``: ``CREATE TABLE ... AS`` for each work table of
    the stages the engine writes (``stages``, default: its profile's for the builder's method,
    :func:`~provider_attribution.warehouse.stage_tables.stages_to_write`), then every
    output's (:func:`statements`), then ``DROP TABLE`` for each work table."""
    printer = _Printer(dialect_name)
    profile = profile_for(dialect_name)
    builder = builder.for_engine(profile)
    if stages is None:
        names: Collection[str] = stage_tables.stages_to_write(profile, builder)
    else:
        names = stages
    creates: list[str] = []

    work_schema, kind = profile.work_table_place(schema)

    def write_stage(name: str, select: sa.Select[Any]) -> sa.Table:
        table = select_table(name, work_schema, select)
        creates.append(printer.create_table_as(table, _labelled(select), kind=kind))
        return table

    work = stage_tables.plan(builder, keys, names, write_stage)
    outputs_ = statements(builder.with_materialised(work).compile(keys), dialect_name, schema)
    drops = [f"DROP TABLE {printer.table(table)}" for table in work.values()]
    return creates + outputs_ + drops


def session_settings(dialect_name: str) -> list[str]:
    """``SET`` statements to run in the same session before the statements of
    ``dialect_name``: its engine profile's session settings (PostgreSQL's planner settings,
    none for the other dialects)."""
    return profile_for(check_dialect(dialect_name)).session_settings(local=False)


def sql_statements(
    dialect: str,
    inputs: Inputs | None = None,
    *,
    method: Method | str = "tuva",
    as_of: AsOf = None,
    years: Iterable[int] | None = None,
    today: dt.date | None = None,
    target_schema: str | None = None,
) -> list[str]:
    """The statements of a run in ``dialect`` (one of :data:`SUPPORTED_DIALECTS`), without a
    connection: as :func:`staged_statements`, work tables, outputs, then the work tables
    dropped.

    ``as_of`` (one date or several) defaults to ``today`` (itself the current date by
    default), ``years`` to the latest as-of year; ``method`` is a
    :class:`~provider_attribution.Method`, a preset name or a method file path. ValueError on
    an unsupported dialect."""
    check_dialect(dialect)
    if isinstance(method, str):
        loaded = resolve_method(method)
        resolved_method, valuesets = loaded.method, loaded.valuesets
    else:
        resolved_method, valuesets = method, None
    resolved_as_of = as_of_dates(as_of) or (today or dt.date.today(),)
    resolved_years = tuple(years) if years is not None else (resolved_as_of[-1].year,)
    keys = scope_keys(resolved_as_of, resolved_years, resolved_method.year_anchor)
    builder = QueryBuilder(inputs or Inputs(), resolved_method, valuesets, today)
    return staged_statements(builder, keys, dialect, target_schema)
