"""Promises cannot stall escalation, through the workflow's validator (issue 14 item 5).

The minimum share is enforced already (the validator passes the strategy's
policy and the overdue amount). The replacement limit needs the workflow to
pass ``replaced_count`` to ``promise_refusal``: docs/handoff/security.md. Until
the lead wires it, that test is skipped.
"""

from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from tests.workflow.helpers import Scenario, account_row
from tests.workflow.test_lifecycle import _today
from tests.workflow.test_promises import _promise, promise

TZ = "Asia/Shanghai"


async def test_a_promise_below_the_strategys_minimum_is_refused(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("PTPMIN", today - timedelta(days=8), overdue="1000.00")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await _promise(handle, promise("P1", "99.99", today + timedelta(days=3)))
        assert "below the minimum 100.00 (10% of the overdue amount 1000.00)" in str(refused.value.cause)
        assert (await _promise(handle, promise("P1", "100.00", today + timedelta(days=3)))).status == "active"
        await handle.execute_update("close", {"reason": "test done", "operator_id": "pytest"})
        await handle.result()


async def test_a_third_replacement_needs_a_supervisor(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("PTPREPL", today - timedelta(days=8), overdue="1000.00")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        await _promise(handle, promise("P1", "200.00", today + timedelta(days=3)))
        await _promise(handle, promise("P2", "200.00", today + timedelta(days=4), replace=True))
        await _promise(handle, promise("P3", "200.00", today + timedelta(days=5), replace=True))
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await _promise(handle, promise("P4", "200.00", today + timedelta(days=6), replace=True))
        assert "2 promises have already been replaced in this episode" in str(refused.value.cause)
        approved = await _promise(handle, promise("P4", "200.00", today + timedelta(days=6), replace=True,
                                                  supervisor_id="sup-1"))
        assert approved.status == "active"
        await handle.execute_update("close", {"reason": "test done", "operator_id": "pytest"})
        await handle.result()
