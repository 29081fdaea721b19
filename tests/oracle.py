"""Reference oracle: the attribution rules of ``docs/METHOD.md`` in plain, slow Python.

Written independently of the SQL engine so differential tests can compare the two. Only the plain
data classes are imported from the package (and ``Method.year_anchor``, plain date arithmetic on
the method); every rule (line checks, dates, windows, amounts, buckets, units, weights, gate, paths,
ranking) is re-implemented here with loops and dicts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from provider_attribution.model.inputs import Classification
from provider_attribution.model.method import Gate, Method, Pass, Path, RankKey, Services, Unit
from provider_attribution.model.valuesets import ValueSets, editions

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

    def rule_year(self) -> int:
        """The year deciding which passes apply: performance year, or the as-of date's year."""
        if self.performance_year is not None:
            return self.performance_year
        assert self.as_of_date is not None
        return self.as_of_date.year


def scope_keys(
    as_of: dt.date | Sequence[dt.date] | None, years: Sequence[int], method: Method | None = None
) -> list[ScopeKey]:
    """One current key per distinct as-of date (none, one or several), ascending, and one
    yearly key per distinct year.

    A yearly key's anchor end is ``method.year_anchor(year)`` (December 31 without a method).
    """
    keys = []
    dates = [] if as_of is None else [as_of] if isinstance(as_of, dt.date) else list(as_of)
    for day in sorted(set(dates)):
        keys.append(ScopeKey("current", day, None, day))
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


Shown = Callable[[str], tuple[str, "str | None"]]


def shown_labels(
    labels: dict[str, tuple[str, str | None]],
    providers: list[dict[str, Any]],
    method: Method,
    specialty_mapped: bool,
) -> Shown:
    """NPI -> (provider_bucket, prov_specialty) as the outputs show them: an unclassified NPI
    gets the method's label; with ``specialty_description`` mapped, prov_specialty is the
    smallest non-null description among the NPI's rows."""
    described: dict[str, str] = {}
    for row in providers:
        npi, text = row.get("npi"), row.get("specialty_description")
        if npi is None or text is None:
            continue
        if npi not in described or text < described[npi]:
            described[npi] = text

    def shown(npi: str) -> tuple[str, str | None]:
        bucket, specialty = labels.get(npi, ("unknown", None))
        if bucket not in KEPT_BUCKETS:
            bucket = method.unknown_bucket_label
        if specialty_mapped:
            specialty = described.get(npi)
        return bucket, specialty

    return shown


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
    year: int | None = None,
) -> str | None:
    """Smallest ``aco_id`` of the roster rows matching ``npi`` (and ``tin``) on ``day``; or,
    given ``year`` (a roster by performance year), of the rows of that performance year,
    whatever their dates.

    With ``compare_tin`` a row's non-null ``tin`` must equal ``tin``; without it, TINs are ignored.
    """
    matches = []
    for row in roster or []:
        if row.get("npi") != npi or row.get("aco_id") is None:
            continue
        if compare_tin and row.get("tin") is not None and row.get("tin") != tin:
            continue
        if year is not None:
            if row.get("performance_year") == year:
                matches.append(row["aco_id"])
        elif covers(row.get("start_date"), row.get("end_date"), day):
            matches.append(row["aco_id"])
    return min(matches) if matches else None


def line_unit(
    method: Method,
    npi: str,
    tin: str | None,
    day: dt.date,
    roster: list[dict[str, Any]] | None,
    claims_have_tin: bool,
    year: int | None = None,
) -> tuple[str, str]:
    """(unit_type, unit_id) of a claim line: the NPI, or its ACO, else its TIN, else its NPI
    (``year``: the performance year of a roster by year)."""
    if method.unit is Unit.NPI:
        return ("npi", npi)
    aco = roster_aco(roster, npi, tin, day, compare_tin=claims_have_tin, year=year)
    if aco is not None:
        return ("aco", aco)
    if tin is not None:
        return ("tin", tin)
    return ("npi", npi)


# --------------------------------------------------------------------------- claim lines


