"""The staged writer on every backend: tables staged together are swapped in together, a re-run
replaces them, and a failure (a refused check, an error while filling) leaves the old tables as
they were and no staging or work table behind."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from engines import Session
from provider_attribution.warehouse.staged_write import StagedWrite

LEFTOVER_MARKS = ("__staging", "__old", "__work")


class RefusedError(Exception):
    """Raised by the tests' checks and fillers."""


def _names(backend: Session) -> dict[str, str]:
    """Fresh table names for one test (the backend's schema is shared by the session)."""
    prefix = f"sw_{uuid.uuid4().hex[:8]}"
    return {role: f"{prefix}_{role}" for role in ("source", "pairs", "totals", "work")}


def _source(backend: Session, name: str, version: int) -> sa.Table:
    """A source table of three rows tagged with ``version``."""
    table = sa.Table(
        name,
        sa.MetaData(),
        sa.Column("k", sa.Integer),
        sa.Column("tag", sa.String(16)),
        schema=backend.schema,
    )
    with backend.engine.begin() as conn:
        table.drop(conn, checkfirst=True)
        table.create(conn)
        conn.execute(table.insert(), [{"k": k, "tag": f"v{version}"} for k in (1, 2, 3)])
    return table


def _pairs(backend: Session, name: str) -> sa.Table:
    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("k", sa.Integer),
        sa.Column("tag", sa.String(16)),
        schema=backend.schema,
    )


def _write(
    backend: Session,
    names: dict[str, str],
    source: sa.Table,
    *,
    check: Any = None,
    fail_while_filling: bool = False,
) -> dict[str, sa.Table]:
    """Stage ``pairs`` (from a definition, filled from the source through a work table) and
    ``totals`` (from a select); the final tables."""
    with backend.engine.begin() as conn, StagedWrite(conn, backend.schema, check=check) as write:
        work = write.work_select(names["work"], sa.select(source.c.k, source.c.tag))
        pairs = write.table(_pairs(backend, names["pairs"]))
        conn.execute(pairs.insert().from_select(["k", "tag"], sa.select(work.c.k, work.c.tag)))
        if fail_while_filling:
            conn.execute(sa.text("SELECT no_such_column FROM no_such_table_of_the_test"))
        totals = sa.select(
            sa.func.count().label("n"), sa.func.max(work.c.tag).label("tag")
        ).select_from(work)
        write.select(names["totals"], totals)
    return write.final


def _read(backend: Session, names: dict[str, str]) -> tuple[list[tuple[int, str]], list[Any]]:
    """Rows of the final ``pairs`` and ``totals`` tables."""
    pairs = _pairs(backend, names["pairs"])
    totals = sa.Table(
        names["totals"], sa.MetaData(), sa.Column("n"), sa.Column("tag"), schema=backend.schema
    )
    with backend.engine.connect() as conn:
        got = [(int(k), str(t)) for k, t in conn.execute(sa.select(pairs).order_by(pairs.c.k))]
        total = [(int(n), str(t)) for n, t in conn.execute(sa.select(totals))]
    return got, total


def _leftovers(backend: Session, names: dict[str, str]) -> list[str]:
    """Tables of this test's names that are not final tables."""
    with backend.engine.connect() as conn:
        tables = [n.lower() for n in sa.inspect(conn).get_table_names(schema=backend.schema)]
    prefix = names["source"].rsplit("_", 1)[0]
    mine = [n for n in tables if n.startswith(prefix)]
    return [n for n in mine if any(mark in n for mark in LEFTOVER_MARKS) or n == names["work"]]


def test_tables_are_swapped_in_together_and_a_rerun_replaces_them(backend: Session) -> None:
    names = _names(backend)
    for version in (1, 2):
        source = _source(backend, names["source"], version)
        final = _write(backend, names, source)
        assert sorted(final) == sorted([names["pairs"], names["totals"]])
        tag = f"v{version}"
        assert _read(backend, names) == ([(1, tag), (2, tag), (3, tag)], [(3, tag)])
        assert _leftovers(backend, names) == []


