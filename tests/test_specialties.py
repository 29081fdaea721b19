"""The provider stage with the specialty and taxonomy crosswalks read from tables (the dbt
export's seeds) gives the rows of the inlined value sets: same normalisation of the codes on
both sides, 'unknown' and no description for what the crosswalks do not map."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa

from provider_attribution.model.inputs import Classification, Inputs, ProvidersTable
from provider_attribution.model.method import PRESETS, Method
from provider_attribution.model.valuesets import ValueSets
from provider_attribution.sql.compile import QueryBuilder
from provider_attribution.sql.specialties import SPECIALTY_COLUMNS, TAXONOMY_COLUMNS

# (npi, taxonomy, specialty, bucket): directory values as users write them
DIRECTORY = [
    ("1", "207Q00000X", "08", "pcp"),  # family practice: pcp
    ("2", " 207r00000x ", " 11", " PCP "),  # internal medicine, untrimmed and lower case
    ("3", "207RC0000X", "6", "specialist"),  # cardiology, specialty code not padded
    ("4", "999999999X", "X9", "other"),  # in no crosswalk
    ("5", "207X00000X", "20", "npp"),  # orthopedic surgery: described, no bucket
    ("6", None, None, None),
    ("7", "363L00000X", "50", "npp"),  # nurse practitioner: npp
    ("8", "208D00000X", "1", "pcp"),  # general practice, '1' for '01'
]
COLUMNS = {
    Classification.TAXONOMY: "taxonomy",
    Classification.SPECIALTY: "specialty",
    Classification.BUCKET: "bucket",
}


def _messy_specialty_rows(vs: ValueSets) -> list[dict[str, Any]]:
    """The value sets' specialty crosswalk as a user might edit it: codes unpadded or with
    spaces, a bucket that is none of the three."""
    rows = []
    for code in sorted(vs.specialty_bucket.keys() | vs.specialty_description.keys()):
        written = {"01": "1", "08": " 8 ", "06": "06 "}.get(code, code)
        bucket = vs.specialty_bucket.get(code) or ("other" if code == "20" else None)
        rows.append(
            {
                "specialty_code": written,
                "bucket": bucket,
                "description": vs.specialty_description.get(code),
            }
        )
    return rows


def _messy_taxonomy_rows(vs: ValueSets) -> list[dict[str, Any]]:
    written = {"207Q00000X": " 207q00000x", "208D00000X": "208d00000X "}
    return [
        {"taxonomy_code": written.get(tax, tax), "specialty_code": spec.lstrip("0") or spec}
        for tax, spec in sorted(vs.taxonomy_specialty.items())
    ]


@pytest.fixture(scope="module")
def engine() -> Iterator[sa.Engine]:
    engine = sa.create_engine("duckdb:///:memory:")
    vs = ValueSets.for_year()
    meta = sa.MetaData()
    directory = sa.Table(
        "provider",
        meta,
        *(sa.Column(c, sa.String) for c in ("npi", "taxonomy", "specialty", "bucket")),
    )
    specialty = sa.Table(
        "specialty_seed", meta, *(sa.Column(c, sa.String) for c in SPECIALTY_COLUMNS)
    )
    taxonomy = sa.Table("taxonomy_seed", meta, *(sa.Column(c, sa.String) for c in TAXONOMY_COLUMNS))
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            directory.insert(), [dict(zip(directory.c.keys(), r, strict=True)) for r in DIRECTORY]
        )
        conn.execute(specialty.insert(), _messy_specialty_rows(vs))
        conn.execute(taxonomy.insert(), _messy_taxonomy_rows(vs))
    yield engine
    engine.dispose()


def _inputs(kind: Classification) -> Inputs:
    providers = ProvidersTable(
        name="provider",
        schema=None,
        classification=COLUMNS[kind],
        classification_kind=kind,
        entity_type=None,
    )
    return replace(Inputs(), providers=providers)


def _rows(engine: sa.Engine, builder: QueryBuilder) -> list[tuple[Any, ...]]:
    cte = builder.providers()
    select = sa.select(cte.c.npi, cte.c.bucket, cte.c.prov_specialty).order_by(cte.c.npi)
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select)]


def _joined(inputs: Inputs, method: Method, valuesets: ValueSets) -> QueryBuilder:
    """A builder that left-joins the crosswalk tables instead of inlining the value sets."""
    return QueryBuilder(
        inputs,
        method,
        valuesets,
        specialty_source=sa.table("specialty_seed", *map(sa.column, SPECIALTY_COLUMNS)),
        taxonomy_source=sa.table("taxonomy_seed", *map(sa.column, TAXONOMY_COLUMNS)),
    )


@pytest.mark.parametrize("kind", list(Classification))
def test_crosswalk_tables_give_the_rows_of_the_value_sets(
    engine: sa.Engine, kind: Classification
) -> None:
    inputs, method, vs = _inputs(kind), PRESETS["tuva"], ValueSets.for_year()
    inlined = _rows(engine, QueryBuilder(inputs, method, vs))
    joined = _rows(engine, _joined(inputs, method, vs))
    assert joined == inlined
    assert len(joined) == len(DIRECTORY)
    if kind is Classification.BUCKET:
        return
    buckets = {npi: bucket for npi, bucket, _ in joined}
    assert buckets == {
        "1": "pcp", "2": "pcp", "3": "specialist", "4": "unknown", "5": "unknown", "6": "unknown",
        "7": "npp", "8": "pcp",
    }  # fmt: skip
    described = {npi: text for npi, _, text in joined}
    assert described["5"] == "Orthopedic Surgery"
    assert described["8"] == "General Practice"
    assert described["4"] is None
    assert described["6"] is None


def test_the_tables_are_read_not_the_value_sets(engine: sa.Engine) -> None:
    """With the crosswalk tables given, the value sets' crosswalks play no part."""
    inputs, method = _inputs(Classification.TAXONOMY), PRESETS["tuva"]
    empty = replace(
        ValueSets.for_year(), specialty_bucket={}, specialty_description={}, taxonomy_specialty={}
    )
    full = _rows(engine, _joined(inputs, method, ValueSets.for_year()))
    assert _rows(engine, _joined(inputs, method, empty)) == full
    assert {bucket for _, bucket, _ in full} == {"pcp", "npp", "specialist", "unknown"}
