"""Benchmark the attribution against its floor (one GROUP BY over the claims) on synthetic data.

For each size the data set is generated once into a DuckDB file under ``--workdir`` (reused
when a finished file of the same spec is there), then, per engine, every measurement runs
``--repeat`` times, each in a fresh process (``bench/worker.py``): the floor, the full Tuva
``attribute()``, the full MSSP ``attribute()`` and, once, the naive pandas attribution. Results
go to ``--out`` (JSON) and a CSV next to it; ``bench/summarise.py`` renders them as Markdown.
See ``bench/README.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from common import (
    DEFAULT_POSTGRES_URL,
    RESULT_MARKER,
    DuckdbSettings,
    data_path,
    is_generated,
    parse_size,
    size_label,
    spec_for,
)

BENCH = Path(__file__).resolve().parent
WORKER = BENCH / "worker.py"
ENGINES = ("duckdb", "postgres")
METHODS = ("tuva", "mssp")
# Peak RSS of the naive pandas run per claim line, measured at 1M lines (about 1.6 KB), used to
# skip sizes that would not fit in the machine's memory.
PANDAS_BYTES_PER_LINE = 1_700

Task = dict[str, Any]


@dataclass
class Options:
    """The run's settings, as given on the command line."""

    engines: list[str]
    sizes: list[int]
    methods: list[str]
    pandas: bool
    pandas_max_lines: int
    duckdb: DuckdbSettings
    postgres_url: str
    postgres_max_lines: int
    postgres_work_mem: str | None
    repeat: int
    stages: bool
    seed: int
    workdir: Path
    timeout: float | None
    regenerate: bool
    results: list[Task] = field(default_factory=list)


# -- running one measurement ----------------------------------------------------------------------


def _exception_line(stderr: str) -> str:
    """The line naming the exception (the traceback's last ``Name: message`` line, which
    SQLAlchemy follows with the long statement text), cut to 400 characters."""
    named = [
        line
        for line in stderr.splitlines()
        if not line.startswith((" ", "\t")) and ("Error" in line or "Exception" in line)
    ]
    return (named[-1] if named else stderr.strip()[-400:])[:400]


def run_worker(task: Task, timeout: float | None) -> Task:
    """Run one task in a fresh process; its result with ``peak_rss_mb`` (from ``wait4``)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            [sys.executable, str(WORKER), json.dumps(task)], stdout=out, stderr=err, cwd=BENCH
        )
        status, usage = wait(process, timeout)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    lines = [line for line in stdout.splitlines() if line.startswith(RESULT_MARKER)]
    if status != 0 or not lines:
        tail = "\n".join(stderr.strip().splitlines()[-12:])
        cause = _exception_line(stderr)
        print(f"    FAILED (exit {status}): {cause}\n{tail}", file=sys.stderr)
        return {"status": f"failed: exit {status}: {cause}", "peak_rss_mb": usage}
    result: Task = json.loads(lines[-1][len(RESULT_MARKER) :])
    result["status"] = "ok"
    result["peak_rss_mb"] = usage
    return result


def wait(process: subprocess.Popen[bytes], timeout: float | None) -> tuple[int, float]:
    """Wait for the process (killed after ``timeout`` seconds); exit code and peak RSS in MiB.

    ``os.wait4`` reaps the child itself, so its resource usage is that one process's."""
    timer = threading.Timer(timeout, process.kill) if timeout is not None else None
    if timer is not None:
        timer.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        if timer is not None:
            timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, round(usage.ru_maxrss / 1024, 1)


def measure(task: Task, timeout: float | None, repeat: int, label: str) -> Task:
    """Run a task ``repeat`` times; min and median seconds, the largest peak RSS, every run."""
    runs = []
    for attempt in range(1, repeat + 1):
        print(f"  {label} run {attempt}/{repeat} ...", flush=True)
        result = run_worker(task, timeout)
        runs.append(result)
        if result["status"] != "ok":
            break
        print(
            f"    {result['seconds']:.2f} s, peak RSS {result['peak_rss_mb']:.0f} MiB", flush=True
        )
    return summarise_runs(runs)


