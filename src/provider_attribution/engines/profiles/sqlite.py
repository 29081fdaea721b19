"""SQLite: transactional DDL once the transaction has begun (the lock begins it), no schemas
(the database file is the schema), dates as ISO text."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from provider_attribution.engines.profile import Capabilities, EngineProfile


@dataclass(frozen=True)
class SqliteProfile(EngineProfile):
    """SQLite's hooks."""

    def lock(self, conn: sa.Connection, target: str | None, *, wait_seconds: int = 600) -> None:
        """Begin the transaction now with SQLite's database-wide write lock (``BEGIN
        IMMEDIATE``) where the driver (Python's sqlite3) would begin it only at the first data
        change: tables created before that are committed at once and outlive a rollback."""
        raw = conn.connection.dbapi_connection
        deferred = getattr(raw, "isolation_level", None) is not None
        if conn.in_transaction() and deferred and getattr(raw, "in_transaction", True) is False:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    def date_literal(self, value: str) -> str:
        """Dates are ISO text: a date constant is its bare (ISO text) parameter."""
        return value


PROFILE = SqliteProfile(
    name="sqlite",
    aliases=("sqlite3",),
    capabilities=Capabilities(transactional_ddl=True, schemas=False, swap="transaction"),
    typed_dates=False,
)
