"""Hand-computed scenarios for the reference oracle itself (``tests/oracle.py``).

Every expected value below was worked out by hand from ``docs/METHOD.md``.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import re
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from oracle import (
    BENEFICIARY_REASONS,
    CURRENT_COLUMNS,
    EXCLUSION_REASONS,
    RANKING_COLUMNS,
    YEARLY_COLUMNS,
    attribute_reference,
    default_as_of,
    default_years,
    npi_is_valid,
    window_start,
)
from provider_attribution.model import outputs
from provider_attribution.model.inputs import Classification
from provider_attribution.model.method import TUVA, Gate, Method, Pass, Path, Services
from provider_attribution.model.valuesets import ValueSets
from provider_attribution.sql.enrollment import REASONS as ENGINE_BENEFICIARY_REASONS
from provider_attribution.sql.exclusions import REASONS

D = dt.date
PC = "99213"  # a primary-care code of VS
NON_PC = "80053"
VS = ValueSets(
    primary_care_hcpcs=frozenset({"99213", "G0439"}),
    specialty_bucket={"08": "pcp", "50": "npp", "06": "specialist"},
    specialty_description={
        "08": "Family Practice",
        "50": "Nurse Practitioner",
        "06": "Cardiology",
        "99": "Unknown Physician Specialty",
    },
    taxonomy_specialty={"207Q00000X": "08", "207RC0000X": "06"},
)
DESC = {i + 1: p.description for i, p in enumerate(TUVA.passes)}
JUNE_30 = D(2024, 6, 30)  # 12-month window 2023-07-01.., 24-month window 2022-07-01..
TODAY = D(2025, 6, 30)  # the run date of the scenarios unless they pick one


def luhn_npi(first_nine: str) -> str:
    """``first_nine`` followed by its NPI check digit (Luhn over ``80840`` + the nine digits).

    Written apart from the oracle's check (the CMS shortcut: the prefix ``80840`` adds 24), so a
    valid NPI here is valid by an independent computation.
    """
    total = 24
    for position, char in enumerate(reversed(first_nine)):
        digit = int(char) * (2 if position % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return first_nine + str(-total % 10)


# Luhn-valid NPIs that sort like their names: N1 < N2 < ... < N9.
N1, N2, N3, N4, N5, N6, N7, N8, N9 = (luhn_npi(f"10000000{i}") for i in range(1, 10))

_counter = iter(range(1, 1_000_000))


def claim(
    npi: str | None,
    day: dt.date | None,
    amount: str | None = "10",
    *,
    person: str | None = "p1",
    hcpcs: str | None = PC,
    paid: str | None = None,
    claim_id: str | None = "auto",
    encounter: str | None = None,
    end: dt.date | None = None,
    line: int = 1,
    rev: str | None = None,
    attending: str | None = None,
) -> dict[str, Any]:
    """One claim line; by default its own claim id and end date = start date.

    The FQHC columns are set only when given (a key missing from a row is null).
    """
    fqhc = {} if rev is None else {"revenue_center_code": rev, "attending_npi": attending}
    return {
        **fqhc,
        "person_id": person,
        "claim_id": f"c{next(_counter)}" if claim_id == "auto" else claim_id,
        "claim_line_number": line,
        "encounter_id": encounter,
        "rendering_npi": npi,
        "hcpcs_code": hcpcs,
        "claim_start_date": day,
        "claim_end_date": day if end is None else end,
        "allowed_amount": None if amount is None else Decimal(amount),
        "paid_amount": None if paid is None else Decimal(paid),
    }


def months(person: str, first: int, last: int) -> list[dict[str, Any]]:
    """Member months ``first..last`` (YYYYMM, inclusive) of one person."""
    rows = []
    ym = first
    while ym <= last:
        rows.append({"person_id": person, "year_month": ym})
        ym = ym + 1 if ym % 100 < 12 else (ym // 100 + 1) * 100 + 1
    return rows


def buckets(by_npi: dict[str, str]) -> list[dict[str, Any]]:
    return [{"npi": npi, "classification": value} for npi, value in by_npi.items()]


def run(
    claims: list[dict[str, Any]],
    eligibility: list[dict[str, Any]],
    providers: list[dict[str, Any]],
    *,
    as_of: dt.date | None = JUNE_30,
    years: Sequence[int] = (),
    kind: Classification = Classification.BUCKET,
    mapped: bool = False,
    method: Method = TUVA,
    today: dt.date = TODAY,
    **extra: Any,
) -> dict[str, Any]:
    """The oracle's result; every claims row has exactly one status."""
    out = attribute_reference(
        claims,
        eligibility,
        providers,
        method=method,
        valuesets=VS,
        classification_kind=kind,
        encounter_mapped=mapped,
        as_of=as_of,
        years=years,
        today=today,
        **extra,
    )
    assert tuple(out["exclusions"]) == EXCLUSION_REASONS
    assert sum(out["exclusions"].values()) == len(claims)
    return out


def nonzero(out: dict[str, Any]) -> dict[str, int]:
    """The statuses that some claims row has, with their counts."""
    return {reason: lines for reason, lines in out["exclusions"].items() if lines}


def summary(rows: list[dict[str, Any]], key: str | None = None) -> list[tuple[Any, ...]]:
    """(provider_id, step, allowed_amount, visits, ranking) of ranking rows, optionally one key."""
    return [
        (r["provider_id"], r["step"], r["allowed_amount"], r["visits"], r["ranking"])
        for r in rows
        if key is None or r["attribution_key"] == key
    ]


def test_each_pass_takes_precedence_over_later_ones() -> None:
    providers = buckets({N1: "pcp", N2: "specialist", N3: "npp", N4: "other", N5: "pcp"})
    claims = [
        claim(N1, D(2024, 5, 1), "10"),  # pcp, primary care, 12 months -> step 1
        claim(N2, D(2024, 5, 1), "500"),  # specialist, primary care, 12 months -> step 2
        claim(N3, D(2023, 1, 15), "400"),  # npp, primary care, only in 24 months -> step 3
        claim(N4, D(2024, 5, 1), "300"),  # unknown bucket, primary care -> step 4
        claim(N5, D(2024, 5, 1), "900", hcpcs=NON_PC),  # not primary care -> step 5
    ]
    out = run(claims, months("p1", 202301, 202406), providers)
    d = Decimal
    assert summary(out["provider_ranking"]) == [
        (N1, 1, d("10.00"), 1, 1),
        (N2, 2, d("500.00"), 1, 2),
        (N3, 3, d("400.00"), 1, 3),
        (N4, 4, d("300.00"), 1, 4),
        (N5, 5, d("900.00"), 1, 5),
    ]
    starts = [r["lookback_start_date"] for r in out["provider_ranking"]]
    assert starts == [D(2023, 7, 1), D(2023, 7, 1), D(2022, 7, 1), D(2022, 7, 1), D(2022, 7, 1)]
    assert [r["step_description"] for r in out["provider_ranking"]] == [
        DESC[i] for i in range(1, 6)
    ]
    first = out["provider_ranking"][0]
    assert list(first) == list(RANKING_COLUMNS)
    assert first == {
        "person_id": "p1",
        "scope": "current",
        "performance_year": None,
        "as_of_date": JUNE_30,
        "attribution_type": "claims",
        "provider_id": N1,
        "unit_type": "npi",
        "top_npi": N1,
        "provider_bucket": "pcp",
        "prov_specialty": None,
        "step": 1,
        "step_description": "12-month PCP/NPP primary-care services",
        "allowed_amount": Decimal("10.00"),
        "visits": 1,
        "last_service_date": D(2024, 5, 1),
        "lookback_start_date": D(2023, 7, 1),
        "lookback_end_date": JUNE_30,
        "ranking": 1,
        "attribution_key": "current|20240630|p1",
    }
    assert out["assigned_beneficiaries_current"] == [
        {
            "person_id": "p1",
            "as_of_date": JUNE_30,
            "attribution_type": "claims",
            "provider_id": N1,
            "unit_type": "npi",
            "top_npi": N1,
            "provider_bucket": "pcp",
            "prov_specialty": None,
            "assigned_step": 1,
            "step_description": "12-month PCP/NPP primary-care services",
            "allowed_amount": Decimal("10.00"),
            "visits": 1,
            "last_service_date": D(2024, 5, 1),
            "lookback_start_date": D(2023, 7, 1),
            "lookback_end_date": JUNE_30,
            "attribution_key": "current|20240630|p1",
        }
    ]
    assert list(out["assigned_beneficiaries_current"][0]) == list(CURRENT_COLUMNS)
    assert out["assigned_beneficiaries_yearly"] == []


