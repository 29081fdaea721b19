"""Reference oracle: the attribution rules of ``docs/METHOD.md`` in plain, slow Python.

Written independently of the SQL engine so differential tests can compare the two. Only the plain
data classes are imported from the package (and ``Method.year_anchor``, plain date arithmetic on
the method); every rule (dates, windows, amounts, buckets, units, weights, gate, paths, ranking) is
re-implemented here with loops and dicts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from provider_attribution.inputs import Classification
from provider_attribution.method import Gate, Method, Pass, Path, RankKey, Services, Unit
from provider_attribution.valuesets import ValueSets

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
KEPT_BUCKETS = ("pcp", "npp", "specialist")

RANKING_COLUMNS = (
    "person_id", "scope", "performance_year", "as_of_date", "attribution_type", "provider_id",
    "unit_type", "top_npi", "provider_bucket", "prov_specialty", "step", "step_description",
    "allowed_amount", "visits", "last_service_date", "lookback_start_date", "lookback_end_date",
    "ranking", "attribution_key",
)  # fmt: skip
CURRENT_COLUMNS = (
    "person_id", "as_of_date", "attribution_type", "provider_id", "unit_type", "top_npi",
    "provider_bucket", "prov_specialty", "assigned_step", "step_description", "allowed_amount",
    "visits", "last_service_date", "lookback_start_date", "lookback_end_date", "attribution_key",
)  # fmt: skip
YEARLY_COLUMNS = (
    "person_id", "performance_year", "attribution_type", "provider_id", "unit_type", "top_npi",
    "provider_bucket", "prov_specialty", "assigned_step", "step_description", "allowed_amount",
    "visits", "last_service_date", "lookback_start_date", "lookback_end_date", "attribution_key",
)  # fmt: skip
SELECTION_DESCRIPTIONS = {
    Path.SELF_SELECTION: "Self-selected provider",
    Path.GEOGRAPHIC: "Geographic assignment",
}


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
            day = self.anchor_end
            return f"{day.year:04d}{day.month:02d}{day.day:02d}"
        return f"{self.performance_year:04d}"

    def attribution_key(self, person_id: str) -> str:
        return f"{self.scope}|{self.key_text()}|{person_id}"


def scope_keys(
    as_of: dt.date | None, years: Sequence[int], method: Method | None = None
) -> list[ScopeKey]:
    """The current key (when ``as_of`` is given) and one yearly key per distinct year.

    A yearly key's anchor end is ``method.year_anchor(year)`` (December 31 without a method).
    """
    keys = []
    if as_of is not None:
        keys.append(ScopeKey("current", as_of, None, as_of))
    for year in sorted(set(years)):
        anchor = dt.date(year, 12, 31) if method is None else method.year_anchor(year)
        keys.append(ScopeKey("yearly", anchor, year, None))
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


# --------------------------------------------------------------------------- roster and units


def covers(start: dt.date | None, end: dt.date | None, day: dt.date) -> bool:
    """``start <= day <= end`` with null ends open."""
    return (start is None or start <= day) and (end is None or day <= end)


def roster_aco(
    roster: list[dict[str, Any]] | None,
    npi: str,
    tin: str | None,
    day: dt.date,
    *,
    compare_tin: bool,
) -> str | None:
    """Smallest ``aco_id`` of the roster rows matching ``npi`` (and ``tin``) on ``day``.

    With ``compare_tin`` a row's non-null ``tin`` must equal ``tin``; without it, TINs are ignored.
    """
    matches = []
    for row in roster or []:
        if row.get("npi") != npi or row.get("aco_id") is None:
            continue
        if compare_tin and row.get("tin") is not None and row.get("tin") != tin:
            continue
        if covers(row.get("start_date"), row.get("end_date"), day):
            matches.append(row["aco_id"])
    return min(matches) if matches else None


def line_unit(
    method: Method,
    npi: str,
    tin: str | None,
    day: dt.date,
    roster: list[dict[str, Any]] | None,
    claims_have_tin: bool,
) -> tuple[str, str]:
    """(unit_type, unit_id) of a claim line: the NPI, or its ACO, else its TIN, else its NPI."""
    if method.unit is Unit.NPI:
        return ("npi", npi)
    aco = roster_aco(roster, npi, tin, day, compare_tin=claims_have_tin)
    if aco is not None:
        return ("aco", aco)
    if tin is not None:
        return ("tin", tin)
    return ("npi", npi)


# --------------------------------------------------------------------------- claim lines


@dataclass(frozen=True)
class Line:
    """A claim line that takes part: has person, NPI and service date, and is eligible."""

    person_id: str
    npi: str  # the provider NPI: rendering NPI, or the attending NPI of an FQHC/RHC line
    service_date: dt.date
    cents: int
    visit_key: str | None
    primary_care: bool
    bucket: str  # for pass filtering: 'pcp' on FQHC/RHC lines
    unit_type: str
    unit_id: str


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
    *,
    method: Method,
    roster: list[dict[str, Any]] | None = None,
    attested: list[dict[str, Any]] | None = None,
    claims_have_tin: bool = False,
) -> tuple[list[Line], int]:
    """The lines that take part anywhere, and the number of FQHC/RHC lines excluded.

    An FQHC/RHC line (trimmed revenue code in the method's list) is excluded, and counted, unless
    its attending NPI is in the attested list; whatever else is wrong with it.
    """
    attested_npis = None if attested is None else {r.get("npi") for r in attested}
    lines = []
    excluded = 0
    for claim in claims:
        revenue_code = claim.get("revenue_center_code")
        fqhc = revenue_code is not None and revenue_code.strip() in method.fqhc_revenue_codes
        attending: str | None = claim.get("attending_npi")
        if fqhc and (attested_npis is None or attending is None or attending not in attested_npis):
            excluded += 1
            continue
        person = claim.get("person_id")
        # The credited NPI: the attending NPI of an (attested) FQHC/RHC line, else the rendering
        # NPI; a line without one takes no part.
        npi: str | None = attending if fqhc else claim.get("rendering_npi")
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
        primary_care = fqhc or (
            hcpcs is not None and hcpcs.strip().upper() in valuesets.primary_care_hcpcs
        )
        tin = claim.get("tin") if claims_have_tin else None
        unit_type, unit_id = line_unit(method, npi, tin, service_date, roster, claims_have_tin)
        amount = line_amount(claim.get("allowed_amount"), claim.get("paid_amount"))
        lines.append(
            Line(
                person_id=person,
                npi=npi,
                service_date=service_date,
                cents=int(amount.scaleb(2)),
                visit_key=visit_key,
                primary_care=primary_care,
                bucket="pcp" if fqhc else labels.get(npi, ("unknown", None))[0],
                unit_type=unit_type,
                unit_id=unit_id,
            )
        )
    return lines, excluded


def falls_in(line: Line, pass_: Pass | Gate, key: ScopeKey) -> bool:
    """Whether ``line`` falls in ``pass_`` (or the gate) for scope key ``key``."""
    start = window_start(key.anchor_end, pass_.months)
    if not start <= line.service_date <= key.anchor_end:
        return False
    if pass_.buckets is not None and line.bucket not in pass_.buckets:
        return False
    return not (pass_.services is Services.PRIMARY_CARE and not line.primary_care)


def line_weight(line: Line, pass_: Pass, key: ScopeKey) -> int:
    """Weight of the first segment whose window contains the line (the line is in the pass)."""
    for months, weight in pass_.segments:
        if window_start(key.anchor_end, months) <= line.service_date <= key.anchor_end:
            return weight
    raise AssertionError("a line in the pass lies in its last segment")


def weighted_money(weighted_cents: int, total_weight: int) -> Decimal:
    """``weighted_cents / W`` rounded to the nearest cent (W odd: never half a cent)."""
    cents = (Decimal(weighted_cents) / total_weight).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return (cents / 100).quantize(CENT)


# --------------------------------------------------------------------------- claims path


def claims_assignable(person_lines: list[Line], key: ScopeKey, gate: Gate | None) -> bool:
    """The pre-step gate: some line falls in it (from an ACO unit when participants only)."""
    if gate is None:
        return True
    return any(
        falls_in(line, gate, key) and (not gate.participants_only or line.unit_type == "aco")
        for line in person_lines
    )


def _claims_candidate(
    unit: tuple[str, str],
    step: int,
    pass_: Pass,
    in_pass: list[Line],
    key: ScopeKey,
    method: Method,
    labels: dict[str, tuple[str, str | None]],
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """(sort key, row) of one unit at its step, from its lines in that pass."""
    unit_type, unit_id = unit
    weighted = 0
    npi_amount: dict[str, int] = {}
    npi_last: dict[str, dt.date] = {}
    npi_visits: dict[str, set[str]] = {}
    for line in in_pass:
        amount = line_weight(line, pass_, key) * line.cents
        weighted += amount
        npi_amount[line.npi] = npi_amount.get(line.npi, 0) + amount
        npi_last[line.npi] = max(npi_last.get(line.npi, line.service_date), line.service_date)
        visits_of_npi = npi_visits.setdefault(line.npi, set())
        if line.visit_key is not None:
            visits_of_npi.add(line.visit_key)
    visits = sum(len(keys) for keys in npi_visits.values())  # per-NPI visit counts, summed
    last_service = max(npi_last.values())
    top_npi = min(npi_amount, key=lambda n: (-npi_amount[n], -npi_last[n].toordinal(), n))
    bucket, specialty = labels.get(top_npi, ("unknown", None))
    row = {
        "attribution_type": Path.CLAIMS.value,
        "provider_id": unit_id,
        "unit_type": unit_type,
        "top_npi": top_npi,
        "provider_bucket": bucket,
        "prov_specialty": specialty,
        "step": step,
        "step_description": pass_.description,
        "allowed_amount": weighted_money(weighted, pass_.weight_total),
        "visits": visits,
        "last_service_date": last_service,
        "lookback_start_date": window_start(key.anchor_end, pass_.months),
        "lookback_end_date": key.anchor_end,
    }
    sort_key: list[Any] = [step]
    for rank_key in method.ranking:
        if rank_key is RankKey.ALLOWED_DESC:
            sort_key.append(-weighted)
        elif rank_key is RankKey.VISITS_DESC:
            sort_key.append(-visits)
        elif rank_key is RankKey.LAST_SERVICE_DESC:
            sort_key.append(-last_service.toordinal())
    sort_key.append(unit_id)
    return tuple(sort_key), row


def claims_rows(
    person_lines: list[Line],
    key: ScopeKey,
    method: Method,
    labels: dict[str, tuple[str, str | None]],
) -> list[dict[str, Any]]:
    """Ranked claims candidates (units) of one person in one scope key."""
    if not claims_assignable(person_lines, key, method.gate):
        return []
    by_unit: dict[tuple[str, str], list[Line]] = {}
    for line in person_lines:
        by_unit.setdefault((line.unit_type, line.unit_id), []).append(line)

    candidates = []
    for unit, unit_lines in by_unit.items():
        for step, pass_ in enumerate(method.passes, start=1):
            in_pass = [line for line in unit_lines if falls_in(line, pass_, key)]
            if in_pass:  # the smallest pass with a line is the candidate's step
                candidates.append(
                    _claims_candidate(unit, step, pass_, in_pass, key, method, labels)
                )
                break
    candidates.sort(key=lambda pair: pair[0])
    return [row for _, row in candidates]


# --------------------------------------------------------------------------- selection paths


def selection_row(
    selections: list[dict[str, Any]] | None,
    path: Path,
    person: str,
    key: ScopeKey,
    roster: list[dict[str, Any]] | None,
    labels: dict[str, tuple[str, str | None]],
) -> dict[str, Any] | None:
    """The valid selection of one person in one scope key as a row, or None.

    Valid: effective on or before the anchor end and not ended before it. Among valid rows the
    latest effective date wins, then the smallest NPI.
    """
    best: dict[str, Any] | None = None
    for row in selections or []:
        if row.get("person_id") != person or row.get("npi") is None:
            continue
        effective, end = row.get("effective_date"), row.get("end_date")
        if effective is None or effective > key.anchor_end:
            continue
        if end is not None and end < key.anchor_end:
            continue
        if best is None or (-effective.toordinal(), row["npi"]) < (
            -best["effective_date"].toordinal(),
            best["npi"],
        ):
            best = row
    if best is None:
        return None
    npi = best["npi"]
    aco = roster_aco(roster, npi, None, key.anchor_end, compare_tin=False)
    bucket, specialty = labels.get(npi, ("unknown", None))
    return {
        "attribution_type": path.value,
        "provider_id": npi if aco is None else aco,
        "unit_type": "npi" if aco is None else "aco",
        "top_npi": npi,
        "provider_bucket": bucket,
        "prov_specialty": specialty,
        "step": 0,
        "step_description": SELECTION_DESCRIPTIONS[path],
        "allowed_amount": ZERO,
        "visits": 0,
        "last_service_date": None,
        "lookback_start_date": best["effective_date"],
        "lookback_end_date": key.anchor_end,
    }


# --------------------------------------------------------------------------- attribution


def _fallback(key: ScopeKey, method: Method) -> dict[str, Any]:
    fb = method.fallback
    return {
        "attribution_type": "none",
        "provider_id": fb.provider_id,
        "unit_type": None,
        "top_npi": None,
        "provider_bucket": fb.provider_bucket,
        "prov_specialty": fb.prov_specialty,
        "step": 0,
        "step_description": fb.step_description,
        "allowed_amount": ZERO,
        "visits": 0,
        "last_service_date": None,
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
    roster: list[dict[str, Any]] | None = None,
    attested: list[dict[str, Any]] | None = None,
    self_selections: list[dict[str, Any]] | None = None,
    geographic: list[dict[str, Any]] | None = None,
    claims_have_tin: bool = False,
) -> dict[str, Any]:
    """The three output tables (sorted lists of dicts) and ``fqhc_lines_excluded`` (an int)."""
    member_months: dict[str, set[int]] = {}
    for row in eligibility:
        if row.get("person_id") is None or row.get("year_month") is None:
            continue
        member_months.setdefault(row["person_id"], set()).add(parse_year_month(row["year_month"]))
    labels = provider_labels(providers, classification_kind, valuesets)
    lines, fqhc_excluded = prepare_lines(
        claims,
        member_months,
        labels,
        valuesets,
        encounter_mapped,
        method=method,
        roster=roster,
        attested=attested,
        claims_have_tin=claims_have_tin,
    )
    lines_by_person: dict[str, list[Line]] = {}
    for line in lines:
        lines_by_person.setdefault(line.person_id, []).append(line)
    selections = {Path.SELF_SELECTION: self_selections, Path.GEOGRAPHIC: geographic}

    ranking_rows: list[dict[str, Any]] = []
    current_rows: list[dict[str, Any]] = []
    yearly_rows: list[dict[str, Any]] = []
    for key in scope_keys(as_of, years, method):
        first = month_key(window_start(key.anchor_end, method.eligibility_months))
        last = month_key(key.anchor_end)
        for person in sorted(member_months):
            if not any(first <= m <= last for m in member_months[person]):
                continue  # not in this scope key's eligible population
            rows: list[dict[str, Any]] = []
            for path in method.paths:  # precedence order; ranking 1 is the first path's row
                if path is Path.CLAIMS:
                    rows.extend(claims_rows(lines_by_person.get(person, []), key, method, labels))
                    continue
                # The roster decides a selection's unit only for ACO-unit methods.
                unit_roster = roster if method.unit is Unit.ACO else None
                selected = selection_row(selections[path], path, person, key, unit_roster, labels)
                if selected is not None:
                    rows.append(selected)
            if not rows:
                rows = [_fallback(key, method)]
            attribution_key = key.attribution_key(person)
            for position, row in enumerate(rows, start=1):
                full = {
                    "person_id": person,
                    "scope": key.scope,
                    "performance_year": key.performance_year,
                    "as_of_date": key.as_of_date,
                    **row,
                    "assigned_step": row["step"],
                    "ranking": position,
                    "attribution_key": attribution_key,
                }
                ranking_rows.append({c: full[c] for c in RANKING_COLUMNS})
                if position != 1:
                    continue
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
        "fqhc_lines_excluded": fqhc_excluded,
    }
