"""An update whose argument is out of bounds is refused before it reaches history.

The Temporal Python SDK decodes an update's argument before the validator
runs; when the pydantic model refuses it (here PaymentInput.amount, a Money),
the update is *rejected*: no UpdateAccepted event, the workflow task
completes, and the episode goes on. These tests send the raw JSON a careless
caller would (a dict, not the model), so the workflow's own decoding is what
refuses it.
"""

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError

from arrears.contracts.collection import PaymentInput, PaymentResult, StatusView
from arrears.db.models import Payment
from tests.workflow.helpers import Scenario, account_row


def _chain(error: BaseException) -> str:
    """The failure and its causes, as the caller receives them."""
    parts = []
    while error is not None:
        parts.append(str(error))
        error = error.__cause__
    return " <- ".join(parts)


@pytest.mark.parametrize("tag, amount", [("HUGE", "1e309"), ("TINY", "1e-30"), ("E16", "10000000000000000")])
async def test_out_of_bounds_payment_is_rejected_without_a_history_event(time_env, migrated_sqlite, tag, amount):
    sc = Scenario(time_env.client, migrated_sqlite)
    due = (await time_env.get_current_time()).astimezone(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=3)
    row = account_row(f"BND-{tag}", due)
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        await sc.settle(handle)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update("record_payment", {"payment_id": "P-huge", "amount": amount},
                                        result_type=PaymentResult)
        said = _chain(refused.value.cause)
        assert "amount" in said, said
        assert "Failed decoding arguments" in said  # the SDK's rejection of an argument it cannot decode
        history = await handle.fetch_history()
        kinds = [e.event_type for e in history.events]
        assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED not in kinds
        assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in kinds
        # The episode keeps working: a good payment is taken and recorded.
        good = await handle.execute_update(
            "record_payment", PaymentInput(payment_id="P-ok", amount=Decimal("100.00")), result_type=PaymentResult)
        assert good.accepted and good.overdue_amount == Decimal("900.00")
        status = await handle.query("status", result_type=StatusView)
        assert status.paid_total == Decimal("100.00")
        await handle.execute_update("close", {"reason": "test done", "operator_id": "pytest"})
        await handle.result()
    with sc.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 1


def test_callers_refuse_the_same_values_with_the_field_named():
    """The CLI and API build PaymentInput first: the same bound refuses before any call."""
    from pydantic import ValidationError

    for amount in ("1e309", "1e-30"):
        with pytest.raises(ValidationError) as refused:
            PaymentInput(payment_id="P-1", amount=amount)
        assert refused.value.errors()[0]["loc"] == ("amount",)
