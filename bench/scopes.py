"""Many scope keys from one scan: ``attribute()`` with one as-of date against twelve monthly ones.

On the synthetic data set of ``bench/run.py`` (generated when missing), each measurement runs
in a fresh process (``bench/worker.py``), alternating so that cache state is alike:

- **one**: the current scope as of the data's last day, no performance years;
- **twelve**: the current scope as of each of the twelve month ends up to that day, no years.

The ratio twelve / one is what the "12 monthly as-of dates ≤ 1.5 × one" target of
``RESULTS.md`` reads. Results: ``--out`` (JSON). Not a test: nothing is asserted.

    .venv/bin/python bench/scopes.py --engine duckdb --sizes 1M,10M --repeat 2
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from pathlib import Path
from typing import Any

import click
from common import DuckdbSettings, parse_size, size_label, spec_for
from run import generate_data, run_worker

BENCH = Path(__file__).resolve().parent


def month_ends(last: dt.date, count: int) -> list[dt.date]:
    """The last day of each of the ``count`` months up to ``last``'s, ``last`` itself last."""
    ends = [last]
    while len(ends) < count:
        ends.append(ends[-1].replace(day=1) - dt.timedelta(days=1))
    return sorted(ends)


@click.command()
@click.option("--engine", default="duckdb", show_default=True, help="duckdb or postgres")
@click.option("--sizes", default="1M", show_default=True)
@click.option("--method", default="tuva", show_default=True)
@click.option("--months", default=12, show_default=True, help="As-of dates of the many run.")
@click.option("--repeat", default=2, show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("--workdir", default="/tmp/pa_bench", show_default=True, type=click.Path())
@click.option("--timeout", default=3600.0, show_default=True)
@click.option("--out", default=None, type=click.Path())
def main(
    engine: str,
    sizes: str,
    method: str,
    months: int,
    repeat: int,
    seed: int,
    workdir: str,
    timeout: float,
    out: str | None,
) -> None:
    """Time one as-of date against ``--months`` monthly ones, per size."""
    if engine != "duckdb":
        raise click.BadParameter("only duckdb is wired here so far", param_hint="--engine")
    work = Path(workdir)
    settings = DuckdbSettings("8GB", 2, str(work / "duckdb_tmp"))
    stamp = dt.datetime.now(dt.timezone.utc)
    target = Path(out) if out else BENCH / "results" / f"scopes-{stamp:%Y%m%dT%H%M%S}.json"
    results: dict[str, Any] = {"when": stamp.isoformat(timespec="seconds"), "sizes": []}
    for size in sizes.split(","):
        lines = parse_size(size)
        spec = spec_for(lines, seed)
        generated = generate_data(work, lines, seed, settings, timeout=timeout)
        if generated["status"] not in ("ok", "reused"):
            raise click.ClickException(f"generating {size}: {generated['status']}")
        base = {
            "kind": "attribute",
            "engine": engine,
            "db": generated["db"],
            "duckdb": settings.config(),
            "method": method,
            "years": [],
        }
        variants = {
            "one": [spec.last_day.isoformat()],
            "many": [day.isoformat() for day in month_ends(spec.last_day, months)],
        }
        seconds: dict[str, list[float]] = {name: [] for name in variants}
        rows: dict[str, Any] = {}
        for attempt in range(repeat):
            for name, dates in variants.items():
                task = {**base, "as_of_dates": dates, "target": f"pa_scopes_{name}"}
                result = run_worker(task, timeout)
                if result["status"] != "ok":
                    raise click.ClickException(f"{name}: {result['status']}")
                seconds[name].append(result["seconds"])
                rows[name] = result["rows"]
                print(f"{size_label(lines)} {name} run {attempt + 1}: {result['seconds']} s")
        entry = {
            "size": size_label(lines),
            "months": months,
            "seconds": seconds,
            "rows": rows,
            "ratio_min": round(min(seconds["many"]) / min(seconds["one"]), 2),
            "ratio_median": round(
                statistics.median(seconds["many"]) / statistics.median(seconds["one"]), 2
            ),
        }
        print(f"{entry['size']}: {months} as-of dates / one = {entry['ratio_min']} (min)")
        results["sizes"].append(entry)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(results, indent=2))
    print(f"results: {target}")


if __name__ == "__main__":
    main()
