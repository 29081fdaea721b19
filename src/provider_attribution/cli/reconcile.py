"""The ``reconcile`` command: compare the computed assignment with CMS's assignment list."""

from __future__ import annotations

import json
from decimal import Decimal

import click
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from provider_attribution.analysis.reconcile import (
    REASONS,
    AssignmentListTable,
    ReconcileError,
    Reconciliation,
)
from provider_attribution.analysis.reconcile import reconcile as run_reconcile
from provider_attribution.cli.common import SCHEMA_HELP, engine_from_url, output_schema

SHOWN = 50  # disagreements printed in the text summary
WIDTH = 160  # console width when stdout is not a terminal


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def _text(value: object) -> str:
    return "" if value is None else str(value)


def print_reconciliation(result: Reconciliation, console: Console) -> None:
    """Agreement rate, counts by reason and the first :data:`SHOWN` disagreements."""
    quarter = f" Q{result.quarter}" if result.quarter else " (annual list)"
    console.print(
        f"[bold]Reconciliation {result.year}{quarter}[/] — ACOs: {', '.join(result.acos)}\n"
        f"Agreement rate: [bold]{result.agreement_rate:.2%}[/] "
        f"({result.agreements:,} of {result.beneficiaries:,} beneficiaries; "
        f"{result.list_beneficiaries:,} on the list, {result.our_beneficiaries:,} ours)"
    )
    counts = Table(title="Disagreements by reason")
    counts.add_column("reason")
    counts.add_column("beneficiaries", justify="right")
    counts.add_column("detail")
    for reason in REASONS:
        details = result.by_detail.get(reason, {})
        text = ", ".join(f"{k}: {v:,}" for k, v in sorted(details.items()))
        counts.add_row(reason, f"{result.by_reason.get(reason, 0):,}", text)
    console.print(counts)
    if result.disagreements:
        _print_disagreements(result, console)
    if result.table:
        console.print(f"Every row written to {result.table}")


def _print_disagreements(result: Reconciliation, console: Console) -> None:
    shown = result.disagreements[:SHOWN]
    title = f"Disagreements (first {len(shown)} of {result.disagreement_count:,})"
    table = Table(title=title)
    for name in ("bene", "CMS ACO", "our unit", "reason", "detail"):
        table.add_column(name, no_wrap=True)
    for name in ("our step", "our amount", "CMS ACO step", "CMS ACO amount"):
        table.add_column(name, justify="right")
    for d in shown:
        table.add_row(
            d.bene,
            _text(d.cms_aco),
            _text(d.our_provider),
            d.reason,
            _text(d.detail),
            _text(d.our_step),
            _money(d.our_amount),
            _text(d.cms_aco_step),
            _money(d.cms_aco_amount),
        )
    console.print(table)


@click.command("reconcile")
@click.option("--url", required=True, help="SQLAlchemy URL of the warehouse.")
@click.option(
    "--assignment-list",
    "list_table",
    required=True,
    metavar="TABLE",
    help="CMS's assignment list (QALR/AALR rows): table or schema.table.",
)
@click.option("--schema", default=None, help=f"Schema of the written output tables {SCHEMA_HELP}.")
@click.option("--year", required=True, type=int, help="Performance year to compare.")
@click.option(
    "--quarter",
    default=None,
    type=click.IntRange(1, 4),
    help="Quarter of a quarterly list (default: the annual list, quarter null or 0).",
)
@click.option(
    "--write-to",
    default=None,
    metavar="SCHEMA",
    help="Also write every row to SCHEMA.reconciliation (replacing it).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--bene-column", default="BENE_MBI_ID", show_default=True)
@click.option("--aco-column", default="ACO_ID", show_default=True)
@click.option("--year-column", default="PERFORMANCE_YEAR", show_default=True)
@click.option(
    "--quarter-column",
    default="QUARTER",
    show_default=True,
    help="Quarter column; '' when the list has none.",
)
def reconcile(
    url: str,
    list_table: str,
    schema: str | None,
    year: int,
    quarter: int | None,
    write_to: str | None,
    as_json: bool,
    bene_column: str,
    aco_column: str,
    year_column: str,
    quarter_column: str,
) -> None:
    """Compare the computed ACO assignment with CMS's assignment list for --year (--quarter).

    Agreement: the same beneficiary under the same ACO on both sides, over the union of the
    list's beneficiaries and ours assigned to the list's ACOs.
    """
    listing = AssignmentListTable.parse(
        list_table,
        bene_id=bene_column,
        aco_id=aco_column,
        performance_year=year_column,
        quarter=quarter_column or None,
    )
    engine = engine_from_url(url)
    try:
        result = run_reconcile(
            engine,
            listing,
            outputs_schema=output_schema(url, schema),
            year=year,
            quarter=quarter,
            write_to=write_to,
        )
    except (ReconcileError, sa.exc.OperationalError, sa.exc.ProgrammingError) as error:
        if as_json:
            click.echo(json.dumps({"error": str(error)}, indent=2))
            raise SystemExit(1) from None
        raise click.ClickException(str(error)) from None
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
        return
    console = Console()
    if not console.is_terminal:  # piped or captured: room for the whole table
        console = Console(width=WIDTH)
    print_reconciliation(result, console)
