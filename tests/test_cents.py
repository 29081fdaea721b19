"""Amounts as whole cents (``expressions.cents``) on DuckDB, whose profile spells them as the
whole part times 100 plus the fraction's cents: equal to the exact decimal rule (round half
away from zero) for decimals of any precision and scale, and to the default spelling for
other amount types."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from provider_attribution.engines import expressions
from provider_attribution.engines.profile import EngineProfile

BIGINT_CENTS = 2**63 - 1


@pytest.fixture(scope="module")
def duckdb_engine() -> Iterator[sa.Engine]:
    engine = sa.create_engine("duckdb://")
    yield engine
    engine.dispose()


def _cents_of(engine: sa.Engine, literal: str, type_: str) -> int:
    amount: sa.ColumnElement[Any] = sa.literal_column(f"CAST({literal} AS {type_})")
    with engine.connect() as conn:
        return int(conn.execute(sa.select(expressions.cents(amount))).scalar_one())


@st.composite
def decimals(draw: st.DrawFn) -> tuple[Decimal, int, int]:
    """(value, precision, scale): a value of a DECIMAL(precision, scale) whose cents fit in a
    BIGINT."""
    precision = draw(st.integers(1, 38))
    scale = draw(st.integers(0, min(precision, 18)))
    digits = min(precision - scale, 16)  # below 10**16 units: the cents fit in a BIGINT
    bound = 10 ** (digits + scale) - 1  # in units of the last place
    units = draw(st.integers(-bound, bound))
    return Decimal(units).scaleb(-scale), precision, scale


@settings(max_examples=300, deadline=None)
@given(case=decimals())
def test_duckdb_cents_of_a_decimal_are_exact(
    duckdb_engine: sa.Engine, case: tuple[Decimal, int, int]
) -> None:
    value, precision, scale = case
    with localcontext() as exact:
        exact.prec = 80
        expected = int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    got = _cents_of(duckdb_engine, f"'{value:f}'", f"DECIMAL({precision}, {scale})")
    assert got == expected


@pytest.mark.parametrize(
    ("literal", "type_", "expected"),
    [
        ("999999999999999.99", "DECIMAL(18, 2)", 99999999999999999),
        ("-999999999999999.99", "DECIMAL(18, 2)", -99999999999999999),
        ("0.005", "DECIMAL(18, 3)", 1),
        ("-0.005", "DECIMAL(18, 3)", -1),
        ("0.0049", "DECIMAL(18, 4)", 0),
        ("0.99999999999999999", "DECIMAL(18, 17)", 100),
        ("92233720368547758.07", "DECIMAL(38, 2)", BIGINT_CENTS),
        ("7", "INTEGER", 700),
    ],
)
def test_duckdb_cents_at_the_edges(
    duckdb_engine: sa.Engine, literal: str, type_: str, expected: int
) -> None:
    assert _cents_of(duckdb_engine, literal, type_) == expected


@pytest.mark.parametrize("literal", ["12.345", "0.125", "-2.675", "1e15", "0.015"])
@pytest.mark.parametrize("type_", ["DOUBLE", "REAL"])
def test_duckdb_cents_of_a_float_as_every_engine_computes_them(
    duckdb_engine: sa.Engine, literal: str, type_: str
) -> None:
    """Binary floats keep the default spelling (round(amount * 100)): half-cent values that
    are not exact in binary round as on the other engines."""
    amount: sa.ColumnElement[Any] = sa.literal_column(f"CAST({literal} AS {type_})")
    default = EngineProfile(name="default").cents(amount)
    with duckdb_engine.connect() as conn:
        got, expected = conn.execute(sa.select(expressions.cents(amount), default)).one()
    assert got == expected
