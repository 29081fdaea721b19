"""Hypothesis strategies for small, collision-rich attribution data sets.

Small pools of persons, NPIs, claim ids, amounts and dates make ties, shared visits, window edges
and eligibility gaps common, which is where implementations disagree.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import replace
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from harness import TODAY, Dataset
from provider_attribution.model.inputs import Classification
from provider_attribution.model.method import MSSP, Method

PERSONS = ["p1", "p2", "p3", "p4", "p5"]
# Luhn-valid NPIs in the order of their first nine digits, and two that fail the check.
NPIS = ["1000000012", "1000000020", "1000000038", "1000000046", "1000000053", "1000000061"]
BAD_NPIS = ["1000000010", "10000000"]
PRIMARY_CARE = ["99213", "99214", "G0439", " 99215 ", "g0438"]
# Primary care only from some edition on (99495: 2016, 99421: 2021, G0136: 2024, G2211: 2025):
# scope keys of different rule years read them differently.
YEAR_CODES = ["G2211", " g2211", "99421", "G0136", "99495"]
OTHER_CODES = ["80053", "93000", "71046"]
TAXONOMIES = ["207Q00000X", "207R00000X", "363L00000X", "207RC0000X", "207X00000X", "bogus", None]
SPECIALTIES = ["08", "8", "11", "50", "97", "06", "13", "20", "ZZ", None]
BUCKET_VALUES = ["pcp", "NPP", " specialist ", "other", None]

START = dt.date(2022, 1, 1)
END = dt.date(2024, 12, 31)
# Dates that sit on window edges for the as-of dates drawn below.
EDGE_DATES = [
    dt.date(2022, 1, 1),
    dt.date(2022, 12, 31),
    dt.date(2023, 1, 1),
    dt.date(2023, 2, 28),
    dt.date(2023, 3, 1),
    dt.date(2023, 12, 31),
    dt.date(2024, 1, 1),
    dt.date(2024, 2, 29),
    dt.date(2024, 3, 1),
    dt.date(2024, 3, 31),
    dt.date(2024, 12, 31),
]
AS_OF_DATES = [
    dt.date(2024, 2, 29),
    dt.date(2024, 3, 31),
    dt.date(2023, 12, 31),
    dt.date(2024, 6, 15),
    dt.date(2025, 3, 31),  # rule year 2025: MSSP step 3 applies
]

dates = st.one_of(st.sampled_from(EDGE_DATES), st.dates(min_value=START, max_value=END))
amounts = st.one_of(
    st.none(),
    st.sampled_from([Decimal("0.00"), Decimal("50.00"), Decimal("100.00"), Decimal("-50.00")]),
    st.decimals(min_value=-500, max_value=2000, places=2, allow_nan=False, allow_infinity=False),
)


ENTITY_TYPES = [None, "1", "1", "2", " Organization ", "individual", " Individual ", "other"]
SPECIALTY_TEXTS = [None, "Family Practice", "Cardiology", "Nurse Practitioner"]
# Run dates: mostly after every drawn date; sometimes inside the data (future lines).
RUN_DATES = [TODAY, TODAY, TODAY, dt.date(2024, 6, 30), dt.date(2024, 3, 15)]

TINS = ["111111111", "222222222"]
ACOS = ["A1", "A2"]
REVENUE_CODES = ["0521", " 0522", "0524", "0450"]
# Codes of the MSSP setting exclusions, places of service and bill types around them.
SETTING_CODES = ["99304", "99310", " 99318", "99497", "99498"]
PLACES = [None, None, "11", "31", " 31", "32", "21"]
BILL_TYPES = [None, None, None, None, "211", "0221", "231", "281", "111", " 0112", "131", "771"]
FLAG_VALUES = ["Y", "1", "y", " true ", "T", "0", "N", "false", None]


@st.composite
def claim_line(draw: st.DrawFn, rich: bool = False) -> dict[str, Any]:
    recent = st.dates(min_value=dt.date(2023, 1, 1), max_value=dt.date(2024, 6, 30))
    start = draw(
        st.one_of(recent, recent, dates, st.none()) if rich else st.one_of(dates, st.none())
    )
    end = draw(st.one_of(st.none(), st.just(start), dates)) if start else draw(dates)
    fqhc = rich and draw(st.integers(0, 5)) == 0
    extra = {
        "tin": draw(st.one_of(st.none(), st.sampled_from(TINS))) if rich else None,
        "revenue_center_code": draw(st.sampled_from(REVENUE_CODES)) if fqhc else None,
        "attending_npi": draw(st.one_of(st.none(), st.sampled_from(NPIS))) if fqhc else None,
    }
    return {
        **extra,
        "person_id": draw(
            st.sampled_from(PERSONS[:3]) if rich else st.one_of(st.sampled_from(PERSONS), st.none())
        ),
        "claim_id": draw(st.sampled_from(["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"])),
        "claim_line_number": draw(st.integers(1, 3)),
        "encounter_id": draw(st.one_of(st.none(), st.sampled_from(["e1", "e2", "e3"]))),
        "rendering_npi": draw(
            st.one_of(
                st.sampled_from(NPIS), st.sampled_from(NPIS), st.sampled_from([*BAD_NPIS, None])
            )
        ),
        "hcpcs_code": draw(
            st.sampled_from(
                PRIMARY_CARE * (3 if rich else 1)
                + YEAR_CODES
                + OTHER_CODES
                + [None]
                + (SETTING_CODES * 2 if rich else [])
            )
        ),
        "place_of_service": draw(st.sampled_from(PLACES)),
        "bill_type": draw(st.sampled_from(BILL_TYPES)),
        "claim_start_date": start,
        "claim_end_date": end,
        "allowed_amount": draw(amounts),
        "paid_amount": draw(amounts),
    }


def _copies_and_reversals(draw: st.DrawFn, claims: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Exact copies of some lines, and reversals (amounts negated) of others."""
    if not claims:
        return []
    extra = []
    for index in draw(st.lists(st.integers(0, len(claims) - 1), max_size=3)):
        extra.append(dict(claims[index]))
    for index in draw(st.lists(st.integers(0, len(claims) - 1), max_size=3)):
        line = claims[index]
        negate = {
            k: None if line[k] is None else -line[k] for k in ("allowed_amount", "paid_amount")
        }
        extra.append({**line, **negate})
    return extra


