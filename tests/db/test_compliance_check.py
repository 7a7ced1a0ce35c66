"""The auditor's check on SQLite and PostgreSQL: each rule recomputed from the record, with a summary.

Built record by record (no workflow): a clean account for every rule, then corruptions the gate
would never let through, each reported with its rule.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from activities.account_actions import AccountActionActivities
from arrears.contracts.account import BureauNoticeCommand
from arrears.client.clock import collection_now, known_now
from arrears.compliance.consent_record import record_consent
from arrears.audit.record_check import audit
from arrears.audit.violations import RULES
from arrears.db.models import BureauNotice, BureauReport, ContactAttempt, Episode, Hold
from arrears.domain.bureau import BureauPolicy
from arrears.domain.clock import EpisodeClock
from arrears.domain.policy import ContactPolicy
from arrears.domain.strategy import Action
from arrears.config.strategies import load_preset
from tests.db.test_activities_idempotency import DUE, NOW, Env, account_row, step_cmd

REGF = ContactPolicy.model_validate(load_preset("us-regf"))
CN = ContactPolicy.model_validate(load_preset("cn-bank"))
NY, LA = ZoneInfo("America/New_York"), ZoneInfo("America/Los_Angeles")
MONDAY = datetime(2026, 3, 9, 10, 0, tzinfo=NY)


@pytest.fixture
def env(any_db_url):
    e = Env(any_db_url)
    e.actions = AccountActionActivities(e.sessions, e.renderer, clock=lambda: NOW)
    yield e
    e.engine.dispose()


def us(env, account_id: str, tz: str = "America/New_York", phone: str = "+1 212 555 0100") -> str:
    env.add_account(account_row(account_id, language="en", currency="USD").model_copy(
        update={"timezone": tz, "phone": phone, "contacts": [{"name": "Bob", "relationship": "friend",
                                                              "phone": "+1 212 555 0188"}]}))
    episode = env.open(account_id)
    step(env, account_id, episode, Action.LETTER, "validation-notice", MONDAY - timedelta(days=3) + timedelta(hours=3),
         "letter_validation_notice", key="validation-notice")
    return episode


def step(env, account_id, episode, action, step_id, at, template=None, key=None, policy=REGF):
    cmd = step_cmd(account_id, episode, action, step_id, template=template).model_copy(
        update={"compliance": policy, "executed_at": at})
    if key:
        cmd = cmd.model_copy(update={"step": cmd.step.model_copy(update={"key": key})})
    return env.acts.execute_step(cmd)


def forge(env, account_id, episode, channel, at, template, recipient, key) -> None:
    """A contact written behind the gate's back, as a corrupted (or imported) record would have it."""
    with env.sessions.begin() as s:
        s.add(ContactAttempt(
            idempotency_key=key, episode_id=episode, account_id=account_id, step_id="forged", channel=channel,
            template=template, language="en", recipient=recipient, subject=None, rendered_text="...", dpd=8,
            stage="early", catch_up=False, scheduled_for=at, attempted_at=at, result="queued", adapter="outbox"))


def test_a_clean_record_breaks_no_rule_and_every_rule_is_summarised(env):
    episode = us(env, "C1")
    assert step(env, "C1", episode, Action.SMS, "sms-1", MONDAY, "sms_early").kind == "contact"
    assert step(env, "C1", episode, Action.EMAIL, "email-1", MONDAY, "email_early").kind == "contact"
    with env.sessions() as s:
        report = audit(s, REGF)
    assert report.violations == []
    rules = [row[0] for row in report.summary(REGF)]
    assert rules == list(RULES)
    judged = {rule: n for rule, _, n, _ in report.summary(REGF)}
    assert judged["contact_window"] == 3 and judged["opt_out"] == 3 and judged["validation_notice_pending"] == 2


def test_an_email_at_half_past_nine_in_the_phones_zone_and_a_debt_text_to_a_contact_person(env):
    # Issue 15's corrupted record: the account lives in Los Angeles, its mobile is from New York.
    episode = us(env, "C2", tz="America/Los_Angeles", phone="+1 212 555 0100")
    forge(env, "C2", episode, "email", datetime(2026, 3, 10, 21, 30, tzinfo=NY), "email_early", "c2@example.com", "f1")
    forge(env, "C2", episode, "locate", datetime(2026, 3, 10, 12, 0, tzinfo=NY), "sms_late", "+1 212 555 0188", "f2#0")
    with env.sessions() as s:
        report = audit(s, REGF)
    found = {(v.channel, v.rule) for v in report.violations}
    assert found == {("email", "contact_window"), ("sms:third_party", "third_party_content")}
    window = next(v for v in report.violations if v.rule == "contact_window")
    assert "21:30 in America/New_York" in window.detail
    summary = {rule: broken for rule, _, _, broken in report.summary(REGF)}
    assert (summary["contact_window"], summary["third_party_content"]) == (1, 1)


