"""Promises cannot be used to stall: a minimum share of the overdue amount, and a limit on replacements."""

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from arrears.domain.promise import PromiseRecord, promise_refusal
from arrears.domain.strategy import PromisePolicy, StrategyError
from arrears.config.strategies import load_strategy
from tests.conftest import DEFAULT_STRATEGY

TODAY = date(2026, 11, 23)
POLICY = PromisePolicy(min_share=Decimal("0.1"), max_replacements=2)


def active(pid: str = "P0") -> PromiseRecord:
    return PromiseRecord(promise_id=pid, amount=Decimal("100.00"), promised_date=date(2026, 11, 27), collector_id="c1",
                         channel="call", made_at=datetime(2026, 11, 23, 3, tzinfo=timezone.utc), made_dpd=10,
                         paid_before=Decimal(0), deadline=datetime(2026, 11, 28, 16, tzinfo=timezone.utc))


def refusal(policy: PromisePolicy = POLICY, **over) -> str | None:
    args = dict(promise_id="P1", amount=Decimal("100.00"), promised_date=date(2026, 11, 27), collector_id="c1",
                channel="call", note="", replace=False, supervisor_id=None, today=TODAY, overdue=Decimal("1000.00"),
                existing=None, active=None, ended=None, broken_count=0, policy=policy)
    return promise_refusal(**{**args, **over})


def test_a_promise_below_the_minimum_share_is_refused_with_the_figures():
    assert refusal(amount=Decimal("99.99")) == ("promised amount 99.99 is below the minimum 100.00 "
                                                "(10% of the overdue amount 1000.00)")
    assert refusal(amount=Decimal("100.00")) is None  # exactly the minimum
    assert refusal(policy=PromisePolicy(), amount=Decimal("0.01")) is None  # no minimum unless the strategy sets one
    # The supervisor's approval does not lower the minimum: a token promise pauses escalation all the same.
    assert "below the minimum" in refusal(amount=Decimal("1.00"), supervisor_id="sup-1")


def test_a_third_replacement_needs_a_supervisor():
    assert refusal(active=active(), replace=True, replaced_count=0) is None
    assert refusal(active=active(), replace=True, replaced_count=1) is None
    third = refusal(active=active(), replace=True, replaced_count=2)
    assert third == ("2 promises have already been replaced in this episode: a supervisor must approve another "
                     "replacement (supervisor_id)")
    assert refusal(active=active(), replace=True, replaced_count=2, supervisor_id="sup-1") is None
    # A new promise once none is active is not a replacement.
    assert refusal(replaced_count=5) is None


def test_replacements_can_count_as_broken_promises():
    strict = PromisePolicy(min_share=Decimal(0), broken_limit=2, max_replacements=10, replacement_counts_as_broken=True)
    assert refusal(strict, active=active(), replace=True, replaced_count=0, broken_count=0) is None
    # One broken and this replacement make two: the limit.
    assert refusal(strict, active=active(), replace=True, replaced_count=0, broken_count=1) == (
        "2 promises have been broken or replaced: a supervisor must approve a new one (supervisor_id)")
    assert refusal(strict, replaced_count=2) is not None  # two replaced earlier count for a fresh promise too
    assert refusal(strict, replaced_count=2, supervisor_id="sup-1") is None
    lenient = strict.model_copy(update={"replacement_counts_as_broken": False})
    assert refusal(lenient, replaced_count=2) is None


def test_the_defaults_keep_old_callers_working():
    # The workflow passes no replacement count yet: the new parameter defaults to none replaced.
    assert refusal(active=active(), replace=True) is None


def test_the_default_strategy_sets_the_rule_and_bad_values_name_the_field(tmp_path):
    promises = load_strategy(DEFAULT_STRATEGY).promises
    assert (promises.min_share, promises.max_replacements) == (Decimal("0.1"), 2)
    text = DEFAULT_STRATEGY.read_text(encoding="utf-8").replace("min_share = 0.1", "min_share = 1.5")
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(StrategyError, match="min_share"):
        load_strategy(bad)
