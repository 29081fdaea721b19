"""SQL text for every supported dialect: each statement parses back in its own dialect, and
the statements write the work tables of the engine's stages, then the outputs."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
import sqlglot
from click.testing import CliRunner
from sqlalchemy.dialects import mysql
from sqlalchemy.schema import CreateTable
from sqlglot import exp

import provider_attribution as pa
from provider_attribution.cli import main
from provider_attribution.emit.sqltext import SUPPORTED_DIALECTS, select_text, sqlalchemy_dialect
from provider_attribution.engines import expressions, output_tables
from provider_attribution.engines.expressions import binary_id
from provider_attribution.engines.profile import MATERIALISABLE_STAGES
from provider_attribution.engines.profiles import profile_for
from provider_attribution.model import outputs
from provider_attribution.model.inputs import Inputs
from provider_attribution.model.method import PRESETS
from provider_attribution.sql.compile import QueryBuilder
from provider_attribution.sql.stages import STAGES
from provider_attribution.warehouse import stage_tables

# SQLAlchemy names → sqlglot's
_READ = {"postgres": "postgres"}


def _written_table(statement: exp.Expr) -> str:
    """The table a statement writes: CREATE TABLE ... AS, or T-SQL's SELECT ... INTO."""
    if isinstance(statement, exp.Create):
        target = statement.this
    else:
        into = statement.find(exp.Into)
        assert into is not None, statement.sql()
        target = into.this
    table = target.find(exp.Table) if not isinstance(target, exp.Table) else target
    assert table is not None
    return table.name


@pytest.mark.parametrize("method", sorted(PRESETS))
@pytest.mark.parametrize("dialect", SUPPORTED_DIALECTS)
def test_every_statement_parses_back_in_its_dialect(dialect: str, method: str) -> None:
    texts = pa.sql_statements(
        dialect,
        method=method,
        as_of=dt.date(2024, 6, 30),
        years=(2023, 2024),
        today=dt.date(2025, 1, 1),
        target_schema="attribution",
    )
    work = _work_tables(dialect, method)
    assert len(texts) == len(work) + len(outputs.WRITTEN) + len(work)
    written, dropped = [], []
    for text in texts:
        parsed = sqlglot.parse(text, read=_READ.get(dialect, dialect))
        assert len(parsed) == 1, text
        assert parsed[0] is not None, text
        if isinstance(parsed[0], exp.Drop):
            dropped.append(_dropped_table(parsed[0]))
        else:
            written.append(_written_table(parsed[0]))
    # the work tables first, in pipeline order, then the outputs; the work tables dropped last
    assert written[: len(work)] == work
    assert sorted(written[len(work) :]) == sorted(outputs.WRITTEN)
    assert dropped == work


def _work_tables(dialect: str, method: str | None = None) -> list[str]:
    """The work tables a run on ``dialect``'s engine writes, in pipeline order (of a run of
    preset ``method``: without the stages that only project the one before)."""
    builder = None if method is None else QueryBuilder(Inputs(), PRESETS[method], None)
    stages = stage_tables.stages_to_write(profile_for(dialect), builder)
    return [stage_tables.work_table_name(stage) for stage in stages]


def _dropped_table(statement: exp.Drop) -> str:
    table = statement.find(exp.Table)
    assert table is not None
    return table.name


def test_printed_sql_writes_the_stages_the_engine_materialises() -> None:
    """Spark's profile writes every materialisable stage; DuckDB the member months, the
    checked lines and the facts; SQLite only the checked lines."""
    in_pipeline_order = [s.name for s in STAGES if s.name in MATERIALISABLE_STAGES]
    assert _work_tables("spark") == [stage_tables.work_table_name(s) for s in in_pipeline_order]
    assert _work_tables("duckdb") == [
        "attribution_member_spans__work",
        "attribution_checked__work",
        "attribution_facts__work",
    ]
    assert _work_tables("sqlite") == ["attribution_checked__work"]
    spark = pa.sql_statements("spark", as_of=dt.date(2024, 6, 30), target_schema="attribution")
    # each later stage reads the work tables before it instead of recomputing them
    assert "attribution.attribution_checked__work" in spark[2]
    assert not [text for text in spark if "pa_checked AS" in text]


def test_a_stage_that_only_projects_the_one_before_is_not_written() -> None:
    """NPI units without gates (``tuva``): ``pa_units`` only adds columns to ``pa_metrics``
    row for row, so Spark reads it inline from the metrics' table; ACO units (``mssp``)
    aggregate per unit, so it is written."""
    tuva, mssp = _work_tables("spark", "tuva"), _work_tables("spark", "mssp")
    units = stage_tables.work_table_name("pa_units")
    assert units in mssp
    assert tuva == [name for name in mssp if name != units]
    spark = pa.sql_statements("spark", as_of=dt.date(2024, 6, 30), target_schema="attribution")
    assert not [text for text in spark if units in text]
    ranking = next(text for text in spark if "CREATE TABLE attribution.provider_ranking" in text)
    assert "attribution.attribution_metrics__work" in ranking


def test_an_unknown_dialect_is_a_value_error_listing_the_supported_ones() -> None:
    with pytest.raises(ValueError, match="unsupported SQL dialect 'informix'") as error:
        pa.sql_statements("informix")
    for name in SUPPORTED_DIALECTS:
        assert name in str(error.value)