EXCLUSION_REASONS: tuple[str, ...] = (
    "duplicate_line",
    "missing_person_id",
    "missing_service_date",
    "future_service_date",
    "fqhc_not_attested",
    "missing_npi",
    "invalid_npi",
    "organizational_npi",
    "reversed_claim",
    "outside_window",
    "no_eligibility",
    "not_primary_care",
    "no_matching_pass",
    "person_not_eligible",
    "person_not_assignable",
    "used",
)
# Statuses 1..11 (up to no_eligibility) remove a line from attribution; 12..16 only say what
# became of the lines that take part.

# The claims columns the test harness always maps (encounter_id and tin only when mapped).
BASE_CLAIM_COLUMNS = (
    "person_id", "claim_id", "claim_line_number", "rendering_npi", "hcpcs_code",
    "claim_start_date", "claim_end_date", "allowed_amount", "paid_amount", "revenue_center_code",
    "attending_npi",
)  # fmt: skip
AMOUNT_COLUMNS = ("allowed_amount", "paid_amount")
ORGANIZATION_ENTITY_TYPES = ("2", "organization")
INDIVIDUAL_ENTITY_TYPES = ("1", "individual")
ASCII_DIGITS = "0123456789"


@dataclass(frozen=True)
class Line:
    """A claim line that takes part: it passed every removing line check (statuses 1..11)."""

    person_id: str
    npi: str  # the credited NPI: rendering NPI, or the attending NPI of an FQHC/RHC line
    service_date: dt.date
    end_date: dt.date | None  # compared with a current key's as-of date; None: never by it
    takes_steps: bool  # False: the method requires the directory and the NPI is not in it
    cents: int
    visit_key: str | None
    # rule year of each scope key -> primary care under that year's code list
    primary_care: dict[int, bool]
    bucket: str  # for pass filtering: 'pcp' on FQHC/RHC lines
    # rule year of each scope key -> (unit_type, unit_id); the same for every year unless the
    # roster goes by performance year
    units: dict[int, tuple[str, str]]

    def primary_care_in(self, key: ScopeKey) -> bool:
        return self.primary_care[key.rule_year()]

    def unit(self, key: ScopeKey) -> tuple[str, str]:
        return self.units[key.rule_year()]


def line_amount(allowed: Decimal | None, paid: Decimal | None) -> Decimal:
    """Allowed unless null or zero, else paid, else 0; rounded half away from zero to cents."""
    if allowed is not None and allowed != 0:
        chosen = allowed
    elif paid is not None:
        chosen = paid
    else:
        chosen = ZERO
    return Decimal(chosen).quantize(CENT, rounding=ROUND_HALF_UP)


def npi_check_digit(first_nine: str) -> int:
    """Luhn check digit of ``80840`` followed by ``first_nine`` (nine ASCII digits)."""
    payload = "80840" + first_nine
    total = 0
    # Luhn: from the right of the payload (the check digit will sit to its right), every
    # other digit starting with the rightmost is doubled, and a two-digit product is summed.
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def npi_is_valid(npi: str) -> bool:
    """Exactly ten ASCII digits, the tenth the Luhn check digit of 80840 + the first nine."""
    if len(npi) != 10 or any(char not in ASCII_DIGITS for char in npi):
        return False
    return int(npi[9]) == npi_check_digit(npi[:9])


def claim_columns(
    encounter_mapped: bool, claims_have_tin: bool, setting_mapped: bool = False
) -> tuple[str, ...]:
    """The mapped claims columns: the ones exact duplicates agree on."""
    extra = (("encounter_id",) if encounter_mapped else ()) + (("tin",) if claims_have_tin else ())
    if setting_mapped:
        extra += ("place_of_service", "bill_type")
    return BASE_CLAIM_COLUMNS + extra


def bill_type_code(value: Any) -> str | None:
    """A bill type as text without surrounding spaces; ``0211`` (four characters, leading
    zero) reads as ``211``."""
    if value is None:
        return None
    text = str(value).strip()
    if len(text) == 4 and text.startswith("0"):
        return text[1:]
    return text


