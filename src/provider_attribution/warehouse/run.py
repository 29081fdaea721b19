"""Run an attribution inside the database: resolve the scope, write the outputs, summarise."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from provider_attribution.engines import output_tables
from provider_attribution.engines import tables as input_tables
from provider_attribution.model import outputs
from provider_attribution.model.inputs import Inputs
from provider_attribution.model.method import TUVA, Method
from provider_attribution.model.method_file import LoadedMethod, resolve_method
from provider_attribution.model.valuesets import ValueSets
from provider_attribution.model.windows import AsOf, ScopeKey, as_of_dates, scope_keys
from provider_attribution.sql import invariants
from provider_attribution.sql.compile import CompiledRun, QueryBuilder
from provider_attribution.warehouse import stage_tables
from provider_attribution.warehouse.staged_write import StagedWrite
from provider_attribution.warehouse.validate import preflight, require_valid, resolve_inputs

EngineLike = sa.Engine | str


def connect(engine_or_url: EngineLike) -> sa.Engine:
    """An engine from an engine or a URL."""
    if isinstance(engine_or_url, sa.Engine):
        return engine_or_url
    return sa.create_engine(engine_or_url)


def _loaded(method: Method | str) -> LoadedMethod:
    return resolve_method(method) if isinstance(method, str) else LoadedMethod(method, None)


def _method(method: Method | str) -> Method:
    return _loaded(method).method


def default_queries(inputs: Inputs) -> tuple[sa.Select[Any], sa.Select[Any]]:
    """The queries behind the default scope: the latest claim end date (``latest``), and the
    first and last ``YYYYMM`` of the eligibility input (``low``, ``high``); the dbt export
    runs the same ones."""
    claims = input_tables.claims(inputs)
    latest = sa.select(sa.func.max(claims.c[inputs.claims.claim_end_date]).label("latest"))
    key = input_tables.month_key_of(input_tables.eligibility(inputs), inputs.eligibility)
    months = sa.select(sa.func.min(key).label("low"), sa.func.max(key).label("high"))
    return latest, months


def default_as_of(conn: sa.Connection, inputs: Inputs, today: dt.date | None = None) -> dt.date:
    """Latest claim end date if present and not in the future, else today."""
    today = today or dt.date.today()
    latest = conn.execute(default_queries(inputs)[0]).scalar()
    if isinstance(latest, dt.datetime):
        latest = latest.date()
    if isinstance(latest, dt.date) and latest <= today:
        return latest
    return today


def default_years(conn: sa.Connection, inputs: Inputs) -> tuple[int, ...]:
    """Every calendar year from the first to the last month in the eligibility input."""
    low, high = conn.execute(default_queries(inputs)[1]).one()
    if low is None or high is None:
        return ()
    return tuple(range(int(low) // 100, int(high) // 100 + 1))


def resolve_scope(
    conn: sa.Connection,
    inputs: Inputs,
    *,
    as_of: AsOf,
    years: Iterable[int] | None,
    current: bool = True,
    today: dt.date | None = None,
    method: Method | str = TUVA,
) -> tuple[ScopeKey, ...]:
    """Scope keys of a run: the current scope at each ``as_of`` date (default: one, from the
    data) and years (default: from the eligibility), yearly anchors from the method."""
    resolved_as_of: AsOf = None
    if current:
        resolved_as_of = as_of_dates(as_of) or default_as_of(conn, inputs, today)
    resolved_years = tuple(years) if years is not None else default_years(conn, inputs)
    return scope_keys(resolved_as_of, resolved_years, _method(method).year_anchor)


def build_queries(
    keys: Iterable[ScopeKey],
    inputs: Inputs | None = None,
    *,
    method: Method | str = TUVA,
    valuesets: ValueSets | None = None,
    today: dt.date | None = None,
) -> CompiledRun:
    """The Select objects of every output for the given scope keys, without running anything.

    ``today`` (default: the current date) is the run date: later service dates are excluded."""
    loaded = _loaded(method)
    sets = valuesets or loaded.valuesets
    return QueryBuilder(inputs or Inputs(), loaded.method, sets, today).compile(tuple(keys))


@dataclass(frozen=True)
class ScopeSummary:
    """Counts for one scope key: claims assignments by step, other paths by type."""

    scope: str
    key: str
    members: int
    by_step: dict[int, int]
    fallback: int
    by_type: dict[str, int] = field(default_factory=dict)

    @property
    def fallback_rate(self) -> Decimal:
        if not self.members:
            return Decimal("0")
        return (Decimal(self.fallback) / Decimal(self.members)).quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class RunSummary:
    """What a run wrote."""

    method: str
    target_schema: str | None
    scopes: tuple[ScopeSummary, ...]
    rows: dict[str, int] = field(default_factory=dict)
    exclusions: dict[str, int] = field(default_factory=dict)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    #: ``current|YYYY-MM-DD`` or ``yearly|YYYY`` → exclusion reason → beneficiaries
    beneficiary_exclusions: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def fqhc_lines_excluded(self) -> int:
        """FQHC/RHC lines left out for want of an attested attending NPI."""
        return self.exclusions.get("fqhc_not_attested", 0)

    @property
    def claim_lines(self) -> int:
        """Rows of the claims input (every status, ``used`` included)."""
        return sum(self.exclusions.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "method": self.method,
            "target_schema": self.target_schema,
            "rows": self.rows,
            "exclusions": self.exclusions,
            "beneficiary_exclusions": self.beneficiary_exclusions,
            "scopes": [
                {
                    "scope": s.scope,
                    "key": s.key,
                    "members": s.members,
                    "by_step": {str(k): v for k, v in sorted(s.by_step.items())},
                    "by_type": dict(sorted(s.by_type.items())),
                    "fallback": s.fallback,
                    "fallback_rate": str(s.fallback_rate),
                }
                for s in self.scopes
            ],
            "stage_seconds": {name: round(sec, 3) for name, sec in self.stage_seconds.items()},
        }


#: The stages of :func:`attribute`, in the order they run and are reported to ``progress``.
STAGES = ("validate", "candidates", "ranking", "write")

ProgressCallback = Callable[[str], None]


class _StageClock:
    """Reports each stage as it starts and times it until the next one starts."""

    def __init__(self, progress: ProgressCallback | None) -> None:
        self._progress = progress
        self._current: str | None = None
        self._started = 0.0
        self.seconds: dict[str, float] = {}

    def start(self, stage: str) -> None:
        """End the running stage, report ``stage`` and start timing it."""
        self.stop()
        if self._progress is not None:
            self._progress(stage)
        self._current, self._started = stage, time.perf_counter()

    def stop(self) -> None:
        """End the running stage, if any."""
        if self._current is not None:
            self.seconds[self._current] = time.perf_counter() - self._started
            self._current = None


def _write(
    write: StagedWrite,
    run: CompiledRun,
    claims: sa.FromClause,
    stage: ProgressCallback | None = None,
) -> None:
    """Write every output under a staging name; the invariants are checked and the outputs
    swapped in when ``write`` ends.

    ``stage`` hears ``ranking`` before the ranking is written and ``write`` before the rest."""
    stage = stage or (lambda _name: None)
    stage("ranking")
    conn, schema = write.conn, write.schema
    staged = {name: write.table(output_tables.table(name, schema)) for name in outputs.WRITTEN}
    ranking = staged[outputs.RANKING]
    conn.execute(
        ranking.insert().from_select(outputs.column_names(outputs.RANKING), run.provider_ranking)
    )
    stage("write")
    for name in (outputs.CURRENT, outputs.YEARLY):
        select = QueryBuilder.assigned(ranking, name)
        conn.execute(staged[name].insert().from_select(outputs.column_names(name), select))
    exclusions = staged[outputs.EXCLUSIONS]
    conn.execute(
        exclusions.insert().from_select(
            outputs.column_names(outputs.EXCLUSIONS), run.attribution_exclusions
        )
    )
    beneficiaries = staged[outputs.BENEFICIARY_EXCLUSIONS]
    conn.execute(
        beneficiaries.insert().from_select(
            outputs.column_names(outputs.BENEFICIARY_EXCLUSIONS), run.beneficiary_exclusions
        )
    )
    write.check = lambda conn, tables: invariants.check(conn, tables, claims, len(run.scope_keys))


def _summarise(conn: sa.Connection, tables: dict[str, sa.Table]) -> list[ScopeSummary]:
    result: list[ScopeSummary] = []
    for name, scope, key_col in (
        (outputs.CURRENT, "current", "as_of_date"),
        (outputs.YEARLY, "yearly", "performance_year"),
    ):
        t = tables[name]
        query = (
            sa.select(t.c[key_col], t.c.attribution_type, t.c.assigned_step, sa.func.count())
            .group_by(t.c[key_col], t.c.attribution_type, t.c.assigned_step)
            .order_by(t.c[key_col], t.c.attribution_type, t.c.assigned_step)
        )
        per_key: dict[str, list[tuple[str, int, int]]] = {}
        for key, kind, step, count in conn.execute(query):
            per_key.setdefault(str(key), []).append((kind, int(step), int(count)))
        for key, counts in per_key.items():
            by_type: dict[str, int] = {}
            for kind, _, count in counts:
                by_type[kind] = by_type.get(kind, 0) + count
            result.append(
                ScopeSummary(
                    scope=scope,
                    key=key,
                    members=sum(c for _, _, c in counts),
                    by_step={step: c for kind, step, c in counts if kind == "claims"},
                    fallback=by_type.get("none", 0),
                    by_type=by_type,
                )
            )
    return result


def _exclusions(conn: sa.Connection, table: sa.Table) -> dict[str, int]:
    """Reason → lines, in reason order."""
    query = sa.select(table.c.reason, table.c.lines).order_by(table.c.reason_order)
    return {str(reason): int(lines) for reason, lines in conn.execute(query)}


def _beneficiary_exclusions(conn: sa.Connection, table: sa.Table) -> dict[str, dict[str, int]]:
    """``scope|key`` → reason → beneficiaries, keys and reasons in order."""
    query = sa.select(
        table.c.scope,
        table.c.performance_year,
        table.c.as_of_date,
        table.c.reason,
        table.c.beneficiaries,
    ).order_by(table.c.scope, table.c.performance_year, table.c.as_of_date, table.c.reason_order)
    result: dict[str, dict[str, int]] = {}
    for scope, year, as_of, reason, count in conn.execute(query):
        key = f"{scope}|{year if scope == 'yearly' else as_of}"
        result.setdefault(key, {})[str(reason)] = int(count)
    return result


def attribute(
    engine_or_url: EngineLike,
    inputs: Inputs | None = None,
    *,
    method: Method | str = TUVA,
    as_of: AsOf = None,
    years: Iterable[int] | None = None,
    current: bool = True,
    target_schema: str | None = None,
    valuesets: ValueSets | None = None,
    today: dt.date | None = None,
    validate: bool = True,
    strict: bool = False,
    progress: ProgressCallback | None = None,
) -> RunSummary:
    """Attribute every eligible member inside the database and write the three output tables.

    ``as_of`` pins the current scope (default: latest claim end date not in the future); a
    sequence of dates gives one current scope key each (monthly as-of dates, say), all ranked
    from one scan of the claims;
    ``years`` lists performance years (default: every year of the eligibility input, ``[]`` for
    none); ``current=False`` skips the current scope. Outputs are replaced in one transaction.
    ``validate`` (default on) checks the inputs first (``validate.preflight``) and raises
    ``validate.InputError`` naming every problem before any attribution query runs: missing
    tables or columns, unusable types or values; ``strict=True`` also stops on implausible
    data (empty claims or eligibility, an as-of date outside the claims).
    ``progress`` (optional) is called with each of :data:`STAGES` as it starts; the summary's
    ``stage_seconds`` times them.
    """
    loaded = _loaded(method)
    chosen = loaded.method
    valuesets = valuesets or loaded.valuesets  # None: each scope key's year's editions
    engine = connect(engine_or_url)
    inputs = inputs or Inputs()
    clock = _StageClock(progress)
    clock.start("validate")
    with engine.begin() as conn:
        inputs = resolve_inputs(conn, inputs)
        wanted = tuple(years) if years is not None else None
        as_of = as_of_dates(as_of)
        if validate:
            checks = preflight(conn, inputs, chosen, as_of=as_of if current else None, years=wanted)
            require_valid(checks, data=strict)
        keys = resolve_scope(
            conn, inputs, as_of=as_of, years=wanted, current=current, today=today, method=chosen
        )
        builder = QueryBuilder(inputs, chosen, valuesets, today)
        with StagedWrite(conn, target_schema) as write:
            write.profile.tune_transaction(conn)
            builder = builder.for_engine(write.profile)
            clock.start("candidates")
            names = stage_tables.stages_to_write(write.profile, builder)
            work = stage_tables.materialise(write, builder, keys, names)
            run = builder.with_materialised(work).compile(keys)
            _write(write, run, input_tables.claims(inputs), clock.start)
        tables = write.final
        rows = {
            name: int(
                conn.execute(sa.select(sa.func.count()).select_from(tables[name])).scalar_one()
            )
            for name in outputs.TABLES
        }
        scopes = _summarise(conn, tables)
        exclusions = _exclusions(conn, tables[outputs.EXCLUSIONS])
        beneficiaries = _beneficiary_exclusions(conn, tables[outputs.BENEFICIARY_EXCLUSIONS])
    clock.stop()
    return RunSummary(
        chosen.name,
        target_schema,
        tuple(scopes),
        rows,
        exclusions,
        dict(clock.seconds),
        beneficiaries,
    )
