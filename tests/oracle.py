"""Reference oracle: the attribution rules of ``docs/METHOD.md`` in plain, slow Python.

Written independently of the SQL engine so differential tests can compare the two. Only the plain
data classes are imported from the package; every rule (dates, windows, amounts, buckets, ranking)
is re-implemented here with loops and dicts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from provider_attribution.inputs import Classification
from provider_attribution.method import Method, Pass, RankKey, Services
from provider_attribution.valuesets import ValueSets

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
KEPT_BUCKETS = ("pcp", "npp", "specialist")

RANKING_COLUMNS = (
    "person_id", "scope", "performance_year", "as_of_date", "provider_id", "provider_bucket",
    "prov_specialty", "step", "step_description", "allowed_amount", "visits",
    "lookback_start_date", "lookback_end_date", "ranking", "attribution_key",
)  # fmt: skip
CURRENT_COLUMNS = (
    "person_id", "as_of_date", "provider_id", "provider_bucket", "prov_specialty",
    "assigned_step", "step_description", "allowed_amount", "visits", "lookback_start_date",
    "lookback_end_date", "attribution_key",
)  # fmt: skip
YEARLY_COLUMNS = (
    "person_id", "performance_year", "provider_id", "provider_bucket", "prov_specialty",
    "assigned_step", "step_description", "allowed_amount", "visits", "lookback_start_date",
    "lookback_end_date", "attribution_key",
)  # fmt: skip


# --------------------------------------------------------------------------- dates and windows


def month_key(day: dt.date) -> int:
    """``YYYYMM`` of a date as an integer."""
    return day.year * 100 + day.month


def window_start(end: dt.date, months: int) -> dt.date:
    """First day of the month ``months - 1`` months before ``end``'s month."""
    year, month = end.year, end.month
    for _ in range(months - 1):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return dt.date(year, month, 1)


def parse_year_month(value: int | str) -> int:
    """An eligibility ``year_month`` (``202401`` or ``'202401'``) as an integer."""
    return int(str(value).strip())


@dataclass(frozen=True)
class ScopeKey:
    """One evaluation: ``current`` at an as-of date, or ``yearly`` for a performance year."""

    scope: str
    anchor_end: dt.date
    performance_year: int | None
    as_of_date: dt.date | None

    def key_text(self) -> str:
        """``YYYYMMDD`` for current, ``YYYY`` for yearly."""
        if self.scope == "current":
            return self.anchor_end.strftime("%Y%m%d")
        return f"{self.performance_year:04d}"

    def attribution_key(self, person_id: str) -> str:
        return f"{self.scope}|{self.key_text()}|{person_id}"


def scope_keys(as_of: dt.date | None, years: Sequence[int]) -> list[ScopeKey]:
    """The current key (when ``as_of`` is given) and one yearly key per distinct year."""
    keys = []
    if as_of is not None:
        keys.append(ScopeKey("current", as_of, None, as_of))
    for year in sorted(set(years)):
        keys.append(ScopeKey("yearly", dt.date(year, 12, 31), year, None))
    return keys


# --------------------------------------------------------------------------- defaults


def default_as_of(claims: list[dict[str, Any]], today: dt.date) -> dt.date:
    """Latest ``claim_end_date`` over all lines if there is one not after ``today``; else today."""
    latest: dt.date | None = None
    for claim in claims:
        end = claim.get("claim_end_date")
        if end is not None and (latest is None or end > latest):
            latest = end
    if latest is None or latest > today:
        return today
    return latest


