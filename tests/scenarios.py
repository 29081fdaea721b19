"""Hand-written rule scenarios: a small data set and the assignments the rules demand.

Each scenario states, per attribution_key, the expected (provider_id, step, allowed, visits) and
optionally the full candidate order. They run against the oracle, DuckDB, and (in
``dialect_tests/``) every engine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from harness import TODAY, Dataset
from provider_attribution.model.inputs import Classification
from provider_attribution.model.method import (
    INPATIENT_ACP_EXCLUSION,
    MSSP,
    MSSP_PROSPECTIVE,
    REACH,
    SNF_EXCLUSION,
    TUVA,
    TUVA_MART,
    Gate,
    Method,
    Services,
)
from provider_attribution.sql.enrollment import REASONS as BENEFICIARY_REASONS
from provider_attribution.sql.exclusions import REASONS

# Luhn-valid NPIs (check digit last) whose order follows their first nine digits.
PCP = "1111111112"  # family medicine
PCP2 = "1111111120"  # internal medicine
NPP = "1222222220"  # nurse practitioner
SPEC = "1333333338"  # cardiology
OTHER = "1444444446"  # orthopaedic surgery: bucket unknown
MISSING = "1555555550"  # not in the provider table
ORG = "1666666668"  # a group practice (entity type 2)
FALLBACK = "9999999999"

PROVIDERS = [
    {"npi": PCP, "classification": "207Q00000X"},
    {"npi": PCP2, "classification": "207R00000X"},
    {"npi": NPP, "classification": "363L00000X"},
    {"npi": SPEC, "classification": "207RC0000X"},
    {"npi": OTHER, "classification": "207X00000X"},
]


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def months(person: str, first: str, last: str) -> list[dict[str, Any]]:
    """Member months from ``first`` to ``last`` (YYYY-MM), inclusive."""
    y, m = map(int, first.split("-"))
    ly, lm = map(int, last.split("-"))
    rows = []
    while (y, m) <= (ly, lm):
        rows.append({"person_id": person, "year_month": y * 100 + m})
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return rows


_counter = iter(range(1, 1_000_000))


def line(
    person: str | None,
    npi: str | None,
    code: str,
    start: str | None,
    allowed: str | None,
    paid: str | None = None,
    *,
    claim: str | None = None,
    encounter: str | None = None,
    end: str | None = None,
    open_end: bool = False,
    tin: str | None = None,
    revenue: str | None = None,
    attending: str | None = None,
    pos: str | None = None,
    bill: str | None = None,
) -> dict[str, Any]:
    return {
        "place_of_service": pos,
        "bill_type": bill,
        "tin": tin,
        "revenue_center_code": revenue,
        "attending_npi": attending,
        "person_id": person,
        "claim_id": claim or f"c{next(_counter)}",
        "claim_line_number": 1,
        "encounter_id": encounter,
        "rendering_npi": npi,
        "hcpcs_code": code,
        "claim_start_date": d(start) if start else None,
        "claim_end_date": None if open_end else d(end) if end else d(start) if start else None,
        "allowed_amount": Decimal(allowed) if allowed is not None else None,
        "paid_amount": Decimal(paid) if paid is not None else None,
    }


Expect = tuple[str, int, str, int]  # provider_id, step, allowed, visits


@dataclass
class Scenario:
    name: str
    claims: list[dict[str, Any]]
    eligibility: list[dict[str, Any]]
    as_of: dt.date | None
    years: list[int]
    assigned: dict[str, Expect]
    ranking: dict[str, list[str]] = field(default_factory=dict)
    encounter_mapped: bool = True
    providers: list[dict[str, Any]] = field(default_factory=lambda: list(PROVIDERS))
    kind: Classification = Classification.TAXONOMY
    method: Method = TUVA
    types: dict[str, str] = field(default_factory=dict)
    top_npi: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    excluded: dict[str, int] = field(default_factory=dict)  # expected exclusion counts
    today: dt.date = TODAY
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)  # assigned row columns
    # expected beneficiary_exclusions: {"scope|key": {reason: count}} (unlisted reasons: 0)
    beneficiaries: dict[str, dict[str, int]] = field(default_factory=dict)

    def dataset(self) -> Dataset:
        return Dataset(
            claims=self.claims,
            eligibility=self.eligibility,
            providers=self.providers,
            classification_kind=self.kind,
            encounter_mapped=self.encounter_mapped,
            today=self.today,
            **self.extra,
        )


def every_reason(**counts: int) -> dict[str, int]:
    """Exclusion counts for all reasons: the given ones, 0 for the rest."""
    unknown = set(counts) - {reason for reason, _ in REASONS}
    assert not unknown, unknown
    return {reason: counts.get(reason, 0) for reason, _ in REASONS}


AS_OF = d("2024-06-30")
CUR = "current|20240630|"
ALL_A = months("A", "2022-01", "2024-12")
ALL_AB = ALL_A + months("B", "2022-01", "2024-12")

SCENARIOS = [
    Scenario(
        "step 1 beats a larger specialist amount",
        [
            line("A", PCP, "99213", "2024-05-02", "100"),
            line("A", SPEC, "99214", "2024-05-03", "500"),
        ],
        ALL_A,
        AS_OF,
        [],
        {CUR + "A": (PCP, 1, "100.00", 1)},
        ranking={CUR + "A": [PCP, SPEC]},
    ),
    Scenario(
        "one visit over two dates mixing primary-care and other lines",
        [
            line("A", PCP, "99213", "2024-05-02", "100", claim="mixed"),
            line("A", PCP, "80053", "2024-05-02", "40", claim="mixed"),
            line("A", PCP, "99214", "2024-05-20", "50", claim="mixed"),
            line("A", PCP2, "99213", "2024-04-02", "70", claim="other"),
            line("A", PCP2, "80053", "2024-04-02", "900", claim="other"),
        ],
        ALL_A,
        AS_OF,
        [],
        # only the primary-care lines count; the claim is one visit however many dates
        {CUR + "A": (PCP, 1, "150.00", 1)},
        ranking={CUR + "A": [PCP, PCP2]},
    ),
    Scenario(
        "step 2 specialist when no PCP/NPP primary care",
        [
            line("A", SPEC, "99213", "2024-05-02", "80"),
            line("A", OTHER, "99213", "2024-05-03", "500"),
        ],
        ALL_A,
        AS_OF,
        [],
        {CUR + "A": (SPEC, 2, "80.00", 1)},
        ranking={CUR + "A": [SPEC, OTHER]},
    ),
    Scenario(
        "step 3: PCP primary care only in months 13-24",
        [
            line("A", PCP, "99213", "2023-01-15", "90"),
            line("A", SPEC, "80053", "2024-05-03", "500"),
        ],
        ALL_A,
        AS_OF,
        [],
        {CUR + "A": (PCP, 3, "90.00", 1)},
        ranking={CUR + "A": [PCP, SPEC]},
    ),
    Scenario(
        "step 4: primary care by an unclassified provider",
        [
            line("A", OTHER, "99214", "2024-01-10", "70"),
            line("A", MISSING, "G0439", "2024-02-10", "60"),
        ],
        ALL_A,
        AS_OF,
        [],
        {CUR + "A": (OTHER, 4, "70.00", 1)},
        ranking={CUR + "A": [OTHER, MISSING]},
    ),
    Scenario(
        "step 5: any rendering NPI, any code",
        [
            line("A", SPEC, "80053", "2024-01-10", "40"),
            line("A", MISSING, "93000", "2023-02-10", "45"),
        ],
        ALL_A,
        AS_OF,
        [],
        {CUR + "A": (MISSING, 5, "45.00", 1)},
        ranking={CUR + "A": [MISSING, SPEC]},
    ),
    Scenario(
        "allowed falls back to paid when null or zero",
        [
            line("A", PCP, "99213", "2024-05-02", None, "120"),
            line("A", PCP2, "99213", "2024-05-02", "0", "110"),
            line("A", NPP, "99213", "2024-05-02", "100", "999"),
        ],
        ALL_A,
        AS_OF,
        [],
        {CUR + "A": (PCP, 1, "120.00", 1)},
        ranking={CUR + "A": [PCP, PCP2, NPP]},
    ),
    Scenario(
        "equal allowed: more visits wins",
        [
            line("A", PCP2, "99213", "2024-05-02", "100"),
            line("A", PCP, "99213", "2024-04-02", "50"),
            line("A", PCP, "99213", "2024-03-02", "50"),
        ],
        ALL_A,
        AS_OF,
        [],
        {CUR + "A": (PCP, 1, "100.00", 2)},
        ranking={CUR + "A": [PCP, PCP2]},
    ),
    Scenario(
        "full tie: lowest provider id wins",
        [
            line("A", PCP2, "99213", "2024-05-02", "100"),
            line("A", PCP, "99213", "2024-05-03", "100"),
        ],
        ALL_A,
        AS_OF,
        [],
        {CUR + "A": (PCP, 1, "100.00", 1)},
        ranking={CUR + "A": [PCP, PCP2]},
    ),
    Scenario(
        "lines in months without eligibility do not count",
        [line("A", PCP, "99213", "2024-03-02", "500"), line("A", NPP, "99213", "2024-04-02", "50")],
        months("A", "2023-01", "2024-02") + months("A", "2024-04", "2024-12"),
        AS_OF,
        [],
        {CUR + "A": (NPP, 1, "50.00", 1)},
        ranking={CUR + "A": [NPP]},
    ),
    Scenario(
        "no member month in the 12-month window: no current row, but a yearly one",
        [line("B", PCP, "99213", "2023-03-02", "80")],
        months("B", "2023-01", "2023-06"),
        AS_OF,
        [2023],
        {"yearly|2023|B": (PCP, 1, "80.00", 1)},
    ),
    Scenario(
        "window edges: first day of the 12-month window is in, the day before is step 3",
        [line("A", PCP, "99213", "2023-04-01", "10"), line("B", PCP, "99213", "2023-03-31", "10")],
        ALL_AB,
        d("2024-03-31"),
        [],
        {
            "current|20240331|A": (PCP, 1, "10.00", 1),
            "current|20240331|B": (PCP, 3, "10.00", 1),
        },
    ),
    Scenario(
        "window edges: the as-of day is in, the day after is out",
        [line("A", PCP, "99213", "2024-03-31", "10"), line("B", PCP, "99213", "2024-04-01", "10")],
        ALL_AB,
        d("2024-03-31"),
        [],
        {
            "current|20240331|A": (PCP, 1, "10.00", 1),
            "current|20240331|B": (FALLBACK, 0, "0.00", 0),
        },
    ),
    Scenario(
        "leap day as-of date",
        [
            line("A", PCP, "99213", "2024-02-29", "10"),
            line("A", NPP, "99213", "2023-03-01", "20"),
            line("B", NPP, "99213", "2023-02-28", "20"),
        ],
        ALL_AB,
        d("2024-02-29"),
        [],
        {
            "current|20240229|A": (NPP, 1, "20.00", 1),
            "current|20240229|B": (NPP, 3, "20.00", 1),
        },
        ranking={"current|20240229|A": [NPP, PCP]},
    ),
    Scenario(
        "eligible member without claims gets the labelled fallback",
        [line("A", PCP, "99213", "2024-05-02", "100")],
        ALL_AB,
        AS_OF,
        [2024],
        {
            CUR + "A": (PCP, 1, "100.00", 1),
            CUR + "B": (FALLBACK, 0, "0.00", 0),
            "yearly|2024|A": (PCP, 1, "100.00", 1),
            "yearly|2024|B": (FALLBACK, 0, "0.00", 0),
        },
    ),
    Scenario(
        "yearly uses calendar years, current uses the rolling window",
        [
            line("A", PCP, "99213", "2023-06-01", "300"),
            line("A", NPP, "99213", "2024-02-01", "100"),
            line("A", PCP2, "99213", "2024-09-01", "150"),
        ],
        ALL_A,
        AS_OF,
        [2023, 2024],
        {
            CUR + "A": (NPP, 1, "100.00", 1),
            "yearly|2023|A": (PCP, 1, "300.00", 1),
            "yearly|2024|A": (PCP2, 1, "150.00", 1),
        },
    ),
    Scenario(
        "yearly 24-month passes reach back to January of the prior year",
        [
            line("A", PCP, "99213", "2023-01-01", "80"),
            line("A", SPEC, "80053", "2024-03-01", "900"),
        ],
        ALL_A,
        None,
        [2024],
        {"yearly|2024|A": (PCP, 3, "80.00", 1)},
        ranking={"yearly|2024|A": [PCP, SPEC]},
    ),
    Scenario(
        "visits count distinct encounters when mapped",
        [
            line("A", PCP, "99213", "2024-05-02", "50", claim="x1", encounter="e1"),
            line("A", PCP, "99213", "2024-05-02", "50", claim="x2", encounter="e1"),
            line("A", PCP, "99213", "2024-05-09", "50", claim="x3"),
        ],
        ALL_A,
        AS_OF,
        [],
        {CUR + "A": (PCP, 1, "150.00", 2)},
    ),
    Scenario(
        "visits count distinct claims when no encounter column is mapped",
        [
            line("A", PCP, "99213", "2024-05-02", "50", claim="x1", encounter="e1"),
            line("A", PCP, "99213", "2024-05-02", "50", claim="x2", encounter="e1"),
            line("A", PCP, "99214", "2024-05-02", "50", claim="x2", encounter="e1"),
        ],
        ALL_A,
        AS_OF,
        [],
        {CUR + "A": (PCP, 1, "150.00", 2)},
        encounter_mapped=False,
    ),
    Scenario(
        "a reversal nets the claim out within the step",
        [
            line("A", PCP, "99213", "2024-05-02", "100", claim="r1"),
            line("A", PCP, "99213", "2024-05-02", "-100", claim="r1"),
            line("A", NPP, "99213", "2024-05-09", "30"),
        ],
        ALL_A,
        AS_OF,
        [],
        {CUR + "A": (NPP, 1, "30.00", 1)},
        ranking={CUR + "A": [NPP]},
        excluded=every_reason(reversed_claim=2, used=1),
    ),
    Scenario(
        "claim end date stands in for a missing start date",
        [line("A", PCP, "99213", None, "100", end="2024-05-02")],
        ALL_A,
        AS_OF,
        [],
        {CUR + "A": (PCP, 1, "100.00", 1)},
    ),
    Scenario(
        "Medicare specialty codes, including a one-digit code",
        [line("A", PCP, "99213", "2024-05-02", "10"), line("A", SPEC, "99213", "2024-05-02", "90")],
        ALL_A,
        AS_OF,
        [],
        {CUR + "A": (PCP, 1, "10.00", 1)},
        providers=[{"npi": PCP, "classification": "8"}, {"npi": SPEC, "classification": "06"}],
        kind=Classification.SPECIALTY,
    ),
    Scenario(
        "provider buckets given directly",
        [line("A", PCP, "99213", "2024-05-02", "10"), line("A", SPEC, "99213", "2024-05-02", "90")],
        ALL_A,
        AS_OF,
        [],
        {CUR + "A": (SPEC, 1, "90.00", 1)},
        providers=[
            {"npi": PCP, "classification": "specialist"},
            {"npi": SPEC, "classification": "NPP"},
        ],
        kind=Classification.BUCKET,
    ),
]


# A method whose passes all need primary care and a PCP/NPP or specialist provider.
NARROW = Method("narrow", passes=TUVA.passes[:3])
WITH_ORG = [*PROVIDERS, {"npi": ORG, "classification": "207Q00000X", "entity_type": " 2 "}]
_KEPT = line("A", PCP, "99213", "2024-05-02", "100", claim="k1")

LINE_CHECK_SCENARIOS = [
    Scenario(
        "every line check, each line getting the first status that applies",
        [
            _KEPT,
            dict(_KEPT),  # duplicate_line
            line(None, PCP, "99213", "2024-05-02", "50"),  # missing_person_id
            line("A", PCP, "99213", None, "50"),  # missing_service_date
            line("A", PCP, "99213", "2024-10-15", "50"),  # future_service_date (and outside)
            line("A", None, "99213", "2024-05-03", "50"),  # missing_npi
            line("A", "1234567890", "99213", "2024-05-03", "500"),  # invalid_npi
            line("A", "12345678A3", "99213", "2024-05-03", "500"),  # invalid_npi: a letter
            line("A", ORG, "99213", "2024-05-03", "900"),  # organizational_npi
            line("A", NPP, "99213", "2024-05-04", "80", claim="r"),  # reversed_claim
            line("A", NPP, "99213", "2024-05-04", "-80", claim="r"),  # reversed_claim
            line("A", PCP, "99213", "2022-03-01", "40"),  # outside_window
            line("C", PCP, "99213", "2024-05-05", "40"),  # no_eligibility
            line("A", PCP, "80053", "2024-05-02", "70"),  # not_primary_care
            line("A", OTHER, "99213", "2024-05-06", "60"),  # no_matching_pass: bucket
            line("A", SPEC, "99213", "2023-01-10", "60"),  # no_matching_pass: window
            line("D", PCP, "99213", "2022-09-10", "60"),  # person_not_eligible
        ],
        ALL_A + months("C", "2024-01", "2024-03") + months("D", "2022-08", "2022-12"),
        AS_OF,
        [],
        {CUR + "A": (PCP, 1, "100.00", 1), CUR + "C": (FALLBACK, 0, "0.00", 0)},
        providers=WITH_ORG,
        method=NARROW,
        extra={"entity_type_mapped": True},
        today=d("2024-09-30"),
        excluded=every_reason(
            duplicate_line=1,
            missing_person_id=1,
            missing_service_date=1,
            future_service_date=1,
            missing_npi=1,
            invalid_npi=2,
            organizational_npi=1,
            reversed_claim=2,
            outside_window=1,
            no_eligibility=1,
            not_primary_care=1,
            no_matching_pass=2,
            person_not_eligible=1,
            used=1,
        ),
    ),
    Scenario(
        "exact duplicates count once; a second line number is not a duplicate",
        [_KEPT, dict(_KEPT), dict(_KEPT), {**_KEPT, "claim_line_number": 2}],
        ALL_A,
        AS_OF,
        [],
        {CUR + "A": (PCP, 1, "200.00", 1)},
        excluded=every_reason(duplicate_line=2, used=2),
    ),
    Scenario(
        "a partly reversed claim that stays positive takes part, net of the reversal",
        [
            line("A", PCP, "99213", "2024-05-02", "100", claim="p"),
            line("A", PCP, "99213", "2024-05-02", "-40", claim="p"),
            line("A", NPP, "99213", "2024-05-03", "70"),
        ],
        ALL_A,
        AS_OF,
        [],
        {CUR + "A": (NPP, 1, "70.00", 1)},
        ranking={CUR + "A": [NPP, PCP]},
        excluded=every_reason(used=3),
    ),
    Scenario(
        "member months with a gap after a repeated month: a line in the gap month has none",
        [
            line("A", PCP, "99213", "2024-03-10", "100"),
            line("A", NPP, "99213", "2024-04-10", "500"),  # no_eligibility: April is missing
            line("A", PCP, "99213", "2024-05-10", "30"),
        ],
        months("A", "2023-07", "2024-03")
        + months("A", "2024-03", "2024-03")
        + months("A", "2024-05", "2024-06"),
        AS_OF,
        [],
        {CUR + "A": (PCP, 1, "130.00", 2)},
        ranking={CUR + "A": [PCP]},
        excluded=every_reason(no_eligibility=1, used=2),
    ),
    Scenario(
        "a zero-amount (capitated) claim is not a reversal and still counts a visit",
        [line("A", PCP, "99213", "2024-05-02", "0", "0")],
        ALL_A,
        AS_OF,
        [],
        {CUR + "A": (PCP, 1, "0.00", 1)},
        excluded=every_reason(used=1),
    ),
    Scenario(
        "without the NPI check an NPI failing the check digit is credited",
        [line("A", "1234567890", "99213", "2024-05-02", "100")],
        ALL_A,
        AS_OF,
        [],
        {CUR + "A": ("1234567890", 4, "100.00", 1)},
        method=Method("no-npi-check", passes=TUVA.passes, check_npi=False),
        excluded=every_reason(used=1),
    ),
    Scenario(
        "entity type is only read when mapped",
        [line("A", ORG, "99213", "2024-05-02", "100")],
        ALL_A,
        AS_OF,
        [],
        {CUR + "A": (ORG, 1, "100.00", 1)},
        providers=WITH_ORG,
        excluded=every_reason(used=1),
    ),
    Scenario(
        "a person failing the gate: person_not_assignable, and the fallback",
        [
            line("A", SPEC, "99213", "2024-05-02", "100"),
            line("B", PCP, "99213", "2024-05-02", "100"),
        ],
        ALL_AB,
        AS_OF,
        [],
        {CUR + "A": (FALLBACK, 0, "0.00", 0), CUR + "B": (PCP, 1, "100.00", 1)},
        method=Method(
            "gated",
            passes=TUVA.passes,
            gate=Gate(12, frozenset({"pcp"}), Services.PRIMARY_CARE, participants_only=False),
        ),
        excluded=every_reason(person_not_assignable=1, used=1),
    ),
]
SCENARIOS += LINE_CHECK_SCENARIOS

# --------------------------------------------------------------------------- MSSP step 3, REACH

NPP2 = "1777777776"  # physician assistant, not on the roster
WITH_NPP2 = [*PROVIDERS, {"npi": NPP2, "classification": "363A00000X"}]
# A1's participants: PCP, NPP and SPEC for all dates. PCP2 and NPP2 are unaffiliated NPI units.
A1_ROSTER = {
    "roster": [
        {"npi": npi, "tin": None, "aco_id": "A1", "start_date": None, "end_date": None}
        for npi in (PCP, NPP, SPEC)
    ]
}
PY25 = "yearly|2025|"
CUR25 = "current|20251231|"


def mssp(name: str, claims: list[dict[str, Any]], **kwargs: Any) -> Scenario:
    """An MSSP scenario with the A1 roster and providers including NPP2."""
    kwargs.setdefault("method", MSSP)
    return Scenario(name, claims, providers=WITH_NPP2, extra=A1_ROSTER, **kwargs)


STEP_3_SCENARIOS = [
    # PY2025 (retrospective): 12-month window 2025-01..2025-12, 24-month window 2024-01..2025-12.
    # A: no ACO physician in 12 months (no pre-step); an ACO NPP in 12 months and an ACO physician
    # on the first day of the 24-month window: step 3, plurality over 24 months of every
    # clinician kind: A1 = NPP 50 + PCP 60 = 110.00 beats PCP2's 100.00. The current key at
    # 2025-12-31 has the same windows and rule year 2025.
    mssp(
        "mssp step 3 assigns over 24 months when no ACO physician is seen in 12",
        [
            line("A", NPP, "99213", "2025-03-01", "50"),
            line("A", PCP, "99213", "2024-01-01", "60"),
            line("A", PCP2, "99213", "2024-09-01", "100"),
        ],
        eligibility=months("A", "2023-01", "2025-12"),
        as_of=d("2025-12-31"),
        years=[2025],
        assigned={PY25 + "A": ("A1", 3, "110.00", 2), CUR25 + "A": ("A1", 3, "110.00", 2)},
        ranking={PY25 + "A": ["A1", PCP2]},
        top_npi={PY25 + "A": PCP},
        excluded=every_reason(used=3),
    ),
    # The same history a year earlier, PY2024 (and the current key at 2024-12-31): step 3 does
    # not apply, A fails the pre-step (its NPP line: person_not_assignable) and the physician
    # lines are outside PY2024's widest window, 12 months (step 3's 24 do not apply).
    mssp(
        "mssp step 3 does not apply before performance year 2025",
        [
            line("A", NPP, "99213", "2024-03-01", "50"),
            line("A", PCP, "99213", "2023-01-01", "60"),
            line("A", PCP2, "99213", "2023-09-01", "100"),
        ],
        eligibility=months("A", "2022-01", "2024-12"),
        as_of=d("2024-12-31"),
        years=[2024],
        assigned={
            "yearly|2024|A": (FALLBACK, 0, "0.00", 0),
            "current|20241231|A": (FALLBACK, 0, "0.00", 0),
        },
        excluded=every_reason(person_not_assignable=1, outside_window=2),
    ),
    # B passes the pre-step (an ACO specialist in 12 months): steps 1-2 only. Its ACO NPP line
    # makes A1 a step-1 candidate with 20.00; PCP2's larger amount 13-24 months back would win
    # step 3, which is not open to B, so PCP2 is no candidate and its line
    # person_not_assignable.
    mssp(
        "mssp pre-step passers do not get step 3",
        [
            line("B", SPEC, "99213", "2025-05-01", "10"),
            line("B", NPP, "99213", "2025-03-01", "20"),
            line("B", PCP2, "99213", "2024-03-01", "500"),
        ],
        eligibility=months("B", "2023-01", "2025-12"),
        as_of=None,
        years=[2025],
        assigned={PY25 + "B": ("A1", 1, "20.00", 1)},
        ranking={PY25 + "B": ["A1"]},
        excluded=every_reason(used=2, person_not_assignable=1),
    ),
    # Step 3 needs both conditions, each from an ACO participant:
    # C: ACO NPP in 12 months, but the physician in 24 months (PCP2) is unaffiliated;
    # D: ACO physician in 24 months, but the NPP in 12 months (NPP2) is unaffiliated;
    # E: ACO NPP in 12 months, the ACO physician a day before the 24-month window
    #    (outside_window: PY2025's widest window is 24 months).
    mssp(
        "mssp step 3 needs an ACO NPP in 12 months and an ACO physician in 24",
        [
            line("C", NPP, "99213", "2025-03-01", "50"),
            line("C", PCP2, "99213", "2024-06-01", "100"),
            line("D", PCP, "99213", "2024-06-01", "60"),
            line("D", NPP2, "99213", "2025-04-01", "30"),
            line("E", NPP, "99213", "2025-03-01", "50"),
            line("E", PCP, "99213", "2023-12-31", "60"),
        ],
        eligibility=[
            *months("C", "2023-01", "2025-12"),
            *months("D", "2023-01", "2025-12"),
            *months("E", "2023-01", "2025-12"),
        ],
        as_of=None,
        years=[2025],
        assigned=dict.fromkeys((PY25 + "C", PY25 + "D", PY25 + "E"), (FALLBACK, 0, "0.00", 0)),
        excluded=every_reason(person_not_assignable=5, outside_window=1),
    ),
    # Prospective PY2025: anchor 2024-09-30, 12 months 2023-10..2024-09, 24 months
    # 2022-10..2024-09; both conditions on the edges of their windows. A1 = 40 + 40 beats 70.
    mssp(
        "mssp prospective step 3 uses the 24 months ending September 30 before the year",
        [
            line("P", NPP, "99213", "2024-09-30", "40"),
            line("P", PCP, "99213", "2022-10-01", "40"),
            line("P", PCP2, "99213", "2023-05-01", "70"),
            line("P", NPP, "99213", "2022-09-30", "900"),  # a day early: outside_window
        ],
        eligibility=months("P", "2022-01", "2025-12"),
        as_of=None,
        years=[2025],
        assigned={PY25 + "P": ("A1", 3, "80.00", 2)},
        ranking={PY25 + "P": ["A1", PCP2]},
        method=MSSP_PROSPECTIVE,
        excluded=every_reason(used=3, outside_window=1),
    ),
]

# REACH PY2025: anchor 2024-06-30; weight 2 for 2023-07-01..2024-06-30, weight 1 for
# 2022-07-01..2023-06-30; the performance year's claims (from 2024-07-01) are not used. R:
# PCP 2 x 30.00 (the anchor day) + 1 x 15.00 (first day) = 75.00 weighted -> 25.00;
# NPP 2 x 10.00 (2023-07-01) + 1 x 10.00 (2023-06-30) = 30.00 weighted -> 10.00.
# S is enrolled only in the performance year: not eligible (the eligibility window is the
# recent alignment year, 2023-07..2024-06), so S has no row. The current key at 2024-06-30
# has the same windows.
REACH_SCENARIOS = [
    Scenario(
        "reach alignment years end June 30 before the performance year",
        [
            line("R", PCP, "99213", "2024-06-30", "30"),
            line("R", PCP, "99213", "2022-07-01", "15"),
            line("R", NPP, "99213", "2023-07-01", "10"),
            line("R", NPP, "99213", "2023-06-30", "10"),
            line("R", PCP2, "99213", "2024-07-01", "1000"),  # performance year: outside_window
            line("R", PCP2, "99213", "2022-06-30", "2000"),  # a day early: outside_window
        ],
        [*months("R", "2022-01", "2025-12"), *months("S", "2024-07", "2025-12")],
        d("2024-06-30"),
        [2025],
        {
            PY25 + "R": (PCP, 1, "25.00", 2),
            "current|20240630|R": (PCP, 1, "25.00", 2),
        },
        ranking={PY25 + "R": [PCP, NPP]},
        method=REACH,
        excluded=every_reason(used=4, outside_window=2),
    ),
]
SCENARIOS += STEP_3_SCENARIOS + REACH_SCENARIOS

# --- the as-of date bounds end dates; the tuva_mart line options (docs/METHOD.md) -------------

Y24 = "yearly|2024|"
NOTYPE = "1777777770"  # in the directory, entity type null: not an individual
UNCHECKED = "1234567890"  # fails the NPI check digit; an unclassified individual
# The directory as Tuva's input layer has it: entity type descriptions and specialty texts.
MART_PROVIDERS: list[dict[str, Any]] = [
    {**row, "entity_type": "Individual", "specialty_description": text}
    for row, text in zip(
        PROVIDERS,
        [
            "Family Practice",
            "Internal Medicine",
            "Nurse Practitioner",
            "Cardiology",
            "Orthopedic Surgery",
        ],
        strict=True,
    )
] + [
    {"npi": ORG, "classification": "207Q00000X", "entity_type": " Organization "},
    {"npi": NOTYPE, "classification": "207Q00000X", "entity_type": None},
    {"npi": UNCHECKED, "classification": None, "entity_type": "individual"},
]
MART_INPUTS = {"entity_type_mapped": True, "specialty_mapped": True}
# Exact duplicates, a null encounter and a reversed claim for one PCP; one larger NPP claim.
_E1 = line("A", PCP, "99213", "2024-05-02", "100", claim="k1", encounter="e1")
_SUMMED = [
    _E1,
    dict(_E1),
    line("A", PCP, "99213", "2024-05-03", "60", claim="k2"),
    line("A", PCP, "99213", "2024-05-04", "80", claim="r", encounter="e2"),
    line("A", PCP, "99213", "2024-05-04", "-80", claim="r", encounter="e2"),
    line("A", NPP, "99213", "2024-05-05", "250", claim="k3", encounter="e3"),
]

AS_OF_SCENARIOS = [
    Scenario(
        "a line ending after the as-of date counts in its year, not in the current scope",
        [
            line("A", PCP, "99213", "2024-06-20", "100", end="2024-07-05"),
            line("A", NPP, "99213", "2024-05-10", "50"),
        ],
        ALL_A,
        AS_OF,
        [2024],
        {CUR + "A": (NPP, 1, "50.00", 1), Y24 + "A": (PCP, 1, "100.00", 1)},
        excluded=every_reason(used=2),
    ),
    Scenario(
        "current scope only: a line ending after the as-of date is outside_window; one ending "
        "on it, or with a null end date (the start date stands in), counts",
        [
            line("A", PCP, "99213", "2024-06-20", "100", end="2024-07-05"),
            line("A", NPP, "99213", "2024-06-01", "50", end="2024-06-30"),
            line("A", PCP2, "99213", "2024-06-10", "30", open_end=True),
        ],
        ALL_A,
        AS_OF,
        [],
        {CUR + "A": (NPP, 1, "50.00", 1)},
        ranking={CUR + "A": [NPP, PCP2]},
        excluded=every_reason(outside_window=1, used=2),
    ),
    Scenario(
        "tuva (default): duplicates once, reversed claims out, claim id stands in for a null "
        "encounter",
        _SUMMED,
        ALL_A,
        AS_OF,
        [],
        {CUR + "A": (NPP, 1, "250.00", 1)},
        ranking={CUR + "A": [NPP, PCP]},
        providers=MART_PROVIDERS,
        extra={"entity_type_mapped": True},
        excluded=every_reason(duplicate_line=1, reversed_claim=2, used=3),
        fields={CUR + "A": {"step_description": TUVA.passes[0].description}},
    ),
    Scenario(
        "tuva_mart: duplicates and reversals summed signed, visits are distinct non-null "
        "encounters, the directory's specialty text",
        _SUMMED,
        ALL_A,
        AS_OF,
        [],
        {CUR + "A": (PCP, 1, "260.00", 2)},
        ranking={CUR + "A": [PCP, NPP]},
        providers=MART_PROVIDERS,
        method=TUVA_MART,
        extra=MART_INPUTS,
        excluded=every_reason(used=6),
        fields={
            CUR + "A": {
                "provider_bucket": "pcp",
                "prov_specialty": "Family Practice",
                "step_description": "12-month PCP/NPP primary-care HCPCS",
            }
        },
    ),
    Scenario(
        "tuva_mart: NPIs outside the directory or not individuals take no step; no NPI check; "
        "an unclassified individual is other_individual",
        [
            line("A", MISSING, "99213", "2024-05-02", "500"),
            line("A", ORG, "99213", "2024-05-02", "400"),
            line("A", NOTYPE, "80053", "2024-05-02", "300"),
            line("A", OTHER, "99213", "2024-05-03", "70"),
            line("A", UNCHECKED, "99213", "2024-05-04", "65"),
        ],
        ALL_A,
        AS_OF,
        [],
        {CUR + "A": (OTHER, 4, "70.00", 0)},  # no encounter ids: no visits
        ranking={CUR + "A": [OTHER, UNCHECKED]},
        providers=MART_PROVIDERS,
        method=TUVA_MART,
        extra=MART_INPUTS,
        excluded=every_reason(organizational_npi=1, no_matching_pass=2, used=2),
        fields={
            CUR + "A": {
                "provider_bucket": "other_individual",
                "prov_specialty": "Orthopedic Surgery",
                "step_description": "24-month primary-care HCPCS (any classification)",
            }
        },
    ),
    Scenario(
        "tuva_mart: the service date is the start date only, a null end date is out of the "
        "current scope, the yearly fallback looks back over the calendar year",
        [
            line("A", PCP, "99213", None, "100", end="2024-05-02"),
            line("A", NPP, "99213", "2024-05-03", "50", open_end=True),
        ],
        ALL_A + months("B", "2024-01", "2024-12"),
        AS_OF,
        [2024],
        {
            CUR + "A": (FALLBACK, 0, "0.00", 0),
            Y24 + "A": (NPP, 1, "50.00", 0),
            CUR + "B": (FALLBACK, 0, "0.00", 0),
            Y24 + "B": (FALLBACK, 0, "0.00", 0),
        },
        providers=MART_PROVIDERS,
        method=TUVA_MART,
        extra=MART_INPUTS,
        excluded=every_reason(missing_service_date=1, used=1),
        fields={
            CUR + "B": {
                "lookback_start_date": d("2022-07-01"),
                "lookback_end_date": AS_OF,
            },
            Y24 + "B": {
                "lookback_start_date": d("2024-01-01"),
                "lookback_end_date": d("2024-12-31"),
            },
        },
    ),
    Scenario(
        "tuva_mart: one visit's lines on one date, one with a null end date: the current scope "
        "counts only the other line, the year both",
        [
            line("A", PCP, "99213", "2024-05-02", "100", encounter="e9", end="2024-05-02"),
            line("A", PCP, "99213", "2024-05-02", "40", encounter="e9", open_end=True),
        ],
        ALL_A,
        AS_OF,
        [2024],
        {CUR + "A": (PCP, 1, "100.00", 1), Y24 + "A": (PCP, 1, "140.00", 1)},
        providers=MART_PROVIDERS,
        method=TUVA_MART,
        extra=MART_INPUTS,
        excluded=every_reason(used=2),
    ),
    Scenario(
        "tuva (default): a null start date falls back to the end date; the yearly fallback "
        "looks back 24 months",
        [line("A", PCP, "99213", None, "100", end="2024-05-02")],
        ALL_A + months("B", "2024-01", "2024-12"),
        AS_OF,
        [2024],
        {
            CUR + "A": (PCP, 1, "100.00", 1),
            Y24 + "A": (PCP, 1, "100.00", 1),
            CUR + "B": (FALLBACK, 0, "0.00", 0),
            Y24 + "B": (FALLBACK, 0, "0.00", 0),
        },
        excluded=every_reason(used=1),
        fields={Y24 + "B": {"lookback_start_date": d("2023-01-01")}},
    ),
]
SCENARIOS += AS_OF_SCENARIOS


def facility(person: str, bill: str, start: str, end: str) -> dict[str, Any]:
    """A facility claim row (no NPI, no code): it marks a stay for the setting exclusions."""
    return line(person, None, "", start, None, end=end, bill=bill) | {"hcpcs_code": None}


SETTINGS = Method(
    "settings",
    passes=TUVA.passes[:3],
    setting_exclusions=(SNF_EXCLUSION, INPATIENT_ACP_EXCLUSION),
)

SETTING_SCENARIOS = [
    Scenario(
        "SNF visits: POS 31 and a SNF stay of the same person are not primary care, POS 32 is",
        [
            line("A", PCP, "99309", "2024-05-02", "500", pos="31"),  # not_primary_care
            line("A", PCP2, "99310", "2024-05-03", "200", pos="32"),
            facility("A", " 0211 ", "2024-04-01", "2024-04-20"),  # missing_npi
            line("A", NPP, "99308", "2024-04-10", "300", pos="11"),  # in the stay
            line("A", NPP, "99213", "2024-04-15", "50", pos="11"),  # not a SNF code
            line("A", NPP, "99308", "2024-04-21", "100", pos="11"),  # the day after
            facility("B", "221", "2024-05-01", "2024-05-31"),  # B's stay: not A's
            line("B", PCP, "99304", "2024-05-10", "80"),  # in B's stay
        ],
        ALL_AB,
        AS_OF,
        [],
        {CUR + "A": (PCP2, 1, "200.00", 1), CUR + "B": (FALLBACK, 0, "0.00", 0)},
        ranking={CUR + "A": [PCP2, NPP]},
        method=SETTINGS,
        excluded=every_reason(not_primary_care=3, missing_npi=2, used=3),
    ),
    Scenario(
        "advance care planning: POS 21 or an inpatient stay is not primary care",
        [
            line("A", PCP, "99497", "2024-05-02", "300", pos="21"),  # not_primary_care
            facility("A", "111", "2024-05-01", "2024-05-05"),  # missing_npi
            line("A", NPP, "99498", "2024-05-03", "200", pos="11"),  # in the stay
            line("A", PCP2, "99497", "2024-05-10", "100", pos="11"),
            line("A", SPEC, "99304", "2024-05-04", "1000", pos="21"),  # not an ACP code
        ],
        ALL_A,
        AS_OF,
        [],
        {CUR + "A": (PCP2, 1, "100.00", 1)},
        ranking={CUR + "A": [PCP2, SPEC]},
        method=SETTINGS,
        excluded=every_reason(not_primary_care=2, missing_npi=1, used=2),
    ),
    Scenario(
        "without setting exclusions the same lines are primary care",
        [
            line("A", PCP, "99497", "2024-05-02", "300", pos="21"),
            facility("A", "111", "2024-05-01", "2024-05-05"),
            line("A", NPP, "99498", "2024-05-03", "200", pos="11"),
            line("A", PCP2, "99497", "2024-05-10", "100", pos="11"),
            line("A", SPEC, "99304", "2024-05-04", "1000", pos="31"),
        ],
        ALL_A,
        AS_OF,
        [],
        {CUR + "A": (PCP, 1, "300.00", 1)},
        ranking={CUR + "A": [PCP, NPP, PCP2, SPEC]},
        method=NARROW,
        excluded=every_reason(missing_npi=1, used=4),
    ),
    Scenario(
        "unmapped place of service and bill type: the setting rules change nothing",
        [
            line("A", PCP, "99309", "2024-05-02", "500"),
            line("A", PCP2, "99310", "2024-05-03", "200"),
        ],
        ALL_A,
        AS_OF,
        [],
        {CUR + "A": (PCP, 1, "500.00", 1)},
        method=SETTINGS,
        extra={"setting_mapped": False},
        excluded=every_reason(used=2),
    ),
]
SCENARIOS += SETTING_SCENARIOS


def enrolled(person: str, first: str, last: str, **values: Any) -> list[dict[str, Any]]:
    """Enrollment rows with Part A and B from ``first`` to ``last`` (YYYY-MM); ``values``
    override columns on every row."""
    return [{"part_a": "Y", "part_b": "1", **row, **values} for row in months(person, first, last)]


def _with(rows: list[dict[str, Any]], month: int, **values: Any) -> list[dict[str, Any]]:
    """``rows`` with ``values`` set on the row of ``month`` (YYYYMM)."""
    return [{**r, **values} if r["year_month"] == month else r for r in rows]


_WHOLE = ("2023-07", "2024-12")
ENROLLMENT = [
    *enrolled("A", *_WHOLE),
    *_with(enrolled("B", *_WHOLE), 202403, part_b="0"),
    *_with(enrolled("C", *_WHOLE), 202308, managed_care="true"),
    *_with(enrolled("E", "2023-07", "2023-11"), 202311, death_date=d("2023-11-30")),
    *_with(enrolled("G", *_WHOLE), 202405, outside_us="t", other_initiative="y"),
    *_with(enrolled("H", *_WHOLE), 202410, other_initiative=" Yes "),
    *_with(enrolled("I", "2024-01", "2024-06"), 202402, managed_care=1, death_date=d("2022-12-01")),
]
YEAR = "yearly|2024|"


def reasons(**counts: int) -> dict[str, int]:
    """Beneficiary counts for all reasons: the given ones, 0 for the rest."""
    unknown = set(counts) - {reason for reason, _ in BENEFICIARY_REASONS}
    assert not unknown, unknown
    return {reason: counts.get(reason, 0) for reason, _ in BENEFICIARY_REASONS}


ENROLLMENT_SCENARIOS = [
    Scenario(
        "beneficiary exclusions: the first reason per scope key removes the person",
        [
            line(p, PCP, "99213", "2024-01-15" if p == "E" else "2024-05-02", "100")
            for p in "ABCEFGHI"
        ],
        [
            *(row for p in "ABCFGH" for row in months(p, *_WHOLE)),
            *months("E", "2023-07", "2024-02"),
            *months("I", "2024-01", "2024-06"),
        ],
        AS_OF,
        [2024],
        {
            **{CUR + p: (PCP, 1, "100.00", 1) for p in "AEH"},
            **{YEAR + p: (PCP, 1, "100.00", 1) for p in "AC"},
        },
        extra={"enrollment": ENROLLMENT},
        excluded=every_reason(person_not_eligible=4, used=4),
        beneficiaries={
            "current|20240630": reasons(
                deceased=1, not_part_a_and_b=2, managed_care=1, outside_us=1, not_excluded=3
            ),
            "yearly|2024": reasons(
                deceased=2, not_part_a_and_b=2, outside_us=1, other_initiative=1, not_excluded=2
            ),
        },
    ),
    Scenario(
        "an empty enrollment input excludes everyone: no month with Part A and B",
        [line("A", PCP, "99213", "2024-05-02", "100")],
        ALL_A,
        AS_OF,
        [],
        {},
        extra={"enrollment": []},
        excluded=every_reason(person_not_eligible=1),
        beneficiaries={"current|20240630": reasons(not_part_a_and_b=1)},
    ),
]
SCENARIOS += ENROLLMENT_SCENARIOS

# --------------------------------------------------------------------------- by performance year


def py_row(npi: str, aco: str, year: int, start: str | None = None) -> dict[str, Any]:
    """A row of a roster by performance year (``start``: a date the run must not read)."""
    return {
        "npi": npi,
        "tin": None,
        "aco_id": aco,
        "performance_year": year,
        "start_date": d(start) if start else None,
        "end_date": None,
    }


CUR_SEP = "current|20240930|"
PY25_ROSTER = {
    "roster_by_year": True,
    "roster": [
        py_row(PCP, "A1", 2024),
        py_row(PCP, "A2", 2025, start="2025-01-01"),  # dates are not read in this mode
        py_row(PCP2, "A1", 2024),
        py_row(NPP, "A2", 2025),
        py_row(SPEC, "A1", 2023),
    ],
}
# Tuva's passes without the any-service pass: a code outside the key's list counts nowhere.
# Tuva's passes with code lists by year (the CMS presets' rule; tuva itself keeps one list)
TUVA_BY_YEAR = replace(TUVA, name="tuva_code_lists_by_year", code_lists_by_year=True)
TUVA_PC_ONLY = replace(TUVA_BY_YEAR, name="tuva_primary_care_only", passes=TUVA.passes[:4])

BY_YEAR_SCENARIOS = [
    # Prospective MSSP, PY2025: windows end 2024-09-30, as do the current key's at that date
    # (rule year 2024). Same lines, same windows; each key reads its own year's participant
    # list for every line, whatever the service date: PCP is in A1 for 2024 and A2 for 2025
    # (the 2025 row's start date after the lines is not read). PCP2 participates in 2024
    # only: in PY2025 B has no ACO physician, fails the pre-step and falls back.
    Scenario(
        "roster by performance year: each key uses its year's participant list",
        [
            line("A", PCP, "99213", "2024-03-01", "100"),
            line("B", PCP2, "99213", "2024-04-01", "200"),
        ],
        months("A", "2023-01", "2024-12") + months("B", "2023-01", "2024-12"),
        d("2024-09-30"),
        [2025],
        {
            CUR_SEP + "A": ("A1", 1, "100.00", 1),
            "yearly|2025|A": ("A2", 1, "100.00", 1),
            CUR_SEP + "B": ("A1", 1, "200.00", 1),
            "yearly|2025|B": (FALLBACK, 0, "0.00", 0),
        },
        providers=WITH_NPP2,
        method=MSSP_PROSPECTIVE,
        types={CUR_SEP + "A": "claims", "yearly|2025|A": "claims"},
        extra=PY25_ROSTER,
        excluded=every_reason(used=2),
    ),
    # A voluntary alignment's unit is the ACO of the chosen NPI in the key's year: C chose PCP,
    # A1 at the current key (2024), A2 in PY2025; SPEC's only row is for 2023, no key's year.
    Scenario(
        "roster by performance year: selections take the ACO of the key's year",
        [line("D", SPEC, "99213", "2024-05-01", "70")],
        months("C", "2023-01", "2024-12") + months("D", "2023-01", "2024-12"),
        d("2024-09-30"),
        [2025],
        {
            CUR_SEP + "C": ("A1", 0, "0.00", 0),
            "yearly|2025|C": ("A2", 0, "0.00", 0),
            CUR_SEP + "D": (FALLBACK, 0, "0.00", 0),
            "yearly|2025|D": (FALLBACK, 0, "0.00", 0),
        },
        providers=WITH_NPP2,
        method=MSSP_PROSPECTIVE,
        types={CUR_SEP + "C": "self_selection", "yearly|2025|C": "self_selection"},
        extra={
            **PY25_ROSTER,
            "self_selections": [
                {"person_id": "C", "npi": PCP, "effective_date": d("2023-06-01"), "end_date": None}
            ],
        },
        excluded=every_reason(person_not_assignable=1),
    ),
    # Code lists by year: G2211 is a primary-care code from the 2025 edition on. PY2024's
    # 24-month primary-care passes do not take it (A's PCP line reaches PY2024 only through
    # the any-service pass 5), PY2025's do: PCP outranks PCP2 in step 3 there.
    Scenario(
        "code lists by year: G2211 is primary care in PY2025, not in PY2024",
        [
            line("A", PCP, "G2211", "2024-05-01", "100"),
            line("A", PCP2, "99213", "2024-02-01", "60"),
        ],
        months("A", "2023-01", "2025-12"),
        None,
        [2024, 2025],
        {
            "yearly|2024|A": (PCP2, 1, "60.00", 1),
            "yearly|2025|A": (PCP, 3, "100.00", 1),
        },
        ranking={"yearly|2024|A": [PCP2, PCP], "yearly|2025|A": [PCP, PCP2]},
        method=TUVA_BY_YEAR,
        excluded=every_reason(used=2),
    ),
    # The same lines with only PY2024 and no any-service pass: G2211 is in no key's list.
    # 99495 (transitional care) is primary care from the 2016 edition, so in 2024 too.
    Scenario(
        "code lists by year: a code outside every key's list is not primary care",
        [
            line("A", PCP, "G2211", "2024-05-01", "100"),
            line("A", PCP2, "99213", "2024-02-01", "60"),
            line("B", PCP, "99495", "2024-03-01", "80"),
        ],
        months("A", "2023-01", "2025-12") + months("B", "2023-01", "2025-12"),
        None,
        [2024],
        {"yearly|2024|A": (PCP2, 1, "60.00", 1), "yearly|2024|B": (PCP, 1, "80.00", 1)},
        method=TUVA_PC_ONLY,
        excluded=every_reason(not_primary_care=1, used=2),
    ),
]
SCENARIOS += BY_YEAR_SCENARIOS


# The scenarios an engine that costs seconds per statement however small the data (Spark;
# Snowflake through fakesnow, which translates every statement to DuckDB's SQL) runs: one per
# method other than the default Tuva one (each method is its own SQL), the MSSP step 3 rule in
# both scopes, and the Tuva scenarios whose data probe what engines differ in: ordering of ids,
# nulls, decimals, date arithmetic, one-digit codes, the enrollment input. DuckDB, SQLite,
# PostgreSQL, MySQL, MariaDB and ClickHouse run every scenario; Spark and Snowflake also run
# every preset on generated data. This keeps CI under 20 minutes.
REPRESENTATIVE = frozenset(
    {
        # Tuva: data that engines read differently
        "full tie: lowest provider id wins",
        "allowed falls back to paid when null or zero",
        "window edges: first day of the 12-month window is in, the day before is step 3",
        "leap day as-of date",
        "Medicare specialty codes, including a one-digit code",
        "beneficiary exclusions: the first reason per scope key removes the person",
        # one per other method
        "a person failing the gate: person_not_assignable, and the fallback",
        "mssp step 3 needs an ACO NPP in 12 months and an ACO physician in 24",
        "mssp pre-step passers do not get step 3",
        "roster by performance year: selections take the ACO of the key's year",
        "every line check, each line getting the first status that applies",
        "without the NPI check an NPI failing the check digit is credited",
        "reach alignment years end June 30 before the performance year",
        "SNF visits: POS 31 and a SNF stay of the same person are not primary care, POS 32 is",
        "tuva_mart: duplicates and reversals summed signed, visits are distinct non-null "
        "encounters, the directory's specialty text",
        "code lists by year: G2211 is primary care in PY2025, not in PY2024",
        "code lists by year: a code outside every key's list is not primary care",
    }
)

#: The engines that run only the :data:`REPRESENTATIVE` scenarios.
REPRESENTATIVE_ONLY = frozenset({"spark", "snowflake"})


def runs_on(engine: str, scenario: Scenario) -> bool:
    """Whether ``engine`` (a backend or text-engine name) runs ``scenario``."""
    return engine not in REPRESENTATIVE_ONLY or scenario.name in REPRESENTATIVE


def check(scenario: Scenario, result: Mapping[str, Any]) -> None:
    """Assert a scenario's expectations against canonical outputs."""
    assigned = {
        row["attribution_key"]: row
        for table in ("assigned_beneficiaries_current", "assigned_beneficiaries_yearly")
        for row in result[table]
    }
    assert set(assigned) == set(scenario.assigned), "assigned keys differ"
    for key, (provider, step, allowed, visits) in scenario.assigned.items():
        row = assigned[key]
        got = (row["provider_id"], row["assigned_step"], row["allowed_amount"], row["visits"])
        assert got == (provider, step, Decimal(allowed), visits), key
    for key, kind in scenario.types.items():
        assert assigned[key]["attribution_type"] == kind, key
    for key, npi in scenario.top_npi.items():
        assert assigned[key]["top_npi"] == npi, key
    for key, columns in scenario.fields.items():
        assert {c: assigned[key][c] for c in columns} == columns, key
    for key, order in scenario.ranking.items():
        rows = [r for r in result["provider_ranking"] if r["attribution_key"] == key]
        assert [r["provider_id"] for r in sorted(rows, key=lambda r: r["ranking"])] == order, key
        assert [r["ranking"] for r in rows] == list(range(1, len(rows) + 1)), key
    if scenario.excluded:
        assert result["exclusions"] == scenario.excluded
    assert sum(result["exclusions"].values()) == len(scenario.claims)
    counts = result["beneficiary_exclusions"]
    if scenario.beneficiaries:
        assert counts == scenario.beneficiaries
    else:  # no enrollment input: nobody is excluded, every eligible person is attributed
        per_key: dict[str, int] = {}
        for key in assigned:
            prefix = key.rsplit("|", 1)[0]
            per_key[prefix] = per_key.get(prefix, 0) + 1
        for key, by_reason in counts.items():
            assert by_reason == reasons(not_excluded=per_key.get(key, 0)), key
