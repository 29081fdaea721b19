"""The transpiled ClickHouse SQL runs on chDB (embedded ClickHouse) and gives DuckDB's rows.

Inputs are Memory tables with explicit Nullable column types; ``CREATE TABLE ... AS`` gets
its engine from ``default_table_engine``, and ``join_use_nulls = 1`` is required (without it an
outer join fills missing columns with '' and 0 instead of NULL). The engine is named
``clickhouse`` in the registry (engines.py): skipped without chdb, failed instead when
``PROVIDER_ATTRIBUTION_REQUIRE`` names it.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings

from engines import required, text_engine_selected
from harness import Dataset, canonical, inputs_for, run_sql
from provider_attribution import outputs
from provider_attribution.method import MEDICAID, MSSP, MSSP_PROSPECTIVE, REACH, TUVA, Method
from provider_attribution.run import build_queries
from provider_attribution.sqltext import statements
from provider_attribution.windows import scope_keys
from scenarios import SCENARIOS, Scenario, check
from strategies import datasets, scopes
from test_conformance import _synthetic
from test_spark import _COLUMNS, _OPTIONAL, _value

_TYPES = {
    "string": "Nullable(String)",
    "date": "Nullable(Date)",
    "decimal(18,2)": "Nullable(Decimal(18, 2))",
    "int": "Nullable(Int32)",
}


class _ClickHouse:
    def __init__(self, session: Any) -> None:
        self.session = session

    def run(self, text: str) -> None:
        self.session.query(text, "CSV")

    def rows(self, text: str) -> list[dict[str, Any]]:
        out = self.session.query(text, "JSONEachRow").bytes().decode()
        return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def clickhouse() -> Iterator[_ClickHouse]:
    """One chDB session for the module: skipped, or failed if required, without chdb."""
    if not text_engine_selected("clickhouse"):
        pytest.skip("clickhouse: not named in PROVIDER_ATTRIBUTION_BACKENDS")
    try:
        from chdb import session as chdb_session
    except ImportError as error:
        why = f"clickhouse: chdb is not installed; pip install chdb ({error})"
        if "clickhouse" in required():
            pytest.fail(f"required backend unavailable: {why}", pytrace=False)
        pytest.skip(why)
    with tempfile.TemporaryDirectory() as tmp:
        session = chdb_session.Session(tmp)
        engine = _ClickHouse(session)
        engine.run("SET default_table_engine = 'Memory'")
        # Standard outer joins: NULL, not the column type's default, for missing rows.
        engine.run("SET join_use_nulls = 1")
        yield engine
        session.close()


@pytest.fixture(scope="module")
def duckdb() -> Iterator[sa.Engine]:
    engine = sa.create_engine("duckdb:///:memory:")
    yield engine
    engine.dispose()


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _load(ch: _ClickHouse, data: Dataset, schema: str) -> None:
    rows: dict[str, list[dict[str, Any]] | None] = {
        "medical_claim": data.claims,
        "member_months": data.eligibility,
        "provider": data.providers,
    }
    for attribute, table in _OPTIONAL.items():
        rows[table] = getattr(data, attribute)
    for table, columns in _COLUMNS.items():
        table_rows = rows[table]
        if table_rows is None:
            continue
        body = ", ".join(f"{name} {_TYPES[spark_type]}" for name, spark_type in columns)
        ch.run(f"CREATE TABLE {schema}.{table} ({body}) ENGINE = Memory")
        if table_rows:
            values = ", ".join(
                "(" + ", ".join(_literal(_value(r.get(c), t)) for c, t in columns) + ")"
                for r in table_rows
            )
            ch.run(f"INSERT INTO {schema}.{table} VALUES {values}")


def _run_clickhouse(
    ch: _ClickHouse,
    data: Dataset,
    *,
    method: Method,
    as_of: dt.date | None,
    years: Sequence[int],
) -> dict[str, Any]:
    schema = f"pa_{uuid.uuid4().hex[:10]}"
    ch.run(f"CREATE DATABASE {schema}")
    try:
        _load(ch, data, schema)
        keys = scope_keys(as_of, years, method.year_anchor)
        run = build_queries(keys, inputs_for(data, schema), method=method, today=data.today)
        for text in statements(run, "clickhouse", schema):
            ch.run(text)
        result: dict[str, Any] = {}
        for name in outputs.TABLES:
            rows = ch.rows(f"SELECT * FROM {schema}.{name}")
            result[name] = canonical(rows, outputs.column_names(name))
        exclusions = ch.rows(f"SELECT * FROM {schema}.{outputs.EXCLUSIONS} ORDER BY reason_order")
        result["exclusions"] = {str(r["reason"]): int(r["lines"]) for r in exclusions}
    finally:
        ch.run(f"DROP DATABASE {schema}")
    return result


def _same_as_duckdb(
    ch: _ClickHouse,
    duckdb: sa.Engine,
    data: Dataset,
    *,
    method: Method = TUVA,
    as_of: dt.date | None,
    years: Sequence[int],
) -> dict[str, Any]:
    got = _run_clickhouse(ch, data, method=method, as_of=as_of, years=years)
    want = run_sql(
        duckdb,
        data,
        schema="pa_in",
        target_schema="pa_out",
        method=method,
        as_of=as_of,
        years=years,
    )
    for table in outputs.TABLES:
        assert got[table] == want[table], f"{table} differs from DuckDB"
    assert got["exclusions"] == dict(want["exclusions"]), "exclusions differ from DuckDB"
    return got


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_rule_scenario_on_clickhouse(
    clickhouse: _ClickHouse, duckdb: sa.Engine, scenario: Scenario
) -> None:
    got = _same_as_duckdb(
        clickhouse,
        duckdb,
        scenario.dataset(),
        method=scenario.method,
        as_of=scenario.as_of,
        years=scenario.years,
    )
    check(scenario, got)


@pytest.mark.parametrize(
    "method", [TUVA, MSSP, MSSP_PROSPECTIVE, MEDICAID, REACH], ids=lambda m: m.name
)
@given(data=datasets(rich=True), scope=scopes)
@settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_preset_on_clickhouse(
    clickhouse: _ClickHouse,
    duckdb: sa.Engine,
    method: Method,
    data: Dataset,
    scope: tuple[dt.date | None, list[int]],
) -> None:
    as_of, years = scope
    _same_as_duckdb(clickhouse, duckdb, data, method=method, as_of=as_of, years=years)


@pytest.mark.parametrize("seed", [11, 12])
def test_synthetic_data_sets_on_clickhouse(
    clickhouse: _ClickHouse, duckdb: sa.Engine, seed: int
) -> None:
    got = _same_as_duckdb(
        clickhouse, duckdb, _synthetic(seed), as_of=dt.date(2025, 9, 30), years=[2024, 2025]
    )
    assert len(got[outputs.CURRENT]) > 100
