"""Reconciliation with a synthetic CMS assignment list that has planted disagreements."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from provider_attribution.analysis.reconcile import (
    AGREE,
    CLAIMS_MISSING,
    DIFFERENT_WINNER,
    NOT_IN_ELIGIBLE,
    NOT_ON_LIST,
    REASONS,
    TIE,
    AssignmentListTable,
    ReconcileError,
    Reconciliation,
    reconcile,
)
from provider_attribution.cli.reconcile import reconcile as reconcile_cli
from provider_attribution.synthetic.assignment_list import plant_assignment_list
from provider_attribution.synthetic.claims import (
    PRIMARY_CARE_CODES,
    SyntheticSpec,
    demo_inputs,
    generate,
)
from provider_attribution.warehouse.run import attribute

YEAR = 2025
PER_REASON = 3
SPEC = SyntheticSpec(members=1500, seed=3)
LISTING = AssignmentListTable("aalr", "cms")
ON_LIST = (NOT_IN_ELIGIBLE, DIFFERENT_WINNER, TIE, CLAIMS_MISSING)  # planted on the list


@dataclass(frozen=True)
class World:
    url: str
    engine: sa.Engine
    planted: dict[str, set[str]]
    result: Reconciliation


def _run(engine: sa.Engine) -> None:
    attribute(engine, demo_inputs(), method="mssp", as_of=SPEC.last_day, target_schema="pa")


def _tie_candidates(conn: sa.Connection) -> list[tuple[str, str, Decimal]]:
    """(person, rank-2 top NPI, amount missing to tie) for rank 1 and 2 two ACOs at step 1."""
    query = f"""
        SELECT a.person_id, b.top_npi, a.allowed_amount - b.allowed_amount
        FROM pa.provider_ranking a JOIN pa.provider_ranking b
          ON a.attribution_key = b.attribution_key AND a.ranking = 1 AND b.ranking = 2
        WHERE a.scope = 'yearly' AND a.performance_year = {YEAR}
          AND a.unit_type = 'aco' AND b.unit_type = 'aco' AND a.provider_id <> b.provider_id
          AND a.attribution_type = 'claims' AND b.attribution_type = 'claims'
          AND a.step = 1 AND b.step = 1 AND a.allowed_amount > b.allowed_amount
        ORDER BY a.person_id"""
    return [(str(p), str(n), Decimal(str(d))) for p, n, d in conn.exec_driver_sql(query)]


def _make_ties(engine: sa.Engine, wanted: int) -> None:
    """Copy one primary-care line of the rank-2 ACO's top NPI with the missing amount, so
    rank 1 and rank 2 end with exactly equal amounts at step 1."""
    codes = ", ".join(f"'{c}'" for c in sorted(PRIMARY_CARE_CODES))
    with engine.begin() as conn:
        for i, (person, npi, missing) in enumerate(_tie_candidates(conn)[: wanted * 2]):
            conn.exec_driver_sql(
                f"""INSERT INTO core.medical_claim
                SELECT person_id, 'TIE{i:04d}', 1, 'ETIE{i:04d}', rendering_npi, hcpcs_code,
                       claim_start_date, claim_end_date, {missing}, {missing}, tin,
                       revenue_center_code, attending_npi
                FROM core.medical_claim
                WHERE person_id = '{person}' AND rendering_npi = '{npi}'
                  AND hcpcs_code IN ({codes}) AND allowed_amount > 0
                  AND revenue_center_code IS NULL
                  AND claim_end_date BETWEEN DATE '{YEAR}-01-01' AND DATE '{YEAR}-12-31'
                ORDER BY claim_id, claim_line_number LIMIT 1"""
            )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    url = f"duckdb:///{tmp_path_factory.mktemp('reconcile') / 'w.duckdb'}"
    engine = sa.create_engine(url)
    generate(engine, SPEC)
    _run(engine)
    _make_ties(engine, PER_REASON)
    _run(engine)
    planted = plant_assignment_list(engine, "pa", LISTING, year=YEAR, seed=5, per_reason=3)
    result = reconcile(engine, LISTING, outputs_schema="pa", year=YEAR, write_to="recon")
    yield World(url, engine, planted, result)
    engine.dispose()


def _select(engine: sa.Engine, sql: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.exec_driver_sql(sql).mappings()]


# -- planted disagreements -------------------------------------------------------------------


def test_every_reason_is_planted(world: World) -> None:
    assert {reason: len(benes) for reason, benes in world.planted.items()} == dict.fromkeys(
        REASONS, PER_REASON
    )


def test_reconcile_finds_every_planted_disagreement_and_nothing_else(world: World) -> None:
    found: dict[str, set[str]] = {reason: set() for reason in REASONS}
    for d in world.result.disagreements:
        found[d.reason].add(d.bene)
    assert found == world.planted
    assert world.result.by_reason == dict.fromkeys(REASONS, PER_REASON)


def test_counts_and_agreement_rate(world: World) -> None:
    r = world.result
    listed = _select(world.engine, "SELECT count(*) AS n FROM cms.aalr")[0]["n"]
    ours = _select(
        world.engine,
        "SELECT count(*) AS n FROM pa.assigned_beneficiaries_yearly "
        f"WHERE performance_year = {YEAR} AND unit_type = 'aco'",
    )[0]["n"]
    planted_on_list = sum(len(world.planted[reason]) for reason in ON_LIST)
    assert r.list_beneficiaries == listed
    assert r.our_beneficiaries == ours
    assert r.agreements == listed - planted_on_list
    assert r.beneficiaries == listed + len(world.planted[NOT_ON_LIST])
    assert r.disagreement_count == len(REASONS) * PER_REASON
    expected = (Decimal(r.agreements) / Decimal(r.beneficiaries)).quantize(
        Decimal("0.0001"), ROUND_HALF_UP
    )
    assert r.agreement_rate == expected
    assert r.agreement_rate.as_tuple().exponent == -4
    assert r.acos == ("A0001", "A0002")


def _ranking(engine: sa.Engine, person: str) -> list[dict[str, Any]]:
    return _select(
        engine,
        f"SELECT * FROM pa.provider_ranking WHERE scope = 'yearly' AND performance_year = {YEAR} "
        f"AND person_id = '{person}' ORDER BY ranking",
    )


def test_amounts_are_provider_rankings_numbers(world: World) -> None:
    for d in world.result.disagreements:
        if d.reason not in (DIFFERENT_WINNER, TIE):
            continue
        rows = _ranking(world.engine, d.bene)
        winner = rows[0]
        cms = next(r for r in rows if r["provider_id"] == d.cms_aco and r["unit_type"] == "aco")
        assert (d.our_provider, d.our_amount, d.our_step) == (
            winner["provider_id"],
            winner["allowed_amount"],
            winner["step"],
        )
        assert (d.cms_aco_amount, d.cms_aco_step) == (cms["allowed_amount"], cms["step"])
        if d.reason == TIE:
            assert d.our_amount == d.cms_aco_amount
            assert d.detail in {"last_service_date", "provider_id"}
        else:
            assert d.our_amount != d.cms_aco_amount or d.our_step != d.cms_aco_step


def test_the_other_reasons_carry_what_can_be_told(world: World) -> None:
    by_bene = {d.bene: d for d in world.result.disagreements}
    for bene in world.planted[NOT_IN_ELIGIBLE]:
        d = by_bene[bene]
        assert (d.our_provider, d.our_amount, d.cms_aco_amount) == (None, None, None)
    for bene in world.planted[CLAIMS_MISSING]:
        d = by_bene[bene]
        assert d.cms_aco_amount is None
        assert d.our_provider is not None
        assert d.detail in {"no_candidates", "other_candidates"}
    for bene in world.planted[NOT_ON_LIST]:
        d = by_bene[bene]
        assert d.cms_aco is None
        assert d.our_unit_type == "aco"
        assert d.our_amount is not None


# -- the written table -----------------------------------------------------------------------


def test_written_table_has_one_row_per_beneficiary(world: World) -> None:
    rows = _select(world.engine, "SELECT * FROM recon.reconciliation")
    assert world.result.table == "recon.reconciliation"
    assert len(rows) == world.result.beneficiaries
    assert len({r["bene"] for r in rows}) == len(rows)
    assert {r["performance_year"] for r in rows} == {YEAR}
    assert {r["quarter"] for r in rows} == {None}
    agree = [r for r in rows if r["reason"] == AGREE]
    assert len(agree) == world.result.agreements
    assert all(r["cms_aco"] == r["our_provider"] and r["detail"] is None for r in agree)
    written = {
        (r["bene"], r["reason"], r["cms_aco"], r["our_provider"], r["our_amount"])
        for r in rows
        if r["reason"] != AGREE
    }
    returned = {
        (d.bene, d.reason, d.cms_aco, d.our_provider, d.our_amount)
        for d in world.result.disagreements
    }
    assert written == returned
    assert not _select(
        world.engine,
        "SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%staging%'",
    )


def _expected(engine: sa.Engine) -> dict[str, tuple[Any, ...]]:
    """The classification recomputed in Python from rows read with SELECT *."""
    listing = {
        str(r["BENE_MBI_ID"]): str(r["ACO_ID"])
        for r in _select(engine, "SELECT * FROM cms.aalr")
        if r["PERFORMANCE_YEAR"] == YEAR and r["QUARTER"] in (None, 0)
    }
    acos = set(listing.values())
    ours = {
        r["person_id"]: r
        for r in _select(engine, "SELECT * FROM pa.assigned_beneficiaries_yearly")
        if r["performance_year"] == YEAR
    }
    ranked: dict[str, list[dict[str, Any]]] = {}
    for r in _select(engine, "SELECT * FROM pa.provider_ranking ORDER BY ranking"):
        if r["scope"] == "yearly" and r["performance_year"] == YEAR:
            ranked.setdefault(r["person_id"], []).append(r)
    in_scope = {p for p, r in ours.items() if r["unit_type"] == "aco" and r["provider_id"] in acos}
    expected: dict[str, tuple[Any, ...]] = {}
    for bene in set(listing) | in_scope:
        cms, our = listing.get(bene), ours.get(bene)
        cand = next(
            (
                r
                for r in ranked.get(bene, [])
                if r["unit_type"] == "aco" and r["provider_id"] == cms
            ),
            None,
        )
        if our is not None and our["unit_type"] == "aco" and our["provider_id"] == cms:
            reason = AGREE
        elif our is None:
            reason = NOT_IN_ELIGIBLE
        elif cms is None:
            reason = NOT_ON_LIST
        elif cand is None:
            reason = CLAIMS_MISSING
        elif (cand["attribution_type"], cand["step"], cand["allowed_amount"]) == (
            our["attribution_type"],
            our["assigned_step"],
            our["allowed_amount"],
        ):
            reason = TIE
        else:
            reason = DIFFERENT_WINNER
        our_amount = None if our is None or our["attribution_type"] == "none" else our
        expected[bene] = (
            cms,
            None if our is None else our["provider_id"],
            reason,
            None if our_amount is None else our_amount["allowed_amount"],
            None if cand is None else cand["allowed_amount"],
        )
    return expected


def test_independent_python_classification_matches(world: World) -> None:
    rows = _select(world.engine, "SELECT * FROM recon.reconciliation")
    got = {
        r["bene"]: (
            r["cms_aco"],
            r["our_provider"],
            r["reason"],
            r["our_amount"],
            r["cms_aco_amount"],
        )
        for r in rows
    }
    assert got == _expected(world.engine)


# -- quarters and options --------------------------------------------------------------------


def test_quarterly_list_and_no_write(world: World) -> None:
    quarterly = AssignmentListTable("qalr", "cms")
    planted = plant_assignment_list(
        world.engine, "pa", quarterly, year=YEAR, seed=5, per_reason=3, quarter=2
    )
    assert planted == world.planted
    with world.engine.begin() as conn:  # noise: another quarter and another year
        conn.exec_driver_sql(
            f"INSERT INTO cms.qalr VALUES ('P9', 'A0001', {YEAR}, 3), ('P9', 'A0002', 2024, 2)"
        )
    result = reconcile(world.engine, quarterly, outputs_schema="pa", year=YEAR, quarter=2)
    assert result.table is None
    assert result.quarter == 2
    assert result.by_reason == world.result.by_reason
    assert result.agreement_rate == world.result.agreement_rate
    with pytest.raises(ReconcileError, match=r"cms\.qalr has no rows with .*QUARTER = 1"):
        reconcile(world.engine, quarterly, outputs_schema="pa", year=YEAR, quarter=1)


def test_a_list_without_a_quarter_column(world: World) -> None:
    with world.engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE OR REPLACE TABLE cms.plain AS "
            "SELECT BENE_MBI_ID AS bene, ACO_ID AS aco, PERFORMANCE_YEAR AS py FROM cms.aalr"
        )
    listing = AssignmentListTable("plain", "cms", "bene", "aco", "py", quarter=None)
    result = reconcile(world.engine, listing, outputs_schema="pa", year=YEAR)
    assert result.by_reason == world.result.by_reason
    with pytest.raises(ReconcileError, match="no quarter column"):
        reconcile(world.engine, listing, outputs_schema="pa", year=YEAR, quarter=1)


# -- errors ----------------------------------------------------------------------------------


def test_missing_column_names_table_and_column(world: World) -> None:
    listing = AssignmentListTable("aalr", "cms", bene_id="MBI")
    with pytest.raises(ReconcileError, match=r"cms\.aalr has no column 'MBI' \(beneficiary id\)"):
        reconcile(world.engine, listing, outputs_schema="pa", year=YEAR)
    listing = AssignmentListTable("aalr", "cms", quarter="QTR")
    with pytest.raises(ReconcileError, match=r"cms\.aalr has no column 'QTR' \(quarter\)"):
        reconcile(world.engine, listing, outputs_schema="pa", year=YEAR)


def test_missing_table_year_and_outputs(world: World) -> None:
    with pytest.raises(ReconcileError, match=r"cms\.nope does not exist"):
        reconcile(world.engine, AssignmentListTable("nope", "cms"), outputs_schema="pa", year=YEAR)
    with pytest.raises(ReconcileError, match=r"no rows for performance year 2031.*2023, 2024"):
        reconcile(world.engine, LISTING, outputs_schema="pa", year=2031)
    with pytest.raises(ReconcileError, match=r"no output table nowhere\.assigned_beneficiaries"):
        reconcile(world.engine, LISTING, outputs_schema="nowhere", year=YEAR)


def test_a_beneficiary_under_two_acos_is_an_error(world: World) -> None:
    with world.engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE OR REPLACE TABLE cms.twice AS SELECT * FROM cms.aalr "
            f"UNION ALL SELECT 'P000035', 'A0002', {YEAR}, 0 "
            f"UNION ALL SELECT 'P000035', 'A0001', {YEAR}, NULL"
        )
    listing = AssignmentListTable("twice", "cms")
    with pytest.raises(ReconcileError, match=r"more than one ACO.*P000035"):
        reconcile(world.engine, listing, outputs_schema="pa", year=YEAR)


# -- the command -----------------------------------------------------------------------------


def _cli(world: World, *extra: str) -> Any:
    world.engine.dispose()  # the command opens the database file itself
    args = ["--url", world.url, "--assignment-list", "cms.aalr", "--schema", "pa"]
    return CliRunner().invoke(reconcile_cli, [*args, "--year", str(YEAR), *extra])


def test_cli_prints_a_summary(world: World) -> None:
    result = _cli(world, "--write-to", "recon_cli")
    assert result.exit_code == 0, result.output
    assert f"Agreement rate: {world.result.agreement_rate:.2%}" in result.output
    for reason in REASONS:
        assert reason in result.output
    for d in world.result.disagreements:
        line = next(x for x in result.output.splitlines() if f" {d.bene} " in x)
        assert d.reason in line
        for amount in (d.our_amount, d.cms_aco_amount):
            if amount is not None:
                assert f"{amount:,.2f}" in line
    assert "recon_cli.reconciliation" in result.output
    rows = _select(world.engine, "SELECT count(*) AS n FROM recon_cli.reconciliation")
    assert rows[0]["n"] == world.result.beneficiaries


def test_cli_json(world: World) -> None:
    result = _cli(world, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["agreement_rate"] == str(world.result.agreement_rate)
    assert data["by_reason"] == dict.fromkeys(REASONS, PER_REASON)
    assert data["table"] is None
    planted = {reason: sorted(benes) for reason, benes in world.planted.items()}
    found: dict[str, list[str]] = {reason: [] for reason in REASONS}
    for d in data["disagreements"]:
        found[d["reason"]].append(d["bene"])
    assert {k: sorted(v) for k, v in found.items()} == planted


def test_cli_column_overrides_and_errors(world: World) -> None:
    result = _cli(world, "--bene-column", "MBI")
    assert result.exit_code == 1
    assert "cms.aalr has no column 'MBI'" in result.output
    result = _cli(world, "--bene-column", "MBI", "--json")
    assert result.exit_code == 1
    assert "cms.aalr has no column 'MBI'" in json.loads(result.output)["error"]
    result = _cli(
        world,
        "--bene-column",
        "BENE_MBI_ID",
        "--aco-column",
        "aco_id",
        "--year-column",
        "performance_year",
        "--quarter-column",
        "quarter",
        "--json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["agreements"] == world.result.agreements


def test_an_aco_with_two_rows_for_one_person_counts_once(world: World) -> None:
    """provider_ranking can hold a self-selection and a claims row of one ACO for a person."""
    doubled = _select(
        world.engine,
        f"""SELECT person_id FROM pa.provider_ranking
        WHERE scope = 'yearly' AND performance_year = {YEAR} AND unit_type = 'aco'
        GROUP BY person_id, provider_id HAVING count(*) > 1""",
    )
    assert doubled, "the data should hold such people for this check to mean something"
    people = ", ".join(f"'{r['person_id']}'" for r in doubled)
    rows = _select(
        world.engine,
        f"SELECT bene, count(*) AS n FROM recon.reconciliation WHERE bene IN ({people}) "
        "GROUP BY bene",
    )
    assert rows
    assert {r["n"] for r in rows} == {1}
