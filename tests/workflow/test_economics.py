"""Delinquency economics in the episode (patch account-economics), on the time-skipping server:
restrictions at their DPD and lifted on cure, the ledger growing and posted, the bureau's prior
notice before any negative report and the correction after cure, the legal referral refused until
its criteria hold, charge-off with the write-off posting and the recovery workflow after it."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowUpdateFailedError

from arrears.audit.archive import archive_closed, archived_rows
from arrears.bureau.cycle import run_cycle
from arrears.domain.bureau import period_end, period_of
from arrears.compliance.consent_record import record_consent
from arrears.intake.importer import upsert_accounts
from arrears.contracts.collection import (
    OutcomeInput,
    OutcomeResult,
    PaymentInput,
    PaymentResult,
    ReageInput,
    StatusView,
)
from arrears.db.models import (
    BlacklistEntryRecord,
    BureauNotice,
    BureauReport,
    CardRestriction,
    CollectorTask,
    ContactAttempt,
    LedgerPosting,
    OutboxMessage,
    Recovery,
)
from arrears.domain.legal import LegalEvent
from arrears.audit.timeline import from_record, ordered
from arrears.config.strategies import parse_strategy
from arrears.contracts.names import recovery_workflow_id
from arrears.contracts.recovery import LegalCaseUpdate, LegalCaseUpdateResult, RecoveryPaymentResult, RecoveryStatus
from tests.workflow.helpers import PRICED, Scenario, account_row, days
from tests.workflow.test_lifecycle import _save_history, _today

TZ = "Asia/Shanghai"


async def _status(env, handle) -> StatusView:
    return (await handle.query("status", result_type=StatusView)).at(await env.get_current_time())


async def test_restrictions_at_their_dpd_the_ledger_grows_and_a_cure_restores_the_card(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    due = await _today(time_env, TZ) - timedelta(days=5)
    row = account_row("ECO1", due, segment="low", overdue="1000.00", balance="5000.00")
    async with sc.worker():
        handle = await sc.start(row, PRICED, now=await time_env.get_current_time())
        await time_env.sleep(days(28))  # DPD 33: past the cash-advance block (8) and the purchase block (31)
        status = await _status(time_env, handle)
        assert status.card_restrictions == ["cash_advance_blocked", "purchases_blocked"]
        # The ledger: a late fee the day after the due date (5% of 1,000.00 = 50.00), a second cycle billed
        # at the next due date (10% of the balance), interest posted through it.
        assert status.fees is not None and status.fees >= Decimal("50.00") and status.interest > 0
        assert status.principal + status.interest + status.fees == status.total_balance
        assert status.overdue_amount > Decimal("1000.00")  # the missed minimum plus the next cycle's
        owed = status.overdue_amount
        paid = await handle.execute_update("record_payment", PaymentInput(payment_id="ECO1-P", amount=owed),
                                           result_type=PaymentResult)
        assert paid.outcome == "cured" and paid.overdue_amount == 0
        result = await handle.result()
        await _save_history(handle, "economics_cured_restored")
    assert result.outcome == "cured"
    with sc.sessions() as s:
        rows = s.scalars(select(CardRestriction).where(CardRestriction.account_id == "ECO1")
                         .order_by(CardRestriction.id)).all()
        assert [(r.level, r.dpd) for r in rows] == [("cash_advance_blocked", 8), ("purchases_blocked", 31)]
        assert all(r.lifted_at is not None for r in rows)
        # Lifted in reverse order: purchases first, then cash advances.
        assert rows[1].lifted_at <= rows[0].lifted_at
        card_events = [m.payload for m in s.scalars(select(OutboxMessage).where(
            OutboxMessage.account_id == "ECO1", OutboxMessage.topic == "card").order_by(OutboxMessage.id))]
        assert [(e.get("event") or e.get("action"), e.get("level")) for e in card_events][-2:] == [
            ("lift", "purchases_blocked"), ("lift", "cash_advance_blocked")], card_events
        postings = s.scalars(select(LedgerPosting).where(LedgerPosting.account_id == "ECO1")
                            .order_by(LedgerPosting.id)).all()
        kinds = [p.kind for p in postings]
        assert kinds[0] == "fee" and "interest" in kinds and kinds[-1] == "payment"
        assert postings[0].fees == Decimal("50.00")
        courtesy = s.scalars(select(ContactAttempt).where(ContactAttempt.account_id == "ECO1",
                                                          ContactAttempt.template == "sms_restored")).one()
        assert courtesy.channel == "sms" and "恢复正常" in courtesy.rendered_text
        assert s.scalars(select(BlacklistEntryRecord).where(BlacklistEntryRecord.account_id == "ECO1")).first() is None
        # The auditor's timeline tells the same story, in order, with the cause of each line.
        story = ordered(from_record(s, "ECO1"))
    kinds = [e.kind for e in story]
    assert kinds.index("card:restrict") < kinds.index("payment") < kinds.index("card:lift")
    assert "ledger:fee" in kinds and "ledger:interest" in kinds and "ledger:payment" in kinds
    restrict = next(e for e in story if e.kind == "card:restrict")
    assert restrict.what == "cash_advance_blocked applied" and restrict.cause == "strategy step early-restrict-cash"


async def _to_working_morning(env, tz: str) -> None:
    """On to 10:00 local on the next working day: the prior notice is a letter, and the contact gate
    posts letters within hours on working days (tests may start at any hour of any day)."""
    from zoneinfo import ZoneInfo

    from arrears.domain.policy import is_working_day

    now = (await env.get_current_time()).astimezone(ZoneInfo(tz))
    day = now.date() if now.hour < 10 else now.date() + timedelta(days=1)
    while not is_working_day(day, "CN"):
        day += timedelta(days=1)
    await env.sleep(datetime.combine(day, datetime.min.time().replace(hour=10), tzinfo=ZoneInfo(tz)) - now)


async def test_a_late_import_carries_the_restriction_and_gets_the_notice_its_dpd_has_passed(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    await _to_working_morning(time_env, TZ)
    due = await _today(time_env, TZ) - timedelta(days=45)
    async with sc.worker():
        handle = await sc.start(account_row("ECO2", due), PRICED, now=await time_env.get_current_time())
        await time_env.sleep(timedelta(hours=1))
        status = await _status(time_env, handle)
        assert status.card_restrictions == ["cash_advance_blocked", "purchases_blocked"]
        # The bureau step (DPD 40) passed before the import: its prior notice goes at once.
        assert status.bureau_notice_on == await _today(time_env, TZ)
        await handle.execute_update("close", {"reason": "test done", "operator_id": "pytest"})
        await handle.result()


async def test_no_negative_bureau_report_before_notice_and_period_then_the_cure_corrects_it(
        time_env, migrated_sqlite, tmp_path):
    sc = Scenario(time_env.client, migrated_sqlite)
    due = await _today(time_env, TZ) - timedelta(days=38)
    row = account_row("ECO3", due, overdue="1000.00", balance="5000.00")
    policy = PRICED.bureau
    async with sc.worker():
        handle = await sc.start(row, PRICED, now=await time_env.get_current_time())
        await time_env.sleep(days(3))  # DPD 41: the notice went out at DPD 40
        notice_on = (await _status(time_env, handle)).bureau_notice_on
        assert notice_on is not None and (notice_on - due).days == 40
        await time_env.sleep(days(40))  # DPD 81: the customer pays what is owed
        status = await _status(time_env, handle)
        await handle.execute_update("record_payment", PaymentInput(payment_id="ECO3-P", amount=status.overdue_amount),
                                    result_type=PaymentResult)
        await handle.result()

    # Monthly cycles as of three days: five days after the notice (inside its period), a month
    # later (still delinquent, notice period over), and a month after that (cured).
    days_of = [notice_on + timedelta(days=5), notice_on + timedelta(days=36), notice_on + timedelta(days=67)]
    for on in days_of:
        run_cycle(sc.sessions, f"{on:%Y-%m}", tmp_path, policy, now=datetime.now(timezone.utc), as_of=on,
                  pricing=PRICED.pricing)
    with sc.sessions() as s:
        reports = s.scalars(select(BureauReport).where(BureauReport.account_id == "ECO3")
                            .order_by(BureauReport.period)).all()
    assert [(r.status, r.reported_status, r.withheld, r.correction) for r in reports] == [
        ("M2", "current", True, False),   # delinquent in fact, withheld: the notice period has not passed
        ("M3", "M3", False, False),       # reported once notice plus period are behind
        ("current", "current", False, True),  # cured (a balance stays, nothing overdue): the report corrects M3
    ], [(r.status, r.reported_status, r.withheld, r.correction, r.reason) for r in reports]
    # Reported from the ledger: the missed minimum, the next cycles' minimums (late fees are in the balance).
    assert reports[1].reported_overdue > Decimal("1000.00") and reports[1].total_balance > Decimal("5000.00")


def _legal_strategy():
    data = PRICED.model_dump(mode="json")
    data["name"] = "legal-test"
    data["legal"] = {"criteria": {"preset": "cn-malicious-overdraft", "min_principal": "1000"}, "costs_recoverable": True}
    data["steps"] = [
        {"id": "call", "dpd": 3, "action": "call", "at": "14:00", "repeat_every_days": 35, "until_dpd": 40},
        {"id": "legal", "dpd": 10, "action": "legal", "at": "09:30"},
        {"id": "co", "dpd": 180, "action": "charge_off", "at": "00:00"},
    ]
    return parse_strategy(data, "legal-test")


async def _right_party(env, sc, handle, account, index):
    with sc.sessions() as s:
        tasks = s.scalars(select(CollectorTask).where(CollectorTask.account_id == account, CollectorTask.kind == "call")
                          .order_by(CollectorTask.id)).all()
    task = tasks[index]
    return await handle.execute_update("log_contact_outcome", OutcomeInput(
        task_id=task.id, outcome="right_party_contact", duration_seconds=120, collector_id="c-1",
        reason_for_delinquency="cash_flow"), result_type=OutcomeResult)


async def test_legal_referral_refused_until_the_criteria_hold_then_the_case_moves_and_costs_post(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    due = await _today(time_env, TZ) - timedelta(days=1)
    row = account_row("ECO4", due, overdue="2000.00", balance="8000.00")
    strategy = _legal_strategy()
    async with sc.worker():
        handle = await sc.start(row, strategy, now=await time_env.get_current_time())
        await sc.wait_for_task(time_env, "ECO4", "call")
        await _right_party(time_env, sc, handle, "ECO4", 0)  # DPD 3: the first effective collection
        await time_env.sleep(days(10))  # DPD ~13: the legal step ran at DPD 10
        status = await _status(time_env, handle)
        assert status.legal is not None and status.legal.status == "refused"
        assert any("effective collections: 1" in r for r in status.legal.reasons), status.legal.reasons
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update("update_legal_case", LegalCaseUpdate(event=LegalEvent(
                event_id="L-0", on=await _today(time_env, TZ), by="lawyer-1", new_state="filed")))
        assert "no legal case" in str(refused.value.cause)
        await time_env.sleep(days(28))  # DPD ~41: the second call (DPD 38) is open
        await _right_party(time_env, sc, handle, "ECO4", 1)  # the second, 35+ days after the first
        await time_env.sleep(days(60))
        status = await _status(time_env, handle)
        assert status.legal.status == "refused" and any("months" in r for r in status.legal.reasons), status.legal
        await time_env.sleep(days(40))  # more than three months after the second collection
        status = await _status(time_env, handle)
        assert status.legal.status == "referred" and status.legal.case_id is not None, status.legal
        today = await _today(time_env, TZ)
        filed = await handle.execute_update("update_legal_case", LegalCaseUpdate(event=LegalEvent(
            event_id="L-1", on=today, by="lawyer-1", new_state="filed", cost=Decimal("300.00"), note="court fee")),
            result_type=LegalCaseUpdateResult)
        assert filed.state == "filed" and filed.recoverable_costs == Decimal("300.00")
        with pytest.raises(WorkflowUpdateFailedError) as backwards:
            await handle.execute_update("update_legal_case", LegalCaseUpdate(event=LegalEvent(
                event_id="L-2", on=today, by="lawyer-1", new_state="enforcement")))
        assert "moves to judgment or closed" in str(backwards.value.cause)
        await handle.execute_update("close", {"reason": "test done", "operator_id": "pytest"})
        await handle.result()
        await _save_history(handle, "economics_legal_referred")
    with sc.sessions() as s:
        charge = s.scalars(select(LedgerPosting).where(LedgerPosting.account_id == "ECO4",
                                                        LedgerPosting.posting_key.like("%:fee:legal-L-1"))).one()
        assert charge.fees == Decimal("300.00")


async def test_charge_off_writes_off_the_balance_and_recovery_takes_payments(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    due = await _today(time_env, TZ) - timedelta(days=176)
    row = account_row("ECO5", due, overdue="1000.00", balance="5000.00")
    async with sc.worker():
        handle = await sc.start(row, PRICED, now=await time_env.get_current_time())
        # To the charge-off (DPD 180, four days on) with the clock under the test's control. An
        # open-ended wait for the result would let the time-skipping server, once the recovery sits
        # idle with no timer, jump to its ten-year run timeout and end it before the test pays in.
        await time_env.sleep(days(5))
        with time_env.auto_time_skipping_disabled():
            result = await handle.result()
        await _save_history(handle, "economics_charged_off")
        assert result.outcome == "charged_off" and result.dpd == 180
        recovery = time_env.client.get_workflow_handle(recovery_workflow_id("ECO5"))
        sc.started.append(recovery)
        status = await recovery.query("status", result_type=RecoveryStatus)  # running, the write-off known
        assert status.written_off == result.total_balance and status.outstanding == result.total_balance
        paid = await recovery.execute_update("record_payment", PaymentInput(payment_id="REC-1", amount=Decimal("400.00")),
                                             result_type=RecoveryPaymentResult)
        assert paid.recovered_total == Decimal("400.00") and paid.outcome is None
        await recovery.execute_update("close", {"reason": "debt sold", "operator_id": "ops-1"})
        await recovery.result()
        # Both histories are kept in the record, past the namespace's retention.
        report = await archive_closed(time_env.client, sc.sessions, datetime.now(timezone.utc))
        assert len(report.archived) == 2, report
    with sc.sessions() as s:
        kept = {(r.workflow_type, r.episode_id) for r in archived_rows(s, account_id="ECO5")}
    assert kept == {("AccountCollection", result.episode_id), ("AccountRecovery", result.episode_id)}
    with sc.sessions() as s:
        write_off = s.scalars(select(LedgerPosting).where(LedgerPosting.account_id == "ECO5",
                                                           LedgerPosting.kind == "write_off")).one()
        assert write_off.principal == Decimal("-5000.00") and write_off.interest < 0
        assert -(write_off.principal + write_off.interest + write_off.fees) == result.total_balance
        assert s.scalars(select(Recovery).where(Recovery.account_id == "ECO5")).one().amount == Decimal("400.00")
        assert s.scalars(select(LedgerPosting).where(LedgerPosting.account_id == "ECO5",
                                                     LedgerPosting.kind == "recovery")).one()
        blacklisted = s.scalars(select(BlacklistEntryRecord).where(BlacklistEntryRecord.account_id == "ECO5")).one()
        assert blacklisted.listed_until is None  # charged off: it stays until a cure


async def test_a_reage_is_refused_without_the_payments_and_for_a_collector(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    due = await _today(time_env, TZ) - timedelta(days=40)
    async with sc.worker():
        handle = await sc.start(account_row("ECO6", due), PRICED, now=await time_env.get_current_time())
        await time_env.sleep(timedelta(hours=2))
        with pytest.raises(WorkflowUpdateFailedError) as collector:
            await handle.execute_update("reage", ReageInput(reage_id="R-1", approved_by="c-1", approver_role="collector",
                                                            reason="workout"))
        assert "supervisor or a manager" in str(collector.value.cause)
        with pytest.raises(WorkflowUpdateFailedError) as unpaid:
            await handle.execute_update("reage", ReageInput(reage_id="R-1", approved_by="s-1", approver_role="supervisor",
                                                            reason="workout"))
        assert "consecutive" in str(unpaid.value.cause) or "payment" in str(unpaid.value.cause)
        await handle.execute_update("close", {"reason": "test done", "operator_id": "pytest"})
        await handle.result()


async def test_a_payment_covering_the_oldest_missed_cycle_moves_the_account_down_a_bucket(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    due = await _today(time_env, TZ) - timedelta(days=35)
    row = account_row("ECO7", due, overdue="1000.00", balance="5000.00")
    async with sc.worker():
        handle = await sc.start(row, PRICED, now=await time_env.get_current_time())
        await time_env.sleep(timedelta(hours=2))
        before = await _status(time_env, handle)
        assert before.bucket == "M2" and before.due_date == due  # two cycles missed: DPD counts from the first
        # Pay exactly the first cycle's minimum: the second cycle (due a month after the first) is now the oldest unpaid.
        paid = await handle.execute_update("record_payment", PaymentInput(payment_id="ECO7-P", amount=Decimal("1000.00")),
                                           result_type=PaymentResult)
        assert paid.outcome is None and 0 < paid.overdue_amount < before.overdue_amount
        after = await _status(time_env, handle)
        assert after.due_date > due and after.dpd == (await _today(time_env, TZ) - after.due_date).days
        assert after.bucket == "M1" and after.stage == "early", (after.dpd, after.due_date)
        # The ladder runs again from the new anchor: its next steps are keyed with it.
        assert after.next_step_id is not None
        await handle.execute_update("close", {"reason": "test done", "operator_id": "pytest"})
        await handle.result()


async def test_a_notice_to_an_invalid_address_is_not_posted_and_goes_again_once_a_new_address_is_on_file(
        time_env, migrated_sqlite, tmp_path):
    sc = Scenario(time_env.client, migrated_sqlite)
    due = await _today(time_env, TZ) - timedelta(days=38)
    row = account_row("ECO6", due, overdue="1000.00", balance="5000.00")
    async with sc.worker():
        handle = await sc.start(row, PRICED, now=await time_env.get_current_time())
        with sc.sessions.begin() as s:  # the statement came back: the address on file is no good
            record_consent(s, "ECO6", "letter", "invalid", "returned mail", await time_env.get_current_time())
        await time_env.sleep(days(3))  # DPD 41: the notice step ran at DPD 40
        status = await _status(time_env, handle)
        first_on = status.bureau_notice_on
        assert (status.bureau_notice_result, (first_on - due).days) == ("invalid_address", 40)
        await time_env.sleep(days(8))  # the weekly retry finds the same address: nothing posted, nothing added
        assert len(_notices(sc, "ECO6")) == 1
        moved = row.model_copy(update={"billing_address": "北京市朝阳区建国路88号"})
        upsert_accounts(sc.engine, [moved], await time_env.get_current_time())
        await time_env.sleep(days(8))
        status = await _status(time_env, handle)
        assert status.bureau_notice_result == "queued" and status.bureau_notice_on > first_on
        notices = _notices(sc, "ECO6")
        assert [(n.result, n.recipient) for n in notices] == [
            ("invalid_address", row.billing_address), ("queued", "北京市朝阳区建国路88号")]
        assert notices[1].idempotency_key.endswith(":bureau-notice:2")
        with sc.sessions() as s:
            letters = s.scalars(select(OutboxMessage).where(OutboxMessage.account_id == "ECO6",
                                                            OutboxMessage.topic == "letter")).all()
        assert [m.payload["to"] for m in letters] == ["北京市朝阳区建国路88号"]
        await handle.execute_update("close", {"reason": "test done", "operator_id": "pytest"})
        await handle.result()
        await _save_history(handle, "economics_notice_resent")
    # Before the second notice the account is withheld, and the reason names the first; a month
    # whose report date is the notice period after it reports the status.
    before = notices[1].sent_on - timedelta(days=1)
    after = max(notices[1].sent_on + timedelta(days=PRICED.bureau.notice_days),
                period_end(period_of(before)) + timedelta(days=1))
    for on in (before, after):
        run_cycle(sc.sessions, period_of(on), tmp_path, PRICED.bureau, now=datetime.now(timezone.utc), as_of=on,
                  pricing=PRICED.pricing)
    with sc.sessions() as s:
        reports = s.scalars(select(BureauReport).where(BureauReport.account_id == "ECO6")
                            .order_by(BureauReport.period)).all()
    assert [(r.withheld, r.reported_status == r.status) for r in reports] == [(True, False), (False, True)]
    assert reports[0].reason == f"withheld pending notice: the prior notice of {first_on} was not sent (invalid_address)"


def _notices(sc: Scenario, account_id: str) -> list[BureauNotice]:
    with sc.sessions() as s:
        return list(s.scalars(select(BureauNotice).where(BureauNotice.account_id == account_id)
                              .order_by(BureauNotice.id)))
