"""The same attribution gives the same rows on every engine.

Runs on each backend of the registry: every hand-written rule scenario (the representative
ones on the Snowflake emulator), generated data sets compared with the pure-Python oracle,
hypothesis data sets, and the writing of the outputs.
Results are compared as exact canonical values (Decimal cents, ISO dates, ints, text).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
import sqlalchemy as sa
from hypothesis import given

from engines import Session, examples, open_session, selected
from harness import Dataset, assert_same, load, read_outputs, run_oracle, run_sql
from provider_attribution.engines import output_tables
from provider_attribution.model import outputs
from provider_attribution.model.inputs import Classification
from provider_attribution.model.method import (
    MEDICAID,
    MSSP,
    MSSP_PROSPECTIVE,
    REACH,
    TUVA,
    TUVA_MART,
    Method,
)
from provider_attribution.model.valuesets import ValueSets
from provider_attribution.synthetic.claims import SyntheticSpec, generate
from provider_attribution.warehouse.run import attribute
from scenarios import SCENARIOS, Scenario, check, runs_on
from sessions import shared_session
from strategies import datasets, generated, scopes, step_3_scopes

VALUESETS = ValueSets.for_year()


# Snowflake runs through fakesnow, which translates each statement to DuckDB's SQL: seconds a
# run however small the data, so it runs the representative scenarios (``scenarios.runs_on``).
RULE_CASES = [
    pytest.param(b, s, id=f"{b}-{s.name}") for b in selected() for s in SCENARIOS if runs_on(b, s)
]


# (backend, scenario) pairs; given here, they replace the backend fixture's own parameters
@pytest.mark.parametrize(("backend", "scenario"), RULE_CASES, indirect=["backend"])
def test_rule_scenario(backend: Session, scenario: Scenario) -> None:
    result = run_sql(
        backend.engine,
        scenario.dataset(),
        schema=backend.schema,
        target_schema=backend.schema,
        method=scenario.method,
        as_of=scenario.as_of,
        years=scenario.years,
    )
    check(scenario, result)


def _matches_oracle(
    backend: Session, method: Method, data: Dataset, scope: tuple[dt.date | None, list[int]]
) -> None:
    as_of, years = scope
    got = run_sql(
        backend.engine,
        data,
        schema=backend.schema,
        target_schema=backend.schema,
        method=method,
        as_of=as_of,
        years=years,
    )
    assert_same(got, run_oracle(data, method=method, as_of=as_of, years=years))


def test_generated_cases_match_oracle(backend: Session) -> None:
    @generated(examples(backend, 6))
    @given(data=datasets(), scope=scopes)
    def check_one(data: Dataset, scope: tuple[dt.date | None, list[int]]) -> None:
        _matches_oracle(backend, TUVA, data, scope)

    check_one()


@pytest.mark.parametrize(
    "method", [MSSP, MSSP_PROSPECTIVE, MEDICAID, REACH, TUVA_MART], ids=lambda m: m.name
)
def test_every_preset_matches_oracle(backend: Session, method: Method) -> None:
    """Rosters, TINs, FQHC lines, attestation and selections on every engine."""

    @generated(examples(backend, 3))
    @given(data=datasets(rich=True), scope=scopes)
    def check_one(data: Dataset, scope: tuple[dt.date | None, list[int]]) -> None:
        _matches_oracle(backend, method, data, scope)

    check_one()


@pytest.mark.parametrize("method", [MSSP, MSSP_PROSPECTIVE], ids=lambda m: m.name)
def test_mssp_step_3_matches_oracle(backend: Session, method: Method) -> None:
    """Data shaped for MSSP's expanded window, in scope keys of rule years 2024 and 2025."""

    @generated(examples(backend, 3))
    @given(data=datasets(rich=True, step_3=True), scope=step_3_scopes)
    def check_one(data: Dataset, scope: tuple[dt.date | None, list[int]]) -> None:
        _matches_oracle(backend, method, data, scope)

    check_one()


