"""Why a member went to a provider: a person's ``provider_ranking`` rows and the deciding rule.

:func:`explain` reads one person's candidate rows (a ``WHERE`` in SQL, nothing else) and
:func:`decisive_rule` states, in words, what put the rank-1 row before the rank-2 row along the
method's order: path precedence, step, the method's ranking keys, then ``provider_id``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa

from provider_attribution.engines import output_tables
from provider_attribution.engines.catalog import has_table
from provider_attribution.engines.expressions import binary_id
from provider_attribution.model import outputs
from provider_attribution.model.method import Method, Path, RankKey

CENT = Decimal("0.01")
SCOPES = ("current", "yearly")

_PATH_WORDS = {
    Path.CLAIMS.value: "claims",
    Path.SELF_SELECTION.value: "self-selection",
    Path.GEOGRAPHIC.value: "geographic assignment",
}
_KEY_NOUNS = {
    RankKey.ALLOWED_DESC: "amount",
    RankKey.VISITS_DESC: "visits",
    RankKey.LAST_SERVICE_DESC: "last service date",
}


class ExplainError(LookupError):
    """The person (or the scope key asked for) has no rows in the ranking table."""


@dataclass(frozen=True)
class Candidate:
    """One ``provider_ranking`` row of the person in one scope key."""

    ranking: int
    attribution_type: str
    provider_id: str
    unit_type: str | None
    top_npi: str | None
    provider_bucket: str | None
    prov_specialty: str | None
    step: int
    step_description: str | None
    allowed_amount: Decimal
    visits: int
    last_service_date: dt.date | None
    lookback_start_date: dt.date | None
    lookback_end_date: dt.date | None

    @property
    def is_fallback(self) -> bool:
        """The labelled row of a member with no assignable history."""
        return self.attribution_type == "none"


@dataclass(frozen=True)
class KeyExplanation:
    """The candidates of one scope key in rank order and the rule that decided."""

    person_id: str
    scope: str
    key: str  # the as-of date (YYYY-MM-DD) or the performance year
    attribution_key: str
    candidates: tuple[Candidate, ...]
    rule: str

    @property
    def winner(self) -> Candidate:
        """The assigned (rank-1) row."""
        return self.candidates[0]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: money as text with two decimals, dates ISO."""
        return {
            "person_id": self.person_id,
            "scope": self.scope,
            "key": self.key,
            "attribution_key": self.attribution_key,
            "rule": self.rule,
            "candidates": [_jsonable(asdict(c)) for c in self.candidates],
        }


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, (Decimal, dt.date)) else v for k, v in row.items()}


# -- the rule ------------------------------------------------------------------------------------


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value is not None else "none"


def _path_rank(method: Method, attribution_type: str) -> int:
    paths = [p.value for p in method.paths]
    return paths.index(attribution_type) if attribution_type in paths else len(paths)


def _same(key: RankKey, first: Candidate, alone: bool) -> str:
    """Words for a ranking key on which both rows agree (its value when it is the only one)."""
    if not alone:
        return _KEY_NOUNS[key]
    if key is RankKey.ALLOWED_DESC:
        return f"allowed amount {_money(first.allowed_amount)}"
    if key is RankKey.VISITS_DESC:
        return f"visits {first.visits}"
    return f"last service date {_date(first.last_service_date)}"


def _same_prefix(equal: Sequence[RankKey], first: Candidate) -> str:
    """``same allowed amount 120.00, `` / ``same amount and visits, `` / empty."""
    if not equal:
        return ""
    words = [_same(k, first, len(equal) == 1) for k in equal]
    joined = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return f"same {joined}, "


def _key_differs(key: RankKey, first: Candidate, second: Candidate) -> str | None:
    """Words for a ranking key on which the rows differ, else ``None``."""
    if key is RankKey.ALLOWED_DESC and first.allowed_amount != second.allowed_amount:
        return (
            f"larger allowed amount at step {first.step}: "
            f"{_money(first.allowed_amount)} vs {_money(second.allowed_amount)}"
        )
    if key is RankKey.VISITS_DESC and first.visits != second.visits:
        return f"more visits: {first.visits} vs {second.visits}"
    if key is RankKey.LAST_SERVICE_DESC and first.last_service_date != second.last_service_date:
        return (
            "later last service date: "
            f"{_date(first.last_service_date)} vs {_date(second.last_service_date)}"
        )
    return None


def _by_ranking_keys(method: Method, first: Candidate, second: Candidate) -> str:
    equal: list[RankKey] = []
    for key in method.ranking:
        differs = _key_differs(key, first, second)
        if differs is not None:
            return _same_prefix(equal, first) + differs
        equal.append(key)
    if first.provider_id > second.provider_id:
        # Only a weighted amount that rounds to the same cents can order rows this way.
        return (
            f"larger weighted allowed amount at step {first.step} "
            f"(both {_money(first.allowed_amount)} after rounding to cents)"
        )
    tie = f"full tie: provider_id {first.provider_id} sorts first (the deterministic tie-breaker)"
    if _weighted(method, first.step):
        tie += "; weighted amounts are compared before rounding, so they may differ under a cent"
    return tie


def _weighted(method: Method, step: int) -> bool:
    """Whether the claims pass ``step`` weighs its lines (amounts ranked before rounding)."""
    return 1 <= step <= len(method.passes) and method.passes[step - 1].weights is not None


