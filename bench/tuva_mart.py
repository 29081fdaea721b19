"""Time the Tuva project's own provider-attribution dbt models against ``attribute()``.

The models ("the Tuva mart SQL": ``models/data_marts/provider_attribution/**.sql`` of the Tuva
project) are read from a checkout you point at; nothing of Tuva is copied into this
repository. Get one with

    git clone https://github.com/tuva-health/tuva /tmp/tuva
    git -C /tmp/tuva checkout 6be34c7add402a897dd020fa51c6be586847eb41   # the tested commit

Each model is rendered with jinja2 (no dbt): ``ref()`` names a relation of schema ``mart`` in a
scratch DuckDB file, ``var()`` sets the mart on with the as-of date pinned, ``dbt.*`` and
``concat_custom`` give DuckDB SQL, and the models run in dependency order as ``CREATE OR
REPLACE VIEW|TABLE``: each materialised as its ``provider_attribution_models.yml`` declares
(``--materialize dbt``, what ``dbt run`` does: staging and intermediate models views, the three
final models tables) or every one a table (``--materialize tables``). The mart's upstream
relations are views over the bench data (``core.medical_claim`` plus a constant
``data_source``; the directory with ``entity_type_description`` spelled ``Individual`` /
``Organization`` and ``primary_specialty_description`` = our value sets' description of the
taxonomy's Medicare specialty, so ``prov_specialty`` means the same on both sides); its code
lists are seed tables filled from our value sets (the newest edition, as ``tuva_mart`` uses);
the calendar is the checkout's ``reference_data__calendar.csv``.

Per size (``bench/run.py``'s data set, reused when generated), on one scratch copy of the
input tables (the bench data file is only read), every measurement in a fresh process
(``bench/worker.py``, peak RSS from ``wait4``): ``mart`` (all models, wall clock, and each
model's seconds), ``ours_tuva`` and ``ours_tuva_mart`` (one ``attribute()`` call each, as
``run.py`` times it). Then the mart's final tables are compared with ``tuva_mart``'s: row
counts, rank-1 agreement per scope, identical rows and the columns that differ. Results:
``--out`` (JSON). Not a test: nothing is asserted.

    .venv/bin/python bench/tuva_mart.py --tuva-project /tmp/tuva --sizes 1M
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import time
from graphlib import TopologicalSorter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import click
import duckdb
import jinja2
import yaml
from common import DuckdbSettings, bench_inputs, parse_size, size_label, spec_for
from run import generate_data, run_worker, summarise_runs
from spark_text import input_tables

from provider_attribution.model.valuesets import ValueSets

BENCH = Path(__file__).resolve().parent
MART_DIR = Path("models/data_marts/provider_attribution")
CALENDAR_CSV = Path("seeds/reference_data/reference_data__calendar.csv")
SCHEMA = "mart"
SOURCE = "src"  # the attached copy of the bench data
DATA_SOURCE = "pa_bench"
FINAL = ("provider_ranking", "assigned_beneficiaries_current", "assigned_beneficiaries_yearly")
OURS = ("tuva", "tuva_mart")
_MISSING = object()

Task = dict[str, Any]


# -- the models --------------------------------------------------------------------------------


def read_models(project: Path) -> dict[str, str]:
    """Model name → its Jinja template, from the checkout's provider-attribution folder."""
    folder = project / MART_DIR
    models = {path.stem: path.read_text() for path in sorted(folder.rglob("*.sql"))}
    if not models:
        raise click.ClickException(f"no models under {folder}: not a Tuva checkout?")
    return models


