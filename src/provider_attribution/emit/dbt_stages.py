"""The run's SQL split into dbt models, one per pipeline stage.

Every output statement is one ``WITH`` chain (``sql/compile.py``); each named CTE becomes a
model of its own and each output a model without CTEs, all reading one another through
``ref()``. A CTE that several statements share must have the same SQL in all of them (else
:func:`split_stages` raises). :data:`STAGES` places each stage in ``staging`` (reads the
sources), ``intermediate`` or ``final`` (the outputs) and makes the small or once-read ones
ephemeral (dbt inlines them as CTEs); a stage not listed is an intermediate table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

STAGING, INTERMEDIATE, FINAL = "staging", "intermediate", "final"
TABLE, EPHEMERAL = "table", "ephemeral"


@dataclass(frozen=True)
class Stage:
    """Where a model goes and how dbt materialises it."""

    folder: str
    materialized: str


STAGES: dict[str, Stage] = {
    # staging: the sources, deduplicated and checked; the scope keys from the vars
    "pa_scope_keys": Stage(STAGING, TABLE),
    "pa_scopes": Stage(STAGING, EPHEMERAL),
    "pa_providers": Stage(STAGING, TABLE),
    "pa_claim_rows": Stage(STAGING, EPHEMERAL),
    "pa_checked": Stage(STAGING, TABLE),
    "pa_member_months": Stage(STAGING, EPHEMERAL),
    "pa_member_ranges": Stage(STAGING, EPHEMERAL),
    "pa_member_spans": Stage(STAGING, TABLE),
    "pa_deaths": Stage(STAGING, EPHEMERAL),
    "pa_enrollment_months": Stage(STAGING, EPHEMERAL),
    # intermediate: the scan, the metrics, the candidates
    "pa_facts": Stage(INTERMEDIATE, TABLE),
    "pa_metrics": Stage(INTERMEDIATE, TABLE),
    "pa_units": Stage(INTERMEDIATE, TABLE),
    "pa_top_npi": Stage(INTERMEDIATE, EPHEMERAL),
    "pa_population": Stage(INTERMEDIATE, EPHEMERAL),
    "pa_enrollment_flags": Stage(INTERMEDIATE, EPHEMERAL),
    "pa_person_reasons": Stage(INTERMEDIATE, TABLE),
    "pa_eligible": Stage(INTERMEDIATE, EPHEMERAL),
    "pa_paths": Stage(INTERMEDIATE, EPHEMERAL),
    "pa_ranked": Stage(INTERMEDIATE, TABLE),
    "pa_line_status": Stage(INTERMEDIATE, EPHEMERAL),
    "pa_status_groups": Stage(INTERMEDIATE, EPHEMERAL),
}
_DEFAULT = Stage(INTERMEDIATE, TABLE)
_OUTPUT = Stage(FINAL, TABLE)


def stage_of(name: str, outputs: Mapping[str, object]) -> Stage:
    """The stage of model ``name``: final for an output, else :data:`STAGES`' entry."""
    if name in outputs:
        return _OUTPUT
    return STAGES.get(name, _DEFAULT)


def split_stages(texts: Mapping[str, str], dialect: str) -> dict[str, exp.Expression]:
    """Model name → its query (no ``WITH``): each CTE of the statements ``texts`` (output →
    SELECT text in sqlglot ``dialect``) once, in order of first appearance, then the outputs.

    ValueError when a CTE name has different SQL in two statements, or names an output."""
    stages: dict[str, exp.Expression] = {}
    seen_in: dict[str, str] = {}
    finals: dict[str, exp.Expression] = {}
    for output, text in texts.items():
        tree = sqlglot.parse_one(text, read=dialect)
        assert isinstance(tree, exp.Expression)
        with_ = tree.args.get("with_")
        if with_ is not None:
            for cte in with_.expressions:
                name, body = cte.alias, cte.this
                if name in texts:
                    raise ValueError(f"CTE {name!r} of {output} is named like an output")
                known = stages.get(name)
                if known is None:
                    stages[name] = body
                    seen_in[name] = output
                elif known.sql(dialect=dialect) != body.sql(dialect=dialect):
                    raise ValueError(
                        f"CTE {name!r} differs between {seen_in[name]} and {output}: one model "
                        "cannot stand for both"
                    )
            tree.set("with_", None)
        finals[output] = tree
    return {**stages, **finals}
