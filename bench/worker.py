"""One benchmark measurement, run by ``bench/run.py`` in a fresh process.

Usage: ``python bench/worker.py '<task as JSON>'``. The task's ``kind`` is one of ``generate``,
``load_postgres``, ``floor``, ``attribute``, ``stages``, ``pandas`` or ``tuva_mart``
(``bench/tuva_mart.py``). The last stdout line is ``BENCH_RESULT <JSON>`` with ``seconds`` (the
timed part only), ``baseline_rss_mb`` (the process after its imports, before the timed part)
and kind-specific details. The parent reads the process's peak RSS from ``os.wait4``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from common import (
    RESULT_MARKER,
    DuckdbSettings,
    bench_inputs,
    claims_qualified,
    duckdb_engine,
    spec_for,
    spec_json,
    spec_marker,
)

from provider_attribution import attribute
from provider_attribution.synthetic.claims import generate

Task = dict[str, Any]

FLOOR_TABLE = "bench_floor"
_TOP_STATEMENTS = 12


def rss_mb() -> float:
    """Peak RSS of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def engine_for(task: Task) -> sa.Engine:
    """The engine of a measurement: the DuckDB file with its settings, or the PostgreSQL URL."""
    if task["engine"] == "duckdb":
        return duckdb_engine(Path(task["db"]), DuckdbSettings(**task["duckdb"]))
    work_mem = task.get("postgres_work_mem")
    connect_args = {"options": f"-c work_mem={work_mem}"} if work_mem else {}
    return sa.create_engine(task["postgres_url"], connect_args=connect_args)


def quote(engine: sa.Engine, schema: str | None, name: str) -> str:
    """A quoted, optionally schema-qualified table name for ``engine``'s dialect."""
    prep = engine.dialect.identifier_preparer
    table = prep.quote(name)
    return table if schema is None else f"{prep.quote_schema(schema)}.{table}"


class StatementClock:
    """Wall time of every statement an engine executes (SQLAlchemy cursor events)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.timings: list[tuple[float, str]] = []
        self._started: list[float] = []
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seconds = time.perf_counter() - self._started.pop()
        self.timings.append((seconds, statement_label(statement)))

    def top(self) -> list[dict[str, Any]]:
        """The slowest statements, slowest first."""
        ranked = sorted(self.timings, reverse=True)[:_TOP_STATEMENTS]
        return [{"seconds": round(s, 3), "statement": label} for s, label in ranked]


def statement_label(statement: str) -> str:
    """Enough of a statement to recognise it: its INSERT or CREATE target when it has one,
    else its first words."""
    flat = re.sub(r"\s+", " ", statement).strip()
    target = re.search(r"\b(INSERT INTO|CREATE TABLE|DROP TABLE|ALTER TABLE) ([^ (]+)", flat)
    if target and not flat.startswith(("INSERT", "CREATE", "DROP", "ALTER")):
        return f"{target.group(1)} {target.group(2)} ({flat[:60]} ...)"
    return flat[:110]


class BackendMemory:
    """PostgreSQL backends opened by an engine and their peak RSS (``VmHWM``, same machine)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.pids: list[int] = []
        if engine.dialect.name == "postgresql":
            sa.event.listen(engine, "connect", self._on_connect)

    def _on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT pg_backend_pid()")
        self.pids.append(int(cursor.fetchone()[0]))
        cursor.close()

    def peak_mb(self) -> float | None:
        """The largest ``VmHWM`` among the backends (still open in the pool), in MiB."""
        peaks = [p for p in (vm_hwm_kib(pid) for pid in self.pids) if p is not None]
        return round(max(peaks) / 1024, 1) if peaks else None


