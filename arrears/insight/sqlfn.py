"""SQL expressions that mean the same on SQLite and PostgreSQL.

Reports aggregate in the database. Three things differ between the two:
money (exact NUMERIC on PostgreSQL, decimal text on SQLite, which would sum
through floats), time arithmetic, and calendar months. Each construct here
compiles to the right SQL per dialect, so a report's query is written once.
"""

from decimal import Decimal
from typing import Any

from sqlalchemy import Float, Integer, Numeric, SQLColumnExpression
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

# Money is summed in ten-thousandths (the column's scale, NUMERIC(20,4)) as integers: exact on
# both databases. On SQLite the text goes through a double, which holds every amount below
# 9 * 10**11 with four decimals exactly once rounded to the nearest unit.
UNITS = Decimal(10_000)


class money_units(FunctionElement):
    """A Money column as an integer count of 0.0001 (exact; sums stay exact)."""

    type = Numeric(38, 0)
    inherit_cache = True


@compiles(money_units)
def _money_units_default(element, compiler, **kw):
    (arg,) = element.clauses
    return f"({compiler.process(arg, **kw)} * 10000)"


@compiles(money_units, "sqlite")
def _money_units_sqlite(element, compiler, **kw):
    (arg,) = element.clauses
    return f"CAST(ROUND(CAST({compiler.process(arg, **kw)} AS REAL) * 10000) AS INTEGER)"


def from_units(value) -> Decimal:
    """A sum of money_units back to an exact Decimal (None -> 0)."""
    if value is None:
        return Decimal(0)
    return (Decimal(value) / UNITS).quantize(Decimal("0.0001"))


class days_between(FunctionElement):
    """(later - earlier) in days, fractional, for two UTC timestamps."""

    type = Float()
    inherit_cache = True


@compiles(days_between)
def _days_between_pg(element, compiler, **kw):
    earlier, later = element.clauses
    return f"(EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)})) / 86400.0)"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw):
    earlier, later = element.clauses
    return f"(julianday({compiler.process(later, **kw)}) - julianday({compiler.process(earlier, **kw)}))"


class date_diff(FunctionElement):
    """(later - earlier) in whole days, for two DATE values (a DPD)."""

    type = Integer()
    inherit_cache = True


@compiles(date_diff)
def _date_diff_pg(element, compiler, **kw):
    earlier, later = element.clauses
    return f"(CAST({compiler.process(later, **kw)} AS DATE) - CAST({compiler.process(earlier, **kw)} AS DATE))"


@compiles(date_diff, "sqlite")
def _date_diff_sqlite(element, compiler, **kw):
    earlier, later = element.clauses
    return f"CAST(julianday({compiler.process(later, **kw)}) - julianday({compiler.process(earlier, **kw)}) AS INTEGER)"


class month_index(FunctionElement):
    """year * 12 + month - 1 of a UTC timestamp: months between two of them by subtraction."""

    type = Integer()
    inherit_cache = True


@compiles(month_index)
def _month_index_pg(element, compiler, **kw):
    (arg,) = element.clauses
    ts = compiler.process(arg, **kw)
    return f"(CAST(EXTRACT(YEAR FROM {ts}) AS INTEGER) * 12 + CAST(EXTRACT(MONTH FROM {ts}) AS INTEGER) - 1)"


@compiles(month_index, "sqlite")
def _month_index_sqlite(element, compiler, **kw):
    (arg,) = element.clauses
    ts = compiler.process(arg, **kw)
    return f"(CAST(strftime('%Y', {ts}) AS INTEGER) * 12 + CAST(strftime('%m', {ts}) AS INTEGER) - 1)"


class epoch_seconds(FunctionElement):
    """Whole seconds since 1970 of a UTC timestamp: windows of N days compare exactly, with no float."""

    type = Integer()
    inherit_cache = True


@compiles(epoch_seconds)
def _epoch_pg(element, compiler, **kw):
    (arg,) = element.clauses
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(arg, **kw)})) AS BIGINT)"


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element, compiler, **kw):
    (arg,) = element.clauses
    return f"CAST(strftime('%s', {compiler.process(arg, **kw)}) AS INTEGER)"


def within_days(earlier: SQLColumnExpression[Any], later: SQLColumnExpression[Any], days: int) -> ColumnElement:
    """earlier <= later (exactly) and later <= earlier + days (to the second)."""
    return (earlier <= later) & (epoch_seconds(later) - epoch_seconds(earlier) <= days * 86_400)


class greatest0(FunctionElement):
    """max(value, 0) for a number (GREATEST on PostgreSQL, the scalar max on SQLite)."""

    inherit_cache = True


@compiles(greatest0)
def _greatest0_pg(element, compiler, **kw):
    (arg,) = element.clauses
    return f"GREATEST({compiler.process(arg, **kw)}, 0)"


@compiles(greatest0, "sqlite")
def _greatest0_sqlite(element, compiler, **kw):
    (arg,) = element.clauses
    return f"max({compiler.process(arg, **kw)}, 0)"


def nearest_rank(percent: int, count: ColumnElement) -> ColumnElement:
    """The 1-based rank of the percent-th percentile by the nearest-rank method: ceil(p * n / 100),
    in integer arithmetic (floor division of non-negative integers)."""
    return (count * percent + 99) // 100
