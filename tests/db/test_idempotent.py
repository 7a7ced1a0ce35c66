"""insert_once: a duplicate rolls back only its own insert, on SQLite and PostgreSQL."""

from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arrears.db.engine import make_engine, make_sessionmaker
from arrears.db.idempotent import insert_once
from arrears.db.migrate import upgrade
from arrears.db.models import CollectorTask, OutboxMessage

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)


@pytest.fixture
def sessions(any_db_url):
    upgrade(any_db_url)
    engine = make_engine(any_db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def message(key: str, topic: str = "sms") -> OutboxMessage:
    return OutboxMessage(idempotency_key=key, topic=topic, account_id="A1", payload={}, created_at=NOW)


def lookup(session: Session, key: str):
    return lambda: session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))


def keys_on_record(sessions) -> list[str]:
    with sessions() as session:
        return sorted(session.scalars(select(OutboxMessage.idempotency_key)))


def test_inserts_once_and_finds_the_row_on_a_repeat(sessions):
    with sessions.begin() as session:
        row, created = insert_once(session, message("k1"), existing=lookup(session, "k1"))
        assert created and row.id is not None
    with sessions.begin() as session:
        again, created = insert_once(session, message("k1", "letter"), existing=lookup(session, "k1"))
        assert not created and again.id == row.id and again.topic == "sms"
    assert keys_on_record(sessions) == ["k1"]


def test_a_duplicate_rolls_back_only_its_insert(sessions):
    with sessions.begin() as session:
        session.add(message("k1"))
    with sessions.begin() as session:
        session.add(message("before"))
        calls = []

        def existing():
            # Blind the first look, as if the winner committed between the look and the insert.
            calls.append(1)
            return None if len(calls) == 1 else lookup(session, "k1")()

        row, created = insert_once(session, message("k1", "letter"), existing=existing)
        assert not created and row.topic == "sms" and len(calls) == 2
        session.add(message("after"))
    assert keys_on_record(sessions) == ["after", "before", "k1"]


def test_the_insert_is_undone_with_the_callers_transaction(sessions):
    with pytest.raises(RuntimeError):
        with sessions.begin() as session:
            session.scalar(select(OutboxMessage.id))  # a read first: no write has opened the transaction yet
            insert_once(session, message("k1"), existing=lookup(session, "k1"))
            raise RuntimeError("the caller fails after the insert")
    assert keys_on_record(sessions) == []


def test_a_violation_the_lookup_cannot_explain_is_raised(sessions):
    with sessions.begin() as session:
        session.add(message("k1"))
    with pytest.raises(IntegrityError):
        with sessions.begin() as session:
            insert_once(session, message("k1"), existing=lambda: None)
    assert keys_on_record(sessions) == ["k1"]


def test_a_missing_parent_row_is_raised_not_taken_as_done(sessions):
    task = CollectorTask(idempotency_key="t1", episode_id="no-such-episode", account_id="A1", step_id="s", kind="call",
                         status="open", dpd=1, stage="early", due_at=NOW, created_at=NOW, note="", queue="call")
    with pytest.raises(IntegrityError):
        with sessions.begin() as session:
            insert_once(session, task, existing=lambda: session.scalar(
                select(CollectorTask).where(CollectorTask.idempotency_key == "t1")))
