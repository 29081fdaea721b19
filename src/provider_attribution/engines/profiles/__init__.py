"""One profile per engine family, and the registry finding an engine's profile by name.

Adding an engine is adding a module here defining its
:class:`~provider_attribution.engines.profile.EngineProfile` and listing it in
:data:`PROFILES`.
"""

from __future__ import annotations

import sqlalchemy as sa

from provider_attribution.engines.profile import EngineProfile
from provider_attribution.engines.profiles import (
    duckdb,
    generic,
    mysql,
    postgres,
    snowflake,
    sqlite,
)

#: Every known engine's profile.
PROFILES: tuple[EngineProfile, ...] = (
    duckdb.PROFILE,
    sqlite.PROFILE,
    postgres.PROFILE,
    mysql.PROFILE,
    snowflake.PROFILE,
    *generic.PROFILES,
)

_BY_NAME = {name: profile for profile in PROFILES for name in profile.names}


def profile_for(dialect_name: str, *, emulated: bool = False) -> EngineProfile:
    """The profile of the engine called ``dialect_name`` (a dialect name or an alias); unknown
    names get the most cautious one. ``emulated``: the engine's emulator (Snowflake emulated
    by fakesnow runs on DuckDB) where its profile names one."""
    profile = _BY_NAME.get(dialect_name) or generic.default(dialect_name)
    if emulated and profile.emulation is not None:
        return profile.emulation
    return profile


def profile_of(conn: sa.Connection) -> EngineProfile:
    """The profile of the engine behind ``conn``, emulators recognised."""
    return profile_for(conn.dialect.name, emulated=snowflake.is_emulated(conn))
