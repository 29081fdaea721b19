"""Small synthetic CCLF tables (never real data) for tests and the ``cclf-demo`` command.

:func:`build_cclf` draws every row in Python from ``random.Random(seed)`` and records what
:func:`provider_attribution.sources.cclf.prepare` must make of them (:class:`CclfSynthetic`);
:func:`generate_cclf` writes the rows with SQLAlchemy Core inserts, on any engine.

Shapes: 2024-2025; 12 practices (TINs) of a PCP, a second PCP, an NPP and a specialist, the
first nine dealt round-robin to the ACOs ``A0001``..``A0003``; an FQHC and an RHC (two attending
NPIs each, one not attested), a Method II CAH and an ETA hospital, rostered under their CCN.
Beneficiaries mostly enrol from January 2024 with open ranges (some start later, some end, a
few ``9999-12-31``), ~5 % die in 2025. Part B visits are mostly primary care at the home
practice; ~7 % of claims are adjusted (``2``, other amounts; the winner is sometimes the smaller
CUR_CLM_UNIQ_ID, or decided by the load date), ~5 % cancelled (``1``), ~2 % reversed inside the
claim (a negated line), ~2 % carry a partial negative line, ~2 % have no control number.
Part A: FQHC/RHC visits (revenue code 0521 plus a ``0001`` total line; some attending NPIs only
in OPRTG), CAH/ETA visits with a professional (096x-098x) and a facility line, inpatient claims;
some adjusted or cancelled.
Setting exclusions: ~5 % have a SNF stay (bill type 21x) with a nursing-facility visit
(99309) inside it, ~3 % an advance-care-planning visit (99497) at place of service 21.
Enrollment: ~4 % have Part A only (``BENE_ENTLMT_BUYIN_IND`` 1), the rest 3 or C.
MBI changes: ~6 % changed MBI during 2024-2025 (claims before the change carry the previous
MBI, some a CCLF8 row under it too), a few twice (a chain); CCLF9 lists every change, plus a
cycle between two MBIs nobody uses.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from provider_attribution.engines.ddl import DropTableIfExists
from provider_attribution.engines.profiles import profile_for
from provider_attribution.sources import cclf_layout as lay
from provider_attribution.synthetic.claims import in_transaction, luhn_npi_check_digit

__all__ = ["FIRST_DAY", "LAST_DAY", "CclfSynthetic", "build_cclf", "generate_cclf"]

FIRST_DAY = dt.date(2024, 1, 1)
LAST_DAY = dt.date(2025, 12, 31)
ACOS = ("A0001", "A0002", "A0003")
FQHC_CCN, RHC_CCN, CAH_CCN, ETA_CCN = "011801", "013401", "011301", "010001"
SNF_CCN = "015001"
_PRACTICES = 12
_PARTICIPATING = 9
_PC_CODES = ("99213", "99214", "99203", "G0439", "99212")
_SPECIALTIES = ("08", "11", "50", "06")  # PCP, PCP, NPP, specialist
_CENT = Decimal("0.01")


@dataclass
class CclfSynthetic:
    """The generated rows per table and the facts :func:`prepare` must reproduce."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    cancelled: set[tuple[str, str]] = field(default_factory=set)  # (BENE_MBI_ID, CLM_CNTL_NUM)
    adjusted: dict[tuple[str, str], str] = field(default_factory=dict)  # → winning uniq id
    part_a_kept: set[str] = field(default_factory=set)  # winning CUR_CLM_UNIQ_IDs kept
    part_a_dropped: set[str] = field(default_factory=set)  # by bill type (all versions)
    reversed_claims: set[str] = field(default_factory=set)  # claims netting to <= 0
    deaths: dict[str, dt.date] = field(default_factory=dict)
    part_a_only: set[str] = field(default_factory=set)  # current MBIs with Part A only
    mbi_changes: dict[str, str] = field(default_factory=dict)  # previous MBI → current MBI
    setting_visits: set[str] = field(default_factory=set)  # claim ids of SNF/ACP visits
    expected_lines: list[dict[str, Any]] = field(default_factory=list)  # cclf_claim_lines


def _npi(index: int) -> str:
    base = f"{141000000 + index * 379:09d}"
    return base + str(luhn_npi_check_digit(base))


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return (Decimal(rng.randint(low, high)) / 100).quantize(_CENT)


def _month_end(day: dt.date) -> dt.date:
    nxt = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


