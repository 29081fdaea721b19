"""Methods as data: ordered passes, a ranking order and fallback behaviour.

A new pass or preset is a new value of these classes; the SQL compiler reads them and needs no
new code. See ``docs/METHOD.md`` for the exact semantics.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum

from provider_attribution.model.valuesets import BUCKETS


class Services(str, Enum):
    """Which claim lines a pass looks at."""

    PRIMARY_CARE = "primary_care"
    ANY = "any"


class RankKey(str, Enum):
    """Ranking criteria after the step. ``provider_id`` ascending always ends the order."""

    ALLOWED_DESC = "allowed_amount_desc"
    VISITS_DESC = "visits_desc"
    LAST_SERVICE_DESC = "last_service_desc"


class Unit(str, Enum):
    """What competes for a member: each NPI, or ACOs (roster) against unaffiliated TINs/NPIs."""

    NPI = "npi"
    ACO = "aco"


class Path(str, Enum):
    """Ways a member can be attributed, tried in the method's order."""

    CLAIMS = "claims"
    SELF_SELECTION = "self_selection"
    GEOGRAPHIC = "geographic"


@dataclass(frozen=True)
class Gate:
    """A person-level condition: the person has a line falling in this window, buckets and
    services (from an ACO participant when ``participants_only``). As ``Method.gate`` it is
    the pre-step every pass without its own requirement needs."""

    months: int
    buckets: frozenset[str] | None
    services: Services
    participants_only: bool = True
    name: str = "gate"

    def __post_init__(self) -> None:
        _check_window(f"gate {self.name!r}", self.months, self.buckets)


@dataclass(frozen=True)
class Requirement:
    """A gate that must hold for the person, or (``negated``) must not."""

    gate: Gate
    negated: bool = False


@dataclass(frozen=True)
class Pass:
    """One step: a window, the provider buckets allowed and the services counted.

    ``requires``: the conditions that must all hold for the person for the pass to apply
    (None: the method's gate, if any; empty: none). ``from_year``: the first performance year
    the pass applies to (current scope keys use the as-of date's year); None: every year.
    """

    months: int
    buckets: frozenset[str] | None
    services: Services
    description: str
    weights: tuple[tuple[int, int], ...] | None = None
    requires: tuple[Requirement, ...] | None = None
    from_year: int | None = None

    def __post_init__(self) -> None:
        _check_window(f"pass {self.description!r}", self.months, self.buckets)
        if self.from_year is not None and not 1 <= self.from_year <= 9999:
            raise ValueError(
                f"pass {self.description!r}: from_year must be 1..9999, got {self.from_year}"
            )
        if self.weights is not None:
            months = [m for m, _ in self.weights]
            if not self.weights or months != sorted(set(months)) or months[-1] != self.months:
                raise ValueError(
                    f"pass {self.description!r}: weight segments must have increasing months "
                    f"ending at the pass's {self.months}, got {list(self.weights)}"
                )
            if any(w < 1 for _, w in self.weights) or self.weight_total % 2 == 0:
                raise ValueError(
                    f"pass {self.description!r}: weights must be positive integers with an odd "
                    "sum (so a weighted amount never sits on half a cent), "
                    f"got {list(self.weights)}"
                )

    def applies_in(self, year: int) -> bool:
        """Whether the pass applies to scope keys of rule year ``year``."""
        return self.from_year is None or year >= self.from_year

    @property
    def segments(self) -> tuple[tuple[int, int], ...]:
        """Weight segments; one segment of weight 1 without weights."""
        return self.weights if self.weights is not None else ((self.months, 1),)

    @property
    def weight_total(self) -> int:
        """W: the divisor turning a weighted amount back into money."""
        return sum(w for _, w in self.segments)


def _check_window(what: str, months: int, buckets: frozenset[str] | None) -> None:
    if not 1 <= months <= 120:
        raise ValueError(f"{what}: months must be 1..120, got {months}")
    if buckets is not None:
        unknown = set(buckets) - {*BUCKETS, "unknown"}
        if unknown or not buckets:
            raise ValueError(
                f"{what}: buckets must be a non-empty subset of "
                f"{[*BUCKETS, 'unknown']}, got {sorted(buckets)}"
            )


