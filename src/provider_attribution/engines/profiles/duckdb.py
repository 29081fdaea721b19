"""DuckDB: transactional DDL, a database-wide write lock of its own, and a planner that does
best with the query inlined, except the distinct member months: three statements read them, and
DuckDB would compute the DISTINCT over every member month in each."""

from __future__ import annotations

from dataclasses import dataclass

from provider_attribution.engines.profile import Capabilities, EngineProfile


@dataclass(frozen=True)
class DuckdbProfile(EngineProfile):
    """DuckDB's hooks."""

    def listed_schema(self, name: str) -> str:
        """duckdb-engine lists schemas catalog-qualified and quoted (``"db"."core"``): the
        schema part, unquoted."""
        return name.split(".", 1)[-1].strip('"')


PROFILE = DuckdbProfile(
    name="duckdb",
    capabilities=Capabilities(transactional_ddl=True, schemas=True, swap="transaction"),
    materialise=frozenset({"pa_member_months"}),
)
