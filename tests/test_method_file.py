"""Custom methods from files: parsing, validation errors, and their effect on a run."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from harness import run_sql
from provider_attribution.cli import main
from provider_attribution.model import outputs
from provider_attribution.model.method import (
    MEDICAID,
    MSSP,
    MSSP_PRE_STEP,
    Gate,
    RankKey,
    Requirement,
    Services,
)
from provider_attribution.model.method import Path as AttributionPath
from provider_attribution.model.method_file import MethodFileError, load_method, method_from_dict
from scenarios import NPP, PCP, Scenario, line, months

FULL = """
name = "acme"
unit = "aco"
paths = ["claims", "geographic"]
ranking = ["allowed_amount_desc", "last_service_desc"]
eligibility_months = 6
fqhc_revenue_codes = [" 0521 "]
year_anchor_offset_months = -3

[year_anchors]
2025 = 2025-06-30

[[passes]]
months = 12
buckets = ["pcp", "npp"]
services = "primary_care"
description = "recent PCP/NPP"
weights = [[6, 2], [12, 1]]

[[passes]]
months = 24
services = "any"
description = "anything"

[gate]
months = 12
buckets = ["pcp"]
services = "primary_care"
participants_only = false

[fallback]
provider_id = "NONE"

[value_sets]
edition = 2025
extra_primary_care_codes = ["x9999"]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_full_toml_method(tmp_path: Path) -> None:
    loaded = load_method(write(tmp_path, "acme.toml", FULL))
    m = loaded.method
    assert m.name == "acme"
    assert m.unit.value == "aco"
    assert m.paths == (AttributionPath.CLAIMS, AttributionPath.GEOGRAPHIC)
    assert m.ranking == (RankKey.ALLOWED_DESC, RankKey.LAST_SERVICE_DESC)
    assert m.eligibility_months == 6
    assert m.fqhc_revenue_codes == {"0521"}
    assert m.year_anchor(2024) == dt.date(2024, 9, 30)
    assert m.year_anchor(2025) == dt.date(2025, 6, 30)
    assert m.passes[0].weights == ((6, 2), (12, 1))
    assert m.passes[0].buckets == frozenset({"pcp", "npp"})
    assert m.passes[1].buckets is None
    assert m.gate == Gate(12, frozenset({"pcp"}), Services.PRIMARY_CARE, participants_only=False)
    assert m.fallback.provider_id == "NONE"
    assert loaded.valuesets is not None
    assert "X9999" in loaded.valuesets.primary_care_hcpcs
    assert "99213" in loaded.valuesets.primary_care_hcpcs


def test_yaml_and_json_say_the_same(tmp_path: Path) -> None:
    data = {
        "name": "plan",
        "based_on": "medicaid",
        "paths": ["self_selection", "claims", "geographic"],
    }
    yaml_text = "name: plan\nbased_on: medicaid\npaths: [self_selection, claims, geographic]\n"
    from_yaml = load_method(write(tmp_path, "m.yaml", yaml_text)).method
    from_json = load_method(write(tmp_path, "m.json", json.dumps(data))).method
    assert from_yaml == from_json
    assert from_yaml.passes == MEDICAID.passes
    assert from_yaml.paths[0] is AttributionPath.SELF_SELECTION


MSSP_BY_HAND = """
name = "mssp-by-hand"
based_on = "mssp"
gate = "pre_step"

[gates.pre_step]
months = 12
buckets = ["pcp", "specialist"]
services = "primary_care"

[gates.npp_participant_12]
months = 12
buckets = ["npp"]
services = "primary_care"
participants_only = true

[gates.physician_participant_24]
months = 24
buckets = ["pcp", "specialist"]
services = "primary_care"

[[passes]]
months = 12
buckets = ["pcp", "npp"]
services = "primary_care"
description = "Step 1: primary care by PCPs and NPPs"

[[passes]]
months = 12
buckets = ["specialist"]
services = "primary_care"
description = "Step 2: primary care by specialists"

[[passes]]
months = 24
buckets = ["pcp", "npp", "specialist"]
services = "primary_care"
description = "Step 3: expanded window, 24-month primary care"
requires = ["not pre_step", "npp_participant_12", "physician_participant_24"]
from_year = 2025
"""


def test_a_file_states_mssp_step_3(tmp_path: Path) -> None:
    m = load_method(write(tmp_path, "mssp.toml", MSSP_BY_HAND)).method
    assert m.passes == MSSP.passes
    assert m.gate == MSSP.gate
    assert m.passes[0].requires is None  # the method's gate
    assert m.passes[2].requires is not None
    assert m.passes[2].requires[0] == Requirement(MSSP_PRE_STEP, negated=True)


