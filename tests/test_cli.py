"""The command line, through click's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlglot
from click.testing import CliRunner

from harness import load
from provider_attribution import outputs
from provider_attribution.cli import main
from scenarios import SCENARIOS


def test_sql_prints_a_create_statement_per_output_for_duckdb() -> None:
    result = CliRunner().invoke(main, ["sql", "--dialect", "duckdb", "--as-of", "2024-06-30"])
    assert result.exit_code == 0, result.output
    statements = [s for s in sqlglot.parse(result.output, read="duckdb") if s is not None]
    assert len(statements) == len(outputs.WRITTEN)
    assert "CAST('2023-07-01' AS DATE)" in result.output
    assert "assigned_beneficiaries_yearly" in result.output


def test_sql_transpiles_for_a_dialect_without_sqlalchemy_driver() -> None:
    result = CliRunner().invoke(main, ["sql", "--dialect", "bigquery", "--as-of", "2024-06-30"])
    assert result.exit_code == 0, result.output
    assert len(sqlglot.parse(result.output, read="bigquery")) == len(outputs.WRITTEN)


def test_sql_rejects_a_bad_date() -> None:
    result = CliRunner().invoke(main, ["sql", "--as-of", "2024-13-01"])
    assert result.exit_code == 2
    assert "is not a date" in result.output


def test_run_prints_a_json_summary(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    engine = sa.create_engine(url)
    inputs = load(engine, SCENARIOS[0].dataset(), "raw")
    engine.dispose()
    mapping = tmp_path / "inputs.json"
    mapping.write_text(json.dumps(inputs.to_dict()))
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--url",
            url,
            "--inputs",
            str(mapping),
            "--as-of",
            "2024-06-30",
            "--years",
            "2024",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert [s["key"] for s in summary["scopes"]] == ["2024-06-30", "2024"]
    assert summary["scopes"][0]["by_step"] == {"1": 1}


def test_run_reports_a_bad_inputs_file(tmp_path: Path) -> None:
    mapping = tmp_path / "inputs.toml"
    mapping.write_text('[claims]\nname = "lines"\npatient = "x"\n')
    result = CliRunner().invoke(main, ["run", "--url", "duckdb://", "--inputs", str(mapping)])
    assert result.exit_code == 1
    assert "inputs.claims: unknown fields ['patient']" in result.output


def test_demo_generates_and_attributes(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    result = CliRunner().invoke(main, ["demo", "--db", str(db), "--members", "500"])
    assert result.exit_code == 0, result.output
    assert "Top panels" in result.output
    engine = sa.create_engine(f"duckdb:///{db}")
    with engine.connect() as conn:
        members = conn.exec_driver_sql(
            "select count(*) from provider_attribution.assigned_beneficiaries_current"
        ).scalar_one()
        distinct = conn.exec_driver_sql(
            "select count(distinct person_id) from core.member_months"
        ).scalar_one()
    assert 0 < members <= distinct <= 500


@pytest.mark.parametrize("method", ["tuva", "mssp", "mssp_prospective", "medicaid", "reach"])
def test_every_preset_runs_on_the_demo_data(tmp_path: Path, method: str) -> None:
    db = tmp_path / "demo.duckdb"
    result = CliRunner().invoke(
        main, ["demo", "--db", str(db), "--members", "800", "--method", method]
    )
    assert result.exit_code == 0, result.output
    engine = sa.create_engine(f"duckdb:///{db}")
    with engine.connect() as conn:
        kinds = dict(
            conn.exec_driver_sql(
                "select attribution_type, count(*) from "
                "provider_attribution.assigned_beneficiaries_current group by 1"
            ).all()
        )
    engine.dispose()
    assert kinds.get("claims", 0) > 100
    if method != "tuva":
        assert kinds.get("self_selection", 0) + kinds.get("geographic", 0) > 0
    if method.startswith("mssp"):
        assert "fqhc_not_attested" in result.output
    assert "Claim lines by status" in result.output
