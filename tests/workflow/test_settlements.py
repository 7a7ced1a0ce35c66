"""Settlements on the time-skipping server: paid before expiry ends `settled`; expiry returns to the ladder."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowUpdateFailedError

from arrears.contracts.collection import PaymentInput, PaymentResult, SettlementInput, SettlementResult
from arrears.db.models import Episode, Settlement
from tests.workflow.helpers import Scenario, account_row, days
from tests.workflow.test_lifecycle import _save_history, _today
from tests.workflow.test_promises import _status

TZ = "Asia/Shanghai"


def offer(oid: str, amount: str, expires_on, role: str = "supervisor", **over) -> SettlementInput:
    return SettlementInput(offer_id=oid, amount=Decimal(amount), expires_on=expires_on, approved_by="sup-1",
                           approver_role=role, **over)


async def _offer(handle, request: SettlementInput) -> SettlementResult:
    return await handle.execute_update("offer_settlement", request, result_type=SettlementResult)


async def test_settlement_paid_before_expiry_ends_settled_with_the_forgiven_amount(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("SETTLE1", today - timedelta(days=100), segment="low", overdue="2000.00", balance="5000.00")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        await time_env.sleep(days(1))
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await _offer(handle, offer("S1", "3000.00", today + timedelta(days=10), role="collector"))
        assert "above the collector limit of 10%" in str(refused.value.cause)
        made = await _offer(handle, offer("S1", "4000.00", today + timedelta(days=10)))
        assert made.status == "open" and made.discount_percent == Decimal("20.00")
        before = sc.actions("SETTLE1")
        await time_env.sleep(days(3))
        status = await _status(time_env, handle)
        assert status.paused_by and status.paused_by.startswith("settlement offer S1")
        assert sc.actions("SETTLE1") == before, "escalation waits while the offer is open"
        part = await handle.execute_update("record_payment", PaymentInput(payment_id="PAY-1", amount=Decimal("1500.00")),
                                           result_type=PaymentResult)
        assert part.outcome is None
        rest = await handle.execute_update("record_payment", PaymentInput(payment_id="PAY-2", amount=Decimal("2500.00")),
                                           result_type=PaymentResult)
        assert rest.outcome == "settled"
        result = await handle.result()
        await _save_history(handle, "settlement_paid")
    assert result.outcome == "settled" and "forgiven 1000.00 CNY" in result.reason
    with sc.sessions() as s:
        settlement = s.scalars(select(Settlement)).one()
        assert (settlement.status, settlement.paid_toward, settlement.forgiven) == ("paid", Decimal("4000.00"), Decimal("1000.00"))
        assert s.scalars(select(Episode)).one().outcome == "settled"


async def test_an_expired_offer_returns_the_account_to_the_ladder(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("SETTLE2", today - timedelta(days=40), overdue="2000.00", balance="5000.00")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        await _offer(handle, offer("S1", "4500.00", today + timedelta(days=2)))
        again = await _offer(handle, offer("S1", "4500.00", today + timedelta(days=2)))
        assert again.duplicate
        before = len(sc.actions("SETTLE2"))
        await time_env.sleep(days(12))
        status = await _status(time_env, handle)
        assert status.paused_by is None and status.open_offer is None and status.outcome is None
        assert len(sc.actions("SETTLE2")) > before, "the ladder resumed after expiry"
        await handle.execute_update("close", {"reason": "test done", "operator_id": "pytest"})
        await handle.result()
    with sc.sessions() as s:
        settlement = s.scalars(select(Settlement)).one()
        assert (settlement.status, settlement.forgiven) == ("expired", Decimal("0"))
