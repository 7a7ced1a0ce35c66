"""CollectionActivities write each side effect once, on SQLite and PostgreSQL alike."""

from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy import func, select
from temporalio.exceptions import ApplicationError

from activities.collection import CollectionActivities
from arrears import PROJECT_ROOT
from arrears.channels.adapter import OutboxAdapter
from arrears.channels.render import Renderer
from arrears.contracts.collection_activities import (
    CloseEpisodeCommand,
    OpenEpisodeCommand,
    PaymentCommand,
    StageChangeCommand,
    StepCommand,
)
from arrears.domain.episode import PaymentRecord
from arrears.db.engine import make_engine, make_sessionmaker
from arrears.db.migrate import upgrade
from arrears.db.models import (
    AccountAction,
    CollectorTask,
    ContactAttempt,
    Episode,
    OutboxMessage,
    Payment,
    StageEvent,
)
from arrears.domain.account import AccountRow
from arrears.domain.delinquency import Outcome
from arrears.domain.ladder import ScheduledStep
from arrears.domain.strategy import Action, Segment
from arrears.intake.importer import upsert_accounts

NOW = datetime(2026, 3, 9, 2, 0, tzinfo=timezone.utc)
DUE = date(2026, 3, 1)


def account_row(account_id: str, language: str = "zh-CN", email: str = "x@example.com", currency: str = "CNY") -> AccountRow:
    return AccountRow(
        account_id=account_id,
        customer_name="李伟" if language == "zh-CN" else "Ann Lee",
        phone="+8613800000000",
        email=email,
        billing_address="1 Century Avenue, Shanghai",
        language=language,
        timezone="Asia/Shanghai",
        risk_segment=Segment.HIGH,
        currency=currency,
        overdue_amount=Decimal("1234.56"),
        total_balance=Decimal("8000.00"),
        due_date=DUE,
    )


class Env:
    def __init__(self, url: str, adapter=None) -> None:
        upgrade(url)
        self.engine = make_engine(url)
        self.sessions = make_sessionmaker(self.engine)
        self.renderer = Renderer(PROJECT_ROOT / "templates")
        self.acts = CollectionActivities(self.sessions, self.renderer, adapter=adapter, clock=lambda: NOW)

    def count(self, model, **where) -> int:
        with self.sessions() as s:
            stmt = select(func.count()).select_from(model)
            for name, value in where.items():
                stmt = stmt.where(getattr(model, name) == value)
            return s.scalar(stmt)

    def rows(self, model):
        with self.sessions() as s:
            return list(s.scalars(select(model).order_by(model.id)))

    def add_account(self, row: AccountRow) -> None:
        upsert_accounts(self.engine, [row], NOW)

    def open(self, account_id: str, episode_id: str | None = None) -> str:
        episode_id = episode_id or f"ep-{account_id}"
        assert self.acts.open_episode(open_cmd(account_id, episode_id)) is True
        return episode_id


@pytest.fixture
def env(any_db_url):
    e = Env(any_db_url)
    yield e
    e.engine.dispose()


def open_cmd(account_id: str, episode_id: str) -> OpenEpisodeCommand:
    return OpenEpisodeCommand(
        episode_id=episode_id,
        account_id=account_id,
        workflow_id=f"arrears-{account_id}",
        run_id="run-1",
        started_at=NOW,
        due_date=DUE,
        dpd_at_start=8,
        currency="CNY",
        overdue_amount=Decimal("1234.56"),
        total_balance=Decimal("8000.00"),
        risk_segment=Segment.HIGH,
        strategy_name="default",
        strategy_hash="0" * 64,
    )


def step_cmd(account_id: str, episode_id: str, action: Action, step_id: str, dpd: int = 8,
             template: str | None = None, stage: str = "early", currency: str = "CNY",
             overdue: Decimal = Decimal("1234.56")) -> StepCommand:
    return StepCommand(
        episode_id=episode_id,
        account_id=account_id,
        step=ScheduledStep(
            key=f"{step_id}@{dpd}",
            step_id=step_id,
            action=action,
            dpd=dpd,
            due_at=NOW,
            template=template,
        ),
        executed_at=NOW,
        dpd=dpd,
        stage=stage,
        currency=currency,
        overdue_amount=overdue,
        total_balance=Decimal("8000.00"),
        due_date=DUE,
        strategy_hash="0" * 64,
    )


