"""Preflight validation: every class of bad input gets one clear error before any query runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import provider_attribution as pa
from harness import Dataset, load
from provider_attribution.cli import main
from provider_attribution.engines.profiles import profile_for
from provider_attribution.model import outputs
from provider_attribution.model.inputs import Inputs, RosterTable, SelectionTable
from provider_attribution.model.method import MEDICAID, MSSP, TUVA
from provider_attribution.model.windows import months_later
from provider_attribution.warehouse.validate import (
    Check,
    InputError,
    errors,
    preflight,
    require_valid,
    warnings,
)
from scenarios import NPP, PCP, SPEC, line, months

AS_OF = dt.date(2024, 6, 30)
DATA = Dataset(
    claims=[
        line("A", PCP, "99213", "2024-05-02", "100"),
        line("A", SPEC, "99214", "2024-06-03", "500"),
        line("B", NPP, "99213", "2023-11-20", "40", end="2023-11-21"),
    ],
    eligibility=months("A", "2023-01", "2024-06") + months("B", "2023-01", "2024-06"),
    providers=[
        {"npi": PCP, "classification": "207Q00000X"},
        {"npi": NPP, "classification": "363L00000X"},
        {"npi": SPEC, "classification": "207RC0000X"},
    ],
)


@pytest.fixture
def engine() -> Iterator[sa.Engine]:
    """A fresh in-memory DuckDB per test: no outputs of another test around."""
    engine = sa.create_engine("duckdb:///:memory:")
    yield engine
    engine.dispose()


@pytest.fixture
def inputs(engine: sa.Engine) -> Inputs:
    return load(engine, DATA, "raw")


def sql(engine: sa.Engine, *statements: str) -> None:
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)


def check(
    engine: sa.Engine,
    inputs: Inputs,
    method: pa.Method = TUVA,
    *,
    as_of: dt.date | list[dt.date] | None = AS_OF,
    years: list[int] | None = None,
) -> list[Check]:
    with engine.connect() as conn:
        return preflight(conn, inputs, method, as_of=as_of, years=years)


def output_tables(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        insp = sa.inspect(conn)
        names = insp.get_table_names(schema="out") if insp.has_schema("out") else []
    return [n for n in names if n.split("__")[0] in outputs.TABLES]


def assert_run_refused(engine: sa.Engine, inputs: Inputs, *needles: str, **kw: object) -> None:
    """``attribute`` raises InputError naming ``needles`` and writes nothing."""
    with pytest.raises(InputError) as raised:
        pa.attribute(engine, inputs, target_schema="out", **kw)  # type: ignore[arg-type]
    for needle in needles:
        assert needle in str(raised.value)
    assert output_tables(engine) == []


def only_error(checks: list[Check]) -> Check:
    (error,) = errors(checks)
    assert "\n" not in error.message
    return error


# -- a valid set ---------------------------------------------------------------------------------


def test_a_valid_set_has_no_errors_or_warnings(engine: sa.Engine, inputs: Inputs) -> None:
    checks = check(engine, inputs, years=[2023, 2024])
    assert errors(checks) == []
    assert warnings(checks) == []
    require_valid(checks)
    names = {c.name for c in checks}
    assert {"table", "column", "rows", "as_of", "years"} <= names
    summary = pa.attribute(engine, inputs, as_of=AS_OF, years=[2024], target_schema="out")
    assert summary.rows[outputs.CURRENT] == 2


def test_years_may_be_any_iterable(engine: sa.Engine, inputs: Inputs) -> None:
    summary = pa.attribute(engine, inputs, as_of=AS_OF, years=iter([2023, 2024]))
    assert [s.key for s in summary.scopes] == ["2024-06-30", "2023", "2024"]


# -- structure -------------------------------------------------------------------------------------


def test_missing_table(engine: sa.Engine, inputs: Inputs) -> None:
    sql(engine, "DROP TABLE raw.provider")
    error = only_error(check(engine, inputs))
    assert (error.name, error.table, error.column) == ("table", "raw.provider", None)
    assert "raw.provider does not exist" in error.message
    assert "Inputs.providers" in error.message
    assert_run_refused(engine, inputs, "raw.provider does not exist", as_of=AS_OF, years=[])


def test_missing_schema(engine: sa.Engine, inputs: Inputs) -> None:
    moved = replace(inputs, eligibility=replace(inputs.eligibility, schema="nowhere"))
    error = only_error(check(engine, moved))
    assert error.table == "nowhere.member_months"
    assert "schema nowhere does not exist" in error.message


def test_missing_table_suggests_a_close_name(engine: sa.Engine, inputs: Inputs) -> None:
    typo = replace(inputs, claims=replace(inputs.claims, name="medical_claims"))
    error = only_error(check(engine, typo))
    assert "raw.medical_claims does not exist (did you mean 'medical_claim'?)" in error.message


def test_missing_column(engine: sa.Engine, inputs: Inputs) -> None:
    sql(engine, "ALTER TABLE raw.medical_claim DROP COLUMN hcpcs_code")
    error = only_error(check(engine, inputs))
    assert (error.name, error.table, error.column) == ("column", "raw.medical_claim", "hcpcs_code")
    assert "raw.medical_claim has no column hcpcs_code" in error.message
    assert "Inputs.claims.hcpcs_code" in error.message
    assert_run_refused(engine, inputs, "hcpcs_code", as_of=AS_OF, years=[])


def test_misspelt_column_gets_a_suggestion(engine: sa.Engine, inputs: Inputs) -> None:
    typo = replace(inputs, claims=replace(inputs.claims, rendering_npi="rendering_np"))
    error = only_error(check(engine, typo))
    assert "has no column rendering_np (did you mean 'rendering_npi'" in error.message


def test_text_dates(engine: sa.Engine, inputs: Inputs) -> None:
    sql(engine, "ALTER TABLE raw.medical_claim ALTER claim_start_date TYPE VARCHAR")
    error = only_error(check(engine, inputs))
    assert error.column == "claim_start_date"
    assert error.message.startswith(
        "raw.medical_claim.claim_start_date is VARCHAR; attribution needs a DATE: cast it in a "
        "view, e.g. CREATE VIEW raw.medical_claim_typed AS SELECT CAST(claim_start_date AS DATE) "
        "AS claim_start_date"
    )
    assert_run_refused(engine, inputs, "claim_start_date is VARCHAR", as_of=AS_OF, years=[])


def test_the_suggested_view_fixes_text_dates(engine: sa.Engine, inputs: Inputs) -> None:
    sql(
        engine,
        "ALTER TABLE raw.medical_claim ALTER claim_start_date TYPE VARCHAR",
        "CREATE VIEW raw.medical_claim_typed AS SELECT * REPLACE "
        "(CAST(claim_start_date AS DATE) AS claim_start_date) FROM raw.medical_claim",
    )
    fixed = replace(inputs, claims=replace(inputs.claims, name="medical_claim_typed"))
    assert errors(check(engine, fixed)) == []


def test_timestamp_dates_are_a_warning(engine: sa.Engine, inputs: Inputs) -> None:
    sql(engine, "ALTER TABLE raw.medical_claim ALTER claim_end_date TYPE TIMESTAMP")
    checks = check(engine, inputs)
    assert errors(checks) == []
    (warning,) = warnings(checks)
    assert warning.message.startswith("raw.medical_claim.claim_end_date is TIMESTAMP")
    assert "not DATE" in warning.message


def test_numeric_npi(engine: sa.Engine, inputs: Inputs) -> None:
    sql(engine, "ALTER TABLE raw.medical_claim ALTER rendering_npi TYPE BIGINT")
    error = only_error(check(engine, inputs))
    assert error.column == "rendering_npi"
    assert "raw.medical_claim.rendering_npi is BIGINT; attribution needs text" in error.message
    assert "CAST(rendering_npi AS VARCHAR)" in error.message
    assert_run_refused(engine, inputs, "rendering_npi is BIGINT", as_of=AS_OF, years=[])


def test_numeric_person_id(engine: sa.Engine, inputs: Inputs) -> None:
    sql(
        engine,
        "DROP TABLE raw.member_months",
        "CREATE TABLE raw.member_months(person_id INTEGER, year_month VARCHAR(6))",
        "INSERT INTO raw.member_months VALUES (1, '202401')",
    )
    error = only_error(check(engine, inputs))
    assert (error.table, error.column) == ("raw.member_months", "person_id")
    assert "leading zeros" in error.message


def test_text_amounts(engine: sa.Engine, inputs: Inputs) -> None:
    sql(engine, "ALTER TABLE raw.medical_claim ALTER allowed_amount TYPE VARCHAR")
    error = only_error(check(engine, inputs))
    assert error.column == "allowed_amount"
    assert "raw.medical_claim.allowed_amount is VARCHAR; attribution needs a number" in (
        error.message
    )
    assert "CAST(allowed_amount AS NUMERIC(18, 2))" in error.message
    assert_run_refused(engine, inputs, "allowed_amount is VARCHAR", as_of=AS_OF, years=[])


def test_integer_year_month_is_fine(engine: sa.Engine, inputs: Inputs) -> None:
    sql(engine, "ALTER TABLE raw.member_months ALTER year_month TYPE INTEGER")
    assert errors(check(engine, inputs, years=[2024])) == []


def test_date_year_month_points_to_month_start(engine: sa.Engine, inputs: Inputs) -> None:
    sql(
        engine,
        "ALTER TABLE raw.member_months ALTER year_month TYPE DATE "
        "USING strptime(year_month, '%Y%m')",
    )
    error = only_error(check(engine, inputs))
    assert error.column == "year_month"
    assert "month_start='year_month'" in error.message


def test_year_month_values_that_are_not_months(engine: sa.Engine, inputs: Inputs) -> None:
    sql(engine, "INSERT INTO raw.member_months VALUES ('A', '202413')")
    error = only_error(check(engine, inputs))
    assert (error.name, error.column) == ("values", "year_month")
    assert "202413" in error.message
    # unreadable values stop a run even without strict
    assert_run_refused(engine, inputs, "not YYYYMM", as_of=AS_OF, years=[])


def test_year_month_text_that_is_no_number(engine: sa.Engine, inputs: Inputs) -> None:
    sql(engine, "INSERT INTO raw.member_months VALUES ('A', '2024-01')")
    error = only_error(check(engine, inputs))
    assert error.name == "values"
    assert error.table == "raw.member_months"
    assert "reading year_month as months failed" in error.message
    assert "store year_month as YYYYMM text or integers" in error.message


def test_every_error_on_its_own_line(engine: sa.Engine, inputs: Inputs) -> None:
    sql(
        engine,
        "ALTER TABLE raw.medical_claim ALTER allowed_amount TYPE VARCHAR",
        "ALTER TABLE raw.provider DROP COLUMN classification",
    )
    with pytest.raises(InputError) as raised:
        require_valid(check(engine, inputs))
    lines = str(raised.value).splitlines()
    assert len(lines) == len(raised.value.checks) == 2
    assert "allowed_amount" in lines[0]
    assert "classification" in lines[1]


# -- data ----------------------------------------------------------------------------------------


def test_empty_claims(engine: sa.Engine, inputs: Inputs) -> None:
    sql(engine, "DELETE FROM raw.medical_claim")
    error = only_error(check(engine, inputs))
    assert (error.name, error.table) == ("rows", "raw.medical_claim")
    assert "raw.medical_claim is empty" in error.message
    assert_run_refused(engine, inputs, "raw.medical_claim is empty", as_of=AS_OF, strict=True)


def test_empty_inputs_do_not_stop_a_non_strict_run(engine: sa.Engine, inputs: Inputs) -> None:
    """The rules define the result (everyone falls back), so only ``strict`` refuses it."""
    sql(engine, "DELETE FROM raw.medical_claim")
    summary = pa.attribute(engine, inputs, as_of=AS_OF, years=[])
    assert summary.scopes[0].fallback == summary.scopes[0].members == 2


def test_empty_eligibility(engine: sa.Engine, inputs: Inputs) -> None:
    sql(engine, "DELETE FROM raw.member_months")
    error = only_error(check(engine, inputs, years=[2024]))
    assert (error.name, error.table) == ("rows", "raw.member_months")
    assert "raw.member_months is empty" in error.message
    assert_run_refused(engine, inputs, "raw.member_months is empty", as_of=AS_OF, strict=True)


def test_empty_providers_is_a_warning(engine: sa.Engine, inputs: Inputs) -> None:
    sql(engine, "DELETE FROM raw.provider")
    checks = check(engine, inputs)
    assert errors(checks) == []
    (warning,) = warnings(checks)
    assert (warning.table, warning.severity) == ("raw.provider", "warning")
    assert "raw.provider is empty" in warning.message
    summary = pa.attribute(engine, inputs, as_of=AS_OF, years=[], strict=True)
    assert summary.scopes[0].members == 2


def test_as_of_before_the_data(engine: sa.Engine, inputs: Inputs) -> None:
    error = only_error(check(engine, inputs, as_of=dt.date(2020, 1, 1)))
    assert error.name == "as_of"
    assert "as-of date 2020-01-01 is before the earliest claim service date 2023-11-20" in (
        error.message
    )
    assert "raw.medical_claim" in error.message
    assert_run_refused(
        engine, inputs, "2020-01-01", "2023-11-20", as_of=dt.date(2020, 1, 1), strict=True
    )


def test_as_of_far_after_the_data(engine: sa.Engine, inputs: Inputs) -> None:
    assert errors(check(engine, inputs, as_of=dt.date(2026, 6, 3))) == []
    error = only_error(check(engine, inputs, as_of=dt.date(2026, 6, 4)))
    assert error.name == "as_of"
    assert "as-of date 2026-06-04 is more than 24 months after the latest claim end date " in (
        error.message
    )
    assert "2024-06-03" in error.message
    assert_run_refused(
        engine, inputs, "2026-06-04", "2024-06-03", as_of=dt.date(2026, 6, 4), strict=True
    )


def test_each_of_several_as_of_dates_is_checked(engine: sa.Engine, inputs: Inputs) -> None:
    dates = [dt.date(2020, 1, 1), AS_OF, dt.date(2026, 6, 4)]
    checks = [c for c in check(engine, inputs, as_of=dates) if c.name == "as_of"]
    by_date = {d: [c for c in checks if f"as-of date {d}" in c.message] for d in dates}
    assert [len(found) for found in by_date.values()] == [2, 2, 2]  # claims and eligibility
    bad = {c.message.split(" ")[2] for c in errors(checks)}
    assert bad == {"2020-01-01", "2026-06-04"}
    assert_run_refused(engine, inputs, "2020-01-01", "2026-06-04", as_of=dates, strict=True)


@pytest.mark.parametrize(
    ("day", "months", "later"),
    [
        ("2024-01-31", 1, "2024-02-29"),  # clamped to the month's last day
        ("2023-01-31", 13, "2024-02-29"),
        ("2024-06-03", 24, "2026-06-03"),
        ("9997-12-31", 24, "9999-12-31"),  # exactly the last date
        ("9998-01-15", 24, "9999-12-31"),  # beyond it: clamped, not 'year 10000 out of range'
        ("9999-12-31", 24, "9999-12-31"),
    ],
)
def test_months_later_clamps_at_the_last_representable_date(
    day: str, months: int, later: str
) -> None:
    assert months_later(dt.date.fromisoformat(day), months) == dt.date.fromisoformat(later)


def test_as_of_check_near_year_9999(tmp_path: Path) -> None:
    """Claims within 24 months of 9999-12-31: every as-of date up to it is accepted, and one
    before the claims is still refused, naming the last date as the latest allowed."""
    engine = sa.create_engine(f"duckdb:///{tmp_path / 'w.duckdb'}")
    data = Dataset(
        claims=[line("A", PCP, "99213", "9999-03-01", "10")],
        eligibility=months("A", "9999-01", "9999-12"),
        providers=[{"npi": PCP, "classification": "207Q00000X"}],
    )
    late = load(engine, data, "raw")
    assert errors(check(engine, late, as_of=dt.date(9999, 12, 31))) == []
    error = only_error(check(engine, late, as_of=dt.date(9999, 1, 1)))
    assert error.name == "as_of"
    assert "give an as-of date from 9999-03-01 to 9999-12-31" in error.message


def test_years_without_eligibility_are_a_warning(engine: sa.Engine, inputs: Inputs) -> None:
    checks = check(engine, inputs, years=[2024, 2030])
    assert errors(checks) == []
    (warning,) = warnings(checks)
    assert (warning.name, warning.table, warning.column) == (
        "years",
        "raw.member_months",
        "year_month",
    )
    assert "performance year 2030: no member month" in warning.message
    assert "2030-01 .. 2030-12" in warning.message


# -- methods -------------------------------------------------------------------------------------


def test_method_path_without_its_input_is_a_warning(engine: sa.Engine, inputs: Inputs) -> None:
    checks = check(engine, inputs, MEDICAID)
    assert errors(checks) == []
    messages = [w.message for w in warnings(checks)]
    assert len(messages) == 2
    assert "'self_selection'" in messages[0]
    assert "Inputs.self_selections" in messages[0]
    assert "'geographic'" in messages[1]
    assert "Inputs.geographic" in messages[1]


def test_aco_method_without_roster_is_a_warning(engine: sa.Engine, inputs: Inputs) -> None:
    checks = check(engine, inputs, MSSP)
    assert errors(checks) == []
    text = "\n".join(w.message for w in warnings(checks))
    assert "Inputs.roster" in text
    assert "Inputs.self_selections" in text
    assert "Inputs.attested" in text


def test_optional_input_the_method_reads_is_checked(engine: sa.Engine, inputs: Inputs) -> None:
    mapped = replace(inputs, self_selections=SelectionTable(schema="raw", name="choices"))
    (error,) = errors(check(engine, mapped, MEDICAID))
    assert error.table == "raw.choices"
    # a method that does not read it only warns
    checks = check(engine, mapped, TUVA)
    assert errors(checks) == []
    assert [w.table for w in warnings(checks)] == ["raw.choices"]


def _year_roster(engine: sa.Engine, inputs: Inputs, column_type: str, *values: str) -> Inputs:
    """A roster by performance year in raw.py_roster with ``performance_year`` values."""
    sql(
        engine,
        f"CREATE TABLE raw.py_roster (npi VARCHAR, tin VARCHAR, aco_id VARCHAR, "
        f"performance_year {column_type})",
        *(f"INSERT INTO raw.py_roster VALUES ('{PCP}', NULL, 'A1', {v})" for v in values),
    )
    roster = RosterTable(schema="raw", name="py_roster", performance_year="performance_year")
    return replace(inputs, roster=roster)


def test_roster_by_year_reads_no_dates(engine: sa.Engine, inputs: Inputs) -> None:
    # the table has no start_date/end_date columns: not an error once the year is mapped
    mapped = _year_roster(engine, inputs, "INTEGER", "2024", "2025")
    checks = check(engine, mapped, MSSP, years=[2024, 2025])
    assert errors(checks) == []
    assert not [c for c in warnings(checks) if c.table == "raw.py_roster"]
    assert any(c.ok and "has years 2024, 2025" in c.message for c in checks)
    assert mapped.roster is not None
    dated = replace(mapped, roster=replace(mapped.roster, performance_year=None))
    missing = {e.column for e in errors(check(engine, dated, MSSP))}
    assert missing == {"start_date", "end_date"}


def test_roster_year_must_be_an_integer(engine: sa.Engine, inputs: Inputs) -> None:
    mapped = _year_roster(engine, inputs, "VARCHAR", "'2025'")
    (error,) = errors(check(engine, mapped, MSSP))
    assert (error.table, error.column) == ("raw.py_roster", "performance_year")
    assert "must be an integer year" in error.message
    assert "CAST(performance_year AS INTEGER)" in error.message


def test_roster_year_nulls_and_non_years(engine: sa.Engine, inputs: Inputs) -> None:
    mapped = _year_roster(engine, inputs, "INTEGER", "2025", "NULL", "NULL", "25")
    found = sorted(e.message for e in errors(check(engine, mapped, MSSP)))
    assert len(found) == 2
    assert "raw.py_roster.performance_year is null on 2 rows" in found[1]
    assert "raw.py_roster.performance_year has values that are not years (e.g. 25)" in found[0]
    # a requested year the roster lacks is a warning naming the table
    checks = check(engine, _year_roster_ok(engine, inputs), MSSP, years=[2023])
    (warning,) = [w for w in warnings(checks) if w.table == "raw.py_roster2"]
    assert "performance year 2023 has no row in raw.py_roster2" in warning.message


def _year_roster_ok(engine: sa.Engine, inputs: Inputs) -> Inputs:
    sql(
        engine,
        "CREATE TABLE raw.py_roster2 (npi VARCHAR, tin VARCHAR, aco_id VARCHAR, "
        "performance_year SMALLINT)",
        f"INSERT INTO raw.py_roster2 VALUES ('{PCP}', NULL, 'A1', 2024)",
    )
    roster = RosterTable(schema="raw", name="py_roster2", performance_year="performance_year")
    return replace(inputs, roster=roster)


def test_unknown_method_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["validate", "--url", "duckdb://", "--method", "nope"])
    assert result.exit_code == 2
    assert "unknown method 'nope'" in result.output


def test_unknown_code_list_edition_is_a_usage_error(tmp_path: Path) -> None:
    method = tmp_path / "plan.toml"
    method.write_text('name = "plan"\nbased_on = "tuva"\n[value_sets]\nedition = 1990\n')
    result = CliRunner().invoke(main, ["validate", "--url", "duckdb://", "--method", str(method)])
    assert result.exit_code == 2
    assert "value_sets: no edition of value set 'primary_care_hcpcs' covers year 1990" in (
        result.output
    )


# -- names -----------------------------------------------------------------------------------------


def test_mixed_case_quoted_identifiers_are_valid(engine: sa.Engine) -> None:
    sql(
        engine,
        'create schema "Raw Data"',
        'create table "Raw Data"."Lines"("Member" varchar, "Claim" varchar, "Line" int, '
        '"NPI" varchar, "Code" varchar, "From" date, "Thru" date, "Allowed" decimal(18,2), '
        '"Paid" decimal(18,2))',
        "insert into \"Raw Data\".\"Lines\" values ('m1','c1',1,'1234567893','99213','2024-03-05',"
        "'2024-03-05',10,5)",
        'create table "Raw Data"."Enrol"("Member" varchar, "Month" date)',
        "insert into \"Raw Data\".\"Enrol\" values ('m1', '2024-03-01')",
        'create table "Raw Data"."NPIs"("NPI" varchar, "Bucket" varchar)',
        "insert into \"Raw Data\".\"NPIs\" values ('1234567893','pcp')",
    )
    mixed = pa.Inputs(
        claims=pa.ClaimsTable(
            name="Lines",
            schema="Raw Data",
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
            name="Enrol",
            schema="Raw Data",
            person_id="Member",
            year_month=None,
            month_start="Month",
        ),
        providers=pa.ProvidersTable(
            name="NPIs",
            schema="Raw Data",
            npi="NPI",
            classification="Bucket",
            classification_kind=pa.Classification.BUCKET,
            entity_type=None,
        ),
    )
    as_of = dt.date(2024, 3, 31)
    checks = check(engine, mixed, as_of=as_of, years=[2024])
    assert errors(checks) == []
    assert warnings(checks) == []
    # DuckDB resolves names without regard to case: so does the check, in the mapping's spelling
    folded = replace(mixed, claims=replace(mixed.claims, person_id="member", name="lines"))
    checks = check(engine, folded, as_of=as_of)
    assert errors(checks) == []
    assert ("Raw Data.lines", "member") in {(c.table, c.column) for c in checks}
    summary = pa.attribute(engine, folded, as_of=as_of, years=[], strict=True)
    assert summary.scopes[0].by_step == {1: 1}


def test_name_case_rules_per_engine() -> None:
    from snowflake.sqlalchemy import dialect as snowflake_dialect

    postgres = sa.create_engine("postgresql+psycopg://").dialect
    snowflake = snowflake_dialect()
    duckdb = sa.create_engine("duckdb://").dialect

    def resolves(dialect: sa.Dialect, wanted: str, actual: str) -> bool:
        return profile_for(dialect.name).resolves_other_case(dialect, wanted, actual)

    # Snowflake reflects PERSON_ID as person_id; both spellings reach it, a mixed one does not
    assert resolves(snowflake, "PERSON_ID", "person_id")
    assert not resolves(snowflake, "Person_Id", "person_id")
    # PostgreSQL: a quoted name must match exactly
    assert not resolves(postgres, "Member", "member")
    assert resolves(duckdb, "Member", "member")


def test_sqlite_columns_without_declared_types_are_not_type_checked(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'w.db'}")
    sql(
        engine,
        "create table medical_claim(person_id, claim_id, claim_line_number, encounter_id, "
        "rendering_npi, hcpcs_code, claim_start_date, claim_end_date, allowed_amount, "
        "paid_amount)",
        "insert into medical_claim values "
        "('A','c1',1,'e1','1111111111','99213','2024-05-02','2024-05-02',100,100)",
        "create table member_months(person_id, year_month)",
        "insert into member_months values ('A', '202405')",
        "create table provider(npi, primary_taxonomy_code, entity_type_description)",
        "insert into provider values ('1111111111', '207Q00000X', 'Individual')",
    )
    checks = check(engine, Inputs().in_schema(None))
    engine.dispose()
    assert errors(checks) == []
    assert warnings(checks) == []


def test_sqlite_declared_types_are_checked(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'w.db'}")
    inputs = load(engine, DATA, None)
    assert errors(check(engine, inputs)) == []
    sql(engine, "alter table provider rename to provider_old")
    sql(engine, "create table provider(npi integer, classification text)")
    error = only_error(check(engine, inputs))
    engine.dispose()
    assert (error.table, error.column) == ("provider", "npi")
    assert "provider.npi is INTEGER; attribution needs text" in error.message


def test_sqlite_text_dates_are_a_warning(tmp_path: Path) -> None:
    """SQLite keeps dates as ISO text anyway: a TEXT date column works if its values are ISO."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'w.db'}")
    inputs = load(engine, DATA, None)
    sql(
        engine,
        "alter table medical_claim rename to medical_claim_old",
        "create table medical_claim(person_id text, claim_id text, claim_line_number int, "
        "encounter_id text, rendering_npi text, hcpcs_code text, claim_start_date text, "
        "claim_end_date date, allowed_amount decimal(18,2), paid_amount decimal(18,2), tin text, "
        "revenue_center_code text, attending_npi text, place_of_service text, bill_type text)",
        "insert into medical_claim select * from medical_claim_old",
    )
    checks = check(engine, inputs)
    summary = pa.attribute(engine, inputs, as_of=AS_OF, years=[], strict=True)
    engine.dispose()
    assert errors(checks) == []
    (warning,) = warnings(checks)
    assert warning.message.startswith("medical_claim.claim_start_date is TEXT, not DATE")
    assert summary.scopes[0].by_step == {1: 2}


