"""What the delinquency does to the account, as the episode acts on it.

Card restrictions, the prior notice before credit-bureau reporting (and its
weekly retry), the internal blacklist, the legal referral under the
strategy's criteria, the write-off at charge-off and the recovery workflow
after it, and the way back on a cure (restrictions lifted, blacklist dated, a
courtesy message). The ledger itself is pure (arrears.domain.transitions);
this module only writes what it decides.
"""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from arrears.contracts.account import (
        BlacklistCommand,
        BlacklistRemovalCommand,
        BlacklistRemovalResult,
        BureauNoticeCommand,
        BureauNoticeResult,
        LegalReferralCommand,
        LegalReferralResult,
        LiftCommand,
        LiftResult,
        RestrictionCommand,
        RestrictionResult,
    )
    from arrears.contracts.collection_activities import StepResult
    from arrears.contracts.ledger import PostLedgerCommand, PostLedgerResult
    from arrears.contracts.names import (
        APPLY_RESTRICTION,
        EXECUTE_STEP,
        LIFT_RESTRICTIONS,
        LIST_ON_BLACKLIST,
        POST_LEDGER,
        RECORD_BUREAU_NOTICE,
        REFER_TO_LEGAL,
        SCHEDULE_BLACKLIST_REMOVAL,
        START_RECOVERY,
    )
    from arrears.contracts.recovery import RecoveryInput
    from arrears.domain import transitions as T
    from arrears.domain.bureau import UNDELIVERED_RESULTS
    from arrears.domain.delinquency import Outcome, local_date
    from arrears.domain.episode import LegalReferralState
    from arrears.domain.ladder import ScheduledStep
    from arrears.domain.legal import LegalCase, referral_decision
    from arrears.domain.restrictions import RestrictionLevel
    from arrears.domain.strategy import Action
    from arrears.domain.transitions import StepDone

from workflows.collection.context import Context

ECONOMIC_STEPS = frozenset({Action.RESTRICT_CARD, Action.BUREAU_REPORT, Action.LEGAL})


