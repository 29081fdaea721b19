"""SQL text of a run for any dialect: SQLAlchemy's compiler where the dialect is installed,
sqlglot transpilation from PostgreSQL otherwise."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import sqlglot
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.url import URL

from provider_attribution import outputs
from provider_attribution.compile import CompiledRun, QueryBuilder

# names users type → SQLAlchemy dialect names
_ALIASES = {"postgres": "postgresql", "mariadb": "mysql", "sqlite3": "sqlite"}
# SQLAlchemy dialect name → sqlglot dialect name
_SQLGLOT_NAMES = {
    "postgresql": "postgres",
    "mysql": "mysql",
    "sqlite": "sqlite",
    "duckdb": "duckdb",
}


def sqlalchemy_dialect(name: str) -> Dialect | None:
    """The installed SQLAlchemy dialect called ``name``, or None."""
    real = _ALIASES.get(name, name)
    try:
        return URL.create(real).get_dialect()()
    except Exception:
        return None


def _compile(select: sa.Select[Any], dialect: Dialect) -> str:
    return str(select.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def statements(run: CompiledRun, dialect_name: str, schema: str | None = None) -> list[str]:
    """``CREATE TABLE ... AS`` statements writing the three outputs, in dialect ``dialect_name``.

    The assigned tables read the written ranking table, as :func:`attribute` does.
    """
    dialect = sqlalchemy_dialect(dialect_name)
    target = dialect if dialect is not None else sqlalchemy_dialect("postgresql")
    assert target is not None
    preparer = target.identifier_preparer
    ranking = outputs.table(outputs.RANKING, schema)
    bodies = {outputs.RANKING: run.provider_ranking}
    for name in (outputs.CURRENT, outputs.YEARLY):
        bodies[name] = QueryBuilder.assigned(ranking, name)
    texts = [
        f"CREATE TABLE {preparer.format_table(outputs.table(name, schema))} AS\n"
        f"{_compile(body, target)}"
        for name, body in bodies.items()
    ]
    if dialect is not None:
        return texts
    return [
        sqlglot.transpile(text, read="postgres", write=dialect_name, pretty=True)[0]
        for text in texts
    ]