def vm_hwm_kib(pid: int) -> int | None:
    """``VmHWM`` of a process from ``/proc``, or None when unreadable."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmHWM:\s+(\d+)\s+kB", status, re.MULTILINE)
    return int(match.group(1)) if match else None


@contextmanager
def stopwatch(result: Task) -> Iterator[None]:
    """Time the body into ``result["seconds"]``."""
    started = time.perf_counter()
    yield
    result["seconds"] = round(time.perf_counter() - started, 3)


def run_generate(task: Task) -> Task:
    """Generate the synthetic data set into the DuckDB file, then write the spec marker."""
    spec = spec_for(int(task["lines"]), int(task["seed"]))
    engine = engine_for(task)
    result: Task = {"spec": spec_json(spec)}
    with stopwatch(result):
        result["counts"] = generate(engine, spec)
        with engine.connect() as conn:
            conn.exec_driver_sql("CHECKPOINT")
    engine.dispose()
    spec_marker(Path(task["db"])).write_text(json.dumps(spec_json(spec)))
    return result


def floor_sql(engine: sa.Engine, task: Task) -> tuple[str, str]:
    """DROP and CREATE TABLE AS of the floor: one GROUP BY person, NPI over all claim lines."""
    inputs = bench_inputs(task.get("schema"))
    schema, name = claims_qualified(inputs)
    claims = quote(engine, schema, name)
    target = quote(engine, task["floor_schema"], FLOOR_TABLE)
    create = (
        f"CREATE TABLE {target} AS "
        "SELECT person_id, rendering_npi, sum(allowed_amount) AS allowed_amount, "
        "count(DISTINCT claim_start_date) AS service_dates "
        f"FROM {claims} GROUP BY person_id, rendering_npi"
    )
    return f"DROP TABLE IF EXISTS {target}", create


def run_floor(task: Task) -> Task:
    """Time the floor query, materialised with CREATE TABLE AS in its own transaction."""
    engine = engine_for(task)
    memory = BackendMemory(engine)
    drop, create = floor_sql(engine, task)
    schema = quote(engine, None, task["floor_schema"])
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        conn.exec_driver_sql(drop)
    result: Task = {"sql": create}
    with stopwatch(result), engine.begin() as conn:
        conn.exec_driver_sql(create)
    with engine.connect() as conn:
        target = quote(engine, task["floor_schema"], FLOOR_TABLE)
        result["rows"] = int(conn.exec_driver_sql(f"SELECT count(*) FROM {target}").scalar_one())
    result["backend_peak_rss_mb"] = memory.peak_mb()
    engine.dispose()
    return result


def run_attribute(task: Task) -> Task:
    """Time one full ``attribute()`` call (validation, every output, invariants, summary)."""
    engine = engine_for(task)
    memory = BackendMemory(engine)
    clock = StatementClock(engine)
    inputs = bench_inputs(task.get("schema"))
    # one as-of date, or several (``as_of_dates``); ``years`` None: every eligibility year
    dates = task.get("as_of_dates") or [task["as_of"]]
    as_of = [dt.date.fromisoformat(day) for day in dates]
    result: Task = {}
    with stopwatch(result):
        summary = attribute(
            engine,
            inputs,
            method=task["method"],
            as_of=as_of,
            years=task.get("years"),
            target_schema=task["target"],
        )
    result["rows"] = summary.rows
    result["stage_seconds"] = summary.stage_seconds
    result["statements"] = clock.top()
    result["statement_count"] = len(clock.timings)
    result["backend_peak_rss_mb"] = memory.peak_mb()
    engine.dispose()
    return result


def run_stages(task: Task) -> Task:
    """Time each prefix of the attribution query on its own (``stages.py``)."""
    import stages

    engine = engine_for(task)
    inputs = bench_inputs(task.get("schema"))
    as_of = dt.date.fromisoformat(task["as_of"])
    result: Task = {}
    with stopwatch(result):
        result["stages"] = stages.run_stages(engine, inputs, task["method"], as_of, task["target"])
    engine.dispose()
    return result


def run_pandas(task: Task) -> Task:
    """Time the naive pandas attribution: reading the tables, then computing the outputs."""
    import naive_pandas

    as_of = dt.date.fromisoformat(task["as_of"])
    result: Task = {}
    with stopwatch(result):
        started = time.perf_counter()
        tables = naive_pandas.read_tables(Path(task["db"]))
        result["load_seconds"] = round(time.perf_counter() - started, 3)
        outputs = naive_pandas.attribute(tables, as_of=as_of)
    result["compute_seconds"] = round(result["seconds"] - result["load_seconds"], 3)
    result["rows"] = outputs.row_counts()
    return result


def run_tuva_mart(task: Task) -> Task:
    """Time the Tuva project's provider-attribution dbt models (``tuva_mart.py``)."""
    import tuva_mart

    return tuva_mart.run_mart(task)


def run_load_postgres(task: Task) -> Task:
    """Copy the DuckDB data set into a private PostgreSQL schema (COPY), then ANALYZE."""
    import pg_load

    result: Task = {}
    with stopwatch(result):
        result["rows"] = pg_load.load(
            Path(task["db"]), task["postgres_url"], task["schema"], Path(task["scratch"])
        )
    return result


RUNNERS: dict[str, Callable[[Task], Task]] = {
    "generate": run_generate,
    "load_postgres": run_load_postgres,
    "floor": run_floor,
    "attribute": run_attribute,
    "pandas": run_pandas,
    "stages": run_stages,
    "tuva_mart": run_tuva_mart,
}


def main(argv: list[str]) -> None:
    """Run the task given as JSON in ``argv[1]`` and print its result line."""
    task: Task = json.loads(argv[1])
    baseline = rss_mb()
    result = RUNNERS[task["kind"]](task)
    result["baseline_rss_mb"] = round(baseline, 1)
    result["self_peak_rss_mb"] = round(rss_mb(), 1)
    print(RESULT_MARKER + json.dumps(result, default=str), flush=True)


if __name__ == "__main__":
    main(sys.argv)
