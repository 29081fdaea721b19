"""CCLF on the command line: ``run --inputs cclf`` and the ``cclf-demo`` command."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
import sqlalchemy as sa

from provider_attribution.cli.common import DEFAULT_SCHEMA
from provider_attribution.cli.display import console, print_summary, print_top_panels
from provider_attribution.engines.catalog import has_table
from provider_attribution.model.inputs import Inputs, NpiListTable, RosterTable
from provider_attribution.sources.cclf import CclfError, CclfTables, prepare

#: Optional tables looked for next to the CCLF tables.
ROSTER_TABLE = "aco_participants"
ATTESTED_TABLE = "attested_npis"
DEMO_SOURCE_SCHEMA = "cclf_files"
DEMO_TARGET_SCHEMA = DEFAULT_SCHEMA


def _has_table(engine: sa.Engine, name: str, schema: str | None) -> bool:
    try:
        return has_table(engine, name, schema)
    except sa.exc.SQLAlchemyError:
        return False


def prepare_cclf_inputs(url: str, inputs_schema: str | None, target_schema: str | None) -> Inputs:
    """Prepare the CCLF tables ``cclf1``, ``cclf2``, ``cclf5``, ``cclf8`` of ``inputs_schema``
    into ``target_schema`` (next to the outputs); the Inputs reading them.

    ``aco_participants`` (npi, tin, aco_id, start_date, end_date) and ``attested_npis`` (npi)
    in ``inputs_schema`` are used as roster and FQHC/RHC attestation when they exist.
    A missing CCLF table or column is a ClickException naming it.
    """
    engine = sa.create_engine(url)
    try:
        roster = attested = None
        if _has_table(engine, ROSTER_TABLE, inputs_schema):
            roster = RosterTable(name=ROSTER_TABLE, schema=inputs_schema)
        if _has_table(engine, ATTESTED_TABLE, inputs_schema):
            attested = NpiListTable(name=ATTESTED_TABLE, schema=inputs_schema)
        return prepare(
            engine,
            CclfTables(schema=inputs_schema),
            work_schema=target_schema,
            roster=roster,
            attested=attested,
        )
    except CclfError as error:
        raise click.ClickException(f"cannot prepare the CCLF inputs: {error}") from None
    finally:
        engine.dispose()


@click.command("cclf-demo")
@click.option("--db", default="cclf_demo.duckdb", show_default=True, help="DuckDB file to create.")
@click.option("--members", default=300, show_default=True, help="Beneficiaries to generate.")
@click.option("--seed", default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def cclf_demo(db: str, members: int, seed: int, as_json: bool) -> None:
    """Generate synthetic CCLF files into a DuckDB file, prepare them and attribute with MSSP."""
    from provider_attribution.synthetic.cclf import LAST_DAY, generate_cclf
    from provider_attribution.warehouse.run import attribute

    path = Path(db)
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    engine = sa.create_engine(f"duckdb:///{path}")
    counts = generate_cclf(engine, members=members, seed=seed, schema=DEMO_SOURCE_SCHEMA)
    inputs = prepare_cclf_inputs(f"duckdb:///{path}", DEMO_SOURCE_SCHEMA, DEMO_TARGET_SCHEMA)
    summary = attribute(
        engine,
        inputs,
        method="mssp",
        as_of=LAST_DAY,
        years=[LAST_DAY.year - 1, LAST_DAY.year],
        target_schema=DEMO_TARGET_SCHEMA,
        today=max(LAST_DAY, dt.date.today()),
    )
    if as_json:
        extra = {"database": str(path), "generated": counts}
        click.echo(json.dumps({**summary.to_dict(), **extra}, indent=2))
    else:
        console.print(
            "Generated " + ", ".join(f"{name}: {count:,} rows" for name, count in counts.items())
        )
        print_summary(summary)
        print_top_panels(engine, DEMO_TARGET_SCHEMA)
        console.print(f"Tables written to schema {DEMO_TARGET_SCHEMA} in {path}.")
    engine.dispose()
