"""What the inputs map and what the method reads of them: the specs every check walks, and the
``method`` checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from provider_attribution.model.inputs import Inputs
from provider_attribution.model.method import Method, Path, Unit
from provider_attribution.sql.claim_lines import fqhc_applies
from provider_attribution.warehouse.validate.results import Check

_Kind = Literal["text", "date", "amount", "month", "year", "any"]  # any: no type check


# -- what the inputs map ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    field: str
    name: str
    kind: _Kind
    used: bool


@dataclass(frozen=True)
class _Input:
    field: str
    kind: str
    schema: str | None
    name: str
    columns: tuple[_Column, ...]
    used: bool

    @property
    def label(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


def _mapped(inputs: Inputs, method: Method) -> list[_Input]:
    """Every mapped input with its mapped columns, and whether this method reads them."""

    def cols(used: bool, *spec: tuple[str, str | None, _Kind]) -> tuple[_Column, ...]:
        return tuple(
            _Column(field, name, kind, used) for field, name, kind in spec if name is not None
        )

    aco = method.unit is Unit.ACO
    fqhc = bool(method.fqhc_revenue_codes)
    c, e, p = inputs.claims, inputs.eligibility, inputs.providers
    found = [
        _Input(
            "claims",
            "ClaimsTable",
            c.schema,
            c.name,
            cols(True, ("person_id", c.person_id, "text"), ("claim_id", c.claim_id, "text"))
            + cols(True, ("claim_line_number", c.claim_line_number, "any"))
            + cols(
                True,
                ("encounter_id", c.encounter_id, "text"),
                ("rendering_npi", c.rendering_npi, "text"),
                ("hcpcs_code", c.hcpcs_code, "text"),
                ("claim_start_date", c.claim_start_date, "date"),
                ("claim_end_date", c.claim_end_date, "date"),
                ("allowed_amount", c.allowed_amount, "amount"),
                ("paid_amount", c.paid_amount, "amount"),
            )
            + cols(aco, ("tin", c.tin, "text"))
            + cols(
                fqhc,
                ("revenue_center_code", c.revenue_center_code, "text"),
                ("attending_npi", c.attending_npi, "text"),
            )
            + cols(
                bool(method.setting_exclusions),
                ("place_of_service", c.place_of_service, "any"),
                ("bill_type", c.bill_type, "any"),
            ),
            True,
        ),
        _Input(
            "eligibility",
            "EligibilityTable",
            e.schema,
            e.name,
            cols(
                True,
                ("person_id", e.person_id, "text"),
                ("year_month", e.year_month, "month"),
                ("month_start", e.month_start, "date"),
            ),
            True,
        ),
        _Input(
            "providers",
            "ProvidersTable",
            p.schema,
            p.name,
            cols(
                True,
                ("npi", p.npi, "text"),
                ("classification", p.classification, "text"),
                ("entity_type", p.entity_type, "any"),
                ("specialty_description", p.specialty_description, "text"),
            ),
            True,
        ),
    ]
    if (r := inputs.roster) is not None:
        columns = cols(
            aco,
            ("npi", r.npi, "text"),
            ("tin", r.tin, "text"),
            ("aco_id", r.aco_id, "text"),
        )
        if r.performance_year is not None:  # a roster by year reads no dates
            columns += cols(aco, ("performance_year", r.performance_year, "year"))
        else:
            columns += cols(
                aco, ("start_date", r.start_date, "date"), ("end_date", r.end_date, "date")
            )
        found.append(_Input("roster", "RosterTable", r.schema, r.name, columns, aco))
    if (a := inputs.attested) is not None:
        used = fqhc_applies(inputs, method)
        columns = cols(used, ("npi", a.npi, "text"))
        found.append(_Input("attested", "NpiListTable", a.schema, a.name, columns, used))
    if (n := inputs.enrollment) is not None:
        columns = cols(
            True,
            ("person_id", n.person_id, "text"),
            ("year_month", n.year_month, "month"),
            ("month_start", n.month_start, "date"),
            ("part_a", n.part_a, "any"),
            ("part_b", n.part_b, "any"),
            ("managed_care", n.managed_care, "any"),
            ("outside_us", n.outside_us, "any"),
            ("other_initiative", n.other_initiative, "any"),
            ("death_date", n.death_date, "date"),
        )
        found.append(_Input("enrollment", "EnrollmentTable", n.schema, n.name, columns, True))
    for field, path in (("self_selections", Path.SELF_SELECTION), ("geographic", Path.GEOGRAPHIC)):
        s = getattr(inputs, field)
        if s is None:
            continue
        used = path in method.paths
        columns = cols(
            used,
            ("person_id", s.person_id, "text"),
            ("npi", s.npi, "text"),
            ("effective_date", s.effective_date, "date"),
            ("end_date", s.end_date, "date"),
        )
        found.append(_Input(field, "SelectionTable", s.schema, s.name, columns, used))
    return found


def _method_checks(inputs: Inputs, method: Method) -> list[Check]:
    found: list[Check] = []

    def check(ok: bool, what: str, message: str) -> None:
        found.append(Check("method", None, None, ok, "warning", what if ok else message))

    for path, field in ((Path.SELF_SELECTION, "self_selections"), (Path.GEOGRAPHIC, "geographic")):
        if path not in method.paths:
            continue
        check(
            getattr(inputs, field) is not None,
            f"path {path.value}: Inputs.{field}",
            f"method {method.name!r} has the path {path.value!r} but Inputs.{field} is not "
            f"mapped: that path is skipped; set Inputs.{field} (SelectionTable(...), or "
            f"[{field}] in an inputs file)",
        )
    if method.unit is Unit.ACO:
        check(
            inputs.roster is not None,
            "ACO units: Inputs.roster",
            f"method {method.name!r} ranks ACOs but Inputs.roster is not mapped: no line "
            "belongs to an ACO"
            + (
                ", so the participants-only gates admit no member"
                if any(g.participants_only for g in method.conditions)
                else ""
            )
            + "; set Inputs.roster (RosterTable(...), or [roster] in an inputs file)",
        )
    if method.visits_from_encounters:
        check(
            inputs.claims.encounter_id is not None,
            "visits from encounters: Inputs.claims.encounter_id",
            f"method {method.name!r} counts visits as distinct encounter_id but "
            "Inputs.claims.encounter_id is not mapped: every visit count is 0; set it",
        )
    if method.fqhc_revenue_codes:
        c = inputs.claims
        missing = [
            f"Inputs.claims.{name}"
            for name in ("revenue_center_code", "attending_npi")
            if getattr(c, name) is None
        ]
        check(
            not missing,
            "FQHC/RHC lines: claims revenue_center_code and attending_npi",
            f"method {method.name!r} treats FQHC/RHC revenue-code lines specially but "
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not mapped: those "
            f"lines count as ordinary lines; set {' and '.join(missing)}",
        )
        if not missing:
            check(
                inputs.attested is not None,
                "FQHC/RHC lines: Inputs.attested",
                f"method {method.name!r} credits FQHC/RHC lines to attested attending NPIs but "
                "Inputs.attested is not mapped: every such line is left out; set "
                "Inputs.attested (NpiListTable(...), or [attested] in an inputs file)",
            )
    return found
