"""Shared fixtures: an in-memory DuckDB engine for the SQL path."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))

settings.register_profile(
    "default",
    max_examples=int(os.environ.get("PROVIDER_ATTRIBUTION_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,
)
settings.load_profile("default")


@pytest.fixture(scope="module")
def duckdb_engine() -> Iterator[sa.Engine]:
    """A private in-memory DuckDB database."""
    engine = sa.create_engine("duckdb:///:memory:")
    yield engine
    engine.dispose()


def _required(name: str) -> bool:
    """Whether PROVIDER_ATTRIBUTION_REQUIRE (comma separated) names ``name`` explicitly."""
    raw = os.environ.get("PROVIDER_ATTRIBUTION_REQUIRE", "")
    return name in {n.strip().lower() for n in raw.split(",")}


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium for the report's browser test (PROVIDER_ATTRIBUTION_CHROMIUM overrides).

    Missing, the test is skipped with a message saying how to install it, or fails when
    PROVIDER_ATTRIBUTION_REQUIRE names ``browser`` (as CI does; ``all`` does not include it).
    """
    override = os.environ.get("PROVIDER_ATTRIBUTION_CHROMIUM")
    if override:
        path = shutil.which(override)
        where = f"PROVIDER_ATTRIBUTION_CHROMIUM={override} is not an executable"
    else:
        path = shutil.which("chromium") or shutil.which("/usr/bin/chromium")
        where = "chromium is not installed"
    if path is None:
        message = (
            f"browser: {where}; install Debian's package with `apt-get install -y chromium` "
            "(`./dev test` does so when run as root), or set PROVIDER_ATTRIBUTION_CHROMIUM to "
            "a Chromium executable"
        )
        if _required("browser"):
            pytest.fail(
                f"required (PROVIDER_ATTRIBUTION_REQUIRE) but unavailable: {message}", pytrace=False
            )
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def dbt_executable() -> str:
    """The ``dbt`` command of a separate environment with dbt-core and dbt-duckdb
    (PROVIDER_ATTRIBUTION_DBT; ``./dev test`` builds ``.venv-dbt`` and sets it).

    dbt pins its own dependencies (pathspec, protobuf, ...) against the dev tools', so it runs
    from its own virtual environment, as a dbt user's project does. Missing, the test is
    skipped, or fails when PROVIDER_ATTRIBUTION_REQUIRE names ``dbt`` (as CI does).
    """
    configured = os.environ.get("PROVIDER_ATTRIBUTION_DBT", "")
    path = shutil.which(configured) if configured else None
    if path is None:
        where = (
            f"PROVIDER_ATTRIBUTION_DBT={configured} is not an executable"
            if configured
            else "PROVIDER_ATTRIBUTION_DBT is not set"
        )
        message = (
            f"dbt: {where}; `./dev test` builds .venv-dbt with dbt-core and dbt-duckdb, or "
            "point PROVIDER_ATTRIBUTION_DBT at a dbt executable with the duckdb adapter"
        )
        if _required("dbt"):
            pytest.fail(
                f"required (PROVIDER_ATTRIBUTION_REQUIRE) but unavailable: {message}", pytrace=False
            )
        pytest.skip(message)
    return path