@dataclass(frozen=True)
class SettingExclusion:
    """HCPCS codes that are no primary-care service when furnished in a setting: on a claim
    line with one of ``places_of_service``, or overlapping a facility claim of the person whose
    bill type starts with one of ``bill_type_prefixes`` (see ``docs/METHOD.md``)."""

    name: str
    hcpcs: frozenset[str]
    places_of_service: frozenset[str] = frozenset()
    bill_type_prefixes: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.hcpcs:
            raise ValueError(f"setting exclusion {self.name!r}: hcpcs must not be empty")
        if not self.places_of_service and not self.bill_type_prefixes:
            raise ValueError(
                f"setting exclusion {self.name!r}: give places_of_service, "
                "bill_type_prefixes or both"
            )
        texts = [*self.hcpcs, *self.places_of_service, *self.bill_type_prefixes]
        if any(t != t.strip() or not t for t in texts):
            raise ValueError(
                f"setting exclusion {self.name!r}: codes must be non-empty and trimmed"
            )


#: CPT 99304-99318 (nursing facility visits) in a skilled nursing facility: place of service 31,
#: or during a SNF stay (bill types 21x, 22x, 23x, 28x). POS 32 (nursing facility) still counts.
SNF_EXCLUSION = SettingExclusion(
    "snf",
    frozenset(str(code) for code in range(99304, 99319)),
    frozenset({"31"}),
    frozenset({"21", "22", "23", "28"}),
)
#: Advance care planning (CPT 99497, 99498) in an inpatient setting: place of service 21, or
#: during an inpatient hospital stay (bill type 11x).
INPATIENT_ACP_EXCLUSION = SettingExclusion(
    "inpatient_acp", frozenset({"99497", "99498"}), frozenset({"21"}), frozenset({"11"})
)


@dataclass(frozen=True)
class Fallback:
    """The labelled row for an eligible member with no assignable history."""

    provider_id: str = "9999999999"
    provider_bucket: str = "no_eligible_history"
    prov_specialty: str = "No assignable claims history"
    step_description: str = "No assignable history"


