"""Recovery activities write each recovery (row and ledger posting) and the outcome once; SQLite and PostgreSQL."""

from datetime import date, timedelta, timezone
from decimal import Decimal as D

import pytest
from sqlalchemy.exc import IntegrityError
from temporalio.exceptions import ApplicationError

from activities.account_actions import AccountActionActivities
from activities.recovery import RECOVERY_REFUSED, RecoveryActivities
from arrears.contracts.account import LegalReferralCommand
from arrears.contracts.collection_activities import PaymentCommand
from arrears.domain.episode import PaymentRecord
from arrears.db.models import LedgerPosting, Recovery, RecoveryOutcomeRecord
from arrears.domain.legal import LegalState
from arrears.contracts.recovery import CloseRecoveryCommand, LegalCaseLookup, RecoveryCommand, RecoveryOutcome
from tests.db.test_activities_idempotency import NOW, Env, account_row

PAID_AT = NOW + timedelta(days=200)


@pytest.fixture
def env(any_db_url):
    e = Env(any_db_url)
    e.add_account(account_row("A1"))
    e.open("A1", "ep-1")
    e.recovery = RecoveryActivities(e.sessions, clock=lambda: NOW)
    yield e
    e.engine.dispose()


def recovery(payment_id: str = "R-1", amount: str = "300.00", after: str = "300.00", episode_id: str = "ep-1",
             channel: str = "bank_transfer") -> RecoveryCommand:
    return RecoveryCommand(
        account_id="A1", episode_id=episode_id, currency="CNY", payment_id=payment_id, amount=D(amount),
        channel=channel, paid_at=PAID_AT, posted_on=PAID_AT.astimezone(timezone(timedelta(hours=8))).date(),
        written_off=D("8000.00"), recovered_total_after=D(after),
    )


def test_a_recovery_is_a_row_and_a_ledger_posting_and_a_retry_writes_neither_again(env):
    first = env.recovery.record_recovery(recovery())
    again = env.recovery.record_recovery(recovery())
    assert first.created and not again.created and again.recovery_id == first.recovery_id
    [row] = env.rows(Recovery)
    assert (row.idempotency_key, row.payment_id, row.amount, row.recovered_total_after, row.episode_id) == (
        "ep-1:recovery:R-1", "R-1", D("300.00"), D("300.00"), "ep-1")
    [posting] = env.rows(LedgerPosting)
    assert (posting.posting_key, posting.kind, posting.unapplied, posting.principal, posting.posted_on) == (
        "ep-1:recovery:R-1", "recovery", D("300.00"), D(0), PAID_AT.astimezone(timezone(timedelta(hours=8))).date())
    assert posting.explanation == "recovery R-1 300.00: against the write-off of 8,000.00"


def test_a_crash_before_commit_leaves_nothing_and_the_retry_writes_both(env, monkeypatch):
    def crash(session, key):
        raise TimeoutError("worker lost")

    monkeypatch.setattr(env.recovery, "_existing", crash)
    with pytest.raises(TimeoutError):
        env.recovery.record_recovery(recovery())
    assert env.count(Recovery) == 0 and env.count(LedgerPosting) == 0
    monkeypatch.undo()
    assert env.recovery.record_recovery(recovery()).created
    assert env.count(Recovery) == 1 and env.count(LedgerPosting) == 1


def test_a_concurrent_attempt_that_loses_the_race_posts_nothing_twice(env, monkeypatch):
    winner = env.recovery.record_recovery(recovery())
    real = env.recovery._existing
    calls = []

    def stale_first(session, key):
        calls.append(key)
        return None if len(calls) == 1 else real(session, key)

    monkeypatch.setattr(env.recovery, "_existing", stale_first)
    loser = env.recovery.record_recovery(recovery())
    assert len(calls) == 2  # the unique constraint fired and the second look found the winner's row
    assert not loser.created and loser.recovery_id == winner.recovery_id
    assert env.count(Recovery) == 1 and env.count(LedgerPosting) == 1


def test_a_recovery_for_an_unknown_episode_fails_rather_than_counting_as_done(env):
    with pytest.raises(IntegrityError):
        env.recovery.record_recovery(recovery(episode_id="never-opened"))
    assert env.count(Recovery) == 0 and env.count(LedgerPosting) == 0


def test_a_payment_id_the_episode_applied_or_a_changed_repeat_is_refused(env):
    env.acts.record_payment(PaymentCommand(episode_id="ep-1", account_id="A1", currency="CNY", payment=PaymentRecord(
        payment_id="P-EP", amount=D("100.00"), paid_at=NOW, channel="bank_transfer", overdue_after=D("1134.56"),
        total_after=D("7900.00"), dpd=8)))
    with pytest.raises(ApplicationError, match="already applied to the account before the write-off") as refused:
        env.recovery.record_recovery(recovery(payment_id="P-EP"))
    assert refused.value.non_retryable and refused.value.type == RECOVERY_REFUSED
    env.recovery.record_recovery(recovery())
    with pytest.raises(ApplicationError, match="is on record with 300.00"):
        env.recovery.record_recovery(recovery(amount="301.00", after="301.00"))
    assert env.count(Recovery) == 1 and env.count(LedgerPosting) == 1


def close_cmd(outcome=RecoveryOutcome.RECOVERED) -> CloseRecoveryCommand:
    return CloseRecoveryCommand(
        account_id="A1", episode_id="ep-1", workflow_id="arrears-recovery-A1", currency="CNY", outcome=outcome,
        reason="recovered in full", closed_by="workflow", written_off=D("8000.00"), recovered_total=D("8000.00"),
        forgiven=D(0), closed_at=PAID_AT,
    )


def test_the_outcome_is_recorded_once_also_when_a_concurrent_attempt_wins(env, monkeypatch):
    assert env.recovery.close_recovery(close_cmd()) is True
    assert env.recovery.close_recovery(close_cmd()) is False
    real = env.recovery._outcome
    calls = []

    def stale_first(session, key):
        calls.append(key)
        return None if len(calls) == 1 else real(session, key)

    monkeypatch.setattr(env.recovery, "_outcome", stale_first)
    assert env.recovery.close_recovery(close_cmd()) is False
    assert len(calls) == 2
    [row] = env.rows(RecoveryOutcomeRecord)
    assert (row.recovery_outcome, row.recovered_total, row.idempotency_key) == ("recovered", D("8000.00"),
                                                                               "ep-1:recovery-outcome")


def test_the_legal_case_is_read_when_there_is_one(env):
    lookup = LegalCaseLookup(account_id="A1", episode_id="ep-1")
    assert env.recovery.load_legal_case(lookup) is None
    actions = AccountActionActivities(env.sessions, env.renderer, clock=lambda: NOW)
    referred = actions.refer_to_legal(LegalReferralCommand(
        episode_id="ep-1", account_id="A1", step_id="late-legal", dpd=150, referred_at=NOW,
        referred_on=date(2026, 7, 1), principal=D("60000.00"), currency="CNY", allowed=True,
        reasons=["criteria none met"], criteria="none", costs_recoverable=False,
    ))
    view = env.recovery.load_legal_case(lookup)
    assert view is not None and view.case_id == referred.case_id
    assert (view.case.state, view.case.referred_on) == (LegalState.REFERRED, date(2026, 7, 1))
    assert env.recovery.load_legal_case(LegalCaseLookup(account_id="OTHER", episode_id="ep-1")) is None
