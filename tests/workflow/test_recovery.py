"""AccountRecovery on the time-skipping server: payments against the write-off, settlement, close, legal case."""

import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError

from activities.account_actions import AccountActionActivities
from arrears.contracts.account import LegalReferralCommand
from arrears.contracts.collection import CloseInput, PaymentInput, SettlementInput, SettlementResult
from arrears.contracts.collection_activities import OpenEpisodeCommand
from arrears.db.models import LedgerPosting, LegalCaseEvent, Recovery, RecoveryOutcomeRecord, Settlement
from arrears.domain.legal import LegalEvent, LegalState
from arrears.domain.strategy import Segment
from arrears.intake.importer import upsert_accounts
from arrears.contracts.names import RECOVERY_TYPE, recovery_workflow_id
from arrears.contracts.recovery import (
    LegalCaseUpdate,
    LegalCaseUpdateResult,
    RecoveryInput,
    RecoveryPaymentResult,
    RecoveryResult,
    RecoveryStatus,
)
from tests.workflow.helpers import DEFAULT, Scenario, account_row, days
from tests.workflow.test_lifecycle import _save_history, _today

TZ = "Asia/Shanghai"


class RecoveryScenario(Scenario):
    """A starter for AccountRecovery, beside the episode's (the standard worker runs both)."""

    def charged_off_episode(self, account_id: str, today: date) -> str:
        """The account and its charged-off episode row (the recoveries' foreign key)."""
        row = account_row(account_id, today - timedelta(days=180))
        upsert_accounts(self.engine, [row], datetime.now(timezone.utc))
        episode_id = f"ep-{account_id}-{uuid.uuid4().hex[:8]}"
        self.activities.open_episode(OpenEpisodeCommand(
            episode_id=episode_id, account_id=account_id, workflow_id=f"arrears-{account_id}", run_id="run-1",
            started_at=datetime.now(timezone.utc), due_date=row.due_date, dpd_at_start=1, currency="CNY",
            overdue_amount=row.overdue_amount, total_balance=row.total_balance, risk_segment=Segment.MEDIUM,
            strategy_name=DEFAULT.name, strategy_hash=DEFAULT.content_hash(),
        ))
        return episode_id

    def refer(self, account_id: str, episode_id: str, on: date) -> int:
        actions = AccountActionActivities(self.sessions, self.activities.renderer)
        referred = actions.refer_to_legal(LegalReferralCommand(
            episode_id=episode_id, account_id=account_id, step_id="late-legal", dpd=150,
            referred_at=datetime.now(timezone.utc), referred_on=on, principal=D("60000.00"), currency="CNY",
            allowed=True, reasons=["criteria none met"], criteria="none", costs_recoverable=False,
        ))
        assert referred.case_id is not None
        return referred.case_id

    async def start_recovery(self, account_id: str, today: date, written_off: str, legal: bool = False
                             ) -> tuple[WorkflowHandle, str]:
        episode_id = self.charged_off_episode(account_id, today)
        case_id = self.refer(account_id, episode_id, today - timedelta(days=30)) if legal else None
        inp = RecoveryInput(
            account_id=account_id, episode_id=episode_id, currency="CNY", written_off=D(written_off),
            written_off_on=today, timezone=TZ, strategy=DEFAULT, strategy_hash=DEFAULT.content_hash(),
            legal_case_id=str(case_id) if case_id else None,
        )
        handle = await self.client.start_workflow(
            RECOVERY_TYPE, inp, id=recovery_workflow_id(account_id), task_queue=self.settings.task_queue,
            result_type=RecoveryResult,
        )
        self.started.append(handle)
        return handle, episode_id


async def _pay(handle, payment_id: str, amount: str, **kw) -> RecoveryPaymentResult:
    return await handle.execute_update("record_payment", PaymentInput(payment_id=payment_id, amount=D(amount), **kw),
                                       result_type=RecoveryPaymentResult)


async def _status(handle) -> RecoveryStatus:
    return await handle.query("status", result_type=RecoveryStatus)