def _months() -> list[int]:
    return [y * 100 + m for y in (2022, 2023, 2024) for m in range(1, 13)]


def _optional_dates(draw: st.DrawFn) -> tuple[dt.date | None, dt.date | None]:
    start = draw(st.one_of(st.none(), st.none(), dates))
    end = draw(st.one_of(st.none(), st.none(), dates))
    return start, end


def _dense_months(draw: st.DrawFn, person: str) -> list[dict[str, Any]]:
    """A contiguous enrolment with at most one gap month: claims usually count."""
    months = _months()
    first = draw(st.integers(0, 18))
    last = draw(st.integers(24, len(months) - 1))
    gap = draw(st.one_of(st.none(), st.integers(first, last)))
    return [
        {"person_id": person, "year_month": m}
        for i, m in enumerate(months)
        if first <= i <= last and i != gap
    ]


ROSTER_YEARS = [2022, 2023, 2024, 2025]


@st.composite
def roster_rows(draw: st.DrawFn, by_year: bool = False) -> list[dict[str, Any]]:
    """Roster rows with optional dates; ``by_year``: each with a performance year too (the
    dates are then not read)."""
    rows = []
    for npi in draw(st.lists(st.sampled_from(NPIS), min_size=1, max_size=8 if by_year else 6)):
        start, end = _optional_dates(draw)
        rows.append(
            {
                "npi": npi,
                "tin": draw(st.one_of(st.none(), st.sampled_from(TINS))),
                "aco_id": draw(st.sampled_from(ACOS)),
                "start_date": start,
                "end_date": end,
                "performance_year": draw(st.sampled_from(ROSTER_YEARS)) if by_year else None,
            }
        )
    return rows


@st.composite
def selection_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows = []
    for person in draw(st.lists(st.sampled_from(PERSONS), max_size=5)):
        effective, end = _optional_dates(draw)
        rows.append(
            {
                "person_id": person,
                "npi": draw(st.sampled_from(NPIS)),
                "effective_date": effective or START,
                "end_date": end,
            }
        )
    return rows


