"""A synthetic CMS assignment list (AALR-like) with planted disagreements, for tests and demos.

:func:`plant_assignment_list` reads a computed run (ACO unit, e.g. MSSP) and writes a list on
which CMS agrees with every ACO-assigned beneficiary except the planted ones, one group per
reason of :mod:`provider_attribution.analysis.reconcile`. Never real data: the ids come from the
run.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from provider_attribution.analysis.reconcile import (
    CLAIMS_MISSING,
    DIFFERENT_WINNER,
    NOT_IN_ELIGIBLE,
    NOT_ON_LIST,
    REASONS,
    TIE,
    AssignmentListTable,
)
from provider_attribution.engines import output_tables
from provider_attribution.engines.ddl import DropTableIfExists
from provider_attribution.engines.profiles import profile_for
from provider_attribution.model import outputs

#: Prefix of the made-up beneficiary ids planted as ``not_in_eligible_population``.
UNKNOWN_PREFIX = "SYNTH-NOT-ELIGIBLE-"


@dataclass(frozen=True)
class _Row:
    """One ``provider_ranking`` row, reduced to what the planting needs."""

    provider_id: str
    unit_type: str | None
    attribution_type: str
    step: int
    amount: Decimal

    def ties(self, other: _Row) -> bool:
        """Same attribution type, step and allowed amount."""
        return (self.attribution_type, self.step, self.amount) == (
            other.attribution_type,
            other.step,
            other.amount,
        )


@dataclass
class _Run:
    """The run's rows for one year: our ACO assignments and each person's ranked rows."""

    assigned: dict[str, str]  # person → ACO (unit_type 'aco' winners)
    ranked: dict[str, list[_Row]]  # person → rows in rank order (every eligible person)

    def acos(self) -> set[str]:
        return set(self.assigned.values())


def _read(conn: sa.Connection, schema: str | None, year: int) -> _Run:
    y = output_tables.table(outputs.YEARLY, schema)
    r = output_tables.table(outputs.RANKING, schema)
    assigned = {
        str(p): str(a)
        for p, a in conn.execute(
            sa.select(y.c.person_id, y.c.provider_id).where(
                y.c.performance_year == year, y.c.unit_type == "aco"
            )
        )
    }
    query = (
        sa.select(r)
        .where(r.c.scope == "yearly", r.c.performance_year == year)
        .order_by(r.c.person_id, r.c.ranking)
    )
    ranked: dict[str, list[_Row]] = {}
    for row in conn.execute(query).mappings():
        ranked.setdefault(str(row["person_id"]), []).append(
            _Row(
                str(row["provider_id"]),
                row["unit_type"],
                str(row["attribution_type"]),
                int(row["step"]),
                Decimal(str(row["allowed_amount"] or 0)),
            )
        )
    if not ranked:
        raise ValueError(f"no provider_ranking rows for performance year {year}: run first")
    return _Run(assigned, ranked)


class _Picker:
    """Draws distinct people (seeded), never the same person for two reasons."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.used: set[str] = set()

    def take(self, pool: Iterable[str], n: int) -> list[str]:
        free = sorted(set(pool) - self.used)
        chosen = sorted(self.rng.sample(free, min(n, len(free))))
        self.used.update(chosen)
        return chosen


def _runner_up(run: _Run, person: str, acos: set[str]) -> tuple[_Row, _Row] | None:
    """(rank 1, rank 2) when both are ACOs of ``acos`` and different."""
    rows = run.ranked.get(person, [])
    if len(rows) < 2:
        return None
    first, second = rows[0], rows[1]
    if second.unit_type != "aco" or second.provider_id not in acos:
        return None
    return (first, second) if second.provider_id != first.provider_id else None


