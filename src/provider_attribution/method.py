"""Methods as data: ordered passes, a ranking order and fallback behaviour.

A new pass or preset is a new value of these classes; the SQL compiler reads them and needs no
new code. See ``docs/METHOD.md`` for the exact semantics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from provider_attribution.valuesets import BUCKETS


class Services(str, Enum):
    """Which claim lines a pass looks at."""

    PRIMARY_CARE = "primary_care"
    ANY = "any"


class RankKey(str, Enum):
    """Ranking criteria after the step. ``provider_id`` ascending always ends the order."""

    ALLOWED_DESC = "allowed_amount_desc"
    VISITS_DESC = "visits_desc"


@dataclass(frozen=True)
class Pass:
    """One step: a window, the provider buckets allowed and the services counted."""

    months: int
    buckets: frozenset[str] | None
    services: Services
    description: str

    def __post_init__(self) -> None:
        if not 1 <= self.months <= 120:
            raise ValueError(f"pass {self.description!r}: months must be 1..120, got {self.months}")
        if self.buckets is not None:
            unknown = set(self.buckets) - {*BUCKETS, "unknown"}
            if unknown or not self.buckets:
                raise ValueError(
                    f"pass {self.description!r}: buckets must be a non-empty subset of "
                    f"{[*BUCKETS, 'unknown']}, got {sorted(self.buckets)}"
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

    def __post_init__(self) -> None:
        if not self.passes:
            raise ValueError(f"method {self.name!r} has no passes")
        if len(set(self.ranking)) != len(self.ranking):
            raise ValueError(f"method {self.name!r}: ranking keys repeat: {self.ranking}")

    @property
    def window_lengths(self) -> tuple[int, ...]:
        """Distinct window lengths in months, ascending."""
        return tuple(sorted({p.months for p in self.passes}))

    @property
    def widest_months(self) -> int:
        """The longest pass window (the fallback row's lookback)."""
        return max(p.months for p in self.passes)


def _pass(months: int, buckets: Sequence[str] | None, services: Services, text: str) -> Pass:
    return Pass(months, None if buckets is None else frozenset(buckets), services, text)


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

PRESETS: dict[str, Method] = {TUVA.name: TUVA}


def get_method(name: str) -> Method:
    """A preset by name, with an error listing the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown method {name!r}; known methods: {sorted(PRESETS)}") from None
