"""Statements creating, dropping, renaming and swapping tables, spelled the same on every
engine that runs them, and :func:`write_select_table` built from them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import DDLCompiler
from sqlalchemy.sql.ddl import DDLElement
from sqlalchemy.sql.expression import ClauseElement, Executable

if TYPE_CHECKING:
    from provider_attribution.engines.profile import EngineProfile


#: How a work table is created: an ``ordinary`` table, an ``unlogged`` one (PostgreSQL: its
#: rows bypass the write-ahead log) or a ``temporary`` one (private to the connection).
WorkTableKind = Literal["ordinary", "unlogged", "temporary"]

_CREATE: dict[WorkTableKind, str] = {
    "ordinary": "CREATE TABLE",
    "unlogged": "CREATE UNLOGGED TABLE",
    "temporary": "CREATE TEMPORARY TABLE",
}


def create_table(kind: WorkTableKind = "ordinary") -> str:
    """The opening words of a statement creating a table of ``kind``."""
    return _CREATE[kind]


class DropTableIfExists(DDLElement):
    """``DROP TABLE IF EXISTS name``."""

    inherit_cache = False

    def __init__(self, table: sa.TableClause) -> None:
        self.table = table


@compiles(DropTableIfExists)
def _drop_table_if_exists(element: DropTableIfExists, compiler: DDLCompiler, **kw: Any) -> str:
    return f"DROP TABLE IF EXISTS {compiler.preparer.format_table(element.table)}"


class CreateEmptyTableLike(Executable, ClauseElement):
    """``CREATE [UNLOGGED | TEMPORARY] TABLE name AS <select> LIMIT 0``: an empty table with the
    select's columns and the engine's own types for them (the user's id types survive). A statement,
    not DDL: the select's values stay bound parameters, so the driver escapes ``%`` the way it
    reads it."""

    inherit_cache = False

    def __init__(
        self, table: sa.TableClause, select: sa.Select[Any], *, kind: WorkTableKind = "ordinary"
    ) -> None:
        self.table = table
        self.select = select
        self.kind = kind


@compiles(CreateEmptyTableLike)
def _create_empty_table_like(element: CreateEmptyTableLike, compiler: Any, **kw: Any) -> str:
    body = compiler.process(element.select.limit(0), **kw)
    name = compiler.preparer.format_table(element.table)
    return f"{create_table(element.kind)} {name} AS {body}"


def select_table(name: str, schema: str | None, select: sa.Select[Any]) -> sa.Table:
    """The definition of table ``name`` with the columns (names and types) of ``select``."""
    columns = [sa.Column(c.name, c.type) for c in select.selected_columns]
    return sa.Table(name, sa.MetaData(), *columns, schema=schema)


def write_select_table(
    conn: sa.Connection,
    name: str,
    schema: str | None,
    select: sa.Select[Any],
    profile: EngineProfile,
    *,
    kind: WorkTableKind = "ordinary",
) -> sa.Table:
    """(Re)create table ``name`` holding the rows of ``select``: dropped if it exists, created
    empty (a table of ``kind``) with the engine's own column types, filled by ``INSERT ...
    SELECT`` with bound parameters, then analysed where the engine's ``profile`` says the
    planner needs it."""
    table = select_table(name, schema, select)
    conn.execute(DropTableIfExists(table))
    conn.execute(CreateEmptyTableLike(table, select, kind=kind))
    conn.execute(table.insert().from_select([c.name for c in table.c], select))
    profile.analyze(conn, table)
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
