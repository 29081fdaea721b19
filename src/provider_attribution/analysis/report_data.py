"""The numbers behind the HTML report, aggregated in SQL over the written output tables.

:func:`collect` reads ``assigned_beneficiaries_current``, ``assigned_beneficiaries_yearly``,
``provider_ranking`` and (when present) ``attribution_exclusions`` with SQLAlchemy Core
``GROUP BY`` queries; only the small summary reaches Python, as a :class:`ReportData`.

Scope keys are strings as in the outputs: ``YYYY-MM-DD`` for an as-of date of the current
scope, ``YYYY`` for a performance year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from provider_attribution.engines import output_tables
from provider_attribution.engines.catalog import has_table
from provider_attribution.model import outputs

OTHER = "(other providers)"
UNATTRIBUTED = "(unattributed)"
ABSENT = "(absent)"
CATEGORIES = ("stayed", "moved", "new", "lost", "unattributed")
CATEGORY_LABELS = {
    "stayed": "same provider",
    "moved": "moved to another provider",
    "new": "newly attributed",
    "lost": "lost (fallback or absent)",
    "unattributed": "unattributed in both",
}
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Coverage:
    """Members of one scope key: attributed to a provider or left to the fallback."""

    scope: str
    key: str
    members: int
    attributed: int
    fallback: int
    allowed: Decimal  # allowed amount behind the attributed members' assignments


@dataclass(frozen=True)
class MixCount:
    """Members of one scope key assigned by one attribution type and step."""

    key: str
    attribution_type: str
    step: int
    description: str
    members: int


@dataclass(frozen=True)
class PanelSize:
    """How many providers of a unit type have a panel of ``size`` members in a scope key."""

    key: str
    unit_type: str
    size: int
    providers: int


@dataclass(frozen=True)
class TopProvider:
    """A provider (NPI, TIN or ACO) with its attributed members and candidate members."""

    key: str
    provider_id: str
    unit_type: str
    members: int
    allowed: Decimal
    candidates: int  # members for whom it is a candidate (any rank) in provider_ranking


@dataclass(frozen=True)
class ChurnCell:
    """Members who were in bucket ``source`` at the first key and ``target`` at the second."""

    source: str
    target: str
    members: int


@dataclass(frozen=True)
class Churn:
    """Who moved from whom to whom between two scope keys (people matched by person_id)."""

    from_key: str
    to_key: str
    counts: dict[str, int]  # category (see CATEGORIES) -> members
    labels: tuple[str, ...]  # matrix buckets in display order
    cells: tuple[ChurnCell, ...]
    top_moves: tuple[tuple[str, str, int], ...]  # (from provider, to provider, members)

    @property
    def members(self) -> int:
        """People present at either key."""
        return sum(self.counts.values())


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows, as plain Python values."""

    schema: str | None
    coverage: tuple[Coverage, ...]
    mix: tuple[MixCount, ...]
    panels: tuple[PanelSize, ...]
    headline_key: str | None  # key of the top-provider lists: latest as-of date, else year
    top_providers: tuple[TopProvider, ...]  # NPI and TIN units
    top_acos: tuple[TopProvider, ...]  # unit_type 'aco'
    churn: Churn | None
    churn_note: str  # why there is no churn section, or ""
    exclusions: tuple[tuple[str, int], ...]  # (reason, lines); empty without the table

    @property
    def keys(self) -> tuple[str, ...]:
        """Scope keys in display order (as-of dates, then performance years)."""
        return tuple(c.key for c in self.coverage)


# --- scope keys -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Key:
    """A scope key resolved to its assignment table and filter."""

    key: str
    table: str  # outputs.CURRENT or outputs.YEARLY
    column: str
    value: dt.date | int

    @property
    def scope(self) -> str:
        return "current" if self.table == outputs.CURRENT else "yearly"


def _key_text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:10]


def _available(conn: sa.Connection, tables: dict[str, sa.Table]) -> list[_Key]:
    """Every scope key in the outputs: as-of dates, then performance years, each ascending."""
    cur, year = tables[outputs.CURRENT], tables[outputs.YEARLY]
    dates = conn.execute(sa.select(cur.c.as_of_date).distinct()).scalars().all()
    years = conn.execute(sa.select(year.c.performance_year).distinct()).scalars().all()
    keys = [
        _Key(_key_text(d), outputs.CURRENT, "as_of_date", dt.date.fromisoformat(_key_text(d)))
        for d in dates
        if d is not None
    ]
    keys.sort(key=lambda k: k.key)
    yearly = sorted(int(y) for y in years if y is not None)
    return keys + [_Key(str(y), outputs.YEARLY, "performance_year", y) for y in yearly]


