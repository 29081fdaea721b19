"""Reconcile the computed ACO assignment with CMS's assignment list (QALR / AALR).

:func:`reconcile` compares, inside the database, the beneficiaries CMS lists for a performance
year (and quarter) with ``assigned_beneficiaries_yearly`` of the same year, and classifies each
disagreement from ``provider_ranking`` (``scope = 'yearly'``, same year). Only counts and the
(small) disagreement list reach Python; every row can be written to a ``reconciliation`` table.

Definitions, for performance year ``Y`` and quarter ``Q`` (ids compared as text):

* The list: distinct (beneficiary, ACO) pairs of the list table with year ``Y`` and quarter
  ``Q`` (annual list: quarter null or 0; a table without a quarter column: every row of
  ``Y``). A beneficiary listed under two ACOs is an error. ``L`` = the ACO ids on the list.
* Ours: beneficiaries whose ``assigned_beneficiaries_yearly`` row for ``Y`` has
  ``unit_type = 'aco'`` and a ``provider_id`` in ``L``.
* Beneficiaries (``U``): the union of the list's beneficiaries and ours; one reconciliation
  row each.
* Agreement: CMS lists the beneficiary under ACO ``X`` and our row for ``Y`` assigns them to
  ACO ``X`` (``unit_type = 'aco'``, ``provider_id = X``).
* Agreement rate: agreements / |U|, a Decimal rounded half up to 4 places (0 for empty U).

Every other beneficiary of ``U`` gets the first reason that applies, in this order (``X`` is
CMS's ACO, "candidate row" the best-ranked ``provider_ranking`` row of ``X`` with
``unit_type = 'aco'`` for the beneficiary and ``Y``):

``not_in_eligible_population``
    On the list, but no ``assigned_beneficiaries_yearly`` row for ``Y`` (not in our eligible
    population). Detail ``in_outputs_other_years`` when they have rows for other years.
``not_on_cms_list``
    Ours, but not on the list. Detail ``self_selection`` when our assignment came from a
    self-selection, ``tie`` when our rank-2 row (another unit) has the same attribution type,
    step and allowed amount as our winner, else null (CMS's reasons are not in our data).
``claims_missing_from_feed``
    On the list under ``X`` and no candidate row for ``X``: CMS saw claims the feed lacks.
    Detail ``no_candidates`` (we have no candidates at all: the fallback) or
    ``other_candidates`` (we credited other units only).
``tie``
    The candidate row for ``X`` has the same attribution type, step and allowed amount as our
    winner: the deterministic tie-breaker decided. Detail ``last_service_date`` when the last
    service dates differ, else ``provider_id``.
``different_plurality_winner``
    We have a candidate row for ``X`` but our winner (another ACO, a TIN or an NPI) ranks
    before it. Detail: ``path`` (different attribution types, e.g. a self-selection before
    claims), ``earlier_step`` or ``larger_amount``.

Amounts: ``our_amount`` is our winner's ``allowed_amount`` (its rank-1 row, at its step; null
for the fallback), ``cms_aco_amount`` the candidate row's ``allowed_amount`` (at its step,
``cms_aco_step``); null without a candidate row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa

from provider_attribution.engines import output_tables
from provider_attribution.engines.catalog import has_table
from provider_attribution.engines.expressions import binary_id
from provider_attribution.model import outputs
from provider_attribution.warehouse.staged_write import StagedWrite

TABLE = "reconciliation"
AGREE = "agree"
NOT_IN_ELIGIBLE = "not_in_eligible_population"
DIFFERENT_WINNER = "different_plurality_winner"
TIE = "tie"
CLAIMS_MISSING = "claims_missing_from_feed"
NOT_ON_LIST = "not_on_cms_list"
#: Disagreement reasons in the order they are tested (``agree`` comes first of all).
REASONS = (NOT_IN_ELIGIBLE, NOT_ON_LIST, CLAIMS_MISSING, TIE, DIFFERENT_WINNER)
_ORDER = {reason: i for i, reason in enumerate(REASONS)}

_ID = sa.String(255)
_MONEY = sa.Numeric(18, 2)
_PLACES = Decimal("0.0001")

#: Columns of the ``reconciliation`` table: (name, type, meaning).
COLUMNS: tuple[tuple[str, sa.types.TypeEngine[Any], str], ...] = (
    ("performance_year", sa.Integer(), "Performance year compared"),
    ("quarter", sa.Integer(), "Quarter of the list (QALR); null for the annual list"),
    ("bene", _ID, "Beneficiary id (the list's bene id, our person_id)"),
    ("cms_aco", _ID, "ACO CMS lists the beneficiary under; null if not on the list"),
    ("our_provider", _ID, "Our assigned unit (ACO id, TIN, NPI, fallback id); null if absent"),
    ("our_unit_type", sa.String(8), "aco, tin or npi; null for the fallback or absent"),
    ("our_attribution_type", sa.String(16), "claims, self_selection, ... of our assignment"),
    ("our_step", sa.Integer(), "Step of our assignment"),
    ("our_amount", _MONEY, "Allowed amount of our winner at its step"),
    ("cms_aco_step", sa.Integer(), "Step of our candidate row for the CMS ACO"),
    ("cms_aco_amount", _MONEY, "Allowed amount we computed for the CMS ACO at that step"),
    ("reason", sa.String(32), "agree or one of the disagreement reasons"),
    ("detail", sa.String(32), "Sub-reason when it can be told, else null"),
)


class ReconcileError(ValueError):
    """A missing table or column, or nothing to compare."""


@dataclass(frozen=True)
class AssignmentListTable:
    """CMS's assignment list (QALR / AALR rows): one row per beneficiary, ACO and list.

    ``quarter`` names the quarter column (null or 0 marks the annual list); ``None`` when the
    table has no such column (every row of the year is then the annual list).
    """

    name: str
    schema: str | None = None
    bene_id: str = "BENE_MBI_ID"
    aco_id: str = "ACO_ID"
    performance_year: str = "PERFORMANCE_YEAR"
    quarter: str | None = "QUARTER"

    @classmethod
    def parse(cls, qualified: str, **columns: Any) -> AssignmentListTable:
        """From ``table`` or ``schema.table`` (the last dot separates), with column overrides."""
        schema, _, name = qualified.rpartition(".")
        return cls(name, schema or None, **columns)

    @property
    def label(self) -> str:
        """``schema.name`` or ``name``."""
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def roles(self) -> dict[str, str]:
        """What each configured column holds, keyed by column name."""
        found = {
            self.bene_id: "beneficiary id",
            self.aco_id: "ACO id",
            self.performance_year: "performance year",
        }
        if self.quarter is not None:
            found[self.quarter] = "quarter"
        return found


@dataclass(frozen=True)
class Disagreement:
    """One beneficiary on which the list and our assignment differ."""

    bene: str
    cms_aco: str | None
    our_provider: str | None
    our_unit_type: str | None
    reason: str
    detail: str | None
    our_step: int | None
    our_amount: Decimal | None
    cms_aco_step: int | None
    cms_aco_amount: Decimal | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: money as text."""
        return {k: str(v) if isinstance(v, Decimal) else v for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Reconciliation:
    """Counts of a reconciliation, the agreement rate and the first disagreements."""

    year: int
    quarter: int | None
    acos: tuple[str, ...]
    list_beneficiaries: int
    our_beneficiaries: int
    beneficiaries: int
    agreements: int
    by_reason: dict[str, int]
    disagreements: tuple[Disagreement, ...] = ()
    table: str | None = None
    by_detail: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def disagreement_count(self) -> int:
        """Beneficiaries of the union that do not agree."""
        return self.beneficiaries - self.agreements

    @property
    def agreement_rate(self) -> Decimal:
        """agreements / beneficiaries, 4 places (0 when nothing is compared)."""
        if not self.beneficiaries:
            return Decimal("0").quantize(_PLACES)
        rate = Decimal(self.agreements) / Decimal(self.beneficiaries)
        return rate.quantize(_PLACES, ROUND_HALF_UP)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "performance_year": self.year,
            "quarter": self.quarter,
            "acos": list(self.acos),
            "list_beneficiaries": self.list_beneficiaries,
            "our_beneficiaries": self.our_beneficiaries,
            "beneficiaries": self.beneficiaries,
            "agreements": self.agreements,
            "disagreements_total": self.disagreement_count,
            "agreement_rate": str(self.agreement_rate),
            "by_reason": self.by_reason,
            "by_detail": self.by_detail,
            "table": self.table,
            "disagreements": [d.to_dict() for d in self.disagreements],
        }


