"""The HTML report: one self-contained file with Vega-Lite charts and plain tables.

Each chart is an altair (Vega-Lite) spec embedded as JSON in a ``<script
type="application/json" id="spec-NAME">`` next to its ``<div class="chart" id="chart-NAME">``;
the Vega, Vega-Lite and vega-embed JavaScript from ``vl_convert.javascript_bundle()`` is
inlined, so the file opens with no network. An inline script reports progress on ``<body>``:
``data-charts-expected`` (number of charts), ``data-charts-rendered`` (set once every embed has
resolved) and ``data-chart-errors`` (messages of failed embeds and window errors, one a line).
"""

from __future__ import annotations

import functools
import html
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import altair as alt
import sqlalchemy as sa
import vl_convert

from provider_attribution.analysis.report_data import (
    CATEGORIES,
    CATEGORY_LABELS,
    Churn,
    MixCount,
    ReportData,
    TopProvider,
    collect,
)

DEFAULT_TITLE = "Provider attribution report"

_CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2933;
  margin: 0 auto; max-width: 1100px; padding: 0 24px 48px; }
h1 { margin: 24px 0 4px; } h2 { margin-top: 36px; border-bottom: 1px solid #d9e2ec; }
nav a { margin-right: 14px; } .meta, .note { color: #52606d; }
.note { background: #f5f7fa; border-left: 3px solid #9fb3c8; padding: 8px 12px; }
.chart { margin: 12px 0; min-height: 40px; }
table { border-collapse: collapse; margin: 12px 0; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e4e7eb; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
thead th { background: #f0f4f8; }
"""

# Registered before anything else runs, so errors of the bundle itself are caught too.
_ERRORS_JS = """
(function () {
  var body = document.body;
  body.dataset.chartErrors = "";
  window.reportChartError = function (message) {
    var old = body.dataset.chartErrors;
    body.dataset.chartErrors = (old ? old + "\\n" : "") + String(message);
  };
  window.addEventListener("error", function (event) {
    window.reportChartError(event.message || String(event.error || event));
  });
  window.addEventListener("unhandledrejection", function (event) {
    var reason = event.reason;
    window.reportChartError((reason && reason.message) || String(reason));
  });
})();
"""

_EMBED_JS = """
(function () {
  var body = document.body;
  var charts = Array.prototype.slice.call(document.querySelectorAll("div.chart"));
  body.dataset.chartsExpected = String(charts.length);
  if (typeof window.vegaEmbed !== "function") {
    window.reportChartError("vegaEmbed is not defined: the inlined Vega bundle did not load");
    return;
  }
  var jobs = charts.map(function (el) {
    var name = el.id.replace(/^chart-/, "");
    try {
      var spec = JSON.parse(document.getElementById("spec-" + name).textContent);
      return window.vegaEmbed(el, spec, {renderer: "svg", actions: false});
    } catch (error) {
      return Promise.reject(error);
    }
  }).map(function (job, i) {
    return job.catch(function (error) {
      window.reportChartError(charts[i].id + ": " + ((error && error.message) || error));
      throw error;
    });
  });
  Promise.all(jobs).then(function () {
    body.dataset.chartsRendered = String(jobs.length);
  }, function () { /* reported per chart above */ });
})();
"""


@dataclass(frozen=True)
class _Chart:
    name: str
    spec: dict[str, Any]


# --- formatting -------------------------------------------------------------------------------


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _int(n: int) -> str:
    return f"{n:,}"


def _money(d: Decimal) -> str:
    return f"{d:,.2f}"


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "–"


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]], numeric: int = 1) -> str:
    """An escaped HTML table; columns from index ``numeric`` on are right-aligned."""

    def cell(tag: str, i: int, value: object) -> str:
        cls = ' class="num"' if i >= numeric else ""
        return f"<{tag}{cls}>{_e(value)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "\n".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _path(m: MixCount) -> str:
    """The assignment path of a mix row: claims step N, another type, or the fallback."""
    if m.attribution_type == "claims":
        return f"claims step {m.step}"
    if m.attribution_type == "none":
        return "fallback"
    return m.attribution_type.replace("_", " ")


# --- charts -----------------------------------------------------------------------------------


def _chart(rows: list[dict[str, Any]]) -> alt.Chart:
    return alt.Chart(alt.InlineData(values=rows))


def _coverage_chart(data: ReportData) -> _Chart:
    rows = [
        {"key": c.key, "status": status, "members": n, "share": n / c.members if c.members else 0}
        for c in data.coverage
        for status, n in (("attributed", c.attributed), ("fallback", c.fallback))
    ]
    chart = (
        _chart(rows)
        .mark_bar()
        .encode(
            y=alt.Y("key:N", sort=list(data.keys), title="scope key"),
            x=alt.X("members:Q", title="members"),
            color=alt.Color(
                "status:N",
                sort=["attributed", "fallback"],
                scale=alt.Scale(range=["#2f80c0", "#d9a441"]),
            ),
            order=alt.Order("status:N", sort="ascending"),
            tooltip=["key:N", "status:N", "members:Q", alt.Tooltip("share:Q", format=".1%")],
        )
        .properties(width=640, title="Members attributed vs fallback")
    )
    return _Chart("coverage", chart.to_dict())


def _mix_chart(data: ReportData) -> _Chart:
    rows = [
        {"key": m.key, "path": _path(m), "description": m.description, "members": m.members}
        for m in data.mix
    ]
    chart = (
        _chart(rows)
        .mark_bar()
        .encode(
            y=alt.Y("key:N", sort=list(data.keys), title="scope key"),
            x=alt.X(
                "members:Q", stack="normalize", title="share of members", axis=alt.Axis(format="%")
            ),
            color=alt.Color("path:N", title="assigned by"),
            tooltip=["key:N", "path:N", "description:N", "members:Q"],
        )
        .properties(width=640, title="Assignment by step and attribution type")
    )
    return _Chart("mix", chart.to_dict())


def _panels_chart(data: ReportData) -> _Chart:
    rows = [
        {"key": p.key, "unit_type": p.unit_type, "size": p.size, "providers": p.providers}
        for p in data.panels
    ]
    chart = (
        _chart(rows)
        .mark_bar()
        .encode(
            x=alt.X("size:Q", bin=alt.Bin(maxbins=20), title="panel size (members)"),
            y=alt.Y("sum(providers):Q", title="providers"),
            color=alt.Color("unit_type:N", title="unit"),
            tooltip=[
                alt.Tooltip("size:Q", bin=alt.Bin(maxbins=20), title="panel size"),
                "unit_type:N",
                alt.Tooltip("sum(providers):Q", title="providers"),
            ],
        )
        .properties(width=300, height=150)
        .facet(facet=alt.Facet("key:N", sort=list(data.keys), title=None), columns=2)
        .properties(title="Panel-size distribution per scope key")
    )
    return _Chart("panels", chart.to_dict())


def _top_chart(name: str, title: str, top: Sequence[TopProvider]) -> _Chart:
    rows = [
        {
            "provider_id": t.provider_id,
            "unit_type": t.unit_type,
            "members": t.members,
            "candidates": t.candidates,
            "allowed": float(t.allowed),
        }
        for t in top
    ]
    chart = (
        _chart(rows)
        .mark_bar()
        .encode(
            y=alt.Y("provider_id:N", sort=[t.provider_id for t in top], title=None),
            x=alt.X("members:Q", title="attributed members"),
            color=alt.Color("unit_type:N", title="unit"),
            tooltip=[
                "provider_id:N",
                "unit_type:N",
                "members:Q",
                "candidates:Q",
                alt.Tooltip("allowed:Q", format=",.2f"),
            ],
        )
        .properties(width=560, title=title)
    )
    return _Chart(name, chart.to_dict())


def _churn_matrix_chart(churn: Churn) -> _Chart:
    rows = [{"from": c.source, "to": c.target, "members": c.members} for c in churn.cells]
    labels = list(churn.labels)
    base = _chart(rows).encode(
        x=alt.X("to:N", sort=labels, title=f"provider at {churn.to_key}"),
        y=alt.Y("from:N", sort=labels, title=f"provider at {churn.from_key}"),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("members:Q", scale=alt.Scale(type="sqrt", scheme="blues")),
        tooltip=["from:N", "to:N", "members:Q"],
    )
    text = base.mark_text(fontSize=10).encode(text="members:Q")
    side = 34 * len(labels)
    chart = (cells + text).properties(
        width=side,
        height=side,
        title=f"Who moved from whom to whom: {churn.from_key} → {churn.to_key}",
    )
    return _Chart("churn-matrix", chart.to_dict())


def _churn_counts_chart(churn: Churn) -> _Chart:
    rows = [{"category": CATEGORY_LABELS[c], "members": churn.counts.get(c, 0)} for c in CATEGORIES]
    chart = (
        _chart(rows)
        .mark_bar()
        .encode(
            y=alt.Y("category:N", sort=[CATEGORY_LABELS[c] for c in CATEGORIES], title=None),
            x=alt.X("members:Q"),
            tooltip=["category:N", "members:Q"],
        )
        .properties(width=480, title=f"Churn {churn.from_key} → {churn.to_key}")
    )
    return _Chart("churn-counts", chart.to_dict())


def _exclusions_chart(data: ReportData) -> _Chart:
    shown = [(r, n) for r, n in data.exclusions if n]
    rows = [{"reason": r, "lines": n} for r, n in shown]
    chart = (
        _chart(rows)
        .mark_bar()
        .encode(
            y=alt.Y("reason:N", sort=[r for r, _ in shown], title="line status"),
            x=alt.X("lines:Q", title="claim lines"),
            tooltip=["reason:N", "lines:Q"],
        )
        .properties(width=480, title="Claim lines by status")
    )
    return _Chart("exclusions", chart.to_dict())


# --- sections ---------------------------------------------------------------------------------


def _embed(chart: _Chart) -> str:
    spec = json.dumps(chart.spec, separators=(",", ":"), default=str)
    spec = spec.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (
        f'<div class="chart" id="chart-{_e(chart.name)}"></div>\n'
        f'<script type="application/json" id="spec-{_e(chart.name)}">{spec}</script>'
    )


def _section(anchor: str, heading: str, *parts: str) -> str:
    body = "\n".join(p for p in parts if p)
    return f'<section id="{_e(anchor)}">\n<h2>{_e(heading)}</h2>\n{body}\n</section>'


def _note(text: str) -> str:
    return f'<p class="note">{_e(text)}</p>'


def _coverage_section(data: ReportData, charts: list[_Chart]) -> str:
    if not data.coverage:
        return _section("coverage", "Coverage", _note("The output tables hold no rows."))
    charts.append(_coverage_chart(data))
    table = _table(
        ("scope key", "scope", "members", "attributed", "fallback", "fallback rate", "allowed"),
        (
            (
                c.key,
                c.scope,
                _int(c.members),
                _int(c.attributed),
                _int(c.fallback),
                _share(c.fallback, c.members),
                _money(c.allowed),
            )
            for c in data.coverage
        ),
        numeric=2,
    )
    return _section("coverage", "Coverage", _embed(charts[-1]), table)


def _mix_section(data: ReportData, charts: list[_Chart]) -> str:
    if not data.mix:
        return ""
    charts.append(_mix_chart(data))
    paths: dict[str, dict[str, int]] = {}
    for m in data.mix:
        by_key = paths.setdefault(_path(m), {})
        by_key[m.key] = by_key.get(m.key, 0) + m.members
    table = _table(
        ("assigned by", *data.keys),
        ((path, *(_int(n.get(k, 0)) for k in data.keys)) for path, n in sorted(paths.items())),
    )
    return _section("mix", "Mix by step and attribution type", _embed(charts[-1]), table)


def _panels_section(data: ReportData, charts: list[_Chart]) -> str:
    if not data.panels:
        return ""
    charts.append(_panels_chart(data))
    summary: dict[tuple[str, str], list[int]] = {}
    for p in data.panels:
        s = summary.setdefault((p.key, p.unit_type), [0, 0, 0])
        s[0] += p.providers
        s[1] += p.providers * p.size
        s[2] = max(s[2], p.size)
    table = _table(
        ("scope key", "unit", "providers", "members", "mean panel", "largest panel"),
        (
            (key, unit, _int(n), _int(m), f"{m / n:,.1f}", _int(big))
            for (key, unit), (n, m, big) in summary.items()
        ),
        numeric=2,
    )
    return _section("panels", "Panel sizes", _embed(charts[-1]), table)


def _top_table(top: Sequence[TopProvider], members: int) -> str:
    return _table(
        ("provider_id", "unit", "members", "share", "candidate members", "allowed"),
        (
            (
                t.provider_id,
                t.unit_type,
                _int(t.members),
                _share(t.members, members),
                _int(t.candidates),
                _money(t.allowed),
            )
            for t in top
        ),
        numeric=2,
    )


def _top_section(data: ReportData, charts: list[_Chart]) -> str:
    key = data.headline_key
    if key is None:
        return ""
    members = next((c.members for c in data.coverage if c.key == key), 0)
    parts = [f'<p class="meta">Scope key {_e(key)}; members: {_int(members)}.</p>']
    for name, title, top in (
        ("top-providers", "Top providers (NPI and TIN units)", data.top_providers),
        ("top-acos", "Top ACOs", data.top_acos),
    ):
        parts.append(f"<h3>{_e(title)}</h3>")
        if not top:
            parts.append(
                _note(f"No {'ACO' if name == 'top-acos' else 'NPI or TIN'} rows at {key}.")
            )
            continue
        charts.append(_top_chart(name, f"{title} at {key}", top))
        parts += [_embed(charts[-1]), _top_table(top, members)]
    return _section("top", "Top providers and ACOs", *parts)


def _churn_section(data: ReportData, charts: list[_Chart]) -> str:
    churn = data.churn
    if churn is None:
        return _section("churn", "Churn", _note(data.churn_note))
    charts += [_churn_counts_chart(churn), _churn_matrix_chart(churn)]
    intro = (
        f'<p class="meta">People present at {_e(churn.from_key)} or {_e(churn.to_key)}, matched '
        f"by person_id: {_int(churn.members)}. The matrix names the {len(churn.labels) - 3} "
        "providers with the most members at either key; (unattributed) is the fallback, "
        "(absent) not in that key's output.</p>"
    )
    counts = _table(
        ("category", "members", "share"),
        (
            (
                CATEGORY_LABELS[c],
                _int(churn.counts.get(c, 0)),
                _share(churn.counts.get(c, 0), churn.members),
            )
            for c in CATEGORIES
        ),
    )
    moves = _table(("from", "to", "members"), ((s, t, _int(n)) for s, t, n in churn.top_moves), 2)
    return _section(
        "churn",
        f"Churn {churn.from_key} → {churn.to_key}",
        intro,
        _embed(charts[-2]),
        counts,
        _embed(charts[-1]),
        "<h3>Largest moves</h3>",
        moves if churn.top_moves else _note("Nobody moved between two providers."),
    )


def _exclusions_section(data: ReportData, charts: list[_Chart]) -> str:
    if not any(n for _, n in data.exclusions):
        return ""
    charts.append(_exclusions_chart(data))
    total = sum(n for _, n in data.exclusions)
    table = _table(
        ("status", "lines", "share"),
        ((r, _int(n), _share(n, total)) for r, n in data.exclusions if n),
    )
    return _section("exclusions", "Claim lines by status", _embed(charts[-1]), table)


# --- page -------------------------------------------------------------------------------------


_ANCHORS = (
    ("coverage", "Coverage"),
    ("mix", "Mix"),
    ("panels", "Panel sizes"),
    ("top", "Top providers"),
    ("churn", "Churn"),
    ("exclusions", "Claim lines"),
)
_GLOBALS = "window.vegaEmbed = vegaEmbed; window.vega = vega; window.vegaLite = vegaLite;"


@functools.lru_cache(maxsize=1)
def _bundle() -> str:
    """The Vega/Vega-Lite/vega-embed JavaScript, safe inside a <script> element."""
    js = vl_convert.javascript_bundle(_GLOBALS)
    return js.replace("</script", "<\\/script")


def render(data: ReportData, *, title: str = DEFAULT_TITLE) -> str:
    """The report page for ``data`` as one self-contained HTML string."""
    charts: list[_Chart] = []
    sections = [
        _coverage_section(data, charts),
        _mix_section(data, charts),
        _panels_section(data, charts),
        _top_section(data, charts),
        _churn_section(data, charts),
        _exclusions_section(data, charts),
    ]
    sections = [s for s in sections if s]
    nav = " ".join(
        f'<a href="#{a}">{_e(label)}</a>'
        for a, label in _ANCHORS
        if any(s.startswith(f'<section id="{a}"') for s in sections)
    )
    schema = data.schema or "(default schema)"
    keys = ", ".join(data.keys) or "none"
    return "\n".join(
        (
            "<!DOCTYPE html>",
            '<html lang="en">',
            '<head>\n<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>",
            "<body>",
            f"<script>{_ERRORS_JS}</script>",
            f"<header>\n<h1>{_e(title)}</h1>",
            f'<p class="meta">Output tables in {_e(schema)}; scope keys: {_e(keys)}.</p>',
            f"<nav>{nav}</nav>\n</header>",
            *sections,
            f"<script>\n{_bundle()}\n</script>",
            f"<script>{_EMBED_JS}</script>",
            "</body>\n</html>\n",
        )
    )


def save(data: ReportData, path: str | Path, *, title: str = DEFAULT_TITLE) -> Path:
    """Write the page for ``data`` to ``path`` (UTF-8, parent folders created)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(data, title=title), encoding="utf-8")
    return target


def write_report(
    engine: sa.Engine,
    path: str | Path,
    schema: str | None,
    *,
    churn: tuple[str, str] | None = None,
    top: int = 15,
) -> Path:
    """Collect the report data from the outputs in ``schema`` and write the page to ``path``."""
    return save(collect(engine, schema, churn=churn, top=top), path)
