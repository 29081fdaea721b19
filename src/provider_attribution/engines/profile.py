"""What one SQL engine is to the package: its names, what it guarantees, and the hooks where
engines differ (locks, session settings, statistics, swapping staged tables in, and the few
expressions spelled differently).

:class:`EngineProfile` is the cautious default every hook falls back to; each engine family
overrides only what it does differently, in its own module under
:mod:`provider_attribution.engines.profiles`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from provider_attribution.engines.ddl import DropTableIfExists, RenameTable, WorkTableKind

#: Stages of the attribution query an engine may write to a work table instead of inlining
#: them as CTEs, named as in ``sql.stages.STAGES``: the member-month spans (read by four
#: statements; written once, PostgreSQL also gets their true row count from ANALYZE), the
#: checked claim lines, the eligible persons, the facts (the lines reduced per visit and
#: date), the metrics per NPI and the roll-up per unit (docs/ARCHITECTURE.md, "The query
#: plan"; tests/test_stages.py checks the names).
MATERIALISABLE_STAGES = (
    "pa_member_spans",
    "pa_checked",
    "pa_eligible",
    "pa_facts",
    "pa_metrics",
    "pa_units",
)


@dataclass(frozen=True)
class Capabilities:
    """What an engine guarantees, used by the writer and stated in the README.

    ``swap``: how staged outputs replace the old ones —
    ``transaction`` (drop + rename inside the run's transaction: all tables at once),
    ``rename_tables`` (MySQL's multi-table ``RENAME TABLE``: all tables at once, one statement),
    ``swap_with`` (Snowflake's ``ALTER TABLE ... SWAP WITH``: each table atomically).
    """

    transactional_ddl: bool
    schemas: bool
    swap: str


#: The most cautious answer, for engines the package knows nothing about.
CAUTIOUS = Capabilities(transactional_ddl=False, schemas=True, swap="transaction")

Staged = Sequence[tuple[sa.Table, sa.Table]]


@dataclass(frozen=True)
class EngineProfile:
    """One engine: its dialect name and aliases, capabilities, and the hooks below.

    ``materialise``: the :data:`MATERIALISABLE_STAGES` the engine runs faster written to work
    tables than inlined (engines that plan each CTE reference on its own, or parallelise a
    written table's scan); empty where the planner does better with the whole query inlined.
    ``emulation``: the profile to use instead when the engine is emulated (see
    :func:`~provider_attribution.engines.profiles.profile_for`).
    ``typed_dates``: a column declared DATE holds dates (not so in SQLite, where declared types
    bind nothing and dates are ISO text).
    ``work_tables``: how the run's work tables are created (:meth:`work_table_place`):
    ``ordinary`` tables of the target schema, ``unlogged`` ones there, or ``temporary`` ones
    in ``temporary_schema`` (the schema of the engine's temporary tables; None: unqualified),
    private to the run's connection.
    ``facts_by_visit``: build ``pa_facts`` per visit first (see
    :meth:`~provider_attribution.sql.compile.QueryBuilder.for_engine`): for a planner that
    runs a count over the visit as a second group-by joined back, not where a CTE read twice
    is computed twice.
    ``member_month_mask``: tell the persons whose member months have no gap by a bitwise-or
    of one bit per month (``sql/member_spans.py``) instead of a DISTINCT over every member
    month: for an engine with ``bit_or`` and ``<<`` on 64-bit integers.
    """

    name: str
    aliases: tuple[str, ...] = ()
    capabilities: Capabilities = CAUTIOUS
    materialise: frozenset[str] = frozenset()
    facts_by_visit: bool = False
    member_month_mask: bool = False
    emulation: EngineProfile | None = None
    typed_dates: bool = True
    work_tables: WorkTableKind = "ordinary"
    temporary_schema: str | None = None

    def work_table_place(self, target: str | None) -> tuple[str | None, WorkTableKind]:
        """(schema, kind) of a work table for a run writing into schema ``target``."""
        if self.work_tables == "temporary":
            return self.temporary_schema, "temporary"
        return target, self.work_tables

    @property
    def names(self) -> tuple[str, ...]:
        """Every name the engine is known by, its dialect name first."""
        return (self.name, *self.aliases)

    # -- running ---------------------------------------------------------------------------------

    def lock(self, conn: sa.Connection, target: str | None, *, wait_seconds: int = 600) -> None:
        """Serialize runs writing into the same ``target`` schema; by default nothing (the
        engine serializes writers itself)."""

    def unlock(self, conn: sa.Connection, target: str | None) -> None:
        """Release what :meth:`lock` took where it outlives the transaction."""

    def session_settings(self, *, local: bool) -> list[str]:
        """Statements setting the session up for the package's printed SQL and dbt models
        (``local``: only for the current transaction); by default none."""
        return []

    def tune_transaction(self, conn: sa.Connection) -> None:
        """Planner settings for the run's transaction only; by default none."""

    def analyze(self, conn: sa.Connection, table: sa.Table) -> None:
        """Give the planner statistics of a table just written, where the engine plans by them
        and does not gather them itself within the transaction; by default nothing."""

    def swap(self, conn: sa.Connection, staged: Staged) -> None:
        """Replace each final table with its (staging, final) staging table, as atomically as
        the engine allows; by default drop and rename inside the transaction."""
        for staging, final in staged:
            conn.execute(DropTableIfExists(final))
            conn.execute(RenameTable(staging, final.name))

    # -- reading the catalog ---------------------------------------------------------------------

    def resolves_other_case(self, dialect: sa.Dialect, wanted: str, actual: str) -> bool:
        """Whether a query naming ``wanted`` finds the catalog's ``actual`` (same letters,
        other case). By default: where SQLAlchemy normalises names (Snowflake and Oracle
        reflect upper-case names in lower case and quote a name in any other case) only
        across that folding; elsewhere yes (DuckDB, SQLite, MySQL compare names without
        case)."""
        if getattr(dialect, "requires_name_normalize", False):
            return str(dialect.normalize_name(wanted)) == str(dialect.normalize_name(actual))
        return True

    def reflected_name(self, name: str) -> str:
        """A column name as reflected, spelled as the database spells it; by default as is."""
        return name

    def listed_schema(self, name: str) -> str:
        """A schema name as the inspector lists it, spelled as a query names it; by default as
        is."""
        return name

    # -- expressions -----------------------------------------------------------------------------

    def date_literal(self, value: str) -> str:
        """A date constant from its compiled (ISO text) bound parameter ``value``."""
        return f"CAST({value} AS DATE)"

    def cents(self, amount: sa.ColumnElement[Any]) -> sa.ColumnElement[int]:
        """``amount`` as whole cents, rounded half away from zero: by default
        ``round(amount * 100)``, the factor a ``NUMERIC(38, 0)`` so that no engine keeps the
        product as narrow as the amount (ClickHouse would overflow a ``Decimal(18, 2)`` at
        10^16 cents)."""
        return sa.cast(sa.func.round(amount * sa.cast(100, sa.Numeric(38, 0))), sa.BigInteger)

    def binary_id(self, value: str, dialect: sa.Dialect) -> str:
        """Compiled id ``value`` as compared byte by byte; by default the id itself (engines
        compare text bytewise already)."""
        return value

    def id_type(self, length: int, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        """The type of an id column of the outputs, compared as :meth:`binary_id` compares."""
        return sa.String(length)