def test_a_medium_wide_opt_out_and_a_text_after_it(env):
    episode = us(env, "C3")
    with env.sessions.begin() as s:
        record_consent(s, "C3", "sms", "opted_out", "stop texting me", MONDAY - timedelta(days=1), medium=True)
    forge(env, "C3", episode, "sms", MONDAY, "sms_early", "+1 917 555 0177", "f3")  # a number added later
    with env.sessions() as s:
        assert [v.rule for v in audit(s, REGF).violations] == ["opt_out"]


def test_a_bureau_notice_during_cease_contact(env):
    episode = us(env, "C4")
    with env.sessions.begin() as s:
        s.add(Hold(account_id="C4", hold_id="CC-1", episode_id=episode, hold_type="cease_contact", reason="letter",
                   placed_by="sup", placed_at=MONDAY - timedelta(days=2), status="active"))
        s.add(BureauNotice(idempotency_key="n1", account_id="C4", episode_id=episode, sent_on=MONDAY.date(),
                           sent_at=MONDAY, channel="letter", template="letter_bureau_notice", language="en",
                           recipient="addr", rendered_text="...", result="queued", dpd=40, step_id="bureau"))
    with env.sessions() as s:
        assert [(v.channel, v.rule) for v in audit(s, REGF).violations] == [("letter", "hold:cease_contact")]


def test_the_gate_suppresses_the_same_bureau_notice(env):
    episode = us(env, "C5")
    with env.sessions.begin() as s:
        s.add(Hold(account_id="C5", hold_id="CC-1", episode_id=episode, hold_type="cease_contact", reason="letter",
                   placed_by="sup", placed_at=MONDAY - timedelta(days=2), status="active"))
    result = env.actions.record_bureau_notice(BureauNoticeCommand(
        episode_id=episode, account_id="C5", step_id="bureau", dpd=40, sent_at=MONDAY, currency="USD",
        overdue_amount=Decimal("1234.56"), total_balance=Decimal("8000.00"), due_date=DUE, compliance=REGF))
    assert (result.result, result.rule, result.created) == ("suppressed", "hold:cease_contact", True)
    with env.sessions() as s:
        assert audit(s, REGF).violations == []


def test_a_bureau_notice_on_a_saturday_is_deferred_and_nothing_is_written(env):
    episode = us(env, "C6")
    saturday = datetime(2026, 3, 14, 10, tzinfo=NY)
    result = env.actions.record_bureau_notice(BureauNoticeCommand(
        episode_id=episode, account_id="C6", step_id="bureau", dpd=40, sent_at=saturday, currency="USD",
        overdue_amount=Decimal("1234.56"), total_balance=Decimal("8000.00"), due_date=DUE, compliance=REGF))
    assert (result.result, result.rule, result.sent_on) == ("deferred", "non_working_day", None)
    assert result.deferred_until == datetime(2026, 3, 16, 8, tzinfo=NY)
    assert env.count(BureauNotice) == 0


def test_the_validation_notice_deadline_and_collection_before_it(env):
    env.add_account(account_row("C7", language="en", currency="USD").model_copy(
        update={"timezone": "America/New_York", "phone": "+1 212 555 0100"}))
    episode = env.open("C7")
    forge(env, "C7", episode, "sms", MONDAY, "sms_early", "+1 212 555 0100", "f7")  # the initial communication
    forge(env, "C7", episode, "letter", MONDAY + timedelta(days=8), "letter_validation_notice", "addr", "f8")
    with env.sessions() as s:
        rules = sorted(v.rule for v in audit(s, REGF).violations)
    # 1006.34(a)(1)(i)(B): within five days of the initial communication (and the gate's rule: nothing before it).
    assert rules == ["validation_notice_deadline", "validation_notice_pending"]


def test_collection_after_a_verified_dispute_needs_the_verification_first(env):
    episode = us(env, "C8")
    with env.sessions.begin() as s:
        s.add(Hold(account_id="C8", hold_id="D-1", episode_id=episode, hold_type="dispute", reason="not mine",
                   placed_by="sup", placed_at=MONDAY - timedelta(days=2), status="released", resolution="verified",
                   released_by="sup", released_at=MONDAY - timedelta(days=1)))
    forge(env, "C8", episode, "sms", MONDAY, "sms_early", "+1 212 555 0100", "f9")
    with env.sessions() as s:
        assert [v.rule for v in audit(s, REGF).violations] == ["verification_owed"]
    # The gate would have held the text back: the first step sends the verification itself first.
    assert step(env, "C8", episode, Action.EMAIL, "email-1", MONDAY + timedelta(hours=1), "email_early").kind == "contact"
    with env.sessions() as s:
        letters = [c.template for c in s.query(ContactAttempt).filter_by(account_id="C8").order_by(ContactAttempt.id)]
    assert letters[-2:] == ["letter_dispute_verification", "email_early"]