def test_the_sql_command_turns_an_unknown_dialect_into_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["sql", "--dialect", "informix", "--as-of", "2024-06-30"])
    assert result.exit_code == 2
    assert "unsupported SQL dialect 'informix'" in result.output
    assert "clickhouse" in result.output


@pytest.mark.parametrize("dialect", ["spark", "tsql", "clickhouse"])
def test_the_sql_command_prints_transpiled_statements(dialect: str) -> None:
    result = CliRunner().invoke(main, ["sql", "--dialect", dialect, "--as-of", "2024-06-30"])
    assert result.exit_code == 0, result.output
    parsed = sqlglot.parse(result.output, read=dialect)
    work = _work_tables(dialect, "tuva")  # the command's default method
    assert len(parsed) == len(work) + len(outputs.WRITTEN) + len(work)
    assert not any(isinstance(s, exp.Drop) for s in parsed[: -len(work)])
    assert all(isinstance(s, exp.Drop) for s in parsed[-len(work) :])


@pytest.mark.parametrize("dialect", SUPPORTED_DIALECTS)
def test_session_settings_are_postgres_planner_settings_only(dialect: str) -> None:
    settings = pa.session_settings(dialect)
    if dialect != "postgres":
        assert settings == []
        return
    assert settings == [
        "SET enable_nestloop = off",
        "SET jit = off",
        "SET max_parallel_workers_per_gather = 0",
    ]


def test_the_sql_command_prints_the_postgres_settings_before_the_statements() -> None:
    result = CliRunner().invoke(main, ["sql", "--dialect", "postgres", "--as-of", "2024-06-30"])
    assert result.exit_code == 0, result.output
    parsed = [s for s in sqlglot.parse(result.output, read="postgres") if s is not None]
    settings = pa.session_settings("postgres")
    assert [s.sql(dialect="postgres", comments=False) for s in parsed[: len(settings)]] == settings
    work = _work_tables("postgres", "tuva")
    created = parsed[len(settings) : -len(work)]
    assert len(created) == len(work) + len(outputs.WRITTEN)
    assert all(isinstance(s, exp.Create) for s in created)


def _mysql(version: tuple[int, ...] | None, *, mariadb: bool = False) -> sa.Dialect:
    dialect = mysql.dialect()
    dialect.server_version_info = version  # type: ignore[assignment]  # None: not yet known
    dialect.is_mariadb = mariadb
    return dialect


@pytest.mark.parametrize(
    ("version", "mariadb", "collation"),
    [
        ((10, 11, 9), True, "utf8mb4_nopad_bin"),  # MariaDB: utf8mb4_bin would pad spaces
        ((8, 0, 36), False, "utf8mb4_0900_bin"),  # MySQL 8: NO PAD binary
        ((5, 7, 44), False, "utf8mb4_bin"),  # the only binary utf8mb4 collation there
        (None, False, "utf8mb4_bin"),  # printed SQL: one that every server has
    ],
)
def test_ids_compare_in_the_servers_binary_collation(
    version: tuple[int, ...] | None, mariadb: bool, collation: str
) -> None:
    dialect = _mysql(version, mariadb=mariadb)
    person = sa.column("person_id", sa.String(20))
    text = str(binary_id(person).compile(dialect=dialect))
    assert text == f"CONVERT(person_id USING utf8mb4) COLLATE {collation}"
    ddl = str(CreateTable(output_tables.table(outputs.RANKING, None)).compile(dialect=dialect))
    assert f"person_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {collation}" in ddl
    assert f"attribution_key VARCHAR(300) CHARACTER SET utf8mb4 COLLATE {collation}" in ddl
    assert "scope VARCHAR(16)," in ddl


def test_postgres_ids_compare_in_the_c_collation_except_when_transpiled() -> None:
    dialect = sqlalchemy_dialect("postgres")
    assert dialect is not None
    person = sa.column("person_id", sa.String(20))
    expected = 'CAST(person_id AS TEXT) COLLATE "C"'
    assert str(binary_id(person).compile(dialect=dialect)) == expected
    ddl = str(CreateTable(output_tables.table(outputs.RANKING, None)).compile(dialect=dialect))
    assert 'person_id VARCHAR(255) COLLATE "C"' in ddl
    transpiling = {expressions.TRANSPILING: True}
    assert (
        str(binary_id(person).compile(dialect=dialect, compile_kwargs=transpiling)) == "person_id"
    )
    spark = select_text(sa.select(binary_id(person)), "spark")
    assert "COLLATE" not in spark.upper()


@pytest.mark.parametrize("name", ["duckdb", "sqlite", "snowflake"])
def test_ids_are_left_alone_where_text_compares_bytewise(name: str) -> None:
    dialect = sqlalchemy_dialect(name)
    assert dialect is not None
    person = sa.column("person_id", sa.String(20))
    assert str(binary_id(person).compile(dialect=dialect)) == "person_id"
    ddl = str(CreateTable(output_tables.table(outputs.RANKING, None)).compile(dialect=dialect))
    assert "person_id VARCHAR(255)" in ddl
    assert "COLLATE" not in ddl
