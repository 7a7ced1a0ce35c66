"""Promise-to-pay rules: refusals with reasons, deadlines, kept or broken, working days, tiers."""

from datetime import date, datetime, time, timezone
from decimal import Decimal

import pytest

from arrears.domain.ladder import ScheduledStep, replan_for_segment, resume_plan
from arrears.domain.promise import (
    PromiseRecord,
    is_kept,
    next_working_day,
    promise_deadline,
    promise_refusal,
    raise_segment,
)
from arrears.domain.strategy import Action, PromisePolicy, Segment
from arrears.config.strategies import load_strategy
from tests.conftest import DEFAULT_STRATEGY

TODAY = date(2026, 11, 23)  # a Monday
POLICY = PromisePolicy()


def record(**over) -> PromiseRecord:
    base = dict(
        promise_id="P1", amount=Decimal("100.00"), promised_date=date(2026, 11, 27), collector_id="c1",
        channel="call", note="", made_at=datetime(2026, 11, 23, 3, tzinfo=timezone.utc), made_dpd=10,
        paid_before=Decimal("50.00"), deadline=datetime(2026, 11, 28, 16, tzinfo=timezone.utc),
    )
    return PromiseRecord(**{**base, **over})


def refusal(**over) -> str | None:
    args = dict(
        promise_id="P1", amount=Decimal("100.00"), promised_date=date(2026, 11, 27), collector_id="c1",
        channel="call", note="", replace=False, supervisor_id=None, today=TODAY, overdue=Decimal("500.00"),
        existing=None, active=None, ended=None, broken_count=0, policy=POLICY,
    )
    return promise_refusal(**{**args, **over})


def test_a_good_promise_is_accepted():
    assert refusal() is None


@pytest.mark.parametrize(
    ("over", "reason"),
    [
        ({"amount": Decimal("0")}, "promised amount must be positive"),
        ({"amount": Decimal("-1")}, "promised amount must be positive"),
        ({"amount": Decimal("500.01")}, "above the overdue amount 500.00"),
        ({"promised_date": date(2026, 11, 22)}, "is in the past"),
        ({"promised_date": date(2026, 12, 8)}, "beyond the 14-day promise horizon"),
        ({"ended": "cured"}, "the episode has ended (cured)"),
        ({"active": record(promise_id="P0")}, "promise P0 is still active; send replace=true"),
        ({"broken_count": 2}, "a supervisor must approve"),
        ({"existing": record(amount=Decimal("90.00"))}, "already used with different terms"),
        ({"collector_id": "  "}, "collector_id is required"),
    ],
)
def test_refusals_name_the_reason(over, reason):
    assert reason in (refusal(**over) or "")


def test_edges_are_allowed():
    assert refusal(promised_date=TODAY) is None
    assert refusal(promised_date=date(2026, 12, 7)) is None  # exactly 14 days
    assert refusal(amount=Decimal("500.00")) is None
    assert refusal(active=record(promise_id="P0"), replace=True) is None
    assert refusal(broken_count=2, supervisor_id="sup-1") is None
    assert refusal(existing=record()) is None  # same terms: a repeat, answered with the same result


def test_deadline_is_the_end_of_the_grace_day_in_the_accounts_zone():
    # Promised for the 27th, one grace day: judged at local midnight starting the 29th.
    assert promise_deadline(date(2026, 11, 27), 1, "Asia/Shanghai") == datetime(2026, 11, 28, 16, tzinfo=timezone.utc)
    assert promise_deadline(date(2026, 11, 27), 0, "America/New_York") == datetime(2026, 11, 28, 5, tzinfo=timezone.utc)


def test_kept_counts_only_payments_since_the_promise():
    p = record()  # 50.00 was already paid when it was made
    assert not is_kept(p, Decimal("149.99"))
    assert is_kept(p, Decimal("150.00"))


def test_next_working_day_skips_the_weekend():
    assert next_working_day(date(2026, 11, 26)) == date(2026, 11, 27)  # Thu -> Fri
    assert next_working_day(date(2026, 11, 27)) == date(2026, 11, 30)  # Fri -> Mon
    assert next_working_day(date(2026, 11, 28)) == date(2026, 11, 30)  # Sat -> Mon


def test_segment_moves_up_one_tier_and_stops_at_high():
    assert raise_segment(Segment.LOW) == Segment.MEDIUM
    assert raise_segment(Segment.MEDIUM) == Segment.HIGH
    assert raise_segment(Segment.HIGH) == Segment.HIGH


def _step(key: str, at: datetime, action: Action = Action.SMS, step_id: str | None = None) -> ScheduledStep:
    return ScheduledStep(key=key, step_id=step_id or key.split("@")[0], action=action, dpd=0, due_at=at)


def test_resume_drops_paused_steps_but_keeps_charge_off():
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    pending = [
        _step("a@1", datetime(2026, 11, 25, tzinfo=timezone.utc)),
        _step("co@180", datetime(2026, 11, 30, tzinfo=timezone.utc), Action.CHARGE_OFF),
        _step("b@9", datetime(2026, 12, 2, tzinfo=timezone.utc)),
    ]
    assert [s.key for s in resume_plan(pending, now)] == ["co@180", "b@9"]


def test_replan_for_a_higher_segment_adds_its_future_steps_and_keeps_follow_ups():
    strategy = load_strategy(DEFAULT_STRATEGY)
    due = date(2026, 11, 1)
    now = datetime(2026, 11, 2, 12, tzinfo=timezone.utc)  # DPD 1, after early-sms@1
    follow = _step("broken-promise-P1", datetime(2026, 11, 3, 2, tzinfo=timezone.utc), Action.CALL, "broken-promise-followup")
    low = replan_for_segment(strategy, Segment.LOW, due, "Asia/Shanghai", now, [follow])
    medium = replan_for_segment(strategy, Segment.MEDIUM, due, "Asia/Shanghai", now, [follow])
    assert "early-call-risky@3" in [s.key for s in medium] and "early-call-risky@3" not in [s.key for s in low]
    assert "broken-promise-P1" in [s.key for s in medium]
    assert all(s.due_at >= now for s in medium)
    assert [s.due_at for s in medium] == sorted(s.due_at for s in medium)
    assert time(10, 0) == POLICY.followup_at
