"""What the commands print: the console and the summary tables of a run."""

from __future__ import annotations

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from provider_attribution.engines import output_tables
from provider_attribution.model import outputs
from provider_attribution.warehouse.run import RunSummary

console = Console()


def print_summary(summary: RunSummary) -> None:
    """Members by step for each scope key, one column per key."""
    table = Table(title=f"Attribution by step ({summary.method})")
    table.add_column("path / step")
    for sc in summary.scopes:
        table.add_column(f"{sc.scope}\n{sc.key}", justify="right")
    steps = sorted({s for sc in summary.scopes for s in sc.by_step})
    for step in steps:
        table.add_row(
            f"claims step {step}", *(f"{sc.by_step.get(step, 0):,}" for sc in summary.scopes)
        )
    others = sorted({t for sc in summary.scopes for t in sc.by_type} - {"claims", "none"})
    for kind in others:
        table.add_row(kind, *(f"{sc.by_type.get(kind, 0):,}" for sc in summary.scopes))
    table.add_row("fallback", *(f"{sc.fallback:,}" for sc in summary.scopes))
    table.add_row("members", *(f"{sc.members:,}" for sc in summary.scopes), style="bold")
    table.add_row("fallback rate", *(f"{sc.fallback_rate:.1%}" for sc in summary.scopes))
    console.print(table)
    print_exclusions(summary)


def print_exclusions(summary: RunSummary) -> None:
    """Claim lines by status (the attribution_exclusions table), statuses with lines only."""
    total = summary.claim_lines
    table = Table(title=f"Claim lines by status ({total:,} input rows)")
    for col in ("status", "lines", "share"):
        table.add_column(col, justify="left" if col == "status" else "right")
    for reason, lines in summary.exclusions.items():
        if lines:
            style = "bold" if reason == "used" else None
            table.add_row(reason, f"{lines:,}", f"{lines / total:.1%}", style=style)
    console.print(table)


def print_top_panels(engine: sa.Engine, schema: str | None, limit: int = 10) -> None:
    """Largest current panels (provider, ACO or TIN), aggregated in SQL."""
    t = output_tables.table(outputs.CURRENT, schema)
    members = sa.func.count()
    query = (
        sa.select(
            t.c.provider_id,
            t.c.unit_type,
            members.label("members"),
            sa.func.sum(t.c.allowed_amount).label("allowed"),
        )
        .where(t.c.attribution_type != "none")
        .group_by(t.c.provider_id, t.c.unit_type)
        .order_by(members.desc(), t.c.provider_id)
        .limit(limit)
    )
    table = Table(title="Top panels (current)")
    for col in ("provider_id", "unit", "members", "allowed"):
        table.add_column(col, justify="right" if col in {"members", "allowed"} else "left")
    with engine.connect() as conn:
        for row in conn.execute(query):
            table.add_row(row.provider_id, row.unit_type, f"{row.members:,}", f"{row.allowed:,.2f}")
    console.print(table)
