"""Shared pieces of the benchmark: sizes, data set locations, engines and the input mapping."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from provider_attribution.model.inputs import Inputs
from provider_attribution.synthetic.claims import SyntheticSpec, demo_inputs

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
LINES_PER_MEMBER = 12  # the generator's default ratio of claim lines to members
RESULT_MARKER = "BENCH_RESULT "

_SUFFIXES = {"": 1, "k": 1_000, "m": 1_000_000, "g": 1_000_000_000, "b": 1_000_000_000}


def parse_size(text: str) -> int:
    """``20k``, ``1M``, ``1.5M``, ``100000`` → a number of claim lines."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgGbB]?)\s*", text)
    if match is None:
        raise ValueError(f"not a size: {text!r} (use e.g. 20k, 1M, 100M)")
    number, suffix = match.groups()
    return round(float(number) * _SUFFIXES[suffix.lower()])


def size_label(lines: int) -> str:
    """The short form of a size: 1000000 → ``1M``, 20000 → ``20k``."""
    for suffix, factor in (("M", 1_000_000), ("k", 1_000)):
        if lines >= factor and lines % (factor // 10 or 1) == 0:
            value = lines / factor
            return f"{value:g}{suffix}"
    return str(lines)


def spec_for(lines: int, seed: int) -> SyntheticSpec:
    """The synthetic data set of ``lines`` claim lines (members scaled by the default ratio)."""
    return SyntheticSpec(members=max(1, lines // LINES_PER_MEMBER), claim_lines=lines, seed=seed)


@dataclass(frozen=True)
class DuckdbSettings:
    """DuckDB configuration applied to every connection of a measurement."""

    memory_limit: str
    threads: int
    temp_directory: str
    # DuckDB's default. False is DuckDB's advice for writes larger than memory, but the one
    # 100M Tuva run with it off took 2.1x as long, on a shared machine (RESULTS.md).
    preserve_insertion_order: bool = True

    def config(self) -> dict[str, Any]:
        """The ``config`` dictionary handed to ``duckdb.connect``."""
        return asdict(self)


def duckdb_engine(path: Path, settings: DuckdbSettings) -> sa.Engine:
    """An engine on a DuckDB file with the memory limit, threads and spill directory set."""
    return sa.create_engine(f"duckdb:///{path}", connect_args={"config": settings.config()})


def data_path(workdir: Path, lines: int, seed: int) -> Path:
    """The DuckDB file holding the generated data set of one size."""
    return workdir / f"claims_{size_label(lines)}_seed{seed}.duckdb"


def spec_marker(path: Path) -> Path:
    """The file recording which spec a data file was generated with (written last)."""
    return path.with_name(path.name + ".spec.json")


def spec_json(spec: SyntheticSpec) -> dict[str, Any]:
    """A JSON-ready form of a spec."""
    return {
        "members": spec.members,
        "claim_lines": spec.n_claim_lines,
        "providers": spec.n_providers,
        "start": spec.start.isoformat(),
        "months": spec.months,
        "seed": spec.seed,
    }


def is_generated(path: Path, spec: SyntheticSpec) -> bool:
    """Whether ``path`` already holds exactly this spec's data (a finished generation)."""
    marker = spec_marker(path)
    if not (path.exists() and marker.exists()):
        return False
    return bool(json.loads(marker.read_text()) == spec_json(spec))


def bench_inputs(schema: str | None = None) -> Inputs:
    """The input mapping of every measurement: the generated tables with all optional inputs
    (``demo_inputs``), optionally moved into one schema (PostgreSQL)."""
    base = Inputs() if schema is None else Inputs().in_schema(schema)
    return demo_inputs(base)


def claims_qualified(inputs: Inputs) -> tuple[str | None, str]:
    """(schema, table) of the claims input."""
    return inputs.claims.schema, inputs.claims.name