def _enrollment(draw: st.DrawFn, eligibility: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """Enrollment rows for the member months. Per person: clean Part A and B months (true in
    varied spellings), or any flag values, or no rows; rarely managed care, outside the US,
    another initiative; sometimes a death date."""
    if draw(st.booleans()):
        return None
    clean = st.sampled_from(["Y", "1", " true ", "t", "YES"])
    rarely = st.sampled_from([None] * 12 + ["0", "N", "Y", "1"])
    profile = {person: draw(st.integers(0, 4)) for person in PERSONS}
    death = {person: draw(st.one_of(st.none(), st.none(), dates)) for person in PERSONS}
    rows = []
    for member in eligibility:
        person = member["person_id"]
        if profile[person] == 0 or draw(st.integers(0, 19)) == 0:
            continue  # a person, or a member month, without enrollment rows
        parts = st.sampled_from(FLAG_VALUES) if profile[person] == 1 else clean
        rows.append(
            {
                "person_id": person,
                "year_month": member["year_month"],
                "part_a": draw(parts),
                "part_b": draw(parts),
                "managed_care": draw(rarely),
                "outside_us": draw(rarely),
                "other_initiative": draw(rarely),
                "death_date": death[person] if draw(st.booleans()) else None,
            }
        )
    return rows


# MSSP step 3 shapes: an ACO NPP and an ACO PCP (classification value per kind), NPP lines in
# recent months and PCP lines reaching back two years.
SHAPED_NPP, SHAPED_PCP = NPIS[4], NPIS[5]
SHAPED_VALUES = {
    Classification.TAXONOMY: ("363L00000X", "207Q00000X"),
    Classification.SPECIALTY: ("50", "08"),
    Classification.BUCKET: ("NPP", "pcp"),
}


@st.composite
def step_3_lines(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Primary-care lines of the shaped NPP (recent) and PCP (older); the rich data sets give
    other claims only to the first three persons, so p4 and p5 have these alone."""
    lines = []
    for npi, first, last in (
        (SHAPED_NPP, dt.date(2023, 10, 1), END),
        (SHAPED_PCP, dt.date(2022, 10, 1), dt.date(2024, 6, 30)),
    ):
        others = draw(st.lists(st.sampled_from(PERSONS[:3]), max_size=2))
        for person in [*PERSONS[3:], *others]:
            day = draw(st.dates(min_value=first, max_value=last))
            lines.append(
                {
                    "tin": None,
                    "revenue_center_code": None,
                    "attending_npi": None,
                    "person_id": person,
                    "claim_id": draw(st.sampled_from(["s1", "s2", "s3", "s4"])),
                    "claim_line_number": 1,
                    "encounter_id": None,
                    "rendering_npi": npi,
                    "hcpcs_code": "99213",
                    "claim_start_date": day,
                    "claim_end_date": day,
                    "allowed_amount": draw(st.sampled_from([Decimal("40.00"), Decimal("75.50")])),
                    "paid_amount": None,
                }
            )
    return lines


def _shape_for_step_3(
    draw: st.DrawFn,
    kind: Classification,
    providers: list[dict[str, Any]],
    claims: list[dict[str, Any]],
    extra: dict[str, Any],
) -> None:
    """Make the shaped NPIs an ACO NPP and PCP and add their lines (in place)."""
    values = dict(zip((SHAPED_NPP, SHAPED_PCP), SHAPED_VALUES[kind], strict=True))
    for row in providers:
        if row["npi"] in values:
            row["classification"] = values[row["npi"]]
            row["entity_type"] = None
    roster = [r for r in extra["roster"] or [] if r["npi"] not in values]
    years = ROSTER_YEARS if extra.get("roster_by_year") else [None]
    extra["roster"] = roster + [
        {
            "npi": npi,
            "tin": None,
            "aco_id": "A1",
            "start_date": None,
            "end_date": None,
            "performance_year": year,
        }
        for npi in values
        for year in years
    ]
    claims += draw(step_3_lines())


@st.composite
def datasets(draw: st.DrawFn, rich: bool = False, step_3: bool = False) -> Dataset:
    """Small data sets; ``rich``: rosters, TINs, FQHC lines and selections, and half the time
    the MSSP step 3 shapes (always with ``step_3``)."""
    kind = draw(st.sampled_from(list(Classification)))
    pool = {
        Classification.TAXONOMY: TAXONOMIES,
        Classification.SPECIALTY: SPECIALTIES,
        Classification.BUCKET: BUCKET_VALUES,
    }[kind]
    listed = NPIS if rich else draw(st.lists(st.sampled_from(NPIS), max_size=8))
    providers = [
        {
            "npi": npi,
            "classification": draw(st.sampled_from(pool)),
            "entity_type": draw(st.sampled_from(ENTITY_TYPES)),
            "specialty_description": draw(st.sampled_from(SPECIALTY_TEXTS)),
        }
        for npi in listed
    ]
    eligibility = []
    for person in PERSONS:
        if rich:
            eligibility += _dense_months(draw, person)
            continue
        months = draw(st.sets(st.sampled_from(_months()), max_size=30))
        eligibility += [{"person_id": person, "year_month": m} for m in sorted(months)]
    claims = draw(
        st.lists(claim_line(rich), min_size=10 if rich else 0, max_size=40 if rich else 30)
    )
    claims += _copies_and_reversals(draw, claims)
    extra: dict[str, Any] = {}
    if rich:
        maybe = st.booleans()
        by_year = draw(maybe)
        extra = {
            "claims_have_tin": draw(maybe),
            "roster_by_year": by_year,
            "roster": draw(roster_rows(by_year)) if draw(st.integers(0, 4)) else None,
            "attested": (
                [{"npi": n} for n in draw(st.sets(st.sampled_from(NPIS)))] if draw(maybe) else None
            ),
            "self_selections": draw(selection_rows()) if draw(maybe) else None,
            "geographic": draw(selection_rows()) if draw(maybe) else None,
        }
        if step_3 or draw(maybe):
            _shape_for_step_3(draw, kind, providers, claims, extra)
    return Dataset(
        claims=claims,
        eligibility=eligibility,
        providers=providers,
        classification_kind=kind,
        encounter_mapped=draw(st.booleans()),
        entity_type_mapped=draw(st.booleans()),
        specialty_mapped=draw(st.booleans()),
        today=draw(st.sampled_from(RUN_DATES)),
        setting_mapped=draw(st.integers(0, 4)) > 0,
        enrollment=_enrollment(draw, eligibility),
        **extra,
    )


scopes = st.tuples(
    st.one_of(st.none(), st.sampled_from(AS_OF_DATES)),
    # 2025: MSSP step 3 applies; prospective MSSP and REACH windows end in 2024
    st.lists(st.sampled_from([2022, 2023, 2024, 2025]), max_size=2, unique=True),
).filter(lambda s: s[0] is not None or s[1])

# Several as-of dates (one current scope key each) besides years.
several_as_of_scopes = st.tuples(
    st.lists(st.sampled_from(AS_OF_DATES), min_size=2, max_size=3, unique=True),
    st.lists(st.sampled_from([2023, 2024]), max_size=1, unique=True),
)

# Scope keys where MSSP step 3 applies (rule year 2025) and the data reach its windows.
step_3_scopes = st.tuples(
    st.one_of(st.none(), st.just(dt.date(2025, 3, 31))),
    st.lists(st.sampled_from([2024, 2025]), max_size=2, unique=True),
).filter(lambda s: s[0] is not None or s[1])


def odd_method() -> Method:
    """MSSP with every scope-key option off its defaults: an 18-month eligibility window
    (wider than any pass window but step 3's), yearly anchors three months early with one
    explicit anchor, the yearly fallback lookback on the eligibility window."""
    return replace(
        MSSP,
        name="odd_scopes",
        eligibility_months=30,
        year_anchor_offset_months=-3,
        year_anchors={2024: dt.date(2024, 8, 15)},
        yearly_fallback_eligibility_window=True,
    )


# Generated data sets per test are CI's counts times PROVIDER_ATTRIBUTION_EXAMPLE_SCALE (default
# 1): a longer run before a release sets 4, say, for four times as many.
EXAMPLE_SCALE = float(os.environ.get("PROVIDER_ATTRIBUTION_EXAMPLE_SCALE", "1"))


def generated(max_examples: int) -> settings:
    """Settings of a test over ``max_examples`` generated data sets (times
    :data:`EXAMPLE_SCALE`), each a full run: the same examples every time, no deadline, and no
    health check for slow data or function-scoped fixtures."""
    return settings(
        max_examples=max(1, round(max_examples * EXAMPLE_SCALE)),
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
