"""Pipeline stages written once to work tables, for engines that would recompute them.

A stage read by several outputs (or several times by one, as a shared CTE) is computed again
at each reference by an engine that inlines CTEs; written once to a work table it is computed
once. Which stages a run writes: :func:`stages_to_write` (every engine's :data:`WRITTEN_STAGES`
plus those its profile names). A run writes them through a
:class:`~provider_attribution.warehouse.staged_write.StagedWrite` (:func:`materialise`); the
printed SQL of ``emit/sqltext.py`` creates them with statements of its own (:func:`plan`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

import sqlalchemy as sa

from provider_attribution.engines.profile import EngineProfile
from provider_attribution.model.windows import ScopeKey
from provider_attribution.sql.compile import QueryBuilder
from provider_attribution.sql.stages import STAGES, upstream
from provider_attribution.warehouse.staged_write import StagedWrite

#: Stages every engine writes once: the checked lines, read by the ranking and the exclusions
#: (each would otherwise repeat the de-duplication and the line checks).
WRITTEN_STAGES = ("pa_checked",)

#: Writes one stage: (work table name, the stage's select) → the table now holding its rows.
WriteStage = Callable[[str, sa.Select[Any]], sa.Table]


def work_table_name(stage: str) -> str:
    """The work table holding stage ``stage`` (``pa_checked`` → ``attribution_checked__work``)."""
    return f"attribution_{stage.removeprefix('pa_')}__work"


def stages_to_write(profile: EngineProfile, builder: QueryBuilder | None = None) -> tuple[str, ...]:
    """The stages a run on ``profile``'s engine writes to work tables, in pipeline order;
    given the run's ``builder``, not those that only project the stage before them under its
    method (:meth:`~provider_attribution.sql.compile.QueryBuilder.projection_stages`)."""
    wanted = set(WRITTEN_STAGES) | profile.materialise
    if builder is not None:
        wanted -= builder.projection_stages()
    return tuple(stage.name for stage in STAGES if stage.name in wanted)


def plan(
    builder: QueryBuilder,
    keys: Sequence[ScopeKey],
    names: Collection[str],
    write_stage: WriteStage,
) -> dict[str, sa.Table]:
    """Write the stages ``names`` with ``write_stage`` in pipeline order, each select reading
    the tables written before it; returns stage name → table (for
    ``QueryBuilder.with_materialised``)."""
    upstream(list(names))  # unknown names raise here
    written: dict[str, sa.Table] = {}
    for stage in STAGES:
        if stage.name in names:
            select = builder.with_materialised(written).stage_select(stage.name, keys)
            written[stage.name] = write_stage(work_table_name(stage.name), select)
    return written


def materialise(
    write: StagedWrite,
    builder: QueryBuilder,
    keys: Sequence[ScopeKey],
    names: Collection[str],
) -> dict[str, sa.Table]:
    """Write the stages ``names`` to work tables of ``write`` (dropped when it ends)."""
    return plan(builder, keys, names, write.work_select)