def facility_stays(
    claims: list[dict[str, Any]], prefixes: frozenset[str]
) -> dict[str, list[tuple[dt.date, dt.date]]]:
    """Person -> (from, thru) of every claims row whose bill type starts with a prefix."""
    stays: dict[str, list[tuple[dt.date, dt.date]]] = {}
    for claim in claims:
        bill, person = bill_type_code(claim.get("bill_type")), claim.get("person_id")
        if bill is None or person is None or not any(bill.startswith(p) for p in prefixes):
            continue
        start, end = claim.get("claim_start_date"), claim.get("claim_end_date")
        first = start if start is not None else end
        last = end if end is not None else start
        if first is not None and last is not None:
            stays.setdefault(person, []).append((first, last))
    return stays


def in_excluded_setting(
    claim: dict[str, Any],
    service_date: dt.date,
    method: Method,
    stays: list[dict[str, list[tuple[dt.date, dt.date]]]],
) -> bool:
    """The line's code belongs to a setting exclusion of the method and it was furnished in
    that setting: its place of service is listed, or it falls in one of the person's facility
    stays of the rule (``stays``: per rule, from :func:`facility_stays`)."""
    code = (claim.get("hcpcs_code") or "").strip().upper()
    pos = claim.get("place_of_service")
    for rule, rule_stays in zip(method.setting_exclusions, stays, strict=True):
        if code not in rule.hcpcs:
            continue
        if pos is not None and str(pos).strip() in rule.places_of_service:
            return True
        for first, last in rule_stays.get(claim["person_id"], []):
            if first <= service_date <= last:
                return True
    return False


def row_identity(claim: dict[str, Any], columns: Sequence[str]) -> tuple[Any, ...]:
    """The values of a claims row in ``columns``; amounts in cents as stored (NUMERIC(18,2))."""
    values = []
    for column in columns:
        value = claim.get(column)
        if column in AMOUNT_COLUMNS and value is not None:
            value = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
        values.append(value)
    return tuple(values)


def organizational_npis(providers: list[dict[str, Any]]) -> set[str]:
    """NPIs with a providers row whose ``entity_type`` is 2 or organization (trimmed, any case)."""
    found = set()
    for row in providers:
        npi, entity_type = row.get("npi"), row.get("entity_type")
        if npi is None or entity_type is None:
            continue
        if str(entity_type).strip(" ").lower() in ORGANIZATION_ENTITY_TYPES:
            found.add(npi)
    return found


def directory_npis(providers: list[dict[str, Any]], entity_type_mapped: bool) -> set[str]:
    """NPIs with a providers row; with the entity type mapped, a row of an individual (entity
    type 1 or individual, trimmed, any case)."""
    found = set()
    for row in providers:
        npi = row.get("npi")
        if npi is None:
            continue
        if entity_type_mapped:
            entity_type = row.get("entity_type")
            if entity_type is None:
                continue
            if str(entity_type).strip(" ").lower() not in INDIVIDUAL_ENTITY_TYPES:
                continue
        found.add(npi)
    return found


def service_dates(claim: dict[str, Any], method: Method) -> tuple[dt.date | None, dt.date | None]:
    """(service date, end date) of a row: the start date, else (unless the method uses start
    dates only) the end date; the end date, else (same condition) the start date."""
    start, end = claim.get("claim_start_date"), claim.get("claim_end_date")
    if method.service_date_start_only:
        return start, end
    return (start if start is not None else end), (end if end is not None else start)


def ended_by(line_end: dt.date | None, key: ScopeKey) -> bool:
    """A current key counts only lines whose end date is known and not after its as-of date."""
    if key.scope != "current":
        return True
    return line_end is not None and line_end <= key.anchor_end


def reversed_claims(claims: list[dict[str, Any]], distinct: list[int]) -> set[tuple[Any, ...]]:
    """Claim keys (see :func:`claim_key`) of the fully reversed claims.

    Computed over the distinct rows (``distinct``: indices of the first copy of each row), all of
    them whatever their other line checks: a claim is reversed when one of its lines has a
    negative line amount and the lines' amounts sum to zero or less.
    """
    total: dict[tuple[Any, ...], int] = {}
    negative: set[tuple[Any, ...]] = set()
    for index in distinct:
        claim = claims[index]
        key = claim_key(claim, index)
        cents = int(line_amount(claim.get("allowed_amount"), claim.get("paid_amount")).scaleb(2))
        total[key] = total.get(key, 0) + cents
        if cents < 0:
            negative.add(key)
    return {key for key in negative if total[key] <= 0}


