"""DuckDB: transactional DDL, a database-wide write lock of its own, and a planner that does
best with the whole query inlined."""

from __future__ import annotations

from provider_attribution.engines.profile import Capabilities, EngineProfile

PROFILE = EngineProfile(
    name="duckdb",
    capabilities=Capabilities(transactional_ddl=True, schemas=True, swap="transaction"),
)
