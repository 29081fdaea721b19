"""dbt models of a run: files, SQL in every dialect, schema.yml, and the same rows as a run."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import sqlglot
import yaml
from click.testing import CliRunner
from sqlglot import exp

from provider_attribution.cli import main
from provider_attribution.emit.dbt import (
    CONFIG,
    config_header,
    input_sources,
    model_sql,
    sqlglot_dialect,
    write_dbt_project,
)
from provider_attribution.model import outputs
from provider_attribution.model.inputs import Inputs
from provider_attribution.model.method_file import resolve_method
from provider_attribution.model.windows import scope_keys
from provider_attribution.sql.compile import CompiledRun
from provider_attribution.synthetic.claims import SyntheticSpec, demo_inputs, generate
from provider_attribution.warehouse.run import attribute, build_queries

DIALECTS = ("duckdb", "postgres", "snowflake", "bigquery", "spark")
SPEC = SyntheticSpec(members=300, seed=1)
AS_OF = SPEC.last_day
YEARS = (AS_OF.year - 1, AS_OF.year)
TODAY = AS_OF + dt.timedelta(days=30)
SOURCE = re.compile(r"\{\{ source\('([^']+)', '([^']+)'\) \}\}")
REF = re.compile(r"\{\{ ref\('([^']+)'\) \}\}")
MODEL_FILES = {f"{name}.sql" for name in outputs.WRITTEN}


def _run(inputs: Inputs, method: str = "tuva") -> CompiledRun:
    loaded = resolve_method(method)
    keys = scope_keys(AS_OF, YEARS, loaded.method.year_anchor)
    return build_queries(
        keys, inputs, method=loaded.method, valuesets=loaded.valuesets, today=TODAY
    )


def render(sql: str, tables: dict[tuple[str, str], str], ref_schema: str | None) -> str:
    """What dbt would run: sources and refs as plain table names, without the config header."""
    header, body = sql.split("\n", 1)
    assert header.startswith("{{ config(materialized='table'")
    assert header.endswith(") }}")
    body = SOURCE.sub(lambda m: tables[(m.group(1), m.group(2))], body)
    return REF.sub(lambda m: f"{ref_schema}.{m.group(1)}" if ref_schema else m.group(1), body)


def _source_tables(inputs: Inputs) -> dict[tuple[str, str], str]:
    return {
        (s.source, s.name): f"{s.schema}.{s.name}" if s.schema else s.name
        for s in input_sources(inputs)
    }


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Dialect → file name → text, for the demo inputs."""
    inputs = demo_inputs()
    run = _run(inputs)
    result: dict[str, dict[str, str]] = {}
    for dialect in DIALECTS:
        out = tmp_path_factory.mktemp(dialect)
        paths = write_dbt_project(out, run, inputs, dialect)
        assert all(p.parent == out for p in paths)
        result[dialect] = {p.name: p.read_text(encoding="utf-8") for p in paths}
    return result


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_model_per_output_and_a_schema_file(
    written: dict[str, dict[str, str]], dialect: str
) -> None:
    files = written[dialect]
    assert set(files) == MODEL_FILES | {"schema.yml"}
    for name in MODEL_FILES:
        assert files[name].startswith(config_header(dialect) + "\n")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_postgres_models_set_the_planner_settings_in_their_transaction(dialect: str) -> None:
    """PostgreSQL models turn nested loops, JIT and parallel workers off with pre-hooks (SET
    LOCAL: the model's own transaction); the other dialects get the plain table config."""
    header = config_header(dialect)
    if dialect != "postgres":
        assert header == CONFIG
        return
    hooks = re.fullmatch(r"\{\{ config\(materialized='table', pre_hook=\[(.*)\]\) \}\}", header)
    assert hooks is not None, header
    assert re.findall(r"'([^']*)'", hooks.group(1)) == [
        "SET LOCAL enable_nestloop = off",
        "SET LOCAL jit = off",
        "SET LOCAL max_parallel_workers_per_gather = 0",
    ]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_models_read_sources_and_the_ranking_ref(
    written: dict[str, dict[str, str]], dialect: str
) -> None:
    files = written[dialect]
    for name in (outputs.CURRENT, outputs.YEARLY):
        sql = files[f"{name}.sql"]
        assert REF.findall(sql) == [outputs.RANKING]
        assert not SOURCE.search(sql)
        # the qualifiers of the ranking's columns are kept, read through the alias
        assert "provider_ranking.person_id" in sql
        assert "AS provider_ranking" in sql
    for name in (outputs.RANKING, outputs.EXCLUSIONS):
        sql = files[f"{name}.sql"]
        used = {table for _, table in SOURCE.findall(sql)}
        assert {"medical_claim", "member_months", "provider"} <= used
        assert not REF.search(sql)
        # no input table is read by its schema-qualified name any more
        assert "core.medical_claim" not in sql.replace('"', "").replace("`", "")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_model_sql_parses_in_its_dialect(written: dict[str, dict[str, str]], dialect: str) -> None:
    tables = _source_tables(demo_inputs())
    for name in MODEL_FILES:
        text = render(written[dialect][name], tables, "analytics")
        tree = sqlglot.parse_one(text, read=sqlglot_dialect(dialect))
        assert isinstance(tree, exp.Query)
        names = {t.name for t in tree.find_all(exp.Table)}
        assert not any(n.startswith("__pa_dbt_") for n in names)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_schema_yml_sources_models_and_tests(
    written: dict[str, dict[str, str]], dialect: str
) -> None:
    doc = yaml.safe_load(written[dialect]["schema.yml"])
    assert doc["version"] == 2
    sources = {
        (s["name"], t["name"]): (s["schema"], t) for s in doc["sources"] for t in s["tables"]
    }
    assert sources.keys() == _source_tables(demo_inputs()).keys()
    schema, claims = sources[("provider_attribution_core", "medical_claim")]
    assert schema == "core"
    assert {"person_id", "claim_id", "rendering_npi"} <= {c["name"] for c in claims["columns"]}
    models = {m["name"]: m for m in doc["models"]}
    assert list(models) == list(outputs.WRITTEN)

    def column_tests(model: str) -> dict[str, list[Any]]:
        return {c["name"]: c.get("data_tests", []) for c in models[model]["columns"]}

    for model in outputs.WRITTEN:
        assert models[model]["description"]
        assert [c["name"] for c in models[model]["columns"]] == outputs.column_names(model)
        assert all(c["description"] for c in models[model]["columns"])
    for model in (outputs.CURRENT, outputs.YEARLY):
        assert column_tests(model)["attribution_key"] == ["not_null", "unique"]
        assert "data_tests" not in models[model]
    assert column_tests(outputs.EXCLUSIONS)["reason"] == ["not_null", "unique"]
    ranking = column_tests(outputs.RANKING)
    for col in ("attribution_key", "attribution_type", "provider_id"):
        assert ranking[col] == ["not_null"]
    (unique,) = models[outputs.RANKING]["data_tests"]
    expression = unique["unique"]["column_name"]
    # a valid expression in the dialect, over exactly the grain columns
    parsed = sqlglot.parse_one(f"SELECT {expression} FROM t", read=sqlglot_dialect(dialect))
    assert {c.name for c in parsed.find_all(exp.Column)} == {
        "attribution_key",
        "attribution_type",
        "provider_id",
    }


