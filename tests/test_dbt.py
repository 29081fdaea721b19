"""dbt models of a run: files, SQL in every dialect, schema.yml, and the same rows as a run."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import sqlglot
import yaml
from click.testing import CliRunner
from sqlglot import exp

import provider_attribution as pa
from provider_attribution.cli import main
from provider_attribution.emit.dbt import (
    CONFIG,
    PRIMARY_CARE_SEED,
    REVENUE_CODE_SEED,
    SEEDS,
    SPECIALTY_SEED,
    TAXONOMY_SEED,
    config_header,
    input_sources,
    model_sql,
    sqlglot_dialect,
    write_dbt_project,
)
from provider_attribution.emit.dbt_scopes import SCOPE_KEYS
from provider_attribution.emit.dbt_stages import STAGES
from provider_attribution.model import outputs
from provider_attribution.model.inputs import Classification, Inputs, ProvidersTable
from provider_attribution.model.method import PRESETS
from provider_attribution.model.valuesets import ValueSets, file_editions
from provider_attribution.synthetic.claims import SyntheticSpec, demo_inputs, generate
from provider_attribution.warehouse.run import attribute
from render_dbt import build_project
from render_dbt import render as render_jinja

DIALECTS = ("duckdb", "postgres", "snowflake", "bigquery", "spark")
SPEC = SyntheticSpec(members=300, seed=1)
AS_OF = SPEC.last_day
YEARS = (AS_OF.year - 1, AS_OF.year)
TODAY = AS_OF + dt.timedelta(days=30)
SOURCE = re.compile(r"\{\{ source\('([^']+)', '([^']+)'\) \}\}")
REF = re.compile(r"\{\{ ref\('([^']+)'\) \}\}")
FINAL = {f"models/final/{name}.sql" for name in outputs.WRITTEN}
EPHEMERAL = "{{ config(materialized='ephemeral') }}"


def _write(out: Path, inputs: Inputs, dialect: str = "duckdb", method: str = "tuva") -> list[Path]:
    return write_dbt_project(
        out, inputs, dialect, method=method, as_of=AS_OF, years=YEARS, today=TODAY
    )


def render(sql: str, tables: dict[tuple[str, str], str], ref_schema: str | None) -> str:
    """What dbt would run: sources and refs as plain table names, without the config header."""
    header, body = sql.split("\n", 1)
    assert header.startswith("{{ config(materialized=")
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
    """Dialect → path in the project → text, for the demo inputs."""
    inputs = demo_inputs()
    result: dict[str, dict[str, str]] = {}
    for dialect in DIALECTS:
        out = tmp_path_factory.mktemp(dialect)
        paths = _write(out, inputs, dialect)
        result[dialect] = {
            p.relative_to(out).as_posix(): p.read_text(encoding="utf-8") for p in paths
        }
    return result


def _models(files: dict[str, str]) -> dict[str, str]:
    """Model name → SQL."""
    return {Path(p).stem: text for p, text in files.items() if p.endswith(".sql")}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_project_with_models_per_stage(written: dict[str, dict[str, str]], dialect: str) -> None:
    files = written[dialect]
    # tuva: no FQHC/RHC revenue codes, so no seed of them
    seeds = {f"seeds/{name}.csv" for name in SEEDS if name != REVENUE_CODE_SEED}
    assert {"dbt_project.yml", "models/schema.yml", *seeds} <= set(files)
    assert {p for p in files if p.startswith("seeds/")} == seeds
    models = {p for p in files if p.endswith(".sql")}
    assert models >= FINAL
    folders = {p.split("/")[1] for p in models}
    assert folders == {"staging", "intermediate", "final"}
    for path in models:
        name = Path(path).stem
        stage = STAGES.get(name)
        text = files[path]
        if stage is not None and stage.materialized == "ephemeral":
            assert text.startswith(EPHEMERAL + "\n"), path
        else:
            assert text.startswith(config_header(dialect) + "\n"), path
        if stage is not None:
            assert path == f"models/{stage.folder}/{name}.sql"
    # the stages of the chain are models of their own, read through ref()
    for chained in ("pa_checked", "pa_facts", "pa_metrics", "pa_units", "pa_ranked"):
        assert f"models/{STAGES[chained].folder}/{chained}.sql" in models
    assert "WITH" not in _models(files)["pa_facts"].upper().split("SELECT", 1)[0]


def test_every_stage_of_every_preset_is_placed(tmp_path: Path) -> None:
    """A CTE the export does not know would silently become an intermediate table: every
    preset's stages are listed in STAGES."""
    inputs = demo_inputs()
    for method in PRESETS:
        out = tmp_path / method
        paths = _write(out, inputs, "duckdb", method)
        names = {p.stem for p in paths if p.suffix == ".sql"} - set(outputs.WRITTEN)
        assert names <= set(STAGES), names - set(STAGES)


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
def test_models_read_sources_and_refs(written: dict[str, dict[str, str]], dialect: str) -> None:
    files = written[dialect]
    models = _models(files)
    known = set(models) | set(SEEDS)
    for path, sql in files.items():
        if not path.endswith(".sql"):
            continue
        name = Path(path).stem
        refs = set(REF.findall(sql))
        assert refs <= known, (name, refs - known)
        assert name not in refs
        # only staging models read the inputs
        if SOURCE.search(sql):
            assert path.startswith("models/staging/"), path
    for name in (outputs.CURRENT, outputs.YEARLY):
        sql = models[name]
        assert REF.findall(sql) == [outputs.RANKING]
        # the qualifiers of the ranking's columns are kept, read through the alias
        assert "provider_ranking.person_id" in sql
        assert "AS provider_ranking" in sql
    used = {table for m in models.values() for _, table in SOURCE.findall(m)}
    assert {"medical_claim", "member_months", "provider"} <= used
    # the scope keys come from their model, the primary-care codes from the seed
    assert PRIMARY_CARE_SEED in REF.findall(models["pa_checked"])
    # ... and the crosswalks from theirs, read by the provider stage only
    assert set(REF.findall(models["pa_providers"])) == {SPECIALTY_SEED, TAXONOMY_SEED}
    crosswalk_readers = {
        name
        for name, sql in models.items()
        if {SPECIALTY_SEED, TAXONOMY_SEED} & set(REF.findall(sql))
    }
    assert crosswalk_readers == {"pa_providers"}
    assert SCOPE_KEYS in REF.findall(models["pa_facts"])
    for name, sql in models.items():
        if name != SCOPE_KEYS:
            assert str(AS_OF) not in sql, name
            assert str(TODAY) not in sql, name
        # no input table is read by its schema-qualified name any more
        assert "core.medical_claim" not in sql.replace('"', "").replace("`", "")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_model_sql_parses_in_its_dialect(written: dict[str, dict[str, str]], dialect: str) -> None:
    tables = _source_tables(demo_inputs())
    for name, sql in _models(written[dialect]).items():
        if name == SCOPE_KEYS:  # Jinja: rendered as dbt would (tests/test_dbt_scopes.py)
            variables = {
                "provider_attribution_as_of_date": [AS_OF, TODAY],
                "provider_attribution_years": YEARS,
            }
            text = render_jinja(sql, variables=variables).strip()
            assert text.count("UNION ALL") == 3
        else:
            text = render(sql, tables, "analytics")
        tree = sqlglot.parse_one(text, read=sqlglot_dialect(dialect))
        assert isinstance(tree, exp.Query)
        names = {t.name for t in tree.find_all(exp.Table)}
        assert not any(n.startswith("__pa_dbt_") for n in names)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_project_yml_vars_and_seed(written: dict[str, dict[str, str]], dialect: str) -> None:
    project = yaml.safe_load(written[dialect]["dbt_project.yml"])
    assert project["name"] == "provider_attribution"
    assert project["vars"] == {
        "provider_attribution_as_of_date": [AS_OF.isoformat()],
        "provider_attribution_years": list(YEARS),
        "provider_attribution_run_date": TODAY.isoformat(),
    }
    assert list(project["seeds"]["provider_attribution"]) == [
        PRIMARY_CARE_SEED,
        SPECIALTY_SEED,
        TAXONOMY_SEED,
    ]
    types = project["seeds"]["provider_attribution"][PRIMARY_CARE_SEED]["+column_types"]
    assert set(types) == {"slot", "edition", "hcpcs_code"}
    seed = written[dialect][f"seeds/{PRIMARY_CARE_SEED}.csv"].splitlines()
    assert seed[0] == "slot,edition,hcpcs_code"
    codes = {line.split(",")[2] for line in seed[1:]}
    assert codes == set(ValueSets.for_year().primary_care_hcpcs)
    assert {line.split(",")[0] for line in seed[1:]} == {"1"}  # tuva: one list


