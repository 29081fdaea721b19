"""Scope keys and code lists read from tables (``QueryBuilder(scope_source=..., code_source=...)``
and the crosswalk and revenue-code sources, what the dbt export compiles) give exactly the rows
of the SQL with literal keys and inlined code lists, for every preset, on generated and demo
data, in DuckDB (``dialect_tests/test_scope_source_engines.py``: on every engine)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, note
from hypothesis import strategies as st

from harness import Dataset, load
from provider_attribution.model.method import PRESETS
from provider_attribution.sql.compile import RUN_DATE, QueryBuilder
from provider_attribution.synthetic.claims import SyntheticSpec, demo_inputs, generate
from scope_tables import METHODS, SCOPES, assert_same_rows
from strategies import AS_OF_DATES, datasets, generated


@generated(8)
@given(
    data=datasets(rich=True),
    method=st.sampled_from(sorted(METHODS)),
    as_of=st.lists(st.sampled_from(AS_OF_DATES), max_size=2, unique=True),
    years=st.lists(st.sampled_from([2022, 2023, 2024, 2025]), max_size=2, unique=True),
)
def test_scope_table_matches_literal_keys(
    duckdb_engine: sa.Engine, data: Dataset, method: str, as_of: list[dt.date], years: list[int]
) -> None:
    if not as_of and not years:
        years = [2024]
    note(f"{method} as_of={as_of} years={years}")
    inputs = load(duckdb_engine, data, None)
    assert_same_rows(duckdb_engine, inputs, METHODS[method], as_of, years, data.today)


@pytest.fixture(scope="module")
def demo_engine() -> Any:
    engine = sa.create_engine("duckdb:///:memory:")
    generate(engine, SyntheticSpec(members=250, seed=3), inputs=demo_inputs())
    yield engine
    engine.dispose()


@pytest.mark.parametrize("method", sorted(METHODS))
def test_scope_table_matches_literal_keys_on_demo_data(demo_engine: sa.Engine, method: str) -> None:
    last = SyntheticSpec(members=250, seed=3).last_day
    rows = assert_same_rows(
        demo_engine,
        demo_inputs(),
        METHODS[method],
        [last, dt.date(last.year - 1, 12, 31)],
        [last.year - 1, last.year],
        last + dt.timedelta(days=10),
    )
    assert rows["provider_ranking"], "the comparison saw no rows"
    assert sum(r["lines"] for r in rows["attribution_exclusions"]) > 0


def test_the_scope_table_has_no_literal_dates() -> None:
    """With a scope table the SQL holds no date literal: every bound comes from the table."""
    method = PRESETS["mssp"]
    builder = QueryBuilder(
        demo_inputs(),
        method,
        None,
        dt.date(2031, 5, 17),
        scope_source=sa.table(SCOPES, *map(sa.column, [*QueryBuilder(
            demo_inputs(), method, None).scope_columns(), RUN_DATE])),
    )  # fmt: skip
    run = builder.compile(())
    for select in run.selects().values():
        text = str(select.compile(compile_kwargs={"literal_binds": True}))
        assert "AS DATE)" not in text.replace("CAST(NULL AS DATE)", "")
        assert "2031" not in text