def _resolve(key: str, available: Sequence[_Key]) -> _Key:
    for k in available:
        if k.key == key:
            return k
    table = outputs.YEARLY if len(key) == 4 else outputs.CURRENT
    known = ", ".join(k.key for k in available) or "none"
    raise ValueError(f"churn key {key!r} is not in {table}; the keys that exist: {known}")


def _where(t: sa.Table, k: _Key) -> sa.ColumnElement[bool]:
    return t.c[k.column] == k.value


def _ranking_where(t: sa.Table, k: _Key) -> sa.ColumnElement[bool]:
    return sa.and_(t.c.scope == k.scope, t.c[k.column] == k.value)


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(_CENT)


# --- tables -----------------------------------------------------------------------------------


def _tables(engine: sa.Engine, schema: str | None) -> dict[str, sa.Table]:
    """The output tables; ValueError naming any required one that is missing."""
    found: dict[str, sa.Table] = {}
    for name in outputs.WRITTEN:
        if has_table(engine, name, schema):
            found[name] = output_tables.table(name, schema)
        elif name not in (outputs.EXCLUSIONS, outputs.BENEFICIARY_EXCLUSIONS):
            where = f"schema {schema!r}" if schema else "the default schema"
            raise ValueError(
                f"output table {name} not found in {where}; run an attribution into it "
                "first, or name the schema holding the outputs (--schema)"
            )
    return found


# --- aggregates -------------------------------------------------------------------------------


def _coverage(conn: sa.Connection, tables: dict[str, sa.Table], keys: list[_Key]) -> list[Coverage]:
    result: dict[str, Coverage] = {}
    for name, column in ((outputs.CURRENT, "as_of_date"), (outputs.YEARLY, "performance_year")):
        t = tables[name]
        none = t.c.attribution_type == "none"
        query = sa.select(
            t.c[column],
            sa.func.count(),
            sa.func.sum(sa.case((none, 1), else_=0)),
            sa.func.sum(sa.case((none, None), else_=t.c.allowed_amount)),
        ).group_by(t.c[column])
        scope = "current" if name == outputs.CURRENT else "yearly"
        for key, members, fallback, allowed in conn.execute(query):
            text, n, f = _key_text(key), int(members), int(fallback or 0)
            result[text] = Coverage(scope, text, n, n - f, f, _money(allowed))
    return [result[k.key] for k in keys if k.key in result]


def _mix(conn: sa.Connection, tables: dict[str, sa.Table], keys: list[_Key]) -> list[MixCount]:
    rows: list[MixCount] = []
    order = {k.key: i for i, k in enumerate(keys)}
    for name, column in ((outputs.CURRENT, "as_of_date"), (outputs.YEARLY, "performance_year")):
        t = tables[name]
        query = sa.select(
            t.c[column],
            t.c.attribution_type,
            t.c.assigned_step,
            sa.func.max(t.c.step_description),
            sa.func.count(),
        ).group_by(t.c[column], t.c.attribution_type, t.c.assigned_step)
        for key, kind, step, description, members in conn.execute(query):
            rows.append(
                MixCount(_key_text(key), str(kind), int(step or 0), description or "", int(members))
            )
    rows.sort(key=lambda m: (order.get(m.key, len(order)), m.attribution_type == "none", m.step))
    return rows


def _panels(conn: sa.Connection, tables: dict[str, sa.Table], keys: list[_Key]) -> list[PanelSize]:
    rows: list[PanelSize] = []
    order = {k.key: i for i, k in enumerate(keys)}
    for name, column in ((outputs.CURRENT, "as_of_date"), (outputs.YEARLY, "performance_year")):
        t = tables[name]
        unit = sa.func.coalesce(t.c.unit_type, "unknown")
        panel = (
            sa.select(
                t.c[column].label("key"), unit.label("unit_type"), sa.func.count().label("size")
            )
            .where(t.c.attribution_type != "none")
            .group_by(t.c[column], unit, t.c.provider_id)
            .subquery("panel")
        )
        query = sa.select(panel.c.key, panel.c.unit_type, panel.c.size, sa.func.count()).group_by(
            panel.c.key, panel.c.unit_type, panel.c.size
        )
        for key, unit_type, size, providers in conn.execute(query):
            rows.append(PanelSize(_key_text(key), str(unit_type), int(size), int(providers)))
    rows.sort(key=lambda p: (order.get(p.key, len(order)), p.unit_type, p.size))
    return rows


