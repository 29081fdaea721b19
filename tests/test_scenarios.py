"""Every rule scenario on the SQL path (DuckDB) and on the oracle."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from harness import run_sql
from oracle import attribute_reference
from scenarios import REPRESENTATIVE, SCENARIOS, Scenario, check

IDS = [s.name for s in SCENARIOS]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_scenario_on_duckdb(duckdb_engine: sa.Engine, scenario: Scenario) -> None:
    result = run_sql(
        duckdb_engine,
        scenario.dataset(),
        method=scenario.method,
        as_of=scenario.as_of,
        years=scenario.years,
    )
    check(scenario, result)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_scenario_on_oracle(scenario: Scenario) -> None:
    data = scenario.dataset()
    result = attribute_reference(
        data.claims,
        data.eligibility,
        data.providers,
        method=scenario.method,
        valuesets=None,  # the shipped lists by scope key, as the SQL run without value sets
        as_of=scenario.as_of,
        years=scenario.years,
        today=data.today,
        **data.oracle_inputs(),
    )
    check(scenario, result)


def test_the_representative_scenarios_cover_every_method() -> None:
    """``REPRESENTATIVE`` names scenarios only, and at least one of every method."""
    names = {s.name for s in SCENARIOS}
    assert names >= REPRESENTATIVE, sorted(REPRESENTATIVE - names)
    methods = {s.method.name for s in SCENARIOS if s.name in REPRESENTATIVE}
    assert methods == {s.method.name for s in SCENARIOS}