def default_years(eligibility: list[dict[str, Any]]) -> list[int]:
    """Every calendar year present in the eligibility input, ascending."""
    years = set()
    for row in eligibility:
        if row.get("year_month") is not None:
            years.add(parse_year_month(row["year_month"]) // 100)
    return sorted(years)


# --------------------------------------------------------------------------- providers


def normalize_classification(value: str, kind: Classification) -> str:
    """Canonical text of a classification value for its kind."""
    if kind is Classification.BUCKET:
        return value.strip().lower()
    if kind is Classification.SPECIALTY:
        return value.strip().upper().rjust(2, "0")
    return value.strip().upper()  # taxonomy


def provider_labels(
    providers: list[dict[str, Any]], kind: Classification, valuesets: ValueSets
) -> dict[str, tuple[str, str | None]]:
    """NPI -> (bucket, prov_specialty) for every NPI with a non-null classification.

    An NPI with several rows takes the smallest normalised classification value (None ignored).
    NPIs missing from the result are ``('unknown', None)``.
    """
    smallest: dict[str, str] = {}
    for row in providers:
        npi, raw = row.get("npi"), row.get("classification")
        if npi is None or raw is None:
            continue
        value = normalize_classification(raw, kind)
        if npi not in smallest or value < smallest[npi]:
            smallest[npi] = value

    labels: dict[str, tuple[str, str | None]] = {}
    for npi, value in smallest.items():
        if kind is Classification.BUCKET:
            labels[npi] = (value if value in KEPT_BUCKETS else "unknown", None)
            continue
        specialty: str | None = value
        if kind is Classification.TAXONOMY:
            specialty = valuesets.taxonomy_specialty.get(value)
        if specialty is None:
            labels[npi] = ("unknown", None)
            continue
        bucket = valuesets.specialty_bucket.get(specialty, "unknown")
        if bucket not in KEPT_BUCKETS:
            bucket = "unknown"
        labels[npi] = (bucket, valuesets.specialty_description.get(specialty))
    return labels


# --------------------------------------------------------------------------- claim lines


@dataclass(frozen=True)
class Line:
    """A claim line that takes part: has person, NPI and service date, and is eligible."""

    person_id: str
    npi: str
    service_date: dt.date
    amount: Decimal
    visit_key: str | None
    primary_care: bool
    bucket: str


def line_amount(allowed: Decimal | None, paid: Decimal | None) -> Decimal:
    """Allowed unless null or zero, else paid, else 0; rounded half away from zero to cents."""
    if allowed is not None and allowed != 0:
        chosen = allowed
    elif paid is not None:
        chosen = paid
    else:
        chosen = ZERO
    return Decimal(chosen).quantize(CENT, rounding=ROUND_HALF_UP)


def prepare_lines(
    claims: list[dict[str, Any]],
    member_months: dict[str, set[int]],
    labels: dict[str, tuple[str, str | None]],
    valuesets: ValueSets,
    encounter_mapped: bool,
) -> list[Line]:
    """The lines that take part anywhere, with their derived attributes."""
    lines = []
    for claim in claims:
        person, npi = claim.get("person_id"), claim.get("rendering_npi")
        service_date = claim.get("claim_start_date")
        if service_date is None:
            service_date = claim.get("claim_end_date")
        if person is None or npi is None or service_date is None:
            continue
        if month_key(service_date) not in member_months.get(person, set()):
            continue  # ineligible line: the person has no member month for the service month
        encounter = claim.get("encounter_id") if encounter_mapped else None
        # A null claim_id with no encounter gives a null visit key, which is not a visit
        # (like COUNT(DISTINCT ...) ignoring nulls); the line's amount still counts.
        visit_key = encounter if encounter is not None else claim.get("claim_id")
        hcpcs = claim.get("hcpcs_code")
        primary_care = hcpcs is not None and hcpcs.strip().upper() in valuesets.primary_care_hcpcs
        lines.append(
            Line(
                person_id=person,
                npi=npi,
                service_date=service_date,
                amount=line_amount(claim.get("allowed_amount"), claim.get("paid_amount")),
                visit_key=visit_key,
                primary_care=primary_care,
                bucket=labels.get(npi, ("unknown", None))[0],
            )
        )
    return lines


def falls_in(line: Line, pass_: Pass, key: ScopeKey) -> bool:
    """Whether ``line`` falls in ``pass_`` for scope key ``key``."""
    start = window_start(key.anchor_end, pass_.months)
    if not start <= line.service_date <= key.anchor_end:
        return False
    if pass_.buckets is not None and line.bucket not in pass_.buckets:
        return False
    return not (pass_.services is Services.PRIMARY_CARE and not line.primary_care)


# --------------------------------------------------------------------------- attribution


def _sort_key(row: dict[str, Any], ranking: Sequence[RankKey]) -> tuple[Any, ...]:
    parts: list[Any] = [row["step"]]
    for rank_key in ranking:
        if rank_key is RankKey.ALLOWED_DESC:
            parts.append(-row["allowed_amount"])
        elif rank_key is RankKey.VISITS_DESC:
            parts.append(-row["visits"])
    parts.append(row["provider_id"])
    return tuple(parts)


def _candidates(
    person: str,
    key: ScopeKey,
    lines: list[Line],
    method: Method,
    labels: dict[str, tuple[str, str | None]],
) -> list[dict[str, Any]]:
    """Unranked candidate rows of one person in one scope key."""
    by_npi: dict[str, list[Line]] = {}
    for line in lines:
        if line.person_id == person:
            by_npi.setdefault(line.npi, []).append(line)

    rows = []
    for npi, npi_lines in by_npi.items():
        for index, pass_ in enumerate(method.passes, start=1):
            in_pass = [line for line in npi_lines if falls_in(line, pass_, key)]
            if not in_pass:
                continue
            total = ZERO
            for line in in_pass:
                total += line.amount
            visits = {line.visit_key for line in in_pass if line.visit_key is not None}
            bucket, specialty = labels.get(npi, ("unknown", None))
            rows.append(
                {
                    "provider_id": npi,
                    "provider_bucket": bucket,
                    "prov_specialty": specialty,
                    "step": index,
                    "step_description": pass_.description,
                    "allowed_amount": total.quantize(CENT),
                    "visits": len(visits),
                    "lookback_start_date": window_start(key.anchor_end, pass_.months),
                    "lookback_end_date": key.anchor_end,
                }
            )
            break  # the smallest pass with a line is the candidate's step
    return rows


def _fallback(key: ScopeKey, method: Method) -> dict[str, Any]:
    fb = method.fallback
    return {
        "provider_id": fb.provider_id,
        "provider_bucket": fb.provider_bucket,
        "prov_specialty": fb.prov_specialty,
        "step": 0,
        "step_description": fb.step_description,
        "allowed_amount": ZERO,
        "visits": 0,
        "lookback_start_date": window_start(key.anchor_end, max(p.months for p in method.passes)),
        "lookback_end_date": key.anchor_end,
    }


def attribute_reference(
    claims: list[dict[str, Any]],
    eligibility: list[dict[str, Any]],
    providers: list[dict[str, Any]],
    *,
    method: Method,
    valuesets: ValueSets,
    classification_kind: Classification,
    encounter_mapped: bool,
    as_of: dt.date | None,
    years: Sequence[int],
) -> dict[str, list[dict[str, Any]]]:
    """The three output tables for the given scope keys, as sorted lists of dicts."""
    member_months: dict[str, set[int]] = {}
    for row in eligibility:
        if row.get("person_id") is None or row.get("year_month") is None:
            continue
        member_months.setdefault(row["person_id"], set()).add(parse_year_month(row["year_month"]))
    labels = provider_labels(providers, classification_kind, valuesets)
    lines = prepare_lines(claims, member_months, labels, valuesets, encounter_mapped)

    ranking_rows: list[dict[str, Any]] = []
    current_rows: list[dict[str, Any]] = []
    yearly_rows: list[dict[str, Any]] = []
    for key in scope_keys(as_of, years):
        first = month_key(window_start(key.anchor_end, method.eligibility_months))
        last = month_key(key.anchor_end)
        for person in sorted(member_months):
            if not any(first <= m <= last for m in member_months[person]):
                continue  # not in this scope key's eligible population
            rows = _candidates(person, key, lines, method, labels) or [_fallback(key, method)]
            rows.sort(key=lambda r: _sort_key(r, method.ranking))
            attribution_key = key.attribution_key(person)
            for position, row in enumerate(rows, start=1):
                full = {
                    "person_id": person,
                    "scope": key.scope,
                    "performance_year": key.performance_year,
                    "as_of_date": key.as_of_date,
                    **row,
                    "ranking": position,
                    "attribution_key": attribution_key,
                }
                ranking_rows.append({c: full[c] for c in RANKING_COLUMNS})
                if position != 1:
                    continue
                full["assigned_step"] = full["step"]
                if key.scope == "current":
                    current_rows.append({c: full[c] for c in CURRENT_COLUMNS})
                else:
                    yearly_rows.append({c: full[c] for c in YEARLY_COLUMNS})

    ranking_rows.sort(key=lambda r: (r["attribution_key"], r["ranking"]))
    current_rows.sort(key=lambda r: r["attribution_key"])
    yearly_rows.sort(key=lambda r: r["attribution_key"])
    return {
        "provider_ranking": ranking_rows,
        "assigned_beneficiaries_current": current_rows,
        "assigned_beneficiaries_yearly": yearly_rows,
    }
