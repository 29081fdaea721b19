"""The HTML report: its SQL aggregates against a pure-Python recount, the page, the command.

Every expected number is recomputed here from the output tables' rows (plain ``SELECT *``),
without any code of ``report_data``.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections import Counter, defaultdict
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from provider_attribution.analysis.report_data import ReportData, collect
from provider_attribution.analysis.report_html import render, write_report
from provider_attribution.cli.report import report
from provider_attribution.engines import output_tables
from provider_attribution.model import outputs
from provider_attribution.synthetic.claims import SyntheticSpec, demo_inputs, generate
from provider_attribution.warehouse.run import attribute

SPEC = SyntheticSpec(members=800, seed=5)
AS_OF = SPEC.last_day.isoformat()  # 2025-12-31
METHODS = {"pa": "tuva", "mssp": "mssp"}
Row = dict[str, Any]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, sa.Engine]:
    """A DuckDB file attributed with Tuva (schema pa), MSSP (mssp) and one year only (one)."""
    path = tmp_path_factory.mktemp("report") / "w.duckdb"
    url = f"duckdb:///{path}"
    engine = sa.create_engine(url)
    generate(engine, SPEC)
    for schema, method in METHODS.items():
        attribute(engine, demo_inputs(), method=method, as_of=SPEC.last_day, target_schema=schema)
    attribute(engine, demo_inputs(), as_of=SPEC.last_day, years=[2025], target_schema="one")
    return url, engine


@pytest.fixture(scope="module")
def datas(db: tuple[str, sa.Engine]) -> dict[str, ReportData]:
    return {schema: collect(db[1], schema, top=6) for schema in METHODS}


# --- the pure-Python recount ------------------------------------------------------------------


def rows(engine: sa.Engine, schema: str, table: str) -> list[Row]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.exec_driver_sql(f"SELECT * FROM {schema}.{table}")]


def assigned(engine: sa.Engine, schema: str) -> list[tuple[str, Row]]:
    """(scope key, row) of every assignment, current and yearly."""
    current = rows(engine, schema, "assigned_beneficiaries_current")
    yearly = rows(engine, schema, "assigned_beneficiaries_yearly")
    return [(r["as_of_date"].isoformat(), r) for r in current] + [
        (str(r["performance_year"]), r) for r in yearly
    ]


def attributed(r: Row) -> bool:
    return bool(r["attribution_type"] != "none")


def ranked(items: Counter[str], top: int) -> list[str]:
    return [p for p, _ in sorted(items.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]


def providers_at(engine: sa.Engine, schema: str, key: str) -> dict[str, str | None]:
    """person -> provider at a scope key (None for the fallback)."""
    return {
        r["person_id"]: r["provider_id"] if attributed(r) else None
        for k, r in assigned(engine, schema)
        if k == key
    }


def expected_churn(
    engine: sa.Engine, schema: str, a_key: str, b_key: str, top: int
) -> tuple[Counter[str], Counter[tuple[str, str]], Counter[tuple[str, str]]]:
    """Category counts, matrix cells and moves between two keys."""
    a, b = providers_at(engine, schema, a_key), providers_at(engine, schema, b_key)
    both = Counter(p for p in [*a.values(), *b.values()] if p is not None)
    named = set(ranked(both, top))

    def bucket(side: dict[str, str | None], person: str) -> str:
        if person not in side:
            return "(absent)"
        prov = side[person]
        if prov is None:
            return "(unattributed)"
        return prov if prov in named else "(other providers)"

    categories: Counter[str] = Counter()
    cells: Counter[tuple[str, str]] = Counter()
    moves: Counter[tuple[str, str]] = Counter()
    for person in set(a) | set(b):
        pa, pb = a.get(person), b.get(person)
        if pa is not None and pb is not None:
            categories["stayed" if pa == pb else "moved"] += 1
            if pa != pb:
                moves[pa, pb] += 1
        elif pb is not None:
            categories["new"] += 1
        elif pa is not None:
            categories["lost"] += 1
        else:
            categories["unattributed"] += 1
        cells[bucket(a, person), bucket(b, person)] += 1
    return categories, cells, moves


def check_churn(data: ReportData, engine: sa.Engine, schema: str, top: int) -> None:
    churn = data.churn
    assert churn is not None
    categories, cells, moves = expected_churn(engine, schema, churn.from_key, churn.to_key, top)
    assert {k: v for k, v in churn.counts.items() if v} == dict(categories)
    assert {(c.source, c.target): c.members for c in churn.cells} == dict(cells)
    assert churn.members == sum(cells.values())
    assert churn.labels[-3:] == ("(other providers)", "(unattributed)", "(absent)")
    expected_moves = sorted(moves.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    assert [(s, t, n) for s, t, n in churn.top_moves] == [(s, t, n) for (s, t), n in expected_moves]


# --- collect() --------------------------------------------------------------------------------


@pytest.mark.parametrize("schema", list(METHODS))
def test_coverage_mix_and_panels_match_the_rows(
    db: tuple[str, sa.Engine], datas: dict[str, ReportData], schema: str
) -> None:
    data, every = datas[schema], assigned(db[1], schema)
    assert data.keys == (AS_OF, "2023", "2024", "2025")
    for c in data.coverage:
        at_key = [r for k, r in every if k == c.key]
        assert c.members == len(at_key)
        assert c.fallback == sum(not attributed(r) for r in at_key)
        assert c.attributed == c.members - c.fallback
        assert c.allowed == sum(
            (r["allowed_amount"] or Decimal(0) for r in at_key if attributed(r)), Decimal(0)
        )
        assert c.scope == ("current" if c.key == AS_OF else "yearly")
    mix = Counter((k, r["attribution_type"], r["assigned_step"]) for k, r in every)
    assert {(m.key, m.attribution_type, m.step): m.members for m in data.mix} == dict(mix)
    panels = Counter(
        (k, r["unit_type"] or "unknown", r["provider_id"]) for k, r in every if attributed(r)
    )
    sizes = Counter((k, unit, n) for (k, unit, _), n in panels.items())
    assert {(p.key, p.unit_type, p.size): p.providers for p in data.panels} == dict(sizes)


@pytest.mark.parametrize("schema", list(METHODS))
def test_top_providers_match_the_rows(
    db: tuple[str, sa.Engine], datas: dict[str, ReportData], schema: str
) -> None:
    engine, data = db[1], datas[schema]
    assert data.headline_key == AS_OF
    current = [r for k, r in assigned(engine, schema) if k == AS_OF and attributed(r)]
    candidates: defaultdict[str, set[str]] = defaultdict(set)
    for r in rows(engine, schema, "provider_ranking"):
        if r["scope"] == "current" and r["as_of_date"].isoformat() == AS_OF and attributed(r):
            candidates[r["provider_id"]].add(r["person_id"])
    for top, acos in ((data.top_providers, False), (data.top_acos, True)):
        picked = [r for r in current if (r["unit_type"] == "aco") == acos]
        members = Counter(r["provider_id"] for r in picked)
        allowed: defaultdict[str, Decimal] = defaultdict(Decimal)
        for r in picked:
            allowed[r["provider_id"]] += r["allowed_amount"] or Decimal(0)
        assert [t.provider_id for t in top] == ranked(members, 6)
        for t in top:
            assert (t.key, t.members, t.allowed) == (
                AS_OF,
                members[t.provider_id],
                allowed[t.provider_id],
            )
            assert t.candidates == len(candidates[t.provider_id])
            assert (t.unit_type == "aco") == acos
    if schema == "mssp":
        assert data.top_acos, "the MSSP run credits ACOs"
        assert {t.unit_type for t in data.top_providers} <= {"tin", "npi"}
    else:
        assert not data.top_acos
        assert {t.unit_type for t in data.top_providers} == {"npi"}


@pytest.mark.parametrize("schema", list(METHODS))
def test_default_churn_compares_the_two_latest_years(
    db: tuple[str, sa.Engine], datas: dict[str, ReportData], schema: str
) -> None:
    churn = datas[schema].churn
    assert churn is not None
    assert (churn.from_key, churn.to_key) == ("2024", "2025")
    assert all(churn.counts[c] for c in ("stayed", "moved", "new", "lost"))
    check_churn(datas[schema], db[1], schema, 6)


def test_churn_between_a_year_and_the_current_date(db: tuple[str, sa.Engine]) -> None:
    data = collect(db[1], "mssp", churn=("2023", AS_OF), top=4)
    assert data.churn is not None
    assert (data.churn.from_key, data.churn.to_key) == ("2023", AS_OF)
    assert len(data.churn.labels) == 4 + 3
    check_churn(data, db[1], "mssp", 4)


def test_unknown_churn_key_lists_the_keys_that_exist(db: tuple[str, sa.Engine]) -> None:
    with pytest.raises(ValueError, match="'2019' is not in assigned_beneficiaries_yearly") as info:
        collect(db[1], "pa", churn=("2019", "2024"))
    assert f"{AS_OF}, 2023, 2024, 2025" in str(info.value)
    with pytest.raises(ValueError, match="'2025-06-30' is not in assigned_beneficiaries_current"):
        collect(db[1], "pa", churn=("2024", "2025-06-30"))


def test_missing_output_table_is_named(db: tuple[str, sa.Engine]) -> None:
    with db[1].begin() as conn:
        conn.exec_driver_sql("CREATE SCHEMA IF NOT EXISTS part")
        conn.exec_driver_sql(
            "CREATE OR REPLACE TABLE part.provider_ranking AS SELECT * FROM pa.provider_ranking"
        )
    with pytest.raises(
        ValueError, match="assigned_beneficiaries_current not found in schema 'part'"
    ):
        collect(db[1], "part")


def test_a_single_year_has_no_churn_and_the_page_says_why(db: tuple[str, sa.Engine]) -> None:
    data = collect(db[1], "one")
    assert data.churn is None
    assert "fewer than two performance years (2025)" in data.churn_note
    page = render(data)
    assert "fewer than two performance years (2025)" in page
    assert 'id="chart-churn-matrix"' not in page


# --- the page ---------------------------------------------------------------------------------


class Page(HTMLParser):
    """Tags with their attributes, and the text of each <script>, by id."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: dict[str, str] = {}
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._open = dict(attrs).get("id") or f"script-{len(self.scripts)}"
            self.scripts[self._open] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self.scripts[self._open] += data


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