def _seed(files: dict[str, str], name: str) -> list[dict[str, str]]:
    """The rows of seed ``name`` as written."""
    return list(csv.DictReader(io.StringIO(files[f"seeds/{name}.csv"])))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_crosswalk_seeds_hold_the_value_sets(
    written: dict[str, dict[str, str]], dialect: str
) -> None:
    """The specialty and taxonomy seeds: every row of the value sets the run reads, once, with
    the edition it comes from; their columns are typed as text so '01' stays '01'."""
    vs = ValueSets.for_year()
    files = written[dialect]
    specialty = _seed(files, SPECIALTY_SEED)
    assert list(specialty[0]) == ["edition", "specialty_code", "bucket", "description"]
    assert {r["specialty_code"]: r["bucket"] for r in specialty if r["bucket"]} == dict(
        vs.specialty_bucket
    )
    assert {r["specialty_code"]: r["description"] for r in specialty} == dict(
        vs.specialty_description
    )
    assert len(specialty) == len({r["specialty_code"] for r in specialty})
    assert "01" in {r["specialty_code"] for r in specialty}
    taxonomy = _seed(files, TAXONOMY_SEED)
    assert list(taxonomy[0]) == ["edition", "taxonomy_code", "specialty_code"]
    assert {r["taxonomy_code"]: r["specialty_code"] for r in taxonomy} == dict(
        vs.taxonomy_specialty
    )
    assert len(taxonomy) == len(vs.taxonomy_specialty)
    # tuva reads the newest value sets: their edition labels every row
    assert {r["edition"] for r in (*specialty, *taxonomy)} == {vs.edition}
    project = yaml.safe_load(files["dbt_project.yml"])
    text = exp.DataType.build("text").sql(dialect=sqlglot_dialect(dialect))
    for name in (SPECIALTY_SEED, TAXONOMY_SEED):
        types = project["seeds"]["provider_attribution"][name]["+column_types"]
        assert types == dict.fromkeys(SEEDS[name], text)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_no_crosswalk_is_inlined_in_the_models(
    written: dict[str, dict[str, str]], dialect: str
) -> None:
    """The models hold no specialty description, taxonomy code or specialty-code list: the
    CASE branches the printed SQL inlines (checked there, so the literals are looked for as the
    dialect writes them) are joins to the seeds."""
    vs = ValueSets.for_year()
    printed = "\n".join(
        pa.sql_statements(dialect, demo_inputs(), method="tuva", as_of=AS_OF, today=TODAY)
    )
    descriptions = {f"'{text}'" for text in vs.specialty_description.values()}
    taxonomies = {f"'{code}'" for code in vs.taxonomy_specialty}
    assert all(literal in printed for literal in descriptions | taxonomies)
    models = _models(written[dialect])
    for name, sql in models.items():
        found = {lit for lit in descriptions | taxonomies if lit in sql}
        assert not found, (name, found)
    providers = models["pa_providers"]
    assert not re.search(r"'(0[1-9]|[1-9][0-9])'", providers), providers
    assert "'pcp', 'npp', 'specialist'" in providers  # the buckets the seed may name


