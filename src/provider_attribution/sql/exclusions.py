"""The ``attribution_exclusions`` table: every claims row counted once, by line status.

Checks 1 to 9 come from :mod:`provider_attribution.sql.claim_lines`; this module adds the checks
that need the scope keys (10 to 15) and counts. See ``docs/METHOD.md``, "Line checks".

Scope keys are few, so the checks that depend on them are unrolled over the keys with literal
window dates; which persons are eligible (and pass the gate) in which key is pivoted to one
row per person and joined once. No correlated subqueries: every engine hashes these joins.

With a scope table instead of literal keys (``QueryBuilder.scope_source``, the dbt export) the
number of keys is unknown when the SQL is written: each line (numbered) is joined to the keys
whose widest window holds it, and the per-key tests are rolled up per line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from provider_attribution.engines import expressions
from provider_attribution.model.method import Method, Pass, Path

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


def _by_anchor(line: sa.FromClause, key: ScopeKey) -> list[sa.ColumnElement[bool]]:
    """The service date is on or before the anchor end; for a current key the line also
    ended by the as-of date."""
    end = expressions.date_literal(key.anchor_end)
    cond = [line.c.service_date <= end]
    if key.scope == "current":  # not null: a negated condition must stay true or false
        cond += [line.c.end_date.is_not(None), line.c.end_date <= end]
    return cond


def _within(line: sa.FromClause, start: dt.date, key: ScopeKey) -> sa.ColumnElement[bool]:
    """The service date is in ``[start, anchor end]`` (and, current keys, the line ended)."""
    return sa.and_(line.c.service_date >= expressions.date_literal(start), *_by_anchor(line, key))


def _any_pass(
    builder: QueryBuilder, line: sa.FromClause, key: ScopeKey, passes: Sequence[Pass]
) -> sa.ColumnElement[bool]:
    """The line falls in at least one of ``passes`` in scope key ``key``.

    Written factored: the anchor-end tests once, then one start test per window start, each
    with the passes starting there. The same truth value as the OR of every pass's full test,
    in a smaller expression (Spark compiles the status aggregate into one JVM method, which
    must stay under 64 KB)."""
    slot = builder.primary_care_slot(key)
    by_start: dict[dt.date, list[list[sa.ColumnElement[bool]]]] = {}
    for p in passes:
        by_start.setdefault(key.window_start(p.months), []).append(
            builder.line_fits(line, p.buckets, p.services, slot)
        )
    starts = []
    for start, rests in sorted(by_start.items()):
        after = line.c.service_date >= expressions.date_literal(start)
        if any(not rest for rest in rests):  # a pass asking nothing more takes every line
            starts.append(after)
        else:
            starts.append(sa.and_(after, sa.or_(*(sa.and_(*rest) for rest in rests))))
    return sa.and_(*_by_anchor(line, key), sa.or_(*starts))


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
    """``(status, copies)`` per distinct claims row.

    Every test of a line is evaluated once, as a 0/1 column of ``pa_line_tests`` (window,
    member month, per key: any pass without requirements, each pass with requirements, the
    person's flags); the status reads the columns.
    Every test is true or false on the lines it decides (checks 2 to 9 passed: a service
    date, a bucket and flags), so 0 stands for false exactly there."""
    if builder.scope_source is not None:
        return _statuses_joined(builder, run)
    method = builder.method
    line = run.checked
    in_run_window = sa.or_(*(_within(line, k.window_start(builder.key_widest(k)), k) for k in keys))
    eligible = _flags_by_person(run.eligible, keys, "pa_eligible_flags")
    source: sa.FromClause = line.outerjoin(eligible, eligible.c.person_id == line.c.person_id)

    def flag(cond: sa.ColumnElement[bool], name: str) -> sa.ColumnElement[Any]:
        return sa.case((cond, 1), else_=0).label(name)

    columns: list[sa.ColumnElement[Any]] = [
        line.c.check_status,
        line.c.copies,
        line.c.primary_care,
        line.c.in_directory,
        flag(in_run_window, "in_window"),
        line.c.has_month,
    ]
    claims = Path.CLAIMS in method.paths
    # per key: the steps whose pass has requirements (a column each) and whether the passes
    # without requirements have one column together (k{i}_free)
    gated: list[list[int]] = []
    free: list[bool] = []
    if claims:
        for i, key in enumerate(keys):
            applying = method.passes_in(key.rule_year)
            ungated = [p for _, p in applying if not method.requirements(p)]
            free.append(bool(ungated))
            if ungated:
                columns.append(flag(_any_pass(builder, line, key, ungated), f"k{i}_free"))
            gated.append([step for step, p in applying if method.requirements(p)])
            columns += [
                flag(_any_pass(builder, line, key, [method.passes[step - 1]]), f"k{i}_s{step}")
                for step in gated[i]
            ]
            columns.append(flag(_flag(eligible, i), f"k{i}_eligible"))
        if method.conditions:
            flags = _requirement_flags(run, keys, method)
            source = source.outerjoin(flags, flags.c.person_id == line.c.person_id)
            columns += [
                flag(_flag(flags, f"{i}_p{step}"), f"k{i}_ok{step}")
                for i, steps in enumerate(gated)
                for step in steps
            ]
    tests = sa.select(*columns).select_from(source).subquery("pa_line_tests")

    def on(name: str) -> sa.ColumnElement[bool]:
        return tests.c[name] == 1

    whens: list[tuple[sa.ColumnElement[bool], Any]] = [
        (tests.c.check_status > 0, tests.c.check_status),
        (~on("in_window"), REASON_ORDER["outside_window"]),
        (~on("has_month"), REASON_ORDER["no_eligibility"]),
    ]
    if not claims:
        status = sa.case(*whens, else_=REASON_ORDER["no_matching_pass"])
    else:
        in_pass = [
            sa.or_(
                *([on(f"k{i}_free")] if free[i] else []),
                *(on(f"k{i}_s{step}") for step in gated[i]),
            )
            for i in range(len(keys))
        ]
        counts = [sa.and_(hit, on(f"k{i}_eligible")) for i, hit in enumerate(in_pass)]
        # not primary care under the code list of any scope key
        slots = sorted({builder.primary_care_slot(k) for k in keys})
        any_pc = sa.or_(*(builder.is_primary_care(tests, slot) for slot in slots))
        not_pc = sa.case(
            (~any_pc, REASON_ORDER["not_primary_care"]),
            else_=REASON_ORDER["no_matching_pass"],
        )
        if method.directory_required:  # an NPI outside the directory takes no step
            not_pc = sa.case(
                (tests.c.in_directory == 0, REASON_ORDER["no_matching_pass"]), else_=not_pc
            )
        whens += [
            (~sa.or_(*in_pass), not_pc),
            (~sa.or_(*counts), REASON_ORDER["person_not_eligible"]),
        ]
        if method.conditions:
            # the line counts in key i through a pass whose requirement holds for its person
            assignable = [
                sa.and_(
                    on(f"k{i}_eligible"),
                    sa.or_(
                        *([on(f"k{i}_free")] if free[i] else []),
                        *(sa.and_(on(f"k{i}_s{step}"), on(f"k{i}_ok{step}")) for step in gated[i]),
                    ),
                )
                for i in range(len(keys))
            ]
            whens.append((~sa.or_(*assignable), REASON_ORDER["person_not_assignable"]))
        status = sa.case(*whens, else_=REASON_ORDER["used"])
    return (
        sa.select(sa.cast(status, sa.Integer).label("status"), tests.c.copies)
        .select_from(tests)
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
    # Each status group gives two rows: its own count, and its extra copies as duplicate_line.
    # The groups are read once (a cross join with two rows), not once per row kind: an engine
    # that computes a CTE once per reference (Spark) would scan the checked lines twice.
    # Both BIGINT: COUNT and SUM differ in type on some engines (ClickHouse: UInt64 and Int64,
    # which cannot be combined into a summable type).
    kinds = sa.union_all(
        sa.select(sa.literal(0, sa.Integer).label("duplicates")),
        sa.select(sa.literal(1, sa.Integer).label("duplicates")),
    ).subquery("pa_count_kinds")
    as_duplicates = kinds.c.duplicates == 1
    counts = (
        sa.select(
            sa.case(
                (as_duplicates, sa.literal(REASON_ORDER["duplicate_line"], sa.Integer)),
                else_=grouped.c.status,
            ).label("status"),
            sa.cast(
                sa.case((as_duplicates, grouped.c.extra_copies), else_=grouped.c.n), sa.BigInteger
            ).label("n"),
        )
        .select_from(grouped.join(kinds, sa.true()))
        .subquery("pa_status_counts")
    )
    # Each reason once with 0 lines, plus the counted statuses, summed per reason: a union and
    # a group-by, not a join of the reason list to the counts. Spark infers a filter from such
    # a join (status in 1..16) and pushes it down to the status expression, 16 copies of which
    # outgrow the JVM's 64 KB method limit. The counts carry empty names, which MAX passes over.
    listed = sa.union_all(
        *(
            sa.select(
                sa.literal(order, sa.Integer).label("reason_order"),
                sa.literal(reason, sa.String).label("reason"),
                sa.literal(text, sa.String).label("description"),
                sa.cast(sa.literal(0, sa.Integer), sa.BigInteger).label("n"),
            )
            for order, (reason, text) in enumerate(REASONS, start=1)
        ),
        sa.select(
            counts.c.status,
            sa.literal("", sa.String).label("reason"),
            sa.literal("", sa.String).label("description"),
            counts.c.n,
        ),
    ).subquery("pa_reason_counts")
    return sa.select(
        listed.c.reason_order,
        sa.func.max(listed.c.reason).label("reason"),
        sa.func.max(listed.c.description).label("description"),
        sa.cast(sa.func.sum(listed.c.n), sa.BigInteger).label("lines"),
    ).group_by(listed.c.reason_order)


def _statuses_joined(builder: QueryBuilder, run: RunParts) -> sa.CTE:
    """:func:`_statuses` for scope keys read from a table: per line and key whose widest
    window holds the line, whether it falls in a pass (``hit``), counts for an eligible person
    (``counts``) and passes the requirements (``assignable``); rolled up per line."""
    method, scope = builder.method, run.scope
    checked = run.checked
    # numbered once and read once: the number identifies the row through the joins below
    line = sa.select(sa.func.row_number().over().label("line_id"), *checked.c).subquery(
        "pa_numbered_lines"
    )
    within = sa.and_(
        line.c.service_date >= scope.c.run_start,
        line.c.service_date <= scope.c.anchor_end,
        sa.or_(scope.c.is_current == 0, line.c.end_date <= scope.c.anchor_end),
    )
    eligible = run.eligible
    source: sa.FromClause = line.outerjoin(scope, within).outerjoin(
        eligible,
        sa.and_(
            eligible.c.scope_id == scope.c.scope_id,
            eligible.c.person_id == line.c.person_id,
        ),
    )
    passes = list(enumerate(method.passes, start=1))
    hits = {step: builder._in_pass(p, line, scope) for step, p in passes}
    is_eligible = eligible.c.person_id.is_not(None)
    assignable: list[sa.ColumnElement[bool]] = []
    if method.conditions:
        units = run.units
        needs = [step for step, p in passes if method.requirements(p)]
        ok = (
            sa.select(
                units.c.scope_id,
                units.c.person_id,
                *(sa.func.max(units.c[f"ok_{step}"]).label(f"ok_{step}") for step in needs),
            )
            .group_by(units.c.scope_id, units.c.person_id)
            .subquery("pa_pass_oks")
        )
        source = source.outerjoin(
            ok, sa.and_(ok.c.scope_id == scope.c.scope_id, ok.c.person_id == line.c.person_id)
        )
        assignable = [
            sa.and_(hit, sa.func.coalesce(ok.c[f"ok_{step}"], 0) == 1) if step in needs else hit
            for step, hit in hits.items()
        ]

    def any_row(cond: sa.ColumnElement[bool], name: str) -> sa.ColumnElement[Any]:
        return sa.func.max(sa.case((cond, 1), else_=0)).label(name)

    in_pass = sa.or_(*hits.values())
    rolled = (
        sa.select(
            line.c.line_id,
            *(
                sa.func.max(line.c[n]).label(n)
                for n in ("check_status", "copies", "primary_care", "in_directory", "has_month")
            ),
            any_row(scope.c.scope_id.is_not(None), "in_window"),
            any_row(in_pass, "in_pass"),
            any_row(sa.and_(in_pass, is_eligible), "counts"),
            any_row(sa.and_(is_eligible, sa.or_(*assignable)), "assignable")
            if assignable
            else sa.literal(1, sa.Integer).label("assignable"),
        )
        .select_from(source)
        .group_by(line.c.line_id)
        .subquery("pa_line_tests")
    )
    whens: list[tuple[sa.ColumnElement[bool], Any]] = [
        (rolled.c.check_status > 0, rolled.c.check_status),
        (rolled.c.in_window == 0, REASON_ORDER["outside_window"]),
        (rolled.c.has_month == 0, REASON_ORDER["no_eligibility"]),
    ]
    if Path.CLAIMS not in method.paths:
        status = sa.case(*whens, else_=REASON_ORDER["no_matching_pass"])
    else:
        # primary care under the code list of any scope key
        slots = range(1, len(builder.primary_care_lists()) + 1)
        used_slots = sa.select(scope.c.pc_slot)
        any_pc = sa.or_(
            *(
                sa.and_(
                    builder.is_primary_care(rolled, slot),
                    sa.literal(slot, sa.Integer).in_(used_slots),
                )
                for slot in slots
            )
        )
        not_pc = sa.case(
            (~any_pc, REASON_ORDER["not_primary_care"]),
            else_=REASON_ORDER["no_matching_pass"],
        )
        if method.directory_required:
            not_pc = sa.case(
                (rolled.c.in_directory == 0, REASON_ORDER["no_matching_pass"]), else_=not_pc
            )
        whens += [
            (rolled.c.in_pass == 0, not_pc),
            (rolled.c.counts == 0, REASON_ORDER["person_not_eligible"]),
            (rolled.c.assignable == 0, REASON_ORDER["person_not_assignable"]),
        ]
        status = sa.case(*whens, else_=REASON_ORDER["used"])
    return (
        sa.select(sa.cast(status, sa.Integer).label("status"), rolled.c.copies)
        .select_from(rolled)
        .cte("pa_line_status")
    )
