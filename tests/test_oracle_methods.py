"""Hand-computed scenarios for the oracle's methodology extensions (MSSP, Medicaid, REACH).

Every expected value below was worked out by hand from the second part of ``docs/METHOD.md``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from harness import Dataset, run_sql
from oracle import (
    CURRENT_COLUMNS,
    EXCLUSION_REASONS,
    RANKING_COLUMNS,
    YEARLY_COLUMNS,
    attribute_reference,
)
from provider_attribution.model import outputs
from provider_attribution.model.inputs import Classification
from provider_attribution.model.method import (
    MEDICAID,
    MSSP,
    MSSP_PROSPECTIVE,
    REACH,
    TUVA,
    Method,
    Path,
)
from provider_attribution.model.valuesets import ValueSets

D = dt.date
M = Decimal
PC = "99213"  # a primary-care code of VS
NON_PC = "80053"
FALLBACK = "9999999999"
VS = ValueSets(
    primary_care_hcpcs=frozenset({"99213", "G0439"}),
    specialty_bucket={"08": "pcp", "50": "npp", "06": "specialist"},
    specialty_description={"08": "Family Practice", "50": "Nurse Practitioner", "06": "Cardiology"},
    taxonomy_specialty={},
)
JUNE_30 = D(2024, 6, 30)  # 12-month window 2023-07-01.., 24-month window 2022-07-01..
TODAY = D(2025, 6, 30)  # the run date of the scenarios unless they pick one


def luhn_npi(first_nine: str) -> str:
    """``first_nine`` followed by its NPI check digit (Luhn over ``80840`` + the nine digits).

    Written apart from the oracle's check (the CMS shortcut: the prefix ``80840`` adds 24).
    """
    total = 24
    for position, char in enumerate(reversed(first_nine)):
        digit = int(char) * (2 if position % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return first_nine + str(-total % 10)


# Luhn-valid NPIs that sort like their names: N0 < N1 < ... < N9 < R1 < S1. ACO ids ("A1") and
# TINs ("T1") start with a letter and so sort after every NPI.
N0, N1, N2, N3, N4, N5, N6, N7, N8, N9 = (luhn_npi(f"10000000{i}") for i in range(10))
R1 = luhn_npi("300000001")
S1 = luhn_npi("400000001")
CUR = "current|20240630|"
STEP_1, STEP_2, STEP_3 = (p.description for p in MSSP.passes)

_counter = iter(range(1, 1_000_000))


def claim(
    npi: str | None,
    day: dt.date,
    amount: str = "10",
    *,
    person: str | None = "p1",
    hcpcs: str = PC,
    claim_id: str | None = None,
    tin: str | None = None,
    rev: str | None = None,
    attending: str | None = None,
) -> dict[str, Any]:
    """One claim line, by default its own claim id; optional TIN and FQHC columns."""
    return {
        "person_id": person,
        "claim_id": claim_id or f"c{next(_counter)}",
        "claim_line_number": 1,
        "encounter_id": None,
        "rendering_npi": npi,
        "hcpcs_code": hcpcs,
        "claim_start_date": day,
        "claim_end_date": day,
        "allowed_amount": Decimal(amount),
        "paid_amount": None,
        "tin": tin,
        "revenue_center_code": rev,
        "attending_npi": attending,
    }


def months(person: str, first: int, last: int) -> list[dict[str, Any]]:
    """Member months ``first..last`` (YYYYMM, inclusive) of one person."""
    rows = []
    ym = first
    while ym <= last:
        rows.append({"person_id": person, "year_month": ym})
        ym = ym + 1 if ym % 100 < 12 else (ym // 100 + 1) * 100 + 1
    return rows


def enrolled(*people: str, first: int = 202301, last: int = 202412) -> list[dict[str, Any]]:
    return [row for person in people for row in months(person, first, last)]


def buckets(by_npi: dict[str, str]) -> list[dict[str, Any]]:
    return [{"npi": npi, "classification": value} for npi, value in by_npi.items()]


def member(
    npi: str,
    aco: str,
    start: dt.date | None = None,
    end: dt.date | None = None,
    tin: str | None = None,
) -> dict[str, Any]:
    """A roster row."""
    return {"npi": npi, "tin": tin, "aco_id": aco, "start_date": start, "end_date": end}


def pick(person: str, npi: str, effective: dt.date, end: dt.date | None = None) -> dict[str, Any]:
    """A self-selection or geographic assignment row."""
    return {"person_id": person, "npi": npi, "effective_date": effective, "end_date": end}


def run(
    claims: list[dict[str, Any]],
    eligibility: list[dict[str, Any]],
    providers: list[dict[str, Any]],
    method: Method,
    *,
    as_of: dt.date | None = JUNE_30,
    years: Sequence[int] = (),
    kind: Classification = Classification.BUCKET,
    today: dt.date = TODAY,
    **extra: Any,
) -> dict[str, Any]:
    """The oracle's result, after checking that the SQL engine (DuckDB) gives the same."""
    want = attribute_reference(
        claims,
        eligibility,
        providers,
        method=method,
        valuesets=VS,
        classification_kind=kind,
        encounter_mapped=False,
        as_of=as_of,
        years=years,
        today=today,
        **extra,
    )
    assert tuple(want["exclusions"]) == EXCLUSION_REASONS
    assert sum(want["exclusions"].values()) == len(claims)
    data = Dataset(
        claims=claims,
        eligibility=eligibility,
        providers=providers,
        classification_kind=kind,
        encounter_mapped=False,
        today=today,
        **extra,
    )
    got = run_sql(_engine(), data, method=method, valuesets=VS, as_of=as_of, years=years)
    for table in outputs.TABLES:
        assert got[table] == want[table], f"SQL and oracle differ on {table}"
    assert dict(got["exclusions"]) == want["exclusions"], "SQL and oracle differ on exclusions"
    return want


