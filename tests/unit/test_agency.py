"""Agency rules: validation naming the field, the choice of agency, commission rounding, period end."""

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from arrears.domain.agency import Agency, AgencyLoad, choose_agency, commission, placement_end


def agency(agency_id: str, capacity: int = 10, percent: str = "15", days: int = 30) -> Agency:
    return Agency(agency_id=agency_id, name=f"Agency {agency_id}", commission_percent=percent, capacity=capacity,
                  placement_days=days)


def fields_in_error(**over) -> set[str]:
    args = dict(agency_id="AG1", name="North", commission_percent="15", capacity=10, placement_days=30)
    with pytest.raises(ValidationError) as exc:
        Agency(**{**args, **over})
    return {".".join(str(p) for p in e["loc"]) for e in exc.value.errors()}


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"commission_percent": "0"}, "commission_percent"),
        ({"commission_percent": "100"}, "commission_percent"),
        ({"commission_percent": "-3"}, "commission_percent"),
        ({"commission_percent": "ten"}, "commission_percent"),
        ({"capacity": 0}, "capacity"),
        ({"placement_days": 0}, "placement_days"),
        ({"placement_days": 366}, "placement_days"),
        ({"agency_id": ""}, "agency_id"),
        ({"agency_id": "has space"}, "agency_id"),
        ({"name": "  "}, "name"),
    ],
)
def test_a_bad_value_is_refused_with_its_field_named(over, field):
    assert fields_in_error(**over) == {field}


def test_commission_percent_is_kept_exact_and_floats_are_refused():
    assert agency("AG1", percent="12.5").commission_percent == Decimal("12.5")
    assert fields_in_error(commission_percent=12.5) == {"commission_percent"}
    assert agency("AG1", percent="99.99").commission_percent == Decimal("99.99")


def test_the_least_loaded_agency_relative_to_capacity_is_chosen():
    small, large = agency("AG-S", capacity=10), agency("AG-L", capacity=100)
    # 5 of 10 is fuller than 40 of 100.
    assert choose_agency([AgencyLoad(small, 5), AgencyLoad(large, 40)]) == large
    assert choose_agency([AgencyLoad(small, 3), AgencyLoad(large, 40)]) == small


def test_ties_go_to_the_lowest_agency_id_whatever_the_order():
    a, b, c = agency("AG-B", capacity=4), agency("AG-A", capacity=8), agency("AG-C", capacity=2)
    loads = [AgencyLoad(a, 2), AgencyLoad(b, 4), AgencyLoad(c, 1)]  # all half full
    assert choose_agency(loads) == b
    assert choose_agency(list(reversed(loads))) == b


def test_full_and_inactive_agencies_are_not_eligible():
    full, retired, free = agency("AG1", capacity=2), agency("AG2"), agency("AG3", capacity=1)
    assert choose_agency([AgencyLoad(full, 2), AgencyLoad(retired, 0, active=False), AgencyLoad(free, 0)]) == free
    assert choose_agency([AgencyLoad(full, 2), AgencyLoad(retired, 0, active=False), AgencyLoad(free, 1)]) is None
    assert choose_agency([]) is None


def test_load_is_compared_exactly_not_as_a_float():
    # 1/3 and 333333333/1000000000 differ only beyond a float's reach at this scale.
    a = agency("AG-A", capacity=3)
    b = agency("AG-B", capacity=1_000_000_000)
    assert choose_agency([AgencyLoad(a, 1), AgencyLoad(b, 333_333_334)]) == a
    assert choose_agency([AgencyLoad(a, 1), AgencyLoad(b, 333_333_333)]) == b


@pytest.mark.parametrize(
    ("amount", "percent", "currency", "expected"),
    [
        ("1000.00", "15", "CNY", "150.00"),
        ("33.30", "12.5", "CNY", "4.16"),  # 4.1625 -> 4.16
        ("0.10", "25", "USD", "0.03"),  # 0.025 -> 0.03: half up, not to even
        ("0.30", "25", "USD", "0.08"),  # 0.075 -> 0.08
        ("12345", "7.5", "JPY", "926"),  # 925.875 -> 926, no minor unit
        ("1001", "0.05", "JPY", "1"),  # 0.5005 -> 1
        ("10.000", "12.345", "KWD", "1.235"),  # 1.2345 -> 1.235, three decimals
    ],
)
def test_commission_rounds_half_up_to_the_currency_minor_unit(amount, percent, currency, expected):
    got = commission(Decimal(amount), Decimal(percent), currency)
    assert got == Decimal(expected) and str(got) == expected


def test_a_placement_period_is_counted_in_calendar_days_of_the_account_zone():
    start = datetime(2026, 10, 20, 13, 30, tzinfo=timezone.utc)  # 09:30 in New York, before DST ends (Nov 1)
    ends = placement_end(start, 30, "America/New_York")
    assert ends == datetime(2026, 11, 19, 14, 30, tzinfo=timezone.utc)  # 09:30 local again, one hour later in UTC
    assert placement_end(start, 1, "Asia/Shanghai") == datetime(2026, 10, 21, 13, 30, tzinfo=timezone.utc)
