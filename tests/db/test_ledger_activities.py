"""Ledger postings and re-ages written once, the statement from the record; SQLite and PostgreSQL."""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D

import pytest
from sqlalchemy.exc import IntegrityError
from temporalio.exceptions import ApplicationError
from typer.testing import CliRunner

from activities.ledger import LedgerActivities
from arrears.cli.main import app
from arrears.contracts.collection_activities import PaymentCommand, PlanCommand
from arrears.domain.episode import PaymentRecord
from arrears.db.models import LedgerPosting, Reage
from arrears.domain.ledger import Opening, PaymentEvent, WaiverEvent, compute_ledger
from arrears.domain.plan import Instalment, InstalmentPlan
from arrears.domain.pricing import Pricing, ReagePolicy
from arrears.domain.strategy import Role
from arrears.contracts.ledger import PostLedgerCommand, ReageCommand
from arrears.audit.statement import render_statement, statement
from tests.db.test_activities_idempotency import DUE, NOW, Env, account_row

SHANGHAI = timezone(timedelta(hours=8))


@pytest.fixture
def env(any_db_url):
    e = Env(any_db_url)
    e.ledger = LedgerActivities(e.sessions, clock=lambda: NOW)
    yield e
    e.engine.dispose()


def opening(ep: str) -> Opening:
    # As the episode was opened by open_cmd: due 2026-03-01, overdue 1,234.56, balance 8,000.00.
    return Opening(episode_id=ep, currency="CNY", due_date=DUE, principal=D("8000.00"), overdue_minimum=D("1234.56"))


def post(env, ep: str, as_of: date, events=()):
    ledger = compute_ledger(opening(ep), Pricing(), list(events), as_of)
    return env.ledger.post_ledger(PostLedgerCommand(account_id="A1", episode_id=ep, currency="CNY",
                                                    postings=ledger.postings)), ledger


def test_postings_are_written_once_and_later_runs_add_only_new_ones(env):
    env.add_account(account_row("A1"))
    ep = env.open("A1")
    events = [PaymentEvent(on=date(2026, 3, 9), payment_id="pay-1", amount=D("500.00"))]
    first, ledger = post(env, ep, date(2026, 3, 31), events)
    assert (first.posted, first.already, first.conflicts) == (3, 0, [])  # fee 03-02, interest to 03-08, payment
    retry, _ = post(env, ep, date(2026, 3, 31), events)
    assert (retry.posted, retry.already) == (0, 3)
    later, _ = post(env, ep, date(2026, 4, 2), events)
    assert (later.posted, later.already) == (2, 3)  # interest to 04-01, fee 04-02
    rows = env.rows(LedgerPosting)
    assert [r.posting_key for r in rows] == [p.posting_key for p in ledger.postings] + [
        f"{ep}:interest:2026-04-01", f"{ep}:fee:2026-04-01"]
    payment = next(r for r in rows if r.kind == "payment")
    assert (payment.fees, payment.interest, payment.principal) == (D("-61.73"), D("-28.00"), D("-410.27"))
    assert payment.explanation == "payment pay-1 500.00: fees 61.73, interest 28.00, principal 410.27"


def test_a_concurrent_attempt_that_loses_the_race_posts_nothing_twice(env, monkeypatch):
    env.add_account(account_row("A1"))
    ep = env.open("A1")
    post(env, ep, date(2026, 3, 31))
    real = env.ledger._existing
    calls = []

    def stale_first(session, keys):
        calls.append(keys)
        return {} if len(calls) == 1 else real(session, keys)

    monkeypatch.setattr(env.ledger, "_existing", stale_first)
    loser, _ = post(env, ep, date(2026, 3, 31))
    assert len(calls) == 2  # the unique constraint fired and the second pass found the winner's rows
    assert (loser.posted, loser.already) == (0, 1)
    assert env.count(LedgerPosting) == 1


def test_a_crash_before_commit_leaves_nothing_and_the_retry_posts_everything(env, monkeypatch):
    env.add_account(account_row("A1"))
    ep = env.open("A1")
    crashed = []

    def crash(session, keys):
        crashed.append(1)
        raise TimeoutError("worker lost")

    monkeypatch.setattr(env.ledger, "_existing", crash)
    with pytest.raises(TimeoutError):
        post(env, ep, date(2026, 4, 5))
    assert crashed and env.count(LedgerPosting) == 0
    monkeypatch.undo()
    done, _ = post(env, ep, date(2026, 4, 5))
    assert done.posted == 3 and env.count(LedgerPosting) == 3


def test_a_posting_for_an_unknown_episode_fails_rather_than_counting_as_done(env):
    env.add_account(account_row("A1"))
    with pytest.raises(IntegrityError):
        post(env, "never-opened", date(2026, 3, 31))
    assert env.count(LedgerPosting) == 0


def test_a_changed_amount_under_a_posted_key_is_a_conflict_not_an_overwrite(env):
    env.add_account(account_row("A1"))
    ep = env.open("A1")
    post(env, ep, date(2026, 4, 1))
    # A payment dated 03-20 arrives after the 04-01 interest was posted: that interest is now different.
    result, _ = post(env, ep, date(2026, 4, 1), [PaymentEvent(on=date(2026, 3, 20), payment_id="late", amount=D(1000))])
    assert result.conflicts == [f"{ep}:interest:2026-04-01"] and result.posted == 2  # interest to 03-19, the payment
    assert next(r for r in env.rows(LedgerPosting) if r.posting_key.endswith("interest:2026-04-01")).interest == D("124.00")  # 31 x 0.0005 x 8,000.00, as first posted


