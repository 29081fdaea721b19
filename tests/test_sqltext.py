"""SQL text for every supported dialect: each statement parses back in its own dialect."""

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
from provider_attribution.emit.sqltext import SUPPORTED_DIALECTS, sqlalchemy_dialect
from provider_attribution.engines import output_tables
from provider_attribution.engines.expressions import binary_id
from provider_attribution.model import outputs
from provider_attribution.model.method import PRESETS

# SQLAlchemy names → sqlglot's
_READ = {"postgres": "postgres"}


def _written_table(statement: exp.Expression) -> str:
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
    assert len(texts) == len(outputs.WRITTEN)
    written = []
    for text in texts:
        parsed = sqlglot.parse(text, read=_READ.get(dialect, dialect))
        assert len(parsed) == 1, text
        assert parsed[0] is not None, text
        written.append(_written_table(parsed[0]))
    assert sorted(written) == sorted(outputs.WRITTEN)


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
    assert len(sqlglot.parse(result.output, read=dialect)) == len(outputs.WRITTEN)


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
    parsed = sqlglot.parse(result.output, read="postgres")
    settings = pa.session_settings("postgres")
    assert [s.sql(dialect="postgres", comments=False) for s in parsed[: len(settings)]] == settings
    created = parsed[len(settings) :]
    assert len(created) == len(outputs.WRITTEN)
    assert all(isinstance(s, exp.Create) for s in created)


def _mysql(version: tuple[int, ...] | None, *, mariadb: bool = False) -> sa.Dialect:
    dialect = mysql.dialect()
    dialect.server_version_info = version
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


@pytest.mark.parametrize("name", ["duckdb", "postgres", "sqlite", "snowflake"])
def test_ids_are_left_alone_where_text_compares_bytewise(name: str) -> None:
    dialect = sqlalchemy_dialect(name)
    assert dialect is not None
    person = sa.column("person_id", sa.String(20))
    assert str(binary_id(person).compile(dialect=dialect)) == "person_id"
    ddl = str(CreateTable(output_tables.table(outputs.RANKING, None)).compile(dialect=dialect))
    assert "person_id VARCHAR(255)" in ddl
    assert "COLLATE" not in ddl
