"""Hold activities and the effective-collection register write each fact once, on SQLite and PostgreSQL."""

from datetime import timedelta
from decimal import Decimal

import pytest
from temporalio.exceptions import ApplicationError

from arrears.contracts.collection import OutcomeInput
from arrears.contracts.collection_activities import HoldCommand, HoldEndCommand, OutcomeCommand
from arrears.db.models import CollectorTask, EffectiveCollection, Hold, OutboxMessage
from arrears.domain.desk import DESK_TASKS
from arrears.domain.holds import HoldRecord, HoldType
from arrears.domain.strategy import Action
from tests.db.test_activities_idempotency import NOW, Env, account_row, step_cmd


@pytest.fixture
def env(any_db_url):
    e = Env(any_db_url)
    e.add_account(account_row("H1"))
    e.open("H1", "ep-1")
    yield e
    e.engine.dispose()


def hold_cmd(hold_id: str, hold_type: HoldType, episode_id: str = "ep-1", **over) -> HoldCommand:
    hold = HoldRecord(hold_id=hold_id, hold_type=hold_type, reason="letter from the court", evidence_ref="DOC-9",
                      placed_by="sup-1", placed_at=NOW, **over)
    return HoldCommand(episode_id=episode_id, account_id="H1", hold=hold, dpd=8, stage="early", currency="CNY",
                       overdue_amount=Decimal("1234.56"))


def end_cmd(hold_id: str, status: str = "released", resolution: str | None = "discharged") -> HoldEndCommand:
    return HoldEndCommand(episode_id="ep-1", account_id="H1", hold_id=hold_id, status=status, resolution=resolution,
                          released_by="sup-2", at=NOW + timedelta(days=3))


def test_a_hold_is_written_once_and_ended_once(env):
    cmd = hold_cmd("B-1", HoldType.BANKRUPTCY)
    first = env.acts.record_hold(cmd)
    again = env.acts.record_hold(cmd)
    assert (first.created, first.task_id) == (True, None)
    assert (again.created, again.task_id) == (False, None)
    (row,) = env.rows(Hold)
    assert (row.hold_type, row.status, row.placed_by, row.evidence_ref) == ("bankruptcy", "active", "sup-1", "DOC-9")
    assert env.acts.end_hold(end_cmd("B-1")) is True
    assert env.acts.end_hold(end_cmd("B-1", resolution="other")) is False  # a repeat changes nothing
    (row,) = env.rows(Hold)
    assert (row.status, row.resolution, row.released_by) == ("released", "discharged", "sup-2")


def test_deceased_opens_one_estate_task_outside_the_desk(env):
    cmd = hold_cmd("D-1", HoldType.DECEASED)
    first = env.acts.record_hold(cmd)
    again = env.acts.record_hold(cmd)
    assert first.created and not again.created
    assert first.task_id is not None and again.task_id == first.task_id  # a retry returns the same task
    (task,) = env.rows(CollectorTask)
    assert (task.kind, task.queue, task.assigned_to, task.step_id) == ("estate", "estate", None, "hold-deceased")
    assert task.kind not in DESK_TASKS
    assert task.note.startswith("deceased hold D-1 placed by sup-1: letter from the court")
    assert env.count(OutboxMessage, topic="collections") == 1


def test_attorney_represented_opens_an_attorney_task(env):
    result = env.acts.record_hold(hold_cmd("A-1", HoldType.ATTORNEY_REPRESENTED))
    with env.sessions() as s:
        assert s.get(CollectorTask, result.task_id).kind == "attorney"


def test_a_hardship_keeps_its_end_and_expires(env):
    env.acts.record_hold(hold_cmd("HS-1", HoldType.HARDSHIP, days=30, expires_at=NOW + timedelta(days=30)))
    assert env.acts.end_hold(end_cmd("HS-1", status="expired", resolution=None)) is True
    (row,) = env.rows(Hold)
    assert row.status == "expired" and row.expires_at == NOW + timedelta(days=30)


def test_a_hold_id_from_an_earlier_episode_is_refused_not_taken_as_done(env):
    env.acts.record_hold(hold_cmd("H-7", HoldType.DISPUTE))
    env.open("H1", "ep-2")
    with pytest.raises(ApplicationError) as refused:
        env.acts.record_hold(hold_cmd("H-7", HoldType.DISPUTE, episode_id="ep-2"))
    assert refused.value.non_retryable and "already on record for account H1" in refused.value.message
    assert env.count(Hold) == 1


def test_ending_a_hold_not_yet_on_record_is_retried(env):
    with pytest.raises(ApplicationError) as refused:
        env.acts.end_hold(end_cmd("NOPE"))
    assert not refused.value.non_retryable


def test_concurrent_hold_that_loses_the_race_returns_the_winner(env, monkeypatch):
    cmd = hold_cmd("D-2", HoldType.DECEASED)
    winner = env.acts.record_hold(cmd)
    # The loser looked before the winner committed: its first look saw nothing, then the unique constraint fired.
    real = env.acts._earlier_hold
    calls = []

    def stale_first(session, c):
        calls.append(c.hold.hold_id)
        return None if len(calls) == 1 else real(session, c)

    monkeypatch.setattr(env.acts, "_earlier_hold", stale_first)
    loser = env.acts.record_hold(cmd)
    assert len(calls) == 2
    assert (loser.created, loser.task_id) == (False, winner.task_id)
    assert env.count(Hold) == 1 and env.count(CollectorTask) == 1 and env.count(OutboxMessage) == 1


def test_a_right_party_contact_enters_the_register_once_with_its_evidence(env):
    task_id = env.acts.execute_step(step_cmd("H1", "ep-1", Action.CALL, "early-call")).record_id
    outcome = OutcomeInput(task_id=task_id, outcome="right_party_contact", collector_id="c-1", duration_seconds=120,
                           note="will pay Friday")
    cmd = OutcomeCommand(episode_id="ep-1", account_id="H1", outcome=outcome, recorded_at=NOW,
                         effective_collection="right_party_contact")
    assert env.acts.record_outcome(cmd) is True
    assert env.acts.record_outcome(cmd) is False
    (row,) = env.rows(EffectiveCollection)
    assert (row.kind, row.source_ref, row.idempotency_key) == ("right_party_contact", f"task {task_id}", f"ep-1:outcome:{task_id}")
    assert row.evidence["task_kind"] == "call" and row.evidence["duration_seconds"] == 120
    assert row.evidence["collector_id"] == "c-1" and row.evidence["note"] == "will pay Friday"


def test_an_outcome_that_reached_nobody_is_not_in_the_register(env):
    task_id = env.acts.execute_step(step_cmd("H1", "ep-1", Action.CALL, "early-call")).record_id
    outcome = OutcomeInput(task_id=task_id, outcome="no_answer", collector_id="c-1")
    env.acts.record_outcome(OutcomeCommand(episode_id="ep-1", account_id="H1", outcome=outcome, recorded_at=NOW))
    assert env.count(EffectiveCollection) == 0