async def test_payments_are_recorded_once_and_recovering_the_written_off_amount_ends_it(time_env, migrated_sqlite):
    sc = RecoveryScenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    async with sc.worker():
        handle, episode_id = await sc.start_recovery("RECOV1", today, written_off="1000.00")
        for amount, reason in (("-5.00", "must be positive"), ("0", "must be positive"),
                               ("1.001", "more decimals than CNY allows")):
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await _pay(handle, "BAD", amount)
            assert reason in str(refused.value.cause)
        first = await _pay(handle, "R-1", "400.00")
        assert (first.duplicate, first.recovered_total, first.outstanding, first.outcome) == (
            False, D("400.00"), D("600.00"), None)
        again = await _pay(handle, "R-1", "400.00")
        assert again.duplicate and (again.recovered_total, again.outstanding) == (D("400.00"), D("600.00"))
        with pytest.raises(WorkflowUpdateFailedError) as changed:
            await _pay(handle, "R-1", "401.00")
        assert "already recorded with amount 400.00" in str(changed.value.cause)
        status = await _status(handle)
        assert (status.recovered, status.outstanding, [p.payment_id for p in status.payments]) == (
            D("400.00"), D("600.00"), ["R-1"])
        await time_env.sleep(days(3))
        last = await _pay(handle, "R-2", "600.00")
        assert last.outcome == "recovered" and last.outstanding == 0
        result = await handle.result()
        await _save_history(handle, "recovery_paid_in_full")
    assert (result.outcome, result.recovered, result.forgiven) == ("recovered", D("1000.00"), D(0))
    assert "recovered in full with payment R-2" in result.reason
    with sc.sessions() as s:
        rows = s.scalars(select(Recovery).order_by(Recovery.id)).all()
        assert [(r.payment_id, r.amount, r.recovered_total_after, r.idempotency_key) for r in rows] == [
            ("R-1", D("400.00"), D("400.00"), f"{episode_id}:recovery:R-1"),
            ("R-2", D("600.00"), D("1000.00"), f"{episode_id}:recovery:R-2")]
        postings = s.scalars(select(LedgerPosting).order_by(LedgerPosting.id)).all()
        assert [(p.posting_key, p.kind, p.unapplied) for p in postings] == [
            (f"{episode_id}:recovery:R-1", "recovery", D("400.00")),
            (f"{episode_id}:recovery:R-2", "recovery", D("600.00"))]
        assert postings[0].explanation == "recovery R-1 400.00: against the write-off of 1,000.00"
        outcome = s.scalars(select(RecoveryOutcomeRecord)).one()
        assert (outcome.recovery_outcome, outcome.recovered_total, outcome.episode_id) == (
            "recovered", D("1000.00"), episode_id)


async def test_a_settlement_paid_ends_it_settled_with_the_rest_forgiven(time_env, migrated_sqlite):
    sc = RecoveryScenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    async with sc.worker():
        handle, _ = await sc.start_recovery("RECOV2", today, written_off="5000.00")
        await _pay(handle, "R-0", "1000.00")

        def offer(oid, amount, role="supervisor") -> SettlementInput:
            return SettlementInput(offer_id=oid, amount=D(amount), expires_on=today + timedelta(days=10),
                                   approved_by="sup-1", approver_role=role)

        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update("offer_settlement", offer("S1", "3000.00", role="collector"),
                                        result_type=SettlementResult)
        # Measured against the 4,000.00 still outstanding of the write-off: 25% off.
        assert "a 25.00% discount is above the collector limit of 10%" in str(refused.value.cause)
        made = await handle.execute_update("offer_settlement", offer("S1", "3000.00"), result_type=SettlementResult)
        assert made.status == "open" and made.discount_percent == D("25.00")
        part = await _pay(handle, "R-1", "1000.00")
        assert part.outcome is None
        rest = await _pay(handle, "R-2", "2000.00")
        assert rest.outcome == "settled"
        result = await handle.result()
    assert (result.outcome, result.recovered, result.forgiven) == ("settled", D("4000.00"), D("1000.00"))
    with sc.sessions() as s:
        settlement = s.scalars(select(Settlement)).one()
        assert (settlement.status, settlement.paid_toward, settlement.forgiven) == ("paid", D("3000.00"), D("1000.00"))
        outcome = s.scalars(select(RecoveryOutcomeRecord)).one()
        assert (outcome.recovery_outcome, outcome.forgiven) == ("settled", D("1000.00"))