def summarise_runs(runs: list[Task]) -> Task:
    """Min/median seconds and peak memory over the successful runs."""
    ok = [r for r in runs if r["status"] == "ok"]
    if len(ok) < len(runs):
        return {"status": runs[-1]["status"], "runs": runs}
    seconds = [float(r["seconds"]) for r in ok]
    backend = [r["backend_peak_rss_mb"] for r in ok if r.get("backend_peak_rss_mb") is not None]
    return {
        "status": "ok",
        "min_s": min(seconds),
        "median_s": round(statistics.median(seconds), 3),
        "peak_rss_mb": max(float(r["peak_rss_mb"]) for r in ok),
        "backend_peak_rss_mb": max(backend) if backend else None,
        "runs": runs,
    }


# -- one size on one engine -----------------------------------------------------------------------


def base_task(options: Options, engine: str, db: Path, schema: str | None) -> Task:
    """What every measurement task of an engine and size shares."""
    task: Task = {"engine": engine, "db": str(db), "duckdb": options.duckdb.config()}
    if engine == "postgres":
        task.update(
            postgres_url=options.postgres_url,
            schema=schema,
            postgres_work_mem=options.postgres_work_mem,
        )
    return task


def generate_data(
    workdir: Path,
    lines: int,
    seed: int,
    duckdb: DuckdbSettings,
    *,
    timeout: float | None,
    regenerate: bool = False,
) -> Task:
    """Generate the size's DuckDB file (in a worker) unless a finished one of the same spec
    exists; ``status`` and ``db`` (its path) besides the generation's measurement."""
    spec = spec_for(lines, seed)
    db = data_path(workdir, lines, seed)
    for folder in (workdir, Path(duckdb.temp_directory)):
        folder.mkdir(parents=True, exist_ok=True)
    if is_generated(db, spec) and not regenerate:
        print(f"  reusing {db}", flush=True)
        return {"status": "reused", "db": str(db)}
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    task = {
        "kind": "generate",
        "lines": lines,
        "seed": seed,
        "engine": "duckdb",
        "db": str(db),
        "duckdb": duckdb.config(),
    }
    return {**measure(task, timeout, 1, "generate"), "db": str(db)}


def ensure_data(options: Options, lines: int) -> Task:
    """:func:`generate_data` with the run's settings."""
    return generate_data(
        options.workdir,
        lines,
        options.seed,
        options.duckdb,
        timeout=options.timeout,
        regenerate=options.regenerate,
    )


def measure_engine(options: Options, engine: str, lines: int, db: Path) -> Task:
    """Floor, attribution per method and ratios for one engine on one data set."""
    spec = spec_for(lines, options.seed)
    entry: Task = {
        "engine": engine,
        "size": size_label(lines),
        "claim_lines": lines,
        "members": spec.members,
        "as_of": spec.last_day.isoformat(),
    }
    schema = f"pa_bench_{uuid.uuid4().hex[:8]}" if engine == "postgres" else None
    task = base_task(options, engine, db, schema)
    measurements: dict[str, Task] = {}
    try:
        if engine == "postgres":
            load = {"kind": "load_postgres", "scratch": str(options.workdir), **task}
            measurements["load"] = measure(load, options.timeout, 1, "load into PostgreSQL (COPY)")
            if measurements["load"]["status"] != "ok":
                entry["measurements"] = measurements
                return entry
        floor_schema = schema or "bench"
        measurements.update(timed_queries(options, task, floor_schema, spec.last_day))
    finally:
        if schema is not None:
            drop_postgres(options.postgres_url, schema)
    entry["measurements"] = measurements
    entry["ratios"] = ratios(measurements, options.methods)
    entry["rows_per_s"] = rows_per_second(measurements, lines)
    return entry


