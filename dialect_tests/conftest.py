"""The ``backend`` fixture: one session-scoped engine per backend, from the registry."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).parent))

from engines import Session, selected
from sessions import close_all, shared_session


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    close_all()


@pytest.fixture(params=selected())
def backend(request: pytest.FixtureRequest) -> Session:
    """A connected backend with a private schema, shared by the whole test session."""
    return shared_session(request.param)