@functools.cache
def _engine() -> sa.Engine:
    return sa.create_engine("duckdb:///:memory:")


Row = tuple[str, str, str | None, str | None, int, Decimal, int, int]


def summary(out: dict[str, Any], key: str) -> list[Row]:
    """(attribution_type, provider_id, unit_type, top_npi, step, allowed, visits, ranking)."""
    return [
        (
            r["attribution_type"],
            r["provider_id"],
            r["unit_type"],
            r["top_npi"],
            r["step"],
            r["allowed_amount"],
            r["visits"],
            r["ranking"],
        )
        for r in out["provider_ranking"]
        if r["attribution_key"] == key
    ]


def nonzero(out: dict[str, Any]) -> dict[str, int]:
    """The statuses that some claims row has, with their counts."""
    return {reason: lines for reason, lines in out["exclusions"].items() if lines}


def row_of(out: dict[str, Any], key: str, ranking: int = 1) -> dict[str, Any]:
    """The ranking row of ``key`` at position ``ranking``."""
    rows: list[dict[str, Any]] = out["provider_ranking"]
    (row,) = [r for r in rows if r["attribution_key"] == key and r["ranking"] == ranking]
    return row


def fallback() -> Row:
    """The summary of a fallback row."""
    return ("none", FALLBACK, None, None, 0, M("0.00"), 0, 1)


# --------------------------------------------------------------------------- MSSP


def test_mssp_aco_plurality_wins_only_when_its_npis_add_up() -> None:
    roster = [member(N1, "A1"), member(N2, "A1")]
    providers = buckets({N1: "pcp", N2: "npp", N9: "pcp"})
    claims = [
        # p1: A1 = 60 + 50 = 110 beats the unaffiliated N9's 100
        claim(N1, D(2024, 5, 1), "60", claim_id="k1"),
        claim(N2, D(2024, 5, 1), "50", claim_id="k1"),  # shared claim: one visit per NPI
        claim(N9, D(2024, 4, 1), "100"),
        # p2: A1 = 40 + 50 = 90 loses to N9's 100
        claim(N1, D(2024, 5, 2), "40", person="p2"),
        claim(N2, D(2024, 5, 3), "50", person="p2"),
        claim(N9, D(2024, 4, 1), "100", person="p2"),
    ]
    out = run(claims, enrolled("p1", "p2"), providers, MSSP, roster=roster)
    assert summary(out, CUR + "p1") == [
        ("claims", "A1", "aco", N1, 1, M("110.00"), 2, 1),  # visits 1 + 1 for one claim id
        ("claims", N9, "npi", N9, 1, M("100.00"), 1, 2),
    ]
    assert summary(out, CUR + "p2") == [
        ("claims", N9, "npi", N9, 1, M("100.00"), 1, 1),
        ("claims", "A1", "aco", N2, 1, M("90.00"), 2, 2),
    ]
    first = row_of(out, CUR + "p1")
    assert list(first) == list(RANKING_COLUMNS)
    assert first["step_description"] == STEP_1
    assert first["provider_bucket"] == "pcp"  # of top_npi N1
    assert first["last_service_date"] == D(2024, 5, 1)
    assert (first["lookback_start_date"], first["lookback_end_date"]) == (D(2023, 7, 1), JUNE_30)
    assert row_of(out, CUR + "p2", 2)["provider_bucket"] == "npp"  # of top_npi N2
    assert row_of(out, CUR + "p2", 2)["last_service_date"] == D(2024, 5, 3)
    assigned = out["assigned_beneficiaries_current"]
    assert [(r["provider_id"], r["unit_type"]) for r in assigned] == [("A1", "aco"), (N9, "npi")]
    assert list(assigned[0]) == list(CURRENT_COLUMNS)
    assert nonzero(out) == {"used": 6}


def test_mssp_unaffiliated_tins_compete_as_one_unit_each() -> None:
    roster = [member(N1, "A1")]  # null roster TIN: any billing TIN matches
    providers = buckets({N1: "pcp", N5: "pcp", N6: "npp", N7: "pcp", N8: "pcp"})
    claims = [
        claim(N1, D(2024, 5, 1), "30", tin="T0"),  # roster NPI -> A1 despite its TIN
        claim(N5, D(2024, 5, 1), "60", tin="T1"),
        claim(N6, D(2024, 5, 2), "50", tin="T1"),  # T1 = 110 > T2's single NPI
        claim(N7, D(2024, 5, 1), "100", tin="T2"),
        claim(N8, D(2024, 5, 1), "20"),  # no TIN: its own NPI unit
    ]
    out = run(claims, enrolled("p1"), providers, MSSP, roster=roster, claims_have_tin=True)
    assert summary(out, CUR + "p1") == [
        ("claims", "T1", "tin", N5, 1, M("110.00"), 2, 1),
        ("claims", "T2", "tin", N7, 1, M("100.00"), 1, 2),
        ("claims", "A1", "aco", N1, 1, M("30.00"), 1, 3),
        ("claims", N8, "npi", N8, 1, M("20.00"), 1, 4),
    ]
    # Without a tin column every unaffiliated line is its own NPI.
    out = run(claims, enrolled("p1"), providers, MSSP, roster=roster, claims_have_tin=False)
    assert [r["provider_id"] for r in out["provider_ranking"]] == [N7, N5, N6, "A1", N8]


