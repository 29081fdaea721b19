"""The SQL path on DuckDB against the pure-Python oracle, on generated data sets."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, note

from harness import TODAY, Dataset, assert_same, read_outputs, run_oracle, run_sql
from oracle import attribute_reference
from provider_attribution.model import outputs
from provider_attribution.model.inputs import Classification, Inputs
from provider_attribution.model.method import (
    MEDICAID,
    MSSP,
    MSSP_PROSPECTIVE,
    REACH,
    TUVA,
    TUVA_MART,
    Method,
)
from provider_attribution.synthetic.claims import SyntheticSpec, generate
from provider_attribution.warehouse.run import attribute
from strategies import datasets, generated, scopes, several_as_of_scopes, step_3_scopes


@generated(20)
@given(data=datasets(), scope=scopes)
def test_sql_matches_oracle(
    duckdb_engine: sa.Engine, data: Dataset, scope: tuple[dt.date | None, list[int]]
) -> None:
    as_of, years = scope
    got = run_sql(duckdb_engine, data, as_of=as_of, years=years)
    want = run_oracle(data, as_of=as_of, years=years)
    note(f"oracle {want}\nsql {got}")
    assert_same(got, want)


@generated(20)
@given(data=datasets(), scope=scopes)
def test_tuva_mart_matches_oracle(
    duckdb_engine: sa.Engine, data: Dataset, scope: tuple[dt.date | None, list[int]]
) -> None:
    """The tuva_mart line options (start dates only, no collapse, no reversal or NPI check,
    directory required, visits from encounters, labels, yearly fallback lookback)."""
    as_of, years = scope
    got = run_sql(duckdb_engine, data, method=TUVA_MART, as_of=as_of, years=years)
    want = run_oracle(data, method=TUVA_MART, as_of=as_of, years=years)
    note(f"oracle {want}\nsql {got}")
    assert_same(got, want)


@generated(10)
@given(data=datasets(), scope=several_as_of_scopes)
def test_several_as_of_dates_match_oracle(
    duckdb_engine: sa.Engine, data: Dataset, scope: tuple[list[dt.date], list[int]]
) -> None:
    """One run with several as-of dates: one current scope key each, ranked together."""
    as_of, years = scope
    got = run_sql(duckdb_engine, data, as_of=as_of, years=years)
    want = run_oracle(data, as_of=as_of, years=years)
    note(f"oracle {want}\nsql {got}")
    assert_same(got, want)
    dates = {row["as_of_date"] for row in got[outputs.CURRENT]}
    assert dates <= set(as_of)


@generated(5)
@given(data=datasets(), scope=several_as_of_scopes)
def test_several_as_of_dates_equal_one_run_each(
    duckdb_engine: sa.Engine, data: Dataset, scope: tuple[list[dt.date], list[int]]
) -> None:
    """Without the oracle: the rows of each as-of date in a run of several are the rows of a
    run at that date alone (the keys do not interact)."""
    as_of, _ = scope
    together = run_sql(duckdb_engine, data, as_of=as_of, years=[])
    for day in as_of:
        alone = run_sql(duckdb_engine, data, as_of=day, years=[])
        for table in (outputs.RANKING, outputs.CURRENT):
            mine = [r for r in together[table] if r["as_of_date"] == day]
            assert mine == alone[table], f"{table} at {day}"


def _fetch(conn: sa.Connection, table: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.exec_driver_sql(f"select * from {table}").mappings()]


@pytest.mark.parametrize(
    ("seed", "as_of", "encounters"),
    [
        (1, dt.date(2025, 12, 31), True),
        (2, dt.date(2024, 7, 15), False),
        (3, dt.date(2024, 2, 29), True),
    ],
)
def test_sql_matches_oracle_on_synthetic_data(
    duckdb_engine: sa.Engine, seed: int, as_of: dt.date, encounters: bool
) -> None:
    """Realistic shapes (reversals, multi-line claims, gaps, missing providers, organizations)
    at 600 members; with encounters mapped, the entity type is mapped too."""
    generate(duckdb_engine, SyntheticSpec(members=600, seed=seed))
    inputs = Inputs()  # the defaults map encounter_id and the entity type
    if not encounters:
        inputs = replace(
            inputs,
            claims=replace(inputs.claims, encounter_id=None),
            providers=replace(inputs.providers, entity_type=None),
        )
    unmapped = {"tin", "revenue_center_code", "attending_npi"}
    with duckdb_engine.connect() as conn:
        claims = [
            {k: v for k, v in row.items() if k not in unmapped}
            for row in _fetch(conn, "core.medical_claim")
        ]
        eligibility = _fetch(conn, "core.member_months")
        providers = [
            {
                "npi": r["npi"],
                "classification": r["primary_taxonomy_code"],
                "entity_type": r["entity_type_description"],
            }
            for r in _fetch(conn, "terminology.provider")
        ]
    years = [2023, 2024, 2025]
    summary = attribute(
        duckdb_engine, inputs, as_of=as_of, years=years, target_schema="out", today=TODAY
    )
    got = read_outputs(duckdb_engine, "out")
    want = attribute_reference(
        claims,
        eligibility,
        providers,
        method=TUVA,
        valuesets=None,  # by scope key year, as attribute() without value sets
        classification_kind=Classification.TAXONOMY,
        encounter_mapped=encounters,
        entity_type_mapped=encounters,
        as_of=as_of,
        years=years,
        today=TODAY,
    )
    assert summary.exclusions == want["exclusions"]
    assert want["exclusions"]["reversed_claim"] > 0
    assert (want["exclusions"]["organizational_npi"] > 0) == encounters
    assert len(want["assigned_beneficiaries_current"]) > 400
    assert {r["assigned_step"] for r in want["assigned_beneficiaries_yearly"]} >= {0, 1, 2, 3, 4}
    for table in outputs.TABLES:
        rows = want[table]
        assert got[table] == rows, table


@pytest.mark.parametrize(
    "method", [MSSP, MSSP_PROSPECTIVE, MEDICAID, REACH, TUVA_MART], ids=lambda m: m.name
)
@given(data=datasets(rich=True), scope=scopes)
@generated(12)
def test_presets_match_oracle(
    duckdb_engine: sa.Engine,
    method: Method,
    data: Dataset,
    scope: tuple[dt.date | None, list[int]],
) -> None:
    """Rosters, TINs, FQHC lines, attestation and selections, for every non-Tuva preset."""
    as_of, years = scope
    got = run_sql(duckdb_engine, data, method=method, as_of=as_of, years=years)
    want = run_oracle(data, method=method, as_of=as_of, years=years)
    note(f"oracle {want}\nsql {got}")
    assert_same(got, want)


@pytest.mark.parametrize("method", [MSSP, MSSP_PROSPECTIVE], ids=lambda m: m.name)
@given(data=datasets(rich=True, step_3=True), scope=step_3_scopes)
@generated(12)
def test_mssp_step_3_matches_oracle(
    duckdb_engine: sa.Engine,
    method: Method,
    data: Dataset,
    scope: tuple[dt.date | None, list[int]],
) -> None:
    """Data shaped for the expanded window (an ACO NPP recently, an ACO PCP up to two years
    back) in scope keys of rule year 2025, and 2024 where step 3 does not apply."""
    as_of, years = scope
    got = run_sql(duckdb_engine, data, method=method, as_of=as_of, years=years)
    want = run_oracle(data, method=method, as_of=as_of, years=years)
    note(f"oracle {want}\nsql {got}")
    assert_same(got, want)
