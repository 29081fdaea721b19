"""MSSP setting exclusions and beneficiary exclusions: method files, input mapping, typed flag
columns, validation and the SQL text. The rules themselves are in tests/scenarios.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
import sqlalchemy as sa

from harness import Dataset, load
from provider_attribution.emit.sqltext import select_texts
from provider_attribution.engines import output_tables
from provider_attribution.model import outputs
from provider_attribution.model.inputs import EnrollmentTable, Inputs
from provider_attribution.model.method import MSSP, MSSP_PROSPECTIVE, TUVA, SettingExclusion
from provider_attribution.model.method_file import MethodFileError, method_from_dict
from provider_attribution.model.windows import ScopeKey
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
        rows = []
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
