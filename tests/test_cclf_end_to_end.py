"""Issue 9 end to end through the command line: synthetic CCLF tables, ``run --inputs cclf``
with MSSP, then ``reconcile`` against a CMS-style list with planted disagreements."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from provider_attribution.analysis.reconcile import AssignmentListTable
from provider_attribution.cli import main
from provider_attribution.synthetic.assignment_list import plant_assignment_list
from provider_attribution.synthetic.cclf import LAST_DAY, generate_cclf

YEAR = LAST_DAY.year


@pytest.fixture(scope="module")
def cclf_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, sa.Engine, dict[str, object]]:
    path = Path(tmp_path_factory.mktemp("cclf")) / "aco.duckdb"
    url = f"duckdb:///{path}"
    engine = sa.create_engine(url)
    generate_cclf(engine, members=400, seed=5, schema="raw")
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--url",
            url,
            "--inputs",
            "cclf",
            "--inputs-schema",
            "raw",
            "--target-schema",
            "out",
            "--method",
            "mssp",
            "--as-of",
            LAST_DAY.isoformat(),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    return url, engine, json.loads(result.output)


def test_mssp_runs_from_cclf_tables_through_the_cli(
    cclf_run: tuple[str, sa.Engine, dict[str, object]],
) -> None:
    _, engine, summary = cclf_run
    assert summary["method"] == "mssp"
    with engine.connect() as conn:
        members = conn.execute(
            sa.text("SELECT count(DISTINCT person_id) FROM out.cclf_member_months")
        ).scalar_one()
        yearly = conn.execute(
            sa.text(
                "SELECT count(*), count(DISTINCT person_id), "
                "sum(CASE WHEN unit_type = 'aco' THEN 1 ELSE 0 END) "
                "FROM out.assigned_beneficiaries_yearly WHERE performance_year = :y"
            ),
            {"y": YEAR},
        ).one()
    rows, people, to_acos = yearly
    assert rows == people  # one row per beneficiary
    assert 0 < people <= members
    assert to_acos > 0  # the roster's ACOs receive beneficiaries


def test_reconcile_finds_every_planted_disagreement(
    cclf_run: tuple[str, sa.Engine, dict[str, object]],
) -> None:
    url, engine, _ = cclf_run
    listing = AssignmentListTable(name="aalr", schema="raw")
    planted = plant_assignment_list(engine, "out", listing, year=YEAR, seed=2, per_reason=3)
    expected = {bene: reason for reason, benes in planted.items() for bene in benes}
    assert len({r for r, b in planted.items() if b}) >= 4  # most kinds could be planted
    result = CliRunner().invoke(
        main,
        [
            "reconcile",
            "--url",
            url,
            "--assignment-list",
            "raw.aalr",
            "--schema",
            "out",
            "--year",
            str(YEAR),
            "--write-to",
            "out",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    found = {d["bene"]: d["reason"] for d in report["disagreements"]}
    assert found == expected
    assert report["disagreements_total"] == len(expected)
    assert report["agreements"] == report["beneficiaries"] - len(expected)
    with engine.connect() as conn:
        written = conn.execute(
            sa.text("SELECT count(*) FROM out.reconciliation WHERE reason <> 'agree'")
        ).scalar_one()
    assert written == len(expected)