@dataclass(frozen=True)
class _Practice:
    tin: str
    npis: tuple[str, ...]
    aco: str | None


class _Builder:
    """Draws the rows; one instance per (members, seed)."""

    def __init__(self, members: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.members = members
        self.out = CclfSynthetic(
            rows={n: [] for n in ("cclf1", "cclf2", "cclf5", "cclf8", "cclf9", "aco_participants")}
        )
        self.out.rows["attested_npis"] = []
        self.next_id = 1
        self.practices = [
            _Practice(
                tin=f"{880000000 + k * 7919}",
                npis=tuple(_npi(k * 4 + j) for j in range(4)),
                aco=ACOS[k % len(ACOS)] if k < _PARTICIPATING else None,
            )
            for k in range(_PRACTICES)
        ]
        self.sites = {FQHC_CCN: (_npi(900), _npi(901)), RHC_CCN: (_npi(902), _npi(903))}
        self.changes: list[tuple[dt.date, str]] = []  # the beneficiary's (until, previous MBI)

    def mbi_on(self, mbi: str, day: dt.date) -> str:
        """The MBI a claim of the current beneficiary carries on ``day``."""
        for until, previous in self.changes:  # earliest change first
            if day < until:
                return previous
        return mbi

    def current(self, mbi: str) -> str:
        return self.out.mbi_changes.get(mbi, mbi)

    def uniq(self) -> str:
        self.next_id += 1
        return f"{self.next_id:013d}"

    # -- roster and people ------------------------------------------------------------------

    def roster(self) -> None:
        rows = self.out.rows["aco_participants"]
        for p in self.practices:
            if p.aco is not None:
                rows += [self._roster_row(n, p.tin, p.aco) for n in p.npis]
        for (ccn, npis), aco in zip(self.sites.items(), ACOS, strict=False):
            rows += [self._roster_row(n, ccn, aco) for n in npis]
        cah_doctor = self.practices[0].npis[0]
        rows += [self._roster_row(cah_doctor, CAH_CCN, ACOS[0])]
        rows += [self._roster_row(cah_doctor, ETA_CCN, ACOS[0])]
        attested = [n for npis in self.sites.values() for n in npis][:-1]
        self.out.rows["attested_npis"] += [{"npi": n} for n in attested]

    @staticmethod
    def _roster_row(npi: str, tin: str, aco: str) -> dict[str, Any]:
        return {"npi": npi, "tin": tin, "aco_id": aco, "start_date": None, "end_date": None}

    def beneficiary(self, index: int) -> tuple[str, dt.date, dt.date]:
        """Write the CCLF8 row; (MBI, first, last service day)."""
        rng = self.rng
        mbi = f"9Z{index:09d}"
        begin = FIRST_DAY if rng.random() < 0.7 else dt.date(2024, rng.randint(2, 12), 1)
        end: dt.date | None = None
        draw = rng.random()
        if draw < 0.08:
            end = _month_end(dt.date(2025, rng.randint(1, 11), 1))
        elif draw < 0.12:
            end = dt.date(9999, 12, 31)
        death = None
        if rng.random() < 0.05:
            death = dt.date(2025, rng.randint(1, 11), rng.randint(1, 28))
            self.out.deaths[mbi] = death
        buyin = rng.choice(("3", "3", "3", "C"))
        if rng.random() < 0.04:
            buyin = "1"
            self.out.part_a_only.add(mbi)
        row = {
            lay.BENE_MBI_ID: mbi,
            lay.BENE_FIPS_STATE_CD: f"{rng.randint(1, 56):02d}",
            lay.BENE_DOB: dt.date(rng.randint(1930, 1958), rng.randint(1, 12), 15),
            lay.BENE_DEATH_DT: death,
            lay.BENE_RNG_BGN_DT: begin,
            lay.BENE_RNG_END_DT: end,
            lay.BENE_MDCR_STUS_CD: rng.choice(("10", "11", "20")),
            lay.BENE_ENTLMT_BUYIN_IND: buyin,
        }
        self.out.rows["cclf8"].append(row)
        last = min(d for d in (end, death, LAST_DAY) if d is not None)
        self.changes = []
        if rng.random() < 0.06:
            self._change_mbi(index, row, begin, last)
        return mbi, begin, last

    def _change_mbi(self, index: int, row: dict[str, Any], begin: dt.date, last: dt.date) -> None:
        """Give the beneficiary one or two previous MBIs (a chain) and their CCLF9 rows."""
        rng, mbi = self.rng, row[lay.BENE_MBI_ID]
        span = max((last - begin).days, 2)
        until = begin + dt.timedelta(days=rng.randint(1, span))
        previous = f"9Y{index:09d}"
        self.changes = [(until, previous)]
        self._cclf9(mbi, previous, until)
        if rng.random() < 0.5:  # CCLF8 also lists the previous MBI, until the change
            self.out.rows["cclf8"].append(
                {**row, lay.BENE_MBI_ID: previous, lay.BENE_DEATH_DT: None}
                | {lay.BENE_RNG_END_DT: until - dt.timedelta(days=1)}
            )
        if rng.random() < 0.35 and (until - begin).days > 1:
            earlier = begin + dt.timedelta(days=rng.randint(1, (until - begin).days))
            older = f"9X{index:09d}"
            self.changes.insert(0, (earlier, older))
            self._cclf9(previous, older, earlier)
            self.out.mbi_changes[older] = mbi

    def _cclf9(self, current: str, previous: str, day: dt.date) -> None:
        self.out.rows["cclf9"].append(
            {
                lay.CRNT_NUM: current,
                lay.PRVS_NUM: previous,
                lay.PRVS_ID_EFCTV_DT: day,
                lay.PRVS_ID_OBSLT_DT: None,
            }
        )
        self.out.mbi_changes[previous] = self.out.mbi_changes.get(current, current)

    # -- Part B --------------------------------------------------------------------------------

    def part_b_visit(
        self,
        mbi: str,
        day: dt.date,
        home: _Practice,
        setting: tuple[str, str] | None = None,
    ) -> None:
        """A Part B claim; ``setting`` (HCPCS, place of service): a home-PCP visit with them."""
        rng = self.rng
        draw = rng.random()
        if setting is not None:
            npi_index, practice, hcpcs = 0, home, setting[0]
        elif draw < 0.7:
            npi_index = rng.choice((0, 0, 1, 2))
            practice, hcpcs = home, rng.choice(_PC_CODES)
        elif draw < 0.9:
            npi_index, practice, hcpcs = 3, rng.choice(self.practices), "99214"
        else:
            npi_index, practice, hcpcs = 3, home, "27447"
        npi = practice.npis[npi_index]
        lines = [(hcpcs, _money(rng, 6000, 20000))]
        if rng.random() < 0.3:
            lines.append((rng.choice(("80053", "36415")), _money(rng, 1000, 4000)))
        kind = rng.random()
        if 0.14 <= kind < 0.16:
            lines.append((hcpcs, -lines[0][1]))  # reversed inside the claim: nets to zero
        elif 0.16 <= kind < 0.18:
            lines.append((hcpcs, -(lines[0][1] / 4).quantize(_CENT)))
        claim = {
            "mbi": self.mbi_on(mbi, day),
            "cntl": None if rng.random() < 0.02 else f"B{self.next_id:012d}",
            "day": day,
            "npi": npi,
            "tin": practice.tin,
            "specialty": _SPECIALTIES[npi_index],
            "lines": lines,
            "pos": "11" if setting is None else setting[1],
        }
        if setting is not None:
            kind = 0.5  # original only
        self._versions(claim, kind, self._write_b)

    def _versions(self, claim: dict[str, Any], kind: float, write: Any) -> None:
        """Original only, original + adjustment, or original + cancellation."""
        day: dt.date = claim["day"]
        first, second = self.uniq(), self.uniq()
        key = (claim["mbi"], claim["cntl"])
        if kind < 0.07 and claim["cntl"] is not None:
            swap = self.rng.random() < 0.5
            by_load_date = self.rng.random() < 0.3
            old, new = (second, first) if swap else (first, second)
            write(claim, old, lay.ORIGINAL, day + dt.timedelta(days=10), day, 1, expected=False)
            bumped = {
                **claim,
                "lines": [(*x[:-1], x[-1] + Decimal("15.00")) for x in claim["lines"]],
            }
            efctv = day + dt.timedelta(days=10 if by_load_date else 40)
            write(bumped, new, lay.ADJUSTMENT, efctv, day, 5, expected=True)
            self.out.adjusted[key] = new
        elif kind < 0.12 and claim["cntl"] is not None:
            write(claim, first, lay.ORIGINAL, day + dt.timedelta(days=10), day, 1, expected=False)
            negated = {**claim, "lines": [(*x[:-1], -x[-1]) for x in claim["lines"]]}
            write(negated, second, lay.CANCELLATION, day + dt.timedelta(days=30), day, 1, False)
            self.out.cancelled.add(key)
        else:
            write(claim, first, lay.ORIGINAL, day + dt.timedelta(days=10), day, 1, expected=True)
            if sum(x[-1] for x in claim["lines"]) <= 0:
                self.out.reversed_claims.add(first)

    def _write_b(
        self,
        claim: dict[str, Any],
        uniq: str,
        adjustment: str,
        efctv: dt.date,
        day: dt.date,
        load_offset: int,
        expected: bool,
    ) -> None:
        thru = min(day + dt.timedelta(days=self.rng.randint(0, 2)), LAST_DAY)
        for number, (hcpcs, allowed) in enumerate(claim["lines"], start=1):
            paid = (allowed * Decimal("0.8")).quantize(_CENT)
            self.out.rows["cclf5"].append(
                {
                    lay.CUR_CLM_UNIQ_ID: uniq,
                    lay.CLM_LINE_NUM: number,
                    lay.BENE_MBI_ID: claim["mbi"],
                    lay.CLM_TYPE_CD: "71",
                    lay.CLM_FROM_DT: day,
                    lay.CLM_THRU_DT: thru,
                    lay.CLM_PRVDR_SPCLTY_CD: claim["specialty"],
                    lay.CLM_POS_CD: claim["pos"],
                    lay.CLM_LINE_FROM_DT: day,
                    lay.CLM_LINE_THRU_DT: thru,
                    lay.CLM_LINE_HCPCS_CD: hcpcs,
                    lay.CLM_LINE_CVRD_PD_AMT: paid,
                    lay.CLM_RNDRG_PRVDR_TAX_NUM: claim["tin"],
                    lay.RNDRG_PRVDR_NPI_NUM: claim["npi"],
                    lay.CLM_LINE_ALOWD_CHRG_AMT: allowed,
                    lay.CLM_ADJSMT_TYPE_CD: adjustment,
                    lay.CLM_EFCTV_DT: efctv,
                    lay.CLM_IDR_LD_DT: efctv + dt.timedelta(days=load_offset),
                    lay.CLM_CNTL_NUM: claim["cntl"],
                }
            )
            if claim["pos"] != "11" or hcpcs == "99309":
                self.out.setting_visits.add(uniq)
            if expected:
                mbi = self.current(claim["mbi"])
                self.out.expected_lines.append(
                    _expected(mbi, uniq, number, claim["npi"], claim["tin"], hcpcs)
                    | {"allowed_amount": allowed, "paid_amount": paid, "claim_start_date": day}
                    | {"revenue_center_code": None, "attending_npi": None}
                )

    # -- Part A --------------------------------------------------------------------------------

    def part_a_visit(self, mbi: str, day: dt.date, kind: str) -> None:
        rng = self.rng
        doctor = self.practices[0].npis[0]
        if kind in {FQHC_CCN, RHC_CCN}:
            attending = rng.choice(self.sites[kind])
            bill = lay.FQHC_BILL if kind == FQHC_CCN else lay.RHC_BILL
            lines = [("0521", rng.choice(("G0466", "T1015", "99213")), _money(rng, 9000, 16000))]
        elif kind == CAH_CCN:
            attending, bill = doctor, lay.CAH_BILL
            lines = [("0960", "99213", _money(rng, 5000, 9000)), ("0450", "99284", Decimal(300))]
        elif kind == ETA_CCN:
            attending, bill = doctor, lay.ETA_BILL
            lines = [("0983", "99214", _money(rng, 5000, 9000)), ("0300", "80053", Decimal(40))]
        elif kind == "snf":
            attending, bill = doctor, ("2", "1")
            lines = [("0120", "", Decimal(4000))]
        else:
            attending, bill = doctor, ("1", "1")
            lines = [("0100", "", Decimal(9000))]
        total = sum((a for _, _, a in lines), Decimal(0))
        lines.append(("0001", "", total))
        claim = {
            "mbi": self.mbi_on(mbi, day),
            "cntl": f"A{self.next_id:012d}",
            "day": day,
            "thru": min(day + dt.timedelta(days=12), LAST_DAY) if kind == "snf" else day,
            "ccn": SNF_CCN if kind == "snf" else kind,
            "bill": bill,
            "attending": attending,
            "in_oprtg": rng.random() < 0.15,
            "lines": lines,
        }
        self._versions(claim, rng.random(), self._write_a)

    def _write_a(
        self,
        claim: dict[str, Any],
        uniq: str,
        adjustment: str,
        efctv: dt.date,
        day: dt.date,
        load_offset: int,
        expected: bool,
    ) -> None:
        lines = claim["lines"]
        if adjustment == lay.ADJUSTMENT:  # _versions bumped every amount, the total too
            lines = [*lines[:-1], ("0001", "", sum((a for _, _, a in lines[:-1]), Decimal(0)))]
        attending = claim["attending"]
        self.out.rows["cclf1"].append(
            {
                lay.CUR_CLM_UNIQ_ID: uniq,
                lay.PRVDR_OSCAR_NUM: claim["ccn"],
                lay.BENE_MBI_ID: claim["mbi"],
                lay.CLM_TYPE_CD: {("1", "1"): "60", ("2", "1"): "20"}.get(claim["bill"], "40"),
                lay.CLM_FROM_DT: day,
                lay.CLM_THRU_DT: claim["thru"],
                lay.CLM_BILL_FAC_TYPE_CD: claim["bill"][0],
                lay.CLM_BILL_CLSFCTN_CD: claim["bill"][1],
                lay.CLM_PMT_AMT: lines[-1][2],
                lay.ATNDG_PRVDR_NPI_NUM: None if claim["in_oprtg"] else attending,
                lay.OPRTG_PRVDR_NPI_NUM: attending if claim["in_oprtg"] else None,
                lay.OTHR_PRVDR_NPI_NUM: None,
                lay.CLM_ADJSMT_TYPE_CD: adjustment,
                lay.CLM_EFCTV_DT: efctv,
                lay.CLM_IDR_LD_DT: efctv + dt.timedelta(days=load_offset),
                lay.CLM_CNTL_NUM: claim["cntl"],
            }
        )
        keep = self._part_a_keeps(claim, uniq, expected)
        for number, (revenue, hcpcs, paid) in enumerate(lines, start=1):
            self.out.rows["cclf2"].append(
                {
                    lay.CUR_CLM_UNIQ_ID: uniq,
                    lay.CLM_LINE_NUM: number,
                    lay.BENE_MBI_ID: claim["mbi"],
                    lay.CLM_LINE_FROM_DT: day,
                    lay.CLM_LINE_THRU_DT: day,
                    lay.CLM_LINE_PROD_REV_CTR_CD: revenue,
                    lay.CLM_LINE_HCPCS_CD: hcpcs or None,
                    lay.CLM_LINE_CVRD_PD_AMT: paid,
                }
            )
            if keep and _line_kept(claim["bill"], revenue):
                mbi = self.current(claim["mbi"])
                self.out.expected_lines.append(
                    _expected(mbi, uniq, number, attending, claim["ccn"], hcpcs or None)
                    | {"allowed_amount": None, "paid_amount": paid, "claim_start_date": day}
                    | {"revenue_center_code": revenue, "attending_npi": attending}
                )

    def _part_a_keeps(self, claim: dict[str, Any], uniq: str, expected: bool) -> bool:
        if claim["bill"] in lay.STAY_BILLS:
            self.out.part_a_dropped.add(uniq)
            if expected:  # the header stays, as one row marking the stay
                self.out.expected_lines.append(
                    _expected(self.current(claim["mbi"]), uniq, 0, None, claim["ccn"], None)
                    | {"allowed_amount": None, "paid_amount": None}
                    | {"claim_start_date": claim["day"], "revenue_center_code": None}
                    | {"attending_npi": None}
                )
            return False
        if expected:
            self.out.part_a_kept.add(uniq)
        return expected

    # -- everything ------------------------------------------------------------------------

    def build(self) -> CclfSynthetic:
        self.roster()
        rng = self.rng
        for index in range(self.members):
            mbi, first, last = self.beneficiary(index)
            home = self.practices[rng.randrange(_PARTICIPATING if rng.random() < 0.8 else 12)]
            for day in sorted(_days(rng, first, last, rng.randint(2, 7))):
                self.part_b_visit(mbi, day, home)
            draw = rng.random()
            kinds = (
                [rng.choice((FQHC_CCN, RHC_CCN))] * rng.randint(1, 3)
                if draw < 0.2
                else [CAH_CCN]
                if draw < 0.25
                else [ETA_CCN]
                if draw < 0.28
                else ["010002"]
                if draw < 0.31
                else []
            )
            for kind, day in zip(kinds, _days(rng, first, last, len(kinds)), strict=True):
                self.part_a_visit(mbi, day, kind)
            self._setting_visits(mbi, home, first, last)
        for current, previous in (("9W000000001", "9W000000002"), ("9W000000002", "9W000000001")):
            self.out.rows["cclf9"].append(  # a cycle between two MBIs nobody uses
                {lay.CRNT_NUM: current, lay.PRVS_NUM: previous}
                | {lay.PRVS_ID_EFCTV_DT: FIRST_DAY, lay.PRVS_ID_OBSLT_DT: None}
            )
        return self.out

    def _setting_visits(self, mbi: str, home: _Practice, first: dt.date, last: dt.date) -> None:
        """Sometimes a SNF stay with a nursing-facility visit inside, or advance care planning
        at place of service 21 (both not primary care under MSSP)."""
        rng = self.rng
        draw = rng.random()
        if draw < 0.05 and (last - first).days > 14:
            day = next(_days(rng, first, last - dt.timedelta(days=13), 1))
            self.part_a_visit(mbi, day, "snf")
            pos = rng.choice(("31", "11"))
            self.part_b_visit(mbi, day + dt.timedelta(days=3), home, ("99309", pos))
        elif draw < 0.08:
            self.part_b_visit(mbi, next(_days(rng, first, last, 1)), home, ("99497", "21"))


def _days(rng: random.Random, first: dt.date, last: dt.date, n: int) -> Iterator[dt.date]:
    span = max((last - first).days, 0)
    for _ in range(n):
        yield first + dt.timedelta(days=rng.randint(0, span))


def _line_kept(bill: tuple[str, str], revenue: str) -> bool:
    if revenue == lay.TOTAL_REVENUE_CODE:
        return False
    if bill in {lay.FQHC_BILL, lay.RHC_BILL}:
        return True
    return revenue[:3] in lay.PROFESSIONAL_REVENUE_PREFIXES


def _expected(
    mbi: str, uniq: str, number: int, npi: str | None, tin: str, hcpcs: str | None
) -> dict[str, Any]:
    return {
        "person_id": mbi,
        "claim_id": uniq,
        "claim_line_number": number,
        "rendering_npi": npi,
        "tin": tin,
        "hcpcs_code": hcpcs,
    }


def build_cclf(members: int = 300, seed: int = 0) -> CclfSynthetic:
    """The synthetic rows and expected facts for ``members`` beneficiaries and ``seed``."""
    if members < 1:
        raise ValueError(f"members must be at least 1, got {members}")
    return _Builder(members, seed).build()


def _tables(schema: str | None) -> dict[str, sa.Table]:
    md = sa.MetaData()
    tables = {
        name: sa.Table(name, md, *[sa.Column(c, t) for c, t in layout.items()], schema=schema)
        for name, layout in lay.LAYOUTS.items()
    }
    tables["aco_participants"] = sa.Table(
        "aco_participants",
        md,
        sa.Column("npi", sa.String(10)),
        sa.Column("tin", sa.String(10)),
        sa.Column("aco_id", sa.String(8)),
        sa.Column("start_date", sa.Date),
        sa.Column("end_date", sa.Date),
        schema=schema,
    )
    tables["attested_npis"] = sa.Table(
        "attested_npis", md, sa.Column("npi", sa.String(10)), schema=schema
    )
    return tables


def _write(conn: sa.Connection, data: CclfSynthetic, schema: str | None) -> dict[str, int]:
    if schema is not None and profile_for(conn.dialect.name).capabilities.schemas:
        conn.execute(sa.schema.CreateSchema(schema, if_not_exists=True))
    counts: dict[str, int] = {}
    for name, table in _tables(schema).items():
        conn.execute(DropTableIfExists(table))
        table.create(conn)
        rows = data.rows[name]
        for start in range(0, len(rows), 2000):
            conn.execute(table.insert(), rows[start : start + 2000])
        counts[name] = len(rows)
    return counts


def generate_cclf(
    target: sa.Engine | sa.Connection, *, members: int = 300, seed: int = 0, schema: str | None
) -> dict[str, int]:
    """Create (replacing) ``cclf1``, ``cclf2``, ``cclf5``, ``cclf8``, ``aco_participants`` and
    ``attested_npis`` in ``schema``, filled from :func:`build_cclf`; rows per table."""
    data = build_cclf(members, seed)
    return in_transaction(target, lambda conn: _write(conn, data, schema))