@pytest.mark.parametrize("schema", list(METHODS))
def test_page_is_self_contained_with_one_spec_per_chart(
    datas: dict[str, ReportData], schema: str
) -> None:
    text = render(datas[schema], title="Report <&> 'x'")
    page = parse(text)
    for tag, attrs in page.tags:
        assert tag != "link"
        assert not (tag == "script" and "src" in attrs)
        for name in ("src", "href"):
            assert "http" not in (attrs.get(name) or ""), (tag, attrs)
    assert "<title>Report &lt;&amp;&gt; &#x27;x&#x27;</title>" in text
    charts = [a["id"] for t, a in page.tags if t == "div" and a.get("class") == "chart"]
    assert charts
    assert len(charts) == len(set(charts))
    specs = [k for k in page.scripts if k.startswith("spec-")]
    assert sorted(specs) == sorted(str(c).replace("chart-", "spec-", 1) for c in charts)
    expected = {"coverage", "mix", "panels", "top-providers", "churn-matrix", "churn-counts"}
    names = {str(c).removeprefix("chart-") for c in charts}
    assert expected <= names
    assert ("top-acos" in names) == (schema == "mssp")
    for name in names:
        spec = json.loads(page.scripts[f"spec-{name}"])
        assert "vega-lite" in spec["$schema"]
        assert any(k in spec for k in ("mark", "layer", "facet", "spec"))
    bundle = max(page.scripts.values(), key=len)
    assert "window.vegaEmbed" in bundle
    for name in ("chartsExpected", "chartsRendered", "chartErrors"):
        assert f"document.body.dataset.{name}" in text or f"body.dataset.{name}" in text
    assert 'renderer: "svg", actions: false' in text