def sms(account_id: str, episode_id: str) -> StepCommand:
    return step_cmd(account_id, episode_id, Action.SMS, "early-sms", template="sms_early")


# ---- episodes -------------------------------------------------------------------------


def test_open_episode_once(env):
    env.add_account(account_row("A1"))
    cmd = open_cmd("A1", "ep-1")
    assert env.acts.open_episode(cmd) is True
    assert env.acts.open_episode(cmd) is False
    assert env.count(Episode) == 1
    (episode,) = _episodes(env)
    assert episode.opening_overdue == Decimal("1234.56")
    assert episode.opening_balance == Decimal("8000.00")
    assert episode.outcome is None


def _episodes(env):
    with env.sessions() as s:
        return list(s.scalars(select(Episode)))


def test_open_episode_for_unknown_account_is_refused(env):
    with pytest.raises(ApplicationError, match="not in the system of record"):
        env.acts.open_episode(open_cmd("NOPE", "ep-x"))
    assert env.count(Episode) == 0


def test_close_episode_once(env):
    env.add_account(account_row("A1"))
    ep = env.open("A1")
    cmd = CloseEpisodeCommand(
        episode_id=ep, account_id="A1", outcome=Outcome.CURED, reason="paid in full", closed_by="workflow",
        dpd=12, closed_at=NOW + timedelta(days=4), overdue_amount=Decimal("0"), total_balance=Decimal("6765.44"),
    )
    assert env.acts.close_episode(cmd) is True
    second = cmd.model_copy(update={"outcome": Outcome.CLOSED, "reason": "operator"})
    assert env.acts.close_episode(second) is False
    (episode,) = _episodes(env)
    assert episode.outcome == "cured"
    assert episode.outcome_reason == "paid in full"
    assert episode.closing_dpd == 12
    assert episode.closing_balance == Decimal("6765.44")
    assert env.count(StageEvent, episode_id=ep) == 1
    assert env.rows(StageEvent)[0].stage == "cured"


def test_close_unknown_episode_is_refused(env):
    cmd = CloseEpisodeCommand(
        episode_id="ghost", account_id="A1", outcome=Outcome.CLOSED, reason="x", closed_by="op",
        dpd=1, closed_at=NOW, overdue_amount=Decimal("1"), total_balance=Decimal("1"),
    )
    with pytest.raises(ApplicationError, match="never opened"):
        env.acts.close_episode(cmd)


# ---- reminders --------------------------------------------------------------------------


def test_sms_step_twice_writes_one_contact_and_one_outbox_row(env):
    env.add_account(account_row("A1"))
    ep = env.open("A1")
    cmd = sms("A1", ep)
    first = env.acts.execute_step(cmd)
    second = env.acts.execute_step(cmd)
    assert first.duplicate is False and second.duplicate is True
    assert first.record_id == second.record_id
    assert first.idempotency_key == second.idempotency_key == f"{ep}:early-sms@8"
    assert first.kind == second.kind == "contact"
    assert first.detail == second.detail == "queued"
    assert env.count(ContactAttempt) == 1
    assert env.count(OutboxMessage) == 1
    (attempt,) = env.rows(ContactAttempt)
    (message,) = env.rows(OutboxMessage)
    assert attempt.id == first.record_id
    assert attempt.recipient == "+8613800000000"
    assert attempt.channel == "sms" and attempt.template == "sms_early" and attempt.result == "queued"
    assert message.idempotency_key == attempt.idempotency_key
    assert message.topic == "sms"
    assert message.payload["to"] == "+8613800000000"
    assert message.payload["body"] == attempt.rendered_text


