"""Bad input on every engine: odd identifiers, injection attempts, hostile data.

- Odd schema, table and column names (quotes, spaces, case, reserved words, unicode, SQL and
  parameter metacharacters), created from SQLAlchemy metadata and mapped with ``Inputs``, work
  on every engine, or fail clearly where the engine (or its emulator) cannot store the name:
  each such case (``KNOWN_FAILURES``) asserts the error and says why.
- Ids full of quotes, semicolons, comment markers, backslashes and percent signs are data, never
  SQL: outputs equal the oracle's, and a canary table the payloads try to drop survives. Ids
  differing only in case, trailing spaces or accents stay apart (on MySQL/MariaDB through the
  binary collation the package forces on ids).
- Values reach the database only as bound parameters; the SQL the ``sql`` command prints quotes
  them as literals, parses back as exactly one statement per output table, and stores quotes,
  backslashes and percent signs verbatim when run.
- Hypothesis data sets of hostile but schema-valid data (``tests/strategies_hostile.py``) on
  DuckDB and PostgreSQL: no crash, the output invariants hold, and the oracle agrees.
- Known differences are pinned: non-ASCII whitespace/case in codes per engine; ids differing
  only in case, trailing spaces or accents stay apart on every engine (MySQL/MariaDB included);
  the Python side's date limits (years 1 and 9999) run or fail with a clear error.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
import sqlglot
from hypothesis import HealthCheck, event, given, note, settings
from sqlglot import expressions as exp

from engines import Session, selected
from harness import Dataset, canonical, run_oracle
from provider_attribution.analysis.explain import explain
from provider_attribution.emit.sqltext import session_settings, sqlalchemy_dialect, statements
from provider_attribution.engines import output_tables
from provider_attribution.engines.ddl import DropTableIfExists
from provider_attribution.model import outputs
from provider_attribution.model.inputs import (
    ClaimsTable,
    Classification,
    EligibilityTable,
    Inputs,
    NpiListTable,
    ProvidersTable,
    RosterTable,
    SelectionTable,
)
from provider_attribution.model.method import MSSP, MSSP_PROSPECTIVE, TUVA, Fallback, Method, Path
from provider_attribution.model.valuesets import ValueSets
from provider_attribution.model.windows import ScopeKey, month_key
from provider_attribution.warehouse.run import attribute, build_queries
from sessions import shared_session
from strategies import EXAMPLE_SCALE
from strategies_hostile import HostileCase, hostile_cases

# ------------------------------------------------------------------------ loading, any names

_ID = sa.String(100)
_DATE = sa.Date()
Columns = tuple[tuple[str, sa.types.TypeEngine[Any]], ...]
# The logical input tables: (Inputs field, default table name, columns).
LOGICAL: tuple[tuple[str, str, Columns], ...] = (
    (
        "claims",
        "medical_claim",
        (
            ("person_id", _ID),
            ("claim_id", _ID),
            ("claim_line_number", sa.Integer()),
            ("encounter_id", _ID),
            ("rendering_npi", _ID),
            ("hcpcs_code", sa.String(16)),
            ("claim_start_date", _DATE),
            ("claim_end_date", _DATE),
            ("allowed_amount", sa.Numeric(18, 2)),
            ("paid_amount", sa.Numeric(18, 2)),
            ("tin", _ID),
            ("revenue_center_code", sa.String(8)),
            ("attending_npi", _ID),
        ),
    ),
    ("eligibility", "member_months", (("person_id", _ID), ("year_month", sa.String(6)))),
    ("providers", "provider", (("npi", _ID), ("classification", sa.String(32)))),
    (
        "roster",
        "aco_participants",
        (("npi", _ID), ("tin", _ID), ("aco_id", _ID), ("start_date", _DATE), ("end_date", _DATE)),
    ),
    ("attested", "attested_npis", (("npi", _ID),)),
    (
        "self_selections",
        "self_selections",
        (("person_id", _ID), ("npi", _ID), ("effective_date", _DATE), ("end_date", _DATE)),
    ),
    (
        "geographic",
        "geographic_assignments",
        (("person_id", _ID), ("npi", _ID), ("effective_date", _DATE), ("end_date", _DATE)),
    ),
)
_SPECS: dict[str, type[Any]] = {
    "claims": ClaimsTable,
    "eligibility": EligibilityTable,
    "providers": ProvidersTable,
    "roster": RosterTable,
    "attested": NpiListTable,
    "self_selections": SelectionTable,
    "geographic": SelectionTable,
}

Namer = Callable[[str], str]


def _plain(name: str) -> str:
    return name


def _rows(data: Dataset, logical: str) -> list[dict[str, Any]] | None:
    if logical != "eligibility":
        rows: list[dict[str, Any]] | None = getattr(data, logical)
        return rows
    return [
        {
            "person_id": r.get("person_id"),
            "year_month": None if r.get("year_month") is None else str(r["year_month"]),
        }
        for r in data.eligibility
    ]


# Words some dialect's identifier preparer leaves unquoted although its engine reserves them
# (DuckDB: by, at; Snowflake: case, join, limit, ...). The loader creates such tables and columns
# quoted, and maps them in upper case on Snowflake (unquoted names are upper case there: a plain
# upper-case name is one snowflake-sqlalchemy quotes); whether the package's own queries then
# work is what the ``keyword_gaps`` style finds out.
KEYWORD_GAPS = frozenset(
    {"at", "by", "case", "default", "desc", "end", "grant", "join", "limit", "primary",
     "references", "user", "with"}
)  # fmt: skip


def physical(name: str, dialect: str) -> str:
    """The name to create and to map for ``name`` on ``dialect``."""
    return name.upper() if dialect == "snowflake" and name in KEYWORD_GAPS else name


def _ddl_name(name: str, dialect: str) -> sa.sql.quoted_name:
    return sa.sql.quoted_name(physical(name, dialect), True if name in KEYWORD_GAPS else None)


def _table(
    dialect: str,
    schema: str | None,
    name: str,
    columns: Columns = (),
    column: Namer = _plain,
) -> sa.Table:
    return sa.Table(
        _ddl_name(name, dialect),
        sa.MetaData(),
        *(sa.Column(_ddl_name(column(c), dialect), t) for c, t in columns),
        schema=None if schema is None else _ddl_name(schema, dialect),
    )


def _exact_decimals(columns: Columns) -> Columns:
    """duckdb-engine binds Decimal parameters as float (SQLAlchemy's Numeric bind processor
    there is ``to_float``), which loses cents beyond 15 significant digits; text parameters are
    cast to DECIMAL exactly by DuckDB."""
    return tuple((c, sa.String() if isinstance(t, sa.Numeric) else t) for c, t in columns)


def load_inputs(
    conn: sa.Connection,
    data: Dataset,
    schema: str | None,
    *,
    table: Namer = _plain,
    column: Namer = _plain,
    fresh: bool = False,
) -> Inputs:
    """(Re)create the input tables of ``data`` from SQLAlchemy metadata under the given names
    (``fresh``: the schema is new, nothing to drop), insert the rows (as bound parameters) and
    return the matching mapping."""
    dialect = conn.dialect.name
    specs: dict[str, Any] = {}
    for logical, default, columns in LOGICAL:
        if not fresh:
            conn.execute(DropTableIfExists(_table(dialect, schema, table(default))))
        rows = _rows(data, logical)
        if rows is None:
            continue
        created = _table(dialect, schema, table(default), columns, column)
        created.create(conn)  # no checkfirst: snowflake-sqlalchemy formats has_table's names
        if rows:
            target = created
            if dialect == "duckdb":  # see _exact_decimals
                target = _table(dialect, schema, table(default), _exact_decimals(columns), column)
            keys = [col.key for col in target.columns]
            values = [{k: r.get(c) for k, (c, _) in zip(keys, columns, strict=True)} for r in rows]
            # One multi-row INSERT (fakesnow runs an executemany row by row, each transpiled).
            conn.execute(target.insert().values(values))
        mapped: dict[str, Any] = {c: physical(column(c), dialect) for c, _ in columns}
        if not data.encounter_mapped and logical == "claims":
            mapped["encounter_id"] = None
        if not data.claims_have_tin and logical == "claims":
            mapped["tin"] = None
        if logical == "providers":
            mapped["classification_kind"] = data.classification_kind
            mapped["entity_type"] = None  # the generated directory has no entity type column
        specs[logical] = _SPECS[logical](
            name=physical(table(default), dialect),
            schema=None if schema is None else physical(schema, dialect),
            **mapped,
        )
    return Inputs(**specs)


def drop_inputs(engine: sa.Engine, schema: str | None, table: Namer = _plain) -> None:
    with engine.begin() as conn:
        for _, default, _columns in LOGICAL:
            conn.execute(DropTableIfExists(_table(conn.dialect.name, schema, table(default))))


def unchecked(method: Method) -> Method:
    """``method`` without the NPI check: the hostile ids stand in for NPIs and must reach the
    ranking (the check itself is tested with real-format NPIs in the conformance suite)."""
    return replace(method, check_npi=False)


def attribute_and_read(
    session: Session,
    data: Dataset,
    method: Method,
    as_of: dt.date | None,
    years: list[int],
    *,
    in_schema: str | None,
    out_schema: str | None,
    table: Namer = _plain,
    column: Namer = _plain,
    after_load: Callable[[sa.Connection, Inputs], None] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Load ``data`` under the given names (then ``after_load``), attribute it, read the three
    outputs back."""
    fresh = in_schema != session.schema
    with session.engine.begin() as conn:
        inputs = load_inputs(conn, data, in_schema, table=table, column=column, fresh=fresh)
        if after_load is not None:
            after_load(conn, inputs)
    summary = attribute(
        session.engine,
        inputs,
        method=unchecked(method),
        as_of=as_of,
        years=years,
        current=as_of is not None,
        target_schema=None if out_schema is None else physical(out_schema, session.name),
        **options,
    )
    if out_schema is not None:
        out_schema = physical(out_schema, session.name)
    got: dict[str, Any] = dict(read_exact(session.engine, out_schema))
    got["exclusions"] = summary.exclusions
    return got


