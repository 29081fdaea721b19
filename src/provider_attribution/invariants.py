"""Cheap SQL assertions every run checks on its staged outputs before swapping them in.

1. One assigned row per attribution_key (an eligible person and scope key).
2. Every ranking row's attribution_key has an assigned row, and every assigned row is the
   ranking-1 row of its key: no orphans either way.
3. Rankings per key are exactly 1..n.
4. When the exclusions table and the claims input are given: its 16 statuses account for every
   claims row, once.

A violation raises :class:`InvariantError` inside the run's transaction, so the previous outputs
stay in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from provider_attribution import outputs
from provider_attribution.exclusions import REASONS


class InvariantError(RuntimeError):
    """The computed outputs break an invariant: a bug, reported instead of written."""


def _count(conn: sa.Connection, query: sa.Select[Any]) -> int:
    return int(conn.execute(query).scalar_one())


def violations(
    conn: sa.Connection,
    tables: Mapping[str, sa.Table],
    claims: sa.FromClause | None = None,
) -> list[str]:
    """Descriptions of every broken invariant (empty when all hold)."""
    ranking = tables[outputs.RANKING]
    assigned = [tables[outputs.CURRENT], tables[outputs.YEARLY]]
    problems = []
    for table in assigned:
        rows = _count(conn, sa.select(sa.func.count()).select_from(table))
        keys = _count(conn, sa.select(sa.func.count(sa.distinct(table.c.attribution_key))))
        if rows != keys:
            problems.append(f"{table.name}: {rows} rows for {keys} attribution keys")
    every_assigned = sa.union_all(*(sa.select(t.c.attribution_key) for t in assigned)).subquery()
    orphans = _count(
        conn,
        sa.select(sa.func.count())
        .select_from(ranking)
        # NOT EXISTS, not NOT IN: PostgreSQL runs NOT IN over a subquery larger than work_mem
        # as a nested scan per row (minutes at millions of rows); NOT EXISTS is an anti join.
        .where(~sa.exists().where(every_assigned.c.attribution_key == ranking.c.attribution_key)),
    )
    if orphans:
        problems.append(f"{ranking.name}: {orphans} rows whose attribution_key is not assigned")
    top_rows = _count(
        conn, sa.select(sa.func.count()).select_from(ranking).where(ranking.c.ranking == 1)
    )
    assigned_rows = sum(_count(conn, sa.select(sa.func.count()).select_from(t)) for t in assigned)
    if top_rows != assigned_rows:
        problems.append(f"{ranking.name}: {top_rows} ranking-1 rows for {assigned_rows} assigned")
    per_key = (
        sa.select(
            sa.func.min(ranking.c.ranking).label("low"),
            sa.func.max(ranking.c.ranking).label("high"),
            sa.func.count().label("n"),
            sa.func.count(sa.distinct(ranking.c.ranking)).label("distinct_ranks"),
        )
        .group_by(ranking.c.attribution_key)
        .subquery()
    )
    gaps = _count(
        conn,
        sa.select(sa.func.count())
        .select_from(per_key)
        .where(
            sa.or_(
                per_key.c.low != 1,
                per_key.c.high != per_key.c.n,
                per_key.c.distinct_ranks != per_key.c.n,
            )
        ),
    )
    if gaps:
        problems.append(f"{ranking.name}: {gaps} attribution keys whose ranks are not 1..n")
    exclusions = tables.get(outputs.EXCLUSIONS)
    if exclusions is not None and claims is not None:
        counted = _count(conn, sa.select(sa.func.coalesce(sa.func.sum(exclusions.c.lines), 0)))
        rows = _count(conn, sa.select(sa.func.count()).select_from(claims))
        reasons = _count(conn, sa.select(sa.func.count()).select_from(exclusions))
        if counted != rows or reasons != len(REASONS):
            problems.append(
                f"{exclusions.name}: {counted} lines in {reasons} statuses for {rows} claims rows"
            )
    return problems


def check(
    conn: sa.Connection,
    tables: Mapping[str, sa.Table],
    claims: sa.FromClause | None = None,
) -> None:
    """Raise :class:`InvariantError` listing every broken invariant."""
    problems = violations(conn, tables, claims)
    if problems:
        raise InvariantError("attribution outputs break invariants: " + "; ".join(problems))