@pytest.mark.parametrize(
    "language, expected, unexpected",
    [("zh-CN", "现已逾期8天", "days overdue"), ("en", "is now 8 days overdue", "逾期")],
)
def test_rendered_text_is_in_the_account_language(env, language, expected, unexpected):
    env.add_account(account_row("A1", language=language))
    ep = env.open("A1")
    env.acts.execute_step(sms("A1", ep))
    (attempt,) = env.rows(ContactAttempt)
    assert attempt.language == language
    assert expected in attempt.rendered_text
    assert unexpected not in attempt.rendered_text
    assert "CNY 1,234.56" in attempt.rendered_text


def test_email_without_address_records_no_address_and_sends_nothing(env):
    env.add_account(account_row("A1", email=""))
    ep = env.open("A1")
    cmd = step_cmd("A1", ep, Action.EMAIL, "early-email", dpd=2, template="email_early")
    result = env.acts.execute_step(cmd)
    assert result.detail == "no_address"
    assert env.count(OutboxMessage) == 0
    (attempt,) = env.rows(ContactAttempt)
    assert attempt.result == "no_address"
    assert attempt.recipient == ""
    assert attempt.subject  # still rendered: evidence of what would have been said
    again = env.acts.execute_step(cmd)
    assert again.duplicate is True and again.detail == "no_address" and again.record_id == result.record_id
    assert env.count(ContactAttempt) == 1


def test_email_with_address_has_subject(env):
    env.add_account(account_row("A1", language="en", email="ann@example.com"))
    ep = env.open("A1")
    env.acts.execute_step(step_cmd("A1", ep, Action.EMAIL, "early-email", dpd=2, template="email_early"))
    (attempt,) = env.rows(ContactAttempt)
    (message,) = env.rows(OutboxMessage)
    assert attempt.subject == "Arrears Demo Bank: your card payment is 2 days overdue"
    assert not attempt.rendered_text.startswith("Subject")
    assert message.topic == "email" and message.payload["to"] == "ann@example.com"
    assert message.payload["subject"] == attempt.subject


def test_contact_for_missing_account_is_refused_and_writes_nothing(env):
    env.add_account(account_row("A1"))
    ep = env.open("A1")
    with pytest.raises(ApplicationError):
        env.acts.execute_step(sms("GHOST", ep))
    assert env.count(ContactAttempt) == 0 and env.count(OutboxMessage) == 0


# ---- tasks and account actions ------------------------------------------------------------


def test_call_step_creates_one_collector_task(env):
    env.add_account(account_row("A1"))
    ep = env.open("A1")
    cmd = step_cmd("A1", ep, Action.CALL, "early-call-risky", dpd=10)
    first = env.acts.execute_step(cmd)
    second = env.acts.execute_step(cmd)
    assert (first.kind, first.channel, first.duplicate, first.detail) == ("task", "call", False, "open")
    assert (second.duplicate, second.record_id) == (True, first.record_id)
    (task,) = env.rows(CollectorTask)
    assert task.id == first.record_id
    assert task.kind == "call" and task.status == "open" and task.dpd == 10
    assert "CNY 1,234.56" in task.note
    assert env.count(OutboxMessage, topic="collections") == 1
    assert env.count(ContactAttempt) == 0


def test_restrict_card_creates_one_action_and_one_card_message(env):
    env.add_account(account_row("A1"))
    ep = env.open("A1")
    cmd = step_cmd("A1", ep, Action.RESTRICT_CARD, "mid-restrict-card", dpd=31, stage="mid")
    first = env.acts.execute_step(cmd)
    second = env.acts.execute_step(cmd)
    assert (first.kind, first.channel, first.duplicate) == ("account_action", "restrict_card", False)
    assert (second.duplicate, second.record_id) == (True, first.record_id)
    (action,) = env.rows(AccountAction)
    assert action.action == "restrict_card" and action.dpd == 31
    assert action.overdue_amount == Decimal("1234.56")
    (message,) = env.rows(OutboxMessage)
    assert message.topic == "card"
    assert message.payload == {
        "action": "restrict_card", "dpd": 31, "overdue_amount": "1234.56", "total_balance": "8000.00", "currency": "CNY",
    }