async def test_an_offer_not_paid_expires_and_the_recovery_goes_on(time_env, migrated_sqlite):
    sc = RecoveryScenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    async with sc.worker():
        handle, _ = await sc.start_recovery("RECOV5", today, written_off="5000.00")
        await handle.execute_update("offer_settlement", SettlementInput(
            offer_id="S1", amount=D("4500.00"), expires_on=today + timedelta(days=2), approved_by="sup-1",
            approver_role="collector"), result_type=SettlementResult)
        await time_env.sleep(days(4))
        status = await _status(handle)
        assert status.open_offer is None and status.outcome is None
        await handle.execute_update("close", CloseInput(reason="test done", operator_id="pytest"))
        await handle.result()
    with sc.sessions() as s:
        assert s.scalars(select(Settlement)).one().status == "expired"


async def test_close_needs_a_reason_and_an_operator_and_ends_it_closed(time_env, migrated_sqlite):
    sc = RecoveryScenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    async with sc.worker():
        handle, _ = await sc.start_recovery("RECOV3", today, written_off="2000.00")
        await _pay(handle, "R-1", "150.00")
        for request, reason in ((CloseInput(reason=" ", operator_id="op-1"), "a reason is required"),
                                (CloseInput(reason="debt sold", operator_id=""), "the operator id is required")):
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await handle.execute_update("close", request)
            assert reason in str(refused.value.cause)
        closed = await handle.execute_update("close", CloseInput(reason="debt sold to a buyer", operator_id="op-1"))
        assert closed["outcome"] == "closed"
        result = await handle.result()
    assert (result.outcome, result.recovered, result.reason, result.closed_by) == (
        "closed", D("150.00"), "debt sold to a buyer", "op-1")
    with sc.sessions() as s:
        outcome = s.scalars(select(RecoveryOutcomeRecord)).one()
        assert (outcome.recovery_outcome, outcome.closed_by, outcome.recovered_total) == ("closed", "op-1", D("150.00"))


async def test_a_legal_case_event_is_recorded_and_an_invalid_transition_refused(time_env, migrated_sqlite):
    sc = RecoveryScenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    async with sc.worker():
        handle, _ = await sc.start_recovery("RECOV4", today, written_off="60000.00", legal=True)

        def event(event_id: str, state: LegalState | None, **kw) -> LegalCaseUpdate:
            return LegalCaseUpdate(event=LegalEvent(event_id=event_id, on=today, by="lawyer-1", new_state=state, **kw))

        filed = await handle.execute_update("update_legal_case", event("E1", LegalState.FILED, cost=D("800.00")),
                                            result_type=LegalCaseUpdateResult)
        assert (filed.state, filed.costs, filed.duplicate) == (LegalState.FILED, D("800.00"), False)
        again = await handle.execute_update("update_legal_case", event("E1", LegalState.FILED, cost=D("800.00")),
                                            result_type=LegalCaseUpdateResult)
        assert again.duplicate and again.state == LegalState.FILED
        with pytest.raises(WorkflowUpdateFailedError) as wrong:
            await handle.execute_update("update_legal_case", event("E2", LegalState.ENFORCEMENT))
        assert "a case filed moves to judgment or closed, not enforcement" in str(wrong.value.cause)
        with pytest.raises(WorkflowUpdateFailedError) as reused:
            await handle.execute_update("update_legal_case", event("E1", LegalState.JUDGMENT))
        assert "already used with different content" in str(reused.value.cause)
        status = await _status(handle)
        assert status.legal_case is not None and status.legal_case.case.state == LegalState.FILED

        other, _ = await sc.start_recovery("RECOV4B", today, written_off="100.00")
        with pytest.raises(WorkflowUpdateFailedError) as none:
            await other.execute_update("update_legal_case", event("E1", LegalState.FILED))
        assert "no legal case for account RECOV4B" in str(none.value.cause)
    with sc.sessions() as s:
        rows = s.scalars(select(LegalCaseEvent)).all()
        assert [(e.event_id, e.from_state, e.to_state, e.cost) for e in rows] == [("E1", "referred", "filed", D("800.00"))]


