"""Values at and beyond each bound: refused with the field named, or stored and read back unchanged.

For every column fed by a contract field (tests/db/test_bounds_cover.py), hypothesis
draws values around the column's limits (text of n-1, n, n+1 characters, control
characters, decomposed accents; amounts at NUMERIC(20,4)'s edge and a digit past
it; INTEGER's ends; dates and moments at the window's edges). The field's own
model either refuses the value naming that field, or the value goes through a
column of the very same type on SQLite and PostgreSQL and comes back equal.
"""

import unicodedata
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from functools import lru_cache
from typing import Annotated

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, insert, select
from sqlalchemy.pool import NullPool

from arrears.db.types import Money, UtcDateTime
from arrears.domain import bounds
from tests.bounds_walk import columns, fields_named
from tests.db.test_bounds_cover import NOT_THE_SOURCE, RENAMED, _models

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _fed_columns(kind) -> list[tuple[str, object, type, str]]:
    models = _models()
    found = []
    for key, column in columns():
        if not isinstance(column.type, kind) or (column.primary_key and isinstance(column.type, Integer)):
            continue
        sources = [(models[m], f) for m, f in RENAMED.get(key, [])]
        if key not in NOT_THE_SOURCE:
            sources += fields_named(key.split(".")[1])
        found += [(key, column, model, name) for model, name in sources]
    return found


@lru_cache(maxsize=None)
def _adapter(model, name: str) -> TypeAdapter:
    info = model.model_fields[name]
    return TypeAdapter(Annotated[info.annotation, info])


def _refused_naming(model, name: str, value) -> bool:
    """Validate the value as the model's field (its type and constraints): True when refused.

    Inside the model the same refusal carries the field's name as its location (pydantic's own
    behaviour, shown for the update path in tests/workflow/test_update_bounds.py)."""
    try:
        _adapter(model, name).validate_python(value)
    except ValidationError:
        return True
    return False


@lru_cache(maxsize=8)
def _engine(url: str):
    return create_engine(url, poolclass=NullPool)  # no pooled connections left behind across examples


def _probe(url: str, column_type):
    """A table with one column of exactly this type (one table per type: examples share the database)."""
    engine = _engine(url)
    name = f"probe_{type(column_type).__name__}_{getattr(column_type, 'length', None) or 0}".lower()
    table = Table(name, MetaData(), Column("id", Integer, primary_key=True), Column("v", column_type))
    table.metadata.create_all(engine)
    return engine, table


def _round_trip(engine, table, value):
    with engine.begin() as conn:
        row_id = conn.execute(insert(table).values(v=value)).inserted_primary_key[0]
        return conn.execute(select(table.c.v).where(table.c.id == row_id)).scalar_one()


# ---- money -----------------------------------------------------------------------------------------

_EDGE = bounds.MONEY_MAX
amounts = st.one_of(
    st.sampled_from([_EDGE, -_EDGE, _EDGE + Decimal("0.0001"), Decimal("1E+16"), Decimal("1E+309"), Decimal("1E-4"),
                     Decimal("1E-5"), Decimal("1E-30"), Decimal("0"), Decimal("-0.0001")]),
    st.decimals(min_value=-Decimal("1E+17"), max_value=Decimal("1E+17"), allow_nan=False, allow_infinity=False,
                places=None).filter(lambda d: d.is_finite() and abs(d.as_tuple().exponent) < 40),
    st.decimals(min_value=-_EDGE, max_value=_EDGE, places=4),
)
MONEY_FIELDS = _fed_columns(Money)


@given(data=st.data())
@SETTINGS
def test_amounts_are_refused_or_stored_exactly(any_db_url, data):
    engine, table = _probe(any_db_url, Money)
    key, column, model, name = data.draw(st.sampled_from(MONEY_FIELDS))
    value = data.draw(amounts)
    if _refused_naming(model, name, value):
        assert abs(value) > _EDGE or bounds.decimals(value) > bounds.MONEY_SCALE or _refused_for_sign(model, name, value)
        return
    assert _round_trip(engine, table, value) == value, key


def _refused_for_sign(model, name, value) -> bool:
    return value <= 0  # PositiveMoney / NonNegativeMoney / Percent fields refuse by sign or range


