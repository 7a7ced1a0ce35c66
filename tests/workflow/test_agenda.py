"""The defects that used to stop an episode for good, each reproduced on the time-skipping server.

Every test here failed on the first engine (workflows/legacy/): a payment
replanning the ladder under a running step crashed the workflow task; a replan
that put DPD 180 in the past dropped the charge-off; two identical legal or
re-age updates applied twice or crashed; a deferral ran back to back; a long
pause never rolled over its history; a failing activity retried in silence.
"""

import asyncio
import json
import threading
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select
from temporalio import activity
from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.client import WorkflowExecutionStatus

from activities.collection import CollectionActivities
from arrears import PROJECT_ROOT
from arrears.runtime import search_attributes as sa
from arrears.channels.render import Renderer
from arrears.contracts.collection import HoldInput, HoldResult, PaymentInput, PaymentResult, ReageInput, StatusView
from arrears.contracts.collection_activities import OpenEpisodeCommand, StepCommand, StepResult
from arrears.contracts.names import EXECUTE_STEP, OPEN_EPISODE
from arrears.domain.episode import ReageOutcome
from arrears.db.models import ContactAttempt, ContactDecision, LedgerPosting
from arrears.domain.legal import LegalEvent
from arrears.domain.pricing import ReagePolicy
from arrears.config.strategies import parse_strategy
from arrears.contracts.recovery import LegalCaseUpdate, LegalCaseUpdateResult
from tests.workflow.helpers import PRICED, Scenario, account_row, days
from tests.workflow.test_lifecycle import _save_history, _today

TZ = "Asia/Shanghai"


def activity_of(event) -> str | None:
    """The activity an event ran: a scheduled activity, or a local activity's marker."""
    if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        return event.activity_task_scheduled_event_attributes.activity_type.name
    if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
        attrs = event.marker_recorded_event_attributes
        if attrs.marker_name == "core_local_activity" and "data" in attrs.details:
            return json.loads(attrs.details["data"].payloads[0].data).get("activity_type")
    return None


async def _status(env, handle) -> StatusView:
    return (await handle.query("status", result_type=StatusView)).at(await env.get_current_time())


async def _no_failed_workflow_task(handle) -> None:
    """No workflow task failed for a fault of ours. The server fails a task that would complete the
    episode while an update arrived meanwhile (UNHANDLED_COMMAND), to hand that update over first:
    that is the protocol at work, and the retried task processes both."""
    history = await handle.fetch_history()
    failed = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
              and e.workflow_task_failed_event_attributes.cause
              != WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND]
    assert not failed, failed[0].workflow_task_failed_event_attributes.failure.message