def claim_key(claim: dict[str, Any], index: int) -> tuple[Any, ...]:
    """The claim of a row: (person_id, claim_id); a null claim_id is a claim by itself."""
    if claim.get("claim_id") is None:
        return ("row", index)
    return ("claim", claim.get("person_id"), claim["claim_id"])


def is_fqhc(claim: dict[str, Any], method: Method) -> bool:
    """An FQHC/RHC line: its trimmed revenue-center code is in the method's list."""
    code = claim.get("revenue_center_code")
    return code is not None and code.strip() in method.fqhc_revenue_codes


def pass_applies(pass_: Pass, key: ScopeKey) -> bool:
    """A pass without ``from_year`` applies always; else from that rule year on."""
    return pass_.from_year is None or key.rule_year() >= pass_.from_year


def pass_conditions(pass_: Pass, method: Method) -> list[tuple[Gate, bool]]:
    """(gate, negated) the pass needs: its own ``requires``, else the method gate, else none."""
    if pass_.requires is not None:
        return [(r.gate, r.negated) for r in pass_.requires]
    if method.gate is None:
        return []
    return [(method.gate, False)]


def widest_months(method: Method, key: ScopeKey) -> int:
    """The longest window of the passes applying in ``key`` and of the gates they need."""
    months = []
    for pass_ in method.passes:
        if pass_applies(pass_, key):
            months.append(pass_.months)
            months.extend(gate.months for gate, _ in pass_conditions(pass_, method))
    return max(months)


def prepare_lines(
    claims: list[dict[str, Any]],
    member_months: dict[str, set[int]],
    providers: list[dict[str, Any]],
    labels: dict[str, tuple[str, str | None]],
    code_lists: dict[int, frozenset[str]],
    encounter_mapped: bool,
    *,
    method: Method,
    keys: Sequence[ScopeKey],
    today: dt.date,
    roster: list[dict[str, Any]] | None = None,
    attested: list[dict[str, Any]] | None = None,
    claims_have_tin: bool = False,
    entity_type_mapped: bool = False,
    setting_mapped: bool = False,
    roster_by_year: bool = False,
) -> tuple[list[str | None], list[tuple[int, Line]]]:
    """The line checks 1..11 of every claims row, and the lines that pass them all.

    ``code_lists``: the primary-care codes of each scope key's rule year. Returns one status per
    row (None for a line that takes part; its status 12..16 comes from :func:`classify_lines`)
    and the taking-part lines with their row index.
    """
    columns = claim_columns(encounter_mapped, claims_have_tin, setting_mapped)
    rules = method.setting_exclusions if setting_mapped else ()
    stays = [facility_stays(claims, rule.bill_type_prefixes) for rule in rules]
    seen: set[tuple[Any, ...]] = set()
    distinct: list[int] = []
    for index, claim in enumerate(claims):
        identity = row_identity(claim, columns)
        if identity not in seen:
            seen.add(identity)
            distinct.append(index)
    # Without the duplicate collapse every row is a first copy (each adds its amount).
    first_copies = set(distinct) if method.collapse_duplicates else set(range(len(claims)))
    reversed_keys = reversed_claims(claims, distinct) if method.drop_reversed_claims else set()
    organizations = organizational_npis(providers) if entity_type_mapped else set()
    directory = directory_npis(providers, entity_type_mapped)
    attested_npis = None if attested is None else {r.get("npi") for r in attested}
    reach = [(window_start(k.anchor_end, widest_months(method, k)), k) for k in keys]

    statuses: list[str | None] = []
    lines: list[tuple[int, Line]] = []
    for index, claim in enumerate(claims):
        status = _removing_status(
            claim,
            index,
            first_copy=index in first_copies,
            today=today,
            method=method,
            attested_npis=attested_npis,
            organizations=organizations,
            reversed_keys=reversed_keys,
            reach=reach,
            member_months=member_months,
        )
        statuses.append(status)
        if status is not None:
            continue
        person: str = claim["person_id"]
        service_date, end_date = service_dates(claim, method)
        assert service_date is not None
        fqhc = is_fqhc(claim, method)
        npi: str = claim["attending_npi"] if fqhc else claim["rendering_npi"]
        encounter = claim.get("encounter_id") if encounter_mapped else None
        # A null claim_id with no encounter gives a null visit key, which is not a visit
        # (like COUNT(DISTINCT ...) ignoring nulls); the line's amount still counts. With
        # visits from encounters only, a null encounter is no visit.
        visit_key = encounter
        if visit_key is None and not method.visits_from_encounters:
            visit_key = claim.get("claim_id")
        hcpcs = claim.get("hcpcs_code")
        in_setting = setting_mapped and in_excluded_setting(claim, service_date, method, stays)
        primary_care = {
            year: fqhc or (hcpcs is not None and hcpcs.strip().upper() in codes and not in_setting)
            for year, codes in code_lists.items()
        }
        tin = claim.get("tin") if claims_have_tin else None
        units = {
            year: line_unit(
                method,
                npi,
                tin,
                service_date,
                roster,
                claims_have_tin,
                year if roster_by_year else None,
            )
            for year in code_lists
        }
        amount = line_amount(claim.get("allowed_amount"), claim.get("paid_amount"))
        line = Line(
            person_id=person,
            npi=npi,
            service_date=service_date,
            end_date=end_date,
            takes_steps=not method.directory_required or npi in directory,
            cents=int(amount.scaleb(2)),
            visit_key=visit_key,
            primary_care=primary_care,
            bucket="pcp" if fqhc else labels.get(npi, ("unknown", None))[0],
            units=units,
        )
        lines.append((index, line))
    return statuses, lines


