from datetime import date, datetime
from decimal import Decimal

import pytest
from pydantic import TypeAdapter, ValidationError

from arrears.domain import bounds
from arrears.domain.account import AccountRow
from arrears.domain.money import parse_amount


def refused(tp, value) -> str:
    with pytest.raises(ValidationError) as info:
        TypeAdapter(tp).validate_python(value)
    return str(info.value)


def test_due_dates_window_counts_from_the_given_today():
    today = date(2026, 11, 30)
    assert bounds.due_date_problem(date(2027, 12, 1), today) is None
    assert "more than a year ahead" in bounds.due_date_problem(date(2027, 12, 2), today)
    assert "before 2000-01-01" in bounds.due_date_problem(date(1999, 12, 31), today)


def test_import_row_uses_the_context_today():
    row = {"account_id": "A1", "customer_name": "n", "phone": "+8613800000000", "billing_address": "a",
           "language": "en", "timezone": "Asia/Shanghai", "risk_segment": "low", "currency": "CNY",
           "overdue_amount": "10", "total_balance": "10", "due_date": "2027-06-01"}
    AccountRow.model_validate(row, context={"today": date(2026, 11, 30)})
    with pytest.raises(ValidationError, match="more than a year ahead"):
        AccountRow.model_validate(row, context={"today": date(2026, 5, 1)})


@pytest.mark.parametrize("zone, words", [("Factory", "not a place"), ("localtime", "not a place"),
                                         ("posixrules", "not a place"), ("PRC", "'Asia/Shanghai'"),
                                         ("US/Eastern", "'America/New_York'"), ("Etc/GMT-8", "not a location zone")])
def test_only_canonical_location_zones(zone, words):
    assert words in refused(bounds.TimeZoneName, zone)


def test_location_zones_and_utc_pass():
    for zone in ("Asia/Shanghai", "Europe/Oslo", "America/New_York", "UTC"):
        assert TypeAdapter(bounds.TimeZoneName).validate_python(zone) == zone


@pytest.mark.parametrize("code", ["XXX", "XYZ", "XTS", "XAU", "XDR"])
def test_not_money_currencies_are_refused(code):
    assert "not a currency in legal tender" in refused(bounds.CurrencyCode, code)


def test_minor_units_come_from_cldr():
    assert (bounds.minor_units("JPY"), bounds.minor_units("CNY"), bounds.minor_units("BHD")) == (0, 2, 3)


def test_local_time_that_the_clocks_skip_or_repeat():
    assert "does not exist" in bounds.local_time_problem(datetime(2026, 3, 8, 2, 30), "America/New_York")
    assert "happens twice" in bounds.local_time_problem(datetime(2026, 11, 1, 1, 30), "America/New_York")
    assert bounds.local_time_problem(datetime(2026, 11, 1, 9, 0), "America/New_York") is None


def test_text_is_nfc_and_free_of_controls():
    assert TypeAdapter(bounds.Line(3)).validate_python("e\u0301" * 3) == "é" * 3
    assert "NUL" in refused(bounds.Line(10), "a\x00")
    assert "U+202E" in refused(bounds.Line(10), "a\u202e")
    assert TypeAdapter(bounds.Paragraph(10)).validate_python("a\nb") == "a\nb"


@pytest.mark.parametrize("text, words", [("1,0,0", "1,250.00"), ("１２３", "non-ASCII digit"), ("12.5.1", "not a number")])
def test_amount_forms(text, words):
    with pytest.raises(ValueError, match=words):
        parse_amount(text)
    assert parse_amount("1,250.00") == Decimal("1250.00")
    with pytest.raises(ValueError):
        parse_amount("1e3", exponent=False)