# -- checks ---------------------------------------------------------------------------------------


def _list_columns(conn: sa.Connection, listing: AssignmentListTable) -> dict[str, str]:
    """Configured column name → the table's actual spelling; errors name table and column."""
    inspector = sa.inspect(conn)
    if not has_table(conn, listing.name, listing.schema):
        raise ReconcileError(f"assignment list table {listing.label} does not exist")
    actual = {
        str(c["name"]).lower(): str(c["name"])
        for c in inspector.get_columns(listing.name, schema=listing.schema)
    }
    resolved: dict[str, str] = {}
    for column, role in listing.roles().items():
        if column.lower() not in actual:
            hint = " (pass quarter=None / --quarter-column '' if it has none)"
            raise ReconcileError(
                f"assignment list table {listing.label} has no column {column!r} ({role})"
                + (hint if role == "quarter" else "")
                + f"; its columns: {', '.join(sorted(actual.values()))}"
            )
        resolved[column] = actual[column.lower()]
    return resolved


def _output_tables(conn: sa.Connection, schema: str | None) -> tuple[sa.Table, sa.Table]:
    """``assigned_beneficiaries_yearly`` and ``provider_ranking``, which must exist."""
    for name in (outputs.YEARLY, outputs.RANKING):
        if not has_table(conn, name, schema):
            where = f"{schema}.{name}" if schema else name
            raise ReconcileError(f"no output table {where}: run an attribution first")
    return output_tables.table(outputs.YEARLY, schema), output_tables.table(outputs.RANKING, schema)