def _plant(run: _Run, per_reason: int, seed: int) -> tuple[dict[str, str], dict[str, set[str]]]:
    """The list (bene → ACO) and the planted bene ids per reason."""
    acos = run.acos()
    picker = _Picker(seed)
    members: dict[str, int] = {}
    for aco in run.assigned.values():
        members[aco] = members.get(aco, 0) + 1
    big = {a for a, n in members.items() if n > 10 * per_reason}
    listing = dict(run.assigned)
    planted: dict[str, set[str]] = {reason: set() for reason in REASONS}

    pairs = {p: _runner_up(run, p, acos) for p in run.assigned if run.assigned[p] in big}
    ties = [p for p, fs in pairs.items() if fs is not None and fs[0].ties(fs[1])]
    for person in picker.take(ties, per_reason):
        listing[person] = run.ranked[person][1].provider_id
        planted[TIE].add(person)
    winners = [p for p, fs in pairs.items() if fs is not None and not fs[0].ties(fs[1])]
    for person in picker.take(winners, per_reason):
        listing[person] = run.ranked[person][1].provider_id
        planted[DIFFERENT_WINNER].add(person)

    missing = {
        p: sorted(acos - {r.provider_id for r in rows if r.unit_type == "aco"})
        for p, rows in run.ranked.items()
        if run.assigned.get(p) in big | {None}
    }
    for person in picker.take([p for p, left in missing.items() if left], per_reason):
        listing[person] = picker.rng.choice(missing[person])
        planted[CLAIMS_MISSING].add(person)

    dropped = picker.take([p for p, a in run.assigned.items() if a in big], per_reason)
    for person in dropped:
        del listing[person]
        planted[NOT_ON_LIST].add(person)

    for i in range(per_reason):
        person = f"{UNKNOWN_PREFIX}{seed}-{i:04d}"
        listing[person] = picker.rng.choice(sorted(acos))
        planted[NOT_IN_ELIGIBLE].add(person)
    if set(listing.values()) != acos:
        raise ValueError("too few assigned beneficiaries to plant every reason")
    return listing, planted


def _write(conn: sa.Connection, target: AssignmentListTable, rows: list[dict[str, Any]]) -> None:
    columns: list[sa.Column[Any]] = [
        sa.Column(target.bene_id, sa.String(255)),
        sa.Column(target.aco_id, sa.String(255)),
        sa.Column(target.performance_year, sa.Integer()),
    ]
    if target.quarter is not None:
        columns.append(sa.Column(target.quarter, sa.Integer()))
    table = sa.Table(target.name, sa.MetaData(), *columns, schema=target.schema)
    if target.schema is not None and profile_for(conn.dialect.name).capabilities.schemas:
        conn.execute(sa.schema.CreateSchema(target.schema, if_not_exists=True))
    conn.execute(DropTableIfExists(table))
    table.create(conn)
    if rows:
        conn.execute(table.insert(), rows)


def plant_assignment_list(
    engine: sa.Engine,
    outputs_schema: str | None,
    target: AssignmentListTable,
    *,
    year: int,
    seed: int = 0,
    per_reason: int = 3,
    quarter: int | None = None,
) -> dict[str, set[str]]:
    """Write ``target`` (replacing it): CMS's list for ``year`` built from the run's ACO
    assignments, with up to ``per_reason`` planted disagreements of each reason.

    ``tie``: people whose rank-1 and rank-2 rows (two ACOs) tie, listed under rank 2 (none when
    the data has no such tie); ``different_plurality_winner``: rank 2 is another ACO, listed
    there; ``claims_missing_from_feed``: listed under an ACO without a candidate row for them;
    ``not_on_cms_list``: assigned by us, left off; ``not_in_eligible_population``: made-up ids
    (:data:`UNKNOWN_PREFIX`). The quarter column holds ``quarter`` (0: the annual list).
    Returns the planted bene ids per reason (every reason a key).
    """
    with engine.begin() as conn:
        run = _read(conn, outputs_schema, year)
        listing, planted = _plant(run, per_reason, seed)
        rows: list[dict[str, Any]] = []
        for bene, aco in sorted(listing.items()):
            row: dict[str, Any] = {
                target.bene_id: bene,
                target.aco_id: aco,
                target.performance_year: year,
            }
            if target.quarter is not None:
                row[target.quarter] = quarter if quarter is not None else 0
            rows.append(row)
        _write(conn, target, rows)
    return planted
