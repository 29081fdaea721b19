"""Every difference between SQL engines that the package cares about, in one place.

The query builder (:mod:`provider_attribution.sql.compile`) is dialect-free: it asks this module for
the few expressions and statements engines spell differently, chosen by dialect name.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import DDLCompiler
from sqlalchemy.sql.ddl import DDLElement
from sqlalchemy.sql.expression import ClauseElement, Executable
from sqlalchemy.sql.functions import FunctionElement


@dataclass(frozen=True)
class Capabilities:
    """What an engine guarantees, used by the writer and stated in the README.

    ``swap``: how staged outputs replace the old ones —
    ``transaction`` (drop + rename inside the run's transaction: all three tables at once),
    ``rename_tables`` (MySQL's multi-table ``RENAME TABLE``: all three at once, one statement),
    ``swap_with`` (Snowflake's ``ALTER TABLE ... SWAP WITH``: each table atomically).
    """

    transactional_ddl: bool
    schemas: bool
    swap: str


_CAPABILITIES: dict[str, Capabilities] = {
    "duckdb": Capabilities(transactional_ddl=True, schemas=True, swap="transaction"),
    "postgresql": Capabilities(transactional_ddl=True, schemas=True, swap="transaction"),
    "sqlite": Capabilities(transactional_ddl=True, schemas=False, swap="transaction"),
    "mysql": Capabilities(transactional_ddl=False, schemas=True, swap="rename_tables"),
    "mariadb": Capabilities(transactional_ddl=False, schemas=True, swap="rename_tables"),
    "snowflake": Capabilities(transactional_ddl=False, schemas=True, swap="swap_with"),
}


def capabilities(dialect_name: str, *, emulated: bool = False) -> Capabilities:
    """Capabilities of a dialect; unknown dialects get the most cautious answer.

    ``emulated``: Snowflake emulated by fakesnow runs on DuckDB, which has transactional DDL
    but no ``SWAP WITH``.
    """
    if emulated and dialect_name == "snowflake":
        return Capabilities(transactional_ddl=True, schemas=True, swap="transaction")
    return _CAPABILITIES.get(
        dialect_name, Capabilities(transactional_ddl=False, schemas=True, swap="transaction")
    )


def has_table(bind: sa.Engine | sa.Connection, name: str, schema: str | None) -> bool:
    """Whether table ``name`` exists in ``schema`` (``None``: the connection's default schema).

    The default schema is named explicitly: DuckDB's inspector otherwise finds a table of that
    name in any schema, and the query then fails on the unqualified name.
    """
    inspector = sa.inspect(bind)
    return bool(
        inspector.has_table(
            name, schema=inspector.default_schema_name if schema is None else schema
        )
    )


class ConcurrentRunError(RuntimeError):
    """Another run holds the target; raised where an engine cannot wait for it."""


def _lock_name(target: str | None) -> str:
    return f"provider_attribution:{target or ''}"


def _lock_key(target: str | None) -> int:
    digest = hashlib.blake2b(_lock_name(target).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_target(conn: sa.Connection, target: str | None, *, wait_seconds: int = 600) -> None:
    """Serialize runs writing into the same target schema.

    PostgreSQL: a transaction-level advisory lock (a second run waits, then replaces the
    first's results). MySQL/MariaDB: a named lock held by the session for up to ``wait_seconds``,
    then :class:`ConcurrentRunError`; release with :func:`unlock_target`. DuckDB and SQLite
    take a database-wide write lock themselves; Snowflake serializes DDL on the same table.
    """
    name = conn.dialect.name
    if name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_lock_key(target))))
    elif name in {"mysql", "mariadb"}:
        got = conn.execute(sa.select(sa.func.get_lock(_lock_name(target), wait_seconds))).scalar()
        if got != 1:
            raise ConcurrentRunError(
                f"another provider-attribution run is writing into {target or 'the default schema'}"
                f"; gave up after {wait_seconds} s"
            )


def unlock_target(conn: sa.Connection, target: str | None) -> None:
    """Release what :func:`lock_target` took where it outlives the transaction (MySQL)."""
    if conn.dialect.name in {"mysql", "mariadb"}:
        conn.execute(sa.select(sa.func.release_lock(_lock_name(target))))


# PostgreSQL estimates one row for most of the run's CTEs and then joins them with nested loops
# (tens of seconds at 40k claim lines); hash joins are right for every join of the query except
# the tiny scope-key range join, which stays a nested loop anyway. JIT compilation costs seconds
# on these wide CASE expressions and buys nothing.
POSTGRES_RUN_SETTINGS = (("enable_nestloop", "off"), ("jit", "off"))
# A plain SELECT or CREATE TABLE AS of the ranking may get a parallel plan, which INSERT ...
# SELECT never does; at 1M claim lines the parallel plan ran for minutes where the serial one
# took 40-60 s (bench/RESULTS.md), so printed SQL and dbt models also turn parallel workers off.
POSTGRES_PRINTED_SETTINGS = (*POSTGRES_RUN_SETTINGS, ("max_parallel_workers_per_gather", "0"))


def set_statements(
    dialect_name: str, settings: tuple[tuple[str, str], ...], *, local: bool
) -> list[str]:
    """``SET [LOCAL] name = value`` statements of ``settings`` on PostgreSQL; none elsewhere."""
    if dialect_name not in {"postgresql", "postgres"}:
        return []
    scope = "SET LOCAL" if local else "SET"
    return [f"{scope} {name} = {value}" for name, value in settings]


def tune_transaction(conn: sa.Connection) -> None:
    """Planner settings for the run's transaction only (``SET LOCAL`` ends with it); see
    :data:`POSTGRES_RUN_SETTINGS`."""
    for statement in set_statements(conn.dialect.name, POSTGRES_RUN_SETTINGS, local=True):
        conn.exec_driver_sql(statement)


def analyze(conn: sa.Connection, table: sa.Table) -> None:
    """Give the planner statistics of a table the run has just written, where the engine plans
    by them and does not gather them on its own within the transaction (PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        name = conn.dialect.identifier_preparer.format_table(table)
        conn.exec_driver_sql(f"ANALYZE {name}")


def is_emulated(conn: sa.Connection) -> bool:
    """Whether the connection is the fakesnow emulator rather than a real Snowflake."""
    raw = conn.connection.dbapi_connection
    return type(raw).__module__.startswith("fakesnow")


def swap_in(
    conn: sa.Connection, staged: list[tuple[sa.Table, sa.Table]], caps: Capabilities
) -> None:
    """Replace each final table with its staging table, as atomically as the engine allows."""
    if caps.swap == "transaction":
        for staging, final in staged:
            conn.execute(DropTableIfExists(final))
            conn.execute(RenameTable(staging, final.name))
        return
    for _, final in staged:
        final.create(conn, checkfirst=True)
    if caps.swap == "rename_tables":
        old = [
            sa.Table(f"{final.name}__old", sa.MetaData(), schema=final.schema)
            for _, final in staged
        ]
        moves: list[tuple[sa.TableClause, sa.TableClause]] = []
        for (staging, final), retired in zip(staged, old, strict=True):
            moves += [(final, retired), (staging, final)]
        for retired in old:
            conn.execute(DropTableIfExists(retired))
        conn.execute(RenameTables(moves))
        for retired in old:
            conn.execute(DropTableIfExists(retired))
        return
    for staging, final in staged:
        conn.execute(SwapWith(staging, final))
        conn.execute(DropTableIfExists(staging))


def month_key(day: sa.ColumnElement[Any]) -> sa.ColumnElement[int]:
    """``YYYYMM`` of a date as an integer expression."""
    year = sa.extract("year", day)
    month = sa.extract("month", day)
    return sa.cast(year * 100 + month, sa.Integer)


def text_month_key(year_month: sa.ColumnElement[Any]) -> sa.ColumnElement[int]:
    """An integer ``YYYYMM`` from a ``YYYYMM`` text or integer column."""
    return sa.cast(year_month, sa.Integer)


def binary_collation(dialect: sa.Dialect) -> str:
    """The utf8mb4 collation comparing text byte by byte, trailing spaces included, on this
    MySQL/MariaDB server: MariaDB's ``utf8mb4_nopad_bin``, MySQL 8's ``utf8mb4_0900_bin``;
    ``utf8mb4_bin`` (which ignores trailing spaces) on older MySQL servers or when the server
    is unknown (SQL printed without a connection)."""
    if getattr(dialect, "is_mariadb", False):
        return "utf8mb4_nopad_bin"
    version = dialect.server_version_info
    if version is not None and tuple(version[:3]) >= (8, 0, 17):
        return "utf8mb4_0900_bin"
    return "utf8mb4_bin"


class BinaryId(FunctionElement[str]):
    """An id read from the user's tables, compared byte by byte everywhere it is used: on
    MySQL/MariaDB ``CONVERT(id USING utf8mb4) COLLATE <binary collation>`` (any column
    charset; every later join, group, order and window sees the explicit collation), elsewhere
    the id itself (the other engines compare text bytewise already)."""

    name = "binary_id"
    inherit_cache = True

    def __init__(self, value: sa.ColumnElement[Any]) -> None:
        super().__init__(value)
        # The id's own text type (and length, which MySQL DDL needs); plain text otherwise.
        self.type = value.type if isinstance(value.type, sa.String) else sa.String()


@compiles(BinaryId)
def _binary_id(element: BinaryId, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(BinaryId, "mysql")
@compiles(BinaryId, "mariadb")
def _binary_id_mysql(element: BinaryId, compiler: Any, **kw: Any) -> str:
    inner = compiler.process(element.clauses, **kw)
    return f"CONVERT({inner} USING utf8mb4) COLLATE {binary_collation(compiler.dialect)}"


def binary_id(value: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    """``value`` as an id compared byte by byte (see :class:`BinaryId`)."""
    return BinaryId(value)


class IdString(sa.types.TypeDecorator[str]):
    """An id column of the outputs: ``VARCHAR(n)``, on MySQL/MariaDB in utf8mb4 with the
    server's :func:`binary_collation`, so reading the outputs compares ids as the run did."""

    impl = sa.String
    cache_ok = True

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.length = length

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        length = self.length
        if dialect.name in {"mysql", "mariadb"}:
            collation = binary_collation(dialect)
            return dialect.type_descriptor(
                mysql.VARCHAR(length, charset="utf8mb4", collation=collation)
            )
        return dialect.type_descriptor(sa.String(length))


class DateLiteral(sa.sql.expression.ColumnElement[Any]):
    """A date constant: ``CAST(:value AS DATE)``; SQLite stores dates as ISO text, so there it
    is the bare (ISO text) parameter."""

    inherit_cache = True
    type = sa.Date()

    def __init__(self, value: Any) -> None:
        self.value = sa.bindparam(None, value, type_=sa.Date())


@compiles(DateLiteral)
def _date_literal(element: DateLiteral, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.value, **kw)} AS DATE)"


@compiles(DateLiteral, "sqlite")
def _date_literal_sqlite(element: DateLiteral, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.value, **kw))


def date_literal(value: Any) -> sa.ColumnElement[Any]:
    """A typed date constant that compares correctly on every engine."""
    if value is None:
        return sa.cast(sa.null(), sa.Date)
    return DateLiteral(value)


def money(value: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """Exact decimal(18,2)."""
    return sa.cast(value, sa.Numeric(18, 2))


def cents(amount: sa.ColumnElement[Any]) -> sa.ColumnElement[int]:
    """An amount as whole cents (rounded half away from zero), so sums and comparisons are exact
    integers on every engine, SQLite's floating-point REAL included."""
    return sa.cast(sa.func.round(amount * sa.cast(100, sa.Numeric(38, 0))), sa.BigInteger)


def divide_to_nearest(value: sa.ColumnElement[Any], divisor: int) -> sa.ColumnElement[Any]:
    """Integer ``value / divisor`` rounded to the nearest integer. Callers use odd divisors, so
    the quotient never ends in exactly one half and double precision rounds the same everywhere
    (exactly for magnitudes below 2**52)."""
    if divisor == 1:
        return value
    quotient = sa.cast(value, sa.Double) / sa.cast(sa.literal(divisor), sa.Double)
    return sa.cast(sa.func.round(quotient), sa.BigInteger)


def money_from_cents(value: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """Whole cents back to decimal(18,2), by exact decimal multiplication."""
    hundredth = sa.cast(sa.literal(Decimal("0.01"), sa.Numeric(3, 2)), sa.Numeric(3, 2))
    return money(sa.cast(value, sa.Numeric(20, 2)) * hundredth)


class DropTableIfExists(DDLElement):
    """``DROP TABLE IF EXISTS name``."""

    inherit_cache = False

    def __init__(self, table: sa.TableClause) -> None:
        self.table = table


@compiles(DropTableIfExists)
def _drop_table_if_exists(element: DropTableIfExists, compiler: DDLCompiler, **kw: Any) -> str:
    return f"DROP TABLE IF EXISTS {compiler.preparer.format_table(element.table)}"


class CreateEmptyTableLike(Executable, ClauseElement):
    """``CREATE TABLE name AS <select> LIMIT 0``: an empty table with the select's columns and
    the engine's own types for them (the user's id types survive). A statement, not DDL: the
    select's values stay bound parameters, so the driver escapes ``%`` the way it reads it."""

    inherit_cache = False

    def __init__(self, table: sa.TableClause, select: sa.Select[Any]) -> None:
        self.table = table
        self.select = select


@compiles(CreateEmptyTableLike)
def _create_empty_table_like(element: CreateEmptyTableLike, compiler: Any, **kw: Any) -> str:
    body = compiler.process(element.select.limit(0), **kw)
    return f"CREATE TABLE {compiler.preparer.format_table(element.table)} AS {body}"


def write_select_table(
    conn: sa.Connection, name: str, schema: str | None, select: sa.Select[Any]
) -> sa.Table:
    """(Re)create table ``name`` holding the rows of ``select``: dropped if it exists, created
    empty with the engine's own column types, filled by ``INSERT ... SELECT`` with bound
    parameters, then analysed where the planner needs it."""
    columns = [sa.Column(c.name, c.type) for c in select.selected_columns]
    table = sa.Table(name, sa.MetaData(), *columns, schema=schema)
    conn.execute(DropTableIfExists(table))
    conn.execute(CreateEmptyTableLike(table, select))
    conn.execute(table.insert().from_select([c.name for c in columns], select))
    analyze(conn, table)
    return table


class RenameTable(DDLElement):
    """``ALTER TABLE old RENAME TO new`` (the new name stays in the old table's schema)."""

    inherit_cache = False

    def __init__(self, table: sa.TableClause, new_name: str) -> None:
        self.table = table
        self.new_name = new_name


@compiles(RenameTable)
def _rename_table(element: RenameTable, compiler: DDLCompiler, **kw: Any) -> str:
    old = compiler.preparer.format_table(element.table)
    new = compiler.preparer.quote(element.new_name)
    return f"ALTER TABLE {old} RENAME TO {new}"


class RenameTables(DDLElement):
    """MySQL's ``RENAME TABLE a TO b, c TO d``: every rename in one atomic statement."""

    inherit_cache = False

    def __init__(self, moves: list[tuple[sa.TableClause, sa.TableClause]]) -> None:
        self.moves = moves


@compiles(RenameTables)
def _rename_tables(element: RenameTables, compiler: DDLCompiler, **kw: Any) -> str:
    fmt = compiler.preparer.format_table
    return "RENAME TABLE " + ", ".join(f"{fmt(a)} TO {fmt(b)}" for a, b in element.moves)


class SwapWith(DDLElement):
    """Snowflake's ``ALTER TABLE a SWAP WITH b``."""

    inherit_cache = False

    def __init__(self, table: sa.TableClause, other: sa.TableClause) -> None:
        self.table = table
        self.other = other


@compiles(SwapWith)
def _swap_with(element: SwapWith, compiler: DDLCompiler, **kw: Any) -> str:
    fmt = compiler.preparer.format_table
    return f"ALTER TABLE {fmt(element.table)} SWAP WITH {fmt(element.other)}"
