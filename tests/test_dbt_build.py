"""The dbt export run by real dbt (dbt-core with dbt-duckdb) on demo data: ``dbt build`` passes
its own data tests and writes exactly the rows :func:`~provider_attribution.attribute` writes,
also after the scope vars change or a seed is edited, without regenerating the project.

dbt runs as a separate process from its own environment (see the ``dbt_executable`` fixture).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from provider_attribution.emit.dbt import write_dbt_project
from provider_attribution.model import outputs
from provider_attribution.model.method import PRESETS
from provider_attribution.model.valuesets import ValueSets
from provider_attribution.synthetic.claims import SyntheticSpec, demo_inputs, generate
from provider_attribution.warehouse.run import attribute

SPEC = SyntheticSpec(members=200, seed=7)
AS_OF = SPEC.last_day
YEARS = (AS_OF.year - 1, AS_OF.year)
TODAY = AS_OF + dt.timedelta(days=30)
PROFILE = "provider_attribution_test"
AS_OF_VAR, YEARS_VAR, RUN_DATE_VAR = (
    "provider_attribution_as_of_date",
    "provider_attribution_years",
    "provider_attribution_run_date",
)


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


def _project(root: Path, demo: Path, method: str) -> Project:
    """The export of ``method`` over the demo inputs as a dbt project on a copy of the demo
    database (a copy each: xdist workers may build several at once); the scope of the run
    (AS_OF, YEARS, TODAY) is the vars' defaults."""
    database = root / "warehouse.duckdb"
    shutil.copyfile(demo, database)
    write_dbt_project(
        root,
        demo_inputs(),
        "duckdb",
        method=method,
        as_of=AS_OF,
        years=YEARS,
        today=TODAY,
        profile=PROFILE,
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


def dbt(executable: str, project: Project, *args: str) -> None:
    """Run a dbt command in ``project``; a failure shows its output."""
    # dbt's own environment: without our PYTHONPATH (dbt imports every dbt_* module on it)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(DBT_SEND_ANONYMOUS_USAGE_STATS="false", DO_NOT_TRACK="1")
    result = subprocess.run(
        [executable, *args, "--project-dir", str(project.root), "--profiles-dir",
         str(project.root)],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    results = (project.root / "target" / "run_results.json").read_text(encoding="utf-8")
    assert '"status": "fail"' not in results
    assert '"status": "error"' not in results


def _rows(engine: sa.Engine, schema: str, table: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        t = sa.table(table, *map(sa.column, outputs.column_names(table)), schema=schema)
        rows = [tuple(row) for row in conn.execute(sa.select(*t.c))]
    return sorted(rows, key=lambda r: tuple(map(repr, r)))


def assert_rows_of_attribute(project: Project, schema: str, **run: Any) -> None:
    """Every output the dbt build wrote equals what ``attribute(**run)`` writes (into
    ``schema``), on the same database."""
    engine = sa.create_engine(f"duckdb:///{project.database}")
    try:
        attribute(engine, demo_inputs(), target_schema=schema, **run)
        for name in outputs.WRITTEN:
            expected = _rows(engine, schema, name)
            assert expected, f"{name}: the run wrote no rows to compare"
            assert _rows(engine, "dbt", name) == expected, (name, schema)
    finally:
        engine.dispose()


def _vars(values: dict[str, Any]) -> str:
    dumped: str = yaml.safe_dump(values, default_flow_style=True)
    return dumped.strip()


@pytest.mark.parametrize("method", ["tuva", "mssp"])
def test_dbt_build_writes_the_rows_of_attribute(
    method: str, demo_database: Path, dbt_executable: str, tmp_path: Path
) -> None:
    """``dbt build`` of the export: every model, seed and grain test runs and passes, and the
    outputs are ``attribute()``'s at the scope given when the project was written."""
    project = _project(tmp_path, demo_database, method)
    dbt(dbt_executable, project, "build")
    results = (project.root / "target" / "run_results.json").read_text(encoding="utf-8")
    for name in outputs.WRITTEN:
        assert f"model.provider_attribution.{name}" in results
    for seed in ("pa_primary_care_hcpcs", "pa_specialty_bucket", "pa_taxonomy_specialty"):
        assert f"seed.provider_attribution.{seed}" in results
    assert "test.provider_attribution.unique_" in results
    assert_rows_of_attribute(
        project, "expected", method=method, as_of=AS_OF, years=YEARS, today=TODAY
    )


def test_dbt_vars_move_the_scope_without_regenerating(
    demo_database: Path, dbt_executable: str, tmp_path: Path
) -> None:
    """mssp (code lists by performance year): other as-of dates and years through --vars,
    then every var unset (``attribute()``'s defaults, computed from the data by the model)."""
    project = _project(tmp_path, demo_database, "mssp")
    dates = [dt.date(AS_OF.year - 1, 6, 30), AS_OF - dt.timedelta(days=45)]
    years = [AS_OF.year - 2, AS_OF.year]
    moved = {AS_OF_VAR: [d.isoformat() for d in dates], YEARS_VAR: years}
    dbt(dbt_executable, project, "build", "--vars", _vars(moved))
    assert_rows_of_attribute(project, "moved", method="mssp", as_of=dates, years=years, today=TODAY)
    unset = {AS_OF_VAR: None, YEARS_VAR: None, RUN_DATE_VAR: None}
    dbt(dbt_executable, project, "run", "--vars", _vars(unset))
    assert_rows_of_attribute(project, "defaults", method="mssp")


def _codes_to_swap(project: Project, column: str, listed: frozenset[str]) -> tuple[str, str]:
    """(the listed code on most claim lines, the unlisted one on most) of claims column
    ``column``: the codes a seed edit drops and adds, so that the edit shows in the rows."""
    engine = sa.create_engine(f"duckdb:///{project.database}")
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            f"SELECT {column}, count(*) FROM core.medical_claim "
            f"WHERE {column} IS NOT NULL GROUP BY {column}"
        ).all()
    counted: dict[str, int] = {row[0]: row[1] for row in rows}
    engine.dispose()
    dropped = max(listed & counted.keys(), key=lambda c: (counted[c], c))
    added = max(counted.keys() - listed, key=lambda c: (counted[c], c))
    return dropped, added


def test_an_edited_seed_changes_the_rows_without_regenerating(
    demo_database: Path, dbt_executable: str, tmp_path: Path
) -> None:
    """tuva: drop the most billed primary-care code from the seed and add one that is not
    primary care; ``dbt build`` then writes ``attribute()``'s rows with the same code list."""
    project = _project(tmp_path, demo_database, "tuva")
    listed = ValueSets.for_year().primary_care_hcpcs
    dropped, added = _codes_to_swap(project, "hcpcs_code", listed)
    edited = (listed - {dropped}) | {added}
    seed = project.root / "seeds" / "pa_primary_care_hcpcs.csv"
    lines = seed.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if line.split(",")[2] != dropped]
    assert len(kept) == len(lines) - 1
    seed.write_text("\n".join([*kept, f"1,edited,{added}"]) + "\n", encoding="utf-8")
    dbt(dbt_executable, project, "build")
    assert_rows_of_attribute(
        project,
        "edited",
        method="tuva",
        as_of=AS_OF,
        years=YEARS,
        today=TODAY,
        valuesets=ValueSets.for_year().with_primary_care_codes(edited),
    )
    # and the edit matters: the unedited lists give other rows
    engine = sa.create_engine(f"duckdb:///{project.database}")
    try:
        attribute(
            engine, demo_inputs(), method="tuva", as_of=AS_OF, years=YEARS, today=TODAY,
            target_schema="unedited",
        )  # fmt: skip
        assert _rows(engine, "unedited", outputs.RANKING) != _rows(engine, "dbt", outputs.RANKING)
    finally:
        engine.dispose()


def _edit_seed(project: Project, name: str, edit: Any) -> None:
    """Rewrite seed ``name``: ``edit`` maps each row (a dict) to its new row, or None to drop
    it."""
    path = project.root / "seeds" / f"{name}.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(new for row in rows if (new := edit(dict(row))) is not None)
    path.write_text(out.getvalue(), encoding="utf-8")


def _specialties(engine: sa.Engine, schema: str) -> set[tuple[str, str]]:
    """The (prov_specialty, provider_bucket) pairs of the ranking in ``schema``."""
    with engine.connect() as conn:
        found = conn.exec_driver_sql(
            f"SELECT DISTINCT prov_specialty, provider_bucket FROM {schema}.{outputs.RANKING}"
        )
        return {(text, bucket) for text, bucket in found}


def test_an_edited_specialty_crosswalk_changes_the_rows_without_regenerating(
    demo_database: Path, dbt_executable: str, tmp_path: Path
) -> None:
    """tuva: in the specialty seed, family practice (08, the demo's most common pcp) becomes a
    specialist bucket with another description and nurse practitioners (50) are dropped
    (unknown); in the taxonomy seed, internal medicine is written in lower case and remapped
    to specialty '1' (general practice, 01). ``dbt build`` then writes ``attribute()``'s rows
    with the same crosswalks."""
    project = _project(tmp_path, demo_database, "tuva")
    shipped = ValueSets.for_year()
    assert shipped.specialty_bucket["08"] == "pcp"
    assert shipped.specialty_bucket["50"] == "npp"
    assert shipped.taxonomy_specialty["207R00000X"] == "11"

    def specialty(row: dict[str, str]) -> dict[str, str] | None:
        if row["specialty_code"] == "50":
            return None
        if row["specialty_code"] == "08":
            return {**row, "bucket": "specialist", "description": "Family Practice, edited"}
        return row

    def taxonomy(row: dict[str, str]) -> dict[str, str]:
        if row["taxonomy_code"] == "207R00000X":
            return {**row, "taxonomy_code": "207r00000x", "specialty_code": "1"}
        return row

    _edit_seed(project, "pa_specialty_bucket", specialty)
    _edit_seed(project, "pa_taxonomy_specialty", taxonomy)
    dbt(dbt_executable, project, "build")
    descriptions = {**shipped.specialty_description, "08": "Family Practice, edited"}
    del descriptions["50"]
    edited = replace(
        shipped,
        specialty_bucket={
            **{c: b for c, b in shipped.specialty_bucket.items() if c != "50"},
            "08": "specialist",
        },
        specialty_description=descriptions,
        taxonomy_specialty={**shipped.taxonomy_specialty, "207R00000X": "01"},
    )
    assert_rows_of_attribute(
        project, "edited", method="tuva", as_of=AS_OF, years=YEARS, today=TODAY, valuesets=edited
    )
    # and every edit shows: the rows differ from the shipped crosswalks'
    engine = sa.create_engine(f"duckdb:///{project.database}")
    try:
        attribute(
            engine, demo_inputs(), method="tuva", as_of=AS_OF, years=YEARS, today=TODAY,
            target_schema="unedited",
        )  # fmt: skip
        shown = _specialties(engine, "dbt")
        assert ("Family Practice, edited", "specialist") in shown
        assert ("Family Practice", "pcp") in _specialties(engine, "unedited")
        for dropped in ("Nurse Practitioner", "Internal Medicine"):
            assert dropped in {text for text, _ in _specialties(engine, "unedited")}
            assert dropped not in {text for text, _ in shown}
        assert _rows(engine, "unedited", outputs.RANKING) != _rows(engine, "dbt", outputs.RANKING)
    finally:
        engine.dispose()


def test_edited_fqhc_revenue_codes_change_the_rows_without_regenerating(
    demo_database: Path, dbt_executable: str, tmp_path: Path
) -> None:
    """mssp: drop the demo's most common FQHC/RHC revenue code from the seed and add another
    code of the claims (with spaces around it: codes are compared trimmed); ``dbt build`` then
    writes the rows of ``attribute()`` with a method listing the same codes."""
    project = _project(tmp_path, demo_database, "mssp")
    listed = PRESETS["mssp"].fqhc_revenue_codes
    dropped, added = _codes_to_swap(project, "revenue_center_code", listed)
    seed = project.root / "seeds" / "pa_fqhc_revenue_codes.csv"
    lines = seed.read_text(encoding="utf-8").splitlines()
    assert set(lines[1:]) == listed
    kept = [line for line in lines if line != dropped]
    seed.write_text("\n".join([*kept, f" {added} "]) + "\n", encoding="utf-8")
    dbt(dbt_executable, project, "build")
    edited = replace(PRESETS["mssp"], fqhc_revenue_codes=(listed - {dropped}) | {added})
    run: dict[str, Any] = {"as_of": AS_OF, "years": YEARS, "today": TODAY}
    assert_rows_of_attribute(project, "edited", method=edited, **run)
    engine = sa.create_engine(f"duckdb:///{project.database}")
    try:
        attribute(engine, demo_inputs(), method="mssp", target_schema="unedited", **run)
        assert _rows(engine, "unedited", outputs.RANKING) != _rows(engine, "dbt", outputs.RANKING)
    finally:
        engine.dispose()
