"""The output tables' data dictionary: grain, columns and types.

``provider_ranking``
    Grain: ``attribution_key`` + ``attribution_type`` + ``provider_id`` (a provider can be both
    self-selected and a claims candidate). Every candidate provider of every eligible
    person in every scope key, with the earliest step it qualifies in, its lookback window,
    allowed amount, visits and rank; plus one fallback row (step 0, ranking 1) per eligible person
    without candidates.
``assigned_beneficiaries_current``
    Grain: ``person_id`` + ``as_of_date`` (``attribution_key``). The ranking-1 row of each
    eligible person for the current scope.
``assigned_beneficiaries_yearly``
    Grain: ``person_id`` + ``performance_year`` (``attribution_key``). The same per performance
    year.
``attribution_exclusions``
    Grain: ``reason``. The number of claims input rows per line status (16 rows, the statuses
    in ``reason_order``; ``used`` last); the counts add up to the claims input's rows.
``beneficiary_exclusions``
    Grain: scope key (``scope`` + ``performance_year`` / ``as_of_date``) + ``reason``. The number
    of beneficiaries of each scope key's eligible population per exclusion reason (six rows a
    key, ``not_excluded`` last: the beneficiaries attributed); 0 when none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

RANKING = "provider_ranking"
CURRENT = "assigned_beneficiaries_current"
YEARLY = "assigned_beneficiaries_yearly"
EXCLUSIONS = "attribution_exclusions"
BENEFICIARY_EXCLUSIONS = "beneficiary_exclusions"
TABLES = (RANKING, CURRENT, YEARLY)  # the attribution results
WRITTEN = (*TABLES, EXCLUSIONS, BENEFICIARY_EXCLUSIONS)  # every table a run writes (and swaps)

#: A column's logical type; engines/output_tables.py maps each to its SQL type.
Kind = Literal[
    "id", "key", "text", "varchar8", "varchar16", "varchar32", "integer", "bigint", "date", "money"
]
Column = tuple[str, Kind, str]  # (column, type, meaning)

_ID: Kind = "id"  # ids and codes compared byte by byte, on MySQL/MariaDB too
_TEXT: Kind = "text"
_KEY: Kind = "key"
_MONEY: Kind = "money"

_COMMON_AFTER_KEY: Sequence[Column] = (
    ("attribution_type", "varchar16", "claims, self_selection, geographic, or none (fallback)"),
    ("provider_id", _ID, "Unit credited: NPI, ACO id or TIN; the fallback id for none"),
    ("unit_type", "varchar8", "npi, aco or tin"),
    ("top_npi", _ID, "NPI inside the unit with the largest amount (the NPI for npi units)"),
    ("provider_bucket", _TEXT, "Bucket of top_npi: pcp, npp, specialist, unknown; or fallback"),
    ("prov_specialty", _TEXT, "Medicare specialty description of top_npi when known"),
)
_METRICS: Sequence[Column] = (
    ("step_description", _TEXT, "What the step counts"),
    ("allowed_amount", _MONEY, "Sum of line amounts (allowed, else paid) in the step's window"),
    ("visits", "integer", "Distinct encounters (else claims) in the step's window"),
    ("last_service_date", "date", "Latest service date among the step's lines"),
    ("lookback_start_date", "date", "First day of the step's window"),
    ("lookback_end_date", "date", "Last day of the step's window"),
)

COLUMNS: dict[str, Sequence[Column]] = {
    RANKING: (
        ("person_id", _ID, "Member id"),
        ("scope", "varchar16", "current or yearly"),
        ("performance_year", "integer", "Performance year (yearly scope), else null"),
        ("as_of_date", "date", "As-of date (current scope), else null"),
        *_COMMON_AFTER_KEY,
        ("step", "integer", "Earliest pass the provider qualifies in; 0 for the fallback"),
        *_METRICS,
        ("ranking", "integer", "1-based rank within attribution_key; 1 is assigned"),
        ("attribution_key", _KEY, "scope|YYYYMMDD-or-YYYY|person_id"),
    ),
    CURRENT: (
        ("person_id", _ID, "Member id"),
        ("as_of_date", "date", "As-of date of the rolling windows"),
        *_COMMON_AFTER_KEY,
        ("assigned_step", "integer", "Step that decided; 0 for the fallback"),
        *_METRICS,
        ("attribution_key", _KEY, "current|YYYYMMDD|person_id"),
    ),
    YEARLY: (
        ("person_id", _ID, "Member id"),
        ("performance_year", "integer", "Calendar performance year"),
        *_COMMON_AFTER_KEY,
        ("assigned_step", "integer", "Step that decided; 0 for the fallback"),
        *_METRICS,
        ("attribution_key", _KEY, "yearly|YYYY|person_id"),
    ),
    EXCLUSIONS: (
        ("reason_order", "integer", "Order of the check (1..16); a row gets the first failed"),
        ("reason", "varchar32", "Line status, e.g. duplicate_line, invalid_npi, used"),
        ("description", _TEXT, "What the status means"),
        ("lines", "bigint", "Number of claims input rows with that status"),
    ),
    BENEFICIARY_EXCLUSIONS: (
        ("scope", "varchar16", "current or yearly"),
        ("performance_year", "integer", "Performance year (yearly scope), else null"),
        ("as_of_date", "date", "As-of date (current scope), else null"),
        ("reason_order", "integer", "Order of the reason (1..6); the first that applies"),
        ("reason", "varchar32", "deceased, not_part_a_and_b, ..., or not_excluded"),
        ("description", _TEXT, "What the reason means"),
        ("beneficiaries", "bigint", "Beneficiaries of the eligible population"),
    ),
}


def column_names(table: str) -> list[str]:
    """Column names of an output table, in order."""
    return [name for name, _, _ in COLUMNS[table]]