def test_churn_matrix_spec_holds_the_cells(datas: dict[str, ReportData]) -> None:
    churn = datas["mssp"].churn
    assert churn is not None
    spec = json.loads(parse(render(datas["mssp"])).scripts["spec-churn-matrix"])
    values = spec.get("data", {}).get("values") or next(iter(spec["datasets"].values()))
    assert sum(v["members"] for v in values) == churn.members
    assert {(v["from"], v["to"]) for v in values} == {(c.source, c.target) for c in churn.cells}


def test_page_tables_work_without_javascript(datas: dict[str, ReportData]) -> None:
    data = datas["mssp"]
    text = render(data)
    assert data.top_acos[0].provider_id in text
    assert f"{data.coverage[0].members:,}" in text
    assert data.churn is not None
    assert f'<td>same provider</td><td class="num">{data.churn.counts["stayed"]:,}</td>' in text


def test_write_report_writes_the_file(db: tuple[str, sa.Engine], tmp_path: Path) -> None:
    path = write_report(db[1], tmp_path / "sub" / "r.html", "pa", churn=("2025", AS_OF), top=3)
    assert path == tmp_path / "sub" / "r.html"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert f"Churn 2025 → {AS_OF}" in text


def test_import_leaves_the_report_stack_out_until_write_report_is_used(
    db: tuple[str, sa.Engine], tmp_path: Path
) -> None:
    """``import provider_attribution`` (and its CLI) load no altair, vl-convert or pandas;
    ``provider_attribution.write_report`` loads them on first use and writes the page."""
    out = tmp_path / "lazy.html"
    code = f"""
import sys
import sqlalchemy
import provider_attribution as pa
import provider_attribution.cli
heavy = ("altair", "vl_convert", "pandas", "narwhals", "jsonschema")
assert not [m for m in heavy if m in sys.modules], [m for m in heavy if m in sys.modules]
path = pa.write_report(sqlalchemy.create_engine({db[0]!r}), {str(out)!r}, "pa")
assert "altair" in sys.modules and "vl_convert" in sys.modules
print(path)
"""
    db[1].dispose()  # release the DuckDB file for the child process
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out)
    assert 'id="chart-coverage"' in out.read_text(encoding="utf-8")


