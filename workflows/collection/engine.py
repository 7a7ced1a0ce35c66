"""The agenda engine: ask the agenda, act on what is due or wait until its moment (or an update), repeat.

Everything an episode waits for is in one list (arrears.domain.agenda);
every change of state is a pure transition (arrears.domain.transitions);
this module only sequences them and writes what they decided. The loop:

    open the episode
    until it ends:
        housekeeping (stage on record, search attributes, the day's ledger)
        due item?   -> act on it (one activity, at most a few)
        history long -> continue as new (after the updates in flight finish)
        otherwise   -> wait for the next moment or an update
    close out open agreements, the way back or the recovery, the outcome on record
"""

import asyncio
from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from arrears.contracts.collection import EpisodeInput, EpisodeResult
    from arrears.contracts.collection_activities import (
        CloseEpisodeCommand,
        OpenEpisodeCommand,
        PlacementCommand,
        PlacementResult,
        StageChangeCommand,
        StepResult,
    )
    from arrears.contracts.names import (
        CLOSE_EPISODE,
        EXECUTE_STEP,
        OPEN_EPISODE,
        PLACE_WITH_AGENCY,
        RECORD_STAGE_CHANGE,
    )
    from arrears.domain import transitions as T
    from arrears.domain.agenda import Agenda, Due, DueKind
    from arrears.domain.clock import EpisodeClock
    from arrears.domain.delinquency import Outcome, bucket_for_dpd, days_past_due, stage_for_dpd
    from arrears.domain.ladder import ScheduledStep, occurrence_key
    from arrears.domain.strategy import Action
    from arrears.domain.transitions import StepDone
    from arrears.runtime.metrics import count_step

from workflows.collection.context import Context, terms_of, with_shared_strategy
from workflows.collection.economics import ECONOMIC_STEPS, Economics
from workflows.collection.updates import Updates
from workflows.collection.writes import Writes