@pytest.mark.parametrize("dialect", DIALECTS)
def test_schema_yml_sources_models_and_tests(
    written: dict[str, dict[str, str]], dialect: str
) -> None:
    doc = yaml.safe_load(written[dialect]["models/schema.yml"])
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
    # the seeds: the crosswalks' keys never null and unique as the SQL compares them
    seeds = {entry["name"]: entry for entry in doc["seeds"]}
    assert list(seeds) == [name for name in SEEDS if name != REVENUE_CODE_SEED]
    assert all(entry["description"] for entry in seeds.values())
    assert "data_tests" not in seeds[PRIMARY_CARE_SEED]
    for name, key in ((SPECIALTY_SEED, "specialty_code"), (TAXONOMY_SEED, "taxonomy_code")):
        assert seeds[name]["columns"] == [{"name": key, "data_tests": ["not_null"]}]
        (unique,) = seeds[name]["data_tests"]
        expression = unique["unique"]["column_name"]
        parsed = sqlglot.parse_one(f"SELECT {expression} FROM t", read=sqlglot_dialect(dialect))
        assert {c.name for c in parsed.find_all(exp.Column)} == {key}
        assert "UPPER(TRIM(" in expression.upper()
    assert "'0'" in seeds[SPECIALTY_SEED]["data_tests"][0]["unique"]["column_name"]


