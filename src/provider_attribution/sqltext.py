"""SQL text of a run for any dialect: SQLAlchemy's compiler where the dialect is installed,
sqlglot transpilation from PostgreSQL otherwise."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import sqlglot
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.url import URL

from provider_attribution import outputs
from provider_attribution.compile import CompiledRun, QueryBuilder

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


def _compile(select: sa.Select[Any], dialect: Dialect) -> str:
    return str(select.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def output_selects(run: CompiledRun, schema: str | None = None) -> dict[str, sa.Select[Any]]:
    """Output table → the select that fills it; the assigned tables read the written ranking
    table in ``schema``, as :func:`~provider_attribution.run.attribute` does."""
    ranking = outputs.table(outputs.RANKING, schema)
    bodies = {outputs.RANKING: run.provider_ranking}
    for name in (outputs.CURRENT, outputs.YEARLY):
        bodies[name] = QueryBuilder.assigned(ranking, name)
    bodies[outputs.EXCLUSIONS] = run.attribution_exclusions
    return bodies


def _transpile(text: str, dialect_name: str) -> str:
    return sqlglot.transpile(text, read="postgres", write=dialect_name, pretty=True)[0]


def select_texts(run: CompiledRun, dialect_name: str, schema: str | None = None) -> dict[str, str]:
    """Output table → its SELECT text in dialect ``dialect_name``, values as literals."""
    dialect = sqlalchemy_dialect(dialect_name)
    target = dialect if dialect is not None else sqlalchemy_dialect("postgresql")
    assert target is not None
    texts = {name: _compile(body, target) for name, body in output_selects(run, schema).items()}
    if dialect is not None:
        return texts
    return {name: _transpile(text, dialect_name) for name, text in texts.items()}


def statements(run: CompiledRun, dialect_name: str, schema: str | None = None) -> list[str]:
    """``CREATE TABLE ... AS`` statements writing every output, in dialect ``dialect_name``."""
    dialect = sqlalchemy_dialect(dialect_name)
    target = dialect if dialect is not None else sqlalchemy_dialect("postgresql")
    assert target is not None
    preparer = target.identifier_preparer
    texts = [
        f"CREATE TABLE {preparer.format_table(outputs.table(name, schema))} AS\n"
        f"{_compile(body, target)}"
        for name, body in output_selects(run, schema).items()
    ]
    if dialect is not None:
        return texts
    return [_transpile(text, dialect_name) for text in texts]
