"""The [pricing] section: defaults, validation naming the field, and the docs' example."""

import re
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from arrears.domain.pricing import Pricing, PricingError, ReagePolicy, parse_pricing

DOCS = Path(__file__).parents[2] / "docs" / "economics.md"


def test_defaults_are_a_chinese_issuers_terms():
    p = Pricing()
    assert (p.penalty_rate, p.rate_basis, p.daily_rate()) == (Decimal("0.05"), "daily", Decimal("0.0005"))
    assert (p.late_fee_percent, p.late_fee_cap, p.interest_on_fees, p.compounding) == (Decimal(5), None, False, "compound")
    assert p.allocation == ("fees", "interest", "principal")
    assert (p.reage.min_consecutive_payments, p.reage.max_per_12_months, p.reage.max_per_5_years) == (3, 1, 2)


def test_an_annual_rate_is_divided_by_the_day_count():
    assert Pricing(penalty_rate=Decimal("18.25"), rate_basis="annual", day_count=365).daily_rate() == Decimal("0.0005")
    assert Pricing(penalty_rate=Decimal("18"), rate_basis="annual", day_count=360).daily_rate() == Decimal("0.0005")


@pytest.mark.parametrize(("rule", "amount", "currency", "expected"), [
    ("half_up", "0.505", "CNY", "0.51"),
    ("half_even", "0.505", "CNY", "0.50"),
    ("down", "0.509", "CNY", "0.50"),
    ("half_up", "0.5", "JPY", "1"),
    ("half_even", "0.5", "JPY", "0"),
    ("half_up", "1.0005", "KWD", "1.001"),
])
def test_rounding_to_the_currencys_minor_units(rule, amount, currency, expected):
    rounded = Pricing(rounding=rule).round(Decimal(amount), currency)
    assert str(rounded) == expected


@pytest.mark.parametrize(("data", "message"), [
    ({"late_fee_floor": "10", "late_fee_cap": "5"}, "pricing.late_fee_cap: the cap (5) must not be below late_fee_floor (10)"),
    ({"allocation": ["fees", "fees", "principal"]}, "pricing.allocation: list fees, interest and principal once each"),
    ({"allocation": ["fee", "interest", "principal"]}, "pricing.allocation.0: Input should be 'fees', 'interest' or 'principal'"),
    ({"penalty_rate": 0.05}, 'pricing.penalty_rate: write money and rates as strings, e.g. "0.05"'),
    ({"penalty_rate": "-1"}, "pricing.penalty_rate: Input should be greater than or equal to 0"),
    ({"rate_basis": "monthly"}, "pricing.rate_basis: Input should be 'daily' or 'annual'"),
    ({"day_count": 366}, "pricing.day_count: Input should be 360 or 365"),
    ({"rounding": "up"}, "pricing.rounding: Input should be 'half_up', 'half_even' or 'down'"),
    ({"penalty": "1"}, "pricing.penalty: Extra inputs are not permitted"),
    ({"reage": {"max_per_12_months": 3}}, "pricing.reage: max_per_5_years (2) cannot be below max_per_12_months (3)"),
])
def test_a_bad_setting_is_refused_with_its_field_named(data, message):
    with pytest.raises(PricingError) as caught:
        parse_pricing(data)
    assert message in str(caught.value)


def test_reage_preset_values_with_overrides():
    assert ReagePolicy(preset="us-interagency").min_consecutive_payments == 3
    tighter = ReagePolicy.model_validate({"preset": "us-interagency", "min_consecutive_payments": 6})
    assert (tighter.min_consecutive_payments, tighter.max_per_12_months, tighter.max_per_5_years) == (6, 1, 2)
    with pytest.raises(ValueError, match="preset"):
        ReagePolicy.model_validate({"preset": "eu"})


def test_the_docs_example_is_valid():
    block = re.search(r"```toml\n(\[pricing\].*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert block, "the README has a [pricing] TOML example"
    pricing = parse_pricing(tomllib.loads(block.group(1))["pricing"])
    assert pricing.late_fee_cap is not None and pricing.allocation[0] == "fees"
