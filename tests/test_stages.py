"""The pipeline of ``sql/stages.py``: its order and dependencies are real, ARCHITECTURE.md lists
it, and writing any stage to a work table (as an engine profile may ask) leaves every output
row unchanged."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given

from harness import TODAY, Dataset, canonical, load, run_sql
from provider_attribution.engines.profile import MATERIALISABLE_STAGES
from provider_attribution.engines.profiles import profile_for
from provider_attribution.model import outputs
from provider_attribution.model.inputs import Inputs
from provider_attribution.model.method import MEDICAID, MSSP, REACH, TUVA, TUVA_MART, Method
from provider_attribution.model.windows import ScopeKey, scope_keys
from provider_attribution.sql.compile import QueryBuilder
from provider_attribution.sql.member_spans import mask_base
from provider_attribution.sql.stages import BY_NAME, STAGES, upstream
from provider_attribution.synthetic.claims import demo_inputs
from provider_attribution.warehouse import stage_tables, staged_write
from provider_attribution.warehouse.staged_write import StagedWrite
from scenarios import PCP, PCP2, SCENARIOS
from strategies import datasets, generated, scopes

ARCHITECTURE = Path(__file__).resolve().parents[1] / "docs" / "ARCHITECTURE.md"
KEYS = scope_keys(dt.date(2024, 6, 30), [2023, 2024])


def test_stage_names_are_unique_and_needs_come_first() -> None:
    seen: set[str] = set()
    for stage in STAGES:
        assert stage.name.startswith("pa_"), stage.name
        assert stage.name not in seen, f"{stage.name} listed twice"
        missing = [n for n in stage.needs if n not in seen]
        assert not missing, f"{stage.name} needs {missing}, which do not come before it"
        seen.add(stage.name)


def test_upstream_is_the_closure_of_needs_in_pipeline_order() -> None:
    got = [s.name for s in upstream(["pa_units"])]
    assert got == [
        *("pa_member_spans", "pa_scopes", "pa_providers", "pa_checked"),
        *("pa_facts", "pa_metrics", "pa_units"),
    ]
    with pytest.raises(ValueError, match="unknown stage"):
        upstream(["pa_nothing"])


@pytest.mark.parametrize("method", [TUVA, MSSP, MEDICAID, REACH], ids=lambda m: m.name)
def test_each_stage_builds_from_its_declared_needs_alone(method: Method) -> None:
    """Building a stage with only its upstream closure available succeeds (a build reading an
    undeclared stage would fail with KeyError) and yields a relation named after the stage."""
    builder = QueryBuilder(demo_inputs(), method, None, dt.date(2025, 1, 1))
    for stage in STAGES:
        built = builder.stages(KEYS, upto=(stage.name,))
        assert list(built) == [s.name for s in upstream([stage.name])]
        relation = built[stage.name]
        assert isinstance(relation, sa.CTE)
        assert relation.name == stage.name


def test_the_stages_engines_may_materialise_are_stages() -> None:
    """The engines layer names stages without importing them: the names must be real."""
    assert set(MATERIALISABLE_STAGES) <= set(BY_NAME)


def test_architecture_lists_the_stages_in_order() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("## The query plan", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^(\d+)\. `(pa_\w+)`: (.+)$", section, re.M)
    assert [(int(n), name) for n, name, _ in listed] == [
        (i, s.name) for i, s in enumerate(STAGES, start=1)
    ]
    for _, name, summary in listed:
        assert summary == f"{BY_NAME[name].summary}.", f"{name}: docs and STAGES disagree"


@pytest.fixture(scope="module")
def engine() -> Iterator[sa.Engine]:
    engine = sa.create_engine("duckdb:///:memory:")
    yield engine
    engine.dispose()


def _rows(conn: sa.Connection, builder: QueryBuilder, keys: Sequence[ScopeKey]) -> dict[str, Any]:
    """Every output's rows, the assigned tables read from the ranking select."""
    run = builder.compile(keys)
    result: dict[str, Any] = {}
    for name, select in run.selects().items():
        rows = conn.execute(select).mappings().all()
        columns = outputs.column_names(name)
        if "attribution_key" in columns:
            result[name] = canonical(rows, columns)
        else:  # the exclusion counts: no attribution key to sort by
            result[name] = sorted(
                (tuple(row[c] for c in columns) for row in rows), key=lambda r: repr(r)
            )
    return result


def _compare_materialised(
    engine: sa.Engine,
    inputs: Inputs,
    method: Method,
    keys: Sequence[ScopeKey],
    today: dt.date,
    names: Sequence[str],
) -> str:
    """Assert that the outputs with stages ``names`` written to work tables equal the inline
    outputs; returns the SQL of every output of the staged run."""
    builder = QueryBuilder(inputs, method, None, today)
    with engine.begin() as conn, StagedWrite(conn, None) as write:
        inline = _rows(conn, builder, keys)
        work = stage_tables.materialise(write, builder, keys, names)
        assert sorted(work) == sorted(names)
        staged = builder.with_materialised(work)
        sql = "\n".join(
            str(select.compile(dialect=conn.dialect))
            for select in staged.compile(keys).selects().values()
        )
        assert _rows(conn, staged, keys) == inline, f"materialising {names} changed the outputs"
    with engine.connect() as conn:
        left = [n for n in names if sa.inspect(conn).has_table(stage_tables.work_table_name(n))]
    assert not left, f"work tables left after the write: {left}"
    return sql


