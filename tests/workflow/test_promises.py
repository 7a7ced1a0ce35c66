"""Promises to pay on the time-skipping server: pause, kept, broken, tiers, refusals."""

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowUpdateFailedError

from arrears.contracts.collection import PaymentInput, PaymentResult, PromiseInput, PromiseResult, StatusView
from arrears.db.models import CollectorTask, PromiseToPay
from tests.workflow.helpers import Scenario, account_row, days
from tests.workflow.test_lifecycle import _save_history, _today

TZ = "Asia/Shanghai"


def promise(pid: str, amount: str, when, **over) -> PromiseInput:
    return PromiseInput(promise_id=pid, amount=Decimal(amount), promised_date=when, collector_id="c-7", **over)


async def _promise(handle, request: PromiseInput) -> PromiseResult:
    return await handle.execute_update("promise_to_pay", request, result_type=PromiseResult)


async def _status(env, handle) -> StatusView:
    return (await handle.query("status", result_type=StatusView)).at(await env.get_current_time())


async def test_kept_promise_pauses_escalation_and_resumes_without_replaying(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("PTPKEPT", today - timedelta(days=5), segment="medium")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        await time_env.sleep(days(0.5))
        made_at = await time_env.get_current_time()
        taken = await _promise(handle, promise("P1", "200.00", today + timedelta(days=4)))
        assert taken.status == "active" and not taken.duplicate
        before = sc.actions("PTPKEPT")
        await time_env.sleep(days(3))
        status = await _status(time_env, handle)
        assert status.paused_by and status.paused_by.startswith("promise P1")
        assert status.next_action == "charge_off"  # the only step that may run during a pause
        assert sc.actions("PTPKEPT") == before, "nothing is sent while a promise runs"
        await handle.execute_update("record_payment", PaymentInput(payment_id="PAY-1", amount=Decimal("200.00")),
                                    result_type=PaymentResult)
        resumed_at = await time_env.get_current_time()
        await time_env.sleep(days(10))
        status = await _status(time_env, handle)
        assert status.paused_by is None and status.overdue_amount == Decimal("800.00")
        await handle.execute_update("close", {"reason": "test done", "operator_id": "pytest"})
        await handle.result()
        await _save_history(handle, "promise_kept")
    after = sc.actions("PTPKEPT")[len(before):]
    assert after, "the ladder resumed"
    # No step whose time fell inside the pause ran late: the paused steps were dropped.
    assert all(when >= resumed_at - timedelta(minutes=1) for when, *_ in after)
    assert all(when < made_at or when >= resumed_at - timedelta(minutes=1) for when, *_ in sc.actions("PTPKEPT"))
    with sc.sessions() as s:
        kept = s.scalars(select(PromiseToPay)).one()
        assert (kept.status, kept.paid_toward) == ("kept", Decimal("200.00"))


async def test_broken_promises_open_follow_ups_raise_the_tier_and_need_a_supervisor(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("PTPBROKE", today - timedelta(days=3), segment="medium")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        await _promise(handle, promise("P1", "300.00", today + timedelta(days=2)))
        # Judged at the end of day +3; the follow-up is on the next working day (at most
        # three days later over a weekend): ten days covers it whatever today is.
        await time_env.sleep(days(10))
        status = await _status(time_env, handle)
        assert status.broken_promises == 1 and status.risk_segment == "medium" and status.paused_by is None
        today = await _today(time_env, TZ)
        await _promise(handle, promise("P2", "300.00", today + timedelta(days=1)))
        await time_env.sleep(days(10))
        status = await _status(time_env, handle)
        assert status.broken_promises == 2 and status.risk_segment == "high"
        today = await _today(time_env, TZ)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await _promise(handle, promise("P3", "300.00", today + timedelta(days=1)))
        assert "a supervisor must approve" in str(refused.value.cause)
        approved = await _promise(handle, promise("P3", "300.00", today + timedelta(days=1), supervisor_id="sup-1"))
        assert approved.status == "active" and approved.risk_segment == "high"
        await handle.execute_update("close", {"reason": "test done", "operator_id": "pytest"})
        await handle.result()
        await _save_history(handle, "promises_broken_twice")
    with sc.sessions() as s:
        statuses = {p.promise_id: p.status for p in s.scalars(select(PromiseToPay))}
        follow_ups = list(s.scalars(select(CollectorTask).where(CollectorTask.step_id == "broken-promise-followup")))
    # P3 was still running when the episode was closed: closed out on record, not left open.
    assert statuses == {"P1": "broken", "P2": "broken", "P3": "cancelled"}
    assert len(follow_ups) == 2
    for task in follow_ups:
        local = task.due_at.astimezone(ZoneInfo(TZ))
        assert local.weekday() < 5 and local.strftime("%H:%M") == "10:00" and task.kind == "call"


async def test_promise_refusals_come_back_with_the_reason_and_change_nothing(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("PTPREFUSE", today - timedelta(days=8), overdue="1000.00")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        first = await _promise(handle, promise("P1", "100.00", today + timedelta(days=3)))
        refusals = {
            "above the overdue amount": promise("X1", "1000.01", today + timedelta(days=3)),
            "must be positive": promise("X2", "0", today + timedelta(days=3)),
            "is in the past": promise("X3", "10.00", today - timedelta(days=1)),
            "promise horizon": promise("X4", "10.00", today + timedelta(days=15)),
            "still active; send replace=true": promise("X5", "10.00", today + timedelta(days=3)),
            "already used with different terms": promise("P1", "150.00", today + timedelta(days=3)),
        }
        for reason, request in refusals.items():
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await _promise(handle, request)
            assert reason in str(refused.value.cause), reason
        status = await _status(time_env, handle)
        assert status.active_promise is not None and status.active_promise.promise_id == "P1"
        assert status.active_promise.amount == Decimal("100.00")
        again = await _promise(handle, promise("P1", "100.00", today + timedelta(days=3)))
        assert again.duplicate and again.deadline == first.deadline
        replaced = await _promise(handle, promise("P2", "120.00", today + timedelta(days=5), replace=True))
        assert replaced.status == "active"
        await handle.execute_update("close", {"reason": "account closed", "operator_id": "pytest"})
        await handle.result()
    with sc.sessions() as s:
        rows = {p.promise_id: (p.status, p.replaced_by) for p in s.scalars(select(PromiseToPay))}
    assert rows == {"P1": ("replaced", "P2"), "P2": ("cancelled", None)}