def _top(
    conn: sa.Connection, tables: dict[str, sa.Table], k: _Key, *, acos: bool, top: int
) -> list[TopProvider]:
    """The ``top`` largest panels at key ``k``: ACOs, or every other unit type."""
    t = tables[k.table]
    unit = sa.func.coalesce(t.c.unit_type, "unknown")
    members = sa.func.count()
    kind = unit == "aco" if acos else unit != "aco"
    query = (
        sa.select(t.c.provider_id, unit, members, sa.func.sum(t.c.allowed_amount))
        .where(_where(t, k), t.c.attribution_type != "none", kind)
        .group_by(t.c.provider_id, unit)
        .order_by(members.desc(), t.c.provider_id)
        .limit(top)
    )
    found = [(str(p), str(u), int(n), _money(a)) for p, u, n, a in conn.execute(query).all()]
    candidates = _candidates(conn, tables[outputs.RANKING], k, [p for p, _, _, _ in found])
    return [TopProvider(k.key, p, u, n, a, candidates.get(p, 0)) for p, u, n, a in found]


def _candidates(conn: sa.Connection, r: sa.Table, k: _Key, ids: list[str]) -> dict[str, int]:
    """Distinct members ranking each provider in ``ids`` as a candidate at key ``k``."""
    if not ids:
        return {}
    query = (
        sa.select(r.c.provider_id, sa.func.count(sa.distinct(r.c.person_id)))
        .where(_ranking_where(r, k), r.c.attribution_type != "none", r.c.provider_id.in_(ids))
        .group_by(r.c.provider_id)
    )
    return {str(p): int(n) for p, n in conn.execute(query)}


def _exclusions(conn: sa.Connection, tables: dict[str, sa.Table]) -> list[tuple[str, int]]:
    t = tables.get(outputs.EXCLUSIONS)
    if t is None:
        return []
    query = sa.select(t.c.reason, t.c.lines).order_by(t.c.reason_order)
    return [(str(reason), int(lines or 0)) for reason, lines in conn.execute(query)]


# --- churn ------------------------------------------------------------------------------------


def _provider(t: sa.Table) -> sa.ColumnElement[Any]:
    """The provider of an assignment row, NULL for the fallback."""
    return sa.case((t.c.attribution_type == "none", sa.null()), else_=t.c.provider_id)


def _pairs(tables: dict[str, sa.Table], a: _Key, b: _Key) -> sa.Subquery:
    """One row per person present at either key: provider (or NULL) and presence at each."""
    ta, tb = tables[a.table], tables[b.table]
    none = sa.cast(sa.null(), sa.String(255))
    zero, one = sa.literal(0, sa.Integer()), sa.literal(1, sa.Integer())
    both = sa.union_all(
        sa.select(
            ta.c.person_id,
            _provider(ta).label("a_prov"),
            one.label("in_a"),
            none.label("b_prov"),
            zero.label("in_b"),
        ).where(_where(ta, a)),
        sa.select(tb.c.person_id, none, zero, _provider(tb), one).where(_where(tb, b)),
    ).subquery("present")
    return (
        sa.select(
            both.c.person_id,
            sa.func.max(both.c.a_prov).label("a_prov"),
            sa.func.max(both.c.in_a).label("in_a"),
            sa.func.max(both.c.b_prov).label("b_prov"),
            sa.func.max(both.c.in_b).label("in_b"),
        )
        .group_by(both.c.person_id)
        .subquery("pairs")
    )


def _matrix_providers(conn: sa.Connection, p: sa.Subquery, top: int) -> list[str]:
    """The ``top`` providers with the most members at the first plus the second key."""
    side = sa.union_all(
        sa.select(p.c.a_prov.label("provider")).where(p.c.a_prov.is_not(None)),
        sa.select(p.c.b_prov).where(p.c.b_prov.is_not(None)),
    ).subquery("side")
    members = sa.func.count()
    query = (
        sa.select(side.c.provider)
        .group_by(side.c.provider)
        .order_by(members.desc(), side.c.provider)
        .limit(top)
    )
    return [str(v) for v in conn.execute(query).scalars()]


