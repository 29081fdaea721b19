"""The ``attribution_exclusions`` table: every claims row counted once, by line status.

Checks 1 to 9 come from :mod:`provider_attribution.claim_lines`; this module adds the checks
that need the scope keys (10 to 15) and counts. See ``docs/METHOD.md``, "Line checks".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from provider_attribution import dialects
from provider_attribution.method import Path

if TYPE_CHECKING:
    from provider_attribution.compile import QueryBuilder, RunParts
    from provider_attribution.windows import ScopeKey

# (reason, description) in reason_order 1..16; the first that applies to a row is its status.
REASONS: tuple[tuple[str, str], ...] = (
    ("duplicate_line", "Exact copy of an earlier row in every mapped column; counted once"),
    ("missing_person_id", "person_id is null"),
    ("missing_service_date", "claim_start_date and claim_end_date are both null"),
    ("future_service_date", "Service date after the run date"),
    ("fqhc_not_attested", "FQHC/RHC revenue-code line without an attested attending NPI"),
    ("missing_npi", "The credited NPI (rendering, or attending on FQHC/RHC lines) is null"),
    ("invalid_npi", "The credited NPI fails the NPI check digit (Luhn with prefix 80840)"),
    ("organizational_npi", "The credited NPI is an organization (entity type 2)"),
    ("reversed_claim", "The claim nets to zero or less after its reversal lines"),
    ("outside_window", "Service date outside every scope key's widest window"),
    ("no_eligibility", "The person has no member month for the service month"),
    ("not_primary_care", "Not a primary-care service, and no pass takes other services"),
    ("no_matching_pass", "No pass takes the line's provider type in its window"),
    ("person_not_eligible", "The person is outside the eligible population where it counts"),
    ("person_not_assignable", "The person fails the pre-step gate where it counts"),
    ("used", "Counts for a claims candidate in at least one scope key"),
)
REASON_ORDER = {reason: order for order, (reason, _) in enumerate(REASONS, start=1)}

_OUTSIDE_WINDOW = REASON_ORDER["outside_window"]


def _status(builder: QueryBuilder, run: RunParts, mm_match: sa.ColumnElement[Any]) -> Any:
    """Line status of a ``pa_checked`` row: the first failing check's order, else ``used``."""
    line, scope = run.checked, run.scope
    widest = f"start_{builder.widest_window()}"
    in_run_window = (
        sa.select(sa.literal(1))
        .select_from(scope)
        .where(line.c.service_date >= scope.c[widest])
        .where(line.c.service_date <= scope.c.anchor_end)
        .exists()
    )
    whens: list[tuple[sa.ColumnElement[bool], Any]] = [
        (line.c.check_status > 0, line.c.check_status),
        (~in_run_window, _OUTSIDE_WINDOW),
        (mm_match.is_(None), REASON_ORDER["no_eligibility"]),
    ]
    if Path.CLAIMS not in builder.method.paths:
        return sa.case(*whens, else_=REASON_ORDER["no_matching_pass"])

    in_some_pass = sa.or_(
        *(
            sa.and_(
                builder.in_window(p.months, p.buckets, p.services, line, scope),
                line.c.service_date <= scope.c.anchor_end,
            )
            for p in builder.method.passes
        )
    )

    def counts_somewhere(*joined: sa.CTE) -> sa.ColumnElement[bool]:
        source: sa.FromClause = scope
        for cte in joined:
            source = source.join(
                cte,
                sa.and_(cte.c.scope_id == scope.c.scope_id, cte.c.person_id == line.c.person_id),
            )
        return sa.select(sa.literal(1)).select_from(source).where(in_some_pass).exists()

    not_pc = sa.case(
        (line.c.is_primary_care == 0, REASON_ORDER["not_primary_care"]),
        else_=REASON_ORDER["no_matching_pass"],
    )
    whens += [
        (~counts_somewhere(), not_pc),
        (~counts_somewhere(run.eligible), REASON_ORDER["person_not_eligible"]),
    ]
    if builder.method.gate is not None:
        gated = (
            sa.select(run.units.c.scope_id, run.units.c.person_id)
            .where(run.units.c.person_gate == 1)
            .distinct()
            .cte("pa_gated")
        )
        whens.append(
            (~counts_somewhere(run.eligible, gated), REASON_ORDER["person_not_assignable"])
        )
    return sa.case(*whens, else_=REASON_ORDER["used"])


def exclusions_select(builder: QueryBuilder, keys: Sequence[ScopeKey]) -> sa.Select[Any]:
    """Rows ``(reason_order, reason, description, lines)``: all 16 reasons, 0 when unused."""
    run = builder.parts(keys)
    line, mm = run.checked, run.member_months
    matched = sa.and_(
        mm.c.person_id == line.c.person_id,
        mm.c.month_key == dialects.month_key(line.c.service_date),
    )
    statuses = (
        sa.select(
            sa.cast(_status(builder, run, mm.c.person_id), sa.Integer).label("status"),
            line.c.copies,
        )
        .select_from(line.outerjoin(mm, matched))
        .subquery("pa_line_status")
    )
    counts = sa.union_all(
        sa.select(
            sa.literal(REASON_ORDER["duplicate_line"], sa.Integer).label("status"),
            sa.func.sum(statuses.c.copies - 1).label("n"),
        ),
        sa.select(statuses.c.status, sa.func.count().label("n")).group_by(statuses.c.status),
    ).subquery("pa_status_counts")
    reasons = sa.union_all(
        *(
            sa.select(
                sa.literal(order, sa.Integer).label("reason_order"),
                sa.literal(reason, sa.String).label("reason"),
                sa.literal(text, sa.String).label("description"),
            )
            for order, (reason, text) in enumerate(REASONS, start=1)
        )
    ).subquery("pa_reasons")
    lines = sa.cast(sa.func.coalesce(sa.func.sum(counts.c.n), 0), sa.BigInteger)
    return (
        sa.select(
            reasons.c.reason_order, reasons.c.reason, reasons.c.description, lines.label("lines")
        )
        .select_from(reasons.outerjoin(counts, counts.c.status == reasons.c.reason_order))
        .group_by(reasons.c.reason_order, reasons.c.reason, reasons.c.description)
    )
