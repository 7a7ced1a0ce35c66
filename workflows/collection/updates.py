"""The desk's and the operators' updates: validate, change the state, write it down.

Each handler runs under the episode's lock, so updates never interleave: it
looks for a repeat first (same id, same answer), re-checks the request
against the state as it is now (the validator ran when the update arrived;
another update may have changed things since), applies the pure transition
at once (the loop and later updates see it) and then waits for the record.
Updates whose answer depends on the system of record (a re-age, a legal
event) ask the record first and apply after, still under the lock.
"""

from decimal import Decimal

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from arrears.contracts import errors
    from arrears.contracts.account import LegalEventCommand, LegalEventResult
    from arrears.contracts.names import RECORD_LEGAL_EVENT
    from arrears.contracts.collection import (
        ApplyStrategyInput,
        ApplyStrategyResult,
        CancelPlanInput,
        CloseInput,
        CloseResult,
        HoldInput,
        HoldResult,
        OutcomeInput,
        OutcomeResult,
        PaymentInput,
        PaymentResult,
        PlanInput,
        PlanResult,
        PromiseInput,
        PromiseResult,
        ReageInput,
        ReleaseHoldInput,
        RiskSegmentInput,
        RiskSegmentResult,
        SettlementInput,
        SettlementResult,
        StrategyChangeCommand,
    )
    from arrears.contracts.collection_activities import (
        CommissionCommand,
        OutcomeCommand,
        PaymentCommand,
        PlanCommand,
        PromiseCommand,
        SegmentChangeCommand,
        SettlementCommand,
    )
    from arrears.contracts.names import (
        RECORD_COMMISSION,
        RECORD_OUTCOME,
        RECORD_PAYMENT,
        RECORD_PLAN,
        RECORD_PROMISE,
        RECORD_SETTLEMENT,
        RECORD_STRATEGY_CHANGE,
        RECORD_SEGMENT_CHANGE,
    )
    from arrears.domain.episode import ReageOutcome
    from arrears.domain import transitions as T
    from arrears.domain.delinquency import Outcome
    from arrears.domain.episode import PaymentRecord
    from arrears.domain.holds import ContactEffect, HoldRecord, HoldType, hold_days, hold_refusal, release_refusal
    from arrears.domain.legal import event_refusal
    from arrears.domain.bounds import amount_fits_currency
    from arrears.domain.money import has_valid_scale
    from arrears.domain.outcome import outcome_refusal
    from arrears.domain.plan import InstalmentPlan, plan_refusal
    from arrears.domain.promise import PromiseRecord, promise_refusal
    from arrears.domain.reage import reage_refusal
    from arrears.domain.settlement import SettlementOffer, discount_percent, settlement_refusal
    from arrears.domain.strategy import Role
    from arrears.contracts.ledger import ReageCommand, ReageResult
    from arrears.contracts.names import RECORD_REAGE
    from arrears.contracts.recovery import LegalCaseUpdate, LegalCaseUpdateResult

from workflows.collection.context import Context
from workflows.collection.economics import Economics
from workflows.collection.writes import Writes


def _fingerprint(request: RiskSegmentInput) -> str:
    return request.model_dump_json(exclude={"request_id"})


def recall_reason(hold: HoldRecord) -> str:
    stops = "stops all contact" if hold.rule.contact == ContactEffect.NONE else "restricts contact"
    return f"recalled: {hold.hold_type.value} hold {hold.hold_id} {stops}"


def refuse(reason: str | None, kind: str = errors.REFUSED) -> None:
    if reason:
        raise ApplicationError(reason, type=kind, non_retryable=True)


def amounts_fit(currency: str, **amounts) -> None:
    """Every amount in the currency's minor units (CNY 12.345 cannot be paid or recorded)."""
    for name, amount in amounts.items():
        refuse(f"{name}: {problem}" if (problem := amount_fits_currency(amount, currency)) else None,
               errors.AMOUNT_PRECISION)


class UpdateBase:
    """What every handler needs: the context, the writes, the economics, and how to refuse."""

    def __init__(self, ctx: Context, writes: Writes, economics: Economics) -> None:
        self.ctx = ctx
        self.writes = writes
        self.economics = economics

    @property
    def ep(self):
        return self.ctx.ep

    def _ended(self) -> str | None:
        return self.ep.outcome.value if self.ep.outcome else None

    def _refuse(self, reason: str | None, known: bool = False) -> None:
        """A refusal is typed EpisodeEnded when the episode is over (and the request is not a repeat)."""
        refuse(reason, errors.EPISODE_ENDED if self.ep.outcome is not None and not known else errors.REFUSED)


