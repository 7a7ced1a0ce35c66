"""Instalment plans on the time-skipping server: completed, broken, cancelled, refused."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowUpdateFailedError

from arrears.contracts.collection import CancelPlanInput, PaymentInput, PaymentResult, PlanInput, PlanResult
from arrears.db.models import CollectorTask, Plan
from arrears.domain.plan import Instalment
from tests.workflow.helpers import Scenario, account_row, days
from tests.workflow.test_lifecycle import _save_history, _today
from tests.workflow.test_promises import _status

TZ = "Asia/Shanghai"


def plan(pid: str, today, *pairs, role: str = "supervisor", **over) -> PlanInput:
    return PlanInput(
        plan_id=pid,
        instalments=[Instalment(due_date=today + timedelta(days=d), amount=Decimal(a)) for d, a in pairs],
        approved_by="sup-1", approver_role=role, **over,
    )


async def _agree(handle, request: PlanInput) -> PlanResult:
    return await handle.execute_update("agree_plan", request, result_type=PlanResult)


async def _pay(handle, pid: str, amount: str) -> PaymentResult:
    return await handle.execute_update("record_payment", PaymentInput(payment_id=pid, amount=Decimal(amount)),
                                       result_type=PaymentResult)


async def test_a_completed_plan_ends_cured_and_escalation_waits_meanwhile(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("PLANOK", today - timedelta(days=20), overdue="1000.00", balance="4000.00")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        await sc.settle(handle)  # the card restriction a DPD-20 import carries lands before the plan
        agreed = await _agree(handle, plan("PL1", today, (10, "400.00"), (40, "350.00"), down_payment=Decimal("200.00"),
                                           fee_waiver=Decimal("50.00")))
        assert (agreed.status, agreed.instalments, agreed.total) == ("active", 3, Decimal("950.00"))
        before = sc.actions("PLANOK")
        await _pay(handle, "DOWN", "200.00")
        await time_env.sleep(days(9))
        await _pay(handle, "I1", "400.00")
        await time_env.sleep(days(25))
        status = await _status(time_env, handle)
        assert status.paused_by and status.paused_by.startswith("instalment plan PL1 (2 of 3")
        assert sc.actions("PLANOK") == before, "no reminders or calls while the plan runs"
        last = await _pay(handle, "I2", "350.00")
        assert last.outcome == "cured"
        result = await handle.result()
        await _save_history(handle, "plan_completed")
    assert result.outcome == "cured" and "plan PL1 completed" in result.reason
    assert result.overdue_amount == 0 and result.total_balance == Decimal("3000.00")  # 4000 - 950 paid - 50 waived
    with sc.sessions() as s:
        assert s.scalars(select(Plan)).one().status == "completed"


async def test_a_missed_instalment_breaks_the_plan_and_returns_to_the_ladder(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("PLANBAD", today - timedelta(days=20), overdue="1000.00")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        await _agree(handle, plan("PL1", today, (5, "500.00"), (35, "500.00")))
        before = len(sc.actions("PLANBAD"))
        await time_env.sleep(days(15))
        status = await _status(time_env, handle)
        assert status.paused_by is None and status.active_plan is None
        assert len(sc.actions("PLANBAD")) > before, "the ladder resumed"
        await handle.execute_update("close", {"reason": "test done", "operator_id": "pytest"})
        await handle.result()
        await _save_history(handle, "plan_broken")
    with sc.sessions() as s:
        stored = s.scalars(select(Plan)).one()
        follow_up = s.scalars(select(CollectorTask).where(CollectorTask.step_id == "broken-plan-followup")).one()
    assert stored.status == "broken" and "was not paid" in stored.status_reason
    assert follow_up.kind == "call"


async def test_plan_refusals_and_supervisor_cancellation(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("PLANCXL", today - timedelta(days=20), overdue="1000.00")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        refusals = {
            "above the collector limit": plan("X1", today, (5, "990.00"), role="collector", fee_waiver=Decimal("10.00")),
            "do not cover the overdue amount": plan("X2", today, (5, "900.00")),
            "within 30 days": plan("X3", today, (31, "1000.00")),
        }
        for reason, request in refusals.items():
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await _agree(handle, request)
            assert reason in str(refused.value.cause), reason
        assert (await _status(time_env, handle)).active_plan is None
        await _agree(handle, plan("PL1", today, (5, "1000.00")))
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update("cancel_plan", CancelPlanInput(plan_id="PL1", reason="customer asked",
                                                                       supervisor_id="c-1", supervisor_role="collector"))
        assert "only a supervisor or manager" in str(refused.value.cause)
        cancelled = await handle.execute_update(
            "cancel_plan", CancelPlanInput(plan_id="PL1", reason="customer asked", supervisor_id="sup-1",
                                           supervisor_role="supervisor"), result_type=PlanResult)
        assert cancelled.status == "cancelled"
        status = await _status(time_env, handle)
        assert status.paused_by is None and status.next_action is not None
        await handle.execute_update("close", {"reason": "test done", "operator_id": "pytest"})
        await handle.result()
    with sc.sessions() as s:
        stored = s.scalars(select(Plan)).one()
    assert stored.status == "cancelled" and stored.status_reason == "customer asked (by sup-1)"
