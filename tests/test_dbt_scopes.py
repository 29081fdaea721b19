"""The ``pa_scope_keys`` model (Jinja) against Python: for many as-of dates, years and run
dates and every preset, its rows are ``QueryBuilder.scopes``' for the keys ``scope_keys``
makes; unset vars give ``warehouse.run``'s defaults. Rendered with jinja2 here (fast, many
cases); ``tests/test_dbt_build.py`` renders the same model with real dbt."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, note, settings
from hypothesis import strategies as st

from provider_attribution.emit.dbt import input_sources, models
from provider_attribution.emit.dbt_scopes import SCOPE_KEYS, VAR_AS_OF, VAR_RUN_DATE, VAR_YEARS
from provider_attribution.engines.expressions import date_literal
from provider_attribution.model.method import PRESETS, Method
from provider_attribution.model.windows import scope_keys
from provider_attribution.sql.compile import RUN_DATE, QueryBuilder
from provider_attribution.synthetic.claims import SyntheticSpec, demo_inputs, generate
from provider_attribution.warehouse.run import resolve_scope
from render_dbt import CompilerError, render
from strategies import odd_method

METHODS: dict[str, Method] = {**PRESETS, "odd_scopes": odd_method()}


@cache
def _model(method: str) -> str:
    """The ``pa_scope_keys`` model of ``method`` over the demo inputs."""
    (found,) = [m for m in models(demo_inputs(), "duckdb", METHODS[method]) if m.name == SCOPE_KEYS]
    return found.sql


@pytest.fixture(scope="module")
def engine() -> Iterator[sa.Engine]:
    engine = sa.create_engine("duckdb:///:memory:")
    yield engine
    engine.dispose()


def _rows(conn: sa.Connection, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in conn.exec_driver_sql(sql)]


def python_rows(
    conn: sa.Connection, method: Method, as_of: list[dt.date], years: list[int], today: dt.date
) -> list[tuple[Any, ...]]:
    keys = scope_keys(as_of, years, method.year_anchor)
    scopes = QueryBuilder(demo_inputs(), method, None, today).scopes(keys)
    select = sa.select(*scopes.c, date_literal(today).label(RUN_DATE))
    return [tuple(r) for r in conn.execute(select)]


days = st.dates(dt.date(1990, 1, 1), dt.date(2040, 12, 31))


@settings(max_examples=150, deadline=None)
@given(
    method=st.sampled_from(sorted(METHODS)),
    as_of=st.lists(days, max_size=3),
    years=st.lists(st.integers(1995, 2035), max_size=3),
    today=days,
    as_text=st.booleans(),
)
def test_the_jinja_keys_are_pythons(
    engine: sa.Engine,
    method: str,
    as_of: list[dt.date],
    years: list[int],
    today: dt.date,
    as_text: bool,
) -> None:
    if not as_of and not years:
        years = [2024]
    note(f"{method} as_of={as_of} years={years} today={today}")
    # vars as YAML gives them (dates, lists) or as comma-separated text
    variables: dict[str, Any] = {VAR_AS_OF: as_of, VAR_YEARS: years, VAR_RUN_DATE: today}
    if as_text:
        variables = {
            VAR_AS_OF: ", ".join(map(str, as_of)) or "none",
            VAR_YEARS: ",".join(map(str, years)) or "none",
            VAR_RUN_DATE: today.isoformat(),
        }
    sql = render(_model(method), variables=variables, run_query=lambda _: [])
    with engine.connect() as conn:
        want = python_rows(conn, METHODS[method], as_of, years, today)
        assert _rows(conn, sql) == want


def test_unset_vars_take_the_defaults_of_run(tmp_path: Any) -> None:
    """No vars: the current scope at the latest claim end date (the run date when that is
    later), every year of the eligibility input, today as the run date."""
    engine = sa.create_engine("duckdb:///:memory:")
    generate(engine, SyntheticSpec(members=60, seed=2), inputs=demo_inputs())
    try:
        with engine.connect() as conn:

            def run_query(sql: str) -> list[tuple[Any, ...]]:
                return _rows(conn, sql)

            tables = {
                (t.source, t.name): f"{t.schema}.{t.name}" for t in input_sources(demo_inputs())
            }

            def source(name: str, table: str) -> str:
                return tables[(name, table)]

            for method in ("mssp", "reach"):
                chosen = METHODS[method]
                for today in (None, dt.date(2025, 3, 31)):
                    variables = {} if today is None else {VAR_RUN_DATE: today.isoformat()}
                    sql = render(
                        _model(method), variables=variables, run_query=run_query, source=source
                    )
                    keys = resolve_scope(
                        conn, demo_inputs(), as_of=None, years=None, today=today, method=chosen
                    )
                    run_date = today or dt.date.today()
                    assert len(keys) > 2
                    assert keys[0].anchor_end <= run_date
                    builder = QueryBuilder(demo_inputs(), chosen, None, run_date)
                    select = sa.select(
                        *builder.scopes(keys).c, date_literal(run_date).label(RUN_DATE)
                    )
                    assert _rows(conn, sql) == [tuple(r) for r in conn.execute(select)]
                    # only years given: the current key still from the data
                    sql = render(
                        _model(method), variables={**variables, VAR_YEARS: [2024]},
                        run_query=run_query, source=source,
                    )  # fmt: skip
                    assert [r[1:3] for r in _rows(conn, sql)] == [
                        ("current", None),
                        ("yearly", 2024),
                    ]
    finally:
        engine.dispose()


def test_no_scope_key_and_too_early_windows_stop_the_build() -> None:
    with pytest.raises(CompilerError, match="no scope key"):
        render(_model("tuva"), variables={VAR_AS_OF: [], VAR_YEARS: "none"}, run_query=lambda _: [])
    with pytest.raises(CompilerError, match="before year 1"):
        render(_model("tuva"), variables={VAR_AS_OF: "0001-06-30", VAR_YEARS: []})
