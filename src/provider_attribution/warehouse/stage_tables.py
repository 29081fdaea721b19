"""Pipeline stages written once to work tables, for engines that would recompute them.

A stage read by several outputs (or several times by one, as a shared CTE) is computed again
at each reference by an engine that inlines CTEs; written once to a work table it is computed
once. Work tables live in the target schema under :func:`work_table_name`, are replaced by the
next run, and are dropped after the outputs are swapped in.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import sqlalchemy as sa

from provider_attribution.engines.dialects import DropTableIfExists, write_select_table
from provider_attribution.model.windows import ScopeKey
from provider_attribution.sql.compile import QueryBuilder
from provider_attribution.sql.stages import STAGES, upstream


def work_table_name(stage: str) -> str:
    """The work table holding stage ``stage`` (``pa_checked`` → ``attribution_checked__work``)."""
    return f"attribution_{stage.removeprefix('pa_')}__work"


def materialise(
    conn: sa.Connection,
    builder: QueryBuilder,
    keys: Sequence[ScopeKey],
    names: Collection[str],
    schema: str | None,
) -> dict[str, sa.Table]:
    """Write the stages ``names`` to work tables in pipeline order, each read by the next;
    returns stage name → table (give it to ``QueryBuilder(materialised=...)``)."""
    upstream(list(names))  # unknown names raise here
    written: dict[str, sa.Table] = {}
    for stage in STAGES:
        if stage.name in names:
            select = builder.with_materialised(written).stage_select(stage.name, keys)
            written[stage.name] = write_select_table(
                conn, work_table_name(stage.name), schema, select
            )
    return written


def drop(conn: sa.Connection, tables: dict[str, sa.Table]) -> None:
    """Drop the work tables ``tables`` (after the swap)."""
    for table in tables.values():
        conn.execute(DropTableIfExists(table))
