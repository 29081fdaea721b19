"""Shared fixtures: an in-memory DuckDB engine for the SQL path."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))

settings.register_profile(
    "default",
    max_examples=int(os.environ.get("PROVIDER_ATTRIBUTION_EXAMPLES", "250")),
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
