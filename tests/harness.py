"""Load Python rows into a database, run the SQL path, read normalised results back.

Shared by the differential tests here and the conformance suite in ``dialect_tests/``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa

from provider_attribution.engines import output_tables
from provider_attribution.engines.ddl import DropTableIfExists
from provider_attribution.model import outputs
from provider_attribution.model.inputs import (
    Classification,
    EligibilityTable,
    EnrollmentTable,
    Inputs,
    NpiListTable,
    ProvidersTable,
    RosterTable,
    SelectionTable,
)
from provider_attribution.model.method import TUVA, Method
from provider_attribution.model.valuesets import ValueSets
from provider_attribution.model.windows import as_of_dates
from provider_attribution.warehouse.run import attribute

CENT = Decimal("0.01")
# The run date of tests unless they pick one: after every date the strategies draw.
TODAY = dt.date(2026, 1, 1)


@dataclass
class Dataset:
    """Input rows in logical column names (see docs/METHOD.md)."""

    claims: list[dict[str, Any]] = field(default_factory=list)
    eligibility: list[dict[str, Any]] = field(default_factory=list)
    providers: list[dict[str, Any]] = field(default_factory=list)
    classification_kind: Classification = Classification.TAXONOMY
    encounter_mapped: bool = True
    claims_have_tin: bool = False
    entity_type_mapped: bool = False
    specialty_mapped: bool = False  # providers' specialty_description mapped
    today: dt.date = TODAY  # the run date: later service dates are excluded
    roster: list[dict[str, Any]] | None = None
    attested: list[dict[str, Any]] | None = None
    self_selections: list[dict[str, Any]] | None = None
    geographic: list[dict[str, Any]] | None = None
    setting_mapped: bool = True  # claims map place_of_service and bill_type
    enrollment: list[dict[str, Any]] | None = None
    roster_by_year: bool = False  # roster rows carry performance_year (RosterTable mapping)

    def oracle_inputs(self) -> dict[str, Any]:
        """Keyword arguments of the oracle describing this data set."""
        return {
            "classification_kind": self.classification_kind,
            "encounter_mapped": self.encounter_mapped,
            "claims_have_tin": self.claims_have_tin,
            "entity_type_mapped": self.entity_type_mapped,
            "specialty_mapped": self.specialty_mapped,
            "roster": self.roster,
            "attested": self.attested,
            "self_selections": self.self_selections,
            "geographic": self.geographic,
            "setting_mapped": self.setting_mapped,
            "enrollment": self.enrollment,
            "roster_by_year": self.roster_by_year,
        }


def inputs_for(data: Dataset, schema: str | None) -> Inputs:
    """The Inputs mapping matching :func:`load`'s tables."""
    base = Inputs().in_schema(schema)
    claims = replace(
        base.claims,
        encounter_id="encounter_id" if data.encounter_mapped else None,
        tin="tin" if data.claims_have_tin else None,
        revenue_center_code="revenue_center_code",
        attending_npi="attending_npi",
        place_of_service="place_of_service" if data.setting_mapped else None,
        bill_type="bill_type" if data.setting_mapped else None,
    )
    eligibility = EligibilityTable(schema=schema)
    providers = ProvidersTable(
        schema=schema,
        classification="classification",
        classification_kind=data.classification_kind,
        entity_type="entity_type" if data.entity_type_mapped else None,
        specialty_description="specialty_description" if data.specialty_mapped else None,
    )
    return Inputs(
        claims=claims,
        eligibility=eligibility,
        providers=providers,
        roster=(
            RosterTable(
                schema=schema,
                performance_year="performance_year" if data.roster_by_year else None,
            )
            if data.roster is not None
            else None
        ),
        attested=NpiListTable(schema=schema) if data.attested is not None else None,
        self_selections=(
            SelectionTable(schema=schema) if data.self_selections is not None else None
        ),
        geographic=(
            SelectionTable(name="geographic_assignments", schema=schema)
            if data.geographic is not None
            else None
        ),
        enrollment=EnrollmentTable(schema=schema) if data.enrollment is not None else None,
    )