def _require_year(conn: sa.Connection, yearly: sa.Table, year: int) -> None:
    count = conn.execute(
        sa.select(sa.func.count()).where(yearly.c.performance_year == year)
    ).scalar_one()
    if count:
        return
    years = conn.execute(sa.select(yearly.c.performance_year).distinct()).scalars().all()
    known = ", ".join(str(y) for y in sorted(int(y) for y in years if y is not None)) or "none"
    raise ReconcileError(
        f"{_label(yearly)} has no rows for performance year {year} (years present: {known})"
    )


def _label(t: sa.Table) -> str:
    return f"{t.schema}.{t.name}" if t.schema else t.name


# -- the comparison -------------------------------------------------------------------------------


def _list_pairs(
    listing: AssignmentListTable, cols: Mapping[str, str], year: int, quarter: int | None
) -> sa.Subquery:
    """Distinct (bene, cms_aco) of the list for the year and quarter (ids as text)."""
    bene, aco, py = (cols[c] for c in (listing.bene_id, listing.aco_id, listing.performance_year))
    names = [bene, aco, py] + ([cols[listing.quarter]] if listing.quarter is not None else [])
    t = sa.table(listing.name, *(sa.column(n) for n in names), schema=listing.schema)
    where = [
        sa.cast(t.c[py], sa.Integer) == year,
        t.c[bene].is_not(None),
        t.c[aco].is_not(None),
    ]
    if listing.quarter is not None:
        q = sa.cast(t.c[cols[listing.quarter]], sa.Integer)
        where.append(sa.or_(q.is_(None), q == 0) if quarter is None else q == quarter)
    return (
        sa.select(
            binary_id(sa.cast(t.c[bene], _ID)).label("bene"),
            binary_id(sa.cast(t.c[aco], _ID)).label("cms_aco"),
        )
        .where(*where)
        .distinct()
        .subquery("cms")
    )