def test_one_source_when_the_inputs_share_a_schema(tmp_path: Path) -> None:
    inputs = demo_inputs().in_schema("raw")
    write_dbt_project(tmp_path, _run(inputs), inputs, "duckdb", source_name="claims_db")
    doc = yaml.safe_load((tmp_path / "schema.yml").read_text(encoding="utf-8"))
    assert [(s["name"], s["schema"]) for s in doc["sources"]] == [("claims_db", "raw")]
    sql = (tmp_path / "provider_ranking.sql").read_text(encoding="utf-8")
    assert "{{ source('claims_db', 'medical_claim') }} AS medical_claim" in sql

    unqualified = demo_inputs().in_schema(None)
    write_dbt_project(tmp_path, _run(unqualified), unqualified, "duckdb")
    doc = yaml.safe_load((tmp_path / "schema.yml").read_text(encoding="utf-8"))
    assert [(s["name"], s["schema"]) for s in doc["sources"]] == [
        ("provider_attribution", "{{ target.schema }}")
    ]


def test_tables_are_swapped_on_the_tree_not_by_name() -> None:
    ref = {("", "provider_ranking"): "{{ ref('provider_ranking') }}"}
    sql = model_sql(
        "SELECT provider_ranking.provider_ranking AS provider_ranking FROM provider_ranking "
        "WHERE provider_ranking.ranking = 1",
        "duckdb",
        ref,
    )
    assert sql.count("{{ ref('provider_ranking') }}") == 1
    assert "FROM {{ ref('provider_ranking') }} AS provider_ranking" in sql
    assert "provider_ranking.provider_ranking AS provider_ranking" in sql

    # schema-qualified columns follow the alias; a CTE of the same name forces another alias
    source = {("core", "claims"): "{{ source('s', 'claims') }}"}
    sql = model_sql(
        "WITH claims AS (SELECT core.claims.person_id AS person_id FROM core.claims) "
        "SELECT claims.person_id FROM claims",
        "postgres",
        source,
    )
    assert "{{ source('s', 'claims') }} AS core_claims" in sql
    assert "core_claims.person_id AS person_id" in sql
    assert "FROM claims" in sql

    # an aliased table keeps its alias
    sql = model_sql("SELECT c.x FROM core.claims AS c", "bigquery", source)
    assert "FROM {{ source('s', 'claims') }} AS c" in sql


