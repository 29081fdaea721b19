"""The ``provider-attribution`` command: a thin layer over the Python API."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
import sqlalchemy as sa
import sqlglot
from rich.console import Console
from rich.table import Table

from provider_attribution import outputs
from provider_attribution.dbt import DEFAULT_SOURCE, write_dbt_project
from provider_attribution.inputs import Inputs
from provider_attribution.method import PRESETS
from provider_attribution.method_file import LoadedMethod, MethodFileError, resolve_method
from provider_attribution.run import RunSummary, attribute, build_queries
from provider_attribution.sqltext import SUPPORTED_DIALECTS, check_dialect, statements
from provider_attribution.validate import Check, InputError, errors, preflight, warnings
from provider_attribution.windows import scope_keys

console = Console()


def _parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _parse_years(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> tuple[int, ...] | None:
    if value is None:
        return None
    if value.strip().lower() == "none":
        return ()
    try:
        return tuple(int(v) for v in value.split(",") if v.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r}: give years like 2023,2024 or 'none'") from None


_as_of = click.option("--as-of", callback=_parse_date, help="As-of date YYYY-MM-DD.")
_today = click.option(
    "--today",
    callback=_parse_date,
    help="Run date YYYY-MM-DD (default: the current date); later service dates are excluded.",
)
_years = click.option(
    "--years", callback=_parse_years, help="Performance years, e.g. 2023,2024 ('none' to skip)."
)
_method = click.option(
    "--method",
    "method_name",
    default="tuva",
    show_default=True,
    help=f"A preset ({', '.join(sorted(PRESETS))}) or a .toml/.yaml/.json method file.",
)


def _load(method_name: str) -> LoadedMethod:
    try:
        return resolve_method(method_name)
    except MethodFileError as error:
        raise click.BadParameter(str(error), param_hint="--method") from None


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
    t = outputs.table(outputs.CURRENT, schema)
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


_inputs_file = click.option(
    "--inputs",
    "inputs_file",
    type=click.Path(exists=True, dir_okay=False),
    help="TOML/JSON file mapping the inputs to your tables and columns.",
)


def _inputs(inputs_file: str | None, inputs_schema: str | None = None) -> Inputs:
    try:
        inputs = Inputs.from_file(inputs_file) if inputs_file else Inputs()
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    return inputs if inputs_schema is None else inputs.in_schema(inputs_schema)


@click.group()
@click.version_option(package_name="provider-attribution")
def main() -> None:
    """Primary-care provider attribution, run inside your database."""


@main.command()
@click.option("--db", default="demo.duckdb", show_default=True, help="DuckDB file to create.")
@click.option("--members", default=15_000, show_default=True, help="Members to generate.")
@click.option("--seed", default=0, show_default=True)
@_method
def demo(db: str, members: int, seed: int, method_name: str) -> None:
    """Generate demo data into an embedded DuckDB file and attribute it."""
    from provider_attribution.synthetic import SyntheticSpec, demo_inputs, generate

    path = Path(db)
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    engine = sa.create_engine(f"duckdb:///{path}")
    spec = SyntheticSpec(members=members, seed=seed)
    with console.status(f"Generating {members:,} members into {path} ..."):
        counts = generate(engine, spec)
    console.print(
        "Generated " + ", ".join(f"{name}: {count:,} rows" for name, count in counts.items())
    )
    loaded = _load(method_name)
    with console.status("Attributing ..."):
        summary = attribute(
            engine,
            demo_inputs(),
            method=loaded.method,
            valuesets=loaded.valuesets,
            as_of=spec.last_day,
            target_schema="provider_attribution",
        )
    print_summary(summary)
    print_top_panels(engine, "provider_attribution")
    console.print(f"Tables written to schema provider_attribution in {path}.")


@main.command()
@click.option("--url", required=True, help="SQLAlchemy URL of the warehouse.")
@click.option("--inputs-schema", default=None, help="Schema holding all the inputs.")
@_inputs_file
@click.option("--target-schema", default=None, help="Schema to write the outputs to.")
@_as_of
@_years
@_method
@_today
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def run(
    url: str,
    inputs_schema: str | None,
    inputs_file: str | None,
    target_schema: str | None,
    as_of: dt.date | None,
    years: tuple[int, ...] | None,
    method_name: str,
    today: dt.date | None,
    as_json: bool,
) -> None:
    """Attribute the members of the warehouse at URL."""
    inputs = _inputs(inputs_file, inputs_schema)
    loaded = _load(method_name)
    try:
        summary = attribute(
            url,
            inputs,
            method=loaded.method,
            valuesets=loaded.valuesets,
            as_of=as_of,
            years=years,
            target_schema=target_schema,
            today=today,
        )
    except InputError as error:
        raise click.ClickException(f"the inputs cannot be attributed:\n{error}") from None
    if as_json:
        click.echo(json.dumps(summary.to_dict(), indent=2))
    else:
        print_summary(summary)


@main.command()
@click.option(
    "--dialect",
    default="duckdb",
    show_default=True,
    help=f"Target SQL dialect: one of {', '.join(SUPPORTED_DIALECTS)}.",
)
@_as_of
@_years
@_method
@_inputs_file
@click.option("--target-schema", default=None, help="Schema of the written tables.")
@_today
def sql(
    dialect: str,
    as_of: dt.date | None,
    years: tuple[int, ...] | None,
    method_name: str,
    inputs_file: str | None,
    target_schema: str | None,
    today: dt.date | None,
) -> None:
    """Print the compiled SQL (default as-of: today; default years: the as-of year)."""
    try:
        check_dialect(dialect)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--dialect") from None
    resolved_as_of = as_of or dt.date.today()
    resolved_years = years if years is not None else (resolved_as_of.year,)
    loaded = _load(method_name)
    keys = scope_keys(resolved_as_of, resolved_years, loaded.method.year_anchor)
    run_ = build_queries(
        keys, _inputs(inputs_file), method=loaded.method, valuesets=loaded.valuesets, today=today
    )
    for text in statements(run_, dialect, target_schema):
        click.echo(text.rstrip() + ";\n")


@main.command()
@click.option("--dialect", default="duckdb", show_default=True, help="Target SQL dialect.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Directory to write the models and schema.yml to (e.g. models/attribution).",
)
@_as_of
@_years
@_method
@_inputs_file
@_today
@click.option(
    "--source-name",
    default=DEFAULT_SOURCE,
    show_default=True,
    help="dbt source name of the inputs (suffixed _<schema> when they span several schemas).",
)
def dbt(
    dialect: str,
    out_dir: str,
    as_of: dt.date | None,
    years: tuple[int, ...] | None,
    method_name: str,
    inputs_file: str | None,
    today: dt.date | None,
    source_name: str,
) -> None:
    """Write dbt models of the outputs (default as-of: today; default years: the as-of year)."""
    resolved_as_of = as_of or dt.date.today()
    resolved_years = years if years is not None else (resolved_as_of.year,)
    loaded = _load(method_name)
    keys = scope_keys(resolved_as_of, resolved_years, loaded.method.year_anchor)
    inputs = _inputs(inputs_file)
    run_ = build_queries(
        keys, inputs, method=loaded.method, valuesets=loaded.valuesets, today=today
    )
    try:
        paths = write_dbt_project(out_dir, run_, inputs, dialect, source_name)
    except (ValueError, sqlglot.errors.SqlglotError) as error:
        raise click.ClickException(f"cannot write dbt models for {dialect!r}: {error}") from None
    for path in paths:
        click.echo(str(path))


_MARKS = {"ok": "[green]✓[/]", "error": "[red]✗[/]", "warning": "[yellow]![/]"}


def print_checks(checks: list[Check]) -> None:
    """Every check in a table (✓ passed, ✗ error, ! warning), then each problem in full."""
    table = Table(title="Input checks")
    for col in ("", "check", "table", "column", "finding"):
        table.add_column(col)
    for c in checks:
        finding = c.message if c.ok else c.message.split("; ")[0]
        for prefix in (f"{c.table}.{c.column} ", f"{c.table} "):
            finding = finding.removeprefix(prefix)
        table.add_row(_MARKS["ok" if c.ok else c.severity], c.name, c.table, c.column, finding)
    console.print(table)
    for c in errors(checks) + warnings(checks):
        click.echo(f"{'✗ error' if c.severity == 'error' else '! warning'}: {c.message}")
    n_errors, n_warnings = len(errors(checks)), len(warnings(checks))
    click.echo(
        f"{n_errors} error{'s' * (n_errors != 1)}, {n_warnings} warning{'s' * (n_warnings != 1)}"
    )


@main.command("validate")
@click.option("--url", required=True, help="SQLAlchemy URL of the warehouse.")
@click.option("--inputs-schema", default=None, help="Schema holding all the inputs.")
@_inputs_file
@_as_of
@_years
@_method
def validate_command(
    url: str,
    inputs_schema: str | None,
    inputs_file: str | None,
    as_of: dt.date | None,
    years: tuple[int, ...] | None,
    method_name: str,
) -> None:
    """Check the inputs at URL before a run: tables, columns, types and data.

    Exits with 1 when any check finds an error, 0 otherwise (warnings included).
    """
    inputs = _inputs(inputs_file, inputs_schema)
    loaded = _load(method_name)
    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, ImportError) as error:
        raise click.BadParameter(str(error), param_hint="--url") from None
    try:
        with engine.connect() as conn:
            checks = preflight(conn, inputs, loaded.method, as_of=as_of, years=years)
    except sa.exc.OperationalError as error:
        raise click.ClickException(f"cannot connect to {engine.url!r}: {error.orig}") from None
    finally:
        engine.dispose()
    print_checks(checks)
    if errors(checks):
        raise SystemExit(1)