def declared_materializations(project: Path) -> dict[str, str]:
    """Model name → ``materialized`` from the folder's YAML configs (dbt's default: view)."""
    found: dict[str, str] = {}
    for path in sorted((project / MART_DIR).rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            found[model["name"]] = (model.get("config") or {}).get("materialized", "view")
    return found


def refs(template: str) -> set[str]:
    """Names a template passes to ``ref()``."""
    return set(re.findall(r"ref\(\s*['\"]([\w.]+)['\"]\s*\)", template))


def build_order(models: dict[str, str]) -> list[str]:
    """The models in dependency order (refs to other models first)."""
    graph = {name: refs(text) & models.keys() for name, text in models.items()}
    return list(TopologicalSorter(graph).static_order())


def upstream(models: dict[str, str]) -> set[str]:
    """Relations the models read that are not models: inputs and seeds."""
    return set().union(*(refs(text) for text in models.values())) - models.keys()


class DuckdbDbt:
    """The ``dbt.*`` cross-database macros the models call, as dbt-duckdb renders them."""

    def type_string(self) -> str:
        return "varchar"

    def type_int(self) -> str:
        return "integer"

    def type_numeric(self) -> str:
        return "numeric(28, 6)"

    def type_timestamp(self) -> str:
        return "timestamp"

    def current_timestamp(self) -> str:
        return "now()"

    def dateadd(self, datepart: str, interval: int, from_date_or_timestamp: str) -> str:
        return f"({from_date_or_timestamp} + interval ({interval}) {datepart})"

    def concat(self, fields: list[str]) -> str:
        return " || ".join(fields)


def render(template: str, variables: dict[str, Any], used: dict[str, Any]) -> str:
    """One model's SQL for DuckDB; the variables it reads are recorded in ``used``."""

    def var(name: str, default: Any = _MISSING) -> Any:
        if name in variables:
            used[name] = variables[name]
            return variables[name]
        if default is _MISSING:
            raise KeyError(f"the model needs var {name!r}")
        used[name] = default
        return default

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    macros = DuckdbDbt()
    env.globals.update(
        config=lambda **_: "",
        ref=lambda name: f"{SCHEMA}.{name}",
        var=var,
        target=SimpleNamespace(type="duckdb", name="pa_bench"),
        dbt=macros,
        concat_custom=macros.concat,  # Tuva's default dispatch: dbt.concat
    )
    return env.from_string(template).render()


def mart_variables(as_of: str) -> dict[str, Any]:
    """The dbt vars of the run: the mart on, the as-of date pinned, a fixed run stamp."""
    return {
        "provider_attribution_enabled": True,
        "claims_enabled": True,
        "provider_attribution_as_of_date": as_of,
        "tuva_last_run": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
    }


# -- the mart's inputs -------------------------------------------------------------------------


def seed_rows(valuesets: ValueSets) -> dict[str, tuple[str, list[tuple[Any, ...]]]]:
    """The mart's code-list seeds (column DDL, rows) filled from our value sets. Only bucketed
    specialties are listed, as CMS's assignment table lists step 1, step 2 and NPP codes."""
    step = {"pcp": ("yes", "no", 1), "specialist": ("no", "yes", 1), "npp": ("no", "no", 0)}
    descriptions = valuesets.specialty_description
    return {
        "cms_provider_attribution__primary_care_hcpcs_codes": (
            "hcpcs_code varchar, description varchar",
            [(code, None) for code in sorted(valuesets.primary_care_hcpcs)],
        ),
        "cms_provider_attribution__provider_specialty_assignment_codes": (
            "specialty_code varchar, description varchar, primary_care_physician_step1 varchar, "
            "specialist_physician_step_2 varchar, physician integer",
            [
                (code, descriptions.get(code), *step[bucket])
                for code, bucket in sorted(valuesets.specialty_bucket.items())
            ],
        ),
        "provider_data__medicare_provider_and_supplier_taxonomy_crosswalk": (
            "medicare_specialty_code varchar, medicare_provider_supplier_type_description "
            "varchar, provider_taxonomy_code varchar, provider_taxonomy_description varchar",
            [
                (specialty, descriptions.get(specialty), taxonomy, None)
                for taxonomy, specialty in sorted(valuesets.taxonomy_specialty.items())
            ],
        ),
    }


def input_views() -> dict[str, str]:
    """The mart's upstream relations as SELECTs over the attached bench data."""
    inputs = bench_inputs()
    claims = f"{SOURCE}.{inputs.claims.schema}.{inputs.claims.name}"
    months = f"{SOURCE}.{inputs.eligibility.schema}.{inputs.eligibility.name}"
    directory = f"{SOURCE}.{inputs.providers.schema}.{inputs.providers.name}"
    crosswalk = f"{SCHEMA}.provider_data__medicare_provider_and_supplier_taxonomy_crosswalk"
    return {
        "core__medical_claim": (
            "SELECT claim_id, claim_line_number, person_id, claim_start_date, claim_end_date, "
            "allowed_amount, paid_amount, rendering_npi, hcpcs_code, encounter_id, "
            f"'{DATA_SOURCE}' AS data_source FROM {claims}"
        ),
        "core__stg_claims_medical_claim": (
            f"SELECT claim_id, claim_line_number, '{DATA_SOURCE}' AS data_source, encounter_id "
            f"FROM {claims}"
        ),
        "core__member_months": f"SELECT person_id, year_month FROM {months}",
        "provider_data__provider": (
            "SELECT p.npi, p.primary_taxonomy_code, "
            "x.medicare_provider_supplier_type_description AS primary_specialty_description, "
            "CASE p.entity_type_description WHEN '1' THEN 'Individual' "
            "WHEN '2' THEN 'Organization' ELSE p.entity_type_description END "
            "AS entity_type_description "
            f"FROM {directory} AS p LEFT JOIN {crosswalk} AS x "
            "ON upper(trim(p.primary_taxonomy_code)) = x.provider_taxonomy_code"
        ),
    }


def load_inputs(conn: duckdb.DuckDBPyConnection, project: Path, needed: set[str]) -> None:
    """Seeds as tables, the calendar from the checkout, the bench data as views."""
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    seeds = seed_rows(ValueSets.for_year())
    views = input_views()
    for name, (columns, rows) in seeds.items():
        conn.execute(f"CREATE OR REPLACE TABLE {SCHEMA}.{name} ({columns})")
        marks = ", ".join("?" * len(rows[0]))
        conn.executemany(f"INSERT INTO {SCHEMA}.{name} VALUES ({marks})", rows)
    calendar = project / CALENDAR_CSV
    conn.execute(
        f"CREATE OR REPLACE TABLE {SCHEMA}.reference_data__calendar AS "
        f"SELECT * FROM read_csv('{calendar}', header = true, types = {{'year_month': 'VARCHAR'}})"
    )
    for name, select in views.items():
        conn.execute(f"CREATE OR REPLACE VIEW {SCHEMA}.{name} AS {select}")
    made = {*seeds, "reference_data__calendar", *views}
    if missing := needed - made:
        raise click.ClickException(f"the models read relations not provided: {sorted(missing)}")


# -- one mart run (in a worker process) ----------------------------------------------------------


def mart_statements(project: Path, task: Task, used: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(model, view or table, CREATE statement) of every model, in dependency order."""
    models = read_models(project)
    declared = declared_materializations(project)
    variables = mart_variables(task["as_of"])
    statements = []
    for name in build_order(models):
        kind = "table" if task["materialize"] == "tables" else declared.get(name, "view")
        sql = render(models[name], variables, used)
        create = f"CREATE OR REPLACE {kind.upper()} {SCHEMA}.{name} AS (\n{sql}\n)"
        statements.append((name, kind, create))
    return statements


def run_mart(task: Task) -> Task:
    """Build every model in order, timed together and one by one (``worker.py`` kind
    ``tuva_mart``); the final tables' row counts and the dbt vars the models read."""
    project = Path(task["project"])
    scratch = Path(task["scratch"])
    for stale in (scratch, scratch.with_name(scratch.name + ".wal")):
        stale.unlink(missing_ok=True)
    conn = duckdb.connect(str(scratch), config=DuckdbSettings(**task["duckdb"]).config())
    conn.execute(f"ATTACH '{task['db']}' AS {SOURCE} (READ_ONLY)")
    load_inputs(conn, project, upstream(read_models(project)))
    used: dict[str, Any] = {}
    statements = mart_statements(project, task, used)
    each: list[dict[str, Any]] = []
    started = time.perf_counter()
    for name, kind, create in statements:
        begun = time.perf_counter()
        conn.execute(create)
        each.append({"model": name, "materialized": kind, "seconds": time.perf_counter() - begun})
    seconds = time.perf_counter() - started
    count = "SELECT count(*) FROM {}.provider_attribution__{}"
    rows = {table: _scalar(conn, count.format(SCHEMA, table)) for table in FINAL}
    conn.close()
    for model in each:
        model["seconds"] = round(model["seconds"], 3)
    return {"seconds": round(seconds, 3), "models": each, "rows": rows, "vars": used}


# -- the scratch copy and the comparison ---------------------------------------------------------


def copy_inputs(db: Path, target: Path, settings: DuckdbSettings) -> None:
    """The bench data's input tables copied (CREATE TABLE AS, in order) into a fresh file."""
    for stale in (target, target.with_name(target.name + ".wal")):
        stale.unlink(missing_ok=True)
    conn = duckdb.connect(str(target), config=settings.config())
    conn.execute(f"ATTACH '{db}' AS {SOURCE} (READ_ONLY)")
    for schema, name in input_tables(bench_inputs()):
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        conn.execute(f"CREATE TABLE {schema}.{name} AS SELECT * FROM {SOURCE}.{schema}.{name}")
    conn.execute(f"DETACH {SOURCE}")
    conn.execute("CHECKPOINT")
    conn.close()


# compared columns per output (the mart's columns; ours has more), and each table's key
_MONEY = {"allowed_amount"}
_INTS = {"performance_year", "step", "assigned_step", "visits", "ranking"}
COMPARED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "provider_ranking": (
        ("attribution_key", "provider_id"),
        ("person_id", "scope", "performance_year", "as_of_date", "provider_bucket",
         "prov_specialty", "step", "step_description", "allowed_amount", "visits",
         "lookback_start_date", "lookback_end_date", "ranking"),
    ),
    "assigned_beneficiaries_current": (
        ("attribution_key",),
        ("person_id", "as_of_date", "provider_id", "provider_bucket", "prov_specialty",
         "assigned_step", "step_description", "allowed_amount", "visits",
         "lookback_start_date", "lookback_end_date"),
    ),
    "assigned_beneficiaries_yearly": (
        ("attribution_key",),
        ("person_id", "performance_year", "provider_id", "provider_bucket", "prov_specialty",
         "assigned_step", "step_description", "allowed_amount", "visits",
         "lookback_start_date", "lookback_end_date"),
    ),
}  # fmt: skip


def _select(columns: tuple[str, ...], relation: str, where: str = "") -> str:
    """The compared columns of ``relation`` in one type each side shares."""
    out = []
    for c in columns:
        kind = "DECIMAL(38, 2)" if c in _MONEY else "BIGINT" if c in _INTS else None
        out.append(f"CAST({c} AS {kind}) AS {c}" if kind else c)
    return f"SELECT {', '.join(out)} FROM {relation} {where}"


def _scalar(conn: duckdb.DuckDBPyConnection, sql: str) -> Any:
    """The first column of a query's one row."""
    row = conn.execute(sql).fetchone()
    assert row is not None, sql
    return row[0]


def _rows(conn: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    """The result as dictionaries with JSON-ready values."""
    cursor = conn.execute(sql)
    names = [d[0] for d in cursor.description]
    return [
        {
            n: v if isinstance(v, int | str | type(None)) else str(v)
            for n, v in zip(names, row, strict=True)
        }
        for row in cursor.fetchall()
    ]


def compare_table(conn: duckdb.DuckDBPyConnection, table: str, schema: str) -> Task:
    """Row counts, identical rows (both ways, with examples) and, for rows of the same key,
    how many differ in each column."""
    key, rest = COMPARED[table]
    columns = key + rest
    # the mart's provider_ranking holds no fallback rows
    where = "WHERE attribution_type <> 'none'" if table == "provider_ranking" else ""
    mart = _select(columns, f"{SCHEMA}.provider_attribution__{table}")
    ours = _select(columns, f"ours.{schema}.{table}", where)
    result: Task = {
        "rows_mart": _scalar(conn, f"SELECT count(*) FROM ({mart})"),
        "rows_ours": _scalar(conn, f"SELECT count(*) FROM ours.{schema}.{table}"),
        "rows_ours_compared": _scalar(conn, f"SELECT count(*) FROM ({ours})"),
        "mart_only": _scalar(conn, f"SELECT count(*) FROM ({mart} EXCEPT ALL {ours})"),
        "ours_only": _scalar(conn, f"SELECT count(*) FROM ({ours} EXCEPT ALL {mart})"),
    }
    on = " AND ".join(f"m.{k} = o.{k}" for k in key)
    differs = ", ".join(
        f"count(*) FILTER (WHERE m.{c} IS DISTINCT FROM o.{c}) AS {c}" for c in rest
    )
    joined = f"FROM ({mart}) AS m JOIN ({ours}) AS o ON {on}"
    result["same_key"] = _scalar(conn, f"SELECT count(*) {joined}")
    mismatches = _rows(conn, f"SELECT {differs} {joined}")[0]
    result["column_mismatches"] = {c: n for c, n in mismatches.items() if n}
    order = ", ".join(columns)
    result["examples"] = {
        "mart_only": _rows(
            conn, f"SELECT * FROM ({mart} EXCEPT ALL {ours}) ORDER BY {order} LIMIT 2"
        ),
        "ours_only": _rows(
            conn, f"SELECT * FROM ({ours} EXCEPT ALL {mart}) ORDER BY {order} LIMIT 2"
        ),
    }
    return result


def rank1_agreement(conn: duckdb.DuckDBPyConnection, table: str, schema: str) -> Task:
    """Persons (per scope key) on each side of an assigned table and how many have the same
    assigned provider (the fallback id on both sides for the unassigned)."""
    key = "attribution_key"
    sql = (
        f"SELECT count(m.{key}) AS keys_mart, count(o.{key}) AS keys_ours, "
        f"count(*) FILTER (WHERE m.{key} IS NOT NULL AND o.{key} IS NOT NULL) AS keys_both, "
        "count(*) FILTER (WHERE m.provider_id = o.provider_id) AS same_provider "
        f"FROM {SCHEMA}.provider_attribution__{table} AS m "
        f"FULL JOIN ours.{schema}.{table} AS o ON m.{key} = o.{key}"
    )
    result = _rows(conn, sql)[0]
    both = result["keys_both"]
    result["fraction_of_both"] = round(result["same_provider"] / both, 6) if both else None
    union = _scalar(
        conn,
        f"SELECT count(*) FROM {SCHEMA}.provider_attribution__{table} AS m "
        f"FULL JOIN ours.{schema}.{table} AS o ON m.{key} = o.{key}",
    )
    result["fraction_of_all"] = round(result["same_provider"] / union, 6) if union else None
    return result


def agreement(mart_db: Path, ours_db: Path, settings: DuckdbSettings) -> Task:
    """The mart's final tables against ours: rank-1 agreement for both of our methods, full
    rows against ``tuva_mart``."""
    conn = duckdb.connect(str(mart_db), config=settings.config())
    conn.execute(f"ATTACH '{ours_db}' AS ours (READ_ONLY)")
    result: Task = {
        f"rank1_{method}": {
            scope: rank1_agreement(conn, f"assigned_beneficiaries_{scope}", f"pa_{method}")
            for scope in ("current", "yearly")
        }
        for method in OURS
    }
    result["tables_tuva_mart"] = {t: compare_table(conn, t, "pa_tuva_mart") for t in FINAL}
    conn.close()
    return result


# -- the run -------------------------------------------------------------------------------------


def checkout_commit(project: Path, given: str | None) -> str | None:
    """The checkout's HEAD commit when it is a git work tree, else ``given``."""
    try:
        head = subprocess.run(
            ["git", "-C", str(project), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return given
    return head


def machine() -> Task:
    """Facts about the machine the numbers come from."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(memory, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "platform": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def tasks_for(scratch: Path, project: Path, as_of: str, options: Task) -> dict[str, Task]:
    """The measurements of one size: the mart per materialisation and ours per method."""
    base = {"engine": "duckdb", "db": str(scratch / "inputs.duckdb"), "duckdb": options["duckdb"]}
    tasks: dict[str, Task] = {}
    for materialize in options["materialize"]:
        name = "mart" if materialize == "dbt" else f"mart_{materialize}"
        tasks[name] = {
            **base,
            "kind": "tuva_mart",
            "project": str(project),
            "scratch": str(scratch / f"scratch_{name}.duckdb"),  # not the schema's name
            "materialize": materialize,
            "as_of": as_of,
        }
    for method in OURS:
        tasks[f"ours_{method}"] = {
            **base,
            "kind": "attribute",
            "method": method,
            "as_of": as_of,
            "target": f"pa_{method}",
        }
    return tasks


def measure_all(tasks: dict[str, Task], repeat: int, timeout: float | None) -> dict[str, Task]:
    """Every task ``repeat`` times, interleaved, each in a fresh process."""
    runs: dict[str, list[Task]] = {name: [] for name in tasks}
    for attempt in range(1, repeat + 1):
        for name, task in tasks.items():
            if runs[name] and runs[name][-1]["status"] != "ok":
                continue
            print(f"  {name} run {attempt}/{repeat} ...", flush=True)
            result = run_worker(task, timeout)
            runs[name].append(result)
            if result["status"] == "ok":
                print(f"    {result['seconds']:.2f} s, peak RSS {result['peak_rss_mb']:.0f} MiB")
                for model in sorted(result.get("models", []), key=lambda m: -m["seconds"])[:3]:
                    print(f"      {model['model']}: {model['seconds']:.2f} s")
    return {name: summarise_runs(r) for name, r in runs.items()}


def ratios(measured: dict[str, Task]) -> dict[str, float | None]:
    """Mart seconds / ours, min over min, per materialisation and method."""
    result: dict[str, float | None] = {}
    for mart, m in measured.items():
        if not mart.startswith("mart"):
            continue
        for method in OURS:
            o = measured[f"ours_{method}"]
            ok = m["status"] == "ok" and o["status"] == "ok" and o["min_s"] > 0
            result[f"{mart}/ours_{method}"] = round(m["min_s"] / o["min_s"], 2) if ok else None
    return result


def run_size(lines: int, project: Path, options: Task) -> Task:
    """Copy the inputs, time the mart and ours, compare their tables."""
    settings = DuckdbSettings(**options["duckdb"])
    work = Path(options["workdir"])
    generated = generate_data(work, lines, options["seed"], settings, timeout=options["timeout"])
    if generated["status"] not in ("ok", "reused"):
        raise click.ClickException(f"generating {size_label(lines)}: {generated['status']}")
    as_of = spec_for(lines, options["seed"]).last_day.isoformat()
    scratch = work / f"tuva_mart_{size_label(lines)}"
    scratch.mkdir(exist_ok=True)
    print(f"== {size_label(lines)}: copying the inputs to {scratch}", flush=True)
    copy_inputs(Path(generated["db"]), scratch / "inputs.duckdb", settings)
    tasks = tasks_for(scratch, project, as_of, options)
    measured = measure_all(tasks, options["repeat"], options["timeout"])
    entry: Task = {"size": size_label(lines), "lines": lines, "as_of": as_of, **measured}
    entry["ratios"] = ratios(measured)
    mart = "mart" if "mart" in measured else next(n for n in measured if n.startswith("mart"))
    if measured[mart]["status"] == "ok" and measured["ours_tuva_mart"]["status"] == "ok":
        entry["agreement"] = agreement(
            Path(tasks[mart]["scratch"]), scratch / "inputs.duckdb", settings
        )
        entry["agreement"]["mart_run"] = mart
    if not options["keep"]:
        shutil.rmtree(scratch)
    return entry


@click.command()
@click.option(
    "--tuva-project",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A checkout of github.com/tuva-health/tuva.",
)
@click.option("--tuva-commit", default=None, help="Its commit, when the checkout is not git.")
@click.option("--sizes", default="1M", show_default=True, help="Claim lines, comma-separated.")
@click.option(
    "--materialize",
    default="dbt",
    show_default=True,
    help="dbt (as the models' YAML declares), tables (every model a table), or both: dbt,tables.",
)
@click.option("--repeat", default=1, show_default=True)
@click.option("--memory-limit", default="8GB", show_default=True)
@click.option("--threads", default=2, show_default=True)
@click.option("--timeout", default=None, type=float, help="Seconds per measurement.")
@click.option("--keep", is_flag=True, help="Keep the scratch DuckDB files.")
@click.option("--seed", default=0, show_default=True)
@click.option("--workdir", default="/tmp/pa_bench", show_default=True, type=click.Path())
@click.option("--out", default=None, type=click.Path(), help="Result JSON (default: results/).")
def main(
    tuva_project: Path,
    tuva_commit: str | None,
    sizes: str,
    materialize: str,
    repeat: int,
    memory_limit: str,
    threads: int,
    timeout: float | None,
    keep: bool,
    seed: int,
    workdir: str,
    out: str | None,
) -> None:
    """The Tuva mart's dbt models against attribute(), per size, on DuckDB."""
    project = tuva_project.resolve()
    stamp = dt.datetime.now(dt.timezone.utc)
    target = Path(out) if out else BENCH / "results" / f"tuva-mart-{stamp:%Y%m%dT%H%M%S}.json"
    settings = DuckdbSettings(memory_limit, threads, str(Path(workdir) / "duckdb_tmp"))
    options: Task = {
        "duckdb": settings.config(),
        "materialize": materialize.split(","),
        "repeat": repeat,
        "timeout": timeout,
        "keep": keep,
        "seed": seed,
        "workdir": workdir,
    }
    models = read_models(project)
    results: Task = {
        "when": stamp.isoformat(timespec="seconds"),
        "machine": machine(),
        "duckdb_settings": settings.config(),
        "tuva": {
            "project": str(project),
            "commit": checkout_commit(project, tuva_commit),
            "models": build_order(models),
            "materialized": declared_materializations(project),
        },
        "sizes": [],
    }
    for size in sizes.split(","):
        results["sizes"].append(run_size(parse_size(size), project, options))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(results, indent=2, default=str))
    print(f"results: {target}")


if __name__ == "__main__":
    main()