class HeldStep(CollectionActivities):
    """execute_step holds the first reminder until the test lets it go: a step in flight."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.started = threading.Event()
        self.release = threading.Event()
        self.held: str | None = None

    @activity.defn(name=EXECUTE_STEP)
    def execute_step(self, cmd: StepCommand) -> StepResult:
        if self.held is None and cmd.step.action.value in ("sms", "email", "im", "letter"):
            self.held = cmd.step.key
            self.started.set()
            self.release.wait(60)
        return super().execute_step(cmd)


async def test_a_payment_that_replans_the_ladder_under_a_running_step_does_not_wedge_the_episode(
        time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    sc.activities = HeldStep(sc.sessions, Renderer(PROJECT_ROOT / "templates"))
    due = await _today(time_env, TZ) - timedelta(days=35)
    async with sc.worker():
        handle = await sc.start(account_row("AG1", due, overdue="1000.00", balance="5000.00"), PRICED,
                                now=await time_env.get_current_time())
        sleeping = None
        for _ in range(36):  # the catch-up reminder goes at its local time: move the clock until it starts
            sleeping = asyncio.create_task(time_env.sleep(timedelta(hours=2)))
            await asyncio.to_thread(sc.activities.started.wait, 2)
            if sc.activities.started.is_set():
                break
            await sleeping
        assert sc.activities.started.is_set(), "no reminder started"
        # The step's activity is running; a payment covering the oldest missed cycle replans the ladder.
        payment = asyncio.create_task(handle.execute_update(
            "record_payment", PaymentInput(payment_id="AG1-P", amount=Decimal("1000.00")), result_type=PaymentResult))
        await asyncio.sleep(1)
        sc.activities.release.set()
        paid = await payment
        await sleeping
        assert paid.outcome is None
        status = await _status(time_env, handle)
        assert status.due_date > due  # re-anchored
        await time_env.sleep(days(3))
        await _status(time_env, handle)  # queries still answer: no workflow task is failing
        await _no_failed_workflow_task(handle)
    with sc.sessions() as s:
        runs = s.scalar(select(func.count()).select_from(ContactAttempt).where(
            ContactAttempt.idempotency_key == f"{status.episode_id}:{sc.activities.held}"))
    assert runs == 1  # completed once, not lost and not run again


async def test_a_replan_that_puts_the_charge_off_in_the_past_charges_off_at_once(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    due = await _today(time_env, TZ) - timedelta(days=250)
    handle = await sc.start(account_row("AG2", due, overdue="1000.00", balance="5000.00"), PRICED,
                            now=await time_env.get_current_time())
    # The payment reaches the episode with its very first workflow task, before the catch-up charge-off ran:
    # it covers the oldest cycle, so DPD re-anchors to the next one, still beyond DPD 180.
    payment = asyncio.create_task(handle.execute_update(
        "record_payment", PaymentInput(payment_id="AG2-P", amount=Decimal("1000.00")), result_type=PaymentResult))
    await asyncio.sleep(1)
    async with sc.worker():
        await payment
        await time_env.sleep(timedelta(hours=2))
        with time_env.auto_time_skipping_disabled():
            result = await asyncio.wait_for(handle.result(), timeout=60)
    assert result.outcome == "charged_off"
    assert result.dpd >= 180


def _legal_now():
    data = PRICED.model_dump(mode="json")
    data["name"] = "legal-now"
    data["legal"] = {"criteria": "none", "costs_recoverable": True}
    data["steps"] = [{"id": "legal", "dpd": 2, "action": "legal", "at": "09:30"},
                     {"id": "co", "dpd": 180, "action": "charge_off", "at": "00:00"}]
    return parse_strategy(data, "legal-now")


async def test_two_identical_legal_updates_at_once_apply_once(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    due = await _today(time_env, TZ) - timedelta(days=1)
    async with sc.worker():
        handle = await sc.start(account_row("AG3", due, overdue="2000.00", balance="8000.00"), _legal_now(),
                                now=await time_env.get_current_time())
        await time_env.sleep(days(2))
        assert (await _status(time_env, handle)).legal.status == "referred"
        event = LegalEvent(event_id="L-1", on=await _today(time_env, TZ), by="lawyer-1", new_state="filed",
                           cost=Decimal("300.00"), note="court fee")
        first, second = await asyncio.gather(*(
            handle.execute_update("update_legal_case", LegalCaseUpdate(event=event), result_type=LegalCaseUpdateResult)
            for _ in range(2)))
        assert {first.duplicate, second.duplicate} == {False, True}
        assert first.state == second.state == "filed"
        assert first.recoverable_costs == second.recoverable_costs == Decimal("300.00")
        await _no_failed_workflow_task(handle)
        episode = (await _status(time_env, handle)).episode_id
    with sc.sessions() as s:
        costs = s.scalars(select(LedgerPosting).where(LedgerPosting.episode_id == episode,
                                                      LedgerPosting.posting_key.like("%:fee:legal-L-1"))).all()
    assert len(costs) == 1


async def test_two_identical_reages_at_once_apply_once(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    pricing = PRICED.pricing.model_copy(update={"reage": ReagePolicy(preset=None, min_consecutive_payments=1)})
    strategy = PRICED.model_copy(update={"pricing": pricing, "name": "reage-one"})
    due = await _today(time_env, TZ) - timedelta(days=25)
    async with sc.worker():
        handle = await sc.start(account_row("AG4", due, overdue="1000.00", balance="5000.00"), strategy,
                                now=await time_env.get_current_time())
        # A minimum's worth paid in the current cycle; once its due date passes the account may be re-aged.
        await handle.execute_update("record_payment", PaymentInput(payment_id="AG4-P", amount=Decimal("600.00")))
        await time_env.sleep(days(7))
        request = ReageInput(reage_id="R-1", approved_by="s-1", approver_role="supervisor", reason="workout agreed")
        first, second = await asyncio.gather(*(
            handle.execute_update("reage", request, result_type=ReageOutcome) for _ in range(2)))
        assert {first.duplicate, second.duplicate} == {False, True}
        status = await _status(time_env, handle)
        assert len(status.reages) == 1
        await _no_failed_workflow_task(handle)


def _evening_sms():
    return parse_strategy({
        "name": "evening", "compliance": {"preset": "cn-bank"},
        "steps": [{"id": "late-sms", "dpd": 1, "action": "sms", "at": "20:00"},
                  {"id": "co", "dpd": 180, "action": "charge_off", "at": "00:00"}],
    }, "evening")


async def test_a_deferral_hours_away_waits_with_one_timer_and_runs_once_at_its_moment(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    tz = "America/Los_Angeles"
    due = await _today(time_env, tz)
    # The phone is a New York number: 20:00 in Los Angeles is 23:00 there, outside the window of one of the
    # zones the customer may be in. The next moment both allow is hours away.
    row = account_row("AG5", due, tz=tz, language="en", currency="USD").model_copy(update={"phone": "+1 212 555 0100"})
    async with sc.worker():
        handle = await sc.start(row, _evening_sms(), now=await time_env.get_current_time())
        await time_env.sleep(days(3))
        history = await handle.fetch_history()
    with sc.sessions() as s:
        decisions = s.scalars(select(ContactDecision).where(ContactDecision.step_id == "late-sms")
                              .order_by(ContactDecision.id)).all()
    assert [d.verdict for d in decisions] == ["defer", "allow"], [(d.verdict, d.rule, d.until) for d in decisions]
    # Between the deferral and the send: one timer, to the gate's moment.
    events = history.events
    scheduled = [i for i, e in enumerate(events) if activity_of(e) == EXECUTE_STEP]
    assert len(scheduled) == 2
    timers = [e for e in events[scheduled[0]:scheduled[1]] if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED]
    assert len(timers) == 1
    assert decisions[1].proposed_at >= decisions[0].until


async def test_a_long_hold_rolls_the_history_over(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    due = await _today(time_env, TZ) - timedelta(days=2)
    async with sc.worker():
        handle = await sc.start(account_row("AG6", due), now=await time_env.get_current_time(),
                                continue_after_events=40)
        await sc.settle(handle)
        held = await handle.execute_update("place_hold", HoldInput(
            hold_id="H-1", hold_type="hardship", reason="job loss", placed_by="s-1", days=150), result_type=HoldResult)
        assert held.status == "active"
        await time_env.sleep(days(120))  # stage and bucket boundaries wake it; nothing is sent
        status = await _status(time_env, handle)
        assert [h.status for h in status.holds] == ["active"] and status.paused_by.startswith("hardship hold H-1")
        first_run = time_env.client.get_workflow_handle(handle.id, run_id=handle.first_execution_run_id)
        first = await first_run.fetch_history()
        assert first.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
        assert (await handle.describe()).run_id != handle.first_execution_run_id
        await _save_history(first_run, "hold_continued_as_new")


class BrokenOpening(CollectionActivities):
    """The episode's row cannot be written until the test repairs it (say, a column too short)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.broken = True

    @activity.defn(name=OPEN_EPISODE)
    def open_episode(self, cmd: OpenEpisodeCommand) -> bool:
        if self.broken:
            raise RuntimeError("value too long for type character varying(16)")
        return super().open_episode(cmd)


async def test_an_activity_failing_past_its_bound_flags_the_episode_and_keeps_trying_slowly(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    sc.activities = BrokenOpening(sc.sessions, Renderer(PROJECT_ROOT / "templates"))
    due = await _today(time_env, TZ) - timedelta(days=3)
    async with sc.worker():
        handle = await sc.start(account_row("AG7", due), now=await time_env.get_current_time(),
                                attention_attempts=3, slow_retry_seconds=600)
        await time_env.sleep(timedelta(minutes=5))
        described = await handle.describe()
        assert described.typed_search_attributes.get(sa.ATTENTION) == f"activity_failing:{OPEN_EPISODE}"
        assert (await _status(time_env, handle)).attention == f"activity_failing:{OPEN_EPISODE}"
        assert described.status == WorkflowExecutionStatus.RUNNING
        sc.activities.broken = False  # repaired: the next slow retry succeeds and the flag goes
        await time_env.sleep(timedelta(minutes=15))
        assert (await handle.describe()).typed_search_attributes.get(sa.ATTENTION) is None
        assert (await _status(time_env, handle)).attention is None
