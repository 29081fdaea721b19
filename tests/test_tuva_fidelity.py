"""The Tuva input layer as defaults, and the tuva_mart options in method files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

import provider_attribution as pa
from provider_attribution.model.inputs import Inputs
from provider_attribution.model.method import PRESETS, TUVA, TUVA_MART
from provider_attribution.model.method_file import MethodFileError, method_from_dict
from provider_attribution.warehouse.validate import InputError, errors, preflight
from scenarios import NPP, ORG, PCP

AS_OF = dt.date(2024, 6, 30)
TODAY = dt.date(2026, 1, 1)


@pytest.fixture
def engine() -> Iterator[sa.Engine]:
    engine = sa.create_engine("duckdb:///:memory:")
    yield engine
    engine.dispose()


def _tuva_tables(engine: sa.Engine, directory: str, *, encounter: bool = True) -> None:
    """Tuva-shaped inputs: claims with encounter_id, member months, a provider directory with
    entity type descriptions in schema ``directory``."""
    enc = "encounter_id VARCHAR," if encounter else ""
    claims = [
        # person, claim, encounter, npi, start, end, allowed
        ("A", "c1", "e1", PCP, "2024-05-02", "2024-05-02", "100"),
        ("A", "c2", "e1", PCP, "2024-05-02", "2024-05-02", "20"),  # same visit
        ("A", "c3", "e2", ORG, "2024-05-03", "2024-05-03", "900"),  # an organization
        ("A", "c4", "e3", NPP, "2024-06-25", "2024-07-02", "500"),  # ends after the as-of date
    ]
    with engine.begin() as conn:
        for schema in ("core", directory):
            conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        conn.exec_driver_sql(
            "CREATE TABLE core.medical_claim (person_id VARCHAR, claim_id VARCHAR, "
            f"claim_line_number INTEGER, {enc} rendering_npi VARCHAR, hcpcs_code VARCHAR, "
            "claim_start_date DATE, claim_end_date DATE, allowed_amount DECIMAL(18,2), "
            "paid_amount DECIMAL(18,2))"
        )
        for person, claim, encounter_id, npi, start, end, allowed in claims:
            values = f"'{person}', '{claim}', 1, " + (f"'{encounter_id}', " if encounter else "")
            conn.exec_driver_sql(
                f"INSERT INTO core.medical_claim VALUES ({values}'{npi}', '99213', "
                f"DATE '{start}', DATE '{end}', {allowed}, NULL)"
            )
        conn.exec_driver_sql(
            "CREATE TABLE core.member_months (person_id VARCHAR, year_month VARCHAR)"
        )
        conn.exec_driver_sql(
            "INSERT INTO core.member_months SELECT 'A', strftime(d, '%Y%m') FROM "
            "range(DATE '2023-01-01', DATE '2024-12-01', INTERVAL 1 MONTH) t(d)"
        )
        conn.exec_driver_sql(
            f"CREATE TABLE {directory}.provider (npi VARCHAR, primary_taxonomy_code VARCHAR, "
            "entity_type_description VARCHAR, primary_specialty_description VARCHAR)"
        )
        conn.exec_driver_sql(
            f"INSERT INTO {directory}.provider VALUES "
            f"('{PCP}', '207Q00000X', 'Individual', 'Family Practice'), "
            f"('{NPP}', '363L00000X', 'Individual', 'Nurse Practitioner'), "
            f"('{ORG}', '207Q00000X', 'Organization', 'Clinic/Center')"
        )


def _assigned(engine: sa.Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.text(
                    "SELECT provider_id, allowed_amount, visits, prov_specialty "
                    "FROM out.assigned_beneficiaries_current"
                )
            )
        )


def test_defaults_map_the_tuva_input_layer() -> None:
    inputs = Inputs()
    assert inputs.claims.encounter_id == "encounter_id"
    assert inputs.providers.entity_type == "entity_type_description"
    assert inputs.providers.specialty_description is None
    assert (inputs.providers.schema, inputs.providers.name) == ("terminology", "provider")


@pytest.mark.parametrize("directory", ["terminology", "provider_data"])
def test_a_tuva_warehouse_needs_no_mapping(engine: sa.Engine, directory: str) -> None:
    """Either directory location; encounters make visits; Organization NPIs are left out; the
    line ending after the as-of date is out of the current scope."""
    _tuva_tables(engine, directory)
    summary = pa.attribute(
        engine, as_of=AS_OF, years=[], target_schema="out", today=TODAY, strict=True
    )
    assert [row[:3] for row in _assigned(engine)] == [(PCP, Decimal("120.00"), 1)]
    assert summary.exclusions["organizational_npi"] == 1
    assert summary.exclusions["outside_window"] == 1
    assert summary.exclusions["used"] == 2


def test_terminology_provider_wins_when_both_exist(engine: sa.Engine) -> None:
    _tuva_tables(engine, "provider_data")
    with engine.begin() as conn:  # an empty directory under the pre-0.18 name
        conn.exec_driver_sql("CREATE SCHEMA terminology")
        conn.exec_driver_sql(
            "CREATE TABLE terminology.provider AS SELECT * FROM provider_data.provider LIMIT 0"
        )
    summary = pa.attribute(engine, as_of=AS_OF, years=[], target_schema="out", today=TODAY)
    assert summary.exclusions["organizational_npi"] == 0  # provider_data.provider not read


def test_no_directory_names_both_locations(engine: sa.Engine) -> None:
    _tuva_tables(engine, "elsewhere")
    with pytest.raises(InputError) as raised:
        pa.attribute(engine, as_of=AS_OF, years=[], target_schema="out", today=TODAY)
    message = str(raised.value)
    assert "terminology does not exist" in message
    assert "provider_data.provider" in message


def test_a_missing_default_column_says_how_to_unmap_it(engine: sa.Engine) -> None:
    _tuva_tables(engine, "terminology", encounter=False)
    with engine.connect() as conn:
        (error,) = errors(preflight(conn, Inputs(), TUVA, as_of=AS_OF))
    assert error.column == "encounter_id"
    assert "ClaimsTable(encounter_id=None)" in error.message
    assert 'encounter_id = ""' in error.message
    unmapped = replace(Inputs(), claims=replace(Inputs().claims, encounter_id=None))
    pa.attribute(engine, unmapped, as_of=AS_OF, years=[], target_schema="out", today=TODAY)
    # without encounters each claim is a visit
    assert [row[:3] for row in _assigned(engine)] == [(PCP, Decimal("120.00"), 2)]


def test_an_empty_string_unmaps_an_optional_column_in_an_inputs_file() -> None:
    inputs = Inputs.from_dict(
        {"claims": {"encounter_id": ""}, "providers": {"entity_type": "", "npi": "npi"}}
    )
    assert inputs.claims.encounter_id is None
    assert inputs.providers.entity_type is None
    # a required column is not unmapped (validation then reports the column "" missing)
    assert Inputs.from_dict({"claims": {"person_id": ""}}).claims.person_id == ""


def test_tuva_mart_on_a_tuva_warehouse(engine: sa.Engine) -> None:
    """The preset with the directory's specialty text mapped, as the README says."""
    _tuva_tables(engine, "provider_data")
    mapping = {"providers": {"specialty_description": "primary_specialty_description"}}
    inputs = Inputs.from_dict(mapping)
    pa.attribute(
        engine, inputs, method="tuva_mart", as_of=AS_OF, years=[], target_schema="out", today=TODAY
    )
    assert _assigned(engine) == [(PCP, Decimal("120.00"), 1, "Family Practice")]
    with engine.connect() as conn:
        description = conn.execute(
            sa.text("SELECT step_description FROM out.assigned_beneficiaries_current")
        ).scalar_one()
    assert description == "12-month PCP/NPP primary-care HCPCS"


