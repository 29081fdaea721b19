"""Check that the naive pandas attribution does the same job as the SQL one.

Generates a small data set (default 20k claim lines) into a temporary DuckDB file, runs the
Tuva ``attribute()`` and ``naive_pandas.attribute`` on it with the same as-of date, years and
run date (after adding duplicates, null persons and dates and bad NPIs with ``--dirty``, the
default, since the generator makes none of those), and compares
``assigned_beneficiaries_current`` and ``_yearly`` (every column), ``provider_ranking`` (every
column) and the exclusion counts. Prints a report; exits 1 on any
difference.

Usage: ``python bench/check_pandas.py [--lines 20k] [--seed 0]``
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import click
import duckdb
import naive_pandas
import pandas as pd
import sqlalchemy as sa
from common import bench_inputs, parse_size, spec_for

from provider_attribution import attribute
from provider_attribution.synthetic.claims import generate

TODAY = dt.date(2026, 1, 15)
TARGET = "pa_check"
KEYS = {
    "assigned_beneficiaries_current": ["person_id", "as_of_date"],
    "assigned_beneficiaries_yearly": ["person_id", "performance_year"],
    "provider_ranking": ["attribution_key", "provider_id"],
}


def sql_table(db: Path, name: str) -> pd.DataFrame:
    """An output table of the SQL run."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql(f"SELECT * FROM {TARGET}.{name}").df()
    finally:
        con.close()


NULL = "<null>"


def text_of(value: object) -> str:
    """One value as comparable text: nulls as ``<null>``, dates ISO, whole floats as integers."""
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return NULL
    if isinstance(value, pd.Timestamp):
        return str(value.date().isoformat())
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def normalised(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Comparable text values; amounts as integer cents."""
    out = pd.DataFrame(index=frame.index)
    for column in columns:
        values = frame[column]
        if column == "allowed_amount":
            values = pd.Series([round(Decimal(str(v)) * 100) for v in values], dtype=object)
        out[column] = pd.Series([text_of(v) for v in values], index=frame.index, dtype=object)
    return out.sort_values(columns).reset_index(drop=True)


def compare(name: str, sql: pd.DataFrame, naive: pd.DataFrame) -> list[str]:
    """Differences between two versions of one output (every SQL column)."""
    columns = list(sql.columns)
    missing = [c for c in columns if c not in naive.columns]
    if missing:
        return [f"{name}: pandas lacks columns {missing}"]
    left = normalised(sql, columns).set_index(KEYS[name])
    right = normalised(naive, columns).set_index(KEYS[name])
    problems = []
    if len(left) != len(right):
        problems.append(f"{name}: {len(left)} SQL rows, {len(right)} pandas rows")
    only_sql = left.index.difference(right.index)
    only_pandas = right.index.difference(left.index)
    if len(only_sql) or len(only_pandas):
        problems.append(
            f"{name}: keys only in SQL {len(only_sql)}, only in pandas {len(only_pandas)}"
        )
    common = left.index.intersection(right.index)
    for column in left.columns:
        differs = left.loc[common, column].ne(right.loc[common, column])
        if differs.any():
            example = differs[differs].index[0]
            problems.append(
                f"{name}.{column}: {int(differs.sum())} rows differ, e.g. {example}: "
                f"SQL {left.loc[example, column]!r}, pandas {right.loc[example, column]!r}"
            )
    return problems


DIRTY = (
    # exact copies (duplicate_line), then a null person, no dates, a bad NPI check digit
    "INSERT INTO core.medical_claim SELECT * FROM core.medical_claim USING SAMPLE 40 ROWS",
    "UPDATE core.medical_claim SET person_id = NULL WHERE hash(claim_id) % 500 = 1",
    "UPDATE core.medical_claim SET claim_start_date = NULL, claim_end_date = NULL "
    "WHERE hash(claim_id) % 500 = 2",
    "UPDATE core.medical_claim SET claim_start_date = NULL WHERE hash(claim_id) % 500 = 3",
    "UPDATE core.medical_claim SET rendering_npi = left(rendering_npi, 9) || "
    "CAST((CAST(right(rendering_npi, 1) AS INTEGER) + 1) % 10 AS VARCHAR) "
    "WHERE hash(claim_id) % 500 = 4",
    "UPDATE core.medical_claim SET rendering_npi = 'ABC' WHERE hash(claim_id) % 500 = 5",
)


def make_dirty(engine: sa.Engine) -> None:
    """Add rows for the line checks the generator never produces (duplicates, nulls, bad NPIs)."""
    with engine.begin() as conn:
        for statement in DIRTY:
            conn.exec_driver_sql(statement)


def run_check(lines: int, seed: int, workdir: Path, dirty: bool) -> list[str]:
    """Generate, run both attributions, compare; the list of differences (empty: match)."""
    spec = spec_for(lines, seed)
    db = workdir / "check.duckdb"
    engine = sa.create_engine(f"duckdb:///{db}")
    generate(engine, spec)
    if dirty:
        make_dirty(engine)
    summary = attribute(
        engine,
        bench_inputs(),
        method="tuva",
        as_of=spec.last_day,
        target_schema=TARGET,
        today=TODAY,
    )
    engine.dispose()
    naive = naive_pandas.attribute(naive_pandas.read_tables(db), as_of=spec.last_day, today=TODAY)
    problems: list[str] = []
    outputs = {
        "assigned_beneficiaries_current": naive.current,
        "assigned_beneficiaries_yearly": naive.yearly,
        "provider_ranking": naive.ranking,
    }
    for name, frame in outputs.items():
        problems += compare(name, sql_table(db, name), frame)
    if summary.exclusions != naive.exclusions:
        problems.append(f"exclusions: SQL {summary.exclusions}, pandas {naive.exclusions}")
    rows = naive.row_counts()
    print(f"{lines:,} claim lines, {spec.members:,} members")
    print(f"SQL rows {summary.rows}; pandas rows {rows}")
    print(f"exclusions: {summary.exclusions}")
    return problems


@click.command()
@click.option("--lines", default="20k", show_default=True, help="Claim lines to generate.")
@click.option("--seed", default=0, show_default=True)
@click.option(
    "--dirty/--clean",
    default=True,
    show_default=True,
    help="Add duplicates, null persons and dates, and bad NPIs to the generated claims.",
)
def main(lines: str, seed: int, dirty: bool) -> None:
    """Compare the naive pandas Tuva attribution with the SQL one on a small data set."""
    with tempfile.TemporaryDirectory(prefix="pa_bench_check_") as folder:
        problems = run_check(parse_size(lines), seed, Path(folder), dirty)
    if problems:
        print("MISMATCH:")
        for problem in problems:
            print("  " + problem)
        sys.exit(1)
    print(
        "MATCH: assigned_beneficiaries_current, _yearly, provider_ranking and exclusions are equal"
    )


if __name__ == "__main__":
    main()
