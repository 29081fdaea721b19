"""Hand-computed scenarios for the reference oracle itself (``tests/oracle.py``).

Every expected value below was worked out by hand from ``docs/METHOD.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from oracle import (
    CURRENT_COLUMNS,
    RANKING_COLUMNS,
    YEARLY_COLUMNS,
    attribute_reference,
    default_as_of,
    default_years,
    window_start,
)
from provider_attribution import outputs
from provider_attribution.inputs import Classification
from provider_attribution.method import TUVA, Method, Pass, Services
from provider_attribution.valuesets import ValueSets

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
) -> dict[str, Any]:
    """One claim line; by default its own claim id and end date = start date."""
    return {
        "person_id": person,
        "claim_id": f"c{next(_counter)}" if claim_id == "auto" else claim_id,
        "claim_line_number": 1,
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


def buckets(**by_npi: str) -> list[dict[str, Any]]:
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
) -> dict[str, Any]:
    return attribute_reference(
        claims,
        eligibility,
        providers,
        method=method,
        valuesets=VS,
        classification_kind=kind,
        encounter_mapped=mapped,
        as_of=as_of,
        years=years,
    )


def summary(rows: list[dict[str, Any]], key: str | None = None) -> list[tuple[Any, ...]]:
    """(provider_id, step, allowed_amount, visits, ranking) of ranking rows, optionally one key."""
    return [
        (r["provider_id"], r["step"], r["allowed_amount"], r["visits"], r["ranking"])
        for r in rows
        if key is None or r["attribution_key"] == key
    ]


def test_each_pass_takes_precedence_over_later_ones() -> None:
    providers = buckets(N1="pcp", N2="specialist", N3="npp", N4="other", N5="pcp")
    claims = [
        claim("N1", D(2024, 5, 1), "10"),  # pcp, primary care, 12 months -> step 1
        claim("N2", D(2024, 5, 1), "500"),  # specialist, primary care, 12 months -> step 2
        claim("N3", D(2023, 1, 15), "400"),  # npp, primary care, only in 24 months -> step 3
        claim("N4", D(2024, 5, 1), "300"),  # unknown bucket, primary care -> step 4
        claim("N5", D(2024, 5, 1), "900", hcpcs=NON_PC),  # not primary care -> step 5
    ]
    out = run(claims, months("p1", 202301, 202406), providers)
    d = Decimal
    assert summary(out["provider_ranking"]) == [
        ("N1", 1, d("10.00"), 1, 1),
        ("N2", 2, d("500.00"), 1, 2),
        ("N3", 3, d("400.00"), 1, 3),
        ("N4", 4, d("300.00"), 1, 4),
        ("N5", 5, d("900.00"), 1, 5),
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
        "provider_id": "N1",
        "unit_type": "npi",
        "top_npi": "N1",
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
            "provider_id": "N1",
            "unit_type": "npi",
            "top_npi": "N1",
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
    providers = buckets(N1="pcp", N2="pcp")
    claims = [
        claim("N1", D(2024, 5, 1), "10"),  # step 1
        claim("N1", D(2023, 1, 15), "1000"),  # passes 3-5 only: not counted in step 1
        claim("N1", D(2024, 5, 2), "50", hcpcs=NON_PC),  # pass 5 only: not counted
        claim("N2", D(2023, 2, 1), "2000"),  # step 3
    ]
    out = run(claims, months("p1", 202301, 202406), providers)
    assert summary(out["provider_ranking"]) == [
        ("N1", 1, Decimal("10.00"), 1, 1),
        ("N2", 3, Decimal("2000.00"), 1, 2),
    ]


def test_amount_allowed_then_paid_rounded_per_line() -> None:
    claims = [
        claim("N1", D(2024, 5, 1), "10.00", paid="99"),  # allowed wins: 10.00
        claim("N1", D(2024, 5, 1), None, paid="20.00"),  # null allowed -> paid 20.00
        claim("N1", D(2024, 5, 1), "0", paid="30.00"),  # zero allowed -> paid 30.00
        claim("N1", D(2024, 5, 1), "0.00"),  # zero allowed, null paid -> 0
        claim("N1", D(2024, 5, 1), None),  # both null -> 0
        claim("N1", D(2024, 5, 1), "0.005"),  # -> 0.01 (half up, per line)
        claim("N1", D(2024, 5, 1), "0.005"),  # -> 0.01
        claim("N1", D(2024, 5, 1), "0.005"),  # -> 0.01 (summing first would give 0.02)
        claim("N1", D(2024, 5, 1), "-2.345"),  # -> -2.35 (half away from zero)
    ]
    out = run(claims, months("p1", 202405, 202405), buckets(N1="pcp"))
    # 10 + 20 + 30 + 0 + 0 + 0.03 - 2.35
    assert summary(out["provider_ranking"]) == [("N1", 1, Decimal("57.68"), 9, 1)]
    assert str(out["provider_ranking"][0]["allowed_amount"]) == "57.68"


def test_ties_broken_by_visits_then_provider_id_text() -> None:
    providers = buckets(**dict.fromkeys(("200", "999", "1000000002", "1000000003", "9"), "pcp"))
    claims = [
        claim("1000000003", D(2024, 5, 1), "100"),
        claim("9", D(2024, 5, 1), "100"),
        claim("999", D(2024, 5, 1), "50"),
        claim("999", D(2024, 5, 2), "50"),  # 100.00 over 2 visits
        claim("1000000002", D(2024, 5, 1), "100"),
        claim("200", D(2024, 5, 1), "150"),  # most dollars beats most visits
    ]
    out = run(claims, months("p1", 202405, 202405), providers)
    hundred = Decimal("100.00")
    assert summary(out["provider_ranking"]) == [
        ("200", 1, Decimal("150.00"), 1, 1),
        ("999", 1, hundred, 2, 2),
        ("1000000002", 1, hundred, 1, 3),  # text order: "1000000002" < "1000000003" < "9"
        ("1000000003", 1, hundred, 1, 4),
        ("9", 1, hundred, 1, 5),
    ]
    assert out["assigned_beneficiaries_current"][0]["provider_id"] == "200"


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
        claim("N1", D(2024, 1, 31), "10"),  # eligible month
        claim("N1", D(2024, 2, 15), "1000"),  # February: p1 not enrolled -> ignored
        claim("N2", D(2024, 2, 1), "5000"),  # ignored: N2 is no candidate
        claim("N1", D(2023, 6, 10), person="p2"),  # p2 not in the population: no rows
        claim("N1", D(2023, 6, 10), person="p4"),  # p4 not enrolled in 202306: ignored
    ]
    out = run(claims, eligibility, buckets(N1="pcp", N2="pcp"))
    rows = out["provider_ranking"]
    assert [r["attribution_key"] for r in rows] == [
        "current|20240630|p1",
        "current|20240630|p3",
        "current|20240630|p4",
    ]
    assert summary(rows) == [
        ("N1", 1, Decimal("10.00"), 1, 1),
        ("9999999999", 0, Decimal("0.00"), 0, 1),
        ("9999999999", 0, Decimal("0.00"), 0, 1),
    ]
    assert [r["person_id"] for r in out["assigned_beneficiaries_current"]] == ["p1", "p3", "p4"]


def test_window_edges_first_and_last_day_of_month() -> None:
    as_of = D(2024, 3, 31)  # 12 months: 2023-04-01..2024-03-31; 24 months: 2022-04-01..
    claims = [
        claim("N1", D(2023, 4, 1), "10"),  # first day of the 12-month window -> step 1
        claim("N2", D(2023, 3, 31), "30"),  # day before it -> step 3
        claim("N3", D(2024, 3, 31), "20"),  # the as-of date itself -> step 1
        claim("N4", D(2024, 4, 1), "99"),  # after the as-of date -> nothing
        claim("N5", D(2022, 3, 31), "99"),  # before the 24-month window -> nothing
        claim("N6", D(2022, 4, 1), "40"),  # first day of the 24-month window -> step 3
    ]
    providers = buckets(**{f"N{i}": "pcp" for i in range(1, 7)})
    out = run(claims, months("p1", 202201, 202412), providers, as_of=as_of)
    rows = out["provider_ranking"]
    assert summary(rows) == [
        ("N3", 1, Decimal("20.00"), 1, 1),
        ("N1", 1, Decimal("10.00"), 1, 2),
        ("N6", 3, Decimal("40.00"), 1, 3),
        ("N2", 3, Decimal("30.00"), 1, 4),
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
        claim("N1", D(2024, 2, 29), "10"),  # step 1
        claim("N2", D(2023, 2, 28), "20"),  # step 3
        claim("N3", D(2023, 3, 1), "5"),  # step 1
        claim("N4", D(2022, 2, 28), "99"),  # outside
        claim("N5", D(2024, 3, 1), "99"),  # after the as-of date
        claim("N6", D(2022, 3, 1), "1"),  # step 3
    ]
    eligibility = [
        *months("p1", 202201, 202412),
        *months("p2", 202302, 202302),  # eligibility window is 202303..202402: out
        *months("p3", 202402, 202402),  # in, no claims: fallback
    ]
    providers = buckets(**{f"N{i}": "pcp" for i in range(1, 7)})
    out = run(claims, eligibility, providers, as_of=as_of)
    rows = out["provider_ranking"]
    assert summary(rows, "current|20240229|p1") == [
        ("N1", 1, Decimal("10.00"), 1, 1),
        ("N3", 1, Decimal("5.00"), 1, 2),
        ("N2", 3, Decimal("20.00"), 1, 3),
        ("N6", 3, Decimal("1.00"), 1, 4),
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
        claim("N1", None, person="p2"),  # no service date at all
        claim("N1", D(2024, 5, 1), person=None),  # no person
    ]
    eligibility = [*months("p1", 202405, 202405), *months("p2", 202405, 202405)]
    out = run(claims, eligibility, buckets(N1="pcp"), years=[2024])
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
        claim("N1", D(2024, 1, 1), "10"),
        claim("N2", D(2023, 1, 1), "100"),
        claim("N3", D(2022, 12, 31), "7"),
        claim("N4", D(2024, 12, 31), "1"),
    ]
    eligibility = [*months("p1", 202212, 202412), *months("p2", 202312, 202312)]
    providers = buckets(**{f"N{i}": "pcp" for i in range(1, 5)})
    out = run(claims, eligibility, providers, as_of=None, years=[2024, 2023])
    rows = out["provider_ranking"]
    # 2024: 12 months 2024-01-01..2024-12-31, 24 months 2023-01-01..2024-12-31
    assert summary(rows, "yearly|2024|p1") == [
        ("N1", 1, Decimal("10.00"), 1, 1),
        ("N4", 1, Decimal("1.00"), 1, 2),
        ("N2", 3, Decimal("100.00"), 1, 3),
    ]
    # 2023: 12 months 2023-01-01..2023-12-31, 24 months 2022-01-01..2023-12-31
    assert summary(rows, "yearly|2023|p1") == [
        ("N2", 1, Decimal("100.00"), 1, 1),
        ("N3", 3, Decimal("7.00"), 1, 2),
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
        (2023, "p1", "N2"),
        (2023, "p2", "9999999999"),
        (2024, "p1", "N1"),
    ]


def test_visits_count_encounters_when_mapped_else_claims() -> None:
    day = D(2024, 5, 1)
    claims = [
        claim("N1", day, "1", claim_id="c1", encounter="e1"),
        claim("N1", day, "1", claim_id="c2", encounter="e1"),
        claim("N1", day, "1", claim_id="c3", encounter="e1"),
        claim("N1", day, "1", claim_id="c4"),  # two lines of one claim, no encounter
        claim("N1", day, "1", claim_id="c4"),
        claim("N1", day, "1", claim_id=None, encounter="e2"),
        claim("N1", day, "1", claim_id=None),  # no key at all: amount counts, no visit
    ]
    elig, prov = months("p1", 202405, 202405), buckets(N1="pcp")
    mapped = run(claims, elig, prov, mapped=True)["provider_ranking"]
    unmapped = run(claims, elig, prov, mapped=False)["provider_ranking"]
    assert summary(mapped) == [("N1", 1, Decimal("7.00"), 3, 1)]  # e1, c4, e2
    assert summary(unmapped) == [("N1", 1, Decimal("7.00"), 4, 1)]  # c1, c2, c3, c4


def test_service_date_is_start_else_end_date() -> None:
    claims = [
        claim("N1", None, "10", end=D(2024, 5, 1)),  # service date 2024-05-01: step 1
        claim("N2", D(2023, 5, 1), "10", end=D(2024, 5, 1)),  # 2023-05-01: step 3
        claim("N3", D(2023, 6, 1), "10", end=D(2024, 5, 1)),  # service month 202306: ineligible
    ]
    eligibility = [
        {"person_id": "p1", "year_month": 202305},
        {"person_id": "p1", "year_month": 202405},
    ]
    providers = buckets(N1="pcp", N2="pcp", N3="pcp")
    out = run(claims, eligibility, providers)
    assert summary(out["provider_ranking"]) == [
        ("N1", 1, Decimal("10.00"), 1, 1),
        ("N2", 3, Decimal("10.00"), 1, 2),
    ]


def _labels(out: dict[str, list[dict[str, Any]]]) -> dict[str, tuple[str, str | None, int]]:
    return {
        r["provider_id"]: (r["provider_bucket"], r["prov_specialty"], r["step"])
        for r in out["provider_ranking"]
    }


def test_classification_kinds_and_smallest_value_per_npi() -> None:
    day, elig = D(2024, 5, 1), months("p1", 202405, 202405)
    npis = ["A", "B", "C", "D", "E", "F", "G"]
    specialty = [
        *buckets(A="8", B=" 06 ", C="99", D="ZZ"),  # E has no provider row
        {"npi": "F", "classification": "50"},
        {"npi": "F", "classification": "08"},  # smallest of "50", "08" is "08"
        {"npi": "G", "classification": None},  # ignored
        {"npi": "G", "classification": "50"},
    ]
    out = run([claim(n, day) for n in npis], elig, specialty, kind=Classification.SPECIALTY)
    assert _labels(out) == {
        "A": ("pcp", "Family Practice", 1),
        "B": ("specialist", "Cardiology", 2),
        "C": ("unknown", "Unknown Physician Specialty", 4),
        "D": ("unknown", None, 4),
        "E": ("unknown", None, 4),
        "F": ("pcp", "Family Practice", 1),
        "G": ("npp", "Nurse Practitioner", 1),
    }

    taxonomy = buckets(H="207q00000x ", I="207RC0000X", J="bogus")
    out = run([claim(n, day) for n in "HIJ"], elig, taxonomy, kind=Classification.TAXONOMY)
    assert _labels(out) == {
        "H": ("pcp", "Family Practice", 1),
        "I": ("specialist", "Cardiology", 2),
        "J": ("unknown", None, 4),
    }

    bucket = [
        *buckets(K=" NPP ", L="other"),
        {"npi": "M", "classification": "pcp"},
        {"npi": "M", "classification": "NPP"},  # "npp" < "pcp"
        {"npi": "N", "classification": "Specialist"},
        {"npi": "N", "classification": "other"},  # "other" < "specialist": unknown
    ]
    out = run([claim(n, day) for n in "KLMN"], elig, bucket, kind=Classification.BUCKET)
    assert _labels(out) == {
        "K": ("npp", None, 1),
        "L": ("unknown", None, 4),
        "M": ("npp", None, 1),
        "N": ("unknown", None, 4),
    }


def test_hcpcs_compared_trimmed_upper_case() -> None:
    day = D(2024, 5, 1)
    claims = [
        claim("N1", day, "3", hcpcs=" g0439 "),  # primary care -> step 1
        claim("N2", day, "2", hcpcs=NON_PC),  # step 5
        claim("N3", day, "1", hcpcs=None),  # step 5
    ]
    out = run(claims, months("p1", 202405, 202405), buckets(N1="pcp", N2="pcp", N3="pcp"))
    assert [(r["provider_id"], r["step"]) for r in out["provider_ranking"]] == [
        ("N1", 1),
        ("N2", 5),
        ("N3", 5),
    ]


def test_defaults_and_window_arithmetic() -> None:
    claims = [
        claim("N1", D(2024, 1, 1), end=D(2024, 3, 15)),
        claim("N1", D(2024, 1, 1), end=D(2024, 2, 1), person=None),
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
        claim("N1", D(2024, 3, 1), "10"),
        claim("N1", D(2024, 5, 1), "10"),
        claim("N1", D(2024, 6, 1), "10", hcpcs=NON_PC),  # pass 5 only: not in step 1
    ]
    out = run(claims, months("p1", 202401, 202406), buckets(N1="pcp"))
    (row,) = out["provider_ranking"]
    assert (row["attribution_type"], row["unit_type"], row["top_npi"]) == ("claims", "npi", "N1")
    assert row["last_service_date"] == D(2024, 5, 1)
    assert out["fqhc_lines_excluded"] == 0