@dataclass(frozen=True)
class Method:
    """An attribution method: passes in order (step 1 first), ranking, fallback."""

    name: str
    passes: tuple[Pass, ...]
    ranking: tuple[RankKey, ...] = (RankKey.ALLOWED_DESC, RankKey.VISITS_DESC)
    eligibility_months: int = 12
    fallback: Fallback = field(default_factory=Fallback)
    unit: Unit = Unit.NPI
    paths: tuple[Path, ...] = (Path.CLAIMS,)
    gate: Gate | None = None
    fqhc_revenue_codes: frozenset[str] = frozenset()
    year_anchor_offset_months: int = 0
    year_anchors: Mapping[int, dt.date] = field(default_factory=dict)
    check_npi: bool = True  # lines whose credited NPI fails the NPI Luhn check take no part
    # Options of the line rules (docs/METHOD.md, "Line options"); the defaults are ours, the
    # ``tuva_mart`` preset sets each to what the Tuva mart does.
    service_date_start_only: bool = False  # service date = claim_start_date, never the end date
    collapse_duplicates: bool = True  # exact duplicate rows count once
    drop_reversed_claims: bool = True  # lines of fully reversed claims take no part
    directory_required: bool = False  # only NPIs in the providers input (individuals) take part
    visits_from_encounters: bool = False  # visit key = encounter_id only (no claim_id fallback)
    unknown_bucket_label: str = "unknown"  # provider_bucket output of an unclassified NPI
    yearly_fallback_eligibility_window: bool = False  # yearly fallback lookback = eligibility
    setting_exclusions: tuple[SettingExclusion, ...] = ()
    # Without explicit value sets: each scope key counts the primary-care codes CMS listed for
    # its year (MSSP, REACH); otherwise the newest shipped list for every key (Tuva's one list).
    code_lists_by_year: bool = False

    def __post_init__(self) -> None:
        if not self.passes:
            raise ValueError(f"method {self.name!r} has no passes")
        if len(set(self.ranking)) != len(self.ranking):
            raise ValueError(f"method {self.name!r}: ranking keys repeat: {self.ranking}")
        if not self.paths or len(set(self.paths)) != len(self.paths):
            raise ValueError(f"method {self.name!r}: paths must be non-empty and distinct")
        if not 1 <= self.eligibility_months <= 120:
            raise ValueError(f"method {self.name!r}: eligibility_months must be 1..120")
        if all(p.from_year is not None for p in self.passes):
            raise ValueError(
                f"method {self.name!r}: at least one pass must apply in every year (no from_year)"
            )
        label = self.unknown_bucket_label
        if not label or label != label.strip() or label in BUCKETS:
            raise ValueError(
                f"method {self.name!r}: unknown_bucket_label must be non-empty text without "
                f"surrounding spaces and not one of {list(BUCKETS)}, got {label!r}"
            )

        names = [e.name for e in self.setting_exclusions]
        if len(set(names)) != len(names):
            raise ValueError(f"method {self.name!r}: setting exclusion names repeat: {names}")

    def requirements(self, p: Pass) -> tuple[Requirement, ...]:
        """The conditions pass ``p`` needs: its own, else the method's gate, else none."""
        if p.requires is not None:
            return p.requires
        return () if self.gate is None else (Requirement(self.gate),)

    @property
    def conditions(self) -> tuple[Gate, ...]:
        """The distinct gates some pass needs, in order of first use."""
        found: dict[Gate, None] = {}
        for p in self.passes:
            for r in self.requirements(p):
                found.setdefault(r.gate, None)
        return tuple(found)

    def passes_in(self, year: int) -> tuple[tuple[int, Pass], ...]:
        """(step, pass) of the passes that apply in rule year ``year``."""
        return tuple((i, p) for i, p in enumerate(self.passes, start=1) if p.applies_in(year))

    def windows_in(self, year: int) -> tuple[int, ...]:
        """Window lengths that matter in rule year ``year`` (the passes that apply, their
        weight segments and conditions), ascending."""
        lengths: set[int] = set()
        for _, p in self.passes_in(year):
            lengths.update(m for m, _ in p.segments)
            lengths.update(r.gate.months for r in self.requirements(p))
        return tuple(sorted(lengths))

    def year_anchor(self, year: int) -> dt.date:
        """Anchor end date of performance year ``year``."""
        if year in self.year_anchors:
            return self.year_anchors[year]
        index = year * 12 + 11 + self.year_anchor_offset_months  # the anchor's month
        anchor_year, month = index // 12, index % 12 + 1
        if not dt.MINYEAR <= anchor_year <= dt.MAXYEAR:
            raise ValueError(
                f"method {self.name!r}: performance year {year} would end in year {anchor_year} "
                f"(year_anchor_offset_months = {self.year_anchor_offset_months}), outside "
                f"{dt.MINYEAR}..{dt.MAXYEAR}; leave that year out of the run"
            )
        return dt.date(anchor_year, month, calendar.monthrange(anchor_year, month)[1])

    @property
    def window_lengths(self) -> tuple[int, ...]:
        """Distinct window lengths in months, ascending."""
        return tuple(sorted({p.months for p in self.passes}))

    @property
    def widest_months(self) -> int:
        """The longest pass window (the fallback row's lookback)."""
        return max(p.months for p in self.passes)


def _pass(
    months: int,
    buckets: Sequence[str] | None,
    services: Services,
    text: str,
    weights: tuple[tuple[int, int], ...] | None = None,
) -> Pass:
    return Pass(months, None if buckets is None else frozenset(buckets), services, text, weights)


TUVA = Method(
    name="tuva",
    passes=(
        _pass(12, ("pcp", "npp"), Services.PRIMARY_CARE, "12-month PCP/NPP primary-care services"),
        _pass(
            12, ("specialist",), Services.PRIMARY_CARE, "12-month specialist primary-care services"
        ),
        _pass(24, ("pcp", "npp"), Services.PRIMARY_CARE, "24-month PCP/NPP primary-care services"),
        _pass(
            24, None, Services.PRIMARY_CARE, "24-month primary-care services, any classification"
        ),
        _pass(24, None, Services.ANY, "24-month any rendering NPI"),
    ),
)

