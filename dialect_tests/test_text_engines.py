"""The transpiled SQL text runs on engines without a SQLAlchemy driver and gives DuckDB's rows.

For the conformance data sets (the rule scenarios, Spark the representative ones; generated
cases per preset and synthetic data), ``sqltext.statements`` in the engine's dialect must
write the three attribution tables row for row as the SQLAlchemy path writes them on DuckDB,
with the same exclusion counts.
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
from scenarios import SCENARIOS, Scenario, check, runs_on
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


@pytest.fixture(autouse=True)
def _kept_on_one_worker(request: pytest.FixtureRequest) -> None:
    """Under ``--dist loadgroup`` a text engine's tests carry its group in their node ids, which
    is how pytest-xdist keeps them on one worker (one session, one JVM for Spark). A pytest
    that pytest-xdist does not support leaves the ids alone: every test would be its own group
    and each worker start its own Spark."""
    grouped = request.node.get_closest_marker("xdist_group") is not None
    loadgroup = getattr(request.config.option, "loadgroup", False)
    if loadgroup and grouped and "@" not in request.node.nodeid:
        pytest.fail(
            f"--dist loadgroup left {request.node.nodeid} ungrouped: pytest "
            f"{pytest.__version__} is not supported by this pytest-xdist; install the "
            "pytest pinned in pyproject.toml",
            pytrace=False,
        )


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
    pairs = [(e, s) for e in SELECTED for s in SCENARIOS if runs_on(e, s)]
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
