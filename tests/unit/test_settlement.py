"""Settlement rules: refusals with reasons, role limits, expiry, paid-as-offered."""

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from arrears.domain.settlement import SettlementOffer, discount_percent, offer_expiry, settled, settlement_refusal
from arrears.domain.strategy import Role, SettlementPolicy
from arrears.config.strategies import parse_strategy
from arrears.domain.strategy import StrategyError

TODAY = date(2026, 11, 23)
POLICY = SettlementPolicy()


def refusal(**over) -> str | None:
    args = dict(
        offer_id="S1", amount=Decimal("900.00"), expires_on=date(2026, 12, 10), approved_by="c-1",
        approver_role=Role.COLLECTOR, replace=False, today=TODAY, balance=Decimal("1000.00"), existing=None,
        open_offer=None, ended=None, policy=POLICY,
    )
    return settlement_refusal(**{**args, **over})


def offer(**over) -> SettlementOffer:
    base = dict(
        offer_id="S1", amount=Decimal("900.00"), expires_on=date(2026, 12, 10), approved_by="c-1",
        approver_role=Role.COLLECTOR, balance_at_offer=Decimal("1000.00"), paid_before=Decimal("100.00"),
        made_at=datetime(2026, 11, 23, tzinfo=timezone.utc), expires_at=datetime(2026, 12, 10, 16, tzinfo=timezone.utc),
    )
    return SettlementOffer(**{**base, **over})


def test_a_collector_may_forgive_up_to_ten_percent():
    assert refusal() is None
    assert "10.00% discount is above the collector limit of 10%" not in (refusal() or "")
    assert "above the collector limit of 10%" in refusal(amount=Decimal("899.99"))
    assert refusal(amount=Decimal("700.00"), approver_role=Role.SUPERVISOR) is None
    assert "above the supervisor limit of 30%" in refusal(amount=Decimal("699.00"), approver_role=Role.SUPERVISOR)
    assert refusal(amount=Decimal("400.00"), approver_role=Role.MANAGER) is None


@pytest.mark.parametrize(
    ("over", "reason"),
    [
        ({"amount": Decimal("0")}, "must be positive"),
        ({"amount": Decimal("1000.00")}, "must be below the balance 1000.00"),
        ({"expires_on": date(2026, 11, 22)}, "is in the past"),
        ({"expires_on": date(2026, 12, 24)}, "beyond the 30-day limit"),
        ({"approved_by": " "}, "approved_by is required"),
        ({"ended": "cured"}, "the episode has ended (cured)"),
        ({"open_offer": offer(offer_id="S0")}, "offer S0 is still open; send replace=true"),
        ({"existing": offer(amount=Decimal("950.00"))}, "already used with different terms"),
    ],
)
def test_refusals_name_the_reason(over, reason):
    assert reason in (refusal(**over) or "")


def test_same_terms_repeat_and_replace_are_allowed():
    assert refusal(existing=offer()) is None
    assert refusal(open_offer=offer(offer_id="S0"), replace=True) is None


def test_expiry_is_the_end_of_the_last_day_in_the_accounts_zone():
    assert offer_expiry(date(2026, 12, 10), "Asia/Shanghai") == datetime(2026, 12, 10, 16, tzinfo=timezone.utc)


def test_settled_counts_payments_since_the_offer():
    o = offer()
    assert not settled(o, Decimal("999.99"))
    assert settled(o, Decimal("1000.00"))
    assert discount_percent(Decimal("900"), Decimal("1000")) == Decimal("10")


def test_a_bad_role_limit_names_the_field():
    with pytest.raises(StrategyError, match=r"settlements\.max_discount_percent"):
        parse_strategy({"name": "x", "settlements": {"max_discount_percent": {"collector": "120"}},
                        "steps": [{"id": "co", "dpd": 180, "action": "charge_off"}]})
