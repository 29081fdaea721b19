"""SQLite: transactional DDL, no schemas (the database file is the schema), dates as ISO text."""

from __future__ import annotations

from dataclasses import dataclass

from provider_attribution.engines.profile import Capabilities, EngineProfile


@dataclass(frozen=True)
class SqliteProfile(EngineProfile):
    """SQLite stores dates as ISO text: a date constant is its bare (ISO text) parameter."""

    def date_literal(self, value: str) -> str:
        return value


PROFILE = SqliteProfile(
    name="sqlite",
    aliases=("sqlite3",),
    capabilities=Capabilities(transactional_ddl=True, schemas=False, swap="transaction"),
)
