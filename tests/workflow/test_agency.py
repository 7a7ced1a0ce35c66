"""Agency placement on the time-skipping server: pause, recall, renewal, commission, cure, no room."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from arrears.desk.agencies import import_agencies
from arrears.contracts.collection import PaymentInput, PaymentResult
from arrears.db.models import AgencyCommission, AgencyPlacement, CollectorTask, Episode, OutboxMessage
from tests.workflow.helpers import Scenario, account_row, days
from tests.workflow.test_lifecycle import _save_history, _today
from tests.workflow.test_promises import _status

TZ = "Asia/Shanghai"
# Accounts start at DPD 118 (or 119) at whatever local time the test server's clock shows; each
# sleep lands inside the window it checks for any start time within that day.
# The default ladder places at DPD 120, 09:30; medium-risk late SMS fall on DPD 123 and 137, legal at 150.
PLACE_DPD = 120


def agencies(sc: Scenario, tmp_path: Path, body: str) -> None:
    path = tmp_path / "agencies.csv"
    path.write_text("agency_id,name,commission_percent,capacity,placement_days\n" + body, encoding="utf-8")
    result = import_agencies(sc.sessions, path, datetime.now(timezone.utc))
    assert result.rejected == []


async def _pay(handle, payment_id: str, amount: str, channel: str = "agency") -> PaymentResult:
    return await handle.execute_update(
        "record_payment", PaymentInput(payment_id=payment_id, amount=Decimal(amount), channel=channel),
        result_type=PaymentResult,
    )


async def _close(handle) -> None:
    await handle.execute_update("close", {"reason": "test done", "operator_id": "pytest"})
    await handle.result()


def placement(sc: Scenario) -> AgencyPlacement:
    with sc.sessions() as s:
        return s.scalars(select(AgencyPlacement)).one()


async def test_placed_account_gets_no_reminders_and_is_recalled_to_the_next_step(time_env, migrated_sqlite, tmp_path):
    sc = Scenario(time_env.client, migrated_sqlite)
    agencies(sc, tmp_path, "AG-A,Alpha,15,5,10\nAG-B,Beta,20,5,10\n")
    today = await _today(time_env, TZ)
    row = account_row("AGRECALL", today - timedelta(days=PLACE_DPD - 2), segment="medium")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        await time_env.sleep(days(3))
        status = await _status(time_env, handle)
        assert status.placement is not None and status.placement.agency_id == "AG-A"
        assert status.paused_by and status.paused_by.startswith("agency placement with AG-A (Alpha) until")
        assert status.next_action == "charge_off", "only a charge-off may run while placed"
        before = sc.actions("AGRECALL")
        await time_env.sleep(days(6))  # past DPD 123, when the late SMS would have gone
        assert sc.actions("AGRECALL") == before, "nothing is sent while the agency holds the account"
        assert placement(sc).status == "placed"
        await time_env.sleep(days(11))  # the period ended at DPD 130 09:30; now past DPD 137 10:00
        status = await _status(time_env, handle)
        assert status.placement is None and status.paused_by is None and status.outcome is None
        after = [(action, key) for _, action, _, key in sc.actions("AGRECALL")[len(before):]]
        assert after == [("sms", "late-sms@137")], "the ladder resumed at the next step; DPD 123 was not replayed"
        assert status.next_step_id == "late-legal"
        await _close(handle)
        await _save_history(handle, "agency_recalled")
    p = placement(sc)
    assert (p.agency_id, p.status, p.renewals, p.collected) == ("AG-A", "recalled", 0, Decimal("0"))
    assert p.ended_at is not None and p.reason.startswith("recalled: AG-A reported no payment in the 10-day period")
    assert p.ends_at - p.placed_at == timedelta(days=10)
    with sc.sessions() as s:
        events = [m.payload["event"] for m in s.scalars(select(OutboxMessage).where(OutboxMessage.topic == "agency"))]
    assert events == ["placed", "recalled"]


async def test_agency_payments_earn_commission_and_renew_the_placement(time_env, migrated_sqlite, tmp_path):
    sc = Scenario(time_env.client, migrated_sqlite)
    agencies(sc, tmp_path, "AG-C,Gamma,12.5,5,10\n")
    today = await _today(time_env, TZ)
    row = account_row("AGRENEW", today - timedelta(days=PLACE_DPD - 2), segment="medium", overdue="1000.00")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        await time_env.sleep(days(4))
        status = await _status(time_env, handle)
        first_end = status.placement.ends_at
        paid = await _pay(handle, "AG-PAY-1", "100.20")  # 12.525 commission: half up to 12.53
        assert paid.overdue_amount == Decimal("899.80") and paid.outcome is None
        again = await _pay(handle, "AG-PAY-1", "100.20")
        assert again.duplicate
        status = await _status(time_env, handle)
        assert (status.placement.collected, status.placement.commission) == (Decimal("100.20"), Decimal("12.53"))
        await time_env.sleep(days(9))  # the first period ended with a payment: renewed
        status = await _status(time_env, handle)
        assert status.placement is not None and status.placement.status == "renewed"
        assert status.placement.renewals == 1 and status.placement.ends_at == first_end + timedelta(days=10)
        assert status.paused_by and "AG-C" in status.paused_by
        # A payment the customer makes to the bank is no agency payment: no commission, no renewal.
        await _pay(handle, "BANK-1", "50.00", channel="bank_transfer")
        await time_env.sleep(days(10))
        status = await _status(time_env, handle)
        assert status.placement is None and status.paused_by is None
        await _close(handle)
        await _save_history(handle, "agency_renewed_then_recalled")
    p = placement(sc)
    assert (p.status, p.renewals, p.collected, p.ends_at) == ("recalled", 1, Decimal("100.20"), first_end + timedelta(days=10))
    with sc.sessions() as s:
        fee = s.scalars(select(AgencyCommission)).one()
        assert (fee.payment_id, fee.agency_id, fee.payment_amount, fee.percent, fee.commission, fee.currency) == (
            "AG-PAY-1", "AG-C", Decimal("100.20"), Decimal("12.5"), Decimal("12.53"), "CNY")
        assert fee.placement_id == p.id


async def test_a_cure_while_placed_ends_the_episode_and_closes_the_placement(time_env, migrated_sqlite, tmp_path):
    sc = Scenario(time_env.client, migrated_sqlite)
    agencies(sc, tmp_path, "AG-D,Delta,18,5,30\n")
    today = await _today(time_env, TZ)
    row = account_row("AGCURE", today - timedelta(days=PLACE_DPD - 2), segment="high", overdue="1200.50")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        await time_env.sleep(days(5))
        assert (await _status(time_env, handle)).placement is not None
        paid = await _pay(handle, "AG-PAY-9", "1200.50")
        assert paid.outcome == "cured" and paid.overdue_amount == 0
        result = await handle.result()
        await _save_history(handle, "agency_cured")
    assert result.outcome == "cured"
    p = placement(sc)
    assert (p.status, p.reason, p.collected) == ("closed", "episode ended: cured", Decimal("1200.50"))
    with sc.sessions() as s:
        assert s.scalars(select(AgencyCommission)).one().commission == Decimal("216.09")  # 216.09 exactly
        assert s.scalars(select(Episode)).one().outcome == "cured"


async def test_with_no_agency_room_a_task_says_so_and_the_ladder_goes_on(time_env, migrated_sqlite, tmp_path):
    sc = Scenario(time_env.client, migrated_sqlite)
    agencies(sc, tmp_path, "AG-E,Epsilon,15,1,30\n")
    today = await _today(time_env, TZ)
    async with sc.worker():
        # The first reaches its agency step a day before the second and takes the only slot.
        first = await sc.start(account_row("AGFULL1", today - timedelta(days=PLACE_DPD - 1)),
                               now=await time_env.get_current_time())
        second = await sc.start(account_row("AGFULL2", today - timedelta(days=PLACE_DPD - 2)),
                                now=await time_env.get_current_time())
        await time_env.sleep(days(4))
        held, left = await _status(time_env, first), await _status(time_env, second)
        assert held.placement is not None and held.placement.agency_id == "AG-E"
        assert left.placement is None and left.paused_by is None
        await time_env.sleep(days(3))
        assert ("sms", "late-sms@123") in [(a, k) for _, a, _, k in sc.actions("AGFULL2")]
        await _close(first)
        await _close(second)
    with sc.sessions() as s:
        task = s.scalars(select(CollectorTask).where(CollectorTask.account_id == "AGFULL2")).one()
    assert task.kind == "agency" and task.note.startswith("NOT PLACED with an agency: every agency is at capacity (AG-E 1/1)")
    assert placement(sc).status == "closed", "the operator's close closed the placement on record"
