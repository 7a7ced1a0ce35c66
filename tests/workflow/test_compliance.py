"""The contact policy gate on the time-skipping server: deferred to the window's opening,
deferred past a cap, an opt-out closing one channel, no letter on a public holiday."""

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from arrears.compliance.consent_record import record_consent
from arrears.domain.policy import is_working_day
from arrears.db.models import CollectorTask, ContactAttempt, ContactDecision, Episode, Hold
from arrears.config.strategies import parse_strategy
from arrears.intake.importer import upsert_accounts
from tests.workflow.helpers import Scenario, account_row, days
from tests.workflow.test_lifecycle import _save_history, _today

TZ = "Asia/Shanghai"
SH = ZoneInfo(TZ)


def strategy(steps: list[dict], **compliance) -> object:
    return parse_strategy({
        "name": "gate-test",
        "steps": [*steps, {"id": "co", "dpd": 60, "action": "charge_off", "at": "09:00"}],
        "compliance": {"preset": "cn-bank", **compliance},
    })


def local(moment: datetime) -> datetime:
    """In the customer's zone, to the second (timers fire a few milliseconds after their time)."""
    return moment.astimezone(SH).replace(microsecond=0)


async def _close(handle) -> None:
    await handle.execute_update("close", {"reason": "test done", "operator_id": "pytest"})
    await handle.result()


