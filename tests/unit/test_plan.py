"""Instalment plan rules: the terms a plan may have, and the months arithmetic."""

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from arrears.domain.plan import Instalment, InstalmentPlan, add_months, due_so_far, is_completed, plan_refusal
from arrears.domain.strategy import PlanPolicy, Role

TODAY = date(2026, 11, 23)


def schedule(*pairs) -> list[Instalment]:
    return [Instalment(due_date=d, amount=Decimal(a)) for d, a in pairs]


GOOD = schedule((date(2026, 12, 1), "500.00"), (date(2027, 1, 1), "500.00"))


def refusal(**over) -> str | None:
    args = dict(
        plan_id="PL1", instalments=GOOD, fee_waiver=Decimal(0), rate_discount_percent=Decimal(0), approved_by="c-1",
        approver_role=Role.COLLECTOR, today=TODAY, overdue=Decimal("1000.00"), existing=None, active=None, ended=None,
        policy=PlanPolicy(),
    )
    return plan_refusal(**{**args, **over})


def test_a_plan_covering_the_overdue_amount_is_accepted():
    assert refusal() is None


@pytest.mark.parametrize(
    ("over", "reason"),
    [
        ({"instalments": []}, "at least one instalment"),
        ({"instalments": schedule((date(2026, 12, 1), "0"))}, "must be positive"),
        ({"instalments": list(reversed(GOOD))}, "distinct and in order"),
        ({"instalments": schedule((date(2026, 11, 22), "1000.00"))}, "is in the past"),
        ({"instalments": schedule((date(2026, 12, 24), "1000.00"))}, "within 30 days"),
        ({"instalments": schedule((date(2026, 12, 1), "500.00"), (date(2031, 11, 24), "500.00"))}, "60-month maximum term"),
        ({"instalments": schedule((date(2026, 12, 1), "999.99"))}, "do not cover the overdue amount 1000.00"),
        ({"fee_waiver": Decimal("1.00")}, "above the collector limit of 0.00"),
        ({"fee_waiver": Decimal("100.01"), "approver_role": Role.SUPERVISOR}, "above the supervisor limit of 100.00"),
        ({"rate_discount_percent": Decimal("21"), "approver_role": Role.SUPERVISOR}, "above the supervisor limit of 20%"),
        ({"approved_by": ""}, "approved_by is required"),
        ({"ended": "closed"}, "the episode has ended (closed)"),
    ],
)
def test_refusals_name_the_reason(over, reason):
    assert reason in (refusal(**over) or "")


def test_a_waiver_within_the_role_limit_counts_toward_the_overdue_amount():
    short = schedule((date(2026, 12, 1), "950.00"))
    assert refusal(instalments=short, fee_waiver=Decimal("50.00"), approver_role=Role.SUPERVISOR) is None
    assert refusal(instalments=schedule((date(2026, 12, 1), "500.00"), (date(2031, 11, 23), "500.00"))) is None


def test_months_are_added_on_the_calendar():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 23), 60) == date(2031, 11, 23)


def test_due_so_far_and_completion_count_payments_since_the_plan():
    plan = InstalmentPlan(plan_id="PL1", instalments=GOOD, approved_by="c-1", approver_role=Role.COLLECTOR,
                          paid_before=Decimal("100.00"), made_at=datetime(2026, 11, 23, tzinfo=timezone.utc))
    assert due_so_far(plan, 1) == Decimal("500.00") and due_so_far(plan, 2) == Decimal("1000.00")
    assert not is_completed(plan, Decimal("1099.99"))
    assert is_completed(plan, Decimal("1100.00"))
