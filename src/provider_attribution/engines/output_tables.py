"""The output tables as SQLAlchemy tables: the data dictionary of
:mod:`provider_attribution.model.outputs` with each logical type's SQL type."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from provider_attribution.engines.expressions import IdString
from provider_attribution.model.outputs import COLUMNS, Kind

#: The SQL type of each logical column type; ids compare byte by byte on MySQL/MariaDB too
#: (:class:`~provider_attribution.engines.expressions.IdString`).
SQL_TYPES: dict[Kind, sa.types.TypeEngine[Any]] = {
    "id": IdString(255),
    "key": IdString(300),
    "text": sa.String(255),
    "varchar8": sa.String(8),
    "varchar16": sa.String(16),
    "varchar32": sa.String(32),
    "integer": sa.Integer(),
    "bigint": sa.BigInteger(),
    "date": sa.Date(),
    "money": sa.Numeric(18, 2),
}


def table(name: str, schema: str | None, metadata: sa.MetaData | None = None) -> sa.Table:
    """Output table ``name`` in ``schema``."""
    return sa.Table(
        name,
        metadata or sa.MetaData(),
        *(sa.Column(col, SQL_TYPES[kind]) for col, kind, _doc in COLUMNS[name]),
        schema=schema,
    )
