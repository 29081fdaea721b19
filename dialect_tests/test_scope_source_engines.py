"""Scope keys and code lists read from tables give the rows of literal keys and inlined lists
on every engine of the registry.

With ``scope_source``, ``code_source`` and the crosswalk and revenue-code sources the builder
compiles the SQL of the dbt export (keys joined from a table, ``attribution_exclusions``
numbering the checked lines and joining them to the keys). Each backend runs it next to the
literal SQL over hand-written scenarios (line checks, beneficiary exclusions, FQHC lines,
current and yearly keys of several rule years; the medicaid, tuva and mssp presets) and a small
hypothesis sample of generated data sets (any preset, any directory classification); every
output compares canonically (:func:`harness.canonical`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from engines import Session
from harness import Dataset, load
from provider_attribution.model import outputs
from provider_attribution.model.method import MEDICAID, Method
from provider_attribution.sql.enrollment import REASON_ORDER as BENEFICIARY_REASONS
from provider_attribution.sql.exclusions import REASON_ORDER
from scenarios import NPP, NPP2, PCP, SCENARIOS, SPEC, line
from scope_tables import METHODS, assert_same_rows
from strategies import AS_OF_DATES, datasets, generated


@dataclass(frozen=True)
class Case:
    """A scenario's data (by name prefix) run with its own method and keys unless given, and
    the exclusion reasons (line or beneficiary) it must show: what the case is there for."""

    scenario: str
    shows: frozenset[str]
    method: Method | None = None
    as_of: tuple[dt.date, ...] | None = None
    years: tuple[int, ...] | None = None
    extra_lines: bool = False  # add FQHC/RHC and window-edge lines (:func:`_with_extra_lines`)


def _with_extra_lines(data: Dataset) -> Dataset:
    """``data`` (persons C, D and E, keys ending 2024-12-31 and 2025-12-31) plus FQHC/RHC lines
    (credited to an attested attending NPI, not attested, a revenue code that is not FQHC/RHC)
    and lines on the edges of the windows."""
    return replace(
        data,
        claims=[
            *data.claims,
            line("C", None, "T1015", "2025-02-01", "80", revenue=" 0521 ", attending=PCP),
            line("D", SPEC, "T1015", "2025-02-02", "70", revenue="0522", attending=NPP2),
            line("E", PCP, "99213", "2025-02-03", "30", revenue="0450", attending=PCP),
            line("C", PCP, "99213", "2025-12-31", "10"),  # the last day of the 2025 keys
            line("D", NPP, "99213", "2024-01-01", "10"),  # the first of PY2025's 24 months
            line("D", PCP, "99213", "2025-01-01", "10"),  # the first of PY2025's 12 months
            # ends after the as-of date: out of the current key, in PY2025 by its start date
            line("E", NPP, "99213", "2025-12-30", "10", end="2026-01-01"),
        ],
        attested=[{"npi": PCP}],
    )


# Each case is a full run on every engine (fakesnow takes a second or two a query): a few
# rich ones.
CASES = {
    # medicaid: every line status but FQHC and gate ones, a current and a yearly key
    "medicaid line checks": Case(
        "every line check",
        frozenset(REASON_ORDER) - {"fqhc_not_attested", "person_not_assignable"},
        MEDICAID,
        years=(2024,),
    ),
    # tuva: every beneficiary exclusion (the excluded persons' lines: person_not_eligible), a
    # current and a yearly key
    "tuva beneficiary exclusions": Case(
        "beneficiary exclusions",
        frozenset(BENEFICIARY_REASONS) - {"not_excluded"} | {"person_not_eligible"},
    ),
    # mssp: gate and step-3 requirements, roster, FQHC lines, window edges, a current key and
    # two yearly ones of rule years 2024 and 2025 (code lists by year: two slots)
    "mssp FQHC and window edges": Case(
        "mssp step 3 needs",
        frozenset({"fqhc_not_attested", "person_not_assignable", "outside_window", "used"}),
        as_of=(dt.date(2025, 12, 31),),
        years=(2024, 2025),
        extra_lines=True,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_scenario_scope_tables_match_literal_keys(backend: Session, case: str) -> None:
    spec = CASES[case]
    scenario = next(s for s in SCENARIOS if s.name.startswith(spec.scenario))
    data = _with_extra_lines(scenario.dataset()) if spec.extra_lines else scenario.dataset()
    own_as_of = () if scenario.as_of is None else (scenario.as_of,)
    inputs = load(backend.engine, data, backend.schema)
    rows = assert_same_rows(
        backend.engine,
        inputs,
        spec.method or scenario.method,
        own_as_of if spec.as_of is None else spec.as_of,
        scenario.years if spec.years is None else spec.years,
        data.today,
        schema=backend.schema,
    )
    assert rows[outputs.RANKING], "the comparison saw no rows"
    shown = {r["reason"] for r in rows[outputs.EXCLUSIONS] if r["lines"]}
    shown |= {r["reason"] for r in rows[outputs.BENEFICIARY_EXCLUSIONS] if r["beneficiaries"]}
    assert spec.shows <= shown, sorted(spec.shows - shown)


@given(
    data=datasets(rich=True),
    method=st.sampled_from(sorted(METHODS)),
    as_of=st.lists(st.sampled_from(AS_OF_DATES), max_size=2, unique=True),
    years=st.lists(st.sampled_from([2022, 2023, 2024, 2025]), max_size=2, unique=True),
)
@generated(2)
def test_generated_scope_tables_match_literal_keys(
    backend: Session, data: Dataset, method: str, as_of: list[dt.date], years: list[int]
) -> None:
    if not as_of and not years:
        years = [2024]
    note(f"{method} as_of={as_of} years={years}")
    inputs = load(backend.engine, data, backend.schema)
    assert_same_rows(
        backend.engine,
        inputs,
        METHODS[method],
        as_of,
        years,
        data.today,
        schema=backend.schema,
    )
