"""Pipeline stages written once to work tables, for engines that would recompute them.

A stage read by several outputs (or several times by one, as a shared CTE) is computed again
at each reference by an engine that inlines CTEs; written once to a work table it is computed
once. Work tables belong to a :class:`~provider_attribution.warehouse.staged_write.StagedWrite`
(in its schema, named by :func:`work_table_name`), which drops them when the write ends.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import sqlalchemy as sa

from provider_attribution.model.windows import ScopeKey
from provider_attribution.sql.compile import QueryBuilder
from provider_attribution.sql.stages import STAGES, upstream
from provider_attribution.warehouse.staged_write import StagedWrite


def work_table_name(stage: str) -> str:
    """The work table holding stage ``stage`` (``pa_checked`` → ``attribution_checked__work``)."""
    return f"attribution_{stage.removeprefix('pa_')}__work"


def materialise(
    write: StagedWrite,
    builder: QueryBuilder,
    keys: Sequence[ScopeKey],
    names: Collection[str],
) -> dict[str, sa.Table]:
    """Write the stages ``names`` to work tables of ``write`` in pipeline order, each read by
    the next; returns stage name → table (for ``QueryBuilder.with_materialised``)."""
    upstream(list(names))  # unknown names raise here
    written: dict[str, sa.Table] = {}
    for stage in STAGES:
        if stage.name in names:
            select = builder.with_materialised(written).stage_select(stage.name, keys)
            written[stage.name] = write.work_select(work_table_name(stage.name), select)
    return written
