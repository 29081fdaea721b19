"""CCLF preparation and MSSP attribution give the same rows on every engine.

Each backend gets the same synthetic CCLF tables (adjusted, cancelled and reversed claims,
FQHC/RHC/CAH/ETA Part A claims, SNF and inpatient stays, deceased and Part-A-only
beneficiaries, MBI changes in CCLF9); its prepared claim lines and its
``assigned_beneficiaries_yearly`` and ``beneficiary_exclusions`` rows must equal those computed
on DuckDB in this test.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from typing import Any

import sqlalchemy as sa

from engines import Session
from harness import canonical, read_outputs
from provider_attribution.model import outputs
from provider_attribution.model.inputs import NpiListTable, RosterTable
from provider_attribution.sources.cclf import CLAIM_LINES, CclfTables, prepare
from provider_attribution.synthetic.cclf import build_cclf, generate_cclf
from provider_attribution.warehouse.run import attribute

MEMBERS, SEED = 120, 5
TODAY = dt.date(2026, 1, 1)
AS_OF = dt.date(2025, 12, 31)
YEARS = (2024, 2025)
LINE_KEY = ("person_id", "claim_id", "claim_line_number")
LINE_COLUMNS = (
    *LINE_KEY,
    "rendering_npi",
    "tin",
    "hcpcs_code",
    "claim_start_date",
    "claim_end_date",
    "allowed_amount",
    "paid_amount",
    "revenue_center_code",
    "attending_npi",
    "place_of_service",
    "bill_type",
)


def _line_rows(engine: sa.Engine, schema: str | None) -> list[dict[str, Any]]:
    table = sa.table(CLAIM_LINES, *[sa.column(c) for c in LINE_COLUMNS], schema=schema)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(table)).mappings().all()
    keyed = [{**row, "attribution_key": ""} for row in rows]
    result = canonical(keyed, [*LINE_COLUMNS, "attribution_key"])
    for row in result:
        del row["attribution_key"]
        row["claim_line_number"] = int(row["claim_line_number"])
    return sorted(result, key=lambda r: tuple(r[k] for k in LINE_KEY))


def _run(engine: sa.Engine, schema: str | None) -> dict[str, Any]:
    """Generate, prepare and attribute in ``schema``; prepared lines, outputs, exclusions."""
    generate_cclf(engine, members=MEMBERS, seed=SEED, schema=schema)
    inputs = prepare(
        engine,
        CclfTables(schema=schema),
        work_schema=schema,
        roster=RosterTable(schema=schema),
        attested=NpiListTable(schema=schema),
    )
    summary = attribute(
        engine,
        inputs,
        method="mssp",
        as_of=AS_OF,
        years=YEARS,
        target_schema=schema,
        today=TODAY,
    )
    written = read_outputs(engine, schema)
    return {
        "lines": _line_rows(engine, schema),
        "yearly": written[outputs.YEARLY],
        "beneficiaries": written[outputs.BENEFICIARY_EXCLUSIONS],
        "exclusions": summary.exclusions,
    }


@cache
def _duckdb_result() -> dict[str, Any]:
    engine = sa.create_engine("duckdb:///:memory:")
    try:
        return _run(engine, "cclf_reference")
    finally:
        engine.dispose()


def test_reference_data_has_every_case() -> None:
    data = build_cclf(MEMBERS, SEED)
    facts = ("adjusted", "cancelled", "reversed_claims", "deaths", "part_a_kept", "part_a_only")
    for fact in (*facts, "mbi_changes", "setting_visits"):
        assert getattr(data, fact), fact
    assert data.part_a_dropped
    ref = _duckdb_result()
    assert ref["exclusions"]["reversed_claim"] > 0
    assert any(r["allowed_amount"] is not None and r["allowed_amount"] < 0 for r in ref["lines"])
    assert not {r["person_id"] for r in ref["lines"]} & set(data.mbi_changes)
    assert {r["bill_type"] for r in ref["lines"]} >= {"11", "21", "77"}
    kept = MEMBERS - len(data.part_a_only)
    assert len(ref["yearly"]) == kept * len(YEARS)
    for year in YEARS:
        counts = ref["beneficiaries"][f"yearly|{year}"]
        assert counts["not_part_a_and_b"] == len(data.part_a_only)
        assert counts["not_excluded"] == kept
    assert sum(r["unit_type"] == "aco" for r in ref["yearly"]) > MEMBERS


def test_cclf_mssp_matches_duckdb(backend: Session) -> None:
    got = _run(backend.engine, backend.schema)
    want = _duckdb_result()
    assert got["lines"] == want["lines"]
    assert got["exclusions"] == want["exclusions"]
    assert got["yearly"] == want["yearly"]
    assert got["beneficiaries"] == want["beneficiaries"]
    assert {r["allowed_amount"] for r in got["yearly"]} != {Decimal("0.00")}
    with backend.engine.connect() as conn:
        names = sa.inspect(conn).get_table_names(schema=backend.schema)
    assert not [n for n in names if n.lower().startswith("cclf") and "__" in n]
