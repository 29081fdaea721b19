"""Faults and concurrency: a run killed at any point leaves the previous results intact; runs
into one target serialize; runs into different schemas do not interfere; broken invariants are
refused. Kill tests run on DuckDB (a database file) and PostgreSQL, concurrency on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from engines import Session
from provider_attribution.engines import output_tables
from provider_attribution.model import outputs
from provider_attribution.model.inputs import Inputs
from provider_attribution.sql import invariants
from provider_attribution.sql.compile import QueryBuilder
from provider_attribution.synthetic.claims import SyntheticSpec, demo_inputs, generate
from provider_attribution.warehouse.run import attribute
from sessions import shared_session

FIRST = dt.date(2025, 6, 30)
SECOND = dt.date(2025, 12, 31)


def _tables(schema: str | None) -> dict[str, sa.Table]:
    return {name: output_tables.table(name, schema) for name in outputs.TABLES}


def _state(engine: sa.Engine, schema: str | None) -> tuple[set[dt.date], int, list[str]]:
    """As-of dates and row count of the current table, and invariant violations."""
    current = output_tables.table(outputs.CURRENT, schema)
    with engine.connect() as conn:
        dates = {r[0] for r in conn.execute(sa.select(current.c.as_of_date).distinct())}
        rows = int(conn.execute(sa.select(sa.func.count()).select_from(current)).scalar_one())
        broken = invariants.violations(conn, _tables(schema))
    return dates, rows, broken


_CHILD = textwrap.dedent(
    """
    import datetime as dt, sys
    from provider_attribution.warehouse.run import attribute
    from provider_attribution.synthetic.claims import demo_inputs
    url, as_of, target, source = sys.argv[1:]
    inputs = demo_inputs().in_schema(source) if source else demo_inputs()
    print("started", flush=True)
    attribute(url, inputs, method="mssp", as_of=dt.date.fromisoformat(as_of),
              years=[2024, 2025], target_schema=target)
    print("finished", flush=True)
    """
)


def _kill_runs(url: str, schema: str, source: str, delays: list[float]) -> list[bool]:
    """Start a run writing the SECOND as-of date and SIGKILL it each delay after it started
    attributing; True = that run finished first."""
    finished = []
    for delay in delays:
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, url, SECOND.isoformat(), schema, source],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "started"
        try:
            child.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
        out, _ = child.communicate()
        finished.append("finished" in out)
    return finished


def _check_kill_safety(
    engine: sa.Engine, url: str, schema: str, inputs: Inputs, source: str, seed: int
) -> None:
    """Previous results survive every kill; a kill after the end leaves the new results."""

    def run(as_of: dt.date) -> tuple[set[dt.date], int, list[str]]:
        attribute(
            engine, inputs, method="mssp", as_of=as_of, years=[2024, 2025], target_schema=schema
        )
        return _state(engine, schema)

    started = time.perf_counter()
    second = run(SECOND)
    seconds = time.perf_counter() - started
    first = run(FIRST)
    rng = random.Random(seed)
    # kills spread over the run, most of them before it can finish; the last one never fires
    delays = [rng.uniform(0.0, 1.2 * seconds) for _ in range(6)] + [120.0]
    assert (first[0], second[0]) == ({FIRST}, {SECOND})
    assert first[2] == second[2] == []
    engine.dispose()  # a DuckDB file has one writer process at a time
    finished = _kill_runs(url, schema, source, delays)
    assert finished[-1], "the run given the most time must finish"
    state = _state(engine, schema)
    assert not state[2], state[2]
    assert state[:2] == (second if any(finished) else first)[:2]
    with engine.connect() as conn:
        names = sa.inspect(conn).get_table_names(schema=schema)
    assert not [n for n in names if n.endswith("__staging")]


def test_killed_runs_leave_complete_results_duckdb(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'kill.duckdb'}"
    engine = sa.create_engine(url)
    generate(engine, SyntheticSpec(members=15_000, seed=3), inputs=demo_inputs())
    _check_kill_safety(engine, url, "results", demo_inputs(), "", seed=7)
    engine.dispose()


@pytest.fixture
def postgres() -> Session:
    return shared_session("postgres")


def test_killed_runs_leave_complete_results_postgres(postgres: Session) -> None:
    schema = postgres.schema
    assert schema is not None
    inputs = demo_inputs().in_schema(schema)
    generate(postgres.engine, SyntheticSpec(members=3_000, seed=4), inputs=inputs)
    url = postgres.engine.url.render_as_string(hide_password=False)
    _check_kill_safety(postgres.engine, url, schema, inputs, schema, seed=11)


def test_concurrent_runs_into_one_target_serialize(postgres: Session) -> None:
    schema = postgres.schema
    assert schema is not None
    inputs = demo_inputs().in_schema(schema)
    generate(postgres.engine, SyntheticSpec(members=1_500, seed=5), inputs=inputs)
    errors: list[BaseException] = []

    def run(as_of: dt.date, target: str) -> None:
        try:
            attribute(postgres.engine, inputs, as_of=as_of, years=[2025], target_schema=target)
        except BaseException as error:
            errors.append(error)

    threads = [
        threading.Thread(target=run, args=(FIRST, schema)),
        threading.Thread(target=run, args=(SECOND, schema)),
        threading.Thread(target=run, args=(FIRST, f"{schema}_other")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    dates, _, broken = _state(postgres.engine, schema)
    assert not broken
    assert dates in ({FIRST}, {SECOND})
    other = _state(postgres.engine, f"{schema}_other")
    assert other[0] == {FIRST}
    assert not other[2]
    with postgres.engine.begin() as conn:
        conn.execute(sa.schema.DropSchema(f"{schema}_other", cascade=True))


def test_a_broken_invariant_is_refused_and_the_old_results_stay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = sa.create_engine(f"duckdb:///{tmp_path / 'inv.duckdb'}")
    generate(engine, SyntheticSpec(members=300, seed=1), inputs=demo_inputs())
    attribute(engine, demo_inputs(), as_of=FIRST, years=[], target_schema="out")
    before = _state(engine, "out")
    assert before[2] == []
    real = QueryBuilder.assigned

    def doubled(ranking: sa.FromClause, table: str) -> sa.Select[Any]:
        once = real(ranking, table)
        return sa.select(sa.union_all(once, once).subquery())  # every member twice

    monkeypatch.setattr(QueryBuilder, "assigned", staticmethod(doubled))
    with pytest.raises(invariants.InvariantError, match=r"rows for .* attribution keys"):
        attribute(engine, demo_inputs(), as_of=SECOND, years=[], target_schema="out")
    assert _state(engine, "out") == before
    engine.dispose()


def test_invariant_checks_detect_a_repeated_rank_between_one_and_n(tmp_path: Path) -> None:
    # ranks 1, 3, 3 of a three-row key: lowest 1 and highest n, but not 1..n
    engine = sa.create_engine(f"duckdb:///{tmp_path / 'repeated.duckdb'}")
    generate(engine, SyntheticSpec(members=300, seed=1), inputs=demo_inputs())
    attribute(engine, demo_inputs(), as_of=FIRST, years=[], target_schema="out")
    ranking = output_tables.table(outputs.RANKING, "out")
    with engine.begin() as conn:
        assert invariants.violations(conn, _tables("out")) == []
        three = (
            sa.select(ranking.c.attribution_key)
            .group_by(ranking.c.attribution_key)
            .having(sa.func.count() == 3)
            .order_by(ranking.c.attribution_key)
            .limit(1)
            .scalar_subquery()
        )
        changed = conn.execute(
            ranking.update()
            .where(ranking.c.attribution_key == three, ranking.c.ranking == 2)
            .values(ranking=3)
        )
        assert changed.rowcount == 1
        problems = invariants.violations(conn, _tables("out"))
        assert problems == ["provider_ranking: 1 attribution keys whose ranks are not 1..n"]
        # ranks 1, 2, 2 of another three-row key: highest not n and a rank repeated, one key
        other = (
            sa.select(ranking.c.attribution_key)
            .where(ranking.c.attribution_key != three)
            .group_by(ranking.c.attribution_key)
            .having(sa.func.count() == 3)
            .order_by(ranking.c.attribution_key)
            .limit(1)
            .scalar_subquery()
        )
        changed = conn.execute(
            ranking.update()
            .where(ranking.c.attribution_key == other, ranking.c.ranking == 3)
            .values(ranking=2)
        )
        assert changed.rowcount == 1
        problems = invariants.violations(conn, _tables("out"))
        assert problems == ["provider_ranking: 2 attribution keys whose ranks are not 1..n"]
    engine.dispose()


def test_invariant_checks_detect_gaps_and_missing_rank_one(tmp_path: Path) -> None:
    engine = sa.create_engine(f"duckdb:///{tmp_path / 'gaps.duckdb'}")
    generate(engine, SyntheticSpec(members=300, seed=1), inputs=demo_inputs())
    attribute(engine, demo_inputs(), as_of=FIRST, years=[], target_schema="out")
    ranking = output_tables.table(outputs.RANKING, "out")
    with engine.begin() as conn:
        conn.execute(ranking.update().where(ranking.c.ranking == 2).values(ranking=5))
        assert any("not 1..n" in p for p in invariants.violations(conn, _tables("out")))
        conn.execute(ranking.delete().where(ranking.c.ranking == 1))
        assert any("ranking-1 rows" in p for p in invariants.violations(conn, _tables("out")))
        assert not any("is not assigned" in p for p in invariants.violations(conn, _tables("out")))
        current = output_tables.table(outputs.CURRENT, "out")
        conn.execute(current.delete())
        orphaned = [
            p for p in invariants.violations(conn, _tables("out")) if "is not assigned" in p
        ]
        assert len(orphaned) == 1
        assert "attribution_key is not assigned" in orphaned[0]
    engine.dispose()