def _check_list(
    conn: sa.Connection, cms: sa.Subquery, listing: AssignmentListTable, year: int, q: int | None
) -> None:
    """The list must have rows for the year/quarter and name each beneficiary once."""
    what = f"{listing.performance_year} = {year}"
    if listing.quarter is not None:
        wanted = "null or 0 (annual list)" if q is None else f"= {q}"
        what += f" and {listing.quarter} {wanted}"
    if not conn.execute(sa.select(sa.func.count()).select_from(cms)).scalar_one():
        raise ReconcileError(f"assignment list table {listing.label} has no rows with {what}")
    twice = (
        sa.select(cms.c.bene)
        .group_by(cms.c.bene)
        .having(sa.func.count() > 1)
        .order_by(cms.c.bene)
        .limit(5)
    )
    dupes = conn.execute(twice).scalars().all()
    if dupes:
        raise ReconcileError(
            f"assignment list table {listing.label} lists beneficiaries under more than one "
            f"ACO for {what}: {', '.join(map(str, dupes))}"
        )


def _yearly_rows(yearly: sa.Table, year: int) -> sa.Subquery:
    return sa.select(yearly).where(yearly.c.performance_year == year).subquery("ours")


def _ranking_rows(ranking: sa.Table, year: int, name: str, *where: Any) -> sa.Subquery:
    rows = sa.select(ranking).where(
        ranking.c.scope == "yearly", ranking.c.performance_year == year, *where
    )
    return rows.subquery(name)


def _best_aco_rows(ranking: sa.Table, year: int) -> sa.Subquery:
    """Each person's best-ranked row per ACO (an ACO can have a self-selection and a claims
    row for the same person)."""
    aco = (ranking.c.scope == "yearly", ranking.c.performance_year == year)
    best = (
        sa.select(
            ranking.c.person_id, ranking.c.provider_id, sa.func.min(ranking.c.ranking).label("top")
        )
        .where(*aco, ranking.c.unit_type == "aco")
        .group_by(ranking.c.person_id, ranking.c.provider_id)
        .subquery("best")
    )
    on = sa.and_(
        best.c.person_id == ranking.c.person_id,
        best.c.provider_id == ranking.c.provider_id,
        best.c.top == ranking.c.ranking,
    )
    return sa.select(ranking).join(best, on).where(*aco).subquery("cand")


def comparison(
    listing: AssignmentListTable,
    yearly: sa.Table,
    ranking: sa.Table,
    *,
    year: int,
    quarter: int | None = None,
    cols: Mapping[str, str] | None = None,
) -> sa.Select[Any]:
    """The reconciliation rows (:data:`COLUMNS`) as one SELECT: one row per beneficiary.

    ``cols`` maps the list's configured column names to their spelling in the table (default:
    as configured)."""
    cols = cols if cols is not None else {c: c for c in listing.roles()}
    cms = _list_pairs(listing, cols, year, quarter)
    ours = _yearly_rows(yearly, year)
    acos = sa.select(cms.c.cms_aco)
    in_scope = sa.and_(ours.c.unit_type == "aco", ours.c.provider_id.in_(acos))
    benes = sa.union(
        sa.select(cms.c.bene), sa.select(ours.c.person_id.label("bene")).where(in_scope)
    ).subquery("benes")
    cand = _best_aco_rows(ranking, year)
    second = _ranking_rows(ranking, year, "runner_up", ranking.c.ranking == 2)
    joined = (
        benes.outerjoin(cms, cms.c.bene == benes.c.bene)
        .outerjoin(ours, ours.c.person_id == benes.c.bene)
        .outerjoin(
            cand, sa.and_(cand.c.person_id == benes.c.bene, cand.c.provider_id == cms.c.cms_aco)
        )
        .outerjoin(second, second.c.person_id == benes.c.bene)
    )
    reason, detail = _classify(cms, ours, cand, second, yearly, year, benes.c.bene)
    fallback = ours.c.attribution_type == "none"
    return sa.select(
        sa.cast(sa.literal(year), sa.Integer).label("performance_year"),
        sa.cast(sa.literal(quarter) if quarter is not None else sa.null(), sa.Integer).label(
            "quarter"
        ),
        benes.c.bene,
        cms.c.cms_aco,
        ours.c.provider_id.label("our_provider"),
        ours.c.unit_type.label("our_unit_type"),
        ours.c.attribution_type.label("our_attribution_type"),
        ours.c.assigned_step.label("our_step"),
        sa.case((fallback, sa.null()), else_=ours.c.allowed_amount).label("our_amount"),
        cand.c.step.label("cms_aco_step"),
        cand.c.allowed_amount.label("cms_aco_amount"),
        reason.label("reason"),
        detail.label("detail"),
    ).select_from(joined)


