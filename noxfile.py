"""Nox sessions: lint, typecheck, tests (``nox`` runs all three)."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True

SOURCES = ["src", "tests", "dialect_tests", "noxfile.py"]


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and format check."""
    session.install("ruff")
    session.run("ruff", "check", *SOURCES)
    session.run("ruff", "format", "--check", *SOURCES)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy, strict, over the package."""
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session
def tests(session: nox.Session) -> None:
    """The whole pytest suite (unit, differential, conformance on available engines)."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)
