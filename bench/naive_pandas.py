"""The Tuva attribution written in straightforward pandas: the benchmark's naive comparison point.

Reads the generated tables into DataFrames (``read_tables``) and follows ``docs/METHOD.md``
with merges, filters, group-bys and a sort (``attribute``): exact duplicates counted once, the
line checks 2-9 (null person, null service date, future date, null NPI, the NPI Luhn check,
organisational NPIs, fully reversed claims), member-month eligibility, the five passes per scope
key (current and every year), candidates at their earliest step, the ranking (step, allowed
amount with paid fallback, visits, provider id), a fallback row per eligible member without
candidates, and the exclusion counts. Only what the Tuva preset uses is implemented (NPI units,
claims path, no gate, no FQHC lines, no weights); ``attribute`` refuses other methods.

Only the method definition and the value sets (code lists) come from the package, never SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from provider_attribution.model.method import TUVA, Method, Pass, RankKey, Services, Unit
from provider_attribution.model.method import Path as MethodPath
from provider_attribution.model.valuesets import ValueSets
from provider_attribution.sql.exclusions import REASONS as EXCLUSION_REASONS

CLAIM_COLUMNS = (
    "person_id",
    "claim_id",
    "claim_line_number",
    "encounter_id",
    "rendering_npi",
    "hcpcs_code",
    "claim_start_date",
    "claim_end_date",
    "allowed_amount",
    "paid_amount",
    "tin",
    "revenue_center_code",
    "attending_npi",
)
# The line statuses in reason order, as the package writes them to attribution_exclusions.
REASONS = tuple(reason for reason, _ in EXCLUSION_REASONS)
CODE = {reason: order for order, reason in enumerate(REASONS, start=1)}
FALLBACK_PROVIDER = "9999999999"


@dataclass(frozen=True)
class Tables:
    """The three inputs the Tuva method reads."""

    claims: pd.DataFrame
    member_months: pd.DataFrame
    providers: pd.DataFrame


@dataclass(frozen=True)
class Outputs:
    """What the pandas attribution produces."""

    ranking: pd.DataFrame
    current: pd.DataFrame
    yearly: pd.DataFrame
    exclusions: dict[str, int]

    def row_counts(self) -> dict[str, int]:
        """Rows of each output, named like the SQL tables."""
        return {
            "provider_ranking": len(self.ranking),
            "assigned_beneficiaries_current": len(self.current),
            "assigned_beneficiaries_yearly": len(self.yearly),
            "attribution_exclusions": len(self.exclusions),
        }


@dataclass(frozen=True)
class Scope:
    """One scope key: the current scope at an as-of date, or a performance year."""

    scope: str
    anchor_end: dt.date
    performance_year: int | None

    def start(self, months: int) -> dt.date:
        """First day of the ``months``-long window ending at the anchor."""
        index = self.anchor_end.year * 12 + self.anchor_end.month - 1 - (months - 1)
        return dt.date(index // 12, index % 12 + 1, 1)

    @property
    def key_text(self) -> str:
        """``YYYYMMDD`` (current) or ``YYYY`` (yearly), the middle of attribution_key."""
        if self.performance_year is not None:
            return f"{self.performance_year:04d}"
        return self.anchor_end.strftime("%Y%m%d")


def read_tables(db: Path) -> Tables:
    """Read the generated claims, member months and providers from a DuckDB file."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        columns = ", ".join(CLAIM_COLUMNS)
        claims = con.sql(f"SELECT {columns} FROM core.medical_claim").df()
        months = con.sql("SELECT person_id, year_month FROM core.member_months").df()
        providers = con.sql(
            "SELECT npi, primary_taxonomy_code, entity_type_description FROM terminology.provider"
        ).df()
    finally:
        con.close()
    return Tables(claims, months, providers)


def npi_is_valid(npi: str) -> bool:
    """Ten ASCII digits whose last is the Luhn check digit of ``80840`` + the first nine."""
    if len(npi) != 10 or any(ch not in "0123456789" for ch in npi):
        return False
    total = 0
    for position, ch in enumerate(reversed("80840" + npi)):
        digit = int(ch)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit >= 5 else digit * 2
        total += digit
    return total % 10 == 0


