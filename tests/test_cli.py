"""The command line, through click's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlglot
from click.testing import CliRunner

from harness import load
from provider_attribution.analysis.explain import ExplainError, explain
from provider_attribution.analysis.report_data import collect
from provider_attribution.cli import main
from provider_attribution.cli.common import DEFAULT_DB, DEFAULT_SCHEMA, DEFAULT_URL
from provider_attribution.engines import output_tables
from provider_attribution.engines.catalog import has_table
from provider_attribution.engines.profiles import profile_for
from provider_attribution.model import outputs
from provider_attribution.model.method import TUVA
from provider_attribution.warehouse.stage_tables import stages_to_write
from scenarios import SCENARIOS


def test_sql_prints_a_create_statement_per_output_for_duckdb() -> None:
    result = CliRunner().invoke(main, ["sql", "--dialect", "duckdb", "--as-of", "2024-06-30"])
    assert result.exit_code == 0, result.output
    statements = [s for s in sqlglot.parse(result.output, read="duckdb") if s is not None]
    # a work table per stage DuckDB writes (member months, checked lines, facts), one per
    # output, and the work tables dropped
    work = stages_to_write(profile_for("duckdb"))
    assert work == ("pa_member_spans", "pa_checked", "pa_facts")
    creates = [sqlglot.exp.Create] * (len(work) + len(outputs.WRITTEN))
    assert [type(s) for s in statements] == creates + [sqlglot.exp.Drop] * len(work)
    assert "CAST('2023-07-01' AS DATE)" in result.output
    assert "assigned_beneficiaries_yearly" in result.output


def test_sql_transpiles_for_a_dialect_without_sqlalchemy_driver() -> None:
    result = CliRunner().invoke(main, ["sql", "--dialect", "bigquery", "--as-of", "2024-06-30"])
    assert result.exit_code == 0, result.output
    parsed = sqlglot.parse(result.output, read="bigquery")
    # the checked lines' work table, every output, and the work table dropped
    assert len(parsed) == 1 + len(outputs.WRITTEN) + 1
    assert [type(s) for s in parsed[1:-1]] == [sqlglot.exp.Create] * len(outputs.WRITTEN)
    assert isinstance(parsed[-1], sqlglot.exp.Drop)


def test_sql_rejects_a_bad_date() -> None:
    result = CliRunner().invoke(main, ["sql", "--as-of", "2024-13-01"])
    assert result.exit_code == 2
    assert "'2024-13-01': give a date YYYY-MM-DD" in result.output


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
    assert summary["target_schema"] == DEFAULT_SCHEMA == "provider_attribution"
    engine = sa.create_engine(url)
    assert sa.inspect(engine).has_table(outputs.RANKING, schema=DEFAULT_SCHEMA)
    engine.dispose()


def test_run_takes_several_as_of_dates(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    engine = sa.create_engine(url)
    inputs = load(engine, SCENARIOS[0].dataset(), "raw")
    engine.dispose()
    mapping = tmp_path / "inputs.json"
    mapping.write_text(json.dumps(inputs.to_dict()))
    args = ["run", "--url", url, "--inputs", str(mapping), "--years", "none", "--json"]
    # unordered, with a repeat: one current scope per distinct date, ascending
    result = CliRunner().invoke(main, [*args, "--as-of", "2024-06-30,2024-03-31,2024-06-30"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert [s["key"] for s in summary["scopes"]] == ["2024-03-31", "2024-06-30"]
    assert all(s["scope"] == "current" for s in summary["scopes"])
    bad = CliRunner().invoke(main, [*args, "--as-of", "2024-06-30,2024-02-30"])
    assert bad.exit_code == 2
    assert "give a date YYYY-MM-DD, or several comma separated" in bad.output


def test_run_on_sqlite_writes_into_the_database_itself(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    engine = sa.create_engine(url)
    inputs = load(engine, SCENARIOS[0].dataset(), None)
    mapping = tmp_path / "inputs.json"
    mapping.write_text(json.dumps(inputs.to_dict()))
    args = ["--url", url, "--inputs", str(mapping), "--as-of", "2024-06-30", "--years", "none"]
    result = CliRunner().invoke(main, ["run", *args, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["target_schema"] is None
    assert sa.inspect(engine).has_table(outputs.CURRENT)
    engine.dispose()
    explained = CliRunner().invoke(main, ["explain", "A", "--url", url, "--json"])
    assert explained.exit_code == 0, explained.output
    assert json.loads(explained.stdout)[0]["person_id"] == "A"


def test_report_and_explain_read_what_demo_wrote_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["demo", "--members", "300", "--no-report", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["target_schema"] == DEFAULT_SCHEMA
    assert (tmp_path / DEFAULT_DB).exists()
    reported = runner.invoke(main, ["report", "--out", "r.html"])
    assert reported.exit_code == 0, reported.output
    assert (tmp_path / "r.html").stat().st_size > 100_000
    engine = sa.create_engine(DEFAULT_URL)
    with engine.connect() as conn:
        ranking = output_tables.table(outputs.RANKING, DEFAULT_SCHEMA)
        person = conn.execute(sa.select(sa.func.min(ranking.c.person_id))).scalar_one()
    engine.dispose()
    explained = runner.invoke(main, ["explain", person, "--json"])
    assert explained.exit_code == 0, explained.output
    assert {item["person_id"] for item in json.loads(explained.stdout)} == {person}


@pytest.mark.parametrize("command", [["report", "--out", "r.html"], ["explain", "p1"]])
def test_outputs_missing_from_the_schema_are_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    engine = sa.create_engine(DEFAULT_URL)
    load(engine, SCENARIOS[0].dataset(), "main")  # a warehouse with inputs but no outputs
    load(engine, SCENARIOS[0].dataset(), "elsewhere")
    output_tables.table(outputs.RANKING, "elsewhere").metadata.create_all(engine)  # not in main
    engine.dispose()
    for schema, where in ((None, DEFAULT_SCHEMA), ("main", "main")):
        extra = [] if schema is None else ["--schema", schema]
        result = CliRunner().invoke(main, [*command, *extra])
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        (line,) = result.output.strip().splitlines()
        assert line.startswith("Error: ")
        assert where in line
        assert "--schema" in line
        assert "provider_ranking" in line
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("command", [["report"], ["explain", "p1"]])
def test_a_missing_database_file_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 2
    assert f"no database file {DEFAULT_DB}" in result.output
    assert "provider-attribution demo" in result.output
    assert not (tmp_path / DEFAULT_DB).exists()


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
        rows = conn.exec_driver_sql(
            "select attribution_type, count(*) from "
            "provider_attribution.assigned_beneficiaries_current group by 1"
        ).all()
    kinds: dict[str, int] = {row[0]: row[1] for row in rows}
    engine.dispose()
    assert kinds.get("claims", 0) > 100
    if method != "tuva":
        assert kinds.get("self_selection", 0) + kinds.get("geographic", 0) > 0
    if method.startswith("mssp"):
        assert "fqhc_not_attested" in result.output
    assert "Claim lines by status" in result.output


def test_outputs_in_another_schema_are_not_found_in_the_default_one(tmp_path: Path) -> None:
    """DuckDB's inspector finds a table of any schema when asked about schema None."""
    engine = sa.create_engine(f"duckdb:///{tmp_path / 'w.duckdb'}")
    load(engine, SCENARIOS[0].dataset(), "elsewhere")
    for name in outputs.WRITTEN:
        output_tables.table(name, "elsewhere").create(engine)
    assert not has_table(engine, outputs.RANKING, None)
    assert has_table(engine, outputs.RANKING, "elsewhere")
    with pytest.raises(ExplainError, match="no output table provider_ranking"):
        explain(engine, "A", None, method=TUVA)
    with pytest.raises(ValueError, match="provider_ranking not found in the default schema"):
        collect(engine, None)
    engine.dispose()