def test_step_counts_only_the_lines_of_that_pass() -> None:
    providers = buckets({N1: "pcp", N2: "pcp"})
    claims = [
        claim(N1, D(2024, 5, 1), "10"),  # step 1
        claim(N1, D(2023, 1, 15), "1000"),  # passes 3-5 only: not counted in step 1
        claim(N1, D(2024, 5, 2), "50", hcpcs=NON_PC),  # pass 5 only: not counted
        claim(N2, D(2023, 2, 1), "2000"),  # step 3
    ]
    out = run(claims, months("p1", 202301, 202406), providers)
    assert summary(out["provider_ranking"]) == [
        (N1, 1, Decimal("10.00"), 1, 1),
        (N2, 3, Decimal("2000.00"), 1, 2),
    ]


def test_amount_allowed_then_paid_rounded_per_line() -> None:
    claims = [
        claim(N1, D(2024, 5, 1), "10.00", paid="99", claim_id="k1"),  # allowed wins: 10.00
        claim(N1, D(2024, 5, 1), None, paid="20.00"),  # null allowed -> paid 20.00
        claim(N1, D(2024, 5, 1), "0", paid="30.00"),  # zero allowed -> paid 30.00
        claim(N1, D(2024, 5, 1), "0.00"),  # zero allowed, null paid -> 0
        claim(N1, D(2024, 5, 1), None),  # both null -> 0
        claim(N1, D(2024, 5, 1), "0.005"),  # -> 0.01 (half up, per line)
        claim(N1, D(2024, 5, 1), "0.005"),  # -> 0.01
        claim(N1, D(2024, 5, 1), "0.005"),  # -> 0.01 (summing first would give 0.02)
        # -> -2.35 (half away from zero); claim k1 nets 7.65 > 0, so it is not reversed
        claim(N1, D(2024, 5, 1), "-2.345", claim_id="k1", line=2),
    ]
    out = run(claims, months("p1", 202405, 202405), buckets({N1: "pcp"}))
    # 10 + 20 + 30 + 0 + 0 + 0.03 - 2.35, in 8 claims
    assert summary(out["provider_ranking"]) == [(N1, 1, Decimal("57.68"), 8, 1)]
    assert nonzero(out) == {"used": 9}
    assert str(out["provider_ranking"][0]["allowed_amount"]) == "57.68"


def test_ties_broken_by_visits_then_provider_id() -> None:
    big, busy = luhn_npi("200000000"), luhn_npi("999000000")
    tie1, tie2, tie3 = luhn_npi("100000000"), luhn_npi("199999999"), luhn_npi("900000000")
    providers = buckets(dict.fromkeys((big, busy, tie1, tie2, tie3), "pcp"))
    claims = [
        claim(tie2, D(2024, 5, 1), "100"),
        claim(tie3, D(2024, 5, 1), "100"),
        claim(busy, D(2024, 5, 1), "50"),
        claim(busy, D(2024, 5, 2), "50"),  # 100.00 over 2 visits
        claim(tie1, D(2024, 5, 1), "100"),
        claim(big, D(2024, 5, 1), "150"),  # most dollars beats most visits
    ]
    out = run(claims, months("p1", 202405, 202405), providers)
    hundred = Decimal("100.00")
    assert summary(out["provider_ranking"]) == [
        (big, 1, Decimal("150.00"), 1, 1),
        (busy, 1, hundred, 2, 2),
        (tie1, 1, hundred, 1, 3),  # "1000000004" < "1999999992" < "9000000007"
        (tie2, 1, hundred, 1, 4),
        (tie3, 1, hundred, 1, 5),
    ]
    assert out["assigned_beneficiaries_current"][0]["provider_id"] == big


def test_check_npi_false_keeps_any_npi_text_and_ranks_it_as_text() -> None:
    ids = ("200", "999", "1000000002", "1000000003", "9")  # none passes the NPI check
    providers = buckets(dict.fromkeys(ids, "pcp"))
    claims = [
        claim("1000000003", D(2024, 5, 1), "100"),
        claim("9", D(2024, 5, 1), "100"),
        claim("999", D(2024, 5, 1), "50"),
        claim("999", D(2024, 5, 2), "50"),  # 100.00 over 2 visits
        claim("1000000002", D(2024, 5, 1), "100"),
        claim("200", D(2024, 5, 1), "150"),  # most dollars beats most visits
    ]
    elig = months("p1", 202405, 202405)
    out = run(claims, elig, providers, method=replace(TUVA, check_npi=False))
    hundred = Decimal("100.00")
    assert summary(out["provider_ranking"]) == [
        ("200", 1, Decimal("150.00"), 1, 1),
        ("999", 1, hundred, 2, 2),
        ("1000000002", 1, hundred, 1, 3),  # text order: "1000000002" < "1000000003" < "9"
        ("1000000003", 1, hundred, 1, 4),
        ("9", 1, hundred, 1, 5),
    ]
    assert nonzero(out) == {"used": 6}

    # Checked (the default): every line fails the check; p1 gets the fallback row.
    out = run(claims, elig, providers)
    assert nonzero(out) == {"invalid_npi": 6}
    assert summary(out["provider_ranking"]) == [("9999999999", 0, Decimal("0.00"), 0, 1)]


