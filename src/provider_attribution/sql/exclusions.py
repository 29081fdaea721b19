"""The ``attribution_exclusions`` table: every claims row counted once, by line status.

Checks 1 to 9 come from :mod:`provider_attribution.sql.claim_lines`; this module adds the checks
that need the scope keys (10 to 15) and counts. See ``docs/METHOD.md``, "Line checks".

Scope keys are few, so the checks that depend on them are unrolled over the keys with literal
window dates; which persons are eligible (and pass the gate) in which key is pivoted to one
row per person and joined once. No correlated subqueries: every engine hashes these joins.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from provider_attribution.engines import dialects
from provider_attribution.model.method import Method, Path, Services

if TYPE_CHECKING:
    from provider_attribution.model.windows import ScopeKey
    from provider_attribution.sql.compile import QueryBuilder, RunParts

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


def _flags_by_person(source: sa.FromClause, keys: Sequence[ScopeKey], name: str) -> sa.CTE:
    """One row per person of ``source`` (rows of scope_id, person_id): ``k0``, ``k1``, ... are
    1 where the person is in it for that scope key."""
    flags = [
        sa.func.max(sa.case((source.c.scope_id == index, 1), else_=0)).label(f"k{index}")
        for index in range(len(keys))
    ]
    return sa.select(source.c.person_id, *flags).group_by(source.c.person_id).cte(name)


def _flag(flags: sa.FromClause, index: int | str) -> sa.ColumnElement[bool]:
    """The person has flag ``k{index}`` (false, not null, for a person without a row)."""
    return sa.func.coalesce(flags.c[f"k{index}"], 0) == 1


def _within(line: sa.FromClause, start: dt.date, key: ScopeKey) -> sa.ColumnElement[bool]:
    """The service date is in ``[start, anchor end]``; for a current key the line also ended
    by the as-of date."""
    end = dialects.date_literal(key.anchor_end)
    cond = [line.c.service_date >= dialects.date_literal(start), line.c.service_date <= end]
    if key.scope == "current":  # not null: a negated condition must stay true or false
        cond += [line.c.end_date.is_not(None), line.c.end_date <= end]
    return sa.and_(*cond)


def _pass_hits(
    builder: QueryBuilder, line: sa.FromClause, key: ScopeKey
) -> list[tuple[int, sa.ColumnElement[bool]]]:
    """(step, the line falls in it) for each pass of the method applying in scope key ``key``
    (primary care by the key's code list)."""
    method = builder.method
    hits = []
    for step, p in method.passes_in(key.rule_year):
        cond = [_within(line, key.window_start(p.months), key)]
        if method.directory_required:
            cond.append(line.c.in_directory == 1)
        if p.buckets is not None:
            cond.append(line.c.bucket.in_(sorted(p.buckets)))
        if p.services is Services.PRIMARY_CARE:
            cond.append(builder.is_primary_care(line, builder.primary_care_slot(key)))
        hits.append((step, sa.and_(*cond)))
    return hits


def _requirement_flags(run: RunParts, keys: Sequence[ScopeKey], method: Method) -> sa.CTE:
    """One row per person with units: ``k{index}_p{step}`` is 1 where the requirement of pass
    ``step`` holds for the person in scope key ``index``."""
    units = run.units
    flags = [
        sa.func.max(
            sa.case((sa.and_(units.c.scope_id == index, units.c[f"ok_{step}"] == 1), 1), else_=0)
        ).label(f"k{index}_p{step}")
        for index, key in enumerate(keys)
        for step, p in method.passes_in(key.rule_year)
        if method.requirements(p)
    ]
    return sa.select(units.c.person_id, *flags).group_by(units.c.person_id).cte("pa_pass_flags")


def _statuses(builder: QueryBuilder, run: RunParts, keys: Sequence[ScopeKey]) -> sa.CTE:
    """``(status, copies)`` per distinct claims row."""
    line, mm = run.checked, run.member_months
    in_run_window = sa.or_(*(_within(line, k.window_start(builder.key_widest(k)), k) for k in keys))
    eligible = _flags_by_person(run.eligible, keys, "pa_eligible_flags")
    source: sa.FromClause = line.outerjoin(
        mm,
        sa.and_(
            mm.c.person_id == line.c.person_id,
            mm.c.month_key == dialects.month_key(line.c.service_date),
        ),
    ).outerjoin(eligible, eligible.c.person_id == line.c.person_id)
    whens: list[tuple[sa.ColumnElement[bool], Any]] = [
        (line.c.check_status > 0, line.c.check_status),
        (~in_run_window, REASON_ORDER["outside_window"]),
        (mm.c.person_id.is_(None), REASON_ORDER["no_eligibility"]),
    ]
    if Path.CLAIMS not in builder.method.paths:
        status = sa.case(*whens, else_=REASON_ORDER["no_matching_pass"])
    else:
        method = builder.method
        hits = [_pass_hits(builder, line, k) for k in keys]
        in_pass = [sa.or_(*(hit for _, hit in key_hits)) for key_hits in hits]
        counts = [sa.and_(hit, _flag(eligible, i)) for i, hit in enumerate(in_pass)]
        # not primary care under the code list of any scope key
        slots = sorted({builder.primary_care_slot(k) for k in keys})
        any_pc = sa.or_(*(builder.is_primary_care(line, slot) for slot in slots))
        not_pc = sa.case(
            (~any_pc, REASON_ORDER["not_primary_care"]),
            else_=REASON_ORDER["no_matching_pass"],
        )
        if builder.method.directory_required:  # an NPI outside the directory takes no step
            not_pc = sa.case(
                (line.c.in_directory == 0, REASON_ORDER["no_matching_pass"]), else_=not_pc
            )
        whens += [
            (~sa.or_(*in_pass), not_pc),
            (~sa.or_(*counts), REASON_ORDER["person_not_eligible"]),
        ]
        if method.conditions:
            flags = _requirement_flags(run, keys, method)
            source = source.outerjoin(flags, flags.c.person_id == line.c.person_id)
            # the line counts in key i through a pass whose requirement holds for its person
            assignable = [
                sa.and_(
                    _flag(eligible, i),
                    sa.or_(
                        *(
                            sa.and_(hit, _flag(flags, f"{i}_p{step}"))
                            if method.requirements(method.passes[step - 1])
                            else hit
                            for step, hit in key_hits
                        )
                    ),
                )
                for i, key_hits in enumerate(hits)
            ]
            whens.append((~sa.or_(*assignable), REASON_ORDER["person_not_assignable"]))
        status = sa.case(*whens, else_=REASON_ORDER["used"])
    return (
        sa.select(sa.cast(status, sa.Integer).label("status"), line.c.copies)
        .select_from(source)
        .cte("pa_line_status")
    )


def exclusions_select(builder: QueryBuilder, keys: Sequence[ScopeKey]) -> sa.Select[Any]:
    """Rows ``(reason_order, reason, description, lines)``: all 16 reasons, 0 when unused."""
    statuses = _statuses(builder, builder.parts(keys), keys)
    collapse = builder.method.collapse_duplicates
    # Collapsed, a row counts once under its status and its other copies as duplicate_line;
    # otherwise every copy counts under the row's status.
    rows = sa.func.count() if collapse else sa.func.sum(statuses.c.copies)
    extra = sa.func.sum(statuses.c.copies - 1) if collapse else sa.literal(0, sa.BigInteger)
    grouped = (
        sa.select(statuses.c.status, rows.label("n"), extra.label("extra_copies"))
        .group_by(statuses.c.status)
        .cte("pa_status_groups")
    )
    # Both branches BIGINT: COUNT and SUM differ in type on some engines (ClickHouse: UInt64
    # and Int64, which a UNION ALL cannot combine into a summable type).
    counts = sa.union_all(
        sa.select(
            sa.literal(REASON_ORDER["duplicate_line"], sa.Integer).label("status"),
            sa.cast(sa.func.sum(grouped.c.extra_copies), sa.BigInteger).label("n"),
        ),
        sa.select(grouped.c.status, sa.cast(grouped.c.n, sa.BigInteger).label("n")),
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
