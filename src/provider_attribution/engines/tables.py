"""The user's input tables as typed SQLAlchemy table clauses, named by an :class:`Inputs`."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from provider_attribution.engines import expressions
from provider_attribution.model.inputs import (
    EligibilityTable,
    EnrollmentTable,
    Inputs,
    NpiListTable,
    RosterTable,
    SelectionTable,
)


def _cols(*pairs: tuple[str | None, Any]) -> list[sa.ColumnClause[Any]]:
    return [sa.column(name, type_) for name, type_ in pairs if name is not None]


def claims(inputs: Inputs) -> sa.TableClause:
    """Claim lines."""
    c = inputs.claims
    cols = _cols(
        (c.person_id, sa.String),
        (c.claim_id, sa.String),
        (c.claim_line_number, sa.Integer),
        (c.rendering_npi, sa.String),
        (c.hcpcs_code, sa.String),
        (c.claim_start_date, sa.Date),
        (c.claim_end_date, sa.Date),
        (c.allowed_amount, sa.Numeric(18, 2)),
        (c.paid_amount, sa.Numeric(18, 2)),
        (c.encounter_id, sa.String),
        (c.tin, sa.String),
        (c.revenue_center_code, sa.String),
        (c.attending_npi, sa.String),
        (c.place_of_service, sa.String),
        (c.bill_type, sa.String),
    )
    return sa.table(c.name, *cols, schema=c.schema)


def eligibility(inputs: Inputs) -> sa.TableClause:
    """Member months."""
    e = inputs.eligibility
    cols = _cols((e.person_id, sa.String), (e.year_month, sa.String), (e.month_start, sa.Date))
    return sa.table(e.name, *cols, schema=e.schema)


def providers(inputs: Inputs) -> sa.TableClause:
    """Provider directory."""
    p = inputs.providers
    cols = _cols(
        (p.npi, sa.String),
        (p.classification, sa.String),
        (p.entity_type, sa.String),
        (p.specialty_description, sa.String),
    )
    return sa.table(p.name, *cols, schema=p.schema)


def roster(spec: RosterTable) -> sa.TableClause:
    """ACO participant roster."""
    cols = _cols(
        (spec.npi, sa.String),
        (spec.tin, sa.String),
        (spec.aco_id, sa.String),
        (spec.start_date, sa.Date),
        (spec.end_date, sa.Date),
        (spec.performance_year, sa.Integer),
    )
    return sa.table(spec.name, *cols, schema=spec.schema)


def npi_list(spec: NpiListTable) -> sa.TableClause:
    """A list of NPIs."""
    return sa.table(spec.name, *_cols((spec.npi, sa.String)), schema=spec.schema)


def selections(spec: SelectionTable) -> sa.TableClause:
    """Self-selections or geographic assignments."""
    cols = _cols(
        (spec.person_id, sa.String),
        (spec.npi, sa.String),
        (spec.effective_date, sa.Date),
        (spec.end_date, sa.Date),
    )
    return sa.table(spec.name, *cols, schema=spec.schema)


def enrollment(spec: EnrollmentTable) -> sa.TableClause:
    """Medicare enrollment by month (flags untyped: boolean, integer or text)."""
    cols = _cols(
        (spec.person_id, sa.String),
        (spec.year_month, sa.String),
        (spec.month_start, sa.Date),
        (spec.part_a, None),
        (spec.part_b, None),
        (spec.managed_care, None),
        (spec.outside_us, None),
        (spec.other_initiative, None),
        (spec.death_date, sa.Date),
    )
    return sa.table(spec.name, *cols, schema=spec.schema)


def month_key_of(
    src: sa.FromClause, spec: EligibilityTable | EnrollmentTable
) -> sa.ColumnElement[int]:
    """``YYYYMM`` of each row of a monthly input ``spec`` read as ``src``: its ``year_month``
    (text or integer), else the month of its ``month_start``."""
    if spec.year_month is not None:
        return expressions.text_month_key(src.c[spec.year_month])
    assert spec.month_start is not None
    return expressions.month_key(src.c[spec.month_start])