def test_eligibility_gates_lines_by_service_month_and_people_by_window() -> None:
    eligibility: list[dict[str, Any]] = [
        {"person_id": "p1", "year_month": "202401"},  # text form
        {"person_id": "p1", "year_month": 202403},
        {"person_id": "p1", "year_month": 202403},  # duplicates are harmless
        {"person_id": "p2", "year_month": 202306},  # just before the window 202307..202406
        {"person_id": "p3", "year_month": 202307},  # first month of the window
        {"person_id": "p4", "year_month": 202406},  # last month of the window
    ]
    claims = [
        claim(N1, D(2024, 1, 31), "10"),  # eligible month
        claim(N1, D(2024, 2, 15), "1000"),  # February: p1 not enrolled -> ignored
        claim(N2, D(2024, 2, 1), "5000"),  # ignored: N2 is no candidate
        claim(N1, D(2023, 6, 10), person="p2"),  # p2 not in the population: no rows
        claim(N1, D(2023, 6, 10), person="p4"),  # p4 not enrolled in 202306: ignored
    ]
    out = run(claims, eligibility, buckets({N1: "pcp", N2: "pcp"}))
    # p2's line is eligible (member month 202306) and in the 24-month passes, but p2 is not in
    # the eligible population (window 202307..202406).
    assert nonzero(out) == {"no_eligibility": 3, "person_not_eligible": 1, "used": 1}
    rows = out["provider_ranking"]
    assert [r["attribution_key"] for r in rows] == [
        "current|20240630|p1",
        "current|20240630|p3",
        "current|20240630|p4",
    ]
    assert summary(rows) == [
        (N1, 1, Decimal("10.00"), 1, 1),
        ("9999999999", 0, Decimal("0.00"), 0, 1),
        ("9999999999", 0, Decimal("0.00"), 0, 1),
    ]
    assert [r["person_id"] for r in out["assigned_beneficiaries_current"]] == ["p1", "p3", "p4"]


def test_window_edges_first_and_last_day_of_month() -> None:
    as_of = D(2024, 3, 31)  # 12 months: 2023-04-01..2024-03-31; 24 months: 2022-04-01..
    claims = [
        claim(N1, D(2023, 4, 1), "10"),  # first day of the 12-month window -> step 1
        claim(N2, D(2023, 3, 31), "30"),  # day before it -> step 3
        claim(N3, D(2024, 3, 31), "20"),  # the as-of date itself -> step 1
        claim(N4, D(2024, 4, 1), "99"),  # after the as-of date -> nothing
        claim(N5, D(2022, 3, 31), "99"),  # before the 24-month window -> nothing
        claim(N6, D(2022, 4, 1), "40"),  # first day of the 24-month window -> step 3
    ]
    providers = buckets(dict.fromkeys((N1, N2, N3, N4, N5, N6), "pcp"))
    out = run(claims, months("p1", 202201, 202412), providers, as_of=as_of)
    assert nonzero(out) == {"outside_window": 2, "used": 4}
    rows = out["provider_ranking"]
    assert summary(rows) == [
        (N3, 1, Decimal("20.00"), 1, 1),
        (N1, 1, Decimal("10.00"), 1, 2),
        (N6, 3, Decimal("40.00"), 1, 3),
        (N2, 3, Decimal("30.00"), 1, 4),
    ]
    assert [(r["lookback_start_date"], r["lookback_end_date"]) for r in rows] == [
        (D(2023, 4, 1), as_of),
        (D(2023, 4, 1), as_of),
        (D(2022, 4, 1), as_of),
        (D(2022, 4, 1), as_of),
    ]


def test_leap_day_as_of_date() -> None:
    as_of = D(2024, 2, 29)  # 12 months: 2023-03-01..2024-02-29; 24 months: 2022-03-01..
    claims = [
        claim(N1, D(2024, 2, 29), "10"),  # step 1
        claim(N2, D(2023, 2, 28), "20"),  # step 3
        claim(N3, D(2023, 3, 1), "5"),  # step 1
        claim(N4, D(2022, 2, 28), "99"),  # outside
        claim(N5, D(2024, 3, 1), "99"),  # after the as-of date
        claim(N6, D(2022, 3, 1), "1"),  # step 3
    ]
    eligibility = [
        *months("p1", 202201, 202412),
        *months("p2", 202302, 202302),  # eligibility window is 202303..202402: out
        *months("p3", 202402, 202402),  # in, no claims: fallback
    ]
    providers = buckets(dict.fromkeys((N1, N2, N3, N4, N5, N6), "pcp"))
    out = run(claims, eligibility, providers, as_of=as_of)
    rows = out["provider_ranking"]
    assert summary(rows, "current|20240229|p1") == [
        (N1, 1, Decimal("10.00"), 1, 1),
        (N3, 1, Decimal("5.00"), 1, 2),
        (N2, 3, Decimal("20.00"), 1, 3),
        (N6, 3, Decimal("1.00"), 1, 4),
    ]
    assert rows[0]["lookback_start_date"] == D(2023, 3, 1)
    assert rows[2]["lookback_start_date"] == D(2022, 3, 1)
    assert summary(rows, "current|20240229|p2") == []
    fallback = out["assigned_beneficiaries_current"][1]
    assert fallback["attribution_key"] == "current|20240229|p3"
    assert (fallback["lookback_start_date"], fallback["lookback_end_date"]) == (
        D(2022, 3, 1),
        as_of,
    )


def test_fallback_rows_for_eligible_people_without_candidates() -> None:
    claims = [
        claim(None, D(2024, 5, 1), person="p2"),  # no rendering NPI
        claim(N1, None, person="p2"),  # no service date at all
        claim(N1, D(2024, 5, 1), person=None),  # no person
    ]
    eligibility = [*months("p1", 202405, 202405), *months("p2", 202405, 202405)]
    out = run(claims, eligibility, buckets({N1: "pcp"}), years=[2024])
    assert nonzero(out) == {"missing_npi": 1, "missing_service_date": 1, "missing_person_id": 1}
    expected_current = {
        "person_id": "p2",
        "as_of_date": JUNE_30,
        "attribution_type": "none",
        "provider_id": "9999999999",
        "unit_type": None,
        "top_npi": None,
        "provider_bucket": "no_eligible_history",
        "prov_specialty": "No assignable claims history",
        "assigned_step": 0,
        "step_description": "No assignable history",
        "allowed_amount": Decimal("0.00"),
        "visits": 0,
        "last_service_date": None,
        "lookback_start_date": D(2022, 7, 1),
        "lookback_end_date": JUNE_30,
        "attribution_key": "current|20240630|p2",
    }
    assert out["assigned_beneficiaries_current"][1] == expected_current
    assert out["assigned_beneficiaries_current"][0]["attribution_key"] == "current|20240630|p1"
    ranking = out["provider_ranking"]
    assert [r["attribution_key"] for r in ranking] == [
        "current|20240630|p1",
        "current|20240630|p2",
        "yearly|2024|p1",
        "yearly|2024|p2",
    ]
    assert ranking[1]["scope"] == "current"
    assert (ranking[1]["step"], ranking[1]["ranking"]) == (0, 1)
    yearly = out["assigned_beneficiaries_yearly"][1]
    assert list(yearly) == list(YEARLY_COLUMNS)
    assert yearly["performance_year"] == 2024
    assert yearly["attribution_key"] == "yearly|2024|p2"
    assert (yearly["lookback_start_date"], yearly["lookback_end_date"]) == (
        D(2023, 1, 1),
        D(2024, 12, 31),
    )
    assert ranking[3]["as_of_date"] is None


def test_fallback_lookback_uses_the_widest_pass_not_the_last() -> None:
    method = Method(
        name="wide-first",
        passes=(
            Pass(36, None, Services.ANY, "36-month anything"),
            Pass(6, None, Services.ANY, "6-month anything"),
        ),
    )
    out = run([], months("p1", 202406, 202406), [], method=method)
    (row,) = out["provider_ranking"]
    assert row["lookback_start_date"] == D(2021, 7, 1)
    assert row["lookback_end_date"] == JUNE_30


