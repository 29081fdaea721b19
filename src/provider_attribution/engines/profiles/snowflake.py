"""Snowflake: DDL commits on its own and serializes on the table, so each output is swapped in
with ``ALTER TABLE ... SWAP WITH``; the fakesnow emulator (DuckDB underneath) instead has
transactional DDL and no ``SWAP WITH``."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from provider_attribution.engines.ddl import DropTableIfExists, SwapWith
from provider_attribution.engines.profile import (
    MATERIALISABLE_STAGES,
    Capabilities,
    EngineProfile,
    Staged,
)


def is_emulated(conn: sa.Connection) -> bool:
    """Whether the connection is the fakesnow emulator rather than a real Snowflake."""
    raw = conn.connection.dbapi_connection
    return type(raw).__module__.startswith("fakesnow")


@dataclass(frozen=True)
class SnowflakeProfile(EngineProfile):
    """Snowflake's hooks."""

    def swap(self, conn: sa.Connection, staged: Staged) -> None:
        """Each final table (created empty where missing) swapped with its staging table, then
        the staging table (now holding the old rows) dropped: each table atomically."""
        for _, final in staged:
            final.create(conn, checkfirst=True)
        for staging, final in staged:
            conn.execute(SwapWith(staging, final))
            conn.execute(DropTableIfExists(staging))


#: fakesnow runs the statements on DuckDB.
EMULATED = EngineProfile(
    name="snowflake",
    capabilities=Capabilities(transactional_ddl=True, schemas=True, swap="transaction"),
    materialise=frozenset(MATERIALISABLE_STAGES),
)

PROFILE = SnowflakeProfile(
    name="snowflake",
    capabilities=Capabilities(transactional_ddl=False, schemas=True, swap="swap_with"),
    materialise=frozenset(MATERIALISABLE_STAGES),
    emulation=EMULATED,
)
