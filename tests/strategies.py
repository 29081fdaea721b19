"""Hypothesis strategies for small, collision-rich attribution data sets.

Small pools of persons, NPIs, claim ids, amounts and dates make ties, shared visits, window edges
and eligibility gaps common, which is where implementations disagree.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from harness import Dataset
from provider_attribution.inputs import Classification

PERSONS = ["p1", "p2", "p3", "p4", "p5"]
NPIS = ["1000000001", "1000000002", "1000000003", "1000000004", "1000000005", "1000000006"]
PRIMARY_CARE = ["99213", "99214", "G0439", " 99215 ", "g0438"]
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
]

dates = st.one_of(st.sampled_from(EDGE_DATES), st.dates(min_value=START, max_value=END))
amounts = st.one_of(
    st.none(),
    st.sampled_from([Decimal("0.00"), Decimal("50.00"), Decimal("100.00"), Decimal("-50.00")]),
    st.decimals(min_value=-500, max_value=2000, places=2, allow_nan=False, allow_infinity=False),
)


@st.composite
def claim_line(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(st.one_of(dates, st.none()))
    end = draw(st.one_of(st.none(), st.just(start), dates)) if start else draw(dates)
    return {
        "person_id": draw(st.one_of(st.sampled_from(PERSONS), st.just(None))),
        "claim_id": draw(st.sampled_from(["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"])),
        "claim_line_number": draw(st.integers(1, 3)),
        "encounter_id": draw(st.one_of(st.none(), st.sampled_from(["e1", "e2", "e3"]))),
        "rendering_npi": draw(st.one_of(st.sampled_from(NPIS), st.just(None))),
        "hcpcs_code": draw(st.sampled_from(PRIMARY_CARE + OTHER_CODES + [None])),
        "claim_start_date": start,
        "claim_end_date": end,
        "allowed_amount": draw(amounts),
        "paid_amount": draw(amounts),
    }


def _months() -> list[int]:
    return [y * 100 + m for y in (2022, 2023, 2024) for m in range(1, 13)]


@st.composite
def datasets(draw: st.DrawFn) -> Dataset:
    kind = draw(st.sampled_from(list(Classification)))
    pool = {
        Classification.TAXONOMY: TAXONOMIES,
        Classification.SPECIALTY: SPECIALTIES,
        Classification.BUCKET: BUCKET_VALUES,
    }[kind]
    providers = [
        {"npi": npi, "classification": draw(st.sampled_from(pool))}
        for npi in draw(st.lists(st.sampled_from(NPIS), max_size=8))
    ]
    eligibility = []
    for person in PERSONS:
        months = draw(st.sets(st.sampled_from(_months()), max_size=30))
        eligibility += [{"person_id": person, "year_month": m} for m in sorted(months)]
    claims = draw(st.lists(claim_line(), max_size=30))
    return Dataset(
        claims=claims,
        eligibility=eligibility,
        providers=providers,
        classification_kind=kind,
        encounter_mapped=draw(st.booleans()),
    )


scopes = st.tuples(
    st.one_of(st.none(), st.sampled_from(AS_OF_DATES)),
    st.lists(st.sampled_from([2022, 2023, 2024]), max_size=2, unique=True),
).filter(lambda s: s[0] is not None or s[1])