class Economics:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # ---- the ledger ----------------------------------------------------------------

    async def post(self, postings) -> None:
        if postings:
            ctx = self.ctx
            await ctx.records.call(
                POST_LEDGER,
                PostLedgerCommand(
                    account_id=ctx.inp.account_id,
                    episode_id=ctx.ep.episode_id,
                    currency=ctx.inp.currency,
                    postings=postings,
                ),
                result_type=PostLedgerResult,
            )

    async def daily(self) -> None:
        """Once per local day the loop wakes: the ledger is brought up to date (cycles post at their moment)."""
        ctx = self.ctx
        if T.ledger_due(ctx.ep, ctx.terms, ctx.now()):
            await self.post(T.sync_ledger(ctx.ep, ctx.terms, ctx.now()))

    # ---- strategy steps ------------------------------------------------------------

    async def step(self, step: ScheduledStep) -> StepDone:
        if step.action == Action.RESTRICT_CARD:
            definition = next((s for s in self.ctx.inp.strategy.steps if s.id == step.step_id), None)
            level = definition.restriction_level if definition else RestrictionLevel.PURCHASES_BLOCKED
            await self.restrict(step.step_id, level)
            return StepDone("restriction", channel=Action.RESTRICT_CARD.value)
        if step.action == Action.BUREAU_REPORT:
            if self.ctx.ep.bureau_notice_attempts > 1:
                # A retried notice was posted: a re-planned ladder's step (new anchor) does not post another.
                return StepDone("notice", channel=Action.BUREAU_REPORT.value)
            result = await self.send_notice(step.step_id, attempt=1)
            if result.result == "deferred" and result.deferred_until is not None:
                # The gate named the moment (night, a day off, the validation notice first): the step waits for it.
                return StepDone("deferred", channel=Action.BUREAU_REPORT.value, deferred_until=result.deferred_until)
            if result.result in UNDELIVERED_RESULTS:
                T.schedule_notice_retry(self.ctx.ep, step.step_id, posted=False, today=self.ctx.today())
            return StepDone("notice", channel=Action.BUREAU_REPORT.value)
        await self.legal(step)
        return StepDone("legal", channel=Action.LEGAL.value)

    async def restrict(self, step_id: str, level: RestrictionLevel) -> None:
        ctx = self.ctx
        result: RestrictionResult = await ctx.records.call(
            APPLY_RESTRICTION,
            RestrictionCommand(
                episode_id=ctx.ep.episode_id,
                account_id=ctx.inp.account_id,
                step_id=step_id,
                level=level,
                dpd=ctx.dpd(),
                at=ctx.now(),
            ),
            result_type=RestrictionResult,
        )
        ctx.ep.restrictions_on = list(result.on_card)

    async def send_notice(self, step_id: str, attempt: int) -> BureauNoticeResult:
        ctx = self.ctx
        result: BureauNoticeResult = await ctx.records.call(
            RECORD_BUREAU_NOTICE,
            BureauNoticeCommand(
                episode_id=ctx.ep.episode_id,
                account_id=ctx.inp.account_id,
                step_id=step_id,
                dpd=ctx.dpd(),
                sent_at=ctx.now(),
                template=ctx.inp.strategy.bureau.notice_template,
                currency=ctx.inp.currency,
                overdue_amount=ctx.ep.overdue_amount,
                total_balance=ctx.ep.total_balance,
                due_date=ctx.anchor(),
                attempt=attempt,
                compliance=ctx.inp.strategy.compliance,
            ),
            result_type=BureauNoticeResult,
        )
        T.notice_sent(ctx.ep, result.result, result.sent_on, attempt, result.created)
        return result

    async def retry_notice(self) -> None:
        """The prior notice again, once a week, while none has been posted and nothing pauses collection."""
        ep = self.ctx.ep
        result = await self.send_notice(ep.bureau_notice_step or "bureau-notice", attempt=ep.bureau_notice_attempts + 1)
        if result.result == "deferred" and result.deferred_until is not None:
            ep.bureau_notice_retry_at = result.deferred_until  # the same attempt again at the gate's moment
            return
        T.schedule_notice_retry(ep, None, posted=result.result not in UNDELIVERED_RESULTS, today=self.ctx.today())

    async def blacklist(self) -> None:
        ctx = self.ctx
        policy = ctx.inp.strategy.blacklist
        ctx.ep.blacklisted_on = ctx.today()
        await ctx.records.call(
            LIST_ON_BLACKLIST,
            BlacklistCommand(
                episode_id=ctx.ep.episode_id,
                account_id=ctx.inp.account_id,
                reason=policy.reason,
                listed_from=ctx.today(),
                dpd=ctx.dpd(),
                at=ctx.now(),
                blocks=policy.blocks,
            ),
        )

    async def legal(self, step: ScheduledStep) -> None:
        """Refer only when the strategy's criteria hold; otherwise say why, and look again later."""
        ctx, ep = self.ctx, self.ctx.ep
        if ep.legal is not None and ep.legal.status == "referred":
            return  # one case per episode: a later legal step (after re-anchoring) finds it open
        legal = ctx.inp.strategy.legal
        today = ctx.today()
        principal = (
            T.ledger_of(ep, ctx.terms, today).balances.principal if T.priced(ep, ctx.terms) else ep.total_balance
        )
        collections = [local_date(c.occurred_at, ctx.inp.timezone) for c in ep.effective_collections]
        decision = referral_decision(
            collections,
            due_date=ctx.inp.due_date,
            still_unpaid=ep.overdue_amount > 0,
            principal=principal,
            currency=ctx.inp.currency,
            as_of=today,
            criteria=legal.criteria,
        )
        result: LegalReferralResult = await ctx.records.call(
            REFER_TO_LEGAL,
            LegalReferralCommand(
                episode_id=ep.episode_id,
                account_id=ctx.inp.account_id,
                step_id=step.step_id,
                dpd=ctx.dpd(),
                referred_at=ctx.now(),
                referred_on=today,
                principal=principal,
                currency=ctx.inp.currency,
                allowed=decision.allowed,
                reasons=list(decision.reasons),
                criteria=legal.criteria.preset,
                costs_recoverable=legal.costs_recoverable,
                step_key=step.key,
                overdue_amount=ep.overdue_amount,
                total_balance=ep.total_balance,
            ),
            result_type=LegalReferralResult,
        )
        checks = (ep.legal.checks + 1) if ep.legal else 1
        if result.referred:
            ep.legal = LegalReferralState(
                status="referred",
                checked_on=today,
                reasons=list(decision.reasons),
                case_id=result.case_id,
                checks=checks,
                case=LegalCase(referred_on=today, last_event_on=today),
            )
            return
        ep.legal = LegalReferralState(status="refused", checked_on=today, reasons=list(decision.reasons), checks=checks)
        # Not yet: the criteria may hold later (a second collection, the months running); look again.
        again = T.legal_recheck_at(ctx.terms, step, decision.unpaid_from, checks, ctx.now(), ctx.anchor())
        if again is not None:
            T.add_step(ep, again)

    # ---- the charge-off and the end ----------------------------------------------------

    async def write_off(self, step_id: str) -> None:
        ctx = self.ctx
        await self.post(
            T.write_off_balance(ctx.ep, ctx.terms, f"strategy step {step_id} at DPD {ctx.dpd()}", ctx.now())
        )

    async def finish(self) -> None:
        """Recovery after a charge-off; restrictions lifted, blacklist dated and thanks on a cure."""
        outcome = self.ctx.ep.outcome
        if outcome == Outcome.CHARGED_OFF:
            await self._start_recovery()
        elif outcome in (Outcome.CURED, Outcome.PAID_ON_TIME):
            await self._restore()

    async def _start_recovery(self) -> None:
        ctx, ep = self.ctx, self.ctx.ep
        await ctx.records.call(
            START_RECOVERY,
            RecoveryInput(
                account_id=ctx.inp.account_id,
                episode_id=ep.episode_id,
                currency=ctx.inp.currency,
                written_off=ep.written_off if ep.written_off is not None else ep.total_balance,
                written_off_on=ctx.today(),
                timezone=ctx.inp.timezone,
                day_seconds=ep.clock.day_seconds,
                strategy=ctx.inp.strategy,
                strategy_hash=ctx.inp.strategy_hash,
                placement=ep.placement,
                legal_case_id=str(ep.legal.case_id) if ep.legal and ep.legal.case_id else None,
            ),
            result_type=str,
            remote=True,
        )  # it starts a workflow through the client: not a local write

    async def _restore(self) -> None:
        """The way back: restrictions lifted (harshest first), the blacklist entry dated, a thank-you."""
        ctx, ep = self.ctx, self.ctx.ep
        if ep.restrictions_on:
            lifted: LiftResult = await ctx.records.call(
                LIFT_RESTRICTIONS,
                LiftCommand(
                    episode_id=ep.episode_id,
                    account_id=ctx.inp.account_id,
                    at=ctx.now(),
                    reason=ep.outcome.value if ep.outcome else "cured",
                    policy=ctx.inp.strategy.restrictions,
                ),
                result_type=LiftResult,
            )
            ep.restrictions_on = list(lifted.kept)
        if ep.blacklisted_on is not None:
            await ctx.records.call(
                SCHEDULE_BLACKLIST_REMOVAL,
                BlacklistRemovalCommand(
                    episode_id=ep.episode_id,
                    account_id=ctx.inp.account_id,
                    cure_date=ctx.today(),
                    at=ctx.now(),
                    policy=ctx.inp.strategy.blacklist,
                ),
                result_type=BlacklistRemovalResult,
            )
        template = ctx.inp.strategy.restoration.courtesy_template
        if template is None or ctx.dpd() <= 0:
            return  # paid by the due date: nothing was restricted, nothing to restore
        step = ScheduledStep(
            key="restored", step_id="restoration", action=Action.SMS, dpd=ctx.dpd(), due_at=ctx.now(), template=template
        )
        while True:
            result: StepResult = await ctx.records.call(EXECUTE_STEP, ctx.step_command(step), result_type=StepResult)
            if result.kind != "deferred" or result.deferred_until is None:
                if result.kind == "contact":
                    ep.contacts_by_channel[result.channel] = ep.contacts_by_channel.get(result.channel, 0) + 1
                return
            # Outside the permitted hours: the thank-you waits for them, as any message does.
            at = max(result.deferred_until, ctx.now() + T.MIN_DEFERRAL)
            await workflow.sleep(ctx.real_delay(at))
            step = step.model_copy(update={"due_at": at})
