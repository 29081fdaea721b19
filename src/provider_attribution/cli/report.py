"""The ``report`` command: write the HTML report of the outputs in a warehouse."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
import sqlalchemy as sa

from provider_attribution.cli.common import (
    DEFAULT_URL,
    SCHEMA_HELP,
    output_schema,
    reading_engine,
)

if TYPE_CHECKING:
    from provider_attribution.analysis.report_data import ReportData


def summary_line(data: ReportData) -> str:
    """One line: the headline key's members and fallback rate, and the churn compared."""
    if not data.coverage:
        return "no attributed members in the output tables"
    head = next(c for c in data.coverage if c.key == data.headline_key)
    rate = head.fallback / head.members if head.members else 0.0
    text = (
        f"{len(data.coverage)} scope key(s); {head.key}: {head.members:,} members, "
        f"{head.attributed:,} attributed, fallback {rate:.1%}"
    )
    if data.churn is None:
        return text + "; no churn section"
    c = data.churn
    return (
        text + f"; churn {c.from_key} → {c.to_key}: {c.counts['stayed']:,} stayed, "
        f"{c.counts['moved']:,} moved, {c.counts['new']:,} new, {c.counts['lost']:,} lost"
    )


@click.command()
@click.option(
    "--url", default=DEFAULT_URL, show_default=True, help="SQLAlchemy URL of the warehouse."
)
@click.option("--schema", default=None, help=f"Schema of the written output tables {SCHEMA_HELP}.")
@click.option(
    "--out",
    default="report.html",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="HTML file to write.",
)
@click.option("--from", "from_key", default=None, help="Churn from this key (YYYY or YYYY-MM-DD).")
@click.option("--to", "to_key", default=None, help="Churn to this key (YYYY or YYYY-MM-DD).")
@click.option(
    "--top",
    default=15,
    show_default=True,
    type=click.IntRange(min=1),
    help="Providers in the top lists and named in the churn matrix.",
)
def report(
    url: str, schema: str | None, out: str, from_key: str | None, to_key: str | None, top: int
) -> None:
    """Write a self-contained HTML report (charts and tables) of the outputs at URL.

    Churn compares --from and --to (default: the two latest performance years).
    """
    if (from_key is None) != (to_key is None):
        raise click.UsageError("give both --from and --to, or neither")
    churn = (from_key, to_key) if from_key is not None and to_key is not None else None
    from provider_attribution.analysis.report_data import collect
    from provider_attribution.analysis.report_html import save

    engine = reading_engine(url)
    try:
        data = collect(engine, output_schema(url, schema), churn=churn, top=top)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    except (sa.exc.OperationalError, sa.exc.ProgrammingError) as error:
        raise click.ClickException(f"cannot read {engine.url!r}: {error.orig}") from None
    finally:
        engine.dispose()
    path = save(data, out)
    click.echo(f"Report written to {path}")
    click.echo(summary_line(data))