def _classify(
    cms: sa.Subquery,
    ours: sa.Subquery,
    cand: sa.Subquery,
    second: sa.Subquery,
    yearly: sa.Table,
    year: int,
    bene: sa.ColumnElement[Any],
) -> tuple[sa.ColumnElement[str], sa.ColumnElement[Any]]:
    """The reason CASE (first match wins, see the module docstring) and its detail CASE."""
    agree = sa.and_(
        cms.c.cms_aco.is_not(None),
        ours.c.unit_type == "aco",
        ours.c.provider_id == cms.c.cms_aco,
    )
    absent = ours.c.person_id.is_(None)
    off_list = cms.c.cms_aco.is_(None)
    no_candidate = cand.c.person_id.is_(None)
    tie = sa.and_(
        cand.c.attribution_type == ours.c.attribution_type,
        cand.c.step == ours.c.assigned_step,
        cand.c.allowed_amount == ours.c.allowed_amount,
    )
    reason = sa.case(
        (agree, AGREE),
        (absent, NOT_IN_ELIGIBLE),
        (off_list, NOT_ON_LIST),
        (no_candidate, CLAIMS_MISSING),
        (tie, TIE),
        else_=DIFFERENT_WINNER,
    )
    y2 = yearly.alias("other_years")
    elsewhere = sa.exists().where(y2.c.person_id == bene, y2.c.performance_year != year)
    runner_up_ties = sa.and_(
        second.c.provider_id != ours.c.provider_id,
        second.c.attribution_type == ours.c.attribution_type,
        second.c.step == ours.c.assigned_step,
        second.c.allowed_amount == ours.c.allowed_amount,
    )
    null = sa.null()
    detail = sa.case(
        (agree, null),
        (absent, sa.case((elsewhere, "in_outputs_other_years"), else_=null)),
        (
            off_list,
            sa.case(
                (ours.c.attribution_type == "self_selection", "self_selection"),
                (runner_up_ties, "tie"),
                else_=null,
            ),
        ),
        (
            no_candidate,
            sa.case((ours.c.attribution_type == "none", "no_candidates"), else_="other_candidates"),
        ),
        (
            tie,
            sa.case(
                (ours.c.last_service_date != cand.c.last_service_date, "last_service_date"),
                else_="provider_id",
            ),
        ),
        (cand.c.attribution_type != ours.c.attribution_type, "path"),
        (cand.c.step != ours.c.assigned_step, "earlier_step"),
        else_="larger_amount",
    )
    return reason, detail


# -- writing and reading --------------------------------------------------------------------------


def result_table(schema: str | None, metadata: sa.MetaData | None = None) -> sa.Table:
    """The ``reconciliation`` table in ``schema``."""
    return sa.Table(
        TABLE,
        metadata or sa.MetaData(),
        *(sa.Column(name, type_) for name, type_, _ in COLUMNS),
        schema=schema,
    )


def _write(conn: sa.Connection, select: sa.Select[Any], schema: str) -> sa.Table:
    """Write under a staging name, then swap in (atomic where the engine allows)."""
    with StagedWrite(conn, schema) as write:
        staging = write.table(result_table(schema))
        conn.execute(staging.insert().from_select([name for name, _, _ in COLUMNS], select))
    return write.final[TABLE]