class AgreementUpdates(UpdateBase):
    """Money and agreements: payments, promises, settlement offers, instalment plans."""

    # ---- payments -----------------------------------------------------------------------

    def validate_payment(self, payment: PaymentInput) -> None:
        known = self.ep.payments.get(payment.payment_id)
        if known is not None:
            if known.amount != payment.amount:
                refuse(f"payment_id {payment.payment_id} was already recorded with amount {known.amount}, "
                       f"not {payment.amount}")
            return
        if self.ep.outcome is not None:
            refuse(f"the episode has ended ({self.ep.outcome.value}); no payment can be applied", errors.EPISODE_ENDED)
        if payment.amount <= 0:
            refuse(f"payment amount must be positive, got {payment.amount}")
        if not has_valid_scale(payment.amount, self.ctx.inp.currency):
            refuse(f"payment amount {payment.amount} has more decimals than {self.ctx.inp.currency} allows",
                   errors.AMOUNT_PRECISION)

    async def record_payment(self, payment: PaymentInput) -> PaymentResult:
        ctx, ep = self.ctx, self.ep
        async with ctx.lock:
            known = ep.payments.get(payment.payment_id)
            if known is not None:  # a repeat: same answer, nothing changes
                return self._payment_result(known, duplicate=True)
            self.validate_payment(payment)
            applied = T.apply_payment(ep, ctx.terms, payment.payment_id, payment.amount,
                                      payment.paid_at or workflow.now(), payment.channel, ctx.now())
            ctx.changed = True
            await ctx.opened()
            await ctx.records.call(RECORD_PAYMENT, PaymentCommand(
                episode_id=ep.episode_id, account_id=ctx.inp.account_id, payment=applied.record,
                currency=ctx.inp.currency))
            if applied.fee is not None and applied.placement is not None:
                await ctx.records.call(RECORD_COMMISSION, CommissionCommand(
                    episode_id=ep.episode_id, account_id=ctx.inp.account_id,
                    placement_id=applied.placement.placement_id, agency_id=applied.placement.agency_id,
                    payment_id=payment.payment_id, payment_amount=payment.amount,
                    percent=applied.placement.commission_percent, commission=applied.fee, currency=ctx.inp.currency))
            await self.economics.post(applied.postings)
            if applied.offer_settled is not None:
                await self.writes.offer_end(applied.offer_settled, applied.forgiven)
            if applied.plan_completed is not None:
                await self.writes.plan_end(applied.plan_completed)
            return self._payment_result(applied.record, duplicate=False)

    def _payment_result(self, record: PaymentRecord, duplicate: bool) -> PaymentResult:
        ended = record.overdue_after == 0 or self.ep.outcome in (Outcome.SETTLED, Outcome.CURED)
        return PaymentResult(payment_id=record.payment_id, accepted=True, duplicate=duplicate,
                             overdue_amount=record.overdue_after, total_balance=record.total_after,
                             outcome=self.ep.outcome if ended else None)

    # ---- promises ----------------------------------------------------------------------------

    def validate_promise(self, request: PromiseInput) -> None:
        ctx, ep = self.ctx, self.ep
        known = ep.promises.get(request.promise_id)
        amounts_fit(ctx.inp.currency, amount=request.amount)
        self._refuse(promise_refusal(
            promise_id=request.promise_id, amount=request.amount, promised_date=request.promised_date,
            collector_id=request.collector_id, channel=request.channel, note=request.note, replace=request.replace,
            supervisor_id=request.supervisor_id, today=ctx.today(), overdue=ep.overdue_amount, existing=known,
            active=ep.promise, ended=self._ended(), broken_count=ep.broken_promises,
            policy=ctx.inp.strategy.promises, replaced_count=ep.replaced_promises), known=known is not None)

    async def promise_to_pay(self, request: PromiseInput) -> PromiseResult:
        ctx, ep = self.ctx, self.ep
        async with ctx.lock:
            known = ep.promises.get(request.promise_id)
            if known is not None:
                return self._promise_result(known, duplicate=True)
            self.validate_promise(request)
            record, replaces = T.make_promise(
                ep, ctx.terms, request.promise_id, request.amount, request.promised_date, request.collector_id,
                request.channel, request.note, request.supervisor_id, request.replace, ctx.now())
            ctx.changed = True
            await ctx.opened()
            await ctx.records.call(RECORD_PROMISE, PromiseCommand(
                episode_id=ep.episode_id, account_id=ctx.inp.account_id, currency=ctx.inp.currency, promise=record,
                replaces=replaces))
            return self._promise_result(record, duplicate=False)

    def _promise_result(self, record: PromiseRecord, duplicate: bool) -> PromiseResult:
        return PromiseResult(promise_id=record.promise_id, status=record.status, duplicate=duplicate,
                             deadline=record.deadline, broken_promises=self.ep.broken_promises,
                             risk_segment=self.ep.segment)

    # ---- settlements -------------------------------------------------------------------------

    def validate_settlement(self, request: SettlementInput) -> None:
        ctx, ep = self.ctx, self.ep
        known = ep.settlements.get(request.offer_id)
        amounts_fit(ctx.inp.currency, amount=request.amount)
        self._refuse(settlement_refusal(
            offer_id=request.offer_id, amount=request.amount, expires_on=request.expires_on,
            approved_by=request.approved_by, approver_role=request.approver_role, replace=request.replace,
            today=ctx.today(), balance=ep.total_balance, existing=known, open_offer=ep.offer, ended=self._ended(),
            policy=ctx.inp.strategy.settlements), known=known is not None)

    async def offer_settlement(self, request: SettlementInput) -> SettlementResult:
        ctx, ep = self.ctx, self.ep
        async with ctx.lock:
            known = ep.settlements.get(request.offer_id)
            if known is not None:
                return self._settlement_result(known, duplicate=True)
            self.validate_settlement(request)
            offer, replaces = T.make_offer(ep, ctx.terms, request.offer_id, request.amount, request.expires_on,
                                           request.approved_by, request.approver_role, request.replace, ctx.now())
            ctx.changed = True
            await ctx.opened()
            await ctx.records.call(RECORD_SETTLEMENT, SettlementCommand(
                episode_id=ep.episode_id, account_id=ctx.inp.account_id, currency=ctx.inp.currency, offer=offer,
                replaces=replaces))
            return self._settlement_result(offer, duplicate=False)

    @staticmethod
    def _settlement_result(offer: SettlementOffer, duplicate: bool) -> SettlementResult:
        return SettlementResult(offer_id=offer.offer_id, status=offer.status, duplicate=duplicate,
                                expires_at=offer.expires_at,
                                discount_percent=discount_percent(offer.amount, offer.balance_at_offer).quantize(
                                    Decimal("0.01")))

    # ---- instalment plans ----------------------------------------------------------------------

    def validate_plan(self, request: PlanInput) -> None:
        ctx, ep = self.ctx, self.ep
        if request.down_payment < 0:
            refuse("a down payment cannot be negative")
        known = ep.plans.get(request.plan_id)
        amounts_fit(ctx.inp.currency, down_payment=request.down_payment, fee_waiver=request.fee_waiver,
                    **{f"instalments[{n}].amount": i.amount for n, i in enumerate(request.instalments)})
        self._refuse(plan_refusal(
            plan_id=request.plan_id,
            instalments=T.plan_schedule(ctx.terms, request.instalments, request.down_payment, ctx.now()),
            fee_waiver=request.fee_waiver, rate_discount_percent=request.rate_discount_percent,
            approved_by=request.approved_by, approver_role=request.approver_role, today=ctx.today(),
            overdue=ep.overdue_amount, existing=known, active=ep.plan, ended=self._ended(),
            policy=ctx.inp.strategy.plans), known=known is not None)

    async def agree_plan(self, request: PlanInput) -> PlanResult:
        ctx, ep = self.ctx, self.ep
        async with ctx.lock:
            known = ep.plans.get(request.plan_id)
            if known is not None:
                return self._plan_result(known, duplicate=True)
            self.validate_plan(request)
            plan, superseded = T.agree_plan(
                ep, ctx.terms, request.plan_id,
                T.plan_schedule(ctx.terms, request.instalments, request.down_payment, ctx.now()),
                request.fee_waiver, request.rate_discount_percent, request.approved_by, request.approver_role,
                ctx.now())
            ctx.changed = True
            await ctx.opened()
            await ctx.records.call(RECORD_PLAN, PlanCommand(
                episode_id=ep.episode_id, account_id=ctx.inp.account_id, currency=ctx.inp.currency, plan=plan))
            if superseded is not None:
                await self.writes.promise_end(superseded)
            return self._plan_result(plan, duplicate=False)

    def validate_cancel_plan(self, request: CancelPlanInput) -> None:
        if request.supervisor_role == Role.COLLECTOR:
            refuse("only a supervisor or manager may cancel a plan")
        if not request.reason.strip() or not request.supervisor_id.strip():
            refuse("a reason and the supervisor's id are required to cancel a plan")
        if self.ep.active_plan != request.plan_id:
            refuse(f"plan {request.plan_id} is not the running plan",
                   errors.EPISODE_ENDED if self.ep.outcome is not None else errors.NOT_FOUND)

    async def cancel_plan(self, request: CancelPlanInput) -> PlanResult:
        ctx = self.ctx
        async with ctx.lock:
            self.validate_cancel_plan(request)
            plan = self.ep.plans[request.plan_id]
            T.end_plan(self.ep, plan, "cancelled", f"{request.reason.strip()} (by {request.supervisor_id.strip()})",
                       ctx.now())
            ctx.changed = True
            await self.writes.plan_end(plan)
            return self._plan_result(plan, duplicate=False)

    @staticmethod
    def _plan_result(plan: InstalmentPlan, duplicate: bool) -> PlanResult:
        upcoming = plan.instalments[plan.judged].due_date if plan.judged < len(plan.instalments) else None
        return PlanResult(plan_id=plan.plan_id, status=plan.status, duplicate=duplicate, total=plan.total,
                          instalments=len(plan.instalments), next_due=upcoming)