def test_distinct_occurrences_of_one_step_are_distinct_records(env):
    env.add_account(account_row("A1"))
    ep = env.open("A1")
    a = env.acts.execute_step(step_cmd("A1", ep, Action.SMS, "early-sms", dpd=8, template="sms_early"))
    b = env.acts.execute_step(step_cmd("A1", ep, Action.SMS, "early-sms", dpd=15, template="sms_early"))
    assert a.record_id != b.record_id and not b.duplicate
    assert env.count(ContactAttempt) == 2 and env.count(OutboxMessage) == 2


# ---- payments and stage events ----------------------------------------------------------------


def payment_cmd(ep: str, amount: Decimal = Decimal("1234.5678"), paid_at: datetime = NOW) -> PaymentCommand:
    return PaymentCommand(
        episode_id=ep,
        account_id="A1",
        currency="BHD",
        payment=PaymentRecord(
            payment_id="pay-1", amount=amount, paid_at=paid_at, channel="bank_transfer",
            overdue_after=Decimal("0.0001"), total_after=Decimal("99999999999999.9999"), dpd=9,
        ),
    )


def test_record_payment_once_with_exact_amount(env):
    env.add_account(account_row("A1"))
    ep = env.open("A1")
    cmd = payment_cmd(ep)
    assert env.acts.record_payment(cmd) is True
    assert env.acts.record_payment(cmd) is False
    (payment,) = env.rows(Payment)
    assert isinstance(payment.amount, Decimal)
    assert payment.amount == Decimal("1234.5678")
    assert str(payment.amount) == "1234.5678"
    assert payment.overdue_after == Decimal("0.0001")
    assert payment.total_after == Decimal("99999999999999.9999")
    assert payment.dpd == 9


def test_same_payment_id_for_another_account_is_a_new_payment(env):
    env.add_account(account_row("A1"))
    env.add_account(account_row("A2"))
    ep1 = env.open("A1")
    ep2 = env.open("A2")
    assert env.acts.record_payment(payment_cmd(ep1)) is True
    other = payment_cmd(ep2).model_copy(update={"account_id": "A2"})
    assert env.acts.record_payment(other) is True
    assert env.count(Payment) == 2


def test_payment_for_an_episode_not_yet_recorded_fails_and_is_not_taken_as_done(env):
    """A constraint violation other than "already recorded" must surface, so Temporal retries."""
    env.add_account(account_row("A1"))
    with pytest.raises(IntegrityError):
        env.acts.record_payment(payment_cmd("episode-not-opened-yet"))
    assert env.count(Payment) == 0
    ep = env.open("A1", episode_id="episode-not-opened-yet")
    assert env.acts.record_payment(payment_cmd(ep)) is True  # the retry, once the episode exists
    assert env.count(Payment) == 1


