"""The transpiled SQL text runs on engines without a SQLAlchemy driver and gives DuckDB's rows.

For every conformance data set (the rule scenarios, generated cases per preset and synthetic
data), ``sqltext.statements`` in the engine's dialect must write the three attribution tables
row for row as the SQLAlchemy path writes them on DuckDB, with the same exclusion counts.
Engines (text_engines.py): Spark in local mode and ClickHouse on chDB. They run only when
``PROVIDER_ATTRIBUTION_BACKENDS`` or ``_REQUIRE`` names them; a named engine that cannot be
provided is skipped, or failed when required.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given

from engines import TEXT_ENGINES, BackendUnavailableError, required, text_engine_selected
from harness import Dataset, run_sql
from provider_attribution.model import outputs
from provider_attribution.model.method import (
    MEDICAID,
    MSSP,
    MSSP_PROSPECTIVE,
    REACH,
    TUVA,
    TUVA_MART,
    Method,
)
from scenarios import SCENARIOS, Scenario, check
from strategies import datasets, generated, scopes
from test_conformance import _synthetic
from text_engines import TextEngine, open_text_engine, run_text

SELECTED = [name for name in TEXT_ENGINES if text_engine_selected(name)]


@pytest.fixture(scope="module")
def text_engine(request: pytest.FixtureRequest) -> Iterator[TextEngine]:
    """One session per selected engine for the module: skipped, or failed if required, when
    it cannot be provided."""
    name = request.param
    try:
        with open_text_engine(name) as engine:
            yield engine
    except BackendUnavailableError as why:
        if name in required():
            pytest.fail(f"required backend unavailable: {why}", pytrace=False)
        pytest.skip(str(why))


@pytest.fixture(scope="module")
def duckdb() -> Iterator[sa.Engine]:
    engine = sa.create_engine("duckdb:///:memory:")
    yield engine
    engine.dispose()


def _same_as_duckdb(
    engine: TextEngine,
    duckdb: sa.Engine,
    data: Dataset,
    *,
    method: Method = TUVA,
    as_of: dt.date | None,
    years: Sequence[int],
) -> dict[str, Any]:
    got = run_text(engine, data, method=method, as_of=as_of, years=years)
    want = run_sql(
        duckdb,
        data,
        schema="pa_in",
        target_schema="pa_out",
        method=method,
        as_of=as_of,
        years=years,
    )
    for table in (*outputs.TABLES, outputs.BENEFICIARY_EXCLUSIONS):
        assert got[table] == want[table], f"{engine.dialect}: {table} differs from DuckDB"
    assert got["exclusions"] == dict(want["exclusions"]), f"{engine.dialect}: exclusions differ"
    return got


# Spark plans and runs each statement in a fraction of a second however small the data, so a
# scenario costs it seconds: it runs one scenario per method other than the default Tuva one
# (each method is its own SQL), the MSSP step 3 rule in both scopes, and the Tuva scenarios
# whose data probe what engines differ in: ordering of ids, nulls, decimals, date arithmetic,
# one-digit codes, the enrollment input. ClickHouse and the seven SQLAlchemy engines
# (test_conformance.py) run every scenario; Spark also runs every preset on generated data
# (test_every_preset). This keeps CI under 20 minutes.
SPARK_SCENARIOS = frozenset(
    {
        # Tuva: data that engines read differently
        "full tie: lowest provider id wins",
        "allowed falls back to paid when null or zero",
        "window edges: first day of the 12-month window is in, the day before is step 3",
        "leap day as-of date",
        "Medicare specialty codes, including a one-digit code",
        "beneficiary exclusions: the first reason per scope key removes the person",
        # one per other method
        "a person failing the gate: person_not_assignable, and the fallback",
        "mssp step 3 needs an ACO NPP in 12 months and an ACO physician in 24",
        "mssp pre-step passers do not get step 3",
        "roster by performance year: selections take the ACO of the key's year",
        "every line check, each line getting the first status that applies",
        "without the NPI check an NPI failing the check digit is credited",
        "reach alignment years end June 30 before the performance year",
        "SNF visits: POS 31 and a SNF stay of the same person are not primary care, POS 32 is",
        "tuva_mart: duplicates and reversals summed signed, visits are distinct non-null "
        "encounters, the directory's specialty text",
        "code lists by year: G2211 is primary care in PY2025, not in PY2024",
        "code lists by year: a code outside every key's list is not primary care",
    }
)


def _runs_on(engine: str, scenario: Scenario) -> bool:
    return engine != "spark" or scenario.name in SPARK_SCENARIOS


def test_spark_runs_one_scenario_of_every_method() -> None:
    """The names above are scenarios, and every method of the scenarios is among them."""
    names = {s.name for s in SCENARIOS}
    assert names >= SPARK_SCENARIOS, sorted(SPARK_SCENARIOS - names)
    methods = {s.method.name for s in SCENARIOS if s.name in SPARK_SCENARIOS}
    assert methods == {s.method.name for s in SCENARIOS}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every selected engine for each test; (engine, scenario) pairs for
    :func:`test_rule_scenario`."""
    if "text_engine" not in metafunc.fixturenames:
        return
    if metafunc.function.__name__ != "test_rule_scenario":
        metafunc.parametrize(
            "text_engine", [pytest.param(e, marks=_one_worker(e)) for e in SELECTED], indirect=True
        )
        return
    pairs = [(e, s) for e in SELECTED for s in SCENARIOS if _runs_on(e, s)]
    metafunc.parametrize(
        ("text_engine", "scenario"),
        [pytest.param(e, s, marks=_one_worker(e), id=f"{e}-{s.name}") for e, s in pairs],
        indirect=["text_engine"],
    )


def _one_worker(engine: str) -> pytest.MarkDecorator:
    """Every test of one engine on one pytest-xdist worker (``--dist loadgroup``): one
    session, started and warmed up once (a JVM for Spark), not one per worker."""
    return pytest.mark.xdist_group(engine)


def test_rule_scenario(text_engine: TextEngine, duckdb: sa.Engine, scenario: Scenario) -> None:
    got = _same_as_duckdb(
        text_engine,
        duckdb,
        scenario.dataset(),
        method=scenario.method,
        as_of=scenario.as_of,
        years=scenario.years,
    )
    check(scenario, got)


# Generated data sets per preset: Spark plans and runs each statement in seconds, so it
# runs one; the rule scenarios above cover its data-dependent behaviour.
PRESET_EXAMPLES = {"spark": 1}


@pytest.mark.parametrize(
    "method", [TUVA, TUVA_MART, MSSP, MSSP_PROSPECTIVE, MEDICAID, REACH], ids=lambda m: m.name
)
def test_every_preset(text_engine: TextEngine, duckdb: sa.Engine, method: Method) -> None:
    """Rosters, TINs, FQHC lines, attestation and selections give DuckDB's rows."""

    @generated(PRESET_EXAMPLES.get(text_engine.dialect, 2))
    @given(data=datasets(rich=True), scope=scopes)
    def check_one(data: Dataset, scope: tuple[dt.date | None, list[int]]) -> None:
        as_of, years = scope
        _same_as_duckdb(text_engine, duckdb, data, method=method, as_of=as_of, years=years)

    check_one()


@pytest.mark.parametrize("seed", [11, 12])
def test_synthetic_data_sets(text_engine: TextEngine, duckdb: sa.Engine, seed: int) -> None:
    got = _same_as_duckdb(
        text_engine, duckdb, _synthetic(seed), as_of=dt.date(2025, 9, 30), years=[2024, 2025]
    )
    assert len(got[outputs.CURRENT]) > 100