class DeskUpdates(UpdateBase):
    """What collectors record: outcomes of calls and visits, holds placed and released."""

    # ---- collectors' outcomes ------------------------------------------------------------------

    def validate_outcome(self, request: OutcomeInput) -> None:
        ep = self.ep
        self._refuse(outcome_refusal(
            task_kind=ep.tasks.get(request.task_id), task_done=request.task_id in ep.tasks_done,
            outcome=request.outcome, duration_seconds=request.duration_seconds, collector_id=request.collector_id,
            callback_at=request.callback_at, visit=request.visit, now=self.ctx.now(), ended=self._ended(),
            promise_active=ep.promise is not None))

    async def log_contact_outcome(self, request: OutcomeInput) -> OutcomeResult:
        ctx, ep = self.ctx, self.ep
        async with ctx.lock:
            self.validate_outcome(request)
            applied = T.log_outcome(ep, ctx.terms, request.task_id, request.outcome,
                                    request.visit.met_cardholder if request.visit else None, request.callback_at,
                                    ctx.now())
            hold: HoldRecord | None = None
            hold_type = T.OUTCOME_HOLDS.get(request.outcome)
            hold_id = f"{T.OUTCOME_HOLD_PREFIX}{request.task_id}"
            recalled = None
            if hold_type is not None and hold_id not in ep.holds:
                hold = T.new_hold(ep, ctx.terms, hold_id, hold_type, f"{request.outcome.value} on task {request.task_id}",
                                  evidence_ref=f"contact_outcomes task {request.task_id}",
                                  placed_by=request.collector_id, channel=None,
                                  days=hold_days(hold_type, None, ctx.inp.strategy.holds.hardship_days), now=ctx.now())
                recalled = T.hold_in_force(ep, hold)
                ctx.show_holds()
            ctx.changed = True
            await ctx.opened()
            await ctx.records.call(RECORD_OUTCOME, OutcomeCommand(
                episode_id=ep.episode_id, account_id=ctx.inp.account_id, outcome=request, recorded_at=ctx.now(),
                effective_collection=applied.effective))
            if hold is not None:
                await self.writes.hold(hold)
            if recalled is not None and hold is not None:
                await self.writes.placement_change(
                    recalled, recall_reason(hold))
            return OutcomeResult(task_id=request.task_id, outcome=request.outcome, callback_step=applied.callback_key,
                                 hold_id=hold.hold_id if hold else None)

    # ---- holds -----------------------------------------------------------------------------------

    def validate_hold(self, request: HoldInput) -> None:
        ep = self.ep
        known = ep.holds.get(request.hold_id)
        if request.hold_id.startswith(T.OUTCOME_HOLD_PREFIX) and known is None:
            refuse(f"hold ids starting with {T.OUTCOME_HOLD_PREFIX!r} are reserved for holds a collector's outcome "
                   "places")
        self._refuse(hold_refusal(
            hold_id=request.hold_id, hold_type=request.hold_type, reason=request.reason,
            evidence_ref=request.evidence_ref, placed_by=request.placed_by, channel=request.channel,
            days=hold_days(request.hold_type, request.days, self.ctx.inp.strategy.holds.hardship_days),
            existing=known, ended=self._ended()), known=known is not None)

    async def place_hold(self, request: HoldInput) -> HoldResult:
        ctx, ep = self.ctx, self.ep
        async with ctx.lock:
            known = ep.holds.get(request.hold_id)
            if known is not None:  # the same hold again: same answer
                return self._hold_result(known, duplicate=True)
            self.validate_hold(request)
            hold = T.new_hold(ep, ctx.terms, request.hold_id, request.hold_type, request.reason, request.evidence_ref,
                              request.placed_by, request.channel,
                              hold_days(request.hold_type, request.days, ctx.inp.strategy.holds.hardship_days),
                              ctx.now())
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
                await self.writes.placement_change(
                    recalled, recall_reason(hold))
            return self._hold_result(hold, duplicate=False)

    def validate_release(self, request: ReleaseHoldInput) -> None:
        resolution = request.resolution.strip() if request.resolution and request.resolution.strip() else None
        self._refuse(release_refusal(hold_id=request.hold_id, released_by=request.released_by, resolution=resolution,
                                     hold=self.ep.holds.get(request.hold_id), ended=self._ended()))

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
        return HoldResult(hold_id=hold.hold_id, hold_type=hold.hold_type, status=hold.status, duplicate=duplicate,
                          expires_at=hold.expires_at, task_id=hold.task_id,
                          active_holds=[HoldType(t) for t in self.ep.active_hold_types()], outcome=self.ep.outcome)


