"""One atomic write of several tables: each is written under a staging name, checked, and all
are swapped in together, with the target's lock held.

::

    with StagedWrite(conn, schema) as write:
        staging = write.table(definition)          # <name>__staging, empty
        conn.execute(staging.insert()...)
        write.select("other", select)               # <name>__staging holding select's rows
        write.work_select("x__work", select)        # read while writing, dropped after
        write.check = check                         # optional: (conn, staged), raises to refuse
    write.final                                     # the final tables, by name

Leaving the block normally runs the check, swaps every staging table in through the engine's
profile (in one transaction, one ``RENAME TABLE``, or one ``SWAP WITH`` per table) and drops
the work tables. An exception inside the block, or from the check, drops the staging and work
tables (where the transaction is not aborted; its rollback removes them otherwise) and leaves
the old tables untouched. Every table is dropped if it exists before it is created, so a run
after a killed one starts clean.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

import sqlalchemy as sa

from provider_attribution.engines.ddl import (
    DropTableIfExists,
    WorkTableKind,
    write_select_table,
)
from provider_attribution.engines.profile import EngineProfile
from provider_attribution.engines.profiles import profile_of

STAGING_SUFFIX = "__staging"

#: Called with the connection and the staging tables by final name; raises to refuse them.
Check = Callable[[sa.Connection, dict[str, sa.Table]], None]


class StagedWrite:
    """Stage, check and swap in tables of ``schema`` (``None``: the default schema) on
    ``conn``, inside the caller's transaction. Entering creates the schema where the engine has
    schemas and takes the target's lock; leaving releases it."""

    def __init__(
        self,
        conn: sa.Connection,
        schema: str | None,
        *,
        check: Check | None = None,
        profile: EngineProfile | None = None,
    ) -> None:
        self.conn = conn
        self.schema = schema
        self.check = check
        self.profile = profile or profile_of(conn)
        self.staged: dict[str, sa.Table] = {}
        self.final: dict[str, sa.Table] = {}
        self._work: list[sa.Table] = []
        self._created: list[sa.Table] = []  # staging and work tables, to drop on failure

    def __enter__(self) -> StagedWrite:
        if self.schema is not None and self.profile.capabilities.schemas:
            self.conn.execute(sa.schema.CreateSchema(self.schema, if_not_exists=True))
        self.profile.lock(self.conn, self.schema)
        return self

    def table(self, definition: sa.Table) -> sa.Table:
        """An empty staging table with the columns of ``definition``, the final table (in the
        writer's schema)."""
        if definition.schema != self.schema:
            raise ValueError(f"table {definition.name} is not in schema {self.schema}")
        staging = definition.to_metadata(sa.MetaData(), name=definition.name + STAGING_SUFFIX)
        self._create(staging)
        self._stage(staging, definition)
        return staging

    def select(self, name: str, select: sa.Select[Any]) -> sa.Table:
        """A staging table for table ``name`` holding the rows of ``select``, in the engine's
        own column types (:func:`~provider_attribution.engines.ddl.write_select_table`)."""
        staging = self._write_select(name + STAGING_SUFFIX, select, self.schema, "ordinary")
        columns = [sa.Column(c.name, c.type) for c in staging.c]
        self._stage(staging, sa.Table(name, sa.MetaData(), *columns, schema=self.schema))
        return staging

    def work_table(self, definition: sa.Table) -> sa.Table:
        """Create ``definition`` (named as it is) as a work table, dropped when the write ends."""
        self._create(definition)
        self._work.append(definition)
        return definition

    def work_select(self, name: str, select: sa.Select[Any]) -> sa.Table:
        """Work table ``name`` holding the rows of ``select``, dropped when the write ends: in
        the writer's schema, or where and as the engine's profile says
        (``EngineProfile.work_table_place``: DuckDB's are temporary)."""
        schema, kind = self.profile.work_table_place(self.schema)
        table = self._write_select(name, select, schema, kind)
        self._work.append(table)
        return table

    def _create(self, table: sa.Table) -> None:
        self._created.append(table)
        self.conn.execute(DropTableIfExists(table))
        table.create(self.conn)

    def _write_select(
        self, name: str, select: sa.Select[Any], schema: str | None, kind: WorkTableKind
    ) -> sa.Table:
        """Table ``name`` (of ``kind``, in ``schema``) holding ``select``'s rows."""
        self._created.append(sa.Table(name, sa.MetaData(), schema=schema))
        return write_select_table(self.conn, name, schema, select, self.profile, kind=kind)

    def _stage(self, staging: sa.Table, final: sa.Table) -> None:
        if final.name in self.staged:
            raise ValueError(f"table {final.name} is staged twice")
        self.staged[final.name] = staging
        self.final[final.name] = final

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if error is None:
                self._finish()
        except BaseException:
            self._clean_up()
            raise
        else:
            if error is not None:
                self._clean_up()
        finally:
            self.profile.unlock(self.conn, self.schema)

    def _finish(self) -> None:
        if self.check is not None:
            self.check(self.conn, dict(self.staged))
        self.profile.swap(self.conn, [(self.staged[n], self.final[n]) for n in self.staged])
        for table in self._work:
            self.conn.execute(DropTableIfExists(table))

    def _clean_up(self) -> None:
        """Drop the staging and work tables, best effort: in an aborted transaction the
        engine refuses every statement, and the rollback removes them instead."""
        for table in reversed(self._created):
            try:
                self.conn.execute(DropTableIfExists(table))
            except sa.exc.SQLAlchemyError:
                return
