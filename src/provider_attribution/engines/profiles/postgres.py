"""PostgreSQL: transactional DDL, an advisory lock per target, planner settings and statistics
for the tables a run writes. Work tables are ``UNLOGGED``: their rows bypass the write-ahead log
(they are dropped at the end of the run; a crash truncates them), unlike temporary tables they
stay in shared buffers and readable by parallel workers; at 1M claim lines the whole run took
27.6-29.1 s against 28.9-32.8 s with ordinary work tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from provider_attribution.engines.locks import lock_key
from provider_attribution.engines.profile import MATERIALISABLE_STAGES, Capabilities, EngineProfile

# PostgreSQL estimates one row for most of the run's CTEs and then joins them with nested loops
# (tens of seconds at 40k claim lines); hash joins are right for every join of the query except
# the tiny scope-key range join, which stays a nested loop anyway. JIT compilation costs seconds
# on these wide CASE expressions and buys nothing.
RUN_SETTINGS = (("enable_nestloop", "off"), ("jit", "off"))
# A plain SELECT or CREATE TABLE AS of the ranking may get a parallel plan, which INSERT ...
# SELECT never does; at 1M claim lines the parallel plan ran for minutes where the serial one
# took 40-60 s (bench/RESULTS.md), so printed SQL and dbt models also turn parallel workers off.
PRINTED_SETTINGS = (*RUN_SETTINGS, ("max_parallel_workers_per_gather", "0"))


def set_statements(settings: tuple[tuple[str, str], ...], *, local: bool) -> list[str]:
    """``SET [LOCAL] name = value`` for each of ``settings``."""
    scope = "SET LOCAL" if local else "SET"
    return [f"{scope} {name} = {value}" for name, value in settings]


@dataclass(frozen=True)
class PostgresProfile(EngineProfile):
    """PostgreSQL's hooks."""

    def resolves_other_case(self, dialect: sa.Dialect, wanted: str, actual: str) -> bool:
        """Never: PostgreSQL folds unquoted names to lower case and SQLAlchemy quotes every
        name that is not all lower case, so the case of a name matters."""
        return False

    def lock(self, conn: sa.Connection, target: str | None, *, wait_seconds: int = 600) -> None:
        """A transaction-level advisory lock: a second run waits, then replaces the first's
        results."""
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(lock_key(target))))

    def session_settings(self, *, local: bool) -> list[str]:
        """:data:`PRINTED_SETTINGS`."""
        return set_statements(PRINTED_SETTINGS, local=local)

    def tune_transaction(self, conn: sa.Connection) -> None:
        """:data:`RUN_SETTINGS` with ``SET LOCAL`` (they end with the transaction)."""
        for statement in set_statements(RUN_SETTINGS, local=True):
            conn.exec_driver_sql(statement)

    def binary_id(self, value: str, dialect: sa.Dialect) -> str:
        """``CAST(id AS TEXT) COLLATE "C"``: byte order whatever the database's collation (an
        ``en_US`` database sorts ``a`` and ``B`` the other way), and sorts and groups on ids
        take PostgreSQL's fast path for ``C`` (a third faster on 2M rows even under
        ``C.UTF-8``). The cast lets any text-like id column (``uuid``, ``char``) take it."""
        return f'CAST({value} AS TEXT) COLLATE "C"'

    def id_type(self, length: int, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        """``VARCHAR(n) COLLATE "C"``: reading the outputs compares ids as the run did."""
        return sa.String(length, collation="C")

    def analyze(self, conn: sa.Connection, table: sa.Table) -> None:
        """``ANALYZE``: autovacuum has not seen a table written inside the transaction."""
        name = conn.dialect.identifier_preparer.format_table(table)
        conn.exec_driver_sql(f"ANALYZE {name}")


PROFILE = PostgresProfile(
    name="postgresql",
    aliases=("postgres",),
    capabilities=Capabilities(transactional_ddl=True, schemas=True, swap="transaction"),
    materialise=frozenset(MATERIALISABLE_STAGES),
    work_tables="unlogged",
)