def timed_queries(
    options: Options, task: Task, floor_schema: str, as_of: dt.date
) -> dict[str, Task]:
    """Floor and each method, interleaved per repeat so caches treat them alike."""
    tasks = {"floor": {**task, "kind": "floor", "floor_schema": floor_schema}}
    for method in options.methods:
        target = f"{floor_schema}_{method}" if task["engine"] == "postgres" else f"pa_{method}"
        tasks[method] = {
            **task,
            "kind": "attribute",
            "method": method,
            "as_of": as_of.isoformat(),
            "target": target,
        }
    if options.stages:
        for method in options.methods:
            tasks[f"stages_{method}"] = {
                **tasks[method],
                "kind": "stages",
                "target": f"{floor_schema}_stages",
            }
    runs: dict[str, list[Task]] = {name: [] for name in tasks}
    for attempt in range(1, options.repeat + 1):
        for name, t in tasks.items():
            if runs[name] and runs[name][-1]["status"] != "ok":
                continue
            print(f"  {name} run {attempt}/{options.repeat} ...", flush=True)
            result = run_worker(t, options.timeout)
            runs[name].append(result)
            if result["status"] == "ok":
                print(
                    f"    {result['seconds']:.2f} s, peak RSS {result['peak_rss_mb']:.0f} MiB",
                    flush=True,
                )
    return {name: summarise_runs(r) for name, r in runs.items()}


def drop_postgres(url: str, schema: str) -> None:
    """Drop the private schema and the methods' target schemas."""
    import pg_load

    pg_load.drop_schemas(url, [schema, *(f"{schema}_{m}" for m in METHODS)])


def ratios(measurements: dict[str, Task], methods: list[str]) -> dict[str, float | None]:
    """attribution / floor on min and on median seconds, per method."""
    floor = measurements.get("floor", {})
    result: dict[str, float | None] = {}
    for method in methods:
        m = measurements.get(method, {})
        for stat in ("min_s", "median_s"):
            ok = floor.get("status") == "ok" and m.get("status") == "ok" and floor[stat] > 0
            result[f"{method}_{stat[:-2]}"] = round(m[stat] / floor[stat], 2) if ok else None
    return result


def rows_per_second(measurements: dict[str, Task], lines: int) -> dict[str, float | None]:
    """Claim lines per second (min seconds) of every successful measurement."""
    return {
        name: round(lines / m["min_s"]) if m.get("status") == "ok" and m["min_s"] > 0 else None
        for name, m in measurements.items()
        if name != "load" and not name.startswith("stages_")
    }


def measure_pandas(options: Options, lines: int, db: Path) -> Task:
    """The naive pandas attribution once, or why it was skipped."""
    estimate_gb = lines * PANDAS_BYTES_PER_LINE / 1e9
    if lines > options.pandas_max_lines or estimate_gb > 0.8 * total_memory_gb():
        return {"status": f"skipped: would not fit (estimated {estimate_gb:.0f} GB)"}
    spec = spec_for(lines, options.seed)
    task = {"kind": "pandas", "db": str(db), "as_of": spec.last_day.isoformat()}
    result = measure(task, options.timeout, 1, "pandas")
    result["estimated_gb"] = round(estimate_gb, 1)
    return result


def run_size(options: Options, lines: int) -> None:
    """Every measurement of one size; appends to ``options.results`` as it goes."""
    print(f"== {size_label(lines)} claim lines", flush=True)
    generated = ensure_data(options, lines)
    if generated["status"] not in ("ok", "reused"):
        options.results.append(
            {"size": size_label(lines), "claim_lines": lines, "generate": generated}
        )
        return
    db = Path(generated["db"])
    wanted = options.pandas and "duckdb" in options.engines  # reported next to DuckDB's rows
    pandas = measure_pandas(options, lines, db) if wanted else {"status": "not run"}
    for engine in options.engines:
        if engine == "postgres" and lines > options.postgres_max_lines:
            print(f"-- postgres: skipped above {size_label(options.postgres_max_lines)}")
            continue
        print(f"-- {engine}", flush=True)
        entry = measure_engine(options, engine, lines, db)
        entry["generate"] = generated
        entry["pandas"] = pandas
        options.results.append(entry)


# -- the machine and the output files -------------------------------------------------------------


