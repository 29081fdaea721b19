"""Nox sessions: lint, typecheck, tests (the default), one conformance session per engine, all.

``nox -s "dialect(postgres)"`` runs the conformance suite on one engine and requires it;
``nox -s dialects`` runs it on all five and requires all of them. ``nox -s spark`` and
``nox -s clickhouse`` run the transpiled SQL text on Spark (local mode) and chDB.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True

SOURCES = ["src", "tests", "dialect_tests", "bench", "noxfile.py"]
ENGINES = ["duckdb", "sqlite", "postgres", "mysql", "snowflake"]


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and format check."""
    session.install("ruff")
    session.run("ruff", "check", *SOURCES)
    session.run("ruff", "format", "--check", *SOURCES)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy, strict, over the package, the tests and the benchmarks (the two test folders
    apart: each has a conftest module)."""
    session.install("-e", ".[dev]")
    session.run("mypy")
    paths = {"MYPYPATH": "src:tests:dialect_tests:bench"}
    session.run("mypy", "tests", "bench", "noxfile.py", env=paths)
    session.run("mypy", "dialect_tests", env=paths)


@nox.session
def tests(session: nox.Session) -> None:
    """The whole pytest suite (unit, differential, conformance on available engines)."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
@nox.parametrize("engine", ENGINES, ids=ENGINES)
def dialect(session: nox.Session, engine: str) -> None:
    """The conformance suite on one engine, which must be available."""
    session.install("-e", ".[test]")
    session.run(
        "pytest",
        "dialect_tests",
        *session.posargs,
        env={"PROVIDER_ATTRIBUTION_REQUIRE": engine, "PROVIDER_ATTRIBUTION_BACKENDS": engine},
    )


@nox.session
def dialects(session: nox.Session) -> None:
    """The conformance suite on every engine; all five must be available."""
    session.install("-e", ".[test]")
    session.run(
        "pytest", "dialect_tests", *session.posargs, env={"PROVIDER_ATTRIBUTION_REQUIRE": "all"}
    )


@nox.session
def spark(session: nox.Session) -> None:
    """The transpiled Spark SQL on a local Spark session (needs Java 17+), required."""
    session.install("-e", ".[test,spark]")
    session.run(
        "pytest",
        "dialect_tests/test_text_engines.py",
        *session.posargs,
        env={"PROVIDER_ATTRIBUTION_REQUIRE": "spark"},
    )


@nox.session
def clickhouse(session: nox.Session) -> None:
    """The transpiled ClickHouse SQL on chDB (embedded ClickHouse), required."""
    session.install("-e", ".[test,clickhouse]")
    session.run(
        "pytest",
        "dialect_tests/test_text_engines.py",
        *session.posargs,
        env={"PROVIDER_ATTRIBUTION_REQUIRE": "clickhouse"},
    )


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmark harness (bench/README.md): floor vs full attribution vs naive pandas.

    Default: DuckDB at 1M and 10M claim lines, PostgreSQL at 1M; posargs replace the options,
    e.g. ``nox -s bench -- --engine duckdb --sizes 50M,100M --no-pandas``.
    """
    session.install("-e", ".[dev]")
    args = session.posargs or [
        "--engine",
        "duckdb,postgres",
        "--sizes",
        "1M,10M",
        "--postgres-max-lines",
        "1M",
    ]
    session.run("python", "bench/run.py", *args)