# --- the command ------------------------------------------------------------------------------


def test_report_command_writes_the_file(db: tuple[str, sa.Engine], tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    args = ["--url", db[0], "--schema", "mssp", "--out", str(out), "--top", "5"]
    result = CliRunner().invoke(report, [*args, "--from", "2023", "--to", AS_OF])
    assert result.exit_code == 0, result.output
    assert f"Report written to {out}" in result.output
    assert f"churn 2023 → {AS_OF}" in result.output
    assert out.stat().st_size > 100_000
    assert 'id="chart-top-acos"' in out.read_text(encoding="utf-8")


def test_report_command_errors(db: tuple[str, sa.Engine], tmp_path: Path) -> None:
    out = str(tmp_path / "r.html")
    half = CliRunner().invoke(
        report, ["--url", db[0], "--schema", "pa", "--out", out, "--from", "2024"]
    )
    assert half.exit_code == 2
    assert "both --from and --to" in half.output
    bad = CliRunner().invoke(
        report, ["--url", db[0], "--schema", "pa", "--out", out, "--from", "2024", "--to", "2030"]
    )
    assert bad.exit_code == 1
    assert "'2030' is not in assigned_beneficiaries_yearly" in bad.output
    assert not Path(out).exists()


def test_dates_in_keys_are_iso(datas: dict[str, ReportData]) -> None:
    assert dt.date.fromisoformat(datas["pa"].keys[0]) == SPEC.last_day


def test_empty_outputs_give_a_page_without_charts(db: tuple[str, sa.Engine]) -> None:
    metadata = sa.MetaData()
    with db[1].begin() as conn:
        conn.exec_driver_sql("CREATE SCHEMA IF NOT EXISTS empty")
        for name in (outputs.RANKING, outputs.CURRENT, outputs.YEARLY):
            output_tables.table(name, "empty", metadata).create(conn)
    data = collect(db[1], "empty")
    assert (data.keys, data.headline_key, data.churn, data.exclusions) == ((), None, None, ())
    text = render(data)
    assert "The output tables hold no rows." in text
    assert 'class="chart"' not in text
