"""Where the logical inputs live: the user's tables and their column names.

Defaults follow the Tuva input layer (``core.medical_claim`` with ``encounter_id``,
``core.member_months``, ``terminology.provider`` with ``entity_type_description``; Tuva 0.18's
``provider_data.provider`` is read when ``terminology.provider`` does not exist, see
:func:`provider_attribution.warehouse.validate.resolve_inputs`) so a Tuva warehouse needs no
mapping.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from enum import Enum
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


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
    encounter_id: str | None = "encounter_id"
    rendering_npi: str = "rendering_npi"
    hcpcs_code: str = "hcpcs_code"
    claim_start_date: str = "claim_start_date"
    claim_end_date: str = "claim_end_date"
    allowed_amount: str = "allowed_amount"
    paid_amount: str = "paid_amount"
    tin: str | None = None
    revenue_center_code: str | None = None
    attending_npi: str | None = None
    place_of_service: str | None = None
    bill_type: str | None = None


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
    """Provider directory: one row per NPI with one classification column.

    ``entity_type``: ``1``/``Individual`` or ``2``/``Organization``; ``specialty_description``
    (optional): the text ``prov_specialty`` shows instead of the value sets' description.
    """

    name: str = "provider"
    schema: str | None = "terminology"
    npi: str = "npi"
    classification: str = "primary_taxonomy_code"
    classification_kind: Classification = Classification.TAXONOMY
    entity_type: str | None = "entity_type_description"
    specialty_description: str | None = None


#: Where the Tuva input layer keeps the provider directory: ``terminology.provider`` before
#: Tuva 0.18, ``provider_data.provider`` since. The default mapping names the first; a run reads
#: the second when only it exists.
TUVA_PROVIDER_LOCATIONS: tuple[tuple[str, str], ...] = (
    ("terminology", "provider"),
    ("provider_data", "provider"),
)


@dataclass(frozen=True)
class RosterTable:
    """ACO participant roster: which NPI (and TIN) belongs to which ACO, and when.

    By default a row applies on the days from ``start_date`` to ``end_date`` (null: open), and
    a line's ACO is looked up by its service date. With ``performance_year`` mapped (an integer
    column, never null) the roster is a participant list per performance year, as CMS uses it:
    a row applies to every line of the scope keys of its year (a yearly key's performance year,
    a current key's as-of year), whatever the line's service date, so look-back and benchmark
    windows before the year use that year's list; the date columns are then not read.
    """

    name: str = "aco_participants"
    schema: str | None = None
    npi: str = "npi"
    tin: str | None = "tin"
    aco_id: str = "aco_id"
    start_date: str | None = "start_date"
    end_date: str | None = "end_date"
    performance_year: str | None = None


@dataclass(frozen=True)
class NpiListTable:
    """A list of NPIs, e.g. the FQHC/RHC attestation of NPIs providing primary care."""

    name: str = "attested_npis"
    schema: str | None = None
    npi: str = "npi"


@dataclass(frozen=True)
class SelectionTable:
    """Member-provider selections with validity dates: self-selection or plan assignment."""

    name: str = "self_selections"
    schema: str | None = None
    person_id: str = "person_id"
    npi: str = "npi"
    effective_date: str = "effective_date"
    end_date: str | None = "end_date"


@dataclass(frozen=True)
class EnrollmentTable:
    """Medicare enrollment by month, for the beneficiary exclusions (``docs/METHOD.md``).

    One row per person and month (``year_month`` YYYYMM, or ``month_start`` a date in the
    month). Flags (``part_a``, ``part_b``, ``managed_care``, ``outside_us``,
    ``other_initiative``) are true for boolean true, 1, or the text y, yes, t, true (any case);
    anything else or null is false. ``death_date`` may sit on any row of the person. A column
    mapped as None switches its rule off; part_a and part_b go together.
    """

    name: str = "enrollment"
    schema: str | None = None
    person_id: str = "person_id"
    year_month: str | None = "year_month"
    month_start: str | None = None
    part_a: str | None = "part_a"
    part_b: str | None = "part_b"
    managed_care: str | None = "managed_care"
    outside_us: str | None = "outside_us"
    other_initiative: str | None = "other_initiative"
    death_date: str | None = "death_date"

    def __post_init__(self) -> None:
        if (self.year_month is None) == (self.month_start is None):
            raise ValueError(
                f"enrollment table {self.name!r}: give exactly one of year_month or month_start"
            )
        if (self.part_a is None) != (self.part_b is None):
            raise ValueError(
                f"enrollment table {self.name!r}: map both part_a and part_b, or neither"
            )


@dataclass(frozen=True)
class Inputs:
    """The logical inputs of an attribution run: three required, five optional."""

    claims: ClaimsTable = field(default_factory=ClaimsTable)
    eligibility: EligibilityTable = field(default_factory=EligibilityTable)
    providers: ProvidersTable = field(default_factory=ProvidersTable)
    roster: RosterTable | None = None
    attested: NpiListTable | None = None
    self_selections: SelectionTable | None = None
    geographic: SelectionTable | None = None
    enrollment: EnrollmentTable | None = None

    @classmethod
    def tuva(cls) -> Inputs:
        """The Tuva input layer, unchanged."""
        return cls()

    @classmethod
    def cclf(
        cls,
        schema: str | None = None,
        roster: RosterTable | None = None,
        attested: NpiListTable | None = None,
    ) -> Inputs:
        """The tables :func:`provider_attribution.sources.cclf.prepare` writes into ``schema``
        from CMS's CCLF files (claim lines netted the CCLF way, member months from CCLF8,
        providers)."""
        return cclf_inputs(schema, roster=roster, attested=attested)

    def in_schema(self, schema: str | None) -> Inputs:
        """Every table moved to one schema (``None``: the connection's default)."""
        moved = {
            f.name: replace(table, schema=schema)
            for f in fields(self)
            if (table := getattr(self, f.name)) is not None
        }
        return replace(self, **moved)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form, for logging and summaries."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Inputs:
        """Build from plain data: ``{"claims": {...}, "eligibility": {...}, "providers": {...}}``.

        Each section names table fields (``name``, ``schema``, column names); unknown sections or
        fields raise a ValueError naming them.
        """
        sections: dict[str, type[Any]] = {
            "claims": ClaimsTable,
            "eligibility": EligibilityTable,
            "providers": ProvidersTable,
            "roster": RosterTable,
            "attested": NpiListTable,
            "self_selections": SelectionTable,
            "geographic": SelectionTable,
            "enrollment": EnrollmentTable,
        }
        optional = {"roster", "attested", "self_selections", "geographic", "enrollment"}
        unknown = set(data) - set(sections)
        if unknown:
            raise ValueError(f"inputs: unknown sections {sorted(unknown)}; use {sorted(sections)}")
        built: dict[str, Any] = {}
        for section, kind in sections.items():
            if section in optional and data.get(section) is None:
                continue
            values = dict(data.get(section, {}))
            # TOML has no null: an empty string unmaps an optional column (e.g. encounter_id).
            optional_fields = {f.name for f in fields(kind) if "None" in str(f.type)}
            values = {
                k: (None if v == "" and k in optional_fields else v) for k, v in values.items()
            }
            allowed = {f.name for f in fields(kind)}
            bad = set(values) - allowed
            if bad:
                raise ValueError(
                    f"inputs.{section}: unknown fields {sorted(bad)}; allowed: {sorted(allowed)}"
                )
            if "classification_kind" in values:
                try:
                    values["classification_kind"] = Classification(values["classification_kind"])
                except ValueError:
                    choices = [c.value for c in Classification]
                    raise ValueError(
                        f"inputs.{section}.classification_kind: "
                        f"{values['classification_kind']!r} is not one of {choices}"
                    ) from None
            built[section] = kind(**values)
        return cls(**built)

    @classmethod
    def from_file(cls, path: str | Path) -> Inputs:
        """Read a mapping from a ``.toml`` or ``.json`` file (see :meth:`from_dict`)."""
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".json":
            return cls.from_dict(json.loads(text))
        return cls.from_dict(tomllib.loads(text))


# -- the tables provider_attribution.sources.cclf.prepare writes -------------------------------

CCLF_CLAIM_LINES = "cclf_claim_lines"
CCLF_MEMBER_MONTHS = "cclf_member_months"
CCLF_PROVIDERS = "cclf_providers"
CCLF_ENROLLMENT = "cclf_enrollment"


def cclf_inputs(
    work_schema: str | None,
    roster: RosterTable | None = None,
    attested: NpiListTable | None = None,
) -> Inputs:
    """The :class:`Inputs` reading the tables
    :func:`provider_attribution.sources.cclf.prepare` writes into ``work_schema``."""
    return Inputs(
        claims=ClaimsTable(
            name=CCLF_CLAIM_LINES,
            schema=work_schema,
            encounter_id=None,
            tin="tin",
            revenue_center_code="revenue_center_code",
            attending_npi="attending_npi",
            place_of_service="place_of_service",
            bill_type="bill_type",
        ),
        eligibility=EligibilityTable(name=CCLF_MEMBER_MONTHS, schema=work_schema),
        providers=ProvidersTable(
            name=CCLF_PROVIDERS,
            schema=work_schema,
            classification="specialty_code",
            classification_kind=Classification.SPECIALTY,
            entity_type=None,
        ),
        roster=roster,
        attested=attested,
        enrollment=EnrollmentTable(
            name=CCLF_ENROLLMENT,
            schema=work_schema,
            managed_care=None,
            outside_us=None,
            other_initiative=None,
        ),
    )