def _removing_status(
    claim: dict[str, Any],
    index: int,
    *,
    first_copy: bool,
    today: dt.date,
    method: Method,
    attested_npis: set[Any] | None,
    organizations: set[str],
    reversed_keys: set[tuple[Any, ...]],
    reach: list[tuple[dt.date, ScopeKey]],
    member_months: dict[str, set[int]],
) -> str | None:
    """The first of the statuses 1..11 that applies to a claims row, or None."""
    if not first_copy:
        return "duplicate_line"
    person = claim.get("person_id")
    if person is None:
        return "missing_person_id"
    service_date, end_date = service_dates(claim, method)
    if service_date is None:
        return "missing_service_date"
    if service_date > today:
        return "future_service_date"
    fqhc = is_fqhc(claim, method)
    attending = claim.get("attending_npi")
    if fqhc and (attested_npis is None or attending is None or attending not in attested_npis):
        return "fqhc_not_attested"
    npi = attending if fqhc else claim.get("rendering_npi")  # the credited NPI
    if npi is None:
        return "missing_npi"
    if method.check_npi and not npi_is_valid(npi):
        return "invalid_npi"
    if npi in organizations:
        return "organizational_npi"
    if claim_key(claim, index) in reversed_keys:
        return "reversed_claim"
    if not any(
        start <= service_date <= key.anchor_end and ended_by(end_date, key) for start, key in reach
    ):
        return "outside_window"
    if month_key(service_date) not in member_months.get(person, set()):
        return "no_eligibility"
    return None


def falls_in(line: Line, pass_: Pass | Gate, key: ScopeKey) -> bool:
    """Whether ``line`` falls in ``pass_`` (or the gate) for scope key ``key``."""
    start = window_start(key.anchor_end, pass_.months)
    if not start <= line.service_date <= key.anchor_end:
        return False
    if not ended_by(line.end_date, key):
        return False
    if not line.takes_steps:
        return False
    if pass_.buckets is not None and line.bucket not in pass_.buckets:
        return False
    return not (pass_.services is Services.PRIMARY_CARE and not line.primary_care_in(key))


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


def gate_holds(person_lines: list[Line], key: ScopeKey, gate: Gate) -> bool:
    """Some line of the person falls in the gate (from an ACO unit when participants only)."""
    return any(
        falls_in(line, gate, key) and (not gate.participants_only or line.unit(key)[0] == "aco")
        for line in person_lines
    )


