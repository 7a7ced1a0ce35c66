"""AccountCollection on the time-skipping test server: the ladder, payments, close, cancel."""

import json
import os
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from arrears.domain.policy import is_working_day

import pytest
from sqlalchemy import func, select
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import CancelledError

from arrears.contracts.collection import PaymentInput, PaymentResult, StatusView
from arrears.db.models import ContactAttempt, Episode, OutboxMessage, Payment, StageEvent
from arrears.domain.delinquency import days_past_due
from tests.workflow.helpers import DEFAULT, Scenario, account_row, days, expected_ladder

HISTORIES = Path(__file__).resolve().parent.parent / "histories"
RECORD = os.environ.get("ARREARS_RECORD_HISTORIES") == "1"


async def _save_history(handle, name: str) -> None:
    if RECORD:
        history = await handle.fetch_history()
        HISTORIES.mkdir(exist_ok=True)
        (HISTORIES / f"{name}.json").write_text(json.dumps(json.loads(history.to_json()), indent=1))


async def _today(env, tz: str):
    return (await env.get_current_time()).astimezone(ZoneInfo(tz)).date()


def _on_working_days(ladder, due, tz: str):
    """Letters and visits due on a weekend or public holiday move to the next working day at
    the window's opening (the contact gate's baseline: 08:00 letters, 09:00 visits)."""
    opening = {"letter": time(8, 0), "visit": time(9, 0)}
    moved = []
    for dpd, hhmm, action, step_id in ladder:
        day = due + timedelta(days=dpd)
        if action in opening and not is_working_day(day, "US"):
            while not is_working_day(day, "US"):
                day += timedelta(days=1)
            dpd, hhmm = (day - due).days, opening[action].strftime("%H:%M")
        moved.append((dpd, hhmm, action, step_id))
    return sorted(moved, key=lambda e: (e[0], e[1]))