def _optional_tables(md: sa.MetaData, schema: str | None) -> dict[str, sa.Table]:
    def selection(name: str) -> sa.Table:
        return sa.Table(
            name,
            md,
            sa.Column("person_id", sa.String(64)),
            sa.Column("npi", sa.String(64)),
            sa.Column("effective_date", sa.Date),
            sa.Column("end_date", sa.Date),
            schema=schema,
        )

    return {
        "roster": sa.Table(
            "aco_participants",
            md,
            sa.Column("npi", sa.String(64)),
            sa.Column("tin", sa.String(64)),
            sa.Column("aco_id", sa.String(64)),
            sa.Column("start_date", sa.Date),
            sa.Column("end_date", sa.Date),
            sa.Column("performance_year", sa.Integer),
            schema=schema,
        ),
        "attested": sa.Table("attested_npis", md, sa.Column("npi", sa.String(64)), schema=schema),
        "self_selections": selection("self_selections"),
        "geographic": selection("geographic_assignments"),
        "enrollment": sa.Table(
            "enrollment",
            md,
            sa.Column("person_id", sa.String(64)),
            sa.Column("year_month", sa.String(6)),
            *(
                sa.Column(name, sa.String(8))
                for name in ("part_a", "part_b", "managed_care", "outside_us", "other_initiative")
            ),
            sa.Column("death_date", sa.Date),
            schema=schema,
        ),
    }


def _tables(schema: str | None) -> tuple[sa.Table, sa.Table, sa.Table]:
    md = sa.MetaData()
    claims = sa.Table(
        "medical_claim",
        md,
        sa.Column("person_id", sa.String(64)),
        sa.Column("claim_id", sa.String(64)),
        sa.Column("claim_line_number", sa.Integer),
        sa.Column("encounter_id", sa.String(64)),
        sa.Column("rendering_npi", sa.String(64)),
        sa.Column("hcpcs_code", sa.String(16)),
        sa.Column("claim_start_date", sa.Date),
        sa.Column("claim_end_date", sa.Date),
        sa.Column("allowed_amount", sa.Numeric(18, 2)),
        sa.Column("paid_amount", sa.Numeric(18, 2)),
        sa.Column("tin", sa.String(64)),
        sa.Column("revenue_center_code", sa.String(8)),
        sa.Column("attending_npi", sa.String(64)),
        sa.Column("place_of_service", sa.String(8)),
        sa.Column("bill_type", sa.String(8)),
        schema=schema,
    )
    eligibility = sa.Table(
        "member_months",
        md,
        sa.Column("person_id", sa.String(64)),
        sa.Column("year_month", sa.String(6)),
        schema=schema,
    )
    providers = sa.Table(
        "provider",
        md,
        sa.Column("npi", sa.String(64)),
        sa.Column("classification", sa.String(32)),
        sa.Column("entity_type", sa.String(16)),
        sa.Column("specialty_description", sa.String(64)),
        schema=schema,
    )
    return claims, eligibility, providers


# rows per INSERT statement: one multi-row VALUES statement each, not one statement per row
# (fakesnow translates every statement it runs, so row by row a few thousand rows take a
# minute); small enough for every engine's limit on bound parameters
INSERT_CHUNK = 500


