"""Where the attribution's time goes: each prefix of the query written on its own.

The attribution is one chain of CTEs (``compile.py``'s module docstring). A stage here is the
whole chain up to one CTE, written with ``ddl.write_select_table`` exactly as ``attribute()``
writes its tables (same transaction settings, bound parameters, ``INSERT ... SELECT``) and read
from the checked-lines work table as ``attribute()`` does. Stage k's seconds minus stage k-1's is
what the CTEs between them cost; ``summarise.py`` shows each as a multiple of the floor.

Stages, in order:

``distinct`` only the exact-duplicate collapse (one GROUP BY over every mapped claims column):
             the first rule of the method, on its own
``checked``  the checked-lines work table: exact duplicates collapsed, checks 2-9
``facts``    + the run's date range, the unit of each line, reduced once per visit and date
``metrics``  + the fan-out to scope keys and every pass's cents and visits per NPI
``units``    + roll-up per unit with the earliest step (a projection for NPI-unit methods)
``ranking``  + eligibility per scope key, paths, fallback rows and the ranking window: the
             ``provider_ranking`` table
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from provider_attribution.engines.ddl import DropTableIfExists, write_select_table
from provider_attribution.engines.profiles import profile_for
from provider_attribution.model.inputs import Inputs
from provider_attribution.model.method_file import resolve_method
from provider_attribution.model.windows import ScopeKey
from provider_attribution.sql.compile import QueryBuilder
from provider_attribution.warehouse.run import resolve_scope

STAGES = ("distinct", "checked", "facts", "metrics", "units", "ranking")


def _everything(stage: sa.FromClause) -> sa.Select[Any]:
    return sa.select(*stage.c)


def stage_selects(
    builder: QueryBuilder, keys: tuple[ScopeKey, ...]
) -> dict[str, Callable[[], sa.Select[Any]]]:
    """Stage name → its select (after ``checked``, built over the written checked table)."""
    return {
        "facts": lambda: _everything(builder.parts(keys).facts),
        "metrics": lambda: _everything(builder.parts(keys).metrics),
        "units": lambda: _everything(builder.parts(keys).units),
        "ranking": lambda: builder.provider_ranking(keys),
    }


def run_stages(
    engine: sa.Engine, inputs: Inputs, method: str, as_of: dt.date, schema: str
) -> dict[str, dict[str, float | int]]:
    """Write every stage in its own transaction; seconds and rows of each, then drop them."""
    loaded = resolve_method(method)
    valuesets = loaded.valuesets  # None: each scope key's year's editions, as attribute()
    results: dict[str, dict[str, float | int]] = {}
    written: list[sa.Table] = []
    with engine.begin() as conn:
        conn.execute(sa.schema.CreateSchema(schema, if_not_exists=True))
        keys = resolve_scope(conn, inputs, as_of=as_of, years=None, method=loaded.method)
    profile = profile_for(engine.dialect.name)
    plain = QueryBuilder(inputs, loaded.method, valuesets)
    # where attribute() puts its work tables (DuckDB: temporary ones, private to a connection,
    # so every stage runs on this one connection)
    where, kind = profile.work_table_place(schema)
    connection = engine.connect()

    def timed(name: str, select: Callable[[], sa.Select[Any]]) -> sa.Table:
        started = time.perf_counter()
        with connection.begin():
            profile.tune_transaction(connection)
            table = write_select_table(
                connection, f"bench_stage_{name}", where, select(), profile, kind=kind
            )
        seconds = time.perf_counter() - started
        rows = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        connection.rollback()
        results[name] = {"seconds": round(seconds, 3), "rows": int(rows)}
        print(f"    stage {name}: {seconds:.2f} s, {rows:,} rows", flush=True)
        written.append(table)
        return table

    try:
        timed("distinct", lambda: _everything(plain.claim_lines().distinct_rows()))
        checked = timed("checked", lambda: plain.stage_select("pa_checked", keys))
        builder = QueryBuilder(
            inputs, loaded.method, valuesets, materialised={"pa_checked": checked}
        )
        for name, select in stage_selects(builder, keys).items():
            timed(name, select)
    finally:
        with connection.begin():
            for table in written:
                connection.execute(DropTableIfExists(table))
        connection.close()
    return results