def pass_open(person_lines: list[Line], key: ScopeKey, pass_: Pass, method: Method) -> bool:
    """The pass applies in ``key`` and each of its conditions holds (a negated one fails)."""
    if not pass_applies(pass_, key):
        return False
    return all(
        gate_holds(person_lines, key, gate) != negated
        for gate, negated in pass_conditions(pass_, method)
    )


def _claims_candidate(
    unit: tuple[str, str],
    step: int,
    pass_: Pass,
    in_pass: list[Line],
    key: ScopeKey,
    method: Method,
    shown: Shown,
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
    bucket, specialty = shown(top_npi)
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
    shown: Shown,
) -> list[dict[str, Any]]:
    """Ranked claims candidates (units) of one person in one scope key."""
    open_passes = [
        (step, pass_)
        for step, pass_ in enumerate(method.passes, start=1)
        if pass_open(person_lines, key, pass_, method)
    ]
    by_unit: dict[tuple[str, str], list[Line]] = {}
    for line in person_lines:
        by_unit.setdefault(line.unit(key), []).append(line)

    candidates = []
    for unit, unit_lines in by_unit.items():
        for step, pass_ in open_passes:
            in_pass = [line for line in unit_lines if falls_in(line, pass_, key)]
            if in_pass:  # the smallest pass with a line is the candidate's step
                candidates.append(_claims_candidate(unit, step, pass_, in_pass, key, method, shown))
                break
    candidates.sort(key=lambda pair: pair[0])
    return [row for _, row in candidates]


def eligible_population(
    member_months: dict[str, set[int]], key: ScopeKey, method: Method
) -> set[str]:
    """Persons with a member month inside the method's eligibility window for ``key``."""
    first = month_key(window_start(key.anchor_end, method.eligibility_months))
    last = month_key(key.anchor_end)
    return {p for p, ms in member_months.items() if any(first <= m <= last for m in ms)}


def classify_lines(
    lines: list[tuple[int, Line]],
    keys: Sequence[ScopeKey],
    method: Method,
    populations: list[set[str]],
) -> dict[int, str]:
    """Row index -> status 12..16 of every line that takes part (``populations``: the eligible
    persons of each scope key, after the beneficiary exclusions).

    A line counts in scope key k when it falls in a pass applying in k whose conditions hold
    for its person there, and its person is in k's eligible population.
    """
    by_person: dict[str, list[Line]] = {}
    for _, line in lines:
        by_person.setdefault(line.person_id, []).append(line)
    opened: dict[tuple[str, int, int], bool] = {}  # (person, key position, step) -> pass open
    statuses: dict[int, str] = {}
    for index, line in lines:
        if Path.CLAIMS not in method.paths:
            statuses[index] = "no_matching_pass"
            continue
        in_pass = in_pass_eligible = counts = False
        for position, (key, population) in enumerate(zip(keys, populations, strict=True)):
            steps = [
                step
                for step, pass_ in enumerate(method.passes, start=1)
                if pass_applies(pass_, key) and falls_in(line, pass_, key)
            ]
            if not steps:
                continue
            in_pass = True
            if line.person_id not in population:
                continue
            in_pass_eligible = True
            for step in steps:
                memo = (line.person_id, position, step)
                if memo not in opened:
                    opened[memo] = pass_open(
                        by_person[line.person_id], key, method.passes[step - 1], method
                    )
                counts = counts or opened[memo]
        if not in_pass:
            # not primary care under the code list of any scope key
            not_pc = not any(line.primary_care.values()) and line.takes_steps
            statuses[index] = "not_primary_care" if not_pc else "no_matching_pass"
        elif not in_pass_eligible:
            statuses[index] = "person_not_eligible"
        elif not counts:
            statuses[index] = "person_not_assignable"
        else:
            statuses[index] = "used"
    return statuses


# --------------------------------------------------------------------------- enrollment

BENEFICIARY_REASONS = (
    "deceased",
    "not_part_a_and_b",
    "managed_care",
    "outside_us",
    "other_initiative",
    "not_excluded",
)
ENROLLMENT_FLAGS = ("part_a", "part_b", "managed_care", "outside_us", "other_initiative")


