"""PostgreSQL compares ids byte by byte whatever the collation of the user's columns.

The engine profile reads every id as ``CAST(id AS TEXT) COLLATE "C"`` and creates the outputs'
id columns ``COLLATE "C"``; under a linguistic collation (ICU English here) plain text sorts
``a`` before ``B``, byte order the other way round.
"""

from __future__ import annotations

import sqlalchemy as sa

from engines import Session
from provider_attribution.engines.expressions import IdString, binary_id
from sessions import shared_session

IDS = ("a", "B", "á", "A", "b ")


def _postgres() -> Session:
    return shared_session("postgres")


def test_ids_sort_and_group_in_byte_order_under_a_linguistic_collation() -> None:
    session = _postgres()
    meta = sa.MetaData(schema=session.schema)
    table = sa.Table("pa_collated_ids", meta, sa.Column("id", sa.String(10, collation="en-x-icu")))
    with session.engine.begin() as conn:
        meta.drop_all(conn)
        meta.create_all(conn)
        conn.execute(table.insert(), [{"id": value} for value in IDS])
        linguistic = conn.scalars(sa.select(table.c.id).order_by(table.c.id)).all()
        as_ids = conn.scalars(sa.select(table.c.id).order_by(binary_id(table.c.id))).all()
        greatest = conn.scalar(sa.select(sa.func.max(binary_id(table.c.id))))
        groups = conn.scalar(
            sa.select(sa.func.count()).select_from(
                sa.select(binary_id(table.c.id)).group_by(binary_id(table.c.id)).subquery()
            )
        )
        meta.drop_all(conn)
    byte_order = sorted(IDS, key=lambda value: value.encode())
    assert linguistic != byte_order  # the column's own collation really differs
    assert as_ids == byte_order
    assert greatest == byte_order[-1]
    assert groups == len(IDS)


def test_output_id_columns_are_created_in_the_c_collation() -> None:
    session = _postgres()
    meta = sa.MetaData(schema=session.schema)
    table = sa.Table("pa_output_ids", meta, sa.Column("provider_id", IdString(20)))
    with session.engine.begin() as conn:
        meta.drop_all(conn)
        meta.create_all(conn)
        conn.execute(table.insert(), [{"provider_id": value} for value in IDS])
        stored = conn.scalars(sa.select(table.c.provider_id).order_by(table.c.provider_id)).all()
        collation = conn.scalar(
            sa.text(
                "SELECT collation_name FROM information_schema.columns"
                " WHERE table_schema = :schema AND table_name = 'pa_output_ids'"
            ),
            {"schema": session.schema},
        )
        meta.drop_all(conn)
    assert collation == "C"  # this database's own collation is not C
    assert stored == sorted(IDS, key=lambda value: value.encode())
