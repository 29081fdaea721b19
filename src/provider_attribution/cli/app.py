"""The ``provider-attribution`` command: a thin layer over the Python API."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click
import sqlalchemy as sa
import sqlglot
from rich import box
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from provider_attribution.analysis.explain import ExplainError, KeyExplanation, explain
from provider_attribution.cli.cclf import cclf_demo, prepare_cclf_inputs
from provider_attribution.cli.common import (
    DEFAULT_DB,
    DEFAULT_SCHEMA,
    DEFAULT_URL,
    SCHEMA_HELP,
    engine_from_url,
    output_schema,
    reading_engine,
)
from provider_attribution.cli.display import console, print_summary, print_top_panels
from provider_attribution.cli.reconcile import reconcile
from provider_attribution.cli.report import report
from provider_attribution.emit.dbt import DEFAULT_PROFILE, DEFAULT_SOURCE, write_dbt_project
from provider_attribution.emit.sqltext import (
    SUPPORTED_DIALECTS,
    check_dialect,
    session_settings,
    staged_statements,
)
from provider_attribution.model.inputs import Inputs
from provider_attribution.model.method import PRESETS
from provider_attribution.model.method_file import LoadedMethod, MethodFileError, resolve_method
from provider_attribution.model.windows import as_of_dates, scope_keys
from provider_attribution.sql.compile import QueryBuilder
from provider_attribution.warehouse.run import attribute
from provider_attribution.warehouse.validate import Check, InputError, errors, preflight, warnings

err_console = Console(stderr=True)  # progress and status: stdout stays clean for --json


def _parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _parse_dates(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> tuple[dt.date, ...] | None:
    if value is None:
        return None
    try:
        return as_of_dates(dt.date.fromisoformat(v.strip()) for v in value.split(",") if v.strip())
    except ValueError:
        raise click.BadParameter(
            f"{value!r}: give a date YYYY-MM-DD, or several comma separated"
        ) from None


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


_as_of = click.option(
    "--as-of",
    callback=_parse_dates,
    help="As-of date YYYY-MM-DD, or several comma separated (one current scope each).",
)
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


CCLF_PRESET = "cclf"


def _inputs_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None or value == CCLF_PRESET or Path(value).is_file():
        return value
    raise click.BadParameter(f"{value!r}: not a file (or give the preset {CCLF_PRESET!r})")


_inputs_file = click.option(
    "--inputs",
    "inputs_file",
    callback=_inputs_option,
    help="TOML/JSON file mapping the inputs to your tables and columns, or 'cclf': CMS CCLF "
    "tables (cclf1, cclf2, cclf5, cclf8 in --inputs-schema); `run` prepares them first.",
)


def _inputs(inputs_file: str | None, inputs_schema: str | None = None) -> Inputs:
    if inputs_file == CCLF_PRESET:
        return Inputs.cclf(inputs_schema)
    try:
        inputs = Inputs.from_file(inputs_file) if inputs_file else Inputs()
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    return inputs if inputs_schema is None else inputs.in_schema(inputs_schema)


_STAGE_WORDS = {
    "validate": "Checking the inputs",
    "candidates": "Checking claim lines",
    "ranking": "Ranking candidates",
    "write": "Writing outputs",
}


@contextmanager
def stage_progress(enabled: bool = True) -> Iterator[Callable[[str], None] | None]:
    """A ``progress`` callback for :func:`attribute` showing each stage (spinner, description,
    elapsed time) on stderr; ``None`` when disabled."""
    if not enabled:
        yield None
        return
    columns = (
        SpinnerColumn(finished_text="[green]✓[/]"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console) as progress:
        running: list[TaskID] = []

        def finish() -> None:
            for task in running:
                progress.update(task, total=1, completed=1)
                progress.stop_task(task)
            running.clear()

        def on_stage(stage: str) -> None:
            finish()
            running.append(progress.add_task(_STAGE_WORDS.get(stage, stage), total=None))

        yield on_stage
        finish()


def _json_error(message: str, problems: list[dict[str, Any]] | None = None) -> NoReturn:
    """Print ``{"error": ..., "problems": [...]}`` on stdout and exit 1."""
    click.echo(json.dumps({"error": message, "problems": problems or []}, indent=2))
    raise SystemExit(1)


def _input_problems(error: InputError) -> list[dict[str, Any]]:
    return [
        {"check": c.name, "table": c.table, "column": c.column, "message": c.message}
        for c in error.checks
    ]


def _cannot_attribute(error: InputError, as_json: bool) -> NoReturn:
    message = "the inputs cannot be attributed"
    if as_json:
        _json_error(message, _input_problems(error))
    raise click.ClickException(f"{message}:\n{error}") from None


@click.group()
@click.version_option(package_name="provider-attribution")
def main() -> None:
    """Primary-care provider attribution, run inside your database."""


@main.command()
@click.option("--db", default=DEFAULT_DB, show_default=True, help="DuckDB file to create.")
@click.option("--members", default=15_000, show_default=True, help="Members to generate.")
@click.option("--seed", default=0, show_default=True)
@_method
@click.option(
    "--report/--no-report",
    default=True,
    show_default=True,
    help="Also write an HTML report next to the database (<db>_report.html).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def demo(db: str, members: int, seed: int, method_name: str, report: bool, as_json: bool) -> None:
    """Generate demo data into an embedded DuckDB file and attribute it."""
    from provider_attribution.synthetic.claims import SyntheticSpec, demo_inputs, generate

    loaded = _load(method_name)
    path = Path(db)
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    engine = sa.create_engine(f"duckdb:///{path}")
    spec = SyntheticSpec(members=members, seed=seed)
    with err_console.status(f"Generating {members:,} members into {path} ..."):
        counts = generate(engine, spec)
    if not as_json:
        console.print(
            "Generated " + ", ".join(f"{name}: {count:,} rows" for name, count in counts.items())
        )
    with stage_progress(not as_json) as progress:
        summary = attribute(
            engine,
            demo_inputs(),
            method=loaded.method,
            valuesets=loaded.valuesets,
            as_of=spec.last_day,
            target_schema=DEFAULT_SCHEMA,
            progress=progress,
        )
    report_path = _demo_report(engine, path) if report else None
    if as_json:
        extra = {"database": str(path), "generated": counts, "report": report_path}
        click.echo(json.dumps({**summary.to_dict(), **extra}, indent=2))
        return
    print_summary(summary)
    print_top_panels(engine, DEFAULT_SCHEMA)
    console.print(f"Tables written to schema {DEFAULT_SCHEMA} in {path}.")
    if report_path is not None:
        console.print(f"Report written to {report_path}.")


def _demo_report(engine: sa.Engine, path: Path) -> str:
    """Write the demo's HTML report next to its database; its path."""
    from provider_attribution.analysis.report_html import write_report

    return str(write_report(engine, path.with_name(path.stem + "_report.html"), DEFAULT_SCHEMA))


