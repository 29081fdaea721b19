"""Render benchmark results (``bench/run.py`` JSON files) as the Markdown tables of RESULTS.md.

Usage::

    python bench/summarise.py bench/results/*.json              # print the Markdown
    python bench/summarise.py bench/results/*.json --update bench/RESULTS.md

``--update`` replaces what lies between ``<!-- results:start -->`` and ``<!-- results:end -->``
in the file and keeps the rest. With several files a later file's (engine, size) replaces an
earlier one's. Planned sizes without a result show as "to be measured".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from common import parse_size, size_label
from stages import STAGES

START = "<!-- results:start -->"
END = "<!-- results:end -->"
PLANNED = {"duckdb": ("1M", "10M", "50M", "100M"), "postgres": ("1M", "10M")}
# attribution / floor targets of issue 17 (DuckDB at 10M and 100M, PostgreSQL at 10M)
TARGETS = {"duckdb": 4.0, "postgres": 5.0}

Entry = dict[str, Any]


def load(paths: list[Path]) -> tuple[dict[tuple[str, int], Entry], list[Entry]]:
    """Results keyed by (engine, claim lines), and each file's machine and options."""
    results: dict[tuple[str, int], Entry] = {}
    runs: list[Entry] = []
    for path in paths:
        document = json.loads(path.read_text())
        runs.append({"file": path.name, **document})
        for entry in document.get("results", []):
            if "engine" in entry:
                entry["_file"] = path.name
                results[(entry["engine"], int(entry["claim_lines"]))] = entry
    return results, runs


def seconds(m: Entry | None) -> str:
    """``min`` seconds (and median when repeated), or the status."""
    if not m:
        return "-"
    if m.get("status") != "ok":
        return str(m.get("status", "-")).split(":")[0]
    text = f"{m['min_s']:.2f}"
    if len(m.get("runs", [])) > 1:
        text += f" (med {m['median_s']:.2f})"
    return text


def memory(m: Entry | None, key: str = "peak_rss_mb") -> str:
    """A peak RSS in MiB, or ``-``."""
    value = (m or {}).get(key)
    return "-" if value is None else f"{value:,.0f}"


def ratio(entry: Entry, method: str, limit: float) -> str:
    """attribution / floor on min seconds, marked against the target."""
    value = entry.get("ratios", {}).get(f"{method}_min")
    if value is None:
        return "-"
    return f"{value:.2f} {'✓' if value <= limit else '✗'}"


def pandas_cell(entry: Entry) -> str:
    """Pandas seconds (load + compute), or why it did not run."""
    m = entry.get("pandas") or {}
    if m.get("status") == "ok":
        run = m["runs"][0]
        return f"{m['min_s']:.1f} ({run['load_seconds']:.1f} + {run['compute_seconds']:.1f})"
    return str(m.get("status", "-"))


def rate(entry: Entry, name: str) -> str:
    """Claim lines per second of one measurement."""
    value = entry.get("rows_per_s", {}).get(name)
    return "-" if value is None else f"{value:,.0f}"


def engine_table(engine: str, results: dict[tuple[str, int], Entry], sizes: list[int]) -> str:
    """One engine's table: a row per planned or measured size."""
    limit = TARGETS[engine]
    backend = engine == "postgres"
    head = [
        "size", "floor s", "tuva s", "mssp s", f"tuva/floor (≤{limit}×)", "mssp/floor",
        "peak RSS MiB floor / tuva / mssp", "tuva lines/s",
    ]  # fmt: skip
    if backend:
        head.append("backend peak RSS MiB floor / tuva / mssp")
    head.append("pandas s (load + compute)" if not backend else "load (COPY) s")
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for lines in sizes:
        entry = results.get((engine, lines))
        if entry is None:
            cells = [size_label(lines)] + ["to be measured"] + ["" for _ in head[2:]]
            rows.append("| " + " | ".join(cells) + " |")
            continue
        m = entry.get("measurements", {})
        cells = [
            size_label(lines),
            seconds(m.get("floor")),
            seconds(m.get("tuva")),
            seconds(m.get("mssp")),
            ratio(entry, "tuva", limit),
            ratio(entry, "mssp", limit),
            " / ".join(memory(m.get(k)) for k in ("floor", "tuva", "mssp")),
            rate(entry, "tuva"),
        ]
        if backend:
            cells.append(
                " / ".join(
                    memory(m.get(k), "backend_peak_rss_mb") for k in ("floor", "tuva", "mssp")
                )
            )
            cells.append(seconds(m.get("load")))
        else:
            cells.append(pandas_cell(entry))
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def machine_lines(runs: list[Entry]) -> list[str]:
    """The machine and settings of each results file."""
    lines = []
    for run in runs:
        m, o = run.get("machine", {}), run.get("options", {})
        duck = o.get("duckdb", {})
        lines.append(
            f"- `{run['file']}` ({run.get('started', '?')}): "
            f"{m.get('cpus')} × {m.get('cpu_model')}, {m.get('memory_gb')} GB RAM, "
            f"kernel {m.get('kernel')}; Python {m.get('python')}, "
            f"DuckDB {m.get('duckdb')} (memory_limit {duck.get('memory_limit')}, "
            f"threads {duck.get('threads')}, preserve_insertion_order "
            f"{duck.get('preserve_insertion_order', True)}), SQLAlchemy {m.get('sqlalchemy')}, "
            f"pandas {m.get('pandas')}; repeat {o.get('repeat')}, seed {o.get('seed')}; "
            f"code {m.get('git', 'not recorded')}"
        )
        pg = m.get("postgres")
        if isinstance(pg, dict) and "server_version" in pg:
            settings = ", ".join(f"{k} {v}" for k, v in pg.items() if k != "server_version")
            work_mem = o.get("postgres_work_mem")
            session = f"; session work_mem {work_mem}" if work_mem else ""
            lines.append(f"  - PostgreSQL {pg['server_version']}: {settings}{session}")
    return lines