def test_a_negative_report_without_notice_or_conversation(env):
    episode = us(env, "C9")
    with env.sessions.begin() as s:
        s.add(BureauReport(account_id="C9", period="2026-03", episode_id=episode, as_of=date(2026, 3, 31),
                           status="M2", reported_status="M2", dpd=45, reported_dpd=45, bucket="M2",
                           overdue_amount=Decimal("1"), reported_overdue=Decimal("1"), total_balance=Decimal("2"),
                           currency="USD", withheld=False, correction=False, reason="", file_name="f", created_at=NOW))
    with env.sessions() as s:
        report = audit(s, REGF, BureauPolicy())
    assert [v.rule for v in report.violations] == ["bureau_notice_before_furnishing"]


def test_records_written_from_outside_the_workflow_use_the_episodes_clock(env):
    # Issue 22 item 7: in a simulation with one-second days an opt-out stamped by the wall clock lands
    # "before" contacts that were in fact earlier. The clock kept with the episode decides.
    episode = us(env, "C10")
    real = datetime(2026, 3, 9, 15, 0, tzinfo=NY)
    clock = EpisodeClock(anchor_real=real, anchor_virtual=real, day_seconds=1.0)
    with env.sessions.begin() as s:
        e = s.get(Episode, episode)
        e.clock_anchor_real, e.clock_anchor_virtual, e.day_seconds = real, real, 1.0
    ten_seconds_later = real + timedelta(seconds=10)
    with env.sessions() as s:
        assert known_now(s, "C10", ten_seconds_later) == clock.virtual(ten_seconds_later) == real + timedelta(days=10)
    import asyncio  # noqa: PLC0415

    assert asyncio.run(collection_now(None, env.sessions, "C10", ten_seconds_later)) == real + timedelta(days=10)
    assert asyncio.run(collection_now(None, env.sessions, "NO-SUCH", ten_seconds_later)) == ten_seconds_later


def test_a_bureau_notice_whose_episodes_rules_are_unknown_waits(env):
    # The late-import catch-up notice can run before any step has put the episode's policy on record;
    # under the wrong rules it could go before a validation notice. It waits (issue 22 item 1).
    env.add_account(account_row("C11", language="en", currency="USD").model_copy(update={"timezone": "America/New_York"}))
    episode = env.open("C11")
    result = env.actions.record_bureau_notice(BureauNoticeCommand(
        episode_id=episode, account_id="C11", step_id="bureau", dpd=45, sent_at=MONDAY, currency="USD",
        overdue_amount=Decimal("1234.56"), total_balance=Decimal("8000.00"), due_date=DUE))
    assert (result.result, result.rule) == ("deferred", "policy_unknown") and env.count(BureauNotice) == 0
    # Once a step has run under us-regf, the rules are known: the validation notice must go first.
    step(env, "C11", episode, Action.SMS, "sms-1", MONDAY, "sms_early")
    again = env.actions.record_bureau_notice(BureauNoticeCommand(
        episode_id=episode, account_id="C11", step_id="bureau", dpd=45, sent_at=MONDAY + timedelta(hours=2),
        currency="USD", overdue_amount=Decimal("1234.56"), total_balance=Decimal("8000.00"), due_date=DUE, attempt=2))
    assert again.result == "queued"
    with env.sessions() as s:
        first = s.query(ContactAttempt).filter_by(account_id="C11").order_by(ContactAttempt.id).first()
    assert first.template == "letter_validation_notice"  # the SMS step sent the lost notice first


def test_a_hold_the_workflow_knows_of_counts_before_its_row_is_written(env):
    from arrears.domain.holds import HoldRecord, HoldType  # noqa: PLC0415

    episode = us(env, "C12")
    cease = HoldRecord(hold_id="CC-1", hold_type=HoldType.CEASE_CONTACT, reason="letter", placed_by="sup",
                       placed_at=MONDAY - timedelta(minutes=1))
    cmd = step_cmd("C12", episode, Action.SMS, "sms-1", template="sms_early").model_copy(
        update={"compliance": REGF, "executed_at": MONDAY, "holds": [cease]})
    result = env.acts.execute_step(cmd)
    assert (result.kind, result.detail.split(":")[0:2]) == ("suppressed", ["hold", "cease_contact"])
