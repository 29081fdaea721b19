"""``pa_member_spans``: the member months any scope key looks at, as runs of consecutive months.

Per person, each run is one row with its first and last ``YYYYMM`` (``first_month``,
``last_month``). Most persons have one run, so a month test is one equality join on the person
and a range check, with a build side of about one row per person instead of one per month.

A person whose months fill the range from the first to the last is one run (a group-by per
person); only the months of the others are numbered, since a month minus its rank among the
person's months is constant along a run (a window, which spills at 100M lines when it numbers
every member month). Whether a person's months fill the range is told one of two ways:

``pa_member_months``  the distinct (person, month) pairs, counted per person: the months fill
                      the range when there are as many as the range has months;
a month mask          where the engine profile asks for one and the run's months span at
                      most :data:`MASK_MONTHS`: per person, one bit per month of the run, or-ed
                      over the raw rows (no DISTINCT over every member month), full when it
                      equals the bits from the first month to the last. Only the gapped persons'
                      months are then made distinct.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import Grouping

from provider_attribution.engines.expressions import month_number

MASK_MONTHS = 62
"""The most months a run's month mask covers: bits 0..61 of a signed 64-bit integer, so the
full mask of the widest range, ``(1 << 62) - 1``, does not overflow."""


def mask_base(first: int, last: int) -> int | None:
    """The month number of bit 0 of a month mask for the run's months ``first``..``last``
    (``YYYYMM``), or None when they span more than :data:`MASK_MONTHS` months."""
    low, high = (key // 100 * 12 + key % 100 for key in (first, last))
    return low if high - low + 1 <= MASK_MONTHS else None


def _shift_left(value: sa.ColumnElement[Any], by: sa.ColumnElement[Any]) -> sa.ColumnElement[int]:
    """``(value) << (by)``: both sides parenthesised, so the shift does not rest on how an
    engine ranks ``<<`` against ``+`` and ``-``."""
    return Grouping(value).op("<<", return_type=sa.BigInteger)(Grouping(by))


def _one() -> sa.ColumnElement[int]:
    """1 as a 64-bit integer, the type every shift and the mask are computed in."""
    return sa.cast(sa.literal(1), sa.BigInteger)


def _bits(count: sa.ColumnElement[Any], shift: sa.ColumnElement[Any]) -> sa.ColumnElement[int]:
    """``count`` one-bits shifted left by ``shift``: ``((1 << count) - 1) << shift``."""
    return _shift_left(_shift_left(_one(), count) - _one(), shift)


def spans_of_months(months: sa.Select[Any], base: int | None) -> sa.CTE:
    """The runs of ``months`` (columns ``person_id``, ``month_key``: the member-month rows of
    the run's months, repeats allowed), by a month mask from month number ``base`` when given,
    else by the distinct months."""
    if base is None:
        source = months.distinct().cte("pa_member_months")
        tally = sa.func.count().label("months")
    else:
        source = months.cte("pa_member_months")
        bit = _shift_left(_one(), month_number(source.c.month_key) - base)
        tally = sa.func.bit_or(bit, type_=sa.BigInteger).label("month_mask")
    ranges = (
        sa.select(
            source.c.person_id,
            sa.func.min(source.c.month_key).label("first_month"),
            sa.func.max(source.c.month_key).label("last_month"),
            tally,
        )
        .group_by(source.c.person_id)
        .cte("pa_member_ranges")
    )
    first = month_number(ranges.c.first_month)
    filled = month_number(ranges.c.last_month) - first + 1
    gapped_months = sa.select(source.c.person_id, source.c.month_key).select_from(
        source.join(ranges, ranges.c.person_id == source.c.person_id)
    )
    if base is None:
        full = filled == ranges.c.months
    else:
        full = ranges.c.month_mask == _bits(filled, first - base)
        gapped_months = gapped_months.distinct()  # the raw rows may repeat a month
    whole = sa.select(ranges.c.person_id, ranges.c.first_month, ranges.c.last_month).where(full)
    gapped = gapped_months.where(sa.not_(full)).subquery("pa_gapped_months")
    rank = sa.func.row_number().over(partition_by=gapped.c.person_id, order_by=gapped.c.month_key)
    numbered = sa.select(
        gapped.c.person_id,
        gapped.c.month_key,
        (month_number(gapped.c.month_key) - rank).label("run_id"),
    ).subquery("pa_mm_runs")
    runs = sa.select(
        numbered.c.person_id,
        sa.func.min(numbered.c.month_key).label("first_month"),
        sa.func.max(numbered.c.month_key).label("last_month"),
    ).group_by(numbered.c.person_id, numbered.c.run_id)
    return sa.union_all(whole, runs).cte("pa_member_spans")
