# Frozen copy, kept byte-for-byte in behaviour for the replay of histories recorded before the
# agenda engine (the engine is chosen by workflow.patched("agenda") in workflows/collection/workflow.py):
# Size: that is why it exceeds the size limit of workflows/ and is excluded from lint and type checks.
"""AccountCollection, first engine (frozen): episodes started before the agenda cut-over.

FROZEN. This is the collection workflow as it ran until the agenda engine
(workflows/collection/) replaced it. Episodes started before the cut-over
(their history has no `agenda` marker) and their continued-as-new runs keep
running this code until they close, and the recorded histories in
tests/histories/v1/ replay against it. Do not change what it does: any
change to the commands it issues breaks those running episodes. It is over
the size limit of workflows/ for that reason; delete it (and legacy/) once
no episode started before the cut-over is open (`arrears doctor --legacy`).

The one change since the freeze: a step finishing after a payment replanned
the ladder no longer crashes the workflow task (`list.remove` raised when the
replan had replaced the list; now the step is dropped only if still there).
That issues no new command.

The original description follows.

AccountCollection: one durable workflow per delinquency episode.

The workflow reads like the business process: wait for the next strategy step
(or for something to happen), run it through one activity, repeat until the
account is cured, closed or charged off. All decisions come from the pure
domain modules; every side effect is an activity keyed by
``<episode_id>:<step key>``.

Adding a pause (a promise to pay, a plan, a hold) means adding a condition to
``_paused_by`` and its deadline to ``_next_wake``: the main loop itself stays as it is.
"""

import asyncio
from datetime import datetime, timedelta
from decimal import Decimal

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from arrears.runtime import search_attributes as sa
    from arrears.contracts.collection import (
        ApplyStrategyInput,
        ApplyStrategyResult,
        CloseInput,
        CloseResult,
        EpisodeInput,
        EpisodeResult,
        EpisodeState,
        HoldInput,
        HoldResult,
        OutcomeInput,
        OutcomeResult,
        PaymentInput,
        PaymentResult,
        CancelPlanInput,
        PlanInput,
        PlanResult,
        PromiseInput,
        PromiseResult,
        ReleaseHoldInput,
        SettlementInput,
        SettlementResult,
        StrategyChangeCommand,
        StatusView,
    )
    from arrears.contracts.collection_activities import (
        CloseEpisodeCommand,
        CommissionCommand,
        HoldCommand,
        HoldEndCommand,
        HoldRecorded,
        OpenEpisodeCommand,
        OutcomeCommand,
        PaymentCommand,
        PlacementChangeCommand,
        PlacementCommand,
        PlacementResult,
        PlanCommand,
        PlanResolutionCommand,
        PromiseCommand,
        PromiseResolutionCommand,
        SettlementCommand,
        SettlementResolutionCommand,
        StageChangeCommand,
        StepCommand,
        StepResult,
    )
    from arrears.contracts.names import (
        CLOSE_EPISODE,
        CLOSE_PLACEMENT,
        END_HOLD,
        EXECUTE_STEP,
        OPEN_EPISODE,
        PLACE_WITH_AGENCY,
        RECALL_PLACEMENT,
        RECORD_COMMISSION,
        RECORD_HOLD,
        RECORD_OUTCOME,
        RECORD_PAYMENT,
        RECORD_PLAN,
        RECORD_PROMISE,
        RECORD_SETTLEMENT,
        RECORD_STAGE_CHANGE,
        RECORD_STRATEGY_CHANGE,
        RENEW_PLACEMENT,
        RESOLVE_PLAN,
        RESOLVE_PROMISE,
        RESOLVE_SETTLEMENT,
        WORKFLOW_TYPE,
    )
    from arrears.domain.episode import EffectiveCollectionRecord, PaymentRecord
    from arrears.domain.agency import AGENCY_CHANNEL, PlacementRecord, commission, placement_end
    from arrears.domain.clock import EpisodeClock
    from arrears.domain.delinquency import (
        Outcome,
        bucket_for_dpd,
        days_past_due,
        next_boundary_dpd,
        stage_for_dpd,
    )
    from arrears.domain.delinquency import local_date
    from arrears.domain.holds import (
        HOLD_TASKS,
        ContactEffect,
        HoldRecord,
        HoldType,
        hold_days,
        hold_expiry,
        hold_refusal,
        release_refusal,
    )
    from arrears.domain.ladder import (
        ScheduledStep,
        initial_plan,
        local_moment,
        replan_for_segment,
        replan_for_strategy,
        resume_plan,
    )
    from arrears.domain.money import has_valid_scale
    from arrears.domain.outcome import ContactOutcome, outcome_refusal
    from arrears.domain.plan import (
        Instalment,
        InstalmentPlan,
        due_so_far,
        instalment_deadline,
        is_completed,
        paid_into,
        plan_refusal,
    )
    from arrears.domain.register import malicious_overdraft_register
    from arrears.domain.promise import (
        PromiseRecord,
        is_kept,
        next_working_day,
        paid_toward,
        promise_deadline,
        promise_refusal,
        raise_segment,
    )
    from arrears.domain.settlement import SettlementOffer, discount_percent, offer_expiry, settled, settlement_refusal
    from arrears.domain.strategy import MESSAGES, Action, Role, Segment

    from arrears.contracts.account import LegalEventCommand, LegalEventResult
    from arrears.contracts.names import RECORD_LEGAL_EVENT
    from arrears.contracts.collection import ReageInput
    from arrears.domain.episode import ReageOutcome
    from arrears.domain.legal import event_refusal
    from arrears.domain.reage import reage_refusal
    from arrears.contracts.ledger import ReageCommand, ReageResult
    from arrears.contracts.names import RECORD_REAGE
    from arrears.contracts.recovery import LegalCaseUpdate, LegalCaseUpdateResult

from workflows.legacy.economics_v1 import ECONOMICS_PATCH, Economics

# Side effects must happen exactly once and never be lost: retry without a
# cap (an outage of the database delays a step, it does not drop it).
ACTIVITY_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=5))
ACTIVITY_TIMEOUT = timedelta(minutes=2)
# The ladder's agency step places the account with an outside agency (before
# this patch it opened a plain collector task of kind agency).
AGENCY_PATCH = "agency-placement"
CONTACT_GATE_PATCH = "contact-gate"
VALIDATION_NOTICE_PATCH = "validation-notice"
# While the validation notice waits (a letter deferred to the next working day), no other
# contact goes ahead of it: before this patch a reminder due first was sent first.
VALIDATION_FIRST_PATCH = "validation-notice-first"
CUSTOMER_CONTACTS = MESSAGES | {Action.CALL, Action.VISIT}
# A dispute_raised or hardship_claimed outcome places the matching hold (before
# this patch the outcome was only recorded).
HOLDS_PATCH = "holds"
# Holds a collector's outcome places, and the prefix of their ids (reserved: an
# operator's hold id cannot take it, so an outcome's hold never collides with one).
OUTCOME_HOLDS = {ContactOutcome.DISPUTE_RAISED: HoldType.DISPUTE, ContactOutcome.HARDSHIP_CLAIMED: HoldType.HARDSHIP}
OUTCOME_HOLD_PREFIX = "outcome-"
# Waits shorter than this are treated as "due now": with compressed demo days
# the scaled delay can round to a few microseconds.
MIN_WAIT = timedelta(milliseconds=1)


