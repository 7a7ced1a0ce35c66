from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from arrears.domain.account import AccountRow
from arrears.domain.strategy import Segment

GOOD = {
    "account_id": "ACC-0001",
    "customer_name": "Li Wei",
    "phone": "+86 138 0000 0000",
    "email": "li.wei@example.com",
    "billing_address": "1 Century Avenue, Shanghai",
    "language": "zh-CN",
    "timezone": "Asia/Shanghai",
    "risk_segment": "high",
    "currency": "CNY",
    "overdue_amount": "1234.56",
    "total_balance": "8000.00",
    "due_date": "2026-03-01",
}


def row(**changes) -> AccountRow:
    return AccountRow.model_validate({**GOOD, **changes})


def refused(**changes) -> str:
    with pytest.raises(ValidationError) as info:
        row(**changes)
    return str(info.value)


def test_good_row():
    r = row()
    assert r.overdue_amount == Decimal("1234.56") and isinstance(r.overdue_amount, Decimal)
    assert r.total_balance == Decimal("8000.00")
    assert r.risk_segment is Segment.HIGH
    assert r.due_date == date(2026, 3, 1)
    assert r.language == "zh-CN"


def test_amounts_with_thousands_separators_and_spaces():
    r = row(overdue_amount=" 1,234.56 ", total_balance="12,000")
    assert r.overdue_amount == Decimal("1234.56")
    assert r.total_balance == Decimal("12000")


def test_float_input_keeps_its_written_digits():
    # A JSON float 0.1 must become Decimal("0.1"), not 0.1000000000000000055511151231257827.
    r = row(overdue_amount=0.1, total_balance=1.1)
    assert r.overdue_amount == Decimal("0.1")
    assert r.total_balance == Decimal("1.1")


@pytest.mark.parametrize("language", ["fr", "zh", "EN", "zh_CN"])
def test_bad_language(language):
    message = refused(language=language)
    assert "language must be one of zh-CN, en" in message


def test_english_is_accepted():
    assert row(language="en").language == "en"


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "CST+8", "../etc/passwd", ""])
def test_unknown_time_zone(zone):
    message = refused(timezone=zone)
    assert "timezone" in message
    assert "unknown IANA time zone" in message


@pytest.mark.parametrize("amount", ["-5.00", "0", "0.00"])
def test_overdue_must_be_positive(amount):
    assert "overdue_amount must be positive" in refused(overdue_amount=amount)


def test_total_below_overdue():
    assert "total_balance must be at least overdue_amount" in refused(overdue_amount="500.00", total_balance="499.99")


def test_total_equal_to_overdue_is_fine():
    assert row(overdue_amount="500.00", total_balance="500").total_balance == Decimal("500")


def test_too_many_decimals_for_the_currency():
    assert "overdue_amount has more decimals than CNY allows" in refused(overdue_amount="10.005")
    assert "total_balance has more decimals than CNY allows" in refused(total_balance="9000.001")


def test_three_decimals_allowed_for_bhd():
    assert row(currency="BHD", overdue_amount="10.125", total_balance="20.500").overdue_amount == Decimal("10.125")
    assert "more decimals than BHD allows" in refused(currency="BHD", overdue_amount="10.1255", total_balance="20")


def test_jpy_has_no_decimals():
    assert "overdue_amount has more decimals than JPY allows" in refused(currency="JPY", overdue_amount="1500.5", total_balance="3000")
    ok = row(currency="JPY", overdue_amount="1500", total_balance="3000.00")  # trailing zeros are not cents
    assert ok.overdue_amount == Decimal("1500")


@pytest.mark.parametrize("amount", ["abc", "NaN", "Infinity", "1.2.3"])
def test_not_a_number(amount):
    message = refused(overdue_amount=amount)
    assert "overdue_amount" in message


@pytest.mark.parametrize(
    "field, value",
    [
        ("currency", "cny"),
        ("currency", "YUAN"),
        ("risk_segment", "extreme"),
        ("account_id", "-starts-with-dash"),
        ("account_id", ""),
        ("phone", "call me"),
        ("email", "no-at-sign"),
        ("email", "@example.com"),
        ("due_date", "2026-02-30"),
        ("customer_name", "   "),
    ],
)
def test_other_bad_fields_are_named(field, value):
    assert field in refused(**{field: value})


def test_unknown_field_is_refused():
    assert "nickname" in refused(nickname="Wei")


def test_email_is_optional():
    data = dict(GOOD)
    del data["email"]
    assert AccountRow.model_validate(data).email == ""
