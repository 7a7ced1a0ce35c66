"""A record the database refuses for good fails the activity at once: RecordRejected, non-retryable, no values shown."""

from decimal import Decimal

import pytest
from temporalio.exceptions import ApplicationError

from arrears.contracts.collection_activities import PaymentCommand
from arrears.domain.episode import PaymentRecord
from arrears.db.models import Payment
from tests.db.test_activities_idempotency import NOW, Env, account_row


@pytest.fixture
def env(any_db_url):
    e = Env(any_db_url)
    e.add_account(account_row("A1"))
    yield e
    e.engine.dispose()


def _payment(env: Env, **changes) -> PaymentCommand:
    record = PaymentRecord.model_construct(  # past the bounds on purpose: what an older workflow might still send
        payment_id="pay-1", amount=Decimal("10.00"), paid_at=NOW, channel="bank_transfer",
        overdue_after=Decimal("0"), total_after=Decimal("0"), dpd=9, on=None)
    for name, value in changes.items():
        setattr(record, name, value)
    return PaymentCommand.model_construct(episode_id=env.open("A1"), account_id="A1", currency="CNY", payment=record)


def test_an_amount_numeric_20_4_cannot_hold_is_rejected_not_retried(env):
    with pytest.raises(ApplicationError) as failed:
        env.acts.record_payment(_payment(env, amount=Decimal("1E+309")))
    assert failed.value.type == "RecordRejected" and failed.value.non_retryable
    assert "record_payment" in failed.value.message and "NUMERIC(20, 4)" in failed.value.message
    assert failed.value.__cause__ is None  # the statement and its parameters stay out of the history
    assert env.count(Payment) == 0


def test_a_fifth_decimal_is_refused_rather_than_rounded(env):
    with pytest.raises(ApplicationError) as failed:
        env.acts.record_payment(_payment(env, amount=Decimal("1E-30")))
    assert failed.value.type == "RecordRejected"
    assert env.count(Payment) == 0


def test_text_too_long_for_its_column_is_rejected_on_postgresql(env, any_db_url):
    if not any_db_url.startswith("postgresql"):
        pytest.skip("SQLite does not enforce VARCHAR lengths; the bounds refuse such text before it gets here")
    secret = "Secret Customer Name " * 3
    with pytest.raises(ApplicationError) as failed:
        env.acts.record_payment(_payment(env, channel=secret))
    assert failed.value.type == "RecordRejected" and failed.value.non_retryable
    assert "StringDataRightTruncation" in failed.value.message
    assert "Secret" not in failed.value.message
    assert env.count(Payment) == 0


def test_a_transient_error_is_still_retried(env, monkeypatch):
    from sqlalchemy.exc import OperationalError

    class Down:
        def _refuse(self, *args, **kwargs):
            raise OperationalError("select 1", {}, Exception("connection refused"))

        __call__ = begin = _refuse

    command = _payment(env)
    monkeypatch.setattr(env.acts, "sessions", Down())
    with pytest.raises(OperationalError):  # not RecordRejected: the next attempt may well succeed
        env.acts.record_payment(command)
