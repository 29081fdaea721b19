"""The ``backend`` fixture: one session-scoped engine per backend, from the registry."""

from __future__ import annotations

import contextlib
import gc
import sys
import warnings
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))

from engines import BackendUnavailableError, Session, open_session, required, selected

_OPEN: dict[str, Session | str] = {}
_STACK = contextlib.ExitStack()


def _session(name: str) -> Session:
    if name not in _OPEN:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _OPEN[name] = _STACK.enter_context(open_session(name))
        except BackendUnavailableError as why:
            _OPEN[name] = str(why)
    value = _OPEN[name]
    if isinstance(value, str):
        if name in required():
            pytest.fail(f"required backend unavailable: {value}", pytrace=False)
        pytest.skip(value)
    return value


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _STACK.close()
    gc.collect()  # release DuckDB objects held by fakesnow before the interpreter exits


@pytest.fixture(params=selected())
def backend(request: pytest.FixtureRequest) -> Session:
    """A connected backend with a private schema, shared by the whole test session."""
    return _session(request.param)
