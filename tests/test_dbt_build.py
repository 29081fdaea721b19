"""The dbt export run by real dbt (dbt-core with dbt-duckdb) on demo data: ``dbt build`` passes
its own data tests and writes exactly the rows :func:`~provider_attribution.attribute` writes.

dbt runs as a separate process from its own environment (see the ``dbt_executable`` fixture).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from provider_attribution.emit.dbt import write_dbt_project
from provider_attribution.model import outputs
from provider_attribution.model.method import PRESETS
from provider_attribution.model.windows import scope_keys
from provider_attribution.synthetic.claims import SyntheticSpec, demo_inputs, generate
from provider_attribution.warehouse.run import attribute, build_queries

SPEC = SyntheticSpec(members=250, seed=7)
AS_OF = SPEC.last_day
YEARS = (AS_OF.year - 1, AS_OF.year)
TODAY = AS_OF + dt.timedelta(days=30)
PROFILE = "provider_attribution_test"


@dataclass(frozen=True)
class Project:
    """A dbt project over a demo DuckDB file."""

    root: Path
    database: Path


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dbt_demo") / "demo.duckdb"
    engine = sa.create_engine(f"duckdb:///{path}")
    generate(engine, SPEC)
    engine.dispose()
    return path


def _project(root: Path, database: Path, method: str) -> Project:
    """Write a dbt project whose models are the export of ``method`` over the demo inputs."""
    loaded = PRESETS[method]
    keys = scope_keys(AS_OF, YEARS, loaded.year_anchor)
    run = build_queries(keys, demo_inputs(), method=loaded, today=TODAY)
    write_dbt_project(root / "models" / "provider_attribution", run, demo_inputs(), "duckdb")
    (root / "dbt_project.yml").write_text(
        yaml.safe_dump(
            {
                "name": "attribution_test",
                "version": "1.0",
                "config-version": 2,
                "profile": PROFILE,
            }
        ),
        encoding="utf-8",
    )
    profile = {
        PROFILE: {
            "target": "test",
            "outputs": {
                "test": {"type": "duckdb", "path": str(database), "schema": "dbt", "threads": 1}
            },
        }
    }
    (root / "profiles.yml").write_text(yaml.safe_dump(profile), encoding="utf-8")
    return Project(root, database)


def dbt(executable: str, project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a dbt command in ``project``; its output is kept for the failure message."""
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}
    return subprocess.run(
        [executable, *args, "--project-dir", str(project.root), "--profiles-dir",
         str(project.root)],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )  # fmt: skip


def _rows(engine: sa.Engine, schema: str, table: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        t = sa.table(table, *map(sa.column, outputs.column_names(table)), schema=schema)
        return sorted(conn.execute(sa.select(*t.c)).all(), key=lambda r: tuple(map(repr, r)))


@pytest.fixture(scope="module", params=["tuva", "mssp"])
def built(
    request: pytest.FixtureRequest,
    demo_database: Path,
    dbt_executable: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[str, Project]:
    method: str = request.param
    root = tmp_path_factory.mktemp(f"dbt_{method}")
    database = root / "warehouse.duckdb"  # a copy each: xdist workers may build both at once
    shutil.copyfile(demo_database, database)
    project = _project(root, database, method)
    result = dbt(dbt_executable, project, "build")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return method, project


def test_dbt_build_passes_its_data_tests(built: tuple[str, Project]) -> None:
    _, project = built
    results = (project.root / "target" / "run_results.json").read_text(encoding="utf-8")
    assert '"status": "fail"' not in results
    assert '"status": "error"' not in results
    # every output model and its grain tests ran
    for name in outputs.WRITTEN:
        assert f"model.attribution_test.{name}" in results
    assert "test.attribution_test.unique_" in results


def test_dbt_writes_the_rows_attribute_writes(built: tuple[str, Project]) -> None:
    method, project = built
    engine = sa.create_engine(f"duckdb:///{project.database}")
    try:
        schema = f"expected_{method}"
        attribute(
            engine,
            demo_inputs(),
            method=PRESETS[method],
            as_of=AS_OF,
            years=YEARS,
            today=TODAY,
            target_schema=schema,
        )
        for name in outputs.WRITTEN:
            expected = _rows(engine, schema, name)
            assert expected, f"{name}: the run wrote no rows to compare"
            assert _rows(engine, "dbt", name) == expected, name
    finally:
        engine.dispose()