def month_key(dates: pd.Series) -> pd.Series:
    """``YYYYMM`` of each date."""
    return dates.dt.year * 100 + dates.dt.month


def providers_by_npi(providers: pd.DataFrame, valuesets: ValueSets) -> pd.DataFrame:
    """One row per NPI: bucket, specialty description and organisation flag (taxonomy codes)."""
    p = providers[providers["npi"].notna()].copy()
    p["cls"] = p["primary_taxonomy_code"].str.strip().str.upper()
    entity = p["entity_type_description"].astype("string").str.strip().str.lower()
    p["is_org"] = entity.isin(["2", "organization"]).astype("int64")
    per_npi = p.groupby("npi", as_index=False).agg(cls=("cls", "min"), is_org=("is_org", "max"))
    specialty = per_npi["cls"].map(dict(valuesets.taxonomy_specialty))
    per_npi["bucket"] = specialty.map(dict(valuesets.specialty_bucket)).fillna("unknown")
    per_npi["prov_specialty"] = specialty.map(dict(valuesets.specialty_description))
    return per_npi[["npi", "bucket", "prov_specialty", "is_org"]]


def line_attributes(rows: pd.DataFrame, prov: pd.DataFrame, valuesets: ValueSets) -> pd.DataFrame:
    """Service date, cents, visit key, primary-care flag, bucket, claim net and claim minimum."""
    rows = rows.copy()
    rows["service_date"] = rows["claim_start_date"].fillna(rows["claim_end_date"])
    rows["end_date"] = rows["claim_end_date"].fillna(rows["claim_start_date"])
    allowed = rows["allowed_amount"]
    amount = allowed.where(allowed.notna() & (allowed != 0), rows["paid_amount"].fillna(0))
    rows["cents"] = (amount.astype("float64") * 100).round().astype("int64")
    rows["visit_key"] = rows["encounter_id"].fillna(rows["claim_id"])
    codes = rows["hcpcs_code"].str.strip().str.upper()
    rows["primary_care"] = codes.isin(valuesets.primary_care_hcpcs)
    rows["npi"] = rows["rendering_npi"]
    rows = rows.merge(prov[["npi", "bucket", "is_org"]], on="npi", how="left")
    rows["bucket"] = rows["bucket"].fillna("unknown")
    rows["is_org"] = rows["is_org"].fillna(0)
    per_claim = rows.groupby(["person_id", "claim_id"], dropna=False)["cents"]
    alone = rows["claim_id"].isna()
    rows["claim_net"] = per_claim.transform("sum").where(~alone, rows["cents"])
    rows["claim_min"] = per_claim.transform("min").where(~alone, rows["cents"])
    return rows


def check_status(rows: pd.DataFrame, today: dt.date) -> pd.Series:
    """Reason order of the first failed line check among 2-9, else 0."""
    valid = {npi: npi_is_valid(str(npi)) for npi in rows["npi"].dropna().unique()}
    npi_ok = rows["npi"].map(valid).fillna(False).astype(bool)
    conditions = [
        rows["person_id"].isna(),
        rows["service_date"].isna(),
        rows["service_date"] > pd.Timestamp(today),
        rows["npi"].isna(),
        ~npi_ok,
        rows["is_org"] == 1,
        (rows["claim_min"] < 0) & (rows["claim_net"] <= 0),
    ]
    reasons = [
        "missing_person_id",
        "missing_service_date",
        "future_service_date",
        "missing_npi",
        "invalid_npi",
        "organizational_npi",
        "reversed_claim",
    ]
    return pd.Series(np.select(conditions, [CODE[r] for r in reasons], 0), index=rows.index)