async def test_an_sms_due_at_six_is_sent_at_eight(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("GATE1", today, segment="low")  # due today: DPD 1 is tomorrow
    early = strategy([{"id": "dawn-sms", "dpd": 1, "action": "sms", "at": "06:00", "template": "sms_early"}])
    async with sc.worker():
        handle = await sc.start(row, strategy=early, now=await time_env.get_current_time())
        await time_env.sleep(days(2.2))
        await _close(handle)
    with sc.sessions() as s:
        sent = s.scalars(select(ContactAttempt).where(ContactAttempt.account_id == "GATE1")).one()
        decisions = s.scalars(select(ContactDecision).where(ContactDecision.account_id == "GATE1")
                              .order_by(ContactDecision.id)).all()
    assert local(sent.attempted_at).time() == time(8, 0) and sent.result == "queued"
    assert [(d.verdict, d.rule) for d in decisions] == [("defer", "contact_window"), ("allow", "permitted")]
    assert local(decisions[0].proposed_at).time() == time(6, 0)  # what the ladder asked for, on record
    assert "06:00" in decisions[0].detail and local(decisions[0].until).time() == time(8, 0)


async def test_a_call_beyond_the_daily_cap_waits_for_the_next_day(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("GATE2", today, segment="medium")
    two_calls = strategy(
        [{"id": "call-a", "dpd": 1, "action": "call", "at": "10:00"},
         {"id": "call-b", "dpd": 1, "action": "call", "at": "15:00"}],
        caps={"call": {"per_day": 1}},
    )
    async with sc.worker():
        handle = await sc.start(row, strategy=two_calls, now=await time_env.get_current_time())
        await time_env.sleep(days(3))
        await _close(handle)
    with sc.sessions() as s:
        tasks = s.scalars(select(CollectorTask).where(CollectorTask.account_id == "GATE2").order_by(CollectorTask.id)).all()
        rules = [d.rule for d in s.scalars(select(ContactDecision).where(ContactDecision.verdict == "defer"))]
    assert [t.step_id for t in tasks] == ["call-a", "call-b"]
    assert local(tasks[0].due_at).time() == time(10, 0)
    assert local(tasks[1].due_at) == datetime.combine(today + timedelta(days=2), time(8, 0), tzinfo=SH)
    assert rules == ["frequency_cap"]


async def test_an_opt_out_stops_that_channel_only(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("GATE3", today, segment="low")
    upsert_accounts(sc.engine, [row], datetime.now(timezone.utc))
    with sc.sessions.begin() as s:
        record_consent(s, "GATE3", "sms", "opted_out", "sms reply STOP", datetime.now(timezone.utc))
    both = strategy([
        {"id": "sms-1", "dpd": 1, "action": "sms", "at": "10:00", "template": "sms_early"},
        {"id": "email-1", "dpd": 1, "action": "email", "at": "10:00", "template": "email_early"},
    ])
    async with sc.worker():
        handle = await sc.start(row, strategy=both, now=await time_env.get_current_time())
        await time_env.sleep(days(2))
        await _close(handle)
    with sc.sessions() as s:
        results = dict(s.execute(select(ContactAttempt.channel, ContactAttempt.result)
                                 .where(ContactAttempt.account_id == "GATE3")).all())
    assert results == {"sms": "suppressed:opt_out", "email": "queued"}


async def test_no_letter_goes_out_on_a_public_holiday(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    # The next Chinese public holiday far enough ahead to start the account before it (the shared
    # server's clock may be years ahead of the wall clock; far years have fewer known holidays,
    # so fall back to a weekend: still a day without letters).
    ahead = [today + timedelta(days=n) for n in range(4, 400)]
    off = [d for d in ahead if not is_working_day(d, "CN")]
    holiday = next((d for d in off if d.weekday() < 5), off[0])
    row = account_row("GATE4", holiday - timedelta(days=2), segment="low")
    letter = strategy([{"id": "letter-1", "dpd": 2, "action": "letter", "at": "09:00", "template": "letter_mid"}])
    async with sc.worker():
        handle = await sc.start(row, strategy=letter, now=await time_env.get_current_time())
        await time_env.sleep(days((holiday - today).days + 12))
        await _close(handle)
    with sc.sessions() as s:
        sent = s.scalars(select(ContactAttempt).where(ContactAttempt.account_id == "GATE4")).one()
    sent_day = local(sent.attempted_at).date()
    assert sent_day > holiday and is_working_day(sent_day, "CN")
    assert all(not is_working_day(holiday + timedelta(days=n), "CN") for n in range((sent_day - holiday).days))


def _regf_with_sms_at(dpd: int):
    return parse_strategy({
        "name": "regf", "compliance": {"preset": "us-regf"},
        "steps": [{"id": "sms-1", "dpd": dpd, "action": "sms", "at": "10:00", "template": "sms_early"},
                  {"id": "co", "dpd": 60, "action": "charge_off", "at": "09:00"}],
    })


async def test_us_regf_sends_the_validation_notice_first(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    ny = "America/New_York"
    today = await _today(time_env, ny)
    row = account_row("GATE5", today - timedelta(days=3), segment="low", tz=ny, language="en", currency="USD")
    regf = _regf_with_sms_at(dpd=5)
    async with sc.worker():
        handle = await sc.start(row, strategy=regf, now=await time_env.get_current_time())
        await time_env.sleep(days(6))
        await _close(handle)
    with sc.sessions() as s:
        sent = s.scalars(select(ContactAttempt).where(ContactAttempt.account_id == "GATE5")
                         .order_by(ContactAttempt.attempted_at)).all()
    assert [c.template for c in sent] == ["letter_validation_notice", "sms_early"]
    assert "dispute" in sent[0].rendered_text and "30 days" in sent[0].rendered_text
    assert calendar_ok(sent[0].attempted_at, ny)


async def test_us_regf_holds_a_reminder_behind_a_validation_notice_waiting_for_a_working_day(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    ny = "America/New_York"
    # To the next Saturday 09:00 in New York: the letter must wait for a working day, an SMS need not.
    now = (await time_env.get_current_time()).astimezone(ZoneInfo(ny))
    saturday = now.date() + timedelta(days=(5 - now.weekday()) % 7 or 7)
    start = datetime.combine(saturday, time(9, 0), tzinfo=ZoneInfo(ny))
    await time_env.sleep(start - now)
    row = account_row("GATE6", saturday - timedelta(days=3), segment="low", tz=ny, language="en", currency="USD")
    regf = _regf_with_sms_at(dpd=3)
    async with sc.worker():
        handle = await sc.start(row, strategy=regf, now=await time_env.get_current_time())
        await time_env.sleep(days(5))
        await _close(handle)
        await _save_history(handle, "validation_notice_first")
    with sc.sessions() as s:
        sent = s.scalars(select(ContactAttempt).where(ContactAttempt.account_id == "GATE6")
                         .order_by(ContactAttempt.attempted_at, ContactAttempt.id)).all()
    # The SMS was due Saturday 10:00; it went right after the notice, on the next working day.
    assert [c.template for c in sent] == ["letter_validation_notice", "sms_early"]
    letter_at, sms_at = (c.attempted_at.astimezone(ZoneInfo(ny)) for c in sent)
    assert calendar_ok(letter_at, ny) and letter_at.date() > saturday
    assert letter_at <= sms_at < letter_at + timedelta(minutes=5)


def calendar_ok(moment: datetime, tz: str) -> bool:
    local_moment = moment.astimezone(ZoneInfo(tz))
    return is_working_day(local_moment.date(), "US") and time(8, 0) <= local_moment.time() < time(21, 0)


async def test_a_cease_request_lets_only_permitted_notices_through(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("GATE6", today, segment="low")
    ladder = strategy([
        {"id": "sms-1", "dpd": 2, "action": "sms", "at": "10:00", "template": "sms_early"},
        {"id": "letter-mid", "dpd": 3, "action": "letter", "at": "10:00", "template": "letter_mid"},
        {"id": "letter-final", "dpd": 4, "action": "letter", "at": "10:00", "template": "letter_late"},
        {"id": "letter-remedy", "dpd": 5, "action": "letter", "at": "10:00", "template": "letter_remedy_notice"},
    ])
    async with sc.worker():
        handle = await sc.start(row, strategy=ladder, now=await time_env.get_current_time())
        await time_env.sleep(days(0.5))
        with sc.sessions.begin() as s:  # what place_hold writes; the gate reads the record
            episode = s.scalar(select(Episode.episode_id).where(Episode.account_id == "GATE6"))
            s.add(Hold(account_id="GATE6", hold_id="C-1", episode_id=episode, hold_type="cease_contact",
                       reason="written request to stop", placed_by="pytest",
                       placed_at=datetime.now(timezone.utc) - timedelta(days=3650), status="active"))
        await time_env.sleep(days(12))
        await _close(handle)
    with sc.sessions() as s:
        results = {c.template: c.result for c in s.scalars(select(ContactAttempt).where(ContactAttempt.account_id == "GATE6"))}
    assert results["sms_early"] == "suppressed:hold:cease_contact"
    assert results["letter_mid"] == "suppressed:hold:cease_contact"
    # Issue 22 item 6: the final demand asks for payment: not the notice 1006.6(c)(2) allows (it used to go).
    assert results["letter_late"] == "suppressed:hold:cease_contact"
    assert results["letter_remedy_notice"] == "queued"  # a specified remedy may be invoked: no demand for payment


async def test_a_complaint_hold_placed_by_update_closes_its_channel_at_the_gate(time_env, migrated_sqlite):
    from arrears.contracts.collection import HoldInput, HoldResult

    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("GATE7", today, segment="low")
    ladder = strategy([
        {"id": "sms-1", "dpd": 2, "action": "sms", "at": "10:00", "template": "sms_early"},
        {"id": "email-1", "dpd": 2, "action": "email", "at": "10:00", "template": "email_early"},
    ])
    async with sc.worker():
        handle = await sc.start(row, strategy=ladder, now=await time_env.get_current_time())
        placed = await handle.execute_update("place_hold", HoldInput(
            hold_id="CMP-1", hold_type="complaint", channel="sms", reason="texts at work", placed_by="sup-1"),
            result_type=HoldResult)
        assert placed.status == "active"
        await time_env.sleep(days(4))
        await _close(handle)
    with sc.sessions() as s:
        results = dict(s.execute(select(ContactAttempt.channel, ContactAttempt.result)
                                 .where(ContactAttempt.account_id == "GATE7")).all())
    assert results == {"sms": "suppressed:hold:complaint", "email": "queued"}
