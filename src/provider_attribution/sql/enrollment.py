"""Beneficiary exclusions from the optional enrollment input (``docs/METHOD.md``, "Beneficiary
exclusions") and the ``beneficiary_exclusions`` table that counts them.

``pa_enrollment_months``  per person and month: the flags, 1 when any row of the month sets it
``pa_enrollment_flags``   per scope key and person: what the months of its eligibility window hold
``pa_deaths``             per person: the earliest death date
``pa_person_reasons``     per scope key and person of the eligible population: the first reason
                          that excludes the person, or ``not_excluded``

Without an enrollment input every person of the population is ``not_excluded``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from provider_attribution.engines import expressions, tables

if TYPE_CHECKING:
    from provider_attribution.model.windows import ScopeKey
    from provider_attribution.sql.compile import QueryBuilder

# (reason, description) in reason_order 1..6; a beneficiary gets the first that applies.
REASONS: tuple[tuple[str, str], ...] = (
    ("deceased", "Died before the performance year (current scope: the eligibility window)"),
    ("not_part_a_and_b", "A month of Part A only or Part B only, or no month with both"),
    ("managed_care", "A month in Medicare Advantage or another group health plan"),
    ("outside_us", "A month living outside the United States"),
    ("other_initiative", "A month aligned to another shared-savings initiative"),
    ("not_excluded", "Eligible and not excluded: attributed"),
)
REASON_ORDER = {reason: order for order, (reason, _) in enumerate(REASONS, start=1)}
NOT_EXCLUDED = REASON_ORDER["not_excluded"]
TRUE_TEXTS = ("1", "t", "true", "y", "yes")
_FLAGS = ("part_a", "part_b", "managed_care", "outside_us", "other_initiative")


def flag(value: sa.ColumnElement[Any]) -> sa.ColumnElement[int]:
    """1 when a flag value reads as true (boolean true, 1, y, yes, t, true; any case), else 0."""
    text = sa.func.lower(sa.func.trim(sa.cast(value, sa.String)))
    return sa.case((text.in_(TRUE_TEXTS), 1), else_=0)


def _months(builder: QueryBuilder) -> sa.CTE:
    """Per person and month of the enrollment input: each mapped flag (max over the rows)."""
    spec = builder.inputs.enrollment
    assert spec is not None
    src = tables.enrollment(spec)
    key = tables.month_key_of(src, spec)
    flags = [
        flag(src.c[column]).label(name)
        for name in _FLAGS
        if (column := getattr(spec, name)) is not None
    ]
    person = expressions.binary_id(src.c[spec.person_id])
    inner = sa.select(person.label("person_id"), key.label("month_key"), *flags).subquery(
        "pa_enrollment_raw"
    )
    maxima = [sa.func.max(inner.c[f.name]).label(f.name) for f in flags]
    return (
        sa.select(inner.c.person_id, inner.c.month_key, *maxima)
        .where(inner.c.person_id.is_not(None), inner.c.month_key.is_not(None))
        .group_by(inner.c.person_id, inner.c.month_key)
        .cte("pa_enrollment_months")
    )


def _window_flags(months: sa.FromClause, scope: sa.FromClause) -> sa.CTE:
    """Per scope key and person: which conditions a month of the eligibility window meets."""
    on = months.c.month_key.between(scope.c.elig_first, scope.c.elig_last)
    columns: list[sa.ColumnElement[Any]] = []
    if "part_a" in months.c:
        a, b = months.c.part_a, months.c.part_b
        columns += [
            sa.func.max(sa.case((sa.and_(a == 1, b == 1), 1), else_=0)).label("both"),
            sa.func.max(sa.case((a + b == 1, 1), else_=0)).label("one_part"),
        ]
    columns += [
        sa.func.max(months.c[name]).label(name)
        for name in ("managed_care", "outside_us", "other_initiative")
        if name in months.c
    ]
    return (
        sa.select(scope.c.scope_id, months.c.person_id, *columns)
        .select_from(months.join(scope, on))
        .group_by(scope.c.scope_id, months.c.person_id)
        .cte("pa_enrollment_flags")
    )


def _deaths(builder: QueryBuilder) -> sa.CTE:
    spec = builder.inputs.enrollment
    assert spec is not None
    assert spec.death_date is not None
    src = tables.enrollment(spec)
    person, death = expressions.binary_id(src.c[spec.person_id]), src.c[spec.death_date]
    return (
        sa.select(person.label("person_id"), sa.func.min(death).label("death_date"))
        .where(person.is_not(None), death.is_not(None))
        .group_by(person)
        .cte("pa_deaths")
    )


def person_reasons(
    builder: QueryBuilder, scope: sa.FromClause, population: sa.FromClause
) -> sa.CTE:
    """Per scope key and person of ``population``: ``reason_order`` of the first exclusion
    reason that applies, :data:`NOT_EXCLUDED` when none does."""
    spec = builder.inputs.enrollment
    source: sa.FromClause = population
    whens: list[tuple[sa.ColumnElement[bool], int]] = []
    if spec is not None:
        source = population.join(scope, scope.c.scope_id == population.c.scope_id)
        if spec.death_date is not None:
            deaths = _deaths(builder)
            source = source.outerjoin(deaths, deaths.c.person_id == population.c.person_id)
            whens.append((deaths.c.death_date < scope.c.alive_from, REASON_ORDER["deceased"]))
        window = _window_flags(_months(builder), scope)
        source = source.outerjoin(
            window,
            sa.and_(
                window.c.scope_id == population.c.scope_id,
                window.c.person_id == population.c.person_id,
            ),
        )
        if "both" in window.c:
            no_ab = sa.or_(sa.func.coalesce(window.c.both, 0) == 0, window.c.one_part == 1)
            whens.append((no_ab, REASON_ORDER["not_part_a_and_b"]))
        whens += [
            (window.c[name] == 1, REASON_ORDER[name])
            for name in ("managed_care", "outside_us", "other_initiative")
            if name in window.c
        ]
    reason: sa.ColumnElement[Any] = sa.literal(NOT_EXCLUDED, sa.Integer)
    if whens:
        reason = sa.case(*whens, else_=NOT_EXCLUDED)
    return (
        sa.select(
            population.c.scope_id,
            population.c.person_id,
            sa.cast(reason, sa.Integer).label("reason_order"),
        )
        .select_from(source)
        .cte("pa_person_reasons")
    )


def beneficiary_exclusions_select(
    builder: QueryBuilder, keys: Sequence[ScopeKey]
) -> sa.Select[Any]:
    """One row per scope key and reason: the number of beneficiaries (0 when none)."""
    run = builder.parts(keys)
    scope, reasons = run.scope, run.reasons
    counts = (
        sa.select(reasons.c.scope_id, reasons.c.reason_order, sa.func.count().label("n"))
        .group_by(reasons.c.scope_id, reasons.c.reason_order)
        .subquery("pa_reason_counts")
    )
    listed = sa.union_all(
        *(
            sa.select(
                sa.literal(order, sa.Integer).label("reason_order"),
                sa.literal(reason, sa.String).label("reason"),
                sa.literal(text, sa.String).label("description"),
            )
            for order, (reason, text) in enumerate(REASONS, start=1)
        )
    ).subquery("pa_beneficiary_reasons")
    on = sa.and_(
        counts.c.scope_id == scope.c.scope_id, counts.c.reason_order == listed.c.reason_order
    )
    return sa.select(
        scope.c.scope,
        scope.c.performance_year,
        scope.c.as_of_date,
        listed.c.reason_order,
        listed.c.reason,
        listed.c.description,
        sa.cast(sa.func.coalesce(counts.c.n, 0), sa.BigInteger).label("beneficiaries"),
    ).select_from(scope.join(listed, sa.true()).outerjoin(counts, on))
