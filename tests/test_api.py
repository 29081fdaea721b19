"""The public API: defaults, input mappings, custom methods, value sets, writes and summaries."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
import sqlalchemy as sa

import provider_attribution as pa
from harness import load, read_outputs, run_sql
from provider_attribution.model import outputs
from provider_attribution.model.method import Services
from provider_attribution.model.windows import ScopeKey, first_of_month_back
from scenarios import NPP, PCP, PROVIDERS, SPEC, Scenario, line, months

BASE = Scenario(
    "base",
    [
        line("A", PCP, "99213", "2024-05-02", "100"),
        line("A", SPEC, "99214", "2024-06-03", "500"),
        line("B", NPP, "99213", "2023-11-20", "40", end="2023-11-21"),
    ],
    months("A", "2023-01", "2024-06")
    + months("B", "2023-01", "2024-06")
    + months("C", "2024-01", "2024-03"),
    None,
    [],
    {},
)


def test_default_as_of_is_latest_claim_end_date(duckdb_engine: sa.Engine) -> None:
    inputs = load(duckdb_engine, BASE.dataset(), None)
    summary = pa.attribute(duckdb_engine, inputs, years=[])
    assert [s.key for s in summary.scopes] == ["2024-06-03"]


def test_default_as_of_is_today_when_claims_are_in_the_future(duckdb_engine: sa.Engine) -> None:
    inputs = load(duckdb_engine, BASE.dataset(), None)
    summary = pa.attribute(duckdb_engine, inputs, years=[], today=dt.date(2024, 6, 1))
    assert [s.key for s in summary.scopes] == ["2024-06-01"]


def test_default_years_span_the_eligibility(duckdb_engine: sa.Engine) -> None:
    inputs = load(duckdb_engine, BASE.dataset(), None)
    summary = pa.attribute(duckdb_engine, inputs, current=False)
    assert [(s.scope, s.key) for s in summary.scopes] == [("yearly", "2023"), ("yearly", "2024")]


def test_summary_counts_steps_and_fallback(duckdb_engine: sa.Engine) -> None:
    inputs = load(duckdb_engine, BASE.dataset(), None)
    summary = pa.attribute(duckdb_engine, inputs, as_of=dt.date(2024, 6, 30), years=[])
    (current,) = summary.scopes
    assert (current.members, current.by_step, current.fallback) == (3, {1: 2}, 1)
    assert current.fallback_rate == Decimal("0.3333")
    assert summary.rows == {
        outputs.RANKING: 4,
        outputs.CURRENT: 3,
        outputs.YEARLY: 0,
    }


def test_rerun_replaces_outputs(duckdb_engine: sa.Engine) -> None:
    inputs = load(duckdb_engine, BASE.dataset(), None)
    for _ in range(2):
        pa.attribute(duckdb_engine, inputs, as_of=dt.date(2024, 6, 30), years=[2024])
    result = read_outputs(duckdb_engine, None)
    keys = [r["attribution_key"] for r in result[outputs.CURRENT]]
    assert len(keys) == len(set(keys)) == 3
    with duckdb_engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
    assert not [n for n in names if n.endswith("__staging")]


def test_outputs_in_a_target_schema_and_inputs_in_another(duckdb_engine: sa.Engine) -> None:
    with duckdb_engine.begin() as conn:
        conn.execute(sa.schema.CreateSchema("Odd Schema", if_not_exists=True))
    result = run_sql(
        duckdb_engine,
        BASE.dataset(),
        schema="Odd Schema",
        target_schema="select",
        as_of=dt.date(2024, 6, 30),
        years=[],
    )
    assert {r["person_id"]: r["provider_id"] for r in result[outputs.CURRENT]} == {
        "A": PCP,
        "B": NPP,
        "C": "9999999999",
    }


def test_month_start_eligibility_and_renamed_columns(duckdb_engine: sa.Engine) -> None:
    with duckdb_engine.begin() as conn:
        conn.exec_driver_sql("drop table if exists lines; drop table if exists enrol;")
        conn.exec_driver_sql("drop table if exists npis")
        conn.exec_driver_sql(
            'create table lines("Member" varchar, "Claim" varchar, "Line" int, "NPI" varchar,'
            ' "Code" varchar, "From" date, "Thru" date, "Allowed" decimal(18,2),'
            ' "Paid" decimal(18,2))'
        )
        conn.exec_driver_sql(
            "insert into lines values "
            "('m1','c1',1,'1234567893','99213','2024-03-05','2024-03-05',10,5),"
            "('m1','c2',1,'2234567891','99213','2024-03-06','2024-03-06',20,5)"
        )
        conn.exec_driver_sql('create table enrol("Member" varchar, "Month" date)')
        conn.exec_driver_sql("insert into enrol values ('m1', '2024-03-01')")
        conn.exec_driver_sql('create table npis("NPI" varchar, "Bucket" varchar)')
        conn.exec_driver_sql(
            "insert into npis values ('1234567893','pcp'), ('2234567891','specialist')"
        )
    inputs = pa.Inputs(
        claims=pa.ClaimsTable(
            name="lines",
            schema=None,
            person_id="Member",
            claim_id="Claim",
            claim_line_number="Line",
            rendering_npi="NPI",
            hcpcs_code="Code",
            claim_start_date="From",
            claim_end_date="Thru",
            allowed_amount="Allowed",
            paid_amount="Paid",
            encounter_id=None,
        ),
        eligibility=pa.EligibilityTable(
            name="enrol", schema=None, person_id="Member", year_month=None, month_start="Month"
        ),
        providers=pa.ProvidersTable(
            name="npis",
            schema=None,
            npi="NPI",
            classification="Bucket",
            classification_kind=pa.Classification.BUCKET,
            entity_type=None,
        ),
    )
    pa.attribute(duckdb_engine, inputs, as_of=dt.date(2024, 3, 31), years=[])
    (row,) = read_outputs(duckdb_engine, None)[outputs.CURRENT]
    assert (row["provider_id"], row["assigned_step"], row["provider_bucket"]) == (
        "1234567893",
        1,
        "pcp",
    )


def test_eligibility_needs_exactly_one_month_column() -> None:
    with pytest.raises(ValueError, match="exactly one of year_month or month_start"):
        pa.EligibilityTable(year_month=None, month_start=None)


def test_a_new_pass_needs_no_new_code(duckdb_engine: sa.Engine) -> None:
    """A 36-month PCP pass in front of the Tuva passes reaches a 30-month-old visit first."""
    extra = pa.Pass(36, frozenset({"pcp"}), Services.PRIMARY_CARE, "36-month PCP")
    method = replace(pa.TUVA, name="custom", passes=(extra, *pa.TUVA.passes))
    data = replace(
        BASE,
        claims=[
            line("A", PCP, "99213", "2022-01-10", "10"),
            line("A", NPP, "99213", "2024-05-01", "900"),
        ],
        eligibility=months("A", "2021-06", "2024-06"),
    ).dataset()
    result = run_sql(duckdb_engine, data, method=method, as_of=dt.date(2024, 6, 30), years=[])
    (row,) = result[outputs.CURRENT]
    assert (row["provider_id"], row["assigned_step"], row["step_description"]) == (
        PCP,
        1,
        "36-month PCP",
    )
    assert row["lookback_start_date"] == dt.date(2021, 7, 1)


def test_bad_method_definitions_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"months must be 1\.\.120"):
        pa.Pass(0, None, Services.ANY, "zero")
    with pytest.raises(ValueError, match="buckets must be a non-empty subset"):
        pa.Pass(12, frozenset({"dentist"}), Services.ANY, "odd")
    with pytest.raises(ValueError, match="has no passes"):
        pa.Method("empty", passes=())
    with pytest.raises(ValueError, match="unknown method 'nope'"):
        pa.attribute("duckdb:///:memory:", method="nope")


def test_value_sets_are_versioned_by_year() -> None:
    old = pa.ValueSets.for_year(2015)
    new = pa.ValueSets.for_year(2025)
    assert "99213" in old.primary_care_hcpcs
    assert "99213" in new.primary_care_hcpcs
    assert "99495" not in old.primary_care_hcpcs
    assert "99495" in new.primary_care_hcpcs
    assert new.codes_for_bucket("pcp") == {"01", "08", "11", "37", "38"}
    assert new.codes_for_bucket("npp") == {"50", "89", "97"}
    assert new.taxonomy_specialty["363L00000X"] == "50"
    with pytest.raises(LookupError, match="covers year 2000"):
        pa.ValueSets.for_year(2000)


def test_custom_primary_care_codes_change_the_result(duckdb_engine: sa.Engine) -> None:
    data = replace(BASE, claims=[line("A", PCP, "X1234", "2024-05-02", "100")]).dataset()
    default = run_sql(duckdb_engine, data, as_of=dt.date(2024, 6, 30), years=[])
    custom = run_sql(
        duckdb_engine,
        data,
        valuesets=pa.ValueSets.for_year().with_primary_care_codes(["x1234 "]),
        as_of=dt.date(2024, 6, 30),
        years=[],
    )
    step = {r["person_id"]: r["assigned_step"] for r in default[outputs.CURRENT]}
    custom_step = {r["person_id"]: r["assigned_step"] for r in custom[outputs.CURRENT]}
    assert (step["A"], custom_step["A"]) == (5, 1)


def test_build_queries_run_in_the_users_own_connection(duckdb_engine: sa.Engine) -> None:
    inputs = load(duckdb_engine, BASE.dataset(), None)
    run = pa.build_queries([ScopeKey.current(dt.date(2024, 6, 30)), ScopeKey.yearly(2024)], inputs)
    with duckdb_engine.connect() as conn:
        current = conn.execute(run.assigned_beneficiaries_current).mappings().all()
        yearly = conn.execute(run.assigned_beneficiaries_yearly).mappings().all()
        ranking = conn.execute(run.provider_ranking).mappings().all()
    assert sorted(r["person_id"] for r in current) == ["A", "B", "C"]
    assert sorted(r["person_id"] for r in yearly) == ["A", "B", "C"]
    assert {r["scope"] for r in ranking} == {"current", "yearly"}


def test_nothing_to_attribute_is_an_error() -> None:
    with pytest.raises(ValueError, match="nothing to attribute"):
        pa.build_queries([])


@pytest.mark.parametrize(
    ("end", "months_back", "start"),
    [
        (dt.date(2024, 3, 15), 12, dt.date(2023, 4, 1)),
        (dt.date(2024, 12, 31), 24, dt.date(2023, 1, 1)),
        (dt.date(2024, 2, 29), 12, dt.date(2023, 3, 1)),
        (dt.date(2024, 1, 31), 1, dt.date(2024, 1, 1)),
        (dt.date(2024, 1, 1), 13, dt.date(2023, 1, 1)),
    ],
)
def test_window_start(end: dt.date, months_back: int, start: dt.date) -> None:
    assert first_of_month_back(end, months_back) == start


def test_providers_fixture_is_consistent() -> None:
    assert len({p["npi"] for p in PROVIDERS}) == len(PROVIDERS)