def read_exact(engine: sa.Engine, schema: str | None) -> dict[str, list[dict[str, Any]]]:
    """The three outputs, canonical and sorted, read without SQLAlchemy's result types: on
    DuckDB (duckdb-engine declares no native decimals) a Numeric column is read through float,
    which turns 999999999999999.99 into 1000000000000000.00."""
    result = {}
    with engine.connect() as conn:
        for name in outputs.TABLES:
            table = output_tables.table(name, schema)
            cols = outputs.column_names(name)
            raw = [sa.type_coerce(table.c[c], sa.types.NullType()).label(c) for c in cols]
            result[name] = canonical(conn.execute(sa.select(*raw)).mappings().all(), cols)
    return result


def assert_matches_oracle(
    got: Mapping[str, Any], data: Dataset, method: Method, as_of: dt.date | None, years: list[int]
) -> None:
    want = run_oracle(data, method=unchecked(method), as_of=as_of, years=years)
    for name in outputs.TABLES:
        assert got[name] == want[name], f"{name} differs"
    assert got["exclusions"] == want["exclusions"]


# ----------------------------------------------------------------- a data set using every input

AS_OF = dt.date(2024, 6, 30)
YEARS = [2023, 2024]
# Every path and input at once: selections (both kinds), ACO roster, TINs, FQHC lines.
EVERY_INPUT = replace(
    MSSP, name="every_input", paths=(Path.SELF_SELECTION, Path.CLAIMS, Path.GEOGRAPHIC)
)


def _claim(
    person: str,
    npi: str,
    hcpcs: str,
    day: str,
    allowed: str | None,
    claim_id: str,
    **extra: Any,
) -> dict[str, Any]:
    paid = extra.pop("paid", None)
    return {
        "person_id": person,
        "claim_id": claim_id,
        "claim_line_number": 1,
        "encounter_id": extra.pop("encounter", None),
        "rendering_npi": npi,
        "hcpcs_code": hcpcs,
        "claim_start_date": dt.date.fromisoformat(day),
        "claim_end_date": dt.date.fromisoformat(day),
        "allowed_amount": None if allowed is None else Decimal(allowed),
        "paid_amount": None if paid is None else Decimal(paid),
        "tin": extra.pop("tin", None),
        "revenue_center_code": extra.pop("revenue", None),
        "attending_npi": extra.pop("attending", None),
    }


def _months(person: str, first: tuple[int, int], last: tuple[int, int]) -> list[dict[str, Any]]:
    rows = []
    year, month = first
    while (year, month) <= last:
        rows.append({"person_id": person, "year_month": year * 100 + month})
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return rows