# ---- text ------------------------------------------------------------------------------------------

TEXT_FIELDS = _fed_columns(String) + _fed_columns(Text)


def texts(limit: int | None):
    n = limit or 2000
    alphabet = st.characters(codec="utf-8", exclude_categories=("Cs",))
    return st.one_of(
        st.sampled_from(["", "x" * (n - 1), "x" * n, "x" * (n + 1), "a\x00b", "a\x1fb", "a\u202eb", "a\nb",
                         "e\u0301" * (n // 2 + 1), " padded "]),
        st.text(alphabet=alphabet, min_size=max(0, n - 3), max_size=n + 3),
        st.text(alphabet=alphabet, max_size=40),
    )


@given(data=st.data())
@SETTINGS
def test_text_is_refused_or_stored_unchanged(any_db_url, data):
    key, column, model, name = data.draw(st.sampled_from(TEXT_FIELDS))
    limit = getattr(column.type, "length", None)
    engine, table = _probe(any_db_url, String(limit) if limit else Text())
    value = data.draw(texts(limit))
    if _refused_naming(model, name, value):
        return
    stored = unicodedata.normalize("NFC", value)  # the bounded types store text NFC-normalised
    if limit:
        assert len(stored) <= limit, key
    assert "\x00" not in stored, key
    assert _round_trip(engine, table, stored) == stored, key


# ---- integers, dates, moments ----------------------------------------------------------------------

INT_FIELDS = _fed_columns(Integer)
integers = st.one_of(st.sampled_from([bounds.INT_MIN, bounds.INT_MIN - 1, bounds.INT_MAX, bounds.INT_MAX + 1, 2**40,
                                      -(2**40), 0, -1]), st.integers(min_value=-(2**63), max_value=2**63))


@given(data=st.data())
@SETTINGS
def test_integers_are_refused_or_stored_unchanged(any_db_url, data):
    engine, table = _probe(any_db_url, Integer)
    key, column, model, name = data.draw(st.sampled_from(INT_FIELDS))
    value = data.draw(integers)
    if _refused_naming(model, name, value):
        return
    assert bounds.INT_MIN <= value <= bounds.INT_MAX, key
    assert _round_trip(engine, table, value) == value, key


MOMENT_FIELDS = _fed_columns(UtcDateTime)
_FIRST = datetime(2000, 1, 1, tzinfo=timezone.utc)
_AFTER = datetime(2100, 1, 1, tzinfo=timezone.utc)
moments = st.one_of(
    st.sampled_from([_FIRST, _FIRST - timedelta(microseconds=1), _AFTER, _AFTER - timedelta(microseconds=1),
                     datetime(1, 1, 1, tzinfo=timezone.utc), datetime(9999, 12, 31, 23, 59, tzinfo=timezone.utc),
                     datetime(2026, 11, 30, 12, 0)]),  # the last one naive: refused, the record cannot guess its zone
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2110, 1, 1),
                 timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))])),
)


@given(data=st.data())
@SETTINGS
def test_moments_are_refused_or_stored_as_the_same_instant(any_db_url, data):
    engine, table = _probe(any_db_url, UtcDateTime)
    key, column, model, name = data.draw(st.sampled_from(MOMENT_FIELDS))
    value = data.draw(moments)
    if _refused_naming(model, name, value):
        return
    assert value.tzinfo is not None and _FIRST <= value < _AFTER, key
    assert _round_trip(engine, table, value) == value, key


def test_dates_at_the_window_edges(any_db_url):
    from sqlalchemy import Date

    engine, table = _probe(any_db_url, Date)
    models = _models()
    for model, name in [(models["EpisodeInput"], "due_date"), (models["PromiseInput"], "promised_date"),
                        (models["Instalment"], "due_date")]:
        for day, ok in [(date(1999, 12, 31), False), (date(2000, 1, 1), True), (date(2099, 12, 31), True),
                        (date(2100, 1, 1), False), (date(1, 1, 1), False), (date(9999, 12, 31), False)]:
            assert _refused_naming(model, name, day) is not ok, (model.__name__, name, day)
            if ok:
                assert _round_trip(engine, table, day) == day
