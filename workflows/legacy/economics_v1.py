# Frozen copy, kept byte-for-byte in behaviour for the replay of histories recorded before the
# agenda engine (the engine is chosen by workflow.patched("agenda") in workflows/collection/workflow.py):
# that is why it exceeds the size limit of workflows/ and is excluded from lint and type checks.
"""FROZEN with workflows/legacy/collection_v1.py (see there). What the delinquency costs and what it does to the account, inside the episode.

A mixin of AccountCollection for episodes started after the patch
``account-economics``: the ledger (penalty interest, late fees, minimums,
payments, waivers, write-offs) kept as a pure function of the episode's dated
events and posted by an activity; DPD re-anchored to the oldest unpaid cycle;
card restrictions by level and their lifting on cure; the internal
blacklist; the prior notice before credit-bureau reporting; the legal
referral under the strategy's criteria; the write-off at charge-off and the
recovery workflow after it; the courtesy message on restoration.

Workflow code: deterministic, every side effect an activity.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

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
    from arrears.contracts.names import (
        APPLY_RESTRICTION,
        LIFT_RESTRICTIONS,
        LIST_ON_BLACKLIST,
        RECORD_BUREAU_NOTICE,
        REFER_TO_LEGAL,
        SCHEDULE_BLACKLIST_REMOVAL,
    )
    from arrears.contracts.collection_activities import StepCommand, StepResult
    from arrears.contracts.names import EXECUTE_STEP
    from arrears.domain.episode import LegalReferralState
    from arrears.domain.blacklist import should_list
    from arrears.domain.bureau import UNDELIVERED_RESULTS
    from arrears.domain.delinquency import CHARGE_OFF_DPD, Outcome, local_date, stage_for_dpd
    from arrears.domain.ladder import ScheduledStep, local_moment, replan_for_anchor
    from arrears.domain.ledger import (
        ChargeEvent,
        Ledger,
        Opening,
        PaymentEvent,
        ReageEvent,
        WaiverEvent,
        WriteOffEvent,
        compute_ledger,
        cycle_due_date,
    )
    from arrears.domain.legal import LegalCase, referral_decision
    from arrears.domain.restrictions import RestrictionLevel
    from arrears.domain.strategy import Action, Step
    from arrears.contracts.ledger import PostLedgerCommand, PostLedgerResult
    from arrears.contracts.names import POST_LEDGER
    from arrears.contracts.names import START_RECOVERY
    from arrears.contracts.recovery import RecoveryInput

ECONOMICS_PATCH = "account-economics"
# A prior notice that was not posted (no address, or one on record as invalid) is tried
# again every NOTICE_RETRY_DAYS until one posts: without it the account is never reported.
NOTICE_RESEND_PATCH = "bureau-notice-resend"
NOTICE_RETRY_DAYS = 7
ZERO = Decimal(0)


class Economics:
    """Mixed into AccountCollection; uses its ``inp``, ``state``, ``_act``, ``_now`` and ``_dpd``."""

    # ---- dates -------------------------------------------------------------------

    def _today(self) -> date:
        return local_date(self._now(), self.inp.timezone)

    def _anchor(self) -> date:
        """The due date DPD counts from: the oldest cycle still unpaid."""
        return self.state.anchor_due or self.inp.due_date

    def _priced(self) -> bool:
        return self.state.economics and self.inp.strategy.pricing is not None

    def _step(self, step_id: str) -> Step | None:
        return next((s for s in self.inp.strategy.steps if s.id == step_id), None)

    # ---- the ledger --------------------------------------------------------------

    def _ledger(self, as_of: date | None = None) -> Ledger:
        opening = Opening(
            episode_id=self.state.episode_id, currency=self.inp.currency, due_date=self.inp.due_date,
            # The import gives no split: the whole balance bears interest as principal.
            principal=self.inp.total_balance, overdue_minimum=self.inp.overdue_amount,
        )
        day = max(as_of or self._today(), self.inp.due_date)
        return compute_ledger(opening, self.inp.strategy.pricing, self.state.ledger_events, day)

    @staticmethod
    def _owed(ledger: Ledger) -> Decimal:
        """What must be paid to be current: every cycle minimum due by now and still unpaid."""
        return sum((c.unpaid for c in ledger.cycles if c.due_date <= ledger.as_of), ZERO)

    def _ledger_event_day(self) -> date:
        return max(self._today(), self.inp.due_date)

    def _add_payment_event(self, payment_id: str, amount: Decimal) -> tuple[Decimal, Decimal, date]:
        """The payment as a ledger event; returns overdue and total after it, and its ledger date."""
        on = self._ledger_event_day()
        self.state.ledger_events.append(PaymentEvent(on=on, payment_id=payment_id, amount=amount))
        ledger = self._ledger()
        return self._owed(ledger), ledger.balances.total, on

    def _add_waiver(self, waiver_id: str, amount: Decimal) -> None:
        if self._priced() and amount > 0:
            self.state.ledger_events.append(WaiverEvent(on=self._ledger_event_day(), waiver_id=waiver_id, amount=amount))

    def _add_charge(self, charge_id: str, amount: Decimal, what: str) -> None:
        if self._priced():
            self.state.ledger_events.append(ChargeEvent(on=self._ledger_event_day(), charge_id=charge_id, amount=amount, what=what))

    def _add_write_off(self, write_off_id: str, reason: str) -> None:
        if self._priced():
            self.state.ledger_events.append(WriteOffEvent(on=self._ledger_event_day(), write_off_id=write_off_id, reason=reason))

    async def _sync_ledger(self, update_state: bool = True) -> Ledger | None:
        """Post what the ledger holds up to today; bring overdue, balance and the DPD anchor up to date."""
        if not self._priced():
            return None
        ledger = self._ledger()
        posted = set(self.state.posted_keys)
        new = [p for p in ledger.postings if p.posting_key not in posted]
        self.state.ledger_synced_on = ledger.as_of
        if new:
            self.state.posted_keys += [p.posting_key for p in new]
            await self._act(
                POST_LEDGER,
                PostLedgerCommand(account_id=self.inp.account_id, episode_id=self.state.episode_id,
                                  currency=self.inp.currency, postings=new),
                result_type=PostLedgerResult,
            )
        if update_state and self.outcome is None:
            self.state.overdue_amount = self._owed(ledger)
            self.state.total_balance = ledger.balances.total
            self._reanchor(ledger)
        return ledger

    def _reanchor(self, ledger: Ledger) -> None:
        """Payments that cover whole missed cycles move DPD (and the ladder) to the oldest one left."""
        oldest = ledger.oldest_unpaid_due
        if oldest is None or oldest <= self._anchor():
            return
        self.state.anchor_due = oldest
        self.state.pending = replan_for_anchor(
            self.inp.strategy, self._segment(), oldest, self.inp.timezone, self._now(), self.state.pending)

    def _next_cycle_moment(self) -> datetime | None:
        """The local midnight after the next due date: the cycle is billed, then a late fee falls due."""
        if not self._priced():
            return None
        today, k = self._today(), 0
        while (due := cycle_due_date(self.inp.due_date, k)) < today:
            k += 1
        moment = local_moment(due, 1, time(0, 0), self.inp.timezone)
        return moment if moment > self._now() else local_moment(cycle_due_date(self.inp.due_date, k + 1), 1,
                                                                 time(0, 0), self.inp.timezone)

    # ---- the daily round -----------------------------------------------------------

    async def _economics_round(self) -> None:
        """Once per local day the loop wakes: post the ledger, list on the blacklist when due."""
        if not self.state.economics:
            return
        if self._priced() and self.state.ledger_synced_on != self._today():
            await self._sync_ledger()
        await self._retry_notice()
        policy = self.inp.strategy.blacklist
        dpd = self._dpd()
        if self.state.blacklisted_on is None and should_list(dpd, policy) and self.outcome is None:
            self.state.blacklisted_on = self._today()
            await self._act(LIST_ON_BLACKLIST, BlacklistCommand(
                episode_id=self.state.episode_id, account_id=self.inp.account_id, reason=policy.reason,
                listed_from=self._today(), dpd=dpd, at=self._now(), blocks=policy.blocks))

    def _economics_wakes(self) -> list[datetime]:
        if not self.state.economics:
            return []
        wakes: list[datetime] = []
        cycle = self._next_cycle_moment()
        if cycle is not None:
            wakes.append(cycle)
        if self.state.blacklisted_on is None:
            listed = local_moment(self._anchor(), self.inp.strategy.blacklist.list_at_dpd, time(0, 0), self.inp.timezone)
            if listed > self._now():
                wakes.append(listed)
        retry_on = self.state.bureau_notice_retry_on
        if retry_on is not None and self._paused_by() is None:
            # While paused, the pause's own end wakes the loop.
            retry = self._notice_retry_moment(retry_on)
            if retry > self._now():
                wakes.append(retry)
        return wakes

    async def _economics_start(self) -> None:
        """A late import: the card carries at once the restriction its DPD has passed..."""
        dpd = self._dpd()
        passed = [s for s in self.inp.strategy.steps if s.action == Action.RESTRICT_CARD
                  and self._segment() in s.segments and s.dpd < dpd]
        if passed:
            harshest = max(passed, key=lambda s: s.restriction_level)
            await self._restrict(harshest.id, harshest.restriction_level, dpd)
        # ...and the bureau's prior notice now, or the account could never be reported.
        notices = [s for s in self.inp.strategy.steps if s.action == Action.BUREAU_REPORT
                   and self._segment() in s.segments and s.dpd < dpd]
        if notices:
            step = notices[-1]
            self.state.pending = sorted([ScheduledStep(
                key=f"{step.id}@{step.dpd}", step_id=step.id, action=Action.BUREAU_REPORT, dpd=step.dpd,
                due_at=self._now(), catch_up=True), *self.state.pending], key=lambda s: s.due_at)
        await self._economics_round()

    # ---- strategy steps ------------------------------------------------------------

    async def _economics_step(self, step: ScheduledStep, command: StepCommand) -> bool:
        """Run an account-level step the economic way; False when the step is not one of them."""
        if step.action == Action.RESTRICT_CARD:
            definition = self._step(step.step_id)
            level = definition.restriction_level if definition else RestrictionLevel.PURCHASES_BLOCKED
            await self._restrict(step.step_id, level, command.dpd)
        elif step.action == Action.BUREAU_REPORT and self.state.bureau_notice_attempts > 1:
            pass  # a retried notice was posted: a re-planned ladder's step (new anchor) does not post another
        elif step.action == Action.BUREAU_REPORT:
            result = await self._send_notice(step.step_id, command.dpd, attempt=1)
            if result.result in UNDELIVERED_RESULTS and workflow.patched(NOTICE_RESEND_PATCH):
                self.state.bureau_notice_step = step.step_id
                self.state.bureau_notice_retry_on = self._today() + timedelta(days=NOTICE_RETRY_DAYS)
        elif step.action == Action.LEGAL:
            await self._legal_step(step, command.dpd)
        else:
            return False
        self.state.steps_done += 1
        return True

    async def _send_notice(self, step_id: str, dpd: int, attempt: int) -> BureauNoticeResult:
        policy = self.inp.strategy.bureau
        result: BureauNoticeResult = await self._act(RECORD_BUREAU_NOTICE, BureauNoticeCommand(
            episode_id=self.state.episode_id, account_id=self.inp.account_id, step_id=step_id,
            dpd=dpd, sent_at=self._now(), template=policy.notice_template, currency=self.inp.currency,
            overdue_amount=self.state.overdue_amount, total_balance=self.state.total_balance,
            due_date=self._anchor(), attempt=attempt), result_type=BureauNoticeResult)
        if result.created or attempt == 1:
            self.state.bureau_notice_attempts = max(self.state.bureau_notice_attempts, attempt)
            self.state.bureau_notice_on, self.state.bureau_notice_result = result.sent_on, result.result
        return result

    def _notice_retry_moment(self, retry_on: date) -> datetime:
        return local_moment(retry_on, 0, time(8, 0), self.inp.timezone)  # letters go out from 08:00 local

    async def _retry_notice(self) -> None:
        """Try the prior notice again once a week while none has been posted and nothing pauses collection."""
        retry_on = self.state.bureau_notice_retry_on
        if retry_on is None or self._paused_by() is not None or self.outcome is not None:
            return
        if self._now() + self._slack() < self._notice_retry_moment(retry_on):
            return
        result = await self._send_notice(self.state.bureau_notice_step or "bureau-notice", self._dpd(),
                                         attempt=self.state.bureau_notice_attempts + 1)
        posted = result.result not in UNDELIVERED_RESULTS
        self.state.bureau_notice_retry_on = None if posted else self._today() + timedelta(days=NOTICE_RETRY_DAYS)

    async def _restrict(self, step_id: str, level: RestrictionLevel, dpd: int) -> None:
        result: RestrictionResult = await self._act(APPLY_RESTRICTION, RestrictionCommand(
            episode_id=self.state.episode_id, account_id=self.inp.account_id, step_id=step_id, level=level,
            dpd=dpd, at=self._now()), result_type=RestrictionResult)
        self.state.restrictions_on = list(result.on_card)

    async def _legal_step(self, step: ScheduledStep, dpd: int) -> None:
        """Refer only when the strategy's criteria hold; otherwise say why, and look again later."""
        if self.state.legal is not None and self.state.legal.status == "referred":
            return  # one case per episode: a later legal step (after re-anchoring) finds it open
        legal = self.inp.strategy.legal
        today = self._today()
        ledger = self._ledger() if self._priced() else None
        principal = ledger.balances.principal if ledger is not None else self.state.total_balance
        collections = [local_date(c.occurred_at, self.inp.timezone) for c in self.state.effective_collections]
        decision = referral_decision(
            collections, due_date=self.inp.due_date, still_unpaid=self.state.overdue_amount > 0, principal=principal,
            currency=self.inp.currency, as_of=today, criteria=legal.criteria)
        previous = self.state.legal
        result: LegalReferralResult = await self._act(REFER_TO_LEGAL, LegalReferralCommand(
            episode_id=self.state.episode_id, account_id=self.inp.account_id, step_id=step.step_id, dpd=dpd,
            referred_at=self._now(), referred_on=today, principal=principal, currency=self.inp.currency,
            allowed=decision.allowed, reasons=list(decision.reasons), criteria=legal.criteria.preset,
            costs_recoverable=legal.costs_recoverable, step_key=step.key, overdue_amount=self.state.overdue_amount,
            total_balance=self.state.total_balance), result_type=LegalReferralResult)
        checks = (previous.checks + 1) if previous else 1
        if result.referred:
            self.state.legal = LegalReferralState(status="referred", checked_on=today, reasons=list(decision.reasons),
                                                  case_id=result.case_id, checks=checks,
                                                  case=LegalCase(referred_on=today, last_event_on=today))
            return
        self.state.legal = LegalReferralState(status="refused", checked_on=today, reasons=list(decision.reasons),
                                              checks=checks)
        # Not yet: the criteria may hold later (a second collection, the months running); look again.
        again = self._now() + timedelta(days=self.inp.strategy.legal_recheck.every_days)
        if decision.unpaid_from is not None:
            definition = self._step(step.step_id)
            at = definition.at if definition is not None else time(9, 30)
            again = max(again, local_moment(decision.unpaid_from, 0, at, self.inp.timezone))
        again_dpd = (local_date(again, self.inp.timezone) - self._anchor()).days
        if again_dpd < CHARGE_OFF_DPD:
            base = step.key.split("/recheck", 1)[0]
            self.state.pending = sorted([*self.state.pending, ScheduledStep(
                key=f"{base}/recheck{checks}", step_id=step.step_id, action=Action.LEGAL, dpd=again_dpd,
                due_at=again)], key=lambda s: s.due_at)

    # ---- the end -------------------------------------------------------------------

    async def _economics_finish(self) -> None:
        """Write-off and recovery after a charge-off; restrictions lifted, blacklist dated and thanks on a cure."""
        if not self.state.economics:
            return
        if self.outcome == Outcome.CHARGED_OFF:
            await self._start_recovery()
        elif self.outcome in (Outcome.CURED, Outcome.PAID_ON_TIME):
            await self._restore()

    async def _charge_off_balance(self, step_id: str) -> None:
        """The balance is written off in the ledger before the episode ends charged_off."""
        if self.state.written_off is not None:
            return
        if not self._priced():
            self.state.written_off = self.state.total_balance
            return
        self._add_write_off("charge-off", f"strategy step {step_id} at DPD {self._dpd()}")
        ledger = await self._sync_ledger(update_state=False)
        assert ledger is not None
        # What was charged off is what the write-off posting took: interest to the day included.
        posting = next(p for p in ledger.postings if p.posting_key.endswith(":write_off:charge-off"))
        self.state.written_off = -posting.amount
        # The episode closes with the balance it charged off; the ledger shows it written off.
        self.state.total_balance = self.state.written_off

    async def _start_recovery(self) -> None:
        placement = self.state.placement
        await self._act(
            START_RECOVERY,
            RecoveryInput(
                account_id=self.inp.account_id, episode_id=self.state.episode_id, currency=self.inp.currency,
                written_off=self.state.written_off if self.state.written_off is not None else self.state.total_balance,
                written_off_on=self._today(), timezone=self.inp.timezone, day_seconds=self.state.clock.day_seconds,
                strategy=self.inp.strategy, strategy_hash=self.inp.strategy_hash, placement=placement,
                legal_case_id=str(self.state.legal.case_id) if self.state.legal and self.state.legal.case_id else None,
            ),
            result_type=str,
        )

    async def _restore(self) -> None:
        """The way back: restrictions lifted (harshest first), the blacklist entry dated, a thank-you."""
        today = self._today()
        if self.state.restrictions_on:
            lifted: LiftResult = await self._act(LIFT_RESTRICTIONS, LiftCommand(
                episode_id=self.state.episode_id, account_id=self.inp.account_id, at=self._now(),
                reason=self.outcome.value if self.outcome else "cured", policy=self.inp.strategy.restrictions),
                result_type=LiftResult)
            self.state.restrictions_on = list(lifted.kept)
        if self.state.blacklisted_on is not None:
            await self._act(SCHEDULE_BLACKLIST_REMOVAL, BlacklistRemovalCommand(
                episode_id=self.state.episode_id, account_id=self.inp.account_id, cure_date=today, at=self._now(),
                policy=self.inp.strategy.blacklist), result_type=BlacklistRemovalResult)
        template = self.inp.strategy.restoration.courtesy_template
        if template is None or self._dpd() <= 0:
            return  # paid by the due date: nothing was restricted, nothing to restore
        step = ScheduledStep(key="restored", step_id="restoration", action=Action.SMS, dpd=self._dpd(),
                             due_at=self._now(), template=template)
        while True:
            dpd = self._dpd()
            result: StepResult = await self._act(EXECUTE_STEP, StepCommand(
                episode_id=self.state.episode_id, account_id=self.inp.account_id, step=step, executed_at=self._now(),
                dpd=dpd, stage=stage_for_dpd(dpd).value, currency=self.inp.currency,
                overdue_amount=self.state.overdue_amount, total_balance=self.state.total_balance,
                due_date=self._anchor(), strategy_hash=self.inp.strategy_hash, desk=self.inp.strategy.desk,
                compliance=self.inp.strategy.compliance), result_type=StepResult)
            if result.kind != "deferred" or result.deferred_until is None:
                if result.kind == "contact":
                    counts = self.state.contacts_by_channel
                    counts[result.channel] = counts.get(result.channel, 0) + 1
                return
            # Outside the permitted hours: the thank-you waits for them, as any message does.
            await workflow.sleep(max(timedelta(milliseconds=1), self.state.clock.real_delay(self._now(), result.deferred_until)))
            step = step.model_copy(update={"due_at": result.deferred_until})

    # ---- re-age ----------------------------------------------------------------------

    def _reage_event(self, reage_id: str) -> None:
        self.state.ledger_events.append(ReageEvent(on=self._ledger_event_day(), reage_id=reage_id))
