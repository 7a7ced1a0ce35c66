"""The monthly bureau cycle on SQLite and PostgreSQL: statuses, withheld negatives, corrections, once per period."""

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from activities.account_actions import AccountActionActivities
from arrears.contracts.account import BureauNoticeCommand
from arrears.bureau.cycle import reports_for, run_cycle
from arrears.contracts.collection_activities import CloseEpisodeCommand, PaymentCommand
from arrears.domain.episode import PaymentRecord
from arrears.compliance.consent_record import record_consent
from arrears.compliance.gate_record import BASELINE
from arrears.db.models import BureauReport, OutboxMessage
from arrears.domain.bureau import BureauPolicy, parse_file
from arrears.domain.delinquency import Outcome
from tests.db.test_activities_idempotency import Env, account_row, open_cmd

POLICY = BureauPolicy(notice_days=14, negative_from_dpd=31)
UTC = timezone.utc
NOV_END = date(2026, 11, 30)


@pytest.fixture
def env(any_db_url):
    e = Env(any_db_url)
    e.actions = AccountActionActivities(e.sessions, e.renderer, clock=lambda: datetime(2026, 12, 1, tzinfo=UTC),
                                    policies=lambda _strategy: BASELINE)  # the worker's strategy, as runner passes it
    yield e
    e.engine.dispose()


def episode(env, account_id: str, due: date, started: datetime) -> str:
    env.add_account(account_row(account_id))
    cmd = open_cmd(account_id, f"ep-{account_id}").model_copy(update={"due_date": due, "started_at": started})
    assert env.acts.open_episode(cmd)
    return cmd.episode_id


def notice(env, account_id: str, sent_at: datetime) -> None:
    env.actions.record_bureau_notice(BureauNoticeCommand(
        episode_id=f"ep-{account_id}", account_id=account_id, step_id="notice", dpd=35, sent_at=sent_at,
        currency="CNY", overdue_amount=Decimal("1234.56"), total_balance=Decimal("8000.00"), due_date=date(2026, 9, 1)))


def close(env, account_id: str, outcome: Outcome, at: datetime, dpd: int, overdue: str, balance: str) -> None:
    assert env.acts.close_episode(CloseEpisodeCommand(
        episode_id=f"ep-{account_id}", account_id=account_id, outcome=outcome, reason="test", closed_by="workflow",
        dpd=dpd, closed_at=at, overdue_amount=Decimal(overdue), total_balance=Decimal(balance)))