@pytest.mark.parametrize("method", [TUVA, MSSP, MEDICAID, REACH], ids=lambda m: m.name)
@given(data=datasets(rich=True), scope=scopes)
@generated(3)
def test_materialising_every_stage_keeps_the_outputs(
    engine: sa.Engine,
    method: Method,
    data: Dataset,
    scope: tuple[dt.date | None, list[int]],
) -> None:
    as_of, years = scope
    keys = scope_keys(as_of, years, method.year_anchor)
    inputs = load(engine, data, "pa_in")
    names = [s.name for s in STAGES]
    sql = _compare_materialised(engine, inputs, method, keys, data.today, names)
    assert stage_tables.work_table_name("pa_ranked") in sql
    assert "pa_metrics AS" not in sql, "a materialised stage was still computed inline"


@pytest.mark.parametrize("stage", [s.name for s in STAGES])
@given(data=datasets(rich=True))
@generated(1)
def test_materialising_one_stage_keeps_the_outputs(
    engine: sa.Engine, stage: str, data: Dataset
) -> None:
    """One work table among CTEs: the later stages read it, the earlier stay inline."""
    keys = scope_keys(dt.date(2024, 12, 31), [2024], MSSP.year_anchor)
    inputs = load(engine, data, "pa_in")
    sql = _compare_materialised(engine, inputs, MSSP, keys, data.today, [stage])
    assert stage_tables.work_table_name(stage) in sql
    assert f"{stage} AS (" not in sql, f"{stage} was computed inline besides its work table"


