"""The transpiled Spark SQL runs on Apache Spark (local mode) and gives DuckDB's rows.

Each data set is loaded as Spark temporary views with explicit schemas (strings, dates,
DECIMAL(18,2)), the ``statements(run, "spark", schema)`` text is executed, and the three
attribution tables and the exclusion counts are compared with the SQLAlchemy path on DuckDB.

The engine is named ``spark`` in the registry (engines.py): skipped without pyspark or Java,
failed instead when ``PROVIDER_ATTRIBUTION_REQUIRE`` names it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings

from engines import BackendUnavailableError, required, spark, text_engine_selected
from harness import Dataset, canonical, inputs_for, run_sql
from provider_attribution import outputs
from provider_attribution.method import MEDICAID, MSSP, MSSP_PROSPECTIVE, REACH, TUVA, Method
from provider_attribution.run import build_queries
from provider_attribution.sqltext import statements
from provider_attribution.windows import scope_keys
from scenarios import SCENARIOS, Scenario, check
from strategies import datasets, scopes
from test_conformance import _synthetic

_STRING, _DATE, _MONEY, _INT = "string", "date", "decimal(18,2)", "int"

# input table (as named by harness.inputs_for with no schema) → (column, Spark type)
_COLUMNS: dict[str, Sequence[tuple[str, str]]] = {
    "medical_claim": (
        ("person_id", _STRING),
        ("claim_id", _STRING),
        ("claim_line_number", _INT),
        ("encounter_id", _STRING),
        ("rendering_npi", _STRING),
        ("hcpcs_code", _STRING),
        ("claim_start_date", _DATE),
        ("claim_end_date", _DATE),
        ("allowed_amount", _MONEY),
        ("paid_amount", _MONEY),
        ("tin", _STRING),
        ("revenue_center_code", _STRING),
        ("attending_npi", _STRING),
    ),
    "member_months": (("person_id", _STRING), ("year_month", _STRING)),
    "provider": (("npi", _STRING), ("classification", _STRING), ("entity_type", _STRING)),
    "aco_participants": (
        ("npi", _STRING),
        ("tin", _STRING),
        ("aco_id", _STRING),
        ("start_date", _DATE),
        ("end_date", _DATE),
    ),
    "attested_npis": (("npi", _STRING),),
    "self_selections": (
        ("person_id", _STRING),
        ("npi", _STRING),
        ("effective_date", _DATE),
        ("end_date", _DATE),
    ),
    "geographic_assignments": (
        ("person_id", _STRING),
        ("npi", _STRING),
        ("effective_date", _DATE),
        ("end_date", _DATE),
    ),
}
# Dataset attribute → input table, for the optional inputs
_OPTIONAL = {
    "roster": "aco_participants",
    "attested": "attested_npis",
    "self_selections": "self_selections",
    "geographic": "geographic_assignments",
}


@pytest.fixture(scope="module")
def spark_session() -> Iterator[Any]:
    """One local Spark session for the module: skipped, or failed if required, without it."""
    if not text_engine_selected("spark"):
        pytest.skip("spark: not named in PROVIDER_ATTRIBUTION_BACKENDS")
    try:
        with spark() as session:
            yield session
    except BackendUnavailableError as why:
        if "spark" in required():
            pytest.fail(f"required backend unavailable: {why}", pytrace=False)
        pytest.skip(str(why))


@pytest.fixture(scope="module")
def duckdb() -> Iterator[sa.Engine]:
    engine = sa.create_engine("duckdb:///:memory:")
    yield engine
    engine.dispose()


def _value(value: Any, spark_type: str) -> Any:
    if value is None:
        return None
    if spark_type == _MONEY:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    if spark_type == _DATE:
        return value.date() if isinstance(value, dt.datetime) else value
    if spark_type == _STRING:
        return str(value)
    return int(value)


def _load(session: Any, data: Dataset) -> None:
    """Every input of ``data`` as a temporary view; the optional ones only when present."""
    rows: dict[str, list[dict[str, Any]] | None] = {
        "medical_claim": data.claims,
        "member_months": data.eligibility,
        "provider": data.providers,
    }
    for attribute, table in _OPTIONAL.items():
        rows[table] = getattr(data, attribute)
    for table, columns in _COLUMNS.items():
        session.catalog.dropTempView(table)
        table_rows = rows[table]
        if table_rows is None:
            continue
        schema = ", ".join(f"{name} {spark_type}" for name, spark_type in columns)
        tuples = [
            tuple(_value(row.get(name), spark_type) for name, spark_type in columns)
            for row in table_rows
        ]
        session.createDataFrame(tuples, schema).createOrReplaceTempView(table)


def _run_spark(
    session: Any,
    data: Dataset,
    *,
    method: Method,
    as_of: dt.date | None,
    years: Sequence[int],
) -> dict[str, Any]:
    """Attribute ``data`` with the transpiled Spark SQL; the outputs read back canonically."""
    _load(session, data)
    keys = scope_keys(as_of, years, method.year_anchor)
    run = build_queries(keys, inputs_for(data, None), method=method, today=data.today)
    schema = f"pa_{uuid.uuid4().hex[:10]}"
    session.sql(f"CREATE DATABASE {schema}")
    try:
        for text in statements(run, "spark", schema):
            session.sql(text)
        result: dict[str, Any] = {}
        for name in outputs.TABLES:
            rows = [row.asDict() for row in session.table(f"{schema}.{name}").collect()]
            result[name] = canonical(rows, outputs.column_names(name))
        exclusions = session.table(f"{schema}.{outputs.EXCLUSIONS}").collect()
        result["exclusions"] = {
            str(row["reason"]): int(row["lines"])
            for row in sorted(exclusions, key=lambda r: r["reason_order"])
        }
    finally:
        session.sql(f"DROP DATABASE {schema} CASCADE")
    return result


def _same_as_duckdb(
    session: Any,
    duckdb: sa.Engine,
    data: Dataset,
    *,
    method: Method = TUVA,
    as_of: dt.date | None,
    years: Sequence[int],
) -> dict[str, Any]:
    got = _run_spark(session, data, method=method, as_of=as_of, years=years)
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
def test_rule_scenario_on_spark(spark_session: Any, duckdb: sa.Engine, scenario: Scenario) -> None:
    got = _same_as_duckdb(
        spark_session,
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
def test_every_preset_on_spark(
    spark_session: Any,
    duckdb: sa.Engine,
    method: Method,
    data: Dataset,
    scope: tuple[dt.date | None, list[int]],
) -> None:
    """Rosters, TINs, FQHC lines, attestation and selections: Spark gives DuckDB's rows."""
    as_of, years = scope
    _same_as_duckdb(spark_session, duckdb, data, method=method, as_of=as_of, years=years)


@pytest.mark.parametrize("seed", [11, 12])
def test_synthetic_data_sets_on_spark(spark_session: Any, duckdb: sa.Engine, seed: int) -> None:
    got = _same_as_duckdb(
        spark_session, duckdb, _synthetic(seed), as_of=dt.date(2025, 9, 30), years=[2024, 2025]
    )
    assert len(got[outputs.CURRENT]) > 100
