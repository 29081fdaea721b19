"""The attribution pipeline as an ordered list of named stages.

Each :class:`Stage` is one relation of the plan (a CTE in the printed SQL, or a work table
when a run materialises it): its name, what it holds, the stages it reads, and the function
building it from those. :data:`STAGES` lists them in an order where every stage comes after
the stages it needs; :func:`build_stages` walks that list. A stage given ready-made (a table a
caller wrote earlier) is read instead of being built: that is how a run materialises the stages
an engine benefits from while another engine inlines the whole chain.

The outputs are selects over these stages: ``provider_ranking`` reads ``pa_ranked`` (its rows
plus one fallback row per eligible person without a candidate), the assigned tables its rank-1
rows, and the exclusion outputs the line and person stages (``sql/exclusions.py``,
``sql/enrollment.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from provider_attribution.model.windows import ScopeKey
from provider_attribution.sql.enrollment import person_reasons

if TYPE_CHECKING:
    from provider_attribution.sql.compile import QueryBuilder

Built = Mapping[str, sa.FromClause]
"""Stage name → its relation, for the stages built so far."""

BuildStage = Callable[["QueryBuilder", Sequence[ScopeKey], Built], sa.FromClause]


@dataclass(frozen=True)
class Stage:
    """One relation of the plan."""

    name: str
    summary: str
    needs: tuple[str, ...]
    build: BuildStage


def scopes(b: QueryBuilder, keys: Sequence[ScopeKey], got: Built) -> sa.FromClause:
    return b.scopes(keys)


def member_spans(b: QueryBuilder, keys: Sequence[ScopeKey], got: Built) -> sa.FromClause:
    return b.member_spans(keys)


def population(b: QueryBuilder, keys: Sequence[ScopeKey], got: Built) -> sa.FromClause:
    return b.population(got["pa_member_spans"], got["pa_scopes"])


def reasons(b: QueryBuilder, keys: Sequence[ScopeKey], got: Built) -> sa.FromClause:
    return person_reasons(b, got["pa_scopes"], got["pa_population"])


def eligible(b: QueryBuilder, keys: Sequence[ScopeKey], got: Built) -> sa.FromClause:
    return b.eligible(got["pa_person_reasons"])


def providers(b: QueryBuilder, keys: Sequence[ScopeKey], got: Built) -> sa.FromClause:
    return b.providers()


def checked(b: QueryBuilder, keys: Sequence[ScopeKey], got: Built) -> sa.FromClause:
    return b.claim_lines().checked(got["pa_providers"], got["pa_member_spans"])


def facts(b: QueryBuilder, keys: Sequence[ScopeKey], got: Built) -> sa.FromClause:
    return b.facts(keys, got["pa_checked"])


def metrics(b: QueryBuilder, keys: Sequence[ScopeKey], got: Built) -> sa.FromClause:
    return b.metrics(got["pa_facts"], got["pa_scopes"])


def units(b: QueryBuilder, keys: Sequence[ScopeKey], got: Built) -> sa.FromClause:
    return b.units(got["pa_metrics"])


def paths(b: QueryBuilder, keys: Sequence[ScopeKey], got: Built) -> sa.FromClause:
    return b.paths(got)


def ranked(b: QueryBuilder, keys: Sequence[ScopeKey], got: Built) -> sa.FromClause:
    return b.ranked(got["pa_paths"])


STAGES: tuple[Stage, ...] = (
    Stage(
        "pa_member_spans",
        "per person, each run of consecutive member months inside the run's months: its first "
        "and last YYYYMM",
        (),
        member_spans,
    ),
    Stage(
        "pa_scopes",
        "one row per scope key (as-of date or performance year) with every window's bounds",
        (),
        scopes,
    ),
    Stage(
        "pa_population",
        "per scope key, the persons with a member month in the eligibility window",
        ("pa_member_spans", "pa_scopes"),
        population,
    ),
    Stage(
        "pa_person_reasons",
        "the population with the first beneficiary exclusion reason that applies",
        ("pa_scopes", "pa_population"),
        reasons,
    ),
    Stage(
        "pa_eligible",
        "per scope key, the persons no beneficiary exclusion removes",
        ("pa_person_reasons",),
        eligible,
    ),
    Stage(
        "pa_providers",
        "one row per NPI with its bucket and specialty from the value sets",
        (),
        providers,
    ),
    Stage(
        "pa_checked",
        "every distinct claims row with its derived attributes, line status and member-month flag",
        ("pa_providers", "pa_member_spans"),
        checked,
    ),
    Stage(
        "pa_facts",
        "the checked lines of the run's dates on eligible member months, reduced once to one row "
        "per person, unit, NPI, visit, service and end date and bucket: cents, and primary-care "
        "flags and cents per code list",
        ("pa_checked",),
        facts,
    ),
    Stage(
        "pa_metrics",
        "per scope key, person, unit and NPI: every pass's weighted cents, visits, last service",
        ("pa_facts", "pa_scopes"),
        metrics,
    ),
    Stage(
        "pa_units",
        "per scope key, person and unit: the passes rolled up and the earliest qualifying step",
        ("pa_metrics",),
        units,
    ),
    Stage(
        "pa_paths",
        "candidate rows of every path: claims units (with their top NPI), selections",
        ("pa_metrics", "pa_units", "pa_eligible", "pa_scopes"),
        paths,
    ),
    Stage(
        "pa_ranked",
        "the candidate rows in a total order per scope key and person, ending with provider_id",
        ("pa_paths",),
        ranked,
    ),
)

BY_NAME: Mapping[str, Stage] = {stage.name: stage for stage in STAGES}


def upstream(names: Sequence[str]) -> tuple[Stage, ...]:
    """The stages ``names`` need, themselves included, in pipeline order."""
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise ValueError(f"unknown stage(s) {unknown}; stages: {[s.name for s in STAGES]}")
    wanted = set(names)
    for stage in reversed(STAGES):
        if stage.name in wanted:
            wanted.update(stage.needs)
    return tuple(s for s in STAGES if s.name in wanted)


def build_stages(
    builder: QueryBuilder,
    keys: Sequence[ScopeKey],
    *,
    upto: Sequence[str] | None = None,
    given: Built | None = None,
    memo: dict[str, sa.FromClause] | None = None,
) -> dict[str, sa.FromClause]:
    """Every stage (or those ``upto`` needs) in order: the relation in ``given`` where there
    is one, else the one in ``memo`` (stages built earlier for the same builder and keys),
    else the stage's build over the stages before it, which is then kept in ``memo``."""
    ready = dict(given or {})
    memo = {} if memo is None else memo
    built: dict[str, sa.FromClause] = {}
    for stage in upstream(upto) if upto is not None else STAGES:
        if stage.name in ready:
            built[stage.name] = ready[stage.name]
        else:
            if stage.name not in memo:
                memo[stage.name] = stage.build(builder, keys, built)
            built[stage.name] = memo[stage.name]
    return built
