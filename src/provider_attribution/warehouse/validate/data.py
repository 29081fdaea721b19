"""The ``values``, ``rows``, ``as_of`` and ``years`` checks: a few cheap aggregates of the data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from provider_attribution.engines import tables as input_tables
from provider_attribution.model.inputs import ClaimsTable, Inputs
from provider_attribution.model.method import Method
from provider_attribution.model.windows import first_of_month_back, month_key, months_later
from provider_attribution.warehouse.validate.mapping import _Input
from provider_attribution.warehouse.validate.results import Check
from provider_attribution.warehouse.validate.schema import _first_line

#: How far past the latest claim an as-of date may go: the widest preset window.
MAX_MONTHS_AFTER_DATA = 24


# -- data ----------------------------------------------------------------------------------------


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _month_text(key: int) -> str:
    return f"{key // 100:04d}-{key % 100:02d}"


class _StopError(Exception):
    """A data query failed: later queries would fail too on some engines (aborted
    transaction), so the data checks end there."""


def _run(
    conn: sa.Connection,
    query: sa.Select[Any],
    what: str,
    spec: _Input,
    checks: list[Check],
    fix: str = "check the column types and values of this input",
) -> list[Any]:
    try:
        return list(conn.execute(query).all())
    except sa.exc.DBAPIError as error:
        checks.append(
            Check(
                "values",
                spec.label,
                None,
                False,
                "error" if spec.used else "warning",
                f"{spec.label}: {what} failed ({_first_line(error)}): {fix}",
            )
        )
        raise _StopError from error


def _claims_data(
    conn: sa.Connection,
    inputs: Inputs,
    spec: _Input,
    usable: set[str],
    dates: Sequence[dt.date],
    checks: list[Check],
) -> None:
    c = inputs.claims
    src = input_tables.claims(inputs)
    dated = {"claim_start_date", "claim_end_date"} <= usable
    columns: list[sa.ColumnElement[Any]] = [sa.func.count()]
    if dated:
        start, end = src.c[c.claim_start_date], src.c[c.claim_end_date]
        columns += [
            sa.func.min(sa.func.coalesce(start, end)),
            sa.func.max(sa.func.coalesce(end, start)),
        ]
    (row,) = _run(conn, sa.select(*columns).select_from(src), "counting its rows", spec, checks)
    count = int(row[0] or 0)
    if not count:
        checks.append(
            Check(
                "rows",
                spec.label,
                None,
                False,
                "error",
                f"{spec.label} is empty: attribution needs claim lines; load them, or map "
                "Inputs.claims to the table that holds them",
            )
        )
        return
    checks.append(
        Check("rows", spec.label, None, True, "error", f"{spec.label} has {count:,} claim lines")
    )
    if not dated:
        return
    first, last = _as_date(row[1]), _as_date(row[2])
    if first is None or last is None:
        checks.append(
            Check(
                "rows",
                spec.label,
                c.claim_start_date,
                False,
                "warning",
                f"{spec.label}: no claim line has a {c.claim_start_date} or {c.claim_end_date}: "
                "no line can count, every member gets the fallback row",
            )
        )
        return
    latest_ok = months_later(last, MAX_MONTHS_AFTER_DATA)
    where = f"{spec.label}.{c.claim_start_date}/{c.claim_end_date}"
    for as_of in dates:
        checks.append(_as_of_check(as_of, first, last, latest_ok, where, spec.label, c))


def _as_of_check(
    as_of: dt.date,
    first: dt.date,
    last: dt.date,
    latest_ok: dt.date,
    where: str,
    label: str,
    c: ClaimsTable,
) -> Check:
    """Whether ``as_of`` lies where claims can count: from the first service date to
    :data:`MAX_MONTHS_AFTER_DATA` months after the last end date."""
    if as_of < first:
        return Check(
            "as_of",
            label,
            c.claim_start_date,
            False,
            "error",
            f"as-of date {as_of} is before the earliest claim service date {first} in "
            f"{where}: no claim could count; give an as-of date from {first} to {latest_ok} "
            "(or none: the latest claim end date)",
        )
    if as_of > latest_ok:
        return Check(
            "as_of",
            label,
            c.claim_end_date,
            False,
            "error",
            f"as-of date {as_of} is more than {MAX_MONTHS_AFTER_DATA} months after the "
            f"latest claim end date {last} in {where}: every window would be empty; give an "
            f"as-of date from {first} to {latest_ok} (or none: the latest claim end date)",
        )
    return Check(
        "as_of",
        label,
        None,
        True,
        "error",
        f"as-of date {as_of} is within the claims ({first} .. {last})",
    )


def _eligibility_data(
    conn: sa.Connection,
    inputs: Inputs,
    method: Method,
    spec: _Input,
    usable: set[str],
    dates: Sequence[dt.date],
    years: Sequence[int] | None,
    checks: list[Check],
) -> None:
    e = inputs.eligibility
    src = input_tables.eligibility(inputs)
    month_col = e.year_month if e.year_month is not None else e.month_start
    assert month_col is not None
    field = "year_month" if e.year_month is not None else "month_start"
    if field not in usable:
        (row,) = _run(
            conn, sa.select(sa.func.count()).select_from(src), "counting its rows", spec, checks
        )
        counts: dict[int, int] = {}
        total = int(row[0] or 0)
    else:
        key = input_tables.month_key_of(src, e).label("month_key")
        query = sa.select(key, sa.func.count()).group_by(key)
        rows = _run(
            conn,
            query,
            f"reading {month_col} as months",
            spec,
            checks,
            "store year_month as YYYYMM text or integers (e.g. 202401), or map a date column as "
            "month_start instead"
            if e.year_month is not None
            else "store month_start as dates",
        )
        counts = {int(k): int(n) for k, n in rows if k is not None}
        total = sum(int(n) for _, n in rows)
    if not total:
        checks.append(
            Check(
                "rows",
                spec.label,
                None,
                False,
                "error",
                f"{spec.label} is empty: attribution needs member months (no member is "
                "eligible without them); load them, or map Inputs.eligibility to the table that "
                "holds them",
            )
        )
        return
    bad = sorted(k for k in counts if not (1 <= k % 100 <= 12 and 1000 <= k // 100 <= 9999))
    if bad:
        checks.append(
            Check(
                "values",
                spec.label,
                month_col,
                False,
                "error",
                f"{spec.label}.{month_col} has values that are not YYYYMM months (e.g. "
                f"{', '.join(str(k) for k in bad[:3])}): store months as YYYYMM, e.g. 202401",
            )
        )
        return
    months = sorted(counts)
    span = f" ({_month_text(months[0])} .. {_month_text(months[-1])})" if months else ""
    checks.append(
        Check(
            "rows",
            spec.label,
            None,
            True,
            "error",
            f"{spec.label} has {total:,} member months{span}",
        )
    )
    if not months:
        return

    def covered(end: dt.date) -> tuple[bool, str]:
        low = month_key(first_of_month_back(end, method.eligibility_months))
        high = month_key(end)
        window = f"{_month_text(low)} .. {_month_text(high)}"
        return any(low <= m <= high for m in months), window

    for as_of in dates:
        ok, window = covered(as_of)
        checks.append(
            Check(
                "as_of",
                spec.label,
                month_col,
                ok,
                "warning",
                f"as-of date {as_of} has member months in its eligibility window {window}"
                if ok
                else f"as-of date {as_of}: no member month in {spec.label}.{month_col} in its "
                f"eligibility window {window}: the current scope will have no members",
            )
        )
    for year in years or ():
        ok, window = covered(method.year_anchor(year))
        checks.append(
            Check(
                "years",
                spec.label,
                month_col,
                ok,
                "warning",
                f"performance year {year} has member months in its eligibility window {window}"
                if ok
                else f"performance year {year}: no member month in {spec.label}.{month_col} in "
                f"its eligibility window {window}: the yearly scope will have no members; "
                f"check the years asked for (member months span {_month_text(months[0])} .. "
                f"{_month_text(months[-1])})",
            )
        )


def _not_empty(
    conn: sa.Connection,
    spec: _Input,
    source: sa.TableClause,
    consequence: str,
    checks: list[Check],
) -> None:
    rows = _run(
        conn, sa.select(sa.literal(1)).select_from(source).limit(1), "reading a row", spec, checks
    )
    checks.append(
        Check(
            "rows",
            spec.label,
            None,
            bool(rows),
            "warning",
            f"{spec.label} has rows" if rows else f"{spec.label} is empty: {consequence}",
        )
    )


def _roster_years(
    conn: sa.Connection,
    inputs: Inputs,
    spec: _Input,
    years: Sequence[int] | None,
    checks: list[Check],
) -> None:
    """A roster by performance year: no null year, only four-digit years (errors); each
    requested performance year has rows (warning)."""
    roster = inputs.roster
    assert roster is not None
    assert roster.performance_year is not None
    column = roster.performance_year
    year = input_tables.roster(roster).c[column]
    counts = _run(
        conn,
        sa.select(year, sa.func.count()).group_by(year),
        f"reading {column} as years",
        spec,
        checks,
        f"store {column} as integer years, e.g. 2025",
    )
    by_year = {y: int(n) for y, n in counts}
    nulls = by_year.pop(None, 0)
    where = f"{spec.label}.{column}"
    if nulls:
        checks.append(
            Check(
                "values",
                spec.label,
                column,
                False,
                "error",
                f"{where} is null on {nulls:,} rows: every row of a roster by performance year "
                "needs its year; fill it, or delete those rows",
            )
        )
    bad = sorted(int(y) for y in by_year if not 1000 <= int(y) <= 9999)
    if bad:
        checks.append(
            Check(
                "values",
                spec.label,
                column,
                False,
                "error",
                f"{where} has values that are not years (e.g. "
                f"{', '.join(str(y) for y in bad[:3])}): store four-digit years, e.g. 2025",
            )
        )
    if not nulls and not bad:
        shown = ", ".join(str(int(y)) for y in sorted(by_year)) or "none"
        checks.append(
            Check("values", spec.label, column, True, "error", f"{where} has years {shown}")
        )
    listed = {int(y) for y in by_year}
    for wanted in years or ():
        if wanted not in listed:
            checks.append(
                Check(
                    "years",
                    spec.label,
                    column,
                    False,
                    "warning",
                    f"performance year {wanted} has no row in {spec.label} (its {column} "
                    f"holds {', '.join(str(y) for y in sorted(listed)) or 'no year'}): no line "
                    "belongs to an ACO in that year",
                )
            )