def _bucket(
    prov: sa.ColumnElement[Any], present: sa.ColumnElement[Any], ids: list[str]
) -> sa.ColumnElement[str]:
    return sa.case(
        (prov.in_(ids), prov),
        (prov.is_not(None), OTHER),
        (present == 1, UNATTRIBUTED),
        else_=ABSENT,
    )


def _category(p: sa.Subquery) -> sa.ColumnElement[str]:
    a, b = p.c.a_prov.is_not(None), p.c.b_prov.is_not(None)
    return sa.case(
        (sa.and_(a, b, p.c.a_prov == p.c.b_prov), "stayed"),
        (sa.and_(a, b), "moved"),
        (b, "new"),
        (a, "lost"),
        else_="unattributed",
    )


def _churn(conn: sa.Connection, tables: dict[str, sa.Table], a: _Key, b: _Key, top: int) -> Churn:
    p = _pairs(tables, a, b)
    category = _category(p)
    counts = dict.fromkeys(CATEGORIES, 0)
    for name, members in conn.execute(sa.select(category, sa.func.count()).group_by(category)):
        counts[str(name)] = int(members)
    ids = _matrix_providers(conn, p, top)
    source, target = _bucket(p.c.a_prov, p.c.in_a, ids), _bucket(p.c.b_prov, p.c.in_b, ids)
    found = {
        (str(s), str(t)): int(n)
        for s, t, n in conn.execute(
            sa.select(source, target, sa.func.count()).group_by(source, target)
        )
    }
    labels = (*ids, OTHER, UNATTRIBUTED, ABSENT)
    cells = tuple(ChurnCell(s, t, found[s, t]) for s in labels for t in labels if (s, t) in found)
    members = sa.func.count()
    moves = (
        sa.select(p.c.a_prov, p.c.b_prov, members)
        .where(p.c.a_prov.is_not(None), p.c.b_prov.is_not(None), p.c.a_prov != p.c.b_prov)
        .group_by(p.c.a_prov, p.c.b_prov)
        .order_by(members.desc(), p.c.a_prov, p.c.b_prov)
        .limit(top)
    )
    top_moves = tuple((str(s), str(t), int(n)) for s, t, n in conn.execute(moves))
    return Churn(a.key, b.key, counts, labels, cells, top_moves)


def _churn_keys(
    available: list[_Key], churn: tuple[str, str] | None
) -> tuple[tuple[_Key, _Key] | None, str]:
    """The two keys to compare, or None and the reason why not."""
    if churn is not None:
        a, b = (_resolve(key, available) for key in churn)
        if a.key == b.key:
            raise ValueError(f"churn needs two different keys, got {a.key!r} twice")
        return (a, b), ""
    years = [k for k in available if k.table == outputs.YEARLY]
    if len(years) >= 2:
        return (years[-2], years[-1]), ""
    found = ", ".join(k.key for k in years) or "none"
    return None, (
        f"No churn section: {outputs.YEARLY} holds fewer than two performance years "
        f"({found}); pick two keys to compare (--from KEY --to KEY)."
    )


# --- entry point ------------------------------------------------------------------------------


def collect(
    engine: sa.Engine,
    schema: str | None,
    *,
    churn: tuple[str, str] | None = None,
    top: int = 15,
) -> ReportData:
    """Aggregate the output tables in ``schema`` for the report.

    ``churn`` names the two scope keys to compare (default: the two latest performance years,
    if there are two); ``top`` is the length of the top-provider lists and the number of
    providers the churn matrix shows by name. Raises ValueError for a missing output table or
    an unknown churn key.
    """
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}")
    tables = _tables(engine, schema)
    with engine.connect() as conn:
        keys = _available(conn, tables)
        pair, note = _churn_keys(keys, churn)
        current = [k for k in keys if k.table == outputs.CURRENT]
        headline = (current or keys)[-1] if keys else None
        return ReportData(
            schema=schema,
            coverage=tuple(_coverage(conn, tables, keys)),
            mix=tuple(_mix(conn, tables, keys)),
            panels=tuple(_panels(conn, tables, keys)),
            headline_key=headline.key if headline else None,
            top_providers=tuple(
                _top(conn, tables, headline, acos=False, top=top) if headline else ()
            ),
            top_acos=tuple(_top(conn, tables, headline, acos=True, top=top) if headline else ()),
            churn=_churn(conn, tables, *pair, top) if pair else None,
            churn_note=note,
            exclusions=tuple(_exclusions(conn, tables)),
        )