def _synthetic(seed: int) -> Dataset:
    """A synthetic data set as rows (generated once in DuckDB) and the matching mapping."""
    engine = sa.create_engine("duckdb:///:memory:")
    generate(engine, SyntheticSpec(members=150, seed=seed))
    with engine.connect() as conn:
        claims = [
            dict(r) for r in conn.exec_driver_sql("select * from core.medical_claim").mappings()
        ]
        eligibility = [
            dict(r) for r in conn.exec_driver_sql("select * from core.member_months").mappings()
        ]
        providers = [
            {
                "npi": r.npi,
                "classification": r.primary_taxonomy_code,
                "entity_type": r.entity_type_description,
            }
            for r in conn.exec_driver_sql("select * from terminology.provider")
        ]
    engine.dispose()
    keep = (
        "person_id",
        "claim_id",
        "claim_line_number",
        "encounter_id",
        "rendering_npi",
        "hcpcs_code",
        "claim_start_date",
        "claim_end_date",
        "allowed_amount",
        "paid_amount",
    )
    return Dataset(
        claims=[{k: row[k] for k in keep} for row in claims],
        eligibility=[
            {"person_id": r["person_id"], "year_month": r["year_month"]} for r in eligibility
        ],
        providers=providers,
        classification_kind=Classification.TAXONOMY,
        encounter_mapped=seed % 2 == 0,
        entity_type_mapped=seed % 2 == 1,
    )


@pytest.mark.parametrize("seed", [11, 12])
def test_synthetic_data_sets_match_oracle(backend: Session, seed: int) -> None:
    data = _synthetic(seed)
    years = [2024, 2025]
    as_of = dt.date(2025, 9, 30)
    got = run_sql(
        backend.engine,
        data,
        schema=backend.schema,
        target_schema=backend.schema,
        as_of=as_of,
        years=years,
    )
    want = run_oracle(data, as_of=as_of, years=years)
    assert len(want[outputs.CURRENT]) > 100
    assert_same(got, want)


def test_rerun_replaces_outputs_and_leaves_no_staging(backend: Session) -> None:
    scenario = SCENARIOS[0]
    for _ in range(2):
        result = run_sql(
            backend.engine,
            scenario.dataset(),
            schema=backend.schema,
            target_schema=backend.schema,
            as_of=scenario.as_of,
            years=[2024],
        )
    assert len(result[outputs.CURRENT]) == 1
    assert len(result[outputs.YEARLY]) == 1
    with backend.engine.connect() as conn:
        names = sa.inspect(conn).get_table_names(schema=backend.schema)
    assert {n.lower() for n in names} >= set(outputs.TABLES)
    leftovers = ("staging", "__old", "__work")
    assert not [n for n in names if any(mark in n.lower() for mark in leftovers)]


def test_output_column_types_read_back_exactly(backend: Session) -> None:
    scenario = replace(SCENARIOS[0], as_of=dt.date(2024, 6, 30))
    run_sql(
        backend.engine,
        scenario.dataset(),
        schema=backend.schema,
        target_schema=backend.schema,
        as_of=scenario.as_of,
        years=[],
    )
    table = output_tables.table(outputs.CURRENT, backend.schema)
    with backend.engine.connect() as conn:
        row = conn.execute(sa.select(table)).mappings().one()
    (canon,) = read_outputs(backend.engine, backend.schema)[outputs.CURRENT]
    assert canon["as_of_date"] == dt.date(2024, 6, 30)
    assert str(canon["allowed_amount"]) == "100.00"
    assert int(row["visits"]) == 1
    assert row["attribution_key"] == "current|20240630|A"


def test_attribute_summary_is_the_same_everywhere(backend: Session) -> None:
    scenario = next(s for s in SCENARIOS if s.name.startswith("eligible member without claims"))
    data = scenario.dataset()
    inputs = load(backend.engine, data, backend.schema)
    summary = attribute(
        backend.engine,
        inputs,
        as_of=dt.date(2024, 6, 30),
        years=[2024],
        target_schema=backend.schema,
    )
    assert [(s.scope, s.key, s.members, s.by_step, s.fallback) for s in summary.scopes] == [
        ("current", "2024-06-30", 2, {1: 1}, 1),
        ("yearly", "2024", 2, {1: 1}, 1),
    ]


@pytest.mark.parametrize("name", ["postgres", "mysql"])
def test_private_schema_is_dropped_afterwards(name: str) -> None:
    """A session's schema exists while it runs and is gone after it closes."""
    watcher = shared_session(name).engine
    with open_session(name) as session:
        assert session.schema is not None
        assert session.schema in sa.inspect(watcher).get_schema_names()
        schema = session.schema
    assert schema not in sa.inspect(watcher).get_schema_names()