@main.command()
@click.option("--url", required=True, help="SQLAlchemy URL of the warehouse.")
@click.option("--inputs-schema", default=None, help="Schema holding all the inputs.")
@_inputs_file
@click.option(
    "--target-schema", default=None, help=f"Schema to write the outputs to {SCHEMA_HELP}."
)
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
    as_of: tuple[dt.date, ...] | None,
    years: tuple[int, ...] | None,
    method_name: str,
    today: dt.date | None,
    as_json: bool,
) -> None:
    """Attribute the members of the warehouse at URL."""
    loaded = _load(method_name)
    target_schema = output_schema(url, target_schema)
    try:
        if inputs_file == CCLF_PRESET:
            inputs = prepare_cclf_inputs(url, inputs_schema, target_schema)
        else:
            inputs = _inputs(inputs_file, inputs_schema)
    except click.ClickException as error:
        if as_json:
            _json_error(error.message)
        raise
    try:
        with stage_progress(not as_json) as progress:
            summary = attribute(
                url,
                inputs,
                method=loaded.method,
                valuesets=loaded.valuesets,
                as_of=as_of,
                years=years,
                target_schema=target_schema,
                today=today,
                progress=progress,
            )
    except InputError as error:
        _cannot_attribute(error, as_json)
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
    as_of: tuple[dt.date, ...] | None,
    years: tuple[int, ...] | None,
    method_name: str,
    inputs_file: str | None,
    target_schema: str | None,
    today: dt.date | None,
) -> None:
    """Print the compiled SQL (default as-of: today; default years: the latest as-of year)."""
    try:
        check_dialect(dialect)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--dialect") from None
    resolved_as_of = as_of or (dt.date.today(),)
    resolved_years = years if years is not None else (resolved_as_of[-1].year,)
    loaded = _load(method_name)
    keys = scope_keys(resolved_as_of, resolved_years, loaded.method.year_anchor)
    builder = QueryBuilder(_inputs(inputs_file), loaded.method, loaded.valuesets, today)
    settings = session_settings(dialect)
    if settings:
        click.echo("-- planner settings for the statements below, in the same session")
        click.echo("\n".join(f"{setting};" for setting in settings) + "\n")
    for text in staged_statements(builder, keys, dialect, target_schema):
        click.echo(text.rstrip() + ";\n")


