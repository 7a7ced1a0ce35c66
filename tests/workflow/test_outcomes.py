"""Collectors' outcomes on the time-skipping server: wrong number, callback, visit evidence, refusals."""

import hashlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowUpdateFailedError

from arrears.contracts.collection import OutcomeInput, OutcomeResult
from arrears.db.models import Account, CollectorTask, ContactAttempt, ContactOutcomeRecord, OutboxMessage
from arrears.audit.evidence_store import EvidenceStore, add_local_file
from arrears.intake.importer import upsert_accounts
from tests.workflow.helpers import Scenario, account_row, days
from tests.workflow.test_lifecycle import _save_history, _today

TZ = "Asia/Shanghai"


async def _log(handle, request: OutcomeInput) -> OutcomeResult:
    return await handle.execute_update("log_contact_outcome", request, result_type=OutcomeResult)


async def test_wrong_number_blocks_the_phone_and_a_callback_is_scheduled(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("OUT1", today - timedelta(days=2), segment="medium")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        task = await sc.wait_for_task(time_env, "OUT1", "call")  # the DPD 3 call
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await _log(handle, OutcomeInput(task_id=task.id + 999, outcome="no_answer", collector_id="c-1"))
        assert "no such task" in str(refused.value.cause)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await _log(handle, OutcomeInput(task_id=task.id, outcome="promise_made", collector_id="c-1"))
        assert "record the promise first" in str(refused.value.cause)
        now = await time_env.get_current_time()
        callback_at = datetime.combine((now + timedelta(days=2)).astimezone(ZoneInfo(TZ)).date(),
                                       datetime.min.time().replace(hour=16), tzinfo=ZoneInfo(TZ))
        logged = await _log(handle, OutcomeInput(task_id=task.id, outcome="callback_requested", collector_id="c-1",
                                                 duration_seconds=95, reason_for_delinquency="cash_flow",
                                                 callback_at=callback_at))
        assert logged.callback_step == f"callback-{task.id}"
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await _log(handle, OutcomeInput(task_id=task.id, outcome="busy", collector_id="c-1"))
        assert "already recorded" in str(refused.value.cause)
        await time_env.sleep(days(3))
        with sc.sessions() as s:
            callback = s.scalars(select(CollectorTask).where(CollectorTask.step_id == "callback-requested")).one()
            second = s.scalars(select(CollectorTask).where(CollectorTask.account_id == "OUT1",
                                                           CollectorTask.step_id == "early-call-risky",
                                                           CollectorTask.dpd == 10)).first()
        assert abs(callback.due_at - callback_at) < timedelta(seconds=1)  # opened at the agreed local time
        # A wrong number on the next task: texts stop reaching that phone.
        task_id = second.id if second else callback.id
        await _log(handle, OutcomeInput(task_id=task_id, outcome="wrong_number", collector_id="c-2"))
        await time_env.sleep(days(14))
        await handle.execute_update("close", {"reason": "test done", "operator_id": "pytest"})
        await handle.result()
        await _save_history(handle, "contact_outcomes")
    with sc.sessions() as s:
        account = s.get(Account, "OUT1")
        assert account.phone_invalid
        after = list(s.scalars(select(ContactAttempt).where(ContactAttempt.account_id == "OUT1",
                                                            ContactAttempt.channel == "sms",
                                                            ContactAttempt.result == "suppressed:address_invalid")))
        assert after, "an SMS step after the wrong number is recorded as not sent"
        keys = {a.idempotency_key for a in after}
        assert not s.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key.in_(keys))).first()
        first = s.scalars(select(ContactOutcomeRecord).where(ContactOutcomeRecord.task_id == task.id)).one()
        assert (first.outcome, first.reason_for_delinquency, first.duration_seconds) == ("callback_requested", "cash_flow", 95)
        assert s.get(CollectorTask, task.id).status == "done"
        later_calls = list(s.scalars(select(CollectorTask).where(CollectorTask.account_id == "OUT1",
                                                                 CollectorTask.kind == "call",
                                                                 CollectorTask.id > task_id)))
        assert later_calls and all(c.note.startswith("PHONE MARKED WRONG") for c in later_calls)
    # The bank imports a different number: the block lifts.
    upsert_accounts(sc.engine, [row.model_copy(update={"phone": "+86 139 1111 2222"})], datetime.now(ZoneInfo("UTC")))
    with sc.sessions() as s:
        assert not s.get(Account, "OUT1").phone_invalid


async def test_a_visit_outcome_keeps_its_evidence_hashes(time_env, migrated_sqlite, tmp_path):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("OUT2", today - timedelta(days=99), segment="medium")
    photo_file = tmp_path / "door.jpg"
    photo_file.write_bytes(b"\xff\xd8\xff\xe0 a photo of the door")
    store = EvidenceStore(tmp_path / "evidence", 1 << 20, ["image/jpeg"])
    gone = "ev-" + "0" * 64  # cited, never uploaded
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        photo = add_local_file(sc.sessions, store, "OUT2", photo_file, uploaded_by="f-1",
                               now=await time_env.get_current_time())
        # The DPD 100 visit (on a working day: past a weekend or a holiday week if need be).
        visit = await sc.wait_for_task(time_env, "OUT2", "visit", limit=days(12))
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await _log(handle, OutcomeInput(task_id=visit.id, outcome="right_party_contact", collector_id="f-1"))
        assert "needs its visit report" in str(refused.value.cause)
        await _log(handle, OutcomeInput(
            task_id=visit.id, outcome="right_party_contact", collector_id="f-1", reason_for_delinquency="job_loss",
            visit={"address_verified": True, "met_cardholder": True, "evidence_files": [photo.evidence_id, gone],
                   "safety_note": "dog in the yard"}))
        await handle.execute_update("close", {"reason": "test done", "operator_id": "pytest"})
        await handle.result()
    with sc.sessions() as s:
        record = s.scalars(select(ContactOutcomeRecord).where(ContactOutcomeRecord.task_id == visit.id)).one()
    assert record.visit["address_verified"] and record.visit["safety_note"] == "dog in the yard"
    assert record.visit["evidence"] == [
        {"evidence_id": photo.evidence_id, "sha256": hashlib.sha256(photo_file.read_bytes()).hexdigest(), "missing": False},
        {"evidence_id": gone, "sha256": None, "missing": True},
    ]
