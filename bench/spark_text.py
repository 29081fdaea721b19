"""Time the transpiled Spark SQL (``sqltext.staged_statements``) on a local Spark session.

The synthetic data set of ``bench/run.py`` (generated into its DuckDB file when missing) is
exported once to Parquet and registered as external Spark tables under the input names
(``core.medical_claim``, ...). Then, in one local session (``local[2]`` by default):

- **floor**: ``CREATE TABLE ... AS`` of the same one-scan ``GROUP BY person_id,
  rendering_npi`` as the DuckDB and PostgreSQL floors;
- **per method**: every statement of the run in Spark's dialect, timed together (work tables
  of the stages Spark's profile writes, the outputs, the drops), with the seconds of each
  statement; ``--inline`` also times the same run writing the checked lines alone (every
  other stage inlined as CTEs), as the printed SQL was before the stages were written.

``--repeat N`` runs the floor and every method N times in the one session (``rounds`` in the
JSON). The first round pays the JVM's warm-up (class loading, JIT compilation of Spark itself)
and is what a new Spark application sees; later rounds are what a long-lived session or
cluster sees. Both are printed; neither includes the session's start. Results: ``--out``
(JSON). Not a test: nothing is asserted.

    .venv/bin/python bench/spark_text.py --sizes 1M --methods tuva,mssp --repeat 3
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import tempfile
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

import click
from common import (
    DuckdbSettings,
    bench_inputs,
    duckdb_engine,
    parse_size,
    size_label,
)
from run import generate_data

from provider_attribution.emit.sqltext import staged_statements
from provider_attribution.model.inputs import Inputs
from provider_attribution.model.method_file import resolve_method
from provider_attribution.sql.compile import QueryBuilder
from provider_attribution.warehouse.run import resolve_scope

BENCH = Path(__file__).resolve().parent
FLOOR = (
    "CREATE TABLE pa_bench.floor AS SELECT person_id, rendering_npi, "
    "sum(allowed_amount) AS allowed_amount, count(DISTINCT claim_start_date) AS service_dates "
    "FROM core.medical_claim GROUP BY person_id, rendering_npi"
)


def input_tables(inputs: Inputs) -> list[tuple[str, str]]:
    """(schema, table) of every mapped input."""
    found = []
    for f in fields(inputs):
        spec = getattr(inputs, f.name)
        if spec is not None and (spec.schema, spec.name) not in found:
            found.append((spec.schema, spec.name))
    return found


def export_parquet(db: Path, inputs: Inputs, settings: DuckdbSettings) -> Path:
    """Every input table of ``db`` as ``<db>.parquet/<schema>.<table>.parquet`` (reused)."""
    out = db.with_suffix(".parquet")
    out.mkdir(exist_ok=True)
    engine = duckdb_engine(db, settings)
    with engine.connect() as conn:
        for schema, name in input_tables(inputs):
            path = out / f"{schema}.{name}.parquet"
            if not path.exists():
                conn.exec_driver_sql(f"COPY {schema}.{name} TO '{path}' (FORMAT parquet)")
    engine.dispose()
    return out


def scope(db: Path, inputs: Inputs, method: str, settings: DuckdbSettings) -> tuple[Any, ...]:
    """The scope keys ``attribute()`` would use: as of the last day, every eligibility year."""
    engine = duckdb_engine(db, settings)
    with engine.connect() as conn:
        keys = resolve_scope(conn, inputs, as_of=None, years=None, method=method)
    engine.dispose()
    return keys


def spark_session(master: str, warehouse: Path, shuffle_partitions: int) -> Any:
    """A local Spark session: UTC, ANSI mode, the given shuffle partitions, no UI."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master(master)
        .appName("provider-attribution-bench")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.ansi.enabled", "true")
        .config("spark.driver.memory", "8g")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.warehouse.dir", str(warehouse / "warehouse"))
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={warehouse}")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def timed(session: Any, statements: list[str]) -> dict[str, Any]:
    """Run ``statements`` in order; total seconds and each statement's."""
    each = []
    started = time.perf_counter()
    for text in statements:
        begun = time.perf_counter()
        session.sql(text).collect()
        head = " ".join(text.split()[:3])
        each.append({"statement": head, "seconds": round(time.perf_counter() - begun, 3)})
    return {"seconds": round(time.perf_counter() - started, 3), "statements": each}