def total_memory_gb() -> float:
    """MemTotal from /proc/meminfo, in GB."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024 / 1e9
    return 0.0


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo."""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def package_version(name: str) -> str:
    """An installed distribution's version, or ``-``."""
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def git_state() -> str:
    """HEAD's short hash, with ``+dirty src`` when src/ has uncommitted changes."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=BENCH, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + (" +dirty src" if git("status", "--porcelain", "--", "../src") else "")


def machine(options: Options) -> Task:
    """The machine and software the numbers were measured on."""
    facts: Task = {
        "hostname": platform.node(),
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_gb": round(total_memory_gb(), 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "duckdb": package_version("duckdb"),
        "sqlalchemy": package_version("sqlalchemy"),
        "pandas": package_version("pandas"),
        "psycopg": package_version("psycopg"),
        "provider_attribution": package_version("provider-attribution"),
        "git": git_state(),
    }
    if "postgres" in options.engines:
        import pg_load

        try:
            facts["postgres"] = pg_load.server_facts(options.postgres_url)
        except Exception as error:  # the server may be down; the DuckDB numbers still count
            facts["postgres"] = {"error": str(error)}
    return facts


CSV_COLUMNS = (
    "engine",
    "size",
    "claim_lines",
    "measure",
    "status",
    "min_s",
    "median_s",
    "repeats",
    "ratio_to_floor_min",
    "ratio_to_floor_median",
    "rows_per_s",
    "peak_rss_mb",
    "backend_peak_rss_mb",
)


def csv_rows(results: list[Task]) -> list[dict[str, Any]]:
    """One row per engine, size and measurement (pandas once per size, under duckdb)."""
    rows = []
    for entry in results:
        if "engine" not in entry:
            continue
        measured = dict(entry.get("measurements", {}))
        if entry["engine"] == "duckdb":
            measured["pandas"] = entry.get("pandas", {})
        for name, m in measured.items():
            ratio = entry.get("ratios", {})
            rows.append(
                {
                    "engine": entry["engine"],
                    "size": entry["size"],
                    "claim_lines": entry["claim_lines"],
                    "measure": name,
                    "status": m.get("status"),
                    "min_s": m.get("min_s"),
                    "median_s": m.get("median_s"),
                    "repeats": len(m.get("runs", [])),
                    "ratio_to_floor_min": ratio.get(f"{name}_min"),
                    "ratio_to_floor_median": ratio.get(f"{name}_median"),
                    "rows_per_s": entry.get("rows_per_s", {}).get(name)
                    if name != "pandas"
                    else per_second(entry["claim_lines"], m),
                    "peak_rss_mb": m.get("peak_rss_mb"),
                    "backend_peak_rss_mb": m.get("backend_peak_rss_mb"),
                }
            )
    return rows


def per_second(lines: int, m: Task) -> float | None:
    """Lines per second of one measurement summary, if it succeeded."""
    return round(lines / m["min_s"]) if m.get("status") == "ok" and m["min_s"] > 0 else None


def write_results(options: Options, started: dt.datetime, out: Path) -> None:
    """The JSON document and the CSV next to it (rewritten after every size)."""
    import csv

    out.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "started": started.isoformat(timespec="seconds"),
        "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": options_machine(options),
        "options": {
            "engines": options.engines,
            "sizes": [size_label(n) for n in options.sizes],
            "methods": options.methods,
            "pandas": options.pandas,
            "pandas_max_lines": options.pandas_max_lines,
            "duckdb": options.duckdb.config(),
            "postgres_max_lines": options.postgres_max_lines,
            "postgres_work_mem": options.postgres_work_mem,
            "repeat": options.repeat,
            "seed": options.seed,
        },
        "results": options.results,
    }
    out.write_text(json.dumps(document, indent=2, default=str))
    with out.with_suffix(".csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(csv_rows(options.results))


_MACHINE: dict[int, Task] = {}


def options_machine(options: Options) -> Task:
    """The machine facts, collected once per run."""
    key = id(options)
    if key not in _MACHINE:
        _MACHINE[key] = machine(options)
    return _MACHINE[key]


# -- command line ---------------------------------------------------------------------------------


def split_list(values: tuple[str, ...]) -> list[str]:
    """Repeatable and comma-separated option values as one flat list."""
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def default_out() -> Path:
    """``bench/results/<UTC timestamp>.json``."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return BENCH / "results" / f"{stamp}.json"


