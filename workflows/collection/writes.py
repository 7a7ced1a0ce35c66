"""Writing what a transition decided to the system of record: one method per kind of record.

Shared by the loop's acts and the update handlers, so a promise judged at its
deadline and a promise superseded by a plan are written the same way.
"""

from decimal import Decimal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from arrears.contracts.collection_activities import (
        HoldCommand,
        HoldEndCommand,
        HoldRecorded,
        PlanResolutionCommand,
        PromiseResolutionCommand,
    )
    from arrears.contracts.names import END_HOLD, RECORD_HOLD, RESOLVE_PLAN, RESOLVE_PROMISE, RESOLVE_SETTLEMENT
    from arrears.domain.agency import PlacementRecord
    from arrears.domain.delinquency import stage_for_dpd
    from arrears.domain.holds import HOLD_TASKS, HoldRecord
    from arrears.domain.plan import InstalmentPlan, paid_into
    from arrears.domain.promise import PromiseRecord, paid_toward
    from arrears.domain.settlement import SettlementOffer

from workflows.collection.context import Context
from workflows.shared import placement_change, settlement_end


class Writes:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def promise_end(self, promise: PromiseRecord) -> None:
        ctx = self.ctx
        await ctx.records.call(
            RESOLVE_PROMISE,
            PromiseResolutionCommand(
                episode_id=ctx.ep.episode_id,
                account_id=ctx.inp.account_id,
                promise_id=promise.promise_id,
                status=promise.status,
                paid_toward=paid_toward(promise, ctx.ep.paid_total),
                resolved_at=ctx.now(),
                broken_promises=ctx.ep.broken_promises,
                risk_segment=ctx.ep.segment,
            ),
        )

    async def plan_end(self, plan: InstalmentPlan) -> None:
        ctx = self.ctx
        await ctx.records.call(
            RESOLVE_PLAN,
            PlanResolutionCommand(
                episode_id=ctx.ep.episode_id,
                account_id=ctx.inp.account_id,
                plan_id=plan.plan_id,
                status=plan.status,
                reason=plan.status_reason,
                paid_into=paid_into(plan, ctx.ep.paid_total),
                resolved_at=ctx.now(),
            ),
        )

    async def offer_end(self, offer: SettlementOffer, forgiven: Decimal) -> None:
        ctx = self.ctx
        await ctx.records.call(
            RESOLVE_SETTLEMENT,
            settlement_end(ctx.ep.episode_id, ctx.inp.account_id, offer, ctx.ep.paid_total, forgiven, ctx.now()),
        )

    async def placement_change(self, placement: PlacementRecord, reason: str) -> None:
        ctx = self.ctx
        await ctx.records.call(*placement_change(ctx.ep.episode_id, ctx.inp.account_id, placement, reason, ctx.now()))

    async def hold(self, hold: HoldRecord) -> None:
        """The hold (and the estate or attorney task it opens) on record."""
        ctx = self.ctx
        await ctx.opened()
        dpd = ctx.dpd()
        recorded: HoldRecorded = await ctx.records.call(
            RECORD_HOLD,
            HoldCommand(
                episode_id=ctx.ep.episode_id,
                account_id=ctx.inp.account_id,
                hold=hold,
                dpd=dpd,
                stage=stage_for_dpd(dpd).value,
                currency=ctx.inp.currency,
                overdue_amount=ctx.ep.overdue_amount,
            ),
            result_type=HoldRecorded,
        )
        if recorded.task_id is not None:
            hold.task_id = recorded.task_id
            ctx.ep.tasks[recorded.task_id] = HOLD_TASKS[hold.hold_type]

    async def hold_end(self, hold: HoldRecord) -> None:
        ctx = self.ctx
        await ctx.opened()
        await ctx.records.call(
            END_HOLD,
            HoldEndCommand(
                episode_id=ctx.ep.episode_id,
                account_id=ctx.inp.account_id,
                hold_id=hold.hold_id,
                status=hold.status,
                resolution=hold.resolution,
                released_by=hold.released_by,
                at=hold.released_at or ctx.now(),
            ),
        )
