"""What collectors record: outcomes of calls and visits, holds placed and released."""

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from arrears.contracts import errors
    from arrears.contracts.collection import (
        HoldInput,
        HoldResult,
        OutcomeInput,
        OutcomeResult,
        ReleaseHoldInput,
    )
    from arrears.contracts.collection_activities import OutcomeCommand
    from arrears.contracts.names import RECORD_OUTCOME
    from arrears.domain import transitions as T
    from arrears.domain.holds import ContactEffect, HoldRecord, HoldType, hold_days, hold_refusal, release_refusal
    from arrears.domain.outcome import outcome_refusal

from workflows.collection.updates.base import UpdateBase
from workflows.shared import refuse


def recall_reason(hold: HoldRecord) -> str:
    stops = "stops all contact" if hold.rule.contact == ContactEffect.NONE else "restricts contact"
    return f"recalled: {hold.hold_type.value} hold {hold.hold_id} {stops}"


class DeskUpdates(UpdateBase):
    """What collectors record: outcomes of calls and visits, holds placed and released."""

    # ---- collectors' outcomes ------------------------------------------------------------------

    def validate_outcome(self, request: OutcomeInput) -> None:
        ep = self.ep
        self._refuse(
            outcome_refusal(
                task_kind=ep.tasks.get(request.task_id),
                task_done=request.task_id in ep.tasks_done,
                outcome=request.outcome,
                duration_seconds=request.duration_seconds,
                collector_id=request.collector_id,
                callback_at=request.callback_at,
                visit=request.visit,
                now=self.ctx.now(),
                ended=self._ended(),
                promise_active=ep.promise is not None,
            )
        )

    async def log_contact_outcome(self, request: OutcomeInput) -> OutcomeResult:
        ctx, ep = self.ctx, self.ep
        async with ctx.lock:
            self.validate_outcome(request)
            applied = T.log_outcome(
                ep,
                ctx.terms,
                request.task_id,
                request.outcome,
                request.visit.met_cardholder if request.visit else None,
                request.callback_at,
                ctx.now(),
            )
            hold: HoldRecord | None = None
            hold_type = T.OUTCOME_HOLDS.get(request.outcome)
            hold_id = f"{T.OUTCOME_HOLD_PREFIX}{request.task_id}"
            recalled = None
            if hold_type is not None and hold_id not in ep.holds:
                hold = T.new_hold(
                    ep,
                    ctx.terms,
                    hold_id,
                    hold_type,
                    f"{request.outcome.value} on task {request.task_id}",
                    evidence_ref=f"contact_outcomes task {request.task_id}",
                    placed_by=request.collector_id,
                    channel=None,
                    days=hold_days(hold_type, None, ctx.inp.strategy.holds.hardship_days),
                    now=ctx.now(),
                )
                recalled = T.hold_in_force(ep, hold)
                ctx.show_holds()
            ctx.changed = True
            await ctx.opened()
            await ctx.records.call(
                RECORD_OUTCOME,
                OutcomeCommand(
                    episode_id=ep.episode_id,
                    account_id=ctx.inp.account_id,
                    outcome=request,
                    recorded_at=ctx.now(),
                    effective_collection=applied.effective,
                ),
            )
            if hold is not None:
                await self.writes.hold(hold)
            if recalled is not None and hold is not None:
                await self.writes.placement_change(recalled, recall_reason(hold))
            return OutcomeResult(
                task_id=request.task_id,
                outcome=request.outcome,
                callback_step=applied.callback_key,
                hold_id=hold.hold_id if hold else None,
            )

    # ---- holds -----------------------------------------------------------------------------------

    def validate_hold(self, request: HoldInput) -> None:
        ep = self.ep
        known = ep.holds.get(request.hold_id)
        if request.hold_id.startswith(T.OUTCOME_HOLD_PREFIX) and known is None:
            refuse(
                f"hold ids starting with {T.OUTCOME_HOLD_PREFIX!r} are reserved for holds a collector's outcome places"
            )
        self._refuse(
            hold_refusal(
                hold_id=request.hold_id,
                hold_type=request.hold_type,
                reason=request.reason,
                evidence_ref=request.evidence_ref,
                placed_by=request.placed_by,
                channel=request.channel,
                days=hold_days(request.hold_type, request.days, self.ctx.inp.strategy.holds.hardship_days),
                existing=known,
                ended=self._ended(),
            ),
            known=known is not None,
        )

    async def place_hold(self, request: HoldInput) -> HoldResult:
        ctx, ep = self.ctx, self.ep
        async with ctx.lock:
            known = ep.holds.get(request.hold_id)
            if known is not None:  # the same hold again: same answer
                return self._hold_result(known, duplicate=True)
            self.validate_hold(request)
            hold = T.new_hold(
                ep,
                ctx.terms,
                request.hold_id,
                request.hold_type,
                request.reason,
                request.evidence_ref,
                request.placed_by,
                request.channel,
                hold_days(request.hold_type, request.days, ctx.inp.strategy.holds.hardship_days),
                ctx.now(),
            )
            status_before = ep.placement.status if ep.placement else ""
            recalled = T.hold_in_force(ep, hold)
            ctx.changed = True
            ctx.show_holds()
            try:
                await self.writes.hold(hold)
            except ApplicationError as exc:
                if exc.type != errors.HOLD_ID_TAKEN:
                    raise
                T.withdraw_hold(ep, hold, recalled, status_before)  # the id is an earlier episode's: not placed
                ctx.show_holds()
                raise
            if recalled is not None:
                await self.writes.placement_change(recalled, recall_reason(hold))
            return self._hold_result(hold, duplicate=False)

    def validate_release(self, request: ReleaseHoldInput) -> None:
        resolution = request.resolution.strip() if request.resolution and request.resolution.strip() else None
        self._refuse(
            release_refusal(
                hold_id=request.hold_id,
                released_by=request.released_by,
                resolution=resolution,
                hold=self.ep.holds.get(request.hold_id),
                ended=self._ended(),
            )
        )

    async def release_hold(self, request: ReleaseHoldInput) -> HoldResult:
        ctx, ep = self.ctx, self.ep
        async with ctx.lock:
            self.validate_release(request)
            hold = ep.holds[request.hold_id]
            resolution = request.resolution.strip() if request.resolution and request.resolution.strip() else None
            T.end_hold(ep, hold, "released", resolution, request.released_by.strip(), ctx.now())
            ctx.changed = True
            ctx.show_holds()
            await self.writes.hold_end(hold)
            return self._hold_result(hold, duplicate=False)

    def _hold_result(self, hold: HoldRecord, duplicate: bool) -> HoldResult:
        return HoldResult(
            hold_id=hold.hold_id,
            hold_type=hold.hold_type,
            status=hold.status,
            duplicate=duplicate,
            expires_at=hold.expires_at,
            task_id=hold.task_id,
            active_holds=[HoldType(t) for t in self.ep.active_hold_types()],
            outcome=self.ep.outcome,
        )
