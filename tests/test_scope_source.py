"""Scope keys and code lists read from tables (``QueryBuilder(scope_source=..., code_source=...)``
and the crosswalk and revenue-code sources, what the dbt export compiles) give exactly the rows
of the SQL with literal keys and inlined code lists, for every preset, on generated and demo
data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, note, settings
from hypothesis import strategies as st

from harness import Dataset, load
from provider_attribution.engines.expressions import date_literal
from provider_attribution.model.inputs import Inputs
from provider_attribution.model.method import PRESETS, Method
from provider_attribution.model.valuesets import ValueSets
from provider_attribution.model.windows import scope_keys
from provider_attribution.sql.compile import RUN_DATE, CompiledRun, QueryBuilder
from provider_attribution.sql.specialties import SPECIALTY_COLUMNS, TAXONOMY_COLUMNS
from provider_attribution.synthetic.claims import SyntheticSpec, demo_inputs, generate
from strategies import AS_OF_DATES, datasets, odd_method

SCOPES = "pa_test_scope_keys"
CODES = "pa_test_pc_codes"
SPECIALTIES = "pa_test_specialties"
TAXONOMIES = "pa_test_taxonomies"
REVENUE_CODES = "pa_test_revenue_codes"


def _text_table(
    conn: sa.Connection, name: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> sa.TableClause:
    """Table ``name`` of text ``columns`` holding ``rows``."""
    types = ", ".join(f"{col} VARCHAR" for col in columns)
    conn.exec_driver_sql(f"CREATE OR REPLACE TABLE {name} ({types})")
    table = sa.table(name, *map(sa.column, columns))
    if rows:
        conn.execute(sa.insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
    return table


def _specialty(code: str) -> str:
    """A specialty code as a user might write it: '01' as ' 1', others lower case."""
    return f" {code[1]}" if code.startswith("0") else code.lower()


def _crosswalk_tables(conn: sa.Connection, builder: QueryBuilder) -> dict[str, sa.TableClause]:
    """The builder's specialty and taxonomy crosswalks and FQHC/RHC revenue codes as tables,
    their codes written unnormalised (normalised when read), by ``QueryBuilder`` argument."""
    vs = builder.valuesets
    specialties = [
        (_specialty(code), vs.specialty_bucket.get(code), vs.specialty_description.get(code))
        for code in sorted(vs.specialty_bucket.keys() | vs.specialty_description.keys())
    ]
    taxonomies = [
        (f" {tax.lower()}", _specialty(spec)) for tax, spec in vs.taxonomy_specialty.items()
    ]
    revenue = [(f" {code} ",) for code in sorted(builder.method.fqhc_revenue_codes)]
    return {
        "specialty_source": _text_table(conn, SPECIALTIES, SPECIALTY_COLUMNS, specialties),
        "taxonomy_source": _text_table(conn, TAXONOMIES, TAXONOMY_COLUMNS, taxonomies),
        "revenue_code_source": _text_table(conn, REVENUE_CODES, ("revenue_center_code",), revenue),
    }


def _write_tables(
    conn: sa.Connection, builder: QueryBuilder, keys: Any, today: dt.date
) -> tuple[sa.TableClause, sa.TableClause]:
    """The keys of ``builder.scopes(keys)`` plus the run date, and the builder's primary-care
    lists, as tables."""
    scopes = builder.scopes(keys)
    select = sa.select(*scopes.c, date_literal(today).label(RUN_DATE))
    text = select.compile(conn.engine, compile_kwargs={"literal_binds": True})
    conn.exec_driver_sql(f"CREATE OR REPLACE TABLE {SCOPES} AS {text}")
    conn.exec_driver_sql(f"CREATE OR REPLACE TABLE {CODES} (slot INTEGER, hcpcs_code VARCHAR)")
    rows = [
        {"slot": slot, "hcpcs_code": f" {code.lower()} "}  # normalised when read
        for slot, codes in enumerate(builder.primary_care_lists(), start=1)
        for code in sorted(codes)
    ]
    codes = sa.table(CODES, sa.column("slot"), sa.column("hcpcs_code"))
    if rows:
        conn.execute(sa.insert(codes), rows)
    columns = [*builder.scope_columns(), RUN_DATE]
    return sa.table(SCOPES, *map(sa.column, columns)), codes


def _rows(conn: sa.Connection, run: CompiledRun) -> dict[str, list[tuple[Any, ...]]]:
    return {
        name: sorted((tuple(r) for r in conn.execute(select)), key=lambda r: tuple(map(repr, r)))
        for name, select in run.selects().items()
    }


def assert_same_rows(
    engine: sa.Engine,
    inputs: Inputs,
    method: Method,
    as_of: list[dt.date],
    years: list[int],
    today: dt.date,
    valuesets: ValueSets | None = None,
) -> dict[str, list[tuple[Any, ...]]]:
    keys = scope_keys(as_of, years, method.year_anchor)
    literal = QueryBuilder(inputs, method, valuesets, today)
    with engine.begin() as conn:
        scopes, codes = _write_tables(conn, literal, keys, today)
        crosswalks = _crosswalk_tables(conn, literal)
        want = _rows(conn, literal.compile(keys))
        tabled = QueryBuilder(
            inputs, method, valuesets, dt.date(1900, 1, 1), scope_source=scopes,
            code_source=codes, **crosswalks,
        )  # fmt: skip
        got = _rows(conn, tabled.compile(()))
    for name in want:
        assert got[name] == want[name], name
    return want


METHODS = sorted(PRESETS)
ALL_METHODS = {**PRESETS, "odd_scopes": odd_method()}


@settings(max_examples=25, deadline=None)
@given(
    data=datasets(rich=True),
    method=st.sampled_from(sorted(ALL_METHODS)),
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
    assert_same_rows(duckdb_engine, inputs, ALL_METHODS[method], as_of, years, data.today)


@pytest.fixture(scope="module")
def demo_engine() -> Any:
    engine = sa.create_engine("duckdb:///:memory:")
    generate(engine, SyntheticSpec(members=250, seed=3), inputs=demo_inputs())
    yield engine
    engine.dispose()


@pytest.mark.parametrize("method", sorted(ALL_METHODS))
def test_scope_table_matches_literal_keys_on_demo_data(demo_engine: sa.Engine, method: str) -> None:
    last = SyntheticSpec(members=250, seed=3).last_day
    rows = assert_same_rows(
        demo_engine,
        demo_inputs(),
        ALL_METHODS[method],
        [last, dt.date(last.year - 1, 12, 31)],
        [last.year - 1, last.year],
        last + dt.timedelta(days=10),
    )
    assert rows["provider_ranking"], "the comparison saw no rows"
    assert sum(r[-1] for r in rows["attribution_exclusions"]) > 0


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
