"""Compile a method into SQLAlchemy Core selects over the user's tables.

Shape of the query (see ``docs/METHOD.md`` for the rules):

``scopes``      one row per scope key with every window's bounds as literal dates
``providers``   one row per NPI: bucket and specialty from the value sets
``member_months`` distinct (person, YYYYMM) inside the run's months
``lines``       eligible claim lines of the run's date range (the one scan of the claims)
``metrics``     per scope key, person and NPI: amount and visits of every pass by conditional
                aggregation, then the earliest step
``eligible``    per scope key, the persons with a member month in the eligibility window
``ranked``      candidates of eligible persons with a total order ending in provider_id
``fallback``    eligible persons without candidates

The assigned tables are the ranking-1 rows of ``provider_ranking`` per scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from provider_attribution import dialects, outputs
from provider_attribution.inputs import Classification, Inputs
from provider_attribution.method import Method, Pass, RankKey, Services
from provider_attribution.valuesets import BUCKETS, ValueSets
from provider_attribution.windows import ScopeKey, month_key


def claims_table(inputs: Inputs) -> sa.TableClause:
    """The claims input as a typed table clause."""
    c = inputs.claims
    cols: list[sa.ColumnClause[Any]] = [
        sa.column(c.person_id, sa.String),
        sa.column(c.claim_id, sa.String),
        sa.column(c.rendering_npi, sa.String),
        sa.column(c.hcpcs_code, sa.String),
        sa.column(c.claim_start_date, sa.Date),
        sa.column(c.claim_end_date, sa.Date),
        sa.column(c.allowed_amount, sa.Numeric(18, 2)),
        sa.column(c.paid_amount, sa.Numeric(18, 2)),
    ]
    if c.encounter_id is not None:
        cols.append(sa.column(c.encounter_id, sa.String))
    return sa.table(c.name, *cols, schema=c.schema)


def eligibility_table(inputs: Inputs) -> sa.TableClause:
    """The eligibility input as a table clause."""
    e = inputs.eligibility
    month: sa.ColumnClause[Any]
    if e.year_month is not None:
        month = sa.column(e.year_month, sa.String)
    else:
        assert e.month_start is not None
        month = sa.column(e.month_start, sa.Date)
    return sa.table(e.name, sa.column(e.person_id, sa.String), month, schema=e.schema)


def providers_table(inputs: Inputs) -> sa.TableClause:
    """The providers input as a table clause."""
    p = inputs.providers
    return sa.table(
        p.name,
        sa.column(p.npi, sa.String),
        sa.column(p.classification, sa.String),
        schema=p.schema,
    )


def _date(value: object) -> sa.ColumnElement[Any]:
    return dialects.date_literal(value)


def _int(value: int | None) -> sa.ColumnElement[Any]:
    if value is None:
        return sa.cast(sa.null(), sa.Integer)
    return sa.cast(sa.literal(value, sa.Integer), sa.Integer)


def _text(value: str) -> sa.ColumnElement[Any]:
    return sa.literal(value, sa.String)


def _case(
    whens: Sequence[tuple[sa.ColumnElement[bool], Any]], else_: Any = None
) -> sa.ColumnElement[Any]:
    return sa.case(*whens, else_=else_)


@dataclass(frozen=True)
class CompiledRun:
    """The Select objects of one run; execute them or embed them in your own ETL."""

    provider_ranking: sa.Select[Any]
    assigned_beneficiaries_current: sa.Select[Any]
    assigned_beneficiaries_yearly: sa.Select[Any]
    scope_keys: tuple[ScopeKey, ...]

    def selects(self) -> dict[str, sa.Select[Any]]:
        """Output table name → select."""
        return {
            outputs.RANKING: self.provider_ranking,
            outputs.CURRENT: self.assigned_beneficiaries_current,
            outputs.YEARLY: self.assigned_beneficiaries_yearly,
        }


class QueryBuilder:
    """Builds the selects of one method over one set of inputs and value sets."""

    def __init__(self, inputs: Inputs, method: Method, valuesets: ValueSets) -> None:
        self.inputs = inputs
        self.method = method
        self.valuesets = valuesets

    # -- small inputs -------------------------------------------------------------------------

    def scopes(self, keys: Sequence[ScopeKey]) -> sa.CTE:
        """One row per scope key with every window bound."""
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
                _int(first).label("elig_first"),
                _int(last).label("elig_last"),
            ]
            cols += [
                _date(key.window_start(n)).label(f"start_{n}") for n in self.method.window_lengths
            ]
            rows.append(sa.select(*cols))
        union = rows[0] if len(rows) == 1 else sa.union_all(*rows)
        return union.cte("pa_scopes")

    def providers(self) -> sa.CTE:
        """One row per NPI: provider bucket and specialty description."""
        src = providers_table(self.inputs)
        kind = self.inputs.providers.classification_kind
        raw = src.c[self.inputs.providers.classification]
        if kind is Classification.BUCKET:
            norm: sa.ColumnElement[Any] = sa.func.lower(sa.func.trim(raw))
        else:
            norm = sa.func.upper(sa.func.trim(raw))
            if kind is Classification.SPECIALTY:
                norm = _case([(sa.func.length(norm) == 1, sa.literal("0", sa.String) + norm)], norm)
        npi = src.c[self.inputs.providers.npi]
        dedup = (
            sa.select(npi.label("npi"), sa.func.min(norm).label("cls"))
            .where(npi.is_not(None))
            .group_by(npi)
            .subquery("pa_provider_dedup")
        )
        cls = dedup.c.cls
        if kind is Classification.BUCKET:
            bucket = _case([(cls.in_(BUCKETS), cls)], "unknown")
            return sa.select(
                dedup.c.npi,
                bucket.label("bucket"),
                sa.cast(sa.null(), sa.String).label("prov_specialty"),
            ).cte("pa_providers")
        if kind is Classification.TAXONOMY:
            crosswalk = sorted(self.valuesets.taxonomy_specialty.items())
            specialty_of = _case([(cls == tax, spec) for tax, spec in crosswalk])
        else:
            specialty_of = cls
        mapped = sa.select(dedup.c.npi, specialty_of.label("specialty")).subquery(
            "pa_provider_spec"
        )
        specialty = mapped.c.specialty
        bucket = _case(
            [
                (specialty.in_(sorted(codes)), b)
                for b in BUCKETS
                if (codes := self.valuesets.codes_for_bucket(b))
            ],
            "unknown",
        )
        descriptions = sorted(self.valuesets.specialty_description.items())
        specialty_text = _case([(specialty == code, text) for code, text in descriptions])
        return sa.select(
            mapped.c.npi,
            bucket.label("bucket"),
            sa.cast(specialty_text, sa.String).label("prov_specialty"),
        ).cte("pa_providers")

    def member_months(self, keys: Sequence[ScopeKey]) -> sa.CTE:
        """Distinct (person_id, month_key) for the months any scope key looks at."""
        src = eligibility_table(self.inputs)
        e = self.inputs.eligibility
        if e.year_month is not None:
            key = dialects.text_month_key(src.c[e.year_month])
        else:
            assert e.month_start is not None
            key = dialects.month_key(src.c[e.month_start])
        first = min(month_key(k.window_start(self._widest_months())) for k in keys)
        last = max(month_key(k.anchor_end) for k in keys)
        inner = sa.select(src.c[e.person_id].label("person_id"), key.label("month_key")).subquery(
            "pa_mm_raw"
        )
        return (
            sa.select(inner.c.person_id, inner.c.month_key)
            .where(inner.c.person_id.is_not(None))
            .where(inner.c.month_key.between(_int(first), _int(last)))
            .distinct()
            .cte("pa_member_months")
        )

    def _widest_months(self) -> int:
        return max(self.method.widest_months, self.method.eligibility_months)

    # -- the scan -------------------------------------------------------------------------------

    def lines(self, keys: Sequence[ScopeKey], mm: sa.CTE, prov: sa.CTE) -> sa.CTE:
        """Eligible claim lines in the run's date range, with amount, visit key and bucket."""
        c = self.inputs.claims
        src = claims_table(self.inputs)
        service_date = sa.func.coalesce(src.c[c.claim_start_date], src.c[c.claim_end_date])
        allowed = src.c[c.allowed_amount]
        amount = _case(
            [(sa.and_(allowed.is_not(None), allowed != 0), allowed)],
            sa.func.coalesce(src.c[c.paid_amount], 0),
        )
        visit_key: sa.ColumnElement[Any]
        if c.encounter_id is not None:
            visit_key = sa.func.coalesce(src.c[c.encounter_id], src.c[c.claim_id])
        else:
            visit_key = src.c[c.claim_id]
        codes = sorted(self.valuesets.primary_care_hcpcs)
        is_primary_care = _case(
            [(sa.func.upper(sa.func.trim(src.c[c.hcpcs_code])).in_(codes), 1)], 0
        )
        first = min(k.window_start(self.method.widest_months) for k in keys)
        last = max(k.anchor_end for k in keys)
        eligible_month = (
            sa.select(sa.literal(1))
            .where(mm.c.person_id == src.c[c.person_id])
            .where(mm.c.month_key == dialects.month_key(service_date))
            .exists()
        )
        return (
            sa.select(
                src.c[c.person_id].label("person_id"),
                src.c[c.rendering_npi].label("provider_id"),
                service_date.label("service_date"),
                dialects.cents(amount).label("amount_cents"),
                visit_key.label("visit_key"),
                is_primary_care.label("is_primary_care"),
                sa.func.coalesce(prov.c.bucket, "unknown").label("bucket"),
                prov.c.prov_specialty,
            )
            .select_from(src.outerjoin(prov, prov.c.npi == src.c[c.rendering_npi]))
            .where(src.c[c.person_id].is_not(None))
            .where(src.c[c.rendering_npi].is_not(None))
            .where(service_date.between(_date(first), _date(last)))
            .where(eligible_month)
            .cte("pa_lines")
        )

    def _in_pass(self, p: Pass, line: sa.CTE, scope: sa.CTE) -> sa.ColumnElement[bool]:
        cond: list[sa.ColumnElement[bool]] = [line.c.service_date >= scope.c[f"start_{p.months}"]]
        if p.buckets is not None:
            cond.append(line.c.bucket.in_(sorted(p.buckets)))
        if p.services is Services.PRIMARY_CARE:
            cond.append(line.c.is_primary_care == 1)
        return sa.and_(*cond)

    def metrics(self, line: sa.CTE, scope: sa.CTE) -> sa.CTE:
        """Per scope key, person and NPI: each pass's amount and visits, one aggregation."""
        widest = self.method.widest_months
        aggregates: list[sa.ColumnElement[Any]] = []
        for i, p in enumerate(self.method.passes, start=1):
            hit = self._in_pass(p, line, scope)
            aggregates.append(sa.func.sum(_case([(hit, line.c.amount_cents)])).label(f"cents_{i}"))
            aggregates.append(
                sa.func.count(sa.distinct(_case([(hit, line.c.visit_key)]))).label(f"visits_{i}")
            )
        return (
            sa.select(
                scope.c.scope_id,
                line.c.person_id,
                line.c.provider_id,
                sa.func.max(line.c.bucket).label("provider_bucket"),
                sa.func.max(line.c.prov_specialty).label("prov_specialty"),
                *aggregates,
            )
            .select_from(
                line.join(
                    scope,
                    sa.and_(
                        line.c.service_date >= scope.c[f"start_{widest}"],
                        line.c.service_date <= scope.c.anchor_end,
                    ),
                )
            )
            .group_by(scope.c.scope_id, line.c.person_id, line.c.provider_id)
            .cte("pa_metrics")
        )

    def eligible(self, mm: sa.CTE, scope: sa.CTE) -> sa.CTE:
        """Per scope key, persons with a member month in the eligibility window."""
        return (
            sa.select(scope.c.scope_id, mm.c.person_id)
            .select_from(
                mm.join(scope, mm.c.month_key.between(scope.c.elig_first, scope.c.elig_last))
            )
            .distinct()
            .cte("pa_eligible")
        )

    def candidates(self, metrics: sa.CTE, eligible: sa.CTE, scope: sa.CTE) -> sa.CTE:
        """Eligible persons' candidates with step, amount, visits, window and rank."""
        passes = list(enumerate(self.method.passes, start=1))
        step = _case([(metrics.c[f"cents_{i}"].is_not(None), i) for i, _ in passes])
        allowed_cents = sa.func.coalesce(*(metrics.c[f"cents_{i}"] for i, _ in passes))

        visits = _case(
            [(metrics.c[f"cents_{i}"].is_not(None), metrics.c[f"visits_{i}"]) for i, _ in passes]
        )
        start = _case(
            [
                (metrics.c[f"cents_{i}"].is_not(None), scope.c[f"start_{p.months}"])
                for i, p in passes
            ]
        )
        description = _case(
            [(metrics.c[f"cents_{i}"].is_not(None), p.description) for i, p in passes]
        )
        base = (
            sa.select(
                metrics.c.scope_id,
                metrics.c.person_id,
                metrics.c.provider_id,
                metrics.c.provider_bucket,
                metrics.c.prov_specialty,
                step.label("step"),
                sa.cast(description, sa.String).label("step_description"),
                sa.cast(allowed_cents, sa.BigInteger).label("allowed_cents"),
                dialects.money_from_cents(allowed_cents).label("allowed_amount"),
                sa.cast(visits, sa.Integer).label("visits"),
                start.label("lookback_start_date"),
                scope.c.anchor_end.label("lookback_end_date"),
            )
            .select_from(
                metrics.join(scope, scope.c.scope_id == metrics.c.scope_id).join(
                    eligible,
                    sa.and_(
                        eligible.c.scope_id == metrics.c.scope_id,
                        eligible.c.person_id == metrics.c.person_id,
                    ),
                )
            )
            .where(step.is_not(None))
            .subquery("pa_candidate_base")
        )
        order: list[sa.ColumnElement[Any]] = [base.c.step.asc()]
        for rank_key in self.method.ranking:
            if rank_key is RankKey.ALLOWED_DESC:
                order.append(base.c.allowed_cents.desc())
            elif rank_key is RankKey.VISITS_DESC:
                order.append(base.c.visits.desc())
        order.append(base.c.provider_id.asc())
        ranking = sa.func.row_number().over(
            partition_by=(base.c.scope_id, base.c.person_id), order_by=order
        )
        return sa.select(*base.c, sa.cast(ranking, sa.Integer).label("ranking")).cte("pa_ranked")

    def fallback(self, eligible: sa.CTE, ranked: sa.CTE, scope: sa.CTE) -> sa.Select[Any]:
        """One labelled row per eligible person without candidates."""
        f = self.method.fallback
        has_candidate = (
            sa.select(sa.literal(1))
            .where(ranked.c.scope_id == eligible.c.scope_id)
            .where(ranked.c.person_id == eligible.c.person_id)
            .exists()
        )
        return (
            sa.select(
                eligible.c.scope_id,
                eligible.c.person_id,
                _text(f.provider_id).label("provider_id"),
                _text(f.provider_bucket).label("provider_bucket"),
                _text(f.prov_specialty).label("prov_specialty"),
                _int(0).label("step"),
                _text(f.step_description).label("step_description"),
                dialects.money(sa.literal(0)).label("allowed_amount"),
                _int(0).label("visits"),
                scope.c[f"start_{self.method.widest_months}"].label("lookback_start_date"),
                scope.c.anchor_end.label("lookback_end_date"),
                _int(1).label("ranking"),
            )
            .select_from(eligible.join(scope, scope.c.scope_id == eligible.c.scope_id))
            .where(~has_candidate)
        )

    # -- outputs --------------------------------------------------------------------------------

    def provider_ranking(self, keys: Sequence[ScopeKey]) -> sa.Select[Any]:
        """The ``provider_ranking`` select for the given scope keys."""
        if not keys:
            raise ValueError("nothing to attribute: give an as-of date or performance years")
        scope = self.scopes(keys)
        prov = self.providers()
        mm = self.member_months(keys)
        line = self.lines(keys, mm, prov)
        metrics = self.metrics(line, scope)
        eligible = self.eligible(mm, scope)
        ranked = self.candidates(metrics, eligible, scope)
        rows = sa.union_all(
            sa.select(*(ranked.c[n] for n in _RANKED_COLUMNS)),
            self.fallback(eligible, ranked, scope),
        ).subquery("pa_all_rows")
        key = scope.c.key_prefix + sa.cast(rows.c.person_id, sa.String)
        by_name = {
            "scope": scope.c.scope,
            "performance_year": scope.c.performance_year,
            "as_of_date": scope.c.as_of_date,
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
        """All three selects; the assigned ones read the ranking select as a subquery."""
        ranking = self.provider_ranking(keys)
        sub = ranking.subquery("provider_ranking")
        return CompiledRun(
            provider_ranking=ranking,
            assigned_beneficiaries_current=self.assigned(sub, outputs.CURRENT),
            assigned_beneficiaries_yearly=self.assigned(sub, outputs.YEARLY),
            scope_keys=tuple(keys),
        )


_RANKED_COLUMNS = (
    "scope_id",
    "person_id",
    "provider_id",
    "provider_bucket",
    "prov_specialty",
    "step",
    "step_description",
    "allowed_amount",
    "visits",
    "lookback_start_date",
    "lookback_end_date",
    "ranking",
)