def decisive_rule(method: Method, first: Candidate, second: Candidate | None) -> str:
    """The rule that put ``first`` (rank 1) before ``second`` (rank 2, if any), in words."""
    if first.is_fallback:
        return "no assignable history: labelled fallback"
    if second is None:
        return "only candidate"
    if first.attribution_type != second.attribution_type:
        before, after = (
            _PATH_WORDS.get(c.attribution_type, c.attribution_type) for c in (first, second)
        )
        if _path_rank(method, first.attribution_type) < _path_rank(method, second.attribution_type):
            return f"{before} comes before {after} in this method"
        return f"{before} ranked before {after} (not this method's path order: another method?)"
    if first.step != second.step:
        return f"earlier step: step {first.step} beats step {second.step}"
    return _by_ranking_keys(method, first, second)


# -- reading -------------------------------------------------------------------------------------


def _key_filter(t: sa.Table, scope: str | None, key: str | None) -> list[sa.ColumnElement[bool]]:
    """Conditions selecting ``scope`` and ``key`` (a date picks current, a year yearly)."""
    if scope is not None and scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, got {scope!r}")
    where: list[sa.ColumnElement[bool]] = []
    if key is not None:
        year = key.isdigit() and len(key) == 4
        scope = scope or ("yearly" if year else "current")
        try:
            if scope == "yearly":
                where.append(t.c.performance_year == int(key))
            else:
                where.append(t.c.as_of_date == dt.date.fromisoformat(key))
        except ValueError:
            want = "a performance year (YYYY)" if scope == "yearly" else "a date (YYYY-MM-DD)"
            raise ValueError(f"key {key!r} is not {want}") from None
    if scope is not None:
        where.append(t.c.scope == scope)
    return where


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value if value is not None else 0)).quantize(CENT, ROUND_HALF_UP)


def _day(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value if isinstance(value, dt.date) else None


def _candidate(row: sa.RowMapping) -> Candidate:
    return Candidate(
        ranking=int(row["ranking"]),
        attribution_type=str(row["attribution_type"]),
        provider_id=str(row["provider_id"]),
        unit_type=row["unit_type"],
        top_npi=row["top_npi"],
        provider_bucket=row["provider_bucket"],
        prov_specialty=row["prov_specialty"],
        step=int(row["step"]),
        step_description=row["step_description"],
        allowed_amount=_decimal(row["allowed_amount"]),
        visits=int(row["visits"] or 0),
        last_service_date=_day(row["last_service_date"]),
        lookback_start_date=_day(row["lookback_start_date"]),
        lookback_end_date=_day(row["lookback_end_date"]),
    )


def _key_text(row: sa.RowMapping) -> str:
    if row["scope"] == "yearly":
        return str(int(row["performance_year"]))
    day = _day(row["as_of_date"])
    return day.isoformat() if day is not None else str(row["as_of_date"])


def _table_name(schema: str | None) -> str:
    return f"{schema}.{outputs.RANKING}" if schema else outputs.RANKING


def _rows(
    engine: sa.Engine, person_id: str, schema: str | None, scope: str | None, key: str | None
) -> list[sa.RowMapping]:
    t = output_tables.table(outputs.RANKING, schema)
    query = (
        sa.select(t)
        .where(binary_id(sa.cast(t.c.person_id, sa.String)) == str(person_id))
        .where(*_key_filter(t, scope, key))
        .order_by(t.c.scope, t.c.as_of_date, t.c.performance_year, t.c.ranking)
    )
    with engine.connect() as conn:
        if not has_table(conn, outputs.RANKING, schema):
            raise ExplainError(
                f"no output table {_table_name(schema)}: run an attribution into that schema "
                "first, or name the schema holding the outputs (--schema)"
            )
        return list(conn.execute(query).mappings())


def explain(
    engine: sa.Engine,
    person_id: str,
    schema: str | None,
    *,
    method: Method,
    scope: str | None = None,
    key: str | None = None,
) -> list[KeyExplanation]:
    """One explanation per scope key of ``person_id`` (only ``scope`` / ``key`` when given).

    ``key`` is an as-of date (YYYY-MM-DD, current scope) or a performance year (yearly).
    Raises :class:`ExplainError` when the ranking table or the person's rows are missing and
    ``ValueError`` for a malformed scope or key.
    """
    rows = _rows(engine, person_id, schema, scope, key)
    if not rows:
        where = "".join(
            f" {name} {value}" for name, value in (("scope", scope), ("key", key)) if value
        )
        raise ExplainError(
            f"person {person_id!r} has no rows in {_table_name(schema)}"
            + (f" for{where}" if where else "")
        )
    grouped: dict[str, list[sa.RowMapping]] = {}
    for row in rows:
        grouped.setdefault(str(row["attribution_key"]), []).append(row)
    result = []
    for attribution_key, group in grouped.items():
        candidates = tuple(_candidate(r) for r in group)
        second = candidates[1] if len(candidates) > 1 else None
        result.append(
            KeyExplanation(
                person_id=str(group[0]["person_id"]),
                scope=str(group[0]["scope"]),
                key=_key_text(group[0]),
                attribution_key=attribution_key,
                candidates=candidates,
                rule=decisive_rule(method, candidates[0], second),
            )
        )
    return result