class AgendaEpisode:
    """One run of an episode on the agenda engine (the AccountCollection workflow delegates to it)."""

    def __init__(self, inp: EpisodeInput) -> None:
        inp = with_shared_strategy(inp)
        ep = inp.resumed
        if ep is None:
            now = workflow.now()
            clock = EpisodeClock(anchor_real=now, anchor_virtual=now, day_seconds=inp.day_seconds)
            ep = T.start(terms_of(inp), workflow.info().first_execution_run_id, clock, inp.risk_segment, now)
        self.ctx = Context(inp, ep)
        self.writes = Writes(self.ctx)
        self.economics = Economics(self.ctx)
        self.updates = Updates(self.ctx, self.writes, self.economics)
        self._timer: asyncio.Future | None = None
        self._timer_at: datetime | None = None

    # ---- the loop ----------------------------------------------------------------------

    async def run(self) -> EpisodeResult:
        ep = self.ctx.ep
        try:
            await self.open()
            while ep.outcome is None:
                await self.housekeeping()
                plan = self.ctx.agenda()
                if plan.due:
                    await self.act(plan.due[0])
                elif self._history_is_long():
                    await self._continue_as_new()
                else:
                    await self._wait(plan)
        except asyncio.CancelledError:
            # `temporal workflow cancel`: end cleanly, with the reason on record.
            T.close(ep, "workflow cancelled through Temporal (cancel request)", "temporal-cancel")
            await self.finish()
            raise
        return await self.finish()

    async def _wait(self, plan: Agenda) -> None:
        """Until the agenda's next moment or an update. One timer serves a moment: an update that leaves the
        moment as it was does not re-arm it (a cancelled and restarted timer is two more history events)."""
        ctx = self.ctx
        blocked = plan.charge_off_blocked_by
        if blocked is not None:  # a person must decide (a fraud claim confirmed or not): say so, visibly
            ctx.flag(f"charge_off_blocked:{ctx.ep.holds[blocked].hold_type.value}")
        elif (ctx.ep.attention or "").startswith("charge_off_blocked"):
            ctx.flag(None)
        if plan.wake_at != self._timer_at or self._timer is None or self._timer.done():
            if self._timer is not None and not self._timer.done():
                self._timer.cancel()
            self._timer_at = plan.wake_at
            self._timer = (
                None if plan.wake_at is None else asyncio.ensure_future(workflow.sleep(ctx.real_delay(plan.wake_at)))
            )
        ctx.changed = False
        timer = self._timer
        await workflow.wait_condition(
            lambda: ctx.changed or ctx.ep.outcome is not None or (timer is not None and timer.done())
        )

    def _history_is_long(self) -> bool:
        info = workflow.info()
        return info.is_continue_as_new_suggested() or (
            info.get_current_history_length() >= self.ctx.inp.continue_after_events
        )

    async def _continue_as_new(self) -> None:
        """A fresh history with the whole state carried, once the updates in flight have finished."""
        if self._timer is not None and not self._timer.done():
            self._timer.cancel()
        self._timer, self._timer_at = None, None
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self.ctx.ep.outcome is None and not self.ctx.agenda().due:
            workflow.continue_as_new(self.ctx.inp.model_copy(update={"resumed": self.ctx.ep, "carried": None}))

    # ---- opening and housekeeping ---------------------------------------------------------

    async def open(self) -> None:
        ctx, ep = self.ctx, self.ctx.ep
        if ep.opened:
            return
        info = workflow.info()
        # One write opens it: the row, the stage it opens in, the ledger's opening postings (a late import's
        # missed cycles, computed at once).
        dpd = days_past_due(ctx.anchor(), ctx.now() + ctx.slack(), ctx.inp.timezone)
        stage = stage_for_dpd(dpd).value
        postings = T.sync_ledger(ep, ctx.terms, ctx.now()) if T.ledger_due(ep, ctx.terms, ctx.now()) else []
        await ctx.records.call(
            OPEN_EPISODE,
            OpenEpisodeCommand(
                episode_id=ep.episode_id,
                account_id=ctx.inp.account_id,
                workflow_id=info.workflow_id,
                run_id=info.run_id,
                started_at=ctx.now(),
                due_date=ctx.inp.due_date,
                dpd_at_start=ctx.dpd(),
                currency=ctx.inp.currency,
                overdue_amount=ctx.inp.overdue_amount,
                total_balance=ctx.inp.total_balance,
                risk_segment=ctx.inp.risk_segment,
                strategy_name=ctx.inp.strategy.name,
                strategy_hash=ctx.inp.strategy_hash,
                trigger=ctx.inp.trigger,
                clock=ep.clock,
                opening_stage=stage,
                opening_dpd=dpd,
                postings=postings,
            ),
        )
        ep.opened, ep.last_stage = True, stage
        await self.housekeeping()  # the stage it starts in is on record even if it ends at once

    async def housekeeping(self) -> None:
        """The stage on record when it changes, the search attributes current, the day's ledger posted."""
        ctx, ep = self.ctx, self.ctx.ep
        dpd = days_past_due(ctx.anchor(), ctx.now() + ctx.slack(), ctx.inp.timezone)
        stage = stage_for_dpd(dpd).value
        if stage != ep.last_stage:
            await ctx.records.call(
                RECORD_STAGE_CHANGE,
                StageChangeCommand(
                    episode_id=ep.episode_id,
                    account_id=ctx.inp.account_id,
                    stage=stage,
                    previous_stage=ep.last_stage,
                    dpd=dpd,
                    occurred_at=ctx.now(),
                ),
            )
            ep.last_stage = stage
        ctx.show(stage, bucket_for_dpd(dpd))
        await self.economics.daily()

    # ---- acting on what is due ----------------------------------------------------------------

    async def act(self, due: Due) -> None:
        ctx, ep, now = self.ctx, self.ctx.ep, self.ctx.now()
        if due.kind == DueKind.NOTICE_RETRY:
            await self.economics.retry_notice()
        elif due.kind == DueKind.BLACKLIST:
            await self.economics.blacklist()
        elif due.kind == DueKind.HOLD_EXPIRY:
            hold = ep.holds[due.ref]
            T.end_hold(ep, hold, "expired", None, None, now)
            ctx.show_holds()
            await self.writes.hold_end(hold)
        elif due.kind == DueKind.PROMISE:
            promise = ep.promises[due.ref]
            T.judge_promise(ep, ctx.terms, promise, now)
            await self.writes.promise_end(promise)
        elif due.kind == DueKind.OFFER_EXPIRY:
            offer = ep.settlements[due.ref]
            T.end_offer(ep, offer, "expired", now)
            await self.writes.offer_end(offer, forgiven=T.ZERO)
        elif due.kind == DueKind.INSTALMENT:
            plan = ep.plans[due.ref]
            if not T.judge_instalment(ep, ctx.terms, plan, now):
                await self.writes.plan_end(plan)
        elif due.kind == DueKind.PLACEMENT_END:
            placement, reason = T.end_placement_period(ep, ctx.terms, now)
            await self.writes.placement_change(placement, reason)
        elif due.kind == DueKind.CATCH_UP:
            dropped = T.apply_catch_up(ep, ctx.terms, now)
            workflow.logger.info("behind schedule: late-import rule applied, %d missed step(s) skipped", len(dropped))
        elif due.kind == DueKind.CHARGE_OFF:
            await self._charge_off(due)
        else:
            step = next(s for s in ep.ladder if s.key == due.ref)
            await self.run_step(step)

    async def run_step(self, step: ScheduledStep) -> None:
        ctx, ep = self.ctx, self.ctx.ep
        T.begin_step(ep, step)
        if step.action in ECONOMIC_STEPS:
            done = await self.economics.step(step)
        elif step.action == Action.AGENCY:
            done = await self._place_with_agency(step)
        else:
            result: StepResult = await ctx.records.call(EXECUTE_STEP, ctx.step_command(step), result_type=StepResult)
            done = StepDone(result.kind, result.channel, result.record_id, result.deferred_until)
            rule = (result.detail or "").split(":", 1)[0] if result.kind in ("deferred", "suppressed") else None
            count_step(result.kind, result.channel, rule)
        T.finish_step(ep, step, done, ctx.now(), ctx.slack())

    async def _place_with_agency(self, step: ScheduledStep) -> StepDone:
        """Placed (escalation pauses for the period), or with no room anywhere a task says so."""
        ctx = self.ctx
        result: PlacementResult = await ctx.records.call(
            PLACE_WITH_AGENCY,
            PlacementCommand(step=ctx.step_command(step), timezone=ctx.inp.timezone),
            result_type=PlacementResult,
        )
        if result.placement is not None:
            T.placed(ctx.ep, result.placement)
            return StepDone("placement", channel=Action.AGENCY.value)
        if result.refused is not None:  # a hold stops contact: not placed, and nothing to do by hand
            count_step("suppressed", Action.AGENCY.value, result.refused)
            return StepDone("suppressed", channel=Action.AGENCY.value)
        return StepDone("task", channel=Action.AGENCY.value, record_id=result.task_id)

    async def _charge_off(self, due: Due) -> None:
        """The deadline the anchor gives (DPD 180 by default): the balance written off, the action on record."""
        ctx, ep = self.ctx, self.ctx.ep
        definition = ctx.terms.rules.charge_off
        step = ScheduledStep(
            key=occurrence_key(definition.id, definition.dpd),
            step_id=definition.id,
            action=Action.CHARGE_OFF,
            dpd=definition.dpd,
            due_at=due.at,
        )
        T.begin_step(ep, step)
        await self.economics.write_off(step.step_id)
        result: StepResult = await ctx.records.call(EXECUTE_STEP, ctx.step_command(step), result_type=StepResult)
        T.finish_step(ep, step, StepDone(result.kind, result.channel, result.record_id), ctx.now())
        T.charged_off(ep, step.key, ctx.dpd(), step.step_id)

    # ---- the end ------------------------------------------------------------------------------------

    async def finish(self) -> EpisodeResult:
        ctx, ep = self.ctx, self.ctx.ep
        await self.open()  # cancelled before it was opened: open it, then close it
        await workflow.wait_condition(workflow.all_handlers_finished)
        assert ep.outcome is not None
        # A running agency placement goes on in the recovery workflow after a charge-off, not closed out here.
        continuing = None
        if ep.outcome == Outcome.CHARGED_OFF:
            continuing, ep.placement = ep.placement, None
        await self._close_out_agreements()
        ep.placement = continuing
        await self.economics.finish()
        dpd = ctx.dpd()
        await ctx.records.call(
            CLOSE_EPISODE,
            CloseEpisodeCommand(
                episode_id=ep.episode_id,
                account_id=ctx.inp.account_id,
                outcome=ep.outcome,
                reason=ep.outcome_reason or ep.outcome.value,
                closed_by=ep.closed_by or "workflow",
                dpd=dpd,
                closed_at=ctx.now(),
                overdue_amount=ep.overdue_amount,
                total_balance=ep.total_balance,
            ),
        )
        ctx.show(ep.outcome.value, bucket_for_dpd(dpd))
        ctx.flag(None)
        return EpisodeResult(
            account_id=ctx.inp.account_id,
            episode_id=ep.episode_id,
            outcome=ep.outcome,
            reason=ep.outcome_reason or ep.outcome.value,
            dpd=dpd,
            overdue_amount=ep.overdue_amount,
            total_balance=ep.total_balance,
            steps_done=ep.steps_done,
            contacts_by_channel=ep.contacts_by_channel,
            steps_skipped=ep.steps_skipped,
        )

    async def _close_out_agreements(self) -> None:
        """An episode that ends leaves no plan, promise, offer or placement open on record."""
        ctx, ep = self.ctx, self.ctx.ep
        ended = f"episode ended: {ep.outcome.value if ep.outcome else 'unknown'}"
        if (plan := ep.plan) is not None:
            T.end_plan(ep, plan, "cancelled", ended, ctx.now())
            await self.writes.plan_end(plan)
        if (promise := ep.promise) is not None:
            T.cancel_promise(ep, promise)
            await self.writes.promise_end(promise)
        if (offer := ep.offer) is not None:
            T.end_offer(ep, offer, "withdrawn", ctx.now(), resume_ladder=False)
            await self.writes.offer_end(offer, forgiven=T.ZERO)
        if (placement := T.recall_placement(ep, "closed")) is not None:
            await self.writes.placement_change(placement, ended)