def test_yearly_windows_span_the_prior_year() -> None:
    claims = [
        claim(N1, D(2024, 1, 1), "10"),
        claim(N2, D(2023, 1, 1), "100"),
        claim(N3, D(2022, 12, 31), "7"),
        claim(N4, D(2024, 12, 31), "1"),
    ]
    eligibility = [*months("p1", 202212, 202412), *months("p2", 202312, 202312)]
    providers = buckets(dict.fromkeys((N1, N2, N3, N4), "pcp"))
    out = run(claims, eligibility, providers, as_of=None, years=[2024, 2023])
    rows = out["provider_ranking"]
    # 2024: 12 months 2024-01-01..2024-12-31, 24 months 2023-01-01..2024-12-31
    assert summary(rows, "yearly|2024|p1") == [
        (N1, 1, Decimal("10.00"), 1, 1),
        (N4, 1, Decimal("1.00"), 1, 2),
        (N2, 3, Decimal("100.00"), 1, 3),
    ]
    # 2023: 12 months 2023-01-01..2023-12-31, 24 months 2022-01-01..2023-12-31
    assert summary(rows, "yearly|2023|p1") == [
        (N2, 1, Decimal("100.00"), 1, 1),
        (N3, 3, Decimal("7.00"), 1, 2),
    ]
    # p2 is enrolled in 2023 only: fallback in 2023, absent in 2024
    assert summary(rows, "yearly|2023|p2") == [("9999999999", 0, Decimal("0.00"), 0, 1)]
    assert summary(rows, "yearly|2024|p2") == []
    assert [r["attribution_key"] for r in rows] == [
        "yearly|2023|p1",
        "yearly|2023|p1",
        "yearly|2023|p2",
        "yearly|2024|p1",
        "yearly|2024|p1",
        "yearly|2024|p1",
    ]
    assert {(r["scope"], r["as_of_date"]) for r in rows} == {("yearly", None)}
    assert rows[5]["lookback_start_date"] == D(2023, 1, 1)
    assert rows[5]["lookback_end_date"] == D(2024, 12, 31)
    assert out["assigned_beneficiaries_current"] == []
    assigned = out["assigned_beneficiaries_yearly"]
    assert [(r["performance_year"], r["person_id"], r["provider_id"]) for r in assigned] == [
        (2023, "p1", N2),
        (2023, "p2", "9999999999"),
        (2024, "p1", N1),
    ]


def test_visits_count_encounters_when_mapped_else_claims() -> None:
    day = D(2024, 5, 1)
    claims = [
        claim(N1, day, "1", claim_id="c1", encounter="e1"),
        claim(N1, day, "1", claim_id="c2", encounter="e1"),
        claim(N1, day, "1", claim_id="c3", encounter="e1"),
        claim(N1, day, "1", claim_id="c4"),  # two lines of one claim, no encounter
        claim(N1, day, "1", claim_id="c4", line=2),
        claim(N1, day, "1", claim_id=None, encounter="e2"),
        claim(N1, day, "1", claim_id=None, line=2),  # no key at all: amount counts, no visit
    ]
    elig, prov = months("p1", 202405, 202405), buckets({N1: "pcp"})
    mapped = run(claims, elig, prov, mapped=True)["provider_ranking"]
    unmapped = run(claims, elig, prov, mapped=False)["provider_ranking"]
    assert summary(mapped) == [(N1, 1, Decimal("7.00"), 3, 1)]  # e1, c4, e2
    assert summary(unmapped) == [(N1, 1, Decimal("7.00"), 4, 1)]  # c1, c2, c3, c4


def test_service_date_is_start_else_end_date() -> None:
    claims = [
        claim(N1, None, "10", end=D(2024, 5, 1)),  # service date 2024-05-01: step 1
        claim(N2, D(2023, 5, 1), "10", end=D(2024, 5, 1)),  # 2023-05-01: step 3
        claim(N3, D(2023, 6, 1), "10", end=D(2024, 5, 1)),  # service month 202306: ineligible
    ]
    eligibility = [
        {"person_id": "p1", "year_month": 202305},
        {"person_id": "p1", "year_month": 202405},
    ]
    providers = buckets({N1: "pcp", N2: "pcp", N3: "pcp"})
    out = run(claims, eligibility, providers)
    assert summary(out["provider_ranking"]) == [
        (N1, 1, Decimal("10.00"), 1, 1),
        (N2, 3, Decimal("10.00"), 1, 2),
    ]
    assert nonzero(out) == {"no_eligibility": 1, "used": 2}


def _labels(out: dict[str, list[dict[str, Any]]]) -> dict[str, tuple[str, str | None, int]]:
    return {
        r["provider_id"]: (r["provider_bucket"], r["prov_specialty"], r["step"])
        for r in out["provider_ranking"]
    }


def test_classification_kinds_and_smallest_value_per_npi() -> None:
    day, elig = D(2024, 5, 1), months("p1", 202405, 202405)
    p = {name: luhn_npi(f"{200000000 + i}") for i, name in enumerate("ABCDEFGHIJKLMN")}
    specialty = [
        *buckets({p["A"]: "8", p["B"]: " 06 ", p["C"]: "99", p["D"]: "ZZ"}),  # E: no row
        {"npi": p["F"], "classification": "50"},
        {"npi": p["F"], "classification": "08"},  # smallest of "50", "08" is "08"
        {"npi": p["G"], "classification": None},  # ignored
        {"npi": p["G"], "classification": "50"},
    ]
    out = run([claim(p[n], day) for n in "ABCDEFG"], elig, specialty, kind=Classification.SPECIALTY)
    assert _labels(out) == {
        p["A"]: ("pcp", "Family Practice", 1),
        p["B"]: ("specialist", "Cardiology", 2),
        p["C"]: ("unknown", "Unknown Physician Specialty", 4),
        p["D"]: ("unknown", None, 4),
        p["E"]: ("unknown", None, 4),
        p["F"]: ("pcp", "Family Practice", 1),
        p["G"]: ("npp", "Nurse Practitioner", 1),
    }

    taxonomy = buckets({p["H"]: "207q00000x ", p["I"]: "207RC0000X", p["J"]: "bogus"})
    out = run([claim(p[n], day) for n in "HIJ"], elig, taxonomy, kind=Classification.TAXONOMY)
    assert _labels(out) == {
        p["H"]: ("pcp", "Family Practice", 1),
        p["I"]: ("specialist", "Cardiology", 2),
        p["J"]: ("unknown", None, 4),
    }

    bucket = [
        *buckets({p["K"]: " NPP ", p["L"]: "other"}),
        {"npi": p["M"], "classification": "pcp"},
        {"npi": p["M"], "classification": "NPP"},  # "npp" < "pcp"
        {"npi": p["N"], "classification": "Specialist"},
        {"npi": p["N"], "classification": "other"},  # "other" < "specialist": unknown
    ]
    out = run([claim(p[n], day) for n in "KLMN"], elig, bucket, kind=Classification.BUCKET)
    assert _labels(out) == {
        p["K"]: ("npp", None, 1),
        p["L"]: ("unknown", None, 4),
        p["M"]: ("npp", None, 1),
        p["N"]: ("unknown", None, 4),
    }


