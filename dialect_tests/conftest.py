"""The ``backend`` fixture: one session-scoped engine per backend, from the registry."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).parent))

from engines import TEXT_ENGINES, Session, selected, text_engine_selected
from sessions import close_all, shared_session

# The Spark and ClickHouse suite is collected only when one of its engines is asked for.
collect_ignore = (
    [] if any(text_engine_selected(name) for name in TEXT_ENGINES) else ["test_text_engines.py"]
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests kept on one pytest-xdist worker (``xdist_group``: a text engine's session) run
    first: the scheduler hands out work in collection order, and collected last the Spark
    group would start when the other worker has little left to do."""
    items.sort(key=lambda item: item.get_closest_marker("xdist_group") is None)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    close_all()


@pytest.fixture(params=selected())
def backend(request: pytest.FixtureRequest) -> Session:
    """A connected backend with a private schema, shared by the whole test session."""
    return shared_session(request.param)