@pytest.mark.parametrize("dialect", ["duckdb", "snowflake"])
def test_fqhc_revenue_codes_are_a_seed_where_fqhc_lines_are_special(
    tmp_path: Path, dialect: str
) -> None:
    """mssp over claims mapping the revenue-center code and attending NPI: the method's codes
    are a seed, read (as text) where the lines are checked instead of inlined."""
    _write(tmp_path, demo_inputs(), dialect, "mssp")
    codes = (tmp_path / f"seeds/{REVENUE_CODE_SEED}.csv").read_text(encoding="utf-8")
    assert codes.splitlines() == [
        "revenue_center_code",
        *sorted(PRESETS["mssp"].fqhc_revenue_codes),
    ]
    checked = (tmp_path / "models/staging/pa_checked.sql").read_text(encoding="utf-8")
    assert REVENUE_CODE_SEED in REF.findall(checked)
    printed = "\n".join(
        pa.sql_statements(dialect, demo_inputs(), method="mssp", as_of=AS_OF, today=TODAY)
    )
    for code in PRESETS["mssp"].fqhc_revenue_codes:
        assert f"'{code}'" in printed
        assert f"'{code}'" not in checked
    project = yaml.safe_load((tmp_path / "dbt_project.yml").read_text(encoding="utf-8"))
    types = project["seeds"]["provider_attribution"][REVENUE_CODE_SEED]["+column_types"]
    text = exp.DataType.build("text").sql(dialect=sqlglot_dialect(dialect))
    assert types == {"revenue_center_code": text}
    doc = yaml.safe_load((tmp_path / "models/schema.yml").read_text(encoding="utf-8"))
    assert [entry["name"] for entry in doc["seeds"]] == list(SEEDS)


@pytest.mark.parametrize(
    ("kind", "seeds"),
    [
        (Classification.SPECIALTY, [PRIMARY_CARE_SEED, SPECIALTY_SEED]),
        (Classification.BUCKET, [PRIMARY_CARE_SEED]),
    ],
)
def test_only_the_crosswalks_the_directory_needs_are_seeds(
    tmp_path: Path, kind: Classification, seeds: list[str]
) -> None:
    demo = demo_inputs()
    providers = replace(demo.providers, classification="class_code", classification_kind=kind)
    write_dbt_project(tmp_path, replace(demo, providers=providers), "duckdb")
    assert sorted(p.stem for p in (tmp_path / "seeds").iterdir()) == sorted(seeds)
    project = yaml.safe_load((tmp_path / "dbt_project.yml").read_text(encoding="utf-8"))
    assert list(project["seeds"]["provider_attribution"]) == seeds
    doc = yaml.safe_load((tmp_path / "models/schema.yml").read_text(encoding="utf-8"))
    assert [entry["name"] for entry in doc["seeds"]] == seeds


@pytest.mark.parametrize("name", list(SEEDS))
def test_an_input_named_like_a_seed_is_refused(tmp_path: Path, name: str) -> None:
    inputs = replace(demo_inputs(), providers=ProvidersTable(name=name, schema=None))
    with pytest.raises(ValueError, match=f"an input table is named {name!r}"):
        write_dbt_project(tmp_path, inputs, "duckdb")


def test_one_source_when_the_inputs_share_a_schema(tmp_path: Path) -> None:
    inputs = demo_inputs().in_schema("raw")
    write_dbt_project(tmp_path, inputs, "duckdb", source_name="claims_db")
    doc = yaml.safe_load((tmp_path / "models/schema.yml").read_text(encoding="utf-8"))
    assert [(s["name"], s["schema"]) for s in doc["sources"]] == [("claims_db", "raw")]
    sql = (tmp_path / "models/staging/pa_claim_rows.sql").read_text(encoding="utf-8")
    assert "{{ source('claims_db', 'medical_claim') }} AS medical_claim" in sql

    unqualified = demo_inputs().in_schema(None)
    write_dbt_project(tmp_path, unqualified, "duckdb")
    doc = yaml.safe_load((tmp_path / "models/schema.yml").read_text(encoding="utf-8"))
    assert [(s["name"], s["schema"]) for s in doc["sources"]] == [
        ("provider_attribution", "{{ target.schema }}")
    ]
    assert "vars" not in yaml.safe_load((tmp_path / "dbt_project.yml").read_text("utf-8"))


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