def test_passes_name_the_base_presets_gates_and_opt_out() -> None:
    data = {
        "name": "x",
        "based_on": "mssp",
        "passes": [
            {"months": 12, "services": "any", "description": "ungated", "requires": []},
            {
                "months": 24,
                "services": "any",
                "description": "late",
                "requires": ["gate", "not npp_participant_12"],
                "from_year": 2030,
            },
        ],
    }
    m = method_from_dict(data).method
    assert m.passes[0].requires == ()
    late = m.passes[1]
    assert late.from_year == 2030
    assert late.requires is not None
    assert [(r.gate.name, r.negated) for r in late.requires] == [
        ("pre_step", False),
        ("npp_participant_12", True),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "x", "passes": [], "colour": 1}, r"method: unknown keys \['colour'\]"),
        ({"name": "x"}, "give passes, or based_on a preset"),
        ({"based_on": "tuva"}, "missing key 'name'"),
        ({"name": "x", "based_on": "nope"}, r"method.based_on: unknown preset 'nope'"),
        ({"name": "x", "based_on": "tuva", "unit": "tin"}, r"method.unit: 'tin' is not one of"),
        ({"name": "x", "based_on": "tuva", "paths": ["mail"]}, r"method.paths: 'mail'"),
        (
            {"name": "x", "passes": [{"months": 12, "services": "any"}]},
            r"method.passes\[0\]: missing key 'description'",
        ),
        (
            {
                "name": "x",
                "passes": [
                    {"months": 12, "services": "any", "description": "d", "buckets": ["gp"]}
                ],
            },
            r"method.passes\[0\].buckets: \['gp'\] are not buckets",
        ),
        (
            {"name": "x", "passes": [{"months": "12", "services": "any", "description": "d"}]},
            r"method.passes\[0\].months: expected an integer",
        ),
        (
            {
                "name": "x",
                "passes": [
                    {
                        "months": 12,
                        "services": "any",
                        "description": "d",
                        "weights": [[6, 1], [12, 1]],
                    }
                ],
            },
            r"method.passes\[0\]: .*odd sum",
        ),
        (
            {"name": "x", "based_on": "tuva", "year_anchors": {"2025": "June"}},
            r"method.year_anchors.2025: expected YYYY-MM-DD",
        ),
        (
            {"name": "x", "based_on": "tuva", "value_sets": {"edition": 1999}},
            r"method.value_sets: no edition",
        ),
        (
            {"name": "x", "based_on": "tuva", "gate": "pre_step"},
            r"method.gate: unknown gate 'pre_step'; gates: \[\]",
        ),
        (
            {"name": "x", "based_on": "tuva", "gates": ["g"]},
            r"method.gates: expected a table of name = gate",
        ),
        (
            {"name": "x", "based_on": "tuva", "gates": {"g": {"months": 12, "services": "x"}}},
            r"method.gates.g.services: 'x' is not one of",
        ),
        (
            {
                "name": "x",
                "based_on": "mssp",
                "passes": [
                    {"months": 12, "services": "any", "description": "d", "requires": ["nott"]}
                ],
            },
            r"method.passes\[0\].requires\[0\]: 'nott' is not a gate name or 'not NAME'; "
            r"gates: \['gate', 'npp_participant_12', 'physician_participant_24', 'pre_step'\]",
        ),
        (
            {
                "name": "x",
                "based_on": "mssp",
                "passes": [
                    {"months": 12, "services": "any", "description": "d", "requires": "gate"}
                ],
            },
            r"method.passes\[0\].requires: expected a list of strings",
        ),
        (
            {
                "name": "x",
                "passes": [
                    {"months": 12, "services": "any", "description": "d", "from_year": "2025"}
                ],
            },
            r"method.passes\[0\].from_year: expected an integer",
        ),
        (
            {
                "name": "x",
                "passes": [
                    {"months": 12, "services": "any", "description": "d", "from_year": 2025}
                ],
            },
            r"method: method 'x': at least one pass must apply in every year",
        ),
    ],
)
def test_validation_errors_name_the_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(MethodFileError, match=message):
        method_from_dict(data)


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(MethodFileError, match="cannot be read"):
        load_method(tmp_path / "missing.toml")
    with pytest.raises(MethodFileError, match="is not valid TOML"):
        load_method(write(tmp_path, "bad.toml", "name = \n"))
    with pytest.raises(MethodFileError, match=r"use a \.toml"):
        load_method(write(tmp_path, "m.txt", "name = 'x'"))


def test_precedence_from_a_file_changes_the_result(
    tmp_path: Path, duckdb_engine: sa.Engine
) -> None:
    """A plan whose self-selection outranks recent claims, stated in a file."""
    scenario = Scenario(
        "selection vs claims",
        [line("A", PCP, "99213", "2024-05-02", "100")],
        months("A", "2023-01", "2024-12"),
        dt.date(2024, 6, 30),
        [],
        {},
        extra={
            "self_selections": [
                {
                    "person_id": "A",
                    "npi": NPP,
                    "effective_date": dt.date(2024, 1, 1),
                    "end_date": None,
                }
            ]
        },
    )
    text = 'name = "plan"\nbased_on = "medicaid"\npaths = ["self_selection", "claims"]\n'
    loaded = load_method(write(tmp_path, "plan.toml", text))
    default = run_sql(
        duckdb_engine, scenario.dataset(), method=MEDICAID, as_of=scenario.as_of, years=[]
    )
    custom = run_sql(
        duckdb_engine, scenario.dataset(), method=loaded.method, as_of=scenario.as_of, years=[]
    )
    (before,) = default[outputs.CURRENT]
    (after,) = custom[outputs.CURRENT]
    assert (before["attribution_type"], before["provider_id"]) == ("claims", PCP)
    assert (after["attribution_type"], after["provider_id"]) == ("self_selection", NPP)


def test_cli_takes_a_method_file(tmp_path: Path) -> None:
    path = write(tmp_path, "acme.toml", FULL)
    result = CliRunner().invoke(main, ["sql", "--method", str(path), "--as-of", "2024-06-30"])
    assert result.exit_code == 0, result.output
    assert "recent PCP/NPP" in result.output
    bad = write(tmp_path, "bad.toml", 'name = "x"\nbased_on = "tuva"\nunit = "tin"\n')
    result = CliRunner().invoke(main, ["sql", "--method", str(bad)])
    assert result.exit_code == 2
    assert "unit: 'tin' is not one of" in result.output
    result = CliRunner().invoke(main, ["sql", "--method", "nope"])
    assert result.exit_code == 2
    assert "unknown method 'nope'" in result.output
