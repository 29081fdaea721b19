"""Cheap SQL assertions every run checks on its staged outputs before swapping them in.

1. One assigned row per attribution_key (an eligible person and scope key).
2. Every ranking row's attribution_key has an assigned row, and every assigned row is the
   ranking-1 row of its key: no orphans either way.
3. Rankings per key are exactly 1..n.
4. When the exclusions table and the claims input are given: its 16 statuses account for every
   claims row, once.
5. When the beneficiary exclusions table is given: six reasons per scope key, and its
   ``not_excluded`` beneficiaries are the assigned rows.

A violation raises :class:`InvariantError` inside the run's transaction, so the previous outputs
stay in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from provider_attribution.model import outputs
from provider_attribution.sql.enrollment import REASONS as BENEFICIARY_REASONS
from provider_attribution.sql.exclusions import REASONS


class InvariantError(RuntimeError):
    """The computed outputs break an invariant: a bug, reported instead of written."""


def _count(conn: sa.Connection, query: sa.Select[Any]) -> int:
    return int(conn.execute(query).scalar_one())


def violations(
    conn: sa.Connection,
    tables: Mapping[str, sa.Table],
    claims: sa.FromClause | None = None,
    scope_keys: int | None = None,
) -> list[str]:
    """Descriptions of every broken invariant (empty when all hold); ``scope_keys``: the number
    of scope keys of the run."""
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
    # n ranks from 1 to n with none repeated are exactly 1..n; two plain group-bys, not a
    # count(DISTINCT) per key (which DuckDB plans as a second aggregate of every row), and a
    # key failing both counted once (UNION)
    key = ranking.c.attribution_key
    out_of_range = (
        sa.select(key)
        .group_by(key)
        .having(
            sa.or_(
                sa.func.min(ranking.c.ranking) != 1,
                sa.func.max(ranking.c.ranking) != sa.func.count(),
            )
        )
    )
    repeated = sa.select(key).group_by(key, ranking.c.ranking).having(sa.func.count() > 1)
    bad_keys = sa.union(out_of_range, repeated).subquery()
    gaps = _count(conn, sa.select(sa.func.count()).select_from(bad_keys))
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
    beneficiaries = tables.get(outputs.BENEFICIARY_EXCLUSIONS)
    if beneficiaries is not None:
        problems += _beneficiary_problems(conn, beneficiaries, assigned_rows, scope_keys)
    return problems


def _beneficiary_problems(
    conn: sa.Connection, table: sa.Table, assigned_rows: int, scope_keys: int | None
) -> list[str]:
    rows = _count(conn, sa.select(sa.func.count()).select_from(table))
    kept = _count(
        conn,
        sa.select(sa.func.coalesce(sa.func.sum(table.c.beneficiaries), 0)).where(
            table.c.reason == "not_excluded"
        ),
    )
    problems = []
    if scope_keys is not None and rows != scope_keys * len(BENEFICIARY_REASONS):
        problems.append(f"{table.name}: {rows} rows for {scope_keys} scope keys")
    if kept != assigned_rows:
        problems.append(f"{table.name}: {kept} not excluded for {assigned_rows} assigned rows")
    return problems


def check(
    conn: sa.Connection,
    tables: Mapping[str, sa.Table],
    claims: sa.FromClause | None = None,
    scope_keys: int | None = None,
) -> None:
    """Raise :class:`InvariantError` listing every broken invariant."""
    problems = violations(conn, tables, claims, scope_keys)
    if problems:
        raise InvariantError("attribution outputs break invariants: " + "; ".join(problems))
