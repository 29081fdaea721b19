"""MySQL and MariaDB: DDL commits on its own, so outputs are swapped in by one multi-table
``RENAME TABLE``; a named lock per target; ids compared in a binary utf8mb4 collation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from provider_attribution.engines.ddl import DropTableIfExists, RenameTables
from provider_attribution.engines.locks import ConcurrentRunError, lock_name
from provider_attribution.engines.profile import Capabilities, EngineProfile, Staged


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


@dataclass(frozen=True)
class MysqlProfile(EngineProfile):
    """MySQL's and MariaDB's hooks."""

    def lock(self, conn: sa.Connection, target: str | None, *, wait_seconds: int = 600) -> None:
        """A named lock held by the session for up to ``wait_seconds``, then
        :class:`~provider_attribution.engines.locks.ConcurrentRunError`; :meth:`unlock`
        releases it."""
        got = conn.execute(sa.select(sa.func.get_lock(lock_name(target), wait_seconds))).scalar()
        if got != 1:
            raise ConcurrentRunError(
                f"another provider-attribution run is writing into {target or 'the default schema'}"
                f"; gave up after {wait_seconds} s"
            )

    def reflected_name(self, name: str) -> str:
        """SQLAlchemy's MySQL reflection keeps the doubled backtick of a quoted name holding
        one (person_id``x for person_id`x): undone."""
        return name.replace("``", "`")

    def unlock(self, conn: sa.Connection, target: str | None) -> None:
        conn.execute(sa.select(sa.func.release_lock(lock_name(target))))

    def swap(self, conn: sa.Connection, staged: Staged) -> None:
        """Every final table (created empty where missing) to ``<name>__old`` and every staging
        table to its final name in one ``RENAME TABLE``; the old tables dropped."""
        for _, final in staged:
            final.create(conn, checkfirst=True)
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

    def binary_id(self, value: str, dialect: sa.Dialect) -> str:
        """``CONVERT(id USING utf8mb4) COLLATE <binary collation>``: any column charset, and
        every later join, group, order and window sees the explicit collation."""
        return f"CONVERT({value} USING utf8mb4) COLLATE {binary_collation(dialect)}"

    def id_type(self, length: int, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        """``VARCHAR(n)`` in utf8mb4 with the server's :func:`binary_collation`."""
        return mysql.VARCHAR(length, charset="utf8mb4", collation=binary_collation(dialect))


PROFILE = MysqlProfile(
    name="mysql",
    aliases=("mariadb",),
    capabilities=Capabilities(transactional_ddl=False, schemas=True, swap="rename_tables"),
)