def test_payment_time_keeps_its_instant(env, any_db_url):
    # SQLite keeps no offset; UtcDateTime stores UTC and reads it back aware.
    env.add_account(account_row("A1"))
    ep = env.open("A1")
    paid_at = datetime(2026, 3, 9, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # 02:00 UTC
    env.acts.record_payment(payment_cmd(ep, paid_at=paid_at))
    (payment,) = env.rows(Payment)
    assert payment.paid_at.tzinfo is not None and payment.paid_at == paid_at


def test_record_stage_change_once(env):
    env.add_account(account_row("A1"))
    ep = env.open("A1")
    cmd = StageChangeCommand(episode_id=ep, account_id="A1", stage="mid", previous_stage="early", dpd=31, occurred_at=NOW)
    assert env.acts.record_stage_change(cmd) is True
    assert env.acts.record_stage_change(cmd) is False
    (event,) = env.rows(StageEvent)
    assert (event.stage, event.previous_stage, event.dpd) == ("mid", "early", 31)
    late = cmd.model_copy(update={"stage": "late", "previous_stage": "mid", "dpd": 91})
    assert env.acts.record_stage_change(late) is True
    assert env.count(StageEvent) == 2


# ---- failures and retries --------------------------------------------------------------------


class FailOnce(OutboxAdapter):
    """Writes its outbox row, then fails the first delivery (gateway timeout)."""

    def __init__(self) -> None:
        self.calls = 0

    def deliver(self, session, message, now):
        self.calls += 1
        result = super().deliver(session, message, now)
        session.flush()  # the row really is in the transaction when the failure strikes
        if self.calls == 1:
            raise ConnectionError("gateway timed out")
        return result


@pytest.mark.parametrize(
    "action, step_id, template, model",
    [
        (Action.SMS, "early-sms", "sms_early", ContactAttempt),
        (Action.CALL, "mid-call", None, CollectorTask),
        (Action.RESTRICT_CARD, "mid-restrict-card", None, AccountAction),
    ],
)
def test_adapter_failure_inside_the_transaction_writes_nothing_then_retry_writes_once(any_db_url, action, step_id, template, model):
    adapter = FailOnce()
    env = Env(any_db_url, adapter=adapter)
    try:
        env.add_account(account_row("A1"))
        ep = env.open("A1")
        cmd = step_cmd("A1", ep, action, step_id, template=template)
        with pytest.raises(ConnectionError):
            env.acts.execute_step(cmd)
        assert env.count(model) == 0
        assert env.count(OutboxMessage) == 0
        retry = env.acts.execute_step(cmd)
        assert retry.duplicate is False
        assert env.count(model) == 1 and env.count(OutboxMessage) == 1
        assert adapter.calls == 2
        again = env.acts.execute_step(cmd)
        assert again.duplicate is True and again.record_id == retry.record_id
        assert adapter.calls == 2  # a duplicate never reaches the gateway
    finally:
        env.engine.dispose()


class CrashAfterCommit:
    """A sessionmaker whose first transaction commits, then the worker 'dies' before answering."""

    def __init__(self, sessions) -> None:
        self.sessions = sessions
        self.crashed = False

    def __call__(self, *args, **kwargs):
        return self.sessions(*args, **kwargs)

    @contextmanager
    def begin(self):
        with self.sessions.begin() as session:
            yield session
        if not self.crashed:
            self.crashed = True
            raise TimeoutError("activity lost after commit")


def test_retry_after_a_crash_following_commit_finds_the_first_attempt(env):
    env.add_account(account_row("A1"))
    ep = env.open("A1")
    crashing = CollectionActivities(CrashAfterCommit(env.sessions), env.renderer, clock=lambda: NOW)
    cmd = sms("A1", ep)
    with pytest.raises(TimeoutError):
        crashing.execute_step(cmd)
    assert env.count(ContactAttempt) == 1 and env.count(OutboxMessage) == 1  # committed before the crash
    retry = crashing.execute_step(cmd)
    assert retry.duplicate is True
    assert retry.record_id == env.rows(ContactAttempt)[0].id
    assert retry.detail == "queued"
    assert env.count(ContactAttempt) == 1 and env.count(OutboxMessage) == 1


def test_concurrent_attempt_that_loses_the_race_returns_the_winner(env, monkeypatch):
    env.add_account(account_row("A1"))
    ep = env.open("A1")
    cmd = step_cmd("A1", ep, Action.RESTRICT_CARD, "mid-restrict-card", dpd=31, stage="mid")
    winner = env.acts.execute_step(cmd)
    # The loser checked before the winner committed: its pre-check saw nothing.
    real = env.acts._existing
    calls = []

    def stale_first(model, key):
        calls.append(key)
        return None if len(calls) == 1 else real(model, key)

    monkeypatch.setattr(env.acts, "_existing", stale_first)
    loser = env.acts.execute_step(cmd)
    assert len(calls) == 2  # the unique constraint fired and the winner was looked up
    assert loser.duplicate is True and loser.record_id == winner.record_id
    assert env.count(AccountAction) == 1 and env.count(OutboxMessage) == 1