def default_years(member_months: pd.DataFrame) -> list[int]:
    """Every year from the first to the last month of the eligibility input."""
    keys = pd.to_numeric(member_months["year_month"]).dropna()
    if keys.empty:
        return []
    return list(range(int(keys.min()) // 100, int(keys.max()) // 100 + 1))


def scopes_of(as_of: dt.date, years: Iterable[int]) -> list[Scope]:
    """The current scope first, then the years ascending (Tuva anchors: December 31)."""
    yearly = [Scope("yearly", dt.date(y, 12, 31), y) for y in sorted(set(years))]
    return [Scope("current", as_of, None), *yearly]


def eligible_months(member_months: pd.DataFrame, scopes: list[Scope], months: int) -> pd.DataFrame:
    """Distinct (person_id, month) with a person, inside the months any scope looks at."""
    mm = member_months[member_months["person_id"].notna()].copy()
    mm["month"] = pd.to_numeric(mm["year_month"]).astype("int64")
    first = min(s.start(months).year * 100 + s.start(months).month for s in scopes)
    last = max(s.anchor_end.year * 100 + s.anchor_end.month for s in scopes)
    mm = mm[(mm["month"] >= first) & (mm["month"] <= last)]
    return mm[["person_id", "month"]].drop_duplicates()


def eligible_persons(mm: pd.DataFrame, scope: Scope, months: int) -> pd.Series:
    """Persons with a member month in the scope's eligibility window."""
    start = scope.start(months)
    first = start.year * 100 + start.month
    last = scope.anchor_end.year * 100 + scope.anchor_end.month
    return mm.loc[(mm["month"] >= first) & (mm["month"] <= last), "person_id"].drop_duplicates()


def in_pass(lines: pd.DataFrame, scope: Scope, p: Pass, widest: int) -> pd.Series:
    """Lines of the scope's widest window that fall in pass ``p`` (window, bucket, services)."""
    day = lines["service_date"]
    hit = (day >= pd.Timestamp(scope.start(widest))) & (day <= pd.Timestamp(scope.anchor_end))
    hit &= day >= pd.Timestamp(scope.start(p.months))
    if scope.scope == "current":  # current scope: lines that ended by the as-of date
        hit &= lines["end_date"] <= pd.Timestamp(scope.anchor_end)
    if p.buckets is not None:
        hit &= lines["bucket"].isin(sorted(p.buckets))
    if p.services is Services.PRIMARY_CARE:
        hit &= lines["primary_care"]
    return hit


def pass_candidates(lines: pd.DataFrame, hit: pd.Series, step: int) -> pd.DataFrame:
    """Per person and NPI: cents, distinct visits and last service of the lines in one pass."""
    grouped = lines[hit].groupby(["person_id", "npi"], as_index=False)
    metrics = grouped.agg(
        cents=("cents", "sum"),
        visits=("visit_key", "nunique"),
        last_service_date=("service_date", "max"),
    )
    metrics["step"] = step
    return metrics


def scope_candidates(
    lines: pd.DataFrame, scope: Scope, method: Method, widest: int
) -> tuple[pd.DataFrame, pd.Series]:
    """Candidates of one scope at their earliest step, and which lines fall in any pass."""
    per_pass = []
    any_pass = pd.Series(False, index=lines.index)
    for step, p in enumerate(method.passes, start=1):
        hit = in_pass(lines, scope, p, widest)
        any_pass |= hit
        per_pass.append(pass_candidates(lines, hit, step))
    everything = pd.concat(per_pass, ignore_index=True)
    everything = everything.sort_values(["person_id", "npi", "step"], kind="stable")
    return everything.drop_duplicates(["person_id", "npi"], keep="first"), any_pass


def rank(candidates: pd.DataFrame, method: Method) -> pd.DataFrame:
    """Order every person's candidates and number them 1.. (1 is the assigned provider)."""
    by = ["scope_id", "person_id", "step"]
    ascending = [True, True, True]
    columns = {
        RankKey.ALLOWED_DESC: "cents",
        RankKey.VISITS_DESC: "visits",
        RankKey.LAST_SERVICE_DESC: "last_service_date",
    }
    for key in method.ranking:
        by.append(columns[key])
        ascending.append(False)
    by.append("npi")
    ascending.append(True)
    ordered = candidates.sort_values(by, ascending=ascending, kind="stable")
    ordered["ranking"] = ordered.groupby(["scope_id", "person_id"]).cumcount() + 1
    return ordered


def fallback_rows(eligible: pd.DataFrame, candidates: pd.DataFrame) -> pd.DataFrame:
    """Eligible (scope_id, person_id) pairs without any candidate."""
    have = candidates[["scope_id", "person_id"]].drop_duplicates()
    merged = eligible.merge(have, on=["scope_id", "person_id"], how="left", indicator=True)
    return merged.loc[merged["_merge"] == "left_only", ["scope_id", "person_id"]]


def describe_rows(
    ranked: pd.DataFrame,
    fallback: pd.DataFrame,
    scopes: list[Scope],
    method: Method,
    prov: pd.DataFrame,
) -> pd.DataFrame:
    """The provider_ranking columns for ranked candidates and fallback rows."""
    claims = ranked.merge(prov[["npi", "bucket", "prov_specialty"]], on="npi", how="left")
    claims["provider_bucket"] = claims["bucket"].fillna("unknown")
    claims["attribution_type"] = "claims"
    claims["provider_id"] = claims["npi"]
    claims["unit_type"] = "npi"
    claims["top_npi"] = claims["npi"]
    months = {step: p.months for step, p in enumerate(method.passes, start=1)}
    texts = {step: p.description for step, p in enumerate(method.passes, start=1)}
    claims["step_description"] = claims["step"].map(texts)
    claims["lookback_months"] = claims["step"].map(months)
    f = method.fallback
    none = fallback.assign(
        attribution_type="none",
        provider_id=f.provider_id,
        unit_type=None,
        top_npi=None,
        provider_bucket=f.provider_bucket,
        prov_specialty=f.prov_specialty,
        step=0,
        step_description=f.step_description,
        cents=0,
        visits=0,
        last_service_date=pd.NaT,
        lookback_months=method.widest_months,
        ranking=1,
    )
    rows = pd.concat([claims, none], ignore_index=True)
    keys = pd.DataFrame(
        {
            "scope_id": range(len(scopes)),
            "scope": [s.scope for s in scopes],
            "performance_year": [s.performance_year for s in scopes],
            "as_of_date": [None if s.performance_year else s.anchor_end for s in scopes],
            "anchor_end": [s.anchor_end for s in scopes],
            "key_prefix": [f"{s.scope}|{s.key_text}|" for s in scopes],
        }
    )
    rows = rows.merge(keys, on="scope_id", how="left")
    starts = {(i, m): scopes[i].start(m) for i in range(len(scopes)) for m in set(months.values())}
    rows["lookback_start_date"] = [
        starts[(i, m)] for i, m in zip(rows["scope_id"], rows["lookback_months"], strict=True)
    ]
    rows["lookback_end_date"] = rows["anchor_end"]
    rows["allowed_amount"] = rows["cents"] / 100
    rows["attribution_key"] = rows["key_prefix"] + rows["person_id"].astype(str)
    return rows.rename(columns={"cents": "allowed_cents"})


RANKING_COLUMNS = [
    "person_id",
    "scope",
    "performance_year",
    "as_of_date",
    "attribution_type",
    "provider_id",
    "unit_type",
    "top_npi",
    "provider_bucket",
    "prov_specialty",
    "step",
    "step_description",
    "allowed_amount",
    "allowed_cents",
    "visits",
    "last_service_date",
    "lookback_start_date",
    "lookback_end_date",
    "ranking",
    "attribution_key",
]


def assigned(ranking: pd.DataFrame, scope: str) -> pd.DataFrame:
    """Ranking-1 rows of one scope, with ``step`` named ``assigned_step``."""
    chosen = ranking[(ranking["scope"] == scope) & (ranking["ranking"] == 1)]
    return chosen.rename(columns={"step": "assigned_step"}).drop(columns=["ranking"])


def require_tuva_like(method: Method) -> None:
    """Refuse what this implementation does not cover."""
    simple = (
        method.unit is Unit.NPI
        and method.paths == (MethodPath.CLAIMS,)
        and method.gate is None
        and not method.fqhc_revenue_codes
        and all(
            p.weights is None and p.requires is None and p.from_year is None for p in method.passes
        )
        and method.check_npi
        # the default line options only (not tuva_mart's)
        and not method.service_date_start_only
        and method.collapse_duplicates
        and method.drop_reversed_claims
        and not method.directory_required
        and not method.visits_from_encounters
        and method.unknown_bucket_label == "unknown"
        and not method.yearly_fallback_eligibility_window
        and not method.year_anchors
        and method.year_anchor_offset_months == 0
    )
    if not simple:
        raise ValueError(f"naive_pandas implements Tuva-like methods only, not {method.name!r}")


def exclusion_counts(status: pd.Series, duplicates: int) -> dict[str, int]:
    """Lines per reason, every reason present, in reason order."""
    counts = status.value_counts()
    result = {reason: int(counts.get(code, 0)) for reason, code in CODE.items()}
    result["duplicate_line"] = duplicates
    return result


def attribute(
    tables: Tables,
    *,
    as_of: dt.date,
    years: Iterable[int] | None = None,
    today: dt.date | None = None,
    method: Method = TUVA,
    valuesets: ValueSets | None = None,
) -> Outputs:
    """The Tuva attribution of ``tables`` for the current scope at ``as_of`` and ``years``
    (default: every year of the member months)."""
    require_tuva_like(method)
    valuesets = valuesets or ValueSets.for_year()
    today = today or dt.date.today()
    claims = tables.claims
    duplicate = claims.duplicated(subset=list(CLAIM_COLUMNS), keep="first")
    prov = providers_by_npi(tables.providers, valuesets)
    rows = line_attributes(claims[~duplicate], prov, valuesets)
    rows["status"] = check_status(rows, today)
    scopes = scopes_of(as_of, default_years(tables.member_months) if years is None else years)
    widest = method.widest_months
    mm = eligible_months(tables.member_months, scopes, max(widest, method.eligibility_months))

    checked = rows["status"] == 0
    day = rows["service_date"]
    in_some_window = pd.Series(False, index=rows.index)
    for s in scopes:
        within = (day >= pd.Timestamp(s.start(widest))) & (day <= pd.Timestamp(s.anchor_end))
        if s.scope == "current":
            within &= rows["end_date"] <= pd.Timestamp(s.anchor_end)
        in_some_window |= within
    rows.loc[checked & ~in_some_window, "status"] = CODE["outside_window"]
    rows["month"] = month_key(day)
    line_months = pd.MultiIndex.from_arrays([rows["person_id"], rows["month"]])
    enrolled = line_months.isin(pd.MultiIndex.from_frame(mm))
    rows.loc[(rows["status"] == 0) & ~enrolled, "status"] = CODE["no_eligibility"]

    lines = rows[rows["status"] == 0]
    per_scope = []
    eligible_frames = []
    in_any_pass = pd.Series(False, index=lines.index)
    counted = pd.Series(False, index=lines.index)
    for scope_id, s in enumerate(scopes):
        candidates, any_pass = scope_candidates(lines, s, method, widest)
        persons = eligible_persons(mm, s, method.eligibility_months)
        in_any_pass |= any_pass
        counted |= any_pass & lines["person_id"].isin(persons)
        candidates = candidates[candidates["person_id"].isin(persons)].assign(scope_id=scope_id)
        per_scope.append(candidates)
        eligible_frames.append(pd.DataFrame({"scope_id": scope_id, "person_id": persons}))

    outcome = np.select(
        [~in_any_pass & ~lines["primary_care"], ~in_any_pass, ~counted],
        [CODE["not_primary_care"], CODE["no_matching_pass"], CODE["person_not_eligible"]],
        CODE["used"],
    )
    rows.loc[lines.index, "status"] = outcome

    candidates = pd.concat(per_scope, ignore_index=True)
    eligible = pd.concat(eligible_frames, ignore_index=True)
    ranked = rank(candidates, method)
    fallback = fallback_rows(eligible, candidates)
    ranking = describe_rows(ranked, fallback, scopes, method, prov)[RANKING_COLUMNS]
    return Outputs(
        ranking=ranking,
        current=assigned(ranking, "current"),
        yearly=assigned(ranking, "yearly"),
        exclusions=exclusion_counts(rows["status"], int(duplicate.sum())),
    )