RUN_STAGES = ("validate", "candidates", "ranking", "write")


def stage_table(results: dict[tuple[str, int], Entry]) -> str | None:
    """Cumulative seconds of each query prefix (``--stages``) as multiples of the floor, and
    the full run's own stage seconds; None when no result has stages."""
    head = [
        "engine", "size", "method", "floor s",
        *(f"{name} s (× floor)" for name in STAGES),
        "full run s (× floor)", "run stages s: " + " / ".join(RUN_STAGES),
    ]  # fmt: skip
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (engine, lines), entry in sorted(results.items()):
        m = entry.get("measurements", {})
        floor = m.get("floor", {})
        for method in ("tuva", "mssp"):
            staged = m.get(f"stages_{method}", {})
            if staged.get("status") != "ok" or floor.get("status") != "ok":
                continue
            base = float(floor["min_s"])
            stages = staged["runs"][0]["stages"]
            cells = [engine, size_label(lines), method, f"{base:.2f}"]
            for name in STAGES:
                value = stages.get(name, {}).get("seconds")
                cells.append("-" if value is None else f"{value:.2f} ({value / base:.1f}×)")
            run = m.get(method, {})
            if run.get("status") == "ok":
                split = run["runs"][0].get("stage_seconds", {})
                cells.append(f"{run['min_s']:.2f} ({run['min_s'] / base:.1f}×)")
                cells.append(" / ".join(f"{split.get(n, 0):.2f}" for n in RUN_STAGES))
            else:
                cells += ["-", "-"]
            rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) if len(rows) > 2 else None


def render(paths: list[Path]) -> str:
    """The Markdown block: machines, then one table per engine."""
    results, runs = load(paths)
    parts = ["Machines and settings:", "", *machine_lines(runs), ""]
    for engine, planned in PLANNED.items():
        sizes = sorted({parse_size(s) for s in planned} | {n for e, n in results if e == engine})
        parts += [f"#### {'DuckDB' if engine == 'duckdb' else 'PostgreSQL'}", ""]
        parts += [engine_table(engine, results, sizes), ""]
    stages = stage_table(results)
    if stages is not None:
        parts += ["#### Where the time goes (`--stages`)", "", stages, ""]
    return "\n".join(parts).rstrip() + "\n"


def update(target: Path, block: str) -> None:
    """Replace the marked block of ``target`` (append one when the markers are missing)."""
    text = target.read_text() if target.exists() else ""
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        text = f"{before}{START}\n{block}{END}{after}"
    else:
        text = f"{text.rstrip()}\n\n{START}\n{block}{END}\n"
    target.write_text(text)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--update",
    "target",
    type=click.Path(path_type=Path),
    default=None,
    help="Rewrite the results block of this Markdown file instead of printing.",
)
def main(files: tuple[Path, ...], target: Path | None) -> None:
    """Render result JSON files as Markdown tables."""
    block = render(sorted(files))
    if target is None:
        click.echo(block, nl=False)
    else:
        update(target, block)
        click.echo(f"updated {target}")


if __name__ == "__main__":
    main()
