"""Where the logical inputs live: the user's tables and their column names.

Defaults follow the Tuva input layer (``core.medical_claim``, ``core.member_months``,
``terminology.provider``) so a Tuva warehouse needs no mapping at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any


class Classification(str, Enum):
    """What the providers table's classification column holds."""

    BUCKET = "bucket"
    SPECIALTY = "specialty"
    TAXONOMY = "taxonomy"


@dataclass(frozen=True)
class ClaimsTable:
    """Claim lines, one row per line."""

    name: str = "medical_claim"
    schema: str | None = "core"
    person_id: str = "person_id"
    claim_id: str = "claim_id"
    claim_line_number: str = "claim_line_number"
    encounter_id: str | None = None
    rendering_npi: str = "rendering_npi"
    hcpcs_code: str = "hcpcs_code"
    claim_start_date: str = "claim_start_date"
    claim_end_date: str = "claim_end_date"
    allowed_amount: str = "allowed_amount"
    paid_amount: str = "paid_amount"


@dataclass(frozen=True)
class EligibilityTable:
    """Member months: one row per person and enrolled month.

    Give ``year_month`` (``YYYYMM`` text or integer) or ``month_start`` (a date in the month).
    """

    name: str = "member_months"
    schema: str | None = "core"
    person_id: str = "person_id"
    year_month: str | None = "year_month"
    month_start: str | None = None

    def __post_init__(self) -> None:
        if (self.year_month is None) == (self.month_start is None):
            raise ValueError(
                f"eligibility table {self.name!r}: give exactly one of year_month or month_start"
            )


@dataclass(frozen=True)
class ProvidersTable:
    """Provider directory: one row per NPI with one classification column."""

    name: str = "provider"
    schema: str | None = "terminology"
    npi: str = "npi"
    classification: str = "primary_taxonomy_code"
    classification_kind: Classification = Classification.TAXONOMY
    entity_type: str | None = None


@dataclass(frozen=True)
class Inputs:
    """The three logical inputs of an attribution run."""

    claims: ClaimsTable = field(default_factory=ClaimsTable)
    eligibility: EligibilityTable = field(default_factory=EligibilityTable)
    providers: ProvidersTable = field(default_factory=ProvidersTable)

    @classmethod
    def tuva(cls) -> Inputs:
        """The Tuva input layer, unchanged."""
        return cls()

    def in_schema(self, schema: str | None) -> Inputs:
        """All three tables moved to one schema (``None``: the connection's default)."""
        return replace(
            self,
            claims=replace(self.claims, schema=schema),
            eligibility=replace(self.eligibility, schema=schema),
            providers=replace(self.providers, schema=schema),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form, for logging and summaries."""
        from dataclasses import asdict

        return asdict(self)