class AccountUpdates(UpdateBase):
    """Operators and the record: strategy changes, re-ages, the legal case, the risk segment, close."""

    # ---- strategy ----------------------------------------------------------------------------------

    def validate_apply_strategy(self, request: ApplyStrategyInput) -> None:
        if self.ep.outcome is not None:
            refuse(f"the episode has ended ({self.ep.outcome.value}); its strategy cannot change", errors.EPISODE_ENDED)
        if not request.applied_by.strip() or not request.reason.strip():
            refuse("who applies the strategy and why are both required")
        if request.strategy.content_hash() == self.ctx.inp.strategy_hash:
            refuse(f"the episode already runs strategy {request.strategy.name} ({self.ctx.inp.strategy_hash[:12]})")

    async def apply_strategy(self, request: ApplyStrategyInput) -> ApplyStrategyResult:
        """Another strategy from now on: the old ladder's pending steps go, the new ladder's passed steps are not
        replayed, and the change is recorded with who and why."""
        ctx, ep = self.ctx, self.ep
        async with ctx.lock:
            self.validate_apply_strategy(request)
            old, previous_hash = ctx.inp.strategy, ctx.inp.strategy_hash
            new_hash = request.strategy.content_hash()
            T.change_strategy(ep, ctx.terms, request.strategy.ladder_for(ctx.inp.trigger), ctx.now())
            # The input is what continue-as-new carries on: the new strategy goes with it.
            ctx.set_strategy(ctx.inp.model_copy(update={"strategy": request.strategy, "strategy_hash": new_hash}))
            ctx.changed = True
            await ctx.opened()
            await ctx.records.call(RECORD_STRATEGY_CHANGE, StrategyChangeCommand(
                episode_id=ep.episode_id, account_id=ctx.inp.account_id, from_name=old.name, from_hash=previous_hash,
                to_name=request.strategy.name, to_hash=new_hash, applied_by=request.applied_by.strip(),
                reason=request.reason.strip(), dpd=ctx.dpd(), applied_at=ctx.now()))
            return ApplyStrategyResult(previous_name=old.name, previous_hash=previous_hash,
                                       strategy_name=request.strategy.name, strategy_hash=new_hash,
                                       pending_steps=len(ep.ladder))

    # ---- re-age (asks the record first) --------------------------------------------------------------

    def validate_reage(self, request: ReageInput) -> None:
        ctx, ep = self.ctx, self.ep
        if request.reage_id in ep.reage_results:
            return
        if not T.priced(ep, ctx.terms):
            refuse("re-ageing needs the episode's ledger: its strategy has no [pricing]")
        if ep.outcome is not None:
            refuse(f"the episode has ended ({ep.outcome.value})", errors.EPISODE_ENDED)
        if request.approver_role == Role.COLLECTOR:
            refuse("a re-age is approved by a supervisor or a manager, not a collector")
        ledger = T.ledger_of(ep, ctx.terms, ctx.today())
        refuse(reage_refusal(ctx.today(), ledger.cycles, ep.reages, ctx.inp.strategy.pricing.reage))

    async def reage(self, request: ReageInput) -> ReageOutcome:
        """Bring the account current by agreement: the past-due minimums stop being past due."""
        ctx, ep = self.ctx, self.ep
        async with ctx.lock:
            known = ep.reage_results.get(request.reage_id)
            if known is not None:
                return known.model_copy(update={"duplicate": True})
            self.validate_reage(request)
            today = ctx.today()
            ledger = T.ledger_of(ep, ctx.terms, today)
            cleared = T.owed(ledger)
            await ctx.opened()
            result: ReageResult = await ctx.records.call(RECORD_REAGE, ReageCommand(
                account_id=ctx.inp.account_id, episode_id=ep.episode_id, reage_id=request.reage_id, on=today,
                approved_by=request.approved_by, reason=request.reason, currency=ctx.inp.currency,
                overdue_cleared=cleared, cycles=ledger.cycles, policy=ctx.inp.strategy.pricing.reage,
            ), result_type=ReageResult)
            if not (result.recorded or result.duplicate):
                # Earlier episodes' re-ages count too, and only the record knows them.
                refuse(result.refusal or "re-age refused")
            if ep.outcome is not None:
                # The episode ended while the record was asked (a payment cured it): on record, nothing to apply.
                refuse(f"the episode has ended ({ep.outcome.value})", errors.EPISODE_ENDED)
            postings = T.reaged(ep, ctx.terms, request.reage_id, request.approved_by, request.approver_role,
                                request.reason, ctx.now())
            outcome = ReageOutcome(reage_id=request.reage_id, on=today, overdue_cleared=cleared,
                                   in_12_months=result.in_12_months, in_5_years=result.in_5_years, outcome=ep.outcome)
            ep.reage_results[request.reage_id] = outcome
            ctx.changed = True
            await self.economics.post(postings)
            return outcome

    # ---- the legal case (asks the record first) ------------------------------------------------------

    def validate_legal_case(self, request: LegalCaseUpdate) -> None:
        legal = self.ep.legal
        if legal is None or legal.case is None:
            refuse("no legal case: the account has not been referred in this episode", errors.NOT_FOUND)
        known = legal.events.get(request.event.event_id)
        if known is not None:
            if known != request.event:
                refuse(f"legal event {request.event.event_id} was already recorded with other content")
            return
        refuse(event_refusal(legal.case, request.event))

    async def update_legal_case(self, request: LegalCaseUpdate) -> LegalCaseUpdateResult:
        """A step of the legal case this episode referred: filed, judgment, enforcement, closed; costs, documents."""
        ctx, ep = self.ctx, self.ep
        async with ctx.lock:
            event = request.event
            if ep.legal is not None and event.event_id in ep.legal.events:
                self.validate_legal_case(request)  # other content under the same id is refused
                return self._legal_result(event.event_id, duplicate=True)
            self.validate_legal_case(request)  # the case may have moved on since the update arrived
            done: LegalEventResult = await ctx.records.call(RECORD_LEGAL_EVENT, LegalEventCommand(
                account_id=ctx.inp.account_id, episode_id=ep.episode_id, event=event), result_type=LegalEventResult)
            legal = ep.legal
            assert legal is not None and legal.case is not None
            legal.case = legal.case.apply(event, ctx.inp.strategy.legal)
            legal.events[event.event_id] = event
            if event.cost > 0 and ctx.inp.strategy.legal.costs_recoverable and ep.outcome is None:
                # The strategy says the cardholder bears them: they join the fees on the ledger.
                T.add_charge(ep, ctx.terms, f"legal-{event.event_id}", event.cost, f"legal costs, case {done.case_id}",
                             ctx.now())
                await self.economics.post(T.sync_ledger(ep, ctx.terms, ctx.now()))
            ctx.changed = True
            return self._legal_result(event.event_id, duplicate=False)

    def _legal_result(self, event_id: str, duplicate: bool) -> LegalCaseUpdateResult:
        legal = self.ep.legal
        assert legal is not None and legal.case is not None and legal.case_id is not None
        return LegalCaseUpdateResult(case_id=legal.case_id, event_id=event_id, state=legal.case.state,
                                     costs=legal.case.costs, recoverable_costs=legal.case.recoverable_costs,
                                     duplicate=duplicate)

    # ---- the risk segment (a rescore or a supervisor) --------------------------------------------------

    def validate_risk_segment(self, request: RiskSegmentInput) -> None:
        known = self.ep.risk.answers.get(request.request_id)
        if known is not None:
            refuse(None if known.request == _fingerprint(request) else
                   f"request_id {request.request_id} was already used for another segment request",
                   errors.REQUEST_ID_REUSED)
            return
        if self.ep.outcome is not None:
            refuse(f"the episode has ended ({self.ep.outcome.value}); its segment cannot change", errors.EPISODE_ENDED)
        if request.source == "model" and (request.segment is None or not request.model_version):
            refuse("a model's request names the segment and the model version", errors.BAD_SEGMENT_REQUEST)
        if request.source == "model" and (request.override or request.release_override):
            refuse("only a supervisor overrides the model or releases an override", errors.BAD_SEGMENT_REQUEST)
        if request.override and request.release_override:
            refuse("override and release_override cannot go together", errors.BAD_SEGMENT_REQUEST)
        if request.override and request.segment is None:
            refuse("an override names the segment it holds", errors.BAD_SEGMENT_REQUEST)
        if request.source == "supervisor" and request.segment is None and not request.release_override:
            refuse("a supervisor's request names the segment (or releases an override)", errors.BAD_SEGMENT_REQUEST)

    async def set_risk_segment(self, request: RiskSegmentInput) -> RiskSegmentResult:
        ctx, ep = self.ctx, self.ep
        async with ctx.lock:
            known = ep.risk.answers.get(request.request_id)
            if known is not None:
                self.validate_risk_segment(request)
                return RiskSegmentResult(request_id=request.request_id, segment=known.segment, previous=known.previous,
                                         changed=known.changed, duplicate=True, overridden=known.overridden)
            self.validate_risk_segment(request)
            done = T.set_risk_segment(ep, ctx.terms, request.request_id, _fingerprint(request), request.segment,
                                      request.source, request.model_version, request.reasons, request.set_by,
                                      request.override, request.release_override, ctx.now())
            ctx.changed = True
            ctx.show_stage()  # the RiskSegment search attribute follows a change
            await ctx.opened()
            await ctx.records.call(RECORD_SEGMENT_CHANGE, SegmentChangeCommand(
                episode_id=ep.episode_id, account_id=ctx.inp.account_id, request_id=request.request_id,
                segment=done.segment, previous=done.previous, source=request.source,
                model_version=request.model_version if request.source == "model" else ep.risk.model_version,
                reasons=request.reasons, set_by=request.set_by, override=request.override,
                release_override=request.release_override, changed=done.changed, overridden=done.overridden,
                dpd=ctx.dpd(), at=ctx.now()))
            return RiskSegmentResult(request_id=request.request_id, segment=done.segment, previous=done.previous,
                                     changed=done.changed, overridden=done.overridden)

    # ---- close -----------------------------------------------------------------------------------------

    def validate_close(self, request: CloseInput) -> None:
        if not request.reason.strip():
            refuse("a reason is required to close an episode")
        if not request.operator_id.strip():
            refuse("the operator id is required to close an episode")
        if self.ep.outcome is not None:
            refuse(f"the episode has already ended ({self.ep.outcome.value})", errors.EPISODE_ENDED)

    def close(self, request: CloseInput) -> CloseResult:
        self.validate_close(request)  # no await before it: the validator's view is the handler's
        T.close(self.ep, request.reason, request.operator_id)
        self.ctx.changed = True
        assert self.ep.outcome is not None
        return CloseResult(outcome=self.ep.outcome, reason=self.ep.outcome_reason or "",
                           closed_by=self.ep.closed_by or "")


class Updates(AgreementUpdates, DeskUpdates, AccountUpdates):
    """Every update of the episode; each group in a class of its own (one place per kind of request)."""