def is_true(value: Any) -> bool:
    """A flag value: boolean true, 1, or y / yes / t / true in any case, spaces ignored."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "y", "yes", "t", "true"}


@dataclass(frozen=True)
class Enrollment:
    """Per person: the months each flag is set in, and the earliest death date."""

    months: dict[str, dict[str, set[int]]]  # person -> flag -> months where it is true
    listed: dict[str, set[int]]  # person -> months with any enrollment row
    deaths: dict[str, dt.date]


def index_enrollment(rows: list[dict[str, Any]]) -> Enrollment:
    months: dict[str, dict[str, set[int]]] = {}
    listed: dict[str, set[int]] = {}
    deaths: dict[str, dt.date] = {}
    for row in rows:
        person = row.get("person_id")
        if person is None:
            continue
        death = row.get("death_date")
        if death is not None and (person not in deaths or death < deaths[person]):
            deaths[person] = death
        if row.get("year_month") is None:
            continue
        month = parse_year_month(row["year_month"])
        listed.setdefault(person, set()).add(month)
        for name in ENROLLMENT_FLAGS:
            if is_true(row.get(name)):
                months.setdefault(person, {}).setdefault(name, set()).add(month)
    return Enrollment(months, listed, deaths)


def exclusion_reason(person: str, key: ScopeKey, method: Method, enrollment: Enrollment) -> str:
    """The first beneficiary exclusion reason of ``person`` in scope key ``key``."""
    start = window_start(key.anchor_end, method.eligibility_months)
    first, last = month_key(start), month_key(key.anchor_end)
    alive_from = start if key.performance_year is None else dt.date(key.performance_year, 1, 1)
    death = enrollment.deaths.get(person)
    if death is not None and death < alive_from:
        return "deceased"
    flags = enrollment.months.get(person, {})

    def window(name: str) -> set[int]:
        return {m for m in flags.get(name, set()) if first <= m <= last}

    part_a, part_b = window("part_a"), window("part_b")
    if not part_a & part_b or part_a ^ part_b:
        return "not_part_a_and_b"
    for name in ("managed_care", "outside_us", "other_initiative"):
        if window(name):
            return name
    return "not_excluded"


# --------------------------------------------------------------------------- selection paths


def selection_row(
    selections: list[dict[str, Any]] | None,
    path: Path,
    person: str,
    key: ScopeKey,
    roster: list[dict[str, Any]] | None,
    shown: Shown,
    roster_by_year: bool = False,
) -> dict[str, Any] | None:
    """The valid selection of one person in one scope key as a row, or None. Its unit is the
    ACO of the NPI on the anchor end (a roster by year: in the key's rule year), else the NPI.

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
    year = key.rule_year() if roster_by_year else None
    aco = roster_aco(roster, npi, None, key.anchor_end, compare_tin=False, year=year)
    bucket, specialty = shown(npi)
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


def code_lists(
    valuesets: ValueSets | None, keys: Sequence[ScopeKey], by_year: bool
) -> dict[int, frozenset[str]]:
    """Rule year of each scope key -> its primary-care codes: the given list for every key;
    without one, the newest shipped list, or (``by_year``) the shipped list in force that
    year (the newest edition not after it; the oldest edition for a year before them all)."""
    lists = {}
    for key in keys:
        year = key.rule_year()
        if valuesets is not None or not by_year:
            lists[year] = (valuesets or ValueSets.for_year()).primary_care_hcpcs
        else:
            lists[year] = ValueSets.for_year(max(year, min(editions()))).primary_care_hcpcs
    return lists


def _fallback(key: ScopeKey, method: Method) -> dict[str, Any]:
    fb = method.fallback
    months = max(p.months for p in method.passes if pass_applies(p, key))
    if key.scope == "yearly" and method.yearly_fallback_eligibility_window:
        months = method.eligibility_months
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
        "lookback_start_date": window_start(key.anchor_end, months),
        "lookback_end_date": key.anchor_end,
    }