def test_a_month_reported_once_with_withheld_negatives_and_corrections(env, tmp_path):
    due = date(2026, 9, 21)  # DPD 70 on 30 November
    started = datetime(2026, 9, 22, 1, tzinfo=UTC)
    for account_id in ("A-NONOTICE", "B-NOTICED", "C-TOOSOON", "D-CURED", "E-CHARGEDOFF", "F-EARLY"):
        episode(env, account_id, due if account_id != "F-EARLY" else date(2026, 11, 10), started)
    notice(env, "B-NOTICED", datetime(2026, 10, 30, 2, tzinfo=UTC))
    notice(env, "C-TOOSOON", datetime(2026, 11, 20, 2, tzinfo=UTC))  # period ends 4 December
    notice(env, "D-CURED", datetime(2026, 10, 20, 2, tzinfo=UTC))
    # Not on 1 October: National Day, and the notice is a letter, which the contact gate posts on working days.
    notice(env, "E-CHARGEDOFF", datetime(2026, 10, 12, 2, tzinfo=UTC))
    close(env, "E-CHARGEDOFF", Outcome.CHARGED_OFF, datetime(2026, 11, 20, 2, tzinfo=UTC), 180, "5000.00", "9000.00")

    # October: every notice is still inside its 14 days on 31 October, so every negative is withheld.
    october = run_cycle(env.sessions, "2026-10", tmp_path, POLICY, now=datetime(2026, 11, 1, tzinfo=UTC))
    assert october.created and october.accounts == 6
    by_account = {r.account_id: r for r in parse_file(october.path.read_text(encoding="utf-8")).rows}
    assert by_account["D-CURED"].status == "current" and by_account["D-CURED"].withheld
    assert by_account["B-NOTICED"].withheld  # 30 October + 14 days is past 31 October

    # D cures in November: October reported it current (withheld), so there is nothing to correct.
    env.acts.record_payment(PaymentCommand(episode_id="ep-D-CURED", account_id="D-CURED", currency="CNY",
                            payment=PaymentRecord(payment_id="p1", amount=Decimal("1234.56"),
                                                  paid_at=datetime(2026, 11, 25, 2, tzinfo=UTC), channel="bank",
                                                  dpd=65, overdue_after=Decimal("0"), total_after=Decimal("6765.44"))))
    close(env, "D-CURED", Outcome.CURED, datetime(2026, 11, 25, 2, tzinfo=UTC), 65, "0", "6765.44")

    november = run_cycle(env.sessions, "2026-11", tmp_path, POLICY, now=datetime(2026, 12, 1, tzinfo=UTC),
                         institution="BANK01")
    text = november.path.read_text(encoding="utf-8")
    parsed = parse_file(text)
    assert november.path.name == "BANK01_2026-11.txt" and parsed.institution == "BANK01"
    rows = {r.account_id: r for r in parsed.rows}
    assert (rows["A-NONOTICE"].status, rows["A-NONOTICE"].withheld, rows["A-NONOTICE"].overdue) == ("current", True, 0)
    assert (rows["B-NOTICED"].status, rows["B-NOTICED"].dpd, rows["B-NOTICED"].overdue) == ("M3", 70, Decimal("1234.56"))
    assert rows["C-TOOSOON"].withheld and rows["C-TOOSOON"].status == "current"
    assert (rows["D-CURED"].status, rows["D-CURED"].correction) == ("current", False)  # October said current too
    assert (rows["E-CHARGEDOFF"].status, rows["E-CHARGEDOFF"].dpd) == ("charged_off", 180)
    assert (rows["F-EARLY"].status, rows["F-EARLY"].withheld) == ("current", False)  # DPD 20: below 31
    assert (november.accounts, november.withheld) == (6, 2)

    reasons = {r.account_id: r.reason for r in reports_for(env.sessions, "C-TOOSOON")[-1:]}
    assert reasons["C-TOOSOON"] == "withheld pending notice: notice sent 2026-11-20; its 14-day period ends 2026-12-04"

    # Twice the same period: no new rows, the same bytes, even after the record moved on.
    close(env, "B-NOTICED", Outcome.SETTLED, datetime(2026, 11, 29, 2, tzinfo=UTC), 69, "0", "0")
    november.path.unlink()
    again = run_cycle(env.sessions, "2026-11", tmp_path, POLICY, now=datetime(2026, 12, 2, tzinfo=UTC))
    assert not again.created and again.path == november.path
    assert again.path.read_text(encoding="utf-8") == text
    assert env.count(BureauReport, period="2026-11") == 6


def test_a_cure_after_a_negative_report_is_corrected_next_month(env, tmp_path):
    episode(env, "G1", date(2026, 8, 20), datetime(2026, 8, 21, 1, tzinfo=UTC))
    notice(env, "G1", datetime(2026, 9, 28, 2, tzinfo=UTC))  # a working day: 25-27 September is Mid-Autumn
    october = run_cycle(env.sessions, "2026-10", tmp_path, POLICY, now=datetime(2026, 11, 1, tzinfo=UTC))
    (row,) = parse_file(october.path.read_text(encoding="utf-8")).rows
    assert (row.status, row.dpd, row.withheld) == ("M3", 72, False)
    close(env, "G1", Outcome.CURED, datetime(2026, 11, 3, 2, tzinfo=UTC), 75, "0", "0")
    november = run_cycle(env.sessions, "2026-11", tmp_path, POLICY, now=datetime(2026, 12, 1, tzinfo=UTC))
    (row,) = parse_file(november.path.read_text(encoding="utf-8")).rows
    assert (row.status, row.correction, row.overdue) == ("paid", True, 0)
    assert [r.reported_status for r in reports_for(env.sessions, "G1")] == ["M3", "paid"]
    december = run_cycle(env.sessions, "2026-12", tmp_path, POLICY, now=datetime(2027, 1, 1, tzinfo=UTC))
    (row,) = parse_file(december.path.read_text(encoding="utf-8")).rows
    assert not row.correction  # corrected once


