"""Every other engine: the cautious defaults of
:class:`~provider_attribution.engines.profile.EngineProfile`, under the names of the engines
the package prints SQL for through sqlglot (``emit/sqltext.py``), and for any unknown name."""

from __future__ import annotations

from provider_attribution.engines.profile import MATERIALISABLE_STAGES, EngineProfile

#: Spark plans every reference to a CTE on its own; written stages are scanned once, in parallel.
SPARK = EngineProfile(
    name="spark", aliases=("databricks",), materialise=frozenset(MATERIALISABLE_STAGES)
)

PROFILES = (
    SPARK,
    EngineProfile(name="bigquery"),
    EngineProfile(name="trino"),
    EngineProfile(name="redshift"),
    EngineProfile(name="tsql", aliases=("mssql",)),
    EngineProfile(name="clickhouse"),
    EngineProfile(name="oracle"),
)


def default(name: str) -> EngineProfile:
    """The profile of an engine the package knows nothing about."""
    return EngineProfile(name=name)
