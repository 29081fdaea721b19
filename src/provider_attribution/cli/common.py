"""Small pieces every command module shares (kept apart from ``cli`` to avoid import cycles)."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa

from provider_attribution.engines.profiles import profile_for

DEFAULT_DB = "demo.duckdb"  # the file `demo` writes
DEFAULT_URL = f"duckdb:///{DEFAULT_DB}"  # where `report` and `explain` read by default
DEFAULT_SCHEMA = "provider_attribution"  # where `demo` and `run` write the outputs by default
SCHEMA_HELP = f"(default: {DEFAULT_SCHEMA}; on SQLite, which has no schemas, the database itself)"
_FILE_DRIVERS = ("duckdb", "sqlite")


def engine_from_url(url: str) -> sa.Engine:
    """An engine for ``--url``; a malformed URL or a missing driver is a usage error."""
    try:
        return sa.create_engine(url)
    except (sa.exc.ArgumentError, ImportError) as error:
        raise click.BadParameter(str(error), param_hint="--url") from None


def reading_engine(url: str) -> sa.Engine:
    """An engine for a command that only reads outputs: a DuckDB or SQLite file that does not
    exist is a usage error (connecting would create an empty one)."""
    engine = engine_from_url(url)
    database = engine.url.database
    if (
        engine.url.get_backend_name() in _FILE_DRIVERS
        and database not in (None, "", ":memory:")
        and not Path(database).exists()
    ):
        engine.dispose()
        raise click.BadParameter(
            f"no database file {database}: run `provider-attribution demo` (or `run`) first, "
            "or point --url at your warehouse",
            param_hint="--url",
        )
    return engine


def output_schema(url: str | sa.URL, schema: str | None) -> str | None:
    """The outputs' schema: ``schema`` when given, else :data:`DEFAULT_SCHEMA` (``None`` on
    engines without schemas, SQLite: the database itself)."""
    if schema is not None:
        return schema
    try:
        backend = sa.make_url(url).get_backend_name()
    except sa.exc.ArgumentError as error:
        raise click.BadParameter(str(error), param_hint="--url") from None
    return DEFAULT_SCHEMA if profile_for(backend).capabilities.schemas else None