def _counts(conn: sa.Connection, rows: sa.FromClause) -> tuple[int, int, int, int]:
    """(beneficiaries, on the list, ours, agreements) over the reconciliation rows."""
    acos = sa.select(rows.c.cms_aco).where(rows.c.cms_aco.is_not(None))
    ours = sa.and_(rows.c.our_unit_type == "aco", rows.c.our_provider.in_(acos))
    query = sa.select(
        sa.func.count(),
        sa.func.count(rows.c.cms_aco),
        sa.func.coalesce(sa.func.sum(sa.case((ours, 1), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((rows.c.reason == AGREE, 1), else_=0)), 0),
    ).select_from(rows)
    total, listed, ours_n, agreed = conn.execute(query).one()
    return int(total), int(listed), int(ours_n), int(agreed)


def _by_reason(
    conn: sa.Connection, rows: sa.FromClause
) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    query = (
        sa.select(rows.c.reason, rows.c.detail, sa.func.count())
        .where(rows.c.reason != AGREE)
        .group_by(rows.c.reason, rows.c.detail)
    )
    by_reason = dict.fromkeys(REASONS, 0)
    by_detail: dict[str, dict[str, int]] = {}
    for reason, detail, n in conn.execute(query):
        by_reason[str(reason)] = by_reason.get(str(reason), 0) + int(n)
        if detail is not None:
            by_detail.setdefault(str(reason), {})[str(detail)] = int(n)
    return by_reason, by_detail


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _optional_money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def _disagreements(conn: sa.Connection, rows: sa.FromClause, limit: int) -> list[Disagreement]:
    query = (
        sa.select(rows)
        .where(rows.c.reason != AGREE)
        .order_by(sa.case(_ORDER, value=rows.c.reason, else_=len(REASONS)), rows.c.bene)
        .limit(limit)
    )
    return [
        Disagreement(
            bene=str(r["bene"]),
            cms_aco=r["cms_aco"],
            our_provider=r["our_provider"],
            our_unit_type=r["our_unit_type"],
            reason=str(r["reason"]),
            detail=r["detail"],
            our_step=_optional_int(r["our_step"]),
            our_amount=_optional_money(r["our_amount"]),
            cms_aco_step=_optional_int(r["cms_aco_step"]),
            cms_aco_amount=_optional_money(r["cms_aco_amount"]),
        )
        for r in conn.execute(query).mappings()
    ]


def reconcile(
    engine: sa.Engine,
    listing: AssignmentListTable,
    *,
    outputs_schema: str | None,
    year: int,
    quarter: int | None = None,
    write_to: str | None = None,
    limit: int = 1000,
) -> Reconciliation:
    """Compare CMS's list for ``year`` (``quarter``; ``None``: the annual list) with our outputs.

    Agreement rate and reasons are defined in the module docstring. ``write_to`` (a schema)
    also writes every row to ``<write_to>.reconciliation`` (replacing it atomically where the
    engine allows); ``None`` writes nothing. ``limit`` caps the disagreements returned (the
    counts are always complete). Raises :class:`ReconcileError` naming the table and column for
    a missing list table or column, missing outputs, a year without outputs, or an empty list.
    """
    with engine.begin() as conn:
        cols = _list_columns(conn, listing)
        if quarter is not None and listing.quarter is None:
            raise ReconcileError(
                f"quarter {quarter} asked for, but no quarter column is configured for "
                f"assignment list table {listing.label}"
            )
        yearly, ranking = _output_tables(conn, outputs_schema)
        _require_year(conn, yearly, year)
        _check_list(conn, _list_pairs(listing, cols, year, quarter), listing, year, quarter)
        select = comparison(listing, yearly, ranking, year=year, quarter=quarter, cols=cols)
        written = _write(conn, select, write_to) if write_to is not None else None
        rows: sa.FromClause = written if written is not None else select.subquery("rec")
        total, listed, ours, agreed = _counts(conn, rows)
        by_reason, by_detail = _by_reason(conn, rows)
        acos = conn.execute(
            sa.select(rows.c.cms_aco)
            .where(rows.c.cms_aco.is_not(None))
            .distinct()
            .order_by(rows.c.cms_aco)
        ).scalars()
        return Reconciliation(
            year=year,
            quarter=quarter,
            acos=tuple(str(a) for a in acos),
            list_beneficiaries=listed,
            our_beneficiaries=ours,
            beneficiaries=total,
            agreements=agreed,
            by_reason=by_reason,
            disagreements=tuple(_disagreements(conn, rows, limit)),
            table=_label(written) if written is not None else None,
            by_detail=by_detail,
        )


__all__ = [
    "AGREE",
    "COLUMNS",
    "REASONS",
    "TABLE",
    "AssignmentListTable",
    "Disagreement",
    "ReconcileError",
    "Reconciliation",
    "comparison",
    "reconcile",
    "result_table",
]