def _date(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def base_dataset() -> Dataset:
    """Five persons, five NPIs, two ACOs, two TINs: ties, FQHC lines (one attested, one not),
    selections valid and not, an eligible person without claims, an ineligible one with."""
    claims = [
        _claim("P1", "N1", "99213", "2024-03-01", "100.00", "C1", tin="T1"),
        _claim("P1", "N2", "99214", "2024-04-01", "100.00", "C2"),  # ties N1: order by id
        _claim("P1", "N3", "99213", "2024-05-01", "500.00", "C3", tin="T2"),
        _claim("P2", "N3", "99213", "2023-08-01", "80.00", "C4"),
        _claim("P2", "N5", "80053", "2024-01-10", "300.00", "C5", tin="T2"),
        _claim("P2", "N5", "80053", "2024-02-02", "50.00", "C6", revenue="0521", attending="N4"),
        _claim("P2", "N5", "99213", "2024-02-03", "70.00", "C7", revenue="0522", attending="N1"),
        _claim("P3", "N4", "G0439", "2024-06-30", None, "C8", paid="40.00", encounter="E1"),
        _claim("P3", "N1", "99213", "2022-07-01", "60.00", "C9", encounter="E1"),
        _claim("P3", "N2", "99213", "2024-06-01", "40.00", "C10", tin="T1"),
        _claim("P5", "N1", "99213", "2024-03-01", "10.00", "C11"),
    ]
    # Each person's claim months (P5's are missing: ineligible), and June of 2023 and 2024 so
    # every scope key's eligibility window has a member month.
    eligibility = [
        {"person_id": c["person_id"], "year_month": month_key(c["claim_start_date"])}
        for c in claims
        if c["person_id"] != "P5"
    ]
    eligibility += [
        {"person_id": p, "year_month": ym}
        for p in ("P1", "P2", "P3", "P4")
        for ym in (202306, 202406)
    ]
    eligibility += _months("P5", (2020, 1), (2020, 2))

    def selection(person: str, npi: str, start: str, end: str | None = None) -> dict[str, Any]:
        return {
            "person_id": person,
            "npi": npi,
            "effective_date": _date(start),
            "end_date": _date(end),
        }

    def member(
        npi: str, tin: str | None, aco: str, start: str | None, end: str | None
    ) -> dict[str, Any]:
        return {"npi": npi, "tin": tin, "aco_id": aco, "start_date": _date(start),
                "end_date": _date(end)}  # fmt: skip

    return Dataset(
        claims=claims,
        eligibility=eligibility,
        providers=[
            {"npi": "N1", "classification": "207Q00000X"},
            {"npi": "N2", "classification": "207R00000X"},
            {"npi": "N3", "classification": "207RC0000X"},
            {"npi": "N4", "classification": "363L00000X"},
        ],
        encounter_mapped=True,
        claims_have_tin=True,
        roster=[
            member("N1", "T1", "A1", None, None),
            member("N2", None, "A1", "2023-01-01", None),
            member("N4", None, "A2", "2024-01-01", None),
            member("N3", "T2", "A2", None, "2023-12-31"),
        ],
        attested=[{"npi": "N4"}],
        self_selections=[selection("P4", "N2", "2024-01-01"), selection("P1", "N3", "2025-01-01")],
        geographic=[
            selection("P4", "N1", "2023-01-01"),
            selection("P3", "N3", "2020-01-01", "2024-12-31"),
        ],
    )


_ID_FIELDS = {
    "claims": ("person_id", "claim_id", "encounter_id", "rendering_npi", "tin", "attending_npi"),
    "eligibility": ("person_id",),
    "providers": ("npi",),
    "roster": ("npi", "tin", "aco_id"),
    "attested": ("npi",),
    "self_selections": ("person_id", "npi"),
    "geographic": ("person_id", "npi"),
}


def with_ids(data: Dataset, ids: Mapping[str, str]) -> Dataset:
    """``data`` with every id replaced through ``ids``."""
    changed: dict[str, Any] = {}
    for logical, fields in _ID_FIELDS.items():
        rows = getattr(data, logical)
        if rows is not None:
            changed[logical] = [
                {k: ids.get(v, v) if k in fields and v is not None else v for k, v in r.items()}
                for r in rows
            ]
    return replace(data, **changed)


# --------------------------------------------------------------------- the canary and cleanup

CANARY = "pa_canary"


# Where the canary lives when the emulator itself runs a payload (``Failure.runs_payload``):
# a schema that is never any connection's current schema, so an unqualified payload misses it.
OUT_OF_REACH = "pa_canary_out_of_reach"


def _canary(schema: str | None) -> sa.Table:
    return sa.Table(CANARY, sa.MetaData(), sa.Column("alive", sa.Integer), schema=schema)


def _canary_target(session: Session) -> str:
    """How an injected statement would name the canary table."""
    return f"{session.schema}.{CANARY}" if session.schema else CANARY


@contextlib.contextmanager
def canary_survives(session: Session, *, out_of_reach: bool = False) -> Iterator[None]:
    """A table the payloads try to drop: it must still be there (with its row) afterwards.
    It lives in the session's schema, or with ``out_of_reach`` in a schema of its own."""
    table = _canary(OUT_OF_REACH if out_of_reach else session.schema)
    with session.engine.begin() as conn:
        if out_of_reach:
            conn.execute(sa.schema.CreateSchema(OUT_OF_REACH, if_not_exists=True))
            # Snowflake (and fakesnow) make a created schema the current one: switch back.
            conn.execute(sa.text(f"USE SCHEMA {session.schema}"))
        conn.execute(DropTableIfExists(table))
        table.create(conn)
        conn.execute(table.insert(), [{"alive": 1}])
    yield
    with session.engine.begin() as conn:
        assert conn.execute(sa.select(table.c.alive)).scalar_one() == 1
        if out_of_reach:
            conn.execute(sa.schema.DropSchema(OUT_OF_REACH, cascade=True))


def _fakesnow() -> bool:
    return not os.environ.get("PROVIDER_ATTRIBUTION_SNOWFLAKE_URL")


# ------------------------------------------------------------------------- odd identifiers

# Words every dialect here quotes, as table and column names (unique within each table).
RESERVED = {
    "medical_claim": "select",
    "member_months": "order",
    "provider": "group",
    "aco_participants": "from",
    "attested_npis": "table",
    "self_selections": "where",
    "geographic_assignments": "having",
    "person_id": "select",
    "claim_id": "order",
    "claim_line_number": "group",
    "encounter_id": "from",
    "rendering_npi": "where",
    "hcpcs_code": "having",
    "claim_start_date": "union",
    "claim_end_date": "check",
    "allowed_amount": "column",
    "paid_amount": "and",
    "tin": "or",
    "revenue_center_code": "not",
    "attending_npi": "in",
    "year_month": "as",
    "npi": "distinct",
    "classification": "null",
    "aco_id": "between",
    "start_date": "into",
    "effective_date": "into",
    "end_date": "all",
}
# Keywords some dialect's preparer does not quote (see KEYWORD_GAPS).
GAPS = {
    "medical_claim": "join",
    "member_months": "case",
    "provider": "limit",
    "aco_participants": "user",
    "attested_npis": "end",
    "self_selections": "desc",
    "geographic_assignments": "default",
    "person_id": "by",
    "claim_id": "case",
    "claim_line_number": "join",
    "encounter_id": "limit",
    "rendering_npi": "user",
    "hcpcs_code": "end",
    "claim_start_date": "desc",
    "claim_end_date": "default",
    "allowed_amount": "grant",
    "paid_amount": "with",
    "tin": "primary",
    "revenue_center_code": "references",
    "attending_npi": "at",
    "year_month": "case",
    "npi": "user",
    "classification": "end",
    "aco_id": "grant",
    "start_date": "desc",
    "effective_date": "desc",
    "end_date": "default",
}


@dataclass(frozen=True)
class Style:
    """A family of odd identifiers: ``name(base)`` is the physical name of ``base``;
    ``schemas`` the exact (input, target) schema names where the session owns the database."""

    id: str
    name: Callable[[str], str]
    schemas: tuple[str, str] | None = None


def _words(words: Mapping[str, str]) -> Callable[[str], str]:
    return lambda base: words.get(base, base)


def _initials(base: str) -> str:
    """A short distinct stand-in (``claim_start_date`` -> ``csd16``), keeping schema tokens, so
    names with the payload stay within PostgreSQL's 63 and MySQL's 64 characters."""
    if base.startswith(("in_", "out_")):
        return base
    return "".join(part[0] for part in base.split("_")) + str(len(base))


STYLES = (
    Style("single_quote", lambda b: f"{b}'s"),
    Style("double_quote", lambda b: f'{b} "q"'),
    Style("space", lambda b: f"my {b}"),
    Style("mixed_case", lambda b: "".join(p.capitalize() for p in b.split("_"))),
    Style("upper_case", str.upper),
    Style("reserved_word", _words(RESERVED), ("order", "group")),
    Style("keyword_gaps", _words(GAPS), ("case", "join")),
    Style("unicode", lambda b: f"données_{b}_é名"),
    Style("supplementary_plane", lambda b: f"{b}_🩺"),
    Style("backtick", lambda b: f"{b}`x"),
    Style("backslash", lambda b: f"{b}\\x"),
    Style("percent_and_binds", lambda b: f"{b} 100% %(x)s %s :x ?"),
    Style("dot", lambda b: f"{b}.x"),
    Style("trailing_space", lambda b: f"{b} "),
    # The payload names the canary table unqualified: a dot would meet duckdb-engine's
    # database.schema reading (see "dot"); an executed payload fails or drops a table either way.
    Style("injection", lambda b: f"{_initials(b)}\"';DROP TABLE {CANARY};--"),
)


@dataclass(frozen=True)
class Failure:
    """An identifier the engine (or emulator) cannot store: the error it raises, and why."""

    error: type[BaseException] | tuple[type[BaseException], ...]
    match: str
    reason: str
    # The emulator runs the injected SQL itself, against whichever schema is current on the
    # pooled connection; the canary then sits out of its reach, so the outcome is the same
    # in every test order.
    runs_payload: bool = False


_MYSQL_SUPPLEMENTARY = Failure(
    sa.exc.OperationalError,
    r"\(1300, \"Invalid utf8mb4 character string: '[a-z_0-9]+_\\\\xF0\\\\x9F\\\\xA9\\\\xBA'",
    "MySQL/MariaDB identifiers may only hold Basic Multilingual Plane characters",
)
_FAKESNOW_SPLICES = (
    "fakesnow (0.12) splices names into its own SQL (SET schema='db.schema', 'Table ... "
    "successfully dropped.' messages, information-schema inserts) without escaping; a real "
    "Snowflake account takes any quoted name"
)
_FAKESNOW_SINGLE_QUOTE = Failure(
    Exception,  # the emulator's own duckdb.ParserException, not wrapped by SQLAlchemy
    r"unterminated string literal",
    _FAKESNOW_SPLICES,
)
_FAKESNOW_PERCENT = Failure(
    sa.exc.ProgrammingError,
    r"Catalog Error: Table with name .*100% %\(x\)s %s :x \?.* does not exist",
    "fakesnow applies pyformat only to statements with parameters: CREATE keeps SQLAlchemy's "
    "escaped %% in the name it creates, the INSERT then names the table with a single %",
)
# (engine, style, level) -> failure; level "schema" (input and target schema names) or "names"
# (table and column names). "fakesnow" is Snowflake emulated by fakesnow.
KNOWN_FAILURES: dict[tuple[str, str, str], Failure] = {
    ("mysql", "supplementary_plane", "schema"): _MYSQL_SUPPLEMENTARY,
    ("mysql", "supplementary_plane", "names"): _MYSQL_SUPPLEMENTARY,
    ("mysql", "trailing_space", "schema"): Failure(
        sa.exc.ProgrammingError,
        r"\(1102, \"Incorrect database name 'in_[0-9a-f]+ '\"\)",
        "MySQL/MariaDB database names cannot end with a space",
    ),
    ("mysql", "trailing_space", "names"): Failure(
        sa.exc.ProgrammingError,
        r"\(1103, \"Incorrect table name '[a-z_]+ '\"\)",
        "MySQL/MariaDB table (and column) names cannot end with a space",
    ),
    ("duckdb", "dot", "schema"): Failure(
        sa.exc.ProgrammingError,
        r"Catalog Error: \"in_[0-9a-f]+\" is not a catalog or schema",
        "duckdb-engine reads a dotted schema name as database.schema and quotes each part",
    ),
    ("fakesnow", "single_quote", "schema"): _FAKESNOW_SINGLE_QUOTE,
    ("fakesnow", "single_quote", "names"): _FAKESNOW_SINGLE_QUOTE,
    ("fakesnow", "double_quote", "schema"): Failure(
        Exception,
        r'SET schema: No catalog \+ schema named "PA_CONFORMANCE\.in_[0-9a-f]+ q" found',
        _FAKESNOW_SPLICES,
    ),
    ("fakesnow", "dot", "schema"): Failure(
        Exception,
        # duckdb 2.0.0 rejects the dotted name itself; 2.0.1 looks for the spliced catalog.schema
        r"Too many dots - expected \[schema\] or \[catalog\.schema\]"
        r'|SET schema: No catalog \+ schema named "PA_CONFORMANCE\.in_[0-9a-f]+\.x" found',
        _FAKESNOW_SPLICES,
    ),
    ("fakesnow", "injection", "schema"): Failure(
        Exception, r"Unterminated quote in qualified name", _FAKESNOW_SPLICES
    ),
    ("fakesnow", "injection", "names"): Failure(
        Exception,
        r"Table with name pa_canary does not exist",
        _FAKESNOW_SPLICES + ": DROP TABLE IF EXISTS on a name holding a quote runs the rest of "
        "the name as SQL, here the payload's DROP TABLE pa_canary (unqualified, so it misses "
        "the canary and fails)",
        runs_payload=True,
    ),
    ("fakesnow", "percent_and_binds", "schema"): _FAKESNOW_PERCENT,
    ("fakesnow", "percent_and_binds", "names"): _FAKESNOW_PERCENT,
}


def _engine_key(name: str) -> str:
    return "fakesnow" if name == "snowflake" and _fakesnow() else name


@dataclass(frozen=True)
class IdentCase:
    engine: str
    style: Style
    level: str  # "all" (schema, table and column names), "schema" or "names"

    @property
    def failure(self) -> Failure | None:
        key = _engine_key(self.engine)
        levels = ("schema", "names") if self.level == "all" else (self.level,)
        found = [KNOWN_FAILURES[key, self.style.id, lv] for lv in levels
                 if (key, self.style.id, lv) in KNOWN_FAILURES]  # fmt: skip
        return found[0] if found else None


def _ident_cases() -> list[Any]:
    cases = []
    for engine in selected():
        key = _engine_key(engine)
        for style in STYLES:
            if engine == "sqlite":
                levels = ["names"]  # no schemas: odd table and column names in the database
            elif any(k[:2] == (key, style.id) for k in KNOWN_FAILURES):
                levels = ["schema", "names"]  # show each level's outcome on its own
            else:
                levels = ["all"]
            for level in levels:
                case = IdentCase(engine, style, level)
                cases.append(pytest.param(case, id=f"{engine}-{style.id}-{level}"))
    return cases


def _schema_names(session: Session, style: Style, level: str) -> tuple[str | None, str | None]:
    if session.schema is None:
        return None, None
    if level == "names":
        return session.schema, session.schema
    token = uuid.uuid4().hex[:8]
    if style.schemas is not None:
        if session.name == "duckdb" or (session.name == "snowflake" and _fakesnow()):
            return style.schemas  # the session owns the whole (in-memory) database
        # Shared servers: a fixed schema name could collide with a concurrent run.
        return f"{style.schemas[0]}_{token}", f"{style.schemas[1]}_{token}"
    return style.name(f"in_{token}"), style.name(f"out_{token}")


def _drop_schema(session: Session, schema: str) -> None:
    with session.engine.begin() as conn:
        conn.execute(
            sa.schema.DropSchema(_ddl_name(schema, session.name), cascade=session.name != "mysql")
        )


@pytest.mark.parametrize("case", _ident_cases())
def test_odd_identifiers(case: IdentCase) -> None:
    """Schema, table and column names of one odd style, created from SQLAlchemy metadata and
    mapped with ``Inputs``: the run into the (odd) target schema equals the oracle, or the
    engine rejects the name with an error naming it (fakesnow: the emulator's own error)."""
    session = shared_session(case.engine)
    in_schema, out_schema = _schema_names(session, case.style, case.level)
    names = case.style.name if case.level in ("all", "names") else _plain
    data, method = base_dataset(), EVERY_INPUT
    if _engine_key(case.engine) == "fakesnow":
        # The emulator transpiles every statement (about a second a run): the three required
        # inputs and Tuva there; the optional inputs' names take the same code path
        # (provider_attribution.engines.tables) on the four other engines.
        data = replace(data, roster=None, attested=None, self_selections=None, geographic=None)
        method = TUVA
    created: list[str] = []

    def run() -> dict[str, Any]:
        for schema in (in_schema, out_schema) if in_schema != session.schema else ():
            assert schema is not None
            with session.engine.begin() as conn:
                conn.execute(sa.schema.CreateSchema(_ddl_name(schema, session.name)))
            created.append(schema)
        return attribute_and_read(
            session,
            data,
            method,
            AS_OF,
            YEARS,
            in_schema=in_schema,
            out_schema=out_schema,
            table=names,
            column=names,
        )

    failure = case.failure
    with canary_survives(session, out_of_reach=failure is not None and failure.runs_payload):
        try:
            if failure is None:
                assert_matches_oracle(run(), data, method, AS_OF, YEARS)
            else:
                with pytest.raises(failure.error) as raised:
                    run()
                assert re.search(failure.match, str(raised.value)), (failure.reason, raised.value)
        finally:
            for schema in created:
                _drop_schema(session, schema)
            if not created and failure is None:
                drop_inputs(session.engine, in_schema, names)


# ------------------------------------------------------------------------- hostile id values


def hostile_ids(session: Session) -> dict[str, str]:
    """Ids full of SQL and parameter metacharacters. Each kind of id starts with its own digit
    so every engine's collation orders them as Python does (ties are broken by provider id);
    ids that differ only in case, trailing spaces or accents are tested on their own below."""
    drop = f"DROP TABLE {_canary_target(session)}"
    return {
        "P1": f"1'; {drop}; --",
        "P2": f'2"; {drop}; --',
        "P3": "3\\'\\",
        "P4": "4%(x)s %s 100% :p ? $1",
        "P5": "5 ü名🩺\t/*",
        "N1": "1'--",
        "N2": '2"`;',
        "N3": "3\\",
        "N4": "4%%",
        "N5": "5名🩺 ",
        "A1": f"6'); {drop}; --",
        "A2": "7\\%",
        "T1": "8;'",
        "T2": '9"\\',
        "C1": "C'1",
        "C2": 'C"2',
        "C3": "C;3",
        "C4": "C--4",
        "C5": "C\\5",
        "C6": "C%6",
        "C7": "C:7",
        "C8": "Cü8",
        "C9": "C?9",
        "C10": "C`10",
        "C11": "C/*11",
        "E1": "E' OR '1'='1",
    }


@pytest.mark.parametrize("method", [TUVA, EVERY_INPUT], ids=lambda m: m.name)
def test_hostile_ids_are_data(backend: Session, method: Method) -> None:
    """Person ids, NPIs, claim and encounter ids, ACO ids and TINs with quotes, semicolons,
    comment markers, backslashes, percent signs, bind markers and unicode: the outputs equal
    the oracle's and the canary the payloads name is still there."""
    data = with_ids(base_dataset(), hostile_ids(backend))
    with canary_survives(backend):
        got = attribute_and_read(
            backend, data, method, AS_OF, YEARS, in_schema=backend.schema, out_schema=backend.schema
        )
    assert_matches_oracle(got, data, method, AS_OF, YEARS)
    keys = {r["attribution_key"] for r in got[outputs.CURRENT]}
    assert f"current|20240630|{hostile_ids(backend)['P1']}" in keys


def _case_dataset() -> Dataset:
    """Persons and NPIs that differ only in case, a trailing space or an accent, with tied
    amounts so that provider id (byte order, docs/METHOD.md) decides the ranking."""
    persons = ["a", "A", "a ", "á"]
    npis = ["n", "N", "n ", "ñ"]
    claims = [
        _claim(p, n, "99213", "2024-05-01", "100.00", f"{p}|{n}") for p in persons for n in npis
    ]
    return Dataset(
        claims=claims,
        eligibility=[{"person_id": p, "year_month": 202405} for p in persons],
        providers=[{"npi": n, "classification": "207Q00000X"} for n in npis],
    )


def _byte_order_collation(session: Session) -> str | None:
    """Why text comparison is not byte order on this engine, or None if it is (MySQL/MariaDB
    compare with their column collation, but the package forces a binary one for ids)."""
    if session.name == "postgres":
        with session.engine.connect() as conn:
            collation = conn.execute(
                sa.text("SELECT datcollate FROM pg_database WHERE datname = current_database()")
            ).scalar_one()
        if collation not in ("C", "POSIX", "C.UTF-8", "C.utf8", "ucs_basic"):
            return (
                f"the database collation {collation!r} is not byte order and the package orders "
                'provider ids without COLLATE "C"'
            )
    return None


def test_ids_differing_in_case_space_or_accent_stay_apart(
    backend: Session, request: pytest.FixtureRequest
) -> None:
    """Four persons and four NPIs that are equal ignoring case, trailing spaces or accents stay
    sixteen candidates, ranked by provider id in byte order (strict xfail where the engine's
    collation is not bytewise)."""
    why = _byte_order_collation(backend)
    if why is not None:
        request.applymarker(pytest.mark.xfail(strict=True, reason=why))
    data = _case_dataset()
    got = attribute_and_read(
        backend, data, TUVA, AS_OF, [], in_schema=backend.schema, out_schema=backend.schema
    )
    assert_matches_oracle(got, data, TUVA, AS_OF, [])


def case_ids() -> dict[str, str]:
    """Ids of every kind (persons, NPIs, ACOs, TINs, claims) equal to one another ignoring case,
    trailing spaces or accents, all Latin-1 characters."""
    return {
        **dict(zip(("P1", "P2", "P3", "P4", "P5"), ("a", "A", "a ", "á", "Á"), strict=True)),
        **dict(zip(("N1", "N2", "N3", "N4", "N5"), ("n", "N", "n ", "ñ", "Ñ"), strict=True)),
        "A1": "x",
        "A2": "X",
        "T1": "t",
        "T2": "T ",
        **{
            f"C{i}": claim
            for i, claim in enumerate(
                ("c", "C", "c ", "ç", "Ç", "c  ", "C ", "cc", "cC", "Cc", "çC"), start=1
            )
        },
        "E1": "e",
    }


def _to_latin1(conn: sa.Connection, inputs: Inputs) -> None:
    """Store every input table in Latin-1 (MySQL/MariaDB), the columns' collation with it."""
    specs = (
        inputs.claims,
        inputs.eligibility,
        inputs.providers,
        inputs.roster,
        inputs.attested,
        inputs.self_selections,
        inputs.geographic,
    )
    for spec in specs:
        if spec is not None:
            name = conn.dialect.identifier_preparer.format_table(
                sa.table(spec.name, schema=spec.schema)
            )
            conn.exec_driver_sql(f"ALTER TABLE {name} CONVERT TO CHARACTER SET latin1")


@pytest.fixture(params=[name for name in selected() if name == "mysql"])
def mysql_backend(request: pytest.FixtureRequest) -> Session:
    """The MySQL/MariaDB backend alone: character sets are per column only there."""
    return shared_session(request.param)


def test_case_variant_ids_of_every_input_stay_apart(
    backend: Session, request: pytest.FixtureRequest
) -> None:
    """Persons, NPIs, ACO ids, TINs and claim ids that merge under a case-, accent- or
    space-insensitive collation stay apart through every path (selections, roster, FQHC lines):
    MySQL/MariaDB ids are compared byte by byte."""
    why = _byte_order_collation(backend)
    if why is not None:
        request.applymarker(pytest.mark.xfail(strict=True, reason=why))
    _case_variant_ids_stay_apart(backend, after_load=None)


def test_case_variant_ids_in_latin1_columns_stay_apart(mysql_backend: Session) -> None:
    """The same in input tables converted to latin1: byte comparison whatever the columns'
    character set."""
    _case_variant_ids_stay_apart(mysql_backend, after_load=_to_latin1)


def _case_variant_ids_stay_apart(backend: Session, after_load: Any) -> None:
    data = with_ids(base_dataset(), case_ids())
    got = attribute_and_read(
        backend,
        data,
        EVERY_INPUT,
        AS_OF,
        YEARS,
        in_schema=backend.schema,
        out_schema=backend.schema,
        after_load=after_load,
    )
    assert_matches_oracle(got, data, EVERY_INPUT, AS_OF, YEARS)
    persons = {r["person_id"] for r in got[outputs.CURRENT]}
    assert {"a", "A", "a ", "á"} <= persons
    schema = None if backend.schema is None else physical(backend.schema, backend.name)
    for person in ("a", "A", "a "):
        items = explain(backend.engine, person, schema, method=EVERY_INPUT)
        assert {item.person_id for item in items} == {person}


# ------------------------------------------------------------ values never become SQL text

VALUE = "'; DROP TABLE x; --"
IDENT = "i'\"`; DROP TABLE y; --"
# snowflake-sqlalchemy parses schema names ('"db"."schema"', 'db.schema'): a double quote inside
# one is a ValueError there, so the schema payload has none.
SCHEMA = "s'`; DROP TABLE y; --"
DIALECTS = {  # SQLAlchemy dialect -> sqlglot dialect
    "duckdb": "duckdb",
    "sqlite": "sqlite",
    "postgresql": "postgres",
    "mysql": "mysql",
    "snowflake": "snowflake",
}


def _dangerous_run() -> tuple[Any, set[str], set[str]]:
    """A run whose method texts, value sets and every input name carry a payload; returns the
    run, the payload values and the payload identifiers."""
    sets = ValueSets.for_year()
    sets = replace(
        sets,
        primary_care_hcpcs=sets.primary_care_hcpcs | {VALUE},
        taxonomy_specialty={**sets.taxonomy_specialty, VALUE: "08"},
    )
    method = replace(
        EVERY_INPUT,
        passes=tuple(
            replace(p, description=f"{VALUE} {i}") for i, p in enumerate(EVERY_INPUT.passes)
        ),
        fallback=Fallback(VALUE, VALUE + " b", VALUE + " s", VALUE + " d"),
        fqhc_revenue_codes=frozenset({"0521", VALUE + " r"}),
    )
    idents = {SCHEMA}
    specs: dict[str, Any] = {}
    for logical, default, columns in LOGICAL:
        mapped = {c: f"{IDENT} {c}" for c, _ in columns}
        idents |= {*mapped.values(), f"{IDENT} {default}"}
        if logical == "providers":
            mapped["classification_kind"] = Classification.TAXONOMY
        specs[logical] = _SPECS[logical](name=f"{IDENT} {default}", schema=SCHEMA, **mapped)
    keys = [ScopeKey.current(AS_OF), ScopeKey.yearly(2024)]
    run = build_queries(keys, Inputs(**specs), method=method, valuesets=sets)
    values = {VALUE, *(p.description for p in method.passes), *vars(method.fallback).values()}
    values.add(VALUE + " r")
    return run, values, idents


@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_values_are_bound_parameters(dialect: str) -> None:
    """What ``attribute`` executes: payload values only in the parameters, payload names only
    inside quoted identifiers."""
    run, values, idents = _dangerous_run()
    engine_dialect = sqlalchemy_dialect(dialect)
    assert engine_dialect is not None
    quote = engine_dialect.identifier_preparer.quote_identifier
    bound: set[str] = set()
    for select in run.selects().values():
        compiled = select.compile(dialect=engine_dialect)
        text = str(compiled)
        assert "DROP TABLE x" not in text
        params = [v for p in compiled.params.values() for v in (p if isinstance(p, list) else [p])]
        bound |= {v for v in params if isinstance(v, str)}
        for ident in sorted(idents, key=len, reverse=True):
            text = text.replace(quote(ident), "")
        assert "DROP TABLE y" not in text
    assert values <= bound


@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_printed_sql_quotes_values(dialect: str) -> None:
    """What the ``sql`` command prints (literal values): exactly one CREATE TABLE per output,
    no DROP anywhere, and the payloads only as string literals and quoted identifiers."""
    run, values, idents = _dangerous_run()
    texts = statements(run, dialect, SCHEMA)
    parsed = sqlglot.parse(";\n".join(texts), read=DIALECTS[dialect])
    assert len(parsed) == len(outputs.WRITTEN)
    assert all(isinstance(statement, exp.Create) for statement in parsed)
    assert not any(s.find(exp.Drop) for s in parsed if s is not None)
    literals = {
        lit.this
        for s in parsed
        if s is not None
        for lit in s.find_all(exp.Literal)
        if lit.is_string and "DROP" in lit.this
    }
    names = {i.this for s in parsed if s is not None for i in s.find_all(exp.Identifier)}
    assert literals == values
    assert {n for n in names if "DROP" in n} <= idents
    assert SCHEMA in names


PRINTED_VALUES = {
    "quotes": "O'Brien'; DROP TABLE x; --",
    "backslash_percent": "a\\b 100%",
}


@pytest.mark.parametrize("value", list(PRINTED_VALUES))
def test_printed_sql_keeps_values(
    backend: Session, value: str, request: pytest.FixtureRequest
) -> None:
    """The ``sql`` command's statements, run on the engine, write the fallback id verbatim."""
    text = PRINTED_VALUES[value]
    data = base_dataset()
    with backend.engine.begin() as conn:
        inputs = load_inputs(conn, data, backend.schema)
        for name in outputs.WRITTEN:
            conn.execute(DropTableIfExists(output_tables.table(name, backend.schema)))
    method = replace(TUVA, fallback=Fallback(provider_id=text))
    run = build_queries([ScopeKey.current(AS_OF)], inputs, method=method)
    raw = backend.engine.raw_connection()  # as printed: no parameter processing at all
    try:
        cursor = raw.cursor()
        for setting in session_settings(backend.name):
            cursor.execute(setting)
        if backend.name == "postgres":
            cursor.execute("SHOW max_parallel_workers_per_gather")
            shown = cursor.fetchone()
            assert shown is not None
            assert shown[0] == "0"
        for statement in statements(run, backend.name, backend.schema):
            cursor.execute(statement)
        raw.commit()
    finally:
        raw.close()
    ranking = output_tables.table(outputs.RANKING, backend.schema)
    with backend.engine.connect() as conn:
        got = conn.execute(sa.select(ranking.c.provider_id).where(ranking.c.step == 0)).scalars()
        assert set(got) == {text}


# ------------------------------------------------------------------ fuzzing with hostile data

FUZZ_BACKENDS = [name for name in ("duckdb", "postgres") if name in selected()]


@pytest.fixture(params=FUZZ_BACKENDS)
def fuzz_backend(request: pytest.FixtureRequest) -> Session:
    """DuckDB and PostgreSQL: the two engines the hostile data sets run on."""
    return shared_session(request.param)


def _month_index(year_month: int) -> int:
    return (year_month // 100) * 12 + year_month % 100 - 1


def eligible_persons(case: HostileCase, method: Method) -> dict[tuple[str, Any], set[str]]:
    """(scope, as-of date or year) -> persons with a member month in its eligibility window,
    computed from the member months alone."""
    months: dict[str, set[int]] = {}
    for row in case.data.eligibility:
        if row["person_id"] is not None and row["year_month"] is not None:
            months.setdefault(row["person_id"], set()).add(int(str(row["year_month"])))
    anchors: list[tuple[tuple[str, Any], dt.date]] = []
    if case.as_of is not None:
        anchors.append((("current", case.as_of), case.as_of))
    anchors += [(("yearly", y), method.year_anchor(y)) for y in case.years]
    result = {}
    for key, anchor in anchors:
        last = anchor.year * 12 + anchor.month - 1
        first = last - (method.eligibility_months - 1)
        result[key] = {
            p for p, ms in months.items() if any(first <= _month_index(m) <= last for m in ms)
        }
    return result


def assert_invariants(got: Mapping[str, Any], case: HostileCase, method: Method) -> None:
    """One assigned row per eligible person and scope key; ranking rows only for assigned
    keys; rankings of each key exactly 1..n."""
    assigned: dict[tuple[str, Any], list[str]] = {}
    for row in got[outputs.CURRENT]:
        assigned.setdefault(("current", row["as_of_date"]), []).append(row["person_id"])
    for row in got[outputs.YEARLY]:
        assigned.setdefault(("yearly", row["performance_year"]), []).append(row["person_id"])
    eligible = eligible_persons(case, method)
    for key, persons in eligible.items():
        found = assigned.pop(key, [])
        assert sorted(found) == sorted(persons), key  # each eligible person exactly once
    assert not assigned, f"assigned rows for scope keys not asked for: {list(assigned)}"
    keys = Counter(r["attribution_key"] for r in (*got[outputs.CURRENT], *got[outputs.YEARLY]))
    assert all(n == 1 for n in keys.values())
    rankings: dict[str, list[int]] = {}
    for row in got[outputs.RANKING]:
        assert row["attribution_key"] in keys
        rankings.setdefault(row["attribution_key"], []).append(row["ranking"])
    for attribution_key, ranks in rankings.items():
        assert sorted(ranks) == list(range(1, len(ranks) + 1)), attribution_key


@pytest.mark.parametrize("method", [TUVA, MSSP], ids=lambda m: m.name)
@given(case=hostile_cases())
@settings(
    max_examples=max(1, round(12 * EXAMPLE_SCALE)),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_hostile_data_sets(fuzz_backend: Session, method: Method, case: HostileCase) -> None:
    """Nulls, blanks, metacharacters, extreme dates and amounts, repeated ids, duplicate member
    months, conflicting provider rows: no crash, invariants hold, the oracle agrees."""
    note(f"as_of={case.as_of} years={case.years}")
    got = attribute_and_read(
        fuzz_backend,
        case.data,
        method,
        case.as_of,
        case.years,
        in_schema=fuzz_backend.schema,
        out_schema=fuzz_backend.schema,
        validate=False,  # preflight's own limits on such data: see test_preflight_* below
    )
    assert_invariants(got, case, method)
    assert_matches_oracle(got, case.data, method, case.as_of, case.years)
    ranking = got[outputs.RANKING]
    for kind in sorted({r["attribution_type"] for r in ranking}):
        event(f"rows of type {kind}")
    if any(r["ranking"] > 1 for r in ranking):
        event("several candidates for a person")
    if any(abs(r["allowed_amount"]) >= 10**14 for r in ranking):
        event("allowed_amount >= 10^14")
    if case.as_of is not None and case.as_of.year < 1000:
        event("as-of date before year 1000")


# ------------------------------------------------------- code normalisation on every engine

# One person and NPI per case; its code or classification holds non-ASCII case or whitespace.
NORMALISATION_CASES: dict[str, tuple[Classification, str, str]] = {
    # case: (classification kind, HCPCS code, classification)
    "hcpcs_tab": (Classification.TAXONOMY, "\t99213", "207Q00000X"),
    "hcpcs_no_break_space": (Classification.TAXONOMY, "\u00a099213", "207Q00000X"),
    "taxonomy_long_s": (Classification.TAXONOMY, "99213", "207qſ0010x"),  # ſ upper-cases to S
    "bucket_no_break_space": (Classification.BUCKET, "99213", "pcp\u00a0"),
    "bucket_dotted_capital_i": (Classification.BUCKET, "99213", "SPECİALİST"),
}
_ALL = frozenset({"duckdb", "sqlite", "postgres", "mysql", "fakesnow"})
# Where an engine's row differs from the oracle's (str.strip/upper/lower: all Unicode).
# TRIM removes spaces only (DuckDB's also U+00A0); UPPER/LOWER map non-ASCII letters on DuckDB,
# PostgreSQL and MySQL but not on SQLite. docs/METHOD.md says "trimming spaces" and "upper-
# casing" without saying which, so the same input is attributed differently per engine.
NORMALISATION_DIVERGES: dict[str, frozenset[str]] = {
    "hcpcs_tab": _ALL,  # the oracle strips the tab, every engine keeps it
    "hcpcs_no_break_space": frozenset({"sqlite", "postgres", "mysql"}),
    "taxonomy_long_s": frozenset({"sqlite"}),
    "bucket_no_break_space": frozenset({"sqlite", "postgres", "mysql"}),
    "bucket_dotted_capital_i": frozenset({"duckdb", "postgres", "mysql", "fakesnow"}),
}


def test_code_normalisation_differences_are_known(backend: Session) -> None:
    """Non-ASCII whitespace and case in codes: the engine agrees with the oracle except in
    exactly the cases listed in NORMALISATION_DIVERGES (a cross-engine difference, reported)."""
    diverging = set()
    for kind in (Classification.TAXONOMY, Classification.BUCKET):
        cases = {n: c for n, c in NORMALISATION_CASES.items() if c[0] is kind}
        data = Dataset(
            claims=[_claim(n, n, c[1], "2024-05-01", "10.00", n) for n, c in cases.items()],
            eligibility=[{"person_id": n, "year_month": 202405} for n in cases],
            providers=[{"npi": n, "classification": c[2]} for n, c in cases.items()],
            classification_kind=kind,
        )
        got = attribute_and_read(
            backend, data, TUVA, AS_OF, [], in_schema=backend.schema, out_schema=backend.schema
        )
        want = run_oracle(data, method=unchecked(TUVA), as_of=AS_OF, years=[])
        for name in cases:
            rows = [
                [r for r in result[outputs.RANKING] if r["person_id"] == name]
                for result in (got, want)
            ]
            if rows[0] != rows[1]:
                diverging.add(name)
    key = _engine_key(backend.name)
    assert diverging == {n for n, engines in NORMALISATION_DIVERGES.items() if key in engines}


# ----------------------------------------------- limits of the Python side (documented bugs)


def test_windows_reaching_before_year_1_fail_clearly() -> None:
    """An as-of date whose 24-month window would start before year 1: a ValueError that
    names the as-of date (or windows clamped at 0001-01-01), not a bare date error."""
    with pytest.raises(ValueError, match="0001-06-30"):
        build_queries([ScopeKey.current(dt.date(1, 6, 30))])


def test_performance_year_9999_has_an_anchor() -> None:
    assert TUVA.year_anchor(9999) == dt.date(9999, 12, 31)
    assert MSSP_PROSPECTIVE.year_anchor(2) == dt.date(1, 9, 30)  # 15 months back


def test_anchors_beyond_the_calendar_are_a_clear_error() -> None:
    """An anchor offset moving year 9999 past 9999-12-31 (or year 1 before 0001-01-01) names
    the method, the year and the offset instead of 'year 10000 is out of range'."""
    later = replace(TUVA, name="later", year_anchor_offset_months=3)
    assert later.year_anchor(9998) == dt.date(9999, 3, 31)
    with pytest.raises(ValueError, match=r"'later': performance year 9999 would end in year 10000"):
        later.year_anchor(9999)
    earlier = replace(TUVA, name="earlier", year_anchor_offset_months=-24)
    with pytest.raises(ValueError, match=r"year_anchor_offset_months = -24"):
        earlier.year_anchor(1)


def test_attribution_keys_pad_years_below_1000() -> None:
    assert ScopeKey.current(dt.date(999, 1, 2)).key_text == "09990102"
    assert ScopeKey.yearly(999).key_text == "0999"


def _late_dataset(day: dt.date) -> Dataset:
    claim = _claim("P1", "N1", "99213", day.isoformat(), "10.00", "C1")
    return Dataset(
        claims=[claim],
        eligibility=[{"person_id": "P1", "year_month": month_key(day)}],
        providers=[{"npi": "N1", "classification": "207Q00000X"}],
    )


def test_preflight_accepts_claims_near_year_9999() -> None:
    """The latest as-of date preflight allows (24 months after the claims) stops at 9999-12-31
    instead of overflowing; the default run equals the oracle."""
    session = shared_session("duckdb")
    day = dt.date(9999, 12, 31)
    data = _late_dataset(day)
    got = attribute_and_read(
        session, data, TUVA, day, [], in_schema=session.schema, out_schema=session.schema
    )
    assert_matches_oracle(got, data, TUVA, day, [])


def test_preflight_rejects_months_before_year_1000_clearly() -> None:
    """YYYYMM keys of years 1..999 (``000212``) are refused by the default run, naming the
    column and an example; without validation the same data attributes like the oracle."""
    session = shared_session("duckdb")
    day = dt.date(2, 12, 31)
    data = _late_dataset(day)
    with pytest.raises(ValueError, match=r"member_months\.year_month has values that are not "):
        attribute_and_read(
            session, data, TUVA, day, [], in_schema=session.schema, out_schema=session.schema
        )
    got = attribute_and_read(
        session,
        data,
        TUVA,
        day,
        [],
        in_schema=session.schema,
        out_schema=session.schema,
        validate=False,
    )
    assert_matches_oracle(got, data, TUVA, day, [])