def test_hcpcs_compared_trimmed_upper_case() -> None:
    day = D(2024, 5, 1)
    claims = [
        claim(N1, day, "3", hcpcs=" g0439 "),  # primary care -> step 1
        claim(N2, day, "2", hcpcs=NON_PC),  # step 5
        claim(N3, day, "1", hcpcs=None),  # step 5
    ]
    out = run(claims, months("p1", 202405, 202405), buckets({N1: "pcp", N2: "pcp", N3: "pcp"}))
    assert [(r["provider_id"], r["step"]) for r in out["provider_ranking"]] == [
        (N1, 1),
        (N2, 5),
        (N3, 5),
    ]


def test_defaults_and_window_arithmetic() -> None:
    claims = [
        claim(N1, D(2024, 1, 1), end=D(2024, 3, 15)),
        claim(N1, D(2024, 1, 1), end=D(2024, 2, 1), person=None),
    ]
    assert default_as_of(claims, D(2024, 12, 31)) == D(2024, 3, 15)
    assert default_as_of(claims, D(2024, 3, 14)) == D(2024, 3, 14)  # latest is after today
    assert default_as_of([{"claim_end_date": None}], D(2024, 5, 5)) == D(2024, 5, 5)
    assert default_as_of([], D(2024, 5, 5)) == D(2024, 5, 5)
    eligibility: list[dict[str, Any]] = [
        {"person_id": "p1", "year_month": "202312"},
        {"person_id": "p1", "year_month": 202201},
        {"person_id": "p2", "year_month": 202212},
    ]
    assert default_years(eligibility) == [2022, 2023]
    assert window_start(D(2024, 3, 15), 12) == D(2023, 4, 1)
    assert window_start(D(2024, 12, 31), 24) == D(2023, 1, 1)
    assert window_start(D(2024, 1, 31), 1) == D(2024, 1, 1)
    assert window_start(D(2024, 1, 31), 2) == D(2023, 12, 1)


def test_output_columns_match_the_data_dictionary() -> None:
    assert list(RANKING_COLUMNS) == outputs.column_names(outputs.RANKING)
    assert list(CURRENT_COLUMNS) == outputs.column_names(outputs.CURRENT)
    assert list(YEARLY_COLUMNS) == outputs.column_names(outputs.YEARLY)


def test_tuva_rows_carry_unit_and_last_service_columns() -> None:
    claims = [
        claim(N1, D(2024, 3, 1), "10"),
        claim(N1, D(2024, 5, 1), "10"),
        claim(N1, D(2024, 6, 1), "10", hcpcs=NON_PC),  # pass 5 only: not in step 1
    ]
    out = run(claims, months("p1", 202401, 202406), buckets({N1: "pcp"}))
    (row,) = out["provider_ranking"]
    assert (row["attribution_type"], row["unit_type"], row["top_npi"]) == ("claims", "npi", N1)
    assert row["last_service_date"] == D(2024, 5, 1)
    assert nonzero(out) == {"used": 3}  # the pass-5 line counts too, only not at step 1


# --------------------------------------------------------------------------- line checks

N_ORG = luhn_npi("500000001")  # an organization in the providers input
N_UNKNOWN = luhn_npi("600000001")  # no providers row: bucket unknown
# Passes of primary care only, every bucket but unknown; a gate of PCP primary care in 12 months.
GATED = Method(
    name="gated",
    passes=(
        Pass(12, frozenset({"pcp", "npp"}), Services.PRIMARY_CARE, "12-month PCP/NPP"),
        Pass(24, frozenset({"pcp", "npp", "specialist"}), Services.PRIMARY_CARE, "24-month"),
    ),
    gate=Gate(12, frozenset({"pcp"}), Services.PRIMARY_CARE, participants_only=False),
    fqhc_revenue_codes=frozenset({"0521"}),
)
GATED_PROVIDERS = [
    {"npi": N1, "classification": "pcp", "entity_type": "1"},
    {"npi": N2, "classification": "npp"},
    {"npi": N3, "classification": "specialist"},
    {"npi": N_ORG, "classification": "pcp", "entity_type": "2"},
    {"npi": "1234567890", "classification": "pcp", "entity_type": "2"},  # fails the NPI check
]
# p1 enrolled over the whole 24-month reach; p2 only in 202208 (outside the eligibility window
# 202307..202406 of the as-of date June 30, 2024); p3 from 202301 except 202404.
GATED_ELIGIBILITY = [
    *months("p1", 202207, 202406),
    *months("p2", 202208, 202208),
    *months("p3", 202301, 202403),
    *months("p3", 202405, 202406),
]
NO_CHECK = replace(TUVA, check_npi=False)