def test_the_state_is_taken_as_of_the_date_not_as_of_now(env, tmp_path):
    episode(env, "H1", date(2026, 9, 21), datetime(2026, 9, 22, 1, tzinfo=UTC))
    notice(env, "H1", datetime(2026, 10, 9, 2, tzinfo=UTC))  # after the National Day holiday: a letter waits for it
    # A payment and a closure after 30 November (Shanghai time) do not reach the November report.
    env.acts.record_payment(PaymentCommand(episode_id="ep-H1", account_id="H1", currency="CNY",
                            payment=PaymentRecord(payment_id="p1", amount=Decimal("1234.56"),
                                                  paid_at=datetime(2026, 11, 30, 16, 30, tzinfo=UTC), channel="bank",
                                                  dpd=71, overdue_after=Decimal("0"), total_after=Decimal("6765.44"))))
    close(env, "H1", Outcome.CURED, datetime(2026, 11, 30, 16, 30, tzinfo=UTC), 71, "0", "6765.44")
    result = run_cycle(env.sessions, "2026-11", tmp_path, POLICY, now=datetime(2026, 12, 1, tzinfo=UTC))
    (row,) = parse_file(result.path.read_text(encoding="utf-8")).rows
    assert (row.status, row.dpd) == ("M3", 70)


def test_a_notice_not_posted_or_returned_undeliverable_does_not_count(env, tmp_path):
    # J's letter came back: an operator marked its address invalid. K's address was on record as
    # invalid before the notice, so nothing was posted. L's notice stands: the control.
    for account_id in ("J-RETURNED", "K-NOTPOSTED", "L-DELIVERED"):
        episode(env, account_id, date(2026, 9, 21), datetime(2026, 9, 22, 1, tzinfo=UTC))
    with env.sessions.begin() as s:
        record_consent(s, "K-NOTPOSTED", "letter", "invalid", "returned mail", datetime(2026, 10, 2, tzinfo=UTC))
    for account_id in ("J-RETURNED", "K-NOTPOSTED", "L-DELIVERED"):
        notice(env, account_id, datetime(2026, 10, 12, 2, tzinfo=UTC))  # a working day (letters wait for one)
    assert env.count(OutboxMessage, topic="letter") == 2, "no letter to an address known to be invalid"
    with env.sessions.begin() as s:
        record_consent(s, "J-RETURNED", "letter", "invalid", "returned mail", datetime(2026, 10, 20, tzinfo=UTC))
    result = run_cycle(env.sessions, "2026-11", tmp_path, POLICY, now=datetime(2026, 12, 2, tzinfo=UTC))
    rows = {r.account_id: r for r in parse_file(result.path.read_text(encoding="utf-8")).rows}
    assert (rows["L-DELIVERED"].status, rows["L-DELIVERED"].withheld) == ("M3", False)
    assert all((rows[a].status, rows[a].withheld) == ("current", True) for a in ("J-RETURNED", "K-NOTPOSTED"))
    reasons = {r.account_id: r.reason for a in ("J-RETURNED", "K-NOTPOSTED") for r in reports_for(env.sessions, a)}
    assert reasons == {
        "J-RETURNED": "withheld pending notice: the prior notice of 2026-10-12 was returned undeliverable "
                      "(address recorded invalid)",
        "K-NOTPOSTED": "withheld pending notice: the prior notice of 2026-10-12 was not sent (invalid_address)",
    }


def test_period_and_as_of_are_checked(env, tmp_path):
    with pytest.raises(ValueError, match="YYYY-MM"):
        run_cycle(env.sessions, "2026-1", tmp_path, POLICY, now=datetime(2026, 12, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="not in the period"):
        run_cycle(env.sessions, "2026-11", tmp_path, POLICY, now=datetime(2026, 12, 1, tzinfo=UTC), as_of=date(2026, 12, 1))
