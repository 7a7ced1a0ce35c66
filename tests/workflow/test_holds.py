"""Holds and the effective-collection register on the time-skipping server."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowUpdateFailedError

from arrears.runtime import search_attributes as sa
from arrears.contracts.collection import HoldInput, HoldResult, OutcomeInput, OutcomeResult, ReleaseHoldInput
from arrears.db.models import (
    AgencyPlacement,
    CollectorTask,
    ContactAttempt,
    ContactOutcomeRecord,
    EffectiveCollection,
    Hold,
    OutboxMessage,
)
from arrears.domain.delinquency import days_past_due
from arrears.domain.register import unpaid_long_enough_from
from tests.workflow.helpers import Scenario, account_row, days
from tests.workflow.test_agency import agencies
from tests.workflow.test_lifecycle import _save_history, _today
from tests.workflow.test_promises import _status

TZ = "Asia/Shanghai"


def hold(hold_id: str, hold_type: str, **over) -> HoldInput:
    base = dict(hold_id=hold_id, hold_type=hold_type, reason="customer's letter of 3 March", evidence_ref="DOC-1",
                placed_by="sup-1")
    return HoldInput(**{**base, **over})


async def _place(handle, request: HoldInput) -> HoldResult:
    return await handle.execute_update("place_hold", request, result_type=HoldResult)


async def _release(handle, hold_id: str, resolution: str | None = None, by: str = "sup-2") -> HoldResult:
    request = ReleaseHoldInput(hold_id=hold_id, released_by=by, resolution=resolution)
    return await handle.execute_update("release_hold", request, result_type=HoldResult)


async def _log(handle, request: OutcomeInput) -> OutcomeResult:
    return await handle.execute_update("log_contact_outcome", request, result_type=OutcomeResult)


async def _hold_types(handle) -> list[str] | None:
    return (await handle.describe()).typed_search_attributes.get(sa.HOLD_TYPE)


async def _close(handle) -> None:
    await handle.execute_update("close", {"reason": "test done", "operator_id": "pytest"})
    await handle.result()


def _scheduled_dpd(step_key: str) -> int:
    """The DPD a ladder step was scheduled for (its key is ``step-id@dpd``)."""
    return int(step_key.rsplit("@", 1)[1])


def _hold_row(sc: Scenario, hold_id: str) -> Hold:
    with sc.sessions() as s:
        return s.scalars(select(Hold).where(Hold.hold_id == hold_id)).one()


async def _wait_for_task_from(sc: Scenario, env, account_id: str, kind: str, min_dpd: int, limit_days: int = 40) -> CollectorTask:
    for _ in range(limit_days * 12):
        with sc.sessions() as s:
            task = s.scalars(select(CollectorTask).where(
                CollectorTask.account_id == account_id, CollectorTask.kind == kind, CollectorTask.dpd >= min_dpd,
            ).order_by(CollectorTask.id)).first()
        if task is not None:
            return task
        await env.sleep(timedelta(hours=2))
    raise AssertionError(f"no {kind} task at DPD >= {min_dpd} for {account_id}")


async def test_a_dispute_stops_everything_until_verified_then_the_ladder_resumes_at_todays_dpd(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("HOLDDISP", today - timedelta(days=5), segment="medium")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        await time_env.sleep(days(0.5))
        placed = await _place(handle, hold("D-1", "dispute"))
        assert (placed.status, placed.duplicate, placed.active_holds) == ("active", False, ["dispute"])
        assert await _hold_types(handle) == ["dispute"]
        before = sc.actions("HOLDDISP")
        await time_env.sleep(days(10))  # past the DPD 10 call and the daily SMS
        status = await _status(time_env, handle)
        assert status.paused_by == "dispute hold D-1"
        assert status.next_action == "charge_off", "only the regulatory charge-off may run during a dispute"
        assert status.dpd >= 15, "DPD keeps counting during a hold"
        assert sc.actions("HOLDDISP") == before, "nothing is sent or opened while the debt is disputed"
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await _release(handle, "D-1")
        assert "a dispute is released with a resolution: one of verified, withdrawn, upheld" in str(refused.value.cause)
        released = await _release(handle, "D-1", "verified")
        assert (released.status, released.active_holds) == ("released", [])
        resumed_at = await time_env.get_current_time()
        resumed_dpd = (await _status(time_env, handle)).dpd
        assert await _hold_types(handle) == []
        await time_env.sleep(days(8))
        status = await _status(time_env, handle)
        assert status.paused_by is None
        assert [h.status for h in status.holds] == ["released"] and status.holds[0].resolution == "verified"
        await _close(handle)
        await _save_history(handle, "hold_dispute_verified")
    after = sc.actions("HOLDDISP")[len(before):]
    # 1006.38(d)(2), issue 22 item 5: the verification went at the release, before anything else.
    # At the release, or at the gate's first permitted moment after it (a release on a Friday night
    # waits for Monday, and so does everything else); nothing goes before it.
    verification = next(a for a in after if a[3] == "verification:D-1")
    assert verification[1] == "letter" and verification[2] >= resumed_dpd
    assert all(a[0] >= verification[0] for a in after), after
    after = [a for a in after if a is not verification]
    with sc.sessions() as s:
        letter = s.scalars(select(ContactAttempt).where(ContactAttempt.template == "letter_dispute_verification")).one()
    assert letter.result == "queued" and "D-1" in letter.rendered_text and letter.attempted_at <= after[0][0]
    assert after, "collection resumed"
    # Resumed at today's DPD: the steps scheduled inside the dispute were not replayed.
    assert all(when >= resumed_at - timedelta(minutes=1) for when, *_ in after)
    assert all(_scheduled_dpd(key) >= resumed_dpd for *_, key in after), after
    row = _hold_row(sc, "D-1")
    assert (row.hold_type, row.status, row.resolution, row.released_by, row.placed_by) == (
        "dispute", "released", "verified", "sup-2", "sup-1")


async def test_a_bankruptcy_stops_contact_and_escalation_but_the_charge_off_still_happens(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("HOLDBKR", today - timedelta(days=170), segment="high")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        await sc.settle(handle)  # the card restrictions a DPD-170 import carries land before the stay
        await _place(handle, hold("BK-1", "bankruptcy", reason="chapter 7 petition filed", evidence_ref="CASE-26-1234"))
        placed_at = await time_env.get_current_time()
        result = await handle.result()
        await _save_history(handle, "hold_bankruptcy_charged_off")
    assert result.outcome == "charged_off" and result.dpd == 180
    after = [(action, dpd) for when, action, dpd, _ in sc.actions("HOLDBKR") if when >= placed_at]
    assert after == [("charge_off", 180)], "no reminder, call or visit during the stay; the charge-off runs"
    # The stay outlives the episode: the hold stays active on record.
    assert _hold_row(sc, "BK-1").status == "active"


async def test_a_fraud_claim_blocks_the_charge_off_until_it_is_released(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("HOLDFRAUD", today - timedelta(days=176), segment="medium")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        await sc.settle(handle)
        await _place(handle, hold("F-1", "fraud_claim", reason="customer reports card stolen in May"))
        placed_at = await time_env.get_current_time()
        await time_env.sleep(days(8))  # past DPD 180
        status = await _status(time_env, handle)
        assert status.outcome is None and status.dpd >= 183
        assert status.paused_by == "fraud_claim hold F-1; charge-off blocked" and status.next_action is None
        await _release(handle, "F-1", "not_fraud")
        result = await handle.result()  # the passed charge-off runs at once
    assert result.outcome == "charged_off" and result.dpd >= 183
    after = [(action, dpd >= 183) for when, action, dpd, _ in sc.actions("HOLDFRAUD") if when >= placed_at]
    assert after == [("charge_off", True)], "charged off on release, not at DPD 180"
    assert _hold_row(sc, "F-1").resolution == "not_fraud"


async def test_a_hardship_expires_after_its_days_and_the_ladder_resumes(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("HOLDHARD", today - timedelta(days=4), segment="medium")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        placed = await _place(handle, hold("HS-1", "hardship", reason="lost job", days=6))
        assert placed.expires_at is not None
        before = sc.actions("HOLDHARD")
        await time_env.sleep(days(5))
        status = await _status(time_env, handle)
        assert status.paused_by and status.paused_by.startswith("hardship hold HS-1 until")
        assert sc.actions("HOLDHARD") == before
        await time_env.sleep(days(3))
        status = await _status(time_env, handle)
        assert status.paused_by is None and status.holds[0].status == "expired"
        expired_dpd = days_past_due(row.due_date, placed.expires_at, TZ)
        assert await _hold_types(handle) == []
        # To DPD 17 at whatever time of day the test started: the DPD 15 SMS is due whatever that time
        # is; the DPD 5 IM and the DPD 8 SMS fell inside the hold.
        await time_env.sleep(days(5))
        await _close(handle)
    after = sc.actions("HOLDHARD")[len(before):]
    assert after and all(when >= placed.expires_at - timedelta(minutes=1) for when, *_ in after)
    assert all(_scheduled_dpd(key) >= expired_dpd for *_, key in after), "held steps are not replayed"
    row = _hold_row(sc, "HS-1")
    assert row.status == "expired" and row.released_by is None
    assert abs(row.released_at - placed.expires_at) < timedelta(minutes=5)


async def test_a_dispute_raised_outcome_places_the_hold_and_hardship_claimed_a_hardship(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("HOLDOUT", today - timedelta(days=2), segment="medium")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        task = await sc.wait_for_task(time_env, "HOLDOUT", "call")  # DPD 3
        logged = await _log(handle, OutcomeInput(task_id=task.id, outcome="dispute_raised", collector_id="c-5",
                                                 note="says the March purchase is not theirs"))
        assert logged.hold_id == f"outcome-{task.id}"
        status = await _status(time_env, handle)
        assert status.paused_by == f"dispute hold outcome-{task.id}"
        assert await _hold_types(handle) == ["dispute"]
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await _place(handle, hold(f"outcome-{task.id + 1}", "complaint", channel="sms"))
        assert "reserved for holds a collector's outcome places" in str(refused.value.cause)
        await _release(handle, f"outcome-{task.id}", "withdrawn", by="c-5")
        second = await _wait_for_task_from(sc, time_env, "HOLDOUT", "call", min_dpd=10)
        logged = await _log(handle, OutcomeInput(task_id=second.id, outcome="hardship_claimed", collector_id="c-5",
                                                 reason_for_delinquency="job_loss"))
        status = await _status(time_env, handle)
        hardship = status.holds[-1]
        assert (hardship.hold_id, hardship.hold_type, hardship.days) == (f"outcome-{second.id}", "hardship", 30)
        assert hardship.expires_at - hardship.placed_at == timedelta(days=30)  # Shanghai has no DST
        await _close(handle)
        await _save_history(handle, "hold_from_outcomes")
    row = _hold_row(sc, f"outcome-{task.id}")
    assert (row.hold_type, row.placed_by, row.status, row.resolution) == ("dispute", "c-5", "released", "withdrawn")
    # The hold names the outcome it came from; the collector's words stay on that outcome's record
    # (free text never travels through the workflow's history).
    assert row.reason == "dispute_raised on task %d" % task.id
    assert row.evidence_ref == f"contact_outcomes task {task.id}"
    with sc.sessions() as s:
        note = s.scalar(select(ContactOutcomeRecord.note).where(ContactOutcomeRecord.task_id == task.id))
    assert note == "says the March purchase is not theirs"
    assert _hold_row(sc, f"outcome-{second.id}").hold_type == "hardship"


async def test_hold_requests_are_refused_with_the_reason_and_repeats_get_the_same_answer(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("HOLDREF", today - timedelta(days=8), segment="medium")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        first = await _place(handle, hold("C-1", "complaint", channel="sms", reason="texts at night"))
        refusals = {
            "a complaint hold needs the channel": hold("X1", "complaint"),
            "a hardship hold lasts 1 to 180 days, got 0": hold("X2", "hardship", days=0),
            "a hardship hold lasts 1 to 180 days, got 181": hold("X3", "hardship", days=181),
            "a reason is required": hold("X4", "dispute", reason=" "),
            "placed_by (who places the hold) is required": hold("X5", "dispute", placed_by=""),
            "hold_id C-1 was already used with different content": hold("C-1", "complaint", channel="call",
                                                                        reason="texts at night"),
        }
        for reason, request in refusals.items():
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await _place(handle, request)
            assert reason in str(refused.value.cause), reason
        again = await _place(handle, hold("C-1", "complaint", channel="sms", reason="texts at night"))
        assert again.duplicate and (again.hold_id, again.status) == (first.hold_id, first.status)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await _release(handle, "NOPE")
        assert "no hold NOPE on this episode" in str(refused.value.cause)
        deceased = await _place(handle, hold("DC-1", "deceased", reason="death certificate received"))
        attorney = await _place(handle, hold("AT-1", "attorney_represented", reason="letter of representation"))
        assert deceased.active_holds == ["complaint", "deceased"]
        assert attorney.active_holds == ["attorney_represented", "complaint", "deceased"]
        assert await _hold_types(handle) == ["attorney_represented", "complaint", "deceased"]
        await _release(handle, "C-1", by="sup-3")
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await _release(handle, "C-1", by="sup-3")
        assert "hold C-1 was already released" in str(refused.value.cause)
        status = await _status(time_env, handle)
        assert status.paused_by == "deceased hold DC-1"  # the complaint and the attorney do not pause escalation
        await _close(handle)
    with sc.sessions() as s:
        tasks = {t.kind: t for t in s.scalars(select(CollectorTask).where(CollectorTask.account_id == "HOLDREF",
                                                                         CollectorTask.step_id.like("hold-%")))}
    assert set(tasks) == {"estate", "attorney"}
    assert tasks["estate"].id == deceased.task_id and tasks["attorney"].id == attorney.task_id
    assert all(t.assigned_to is None and t.queue == t.kind for t in tasks.values()), "specialists, not the desk"
    assert _hold_row(sc, "C-1").channel == "sms"


async def test_a_hold_that_stops_all_contact_takes_the_account_back_from_the_agency(time_env, migrated_sqlite, tmp_path):
    sc = Scenario(time_env.client, migrated_sqlite)
    agencies(sc, tmp_path, "AG-A,Alpha,15,5,30\n")
    today = await _today(time_env, TZ)
    row = account_row("HOLDAGENCY", today - timedelta(days=118), segment="medium")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        await time_env.sleep(days(3))  # placed at DPD 120
        assert (await _status(time_env, handle)).placement is not None
        await _place(handle, hold("DC-1", "deceased", reason="death certificate received"))
        status = await _status(time_env, handle)
        assert status.placement is None and status.paused_by == "deceased hold DC-1"
        await _close(handle)
    with sc.sessions() as s:
        placement = s.scalars(select(AgencyPlacement)).one()
        events = [m.payload["event"] for m in s.scalars(select(OutboxMessage).where(OutboxMessage.topic == "agency"))]
    assert placement.status == "recalled" and placement.reason == "recalled: deceased hold DC-1 stops all contact"
    # The agency hears of the hold and its rules with the hold itself, then of the recall (issue 22 item 4).
    assert events == ["placed", "hold", "recalled"]


async def test_an_upheld_dispute_ends_the_episode(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("HOLDUPHELD", today - timedelta(days=20), segment="medium")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        await _place(handle, hold("D-9", "dispute"))
        released = await _release(handle, "D-9", "upheld")
        result = await handle.result()
    assert released.outcome == "closed"
    assert result.outcome == "closed" and result.reason == "dispute D-9 upheld: the debt as collected is not owed"


async def test_effective_collections_are_counted_and_the_earliest_date_computed(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("HOLDREG", today - timedelta(days=2), segment="medium")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        first = await sc.wait_for_task(time_env, "HOLDREG", "call")  # DPD 3
        await _log(handle, OutcomeInput(task_id=first.id, outcome="right_party_contact", collector_id="c-1"))
        first_day = await _today(time_env, TZ)
        status = await _status(time_env, handle)
        assert status.effective_collections == 1
        # One so far: the second could come 30 days later at the earliest, then more than three months.
        assert status.malicious_overdraft_earliest == unpaid_long_enough_from(first_day + timedelta(days=30))
        missed = await _wait_for_task_from(sc, time_env, "HOLDREG", "call", min_dpd=10)
        await _log(handle, OutcomeInput(task_id=missed.id, outcome="no_answer", collector_id="c-1"))
        assert (await _status(time_env, handle)).effective_collections == 1, "an unanswered call reached nobody"
        second = await _wait_for_task_from(sc, time_env, "HOLDREG", "call", min_dpd=33)
        await _log(handle, OutcomeInput(task_id=second.id, outcome="right_party_contact", collector_id="c-2"))
        second_day = await _today(time_env, TZ)
        assert (second_day - first_day).days >= 30
        status = await _status(time_env, handle)
        assert status.effective_collections == 2
        assert status.malicious_overdraft_earliest == unpaid_long_enough_from(second_day)
        await _close(handle)
    with sc.sessions() as s:
        rows = list(s.scalars(select(EffectiveCollection).order_by(EffectiveCollection.id)))
    assert [(r.kind, r.source_ref) for r in rows] == [
        ("right_party_contact", f"task {first.id}"), ("right_party_contact", f"task {second.id}")]


async def test_a_visit_that_met_the_cardholder_is_an_effective_collection(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("HOLDVISIT", today - timedelta(days=99), segment="medium", overdue="900.00")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        # DPD 100, or the first working day after it (a visit waits out Spring Festival or Golden Week)
        visit = await sc.wait_for_task(time_env, "HOLDVISIT", "visit", limit=days(12))
        await _log(handle, OutcomeInput(task_id=visit.id, outcome="refused_to_pay", collector_id="f-1", visit={
            "address_verified": True, "met_cardholder": True, "evidence_files": [], "safety_note": ""}))
        status = await _status(time_env, handle)
        assert status.effective_collections == 1 and status.malicious_overdraft_earliest is not None
        await handle.execute_update("record_payment", {"payment_id": "PAY-1", "amount": Decimal("900.00")})
        result = await handle.result()
    assert result.outcome == "cured"
    with sc.sessions() as s:
        (row,) = s.scalars(select(EffectiveCollection)).all()
    assert row.kind == "visit_met" and row.evidence["visit"]["met_cardholder"] is True