def test_attribute_writes_the_stages_of_the_engines_profile(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``attribute()`` writes ``pa_checked`` plus the profile's ``materialise`` set, in
    pipeline order (but ``pa_units``: under Tuva it only adds columns to ``pa_metrics``), and
    the outputs equal those of a run writing ``pa_checked`` alone."""
    data = SCENARIOS[0].dataset()
    scope: dict[str, Any] = {"as_of": dt.date(2024, 12, 31), "years": [2024]}
    plain = run_sql(engine, data, schema="pa_in", target_schema="pa_plain", **scope)

    written: list[str] = []
    work_select = StagedWrite.work_select

    def spy(write: StagedWrite, name: str, select: sa.Select[Any]) -> sa.Table:
        written.append(name)
        return work_select(write, name, select)

    wanted = frozenset({"pa_units", "pa_eligible", "pa_metrics"})
    profile = replace(profile_for("duckdb"), materialise=wanted)
    monkeypatch.setattr(staged_write, "profile_of", lambda conn: profile)
    monkeypatch.setattr(StagedWrite, "work_select", spy)
    staged = run_sql(engine, data, schema="pa_in", target_schema="pa_staged", **scope)
    assert written == [
        stage_tables.work_table_name(name) for name in ("pa_eligible", "pa_checked", "pa_metrics")
    ]
    assert staged == plain
    assert staged[outputs.CURRENT], "the scenario attributes nobody: the comparison is empty"


@pytest.mark.parametrize("by_visit", [False, True], ids=["window", "by_visit"])
def test_facts_reduce_the_lines_per_visit_date_and_bucket(
    engine: sa.Engine, by_visit: bool
) -> None:
    """``pa_facts`` holds one row per person, NPI, visit key, service date, end date and
    bucket, with all the lines' cents and the primary-care lines' cents apart (the rows every
    scope key then ranks from), and how many rows its visit has; in either shape."""
    scenario = next(s for s in SCENARIOS if s.name.startswith("one visit over two dates"))
    inputs = load(engine, scenario.dataset(), None)
    builder = QueryBuilder(inputs, TUVA, None, TODAY)
    builder.facts_by_visit = by_visit
    assert scenario.as_of is not None
    facts = builder.stages([ScopeKey.current(scenario.as_of)], upto=("pa_facts",))["pa_facts"]
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                facts.c.npi,
                facts.c.visit_key,
                facts.c.service_date,
                facts.c.amount_cents,
                facts.c.pc_1,
                facts.c.pc_cents_1,
                facts.c.visit_rows,
            ).order_by(facts.c.npi, facts.c.service_date)
        ).all()
    assert [tuple(r) for r in rows] == [
        (PCP, "mixed", dt.date(2024, 5, 2), 14000, 1, 10000, 2),
        (PCP, "mixed", dt.date(2024, 5, 20), 5000, 1, 5000, 2),
        (PCP2, "other", dt.date(2024, 4, 2), 97000, 1, 7000, 1),
    ]


@pytest.mark.parametrize("method", [TUVA, TUVA_MART, MSSP, REACH], ids=lambda m: m.name)
@given(data=datasets(rich=True), scope=scopes)
@generated(3)
def test_the_two_shapes_of_the_facts_hold_the_same_rows(
    engine: sa.Engine, method: Method, data: Dataset, scope: tuple[dt.date | None, list[int]]
) -> None:
    """``pa_facts`` per visit first (DuckDB's profile) and with a count over the visit (the
    others): the same rows, ``visit_rows`` included, for NPI, ACO and TIN units and with a
    roster by year."""
    as_of, years = scope
    keys = scope_keys(as_of, years, method.year_anchor)
    inputs = load(engine, data, "pa_in")
    window = QueryBuilder(inputs, method, None, data.today)
    by_visit = window.for_engine(replace(profile_for("duckdb"), facts_by_visit=True))
    assert by_visit.facts_by_visit
    assert not window.facts_by_visit
    shapes = []
    with engine.connect() as conn:
        for builder in (window, by_visit):
            facts = builder.stages(keys, upto=("pa_facts",))["pa_facts"]
            sql = str(sa.select(facts).compile(dialect=conn.dialect))
            assert ("pa_fact_visits" in sql) == builder.facts_by_visit
            rows = conn.execute(sa.select(facts)).mappings().all()
            shapes.append(sorted((tuple(sorted(r.items())) for r in rows), key=repr))
    assert shapes[0] == shapes[1]


@given(data=datasets(rich=True), scope=scopes)
@generated(5)
def test_the_month_mask_and_the_distinct_months_give_the_same_spans(
    engine: sa.Engine, data: Dataset, scope: tuple[dt.date | None, list[int]]
) -> None:
    """The spans told by a month mask (DuckDB's profile) are those told by
    the distinct months (the others), for any member months and scope keys whose months the
    mask covers; ``for_engine`` takes the shape from the profile."""
    as_of, years = scope
    keys = scope_keys(as_of, years, TUVA.year_anchor)
    inputs = load(engine, data, "pa_in")
    plain = QueryBuilder(inputs, TUVA, None, data.today)
    masked = plain.for_engine(profile_for("duckdb"))
    assert masked.member_month_mask
    assert not plain.member_month_mask
    shapes = []
    with engine.connect() as conn:
        for builder in (plain, masked):
            spans = builder.stages(keys, upto=("pa_member_spans",))["pa_member_spans"]
            sql = str(sa.select(spans).compile(dialect=conn.dialect))
            assert ("bit_or" in sql) == builder.member_month_mask
            rows = conn.execute(sa.select(spans)).all()
            shapes.append(sorted(tuple(r) for r in rows))
    assert shapes[0] == shapes[1]


def test_a_month_mask_covers_at_most_62_months() -> None:
    """Bit 0 is the run's first month; 62 months fit a signed 64-bit mask with its full value,
    63 do not (the distinct months are used then)."""
    assert mask_base(202201, 202512) == 2022 * 12 + 1
    assert mask_base(202001, 202502) == 2020 * 12 + 1  # 62 months
    assert mask_base(202001, 202503) is None  # 63 months


@pytest.mark.parametrize("mask", [False, True], ids=["distinct", "mask"])
def test_member_spans_are_the_runs_of_consecutive_member_months(
    engine: sa.Engine, mask: bool
) -> None:
    """``pa_member_spans``: one row per run of consecutive months of a person, across a year
    end and through a repeated month, split at a missing month; months outside the run's
    months and rows without a person are left out; told by the distinct months or by a month
    mask (a repeated month at the run's first and last month: bits 0 and 23)."""
    rows: list[dict[str, Any]] = [
        *({"person_id": "A", "year_month": m} for m in (202311, 202312, 202401, 202401, 202403)),
        {"person_id": "B", "year_month": 202406},
        {"person_id": "B", "year_month": 201001},  # before every window
        {"person_id": None, "year_month": 202406},
        *({"person_id": "C", "year_month": m} for m in (202207, 202207, 202406, 202406)),
        *({"person_id": "D", "year_month": m} for m in range(202207, 202213)),
        *({"person_id": "D", "year_month": m} for m in range(202301, 202313)),
        *({"person_id": "D", "year_month": m} for m in range(202401, 202407)),
    ]
    dataset = Dataset(claims=[], eligibility=rows, providers=[])
    inputs = load(engine, dataset, None)
    builder = QueryBuilder(inputs, TUVA, None, TODAY)
    builder.member_month_mask = mask
    key = ScopeKey.current(dt.date(2024, 6, 30))
    spans = builder.stages([key], upto=("pa_member_spans",))["pa_member_spans"]
    sql = str(sa.select(spans).compile(dialect=engine.dialect))
    assert ("bit_or" in sql) == mask
    with engine.connect() as conn:
        got = conn.execute(
            sa.select(spans.c.person_id, spans.c.first_month, spans.c.last_month).order_by(
                spans.c.person_id, spans.c.first_month
            )
        ).all()
    assert [tuple(r) for r in got] == [
        ("A", 202311, 202401),
        ("A", 202403, 202403),
        ("B", 202406, 202406),
        ("C", 202207, 202207),
        ("C", 202406, 202406),
        ("D", 202207, 202406),
    ]
