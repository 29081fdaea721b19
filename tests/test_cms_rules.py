"""MSSP setting exclusions and beneficiary exclusions: method files, input mapping, typed flag
columns, validation and the SQL text. The rules themselves are in tests/scenarios.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa

from harness import Dataset, load
from provider_attribution.emit.sqltext import select_texts
from provider_attribution.engines import output_tables
from provider_attribution.model import outputs
from provider_attribution.model.inputs import EnrollmentTable, Inputs, RosterTable
from provider_attribution.model.method import MSSP, MSSP_PROSPECTIVE, TUVA, SettingExclusion
from provider_attribution.model.method_file import MethodFileError, method_from_dict
from provider_attribution.model.valuesets import ValueSets, file_editions
from provider_attribution.model.windows import ScopeKey
from provider_attribution.sql.compile import QueryBuilder
from provider_attribution.warehouse.run import attribute, build_queries
from provider_attribution.warehouse.validate import errors, preflight
from scenarios import PCP, PROVIDERS, line, months

AS_OF = dt.date(2024, 6, 30)


def test_presets_carry_the_setting_exclusions() -> None:
    for method in (MSSP, MSSP_PROSPECTIVE):
        rules = {rule.name: rule for rule in method.setting_exclusions}
        assert set(rules) == {"snf", "inpatient_acp"}
        assert rules["snf"].hcpcs == frozenset(str(c) for c in range(99304, 99319))
        assert rules["snf"].places_of_service == {"31"}
        assert rules["snf"].bill_type_prefixes == {"21", "22", "23", "28"}
        assert rules["inpatient_acp"].hcpcs == {"99497", "99498"}
        assert rules["inpatient_acp"].places_of_service == {"21"}
        assert rules["inpatient_acp"].bill_type_prefixes == {"11"}
    assert TUVA.setting_exclusions == ()


def test_method_file_sets_or_clears_setting_exclusions() -> None:
    off = method_from_dict({"name": "x", "based_on": "mssp", "setting_exclusions": []})
    assert off.method.setting_exclusions == ()
    own = method_from_dict(
        {
            "name": "y",
            "based_on": "tuva",
            "setting_exclusions": [
                {"name": "snf", "hcpcs": [" 99304 ", "g0001"], "places_of_service": ["31"]}
            ],
        }
    )
    assert own.method.setting_exclusions == (
        SettingExclusion("snf", frozenset({"99304", "G0001"}), frozenset({"31"})),
    )
    with pytest.raises(MethodFileError, match=r"setting_exclusions\[0\]: unknown keys \['pos'\]"):
        method_from_dict(
            {"name": "z", "based_on": "tuva", "setting_exclusions": [{"name": "a", "pos": []}]}
        )
    with pytest.raises(MethodFileError, match="give places_of_service, bill_type_prefixes"):
        method_from_dict(
            {
                "name": "z",
                "based_on": "tuva",
                "setting_exclusions": [{"name": "a", "hcpcs": ["99304"]}],
            }
        )


def test_enrollment_mapping_from_plain_data() -> None:
    inputs = Inputs.from_dict({"enrollment": {"name": "enr", "managed_care": None}})
    assert inputs.enrollment == EnrollmentTable(name="enr", managed_care=None)
    assert Inputs.from_dict({}).enrollment is None
    with pytest.raises(ValueError, match="map both part_a and part_b, or neither"):
        EnrollmentTable(part_b=None)
    with pytest.raises(ValueError, match="exactly one of year_month or month_start"):
        EnrollmentTable(month_start="m")


def _base(engine: sa.Engine) -> Inputs:
    """Persons A, B, C, D with a line each and member months over 2023-2024."""
    people = "ABCD"
    data = Dataset(
        claims=[line(p, PCP, "99213", "2024-05-02", "100") for p in people],
        eligibility=[row for p in people for row in months(p, "2023-01", "2024-12")],
        providers=list(PROVIDERS),
    )
    return load(engine, data, None)


def test_typed_flag_columns_and_month_starts() -> None:
    """BOOLEAN and INTEGER flags and a month_start date column read as the rules say."""
    engine = sa.create_engine("duckdb:///:memory:")
    inputs = _base(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "create table enr (pid varchar, m date, a boolean, b integer, mc varchar, dod date)"
        )
        rows: list[tuple[Any, ...]] = []
        for person in "ABCD":
            for month in range(1, 13):
                a = not (person == "B" and month == 3)  # B: a month without Part A
                mc = "Yes" if person == "C" and month == 5 else "no"  # C: managed care
                rows.append((person, dt.date(2024, month, 1), a, 1, mc, None))
        rows.append(("D", None, None, None, None, dt.date(2023, 12, 31)))  # D: died in 2023
        conn.exec_driver_sql("insert into enr values (?, ?, ?, ?, ?, ?)", rows)
    mapping = EnrollmentTable(
        name="enr",
        person_id="pid",
        year_month=None,
        month_start="m",
        part_a="a",
        part_b="b",
        managed_care="mc",
        outside_us=None,
        other_initiative=None,
        death_date="dod",
    )
    summary = attribute(
        engine, replace(inputs, enrollment=mapping), as_of=AS_OF, years=[2024], today=AS_OF
    )
    assert summary.beneficiary_exclusions["yearly|2024"] == {
        "deceased": 1,
        "not_part_a_and_b": 1,
        "managed_care": 1,
        "outside_us": 0,
        "other_initiative": 0,
        "not_excluded": 1,
    }
    assert list(summary.beneficiary_exclusions) == ["current|2024-06-30", "yearly|2024"]
    table = output_tables.table(outputs.BENEFICIARY_EXCLUSIONS, None)
    with engine.connect() as conn:
        got = {
            (r.scope, r.reason): r.beneficiaries
            for r in conn.execute(sa.select(table))
            if r.beneficiaries
        }
        yearly = conn.execute(
            sa.select(output_tables.table(outputs.YEARLY, None).c.person_id)
        ).scalars()
        assert sorted(yearly) == ["A"]
    engine.dispose()
    # current window 2023-07..2024-06: months 2023-07..12 have no rows, so nobody has a
    # one-part month there; B's March and C's May fall in it, D's death does not
    assert got == {
        ("current", "not_part_a_and_b"): 1,
        ("current", "managed_care"): 1,
        ("current", "not_excluded"): 2,
        ("yearly", "deceased"): 1,
        ("yearly", "not_part_a_and_b"): 1,
        ("yearly", "managed_care"): 1,
        ("yearly", "not_excluded"): 1,
    }


def test_validation_names_the_enrollment_column() -> None:
    engine = sa.create_engine("duckdb:///:memory:")
    inputs = _base(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("create table enrollment (person_id varchar, year_month varchar)")
    mapped = replace(inputs, enrollment=EnrollmentTable(part_a=None, part_b=None))
    with engine.connect() as conn:
        found = [c.message for c in errors(preflight(conn, mapped, TUVA))]
    engine.dispose()
    assert any("enrollment has no column managed_care" in m for m in found), found
    assert any("EnrollmentTable(managed_care=...)" in m for m in found), found


def test_sql_text_includes_the_new_rules() -> None:
    claims = replace(Inputs().claims, place_of_service="pos", bill_type="tob")
    inputs = Inputs(claims=claims, enrollment=EnrollmentTable())
    run = build_queries([ScopeKey.yearly(2024)], inputs, method="mssp", today=AS_OF)
    texts = select_texts(run, "postgresql")
    assert set(texts) == set(outputs.WRITTEN)
    text = texts[outputs.BENEFICIARY_EXCLUSIONS]
    assert "not_part_a_and_b" in text
    assert "pa_person_reasons" in text
    assert "pa_setting_hits_0" in texts[outputs.RANKING]
    assert "pa_person_reasons" in texts[outputs.RANKING]
    tuva = select_texts(build_queries([ScopeKey.yearly(2024)], inputs, today=AS_OF), "duckdb")
    assert "pa_setting_hits" not in tuva[outputs.RANKING]


# -- code lists and rosters by performance year (issue 16, items 2a and 2e) -------------------


def test_primary_care_editions_follow_the_mssp_lists() -> None:
    """Codes enter the shipped lists in the performance year CMS added them
    (valuesets/data/README.md); the default stays the newest edition."""
    lists = {y: ValueSets.for_year(y).primary_care_hcpcs for y in (2012, 2016, 2019, 2024, 2025)}
    assert {"99490", "99495", "99496"} <= lists[2016] - lists[2012]
    assert {"99497", "99498", "99484", "G0444"} <= lists[2019] - lists[2016]
    assert {"99421", "99424", "99439", "G0136"} <= lists[2024] - lists[2019]
    assert lists[2025] - lists[2024] == {"G2211"}
    assert ValueSets.for_year().primary_care_hcpcs == lists[2025]
    assert ValueSets.for_year(2017).primary_care_hcpcs == lists[2016]
    assert not {"G0502", "G0507"} & lists[2019]
    assert {"G0502", "G0507"} <= ValueSets.for_year(2018).primary_care_hcpcs
    # a scope key before every edition reads the oldest; for_year itself refuses the year
    assert ValueSets.in_force(2005).primary_care_hcpcs == lists[2012]
    assert ValueSets.in_force(2030).primary_care_hcpcs == lists[2025]
    with pytest.raises(LookupError):
        ValueSets.for_year(2005)
    assert file_editions("primary_care_hcpcs")[0] == 2012
    assert file_editions("specialty_bucket") == (2012,)


def test_each_scope_key_reads_its_years_code_list() -> None:
    """Without value sets, a key's slot is the edition of its rule year (a current key: its
    as-of year); given value sets, one list serves every key."""
    keys = [ScopeKey.current(dt.date(2024, 6, 30)), ScopeKey.yearly(2016), ScopeKey.yearly(2025)]
    assert QueryBuilder(Inputs(), TUVA, None).primary_care_lists() == (
        ValueSets.for_year().primary_care_hcpcs,
    )  # tuva keeps one list: the newest
    by_year = QueryBuilder(Inputs(), MSSP, None)
    editions = file_editions("primary_care_hcpcs")
    lists = by_year.primary_care_lists()
    assert len(lists) == len(editions)
    chosen = [editions[by_year.primary_care_slot(k) - 1] for k in keys]
    assert chosen == [2024, 2016, 2025]
    assert "G2211" in lists[by_year.primary_care_slot(keys[2]) - 1]
    assert "G2211" not in lists[by_year.primary_care_slot(keys[0]) - 1]
    fixed = QueryBuilder(Inputs(), TUVA, ValueSets.for_year(2016))
    assert fixed.primary_care_lists() == (ValueSets.for_year(2016).primary_care_hcpcs,)
    assert {fixed.primary_care_slot(k) for k in keys} == {1}
    # the compiled ranking holds each key's slot in pa_scopes
    run = build_queries(keys, Inputs(), method=MSSP, today=AS_OF)
    text = select_texts(run, "duckdb")[outputs.RANKING]
    assert "pc_slot" in text
    assert "'G2211'" in text or "G2211" in text


def test_roster_mapping_by_performance_year() -> None:
    inputs = Inputs.from_dict({"roster": {"name": "participants", "performance_year": "py"}})
    assert inputs.roster == RosterTable(name="participants", performance_year="py")
    assert Inputs.from_dict({"roster": {}}).roster == RosterTable()
    assert RosterTable().performance_year is None  # date-range mode by default
    # TOML has no null: an empty string unmaps it
    assert Inputs.from_dict({"roster": {"performance_year": ""}}).roster == RosterTable()


def _py_roster_run(engine: sa.Engine, by_year: bool) -> str:
    """PCP in A1 until 2024-12-31 (the 2024 list) and in A2 from 2025-01-01 (the 2025 list);
    one line in March 2024, inside prospective PY2025's window (2023-10 .. 2024-09)."""
    data = Dataset(
        claims=[line("A", PCP, "99213", "2024-03-01", "100")],
        eligibility=months("A", "2023-01", "2025-12"),
        providers=list(PROVIDERS),
        roster=[
            {
                "npi": PCP,
                "aco_id": "A1",
                "performance_year": 2024,
                "end_date": dt.date(2024, 12, 31),
            },
            {
                "npi": PCP,
                "aco_id": "A2",
                "performance_year": 2025,
                "start_date": dt.date(2025, 1, 1),
            },
        ],
        roster_by_year=by_year,
    )
    inputs = load(engine, data, None)
    attribute(engine, inputs, method=MSSP_PROSPECTIVE, years=[2025], current=False, today=AS_OF)
    with engine.connect() as conn:
        table = output_tables.table(outputs.YEARLY, None)
        return str(conn.execute(sa.select(table.c.provider_id)).scalar_one())


def test_roster_by_year_against_date_range_mode() -> None:
    """The same rows: by date, the March 2024 line belongs to A1 (the row in force that day);
    by performance year, PY2025 reads the 2025 list for every line of its window: A2."""
    engine = sa.create_engine("duckdb:///:memory:")
    by_date = _py_roster_run(engine, by_year=False)
    by_year = _py_roster_run(engine, by_year=True)
    engine.dispose()
    assert (by_date, by_year) == ("A1", "A2")