def test_a_posting_key_twice_in_one_command_is_refused(env):
    env.add_account(account_row("A1"))
    ep = env.open("A1")
    ledger = compute_ledger(opening(ep), Pricing(), [], date(2026, 3, 31))
    with pytest.raises(ApplicationError, match="twice"):
        env.ledger.post_ledger(PostLedgerCommand(account_id="A1", episode_id=ep, currency="CNY",
                                                 postings=ledger.postings * 2))


# ---- re-ages ---------------------------------------------------------------------------------


def reage_cmd(ep: str, reage_id: str, on: date) -> ReageCommand:
    events = [PaymentEvent(on=date(2026, m, 25), payment_id=f"P{m}", amount=D("1000.00")) for m in (3, 4, 5)]
    ledger = compute_ledger(opening(ep), Pricing(penalty_rate=D(0), late_fee_percent=D(0)), events, on)
    return ReageCommand(account_id="A1", episode_id=ep, reage_id=reage_id, on=on, approved_by="sup-1",
                        reason="workout completed", currency="CNY", overdue_cleared=ledger.overdue,
                        cycles=ledger.cycles, policy=ReagePolicy())


def test_a_reage_is_recorded_once_and_counted_against_the_limits(env):
    env.add_account(account_row("A1"))
    ep = env.open("A1")
    first = env.ledger.record_reage(reage_cmd(ep, "R1", date(2026, 6, 5)))
    assert (first.recorded, first.refusal, first.in_12_months, first.in_5_years) == (True, None, 1, 1)
    again = env.ledger.record_reage(reage_cmd(ep, "R1", date(2026, 6, 5)))
    assert (again.recorded, again.duplicate, again.in_12_months) == (False, True, 1)
    # Another episode of the same account: the limits are the account's.
    ep2 = env.open("A1", episode_id="ep-A1-2")
    refused = env.ledger.record_reage(reage_cmd(ep2, "R2", date(2026, 6, 20)))
    assert not refused.recorded and refused.refusal.startswith("at most 1 re-age(s) in 12 months, 1 already")
    assert env.count(Reage) == 1


def test_a_reage_without_the_payments_is_refused(env):
    env.add_account(account_row("A1"))
    ep = env.open("A1")
    result = env.ledger.record_reage(reage_cmd(ep, "R1", date(2026, 4, 5)))
    assert result.refusal == "3 consecutive minimum payments are needed first; only 2 cycle(s) have fallen due"
    assert env.count(Reage) == 0


# ---- the statement from the record ---------------------------------------------------------------


def record_history(env, ep: str) -> None:
    env.acts.record_payment(PaymentCommand(episode_id=ep, account_id="A1", currency="CNY", payment=PaymentRecord(
        # 01:30 on 03-10 in Shanghai is still 03-09 in UTC: the ledger takes the account's local date.
        payment_id="pay-1", amount=D("500.00"), paid_at=datetime(2026, 3, 10, 1, 30, tzinfo=SHANGHAI),
        channel="app", overdue_after=D("734.56"), total_after=D("7500.00"), dpd=9)))
    env.acts.record_plan(PlanCommand(episode_id=ep, account_id="A1", currency="CNY", plan=InstalmentPlan(
        plan_id="PL1", instalments=[Instalment(due_date=date(2026, 4, 1), amount=D("800.00"))], fee_waiver=D("50.00"),
        approved_by="sup-1", approver_role=Role.SUPERVISOR, paid_before=D("500.00"),
        made_at=datetime(2026, 3, 15, 10, 0, tzinfo=SHANGHAI))))


def test_the_statement_recomputes_from_the_record_and_matches_what_was_posted(env):
    env.add_account(account_row("A1"))
    ep = env.open("A1")
    record_history(env, ep)
    as_of = date(2026, 4, 5)
    with env.sessions() as session:
        st = statement(session, "A1", as_of, Pricing())
    expected = compute_ledger(opening(ep), Pricing(), [
        PaymentEvent(on=date(2026, 3, 10), payment_id="pay-1", amount=D("500.00")),
        WaiverEvent(on=date(2026, 3, 15), waiver_id="PL1", amount=D("50.00")),
    ], as_of)
    assert st.ledger == expected
    assert st.not_posted == [p.posting_key for p in expected.postings] and st.differing == []
    env.ledger.post_ledger(PostLedgerCommand(account_id="A1", episode_id=ep, currency="CNY", postings=st.ledger.postings))
    with env.sessions() as session:
        again = statement(session, "A1", as_of, Pricing())
    assert (again.not_posted, again.differing) == ([], [])
    text = render_statement(again)
    assert "2026-03-10 payment pay-1 500.00: fees 61.73, interest 32.00, principal 406.27" in text
    # Interest 03-10..03-14 on what the payment left: 5 x 0.0005 x 7,593.73 = 18.98, all the waiver can forgive.
    assert "2026-03-15 waiver PL1 50.00: interest 18.98; 31.02 more than the fees and interest owed, not applied" in text


def test_the_statement_command(env, any_db_url):
    env.add_account(account_row("A1"))
    ep = env.open("A1")
    record_history(env, ep)
    runner = CliRunner()
    done = runner.invoke(app, ["--database-url", any_db_url, "statement", "A1", "--as-of", "2026-04-05"])
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert lines[0] == f"A1 episode {ep}, as of the end of 2026-04-05 (Asia/Shanghai), CNY"
    assert lines[1].startswith("principal 7,593.73  interest ")
    assert "overdue " in lines[3] and "DPD 35 (M2), oldest unpaid minimum due 2026-03-01" in lines[3]
    assert "2026-03-02 late fee for the minimum due 2026-03-01: 5% x 1,234.56 unpaid = 61.73" in lines
    bad = runner.invoke(app, ["--database-url", any_db_url, "statement", "NOPE", "--as-of", "2026-04-05"])
    assert bad.exit_code == 1 and "account NOPE is not in the system of record" in bad.output
