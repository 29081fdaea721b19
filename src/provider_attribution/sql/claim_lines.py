"""Claims rows as checked lines: the first part of ``docs/METHOD.md``'s "Line checks".

``pa_claim_rows``  the distinct rows of the claims input over its mapped columns, with the
                   number of copies (exact duplicates count once)
``pa_npi_checks``  per distinct credited NPI, whether it passes the Luhn check (computed once
                   an NPI, not once a line: the check is a dozen string operations)
``pa_reversed_claims``  (person, claim) of claims with a negative line and a net amount
                   that is not positive (their lines fail check 9)
``pa_line_parts``  per distinct row: credited NPI, service date, end date, amount in cents,
                   visit key, primary-care flags, bucket, directory flag, NPI checks and the
                   reversed-claim flag
``pa_checked``     the same with ``check_status``: 0 when the row passes checks 2 to 9, else
                   the ``reason_order`` of the first check it fails; and ``has_month``: 1 when
                   its service month is in one of the person's member-month spans (joined once here,
                   read by the ranking and the exclusions)

Checks 10 and later need the scope keys; :mod:`provider_attribution.sql.compile` and
:mod:`provider_attribution.sql.exclusions` apply them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from provider_attribution.engines import expressions, tables
from provider_attribution.model.inputs import Inputs
from provider_attribution.model.method import Method, SettingExclusion
from provider_attribution.model.valuesets import ValueSets

# The numbers of the checks applied here (reason_order in the exclusions table).
MISSING_PERSON_ID = 2
MISSING_SERVICE_DATE = 3
FUTURE_SERVICE_DATE = 4
FQHC_NOT_ATTESTED = 5
MISSING_NPI = 6
INVALID_NPI = 7
ORGANIZATIONAL_NPI = 8
REVERSED_CLAIM = 9

ORGANIZATION_VALUES = ("2", "organization")
# Claims columns holding ids: compared byte by byte on every engine (expressions.binary_id).
ID_COLUMNS = frozenset(
    {"person_id", "claim_id", "encounter_id", "rendering_npi", "tin", "attending_npi"}
)
INDIVIDUAL_VALUES = ("1", "individual")

_DIGITS = {str(d): d for d in range(10)}
_DOUBLED = {str(d): (2 * d) // 10 + (2 * d) % 10 for d in range(10)}
_PREFIX_SUM = 24  # Luhn contribution of the card-issuer prefix 80840 ahead of an NPI


def npi_luhn_valid(npi: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    """True when ``npi`` is ten ASCII digits whose last is the Luhn check digit of ``80840``
    followed by the first nine; null or false otherwise (a non-digit makes the sum null)."""
    terms: list[sa.ColumnElement[Any]] = [sa.literal(_PREFIX_SUM, sa.Integer)]
    for position in range(1, 11):
        # Doubled: positions 1, 3, 5, 7, 9 (every second digit left of the check digit).
        table = _DOUBLED if position % 2 == 1 and position < 10 else _DIGITS
        char = sa.func.substr(npi, position, 1)
        terms.append(sa.case(table, value=char, else_=sa.null()))
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return sa.and_(sa.func.length(npi) == 10, total % 10 == 0)


def primary_care_flag(flags: sa.ColumnElement[Any], slot: int, slots: int) -> sa.ColumnElement[Any]:
    """Character ``slot`` (from 1) of a line's ``primary_care`` flags: ``'1'`` when the line
    is primary care under the ``slot``-th code list of the run."""
    return flags if slots == 1 else sa.func.substr(flags, slot, 1)


def fqhc_applies(inputs: Inputs, method: Method) -> bool:
    """FQHC/RHC lines are special when the method lists revenue codes and the claims map both
    the revenue-center code and the attending NPI."""
    c = inputs.claims
    return bool(method.fqhc_revenue_codes) and None not in (c.revenue_center_code, c.attending_npi)


class ClaimLines:
    """Builds the checked claim lines of one method over one set of inputs."""

    def __init__(
        self,
        inputs: Inputs,
        method: Method,
        valuesets: ValueSets,
        today: dt.date | sa.ColumnElement[Any],
        primary_care_lists: Sequence[frozenset[str]] | None = None,
        *,
        code_source: sa.FromClause | None = None,
        revenue_code_source: sa.FromClause | None = None,
    ):
        """``today``: the run date, or an expression giving it. ``primary_care_lists``: the
        code lists of the run (default: ``valuesets``'s); the ``primary_care`` column holds
        one flag character per list. ``code_source``: a table ``(slot, hcpcs_code)`` holding
        those lists (slot from 1), read instead of the inlined codes. ``revenue_code_source``:
        a table ``(revenue_center_code)`` of the FQHC/RHC revenue-center codes, read instead
        of the method's (which still decide whether FQHC/RHC lines are special at all)."""
        self.inputs = inputs
        self.method = method
        self.valuesets = valuesets
        self.today = today
        self.primary_care_lists = tuple(primary_care_lists or (valuesets.primary_care_hcpcs,))
        self.code_source = code_source
        self.revenue_code_source = revenue_code_source

    def fqhc_applies(self) -> bool:
        """Whether FQHC/RHC revenue-code lines get their special treatment in this run."""
        return fqhc_applies(self.inputs, self.method)

    def _mapped(self) -> dict[str, str]:
        """Logical name → the user's column, for every mapped claims column."""
        c = self.inputs.claims
        names = {
            "person_id": c.person_id,
            "claim_id": c.claim_id,
            "claim_line_number": c.claim_line_number,
            "encounter_id": c.encounter_id,
            "rendering_npi": c.rendering_npi,
            "hcpcs_code": c.hcpcs_code,
            "claim_start_date": c.claim_start_date,
            "claim_end_date": c.claim_end_date,
            "allowed_amount": c.allowed_amount,
            "paid_amount": c.paid_amount,
            "tin": c.tin,
            "revenue_center_code": c.revenue_center_code,
            "attending_npi": c.attending_npi,
            "place_of_service": c.place_of_service,
            "bill_type": c.bill_type,
        }
        return {logical: column for logical, column in names.items() if column is not None}

    def distinct_rows(self) -> sa.CTE:
        """The distinct claims rows (over every mapped column) and their number of copies."""
        return self._distinct_select().cte("pa_claim_rows")

    def _raw_columns(self, src: sa.FromClause) -> dict[str, sa.ColumnElement[Any]]:
        """Logical name → the claims column as compared (ids byte by byte)."""
        return {
            logical: expressions.binary_id(src.c[column])
            if logical in ID_COLUMNS
            else src.c[column]
            for logical, column in self._mapped().items()
        }

    def _distinct_select(self, claims: sa.FromClause | None = None) -> sa.Select[Any]:
        """:meth:`distinct_rows` as a select; with ``claims`` (person_id, claim_id), the rows
        of those claims only."""
        src = tables.claims(self.inputs)
        raw = self._raw_columns(src)
        select = sa.select(
            *(value.label(logical) for logical, value in raw.items()),
            sa.func.count().label("copies"),
        )
        if claims is not None:
            on = sa.and_(
                claims.c.person_id == raw["person_id"], claims.c.claim_id == raw["claim_id"]
            )
            select = select.select_from(src.join(claims, on))
        return select.group_by(*raw.values())

    @staticmethod
    def _cents(
        allowed: sa.ColumnElement[Any], paid: sa.ColumnElement[Any]
    ) -> sa.ColumnElement[Any]:
        """A row's amount in cents: allowed, or paid where allowed is null or zero."""
        amount = sa.case(
            (sa.and_(allowed.is_not(None), allowed != 0), allowed),
            else_=sa.func.coalesce(paid, 0),
        )
        return expressions.cents(amount)

    def _fqhc_flag(self, rows: sa.FromClause) -> sa.ColumnElement[Any]:
        if not self.fqhc_applies():
            return sa.literal(0, sa.Integer)
        revenue_code = sa.func.trim(rows.c.revenue_center_code)
        if self.revenue_code_source is not None:
            listed = sa.func.trim(self.revenue_code_source.c.revenue_center_code)
            return sa.case((revenue_code.in_(sa.select(listed)), 1), else_=0)
        codes = sorted(self.method.fqhc_revenue_codes)
        return sa.case((revenue_code.in_(codes), 1), else_=0)

    def _attested(self, rows: sa.FromClause) -> sa.ColumnElement[bool]:
        if self.inputs.attested is None or not self.fqhc_applies():
            return sa.false()
        listed = tables.npi_list(self.inputs.attested)
        listed_npi = expressions.binary_id(listed.c[self.inputs.attested.npi])
        return rows.c.attending_npi.in_(sa.select(listed_npi))

    def _service_dates(
        self, rows: sa.FromClause
    ) -> tuple[sa.ColumnElement[Any], sa.ColumnElement[Any]]:
        """The service date and the end date current scope keys compare with their as-of date
        (``docs/METHOD.md``, "Derived line attributes")."""
        start, end = rows.c.claim_start_date, rows.c.claim_end_date
        if self.method.service_date_start_only:
            return start, end
        service_date = sa.func.coalesce(start, end)
        return service_date, sa.func.coalesce(end, start)

    def _visit_key(self, rows: sa.FromClause) -> sa.ColumnElement[Any]:
        encounter = rows.c.encounter_id if "encounter_id" in rows.c else None
        if self.method.visits_from_encounters:
            return encounter if encounter is not None else sa.cast(sa.null(), sa.String)
        if encounter is None:
            return rows.c.claim_id
        return sa.func.coalesce(encounter, rows.c.claim_id)

    def _setting_excluded(
        self, rows: sa.FromClause, hcpcs: sa.ColumnElement[Any], service_date: sa.ColumnElement[Any]
    ) -> tuple[sa.ColumnElement[bool] | None, list[tuple[sa.Subquery, sa.ColumnElement[bool]]]]:
        """Whether a row is a code of a setting exclusion furnished in its setting, and the
        outer joins (subquery, on) that condition reads."""
        conditions: list[sa.ColumnElement[bool]] = []
        joins: list[tuple[sa.Subquery, sa.ColumnElement[bool]]] = []
        for index, rule in enumerate(self.method.setting_exclusions):
            settings: list[sa.ColumnElement[bool]] = []
            if rule.places_of_service and "place_of_service" in rows.c:
                pos = sa.func.trim(sa.cast(rows.c.place_of_service, sa.String))
                settings.append(pos.in_(sorted(rule.places_of_service)))
            if rule.bill_type_prefixes and "bill_type" in rows.c:
                hits = self._facility_overlaps(rows, rule, f"pa_setting_hits_{index}")
                on = sa.and_(
                    hits.c.person_id == rows.c.person_id, hits.c.service_date == service_date
                )
                joins.append((hits, on))
                settings.append(hits.c.person_id.is_not(None))
            if settings:
                conditions.append(sa.and_(hcpcs.in_(sorted(rule.hcpcs)), sa.or_(*settings)))
        return (sa.or_(*conditions) if conditions else None), joins

    @staticmethod
    def _facility_overlaps(rows: sa.FromClause, rule: SettingExclusion, name: str) -> sa.Subquery:
        """Distinct (person, service date) of the rows with one of ``rule``'s codes whose date
        lies within a facility claim row of the person with one of its bill-type prefixes."""
        raw = sa.func.trim(sa.cast(rows.c.bill_type, sa.String))
        bill = sa.case(
            (
                sa.and_(sa.func.length(raw) == 4, sa.func.substr(raw, 1, 1) == "0"),
                sa.func.substr(raw, 2, 3),
            ),
            else_=raw,
        )
        prefixes = sorted(rule.bill_type_prefixes)
        lengths = sorted({len(p) for p in prefixes})
        facility = (
            sa.select(
                rows.c.person_id,
                sa.func.coalesce(rows.c.claim_start_date, rows.c.claim_end_date).label("from_d"),
                sa.func.coalesce(rows.c.claim_end_date, rows.c.claim_start_date).label("thru_d"),
            )
            .where(rows.c.person_id.is_not(None))
            .where(sa.or_(*(sa.func.substr(bill, 1, n).in_(prefixes) for n in lengths)))
            .distinct()
            .subquery(f"{name}_facility")
        )
        day = sa.func.coalesce(rows.c.claim_start_date, rows.c.claim_end_date)
        hcpcs = sa.func.upper(sa.func.trim(rows.c.hcpcs_code))
        coded = (
            sa.select(rows.c.person_id, day.label("service_date"))
            .where(hcpcs.in_(sorted(rule.hcpcs)))
            .where(day.is_not(None))
            .distinct()
            .subquery(f"{name}_coded")
        )
        on = sa.and_(
            facility.c.person_id == coded.c.person_id,
            coded.c.service_date >= facility.c.from_d,
            coded.c.service_date <= facility.c.thru_d,
        )
        return (
            sa.select(coded.c.person_id, coded.c.service_date)
            .select_from(coded.join(facility, on))
            .distinct()
            .subquery(name)
        )

    def parts(self, prov: sa.FromClause) -> sa.Subquery:
        """Per distinct row: the derived line attributes and the inputs of checks 2 to 9."""
        rows = self.distinct_rows()
        service_date, end_date = self._service_dates(rows)
        cents = self._cents(rows.c.allowed_amount, rows.c.paid_amount)
        # Without the duplicate collapse every copy of a row adds its amount.
        line_cents = cents
        if not self.method.collapse_duplicates:
            line_cents = cents * sa.cast(rows.c.copies, sa.BigInteger)
        fqhc = self._fqhc_flag(rows)
        npi: sa.ColumnElement[Any] = rows.c.rendering_npi
        if self.fqhc_applies():
            npi = sa.case((fqhc == 1, rows.c.attending_npi), else_=rows.c.rendering_npi)
        hcpcs = sa.func.upper(sa.func.trim(rows.c.hcpcs_code))
        in_setting, setting_joins = self._setting_excluded(rows, hcpcs, service_date)
        primary_care = self._primary_care_flags(hcpcs, fqhc, in_setting)
        bucket = sa.case((fqhc == 1, "pcp"), else_=sa.func.coalesce(prov.c.bucket, "unknown"))
        in_directory = sa.case(
            (sa.and_(prov.c.npi.is_not(None), prov.c.is_individual == 1), 1), else_=0
        )
        joined = rows.outerjoin(prov, prov.c.npi == npi)
        reversed_line: sa.ColumnElement[Any] = sa.literal(0, sa.Integer)
        if self.method.drop_reversed_claims:
            reversed_claims = self._reversed_claims()
            reversed_line = sa.case(
                (rows.c.claim_id.is_(None), sa.case((cents < 0, 1), else_=0)),
                (reversed_claims.c.claim_id.is_not(None), 1),
                else_=0,
            )
            joined = joined.outerjoin(
                reversed_claims,
                sa.and_(
                    reversed_claims.c.person_id == rows.c.person_id,
                    reversed_claims.c.claim_id == rows.c.claim_id,
                ),
            )
        for hits, on in setting_joins:
            joined = joined.outerjoin(hits, on)
        npi_ok: sa.ColumnElement[Any] = sa.literal(1, sa.Integer)
        if self.method.check_npi:
            checks = self._npi_checks(rows, npi)
            joined = joined.outerjoin(checks, checks.c.npi == npi)
            npi_ok = sa.func.coalesce(checks.c.npi_ok, 0)
        fqhc_ok = sa.case((sa.or_(fqhc == 0, self._attested(rows)), 1), else_=0)
        return (
            sa.select(
                rows.c.person_id,
                npi.label("npi"),
                service_date.label("service_date"),
                end_date.label("end_date"),
                line_cents.label("amount_cents"),
                self._visit_key(rows).label("visit_key"),
                primary_care.label("primary_care"),
                bucket.label("bucket"),
                in_directory.label("in_directory"),
                (rows.c.tin if "tin" in rows.c else sa.cast(sa.null(), sa.String)).label("tin"),
                rows.c.copies,
                fqhc_ok.label("fqhc_ok"),
                npi_ok.label("npi_ok"),
                sa.func.coalesce(prov.c.is_org, 0).label("is_org"),
                reversed_line.label("is_reversed"),
            )
            .select_from(joined)
            .subquery("pa_line_parts")
        )

    def _primary_care_flags(
        self,
        hcpcs: sa.ColumnElement[Any],
        fqhc: sa.ColumnElement[Any],
        in_setting: sa.ColumnElement[bool] | None,
    ) -> sa.ColumnElement[Any]:
        """One character per code list, ``'1'`` where the line is primary care under it: every
        list for an FQHC/RHC line, none for a code of a setting exclusion furnished in that
        setting, else the lists holding its code. Codes are grouped by the lists holding them,
        so the case has a branch per pattern rather than per list."""
        lists = self.primary_care_lists
        if self.code_source is not None:
            return self._primary_care_flags_from(self.code_source, hcpcs, fqhc, in_setting)
        patterns: dict[str, list[str]] = {}
        for code in sorted(frozenset().union(*lists)):
            pattern = "".join("1" if code in codes else "0" for codes in lists)
            patterns.setdefault(pattern, []).append(code)
        every, none = "1" * len(lists), "0" * len(lists)
        whens: list[tuple[sa.ColumnElement[bool], str]] = [(fqhc == 1, every)]
        if in_setting is not None:
            whens.append((in_setting, none))  # a code of a setting exclusion in that setting
        whens += [(hcpcs.in_(codes), pattern) for pattern, codes in sorted(patterns.items())]
        return sa.cast(sa.case(*whens, else_=none), sa.String)

    def _primary_care_flags_from(
        self,
        codes: sa.FromClause,
        hcpcs: sa.ColumnElement[Any],
        fqhc: sa.ColumnElement[Any],
        in_setting: sa.ColumnElement[bool] | None,
    ) -> sa.ColumnElement[Any]:
        """:meth:`_primary_care_flags` with the lists read from table ``codes`` (slot,
        hcpcs_code): one membership test per list."""
        slots = len(self.primary_care_lists)
        listed = sa.func.upper(sa.func.trim(codes.c.hcpcs_code))
        chars: list[sa.ColumnElement[Any]] = [
            sa.case(
                (hcpcs.in_(sa.select(listed).where(codes.c.slot == slot)), "1"),
                else_="0",
            )
            for slot in range(1, slots + 1)
        ]
        pattern = chars[0]
        for char in chars[1:]:
            pattern = pattern + char
        every, none = "1" * slots, "0" * slots
        whens: list[tuple[sa.ColumnElement[bool], Any]] = [(fqhc == 1, every)]
        if in_setting is not None:
            whens.append((in_setting, none))
        return sa.cast(sa.case(*whens, else_=pattern), sa.String)

    def _reversed_claims(self) -> sa.Subquery:
        """(person, claim) of every claim with a negative line whose net amount is not positive.

        Read from the claims input, not from ``pa_claim_rows``: the claims with a negative
        line are few, so only their rows are collapsed and summed. An engine that computes a
        CTE once per reference (Spark) then collapses the whole input once, not twice."""
        src = tables.claims(self.inputs)
        raw = self._raw_columns(src)
        negative = (
            sa.select(raw["person_id"].label("person_id"), raw["claim_id"].label("claim_id"))
            .where(raw["claim_id"].is_not(None))
            .where(self._cents(raw["allowed_amount"], raw["paid_amount"]) < 0)
            .distinct()
        ).subquery("pa_negative_claims")
        rows = self._distinct_select(negative).subquery("pa_negative_claim_rows")
        claim = (rows.c.person_id, rows.c.claim_id)
        return (
            sa.select(*claim)
            .group_by(*claim)
            .having(sa.func.sum(self._cents(rows.c.allowed_amount, rows.c.paid_amount)) <= 0)
            .subquery("pa_reversed_claims")
        )

    @staticmethod
    def _npi_checks(rows: sa.FromClause, npi: sa.ColumnElement[Any]) -> sa.Subquery:
        """Each distinct non-null credited NPI of ``rows`` with ``npi_ok`` (1: Luhn-valid)."""
        seen = sa.select(npi.label("npi")).select_from(rows).distinct().subquery("pa_npis")
        ok = sa.case((npi_luhn_valid(seen.c.npi), 1), else_=0)
        return (
            sa.select(seen.c.npi, ok.label("npi_ok"))
            .where(seen.c.npi.is_not(None))
            .subquery("pa_npi_checks")
        )

    def _today(self) -> sa.ColumnElement[Any]:
        if isinstance(self.today, dt.date):
            return expressions.date_literal(self.today)
        return self.today

    def checked(self, prov: sa.FromClause, member_spans: sa.FromClause) -> sa.CTE:
        """Every distinct row with ``check_status`` (0: passes checks 2 to 9) and
        ``has_month``, as a CTE."""
        return self.checked_select(prov, member_spans).cte("pa_checked")

    def checked_select(self, prov: sa.FromClause, member_spans: sa.FromClause) -> sa.Select[Any]:
        """The select of :meth:`checked`, to materialise it as a table. A person's spans of
        ``member_spans`` do not overlap, so the join keeps one row a line."""
        p = self.parts(prov)
        spans = member_spans
        on_month = sa.and_(
            spans.c.person_id == p.c.person_id,
            expressions.month_key(p.c.service_date).between(
                spans.c.first_month, spans.c.last_month
            ),
        )
        has_month = sa.case((spans.c.person_id.is_not(None), 1), else_=0)
        status = sa.case(
            (p.c.person_id.is_(None), MISSING_PERSON_ID),
            (p.c.service_date.is_(None), MISSING_SERVICE_DATE),
            (p.c.service_date > self._today(), FUTURE_SERVICE_DATE),
            (p.c.fqhc_ok == 0, FQHC_NOT_ATTESTED),
            (p.c.npi.is_(None), MISSING_NPI),
            (p.c.npi_ok == 0, INVALID_NPI),
            (p.c.is_org == 1, ORGANIZATIONAL_NPI),
            (p.c.is_reversed == 1, REVERSED_CLAIM),
            else_=0,
        )
        kept = [c for c in p.c if c.name not in {"fqhc_ok", "npi_ok", "is_org", "is_reversed"}]
        return sa.select(
            *kept,
            sa.cast(status, sa.Integer).label("check_status"),
            sa.cast(has_month, sa.Integer).label("has_month"),
        ).select_from(p.outerjoin(spans, on_month))