def attribute_reference(
    claims: list[dict[str, Any]],
    eligibility: list[dict[str, Any]],
    providers: list[dict[str, Any]],
    *,
    method: Method,
    valuesets: ValueSets | None,
    classification_kind: Classification,
    encounter_mapped: bool,
    as_of: dt.date | Sequence[dt.date] | None,
    years: Sequence[int],
    roster: list[dict[str, Any]] | None = None,
    attested: list[dict[str, Any]] | None = None,
    self_selections: list[dict[str, Any]] | None = None,
    geographic: list[dict[str, Any]] | None = None,
    claims_have_tin: bool = False,
    today: dt.date,
    entity_type_mapped: bool = False,
    specialty_mapped: bool = False,
    setting_mapped: bool = False,
    enrollment: list[dict[str, Any]] | None = None,
    roster_by_year: bool = False,
) -> dict[str, Any]:
    """The three output tables (sorted lists of dicts) and ``exclusions``.

    ``valuesets`` None: the shipped code lists by scope key (see :func:`code_lists`), the
    newest edition for the provider crosswalks. ``roster_by_year``: roster rows carry a
    ``performance_year`` and apply to the scope keys of that rule year, dates ignored.

    ``exclusions`` maps every status of :data:`EXCLUSION_REASONS` (in that order) to the number of
    claims rows with that status; the counts add up to ``len(claims)``. ``today`` is the run's
    date (for ``future_service_date``); ``providers`` rows may carry ``entity_type``, used only
    when ``entity_type_mapped``.
    """
    member_months: dict[str, set[int]] = {}
    for row in eligibility:
        if row.get("person_id") is None or row.get("year_month") is None:
            continue
        member_months.setdefault(row["person_id"], set()).add(parse_year_month(row["year_month"]))
    labels = provider_labels(providers, classification_kind, valuesets or ValueSets.for_year())
    shown = shown_labels(labels, providers, method, specialty_mapped)
    keys = scope_keys(as_of, years, method)
    statuses, indexed_lines = prepare_lines(
        claims,
        member_months,
        providers,
        labels,
        code_lists(valuesets, keys, method.code_lists_by_year),
        encounter_mapped,
        method=method,
        keys=keys,
        today=today,
        roster=roster,
        attested=attested,
        claims_have_tin=claims_have_tin,
        entity_type_mapped=entity_type_mapped,
        setting_mapped=setting_mapped,
        roster_by_year=roster_by_year,
    )
    enrolled = None if enrollment is None else index_enrollment(enrollment)
    beneficiaries: dict[str, dict[str, int]] = {}
    populations: list[set[str]] = []
    for key in keys:
        counts = dict.fromkeys(BENEFICIARY_REASONS, 0)
        kept = set()
        for person in eligible_population(member_months, key, method):
            reason = "not_excluded"
            if enrolled is not None:
                reason = exclusion_reason(person, key, method, enrolled)
            counts[reason] += 1
            if reason == "not_excluded":
                kept.add(person)
        beneficiaries[f"{key.scope}|{key.key_text()}"] = counts
        populations.append(kept)
    later = classify_lines(indexed_lines, keys, method, populations)
    exclusions = dict.fromkeys(EXCLUSION_REASONS, 0)
    for index, status in enumerate(statuses):
        exclusions[status if status is not None else later[index]] += 1

    lines_by_person: dict[str, list[Line]] = {}
    for _, line in indexed_lines:
        lines_by_person.setdefault(line.person_id, []).append(line)
    selections = {Path.SELF_SELECTION: self_selections, Path.GEOGRAPHIC: geographic}

    ranking_rows: list[dict[str, Any]] = []
    current_rows: list[dict[str, Any]] = []
    yearly_rows: list[dict[str, Any]] = []
    for key, population in zip(keys, populations, strict=True):
        for person in sorted(population):
            rows: list[dict[str, Any]] = []
            for path in method.paths:  # precedence order; ranking 1 is the first path's row
                if path is Path.CLAIMS:
                    rows.extend(claims_rows(lines_by_person.get(person, []), key, method, shown))
                    continue
                # The roster decides a selection's unit only for ACO-unit methods.
                unit_roster = roster if method.unit is Unit.ACO else None
                selected = selection_row(
                    selections[path], path, person, key, unit_roster, shown, roster_by_year
                )
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
        "exclusions": exclusions,
        "beneficiary_exclusions": beneficiaries,
    }