def test_roster_tin_is_compared_only_when_claims_carry_tins() -> None:
    roster = [member(N1, "A2", tin="TA")]
    claims = [
        claim(N1, D(2024, 5, 1), "10", tin="TA"),  # matches the roster row
        claim(N1, D(2024, 5, 2), "15", tin="TB"),  # other TIN: unaffiliated TIN unit
    ]
    providers = buckets({N1: "pcp"})
    with_tin = run(claims, enrolled("p1"), providers, MSSP, roster=roster, claims_have_tin=True)
    assert summary(with_tin, CUR + "p1") == [
        ("claims", "TB", "tin", N1, 1, M("15.00"), 1, 1),
        ("claims", "A2", "aco", N1, 1, M("10.00"), 1, 2),
    ]
    no_tin = run(claims, enrolled("p1"), providers, MSSP, roster=roster)
    assert summary(no_tin, CUR + "p1") == [("claims", "A2", "aco", N1, 1, M("25.00"), 2, 1)]


def test_mssp_step_2_only_for_people_without_step_1_services() -> None:
    roster = [member(S1, "A1")]
    providers = buckets({S1: "specialist", N3: "npp"})
    claims = [
        claim(S1, D(2024, 5, 1), "500"),  # participant specialist: passes the gate, step 2
        claim(N3, D(2024, 4, 1), "20"),  # unaffiliated NPP primary care: step 1
        claim(S1, D(2024, 5, 1), "500", person="p2"),  # no step-1 service anywhere
    ]
    out = run(claims, enrolled("p1", "p2"), providers, MSSP, roster=roster)
    assert summary(out, CUR + "p1") == [
        ("claims", N3, "npi", N3, 1, M("20.00"), 1, 1),
        ("claims", "A1", "aco", S1, 2, M("500.00"), 1, 2),
    ]
    assert summary(out, CUR + "p2") == [("claims", "A1", "aco", S1, 2, M("500.00"), 1, 1)]
    p2 = out["assigned_beneficiaries_current"][1]
    assert (p2["assigned_step"], p2["step_description"]) == (2, STEP_2)
    assert p2["provider_bucket"] == "specialist"


def test_mssp_gate_needs_primary_care_from_a_participant_pcp_or_specialist() -> None:
    roster = [member(N1, "A1"), member(N2, "A1")]
    providers = buckets({N1: "pcp", N2: "npp", N9: "pcp"})
    claims = [
        claim(N9, D(2024, 5, 1), "100", person="p1"),  # only a non-participant
        claim(N2, D(2024, 5, 1), "50", person="p2"),  # participant, but an NPP
        claim(N9, D(2024, 5, 1), "100", person="p2"),
        claim(N1, D(2024, 5, 1), "50", person="p3", hcpcs=NON_PC),  # not primary care
        claim(N9, D(2024, 5, 1), "100", person="p3"),
        claim(N1, D(2023, 6, 15), "50", person="p4"),  # before the 12-month gate window
        claim(N9, D(2024, 5, 1), "100", person="p4"),
        claim(N1, D(2024, 5, 1), "10", person="p5"),  # passes the gate ...
        claim(N2, D(2024, 5, 2), "5", person="p5"),
        claim(N9, D(2024, 5, 1), "100", person="p5"),  # ... which does not limit candidates
    ]
    out = run(claims, enrolled("p1", "p2", "p3", "p4", "p5"), providers, MSSP, roster=roster)
    for person in ("p1", "p2", "p3", "p4"):
        assert summary(out, CUR + person) == [fallback()], person
    assert nonzero(out) == {
        "outside_window": 1,  # p4's line of 2023-06-15: MSSP's widest window is 12 months
        "not_primary_care": 1,  # p3's N1 line: MSSP's passes are primary care only
        "person_not_assignable": 5,  # the lines of p1 to p4 in a pass
        "used": 3,
    }
    assert summary(out, CUR + "p5") == [
        ("claims", N9, "npi", N9, 1, M("100.00"), 1, 1),
        ("claims", "A1", "aco", N1, 1, M("15.00"), 2, 2),
    ]
    none = out["assigned_beneficiaries_current"][0]
    assert none["attribution_type"] == "none"
    assert (none["unit_type"], none["top_npi"], none["last_service_date"]) == (None, None, None)
    assert none["provider_bucket"] == "no_eligible_history"
    assert (none["lookback_start_date"], none["lookback_end_date"]) == (D(2023, 7, 1), JUNE_30)


def test_mssp_ties_go_to_the_latest_service_then_the_unit_id() -> None:
    roster = [member(N1, "A1")]
    providers = buckets({N1: "pcp", N9: "pcp"})
    claims = [
        claim(N9, D(2024, 3, 1), "100", person="p1"),
        claim(N1, D(2024, 5, 1), "100", person="p1"),  # same amount, later: A1 wins over N9
        claim(N1, D(2024, 5, 1), "100", person="p2"),
        claim(N9, D(2024, 5, 1), "100", person="p2"),  # same date too: N9 ("1...") < "A1"
        claim(N9, D(2024, 4, 1), "40", person="p3"),
        claim(N9, D(2024, 4, 1), "30", person="p3"),
        claim(N9, D(2024, 4, 1), "30", person="p3"),  # 3 visits do not count in MSSP ...
        claim(N1, D(2024, 4, 2), "100", person="p3"),  # ... the later service does
    ]
    out = run(claims, enrolled("p1", "p2", "p3"), providers, MSSP, roster=roster)
    assert summary(out, CUR + "p1") == [
        ("claims", "A1", "aco", N1, 1, M("100.00"), 1, 1),
        ("claims", N9, "npi", N9, 1, M("100.00"), 1, 2),
    ]
    assert summary(out, CUR + "p2") == [
        ("claims", N9, "npi", N9, 1, M("100.00"), 1, 1),
        ("claims", "A1", "aco", N1, 1, M("100.00"), 1, 2),
    ]
    assert summary(out, CUR + "p3") == [
        ("claims", "A1", "aco", N1, 1, M("100.00"), 1, 1),
        ("claims", N9, "npi", N9, 1, M("100.00"), 3, 2),
    ]


