"""Calendar arithmetic for scope keys, done in Python and bound as date parameters.

Window bounds are computed once here rather than with each engine's date functions, so every
engine compares claim dates against the same literal dates.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, TypeAlias

Scope = Literal["current", "yearly"]


def month_index(day: dt.date) -> int:
    """Months since year 0: consecutive months differ by one."""
    return day.year * 12 + day.month - 1


def month_key(day: dt.date) -> int:
    """``YYYYMM`` as an integer."""
    return day.year * 100 + day.month


def first_of_month_back(end: dt.date, months: int) -> dt.date:
    """First day of the month ``months - 1`` months before ``end``'s month."""
    index = month_index(end) - (months - 1)
    if index < 12:  # before January of year 1
        raise ValueError(
            f"a {months}-month window ending {end.isoformat()} would start before year 1; "
            "use a later as-of date or performance year"
        )
    return dt.date(index // 12, index % 12 + 1, 1)


def months_later(day: dt.date, months: int) -> dt.date:
    """``day`` moved ``months`` months later (its day clamped to that month's last day); the
    last representable date, 9999-12-31, when the result would lie beyond it."""
    index = month_index(day) + months
    if index > month_index(dt.date.max):
        return dt.date.max
    year, month = index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ScopeKey:
    """One evaluation: the current scope at an as-of date, or one performance year."""

    scope: Scope
    anchor_end: dt.date
    performance_year: int | None = None
    as_of_date: dt.date | None = None

    @classmethod
    def current(cls, as_of: dt.date) -> ScopeKey:
        return cls("current", as_of, as_of_date=as_of)

    @classmethod
    def yearly(cls, year: int, anchor_end: dt.date | None = None) -> ScopeKey:
        """Performance year ``year``; its windows end at ``anchor_end`` (default Dec 31)."""
        return cls("yearly", anchor_end or dt.date(year, 12, 31), performance_year=year)

    def window_start(self, months: int) -> dt.date:
        """Start of the ``months``-long window ending at the anchor (inclusive)."""
        return first_of_month_back(self.anchor_end, months)

    def eligibility_months(self, months: int) -> tuple[int, int]:
        """First and last ``YYYYMM`` of the eligibility window."""
        return month_key(self.window_start(months)), month_key(self.anchor_end)

    @property
    def rule_year(self) -> int:
        """The year that decides which passes apply: the performance year, or for the current
        scope the as-of date's year."""
        if self.performance_year is not None:
            return self.performance_year
        return self.anchor_end.year

    @property
    def key_text(self) -> str:
        """The middle part of ``attribution_key``: ``YYYYMMDD`` or ``YYYY``."""
        day = self.anchor_end
        if self.scope == "current":
            return f"{day.year:04d}{day.month:02d}{day.day:02d}"
        return f"{self.performance_year:04d}"


AsOf: TypeAlias = "dt.date | Iterable[dt.date] | None"
"""One as-of date, several (one current scope key each), or none."""


def as_of_dates(as_of: AsOf) -> tuple[dt.date, ...]:
    """The distinct as-of dates of ``as_of``, ascending (empty for None)."""
    if as_of is None:
        return ()
    if isinstance(as_of, dt.date):
        return (as_of,)
    dates = tuple(as_of)
    for day in dates:
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            raise TypeError(f"as-of dates are datetime.date values, not {day!r}")
    return tuple(sorted(set(dates)))


def scope_keys(
    as_of: AsOf,
    years: Iterable[int],
    year_anchor: Callable[[int], dt.date] | None = None,
) -> tuple[ScopeKey, ...]:
    """The scope keys of a run: one current key per as-of date, ascending, then the years
    ascending (anchors from ``year_anchor``)."""
    keys = [ScopeKey.current(day) for day in as_of_dates(as_of)]
    keys.extend(
        ScopeKey.yearly(y, year_anchor(y) if year_anchor else None) for y in sorted(set(years))
    )
    return tuple(keys)
