"""Engines without a SQLAlchemy driver, fed the transpiled SQL text of
``sqltext.staged_statements``.

Each engine loads a :class:`~harness.Dataset` under the input names of ``harness.inputs_for``
with explicit column types (strings, dates, DECIMAL(18,2)), executes the ``CREATE TABLE ... AS``
statements of a run in its own dialect (work tables of the stages its profile writes, then the
outputs) and reads the outputs back canonically, so that a test
compares them with the SQLAlchemy path on DuckDB.

| engine     | provided by                                                               |
|------------|---------------------------------------------------------------------------|
| spark      | pyspark (``spark`` extra) and Java 17+: a local session, inputs as views  |
| clickhouse | chdb (``clickhouse`` extra): embedded, Memory tables in a database         |
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from engines import BackendUnavailableError
from harness import Dataset, beneficiary_counts, canonical, inputs_for
from provider_attribution.emit.sqltext import staged_statements
from provider_attribution.model import outputs
from provider_attribution.model.method import Method
from provider_attribution.model.windows import scope_keys
from provider_attribution.sql.compile import QueryBuilder

STRING, DATE, MONEY, INT = "string", "date", "decimal(18,2)", "int"

# input table (as named by harness.inputs_for) → (column, portable type)
COLUMNS: dict[str, Sequence[tuple[str, str]]] = {
    "medical_claim": (
        ("person_id", STRING),
        ("claim_id", STRING),
        ("claim_line_number", INT),
        ("encounter_id", STRING),
        ("rendering_npi", STRING),
        ("hcpcs_code", STRING),
        ("claim_start_date", DATE),
        ("claim_end_date", DATE),
        ("allowed_amount", MONEY),
        ("paid_amount", MONEY),
        ("tin", STRING),
        ("revenue_center_code", STRING),
        ("attending_npi", STRING),
        ("place_of_service", STRING),
        ("bill_type", STRING),
    ),
    "member_months": (("person_id", STRING), ("year_month", STRING)),
    "provider": (
        ("npi", STRING),
        ("classification", STRING),
        ("entity_type", STRING),
        ("specialty_description", STRING),
    ),
    "aco_participants": (
        ("npi", STRING),
        ("tin", STRING),
        ("aco_id", STRING),
        ("start_date", DATE),
        ("end_date", DATE),
        ("performance_year", INT),
    ),
    "attested_npis": (("npi", STRING),),
    "self_selections": (
        ("person_id", STRING),
        ("npi", STRING),
        ("effective_date", DATE),
        ("end_date", DATE),
    ),
    "geographic_assignments": (
        ("person_id", STRING),
        ("npi", STRING),
        ("effective_date", DATE),
        ("end_date", DATE),
    ),
    "enrollment": (
        ("person_id", STRING),
        ("year_month", STRING),
        ("part_a", STRING),
        ("part_b", STRING),
        ("managed_care", STRING),
        ("outside_us", STRING),
        ("other_initiative", STRING),
        ("death_date", DATE),
    ),
}
# Dataset attribute → input table, for the optional inputs
_OPTIONAL = {
    "roster": "aco_participants",
    "attested": "attested_npis",
    "self_selections": "self_selections",
    "geographic": "geographic_assignments",
    "enrollment": "enrollment",
}


def typed(value: Any, kind: str) -> Any:
    """``value`` as the Python value of column type ``kind`` (None stays None)."""
    if value is None:
        return None
    if kind == MONEY:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    if kind == DATE:
        return value.date() if isinstance(value, dt.datetime) else value
    if kind == STRING:
        return str(value)
    return int(value)


def input_rows(data: Dataset) -> dict[str, list[dict[str, Any]]]:
    """Input table → rows of ``data``; optional inputs the data set lacks are left out."""
    rows: dict[str, list[dict[str, Any]]] = {
        "medical_claim": data.claims,
        "member_months": data.eligibility,
        "provider": data.providers,
    }
    for attribute, table in _OPTIONAL.items():
        optional = getattr(data, attribute)
        if optional is not None:
            rows[table] = optional
    return rows


class TextEngine(Protocol):
    """An engine that runs SQL text in dialect :attr:`dialect`."""

    dialect: str

    def load(self, data: Dataset) -> str | None:
        """Make the inputs of ``data`` readable; the schema they are in (None: unqualified)."""

    def execute(self, text: str) -> None:
        """Run one statement."""

    def rows(self, schema: str, table: str) -> list[dict[str, Any]]:
        """Every row of ``schema.table`` as a dict."""

    def create_schema(self, schema: str) -> None:
        """Create an empty schema (database)."""

    def drop_schema(self, schema: str) -> None:
        """Drop a schema and everything in it."""


class SparkEngine:
    """Spark SQL on a local session; inputs are temporary views with explicit schemas."""

    dialect = "spark"

    def __init__(self, session: Any) -> None:
        self.session = session

    def load(self, data: Dataset) -> str | None:
        rows = input_rows(data)
        for table, columns in COLUMNS.items():
            self.session.catalog.dropTempView(table)
            if table not in rows:
                continue
            schema = ", ".join(f"{name} {kind}" for name, kind in columns)
            tuples = [tuple(typed(row.get(c), kind) for c, kind in columns) for row in rows[table]]
            self.session.createDataFrame(tuples, schema).createOrReplaceTempView(table)
        return None

    def execute(self, text: str) -> None:
        self.session.sql(text)

    def rows(self, schema: str, table: str) -> list[dict[str, Any]]:
        return [row.asDict() for row in self.session.table(f"{schema}.{table}").collect()]

    def create_schema(self, schema: str) -> None:
        self.session.sql(f"CREATE DATABASE {schema}")

    def drop_schema(self, schema: str) -> None:
        self.session.sql(f"DROP DATABASE {schema} CASCADE")


_CLICKHOUSE_TYPES = {
    STRING: "Nullable(String)",
    DATE: "Nullable(Date)",
    MONEY: "Nullable(Decimal(18, 2))",
    INT: "Nullable(Int32)",
}


def _clickhouse_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


class ClickHouseEngine:
    """ClickHouse SQL on chDB; inputs are Memory tables with Nullable column types in the
    run's database."""

    dialect = "clickhouse"

    def __init__(self, session: Any) -> None:
        self.session = session
        self._schema: str | None = None

    def load(self, data: Dataset) -> str | None:
        assert self._schema is not None, "create_schema first"
        for table, values in input_rows(data).items():
            columns = COLUMNS[table]
            body = ", ".join(f"{name} {_CLICKHOUSE_TYPES[kind]}" for name, kind in columns)
            self.execute(f"CREATE TABLE {self._schema}.{table} ({body}) ENGINE = Memory")
            if values:
                tuples = ", ".join(
                    "("
                    + ", ".join(_clickhouse_literal(typed(r.get(c), k)) for c, k in columns)
                    + ")"
                    for r in values
                )
                self.execute(f"INSERT INTO {self._schema}.{table} VALUES {tuples}")
        return self._schema

    def execute(self, text: str) -> None:
        self.session.query(text, "CSV")

    def rows(self, schema: str, table: str) -> list[dict[str, Any]]:
        out = self.session.query(f"SELECT * FROM {schema}.{table}", "JSONEachRow").bytes()
        return [json.loads(line) for line in out.decode().splitlines() if line.strip()]

    def create_schema(self, schema: str) -> None:
        self.execute(f"CREATE DATABASE {schema}")
        self._schema = schema

    def drop_schema(self, schema: str) -> None:
        self.execute(f"DROP DATABASE {schema}")
        self._schema = None


