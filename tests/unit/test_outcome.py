"""Refusals for a collector's recorded outcome."""

from datetime import datetime, timedelta, timezone

import pytest

from arrears.domain.outcome import ContactOutcome, VisitReport, outcome_refusal

NOW = datetime(2026, 11, 23, 8, tzinfo=timezone.utc)


def refusal(**over) -> str | None:
    args = dict(task_kind="call", task_done=False, outcome=ContactOutcome.NO_ANSWER, duration_seconds=30,
                collector_id="c-1", callback_at=None, visit=None, now=NOW, ended=None, promise_active=False)
    return outcome_refusal(**{**args, **over})


def test_a_plain_outcome_is_accepted():
    assert refusal() is None
    assert refusal(outcome=ContactOutcome.CALLBACK_REQUESTED, callback_at=NOW + timedelta(days=1)) is None
    assert refusal(outcome=ContactOutcome.PROMISE_MADE, promise_active=True) is None
    assert refusal(task_kind="visit", visit=VisitReport(address_verified=True, met_cardholder=False)) is None


@pytest.mark.parametrize(
    ("over", "reason"),
    [
        ({"task_kind": None}, "no such task"),
        ({"task_done": True}, "already recorded"),
        ({"collector_id": ""}, "collector_id is required"),
        ({"duration_seconds": -1}, "cannot be negative"),
        ({"task_kind": "visit"}, "needs its visit report"),
        ({"visit": VisitReport(address_verified=True, met_cardholder=True)}, "belongs to a visit task"),
        ({"outcome": ContactOutcome.CALLBACK_REQUESTED}, "needs callback_at"),
        ({"outcome": ContactOutcome.CALLBACK_REQUESTED, "callback_at": NOW - timedelta(minutes=1)}, "in the next 14 days"),
        ({"outcome": ContactOutcome.CALLBACK_REQUESTED, "callback_at": NOW + timedelta(days=15)}, "in the next 14 days"),
        ({"callback_at": NOW + timedelta(days=1)}, "goes only with callback_requested"),
        ({"outcome": ContactOutcome.PROMISE_MADE}, "record the promise first"),
        ({"ended": "cured"}, "the episode has ended"),
    ],
)
def test_refusals_name_the_reason(over, reason):
    assert reason in (refusal(**over) or "")