def insert_rows(conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (each with the same keys) into ``table`` in multi-row statements."""
    for start in range(0, len(rows), INSERT_CHUNK):
        conn.execute(table.insert().values(list(rows[start : start + INSERT_CHUNK])))


def load(engine: sa.Engine, data: Dataset, schema: str | None) -> Inputs:
    """Replace the three input tables in ``schema`` with ``data``; return the mapping."""
    claims, eligibility, providers = _tables(schema)
    with engine.begin() as conn:
        if schema is not None:
            conn.execute(sa.schema.CreateSchema(schema, if_not_exists=True))
        for table in (claims, eligibility, providers):
            conn.execute(DropTableIfExists(table))
            table.create(conn)
        if data.claims:
            extra = {
                "tin": None,
                "revenue_center_code": None,
                "attending_npi": None,
                "place_of_service": None,
                "bill_type": None,
            }
            insert_rows(conn, claims, [{**extra, **row} for row in data.claims])
        if data.eligibility:
            insert_rows(
                conn,
                eligibility,
                [{**r, "year_month": str(r["year_month"])} for r in data.eligibility],
            )
        if data.providers:
            blank = {"entity_type": None, "specialty_description": None}
            insert_rows(conn, providers, [{**blank, **r} for r in data.providers])
        for name, table in _optional_tables(sa.MetaData(), schema).items():
            rows = getattr(data, name)
            conn.execute(DropTableIfExists(table))
            if rows is None:
                continue
            table.create(conn)
            if rows:
                insert_rows(conn, table, [_optional_row(table, row) for row in rows])
    return inputs_for(data, schema)


def _optional_row(table: sa.Table, row: Mapping[str, Any]) -> dict[str, Any]:
    """``row`` with every column of ``table`` (missing ones null; year_month as text)."""
    full = {column.name: row.get(column.name) for column in table.columns}
    if full.get("year_month") is not None:
        full["year_month"] = str(full["year_month"])
    return full


def _canon(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    if isinstance(value, Decimal):
        return value.quantize(CENT, rounding=ROUND_HALF_UP)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return dt.date.fromisoformat(value)
    return value


# Columns of whole numbers: read as int whatever numeric type the engine returns.
_INTEGERS = (
    "visits", "step", "assigned_step", "ranking", "performance_year", "reason_order", "lines",
    "beneficiaries",
)  # fmt: skip


def canonical(rows: Iterable[Mapping[Any, Any]], columns: Sequence[str]) -> list[dict[str, Any]]:
    """Rows as plain dicts of canonical values (Decimal to cents, dates), sorted by attribution
    key and ranking, or (an output without attribution key, such as the exclusion counts) by
    every value."""
    result = [{c: _canon(row[c]) for c in columns} for row in rows]
    for row in result:
        for key in _INTEGERS:
            if key in row and row[key] is not None:
                row[key] = int(row[key])
    if "attribution_key" not in columns:
        return sorted(result, key=lambda r: tuple(map(repr, r.values())))
    sort_key = ["attribution_key", "ranking"] if "ranking" in columns else ["attribution_key"]
    return sorted(result, key=lambda r: tuple(r[k] for k in sort_key))


def read_outputs(engine: sa.Engine, schema: str | None) -> dict[str, Any]:
    """The three output tables, canonical and sorted, and the beneficiary exclusion counts
    (:func:`beneficiary_counts`)."""
    result: dict[str, Any] = {}
    with engine.connect() as conn:
        for name in outputs.TABLES:
            cols = outputs.column_names(name)
            table = output_tables.table(name, schema)
            rows = conn.execute(sa.select(table)).mappings().all()
            result[name] = canonical(rows, cols)
        table = output_tables.table(outputs.BENEFICIARY_EXCLUSIONS, schema)
        rows = conn.execute(sa.select(table)).mappings().all()
        result[outputs.BENEFICIARY_EXCLUSIONS] = beneficiary_counts(rows)
    return result


def beneficiary_counts(rows: Iterable[Mapping[Any, Any]]) -> dict[str, dict[str, int]]:
    """``beneficiary_exclusions`` rows as {``scope|YYYYMMDD-or-YYYY``: {reason: count}}."""
    result: dict[str, dict[str, int]] = {}
    for row in rows:
        if row["scope"] == "current":
            day = _canon(row["as_of_date"])
            key = f"current|{day.year:04d}{day.month:02d}{day.day:02d}"
        else:
            key = f"yearly|{int(row['performance_year']):04d}"
        result.setdefault(key, {})[str(row["reason"])] = int(row["beneficiaries"])
    return result


def run_sql(
    engine: sa.Engine,
    data: Dataset,
    *,
    schema: str | None = None,
    target_schema: str | None = None,
    method: Method = TUVA,
    valuesets: ValueSets | None = None,
    as_of: dt.date | Sequence[dt.date] | None,
    years: Sequence[int],
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Load ``data``, attribute it in the database, read the outputs back (plus the exclusion
    counts)."""
    inputs = load(engine, data, schema)
    summary = attribute(
        engine,
        inputs,
        method=method,
        as_of=as_of,
        years=years,
        current=bool(as_of_dates(as_of)),
        target_schema=target_schema,
        valuesets=valuesets,
        today=today or data.today,
    )
    result: dict[str, Any] = dict(read_outputs(engine, target_schema))
    result["exclusions"] = summary.exclusions
    return result


def run_oracle(
    data: Dataset,
    *,
    method: Method = TUVA,
    valuesets: ValueSets | None = None,
    as_of: dt.date | Sequence[dt.date] | None,
    years: Sequence[int],
    today: dt.date | None = None,
) -> dict[str, Any]:
    """The pure-Python oracle's result for ``data``."""
    from oracle import attribute_reference

    return attribute_reference(
        data.claims,
        data.eligibility,
        data.providers,
        method=method,
        valuesets=valuesets,
        as_of=as_of,
        years=years,
        today=today or data.today,
        **data.oracle_inputs(),
    )


def assert_same(got: Mapping[str, Any], want: Mapping[str, Any]) -> None:
    """The three outputs and the exclusion counts are equal, table by table."""
    for table in (*outputs.TABLES, outputs.BENEFICIARY_EXCLUSIONS):
        assert got[table] == want[table], f"{table} differs"
    assert dict(got["exclusions"]) == dict(want["exclusions"]), "exclusions differ"
