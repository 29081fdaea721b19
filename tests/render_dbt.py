"""The dbt export's models rendered without dbt: jinja2 with the parts of dbt's context the
models use (``config``, ``source``, ``ref``, ``var``, ``run_query``, ``execute``, ``modules``,
``exceptions``), for fast tests; ``tests/test_dbt_build.py`` runs the same models with real dbt.
"""

from __future__ import annotations

import datetime as dt
import re
import types
from collections.abc import Callable, Mapping
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

import jinja2
import sqlalchemy as sa
import yaml

REF = re.compile(r"\{\{ ref\('([^']+)'\) \}\}")


class CompilerError(Exception):
    """``exceptions.raise_compiler_error`` was called."""


class _Table:
    """What the models read of ``run_query``'s agate table: ``rows`` and ``columns``."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows
        width = len(rows[0]) if rows else 0
        self.columns = [
            types.SimpleNamespace(values=lambda i=i: [r[i] for r in rows]) for i in range(width)
        ]


def render(
    text: str,
    *,
    variables: Mapping[str, Any] | None = None,
    source: Callable[[str, str], str] = lambda s, t: t,
    ref: Callable[[str], str] = lambda name: name,
    run_query: Callable[[str], list[tuple[Any, ...]]] | None = None,
) -> str:
    """``text`` rendered as dbt would at execution (``execute`` true when ``run_query`` is
    given), config calls dropped."""
    env = jinja2.Environment(extensions=["jinja2.ext.do"], undefined=jinja2.StrictUndefined)
    values = dict(variables or {})

    def raise_error(message: str) -> None:
        raise CompilerError(message)

    context = {
        "config": lambda **_: "",
        "source": source,
        "ref": ref,
        "var": lambda name, default=None: values.get(name, default),
        "execute": run_query is not None,
        "run_query": (lambda sql: _Table(run_query(sql))) if run_query else None,
        "modules": types.SimpleNamespace(datetime=dt),
        "exceptions": types.SimpleNamespace(raise_compiler_error=raise_error),
    }
    return env.from_string(text).render(**context)


def build_project(
    engine: sa.Engine,
    root: Path,
    schema: str,
    sources: Mapping[tuple[str, str], str],
    variables: Mapping[str, Any] | None = None,
) -> None:
    """Every model and seed of the project at ``root`` as a table in ``schema`` (ephemeral ones
    too: the same rows), in dependency order; ``variables`` override the project's vars."""
    files = {p.stem: p.read_text(encoding="utf-8") for p in (root / "models").rglob("*.sql")}
    project = yaml.safe_load((root / "dbt_project.yml").read_text(encoding="utf-8"))
    variables = {**project.get("vars", {}), **(variables or {})}
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        seed_types = project.get("seeds", {}).get(project["name"], {})
        for seed in (root / "seeds").glob("*.csv"):
            conn.exec_driver_sql(
                f"CREATE OR REPLACE TABLE {schema}.{seed.stem} AS SELECT * FROM "
                f"read_csv('{seed}', header = true, all_varchar = true)"
            )
            types = seed_types.get(seed.stem, {}).get("+column_types", {})
            for column, kind in types.items():
                conn.exec_driver_sql(f"ALTER TABLE {schema}.{seed.stem} ALTER {column} TYPE {kind}")

        def run_query(sql: str) -> list[tuple[Any, ...]]:
            return [tuple(r) for r in conn.exec_driver_sql(sql)]

        graph = {name: set(REF.findall(text)) & set(files) for name, text in files.items()}
        for name in TopologicalSorter(graph).static_order():
            sql = render(
                files[name],
                variables=variables,
                source=lambda s, t: sources[(s, t)],
                ref=lambda n: f"{schema}.{n}",
                run_query=run_query,
            )
            conn.exec_driver_sql(f"CREATE OR REPLACE TABLE {schema}.{name} AS {sql}")