@click.command()
@click.option(
    "--engine",
    "engines",
    multiple=True,
    default=("duckdb",),
    show_default=True,
    help="duckdb and/or postgres; repeat the option or give a comma list.",
)
@click.option(
    "--sizes",
    multiple=True,
    default=("1M",),
    show_default=True,
    help="Claim lines per data set, e.g. 1M,10M,50M,100M (suffixes k, M, G).",
)
@click.option(
    "--methods",
    multiple=True,
    default=("tuva,mssp",),
    show_default=True,
    help="Methods to time with attribute(): tuva, mssp.",
)
@click.option(
    "--pandas/--no-pandas",
    default=True,
    show_default=True,
    help="Also time the naive pandas Tuva attribution (sizes that fit in memory).",
)
@click.option(
    "--pandas-max-lines",
    default="10M",
    show_default=True,
    help="Skip pandas above this size (recorded as 'skipped: would not fit').",
)
@click.option("--memory-limit", default="8GB", show_default=True, help="DuckDB memory_limit.")
@click.option(
    "--threads", type=int, default=os.cpu_count() or 1, show_default=True, help="DuckDB threads."
)
@click.option(
    "--preserve-insertion-order/--no-preserve-insertion-order",
    default=True,
    show_default=True,
    help="DuckDB preserve_insertion_order (DuckDB's default: on).",
)
@click.option(
    "--postgres-url",
    default=DEFAULT_POSTGRES_URL,
    show_default=True,
    help="SQLAlchemy URL of a PostgreSQL on this machine (for the backend's RSS).",
)
@click.option(
    "--postgres-max-lines",
    default="10M",
    show_default=True,
    help="Run PostgreSQL only up to this size.",
)
@click.option(
    "--postgres-work-mem",
    default=None,
    help="work_mem of the floor and attribution sessions (default: the server's setting).",
)
@click.option(
    "--repeat",
    type=int,
    default=1,
    show_default=True,
    help="Runs of floor and attribution per size (min and median reported).",
)
@click.option(
    "--stages/--no-stages",
    default=False,
    show_default=True,
    help="Also time each prefix of the attribution query on its own (bench/stages.py).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--workdir",
    type=click.Path(path_type=Path),
    default=Path(tempfile.gettempdir()) / "pa_bench",
    show_default=True,
    help="Scratch folder: generated DuckDB files, DuckDB spill files, CSV for COPY.",
)
@click.option("--regenerate", is_flag=True, help="Generate again even if the data file exists.")
@click.option("--timeout", type=float, default=None, help="Kill a measurement after N seconds.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Result JSON (default bench/results/<timestamp>.json); the CSV goes next to it.",
)
def main(
    engines: tuple[str, ...],
    sizes: tuple[str, ...],
    methods: tuple[str, ...],
    pandas: bool,
    pandas_max_lines: str,
    memory_limit: str,
    threads: int,
    preserve_insertion_order: bool,
    postgres_url: str,
    postgres_max_lines: str,
    postgres_work_mem: str | None,
    repeat: int,
    stages: bool,
    seed: int,
    workdir: Path,
    regenerate: bool,
    timeout: float | None,
    out: Path | None,
) -> None:
    """Time floor, full attribution and naive pandas on generated claims; write JSON and CSV."""
    chosen_engines = split_list(engines)
    chosen_methods = split_list(methods)
    for value, allowed in ((chosen_engines, ENGINES), (chosen_methods, METHODS)):
        unknown = set(value) - set(allowed)
        if unknown:
            raise click.BadParameter(f"unknown {sorted(unknown)}; choose from {list(allowed)}")
    workdir = workdir.resolve()
    spill = workdir / "duckdb_tmp"
    spill.mkdir(parents=True, exist_ok=True)
    options = Options(
        engines=chosen_engines,
        sizes=[parse_size(s) for s in split_list(sizes)],
        methods=chosen_methods,
        pandas=pandas,
        pandas_max_lines=parse_size(pandas_max_lines),
        duckdb=DuckdbSettings(memory_limit, threads, str(spill), preserve_insertion_order),
        postgres_url=postgres_url,
        postgres_max_lines=parse_size(postgres_max_lines),
        postgres_work_mem=postgres_work_mem,
        repeat=max(1, repeat),
        stages=stages,
        seed=seed,
        workdir=workdir,
        timeout=timeout,
        regenerate=regenerate,
    )
    out = (out or default_out()).resolve()
    started = dt.datetime.now(dt.timezone.utc)
    for lines in options.sizes:
        run_size(options, lines)
        write_results(options, started, out)
    print(f"wrote {out} and {out.with_suffix('.csv')}")
    print(f"summary: python bench/summarise.py {out}")


if __name__ == "__main__":
    main()