def test_mssp_top_npi_inside_the_aco_labels_the_unit() -> None:
    roster = [member(npi, "A1") for npi in (N1, N2, N3, N4, S1)]
    providers = buckets({N1: "08", N2: "50", N3: "08", N4: "8", S1: "06"})
    claims = [
        claim(N1, D(2024, 5, 1), "50"),
        claim(N2, D(2024, 6, 1), "50"),  # ties N1 on amount, later service: top_npi
        claim(N3, D(2024, 6, 15), "30"),
        claim(S1, D(2024, 6, 20), "500"),  # specialist: step 2 lines, not the decisive pass
        claim(N1, D(2024, 5, 1), "50", person="p2"),
        claim(N4, D(2024, 5, 1), "50", person="p2"),  # full tie: the smaller NPI N1
    ]
    out = run(
        claims,
        enrolled("p1", "p2"),
        providers,
        MSSP,
        kind=Classification.SPECIALTY,
        roster=roster,
    )
    assert summary(out, CUR + "p1") == [("claims", "A1", "aco", N2, 1, M("130.00"), 3, 1)]
    p1 = row_of(out, CUR + "p1")
    assert (p1["provider_bucket"], p1["prov_specialty"]) == ("npp", "Nurse Practitioner")
    assert p1["last_service_date"] == D(2024, 6, 15)  # S1's 2024-06-20 is not in step 1
    p2 = row_of(out, CUR + "p2")
    assert (p2["top_npi"], p2["provider_bucket"], p2["prov_specialty"]) == (
        N1,
        "pcp",
        "Family Practice",
    )


def test_mssp_roster_dates_limit_membership() -> None:
    roster = [
        member(N1, "A1", D(2024, 1, 1), D(2024, 3, 31)),
        member(N1, "A2", D(2024, 3, 1)),  # overlaps A1 in March: the smaller id A1
    ]
    claims = [
        claim(N1, D(2023, 12, 15), "40"),  # before any membership: unaffiliated NPI
        claim(N1, D(2024, 2, 10), "5"),  # A1
        claim(N1, D(2024, 3, 15), "30"),  # both rows match: A1
        claim(N1, D(2024, 5, 1), "20"),  # A2
    ]
    out = run(claims, enrolled("p1"), buckets({N1: "pcp"}), MSSP, roster=roster)
    assert summary(out, CUR + "p1") == [
        ("claims", N1, "npi", N1, 1, M("40.00"), 1, 1),
        ("claims", "A1", "aco", N1, 1, M("35.00"), 2, 2),
        ("claims", "A2", "aco", N1, 1, M("20.00"), 1, 3),
    ]


def test_mssp_fqhc_lines_count_through_attested_attending_npis() -> None:
    roster = [member(N1, "A1")]
    providers = buckets({N1: "specialist", N9: "pcp"})  # N1 is a specialist in the directory
    claims = [
        # attested: provider N1, bucket pcp and primary care for the passes -> A1, step 1
        claim(R1, D(2024, 5, 1), "70", hcpcs=NON_PC, rev=" 0521 ", attending=N1),
        claim(R1, D(2024, 5, 1), "500", rev="0522", attending=N2),  # not attested
        claim(R1, D(2024, 5, 1), "500", rev="0524"),  # no attending NPI
        claim(N9, D(2024, 5, 2), "60", rev="0450"),  # not an FQHC/RHC revenue code
        # No person: missing_person_id (status 2) comes before fqhc_not_attested (status 5).
        claim(R1, D(2024, 5, 1), "9", person=None, rev="0525", attending=N2),
        claim(R1, D(2022, 1, 1), "9", rev="0521", attending=N1),  # attested, outside the window
    ]
    attested = [{"npi": N1}]
    out = run(claims, enrolled("p1"), providers, MSSP, roster=roster, attested=attested)
    assert summary(out, CUR + "p1") == [
        ("claims", "A1", "aco", N1, 1, M("70.00"), 1, 1),
        ("claims", N9, "npi", N9, 1, M("60.00"), 1, 2),
    ]
    first = row_of(out, CUR + "p1")
    assert (first["provider_bucket"], first["step_description"]) == ("specialist", STEP_1)
    assert nonzero(out) == {
        "missing_person_id": 1,
        "fqhc_not_attested": 2,
        "outside_window": 1,  # MSSP's widest window (passes and gate): 12 months
        "used": 2,
    }

    # No attestation list: every FQHC/RHC line is excluded (the one of 2022 too: status 5 comes
    # before outside_window); only N9 is left, which fails the gate.
    out = run(claims, enrolled("p1"), providers, MSSP, roster=roster)
    assert nonzero(out) == {
        "missing_person_id": 1,
        "fqhc_not_attested": 4,
        "person_not_assignable": 1,
    }
    assert summary(out, CUR + "p1") == [fallback()]

    # Tuva has no revenue codes: the lines are ordinary lines of the rendering NPI R1.
    out = run(claims, enrolled("p1"), providers, TUVA, roster=roster, attested=attested)
    assert nonzero(out) == {"missing_person_id": 1, "outside_window": 1, "used": 4}
    assert summary(out, CUR + "p1") == [
        ("claims", N9, "npi", N9, 1, M("60.00"), 1, 1),
        ("claims", R1, "npi", R1, 4, M("1000.00"), 2, 2),  # 2 primary-care lines, unknown
    ]