# -- command line --------------------------------------------------------------------------------


def _db(tmp_path: Path) -> tuple[str, Inputs]:
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    engine = sa.create_engine(url)
    inputs = load(engine, DATA, "raw")
    engine.dispose()
    return url, inputs


def test_validate_command_passes_a_valid_set(tmp_path: Path) -> None:
    url, _ = _db(tmp_path)
    result = CliRunner().invoke(
        main,
        ["validate", "--url", url, "--inputs-schema", "raw", "--as-of", "2024-06-30"],
    )
    # the default mapping names the Tuva column primary_taxonomy_code: one error
    assert result.exit_code == 1, result.output
    assert "raw.provider has no column primary_taxonomy_code" in result.output
    assert "✗" in result.output
    assert "✓" in result.output


def test_validate_command_with_an_inputs_file(tmp_path: Path) -> None:
    import json

    url, inputs = _db(tmp_path)
    mapping = tmp_path / "inputs.json"
    mapping.write_text(json.dumps(inputs.to_dict()))
    args = ["validate", "--url", url, "--inputs", str(mapping), "--as-of", "2024-06-30"]
    result = CliRunner().invoke(main, [*args, "--years", "2024"])
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings" in result.output
    result = CliRunner().invoke(main, [*args, "--years", "2030", "--method", "medicaid"])
    assert result.exit_code == 0, result.output
    assert "! warning: performance year 2030" in result.output
    assert "0 errors, 3 warnings" in result.output
    result = CliRunner().invoke(
        main, ["validate", "--url", url, "--inputs", str(mapping), "--as-of", "2019-01-01"]
    )
    assert result.exit_code == 1
    assert "✗ error: as-of date 2019-01-01 is before" in result.output


def test_run_command_reports_bad_input_cleanly(tmp_path: Path) -> None:
    url, _ = _db(tmp_path)
    result = CliRunner().invoke(main, ["run", "--url", url, "--inputs-schema", "raw"])
    assert result.exit_code == 1
    assert "the inputs cannot be attributed" in result.output
    assert "primary_taxonomy_code" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
