"""Stage progress of ``attribute`` and the scheduler-friendly ``--json`` output."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from harness import load
from provider_attribution.cli import main
from provider_attribution.warehouse.run import STAGES, RunSummary, attribute
from scenarios import SCENARIOS


def _warehouse(tmp_path: Path) -> tuple[str, Path]:
    """A DuckDB file with the first rule scenario's inputs in ``raw``; its URL and mapping."""
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    engine = sa.create_engine(url)
    inputs = load(engine, SCENARIOS[0].dataset(), "raw")
    engine.dispose()
    mapping = tmp_path / "inputs.json"
    mapping.write_text(json.dumps(inputs.to_dict()))
    return url, mapping


def test_stages_are_reported_once_each_in_order(duckdb_engine: sa.Engine) -> None:
    inputs = load(duckdb_engine, SCENARIOS[0].dataset(), None)
    heard: list[str] = []
    summary = attribute(duckdb_engine, inputs, years=[2024], progress=heard.append)
    assert heard == ["validate", "candidates", "ranking", "write"]
    assert tuple(heard) == STAGES
    assert list(summary.stage_seconds) == list(STAGES)
    assert all(seconds >= 0 for seconds in summary.stage_seconds.values())
    assert list(summary.to_dict()["stage_seconds"]) == list(STAGES)


def test_stages_are_timed_without_a_callback_and_without_validation(
    duckdb_engine: sa.Engine,
) -> None:
    inputs = load(duckdb_engine, SCENARIOS[0].dataset(), None)
    summary = attribute(duckdb_engine, inputs, years=[2024], validate=False)
    assert list(summary.stage_seconds) == list(STAGES)


def test_old_constructors_still_work() -> None:
    summary = RunSummary("tuva", None, ())
    assert summary.stage_seconds == {}
    assert summary.to_dict()["stage_seconds"] == {}


def test_run_json_stdout_is_only_json_with_stage_seconds(tmp_path: Path) -> None:
    url, mapping = _warehouse(tmp_path)
    args = ["run", "--url", url, "--inputs", str(mapping), "--as-of", "2024-06-30", "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert list(summary["stage_seconds"]) == list(STAGES)
    assert result.stderr == ""


def test_run_shows_progress_on_stderr_only(tmp_path: Path) -> None:
    url, mapping = _warehouse(tmp_path)
    result = CliRunner().invoke(main, ["run", "--url", url, "--inputs", str(mapping)])
    assert result.exit_code == 0, result.output
    assert "Writing outputs" in result.stderr
    assert "Writing outputs" not in result.stdout
    assert "Attribution by step" in result.stdout


def test_invalid_inputs_give_a_json_error_and_a_failing_exit_code(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'empty.duckdb'}"
    result = CliRunner().invoke(main, ["run", "--url", url, "--json"])
    assert result.exit_code == 1
    error = json.loads(result.stdout)
    assert error["error"] == "the inputs cannot be attributed"
    assert error["problems"]
    assert {"check", "table", "column", "message"} <= set(error["problems"][0])
    assert "core.medical_claim" in {p["table"] for p in error["problems"]}


def test_a_bad_inputs_file_is_a_json_error_too(tmp_path: Path) -> None:
    mapping = tmp_path / "inputs.toml"
    mapping.write_text('[claims]\nname = "lines"\npatient = "x"\n')
    args = ["run", "--url", "duckdb://", "--inputs", str(mapping), "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "unknown fields ['patient']" in json.loads(result.stdout)["error"]


def test_demo_json_and_its_report(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    result = CliRunner().invoke(main, ["demo", "--db", str(db), "--members", "300", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert list(summary["stage_seconds"]) == list(STAGES)
    assert summary["database"] == str(db)
    assert summary["scopes"]
    report = tmp_path / "demo_report.html"
    assert summary["report"] == str(report)
    assert report.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")


def test_demo_without_report_shows_progress(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    result = CliRunner().invoke(main, ["demo", "--db", str(db), "--members", "200", "--no-report"])
    assert result.exit_code == 0, result.output
    assert "Ranking candidates" in result.stderr
    assert "Report written" not in result.stdout
    assert not (tmp_path / "demo_report.html").exists()


def test_the_report_command_is_registered() -> None:
    result = CliRunner().invoke(main, ["report", "--help"])
    assert result.exit_code == 0, result.output
    assert "--out" in result.output