def test_mssp_voluntary_alignment_takes_precedence() -> None:
    roster = [member(N1, "A1"), member(N2, "A2", end=D(2024, 3, 31))]
    providers = buckets({N1: "pcp", N5: "pcp"})
    selections = [
        pick("p1", N5, D(2024, 1, 1)),
        pick("p2", N1, D(2023, 8, 1)),  # on the roster at the anchor: unit A1
        pick("p3", N5, D(2024, 2, 1)),
        pick("p4", N5, D(2024, 7, 1)),  # not yet effective
        pick("p5", N5, D(2024, 1, 1)),  # p5 is not eligible
        pick("p6", N2, D(2024, 1, 1)),  # roster row ended before the anchor: NPI unit
    ]
    claims = [claim(N1, D(2024, 5, 1), "100", person=p) for p in ("p1", "p2", "p4")]
    eligibility = [*enrolled("p1", "p2", "p3", "p4", "p6"), *months("p5", 202201, 202212)]
    out = run(claims, eligibility, providers, MSSP, roster=roster, self_selections=selections)
    zero = M("0.00")
    assert summary(out, CUR + "p1") == [
        ("self_selection", N5, "npi", N5, 0, zero, 0, 1),
        ("claims", "A1", "aco", N1, 1, M("100.00"), 1, 2),
    ]
    assert summary(out, CUR + "p2") == [
        ("self_selection", "A1", "aco", N1, 0, zero, 0, 1),
        ("claims", "A1", "aco", N1, 1, M("100.00"), 1, 2),
    ]
    assert summary(out, CUR + "p3") == [("self_selection", N5, "npi", N5, 0, zero, 0, 1)]
    assert summary(out, CUR + "p4") == [("claims", "A1", "aco", N1, 1, M("100.00"), 1, 1)]
    assert summary(out, CUR + "p5") == []
    assert summary(out, CUR + "p6") == [("self_selection", N2, "npi", N2, 0, zero, 0, 1)]
    assert row_of(out, CUR + "p1") == {
        "person_id": "p1",
        "scope": "current",
        "performance_year": None,
        "as_of_date": JUNE_30,
        "attribution_type": "self_selection",
        "provider_id": N5,
        "unit_type": "npi",
        "top_npi": N5,
        "provider_bucket": "pcp",
        "prov_specialty": None,
        "step": 0,
        "step_description": "Self-selected provider",
        "allowed_amount": zero,
        "visits": 0,
        "last_service_date": None,
        "lookback_start_date": D(2024, 1, 1),
        "lookback_end_date": JUNE_30,
        "ranking": 1,
        "attribution_key": CUR + "p1",
    }
    assert row_of(out, CUR + "p6")["provider_bucket"] == "unknown"  # N2 not in providers


def test_mssp_prospective_anchor_is_september_of_the_prior_year() -> None:
    roster = [member(N1, "A1")]
    providers = buckets({N1: "pcp", N9: "pcp"})
    claims = [
        claim(N1, D(2023, 10, 1), "50"),  # first day of the window Oct 2023 .. Sep 2024
        claim(N9, D(2023, 9, 30), "500"),  # a day too early
        claim(N9, D(2024, 10, 1), "500"),  # a day too late
    ]
    eligibility = [*enrolled("p1", first=202301, last=202512), *months("p2", 202410, 202512)]
    out = run(
        claims, eligibility, providers, MSSP_PROSPECTIVE, as_of=None, years=[2025], roster=roster
    )
    assert summary(out, "yearly|2025|p1") == [("claims", "A1", "aco", N1, 1, M("50.00"), 1, 1)]
    assert summary(out, "yearly|2025|p2") == []  # no member month in Oct 2023 .. Sep 2024
    (assigned,) = out["assigned_beneficiaries_yearly"]
    assert list(assigned) == list(YEARLY_COLUMNS)
    assert assigned["performance_year"] == 2025
    assert (assigned["lookback_start_date"], assigned["lookback_end_date"]) == (
        D(2023, 10, 1),
        D(2024, 9, 30),
    )
    assert assigned["last_service_date"] == D(2023, 10, 1)

    # Retrospective MSSP: calendar 2025, no services, both people eligible -> fallback.
    out = run(claims, eligibility, providers, MSSP, as_of=None, years=[2025], roster=roster)
    assert summary(out, "yearly|2025|p1") == [fallback()]
    assert summary(out, "yearly|2025|p2") == [fallback()]

    # A pinned anchor: window Nov 2023 .. Oct 2024 holds only N9, which fails the gate (and
    # step 3, which needs an NPP). The fallback's lookback is PY2025's widest pass: step 3's 24
    # months.
    pinned = replace(MSSP, year_anchors={2025: D(2024, 10, 31)})
    out = run(claims, eligibility, providers, pinned, as_of=None, years=[2025], roster=roster)
    assert summary(out, "yearly|2025|p1") == [fallback()]
    p1 = row_of(out, "yearly|2025|p1")
    assert (p1["lookback_start_date"], p1["lookback_end_date"]) == (
        D(2022, 11, 1),
        D(2024, 10, 31),
    )


def test_mssp_step_3_by_performance_year_in_one_run() -> None:
    roster = [member(N1, "A1"), member(N2, "A1")]  # N1 a PCP, N2 an NPP; N9 unaffiliated
    providers = buckets({N1: "pcp", N2: "npp", N9: "pcp"})
    claims = [
        claim(N2, D(2025, 3, 1), "50"),
        claim(N1, D(2024, 1, 1), "60"),
        claim(N9, D(2024, 9, 1), "100"),
        claim(N9, D(2024, 9, 1), "70", person="p2"),  # p2: no ACO line at all
    ]
    eligibility = enrolled("p1", "p2", first=202301, last=202512)
    years = [2024, 2025]
    out = run(claims, eligibility, providers, MSSP, as_of=None, years=years, roster=roster)
    # PY2024: N1's line passes the pre-step; step 1 is won by N9's larger amount.
    assert summary(out, "yearly|2024|p1") == [
        ("claims", N9, "npi", N9, 1, M("100.00"), 1, 1),
        ("claims", "A1", "aco", N1, 1, M("60.00"), 1, 2),
    ]
    # PY2025: no ACO physician in 2025, an ACO NPP in 2025 and N1 on the first day of the
    # 24 months: step 3, over 24 months, of all three lines.
    assert summary(out, "yearly|2025|p1") == [
        ("claims", "A1", "aco", N1, 3, M("110.00"), 2, 1),
        ("claims", N9, "npi", N9, 3, M("100.00"), 1, 2),
    ]
    step_3 = row_of(out, "yearly|2025|p1")
    assert step_3["step_description"] == STEP_3
    assert (step_3["lookback_start_date"], step_3["lookback_end_date"]) == (
        D(2024, 1, 1),
        D(2025, 12, 31),
    )
    # p2 fails every requirement: the fallback in both years.
    assert summary(out, "yearly|2024|p2") == summary(out, "yearly|2025|p2") == [fallback()]
    # N9's p2 line falls in step 1 (2024) and step 3 (2025) but p2 meets neither requirement.
    assert nonzero(out) == {"used": 3, "person_not_assignable": 1}