_HOW = {
    "spark": "install the spark extra (pip install -e '.[spark]') and Java 17 or newer",
    "clickhouse": "install the clickhouse extra (pip install -e '.[clickhouse]')",
}


@contextlib.contextmanager
def _spark() -> Iterator[SparkEngine]:
    """A local Spark session (UTC, ANSI mode, one shuffle partition, no code generation, a
    temporary warehouse)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        why = f"spark: pyspark is not installed; {_HOW['spark']}"
        raise BackendUnavailableError(why) from error
    java_home = os.environ.get("JAVA_HOME")
    if not shutil.which("java") and not (java_home and (Path(java_home) / "bin/java").exists()):
        raise BackendUnavailableError(f"spark: no java on PATH and no JAVA_HOME; {_HOW['spark']}")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            session = (
                SparkSession.builder.master("local[2]")
                .appName("provider-attribution-conformance")
                .config("spark.sql.shuffle.partitions", "1")
                .config("spark.default.parallelism", "1")
                # The conformance data sets are tiny: compiling Java for each plan, re-planning
                # adaptively and broadcasting cost more than the rows (about 10 s -> 4 s a set).
                .config("spark.sql.adaptive.enabled", "false")
                .config("spark.sql.codegen.wholeStage", "false")
                .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
                .config("spark.sql.autoBroadcastJoinThreshold", "-1")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.sql.ansi.enabled", "true")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.warehouse.dir", str(Path(tmp) / "warehouse"))
                # The JIT's first tier only and one GC thread: a test session is short, and
                # on a busy 2-core machine the optimising compiler and parallel GC cost more
                # CPU than they save (about 10 % of Spark's CPU seconds in the suite).
                .config(
                    "spark.driver.extraJavaOptions",
                    f"-Dderby.system.home={tmp} -XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
                )
                .getOrCreate()
            )
        except Exception as error:
            raise BackendUnavailableError(
                f"spark: cannot start a local session ({error})"
            ) from error
        session.sparkContext.setLogLevel("ERROR")
        try:
            yield SparkEngine(session)
        finally:
            session.stop()


@contextlib.contextmanager
def _clickhouse() -> Iterator[ClickHouseEngine]:
    """An embedded chDB session with the two settings the ClickHouse SQL needs."""
    try:
        from chdb import session as chdb_session
    except ImportError as error:
        raise BackendUnavailableError(
            f"clickhouse: chdb is not installed ({error}); {_HOW['clickhouse']}"
        ) from error
    with tempfile.TemporaryDirectory() as tmp:
        session = chdb_session.Session(tmp)
        engine = ClickHouseEngine(session)
        # CREATE TABLE ... AS needs an engine to write to.
        engine.execute("SET default_table_engine = 'Memory'")
        # Standard outer joins: NULL, not the column type's default, for missing rows.
        engine.execute("SET join_use_nulls = 1")
        try:
            yield engine
        finally:
            session.close()


def open_text_engine(name: str) -> contextlib.AbstractContextManager[TextEngine]:
    """The context manager providing text engine ``name``; BackendUnavailableError if it
    cannot be provided here."""
    if name == "spark":
        return _spark()
    if name == "clickhouse":
        return _clickhouse()
    raise ValueError(f"unknown text engine {name!r}; known: {sorted(_HOW)}")


def run_text(
    engine: TextEngine,
    data: Dataset,
    *,
    method: Method,
    as_of: dt.date | None,
    years: Sequence[int],
) -> dict[str, Any]:
    """Attribute ``data`` with the statements of ``engine``'s dialect; the three attribution
    tables read back canonically and ``exclusions`` as reason → lines in reason order."""
    schema = f"pa_{uuid.uuid4().hex[:10]}"
    engine.create_schema(schema)
    try:
        inputs_schema = engine.load(data)
        keys = scope_keys(as_of, years, method.year_anchor)
        builder = QueryBuilder(inputs_for(data, inputs_schema), method, None, data.today)
        for text in staged_statements(builder, keys, engine.dialect, schema):
            engine.execute(text)
        result: dict[str, Any] = {
            name: canonical(engine.rows(schema, name), outputs.column_names(name))
            for name in outputs.TABLES
        }
        counts = sorted(engine.rows(schema, outputs.EXCLUSIONS), key=lambda r: r["reason_order"])
        result["exclusions"] = {str(r["reason"]): int(r["lines"]) for r in counts}
        beneficiaries = engine.rows(schema, outputs.BENEFICIARY_EXCLUSIONS)
        result[outputs.BENEFICIARY_EXCLUSIONS] = beneficiary_counts(beneficiaries)
    finally:
        engine.drop_schema(schema)
    return result
