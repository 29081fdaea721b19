"""Names of the lock serializing runs into one target schema, for engines taking one."""

from __future__ import annotations

import hashlib


class ConcurrentRunError(RuntimeError):
    """Another run holds the target; raised where an engine cannot wait for it."""


def lock_name(target: str | None) -> str:
    """The lock's name: one per target schema (``None``: the default schema)."""
    return f"provider_attribution:{target or ''}"


def lock_key(target: str | None) -> int:
    """The lock's name as a signed 64-bit integer, for engines whose locks are numbered."""
    digest = hashlib.blake2b(lock_name(target).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