def test_tuva_mart_is_a_preset_and_a_base_for_method_files() -> None:
    assert PRESETS["tuva_mart"] is TUVA_MART
    loaded = method_from_dict(
        {"name": "mine", "based_on": "tuva_mart", "collapse_duplicates": True}
    ).method
    assert loaded.collapse_duplicates
    assert loaded.directory_required
    assert loaded.passes == TUVA_MART.passes
    options = {
        "name": "all-options",
        "based_on": "tuva",
        "service_date_start_only": True,
        "collapse_duplicates": False,
        "drop_reversed_claims": False,
        "directory_required": True,
        "visits_from_encounters": True,
        "unknown_bucket_label": "other_individual",
        "yearly_fallback_eligibility_window": True,
        "check_npi": False,
    }
    method = method_from_dict(options).method
    assert replace(method, name="tuva_mart", passes=TUVA_MART.passes) == TUVA_MART


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"directory_required": "yes"}, "method.directory_required: expected true or false"),
        ({"unknown_bucket_label": 3}, "method.unknown_bucket_label: expected text"),
        ({"unknown_bucket_label": "pcp"}, "unknown_bucket_label must be"),
        ({"unknown_bucket_label": " x"}, "unknown_bucket_label must be"),
        ({"visits_from_encounter": True}, "unknown keys ['visits_from_encounter']"),
    ],
)
def test_option_errors_name_the_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(MethodFileError) as raised:
        method_from_dict({"name": "x", "based_on": "tuva", **data})
    assert message in str(raised.value)


def test_visits_from_encounters_without_encounters_is_a_warning(engine: sa.Engine) -> None:
    _tuva_tables(engine, "terminology", encounter=False)
    inputs = replace(Inputs(), claims=replace(Inputs().claims, encounter_id=None))
    with engine.connect() as conn:
        checks = preflight(conn, inputs, TUVA_MART, as_of=AS_OF)
    (warning,) = [c for c in checks if c.name == "method" and not c.ok]
    assert "encounter_id is not mapped" in warning.message