def test_jinja_delimiters_in_the_sql_are_refused() -> None:
    with pytest.raises(ValueError, match="Jinja delimiters"):
        model_sql("SELECT '{{ x }}' AS v FROM t", "duckdb", {})


# --- end to end on DuckDB -------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_engine() -> Iterator[sa.Engine]:
    engine = sa.create_engine("duckdb:///:memory:")
    generate(engine, SPEC, inputs=demo_inputs())
    yield engine
    engine.dispose()


def _rows(conn: sa.Connection, schema: str, name: str) -> list[tuple[Any, ...]]:
    cols = ", ".join(outputs.column_names(name))
    rows = [tuple(r) for r in conn.exec_driver_sql(f"SELECT {cols} FROM {schema}.{name}")]
    return sorted(rows, key=lambda r: tuple((v is None, str(v)) for v in r))


@pytest.mark.parametrize("method", ["tuva", "mssp", "medicaid"])
def test_models_write_the_rows_of_a_run(
    demo_engine: sa.Engine, tmp_path: Path, method: str
) -> None:
    inputs = demo_inputs()
    target = f"run_{method}"
    models = f"dbt_{method}"
    attribute(
        demo_engine,
        inputs,
        method=method,
        as_of=AS_OF,
        years=YEARS,
        today=TODAY,
        target_schema=target,
    )
    write_dbt_project(tmp_path, _run(inputs, method), inputs, "duckdb")
    tables = _source_tables(inputs)
    order = [
        outputs.RANKING,
        outputs.CURRENT,
        outputs.YEARLY,
        outputs.EXCLUSIONS,
        outputs.BENEFICIARY_EXCLUSIONS,
    ]
    assert set(order) == set(outputs.WRITTEN)
    with demo_engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {models}")
        for name in order:
            sql = render((tmp_path / f"{name}.sql").read_text(encoding="utf-8"), tables, models)
            conn.exec_driver_sql(f"CREATE TABLE {models}.{name} AS\n{sql}")
    with demo_engine.connect() as conn:
        for name in outputs.WRITTEN:
            expected = _rows(conn, target, name)
            assert expected, name
            assert _rows(conn, models, name) == expected, name


# --- command line ---------------------------------------------------------------------------


def test_dbt_command_writes_the_models(tmp_path: Path) -> None:
    out = tmp_path / "models" / "attribution"
    mapping = tmp_path / "inputs.toml"
    mapping.write_text('[claims]\nschema = "raw"\n[eligibility]\nschema = "raw"\n')
    result = CliRunner().invoke(
        main,
        [
            "dbt",
            "--dialect",
            "snowflake",
            "--out",
            str(out),
            "--method",
            "mssp",
            "--as-of",
            "2024-06-30",
            "--years",
            "2024",
            "--inputs",
            str(mapping),
            "--today",
            "2024-07-31",
        ],
    )
    assert result.exit_code == 0, result.output
    assert {Path(line).name for line in result.output.split()} == MODEL_FILES | {"schema.yml"}
    doc = yaml.safe_load((out / "schema.yml").read_text(encoding="utf-8"))
    assert {s["name"] for s in doc["sources"]} == {
        "provider_attribution_raw",
        "provider_attribution_terminology",
    }
    sql = (out / "provider_ranking.sql").read_text(encoding="utf-8")
    assert "{{ source('provider_attribution_raw', 'medical_claim') }}" in sql
    assert "2024-06-30" in sql


def test_dbt_command_rejects_an_unknown_dialect(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["dbt", "--dialect", "nosuchsql", "--out", str(tmp_path)])
    assert result.exit_code != 0
    assert "nosuchsql" in result.output