@main.command()
@click.option("--dialect", default="duckdb", show_default=True, help="Target SQL dialect.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Directory to write the dbt project (package) to: dbt_project.yml, models/, seeds/.",
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
@click.option(
    "--profile",
    default=DEFAULT_PROFILE,
    show_default=True,
    help="Profile named in dbt_project.yml (used when the project is run on its own).",
)
def dbt(
    dialect: str,
    out_dir: str,
    as_of: tuple[dt.date, ...] | None,
    years: tuple[int, ...] | None,
    method_name: str,
    inputs_file: str | None,
    today: dt.date | None,
    source_name: str,
    profile: str,
) -> None:
    """Write the run as a dbt project: models per stage, the primary-care codes as a seed.
    --as-of, --years and --today become the defaults of the vars provider_attribution_as_of_date,
    provider_attribution_years and provider_attribution_run_date; left out, dbt computes the
    defaults of `run` from the data at build time."""
    loaded = _load(method_name)
    inputs = _inputs(inputs_file)
    try:
        check_dialect(dialect)
        paths = write_dbt_project(
            out_dir,
            inputs,
            dialect,
            method=loaded.method,
            valuesets=loaded.valuesets,
            source_name=source_name,
            as_of=as_of,
            years=years,
            today=today,
            profile=profile,
        )
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
    as_of: tuple[dt.date, ...] | None,
    years: tuple[int, ...] | None,
    method_name: str,
) -> None:
    """Check the inputs at URL before a run: tables, columns, types and data.

    Exits with 1 when any check finds an error, 0 otherwise (warnings included).
    """
    inputs = _inputs(inputs_file, inputs_schema)
    loaded = _load(method_name)
    engine = engine_from_url(url)
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


def print_explanation(item: KeyExplanation) -> None:
    """One scope key's candidates in rank order, then the rule that decided."""
    table = Table(
        title=f"{item.person_id}: {item.scope} {item.key}", box=box.SIMPLE_HEAD, padding=0
    )
    table.add_column("#", justify="right")
    table.add_column("provider_id", min_width=10)
    table.add_column("path", min_width=6, max_width=14)
    table.add_column("step", min_width=12, ratio=1)
    table.add_column("window", min_width=10)
    table.add_column("allowed", justify="right", no_wrap=True)
    table.add_column("visits", justify="right")
    table.add_column("last service", min_width=10)
    for c in item.candidates:
        table.add_row(
            str(c.ranking),
            c.provider_id,
            c.attribution_type,
            f"{c.step} {c.step_description or ''}".strip(),
            f"{c.lookback_start_date or '?'} .. {c.lookback_end_date or '?'}",
            f"{c.allowed_amount:,.2f}",
            str(c.visits),
            str(c.last_service_date or "-"),
            style="bold" if c.ranking == 1 else None,
        )
    console.print(table)
    console.print(f"Decided by: {item.rule}")


@main.command("explain")
@click.argument("person_id")
@click.option(
    "--url", default=DEFAULT_URL, show_default=True, help="SQLAlchemy URL of the warehouse."
)
@click.option("--schema", default=None, help=f"Schema holding the outputs {SCHEMA_HELP}.")
@click.option(
    "--scope", type=click.Choice(["current", "yearly"]), default=None, help="Only this scope."
)
@click.option("--key", default=None, help="Only this as-of date (YYYY-MM-DD) or year (YYYY).")
@_method
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
def explain_command(
    person_id: str,
    url: str,
    schema: str | None,
    scope: str | None,
    key: str | None,
    method_name: str,
    as_json: bool,
) -> None:
    """Why PERSON_ID went to their provider: every candidate and the rule that decided."""
    loaded = _load(method_name)
    engine = reading_engine(url)
    try:
        items = explain(
            engine,
            person_id,
            output_schema(url, schema),
            method=loaded.method,
            scope=scope,
            key=key,
        )
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--key") from None
    except (ExplainError, sa.exc.OperationalError, sa.exc.ProgrammingError) as error:
        if as_json:
            _json_error(str(error))
        raise click.ClickException(str(error)) from None
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps([item.to_dict() for item in items], indent=2))
        return
    for item in items:
        print_explanation(item)


# Commands kept in their own modules.
main.add_command(report)
main.add_command(reconcile)
main.add_command(cclf_demo)
