"""The engine registry of the conformance suite: how each backend is provided and isolated.

Each backend yields a connected SQLAlchemy engine and a private schema for one test session and
removes that schema afterwards. A backend that cannot be provided is skipped with a message
saying how to provide it, unless ``PROVIDER_ATTRIBUTION_REQUIRE`` names it: then the run fails.

| backend   | provided by                                                                  |
|-----------|------------------------------------------------------------------------------|
| duckdb    | embedded (duckdb-engine), in memory                                          |
| sqlite    | embedded (Python's sqlite3), a temporary file                                |
| postgres  | ``PROVIDER_ATTRIBUTION_POSTGRES_URL``, else a testcontainers container       |
| mysql     | ``PROVIDER_ATTRIBUTION_MYSQL_URL``, else a testcontainers MariaDB container  |
| snowflake | ``PROVIDER_ATTRIBUTION_SNOWFLAKE_URL``, else the fakesnow emulator           |

Engines without a SQLAlchemy driver (:data:`TEXT_ENGINES`: spark, clickhouse) run the
transpiled SQL text in test_text_engines.py, provided by text_engines.py; they follow the same
rules (``PROVIDER_ATTRIBUTION_REQUIRE=spark`` turns the skip into a failure) but are never part
of ``all``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

BACKENDS = ("duckdb", "sqlite", "postgres", "mysql", "snowflake")
# Engines fed the transpiled SQL text by their own test modules (not in "all").
TEXT_ENGINES = ("spark", "clickhouse")


FAKESNOW = "fakesnow emulator"


class BackendUnavailableError(Exception):
    """The backend cannot be provided here; the message says how to provide it."""


@dataclass(frozen=True)
class Session:
    """A connected engine and the private schema (None where the engine has no schemas)."""

    name: str
    engine: sa.Engine
    schema: str | None
    provided_by: str

    @property
    def emulated(self) -> bool:
        """An emulator (fakesnow on DuckDB) stands in for the engine."""
        return self.provided_by == FAKESNOW


# Generated data sets an emulated engine runs per hypothesis test: the emulator executes on
# DuckDB, so more data sets test DuckDB again; a few prove the dialect's SQL runs through it.
EMULATED_EXAMPLES = 2


def examples(session: Session, wanted: int) -> int:
    """Hypothesis examples for ``session``: ``wanted``, at most :data:`EMULATED_EXAMPLES` on
    an emulator."""
    return min(wanted, EMULATED_EXAMPLES) if session.emulated else wanted


# Requirements that are not database engines; tests/conftest.py checks them (the report's
# browser test needs Debian's chromium).
OTHER_REQUIREMENTS = ("browser", "dbt")


def _names(variable: str) -> set[str]:
    raw = os.environ.get(variable, "")
    names = {n.strip().lower() for n in raw.split(",") if n.strip()}
    if "all" in names:
        return set(BACKENDS)
    unknown = names - set(BACKENDS) - set(TEXT_ENGINES) - set(OTHER_REQUIREMENTS)
    if unknown:
        raise ValueError(
            f"{variable} names unknown backends {sorted(unknown)}; "
            f"known: {[*BACKENDS, *TEXT_ENGINES, *OTHER_REQUIREMENTS]}"
        )
    return names


def selected() -> list[str]:
    """Backends to run: PROVIDER_ATTRIBUTION_BACKENDS (comma separated), default all."""
    names = _names("PROVIDER_ATTRIBUTION_BACKENDS")
    return [b for b in BACKENDS if not names or b in names]


def text_engine_selected(name: str) -> bool:
    """Whether PROVIDER_ATTRIBUTION_BACKENDS or PROVIDER_ATTRIBUTION_REQUIRE names the text
    engine ``name``: the slow Spark and ClickHouse suites run only when asked for (their nox
    sessions ask), so a plain test run neither runs nor skips them."""
    return name in _names("PROVIDER_ATTRIBUTION_BACKENDS") or name in required()


def required() -> set[str]:
    """Backends named in PROVIDER_ATTRIBUTION_REQUIRE (comma separated, or 'all')."""
    return _names("PROVIDER_ATTRIBUTION_REQUIRE")


def _schema_name() -> str:
    return f"pa_test_{uuid.uuid4().hex[:10]}"


def _docker_available() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env().ping()
    except Exception:
        return False
    return True


@contextlib.contextmanager
def _server(
    name: str,
    env: str,
    container: Callable[[], contextlib.AbstractContextManager[str]],
) -> Iterator[tuple[str, str]]:
    """A server URL: from the environment variable, else a testcontainers container."""
    url = os.environ.get(env)
    if url:
        yield url, f"{env}"
        return
    if not _docker_available():
        raise BackendUnavailableError(
            f"{name}: set {env} to a SQLAlchemy URL of a server you can create schemas in, "
            "or make a Docker daemon reachable for testcontainers"
        )
    with container() as container_url:
        yield container_url, "testcontainers"


@contextlib.contextmanager
def _postgres_container() -> Iterator[str]:
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer("postgres:16-alpine", driver="psycopg") as pg:
        yield pg.get_connection_url()


@contextlib.contextmanager
def _mysql_container() -> Iterator[str]:
    from testcontainers.mysql import MySqlContainer

    with MySqlContainer("mariadb:11", dialect="pymysql") as my:
        yield my.get_connection_url()


@contextlib.contextmanager
def _duckdb() -> Iterator[Session]:
    engine = sa.create_engine("duckdb:///:memory:")
    schema = _schema_name()
    with engine.begin() as conn:
        conn.execute(sa.schema.CreateSchema(schema))
    yield Session("duckdb", engine, schema, "embedded, in memory")
    engine.dispose()


@contextlib.contextmanager
def _sqlite() -> Iterator[Session]:
    with tempfile.TemporaryDirectory() as tmp:
        engine = sa.create_engine(f"sqlite:///{Path(tmp) / 'conformance.db'}")
        yield Session("sqlite", engine, None, f"embedded, sqlite3 {_sqlite_version()}")
        engine.dispose()


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


@contextlib.contextmanager
def _schema_server(
    name: str, env: str, container: Callable[[], contextlib.AbstractContextManager[str]]
) -> Iterator[Session]:
    with _server(name, env, container) as (url, how):
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("select 1"))
        except Exception as error:
            raise BackendUnavailableError(
                f"{name}: cannot connect to {engine.url!r} ({how}): {error}"
            ) from error
        schema = _schema_name()
        with engine.begin() as conn:
            conn.execute(sa.schema.CreateSchema(schema))
        try:
            yield Session(name, engine, schema, how)
        finally:
            with engine.begin() as conn:
                conn.execute(sa.schema.DropSchema(schema, cascade=name == "postgres"))
            engine.dispose()


@contextlib.contextmanager
def _snowflake() -> Iterator[Session]:
    url = os.environ.get("PROVIDER_ATTRIBUTION_SNOWFLAKE_URL")
    patch: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
    how = "PROVIDER_ATTRIBUTION_SNOWFLAKE_URL"
    if not url:
        try:
            import fakesnow
        except Exception as error:
            raise BackendUnavailableError(
                "snowflake: install the test extra (fakesnow) or set "
                f"PROVIDER_ATTRIBUTION_SNOWFLAKE_URL ({error})"
            ) from error
        patch = fakesnow.patch()
        url = "snowflake://user:password@account/pa_conformance/public"
        how = FAKESNOW
    with patch:
        engine = sa.create_engine(url)
        schema = _schema_name()
        with engine.begin() as conn:
            conn.execute(sa.schema.CreateSchema(schema))
        try:
            yield Session("snowflake", engine, schema, how)
        finally:
            with engine.begin() as conn:
                conn.execute(sa.schema.DropSchema(schema, cascade=True))
            engine.dispose()


def open_session(name: str) -> contextlib.AbstractContextManager[Session]:
    """The context manager providing backend ``name``; BackendUnavailableError if it cannot."""
    if name == "duckdb":
        return _duckdb()
    if name == "sqlite":
        return _sqlite()
    if name == "postgres":
        return _schema_server(name, "PROVIDER_ATTRIBUTION_POSTGRES_URL", _postgres_container)
    if name == "mysql":
        return _schema_server(name, "PROVIDER_ATTRIBUTION_MYSQL_URL", _mysql_container)
    if name == "snowflake":
        return _snowflake()
    raise ValueError(f"unknown backend {name!r}; known: {list(BACKENDS)}")
