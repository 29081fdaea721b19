"""Copy a generated DuckDB data set into a private PostgreSQL schema with COPY.

Each table goes DuckDB ``COPY ... TO`` a CSV file in the scratch folder, then PostgreSQL
``COPY ... FROM STDIN`` (psycopg 3 ``cursor.copy``) streamed in 1 MiB blocks, then ANALYZE.
DuckDB writes NULL as an empty field and the empty string as ``""``, which is PostgreSQL's CSV
reading too.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import psycopg
import sqlalchemy as sa
from psycopg import sql

_BLOCK = 1 << 20

# The seven tables generate() writes (schema in the DuckDB file, name), all loaded into one
# PostgreSQL schema under the same names.
SOURCE_TABLES = (
    ("core", "medical_claim"),
    ("core", "member_months"),
    ("terminology", "provider"),
    ("core", "aco_participants"),
    ("core", "attested_npis"),
    ("core", "self_selections"),
    ("core", "geographic_assignments"),
)


def libpq_url(sqlalchemy_url: str) -> str:
    """The libpq form of a ``postgresql+psycopg://`` SQLAlchemy URL."""
    url = sa.engine.make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def postgres_type(duckdb_type: str) -> str:
    """The PostgreSQL column type for a DuckDB column type of the generated tables."""
    upper = duckdb_type.upper()
    if upper.startswith("DECIMAL"):
        return upper.replace("DECIMAL", "numeric")
    simple = {"VARCHAR": "text", "DATE": "date", "INTEGER": "integer", "BIGINT": "bigint"}
    if upper not in simple:
        raise ValueError(f"no PostgreSQL type for DuckDB type {duckdb_type!r}")
    return simple[upper]


def create_table(
    pg: psycopg.Connection[tuple[object, ...]],
    schema: str,
    name: str,
    columns: list[tuple[str, str]],
) -> None:
    """CREATE TABLE schema.name with the given (column, DuckDB type) pairs."""
    if not all(re.fullmatch(r"DECIMAL\(\d+,\d+\)|[A-Z]+", t.upper()) for _, t in columns):
        raise ValueError(f"unexpected column types in {name}: {columns}")
    body = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(col), sql.SQL(postgres_type(kind)))
        for col, kind in columns
    )
    pg.execute(
        sql.SQL("CREATE TABLE {}.{} ({})").format(
            sql.Identifier(schema), sql.Identifier(name), body
        )
    )


def copy_table(
    duck: duckdb.DuckDBPyConnection,
    pg: psycopg.Connection[tuple[object, ...]],
    source: tuple[str, str],
    schema: str,
    scratch: Path,
) -> int:
    """Move one table: DuckDB → CSV file → COPY FROM STDIN. Returns the rows copied."""
    src_schema, name = source
    columns = [
        (str(r[0]), str(r[1])) for r in duck.execute(f'DESCRIBE "{src_schema}"."{name}"').fetchall()
    ]
    create_table(pg, schema, name, columns)
    csv_path = scratch / f"{schema}_{name}.csv"
    duck.execute(f'COPY "{src_schema}"."{name}" TO \'{csv_path}\' (FORMAT csv, HEADER false)')
    target = sql.SQL("COPY {}.{} FROM STDIN (FORMAT csv)").format(
        sql.Identifier(schema), sql.Identifier(name)
    )
    try:
        with pg.cursor() as cursor, cursor.copy(target) as copy, csv_path.open("rb") as handle:
            while block := handle.read(_BLOCK):
                copy.write(block)
    finally:
        csv_path.unlink(missing_ok=True)
    count = duck.execute(f'SELECT count(*) FROM "{src_schema}"."{name}"').fetchone()
    return int(count[0]) if count else 0


def load(db: Path, postgres_url: str, schema: str, scratch: Path) -> dict[str, int]:
    """Create ``schema`` and copy every generated table into it; ANALYZE. Rows per table."""
    scratch.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    duck = duckdb.connect(str(db), read_only=True)
    try:
        with psycopg.connect(libpq_url(postgres_url), autocommit=True) as pg:
            pg.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
            for source in SOURCE_TABLES:
                rows[source[1]] = copy_table(duck, pg, source, schema, scratch)
            for _, name in SOURCE_TABLES:
                pg.execute(
                    sql.SQL("ANALYZE {}.{}").format(sql.Identifier(schema), sql.Identifier(name))
                )
    finally:
        duck.close()
    return rows


def drop_schemas(postgres_url: str, schemas: list[str]) -> None:
    """DROP SCHEMA ... CASCADE for each schema (missing ones are fine)."""
    with psycopg.connect(libpq_url(postgres_url), autocommit=True) as pg:
        for schema in schemas:
            pg.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def server_facts(postgres_url: str) -> dict[str, str]:
    """Server version and the settings that shape the benchmark's plans and memory."""
    names = (
        "server_version",
        "shared_buffers",
        "work_mem",
        "maintenance_work_mem",
        "max_parallel_workers_per_gather",
        "effective_cache_size",
        "jit",
    )
    with psycopg.connect(libpq_url(postgres_url)) as pg:
        facts: dict[str, str] = {}
        for name in names:
            row = pg.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()
            facts[name] = str(row[0]) if row else ""
        return facts