def run_gated(claims: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return run(
        claims, GATED_ELIGIBILITY, GATED_PROVIDERS, method=GATED, entity_type_mapped=True, **extra
    )


def test_exclusion_reasons_in_the_documented_order() -> None:
    """The oracle's statuses, the engine's and METHOD.md's table list the same names in the
    same order."""
    spec = (pathlib.Path(__file__).parents[1] / "docs" / "METHOD.md").read_text(encoding="utf-8")
    tables = tuple(re.findall(r"^\| \d+ \| `([a-z_]+)` \|", spec, flags=re.MULTILINE))
    documented, beneficiary = tables[:16], tables[16:]  # line checks, beneficiary exclusions
    assert documented == EXCLUSION_REASONS
    assert beneficiary == BENEFICIARY_REASONS
    assert tuple(reason for reason, _ in ENGINE_BENEFICIARY_REASONS) == beneficiary
    assert tuple(reason for reason, _ in REASONS) == documented
    out = run([], months("p1", 202406, 202406), [])
    assert out["exclusions"] == dict.fromkeys(EXCLUSION_REASONS, 0)
    assert list(out["exclusions"]) == list(EXCLUSION_REASONS)


def test_every_status_once_and_what_attribution_keeps() -> None:
    day = D(2024, 5, 1)
    first = claim(N1, day, "100", claim_id="k1")
    claims = [
        first,  # used: in pass 1, p1 passes the gate with it
        dict(first),  # duplicate_line
        claim(N1, day, person=None),  # missing_person_id
        claim(N1, None),  # missing_service_date
        claim(N1, D(2025, 7, 1)),  # future_service_date (today is 2025-06-30)
        claim(N1, day, rev="0521"),  # fqhc_not_attested: no attending NPI
        claim(None, day),  # missing_npi
        claim("1234567890", day),  # invalid_npi
        claim(N_ORG, day),  # organizational_npi
        claim(N1, day, "40", claim_id="k9"),  # reversed_claim: k9 nets 0.00
        claim(N1, day, "-40", claim_id="k9", line=2),  # reversed_claim
        claim(N1, D(2022, 6, 30), "5000"),  # outside_window: the day before the 24-month reach
        claim(N1, D(2024, 4, 15), "5000", person="p3"),  # no_eligibility: p3 not in 202404
        claim(N1, D(2024, 5, 2), "5000", hcpcs=NON_PC),  # not_primary_care
        claim(N_UNKNOWN, day, "5000"),  # no_matching_pass: bucket unknown is in no pass
        claim(N1, D(2022, 8, 15), person="p2"),  # person_not_eligible: p2 not in the population
        claim(N2, D(2024, 1, 10), person="p3"),  # person_not_assignable: an NPP fails the gate
    ]
    out = run_gated(claims)
    assert out["exclusions"] == {
        "duplicate_line": 1,
        "missing_person_id": 1,
        "missing_service_date": 1,
        "future_service_date": 1,
        "fqhc_not_attested": 1,
        "missing_npi": 1,
        "invalid_npi": 1,
        "organizational_npi": 1,
        "reversed_claim": 2,
        "outside_window": 1,
        "no_eligibility": 1,
        "not_primary_care": 1,
        "no_matching_pass": 1,
        "person_not_eligible": 1,
        "person_not_assignable": 1,
        "used": 1,
    }
    assert sum(out["exclusions"].values()) == len(claims) == 17
    # p1: only the first line counts (once, one visit); p2 is not eligible; p3 fails the gate:
    # its PCP line of April 2024 has no eligibility, so it is not in the gate either.
    assert summary(out["provider_ranking"]) == [
        (N1, 1, Decimal("100.00"), 1, 1),
        ("9999999999", 0, Decimal("0.00"), 0, 1),
    ]
    assert [r["person_id"] for r in out["assigned_beneficiaries_current"]] == ["p1", "p3"]


REASON_ORDER_CASES = {
    # case: (the one claims row, the status it gets: the earliest that applies)
    "no person and no date": (claim(N1, None, person=None), "missing_person_id"),
    "no date and no NPI": (claim(None, None), "missing_service_date"),
    "future and invalid NPI": (claim("123", D(2025, 7, 1)), "future_service_date"),
    "future and not attested": (claim(N1, D(2025, 7, 1), rev="0521"), "future_service_date"),
    "not attested and invalid NPI": (
        claim("bad", D(2024, 5, 1), rev="0521"),
        "fqhc_not_attested",
    ),
    "no NPI and reversed": (claim(None, D(2024, 5, 1), "-5"), "missing_npi"),
    "invalid and organizational": (claim("1234567890", D(2024, 5, 1)), "invalid_npi"),
    "organizational and reversed": (claim(N_ORG, D(2024, 5, 1), "-5"), "organizational_npi"),
    "reversed and outside": (claim(N1, D(2022, 6, 30), "-5"), "reversed_claim"),
    "outside and no eligibility": (claim(N1, D(2022, 6, 30), person="p3"), "outside_window"),
    "no eligibility and not primary care": (
        claim(N1, D(2024, 4, 15), person="p3", hcpcs=NON_PC),
        "no_eligibility",
    ),
    "not primary care and person not eligible": (
        claim(N1, D(2022, 8, 15), person="p2", hcpcs=NON_PC),
        "not_primary_care",
    ),
    "no pass and person not eligible": (
        claim(N_UNKNOWN, D(2022, 8, 15), person="p2"),
        "no_matching_pass",
    ),
    "person not eligible and not assignable": (
        claim(N2, D(2022, 8, 15), person="p2"),
        "person_not_eligible",
    ),
    "person not assignable": (claim(N2, D(2024, 1, 10), person="p3"), "person_not_assignable"),
    "used": (claim(N1, D(2024, 5, 1)), "used"),
}


@pytest.mark.parametrize("case", list(REASON_ORDER_CASES))
def test_a_line_failing_several_checks_gets_the_earliest_status(case: str) -> None:
    row, status = REASON_ORDER_CASES[case]
    assert nonzero(run_gated([row])) == {status: 1}


def test_a_duplicate_gets_duplicate_line_whatever_else_is_wrong() -> None:
    row = claim(N1, None, person=None)
    assert nonzero(run_gated([row, dict(row), dict(row)])) == {
        "missing_person_id": 1,
        "duplicate_line": 2,
    }


def test_exact_duplicates_count_once_in_amount_and_visits() -> None:
    a = claim(N1, D(2024, 5, 1), "100", claim_id="k1")
    b = claim(N1, D(2024, 5, 2), "30", claim_id="k2")
    claims = [
        a,
        dict(a),
        dict(a),
        b,
        dict(b),
        {**a, "claim_line_number": 2},  # another line of k1: counts (no new visit)
        {**a, "allowed_amount": Decimal("100.004")},  # 100.00 once stored at 2 places: a copy
        claim(N2, D(2024, 5, 1), "250"),
    ]
    out = run(claims, months("p1", 202405, 202405), buckets({N1: "pcp", N2: "pcp"}))
    assert nonzero(out) == {"duplicate_line": 4, "used": 4}
    # N1 = 100 + 30 + 100 in claims k1, k2 (counting every copy it would have 560 and win)
    assert summary(out["provider_ranking"]) == [
        (N2, 1, Decimal("250.00"), 1, 1),
        (N1, 1, Decimal("230.00"), 2, 2),
    ]


def test_duplicates_compare_only_the_mapped_columns() -> None:
    e1 = claim(N1, D(2024, 5, 1), "10", claim_id="k1", encounter="e1")
    e2 = {**e1, "encounter_id": "e2"}  # differs only in encounter_id
    t1 = {**e1, "claim_line_number": 2, "tin": "T1"}
    t2 = {**t1, "tin": "T2"}  # differs only in tin
    claims = [e1, e2, t1, t2, {**e1, "not_a_column": "x"}]  # unknown keys are not columns
    elig, prov = months("p1", 202405, 202405), buckets({N1: "pcp"})

    out = run(claims, elig, prov, mapped=True, claims_have_tin=True)
    assert nonzero(out) == {"duplicate_line": 1, "used": 4}
    assert summary(out["provider_ranking"]) == [(N1, 1, Decimal("40.00"), 2, 1)]  # e1, e2

    out = run(claims, elig, prov, mapped=False, claims_have_tin=False)
    assert nonzero(out) == {"duplicate_line": 3, "used": 2}
    assert summary(out["provider_ranking"]) == [(N1, 1, Decimal("20.00"), 1, 1)]  # k1


def test_a_fully_reversed_claim_gives_neither_amount_nor_visit() -> None:
    day = D(2024, 5, 1)
    claims = [
        claim(N1, day, "100", claim_id="k1"),
        claim(N1, day, "-100", claim_id="k1", line=2),  # k1 nets 0.00: reversed
        claim(N1, day, "60", claim_id="k2"),
        claim(N2, day, "80", claim_id="k3"),
        claim(N2, day, "50", claim_id="k4"),
        claim(N2, day, "-70", claim_id="k4", line=2),  # k4 nets -20.00: reversed, +50 line too
    ]
    out = run(claims, months("p1", 202405, 202405), buckets({N1: "pcp", N2: "pcp"}))
    assert nonzero(out) == {"reversed_claim": 4, "used": 2}
    # Counting the reversals, both would have 60.00 in 2 visits and N1 would win on its id.
    assert summary(out["provider_ranking"]) == [
        (N2, 1, Decimal("80.00"), 1, 1),
        (N1, 1, Decimal("60.00"), 1, 2),
    ]


def test_a_partially_reversed_claim_still_counts_with_its_negative_lines() -> None:
    day = D(2024, 5, 1)
    claims = [
        claim(N1, day, "100", claim_id="k1"),
        claim(N1, day, "-30", claim_id="k1", line=2),  # k1 nets 70.00 > 0
        claim(N2, day, "50", claim_id="k2"),
        claim(N1, day, "-40", claim_id="k2", line=2),  # k2 nets 10.00 > 0: N1 loses 40
        claim(N1, day, "-0.01", paid="99", claim_id="k3"),  # allowed wins: -0.01 ...
        claim(N1, day, "0.01", claim_id="k3", line=2),  # ... k3 nets 0.00: reversed
    ]
    out = run(claims, months("p1", 202405, 202405), buckets({N1: "pcp", N2: "pcp"}))
    assert nonzero(out) == {"reversed_claim": 2, "used": 4}
    assert summary(out["provider_ranking"]) == [
        (N2, 1, Decimal("50.00"), 1, 1),
        (N1, 1, Decimal("30.00"), 2, 2),  # 100 - 30 - 40, claims k1 and k2
    ]


def test_a_zero_amount_capitated_claim_is_not_reversed() -> None:
    day = D(2024, 5, 1)
    claims = [
        claim(N1, day, "0.00", claim_id="k1"),
        claim(N1, day, None, claim_id="k1", line=2),  # no amount at all: 0
        claim(N1, day, "0", paid="0", claim_id="k1", line=3),
    ]
    out = run(claims, months("p1", 202405, 202405), buckets({N1: "pcp"}))
    assert nonzero(out) == {"used": 3}
    assert summary(out["provider_ranking"]) == [(N1, 1, Decimal("0.00"), 1, 1)]
    assert out["assigned_beneficiaries_current"][0]["attribution_type"] == "claims"


def test_null_claim_id_lines_are_claims_by_themselves() -> None:
    day = D(2024, 5, 1)
    claims = [
        claim(N1, day, "100", claim_id=None),  # its own claim: 100 > 0
        claim(N1, day, "-100", claim_id=None, line=2),  # its own claim: -100, reversed
        claim(N2, day, "-50", claim_id="k7"),  # p1's k7 is this line only: reversed ...
        claim(N2, day, "90", claim_id="k7", person=None, line=2),  # ... a null person's k7
    ]
    out = run(claims, months("p1", 202405, 202405), buckets({N1: "pcp", N2: "pcp"}))
    assert nonzero(out) == {"missing_person_id": 1, "reversed_claim": 2, "used": 1}
    # No claim id and no encounter: the amount counts, the line is no visit.
    assert summary(out["provider_ranking"]) == [(N1, 1, Decimal("100.00"), 0, 1)]


def test_reversal_sums_distinct_rows_of_the_claim_whatever_their_status() -> None:
    day = D(2024, 5, 1)
    minus = claim(N1, day, "-60", claim_id="k1", line=2)
    claims = [
        claim(N1, day, "100", claim_id="k1"),
        minus,
        dict(minus),  # a copy: k1 still nets 40.00, not -20.00
        claim("1234567890", day, "100", claim_id="k2"),  # invalid NPI, but part of claim k2
        claim(N2, day, "-60", claim_id="k2", line=2),  # k2 nets 40.00: not reversed
        claim(N2, D(2030, 1, 1), "100", claim_id="k3"),  # future, but part of claim k3
        claim(N2, day, "-30", claim_id="k3", line=2),  # k3 nets 70.00: not reversed
    ]
    out = run(claims, months("p1", 202405, 202405), buckets({N1: "pcp", N2: "pcp"}))
    assert nonzero(out) == {
        "duplicate_line": 1,
        "future_service_date": 1,
        "invalid_npi": 1,
        "used": 4,
    }
    assert summary(out["provider_ranking"]) == [
        (N1, 1, Decimal("40.00"), 1, 1),
        (N2, 1, Decimal("-90.00"), 2, 2),
    ]


def test_npi_check_is_luhn_over_80840_and_the_first_nine_digits() -> None:
    valid = ["1234567893", "1245319599", "1679576722", N1, luhn_npi("999999999")]
    invalid = [
        "1234567890",  # wrong check digit
        "1234567894",
        "123456789",  # nine digits
        "12345678930",  # eleven digits
        "123456789A",
        "12345678 3",
        " 1234567893",
        "1234567893 ",
        "１２３４５６７８９３",  # full-width digits are not ASCII digits
        "",
    ]
    assert [npi_is_valid(npi) for npi in valid] == [True] * len(valid)
    assert [npi_is_valid(npi) for npi in invalid] == [False] * len(invalid)

    day = D(2024, 5, 1)
    claims = [claim(npi, day, "10") for npi in ["1234567893", *invalid]]
    providers = buckets(dict.fromkeys(["1234567893", *invalid], "pcp"))
    out = run(claims, months("p1", 202405, 202405), providers)
    assert nonzero(out) == {"invalid_npi": len(invalid), "used": 1}
    assert summary(out["provider_ranking"]) == [("1234567893", 1, Decimal("10.00"), 1, 1)]

    unchecked = run(claims, months("p1", 202405, 202405), providers, method=NO_CHECK)
    assert nonzero(unchecked) == {"used": len(claims)}
    assert len(unchecked["provider_ranking"]) == len(claims)


def test_check_npi_false_still_needs_an_npi_and_checks_the_attending_npi_otherwise() -> None:
    day = D(2024, 5, 1)
    method = replace(TUVA, fqhc_revenue_codes=frozenset({"0521"}))
    claims = [
        claim(None, day),  # missing_npi either way
        claim("bad", day, rev="0521", attending="123"),  # attested; credited NPI "123"
        claim("1234567893", day, rev="0521", attending=N1),  # attested; credited N1
    ]
    elig, attested = months("p1", 202405, 202405), [{"npi": "123"}, {"npi": N1}]
    out = run(claims, elig, [], method=method, attested=attested)
    assert nonzero(out) == {"missing_npi": 1, "invalid_npi": 1, "used": 1}
    assert [r["provider_id"] for r in out["provider_ranking"]] == [N1]
    out = run(claims, elig, [], method=replace(method, check_npi=False), attested=attested)
    assert nonzero(out) == {"missing_npi": 1, "used": 2}
    assert [r["provider_id"] for r in out["provider_ranking"]] == [N1, "123"]  # FQHC: pcp


def test_organizational_npis_by_entity_type_when_mapped() -> None:
    day = D(2024, 5, 1)
    providers: list[dict[str, Any]] = [
        {"npi": N1, "classification": "pcp", "entity_type": "2"},
        {"npi": N2, "classification": "pcp", "entity_type": " Organization "},
        {"npi": N3, "classification": "pcp", "entity_type": "1"},
        {"npi": N4, "classification": "pcp", "entity_type": "Individual"},
        {"npi": N5, "classification": "pcp", "entity_type": "1"},
        {"npi": N5, "classification": "pcp", "entity_type": "ORGANIZATION"},  # any row counts
        {"npi": N6, "classification": "pcp", "entity_type": None},
        {"npi": N7, "classification": "pcp", "entity_type": "22"},
        {"npi": N8, "classification": "pcp"},
    ]
    npis = [N1, N2, N3, N4, N5, N6, N7, N8]
    amounts = ["80", "70", "60", "50", "40", "30", "20", "10"]
    claims = [claim(npi, day, amount) for npi, amount in zip(npis, amounts, strict=True)]
    elig = months("p1", 202405, 202405)

    out = run(claims, elig, providers, entity_type_mapped=True)
    assert nonzero(out) == {"organizational_npi": 3, "used": 5}
    assert [r["provider_id"] for r in out["provider_ranking"]] == [N3, N4, N6, N7, N8]

    out = run(claims, elig, providers)  # entity_type not mapped: nobody is an organization
    assert nonzero(out) == {"used": 8}
    assert [r["provider_id"] for r in out["provider_ranking"]] == npis


def test_service_dates_after_today_take_no_part() -> None:
    today = D(2024, 6, 15)
    claims = [
        claim(N1, today, "10"),  # today itself: fine
        claim(N1, D(2024, 6, 16), "1000"),  # the day after: future
        claim(N1, None, "1000", end=D(2024, 6, 20)),  # service date = end date: future
        claim(N1, D(2024, 6, 10), "5", end=D(2024, 6, 20)),  # service date = start: fine
        claim(N2, D(2024, 6, 30), "1000"),  # on the as-of date, but after today
    ]
    providers = buckets({N1: "pcp", N2: "pcp"})
    out = run(claims, months("p1", 202406, 202406), providers, today=today)
    assert nonzero(out) == {"future_service_date": 3, "used": 2}
    assert summary(out["provider_ranking"]) == [(N1, 1, Decimal("15.00"), 2, 1)]

    out = run(claims, months("p1", 202406, 202406), providers, today=D(2024, 6, 30))
    assert nonzero(out) == {"used": 5}


def test_person_not_assignable_without_a_gate_line_in_any_scope_key() -> None:
    method = Method(
        name="gate-6",
        passes=(Pass(12, None, Services.PRIMARY_CARE, "12-month primary care"),),
        gate=Gate(6, frozenset({"pcp"}), Services.PRIMARY_CARE, participants_only=False),
    )
    providers = buckets({N1: "pcp", N2: "npp"})
    claims = [
        claim(N1, D(2024, 3, 1), "10"),  # p1: in the 6-month gate window 2024-01..2024-06
        claim(N2, D(2024, 2, 1), "90"),  # counts because p1 passes the gate
        claim(N1, D(2023, 10, 1), "10", person="p2"),  # p2: only before 2024-01-01
        claim(N2, D(2024, 2, 1), "90", person="p2"),  # an NPP: not a gate line
    ]
    elig = [*months("p1", 202307, 202406), *months("p2", 202307, 202406)]
    out = run(claims, elig, providers, method=method)
    assert nonzero(out) == {"person_not_assignable": 2, "used": 2}
    assert summary(out["provider_ranking"]) == [
        (N2, 1, Decimal("90.00"), 1, 1),
        (N1, 1, Decimal("10.00"), 1, 2),
        ("9999999999", 0, Decimal("0.00"), 0, 1),
    ]

    # Performance year 2023 (pass 2023-01..2023-12, gate 2023-07..2023-12): p2's PCP line passes
    # the gate and counts there, so it is used; p2's NPP line of 2024 is in no 2023 window and
    # still fails the gate of the current key.
    out = run(claims, elig, providers, method=method, years=[2023])
    assert nonzero(out) == {"person_not_assignable": 1, "used": 3}
    assert summary(out["provider_ranking"], "yearly|2023|p2") == [(N1, 1, Decimal("10.00"), 1, 1)]


def test_person_not_eligible_depends_on_each_scope_keys_eligibility_window() -> None:
    claims = [claim(N1, D(2022, 9, 1), "10")]  # in the 24-month passes of June 30, 2024
    elig, providers = months("p1", 202207, 202212), buckets({N1: "pcp"})
    out = run(claims, elig, providers)  # eligibility window 202307..202406: p1 is not in it
    assert nonzero(out) == {"person_not_eligible": 1}
    assert out["provider_ranking"] == []

    out = run(claims, elig, providers, method=replace(TUVA, eligibility_months=24))
    assert nonzero(out) == {"used": 1}
    assert summary(out["provider_ranking"]) == [(N1, 3, Decimal("10.00"), 1, 1)]

    out = run(claims, elig, providers, years=[2022])  # eligible in 2022; 2022's step 1
    assert nonzero(out) == {"used": 1}
    assert summary(out["provider_ranking"]) == [(N1, 1, Decimal("10.00"), 1, 1)]


def test_outside_window_uses_the_widest_of_the_pass_and_gate_windows() -> None:
    passes = (Pass(6, None, Services.PRIMARY_CARE, "6-month primary care"),)
    no_gate = Method(name="six", passes=passes)
    gate = Gate(12, None, Services.ANY, participants_only=False)
    gated = Method(name="six-gated", passes=passes, gate=gate)
    claims = [
        claim(N1, D(2024, 1, 1), "10"),  # first day of the 6-month window
        claim(N1, D(2023, 12, 31), "10"),  # in the 12-month gate window only
        claim(N1, D(2023, 6, 30), "10"),  # before both
    ]
    elig, providers = months("p1", 202306, 202406), buckets({N1: "pcp"})
    assert nonzero(run(claims, elig, providers, method=no_gate)) == {
        "outside_window": 2,
        "used": 1,
    }
    assert nonzero(run(claims, elig, providers, method=gated)) == {
        "outside_window": 1,
        "no_matching_pass": 1,
        "used": 1,
    }
    # Another scope key's window brings the line back: the 2023 key's 6 months end 2023-12-31.
    assert nonzero(run(claims, elig, providers, method=no_gate, years=[2023])) == {
        "outside_window": 1,
        "used": 2,
    }
    # No scope key at all: every line is outside.
    out = run(claims, elig, providers, method=gated, as_of=None, years=())
    assert nonzero(out) == {"outside_window": 3}


def test_lines_in_no_pass_and_methods_without_the_claims_path() -> None:
    method = Method(
        name="pcp-only",
        passes=(Pass(12, frozenset({"pcp"}), Services.PRIMARY_CARE, "12-month PCP"),),
    )
    day = D(2024, 5, 1)
    claims = [
        claim(N1, day, "10"),  # used
        claim(N1, day, "10", hcpcs=NON_PC),  # not_primary_care
        claim(N2, day, "10"),  # no_matching_pass: a specialist's primary care
        claim(N2, day, "10", hcpcs=None),  # not_primary_care (no HCPCS code)
        claim(N1, D(2023, 6, 30), "10"),  # outside_window
    ]
    elig, providers = months("p1", 202306, 202406), buckets({N1: "pcp", N2: "specialist"})
    out = run(claims, elig, providers, method=method)
    assert nonzero(out) == {
        "outside_window": 1,
        "not_primary_care": 2,
        "no_matching_pass": 1,
        "used": 1,
    }
    # Without the claims path nothing falls in a pass: no_matching_pass, even for lines that are
    # not primary care.
    selection_only = replace(method, paths=(Path.SELF_SELECTION,))
    selections = [{"person_id": "p1", "npi": N2, "effective_date": day, "end_date": None}]
    out = run(claims, elig, providers, method=selection_only, self_selections=selections)
    assert nonzero(out) == {"outside_window": 1, "no_matching_pass": 4}
    assert [r["attribution_type"] for r in out["provider_ranking"]] == ["self_selection"]
