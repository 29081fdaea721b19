"""The expressions the query builder needs that must compare, round and cast the same on every
engine. Where an engine spells one differently, its profile's hook (``date_literal``,
``binary_id``, ``id_type``) gives the spelling, chosen by the compiling dialect's name."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from provider_attribution.engines.profiles import profile_for


def month_key(day: sa.ColumnElement[Any]) -> sa.ColumnElement[int]:
    """``YYYYMM`` of a date as an integer expression."""
    year = sa.extract("year", day)
    month = sa.extract("month", day)
    return sa.cast(year * 100 + month, sa.Integer)


def text_month_key(year_month: sa.ColumnElement[Any]) -> sa.ColumnElement[int]:
    """An integer ``YYYYMM`` from a ``YYYYMM`` text or integer column."""
    return sa.cast(year_month, sa.Integer)


def month_number(month_key: sa.ColumnElement[Any]) -> sa.ColumnElement[int]:
    """Months since year 0 of an integer ``YYYYMM``: consecutive months are consecutive numbers.
    The year is an exact division of a multiple of 100, so it is the same whether the engine
    divides integers to an integer, a decimal or a float."""
    month = month_key % 100
    year = sa.cast((month_key - month) / 100, sa.Integer)
    return year * 12 + month


class BinaryId(FunctionElement[str]):
    """An id read from the user's tables, compared byte by byte everywhere it is used: the
    engine profile's ``binary_id`` (on MySQL/MariaDB an explicit binary collation, on
    PostgreSQL the ``C`` collation), elsewhere the id itself (the other engines compare text
    bytewise already)."""

    name = "binary_id"
    inherit_cache = True

    def __init__(self, value: sa.ColumnElement[Any]) -> None:
        super().__init__(value)
        # The id's own text type (and length, which MySQL DDL needs); plain text otherwise.
        self.type = value.type if isinstance(value.type, sa.String) else sa.String()


# Compile keyword: true when the SQL is compiled for PostgreSQL only to be transpiled to another
# dialect (emit/sqltext.py); the ids are then plain, as the target's profile spells them.
TRANSPILING = "provider_attribution_transpiling"


@compiles(BinaryId)
def _binary_id(element: BinaryId, compiler: Any, **kw: Any) -> str:
    inner = str(compiler.process(element.clauses, **kw))
    if kw.get(TRANSPILING):
        return inner
    return profile_for(compiler.dialect.name).binary_id(inner, compiler.dialect)


def binary_id(value: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    """``value`` as an id compared byte by byte (see :class:`BinaryId`)."""
    return BinaryId(value)


class IdString(sa.types.TypeDecorator[str]):
    """An id column of the outputs: ``VARCHAR(n)``, of the engine profile's ``id_type`` (on
    MySQL/MariaDB in utf8mb4 with the server's binary collation), so reading the outputs
    compares ids as the run did."""

    impl = sa.String
    cache_ok = True

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.length = length

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        return dialect.type_descriptor(profile_for(dialect.name).id_type(self.length, dialect))


class DateLiteral(sa.sql.expression.ColumnElement[Any]):
    """A date constant: ``CAST(:value AS DATE)``, or the engine profile's ``date_literal``
    (SQLite stores dates as ISO text: the bare ISO text parameter)."""

    inherit_cache = True
    type = sa.Date()

    def __init__(self, value: Any) -> None:
        self.value = sa.bindparam(None, value, type_=sa.Date())


@compiles(DateLiteral)
def _date_literal(element: DateLiteral, compiler: Any, **kw: Any) -> str:
    value = str(compiler.process(element.value, **kw))
    return profile_for(compiler.dialect.name).date_literal(value)


def date_literal(value: Any) -> sa.ColumnElement[Any]:
    """A typed date constant that compares correctly on every engine."""
    if value is None:
        return sa.cast(sa.null(), sa.Date)
    return DateLiteral(value)


def money(value: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """Exact decimal(18,2)."""
    return sa.cast(value, sa.Numeric(18, 2))


class Cents(FunctionElement[int]):
    """An amount as whole cents, spelled by the engine profile's ``cents``."""

    name = "pa_cents"
    inherit_cache = True
    type = sa.BigInteger()


@compiles(Cents)
def _cents(element: Cents, compiler: Any, **kw: Any) -> str:
    (amount,) = element.clauses.clauses
    spelled = profile_for(compiler.dialect.name).cents(amount)
    return str(compiler.process(spelled, **kw))


def cents(amount: sa.ColumnElement[Any]) -> sa.ColumnElement[int]:
    """An amount as whole cents (rounded half away from zero), so sums and comparisons are exact
    integers on every engine, SQLite's floating-point REAL included."""
    return Cents(amount)


def divide_to_nearest(value: sa.ColumnElement[Any], divisor: int) -> sa.ColumnElement[Any]:
    """Integer ``value / divisor`` rounded to the nearest integer. Callers use odd divisors, so
    the quotient never ends in exactly one half and double precision rounds the same everywhere
    (exactly for magnitudes below 2**52)."""
    if divisor == 1:
        return value
    quotient = sa.cast(value, sa.Double) / sa.cast(sa.literal(divisor), sa.Double)
    return sa.cast(sa.func.round(quotient), sa.BigInteger)


def money_from_cents(value: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """Whole cents back to decimal(18,2), by exact decimal multiplication."""
    hundredth = sa.cast(sa.literal(Decimal("0.01"), sa.Numeric(3, 2)), sa.Numeric(3, 2))
    return money(sa.cast(value, sa.Numeric(20, 2)) * hundredth)
