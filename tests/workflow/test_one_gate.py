"""One gate for every contact, on the time-skipping server (issue 22).

Items 1-4 each fail on the code before it (items 5 and 6 are in test_holds.py and test_compliance.py),
with the workflow's own part: a deferred bureau notice goes at the gate's moment, replanning keeps the
validation notice, and a cease-contact hold recalls a placement.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from arrears.channels.adapter import OutboxAdapter
from arrears.audit.record_check import audit
from arrears.contracts.collection import HoldInput, HoldResult, OutcomeInput, OutcomeResult
from arrears.db.models import AgencyPlacement, BureauNotice, CollectorTask, ContactAttempt, ContactDecision
from arrears.desk.calls import StartRefused, start
from arrears.domain.policy import is_working_day
from arrears.config.strategies import parse_strategy
from tests.workflow.helpers import PRICED, Scenario, account_row, days
from tests.workflow.test_agency import agencies
from tests.workflow.test_lifecycle import _today
from tests.workflow.test_promises import _status

SH, NY = "Asia/Shanghai", "America/New_York"


def regf(steps: list[dict]):
    return parse_strategy({"name": "one-gate", "compliance": {"preset": "us-regf"},
                           "steps": [*steps, {"id": "co", "dpd": 60, "action": "charge_off", "at": "09:00"}]})


def cn(steps: list[dict]):
    return parse_strategy({"name": "one-gate-cn", "compliance": {"preset": "cn-bank"},
                           "steps": [*steps, {"id": "co", "dpd": 60, "action": "charge_off", "at": "09:00"}]})


async def _local_now(env, tz: str) -> datetime:
    return (await env.get_current_time()).astimezone(ZoneInfo(tz))


async def _to(env, tz: str, day: date, hour: int) -> None:
    now = await _local_now(env, tz)
    target = datetime.combine(day, time(hour), tzinfo=ZoneInfo(tz))
    assert target > now
    await env.sleep(target - now)


async def _next_working_morning(env, tz: str, country: str) -> date:
    now = await _local_now(env, tz)
    day = now.date() + timedelta(days=1)
    while not is_working_day(day, country):
        day += timedelta(days=1)
    await _to(env, tz, day, 9)
    return day


async def _hold(handle, hold_id: str, hold_type: str, **over) -> HoldResult:
    request = HoldInput(hold_id=hold_id, hold_type=hold_type, reason="in writing", placed_by="sup-1", **over)
    return await handle.execute_update("place_hold", request, result_type=HoldResult)


async def _close(handle) -> None:
    await handle.execute_update("close", {"reason": "test done", "operator_id": "pytest"})
    await handle.result()


# ---- item 1: bureau notices through the gate -------------------------------------------------------------


async def test_a_bureau_notice_is_not_posted_during_cease_contact(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    due = await _today(time_env, SH) - timedelta(days=37)  # the bureau step (DPD 40) is three days ahead
    async with sc.worker():
        handle = await sc.start(account_row("BNC1", due), PRICED, now=await time_env.get_current_time())
        await sc.settle(handle)
        await _hold(handle, "CC-1", "cease_contact")
        await time_env.sleep(days(5))
        status = await _status(time_env, handle)
        await _close(handle)
    with sc.sessions() as s:
        notices = s.scalars(select(BureauNotice).where(BureauNotice.account_id == "BNC1")).all()
        rules = {d.rule for d in s.scalars(select(ContactDecision).where(ContactDecision.step_id == "mid-bureau-report"))}
    assert [n.result for n in notices] == ["suppressed"] and rules == {"hold:cease_contact"}
    assert status.bureau_notice_result == "suppressed"  # tried that day; nothing posted


async def test_a_bureau_notice_due_on_a_day_off_is_not_posted_that_day(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, SH)
    off = next(today + timedelta(days=n) for n in range(2, 40) if not is_working_day(today + timedelta(days=n), "CN"))
    due = off - timedelta(days=40)  # the bureau step falls on a weekend or a holiday, at 09:00
    async with sc.worker():
        handle = await sc.start(account_row("BNC2", due), PRICED, now=await time_env.get_current_time())
        await time_env.sleep(days((off - today).days + 1))
        status = await _status(time_env, handle)
        await _close(handle)
    with sc.sessions() as s:
        posted = s.scalars(select(BureauNotice).where(BureauNotice.account_id == "BNC2")).all()
        decision = s.scalars(select(ContactDecision).where(ContactDecision.step_id == "mid-bureau-report")
                             .order_by(ContactDecision.id)).first()
    assert posted == [] and status.bureau_notice_result == "deferred"
    assert decision.rule == "non_working_day" and is_working_day(decision.until.astimezone(ZoneInfo(SH)).date(), "CN")


async def test_a_deferred_bureau_notice_goes_at_the_moment_the_gate_named(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, SH)
    off = next(today + timedelta(days=n) for n in range(2, 40) if not is_working_day(today + timedelta(days=n), "CN"))
    after = next(off + timedelta(days=n) for n in range(1, 15) if is_working_day(off + timedelta(days=n), "CN"))
    async with sc.worker():
        handle = await sc.start(account_row("BNC3", off - timedelta(days=40)), PRICED, now=await time_env.get_current_time())
        await time_env.sleep(days((after - today).days + 1))
        await _close(handle)
    with sc.sessions() as s:
        posted = s.scalars(select(BureauNotice).where(BureauNotice.account_id == "BNC3")).all()
    assert [n.sent_on for n in posted] == [after]


# ---- item 2: the validation notice is never lost ------------------------------------------------------------


async def test_a_validation_notice_lost_in_a_pause_still_goes_before_any_other_contact(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    now = await _local_now(time_env, NY)
    saturday = now.date() + timedelta(days=(5 - now.weekday()) % 7 or 7)
    await _to(time_env, NY, saturday, 9)  # the notice is a letter: it waits for Monday
    row = account_row("VAL1", saturday - timedelta(days=1), segment="low", tz=NY, language="en", currency="USD")
    ladder = regf([{"id": "sms-3", "dpd": 3, "action": "sms", "at": "10:00", "template": "sms_early"},
                   {"id": "sms-9", "dpd": 9, "action": "sms", "at": "10:00", "template": "sms_early"}])
    async with sc.worker():
        handle = await sc.start(row, strategy=ladder, now=await time_env.get_current_time())
        await sc.settle(handle)
        # A pause over Monday: on its end the plan drops the passed steps, the notice with them.
        await _hold(handle, "HS-1", "hardship", days=4)
        await time_env.sleep(days(10))
        await _close(handle)
    with sc.sessions() as s:
        sent = s.scalars(select(ContactAttempt).where(ContactAttempt.account_id == "VAL1", ContactAttempt.result == "queued")
                         .order_by(ContactAttempt.attempted_at, ContactAttempt.id)).all()
        report = audit(s, ladder.compliance)
    assert [c.template for c in sent] == ["letter_validation_notice", "sms_early"]
    assert sent[0].attempted_at <= sent[1].attempted_at
    assert [v for v in report.violations if v.account_id == "VAL1"] == []


async def test_replanning_after_a_pause_keeps_the_validation_notice(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    now = await _local_now(time_env, NY)
    saturday = now.date() + timedelta(days=(5 - now.weekday()) % 7 or 7)
    await _to(time_env, NY, saturday, 9)
    row = account_row("VAL2", saturday - timedelta(days=1), segment="low", tz=NY, language="en", currency="USD")
    ladder = regf([{"id": "sms-20", "dpd": 20, "action": "sms", "at": "10:00", "template": "sms_early"}])
    async with sc.worker():
        handle = await sc.start(row, strategy=ladder, now=await time_env.get_current_time())
        await sc.settle(handle)
        await _hold(handle, "HS-1", "hardship", days=4)
        await time_env.sleep(days(8))
        await _close(handle)
    with sc.sessions() as s:
        notice = s.scalars(select(ContactAttempt).where(ContactAttempt.account_id == "VAL2")).first()
    assert notice is not None and notice.attempted_at.astimezone(ZoneInfo(NY)).date() <= saturday + timedelta(days=6)


# ---- item 3: calls gated when worked ------------------------------------------------------------------------


async def _two_calls(time_env, sc, account_id: str):
    day = await _next_working_morning(time_env, NY, "US")
    row = account_row(account_id, day - timedelta(days=1), segment="high", tz=NY, language="en", currency="USD")
    ladder = regf([{"id": "call-a", "dpd": 2, "action": "call", "at": "10:00"},
                   {"id": "call-b", "dpd": 2, "action": "call", "at": "11:00"}])
    handle = await sc.start(row, strategy=ladder, now=await time_env.get_current_time())
    await time_env.sleep(days(1) + timedelta(hours=2, minutes=30))  # 11:30 on DPD 2: both opened
    with sc.sessions() as s:
        tasks = s.scalars(select(CollectorTask).where(CollectorTask.account_id == account_id)
                          .order_by(CollectorTask.id)).all()
    assert [t.step_id for t in tasks] == ["call-a", "call-b"]
    return handle, tasks


async def test_a_conversation_defers_the_other_call_and_the_desk_refuses_it_in_the_quiet_days(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    async with sc.worker():
        handle, (a, b) = await _two_calls(time_env, sc, "CALL1")
        now = await time_env.get_current_time()
        dialled = start(sc.sessions, OutboxAdapter(), a.id, "c-1", now, now)
        assert dialled.entered == "live" and dialled.violation_rule is None
        await handle.execute_update("log_contact_outcome", OutcomeInput(
            task_id=a.id, outcome="right_party_contact", collector_id="c-1", duration_seconds=300),
            result_type=OutcomeResult)
        with pytest.raises(StartRefused, match="after_conversation"):
            start(sc.sessions, OutboxAdapter(), b.id, "c-1", now + timedelta(minutes=10), now + timedelta(minutes=10))
        await _close(handle)
    with sc.sessions() as s:
        deferred = s.get(CollectorTask, b.id)
    talked_on = dialled.started_at.astimezone(ZoneInfo(NY)).date()
    assert deferred.due_at.astimezone(ZoneInfo(NY)) == datetime.combine(talked_on + timedelta(days=7), time(0),
                                                                         tzinfo=ZoneInfo(NY))


async def test_the_callback_a_customer_asked_for_opens_at_its_time(time_env, migrated_sqlite):
    # Issue 15 item 3: "call back on Thursday" is prior consent (1006.14(b)(3)(i)); the callback used to wait
    # out the quiet period its own conversation started.
    sc = Scenario(time_env.client, migrated_sqlite)
    async with sc.worker():
        handle, (a, _) = await _two_calls(time_env, sc, "CALL2")
        now = await time_env.get_current_time()
        start(sc.sessions, OutboxAdapter(), a.id, "c-1", now, now)
        callback_at = now + timedelta(days=2)
        await handle.execute_update("log_contact_outcome", OutcomeInput(
            task_id=a.id, outcome="callback_requested", collector_id="c-1", duration_seconds=60,
            callback_at=callback_at), result_type=OutcomeResult)
        await time_env.sleep(days(2) + timedelta(hours=1))
        with sc.sessions() as s:
            callback = s.scalars(select(CollectorTask).where(CollectorTask.step_id == "callback-requested")).one()
        await _close(handle)
    assert abs(callback.due_at - callback_at) < timedelta(minutes=1)


# ---- item 4: cease contact and agencies -----------------------------------------------------------------------


async def test_an_account_under_cease_contact_is_not_placed_with_an_agency(time_env, migrated_sqlite, tmp_path):
    sc = Scenario(time_env.client, migrated_sqlite)
    agencies(sc, tmp_path, "AG-A,Alpha,15,5,30\n")
    today = await _today(time_env, SH)
    ladder = cn([{"id": "agency-3", "dpd": 3, "action": "agency", "at": "10:00"}])
    async with sc.worker():
        handle = await sc.start(account_row("AGC1", today - timedelta(days=1)), strategy=ladder,
                                now=await time_env.get_current_time())
        await sc.settle(handle)
        await _hold(handle, "CC-1", "cease_contact")
        await time_env.sleep(days(4))
        status = await _status(time_env, handle)
        await _close(handle)
    with sc.sessions() as s:
        placements = s.scalars(select(AgencyPlacement)).all()
        refusal = s.scalars(select(ContactDecision).where(ContactDecision.channel == "agency")).one()
    assert placements == [] and status.placement is None
    assert (refusal.verdict, refusal.rule) == ("suppress", "hold:cease_contact")


async def test_a_placement_is_recalled_when_cease_contact_is_placed(time_env, migrated_sqlite, tmp_path):
    sc = Scenario(time_env.client, migrated_sqlite)
    agencies(sc, tmp_path, "AG-A,Alpha,15,5,30\n")
    today = await _today(time_env, SH)
    ladder = cn([{"id": "agency-3", "dpd": 3, "action": "agency", "at": "10:00"}])
    async with sc.worker():
        handle = await sc.start(account_row("AGC2", today - timedelta(days=1)), strategy=ladder,
                                now=await time_env.get_current_time())
        await time_env.sleep(days(3))
        assert (await _status(time_env, handle)).placement is not None
        await _hold(handle, "CC-1", "cease_contact")
        status = await _status(time_env, handle)
        await _close(handle)
    assert status.placement is None
