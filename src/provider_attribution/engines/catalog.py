"""What the database holds."""

from __future__ import annotations

import sqlalchemy as sa


def has_table(bind: sa.Engine | sa.Connection, name: str, schema: str | None) -> bool:
    """Whether table ``name`` exists in ``schema`` (``None``: the connection's default schema).

    The default schema is named explicitly: DuckDB's inspector otherwise finds a table of that
    name in any schema, and the query then fails on the unqualified name.
    """
    inspector = sa.inspect(bind)
    return bool(
        inspector.has_table(
            name, schema=inspector.default_schema_name if schema is None else schema
        )
    )
