"""The SQL path on DuckDB against the pure-Python oracle, on generated data sets."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from hypothesis import given, note

from harness import Dataset, run_sql
from oracle import attribute_reference
from provider_attribution.method import TUVA
from provider_attribution.valuesets import ValueSets
from strategies import datasets, scopes

VALUESETS = ValueSets.for_year()


def expected(data: Dataset, as_of: dt.date | None, years: list[int]) -> dict[str, Any]:
    return attribute_reference(
        data.claims,
        data.eligibility,
        data.providers,
        method=TUVA,
        valuesets=VALUESETS,
        classification_kind=data.classification_kind,
        encounter_mapped=data.encounter_mapped,
        as_of=as_of,
        years=years,
    )


@given(data=datasets(), scope=scopes)
def test_sql_matches_oracle(
    duckdb_engine: sa.Engine, data: Dataset, scope: tuple[dt.date | None, list[int]]
) -> None:
    as_of, years = scope
    got = run_sql(duckdb_engine, data, as_of=as_of, years=years)
    want = expected(data, as_of, years)
    for table, rows in want.items():
        note(f"{table}: oracle {rows}\nsql {got[table]}")
        assert got[table] == rows, table