@pytest.mark.parametrize("method", ["tuva", "mssp", "medicaid", "reach"])
def test_models_write_the_rows_of_a_run(
    demo_engine: sa.Engine, tmp_path: Path, method: str
) -> None:
    """The models, rendered and run in dependency order without dbt, write the rows of
    ``attribute()``; with other vars, those of a run with that scope."""
    inputs = demo_inputs()
    _write(tmp_path, inputs, "duckdb", method)
    tables = _source_tables(inputs)
    # REACH's performance year Y aligns on data up to June Y-1
    year = AS_OF.year + 1 if method == "reach" else AS_OF.year - 2
    other = {
        "provider_attribution_as_of_date": f"{AS_OF.year - 1}-03-31, {AS_OF.isoformat()}",
        "provider_attribution_years": [year],
    }
    for variables, as_of, years in (
        (None, [AS_OF], YEARS),
        (other, [dt.date(AS_OF.year - 1, 3, 31), AS_OF], [year]),
    ):
        target, models = f"run_{method}", f"dbt_{method}"
        attribute(
            demo_engine,
            inputs,
            method=method,
            as_of=as_of,
            years=years,
            today=TODAY,
            target_schema=target,
        )
        build_project(demo_engine, tmp_path, models, tables, variables)
        with demo_engine.connect() as conn:
            for name in outputs.WRITTEN:
                expected = _rows(conn, target, name)
                assert expected, name
                assert _rows(conn, models, name) == expected, (name, variables)


# --- command line ---------------------------------------------------------------------------


def test_dbt_command_writes_the_project(tmp_path: Path) -> None:
    out = tmp_path / "attribution"
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
            "2024-06-30,2024-03-31",
            "--years",
            "2024",
            "--inputs",
            str(mapping),
            "--today",
            "2024-07-31",
            "--profile",
            "warehouse",
        ],
    )
    assert result.exit_code == 0, result.output
    written = {Path(line).relative_to(out).as_posix() for line in result.output.split()}
    assert FINAL | {"models/schema.yml", "dbt_project.yml"} <= written
    doc = yaml.safe_load((out / "models/schema.yml").read_text(encoding="utf-8"))
    assert {s["name"] for s in doc["sources"]} == {
        "provider_attribution_raw",
        "provider_attribution_terminology",
    }
    sql = (out / "models/staging/pa_claim_rows.sql").read_text(encoding="utf-8")
    assert "{{ source('provider_attribution_raw', 'medical_claim') }}" in sql
    project = yaml.safe_load((out / "dbt_project.yml").read_text(encoding="utf-8"))
    assert project["profile"] == "warehouse"
    assert project["vars"] == {
        "provider_attribution_as_of_date": ["2024-03-31", "2024-06-30"],
        "provider_attribution_years": [2024],
        "provider_attribution_run_date": "2024-07-31",
    }
    # mssp: the code lists by year, one slot each
    seed = (out / f"seeds/{PRIMARY_CARE_SEED}.csv").read_text(encoding="utf-8").splitlines()
    assert len({line.split(",")[0] for line in seed[1:]}) > 1
    # the claims map no revenue-center code: FQHC/RHC lines are not special, no seed of codes
    assert not (out / f"seeds/{REVENUE_CODE_SEED}.csv").exists()
    assert REVENUE_CODE_SEED not in project["seeds"]["provider_attribution"]
    # ... and the crosswalks of the newest edition shipping them
    for name in (SPECIALTY_SEED, TAXONOMY_SEED):
        rows = list(csv.DictReader(io.StringIO((out / f"seeds/{name}.csv").read_text("utf-8"))))
        newest = file_editions(name.removeprefix("pa_"))[-1]
        assert {r["edition"] for r in rows} == {str(newest)}, name


def test_dbt_command_rejects_an_unknown_dialect(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["dbt", "--dialect", "nosuchsql", "--out", str(tmp_path)])
    assert result.exit_code != 0
    assert "nosuchsql" in result.output
