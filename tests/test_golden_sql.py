"""Golden SQL: the statements of every preset in every dialect, compared with reviewed snapshots.

A change to the emitted SQL, intended or not, shows up here as a diff of
``tests/golden/<preset>/<dialect>.sql``. After reviewing it, rewrite the snapshots with::

    PROVIDER_ATTRIBUTION_UPDATE_GOLDEN=1 python -m pytest tests/test_golden_sql.py

and commit them with the change. Every optional input is mapped, so the snapshots cover the
roster, attestation, selection, geographic and enrollment paths too.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import sqlglot

import provider_attribution as pa
from provider_attribution.emit.sqltext import SQLALCHEMY_DIALECTS, SUPPORTED_DIALECTS
from provider_attribution.model.inputs import (
    EnrollmentTable,
    Inputs,
    NpiListTable,
    RosterTable,
    SelectionTable,
)
from provider_attribution.model.method import PRESETS

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("PROVIDER_ATTRIBUTION_UPDATE_GOLDEN") == "1"
AS_OF = dt.date(2025, 6, 30)
YEARS = (2024, 2025)
TODAY = dt.date(2025, 7, 1)
# sqlglot's names of the dialects SQLAlchemy compiles
_SQLGLOT = {"postgres": "postgres"}

EVERY_INPUT = Inputs(
    roster=RosterTable(),
    attested=NpiListTable(),
    self_selections=SelectionTable(),
    geographic=SelectionTable(name="geographic_assignments"),
    enrollment=EnrollmentTable(),
)


def _readable(statement: str, dialect: str) -> str:
    """SQLAlchemy prints a statement on few, very long lines: pretty-print it with sqlglot so
    that a snapshot diff shows the clause that changed (transpiled text is pretty already)."""
    if dialect not in SQLALCHEMY_DIALECTS:
        return statement
    return sqlglot.transpile(
        statement, read=_SQLGLOT.get(dialect, dialect), write=_SQLGLOT.get(dialect, dialect),
        pretty=True,
    )[0]  # fmt: skip


def golden_text(preset: str, dialect: str) -> str:
    statements = pa.sql_statements(
        dialect,
        EVERY_INPUT,
        method=preset,
        as_of=AS_OF,
        years=YEARS,
        today=TODAY,
        target_schema="attribution",
    )
    header = (
        f"-- provider-attribution golden SQL: preset {preset}, dialect {dialect},\n"
        f"-- as of {AS_OF}, years {', '.join(map(str, YEARS))}, every optional input mapped\n"
    )
    return header + "".join(f"\n{_readable(s, dialect)};\n" for s in statements)


# Every preset in the dialects SQLAlchemy compiles; the transpiled dialects (sqlglot turns the
# PostgreSQL text into theirs, the same transformation for every preset) in one preset, the
# one with the most rules (roster, gates, step 3, code lists by year), to keep CI time down.
TRANSPILED_PRESET = "mssp"
CASES = [
    (preset, dialect)
    for preset in sorted(PRESETS)
    for dialect in SUPPORTED_DIALECTS
    if dialect in SQLALCHEMY_DIALECTS or preset == TRANSPILED_PRESET
]


@pytest.mark.parametrize(("preset", "dialect"), CASES)
def test_emitted_sql_matches_the_reviewed_snapshot(preset: str, dialect: str) -> None:
    path = GOLDEN / preset / f"{dialect}.sql"
    text = golden_text(preset, dialect)
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"no snapshot {path}: run with PROVIDER_ATTRIBUTION_UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, (
        f"SQL of preset {preset} in {dialect} differs from {path}; review the diff, then "
        "rewrite the snapshots with PROVIDER_ATTRIBUTION_UPDATE_GOLDEN=1"
    )


def test_no_snapshot_is_left_without_a_case() -> None:
    expected = {GOLDEN / preset / f"{dialect}.sql" for preset, dialect in CASES}
    present = set(GOLDEN.glob("*/*.sql"))
    if UPDATE:
        for stale in present - expected:
            stale.unlink()
        present &= expected
    assert present == expected, f"stale snapshots: {sorted(map(str, present - expected))}"


def test_a_rule_change_changes_the_snapshot() -> None:
    """The comparison sees a one-rule change: Tuva without the NPI check differs."""
    from dataclasses import replace

    changed = pa.sql_statements(
        "duckdb",
        EVERY_INPUT,
        method=replace(PRESETS["tuva"], check_npi=False),
        as_of=AS_OF,
        years=YEARS,
        today=TODAY,
        target_schema="attribution",
    )
    snapshot = (GOLDEN / "tuva" / "duckdb.sql").read_text(encoding="utf-8")
    header = snapshot.split("\n\n", 1)[0] + "\n"
    text = header + "".join(f"\n{_readable(s, 'duckdb')};\n" for s in changed)
    assert text != snapshot
