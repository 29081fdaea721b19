"""Hypothesis strategies for hostile but schema-valid attribution inputs.

Everything a warehouse may legitimately hold and a careless implementation trips on: nulls in
every nullable column, empty and whitespace-only strings, ids full of quotes, semicolons, comment
markers, backslashes, percent signs and non-ASCII text, extreme dates (0001-01-01, 9999-12-31,
leap days, month ends), amounts up to 10^15 - 0.01 either side of zero, one claim id / person /
NPI on every line, duplicate member months, and providers listed several times with conflicting
classifications.

Bounds that keep the data inside what the method and the engines define (each is a known
limit with its own test in ``dialect_tests/test_hostile_input.py``, not a blind spot):

- at most ``MAX_LINES`` claim lines, so ten lines of ``MAX_AMOUNT`` for one person and provider
  still fit the outputs' DECIMAL(18,2) (and the internal BIGINT cents);
- as-of dates from ``MIN_AS_OF`` (the earliest anchor whose 24-month window starts in year 1:
  earlier ones crash ``windows.first_of_month_back``) and performance years in ``1000..9998``
  (year 9999's anchor computation overflows into year 10000; years below 1000 get unpadded
  attribution keys); claim and eligibility dates still span 0001-01-01..9999-12-31;
- whitespace in codes is ASCII spaces (tabs and no-break spaces are trimmed differently by the
  oracle and by each engine's TRIM).

Data sets gather around an "era" (an anchor date) and favour the productive case in each draw
(hypothesis starts from the simplest choices), so that most examples attribute someone.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from harness import Dataset
from provider_attribution.model.inputs import Classification

MIN_DATE = dt.date(1, 1, 1)
MAX_DATE = dt.date(9999, 12, 31)
MIN_AS_OF = dt.date(2, 12, 1)
MIN_YEAR, MAX_YEAR = 1000, 9998
MAX_AMOUNT = Decimal("999999999999999.99")  # 10**15 - 0.01
MAX_LINES = 10

# Ids: SQL metacharacters, format and bind-parameter markers, non-ASCII, blanks.
HOSTILE_IDS = (
    "",
    " ",
    "'",
    '"',
    "''",
    "'; DROP TABLE x; --",
    '"; DROP TABLE x; --',
    "--",
    "/*",
    ";",
    "\\",
    "a\\",
    "\\'",
    "%",
    "%(x)s",
    "%s",
    ":x",
    "?",
    "$1",
    "`",
    "NULL",
    "ü",
    "名前",
    "🩺",
    "x y",
    "x ",
    " x",
    "X",
)
PLAIN_IDS = ("p1", "p2", "1000000001", "1000000002")
HCPCS = (
    "99213",
    " 99214 ",
    "g0438",
    "G0439 ",
    "99215",
    "80053",
    "",
    "   ",
    "99213;",
    "'; --",
    None,
)
TAXONOMIES = ("207Q00000X", " 207r00000x ", "363L00000X", "207RC0000X", "207X00000X", "", "  ")
SPECIALTIES = ("08", "8", " 8 ", "11", "50", "06", "0", "ZZ", "", "  ", "%")
BUCKETS = ("pcp", " PCP ", "Npp", "specialist", " SPECIALIST", "other", "", " ", "pcp'")
REVENUE_CODES = ("0521", " 0522 ", "0524", "0450", "", " ")

# Anchors of the date "eras" the data gathers around: the year-1 edge, leap days of several
# centuries, month ends, and the year-9999 edge.
ERAS = (
    dt.date(2, 12, 31),
    dt.date(3, 1, 31),
    dt.date(4, 2, 29),
    dt.date(1900, 2, 28),
    dt.date(2000, 2, 29),
    dt.date(2023, 12, 31),
    dt.date(2024, 2, 29),
    dt.date(2024, 4, 30),
    dt.date(9996, 2, 29),
    dt.date(9998, 12, 31),
    dt.date(9999, 2, 28),
    dt.date(9999, 12, 31),
)


@dataclass(frozen=True)
class HostileCase:
    """A data set and the scope to attribute it for (at least one scope key)."""

    data: Dataset
    as_of: dt.date | None
    years: list[int]


def _month_shift(day: dt.date, months: int) -> tuple[int, int] | None:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if not MIN_DATE.year <= year <= MAX_DATE.year:
        return None
    return year, month + 1


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


@st.composite
def near_date(draw: st.DrawFn, era: dt.date, before: int = 30, after: int = 3) -> dt.date:
    """A date within a few years before ``era`` (window edges: 1st, 28th/29th, month end)."""
    shifted = _month_shift(era, draw(st.integers(-before, after)))
    if shifted is None:
        return draw(st.sampled_from((MIN_DATE, MAX_DATE)))
    return draw(_day_in(*shifted))


def _dates(era: dt.date) -> st.SearchStrategy[dt.date]:
    return st.one_of(near_date(era), near_date(era), st.sampled_from((MIN_DATE, MAX_DATE, *ERAS)))


def _optional(strategy: st.SearchStrategy[Any], weight: int = 3) -> st.SearchStrategy[Any]:
    """``strategy`` or (one time in ``weight + 1``) None; None last, so that the simple
    examples hypothesis starts with are not all null."""
    return st.integers(0, weight).flatmap(lambda i: st.none() if i == weight else strategy)


def _mostly() -> st.SearchStrategy[bool]:
    """True three times in four (True is the simplest value)."""
    return st.integers(0, 3).map(lambda i: i != 3)


amounts = st.one_of(
    st.none(),
    st.sampled_from([Decimal("0.00"), Decimal("0.01"), Decimal("-0.01"), MAX_AMOUNT, -MAX_AMOUNT]),
    st.decimals(
        min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT, places=2, allow_nan=False, allow_infinity=False
    ),
    st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False),
)


def _pool(draw: st.DrawFn, max_size: int) -> list[str]:
    """A few distinct ids; a pool of one puts the same id on every row."""
    return draw(
        st.lists(
            st.sampled_from(HOSTILE_IDS + PLAIN_IDS), min_size=1, max_size=max_size, unique=True
        )
    )


def _year_month(draw: st.DrawFn, year: int, month: int) -> int | str:
    key = year * 100 + month
    spellings: tuple[int | str, ...] = (key, f"{key:06d}")
    return draw(st.sampled_from(spellings))


@st.composite
def _day_in(draw: st.DrawFn, year: int, month: int) -> dt.date:
    last = _last_day(year, month)
    day = draw(
        st.one_of(st.sampled_from((1, last, min(28, last), min(29, last))), st.integers(1, last))
    )
    return dt.date(year, month, day)


@st.composite
def hostile_cases(draw: st.DrawFn) -> HostileCase:
    era = draw(st.sampled_from(ERAS))
    persons = _pool(draw, 4)
    npis = _pool(draw, 4)
    claim_ids = _pool(draw, 3)
    encounters = _pool(draw, 2)
    tins = _pool(draw, 2)
    acos = _pool(draw, 2)
    dates = _dates(era)

    # Member months: a run of months near the era's month per person (and the null person),
    # some of them listed twice, plus a stray month or two.
    enrolled: dict[str | None, list[tuple[int, int]]] = {}
    eligibility = []
    for person in [*persons, None]:
        # The run ends here (0: the era's month), usually close to the as-of date.
        last = draw(st.one_of(st.integers(-2, 1), st.integers(-26, 1)))
        offsets = list(range(last - draw(st.integers(1, 14)) + 1, last + 1))
        offsets += draw(st.lists(st.integers(-40, 3), max_size=2))
        months = [m for m in (_month_shift(era, k) for k in offsets) if m is not None]
        enrolled[person] = months
        for year, month in months:
            row = {"person_id": person, "year_month": _year_month(draw, year, month)}
            eligibility += [row] * draw(st.sampled_from((1, 1, 2)))  # duplicate member months
    if draw(st.booleans()):
        eligibility.append({"person_id": draw(st.sampled_from(persons)), "year_month": None})

    claims = []
    for _ in range(draw(st.integers(0, MAX_LINES))):
        person = draw(_optional(st.sampled_from(persons)))
        months = enrolled.get(person) or []
        if months and draw(st.integers(0, 3)) != 3:
            service = draw(_day_in(*draw(st.sampled_from(months))))  # usually an eligible line
        else:
            service = draw(dates)
        start = draw(_optional(st.just(service)))
        fqhc = draw(st.integers(0, 3)) == 3
        claims.append(
            {
                "person_id": person,
                "claim_id": draw(_optional(st.sampled_from(claim_ids))),
                "claim_line_number": draw(_optional(st.integers(-(2**31), 2**31 - 1))),
                "encounter_id": draw(_optional(st.sampled_from(encounters), 1)),
                "rendering_npi": draw(_optional(st.sampled_from(npis))),
                "hcpcs_code": draw(st.sampled_from(HCPCS)),
                "claim_start_date": start,
                "claim_end_date": service
                if start is None
                else draw(_optional(st.one_of(st.just(start), dates), 1)),
                "allowed_amount": draw(amounts),
                "paid_amount": draw(amounts),
                "tin": draw(_optional(st.sampled_from(tins), 1)),
                "revenue_center_code": draw(_optional(st.sampled_from(REVENUE_CODES)))
                if fqhc
                else None,
                "attending_npi": draw(_optional(st.sampled_from(npis))) if fqhc else None,
            }
        )

    kind = draw(st.sampled_from(list(Classification)))
    pool = {
        Classification.TAXONOMY: TAXONOMIES,
        Classification.SPECIALTY: SPECIALTIES,
        Classification.BUCKET: BUCKETS,
    }[kind]
    providers = [
        {"npi": npi, "classification": draw(_optional(st.sampled_from(pool)))}
        for npi in [*npis, None]
        for _ in range(draw(st.sampled_from((1, 1, 2, 3, 0))))  # once, conflicting, missing
    ]

    def roster_row() -> dict[str, Any]:
        return {
            "npi": draw(_optional(st.sampled_from(npis))),
            "tin": draw(_optional(st.sampled_from(tins), 1)),
            "aco_id": draw(_optional(st.sampled_from(acos))),
            "start_date": draw(st.one_of(st.none(), dates)),  # open ends first
            "end_date": draw(st.one_of(st.none(), dates)),
        }

    def selection_row() -> dict[str, Any]:
        return {
            "person_id": draw(_optional(st.sampled_from(persons))),
            "npi": draw(_optional(st.sampled_from(npis))),
            "effective_date": draw(_optional(dates)),
            "end_date": draw(st.one_of(st.none(), dates)),
        }

    # Roster: open-ended memberships of some NPIs (so ACO units and the MSSP gate occur), then
    # rows with nulls, TINs and dates that may or may not match.
    members = draw(st.lists(st.sampled_from(npis), min_size=1, unique=True))
    roster = [
        {"npi": n, "tin": None, "aco_id": draw(st.sampled_from(acos)), "start_date": None,
         "end_date": None}
        for n in members
    ]  # fmt: skip
    roster += [roster_row() for _ in range(draw(st.integers(0, 3)))]
    maybe = st.booleans()
    data = Dataset(
        claims=claims,
        eligibility=eligibility,
        providers=providers,
        classification_kind=kind,
        encounter_mapped=draw(maybe),
        claims_have_tin=draw(maybe),
        roster=roster if draw(_mostly()) else None,
        attested=(
            [
                {"npi": draw(_optional(st.sampled_from(npis)))}
                for _ in range(draw(st.integers(0, 2)))
            ]
            if draw(_mostly())
            else None
        ),
        self_selections=(
            [selection_row() for _ in range(draw(st.integers(0, 3)))] if draw(_mostly()) else None
        ),
    )

    as_of = draw(_optional(st.one_of(st.just(era), near_date(era, before=3, after=1)), 2))
    if as_of is not None and as_of < MIN_AS_OF:
        as_of = MIN_AS_OF
    candidates = [y for y in (era.year - 1, era.year) if MIN_YEAR <= y <= MAX_YEAR]
    years = draw(st.lists(st.sampled_from(candidates), unique=True)) if candidates else []
    if as_of is None and not years:
        as_of = max(era, MIN_AS_OF)
    return HostileCase(data, as_of, sorted(years))