# The Tuva mart's own rules (docs/METHOD.md, "Line options"; README, "Differences from the
# Tuva mart"): the same passes with the mart's step descriptions and line rules.
TUVA_MART = Method(
    name="tuva_mart",
    passes=(
        _pass(12, ("pcp", "npp"), Services.PRIMARY_CARE, "12-month PCP/NPP primary-care HCPCS"),
        _pass(12, ("specialist",), Services.PRIMARY_CARE, "12-month specialist primary-care HCPCS"),
        _pass(24, ("pcp", "npp"), Services.PRIMARY_CARE, "24-month PCP/NPP primary-care HCPCS"),
        _pass(
            24,
            None,
            Services.PRIMARY_CARE,
            "24-month primary-care HCPCS (any classification)",
        ),
        _pass(24, None, Services.ANY, "24-month any rendering NPI"),
    ),
    check_npi=False,
    service_date_start_only=True,
    collapse_duplicates=False,
    drop_reversed_claims=False,
    directory_required=True,
    visits_from_encounters=True,
    unknown_bucket_label="other_individual",
    yearly_fallback_eligibility_window=True,
)

_PHYSICIANS = frozenset({"pcp", "specialist"})
MSSP_PRE_STEP = Gate(12, _PHYSICIANS, Services.PRIMARY_CARE, name="pre_step")
MSSP_STEP_3 = Pass(
    24,
    frozenset({"pcp", "npp", "specialist"}),
    Services.PRIMARY_CARE,
    "Step 3: expanded window, 24-month primary care",
    requires=(
        Requirement(MSSP_PRE_STEP, negated=True),
        Requirement(Gate(12, frozenset({"npp"}), Services.PRIMARY_CARE, name="npp_participant_12")),
        Requirement(Gate(24, _PHYSICIANS, Services.PRIMARY_CARE, name="physician_participant_24")),
    ),
    from_year=2025,
)

MSSP = Method(
    name="mssp",
    unit=Unit.ACO,
    paths=(Path.SELF_SELECTION, Path.CLAIMS),
    gate=MSSP_PRE_STEP,
    passes=(
        _pass(12, ("pcp", "npp"), Services.PRIMARY_CARE, "Step 1: primary care by PCPs and NPPs"),
        _pass(12, ("specialist",), Services.PRIMARY_CARE, "Step 2: primary care by specialists"),
        MSSP_STEP_3,
    ),
    ranking=(RankKey.ALLOWED_DESC, RankKey.LAST_SERVICE_DESC),
    fqhc_revenue_codes=frozenset({"0521", "0522", "0524", "0525"}),
    setting_exclusions=(SNF_EXCLUSION, INPATIENT_ACP_EXCLUSION),
    code_lists_by_year=True,
)

MSSP_PROSPECTIVE = replace(MSSP, name="mssp_prospective", year_anchor_offset_months=-15)

MEDICAID = Method(
    name="medicaid",
    paths=(Path.CLAIMS, Path.SELF_SELECTION, Path.GEOGRAPHIC),
    passes=(
        _pass(12, ("pcp", "npp"), Services.PRIMARY_CARE, "12-month PCP/NPP primary care"),
        _pass(12, None, Services.PRIMARY_CARE, "12-month primary care, any provider"),
        _pass(24, ("pcp", "npp"), Services.PRIMARY_CARE, "24-month PCP/NPP primary care"),
    ),
    ranking=(RankKey.ALLOWED_DESC, RankKey.VISITS_DESC, RankKey.LAST_SERVICE_DESC),
)

_REACH_WEIGHTS = ((12, 2), (24, 1))
REACH = Method(
    name="reach",
    unit=Unit.ACO,
    paths=(Path.SELF_SELECTION, Path.CLAIMS),
    passes=(
        _pass(
            24,
            ("pcp", "npp"),
            Services.PRIMARY_CARE,
            "Two alignment years, PCP/NPP primary care (recent year 2/3)",
            _REACH_WEIGHTS,
        ),
        _pass(
            24,
            ("specialist",),
            Services.PRIMARY_CARE,
            "Two alignment years, specialist primary care (recent year 2/3)",
            _REACH_WEIGHTS,
        ),
    ),
    ranking=(RankKey.ALLOWED_DESC, RankKey.LAST_SERVICE_DESC),
    # PY Y aligns on July Y-2 .. June Y-1 (2/3) and July Y-3 .. June Y-2 (1/3)
    year_anchor_offset_months=-18,
    code_lists_by_year=True,
)

PRESETS: dict[str, Method] = {
    m.name: m for m in (TUVA, TUVA_MART, MSSP, MSSP_PROSPECTIVE, MEDICAID, REACH)
}