def test_mssp_step_3_fallback_lookback_is_24_months_from_2025() -> None:
    providers = buckets({N9: "pcp"})
    eligibility = enrolled("p1", first=202301, last=202512)
    out = run([], eligibility, providers, MSSP, as_of=D(2025, 1, 31), years=[2024, 2025])
    starts = {r["attribution_key"]: r["lookback_start_date"] for r in out["provider_ranking"]}
    assert starts == {
        "current|20250131|p1": D(2023, 2, 1),  # rule year 2025: step 3's 24 months
        "yearly|2024|p1": D(2024, 1, 1),  # steps 1-2 only: 12 months
        "yearly|2025|p1": D(2024, 1, 1),
    }


# --------------------------------------------------------------------------- Medicaid


MEDICAID_PEOPLE = ("p1", "p2", "p3", "p4", "p5")
MEDICAID_CLAIMS = [
    claim(N1, D(2024, 5, 1), "50", person="p1"),
    claim(N4, D(2024, 5, 1), "80", person="p5"),  # unknown bucket: step 2
    claim(N1, D(2022, 12, 1), "90", person="p5"),  # 24 months only: step 3
]
MEDICAID_SELF = [pick("p1", N2, D(2024, 1, 1)), pick("p2", N2, D(2024, 1, 1))]
MEDICAID_GEO = [
    pick("p1", N3, D(2023, 1, 1)),
    pick("p2", N3, D(2023, 1, 1)),
    pick("p3", N3, D(2023, 1, 1)),
    pick("p5", N3, D(2023, 1, 1)),
]
MEDICAID_PROVIDERS = buckets({N1: "pcp", N2: "pcp", N3: "npp", N4: "other"})


def _medicaid(method: Method) -> dict[str, Any]:
    return run(
        MEDICAID_CLAIMS,
        enrolled(*MEDICAID_PEOPLE, first=202201),
        MEDICAID_PROVIDERS,
        method,
        self_selections=MEDICAID_SELF,
        geographic=MEDICAID_GEO,
    )


def test_medicaid_claims_then_self_selection_then_geographic_then_fallback() -> None:
    out = _medicaid(MEDICAID)
    zero = M("0.00")
    assert summary(out, CUR + "p1") == [
        ("claims", N1, "npi", N1, 1, M("50.00"), 1, 1),
        ("self_selection", N2, "npi", N2, 0, zero, 0, 2),
        ("geographic", N3, "npi", N3, 0, zero, 0, 3),
    ]
    assert summary(out, CUR + "p2") == [
        ("self_selection", N2, "npi", N2, 0, zero, 0, 1),
        ("geographic", N3, "npi", N3, 0, zero, 0, 2),
    ]
    assert summary(out, CUR + "p3") == [("geographic", N3, "npi", N3, 0, zero, 0, 1)]
    assert summary(out, CUR + "p4") == [fallback()]
    assert summary(out, CUR + "p5") == [
        ("claims", N4, "npi", N4, 2, M("80.00"), 1, 1),
        ("claims", N1, "npi", N1, 3, M("90.00"), 1, 2),
        ("geographic", N3, "npi", N3, 0, zero, 0, 3),
    ]
    assigned = out["assigned_beneficiaries_current"]
    assert [r["attribution_type"] for r in assigned] == [
        "claims",
        "self_selection",
        "geographic",
        "none",
        "claims",
    ]
    p3 = assigned[2]
    assert (p3["step_description"], p3["provider_bucket"], p3["assigned_step"]) == (
        "Geographic assignment",
        "npp",
        0,
    )
    assert (p3["lookback_start_date"], p3["lookback_end_date"]) == (D(2023, 1, 1), JUNE_30)
    assert assigned[3]["lookback_start_date"] == D(2022, 7, 1)  # the widest pass: 24 months
    assert assigned[4]["step_description"] == MEDICAID.passes[1].description


def test_medicaid_precedence_variant_puts_self_selection_first() -> None:
    self_first = replace(MEDICAID, paths=(Path.SELF_SELECTION, Path.CLAIMS, Path.GEOGRAPHIC))
    out = _medicaid(self_first)
    zero = M("0.00")
    assert summary(out, CUR + "p1") == [
        ("self_selection", N2, "npi", N2, 0, zero, 0, 1),
        ("claims", N1, "npi", N1, 1, M("50.00"), 1, 2),
        ("geographic", N3, "npi", N3, 0, zero, 0, 3),
    ]
    assert summary(out, CUR + "p5")[0][:2] == ("claims", N4)  # no selection: claims first
    geographic_only = _medicaid(replace(MEDICAID, paths=(Path.GEOGRAPHIC,)))
    assert summary(geographic_only, CUR + "p1") == [("geographic", N3, "npi", N3, 0, zero, 0, 1)]
    assert summary(geographic_only, CUR + "p4") == [fallback()]


