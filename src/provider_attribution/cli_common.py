"""Small pieces every command module shares (kept apart from ``cli`` to avoid import cycles)."""

from __future__ import annotations

import click
import sqlalchemy as sa


def engine_from_url(url: str) -> sa.Engine:
    """An engine for ``--url``; a malformed URL or a missing driver is a usage error."""
    try:
        return sa.create_engine(url)
    except (sa.exc.ArgumentError, ImportError) as error:
        raise click.BadParameter(str(error), param_hint="--url") from None
