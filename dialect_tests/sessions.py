"""Session-wide backends: opened once per test run, closed when the run ends."""

from __future__ import annotations

import contextlib
import gc
import warnings

import pytest

from engines import BackendUnavailableError, Session, open_session, required

_OPEN: dict[str, Session | str] = {}
_STACK = contextlib.ExitStack()


def shared_session(name: str) -> Session:
    """The session-wide backend ``name``: skipped (or failed, if required) when unavailable."""
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


def close_all() -> None:
    """Drop every private schema and dispose of the engines."""
    _STACK.close()
    _OPEN.clear()
    gc.collect()