def test_the_check_sees_the_staged_tables_before_the_old_ones_are_replaced(
    backend: Session,
) -> None:
    names = _names(backend)
    _write(backend, names, _source(backend, names["source"], 1))
    seen: dict[str, Any] = {}

    def check(conn: sa.Connection, staged: dict[str, sa.Table]) -> None:
        seen["final"] = _count_tag(conn, _pairs(backend, names["pairs"]))
        seen["staged"] = _count_tag(conn, staged[names["pairs"]])
        seen["names"] = {name: table.name for name, table in staged.items()}

    _write(backend, names, _source(backend, names["source"], 2), check=check)
    assert seen["final"] == [(3, "v1")]
    assert seen["staged"] == [(3, "v2")]
    assert seen["names"] == {
        names["pairs"]: f"{names['pairs']}__staging",
        names["totals"]: f"{names['totals']}__staging",
    }
    assert _read(backend, names)[1] == [(3, "v2")]


def _count_tag(conn: sa.Connection, table: sa.Table) -> list[tuple[int, str]]:
    query = sa.select(sa.func.count(), sa.func.max(table.c.tag))
    return [(int(n), str(t)) for n, t in conn.execute(query)]


@pytest.mark.parametrize("failure", ["check", "filling"])
def test_a_failure_leaves_the_old_tables_and_no_staging_or_work_table(
    backend: Session, failure: str
) -> None:
    names = _names(backend)
    _write(backend, names, _source(backend, names["source"], 1))
    before = _read(backend, names)
    checked: list[int] = []

    def refuse(conn: sa.Connection, staged: dict[str, sa.Table]) -> None:
        checked.append(len(conn.execute(sa.select(staged[names["pairs"]].c.k)).all()))
        raise RefusedError("the staged tables are refused")

    source = _source(backend, names["source"], 2)
    if failure == "check":
        with pytest.raises(RefusedError):
            _write(backend, names, source, check=refuse)
    else:
        with pytest.raises(sa.exc.DBAPIError):
            _write(backend, names, source, fail_while_filling=True)
    assert checked == ([3] if failure == "check" else [])
    assert before == ([(1, "v1"), (2, "v1"), (3, "v1")], [(3, "v1")])
    assert _read(backend, names) == before
    assert _leftovers(backend, names) == []


def test_work_tables_go_where_the_engine_profile_puts_them(backend: Session) -> None:
    """DuckDB's work tables are temporary (its ``temp`` catalog: never written into the
    database file), PostgreSQL's unlogged tables of the target schema, every other engine's
    ordinary tables there; either way they are readable while the write runs and gone after
    it."""
    names = _names(backend)
    source = _source(backend, names["source"], 1)
    with backend.engine.begin() as conn, StagedWrite(conn, backend.schema) as write:
        work = write.work_select(names["work"], sa.select(source.c.k, source.c.tag))
        assert conn.execute(sa.select(sa.func.count()).select_from(work)).scalar_one() == 3
        if backend.name == "duckdb":
            assert work.schema == "temp"
            kept = conn.execute(
                sa.text("SELECT temporary FROM duckdb_tables() WHERE table_name = :name"),
                {"name": names["work"]},
            )
            assert kept.scalars().all() == [True]
        else:
            assert work.schema == backend.schema
        if backend.name == "postgres":
            persistence = conn.execute(
                sa.text(
                    "SELECT c.relpersistence FROM pg_class c JOIN pg_namespace n"
                    " ON n.oid = c.relnamespace WHERE c.relname = :name AND n.nspname = :schema"
                ),
                {"name": names["work"], "schema": backend.schema},
            )
            assert persistence.scalars().all() == ["u"]  # unlogged
        write.select(names["totals"], sa.select(sa.func.count().label("n")).select_from(work))
    assert _leftovers(backend, names) == []
    with backend.engine.connect() as conn:
        assert not sa.inspect(conn).has_table(names["work"], schema=work.schema)