async def test_never_pays_gets_every_step_in_order_and_is_charged_off(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    tz = "America/New_York"  # a zone with DST inside the 180 days
    due = await _today(time_env, tz) + timedelta(days=5)
    row = account_row("NEVER1", due, segment="high", tz=tz, language="en", currency="USD")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        result = await handle.result()
        history = await handle.fetch_history()
        await _save_history(handle, "never_pays_charged_off")

    assert result.outcome == "charged_off"
    assert result.dpd == 180
    done = sc.actions("NEVER1")
    # The legal step finds the criteria unmet (two effective collections, principal over 50,000) and
    # looks again weekly until the charge-off; each look is on record as legal_refused.
    rechecks = [(dpd, key) for _, action, dpd, key in done if "/recheck" in key]
    assert [dpd for dpd, _ in rechecks] == [157, 164, 171, 178] and all(k.startswith("late-legal@150/recheck") for _, k in rechecks)
    done = [row for row in done if "/recheck" not in row[3]]
    expected = [(d, at, "legal_refused" if action == "legal" else action, sid)
                for d, at, action, sid in _on_working_days(expected_ladder(DEFAULT, "high"), due, tz)]
    got = [(dpd, when.astimezone(ZoneInfo(tz)).strftime("%H:%M"), action, key.split("@")[0]) for when, action, dpd, key in done]
    assert got == expected
    # The DPD recorded is the calendar DPD of the moment it ran, in the account's zone.
    for when, _, dpd, _ in done:
        assert days_past_due(due, when, tz) == dpd
    assert done[0][1] == "sms" and done[0][2] == -3  # the pre-due nudge for high risk
    assert done[-1][1] == "charge_off" and done[-1][2] == 180
    # One timer per step, not per day: the history stays small over a 180-day life.
    print(f"history events for an uncured 180-day life: {len(history.events)}")
    assert len(history.events) < 1000
    with sc.sessions() as s:
        episode = s.scalars(select(Episode)).one()
        assert episode.outcome == "charged_off" and episode.closing_dpd == 180
        stages = [e.stage for e in s.scalars(select(StageEvent).order_by(StageEvent.id))]
    assert stages == ["pre_due", "early", "mid", "late", "charged_off", "charged_off"]


async def test_full_payment_at_dpd_40_cures_with_no_action_after(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    tz = "Asia/Shanghai"
    due = await _today(time_env, tz) - timedelta(days=1)
    row = account_row("CURE40", due, segment="medium", overdue="1200.50")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        await time_env.sleep(days(39))
        # A query answers as of the last workflow task; callers bring it up to now.
        status = (await handle.query("status", result_type=StatusView)).at(await time_env.get_current_time())
        assert status.dpd == 40 and status.stage == "mid" and status.bucket == "M2"
        paid = await handle.execute_update(
            "record_payment", PaymentInput(payment_id="P-40", amount=Decimal("1200.50")), result_type=PaymentResult
        )
        paid_at = await time_env.get_current_time()
        result = await handle.result()
        await _save_history(handle, "cured_by_payment_dpd40")

    assert paid.outcome == "cured" and paid.overdue_amount == 0
    assert result.outcome == "cured" and result.overdue_amount == 0
    done = [row for row in sc.actions("CURE40") if row[3] != "restored"]  # the thank-you for the cure comes after it
    assert done, "the ladder ran before the payment"
    assert all(when <= paid_at for when, *_ in done)
    assert max(dpd for _, _, dpd, _ in done) <= 40
    with sc.sessions() as s:
        payment = s.scalars(select(Payment)).one()
        assert payment.amount == Decimal("1200.50") and payment.dpd == 40
        assert s.scalars(select(Episode)).one().outcome == "cured"


async def test_partial_payments_keep_the_ladder_running_and_repeats_change_nothing(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    tz = "Asia/Shanghai"
    due = await _today(time_env, tz) - timedelta(days=2)
    row = account_row("PART1", due, overdue="900.00", balance="3000.00")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        await time_env.sleep(days(5))
        first = await handle.execute_update(
            "record_payment", PaymentInput(payment_id="P-1", amount=Decimal("300.00")), result_type=PaymentResult
        )
        assert (first.overdue_amount, first.total_balance, first.outcome) == (Decimal("600.00"), Decimal("2700.00"), None)
        again = await handle.execute_update(
            "record_payment", PaymentInput(payment_id="P-1", amount=Decimal("300.00")), result_type=PaymentResult
        )
        assert again.duplicate and again.overdue_amount == Decimal("600.00")
        with pytest.raises(WorkflowUpdateFailedError) as mismatch:
            await handle.execute_update(
                "record_payment", PaymentInput(payment_id="P-1", amount=Decimal("50.00")), result_type=PaymentResult
            )
        assert "already recorded with amount 300.00" in str(mismatch.value.cause)
        before = len(sc.actions("PART1"))
        await time_env.sleep(days(20))
        status = await handle.query("status", result_type=StatusView)
        assert status.outcome is None and status.overdue_amount == Decimal("600.00")
        assert status.paid_total == Decimal("300.00")
        assert len(sc.actions("PART1")) > before, "escalation continues on the remaining amount"
        assert status.next_action is not None
        second = await handle.execute_update(
            "record_payment", PaymentInput(payment_id="P-2", amount=Decimal("600.00")), result_type=PaymentResult
        )
        result = await handle.result()
        await _save_history(handle, "partial_payments_then_cured")
    assert second.outcome == "cured" and result.outcome == "cured"
    with sc.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 2


@pytest.mark.parametrize("amount", ["0", "-5.00"])
async def test_non_positive_payment_is_rejected_with_a_reason(time_env, migrated_sqlite, amount):
    sc = Scenario(time_env.client, migrated_sqlite)
    due = await _today(time_env, "Asia/Shanghai") - timedelta(days=3)
    row = account_row(f"NEG{amount.replace('.', '').replace('-', 'm')}", due)
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        with pytest.raises(WorkflowUpdateFailedError) as rejected:
            await handle.execute_update(
                "record_payment", PaymentInput(payment_id="P-bad", amount=Decimal(amount)), result_type=PaymentResult
            )
        assert "payment amount must be positive" in str(rejected.value.cause)
        status = await handle.query("status", result_type=StatusView)
        assert status.overdue_amount == Decimal("1000.00") and status.paid_total == 0
        await handle.execute_update("close", {"reason": "test done", "operator_id": "pytest"})
        await handle.result()
    with sc.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 0


async def test_paid_before_due_date_closes_as_paid_on_time(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    due = await _today(time_env, "Asia/Shanghai") + timedelta(days=4)
    row = account_row("ONTIME", due, segment="high")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        await time_env.sleep(days(2))
        paid = await handle.execute_update(
            "record_payment", PaymentInput(payment_id="P-early", amount=Decimal("1000.00")), result_type=PaymentResult
        )
        result = await handle.result()
    assert paid.outcome == "paid_on_time" and result.outcome == "paid_on_time"
    assert [a[1] for a in sc.actions("ONTIME")] == ["sms"]  # only the pre-due nudge at DPD -3


async def test_late_import_skips_passed_steps_but_sends_latest_reminder_of_stage(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    tz = "Asia/Shanghai"
    due = await _today(time_env, tz) - timedelta(days=12)
    row = account_row("LATE12", due, segment="medium")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        await time_env.sleep(days(2.5))
        # Close rather than terminate: the test server keeps time locked for a
        # terminated workflow's in-flight work.
        await handle.execute_update("close", {"reason": "test done", "operator_id": "pytest"})
        await handle.result()
        await _save_history(handle, "late_import_dpd12")
    done = sc.actions("LATE12")
    # The card carries at once the restriction its DPD has passed (more than 7 days: no cash advances).
    assert [key for _, action, _, key in done if action == "restrict_card"] == ["early-restrict-cash@12:cash_advance_blocked"]
    done = [row for row in done if row[1] != "restrict_card"]
    keys = [key for *_, key in done]
    # Passed: early-sms@1 and @8, early-email@2, early-call-risky@3 and @10, early-im@5.
    # Only the latest early reminder (early-sms@8) comes back, once, as a catch-up.
    assert keys[0] == "early-sms@8"
    assert not any(k in keys for k in ("early-sms@1", "early-email@2", "early-call-risky@3", "early-call-risky@10", "early-im@5"))
    assert all(dpd >= 12 for _, _, dpd, _ in done)
    with sc.sessions() as s:
        catch_up = s.scalars(select(ContactAttempt).where(ContactAttempt.idempotency_key.endswith("early-sms@8"))).one()
        assert catch_up.catch_up and catch_up.dpd in (12, 13)
        assert datetime.fromisoformat(str(catch_up.attempted_at)).replace(tzinfo=ZoneInfo("UTC")).astimezone(
            ZoneInfo(tz)).strftime("%H:%M") == "10:00"
        assert "逾期" in catch_up.rendered_text  # rendered in the account's language


async def test_operator_close_requires_a_reason_and_records_it(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    due = await _today(time_env, "Asia/Shanghai") - timedelta(days=20)
    row = account_row("CLOSE1", due)
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        with pytest.raises(WorkflowUpdateFailedError) as rejected:
            await handle.execute_update("close", {"reason": "  ", "operator_id": "op-7"})
        assert "reason is required" in str(rejected.value.cause)
        closed = await handle.execute_update("close", {"reason": "account sold to a debt buyer", "operator_id": "op-7"})
        result = await handle.result()
        await _save_history(handle, "operator_close")
    assert closed["outcome"] == "closed"
    assert result.outcome == "closed" and result.reason == "account sold to a debt buyer"
    with sc.sessions() as s:
        episode = s.scalars(select(Episode)).one()
        assert (episode.outcome, episode.outcome_reason, episode.closed_by) == ("closed", "account sold to a debt buyer", "op-7")


async def test_cancel_ends_cleanly_with_the_reason_recorded(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    due = await _today(time_env, "Asia/Shanghai") - timedelta(days=40)
    row = account_row("CANCEL1", due)
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        await time_env.sleep(days(1))
        await handle.cancel()
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
        assert isinstance(failure.value.cause, CancelledError)
    with sc.sessions() as s:
        episode = s.scalars(select(Episode)).one()
        assert episode.outcome == "closed" and "cancel" in episode.outcome_reason
        assert episode.closed_at is not None and episode.closing_dpd is not None
        assert s.scalar(select(func.count()).select_from(StageEvent).where(StageEvent.stage == "closed")) == 1


async def test_a_step_activity_that_fails_after_writing_leaves_one_record(time_env, migrated_sqlite):
    """Temporal retries the activity after it wrote and crashed: one contact, one outbox message."""
    from temporalio import activity

    from arrears.contracts.collection_activities import StepCommand, StepResult
    from arrears.contracts.names import EXECUTE_STEP
    from arrears.config.strategies import parse_strategy

    strategy = parse_strategy(
        {"name": "tiny", "steps": [{"id": "sms-1", "dpd": 1, "action": "sms", "at": "10:00"},
                                   {"id": "co", "dpd": 3, "action": "charge_off", "at": "09:00"}]}
    )
    sc = Scenario(time_env.client, migrated_sqlite)
    real = sc.activities.execute_step
    attempts: list[int] = []

    @activity.defn(name=EXECUTE_STEP)
    def crash_after_write(cmd: StepCommand) -> StepResult:
        result = real(cmd)  # the write commits...
        attempts.append(activity.info().attempt)
        if activity.info().attempt == 1:
            raise RuntimeError("worker crashed before reporting completion")  # ...and the process dies
        return result

    sc.activities.execute_step = crash_after_write  # type: ignore[method-assign]
    due = await _today(time_env, "Asia/Shanghai")
    row = account_row("RETRY1", due)
    async with sc.worker():
        handle = await sc.start(row, strategy=strategy, now=await time_env.get_current_time())
        result = await handle.result()
    assert result.outcome == "charged_off"
    assert attempts.count(1) == 2 and attempts.count(2) == 2  # each step: crashed once, retried once
    with sc.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ContactAttempt)) == 1
        assert s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.topic == "sms")) == 1
    assert result.contacts_by_channel == {"sms": 1}


async def test_payment_arriving_before_the_episode_is_opened_is_never_lost(time_env, migrated_sqlite):
    """An update racing the first activity waits for the episode row, then records the payment."""
    import time as wallclock

    from temporalio import activity

    from arrears.contracts.collection_activities import OpenEpisodeCommand
    from arrears.contracts.names import OPEN_EPISODE

    sc = Scenario(time_env.client, migrated_sqlite)
    real = sc.activities.open_episode

    @activity.defn(name=OPEN_EPISODE)
    def slow_open(cmd: OpenEpisodeCommand) -> bool:
        wallclock.sleep(1.0)  # a busy database at the start of a large import
        return real(cmd)

    sc.activities.open_episode = slow_open  # type: ignore[method-assign]
    due = await _today(time_env, "Asia/Shanghai") + timedelta(days=3)
    row = account_row("RACE1", due)
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        paid = await handle.execute_update(
            "record_payment", PaymentInput(payment_id="P-race", amount=Decimal("1000.00")), result_type=PaymentResult
        )
        result = await handle.result()
    assert paid.outcome == "paid_on_time" and result.outcome == "paid_on_time"
    with sc.sessions() as s:
        assert s.scalars(select(Payment)).one().payment_id == "P-race"
        stages = [e.stage for e in s.scalars(select(StageEvent).order_by(StageEvent.id))]
    assert stages == ["pre_due", "paid_on_time"]
