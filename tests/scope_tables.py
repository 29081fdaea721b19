"""Scope keys, code lists and crosswalks as tables, and the check that a run reading them gives
the rows of the run with literal keys and inlined lists.

``QueryBuilder(scope_source=..., code_source=..., specialty_source=..., taxonomy_source=...,
revenue_code_source=...)`` is the SQL the dbt export compiles. The tables are written with
portable DDL (``sa.Table`` create and insert) in a given schema, so the check runs on every
engine: ``tests/test_scope_source.py`` (DuckDB) and ``dialect_tests/test_scope_source_engines.py``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from harness import canonical
from provider_attribution.engines.ddl import DropTableIfExists
from provider_attribution.engines.expressions import date_literal
from provider_attribution.model import outputs
from provider_attribution.model.inputs import Inputs
from provider_attribution.model.method import PRESETS, Method
from provider_attribution.model.valuesets import ValueSets
from provider_attribution.model.windows import ScopeKey, scope_keys
from provider_attribution.sql.compile import RUN_DATE, CompiledRun, QueryBuilder
from provider_attribution.sql.specialties import SPECIALTY_COLUMNS, TAXONOMY_COLUMNS
from strategies import odd_method

SCOPES = "pa_test_scope_keys"
CODES = "pa_test_pc_codes"
SPECIALTIES = "pa_test_specialties"
TAXONOMIES = "pa_test_taxonomies"
REVENUE_CODES = "pa_test_revenue_codes"
# Methods to compare the two modes with: every preset, and MSSP with every scope-key option off
# its defaults.
METHODS = {**PRESETS, "odd_scopes": odd_method()}
# The run date given to the builder reading the tables: none of its SQL may use it (the run date
# is the scope table's).
UNUSED_TODAY = dt.date(1900, 1, 1)


def _specialty(code: str) -> str:
    """A specialty code as a user might write it: '01' as ' 1', others lower case."""
    return f" {code[1]}" if code.startswith("0") else code.lower()


def _text_table(md: sa.MetaData, name: str, columns: Sequence[str], schema: str | None) -> sa.Table:
    """Table ``name`` of text ``columns``."""
    return sa.Table(name, md, *(sa.Column(c, sa.String(255)) for c in columns), schema=schema)


def _storable(kind: sa.types.TypeEngine[Any]) -> sa.types.TypeEngine[Any]:
    """A column type for a value of type ``kind``: text gets a length (MySQL needs one)."""
    return sa.String(64) if isinstance(kind, sa.String) else kind


def _clause(table: sa.Table) -> sa.TableClause:
    """``table`` as the dbt export hands its tables to the builder: name and columns, no types."""
    return sa.table(table.name, *(sa.column(c.name) for c in table.c), schema=table.schema)


@contextlib.contextmanager
def scope_tables(
    engine: sa.Engine,
    builder: QueryBuilder,
    keys: Sequence[ScopeKey],
    today: dt.date,
    schema: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Write the keys of ``builder.scopes(keys)`` plus the run date ``today``, the builder's
    primary-care lists, specialty and taxonomy crosswalks and FQHC/RHC revenue codes as tables
    in ``schema`` (codes written unnormalised: the SQL normalises them when read); yield them
    by ``QueryBuilder`` argument; drop them afterwards."""
    keyed = builder.scopes(keys).element  # read as a subquery: no WITH inside the INSERT
    assert isinstance(keyed, sa.Select | sa.CompoundSelect)
    subquery = keyed.subquery("pa_keys")
    select = sa.select(*subquery.c, date_literal(today).label(RUN_DATE))
    md = sa.MetaData()
    scope = sa.Table(
        SCOPES,
        md,
        *(sa.Column(c.name, _storable(c.type)) for c in select.selected_columns),
        schema=schema,
    )
    codes = sa.Table(
        CODES,
        md,
        sa.Column("slot", sa.Integer),
        sa.Column("hcpcs_code", sa.String(32)),
        schema=schema,
    )
    tables = {
        "scope_source": scope,
        "code_source": codes,
        "specialty_source": _text_table(md, SPECIALTIES, SPECIALTY_COLUMNS, schema),
        "taxonomy_source": _text_table(md, TAXONOMIES, TAXONOMY_COLUMNS, schema),
        "revenue_code_source": _text_table(md, REVENUE_CODES, ("revenue_center_code",), schema),
    }
    vs = builder.valuesets
    rows: dict[str, list[tuple[Any, ...]]] = {
        "code_source": [
            (slot, f" {code.lower()} ")
            for slot, listed in enumerate(builder.primary_care_lists(), start=1)
            for code in sorted(listed)
        ],
        "specialty_source": [
            (_specialty(code), vs.specialty_bucket.get(code), vs.specialty_description.get(code))
            for code in sorted(vs.specialty_bucket.keys() | vs.specialty_description.keys())
        ],
        "taxonomy_source": [
            (f" {tax.lower()}", _specialty(spec)) for tax, spec in vs.taxonomy_specialty.items()
        ],
        "revenue_code_source": [
            (f" {code} ",) for code in sorted(builder.method.fqhc_revenue_codes)
        ],
    }
    try:
        with engine.begin() as conn:
            for table in tables.values():
                conn.execute(DropTableIfExists(table))
                table.create(conn)
            conn.execute(scope.insert().from_select([c.name for c in scope.c], select))
            for arg, values in rows.items():
                table = tables[arg]
                if values:  # one statement (an emulator such as fakesnow runs each row alone)
                    names = [c.name for c in table.c]
                    conn.execute(
                        table.insert().values([dict(zip(names, v, strict=True)) for v in values])
                    )
        yield {arg: _clause(table) for arg, table in tables.items()}
    finally:
        with engine.begin() as conn:
            for table in tables.values():
                conn.execute(DropTableIfExists(table))


def _canonical_rows(conn: sa.Connection, run: CompiledRun) -> dict[str, list[dict[str, Any]]]:
    """Every output of ``run``, canonical (:func:`harness.canonical`) and sorted."""
    return {
        name: canonical(conn.execute(select).mappings().all(), outputs.column_names(name))
        for name, select in run.selects().items()
    }


def assert_same_rows(
    engine: sa.Engine,
    inputs: Inputs,
    method: Method,
    as_of: Sequence[dt.date],
    years: Sequence[int],
    today: dt.date,
    valuesets: ValueSets | None = None,
    schema: str | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Every output of the run reading the keys and lists from tables (written in ``schema``)
    has the rows of the run with literal keys and inlined lists; return the latter."""
    keys = scope_keys(list(as_of), list(years), method.year_anchor)
    literal = QueryBuilder(inputs, method, valuesets, today)
    with scope_tables(engine, literal, keys, today, schema) as sources:
        tabled = QueryBuilder(inputs, method, valuesets, UNUSED_TODAY, **sources)
        with engine.connect() as conn:
            want = _canonical_rows(conn, literal.compile(keys))
            got = _canonical_rows(conn, tabled.compile(()))
    for name in want:
        assert got[name] == want[name], name
    return want
