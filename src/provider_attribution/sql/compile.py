"""Compile a method into SQLAlchemy Core selects over the user's tables.

The query is the pipeline of :data:`~provider_attribution.sql.stages.STAGES` (see
``docs/METHOD.md`` for the rules and ``docs/ARCHITECTURE.md`` for the stages): this module holds
the builder each stage calls, and composes the outputs over the stages.

The assigned tables are the ranking-1 rows of ``provider_ranking`` per scope.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from provider_attribution.engines import expressions, tables
from provider_attribution.engines.profile import EngineProfile
from provider_attribution.model import outputs
from provider_attribution.model.inputs import Classification, Inputs, SelectionTable
from provider_attribution.model.method import Gate, Method, Pass, Path, RankKey, Services, Unit
from provider_attribution.model.valuesets import BUCKETS, ValueSets, file_editions
from provider_attribution.model.windows import ScopeKey, month_key
from provider_attribution.sql.claim_lines import (
    INDIVIDUAL_VALUES,
    ORGANIZATION_VALUES,
    ClaimLines,
    primary_care_flag,
)
from provider_attribution.sql.enrollment import (
    NOT_EXCLUDED,
    beneficiary_exclusions_select,
)
from provider_attribution.sql.exclusions import exclusions_select
from provider_attribution.sql.member_spans import mask_base, spans_of_months
from provider_attribution.sql.specialties import (
    bucket_and_description,
    normalized_code,
    padded_specialty,
    specialty_of_taxonomy,
)
from provider_attribution.sql.stages import Built, build_stages


def _date(value: object) -> sa.ColumnElement[Any]:
    return expressions.date_literal(value)


def _int(value: int | None) -> sa.ColumnElement[Any]:
    if value is None:
        return sa.cast(sa.null(), sa.Integer)
    return sa.cast(sa.literal(value, sa.Integer), sa.Integer)


def _text(value: str | None) -> sa.ColumnElement[Any]:
    if value is None:
        return sa.cast(sa.null(), sa.String)
    return sa.literal(value, sa.String)


def _tin_join_key(
    tin: sa.ColumnElement[Any],
) -> tuple[sa.ColumnElement[Any], sa.ColumnElement[Any]]:
    """A TIN as two never-null join columns: the text ('' for null) and a null flag, so equal
    keys mean the same TIN or both null, and the join stays an equality (hash) join."""
    return sa.func.coalesce(tin, ""), _case([(tin.is_(None), 1)], 0)


def _all_equal(column: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    """As an aggregate: every row of the group has the same value of ``column``, null
    included (all rows one value, or all null)."""
    count = sa.func.count(column)
    same = sa.and_(sa.func.min(column) == sa.func.max(column), count == sa.func.count())
    return sa.or_(same, count == 0)


def _case(
    whens: Sequence[tuple[sa.ColumnElement[bool], Any]], else_: Any = None
) -> sa.ColumnElement[Any]:
    return sa.case(*whens, else_=else_)


SELECTION_DESCRIPTIONS = {
    Path.SELF_SELECTION: "Self-selected provider",
    Path.GEOGRAPHIC: "Geographic assignment",
}

# Columns every path contributes, in union order: what the ranking orders by and what is not
# a function of it; the labels (attribution type, step description, the NPI's bucket and
# specialty) and the scope key's end date are added after the ranking, so the window sorts
# narrow rows (``QueryBuilder.labelled``).
_PATH_COLUMNS = (
    "scope_id",
    "person_id",
    "path_order",
    "provider_id",
    "unit_type",
    "top_npi",
    "step",
    "rank_cents",
    "allowed_amount",
    "visits",
    "last_service_date",
    "lookback_start_date",
)


@dataclass(frozen=True)
class RunParts:
    """The stages every query of a run shares (see :mod:`~provider_attribution.sql.stages`)."""

    scope: sa.FromClause
    providers: sa.FromClause
    eligible: sa.FromClause
    reasons: sa.FromClause
    checked: sa.FromClause
    facts: sa.FromClause
    metrics: sa.FromClause
    units: sa.FromClause


# RunParts field → stage name
_PART_STAGES = {
    "scope": "pa_scopes",
    "providers": "pa_providers",
    "eligible": "pa_eligible",
    "reasons": "pa_person_reasons",
    "checked": "pa_checked",
    "facts": "pa_facts",
    "metrics": "pa_metrics",
    "units": "pa_units",
}
RUN_PARTS = tuple(_PART_STAGES.values())


@dataclass(frozen=True)
class CompiledRun:
    """The Select objects of one run; execute them or embed them in your own ETL."""

    provider_ranking: sa.Select[Any]
    assigned_beneficiaries_current: sa.Select[Any]
    assigned_beneficiaries_yearly: sa.Select[Any]
    attribution_exclusions: sa.Select[Any]
    scope_keys: tuple[ScopeKey, ...]
    beneficiary_exclusions: sa.Select[Any]

    def selects(self) -> dict[str, sa.Select[Any]]:
        """Output table name → select."""
        return {
            outputs.RANKING: self.provider_ranking,
            outputs.CURRENT: self.assigned_beneficiaries_current,
            outputs.YEARLY: self.assigned_beneficiaries_yearly,
            outputs.EXCLUSIONS: self.attribution_exclusions,
            outputs.BENEFICIARY_EXCLUSIONS: self.beneficiary_exclusions,
        }


class QueryBuilder:
    """Builds the selects of one method over one set of inputs and value sets."""

    def __init__(
        self,
        inputs: Inputs,
        method: Method,
        valuesets: ValueSets | None,
        today: dt.date | None = None,
        *,
        materialised: Mapping[str, sa.FromClause] | None = None,
        scope_source: sa.FromClause | None = None,
        code_source: sa.FromClause | None = None,
        specialty_source: sa.FromClause | None = None,
        taxonomy_source: sa.FromClause | None = None,
        revenue_code_source: sa.FromClause | None = None,
    ) -> None:
        """``valuesets``: the code lists of every scope key, or None for the shipped editions
        by year: each key's primary-care codes are those in force in its rule year
        (:meth:`ValueSets.in_force`); the specialty and taxonomy crosswalks, which describe
        NPIs rather than keys, are the newest edition's. ``materialised``: stage name → a table
        holding that stage (written by the caller from :meth:`stage_select`), read instead of
        recomputing the stage in every query. ``scope_source``: a table of the scope keys (the
        columns of :meth:`scope_columns`), read instead of literal keys: every bound that
        depends on the keys, and the run date, comes from it, so the same SQL serves any keys
        (the dbt export). ``code_source``: a table ``(slot, hcpcs_code)`` of the primary-care
        code lists (slot: which of :meth:`primary_care_lists`), read instead of inlined
        codes. ``specialty_source`` and ``taxonomy_source``: tables of the specialty and
        taxonomy crosswalks (columns :data:`~provider_attribution.sql.specialties.SPECIALTY_COLUMNS`
        and :data:`~provider_attribution.sql.specialties.TAXONOMY_COLUMNS`), joined instead of
        the value sets' inlined codes. ``revenue_code_source``: a table
        ``(revenue_center_code)`` of the method's FQHC/RHC revenue-center codes, read instead
        of inlined codes."""
        self.inputs = inputs
        self.method = method
        self.by_year = valuesets is None and method.code_lists_by_year
        self.valuesets = ValueSets.for_year() if valuesets is None else valuesets
        self.today = today or dt.date.today()
        self.materialised = dict(materialised or {})
        self.scope_source = scope_source
        self.code_source = code_source
        self.specialty_source = specialty_source
        self.taxonomy_source = taxonomy_source
        self.revenue_code_source = revenue_code_source
        # the shape of pa_facts (for_engine); the rows are the same
        self.facts_by_visit = False
        self.member_month_mask = False
        # scope keys → stage name → relation: each stage is built once per set of keys and
        # shared by every query of the run (the relations are immutable)
        self._built: dict[tuple[ScopeKey, ...], dict[str, sa.FromClause]] = {}

    def primary_care_lists(self) -> tuple[frozenset[str], ...]:
        """The run's primary-care code lists, one flag character of ``primary_care`` each: the
        given list, or every shipped edition (oldest first) when the lists go by year."""
        if not self.by_year:
            return (self.valuesets.primary_care_hcpcs,)
        return tuple(
            ValueSets.for_year(e).primary_care_hcpcs for e in file_editions("primary_care_hcpcs")
        )

    def primary_care_slot(self, key: ScopeKey) -> int:
        """Which of :meth:`primary_care_lists` (from 1) scope key ``key`` uses: the edition in
        force in its rule year (the oldest for a year before every edition)."""
        if not self.by_year:
            return 1
        shipped = file_editions("primary_care_hcpcs")
        year = max(key.rule_year, shipped[0])
        return max(i for i, e in enumerate(shipped, start=1) if e <= year)

    def is_primary_care(
        self, line: sa.FromClause, slot: int | sa.ColumnElement[Any]
    ) -> sa.ColumnElement[bool]:
        """The line is primary care under code list ``slot`` (a number, or a column of
        numbers such as ``pa_scopes.pc_slot``)."""
        if "primary_care" not in line.c:  # a row of pa_facts
            return self._by_slot(line, "pc", slot) == 1
        flags, slots = line.c.primary_care, len(self.primary_care_lists())
        if isinstance(slot, int):
            return primary_care_flag(flags, slot, slots) == "1"
        if slots == 1:
            return flags == "1"
        return (
            _case([(slot == k, primary_care_flag(flags, k, slots)) for k in range(1, slots + 1)])
            == "1"
        )

    def claim_lines(self) -> ClaimLines:
        """The line-checks builder of this run."""
        return ClaimLines(
            self.inputs,
            self.method,
            self.valuesets,
            self.today if self.scope_source is None else self._scope_value("max", RUN_DATE),
            self.primary_care_lists(),
            code_source=self.code_source,
            revenue_code_source=self.revenue_code_source,
        )

    # -- windows ----------------------------------------------------------------------------------

    def _window_lengths(self) -> list[int]:
        lengths = {m for p in self.method.passes for m, _ in p.segments}
        lengths.update(g.months for g in self.method.conditions)
        return sorted(lengths)

    def widest_window(self) -> int:
        return max(self._window_lengths())

    def key_widest(self, key: ScopeKey) -> int:
        """The widest window that matters in scope key ``key`` (the passes applying there)."""
        return max(self.method.windows_in(key.rule_year))

    def _fallback_months(self, key: ScopeKey) -> int:
        return max(p.months for _, p in self.method.passes_in(key.rule_year))

    def _fallback_start(self, key: ScopeKey) -> dt.date:
        """Start of the fallback row's lookback: the widest pass window of the key's rule year,
        or (``yearly_fallback_eligibility_window``) a yearly key's eligibility window."""
        if key.scope == "yearly" and self.method.yearly_fallback_eligibility_window:
            return key.window_start(self.method.eligibility_months)
        return key.window_start(self._fallback_months(key))

    def _uses_roster(self) -> bool:
        return self.method.unit is Unit.ACO and self.inputs.roster is not None

    # -- small inputs -------------------------------------------------------------------------

    def scope_columns(self) -> list[str]:
        """The columns of ``pa_scopes`` (and of a ``scope_source`` table, which adds
        :data:`RUN_DATE`)."""
        fixed = [
            "scope_id", "scope", "performance_year", "as_of_date", "key_prefix", "anchor_end",
            "is_current", "elig_first", "elig_last", "rule_year", "pc_slot", "run_start",
            "fallback_start", "alive_from",
        ]  # fmt: skip
        return fixed + [f"start_{n}" for n in self._window_lengths()]

    def _scope_value(self, aggregate: str, column: str) -> sa.ColumnElement[Any]:
        """``aggregate`` (min or max) of ``column`` over the ``scope_source`` table."""
        assert self.scope_source is not None
        value = getattr(sa.func, aggregate)(self.scope_source.c[column])
        return sa.select(value.label(f"{aggregate}_{column}")).scalar_subquery()

    def scopes(self, keys: Sequence[ScopeKey]) -> sa.CTE:
        """One row per scope key with every window bound (read from ``scope_source`` when
        given)."""
        if self.scope_source is not None:
            source = self.scope_source
            return sa.select(*(source.c[n] for n in self.scope_columns())).cte("pa_scopes")
        rows = []
        for index, key in enumerate(keys):
            first, last = key.eligibility_months(self.method.eligibility_months)
            cols: list[sa.ColumnElement[Any]] = [
                _int(index).label("scope_id"),
                _text(key.scope).label("scope"),
                _int(key.performance_year).label("performance_year"),
                _date(key.as_of_date).label("as_of_date"),
                _text(f"{key.scope}|{key.key_text}|").label("key_prefix"),
                _date(key.anchor_end).label("anchor_end"),
                _int(1 if key.scope == "current" else 0).label("is_current"),
                _int(first).label("elig_first"),
                _int(last).label("elig_last"),
                _int(key.rule_year).label("rule_year"),
                _int(self.primary_care_slot(key)).label("pc_slot"),
                _date(key.window_start(self.key_widest(key))).label("run_start"),
                _date(self._fallback_start(key)).label("fallback_start"),
                _date(self._alive_from(key)).label("alive_from"),
            ]
            cols += [_date(key.window_start(n)).label(f"start_{n}") for n in self._window_lengths()]
            rows.append(sa.select(*cols))
        union = rows[0] if len(rows) == 1 else sa.union_all(*rows)
        return union.cte("pa_scopes")

    def _alive_from(self, key: ScopeKey) -> dt.date:
        """A death before this day excludes the person: January 1 of the performance year, or
        the start of the eligibility window of the current scope."""
        if key.performance_year is not None:
            return dt.date(key.performance_year, 1, 1)
        return key.window_start(self.method.eligibility_months)

    def providers(self) -> sa.CTE:
        """One row per NPI: provider bucket, specialty description, organization and
        individual flags."""
        spec = self.inputs.providers
        src = tables.providers(self.inputs)
        kind = spec.classification_kind
        raw = src.c[spec.classification]
        if kind is Classification.BUCKET:
            norm: sa.ColumnElement[Any] = sa.func.lower(sa.func.trim(raw))
        else:
            norm = normalized_code(raw)
            if kind is Classification.SPECIALTY:
                norm = padded_specialty(norm)
        npi = expressions.binary_id(src.c[spec.npi])
        org: sa.ColumnElement[Any] = sa.literal(0, sa.Integer)
        individual: sa.ColumnElement[Any] = sa.literal(1, sa.Integer)
        if spec.entity_type is not None:
            kind_text = sa.func.lower(sa.func.trim(sa.cast(src.c[spec.entity_type], sa.String)))
            org = _case([(kind_text.in_(ORGANIZATION_VALUES), 1)], 0)
            individual = _case([(kind_text.in_(INDIVIDUAL_VALUES), 1)], 0)
        described: list[sa.ColumnElement[Any]] = []
        if spec.specialty_description is not None:
            described.append(sa.func.min(src.c[spec.specialty_description]).label("described"))
        dedup = (
            sa.select(
                npi.label("npi"),
                sa.func.min(norm).label("cls"),
                sa.func.max(org).label("is_org"),
                sa.func.max(individual).label("is_individual"),
                *described,
            )
            .where(npi.is_not(None))
            .group_by(npi)
            .subquery("pa_provider_dedup")
        )
        flags = (dedup.c.is_org, dedup.c.is_individual)
        cls = dedup.c.cls
        if kind is Classification.BUCKET:
            bucket = _case([(cls.in_(BUCKETS), cls)], "unknown")
            return sa.select(
                dedup.c.npi,
                bucket.label("bucket"),
                self._specialty_text(dedup, _text(None)).label("prov_specialty"),
                *flags,
            ).cte("pa_providers")
        rows: sa.FromClause = dedup
        specialty_of: sa.ColumnElement[Any] = cls
        if kind is Classification.TAXONOMY:
            rows, specialty_of = specialty_of_taxonomy(
                dedup, cls, self.valuesets, self.taxonomy_source
            )
        mapped = (
            sa.select(*(c for c in dedup.c if c.name != "cls"), specialty_of.label("specialty"))
            .select_from(rows)
            .subquery("pa_provider_spec")
        )
        classified, bucket, specialty_text = bucket_and_description(
            mapped, mapped.c.specialty, self.valuesets, self.specialty_source
        )
        return (
            sa.select(
                mapped.c.npi,
                bucket.label("bucket"),
                self._specialty_text(mapped, sa.cast(specialty_text, sa.String)).label(
                    "prov_specialty"
                ),
                mapped.c.is_org,
                mapped.c.is_individual,
            )
            .select_from(classified)
            .cte("pa_providers")
        )

    def _specialty_text(
        self, source: sa.Subquery, from_codes: sa.ColumnElement[Any]
    ) -> sa.ColumnElement[Any]:
        """``prov_specialty``: the directory's description column when mapped, else the value
        sets' description of the specialty code."""
        if self.inputs.providers.specialty_description is None:
            return from_codes
        return sa.cast(source.c.described, sa.String)

    def member_spans(self, keys: Sequence[ScopeKey]) -> sa.CTE:
        """``pa_member_spans``: the runs of consecutive member months inside the months any
        scope key looks at (``sql/member_spans.py``), told by a month mask where the engine's
        profile asks for one (``member_month_mask``) and the keys are literal."""
        src = tables.eligibility(self.inputs)
        e = self.inputs.eligibility
        key = tables.month_key_of(src, e)
        first, last = self._month_bounds(keys)
        person = expressions.binary_id(src.c[e.person_id])
        months = (
            sa.select(person.label("person_id"), key.label("month_key"))
            .where(person.is_not(None))
            .where(key.between(first, last))
        )
        base = None
        if self.member_month_mask and self.scope_source is None:
            base = mask_base(*self._literal_month_bounds(keys))
        return spans_of_months(months, base)

    def _month_bounds(
        self, keys: Sequence[ScopeKey]
    ) -> tuple[sa.ColumnElement[Any], sa.ColumnElement[Any]]:
        """First and last ``YYYYMM`` any scope key looks at (its widest window or its
        eligibility window)."""
        widest = self._widest_member_window()
        if self.scope_source is None:
            low, high = self._literal_month_bounds(keys)
            return _int(low), _int(high)
        if widest == self.method.eligibility_months:
            start = self._scope_value("min", "elig_first")
        else:
            start = expressions.month_key(self._scope_value("min", f"start_{widest}"))
        return start, self._scope_value("max", "elig_last")

    def _widest_member_window(self) -> int:
        """Months of the widest window any key looks at in the member months: a pass's or
        gate's, or the eligibility window."""
        return max(self.widest_window(), self.method.eligibility_months)

    def _literal_month_bounds(self, keys: Sequence[ScopeKey]) -> tuple[int, int]:
        """:meth:`_month_bounds` of literal keys, as ``YYYYMM`` integers."""
        widest = self._widest_member_window()
        first = min(month_key(k.window_start(widest)) for k in keys)
        return first, max(month_key(k.anchor_end) for k in keys)

    def _date_bounds(
        self, keys: Sequence[ScopeKey]
    ) -> tuple[sa.ColumnElement[Any], sa.ColumnElement[Any]]:
        """First and last service date any scope key counts (the widest window of its rule
        year)."""
        if self.scope_source is None:
            first = min(k.window_start(self.key_widest(k)) for k in keys)
            return _date(first), _date(max(k.anchor_end for k in keys))
        return self._scope_value("min", "run_start"), self._scope_value("max", "anchor_end")

    def _roster_by_year(self) -> bool:
        """The roster lists participants per performance year (``RosterTable.performance_year``):
        a line's ACO then depends on the scope key, not on its service date."""
        roster = self.inputs.roster
        return self._uses_roster() and roster is not None and roster.performance_year is not None

    def aco_lookup(
        self, checked: sa.FromClause, first: sa.ColumnElement[Any], last: sa.ColumnElement[Any]
    ) -> sa.Subquery:
        """The ACO of each distinct (NPI, TIN, service date) of the lines that take part: the
        smallest matching roster aco_id, as :meth:`aco_of` defines it, computed by one join
        instead of a subquery per line."""
        spec = self.inputs.roster
        assert spec is not None
        with_tin = self.inputs.claims.tin is not None
        key_columns = [checked.c.npi, checked.c.service_date]
        if with_tin:
            key_columns.append(checked.c.tin)
        keys = (
            sa.select(*key_columns)
            .where(checked.c.check_status == 0)
            .where(checked.c.service_date.between(first, last))
            .distinct()
            .subquery("pa_aco_keys")
        )
        r = tables.roster(spec).alias("pa_roster")
        tin = keys.c.tin if with_tin else None
        conds = self._roster_match(r, keys.c.npi, tin, day=keys.c.service_date)
        return self._smallest_aco(keys, r, conds)

    def aco_lookup_by_year(self, line: sa.FromClause) -> sa.Subquery:
        """With a roster by performance year: the ACO of each distinct (NPI, TIN) of the lines
        in each performance year of the roster, the smallest matching aco_id; joined to a
        line where it meets a scope key of that (rule) year."""
        spec = self.inputs.roster
        assert spec is not None
        assert spec.performance_year is not None
        with_tin = self.inputs.claims.tin is not None
        key_columns = [line.c.npi, *([line.c.tin] if with_tin else [])]
        keys = sa.select(*key_columns).distinct().subquery("pa_aco_keys")
        r = tables.roster(spec).alias("pa_roster")
        year = r.c[spec.performance_year]
        conds = self._roster_match(r, keys.c.npi, keys.c.tin if with_tin else None, year=year)
        return self._smallest_aco(keys, r, conds, performance_year=year)

    def _smallest_aco(
        self,
        keys: sa.Subquery,
        r: sa.FromClause,
        conds: list[sa.ColumnElement[bool]],
        name: str = "pa_aco_of",
        **by: sa.ColumnElement[Any],
    ) -> sa.Subquery:
        """``name`` (``pa_aco_of``): per row of ``keys`` (and per roster column of ``by``,
        named by its key) the smallest aco_id of the roster rows ``r`` meeting ``conds``. A TIN
        in ``keys`` becomes ``tin_key``/``tin_null``, joinable by equality (a hash join) while
        a null TIN stays apart from any text."""
        spec = self.inputs.roster
        assert spec is not None
        columns: list[sa.ColumnElement[Any]] = [c for c in keys.c if c.name != "tin"]
        if "tin" in keys.c:
            key, null = _tin_join_key(keys.c.tin)
            columns += [key.label("tin_key"), null.label("tin_null")]
        columns += [column.label(name) for name, column in by.items()]
        aco_id = sa.func.min(expressions.binary_id(r.c[spec.aco_id])).label("aco_id")
        return (
            sa.select(*columns, aco_id)
            .select_from(keys.join(r, sa.and_(*conds)))
            .group_by(*keys.c, *by.values())
            .subquery(name)
        )

    def _selection_aco_on_day(
        self, name: str, sel: sa.FromClause, npi: sa.ColumnElement[Any], scope: sa.FromClause
    ) -> sa.Subquery:
        """A roster by date ranges as (npi, anchor_end, smallest aco_id): the ACO each
        selected NPI belonged to on each scope key's end date, TIN ignored; joined, not a
        subquery per selection (which some engines cannot run correlated)."""
        spec = self.inputs.roster
        assert spec is not None
        keys = (
            sa.select(npi.label("npi"), scope.c.anchor_end.label("anchor_end"))
            .select_from(sel.join(scope, sa.true()))
            .where(npi.is_not(None))
            .distinct()
            .subquery(f"{name}_keys")
        )
        r = tables.roster(spec).alias(f"{name}_roster")
        conds = self._roster_match(r, keys.c.npi, None, day=keys.c.anchor_end)
        return self._smallest_aco(keys, r, conds, name=name)

    def _selection_aco_by_year(self, name: str) -> sa.Subquery:
        """A roster by performance year as (npi, performance_year, smallest aco_id): a
        selection's unit, TIN ignored."""
        spec = self.inputs.roster
        assert spec is not None
        assert spec.performance_year is not None
        r = tables.roster(spec).alias(f"{name}_roster")
        npi = expressions.binary_id(r.c[spec.npi])
        year = r.c[spec.performance_year]
        return (
            sa.select(
                npi.label("npi"),
                year.label("performance_year"),
                sa.func.min(expressions.binary_id(r.c[spec.aco_id])).label("aco_id"),
            )
            .where(npi.is_not(None))
            .group_by(npi, year)
            .subquery(name)
        )

    def _roster_match(
        self,
        r: sa.FromClause,
        npi: sa.ColumnElement[Any],
        tin: sa.ColumnElement[Any] | None,
        *,
        day: sa.ColumnElement[Any] | None = None,
        year: sa.ColumnElement[Any] | None = None,
    ) -> list[sa.ColumnElement[bool]]:
        """Roster row ``r`` lists ``npi`` (with ``tin`` when both are known) on ``day``, or
        (a roster by performance year, whose date columns are not read) in ``year``."""
        spec = self.inputs.roster
        assert spec is not None
        conds: list[sa.ColumnElement[bool]] = [expressions.binary_id(r.c[spec.npi]) == npi]
        if spec.performance_year is not None:
            assert year is not None
            conds.append(r.c[spec.performance_year] == year)
        else:
            assert day is not None
            if spec.start_date is not None:
                conds.append(sa.or_(r.c[spec.start_date].is_(None), r.c[spec.start_date] <= day))
            if spec.end_date is not None:
                conds.append(sa.or_(r.c[spec.end_date].is_(None), r.c[spec.end_date] >= day))
        if tin is not None and spec.tin is not None:
            roster_tin = expressions.binary_id(r.c[spec.tin])
            conds.append(sa.or_(r.c[spec.tin].is_(None), roster_tin == tin))
        return conds

    @staticmethod
    def _unit(
        aco: sa.ColumnElement[Any], tin: sa.ColumnElement[Any] | None, npi: sa.ColumnElement[Any]
    ) -> tuple[sa.ColumnElement[Any], sa.ColumnElement[Any]]:
        """(unit_type, unit_id) of an ACO-unit line: its ACO, else its TIN, else its NPI."""
        parts: list[tuple[sa.ColumnElement[bool], Any]] = [(aco.is_not(None), "aco")]
        if tin is not None:
            parts.append((tin.is_not(None), "tin"))
        return _case(parts, "npi"), sa.func.coalesce(aco, *([tin] if tin is not None else []), npi)

    # -- the scan -------------------------------------------------------------------------------

    def facts(self, keys: Sequence[ScopeKey], checked: sa.FromClause) -> sa.CTE:
        """The lines that take part (checks 2 to 9 passed, inside the run's widest window, on
        an eligible member month: ``has_month``, joined once in ``pa_checked``) with their
        unit, reduced to facts once for every scope key (:meth:`_facts`)."""
        npi = checked.c.npi
        tin = checked.c.tin if self.inputs.claims.tin is not None else None
        first, last = self._date_bounds(keys)
        source: sa.FromClause = checked
        # none for NPI units (the NPI is the unit) nor for a roster by year (the ACO depends
        # on the scope key: decided in metrics())
        units: list[sa.ColumnElement[Any]] = []
        if self.method.unit is Unit.ACO and not self._roster_by_year():
            aco: sa.ColumnElement[Any] = _text(None)
            if self._uses_roster():
                lookup = self.aco_lookup(checked, first, last)
                on = [lookup.c.npi == npi, lookup.c.service_date == checked.c.service_date]
                if tin is not None:
                    key, null = _tin_join_key(tin)
                    on += [lookup.c.tin_key == key, lookup.c.tin_null == null]
                source = source.outerjoin(lookup, sa.and_(*on))
                aco = lookup.c.aco_id
            unit_type, unit_id = self._unit(aco, tin, npi)
            units = [unit_type.label("unit_type"), unit_id.label("unit_id")]
        taken = (
            sa.select(
                checked.c.person_id,
                npi,
                checked.c.service_date,
                checked.c.end_date,
                checked.c.amount_cents,
                checked.c.visit_key,
                checked.c.primary_care,
                checked.c.bucket,
                checked.c.in_directory,
                *([checked.c.tin] if self._roster_by_year() and tin is not None else []),
                *units,
            )
            .select_from(source)
            .where(checked.c.check_status == 0)
            .where(checked.c.has_month == 1)
            .where(checked.c.service_date.between(first, last))
            .subquery("pa_taken_lines")
        )
        slots: Sequence[int] = range(1, len(self.primary_care_lists()) + 1)
        if self.scope_source is None:  # the code lists of the given keys only
            slots = sorted({self.primary_care_slot(k) for k in keys})
        return self._facts(taken, slots)

    def _facts(self, taken: sa.FromClause, slots: Sequence[int]) -> sa.CTE:
        """The taken lines reduced to one row per person, unit, NPI, visit key, service date,
        end date and bucket: their cents, and per primary-care code list ``s`` of ``slots``
        whether one of them is primary care under it (``pc_s``) and those lines' cents
        (``pc_cents_s``). Every test of a pass or gate is the same for all the lines of such a
        row, so the scope keys rank from these rows as from the lines. ``visit_rows``: the
        rows of the same person, NPI and visit key (1 for almost every visit: its lines share
        their dates), so that only the other visits need a per-visit aggregation per key.
        Built in one of two shapes with the same rows (:meth:`for_engine`)."""
        names = ["service_date", "end_date", "bucket"]
        if not self._npi_units():
            names += [n for n in ("unit_type", "unit_id") if n in taken.c]
        if "tin" in taken.c:  # the ACO by year is looked up from the NPI and TIN
            names.append("tin")
        sums = self._fact_sums(taken, slots)
        if self.facts_by_visit:
            return self._facts_by_visit(taken, sums, names)
        return self._grouped_facts(taken, taken, sums, names).cte("pa_facts")

    @staticmethod
    def _grouped_facts(
        taken: sa.FromClause,
        lines: sa.FromClause,
        sums: Sequence[sa.Label[Any]],
        names: Sequence[str],
    ) -> sa.Select[Any]:
        """The taken lines of ``lines`` grouped by person, NPI, visit key and ``names``, with
        ``sums`` and the rows of each visit (``visit_rows``, a count over the visit)."""
        keys = [taken.c.person_id, taken.c.npi, taken.c.visit_key, *(taken.c[n] for n in names)]
        grouped = (
            sa.select(*keys, *sums).select_from(lines).group_by(*keys).subquery("pa_fact_rows")
        )
        visit = (grouped.c.person_id, grouped.c.npi, grouped.c.visit_key)
        visit_rows = sa.func.count().over(partition_by=visit).label("visit_rows")
        return sa.select(*grouped.c, visit_rows)

    def _facts_by_visit(
        self, taken: sa.FromClause, sums: Sequence[sa.Label[Any]], names: Sequence[str]
    ) -> sa.CTE:
        """:meth:`_facts` grouped per visit first: one group-by of the lines per person, NPI
        and visit key (``pa_fact_visits``) tells whether all of a visit's lines agree on
        ``names`` (null included); such a visit is its one fact, and only the lines of the
        other visits are grouped again by those columns. Where a count over the visit is a
        second group-by of every fact joined back (DuckDB), this does less; where a CTE read
        twice is computed twice (Spark), more."""
        visit = [taken.c.person_id, taken.c.npi, taken.c.visit_key]
        agree = sa.and_(*(_all_equal(taken.c[n]) for n in names))
        per_visit = (
            sa.select(
                *visit,
                *(sa.func.min(taken.c[n]).label(n) for n in names),
                *sums,
                _case([(agree, 1)], 0).label("one_row"),
            )
            .group_by(*visit)
            .cte("pa_fact_visits")
        )
        one_row = sa.select(
            *(per_visit.c[n] for n in ("person_id", "npi", "visit_key", *names)),
            *(per_visit.c[c.name] for c in sums),
            sa.cast(sa.literal(1), sa.Integer).label("visit_rows"),
        ).where(per_visit.c.one_row == 1)
        visit_key, visit_null = _tin_join_key(per_visit.c.visit_key)
        split = (
            sa.select(
                per_visit.c.person_id,
                per_visit.c.npi,
                visit_key.label("key"),
                visit_null.label("key_null"),
            )
            .where(per_visit.c.one_row == 0)
            .subquery("pa_split_visits")
        )
        line_key, line_null = _tin_join_key(taken.c.visit_key)
        lines = taken.join(
            split,
            sa.and_(
                split.c.person_id == taken.c.person_id,
                split.c.npi == taken.c.npi,
                split.c.key == line_key,
                split.c.key_null == line_null,
            ),
        )
        several = self._grouped_facts(taken, lines, sums, names)
        return sa.union_all(one_row, several).cte("pa_facts")

    def _fact_sums(self, taken: sa.FromClause, slots: Sequence[int]) -> list[sa.Label[Any]]:
        """The aggregates of a fact: directory flag, cents, and per primary-care code list of
        ``slots`` its flag and cents."""
        every = len(self.primary_care_lists())
        per_slot: list[sa.Label[Any]] = []
        for slot in slots:
            pc = primary_care_flag(taken.c.primary_care, slot, every) == "1"
            per_slot += [
                sa.func.max(_case([(pc, 1)], 0)).label(f"pc_{slot}"),
                sa.func.sum(_case([(pc, taken.c.amount_cents)])).label(f"pc_cents_{slot}"),
            ]
        return [
            sa.func.max(taken.c.in_directory).label("in_directory"),
            sa.func.sum(taken.c.amount_cents).label("amount_cents"),
            *per_slot,
        ]

    def line_fits(
        self,
        line: sa.FromClause,
        buckets: frozenset[str] | None,
        services: Services,
        slot: int | sa.ColumnElement[Any],
    ) -> list[sa.ColumnElement[bool]]:
        """What a pass or gate asks of a line beyond its window: the directory, the bucket and
        primary care by code list ``slot`` (see :meth:`is_primary_care`). Empty when it asks
        nothing more."""
        cond: list[sa.ColumnElement[bool]] = []
        if self.method.directory_required:
            cond.append(line.c.in_directory == 1)
        if buckets is not None:
            cond.append(line.c.bucket.in_(sorted(buckets)))
        if services is Services.PRIMARY_CARE:
            cond.append(self.is_primary_care(line, slot))
        return cond

    def _in_window(
        self,
        months: int,
        buckets: frozenset[str] | None,
        services: Services,
        line: sa.FromClause,
        scope: sa.FromClause,
    ) -> sa.ColumnElement[bool]:
        """The line is on or after the window start and fits the bucket and services (the
        caller bounds the anchor end and the end date)."""
        start = line.c.service_date >= scope.c[f"start_{months}"]
        return sa.and_(start, *self.line_fits(line, buckets, services, scope.c.pc_slot))

    def _in_pass(
        self, p: Pass, line: sa.FromClause, scope: sa.FromClause
    ) -> sa.ColumnElement[bool]:
        """The line falls in pass ``p`` of the scope key (the pass applies in its year)."""
        hit = self._in_window(p.months, p.buckets, p.services, line, scope)
        if p.from_year is not None:
            hit = sa.and_(hit, scope.c.rule_year >= _int(p.from_year))
        return hit

    def _in_gate(
        self,
        gate: Gate,
        line: sa.FromClause,
        scope: sa.FromClause,
        unit_type: sa.ColumnElement[Any],
    ) -> sa.ColumnElement[bool]:
        """The line falls in ``gate`` (from an ACO unit when participants only)."""
        hit = self._in_window(gate.months, gate.buckets, gate.services, line, scope)
        if gate.participants_only:
            hit = sa.and_(hit, unit_type == "aco")
        return hit

    def _weight(
        self, p: Pass, line: sa.FromClause, scope: sa.FromClause
    ) -> sa.ColumnElement[Any] | None:
        if p.weights is None:
            return None
        return _case(
            [(line.c.service_date >= scope.c[f"start_{m}"], w) for m, w in p.segments[:-1]],
            p.segments[-1][1],
        )

    def _pass_cents(
        self, p: Pass, line: sa.FromClause, scope: sa.FromClause
    ) -> sa.ColumnElement[Any] | None:
        """The cents a row of ``pa_facts`` adds to pass ``p``: its primary-care cents under the
        key's code list for a primary-care pass, else all its cents; weighted by its date when
        the pass has weights. None when that is the row's ``amount_cents`` as it is."""
        cents = None
        if p.services is Services.PRIMARY_CARE:
            cents = self._by_slot(line, "pc_cents", scope.c.pc_slot)
        weight = self._weight(p, line, scope)
        if weight is None:
            return cents
        return weight * (line.c.amount_cents if cents is None else cents)

    @staticmethod
    def _by_slot(
        facts: sa.FromClause, prefix: str, slot: int | sa.ColumnElement[Any]
    ) -> sa.ColumnElement[Any]:
        """Column ``<prefix>_<slot>`` of ``pa_facts``; for a column of slots, a case over the
        code lists the facts carry (one list: its column)."""
        if isinstance(slot, int):
            return facts.c[f"{prefix}_{slot}"]
        carried = [c for c in facts.c if c.name.removeprefix(f"{prefix}_").isdigit()]
        if len(carried) == 1:
            return carried[0]
        return _case([(slot == int(c.name.rsplit("_", 1)[1]), c) for c in carried])

    def metrics(self, line: sa.FromClause, scope: sa.FromClause) -> sa.CTE:
        """Per scope key, person, unit and NPI: each pass's cents, visits, last service, and
        ``cond_j``: 1 when a line falls in the method's j-th gate condition.

        ``line`` is ``pa_facts``: the lines reduced once, so every key ranks from the same
        facts. Three steps: each (fact, scope key) pair with every pass's and gate's test
        evaluated once, as 0/1 flags (``pa_pass_tests``; the aggregates below read the flags
        instead of repeating the tests, which keeps engines that compile expressions, Spark's
        code generation, within their limits); per visit key (each pass's cents, last date and
        whether the visit has a line in the pass); then per NPI, where a pass's visits are the
        visits that hit it. One pass over the facts instead of one distinct-count per pass."""
        source: sa.FromClause = line.join(
            scope,
            sa.and_(
                line.c.service_date >= scope.c.run_start,
                line.c.service_date <= scope.c.anchor_end,
                # current keys: only lines that ended by the as-of date
                sa.or_(scope.c.is_current == 0, line.c.end_date <= scope.c.anchor_end),
            ),
        )
        if self._roster_by_year():
            # the ACO of the line's NPI (and TIN) in the key's (rule) year
            tin = line.c.tin if self.inputs.claims.tin is not None else None
            lookup = self.aco_lookup_by_year(line)
            on = [lookup.c.npi == line.c.npi, lookup.c.performance_year == scope.c.rule_year]
            if tin is not None:
                key, null = _tin_join_key(tin)
                on += [lookup.c.tin_key == key, lookup.c.tin_null == null]
            source = source.outerjoin(lookup, sa.and_(*on))
            unit_type, unit_id = self._unit(lookup.c.aco_id, tin, line.c.npi)
        elif self._npi_units():
            unit_type, unit_id = sa.literal("npi", sa.String), line.c.npi
        else:
            unit_type, unit_id = line.c.unit_type, line.c.unit_id
        # A test that is null (an unknown bucket, say) is 0, as it was false in the aggregates.
        tested: list[sa.ColumnElement[Any]] = []
        weighted: set[int] = set()
        for i, p in enumerate(self.method.passes, start=1):
            tested.append(_case([(self._in_pass(p, line, scope), 1)], 0).label(f"hit_{i}"))
            cents = self._pass_cents(p, line, scope)
            if cents is not None:  # the pass's cents, when not the row's amount_cents
                tested.append(cents.label(f"weighted_{i}"))
                weighted.add(i)
        tested += [
            _case([(self._in_gate(g, line, scope, unit_type), 1)], 0).label(f"cond_{j}")
            for j, g in enumerate(self.method.conditions)
        ]
        # NPI units: the unit is the NPI, so the unit columns stay out of the grouping keys
        # (two fewer keys to hash or sort per line and key) and are added to the result.
        npi_units = self._npi_units()
        unit_names = () if npi_units else ("unit_type", "unit_id")
        unit_columns = [] if npi_units else [unit_type.label("unit_type"), unit_id.label("unit_id")]
        tests = (
            sa.select(
                scope.c.scope_id,
                line.c.person_id,
                *unit_columns,
                line.c.npi,
                line.c.visit_key,
                line.c.service_date,
                line.c.amount_cents,
                line.c.visit_rows,
                *tested,
            )
            .select_from(source)
            .subquery("pa_pass_tests")
        )
        # per visit: a visit of one fact row is that row (most visits); the others are
        # aggregated (one hash aggregation over the few rows of visits over several dates)
        per_visit: list[sa.ColumnElement[Any]] = []
        per_row: list[sa.ColumnElement[Any]] = []
        for i, _ in self._passes():
            hit = tests.c[f"hit_{i}"] == 1
            cents = tests.c[f"weighted_{i}" if i in weighted else "amount_cents"]
            per_visit += [
                sa.func.sum(_case([(hit, cents)])).label(f"cents_{i}"),
                sa.func.max(tests.c[f"hit_{i}"]).label(f"hit_{i}"),
                sa.func.max(_case([(hit, tests.c.service_date)])).label(f"last_{i}"),
            ]
            per_row += [
                _case([(hit, cents)]).label(f"cents_{i}"),
                tests.c[f"hit_{i}"],
                _case([(hit, tests.c.service_date)]).label(f"last_{i}"),
            ]
        per_visit += self._max_conditions(tests)
        per_row += [tests.c[f"cond_{j}"] for j in range(len(self.method.conditions))]
        visit_keys = [
            tests.c[name] for name in ("scope_id", "person_id", *unit_names, "npi", "visit_key")
        ]
        visits = sa.union_all(
            sa.select(*visit_keys, *per_row).where(tests.c.visit_rows == 1),
            sa.select(*visit_keys, *per_visit).where(tests.c.visit_rows > 1).group_by(*visit_keys),
        ).subquery("pa_visit_metrics")
        counted = visits.c.visit_key.is_not(None)
        aggregates: list[sa.ColumnElement[Any]] = []
        for i, _ in self._passes():
            aggregates += [
                sa.func.sum(visits.c[f"cents_{i}"]).label(f"cents_{i}"),
                sa.func.count(_case([(sa.and_(counted, visits.c[f"hit_{i}"] == 1), 1)])).label(
                    f"visits_{i}"
                ),
                sa.func.max(visits.c[f"last_{i}"]).label(f"last_{i}"),
            ]
        keys = [visits.c[name] for name in ("scope_id", "person_id", *unit_names, "npi")]
        units: list[sa.ColumnElement[Any]] = (
            [sa.literal("npi", sa.String).label("unit_type"), visits.c.npi.label("unit_id")]
            if npi_units
            else [visits.c.unit_type, visits.c.unit_id]
        )
        return (
            sa.select(*keys[:2], *units, visits.c.npi, *aggregates, *self._max_conditions(visits))
            .group_by(*keys)
            .cte("pa_metrics")
        )

    def projection_stages(self) -> frozenset[str]:
        """Stages that under this method only add per-row columns to the stage before them:
        ``pa_units`` when every unit is one NPI and no gate needs a per-person window. A work
        table of them would copy the rows of the one before for nothing."""
        if self._npi_units() and not self.method.conditions:
            return frozenset({"pa_units"})
        return frozenset()

    def _npi_units(self) -> bool:
        """Every unit is one NPI (the unit columns follow from the NPI)."""
        return self.method.unit is Unit.NPI and not self._roster_by_year()

    def _max_conditions(self, source: sa.FromClause) -> list[sa.ColumnElement[Any]]:
        """``max(cond_j)`` of every condition, for a group-by over ``source``."""
        return [
            sa.func.max(source.c[f"cond_{j}"]).label(f"cond_{j}")
            for j in range(len(self.method.conditions))
        ]

    def _passes(self) -> list[tuple[int, Pass]]:
        return list(enumerate(self.method.passes, start=1))

    def units(self, metrics: sa.FromClause) -> sa.CTE:
        """Per scope key, person and unit: pass metrics rolled up, ``ok_i`` (pass i's
        requirement holds for the person) and the step: the earliest pass with a line and
        ``ok_i``."""
        rolled: list[sa.ColumnElement[Any]] = []
        for i, _ in self._passes():
            rolled += [
                sa.func.sum(metrics.c[f"cents_{i}"]).label(f"cents_{i}"),
                sa.func.sum(metrics.c[f"visits_{i}"]).label(f"visits_{i}"),
                sa.func.max(metrics.c[f"last_{i}"]).label(f"last_{i}"),
            ]
        keys = (metrics.c.scope_id, metrics.c.person_id, metrics.c.unit_type, metrics.c.unit_id)
        if self.method.unit is Unit.NPI:
            # A unit is one NPI: the metrics are already per unit.
            base = sa.select(*(c for c in metrics.c if c.name != "npi")).subquery("pa_unit_sums")
        else:
            base = (
                sa.select(*keys, *rolled, *self._max_conditions(metrics))
                .group_by(*keys)
                .subquery("pa_unit_sums")
            )
        conditions = self.method.conditions
        if conditions:
            # each condition per person: does any of the person's units have a line in it
            person = (base.c.scope_id, base.c.person_id)
            held = [
                sa.func.max(base.c[f"cond_{j}"]).over(partition_by=person).label(f"held_{j}")
                for j in range(len(conditions))
            ]
            base = sa.select(*base.c, *held).subquery("pa_unit_conditions")
        index = {g: j for j, g in enumerate(conditions)}
        ok: list[sa.ColumnElement[Any]] = []  # per pass: 1 when its requirement holds
        steps: list[tuple[sa.ColumnElement[bool], Any]] = []
        for i, p in self._passes():
            tests = [
                base.c[f"held_{index[r.gate]}"] == (0 if r.negated else 1)
                for r in self.method.requirements(p)
            ]
            has_line = base.c[f"cents_{i}"].is_not(None)
            if tests:
                ok.append(_case([(sa.and_(*tests), 1)], 0).label(f"ok_{i}"))
                steps.append((sa.and_(has_line, *tests), i))
            else:
                ok.append(_int(1).label(f"ok_{i}"))
                steps.append((has_line, i))
        # the step: the earliest pass with a line whose requirement holds for the person
        return sa.select(*base.c, *ok, _case(steps).label("step")).cte("pa_units")

    def top_npis(self, metrics: sa.FromClause, units: sa.FromClause) -> sa.CTE | None:
        """Per unit, the NPI with the most (weighted) cents in the decisive pass; None when
        every unit is one NPI (its own top NPI)."""
        if self.method.unit is Unit.NPI:
            return None

        def at_step(column: str) -> sa.ColumnElement[Any]:
            return _case(
                [(units.c.step == i, metrics.c[f"{column}_{i}"]) for i, _ in self._passes()]
            )

        joined = (
            sa.select(
                metrics.c.scope_id,
                metrics.c.person_id,
                metrics.c.unit_type,
                metrics.c.unit_id,
                metrics.c.npi,
                at_step("cents").label("cents"),
                at_step("last").label("last_service"),
            )
            .select_from(
                metrics.join(
                    units,
                    sa.and_(
                        units.c.scope_id == metrics.c.scope_id,
                        units.c.person_id == metrics.c.person_id,
                        units.c.unit_type == metrics.c.unit_type,
                        units.c.unit_id == metrics.c.unit_id,
                    ),
                )
            )
            .subquery("pa_npi_at_step")
        )
        order = sa.func.row_number().over(
            partition_by=(
                joined.c.scope_id,
                joined.c.person_id,
                joined.c.unit_type,
                joined.c.unit_id,
            ),
            order_by=(joined.c.cents.desc(), joined.c.last_service.desc(), joined.c.npi.asc()),
        )
        numbered = (
            sa.select(*joined.c, order.label("npi_rank"))
            .where(joined.c.cents.is_not(None))
            .subquery("pa_npi_numbered")
        )
        return (
            sa.select(
                numbered.c.scope_id,
                numbered.c.person_id,
                numbered.c.unit_type,
                numbered.c.unit_id,
                numbered.c.npi.label("top_npi"),
            )
            .where(numbered.c.npi_rank == 1)
            .cte("pa_top_npi")
        )

    def population(self, spans: sa.FromClause, scope: sa.FromClause) -> sa.CTE:
        """Per scope key, persons with a member month in the eligibility window (a span that
        overlaps it)."""
        overlaps = sa.and_(
            spans.c.first_month <= scope.c.elig_last, spans.c.last_month >= scope.c.elig_first
        )
        return (
            sa.select(scope.c.scope_id, spans.c.person_id)
            .select_from(spans.join(scope, overlaps))
            .distinct()
            .cte("pa_population")
        )

    @staticmethod
    def eligible(reasons: sa.FromClause) -> sa.CTE:
        """Per scope key, the persons of the population no beneficiary exclusion removes."""
        return (
            sa.select(reasons.c.scope_id, reasons.c.person_id)
            .where(reasons.c.reason_order == NOT_EXCLUDED)
            .cte("pa_eligible")
        )

    # -- paths ----------------------------------------------------------------------------------

    def claims_rows(
        self,
        units: sa.FromClause,
        top: sa.FromClause | None,
        eligible: sa.FromClause,
        scope: sa.FromClause,
        order: int,
    ) -> sa.Select[Any]:
        """Claims-path candidates of eligible, claims-assignable persons."""
        passes = self._passes()

        def by_step(fmt: str) -> sa.ColumnElement[Any]:
            return _case([(units.c.step == i, units.c[fmt.format(i)]) for i, _ in passes])

        rank_cents = by_step("cents_{}")
        money_cents = _case(
            [
                (
                    units.c.step == i,
                    expressions.divide_to_nearest(units.c[f"cents_{i}"], p.weight_total),
                )
                for i, p in passes
            ]
        )
        start = _case([(units.c.step == i, scope.c[f"start_{p.months}"]) for i, p in passes])
        joined = units.join(scope, scope.c.scope_id == units.c.scope_id).join(
            eligible,
            sa.and_(
                eligible.c.scope_id == units.c.scope_id,
                eligible.c.person_id == units.c.person_id,
            ),
        )
        top_npi: sa.ColumnElement[Any] = units.c.unit_id
        if top is not None:
            joined = joined.join(
                top,
                sa.and_(
                    top.c.scope_id == units.c.scope_id,
                    top.c.person_id == units.c.person_id,
                    top.c.unit_type == units.c.unit_type,
                    top.c.unit_id == units.c.unit_id,
                ),
            )
            top_npi = top.c.top_npi
        rows = (
            sa.select(
                units.c.scope_id,
                units.c.person_id,
                _int(order).label("path_order"),
                units.c.unit_id.label("provider_id"),
                units.c.unit_type,
                top_npi.label("top_npi"),
                units.c.step,
                sa.cast(rank_cents, sa.BigInteger).label("rank_cents"),
                expressions.money_from_cents(money_cents).label("allowed_amount"),
                sa.cast(by_step("visits_{}"), sa.Integer).label("visits"),
                by_step("last_{}").label("last_service_date"),
                start.label("lookback_start_date"),
            )
            .select_from(joined)
            .where(units.c.step.is_not(None))
            .subquery("pa_claims_rows")
        )
        return sa.select(*(rows.c[n] for n in _PATH_COLUMNS))

    def selection_rows(
        self,
        path: Path,
        spec: SelectionTable,
        eligible: sa.FromClause,
        scope: sa.FromClause,
        order: int,
    ) -> sa.Select[Any]:
        """The valid selection of each eligible person (latest effective date, then NPI)."""
        sel = tables.selections(spec).alias(f"pa_{path.value}")
        effective = sel.c[spec.effective_date]
        npi = expressions.binary_id(sel.c[spec.npi])
        valid: list[sa.ColumnElement[bool]] = [
            sel.c[spec.npi].is_not(None),
            effective.is_not(None),
            effective <= scope.c.anchor_end,
        ]
        if spec.end_date is not None:
            end = sel.c[spec.end_date]
            valid.append(sa.or_(end.is_(None), end >= scope.c.anchor_end))
        pick = sa.func.row_number().over(
            partition_by=(eligible.c.scope_id, eligible.c.person_id),
            order_by=(effective.desc(), npi.asc()),
        )
        chosen = (
            sa.select(
                eligible.c.scope_id,
                eligible.c.person_id,
                npi.label("npi"),
                effective.label("effective_date"),
                scope.c.anchor_end,
                scope.c.rule_year,
                pick.label("pick"),
            )
            .select_from(
                eligible.join(scope, scope.c.scope_id == eligible.c.scope_id).join(
                    sel, expressions.binary_id(sel.c[spec.person_id]) == eligible.c.person_id
                )
            )
            .where(*valid)
            .subquery(f"pa_{path.value}_chosen")
        )
        source: sa.FromClause = chosen
        aco: sa.ColumnElement[Any]
        if self._roster_by_year():
            # joined, not correlated: the roster's ACO of the NPI in the key's rule year
            lookup = self._selection_aco_by_year(f"pa_{path.value}_aco")
            source = chosen.outerjoin(
                lookup,
                sa.and_(
                    lookup.c.npi == chosen.c.npi,
                    lookup.c.performance_year == chosen.c.rule_year,
                ),
            )
            aco = lookup.c.aco_id
        elif self._uses_roster():
            lookup = self._selection_aco_on_day(f"pa_{path.value}_aco", sel, npi, scope)
            source = chosen.outerjoin(
                lookup,
                sa.and_(lookup.c.npi == chosen.c.npi, lookup.c.anchor_end == chosen.c.anchor_end),
            )
            aco = lookup.c.aco_id
        else:
            aco = _text(None)
        unit_type = (
            _case([(aco.is_not(None), "aco")], "npi") if self._uses_roster() else _text("npi")
        )
        return (
            sa.select(
                chosen.c.scope_id,
                chosen.c.person_id,
                _int(order).label("path_order"),
                sa.func.coalesce(aco, chosen.c.npi).label("provider_id"),
                unit_type.label("unit_type"),
                chosen.c.npi.label("top_npi"),
                _int(0).label("step"),
                sa.cast(sa.literal(0), sa.BigInteger).label("rank_cents"),
                expressions.money(sa.literal(0)).label("allowed_amount"),
                _int(0).label("visits"),
                sa.cast(sa.null(), sa.Date).label("last_service_date"),
                chosen.c.effective_date.label("lookback_start_date"),
            )
            .select_from(source)
            .where(chosen.c.pick == 1)
        )

    def _bucket_label(self, bucket: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        """The output ``provider_bucket``: the method's label for an unclassified NPI."""
        label = self.method.unknown_bucket_label
        return _case([(bucket.in_(BUCKETS), bucket)], _text(label))

    def _selection_input(self, path: Path) -> SelectionTable | None:
        if path is Path.SELF_SELECTION:
            return self.inputs.self_selections
        if path is Path.GEOGRAPHIC:
            return self.inputs.geographic
        return None

    def ranked(self, paths: sa.FromClause) -> sa.CTE:
        """Every path row in a total order per scope key and person."""
        order: list[sa.ColumnElement[Any]] = [paths.c.path_order.asc(), paths.c.step.asc()]
        for rank_key in self.method.ranking:
            if rank_key is RankKey.ALLOWED_DESC:
                order.append(paths.c.rank_cents.desc())
            elif rank_key is RankKey.VISITS_DESC:
                order.append(paths.c.visits.desc())
            elif rank_key is RankKey.LAST_SERVICE_DESC:
                order.append(paths.c.last_service_date.desc())
        order.append(paths.c.provider_id.asc())
        ranking = sa.func.row_number().over(
            partition_by=(paths.c.scope_id, paths.c.person_id), order_by=order
        )
        return sa.select(*paths.c, sa.cast(ranking, sa.Integer).label("ranking")).cte("pa_ranked")

    def labelled(self, ranked: sa.FromClause, prov: sa.FromClause) -> sa.Select[Any]:
        """The ranked rows with what follows from their columns: the path's attribution type,
        the step's description, the top NPI's bucket and specialty (the scope key's columns,
        its end date among them, come with the output select's join to the keys)."""
        order = ranked.c.path_order
        descriptions: list[tuple[sa.ColumnElement[bool], Any]] = []
        for i, path in enumerate(self.method.paths):
            if path is Path.CLAIMS:
                by_step = [(ranked.c.step == s, p.description) for s, p in self._passes()]
                descriptions.append((order == i, _case(by_step)))
            elif path in SELECTION_DESCRIPTIONS:
                descriptions.append((order == i, SELECTION_DESCRIPTIONS[path]))
        paths = [(order == i, path.value) for i, path in enumerate(self.method.paths)]
        values: dict[str, sa.ColumnElement[Any]] = {
            **{name: ranked.c[name] for name in _PATH_COLUMNS},
            "attribution_type": sa.cast(_case(paths), sa.String),
            "provider_bucket": self._bucket_label(prov.c.bucket),
            "prov_specialty": prov.c.prov_specialty,
            "step_description": sa.cast(_case(descriptions), sa.String),
            "ranking": ranked.c.ranking,
        }
        return sa.select(*(values[n].label(n) for n in _RANKED_COLUMNS)).select_from(
            ranked.outerjoin(prov, prov.c.npi == ranked.c.top_npi)
        )

    def fallback(
        self, eligible: sa.FromClause, ranked: sa.FromClause, scope: sa.FromClause
    ) -> sa.Select[Any]:
        """One labelled row per eligible person no path attributes."""
        f = self.method.fallback
        has_row = (
            sa.select(sa.literal(1))
            .where(ranked.c.scope_id == eligible.c.scope_id)
            .where(ranked.c.person_id == eligible.c.person_id)
            .exists()
        )
        values: dict[str, sa.ColumnElement[Any]] = {
            "scope_id": eligible.c.scope_id,
            "person_id": eligible.c.person_id,
            "attribution_type": _text("none"),
            "provider_id": _text(f.provider_id),
            "unit_type": _text(None),
            "top_npi": _text(None),
            "provider_bucket": _text(f.provider_bucket),
            "prov_specialty": _text(f.prov_specialty),
            "step": _int(0),
            "step_description": _text(f.step_description),
            "allowed_amount": expressions.money(sa.literal(0)),
            "visits": _int(0),
            "last_service_date": sa.cast(sa.null(), sa.Date),
            "lookback_start_date": scope.c.fallback_start,
            "ranking": _int(1),
        }
        return (
            sa.select(*(values[n].label(n) for n in _RANKED_COLUMNS))
            .select_from(eligible.join(scope, scope.c.scope_id == eligible.c.scope_id))
            .where(~has_row)
        )

    # -- outputs --------------------------------------------------------------------------------

    def parts(self, keys: Sequence[ScopeKey]) -> RunParts:
        """The shared stages of one run's queries (:data:`~provider_attribution.sql.stages.STAGES`
        up to ``pa_units``), reading the stages the builder was given ready-made."""
        got = self.stages(keys, upto=RUN_PARTS)
        return RunParts(**{field: got[name] for field, name in _PART_STAGES.items()})

    def stages(
        self, keys: Sequence[ScopeKey], *, upto: Sequence[str] | None = None
    ) -> dict[str, sa.FromClause]:
        """Stage name → relation for every stage (or those ``upto`` needs), in pipeline order."""
        if not keys and self.scope_source is None:
            raise ValueError("nothing to attribute: give an as-of date or performance years")
        built = self._built.setdefault(tuple(keys), {})
        return build_stages(self, keys, upto=upto, given=self.materialised, memo=built)

    def stage_select(self, name: str, keys: Sequence[ScopeKey]) -> sa.Select[Any]:
        """Stage ``name`` as a select (over the stages before it, CTEs or given tables), for
        writing it to a work table."""
        relation = self.stages(keys, upto=(name,))[name]
        if not isinstance(relation, sa.CTE):
            raise ValueError(f"stage {name!r} was given ready-made: nothing to select")
        if isinstance(relation.element, sa.Select):
            return relation.element
        return sa.select(*relation.c)  # a union: read through its CTE

    def for_engine(self, profile: EngineProfile) -> QueryBuilder:
        """This builder shaping its stages for the engine of ``profile`` (same rows): the
        facts per visit first (``facts_by_visit``) and the member spans by a month mask
        (``member_month_mask``) where the profile says so."""
        other = copy.copy(self)
        other.facts_by_visit = profile.facts_by_visit
        other.member_month_mask = profile.member_month_mask
        other._built = {}
        return other

    def with_materialised(self, tables: Mapping[str, sa.FromClause]) -> QueryBuilder:
        """This builder reading ``tables`` (stage name → table) as well."""
        other = copy.copy(self)
        other.materialised = {**self.materialised, **tables}
        other._built = {}
        return other

    def paths(self, got: Built) -> sa.FromClause:
        """``pa_paths``: the candidate rows of every path, in the method's path order."""
        scope, eligible = got["pa_scopes"], got["pa_eligible"]
        branches: list[sa.Select[Any]] = []
        for order, path in enumerate(self.method.paths):
            if path is Path.CLAIMS:
                metrics, units = got["pa_metrics"], got["pa_units"]
                top = self.top_npis(metrics, units)
                branches.append(self.claims_rows(units, top, eligible, scope, order))
            elif (spec := self._selection_input(path)) is not None:
                branches.append(self.selection_rows(path, spec, eligible, scope, order))
        if not branches:
            raise ValueError(
                f"method {self.method.name!r}: none of its paths "
                f"{[p.value for p in self.method.paths]} has an input"
            )
        union = branches[0] if len(branches) == 1 else sa.union_all(*branches)
        return union.cte("pa_paths")

    def provider_ranking(self, keys: Sequence[ScopeKey]) -> sa.Select[Any]:
        """The ``provider_ranking`` select for the given scope keys: the ranked candidates and
        one fallback row per eligible person without any."""
        got = self.stages(keys)
        scope, eligible, ranked = got["pa_scopes"], got["pa_eligible"], got["pa_ranked"]
        rows = sa.union_all(
            self.labelled(ranked, got["pa_providers"]),
            self.fallback(eligible, ranked, scope),
        ).subquery("pa_all_rows")
        key = scope.c.key_prefix + sa.cast(rows.c.person_id, sa.String)
        by_name = {
            "scope": scope.c.scope,
            "performance_year": scope.c.performance_year,
            "as_of_date": scope.c.as_of_date,
            "lookback_end_date": scope.c.anchor_end,
            "attribution_key": key,
        }
        columns = [
            (by_name[name] if name in by_name else rows.c[name]).label(name)
            for name in outputs.column_names(outputs.RANKING)
        ]
        return sa.select(*columns).select_from(
            rows.join(scope, scope.c.scope_id == rows.c.scope_id)
        )

    @staticmethod
    def assigned(ranking: sa.FromClause, table: str) -> sa.Select[Any]:
        """Rank-1 rows of one scope, read from a ranking select or the written table."""
        scope = "current" if table == outputs.CURRENT else "yearly"
        renamed = {"assigned_step": ranking.c.step}
        columns = [
            (renamed[name] if name in renamed else ranking.c[name]).label(name)
            for name in outputs.column_names(table)
        ]
        return sa.select(*columns).where(ranking.c.scope == scope).where(ranking.c.ranking == 1)

    def compile(self, keys: Sequence[ScopeKey]) -> CompiledRun:
        """Every output's select; the assigned ones read the ranking select as a subquery."""
        ranking = self.provider_ranking(keys)
        sub = ranking.subquery("provider_ranking")
        return CompiledRun(
            provider_ranking=ranking,
            assigned_beneficiaries_current=self.assigned(sub, outputs.CURRENT),
            assigned_beneficiaries_yearly=self.assigned(sub, outputs.YEARLY),
            attribution_exclusions=exclusions_select(self, keys),
            scope_keys=tuple(keys),
            beneficiary_exclusions=beneficiary_exclusions_select(self, keys),
        )


# The run date column of a ``scope_source`` table: later service dates are excluded.
RUN_DATE = "run_date"

# Columns of the labelled ranked rows and the fallback rows; the output select adds the scope
# key's columns (its end date among them) and the attribution key.
_RANKED_COLUMNS = (
    "scope_id",
    "person_id",
    "attribution_type",
    "provider_id",
    "unit_type",
    "top_npi",
    "provider_bucket",
    "prov_specialty",
    "step",
    "step_description",
    "allowed_amount",
    "visits",
    "last_service_date",
    "lookback_start_date",
    "ranking",
)