class LegacyCollection(Economics):
    """Not a workflow definition of its own: the AccountCollection facade runs it for old episodes."""

    def __init__(self, inp: EpisodeInput) -> None:
        self.inp = inp
        if inp.carried is not None:
            self.state = inp.carried
        else:
            now = workflow.now()
            self.state = EpisodeState(
                episode_id=workflow.info().first_execution_run_id,
                clock=EpisodeClock(anchor_real=now, anchor_virtual=now, day_seconds=inp.day_seconds),
                overdue_amount=inp.overdue_amount,
                total_balance=inp.total_balance,
                pending=initial_plan(inp.strategy, inp.risk_segment, inp.due_date, inp.timezone, now),
            )
        self.outcome: Outcome | None = None
        self.outcome_reason: str | None = None
        self.closed_by: str | None = None
        self.changed = False
        # Records that reference the episode (payments) wait until its row exists.
        self.opened = inp.carried is not None
        self._search_attributes: tuple | None = None
        # Continue-as-new keeps the search attributes, so a carried run starts from what they show.
        self._hold_types: tuple[str, ...] | None = self._active_hold_types() if self.state.holds else None

    async def _act(self, name: str, command, result_type: type | None = None):
        """Run one side effect: retried without a cap, so it is delayed by an outage, never lost."""
        return await workflow.execute_activity(
            name, command, result_type=result_type, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=ACTIVITY_RETRY
        )

    # ---- clock ---------------------------------------------------------------

    def _now(self) -> datetime:
        return self.state.clock.virtual(workflow.now())

    def _dpd(self) -> int:
        return days_past_due(self._anchor(), self._now(), self.inp.timezone)

    def _segment(self) -> Segment:
        return self.state.risk_segment or self.inp.risk_segment

    def _paid_total(self) -> Decimal:
        return sum((p.amount for p in self.state.payments.values()), Decimal(0))

    def _active_promise(self) -> PromiseRecord | None:
        active = self.state.active_promise
        return self.state.promises[active] if active else None

    def _open_offer(self) -> SettlementOffer | None:
        offer = self.state.open_offer
        return self.state.settlements[offer] if offer else None

    def _active_plan(self) -> InstalmentPlan | None:
        plan = self.state.active_plan
        return self.state.plans[plan] if plan else None

    def _next_instalment_deadline(self, plan: InstalmentPlan) -> datetime | None:
        if plan.judged >= len(plan.instalments):
            return None
        return instalment_deadline(
            plan.instalments[plan.judged].due_date, self.inp.strategy.plans.grace_days, self.inp.timezone
        )

    def _active_holds(self) -> list[HoldRecord]:
        return [h for h in self.state.holds.values() if h.active]

    def _active_hold_types(self) -> tuple[str, ...]:
        return tuple(sorted({h.hold_type.value for h in self._active_holds()}))

    def _pausing_holds(self) -> list[HoldRecord]:
        return [h for h in self._active_holds() if h.rule.pauses_escalation]

    def _hold_due_to_expire(self) -> HoldRecord | None:
        due = [h for h in self._active_holds() if h.expires_at is not None and h.expires_at <= self._now() + self._slack()]
        return min(due, key=lambda h: h.expires_at, default=None)

    def _paused_by(self) -> str | None:
        """What holds escalation back now: a hold, a plan, a promise, a settlement window, an agency placement, or nothing."""
        holds = self._pausing_holds()
        if holds:
            named = ", ".join(
                f"{h.hold_type.value} hold {h.hold_id}" + (f" until {h.expires_at:%Y-%m-%d %H:%M} UTC" if h.expires_at else "")
                for h in holds
            )
            return named + ("; charge-off blocked" if any(h.rule.blocks_charge_off for h in holds) else "")
        plan = self._active_plan()
        if plan is not None:
            return f"instalment plan {plan.plan_id} ({plan.judged} of {len(plan.instalments)} instalments met)"
        promise = self._active_promise()
        if promise is not None:
            return f"promise {promise.promise_id} until {promise.deadline:%Y-%m-%d %H:%M} UTC"
        offer = self._open_offer()
        if offer is not None:
            return f"settlement offer {offer.offer_id} until {offer.expires_at:%Y-%m-%d %H:%M} UTC"
        placement = self.state.placement
        if placement is not None:
            return (f"agency placement with {placement.agency_id} ({placement.agency_name}) "
                    f"until {placement.ends_at:%Y-%m-%d %H:%M} UTC")
        return None

    def _runnable_head(self) -> ScheduledStep | None:
        """The next step the ladder may run: none while paused, except a charge-off (unless a hold blocks it)."""
        if self._paused_by() is not None:
            if any(h.rule.blocks_charge_off for h in self._pausing_holds()):
                return None
            return next((s for s in self.state.pending if s.action == Action.CHARGE_OFF), None)
        return self.state.pending[0] if self.state.pending else None

    def _slack(self) -> timedelta:
        """Collection time within which a moment counts as reached.

        Timers have millisecond resolution; with compressed demo days one
        millisecond is minutes of collection time, so "due" allows for it.
        """
        return max(timedelta(seconds=1), MIN_WAIT * self.state.clock.speed)

    def _dpd_reached(self) -> int:
        return days_past_due(self._anchor(), self._now() + self._slack(), self.inp.timezone)

    def _next_wake(self) -> datetime | None:
        """The next moment the loop must act: a step, or a stage/bucket boundary."""
        candidates: list[datetime] = []
        head = self._runnable_head()
        if head is not None:
            candidates.append(head.due_at)
        promise = self._active_promise()
        if promise is not None:
            candidates.append(promise.deadline)
        offer = self._open_offer()
        if offer is not None:
            candidates.append(offer.expires_at)
        plan = self._active_plan()
        deadline = self._next_instalment_deadline(plan) if plan is not None else None
        if deadline is not None:
            candidates.append(deadline)
        if self.state.placement is not None:
            candidates.append(self.state.placement.ends_at)
        candidates += [h.expires_at for h in self._active_holds() if h.expires_at is not None]
        boundary = next_boundary_dpd(self._dpd_reached())
        if boundary is not None:
            candidates.append(local_moment(self._anchor(), boundary, datetime.min.time(), self.inp.timezone))
        candidates += self._economics_wakes()
        return min(candidates, default=None)

    # ---- main loop -----------------------------------------------------------

    @workflow.run
    async def run(self, inp: EpisodeInput) -> EpisodeResult:
        try:
            await self._open_episode()
            # The stage the episode starts in is on record even if it ends at once
            # (a close or payment that arrived before the loop). Episodes started
            # before this change replay without it.
            if workflow.patched("stage-on-record-at-open"):
                await self._track_stage()
            self._schedule_validation_notice()
            # Ledger, restrictions, blacklist, bureau notice, legal criteria, write-off and
            # restoration (workflows/economics.py); a continued run carries the decision.
            if self.inp.carried is None and workflow.patched(ECONOMICS_PATCH):
                self.state.economics = True
                await self._economics_start()
            while self.outcome is None:
                await self._track_stage()
                await self._economics_round()
                if self.outcome is not None:
                    break
                hold = self._hold_due_to_expire()
                if hold is not None:
                    await self._end_hold(hold, "expired", resolution=None, released_by=None)
                    continue
                promise = self._active_promise()
                if promise is not None and (
                    promise.deadline <= self._now() + self._slack() or is_kept(promise, self._paid_total())
                ):
                    await self._resolve_promise(promise)
                    continue
                offer = self._open_offer()
                if offer is not None and offer.expires_at <= self._now() + self._slack():
                    await self._expire_offer(offer)
                    continue
                plan = self._active_plan()
                deadline = self._next_instalment_deadline(plan) if plan is not None else None
                if plan is not None and deadline is not None and deadline <= self._now() + self._slack():
                    await self._judge_instalment(plan)
                    continue
                placement = self.state.placement
                if placement is not None and placement.ends_at <= self._now() + self._slack():
                    await self._end_placement_period(placement)
                    continue
                head = self._runnable_head()
                if head is not None and head.due_at <= self._now() + self._slack():
                    await self._run_step(head)
                    # A payment that replanned the ladder while the step ran has replaced the list: no crash.
                    self.state.pending = [s for s in self.state.pending if s is not head]
                    if self.outcome is None and workflow.info().is_continue_as_new_suggested():
                        await workflow.wait_condition(workflow.all_handlers_finished)
                        workflow.continue_as_new(inp.model_copy(update={"carried": self.state}))
                    continue
                wake = self._next_wake()
                delay = None if wake is None else max(MIN_WAIT, self.state.clock.real_delay(self._now(), wake))
                self.changed = False
                try:
                    await workflow.wait_condition(lambda: self.changed or self.outcome is not None, timeout=delay)
                except asyncio.TimeoutError:
                    pass
        except asyncio.CancelledError:
            # `temporal workflow cancel`: end cleanly, with the reason on record.
            self.outcome = Outcome.CLOSED
            self.outcome_reason = "workflow cancelled through Temporal (cancel request)"
            self.closed_by = "temporal-cancel"
            await self._finish()
            raise
        return await self._finish()

    def _behind_validation_notice(self, step: ScheduledStep) -> bool:
        """A contact due while the validation notice still waits goes right after it instead."""
        if step.key == "validation-notice" or step.action not in CUSTOMER_CONTACTS:
            return False
        notice = next((s for s in self.state.pending if s.key == "validation-notice"), None)
        if notice is None or not workflow.patched(VALIDATION_FIRST_PATCH):
            return False
        later = step.model_copy(update={"due_at": max(notice.due_at, self._now())})
        # A stable sort: the notice stays ahead of the contact that now shares its moment.
        self.state.pending = sorted([*self.state.pending, later], key=lambda s: s.due_at)
        return True

    def _schedule_validation_notice(self) -> None:
        """A preset that requires it (us-regf, 12 CFR 1006.34) sends the validation notice at the start."""
        policy = self.inp.strategy.compliance
        template = policy.validation_notice_template if policy else None
        if template is None or self.inp.carried is not None or not workflow.patched(VALIDATION_NOTICE_PATCH):
            return
        notice = ScheduledStep(key="validation-notice", step_id="validation-notice", action=Action.LETTER,
                               dpd=self._dpd(), due_at=self._now(), template=template)
        self.state.pending = [notice, *self.state.pending]

    async def _finish(self) -> EpisodeResult:
        await self._open_episode()  # cancelled before it was opened: open it, then close it
        await workflow.wait_condition(workflow.all_handlers_finished)
        assert self.outcome is not None
        continuing = None
        if self.state.economics and self.outcome == Outcome.CHARGED_OFF:
            # A running agency placement goes on in the recovery workflow, not closed out here.
            continuing, self.state.placement = self.state.placement, None
        if workflow.patched("close-out-open-agreements"):
            await self._close_out_agreements()
        self.state.placement = continuing
        await self._economics_finish()
        dpd = self._dpd()
        await self._act(
            CLOSE_EPISODE,
            CloseEpisodeCommand(
                episode_id=self.state.episode_id,
                account_id=self.inp.account_id,
                outcome=self.outcome,
                reason=self.outcome_reason or self.outcome.value,
                closed_by=self.closed_by or "workflow",
                dpd=dpd,
                closed_at=self._now(),
                overdue_amount=self.state.overdue_amount,
                total_balance=self.state.total_balance,
            ),
        )
        self._upsert_search_attributes(self.outcome.value, bucket_for_dpd(dpd))
        return EpisodeResult(
            account_id=self.inp.account_id,
            episode_id=self.state.episode_id,
            outcome=self.outcome,
            reason=self.outcome_reason or self.outcome.value,
            dpd=dpd,
            overdue_amount=self.state.overdue_amount,
            total_balance=self.state.total_balance,
            steps_done=self.state.steps_done,
            contacts_by_channel=self.state.contacts_by_channel,
        )

    async def _close_out_agreements(self) -> None:
        """An episode that ends (charge-off, close, cancel, cure) leaves no plan, promise, offer or placement open on record."""
        ended = f"episode ended: {self.outcome.value if self.outcome else 'unknown'}"
        plan = self._active_plan()
        if plan is not None:
            await self._end_plan(plan, "cancelled", ended)
        promise = self._active_promise()
        if promise is not None:
            promise.status = "cancelled"
            self.state.active_promise = None
            await self._record_promise_end(promise)
        offer = self._open_offer()
        if offer is not None:
            offer.status = "withdrawn"
            self.state.open_offer = None
            await self._record_settlement_end(offer, forgiven=Decimal(0))
        placement = self.state.placement
        if placement is not None:
            placement.status = "closed"
            self.state.placement = None
            await self._record_placement_change(placement, ended)

    async def _open_episode(self) -> None:
        if self.opened:
            return
        info = workflow.info()
        await self._act(
            OPEN_EPISODE,
            OpenEpisodeCommand(
                episode_id=self.state.episode_id,
                account_id=self.inp.account_id,
                workflow_id=info.workflow_id,
                run_id=info.run_id,
                started_at=self._now(),
                due_date=self.inp.due_date,
                dpd_at_start=self._dpd(),
                currency=self.inp.currency,
                overdue_amount=self.inp.overdue_amount,
                total_balance=self.inp.total_balance,
                risk_segment=self.inp.risk_segment,
                strategy_name=self.inp.strategy.name,
                strategy_hash=self.inp.strategy_hash,
            ),
        )
        self.opened = True

    async def _track_stage(self) -> None:
        """Record a stage change and keep the search attributes current."""
        dpd = self._dpd_reached()
        stage = stage_for_dpd(dpd).value
        if stage != self.state.last_stage:
            await self._act(
                RECORD_STAGE_CHANGE,
                StageChangeCommand(
                    episode_id=self.state.episode_id,
                    account_id=self.inp.account_id,
                    stage=stage,
                    previous_stage=self.state.last_stage,
                    dpd=dpd,
                    occurred_at=self._now(),
                ),
            )
            self.state.last_stage = stage
        self._upsert_search_attributes(stage, bucket_for_dpd(dpd))

    def _upsert_search_attributes(self, stage: str, bucket: str) -> None:
        values = (stage, bucket, self._segment().value, self.state.overdue_amount)
        if values == self._search_attributes:
            return  # an upsert is a history event: write only what changed
        self._search_attributes = values
        workflow.upsert_search_attributes(
            [
                sa.COLLECTION_STAGE.value_set(stage),
                sa.DELINQUENCY_BUCKET.value_set(bucket),
                sa.RISK_SEGMENT.value_set(self._segment().value),
                # Double only for filtering in visibility; the exact amount is Decimal.
                sa.OVERDUE_AMOUNT.value_set(float(self.state.overdue_amount)),
            ]
        )

    async def _run_step(self, step: ScheduledStep) -> None:
        if self._behind_validation_notice(step):
            return
        dpd = self._dpd()
        command = StepCommand(
            episode_id=self.state.episode_id,
            account_id=self.inp.account_id,
            step=step,
            executed_at=self._now(),
            dpd=dpd,
            stage=stage_for_dpd(dpd).value,
            currency=self.inp.currency,
            overdue_amount=self.state.overdue_amount,
            total_balance=self.state.total_balance,
            due_date=self._anchor(),
            strategy_hash=self.inp.strategy_hash,
            desk=self.inp.strategy.desk,
            compliance=self.inp.strategy.compliance,
        )
        if self.state.economics:
            if await self._economics_step(step, command):
                return
            if step.action == Action.CHARGE_OFF:
                await self._charge_off_balance(step.step_id)
        if step.action == Action.AGENCY and workflow.patched(AGENCY_PATCH):
            await self._place_with_agency(command)
            self.state.steps_done += 1
            return
        result: StepResult = await self._act(EXECUTE_STEP, command, result_type=StepResult)
        if result.kind == "deferred" and result.deferred_until is not None and workflow.patched(CONTACT_GATE_PATCH):
            # Not now: the policy gate named the next permitted moment; the step waits for it.
            later = step.model_copy(update={"due_at": max(result.deferred_until, self._now())})
            self.state.pending = sorted([*self.state.pending, later], key=lambda s: s.due_at)
            return
        self.state.steps_done += 1
        if result.kind == "contact":
            counts = self.state.contacts_by_channel
            counts[result.channel] = counts.get(result.channel, 0) + 1
        elif result.kind == "task":
            self.state.tasks[result.record_id] = result.channel
        if step.action == Action.CHARGE_OFF and self.outcome is None:
            self.outcome = Outcome.CHARGED_OFF
            self.outcome_reason = f"charged off at DPD {dpd} by strategy step {step.step_id}"

    async def _place_with_agency(self, command: StepCommand) -> None:
        """The agency step: placed (escalation pauses for the period) or, with no room anywhere, a task says so."""
        result: PlacementResult = await self._act(
            PLACE_WITH_AGENCY, PlacementCommand(step=command, timezone=self.inp.timezone), result_type=PlacementResult
        )
        if result.placement is not None:
            self.state.placement = result.placement
        elif result.task_id is not None:
            self.state.tasks[result.task_id] = Action.AGENCY.value

    async def _end_placement_period(self, placement: PlacementRecord) -> None:
        """The period is over: renewed if the agency reported payments in it, else recalled."""
        period_end = placement.ends_at
        if placement.period_payments == 0:
            placement.status = "recalled"
            self.state.placement = None
            # Back to the ladder from the end of the period: the steps of the placement's time are not replayed.
            self.state.pending = resume_plan(self.state.pending, period_end)
            reason = (f"recalled: {placement.agency_id} reported no payment in the {placement.placement_days}-day "
                      f"period ending {period_end:%Y-%m-%d %H:%M} UTC")
        else:
            placement.status = "renewed"
            placement.renewals += 1
            placement.ends_at = placement_end(period_end, placement.placement_days, self.inp.timezone)
            reason = (f"renewed ({placement.renewals}): {placement.agency_id} reported {placement.period_payments} "
                      f"payment(s) in the period ending {period_end:%Y-%m-%d %H:%M} UTC")
            placement.period_payments = 0
        await self._record_placement_change(placement, reason)

    async def _record_placement_change(self, placement: PlacementRecord, reason: str) -> None:
        activity_name = {"renewed": RENEW_PLACEMENT, "recalled": RECALL_PLACEMENT, "closed": CLOSE_PLACEMENT}
        await self._act(
            activity_name[placement.status],
            PlacementChangeCommand(
                episode_id=self.state.episode_id,
                account_id=self.inp.account_id,
                idempotency_key=placement.idempotency_key,
                status=placement.status,
                renewals=placement.renewals,
                ends_at=placement.ends_at,
                reason=reason,
                at=self._now(),
            ),
        )

    async def _resolve_promise(self, promise: PromiseRecord) -> None:
        """Judge a promise at its deadline (or once paid): kept, or broken with a follow-up."""
        now = self._now()
        paid = paid_toward(promise, self._paid_total())
        kept = paid >= promise.amount
        promise.status = "kept" if kept else "broken"
        self.state.active_promise = None
        # Either way the ladder resumes at today's DPD: the paused steps are not replayed.
        self.state.pending = resume_plan(self.state.pending, now)
        if not kept:
            policy = self.inp.strategy.promises
            self.state.broken_promises += 1
            if self.state.broken_promises == policy.broken_limit:
                self.state.risk_segment = raise_segment(self._segment())
                self.state.pending = replan_for_segment(
                    self.inp.strategy, self._segment(), self.inp.due_date, self.inp.timezone, now, self.state.pending
                )
            self._schedule_followup_call(f"broken-promise-{promise.promise_id}", "broken-promise-followup")
        await self._record_promise_end(promise)

    async def _record_promise_end(self, promise: PromiseRecord) -> None:
        await self._act(
            RESOLVE_PROMISE,
            PromiseResolutionCommand(
                episode_id=self.state.episode_id,
                account_id=self.inp.account_id,
                promise_id=promise.promise_id,
                status=promise.status,
                paid_toward=paid_toward(promise, self._paid_total()),
                resolved_at=self._now(),
                broken_promises=self.state.broken_promises,
                risk_segment=self._segment(),
            ),
        )

    def _schedule_followup_call(self, key: str, step_id: str) -> None:
        """A collector call on the next working day, at the strategy's follow-up time."""
        day = next_working_day(local_date(self._now(), self.inp.timezone))
        followup = ScheduledStep(
            key=key,
            step_id=step_id,
            action=Action.CALL,
            dpd=(day - self.inp.due_date).days,
            due_at=local_moment(day, 0, self.inp.strategy.promises.followup_at, self.inp.timezone),
        )
        self.state.pending = sorted([*self.state.pending, followup], key=lambda s: s.due_at)

    async def _judge_instalment(self, plan: InstalmentPlan) -> None:
        """An instalment's grace has run out: met, or the plan is broken."""
        if paid_into(plan, self._paid_total()) >= due_so_far(plan, plan.judged + 1):
            plan.judged += 1
            return
        due = plan.instalments[plan.judged]
        await self._end_plan(plan, "broken", f"instalment of {due.amount} due {due.due_date} was not paid")
        self._schedule_followup_call(f"broken-plan-{plan.plan_id}", "broken-plan-followup")

    async def _end_plan(self, plan: InstalmentPlan, status: str, reason: str) -> None:
        plan.status, plan.status_reason = status, reason
        self.state.active_plan = None
        if status != "completed":
            # Back to the ladder at today's DPD; the steps of the plan's time are not replayed.
            self.state.pending = resume_plan(self.state.pending, self._now())
        await self._act(
            RESOLVE_PLAN,
            PlanResolutionCommand(
                episode_id=self.state.episode_id,
                account_id=self.inp.account_id,
                plan_id=plan.plan_id,
                status=status,
                reason=reason,
                paid_into=paid_into(plan, self._paid_total()),
                resolved_at=self._now(),
            ),
        )

    async def _expire_offer(self, offer: SettlementOffer) -> None:
        """The offer ran out unpaid: back to the ladder at today's DPD."""
        offer.status = "expired"
        self.state.open_offer = None
        self.state.pending = resume_plan(self.state.pending, self._now())
        await self._record_settlement_end(offer, forgiven=Decimal(0))

    async def _record_settlement_end(self, offer: SettlementOffer, forgiven: Decimal) -> None:
        await self._act(
            RESOLVE_SETTLEMENT,
            SettlementResolutionCommand(
                episode_id=self.state.episode_id,
                account_id=self.inp.account_id,
                offer_id=offer.offer_id,
                status=offer.status,
                paid_toward=self._paid_total() - offer.paid_before,
                forgiven=forgiven,
                resolved_at=self._now(),
            ),
        )

    # ---- holds -------------------------------------------------------------------

    def _upsert_hold_types(self) -> None:
        """HoldType shows the active holds' types; an empty list once none is active."""
        types = self._active_hold_types()
        if types == self._hold_types:
            return  # an upsert is a history event: write only what changed
        self._hold_types = types
        workflow.upsert_search_attributes([sa.HOLD_TYPE.value_set(list(types))])

    def _new_hold(
        self, hold_id: str, hold_type: HoldType, reason: str, evidence_ref: str, placed_by: str,
        channel: str | None, days: int | None,
    ) -> HoldRecord:
        now = self._now()
        return HoldRecord(
            hold_id=hold_id, hold_type=hold_type, reason=reason.strip(), evidence_ref=evidence_ref.strip(),
            placed_by=placed_by.strip(), channel=channel, days=days, placed_at=now,
            # Only a hardship ends by itself; every other hold lasts until someone releases it.
            expires_at=hold_expiry(now, days, self.inp.timezone) if hold_type == HoldType.HARDSHIP and days else None,
        )

    def _hold_in_force(self, hold: HoldRecord) -> None:
        """The hold takes effect at once: the loop and any concurrent update see it before it is on record."""
        self.state.holds[hold.hold_id] = hold
        self.changed = True
        self._upsert_hold_types()

    async def _record_hold(self, hold: HoldRecord) -> None:
        """Write the hold (and the estate or attorney task it opens) to the system of record."""
        await workflow.wait_condition(lambda: self.opened)
        dpd = self._dpd()
        recorded: HoldRecorded = await self._act(
            RECORD_HOLD,
            HoldCommand(
                episode_id=self.state.episode_id,
                account_id=self.inp.account_id,
                hold=hold,
                dpd=dpd,
                stage=stage_for_dpd(dpd).value,
                currency=self.inp.currency,
                overdue_amount=self.state.overdue_amount,
            ),
            result_type=HoldRecorded,
        )
        if recorded.task_id is not None:
            hold.task_id = recorded.task_id
            self.state.tasks[recorded.task_id] = HOLD_TASKS[hold.hold_type]
        placement = self.state.placement
        if placement is not None and hold.rule.contact == ContactEffect.NONE:
            # The agency contacts the customer on the bank's behalf: a hold that stops all contact
            # must reach it, so the account is taken back (outbox topic agency, event recalled).
            placement.status = "recalled"
            self.state.placement = None
            await self._record_placement_change(
                placement, f"recalled: {hold.hold_type.value} hold {hold.hold_id} stops all contact"
            )

    async def _end_hold(self, hold: HoldRecord, status: str, resolution: str | None, released_by: str | None) -> None:
        """Released by someone or expired; the last hold on escalation ending resumes the ladder."""
        now = self._now()
        hold.status, hold.resolution, hold.released_by, hold.released_at = status, resolution, released_by, now
        if hold.rule.pauses_escalation and not self._pausing_holds():
            # Back to the ladder at today's DPD: the steps whose time passed during the hold are not
            # replayed (a passed charge-off a hold blocked stays, and runs at once).
            self.state.pending = resume_plan(self.state.pending, now)
        self.changed = True
        self._upsert_hold_types()
        await workflow.wait_condition(lambda: self.opened)
        await self._act(
            END_HOLD,
            HoldEndCommand(
                episode_id=self.state.episode_id,
                account_id=self.inp.account_id,
                hold_id=hold.hold_id,
                status=status,
                resolution=resolution,
                released_by=released_by,
                at=now,
            ),
        )

    def _hold_result(self, hold: HoldRecord, duplicate: bool) -> HoldResult:
        return HoldResult(
            hold_id=hold.hold_id,
            hold_type=hold.hold_type,
            status=hold.status,
            duplicate=duplicate,
            expires_at=hold.expires_at,
            task_id=hold.task_id,
            active_holds=[HoldType(t) for t in self._active_hold_types()],
            outcome=self.outcome,
        )

    def _effective_collection(self, request: OutcomeInput) -> str | None:
        """The register's kind when this contact reached the cardholder, else None.

        Only what the outcome itself shows: a call answered by the cardholder, a
        visit whose report says the cardholder was met.
        """
        kind = self.state.tasks.get(request.task_id)
        if kind == Action.VISIT.value and request.visit is not None and request.visit.met_cardholder:
            return "visit_met"
        if kind == Action.CALL.value and request.outcome == ContactOutcome.RIGHT_PARTY_CONTACT:
            return "right_party_contact"
        return None

    @workflow.update
    async def place_hold(self, request: HoldInput) -> HoldResult:
        known = self.state.holds.get(request.hold_id)
        if known is not None:  # the same hold again: same answer
            return self._hold_result(known, duplicate=True)
        hold = self._new_hold(
            request.hold_id, request.hold_type, request.reason, request.evidence_ref, request.placed_by, request.channel,
            hold_days(request.hold_type, request.days, self.inp.strategy.holds.hardship_days),
        )
        self._hold_in_force(hold)
        try:
            await self._record_hold(hold)
        except ActivityError as exc:
            # Not retryable: the id is on record for this account from an earlier episode. Not placed.
            del self.state.holds[hold.hold_id]
            self._upsert_hold_types()
            raise ApplicationError(getattr(exc.cause, "message", None) or str(exc)) from None
        return self._hold_result(hold, duplicate=False)

    @place_hold.validator
    def _validate_hold(self, request: HoldInput) -> None:
        if request.hold_id.startswith(OUTCOME_HOLD_PREFIX) and request.hold_id not in self.state.holds:
            raise ApplicationError(
                f"hold ids starting with {OUTCOME_HOLD_PREFIX!r} are reserved for holds a collector's outcome places"
            )
        refusal = hold_refusal(
            hold_id=request.hold_id,
            hold_type=request.hold_type,
            reason=request.reason,
            evidence_ref=request.evidence_ref,
            placed_by=request.placed_by,
            channel=request.channel,
            days=hold_days(request.hold_type, request.days, self.inp.strategy.holds.hardship_days),
            existing=self.state.holds.get(request.hold_id),
            ended=self.outcome.value if self.outcome else None,
        )
        if refusal is not None:
            raise ApplicationError(refusal)

    @workflow.update
    async def release_hold(self, request: ReleaseHoldInput) -> HoldResult:
        hold = self.state.holds[request.hold_id]
        by = request.released_by.strip()
        resolution = request.resolution.strip() if request.resolution and request.resolution.strip() else None
        if hold.hold_type == HoldType.DISPUTE and resolution == "upheld":
            # The customer was right: the debt as collected is not owed, so collection must not
            # resume. The episode ends; a corrected balance comes back as a new episode on import.
            self.outcome = Outcome.CLOSED
            self.outcome_reason = f"dispute {hold.hold_id} upheld: the debt as collected is not owed"
            self.closed_by = by
        await self._end_hold(hold, "released", resolution, by)
        return self._hold_result(hold, duplicate=False)

    @release_hold.validator
    def _validate_release(self, request: ReleaseHoldInput) -> None:
        resolution = request.resolution.strip() if request.resolution and request.resolution.strip() else None
        refusal = release_refusal(
            hold_id=request.hold_id,
            released_by=request.released_by,
            resolution=resolution,
            hold=self.state.holds.get(request.hold_id),
            ended=self.outcome.value if self.outcome else None,
        )
        if refusal is not None:
            raise ApplicationError(refusal)

    # ---- updates ---------------------------------------------------------------

    @workflow.update
    async def record_payment(self, payment: PaymentInput) -> PaymentResult:
        known = self.state.payments.get(payment.payment_id)
        if known is not None:  # a repeat: same answer, nothing changes
            return self._payment_result(known, duplicate=True)
        overdue_after = max(Decimal(0), self.state.overdue_amount - payment.amount)
        total_after = max(Decimal(0), self.state.total_balance - payment.amount)
        ledger_on = None
        if self._priced():
            # The ledger decides: allocation, the cycles this covers, what stays overdue.
            overdue_after, total_after, ledger_on = self._add_payment_event(payment.payment_id, payment.amount)
        record = PaymentRecord(
            payment_id=payment.payment_id,
            amount=payment.amount,
            paid_at=payment.paid_at or workflow.now(),
            channel=payment.channel,
            overdue_after=overdue_after,
            total_after=total_after,
            dpd=self._dpd(),
            on=ledger_on,
        )
        # State first (a concurrent repeat sees it), then the durable record.
        self.state.payments[payment.payment_id] = record
        self.state.overdue_amount = overdue_after
        self.state.total_balance = total_after
        placement = self.state.placement
        fee: Decimal | None = None
        if placement is not None and payment.channel == AGENCY_CHANNEL:
            # Reported by the agency holding the account: it earns its commission, and the period counts as worked.
            fee = commission(payment.amount, placement.commission_percent, self.inp.currency)
            placement.period_payments += 1
            placement.collected += payment.amount
            placement.commission += fee
        plan = self._active_plan()
        plan_done = plan is not None and is_completed(plan, self._paid_total())
        if plan is not None and plan_done:
            # The last instalment: what the plan waived is waived, and the account is current.
            self.state.overdue_amount = Decimal(0)
            self.state.total_balance = max(Decimal(0), total_after - plan.fee_waiver)
            self._add_waiver(plan.plan_id, plan.fee_waiver)
            self.outcome = Outcome.CURED
            self.outcome_reason = f"instalment plan {plan.plan_id} completed with payment {payment.payment_id}"
        offer = self._open_offer()
        forgiven: Decimal | None = None
        if offer is not None and settled(offer, self._paid_total()):
            # Paid as offered: the rest of the balance is forgiven and the episode ends.
            forgiven = max(Decimal(0), offer.balance_at_offer - (self._paid_total() - offer.paid_before))
            offer.status = "paid"
            self.state.open_offer = None
            self._add_write_off(f"settlement-{offer.offer_id}", f"settled by offer {offer.offer_id}")
            self.state.overdue_amount = self.state.total_balance = Decimal(0)
            self.outcome = Outcome.SETTLED
            self.outcome_reason = (
                f"settled by offer {offer.offer_id} with payment {payment.payment_id} at DPD {record.dpd}; "
                f"forgiven {forgiven} {self.inp.currency}"
            )
        elif overdue_after == 0 and not plan_done:
            self.outcome = Outcome.PAID_ON_TIME if record.dpd <= 0 else Outcome.CURED
            self.outcome_reason = f"overdue amount paid in full by payment {payment.payment_id} at DPD {record.dpd}"
        self.changed = True
        await workflow.wait_condition(lambda: self.opened)
        await self._act(
            RECORD_PAYMENT,
            PaymentCommand(
                episode_id=self.state.episode_id,
                account_id=self.inp.account_id,
                payment=record,
                currency=self.inp.currency,
            ),
        )
        if placement is not None and fee is not None:
            await self._act(
                RECORD_COMMISSION,
                CommissionCommand(
                    episode_id=self.state.episode_id,
                    account_id=self.inp.account_id,
                    placement_id=placement.placement_id,
                    agency_id=placement.agency_id,
                    payment_id=payment.payment_id,
                    payment_amount=payment.amount,
                    percent=placement.commission_percent,
                    commission=fee,
                    currency=self.inp.currency,
                ),
            )
        await self._sync_ledger()
        if offer is not None and forgiven is not None:
            await self._record_settlement_end(offer, forgiven)
        if plan is not None and plan_done:
            await self._end_plan(plan, "completed", f"last instalment paid by {payment.payment_id}")
        return self._payment_result(record, duplicate=False)

    @record_payment.validator
    def _validate_payment(self, payment: PaymentInput) -> None:
        known = self.state.payments.get(payment.payment_id)
        if known is not None:
            if known.amount != payment.amount:
                raise ApplicationError(
                    f"payment_id {payment.payment_id} was already recorded with amount {known.amount}, "
                    f"not {payment.amount}"
                )
            return
        if self.outcome is not None:
            raise ApplicationError(f"the episode has ended ({self.outcome.value}); no payment can be applied")
        if payment.amount <= 0:
            raise ApplicationError(f"payment amount must be positive, got {payment.amount}")
        if not has_valid_scale(payment.amount, self.inp.currency):
            raise ApplicationError(f"payment amount {payment.amount} has more decimals than {self.inp.currency} allows")

    def _payment_result(self, record: PaymentRecord, duplicate: bool) -> PaymentResult:
        ended = record.overdue_after == 0 or self.outcome in (Outcome.SETTLED, Outcome.CURED)
        return PaymentResult(
            payment_id=record.payment_id,
            accepted=True,
            duplicate=duplicate,
            overdue_amount=record.overdue_after,
            total_balance=record.total_after,
            outcome=self.outcome if ended else None,
        )

    @workflow.update
    async def promise_to_pay(self, request: PromiseInput) -> PromiseResult:
        known = self.state.promises.get(request.promise_id)
        if known is not None:  # the same promise again: same answer
            return self._promise_result(known, duplicate=True)
        replaces = self.state.active_promise if request.replace else None
        if replaces is not None:
            self.state.promises[replaces].status = "replaced"
        record = PromiseRecord(
            promise_id=request.promise_id,
            amount=request.amount,
            promised_date=request.promised_date,
            collector_id=request.collector_id.strip(),
            channel=request.channel,
            note=request.note,
            supervisor_id=request.supervisor_id,
            made_at=self._now(),
            made_dpd=self._dpd(),
            paid_before=self._paid_total(),
            deadline=promise_deadline(request.promised_date, self.inp.strategy.promises.grace_days, self.inp.timezone),
        )
        self.state.promises[record.promise_id] = record
        self.state.active_promise = record.promise_id
        self.changed = True
        await workflow.wait_condition(lambda: self.opened)
        await self._act(
            RECORD_PROMISE,
            PromiseCommand(
                episode_id=self.state.episode_id,
                account_id=self.inp.account_id,
                currency=self.inp.currency,
                promise=record,
                replaces=replaces,
            ),
        )
        return self._promise_result(record, duplicate=False)

    @promise_to_pay.validator
    def _validate_promise(self, request: PromiseInput) -> None:
        refusal = promise_refusal(
            promise_id=request.promise_id,
            amount=request.amount,
            promised_date=request.promised_date,
            collector_id=request.collector_id,
            channel=request.channel,
            note=request.note,
            replace=request.replace,
            supervisor_id=request.supervisor_id,
            today=local_date(self._now(), self.inp.timezone),
            overdue=self.state.overdue_amount,
            existing=self.state.promises.get(request.promise_id),
            active=self._active_promise(),
            ended=self.outcome.value if self.outcome else None,
            broken_count=self.state.broken_promises,
            policy=self.inp.strategy.promises,
        )
        if refusal is not None:
            raise ApplicationError(refusal)

    def _promise_result(self, record: PromiseRecord, duplicate: bool) -> PromiseResult:
        return PromiseResult(
            promise_id=record.promise_id,
            status=record.status,
            duplicate=duplicate,
            deadline=record.deadline,
            broken_promises=self.state.broken_promises,
            risk_segment=self._segment(),
        )

    @workflow.update
    async def offer_settlement(self, request: SettlementInput) -> SettlementResult:
        known = self.state.settlements.get(request.offer_id)
        if known is not None:
            return self._settlement_result(known, duplicate=True)
        replaces = self.state.open_offer if request.replace else None
        if replaces is not None:
            self.state.settlements[replaces].status = "replaced"
        offer = SettlementOffer(
            offer_id=request.offer_id,
            amount=request.amount,
            expires_on=request.expires_on,
            approved_by=request.approved_by.strip(),
            approver_role=request.approver_role,
            balance_at_offer=self.state.total_balance,
            paid_before=self._paid_total(),
            made_at=self._now(),
            expires_at=offer_expiry(request.expires_on, self.inp.timezone),
        )
        self.state.settlements[offer.offer_id] = offer
        self.state.open_offer = offer.offer_id
        self.changed = True
        await workflow.wait_condition(lambda: self.opened)
        await self._act(
            RECORD_SETTLEMENT,
            SettlementCommand(
                episode_id=self.state.episode_id,
                account_id=self.inp.account_id,
                currency=self.inp.currency,
                offer=offer,
                replaces=replaces,
            ),
        )
        return self._settlement_result(offer, duplicate=False)

    @offer_settlement.validator
    def _validate_settlement(self, request: SettlementInput) -> None:
        refusal = settlement_refusal(
            offer_id=request.offer_id,
            amount=request.amount,
            expires_on=request.expires_on,
            approved_by=request.approved_by,
            approver_role=request.approver_role,
            replace=request.replace,
            today=local_date(self._now(), self.inp.timezone),
            balance=self.state.total_balance,
            existing=self.state.settlements.get(request.offer_id),
            open_offer=self._open_offer(),
            ended=self.outcome.value if self.outcome else None,
            policy=self.inp.strategy.settlements,
        )
        if refusal is not None:
            raise ApplicationError(refusal)

    def _settlement_result(self, offer: SettlementOffer, duplicate: bool) -> SettlementResult:
        return SettlementResult(
            offer_id=offer.offer_id,
            status=offer.status,
            duplicate=duplicate,
            expires_at=offer.expires_at,
            discount_percent=discount_percent(offer.amount, offer.balance_at_offer).quantize(Decimal("0.01")),
        )

    def _plan_schedule(self, request: PlanInput) -> list[Instalment]:
        today = local_date(self._now(), self.inp.timezone)
        down = [Instalment(due_date=today, amount=request.down_payment)] if request.down_payment > 0 else []
        return down + list(request.instalments)

    @workflow.update
    async def agree_plan(self, request: PlanInput) -> PlanResult:
        known = self.state.plans.get(request.plan_id)
        if known is not None:
            return self._plan_result(known, duplicate=True)
        plan = InstalmentPlan(
            plan_id=request.plan_id,
            instalments=self._plan_schedule(request),
            fee_waiver=request.fee_waiver,
            rate_discount_percent=request.rate_discount_percent,
            approved_by=request.approved_by.strip(),
            approver_role=request.approver_role,
            paid_before=self._paid_total(),
            made_at=self._now(),
        )
        self.state.plans[plan.plan_id] = plan
        self.state.active_plan = plan.plan_id
        superseded = self._active_promise()
        if superseded is not None:  # the plan replaces a running promise
            superseded.status = "replaced"
            self.state.active_promise = None
        self.changed = True
        await workflow.wait_condition(lambda: self.opened)
        await self._act(
            RECORD_PLAN,
            PlanCommand(episode_id=self.state.episode_id, account_id=self.inp.account_id, currency=self.inp.currency, plan=plan),
        )
        if superseded is not None:
            await self._record_promise_end(superseded)
        return self._plan_result(plan, duplicate=False)

    @agree_plan.validator
    def _validate_plan(self, request: PlanInput) -> None:
        if request.down_payment < 0:
            raise ApplicationError("a down payment cannot be negative")
        refusal = plan_refusal(
            plan_id=request.plan_id,
            instalments=self._plan_schedule(request),
            fee_waiver=request.fee_waiver,
            rate_discount_percent=request.rate_discount_percent,
            approved_by=request.approved_by,
            approver_role=request.approver_role,
            today=local_date(self._now(), self.inp.timezone),
            overdue=self.state.overdue_amount,
            existing=self.state.plans.get(request.plan_id),
            active=self._active_plan(),
            ended=self.outcome.value if self.outcome else None,
            policy=self.inp.strategy.plans,
        )
        if refusal is not None:
            raise ApplicationError(refusal)

    def _plan_result(self, plan: InstalmentPlan, duplicate: bool) -> PlanResult:
        upcoming = plan.instalments[plan.judged].due_date if plan.judged < len(plan.instalments) else None
        return PlanResult(plan_id=plan.plan_id, status=plan.status, duplicate=duplicate, total=plan.total,
                          instalments=len(plan.instalments), next_due=upcoming)

    @workflow.update
    async def cancel_plan(self, request: CancelPlanInput) -> PlanResult:
        plan = self.state.plans[request.plan_id]
        await self._end_plan(plan, "cancelled", f"{request.reason.strip()} (by {request.supervisor_id.strip()})")
        self.changed = True
        return self._plan_result(plan, duplicate=False)

    @cancel_plan.validator
    def _validate_cancel_plan(self, request: CancelPlanInput) -> None:
        if request.supervisor_role == Role.COLLECTOR:
            raise ApplicationError("only a supervisor or manager may cancel a plan")
        if not request.reason.strip() or not request.supervisor_id.strip():
            raise ApplicationError("a reason and the supervisor's id are required to cancel a plan")
        if self.state.active_plan != request.plan_id:
            raise ApplicationError(f"plan {request.plan_id} is not the running plan")

    @workflow.update
    async def log_contact_outcome(self, request: OutcomeInput) -> OutcomeResult:
        self.state.tasks_done.append(request.task_id)
        effective = self._effective_collection(request)
        if effective is not None:
            self.state.effective_collections.append(
                EffectiveCollectionRecord(kind=effective, occurred_at=self._now(), task_id=request.task_id)
            )
        hold: HoldRecord | None = None
        hold_type = OUTCOME_HOLDS.get(request.outcome)
        hold_id = f"{OUTCOME_HOLD_PREFIX}{request.task_id}"
        # Episodes that recorded such an outcome before holds existed replay without the hold.
        if hold_type is not None and hold_id not in self.state.holds and workflow.patched(HOLDS_PATCH):
            note = request.note.strip()
            hold = self._new_hold(
                hold_id, hold_type, f"{request.outcome.value} on task {request.task_id}" + (f": {note}" if note else ""),
                evidence_ref=f"contact_outcomes task {request.task_id}", placed_by=request.collector_id, channel=None,
                days=hold_days(hold_type, None, self.inp.strategy.holds.hardship_days),
            )
            self._hold_in_force(hold)
        callback_step = None
        if request.outcome == ContactOutcome.CALLBACK_REQUESTED and request.callback_at is not None:
            at = request.callback_at  # collection time, as agreed with the customer
            day = local_date(at, self.inp.timezone)
            callback = ScheduledStep(
                key=f"callback-{request.task_id}",
                step_id="callback-requested",
                action=Action.CALL,
                dpd=(day - self.inp.due_date).days,
                due_at=at,
            )
            self.state.pending = sorted([*self.state.pending, callback], key=lambda s: s.due_at)
            callback_step = callback.key
            self.changed = True
        await workflow.wait_condition(lambda: self.opened)
        await self._act(
            RECORD_OUTCOME,
            OutcomeCommand(
                episode_id=self.state.episode_id, account_id=self.inp.account_id, outcome=request, recorded_at=self._now(),
                effective_collection=effective,
            ),
        )
        if hold is not None:
            await self._record_hold(hold)
        return OutcomeResult(task_id=request.task_id, outcome=request.outcome, callback_step=callback_step,
                             hold_id=hold.hold_id if hold else None)

    @log_contact_outcome.validator
    def _validate_outcome(self, request: OutcomeInput) -> None:
        refusal = outcome_refusal(
            task_kind=self.state.tasks.get(request.task_id),
            task_done=request.task_id in self.state.tasks_done,
            outcome=request.outcome,
            duration_seconds=request.duration_seconds,
            collector_id=request.collector_id,
            callback_at=request.callback_at,
            visit=request.visit,
            now=self._now(),
            ended=self.outcome.value if self.outcome else None,
            promise_active=self._active_promise() is not None,
        )
        if refusal is not None:
            raise ApplicationError(refusal)

    @workflow.update
    async def apply_strategy(self, request: ApplyStrategyInput) -> ApplyStrategyResult:
        """Move this episode to another strategy from now on: the old ladder's pending steps go, the
        new ladder's passed steps are not replayed, and the change is recorded with who and why."""
        old, previous_hash = self.inp.strategy, self.inp.strategy_hash
        new_hash = request.strategy.content_hash()
        self.state.pending = replan_for_strategy(
            old, request.strategy, self._segment(), self.inp.due_date, self.inp.timezone, self._now(), self.state.pending
        )
        # The input is what continue-as-new carries on: the new strategy goes with it.
        self.inp = self.inp.model_copy(update={"strategy": request.strategy, "strategy_hash": new_hash})
        self.changed = True
        await workflow.wait_condition(lambda: self.opened)
        await self._act(
            RECORD_STRATEGY_CHANGE,
            StrategyChangeCommand(
                episode_id=self.state.episode_id, account_id=self.inp.account_id, from_name=old.name,
                from_hash=previous_hash, to_name=request.strategy.name, to_hash=new_hash,
                applied_by=request.applied_by.strip(), reason=request.reason.strip(), dpd=self._dpd(),
                applied_at=self._now(),
            ),
        )
        return ApplyStrategyResult(previous_name=old.name, previous_hash=previous_hash, strategy_name=request.strategy.name,
                                   strategy_hash=new_hash, pending_steps=len(self.state.pending))

    @apply_strategy.validator
    def _validate_apply_strategy(self, request: ApplyStrategyInput) -> None:
        if self.outcome is not None:
            raise ApplicationError(f"the episode has ended ({self.outcome.value}); its strategy cannot change")
        if not request.applied_by.strip() or not request.reason.strip():
            raise ApplicationError("who applies the strategy and why are both required")
        if request.strategy.content_hash() == self.inp.strategy_hash:
            raise ApplicationError(f"the episode already runs strategy {request.strategy.name} ({self.inp.strategy_hash[:12]})")

    @workflow.update
    async def reage(self, request: ReageInput) -> ReageOutcome:
        """Bring the account current by agreement: the past-due minimums stop being past due."""
        known = self.state.reage_results.get(request.reage_id)
        if known is not None:
            return known.model_copy(update={"duplicate": True})
        today = self._today()
        ledger = self._ledger()
        cleared = self._owed(ledger)
        result: ReageResult = await self._act(RECORD_REAGE, ReageCommand(
            account_id=self.inp.account_id, episode_id=self.state.episode_id, reage_id=request.reage_id, on=today,
            approved_by=request.approved_by, reason=request.reason, currency=self.inp.currency,
            overdue_cleared=cleared, cycles=ledger.cycles, policy=self.inp.strategy.pricing.reage,
        ), result_type=ReageResult)
        if not (result.recorded or result.duplicate):
            # Earlier episodes' re-ages count too, and only the record knows them.
            raise ApplicationError(result.refusal or "re-age refused")
        self.state.reages.append(today)
        self._reage_event(request.reage_id)
        await self._sync_ledger()
        if self.outcome is None and self.state.overdue_amount == 0:
            self.outcome = Outcome.CURED
            self.outcome_reason = (f"re-aged by agreement {request.reage_id} ({request.approved_by}, "
                                   f"{request.approver_role.value}): {request.reason}")
        outcome = ReageOutcome(reage_id=request.reage_id, on=today, overdue_cleared=cleared,
                               in_12_months=result.in_12_months, in_5_years=result.in_5_years, outcome=self.outcome)
        self.state.reage_results[request.reage_id] = outcome
        self.changed = True
        return outcome

    @reage.validator
    def _validate_reage(self, request: ReageInput) -> None:
        if request.reage_id in self.state.reage_results:
            return
        if not self._priced():
            raise ApplicationError("re-ageing needs the episode's ledger: its strategy has no [pricing]")
        if self.outcome is not None:
            raise ApplicationError(f"the episode has ended ({self.outcome.value})")
        if request.approver_role == Role.COLLECTOR:
            raise ApplicationError("a re-age is approved by a supervisor or a manager, not a collector")
        ledger = self._ledger()
        refusal = reage_refusal(self._today(), ledger.cycles, self.state.reages, self.inp.strategy.pricing.reage)
        if refusal:
            raise ApplicationError(refusal)

    @workflow.update
    async def update_legal_case(self, request: LegalCaseUpdate) -> LegalCaseUpdateResult:
        """A step of the legal case this episode referred: filed, judgment, enforcement, closed; costs, documents."""
        legal = self.state.legal
        assert legal is not None and legal.case is not None and legal.case_id is not None
        event = request.event
        if event.event_id in legal.events:
            return self._legal_result(event.event_id, duplicate=True)
        try:
            done: LegalEventResult = await self._act(RECORD_LEGAL_EVENT, LegalEventCommand(
                account_id=self.inp.account_id, episode_id=self.state.episode_id, event=event),
                result_type=LegalEventResult)
        except ActivityError as exc:
            raise ApplicationError(getattr(exc.cause, "message", None) or str(exc)) from None
        legal.case = legal.case.apply(event, self.inp.strategy.legal)
        legal.events[event.event_id] = event
        if event.cost > 0 and self.inp.strategy.legal.costs_recoverable:
            # The strategy says the cardholder bears them: they join the fees on the ledger.
            self._add_charge(f"legal-{event.event_id}", event.cost, f"legal costs, case {done.case_id}")
            await self._sync_ledger()
        self.changed = True
        return self._legal_result(event.event_id, duplicate=False)

    @update_legal_case.validator
    def _validate_legal_case(self, request: LegalCaseUpdate) -> None:
        legal = self.state.legal
        if legal is None or legal.case is None:
            raise ApplicationError("no legal case: the account has not been referred in this episode")
        known = legal.events.get(request.event.event_id)
        if known is not None:
            if known != request.event:
                raise ApplicationError(f"legal event {request.event.event_id} was already recorded with other content")
            return
        refusal = event_refusal(legal.case, request.event)
        if refusal:
            raise ApplicationError(refusal)

    def _legal_result(self, event_id: str, duplicate: bool) -> LegalCaseUpdateResult:
        legal = self.state.legal
        assert legal is not None and legal.case is not None and legal.case_id is not None
        return LegalCaseUpdateResult(case_id=legal.case_id, event_id=event_id, state=legal.case.state,
                                     costs=legal.case.costs, recoverable_costs=legal.case.recoverable_costs,
                                     duplicate=duplicate)

    @workflow.update
    def close(self, request: CloseInput) -> CloseResult:
        self.outcome = Outcome.CLOSED
        self.outcome_reason = request.reason.strip()
        self.closed_by = request.operator_id.strip()
        self.changed = True
        return CloseResult(outcome=self.outcome, reason=self.outcome_reason, closed_by=self.closed_by)

    @close.validator
    def _validate_close(self, request: CloseInput) -> None:
        if not request.reason.strip():
            raise ApplicationError("a reason is required to close an episode")
        if not request.operator_id.strip():
            raise ApplicationError("the operator id is required to close an episode")
        if self.outcome is not None:
            raise ApplicationError(f"the episode has already ended ({self.outcome.value})")

    # ---- query -------------------------------------------------------------------

    @workflow.query
    def status(self) -> StatusView:
        dpd = self._dpd()
        head = self._runnable_head() if self.outcome is None else None
        promise = self._active_promise() if self.outcome is None else None
        offer = self._open_offer() if self.outcome is None else None
        plan = self._active_plan() if self.outcome is None else None
        today = local_date(self._now(), self.inp.timezone)
        register = malicious_overdraft_register(
            (local_date(e.occurred_at, self.inp.timezone) for e in self.state.effective_collections),
            due_date=self.inp.due_date, unpaid=self.state.overdue_amount > 0, today=today,
        )
        ledger = self._ledger() if self._priced() else None
        return StatusView(
            account_id=self.inp.account_id,
            episode_id=self.state.episode_id,
            as_of=self._now(),
            due_date=self._anchor(),
            timezone=self.inp.timezone,
            dpd=dpd,
            stage=self.outcome.value if self.outcome else stage_for_dpd(dpd).value,
            bucket=bucket_for_dpd(dpd),
            risk_segment=self._segment(),
            currency=self.inp.currency,
            overdue_amount=self.state.overdue_amount,
            total_balance=self.state.total_balance,
            paid_total=self._paid_total(),
            next_action=head.action if head else None,
            next_step_id=head.step_id if head else None,
            next_action_at=head.due_at if head else None,
            paused_by=self._paused_by() if self.outcome is None else None,
            active_promise=promise,
            open_offer=offer,
            active_plan=plan,
            placement=self.state.placement if self.outcome is None else None,
            holds=list(self.state.holds.values()),
            effective_collections=register.count,
            malicious_overdraft_earliest=register.earliest,
            broken_promises=self.state.broken_promises,
            contacts_by_channel=dict(self.state.contacts_by_channel),
            steps_done=self.state.steps_done,
            outcome=self.outcome,
            outcome_reason=self.outcome_reason,
            strategy_name=self.inp.strategy.name,
            strategy_hash=self.inp.strategy_hash,
            clock=self.state.clock,
            principal=ledger.balances.principal if ledger else None,
            interest=ledger.balances.interest if ledger else None,
            fees=ledger.balances.fees if ledger else None,
            accrued_interest=ledger.accrued_interest if ledger else None,
            card_restrictions=list(self.state.restrictions_on),
            blacklisted_on=self.state.blacklisted_on,
            bureau_notice_on=self.state.bureau_notice_on,
            bureau_notice_result=self.state.bureau_notice_result,
            legal=self.state.legal,
            reages=list(self.state.reages),
        )