async def test_a_running_placement_earns_commission_then_renews_or_is_recalled(time_env, migrated_sqlite, tmp_path):
    from arrears.desk.agencies import import_agencies
    from arrears.contracts.collection_activities import PlacementCommand
    from arrears.db.models import AgencyCommission, AgencyPlacement
    from arrears.domain.strategy import Action
    from tests.db.test_activities_idempotency import step_cmd

    sc = RecoveryScenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    agencies = tmp_path / "agencies.csv"
    agencies.write_text("agency_id,name,commission_percent,capacity,placement_days\nAG-R,Recover,15,5,10\n")
    assert import_agencies(sc.sessions, agencies, datetime.now(timezone.utc)).rejected == []
    episode_id = sc.charged_off_episode("RECOV7", today)
    step = step_cmd("RECOV7", episode_id, Action.AGENCY, "agency", dpd=120).model_copy(
        update={"executed_at": await time_env.get_current_time()})
    placed = sc.activities.place_with_agency(PlacementCommand(step=step, timezone=TZ)).placement
    assert placed is not None
    inp = RecoveryInput(account_id="RECOV7", episode_id=episode_id, currency="CNY", written_off=D("5000.00"),
                        written_off_on=today, timezone=TZ, strategy=DEFAULT, strategy_hash=DEFAULT.content_hash(),
                        placement=placed)
    async with sc.worker():
        handle = await time_env.client.start_workflow(
            RECOVERY_TYPE, inp, id=recovery_workflow_id("RECOV7"), task_queue=sc.settings.task_queue,
            result_type=RecoveryResult)
        sc.started.append(handle)
        paid = await _pay(handle, "R-1", "200.00", channel="agency")
        assert paid.commission == D("30.00")
        await time_env.sleep(days(11))
        status = await _status(handle)
        assert status.placement is not None and (status.placement.status, status.placement.renewals) == ("renewed", 1)
        await time_env.sleep(days(11))
        assert (await _status(handle)).placement is None, "no recovery in the second period: recalled"
        await handle.execute_update("close", CloseInput(reason="test done", operator_id="pytest"))
        await handle.result()
    with sc.sessions() as s:
        row = s.scalars(select(AgencyPlacement)).one()
        assert (row.status, row.renewals, row.collected) == ("recalled", 1, D("200.00"))
        assert s.scalars(select(AgencyCommission)).one().commission == D("30.00")


async def test_the_recovery_commands(time_env, migrated_sqlite):
    import asyncio

    from typer.testing import CliRunner

    from arrears.cli.main import app

    sc = RecoveryScenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    base = ["--address", time_env.client.service_client.config.target_host]

    async def cli(*args):
        return await asyncio.to_thread(CliRunner().invoke, app, base + ["recovery", *args])

    async with sc.worker():
        handle, _ = await sc.start_recovery("RECOV6", today, written_off="900.00")
        paid = await cli("pay", "RECOV6", "--amount", "250.00", "--payment-id", "R-1")
        assert paid.exit_code == 0, paid.output
        assert "recovery R-1 recorded; recovered 250.00, outstanding 650.00" in paid.output
        bad = await cli("pay", "RECOV6", "--amount", "-1", "--payment-id", "R-2")
        assert bad.exit_code != 0 and "payment amount must be positive" in bad.output
        shown = await cli("status", "RECOV6", "--json")
        assert shown.exit_code == 0, shown.output
        assert RecoveryStatus.model_validate_json(shown.output).outstanding == D("650.00")
        missing = await cli("status", "NOPE")
        assert missing.exit_code != 0 and "no recovery for account NOPE" in missing.output
        closed = await cli("close", "RECOV6", "--reason", "debt sold", "--by", "op-1")
        assert closed.exit_code == 0 and "closed by op-1: debt sold" in closed.output, closed.output
        assert (await handle.result()).outcome == "closed"
