"""Money and agreements: payments, promises, settlement offers, instalment plans."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from arrears.contracts import errors
    from arrears.contracts.collection import (
        CancelPlanInput,
        PaymentInput,
        PaymentResult,
        PlanInput,
        PlanResult,
        PromiseInput,
        PromiseResult,
        SettlementInput,
        SettlementResult,
    )
    from arrears.contracts.collection_activities import (
        PaymentCommand,
        PlanCommand,
        PromiseCommand,
        SettlementCommand,
    )
    from arrears.contracts.names import (
        RECORD_COMMISSION,
        RECORD_PAYMENT,
        RECORD_PLAN,
        RECORD_PROMISE,
        RECORD_SETTLEMENT,
    )
    from arrears.domain import transitions as T
    from arrears.domain.delinquency import Outcome
    from arrears.domain.episode import PaymentRecord
    from arrears.domain.money import has_valid_scale
    from arrears.domain.plan import InstalmentPlan, plan_refusal
    from arrears.domain.promise import PromiseRecord, promise_refusal
    from arrears.domain.settlement import settlement_refusal
    from arrears.domain.strategy import Role

from workflows.collection.updates.base import UpdateBase
from workflows.shared import amounts_fit, commission_command, refuse, settlement_result


class AgreementUpdates(UpdateBase):
    """Money and agreements: payments, promises, settlement offers, instalment plans."""

    # ---- payments -----------------------------------------------------------------------

    def validate_payment(self, payment: PaymentInput) -> None:
        known = self.ep.payments.get(payment.payment_id)
        if known is not None:
            if known.amount != payment.amount:
                refuse(
                    f"payment_id {payment.payment_id} was already recorded with amount {known.amount}, "
                    f"not {payment.amount}"
                )
            return
        if self.ep.outcome is not None:
            refuse(f"the episode has ended ({self.ep.outcome.value}); no payment can be applied", errors.EPISODE_ENDED)
        if payment.amount <= 0:
            refuse(f"payment amount must be positive, got {payment.amount}")
        if not has_valid_scale(payment.amount, self.ctx.inp.currency):
            refuse(
                f"payment amount {payment.amount} has more decimals than {self.ctx.inp.currency} allows",
                errors.AMOUNT_PRECISION,
            )

    async def record_payment(self, payment: PaymentInput) -> PaymentResult:
        ctx, ep = self.ctx, self.ep
        async with ctx.lock:
            known = ep.payments.get(payment.payment_id)
            if known is not None:  # a repeat: same answer, nothing changes
                return self._payment_result(known, duplicate=True)
            self.validate_payment(payment)
            applied = T.apply_payment(
                ep,
                ctx.terms,
                payment.payment_id,
                payment.amount,
                payment.paid_at or workflow.now(),
                payment.channel,
                ctx.now(),
            )
            ctx.changed = True
            await ctx.opened()
            await ctx.records.call(
                RECORD_PAYMENT,
                PaymentCommand(
                    episode_id=ep.episode_id,
                    account_id=ctx.inp.account_id,
                    payment=applied.record,
                    currency=ctx.inp.currency,
                ),
            )
            if applied.fee is not None and applied.placement is not None:
                await ctx.records.call(
                    RECORD_COMMISSION,
                    commission_command(
                        ep.episode_id,
                        ctx.inp.account_id,
                        applied.placement,
                        payment.payment_id,
                        payment.amount,
                        applied.fee,
                        ctx.inp.currency,
                    ),
                )
            await self.economics.post(applied.postings)
            if applied.offer_settled is not None:
                await self.writes.offer_end(applied.offer_settled, applied.forgiven)
            if applied.plan_completed is not None:
                await self.writes.plan_end(applied.plan_completed)
            return self._payment_result(applied.record, duplicate=False)

    def _payment_result(self, record: PaymentRecord, duplicate: bool) -> PaymentResult:
        ended = record.overdue_after == 0 or self.ep.outcome in (Outcome.SETTLED, Outcome.CURED)
        return PaymentResult(
            payment_id=record.payment_id,
            accepted=True,
            duplicate=duplicate,
            overdue_amount=record.overdue_after,
            total_balance=record.total_after,
            outcome=self.ep.outcome if ended else None,
        )

    # ---- promises ----------------------------------------------------------------------------

    def validate_promise(self, request: PromiseInput) -> None:
        ctx, ep = self.ctx, self.ep
        known = ep.promises.get(request.promise_id)
        amounts_fit(ctx.inp.currency, amount=request.amount)
        self._refuse(
            promise_refusal(
                promise_id=request.promise_id,
                amount=request.amount,
                promised_date=request.promised_date,
                collector_id=request.collector_id,
                channel=request.channel,
                note=request.note,
                replace=request.replace,
                supervisor_id=request.supervisor_id,
                today=ctx.today(),
                overdue=ep.overdue_amount,
                existing=known,
                active=ep.promise,
                ended=self._ended(),
                broken_count=ep.broken_promises,
                policy=ctx.inp.strategy.promises,
                replaced_count=ep.replaced_promises,
            ),
            known=known is not None,
        )

    async def promise_to_pay(self, request: PromiseInput) -> PromiseResult:
        ctx, ep = self.ctx, self.ep
        async with ctx.lock:
            known = ep.promises.get(request.promise_id)
            if known is not None:
                return self._promise_result(known, duplicate=True)
            self.validate_promise(request)
            record, replaces = T.make_promise(
                ep,
                ctx.terms,
                request.promise_id,
                request.amount,
                request.promised_date,
                request.collector_id,
                request.channel,
                request.note,
                request.supervisor_id,
                request.replace,
                ctx.now(),
            )
            ctx.changed = True
            await ctx.opened()
            await ctx.records.call(
                RECORD_PROMISE,
                PromiseCommand(
                    episode_id=ep.episode_id,
                    account_id=ctx.inp.account_id,
                    currency=ctx.inp.currency,
                    promise=record,
                    replaces=replaces,
                ),
            )
            return self._promise_result(record, duplicate=False)

    def _promise_result(self, record: PromiseRecord, duplicate: bool) -> PromiseResult:
        return PromiseResult(
            promise_id=record.promise_id,
            status=record.status,
            duplicate=duplicate,
            deadline=record.deadline,
            broken_promises=self.ep.broken_promises,
            risk_segment=self.ep.segment,
        )

    # ---- settlements -------------------------------------------------------------------------

    def validate_settlement(self, request: SettlementInput) -> None:
        ctx, ep = self.ctx, self.ep
        known = ep.settlements.get(request.offer_id)
        amounts_fit(ctx.inp.currency, amount=request.amount)
        self._refuse(
            settlement_refusal(
                offer_id=request.offer_id,
                amount=request.amount,
                expires_on=request.expires_on,
                approved_by=request.approved_by,
                approver_role=request.approver_role,
                replace=request.replace,
                today=ctx.today(),
                balance=ep.total_balance,
                existing=known,
                open_offer=ep.offer,
                ended=self._ended(),
                policy=ctx.inp.strategy.settlements,
            ),
            known=known is not None,
        )

    async def offer_settlement(self, request: SettlementInput) -> SettlementResult:
        ctx, ep = self.ctx, self.ep
        async with ctx.lock:
            known = ep.settlements.get(request.offer_id)
            if known is not None:
                return settlement_result(known, duplicate=True)
            self.validate_settlement(request)
            offer, replaces = T.make_offer(
                ep,
                ctx.terms,
                request.offer_id,
                request.amount,
                request.expires_on,
                request.approved_by,
                request.approver_role,
                request.replace,
                ctx.now(),
            )
            ctx.changed = True
            await ctx.opened()
            await ctx.records.call(
                RECORD_SETTLEMENT,
                SettlementCommand(
                    episode_id=ep.episode_id,
                    account_id=ctx.inp.account_id,
                    currency=ctx.inp.currency,
                    offer=offer,
                    replaces=replaces,
                ),
            )
            return settlement_result(offer, duplicate=False)

    # ---- instalment plans ----------------------------------------------------------------------

    def validate_plan(self, request: PlanInput) -> None:
        ctx, ep = self.ctx, self.ep
        if request.down_payment < 0:
            refuse("a down payment cannot be negative")
        known = ep.plans.get(request.plan_id)
        amounts_fit(
            ctx.inp.currency,
            down_payment=request.down_payment,
            fee_waiver=request.fee_waiver,
            **{f"instalments[{n}].amount": i.amount for n, i in enumerate(request.instalments)},
        )
        self._refuse(
            plan_refusal(
                plan_id=request.plan_id,
                instalments=T.plan_schedule(ctx.terms, request.instalments, request.down_payment, ctx.now()),
                fee_waiver=request.fee_waiver,
                rate_discount_percent=request.rate_discount_percent,
                approved_by=request.approved_by,
                approver_role=request.approver_role,
                today=ctx.today(),
                overdue=ep.overdue_amount,
                existing=known,
                active=ep.plan,
                ended=self._ended(),
                policy=ctx.inp.strategy.plans,
            ),
            known=known is not None,
        )

    async def agree_plan(self, request: PlanInput) -> PlanResult:
        ctx, ep = self.ctx, self.ep
        async with ctx.lock:
            known = ep.plans.get(request.plan_id)
            if known is not None:
                return self._plan_result(known, duplicate=True)
            self.validate_plan(request)
            plan, superseded = T.agree_plan(
                ep,
                ctx.terms,
                request.plan_id,
                T.plan_schedule(ctx.terms, request.instalments, request.down_payment, ctx.now()),
                request.fee_waiver,
                request.rate_discount_percent,
                request.approved_by,
                request.approver_role,
                ctx.now(),
            )
            ctx.changed = True
            await ctx.opened()
            await ctx.records.call(
                RECORD_PLAN,
                PlanCommand(
                    episode_id=ep.episode_id, account_id=ctx.inp.account_id, currency=ctx.inp.currency, plan=plan
                ),
            )
            if superseded is not None:
                await self.writes.promise_end(superseded)
            return self._plan_result(plan, duplicate=False)

    def validate_cancel_plan(self, request: CancelPlanInput) -> None:
        if request.supervisor_role == Role.COLLECTOR:
            refuse("only a supervisor or manager may cancel a plan")
        if not request.reason.strip() or not request.supervisor_id.strip():
            refuse("a reason and the supervisor's id are required to cancel a plan")
        if self.ep.active_plan != request.plan_id:
            refuse(
                f"plan {request.plan_id} is not the running plan",
                errors.EPISODE_ENDED if self.ep.outcome is not None else errors.NOT_FOUND,
            )

    async def cancel_plan(self, request: CancelPlanInput) -> PlanResult:
        ctx = self.ctx
        async with ctx.lock:
            self.validate_cancel_plan(request)
            plan = self.ep.plans[request.plan_id]
            T.end_plan(
                self.ep, plan, "cancelled", f"{request.reason.strip()} (by {request.supervisor_id.strip()})", ctx.now()
            )
            ctx.changed = True
            await self.writes.plan_end(plan)
            return self._plan_result(plan, duplicate=False)

    @staticmethod
    def _plan_result(plan: InstalmentPlan, duplicate: bool) -> PlanResult:
        upcoming = plan.instalments[plan.judged].due_date if plan.judged < len(plan.instalments) else None
        return PlanResult(
            plan_id=plan.plan_id,
            status=plan.status,
            duplicate=duplicate,
            total=plan.total,
            instalments=len(plan.instalments),
            next_due=upcoming,
        )