def test_medicaid_ranks_visits_before_the_latest_service() -> None:
    providers = buckets({N1: "pcp", N2: "pcp"})
    claims = [
        claim(N1, D(2024, 3, 1), "60", person="p1"),
        claim(N1, D(2024, 3, 2), "40", person="p1"),  # 100 in 2 visits
        claim(N2, D(2024, 4, 1), "100", person="p1"),  # 100 in 1 visit, later
        claim(N1, D(2024, 3, 1), "100", person="p2"),
        claim(N2, D(2024, 4, 1), "100", person="p2"),  # same amount and visits: later wins
    ]
    out = run(claims, enrolled("p1", "p2"), providers, MEDICAID)
    assert [r["provider_id"] for r in out["provider_ranking"]] == [N1, N2, N2, N1]


def test_selection_validity_by_dates_and_latest_effective_date() -> None:
    selections = [
        pick("p1", N0, D(2024, 7, 1)),  # starts after the anchor: invalid
        pick("p1", N1, JUNE_30),  # effective on the anchor date: valid, the latest
        pick("p1", N2, D(2024, 1, 1), D(2024, 6, 29)),  # ended the day before: invalid
        pick("p1", N3, D(2023, 1, 1), JUNE_30),  # ends on the anchor date: valid
        pick("p2", N7, D(2024, 2, 1)),
        pick("p2", N5, D(2024, 2, 1)),  # same effective date: the smaller NPI
        pick("p3", N2, D(2023, 1, 1), D(2024, 1, 31)),  # ended
        pick("p4", N4, D(2023, 5, 1)),
        pick("p4", N9, D(2024, 3, 1)),  # latest effective date wins over the smaller NPI
        pick("p5", N6, D(2023, 1, 1), JUNE_30),  # the only row; ends on the anchor date
    ]
    out = run(
        [],
        enrolled("p1", "p2", "p3", "p4", "p5"),
        [],
        MEDICAID,
        years=[2023],
        self_selections=selections,
    )
    chosen = {
        r["attribution_key"]: (r["attribution_type"], r["provider_id"], r["lookback_start_date"])
        for r in out["provider_ranking"]
    }
    assert chosen == {
        CUR + "p1": ("self_selection", N1, JUNE_30),
        CUR + "p2": ("self_selection", N5, D(2024, 2, 1)),
        CUR + "p3": ("none", FALLBACK, D(2022, 7, 1)),
        CUR + "p4": ("self_selection", N9, D(2024, 3, 1)),
        CUR + "p5": ("self_selection", N6, D(2023, 1, 1)),
        # anchor 2023-12-31: N0, N1, N9 and p1's N2 are not effective yet
        "yearly|2023|p1": ("self_selection", N3, D(2023, 1, 1)),
        "yearly|2023|p2": ("none", FALLBACK, D(2022, 1, 1)),
        "yearly|2023|p3": ("self_selection", N2, D(2023, 1, 1)),
        "yearly|2023|p4": ("self_selection", N4, D(2023, 5, 1)),
        "yearly|2023|p5": ("self_selection", N6, D(2023, 1, 1)),
    }
    assert row_of(out, "yearly|2023|p1")["lookback_end_date"] == D(2023, 12, 31)


# --------------------------------------------------------------------------- REACH


def test_reach_two_thirds_weighting_flips_the_winner() -> None:
    # PY 2025: 24-month window 2022-07-01..2024-06-30; weight 2 from 2023-07-01, 1 before.
    providers = buckets({N1: "pcp", N2: "pcp", N5: "pcp", N6: "npp", N7: "pcp"})
    roster = [member(N5, "A1"), member(N6, "A1")]
    claims = [
        claim(N1, D(2023, 6, 1), "150.01"),  # 15001 -> 15001 / 3 = 5000.33 cents -> 50.00
        claim(N2, D(2024, 6, 1), "100.00"),  # 2 * 10000 / 3 = 6666.67 cents -> 66.67
        claim(N5, D(2024, 3, 1), "50", person="p2"),  # weighted 10000: top_npi
        claim(N6, D(2023, 3, 1), "90", person="p2"),  # weighted 9000 (more dollars)
        claim(N7, D(2024, 2, 1), "70", person="p2"),  # weighted 14000 -> 46.67
    ]
    years = [2025]
    out = run(
        claims, enrolled("p1", "p2"), providers, REACH, as_of=None, years=years, roster=roster
    )
    assert summary(out, "yearly|2025|p1") == [
        ("claims", N2, "npi", N2, 1, M("66.67"), 1, 1),
        ("claims", N1, "npi", N1, 1, M("50.00"), 1, 2),
    ]
    assert summary(out, "yearly|2025|p2") == [
        ("claims", "A1", "aco", N5, 1, M("63.33"), 2, 1),  # 19000 / 3 = 6333.33 cents
        ("claims", N7, "npi", N7, 1, M("46.67"), 1, 2),
    ]
    p1 = row_of(out, "yearly|2025|p1")
    assert (p1["lookback_start_date"], p1["lookback_end_date"]) == (D(2022, 7, 1), D(2024, 6, 30))
    assert p1["step_description"] == REACH.passes[0].description
    assert str(p1["allowed_amount"]) == "66.67"

    unweighted = replace(REACH, passes=tuple(replace(p, weights=None) for p in REACH.passes))
    out = run(
        claims, enrolled("p1", "p2"), providers, unweighted, as_of=None, years=years, roster=roster
    )
    assert summary(out, "yearly|2025|p1") == [
        ("claims", N1, "npi", N1, 1, M("150.01"), 1, 1),
        ("claims", N2, "npi", N2, 1, M("100.00"), 1, 2),
    ]
    assert summary(out, "yearly|2025|p2")[0] == ("claims", "A1", "aco", N6, 1, M("140.00"), 2, 1)