def plan_method(
    db: Path, inputs: Inputs, method: str, settings: DuckdbSettings
) -> tuple[str, QueryBuilder, tuple[Any, ...]]:
    """``method``'s name, query builder and scope keys."""
    loaded = resolve_method(method)
    return (
        method,
        QueryBuilder(inputs, loaded.method, loaded.valuesets),
        scope(db, inputs, method, settings),
    )


def timed_round(
    session: Any,
    plans: list[tuple[str, QueryBuilder, tuple[Any, ...]]],
    inline: bool,
    size: str,
    number: int,
) -> dict[str, Any]:
    """One round: the floor, then every method's statements (and the ``inline`` variant)."""
    session.sql("DROP TABLE IF EXISTS pa_bench.floor")
    result: dict[str, Any] = {"round": number, "floor": timed(session, [FLOOR])}
    floor = result["floor"]["seconds"]
    print(f"{size} round {number} floor: {floor} s", flush=True)
    for method, builder, keys in plans:
        variants = {"staged": None, **({"inline": ("pa_checked",)} if inline else {})}
        for variant, stages in variants.items():
            texts = staged_statements(builder, keys, "spark", f"pa_{method}", stages=stages)
            session.sql(f"DROP DATABASE IF EXISTS pa_{method} CASCADE")
            session.sql(f"CREATE DATABASE pa_{method}")
            run = timed(session, texts)
            ranking = session.sql(f"SELECT count(*) FROM pa_{method}.provider_ranking")
            run["ranking_rows"] = ranking.collect()[0][0]
            result[f"{method}_{variant}"] = run
            print(
                f"{size} round {number} {method} {variant}: {run['seconds']} s "
                f"({run['seconds'] / floor:.1f} x floor)",
                flush=True,
            )
    return result


@click.command()
@click.option("--sizes", default="1M", show_default=True, help="Claim lines, comma-separated.")
@click.option("--methods", default="tuva,mssp", show_default=True)
@click.option("--master", default="local[2]", show_default=True)
@click.option("--shuffle-partitions", default=4, show_default=True)
@click.option("--inline", is_flag=True, help="Also time the run with only pa_checked written.")
@click.option("--repeat", default=1, show_default=True, help="Rounds in the one session.")
@click.option("--seed", default=0, show_default=True)
@click.option("--workdir", default="/tmp/pa_bench", show_default=True, type=click.Path())
@click.option("--out", default=None, type=click.Path(), help="Result JSON (default: results/).")
def main(
    sizes: str,
    methods: str,
    master: str,
    shuffle_partitions: int,
    inline: bool,
    repeat: int,
    seed: int,
    workdir: str,
    out: str | None,
) -> None:
    """Floor and full attribution in Spark SQL text, per size and method."""
    work = Path(workdir)
    settings = DuckdbSettings("8GB", 2, str(work / "duckdb_tmp"))
    inputs = bench_inputs()
    stamp = dt.datetime.now(dt.timezone.utc)
    target = Path(out) if out else BENCH / "results" / f"spark-{stamp:%Y%m%dT%H%M%S}.json"
    results: dict[str, Any] = {
        "when": stamp.isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "master": master,
        "shuffle_partitions": shuffle_partitions,
        "sizes": [],
    }
    for size in sizes.split(","):
        lines = parse_size(size)
        generated = generate_data(work, lines, seed, settings, timeout=None)
        if generated["status"] not in ("ok", "reused"):
            raise click.ClickException(f"generating {size}: {generated['status']}")
        db = Path(generated["db"])
        parquet = export_parquet(db, inputs, settings)
        entry: dict[str, Any] = {"size": size_label(lines), "lines": lines}
        with tempfile.TemporaryDirectory(dir=work) as tmp:
            session = spark_session(master, Path(tmp), shuffle_partitions)
            results["machine"]["spark"] = session.version
            for schema, name in input_tables(inputs):
                session.sql(f"CREATE DATABASE IF NOT EXISTS {schema}")
                path = parquet / f"{schema}.{name}.parquet"
                session.sql(f"CREATE TABLE {schema}.{name} USING parquet LOCATION '{path}'")
            session.sql("CREATE DATABASE pa_bench")
            plans = [plan_method(db, inputs, method, settings) for method in methods.split(",")]
            entry["rounds"] = [
                timed_round(session, plans, inline, entry["size"], number)
                for number in range(1, repeat + 1)
            ]
            session.stop()
        results["sizes"].append(entry)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(results, indent=2))
    print(f"results: {target}")


if __name__ == "__main__":
    main()
