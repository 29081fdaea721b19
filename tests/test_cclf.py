"""The MSSP method on CCLF files: prepare() netting and shaping, then attribution (DuckDB)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from provider_attribution.cli.cclf import cclf_demo, prepare_cclf_inputs
from provider_attribution.engines import output_tables
from provider_attribution.model import outputs
from provider_attribution.model.inputs import Inputs, NpiListTable, RosterTable
from provider_attribution.sources import cclf_layout as lay
from provider_attribution.sources.cclf import (
    CclfError,
    CclfTables,
    month_starts,
    prepare,
    resolve_mbi_chains,
)
from provider_attribution.synthetic.cclf import CclfSynthetic, build_cclf, generate_cclf
from provider_attribution.synthetic.claims import luhn_npi_check_digit
from provider_attribution.warehouse.run import attribute

MEMBERS, SEED = 200, 3
TODAY = dt.date(2026, 1, 1)
LINE_COLUMNS = (
    "person_id",
    "claim_id",
    "claim_line_number",
    "rendering_npi",
    "tin",
    "hcpcs_code",
    "allowed_amount",
    "paid_amount",
    "revenue_center_code",
    "attending_npi",
    "claim_start_date",
)


def _canon(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value)).quantize(Decimal("0.01"))
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.01"))
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _rows(engine: sa.Engine, sql: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.exec_driver_sql(sql).mappings()]


@pytest.fixture(scope="module")
def synth() -> CclfSynthetic:
    return build_cclf(MEMBERS, SEED)


@pytest.fixture(scope="module")
def prepared() -> Iterator[tuple[sa.Engine, Inputs]]:
    engine = sa.create_engine("duckdb:///:memory:")
    generate_cclf(engine, members=MEMBERS, seed=SEED, schema="raw")
    inputs = prepare(
        engine,
        CclfTables(schema="raw"),
        work_schema="work",
        roster=RosterTable(schema="raw"),
        attested=NpiListTable(schema="raw"),
    )
    yield engine, inputs
    engine.dispose()


def _lines(engine: sa.Engine) -> list[dict[str, Any]]:
    rows = _rows(engine, "select * from work.cclf_claim_lines")
    return [{c: _canon(r[c]) for c in LINE_COLUMNS} for r in rows]


def _key(row: dict[str, Any]) -> tuple[str, str, int]:
    return row["person_id"], row["claim_id"], row["claim_line_number"]


def test_prepared_lines_are_exactly_the_netted_lines(
    prepared: tuple[sa.Engine, Inputs], synth: CclfSynthetic
) -> None:
    got = sorted(_lines(prepared[0]), key=_key)
    want = sorted(({c: r[c] for c in LINE_COLUMNS} for r in synth.expected_lines), key=_key)
    assert got == want


def test_cancelled_claims_are_gone(
    prepared: tuple[sa.Engine, Inputs], synth: CclfSynthetic
) -> None:
    assert synth.cancelled
    versions = {
        r[lay.CUR_CLM_UNIQ_ID]
        for name in ("cclf5", "cclf1")
        for r in synth.rows[name]
        if (r[lay.BENE_MBI_ID], r[lay.CLM_CNTL_NUM]) in synth.cancelled
    }
    kept = {r["claim_id"] for r in _lines(prepared[0])}
    assert versions
    assert not versions & kept


def test_adjusted_claims_keep_only_the_adjusted_version(
    prepared: tuple[sa.Engine, Inputs], synth: CclfSynthetic
) -> None:
    assert synth.adjusted
    lines = _lines(prepared[0])
    kept = {r["claim_id"] for r in lines}
    for name in ("cclf5", "cclf1"):
        for r in synth.rows[name]:
            key = (r[lay.BENE_MBI_ID], r[lay.CLM_CNTL_NUM])
            if key in synth.adjusted and r[lay.CUR_CLM_UNIQ_ID] != synth.adjusted[key]:
                assert r[lay.CUR_CLM_UNIQ_ID] not in kept
    amounts = {(r["claim_id"], r["claim_line_number"]): r["allowed_amount"] for r in lines}
    checked = 0
    for r in synth.rows["cclf5"]:
        key = (r[lay.BENE_MBI_ID], r[lay.CLM_CNTL_NUM])
        if key in synth.adjusted and r[lay.CLM_ADJSMT_TYPE_CD] == lay.ADJUSTMENT:
            line = (r[lay.CUR_CLM_UNIQ_ID], r[lay.CLM_LINE_NUM])
            assert amounts[line] == r[lay.CLM_LINE_ALOWD_CHRG_AMT]
            checked += 1
    assert checked


def test_part_a_bill_types(prepared: tuple[sa.Engine, Inputs], synth: CclfSynthetic) -> None:
    lines = [r for r in _lines(prepared[0]) if r["revenue_center_code"] is not None]
    assert {r["claim_id"] for r in lines} == synth.part_a_kept
    assert not {r["claim_id"] for r in lines} & synth.part_a_dropped
    revenue = {r["revenue_center_code"] for r in lines}
    assert not revenue & {"0001", "0450", "0300"}
    assert {"0521", "0960", "0983"} <= revenue
    assert {r["tin"] for r in lines} == {"011801", "013401", "011301", "010001"}
    assert all(r["allowed_amount"] is None and r["attending_npi"] for r in lines)


def test_member_months_cut_at_death(
    prepared: tuple[sa.Engine, Inputs], synth: CclfSynthetic
) -> None:
    got = {
        (r["person_id"], r["year_month"])
        for r in _rows(prepared[0], "select * from work.cclf_member_months")
    }
    months = month_starts(dt.date(2024, 1, 1), dt.date(2025, 12, 1))
    want = set()
    for bene in synth.rows["cclf8"]:
        begin, end = bene[lay.BENE_RNG_BGN_DT], bene[lay.BENE_RNG_END_DT]
        death = bene[lay.BENE_DEATH_DT]
        for m in months:
            enrolled = begin <= m.replace(day=28) and (end is None or end >= m)
            if enrolled and (death is None or death >= m):
                mbi = synth.mbi_changes.get(bene[lay.BENE_MBI_ID], bene[lay.BENE_MBI_ID])
                want.add((mbi, f"{m.year}{m.month:02d}"))
    assert got == want
    assert not {person for person, _ in got} & set(synth.mbi_changes)
    assert synth.deaths
    ends = {b[lay.BENE_MBI_ID]: b[lay.BENE_RNG_END_DT] for b in synth.rows["cclf8"]}
    cut = [mbi for mbi, death in synth.deaths.items() if ends[mbi] is None or ends[mbi] > death]
    assert cut
    for mbi in cut:
        death = synth.deaths[mbi]
        last = max(ym for person, ym in got if person == mbi)
        assert last == f"{death.year}{death.month:02d}"


def test_providers_take_the_specialty(prepared: tuple[sa.Engine, Inputs]) -> None:
    rows = _rows(prepared[0], "select * from work.cclf_providers")
    assert len({r["npi"] for r in rows}) == len(rows) > 40
    assert {r["specialty_code"] for r in rows} == {"08", "11", "50", "06"}


def test_mssp_end_to_end(prepared: tuple[sa.Engine, Inputs], synth: CclfSynthetic) -> None:
    engine, inputs = prepared
    summary = attribute(
        engine, inputs, method="mssp", years=[2024, 2025], target_schema="out", today=TODAY
    )
    assert summary.exclusions["reversed_claim"] > 0
    assert summary.exclusions["fqhc_not_attested"] > 0
    rows = _rows(engine, "select * from out.assigned_beneficiaries_yearly")
    # Part A only all along (BENE_ENTLMT_BUYIN_IND 1): excluded in both years
    kept = MEMBERS - len(synth.part_a_only)
    assert synth.part_a_only
    assert len(rows) == len({r["attribution_key"] for r in rows}) == 2 * kept
    assert not {r["person_id"] for r in rows} & synth.part_a_only
    counts = {
        (r["performance_year"], r["reason"]): r["beneficiaries"]
        for r in _rows(engine, "select * from out.beneficiary_exclusions")
    }
    for year in (2024, 2025):
        assert counts[(year, "not_part_a_and_b")] == len(synth.part_a_only)
        assert counts[(year, "not_excluded")] == kept
        assert counts[(year, "deceased")] == 0
    # nursing-facility visits in a SNF stay and inpatient advance care planning never count
    used = _rows(engine, "select claim_id, hcpcs_code from work.cclf_claim_lines")
    assert {r["hcpcs_code"] for r in used} >= {"99309", "99497"}
    assert summary.exclusions["not_primary_care"] > 0
    acos = [r for r in rows if r["unit_type"] == "aco"]
    assert len(acos) > 0.6 * len(rows)
    assert {r["provider_id"] for r in acos} == {"A0001", "A0002", "A0003"}


# -- a small case computed by hand ----------------------------------------------------------


def _npi(n: int) -> str:
    base = f"{200000000 + n:09d}"
    return base + str(luhn_npi_check_digit(base))


NPI_A, NPI_X, NPI_C, NPI_F, NPI_R = (_npi(n) for n in (1, 2, 3, 4, 5))
TIN_A, TIN_X, TIN_Y = "100000001", "100000002", "100000003"


def _b(uniq: str, cntl: str, bene: str, day: str, npi: str, tin: str, **kw: Any) -> dict[str, Any]:
    """A one-line CCLF5 claim."""
    date = dt.date.fromisoformat(day)
    row = dict.fromkeys(lay.CCLF5)
    row.update(
        {
            lay.CUR_CLM_UNIQ_ID: uniq,
            lay.CLM_LINE_NUM: 1,
            lay.BENE_MBI_ID: bene,
            lay.CLM_TYPE_CD: "71",
            lay.CLM_FROM_DT: date,
            lay.CLM_THRU_DT: date,
            lay.CLM_PRVDR_SPCLTY_CD: "11",
            lay.CLM_LINE_HCPCS_CD: "99213",
            lay.CLM_RNDRG_PRVDR_TAX_NUM: tin,
            lay.RNDRG_PRVDR_NPI_NUM: npi,
            lay.CLM_ADJSMT_TYPE_CD: "0",
            lay.CLM_EFCTV_DT: date + dt.timedelta(days=10),
            lay.CLM_CNTL_NUM: cntl,
        }
    )
    row.update(kw)
    row[lay.CLM_LINE_CVRD_PD_AMT] = row[lay.CLM_LINE_ALOWD_CHRG_AMT]
    return row


def _a(uniq: str, bene: str, day: str, ccn: str, bill: str, npi: str) -> dict[str, Any]:
    date = dt.date.fromisoformat(day)
    row = dict.fromkeys(lay.CCLF1)
    row.update(
        {
            lay.CUR_CLM_UNIQ_ID: uniq,
            lay.PRVDR_OSCAR_NUM: ccn,
            lay.BENE_MBI_ID: bene,
            lay.CLM_TYPE_CD: "71",
            lay.CLM_FROM_DT: date,
            lay.CLM_THRU_DT: date,
            lay.CLM_BILL_FAC_TYPE_CD: bill[0],
            lay.CLM_BILL_CLSFCTN_CD: bill[1],
            lay.ATNDG_PRVDR_NPI_NUM: npi,
            lay.CLM_ADJSMT_TYPE_CD: "0",
            lay.CLM_EFCTV_DT: date,
            lay.CLM_CNTL_NUM: f"K{uniq}",
        }
    )
    return row


def _a_line(uniq: str, bene: str, revenue: str, paid: str) -> dict[str, Any]:
    return {
        lay.CUR_CLM_UNIQ_ID: uniq,
        lay.CLM_LINE_NUM: 1,
        lay.BENE_MBI_ID: bene,
        lay.CLM_LINE_FROM_DT: None,
        lay.CLM_LINE_THRU_DT: None,
        lay.CLM_LINE_PROD_REV_CTR_CD: revenue,
        lay.CLM_LINE_HCPCS_CD: "99213",
        lay.CLM_LINE_CVRD_PD_AMT: Decimal(paid),
    }


def _bene(mbi: str, death: dt.date | None = None) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(lay.CCLF8)
    row.update({lay.BENE_MBI_ID: mbi, lay.BENE_RNG_BGN_DT: dt.date(2024, 1, 1)})
    row[lay.BENE_DEATH_DT] = death
    return row


D = Decimal
HAND: dict[str, list[dict[str, Any]]] = {
    "cclf5": [
        # M1: ACO A claim 100.00 adjusted to 80.00; another ACO A claim 500.00 cancelled;
        # an unaffiliated TIN X claim 90.00: netted, TIN X wins (80 < 90).
        _b("0001", "C1", "M1", "2024-03-01", NPI_A, TIN_A, CLM_LINE_ALOWD_CHRG_AMT=D("100")),
        _b(
            "0002",
            "C1",
            "M1",
            "2024-03-01",
            NPI_A,
            TIN_A,
            CLM_LINE_ALOWD_CHRG_AMT=D("80"),
            CLM_ADJSMT_TYPE_CD="2",
            CLM_EFCTV_DT=dt.date(2024, 5, 1),
        ),
        _b("0003", "C2", "M1", "2024-04-01", NPI_A, TIN_A, CLM_LINE_ALOWD_CHRG_AMT=D("500")),
        _b(
            "0004",
            "C2",
            "M1",
            "2024-04-01",
            NPI_A,
            TIN_A,
            CLM_LINE_ALOWD_CHRG_AMT=D("-500"),
            CLM_ADJSMT_TYPE_CD="1",
            CLM_EFCTV_DT=dt.date(2024, 6, 1),
        ),
        _b("0005", "C3", "M1", "2024-05-01", NPI_X, TIN_X, CLM_LINE_ALOWD_CHRG_AMT=D("90")),
        # M2 (dies 2024-03-15): ACO A 60.00 plus an attested FQHC visit (paid 70.00) → A 130.
        _b("0006", "C4", "M2", "2024-02-10", NPI_A, TIN_A, CLM_LINE_ALOWD_CHRG_AMT=D("60")),
        # M3: NPI_C is internal medicine (a lab line); its CAH visit 75.00 counts for A0002.
        _b(
            "0007",
            "C5",
            "M3",
            "2024-02-01",
            NPI_C,
            TIN_Y,
            CLM_LINE_ALOWD_CHRG_AMT=D("10"),
            CLM_LINE_HCPCS_CD="80053",
        ),
        # M1 at ACO A, none primary care under MSSP: a nursing-facility visit at POS 31
        # (500.00), advance care planning at POS 21 (300.00), a nursing-facility visit at POS 11
        # inside the SNF stay 0104 (200.00). Counted, they would make A win (1080 > 90).
        _b("0020", "C20", "M1", "2024-06-01", NPI_A, TIN_A, CLM_LINE_ALOWD_CHRG_AMT=D("500"))
        | {lay.CLM_LINE_HCPCS_CD: "99309", lay.CLM_POS_CD: "31"},
        _b("0021", "C21", "M1", "2024-06-02", NPI_A, TIN_A, CLM_LINE_ALOWD_CHRG_AMT=D("300"))
        | {lay.CLM_LINE_HCPCS_CD: "99497", lay.CLM_POS_CD: "21"},
        _b("0022", "C22", "M1", "2024-07-05", NPI_A, TIN_A, CLM_LINE_ALOWD_CHRG_AMT=D("200"))
        | {lay.CLM_LINE_HCPCS_CD: "99310", lay.CLM_POS_CD: "11"},
        # M4's history under three MBIs (CCLF9: M4OLDER → M4OLD → M4): ACO A 30.00 + 50.00
        # under the previous MBIs beat TIN X 70.00 under the current one.
        _b("0010", "C10", "M4OLDER", "2024-02-01", NPI_A, TIN_A, CLM_LINE_ALOWD_CHRG_AMT=D("30")),
        _b("0011", "C11", "M4OLD", "2024-04-01", NPI_A, TIN_A, CLM_LINE_ALOWD_CHRG_AMT=D("50")),
        _b("0012", "C12", "M4", "2024-08-01", NPI_X, TIN_X, CLM_LINE_ALOWD_CHRG_AMT=D("70")),
    ],
    "cclf1": [
        _a("0101", "M2", "2024-02-20", "011801", "77", NPI_F),
        _a("0102", "M3", "2024-06-01", "013401", "71", NPI_R),  # RHC, not attested
        _a("0103", "M3", "2024-07-01", "011301", "85", NPI_C),  # Method II CAH
        _a("0104", "M1", "2024-07-01", "015001", "21", NPI_C)  # a SNF stay: no lines
        | {lay.CLM_THRU_DT: dt.date(2024, 7, 20)},
    ],
    "cclf2": [
        _a_line("0101", "M2", "0521", "70"),
        _a_line("0102", "M3", "0521", "400"),
        _a_line("0103", "M3", "0960", "75"),
    ],
    "cclf8": [_bene("M1"), _bene("M2", dt.date(2024, 3, 15)), _bene("M3"), _bene("M4")],
    "cclf9": [
        {lay.CRNT_NUM: "M4", lay.PRVS_NUM: "M4OLD", lay.PRVS_ID_EFCTV_DT: dt.date(2024, 6, 1)},
        {lay.CRNT_NUM: "M4OLD", lay.PRVS_NUM: "M4OLDER", lay.PRVS_ID_EFCTV_DT: None},
        {lay.CRNT_NUM: "CYC1", lay.PRVS_NUM: "CYC2", lay.PRVS_ID_EFCTV_DT: None},
        {lay.CRNT_NUM: "CYC2", lay.PRVS_NUM: "CYC1", lay.PRVS_ID_EFCTV_DT: None},
    ],
}
for _row in HAND["cclf9"]:
    _row.setdefault(lay.PRVS_ID_OBSLT_DT, None)
ROSTER = [
    {"npi": NPI_A, "tin": TIN_A, "aco_id": "A0001", "start_date": None, "end_date": None},
    {"npi": NPI_F, "tin": "011801", "aco_id": "A0001", "start_date": None, "end_date": None},
    {"npi": NPI_R, "tin": "013401", "aco_id": "A0001", "start_date": None, "end_date": None},
    {"npi": NPI_C, "tin": "011301", "aco_id": "A0002", "start_date": None, "end_date": None},
]


def _load_hand(engine: sa.Engine, drop: tuple[str, str] | None = None) -> None:
    md = sa.MetaData()
    with engine.begin() as conn:
        conn.execute(sa.schema.CreateSchema("raw", if_not_exists=True))
        for name, layout in lay.LAYOUTS.items():
            columns = [sa.Column(c, t) for c, t in layout.items() if (name, c) != drop]
            table = sa.Table(name, md, *columns, schema="raw")
            table.create(conn)
            rows = [{k: v for k, v in r.items() if (name, k) != drop} for r in HAND[name]]
            conn.execute(table.insert(), rows)
        roster = sa.Table(
            "aco_participants",
            md,
            *[sa.Column(c, sa.String(10)) for c in ("npi", "tin", "aco_id")],
            sa.Column("start_date", sa.Date),
            sa.Column("end_date", sa.Date),
            schema="raw",
        )
        roster.create(conn)
        conn.execute(roster.insert(), ROSTER)
        attested = sa.Table("attested_npis", md, sa.Column("npi", sa.String(10)), schema="raw")
        attested.create(conn)
        conn.execute(attested.insert(), [{"npi": NPI_F}])


def _hand_run(source: CclfTables) -> dict[str, tuple[str, str, Decimal]]:
    """Prepare the hand case from ``source`` and attribute 2024 with MSSP: person → (provider,
    unit type, allowed)."""
    engine = sa.create_engine("duckdb:///:memory:")
    _load_hand(engine)
    inputs = prepare(
        engine,
        source,
        work_schema="work",
        months=(dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
        roster=RosterTable(schema="raw"),
        attested=NpiListTable(schema="raw"),
    )
    attribute(engine, inputs, method="mssp", years=[2024], current=False, target_schema="out")
    table = output_tables.table(outputs.YEARLY, "out")
    with engine.connect() as conn:
        got = {
            r.person_id: (r.provider_id, r.unit_type, _canon(r.allowed_amount))
            for r in conn.execute(sa.select(table))
        }
    engine.dispose()
    return got


def test_mbi_crosswalk_merges_histories() -> None:
    """With CCLF9, M4's lines under M4OLDER and M4OLD are M4's: ACO A 80.00 beats TIN X 70.00;
    without it, M4's own history has no service by an ACO professional: the pre-step fails and
    M4 gets the fallback row (the previous MBIs have no member months)."""
    merged = _hand_run(CclfTables(schema="raw"))
    assert merged["M4"] == ("A0001", "aco", D("80.00"))
    assert not {"M4OLD", "M4OLDER", "CYC1", "CYC2"} & set(merged)
    apart = _hand_run(CclfTables(schema="raw", cclf9=None))
    assert apart["M4"][0] == "9999999999"
    assert not {"M4OLD", "M4OLDER"} & set(apart)


def test_resolve_mbi_chains() -> None:
    day = dt.date(2024, 1, 1)
    rows = [
        ("B", "A", day),  # A → B → C: a chain
        ("C", "B", day),
        ("Y", "X", day),  # X listed twice: the later effective date wins
        ("Z", "X", dt.date(2024, 6, 1)),
        ("Q", "P", None),  # P → Q or R on the same (null) date: the larger current MBI
        ("R", "P", None),
        ("K2", "K1", day),  # a cycle K1 → K2 → K3 → K1, and J leading into it
        ("K3", "K2", day),
        ("K1", "K3", day),
        ("K2", "J", day),
        ("S", "S", day),  # ignored: no change
        (" ", "T", day),  # ignored: blank
        (None, "U", day),
    ]
    assert resolve_mbi_chains(rows) == {
        "A": "C",
        "B": "C",
        "X": "Z",
        "P": "R",
        "K2": "K1",
        "K3": "K1",
        "J": "K1",
    }


def test_hand_computed_case() -> None:
    engine = sa.create_engine("duckdb:///:memory:")
    _load_hand(engine)
    inputs = prepare(
        engine,
        CclfTables(schema="raw"),
        work_schema="work",
        months=(dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
        roster=RosterTable(schema="raw"),
        attested=NpiListTable(schema="raw"),
    )
    lines = {(r["claim_id"], _canon(r["allowed_amount"])) for r in _lines(engine)}
    assert lines == {
        ("0002", D("80.00")),
        ("0005", D("90.00")),
        ("0006", D("60.00")),
        ("0007", D("10.00")),
        ("0101", None),
        ("0102", None),
        ("0103", None),
        ("0104", None),
        ("0020", D("500.00")),
        ("0021", D("300.00")),
        ("0022", D("200.00")),
        ("0010", D("30.00")),
        ("0011", D("50.00")),
        ("0012", D("70.00")),
    }
    setting = {
        r["claim_id"]: (r["person_id"], r["place_of_service"], r["bill_type"])
        for r in _rows(engine, "select * from work.cclf_claim_lines")
    }
    assert setting["0020"] == ("M1", "31", None)
    assert setting["0021"] == ("M1", "21", None)
    assert setting["0104"] == ("M1", None, "21")
    assert setting["0101"] == ("M2", None, "77")
    assert {setting[c][0] for c in ("0010", "0011", "0012")} == {"M4"}
    months = _rows(engine, "select * from work.cclf_member_months where person_id = 'M2'")
    assert sorted(r["year_month"] for r in months) == ["202401", "202402", "202403"]
    attribute(engine, inputs, method="mssp", years=[2024], current=False, target_schema="out")
    table = output_tables.table(outputs.YEARLY, "out")
    with engine.connect() as conn:
        got = {
            r.person_id: (r.provider_id, r.unit_type, _canon(r.allowed_amount))
            for r in conn.execute(sa.select(table))
        }
    engine.dispose()
    assert got == {
        "M1": (TIN_X, "tin", D("90.00")),
        "M2": ("A0001", "aco", D("130.00")),
        "M3": ("A0002", "aco", D("75.00")),
        "M4": ("A0001", "aco", D("80.00")),
    }


def test_missing_column_and_table_are_named() -> None:
    engine = sa.create_engine("duckdb:///:memory:")
    _load_hand(engine, drop=("cclf5", lay.CLM_CNTL_NUM))
    with pytest.raises(CclfError, match=r"cclf5 in schema raw \(CCLF5\): missing CLM_CNTL_NUM"):
        prepare(engine, CclfTables(schema="raw"), work_schema="work")
    with pytest.raises(CclfError, match=r"CCLF table beneficiaries in schema raw .* not exist"):
        prepare(engine, CclfTables(schema="raw", cclf8="beneficiaries"), work_schema="work")
    engine.dispose()


def test_prepare_replaces_and_leaves_no_work_tables() -> None:
    engine = sa.create_engine("duckdb:///:memory:")
    _load_hand(engine)
    for _ in range(2):
        prepare(engine, CclfTables(schema="raw"), work_schema="work")
    names = sorted(sa.inspect(engine).get_table_names(schema="work"))
    engine.dispose()
    assert names == [
        "cclf_claim_lines",
        "cclf_enrollment",
        "cclf_member_months",
        "cclf_providers",
    ]


def test_cclf_demo_command(tmp_path: Path) -> None:
    db = tmp_path / "cclf.duckdb"
    result = CliRunner().invoke(cclf_demo, ["--db", str(db), "--members", "40", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["method"] == "mssp"
    part_a_only = build_cclf(40, 0).part_a_only  # excluded: no month with Part A and B
    assert summary["rows"]["assigned_beneficiaries_yearly"] == 2 * (40 - len(part_a_only))
    with pytest.raises(click.ClickException, match="cclf1 in schema missing"):
        prepare_cclf_inputs(f"duckdb:///{db}", "missing", "out")