def test_reach_weighted_ties_go_to_the_most_recent_service() -> None:
    providers = buckets({N1: "pcp", N2: "pcp", N3: "pcp"})
    claims = [
        claim(N1, D(2023, 7, 1), "10.00", person="p1"),  # first day of weight 2: 2000
        claim(N2, D(2023, 6, 30), "20.00", person="p1"),  # last day of weight 1: 2000
        claim(N3, D(2023, 5, 1), "20.00", person="p2"),
        claim(N2, D(2023, 5, 1), "20.00", person="p2"),  # full tie: the smaller id N2
    ]
    out = run(claims, enrolled("p1", "p2"), providers, REACH, as_of=None, years=[2025])
    assert summary(out, "yearly|2025|p1") == [
        ("claims", N1, "npi", N1, 1, M("6.67"), 1, 1),  # 2000 / 3 = 666.67 cents
        ("claims", N2, "npi", N2, 1, M("6.67"), 1, 2),
    ]
    assert [r["last_service_date"] for r in out["provider_ranking"][:2]] == [
        D(2023, 7, 1),
        D(2023, 6, 30),
    ]
    assert summary(out, "yearly|2025|p2") == [
        ("claims", N2, "npi", N2, 1, M("6.67"), 1, 1),
        ("claims", N3, "npi", N3, 1, M("6.67"), 1, 2),
    ]


# --------------------------------------------------------------------------- line checks


def test_line_checks_remove_lines_before_the_passes() -> None:
    providers = [
        {"npi": N1, "classification": "pcp", "entity_type": "1"},
        {"npi": N2, "classification": "pcp", "entity_type": " Organization "},
        {"npi": N3, "classification": "pcp", "entity_type": "2"},
        {"npi": N4, "classification": "npp"},
    ]
    first = claim(N1, D(2024, 5, 1), "100", claim_id="k1")
    claims = [
        first,
        dict(first),  # duplicate_line
        claim(N1, D(2024, 5, 2), "-20", claim_id="k1"),  # k1 nets 80.00: counts
        claim(N2, D(2024, 5, 1), "500"),  # organizational_npi
        claim(N3, D(2024, 5, 1), "500"),  # organizational_npi
        claim("1234567890", D(2024, 5, 1), "500"),  # invalid_npi
        claim(N4, D(2024, 5, 1), "90", claim_id="k2"),
        claim(N4, D(2024, 5, 1), "-90", claim_id="k2"),  # k2 nets 0.00: reversed_claim (2)
        claim(N4, D(2024, 6, 20), "500"),  # after today: future_service_date
        claim(N4, D(2024, 6, 1), "70"),  # counts
    ]
    today = D(2024, 6, 15)
    out = run(claims, enrolled("p1"), providers, TUVA, today=today, entity_type_mapped=True)
    assert nonzero(out) == {
        "duplicate_line": 1,
        "future_service_date": 1,
        "invalid_npi": 1,
        "organizational_npi": 2,
        "reversed_claim": 2,
        "used": 3,
    }
    assert summary(out, CUR + "p1") == [
        ("claims", N1, "npi", N1, 1, M("80.00"), 1, 1),
        ("claims", N4, "npi", N4, 1, M("70.00"), 1, 2),
    ]

    # Unchecked NPIs, no entity type, a later run date: every line but the copy and k2 counts.
    out = run(claims, enrolled("p1"), providers, replace(TUVA, check_npi=False))
    assert nonzero(out) == {"duplicate_line": 1, "reversed_claim": 2, "used": 7}
    assert summary(out, CUR + "p1") == [
        ("claims", N4, "npi", N4, 1, M("570.00"), 2, 1),
        ("claims", N2, "npi", N2, 1, M("500.00"), 1, 2),
        ("claims", N3, "npi", N3, 1, M("500.00"), 1, 3),
        ("claims", N1, "npi", N1, 1, M("80.00"), 1, 4),
        # not in the providers input: bucket unknown, step 4
        ("claims", "1234567890", "npi", "1234567890", 4, M("500.00"), 1, 5),
    ]


def test_reversals_sum_the_distinct_rows_of_each_claim() -> None:
    providers = buckets({N1: "pcp", N2: "pcp", N3: "pcp"})
    minus = claim(N1, D(2024, 5, 1), "-60", claim_id="k1")
    claims = [
        claim(N1, D(2024, 5, 1), "100", claim_id="k1"),
        minus,
        {**minus, "claim_line_number": 2},  # a second -60 line: k1 nets -20.00, reversed
        claim(N2, D(2024, 5, 1), "100", claim_id="k2"),
        claim(N2, D(2024, 5, 1), "-60", claim_id="k2"),
        claim(N2, D(2024, 5, 1), "-60", claim_id="k2"),  # a copy: k2 nets 40.00, counts
        claim(N3, D(2024, 5, 1), "-10", claim_id="k3"),  # p1's k3: reversed ...
        claim(N3, D(2024, 5, 1), "50", claim_id="k3", person="p2"),  # ... p2's k3 is another
        # A null claim id: a claim by itself, and no visit (no encounter column either).
        {**claim(N3, D(2024, 5, 1), "5"), "claim_id": None},
        # A line that takes no part still belongs to its claim: k4 nets 40.00, not reversed.
        claim("1234567890", D(2024, 5, 1), "100", claim_id="k4"),  # invalid_npi
        claim(N1, D(2024, 5, 2), "-60", claim_id="k4"),  # counts, with its negative amount
    ]
    out = run(claims, enrolled("p1", "p2"), providers, TUVA)
    assert nonzero(out) == {
        "duplicate_line": 1,
        "invalid_npi": 1,
        "reversed_claim": 4,
        "used": 5,
    }
    assert summary(out, CUR + "p1") == [
        ("claims", N2, "npi", N2, 1, M("40.00"), 1, 1),
        ("claims", N3, "npi", N3, 1, M("5.00"), 0, 2),
        ("claims", N1, "npi", N1, 1, M("-60.00"), 1, 3),
    ]
    assert summary(out, CUR + "p2") == [("claims", N3, "npi", N3, 1, M("50.00"), 1, 1)]
