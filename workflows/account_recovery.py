"""AccountRecovery: what continues after a charge-off, one workflow per charged-off episode.

The episode wrote the balance off; the debt is still owed. This workflow keeps
the agency placement and the legal case going, takes payments against the
written-off amount (each one a ``recoveries`` row and a ledger posting under
the key ``<episode_id>:recovery:<payment_id>``) and ends when the amount is
recovered, a settlement offer is paid, or an operator closes it.

Decisions come from the pure domain modules (settlement limits, legal case
transitions, commission); every side effect is an activity, retried without a
cap, keyed so that a retry writes nothing twice.
"""

import asyncio
from datetime import datetime, timedelta
from decimal import Decimal

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from workflows.recovery_settlements import RecoverySettlements

with workflow.unsafe.imports_passed_through():
    from arrears.contracts.account import LegalEventCommand, LegalEventResult
    from arrears.contracts.names import RECORD_LEGAL_EVENT
    from arrears.contracts.collection import CloseInput, PaymentInput
    from arrears.contracts.collection_activities import CommissionCommand, PlacementChangeCommand
    from arrears.contracts.names import CLOSE_PLACEMENT, RECALL_PLACEMENT, RECORD_COMMISSION, RENEW_PLACEMENT
    from arrears.domain.agency import AGENCY_CHANNEL, PlacementRecord, commission, placement_end
    from arrears.domain.clock import EpisodeClock
    from arrears.domain.delinquency import local_date
    from arrears.domain.legal import event_refusal
    from arrears.domain.money import has_valid_scale
    from arrears.domain.settlement import SettlementOffer, settled
    from arrears.contracts.names import CLOSE_RECOVERY, LOAD_LEGAL_CASE, RECORD_RECOVERY, RECOVERY_TYPE
    from arrears.contracts.recovery import (
        CloseRecoveryCommand,
        LegalCaseLookup,
        LegalCaseUpdate,
        LegalCaseUpdateResult,
        LegalCaseView,
        LegalUpdateRecord,
        RecoveryCloseResult,
        RecoveryCommand,
        RecoveryInput,
        RecoveryOutcome,
        RecoveryPayment,
        RecoveryPaymentResult,
        RecoveryRecorded,
        RecoveryResult,
        RecoveryState,
        RecoveryStatus,
    )

# As for episodes: a side effect is delayed by an outage, never dropped.
ACTIVITY_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=5))
ACTIVITY_TIMEOUT = timedelta(minutes=2)
MIN_WAIT = timedelta(milliseconds=1)


def _refusal(exc: ActivityError) -> ApplicationError:
    """A non-retryable no from an activity (an id taken, a document missing) as the update's answer."""
    return ApplicationError(getattr(exc.cause, "message", None) or str(exc))


@workflow.defn(name=RECOVERY_TYPE)
class AccountRecovery(RecoverySettlements):
    @workflow.init
    def __init__(self, inp: RecoveryInput) -> None:
        self.inp = inp
        if inp.carried is not None:
            self.state = inp.carried
        else:
            now = workflow.now()
            self.state = RecoveryState(
                clock=EpisodeClock(anchor_real=now, anchor_virtual=now, day_seconds=inp.day_seconds),
                placement=inp.placement,
            )
        self.outcome: RecoveryOutcome | None = None
        self.outcome_reason: str | None = None
        self.closed_by: str | None = None
        self.ended_by: str | None = None  # the payment that ended it, for the answer to its repeat
        self.forgiven = Decimal(0)
        self.changed = False
        # Payments are applied one at a time: each row records the recovered total after it,
        # and that total must follow the order in which they were recorded.
        self._payments = asyncio.Lock()
        # Legal events one at a time too: each is validated against the case the previous one left.
        self._legal = asyncio.Lock()

    async def _act(self, name: str, command, result_type: type | None = None):
        return await workflow.execute_activity(
            name, command, result_type=result_type, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=ACTIVITY_RETRY
        )

    # ---- state -------------------------------------------------------------------

    def _now(self) -> datetime:
        return self.state.clock.virtual(workflow.now())

    def _slack(self) -> timedelta:
        # Timers have millisecond resolution; with compressed demo days that is minutes of collection time.
        return max(timedelta(seconds=1), MIN_WAIT * self.state.clock.speed)

    def _recovered(self) -> Decimal:
        return sum((p.amount for p in self.state.payments.values()), Decimal(0))

    def _outstanding(self) -> Decimal:
        return max(Decimal(0), self.inp.written_off - self._recovered())

    def _open_offer(self) -> SettlementOffer | None:
        offer = self.state.open_offer
        return self.state.settlements[offer] if offer else None

    def _ended(self) -> str | None:
        return f"the recovery has ended ({self.outcome.value})" if self.outcome else None

    def _next_wake(self) -> datetime | None:
        candidates: list[datetime] = []
        offer = self._open_offer()
        if offer is not None:
            candidates.append(offer.expires_at)
        if self.state.placement is not None:
            candidates.append(self.state.placement.ends_at)
        return min(candidates, default=None)

    # ---- main loop ---------------------------------------------------------------

    @workflow.run
    async def run(self, inp: RecoveryInput) -> RecoveryResult:
        try:
            if not self.state.legal_loaded:
                await self._load_legal_case()
            while self.outcome is None:
                now = self._now() + self._slack()
                offer = self._open_offer()
                if offer is not None and offer.expires_at <= now:
                    await self._expire_offer(offer)
                    continue
                placement = self.state.placement
                if placement is not None and placement.ends_at <= now:
                    await self._end_placement_period(placement)
                    continue
                if workflow.info().is_continue_as_new_suggested():
                    # Updates in flight finish first: what they change goes into the carried state.
                    await workflow.wait_condition(workflow.all_handlers_finished)
                    if self.outcome is None:
                        workflow.continue_as_new(self.inp.model_copy(update={"carried": self.state}))
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
            self.outcome = RecoveryOutcome.CLOSED
            self.outcome_reason = "workflow cancelled through Temporal (cancel request)"
            self.closed_by = "temporal-cancel"
            await self._finish()
            raise
        return await self._finish()

    async def _load_legal_case(self) -> None:
        """The case referred from the episode, if any: legal updates are validated against it."""
        view: LegalCaseView | None = await self._act(
            LOAD_LEGAL_CASE, LegalCaseLookup(account_id=self.inp.account_id, episode_id=self.inp.episode_id),
            result_type=LegalCaseView | None,
        )
        if view is not None and self.inp.legal_case_id is not None and str(view.case_id) != self.inp.legal_case_id:
            workflow.logger.warning("legal case %s of episode %s is on record as case %s; that one continues",
                                    self.inp.legal_case_id, self.inp.episode_id, view.case_id)
        self.state.legal = view
        self.state.legal_loaded = True

    async def _finish(self) -> RecoveryResult:
        await workflow.wait_condition(workflow.all_handlers_finished)
        assert self.outcome is not None
        ended = f"recovery ended: {self.outcome.value}"
        # Nothing stays open on record: an offer not paid is withdrawn, a placement is closed.
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
        reason = self.outcome_reason or self.outcome.value
        closed_by = self.closed_by or "workflow"
        await self._act(
            CLOSE_RECOVERY,
            CloseRecoveryCommand(
                account_id=self.inp.account_id, episode_id=self.inp.episode_id, workflow_id=workflow.info().workflow_id,
                currency=self.inp.currency, outcome=self.outcome, reason=reason, closed_by=closed_by,
                written_off=self.inp.written_off, recovered_total=self._recovered(), forgiven=self.forgiven,
                closed_at=self._now(),
            ),
        )
        return RecoveryResult(
            account_id=self.inp.account_id, outcome=self.outcome, written_off=self.inp.written_off,
            recovered=self._recovered(), forgiven=self.forgiven, reason=reason, episode_id=self.inp.episode_id,
            closed_by=closed_by,
        )

    # ---- agency placement ------------------------------------------------------------

    async def _end_placement_period(self, placement: PlacementRecord) -> None:
        """As in the episode: renewed if the agency reported payments in the period, else recalled."""
        period_end = placement.ends_at
        if placement.period_payments == 0:
            placement.status = "recalled"
            self.state.placement = None
            reason = (f"recalled: {placement.agency_id} reported no recovery in the {placement.placement_days}-day "
                      f"period ending {period_end:%Y-%m-%d %H:%M} UTC")
        else:
            placement.status = "renewed"
            placement.renewals += 1
            placement.ends_at = placement_end(period_end, placement.placement_days, self.inp.timezone)
            reason = (f"renewed ({placement.renewals}): {placement.agency_id} reported {placement.period_payments} "
                      f"recovery payment(s) in the period ending {period_end:%Y-%m-%d %H:%M} UTC")
            placement.period_payments = 0
        await self._record_placement_change(placement, reason)

    async def _record_placement_change(self, placement: PlacementRecord, reason: str) -> None:
        activity_name = {"renewed": RENEW_PLACEMENT, "recalled": RECALL_PLACEMENT, "closed": CLOSE_PLACEMENT}
        await self._act(
            activity_name[placement.status],
            PlacementChangeCommand(
                episode_id=self.inp.episode_id, account_id=self.inp.account_id,
                idempotency_key=placement.idempotency_key, status=placement.status, renewals=placement.renewals,
                ends_at=placement.ends_at, reason=reason, at=self._now(),
            ),
        )

    # ---- payments ---------------------------------------------------------------------------

    @workflow.update
    async def record_payment(self, payment: PaymentInput) -> RecoveryPaymentResult:
        async with self._payments:
            known = self.state.payments.get(payment.payment_id)
            if known is not None:  # a repeat (perhaps one that waited for the first): same answer
                refusal = self._repeat_refusal(known, payment)
                if refusal:
                    raise ApplicationError(refusal)
                return self._payment_result(known, duplicate=True)
            if self.outcome is not None:  # ended while this one waited its turn
                raise ApplicationError(f"{self._ended()}; no payment can be applied")
            placement = self.state.placement
            fee = (commission(payment.amount, placement.commission_percent, self.inp.currency)
                   if placement is not None and payment.channel == AGENCY_CHANNEL else None)
            record = RecoveryPayment(
                payment_id=payment.payment_id, amount=payment.amount, paid_at=payment.paid_at or self._now(),
                channel=payment.channel, recovered_after=self._recovered() + payment.amount, commission=fee,
            )
            # On record first: the system of record may refuse the id (applied before the write-off,
            # or recovered under another episode), and then nothing here has changed.
            try:
                await self._act(
                    RECORD_RECOVERY,
                    RecoveryCommand(
                        account_id=self.inp.account_id, episode_id=self.inp.episode_id, currency=self.inp.currency,
                        payment_id=record.payment_id, amount=record.amount, channel=record.channel,
                        paid_at=record.paid_at, posted_on=local_date(record.paid_at, self.inp.timezone),
                        written_off=self.inp.written_off, recovered_total_after=record.recovered_after,
                    ),
                    result_type=RecoveryRecorded,
                )
            except ActivityError as exc:
                raise _refusal(exc) from None
            self.state.payments[record.payment_id] = record
            if placement is not None and fee is not None:
                # Reported by the agency holding the account: it earns its commission, and the period counts as worked.
                placement.period_payments += 1
                placement.collected += record.amount
                placement.commission += fee
            offer = self._open_offer()
            forgiven: Decimal | None = None
            if offer is not None and settled(offer, self._recovered()):
                forgiven = max(Decimal(0), offer.balance_at_offer - (self._recovered() - offer.paid_before))
                offer.status = "paid"
                self.state.open_offer = None
            if self.outcome is None:
                if forgiven:
                    self.outcome = RecoveryOutcome.SETTLED
                    self.forgiven = forgiven
                    self.outcome_reason = (f"settled by offer {offer.offer_id} with payment {record.payment_id}; "
                                           f"forgiven {forgiven} {self.inp.currency}")
                    self.ended_by = record.payment_id
                elif self._recovered() >= self.inp.written_off:
                    self.outcome = RecoveryOutcome.RECOVERED
                    self.outcome_reason = (f"written-off amount {self.inp.written_off} {self.inp.currency} recovered "
                                           f"in full with payment {record.payment_id}")
                    self.ended_by = record.payment_id
            self.changed = True
            if placement is not None and fee is not None:
                await self._act(
                    RECORD_COMMISSION,
                    CommissionCommand(
                        episode_id=self.inp.episode_id, account_id=self.inp.account_id,
                        placement_id=placement.placement_id, agency_id=placement.agency_id,
                        payment_id=record.payment_id, payment_amount=record.amount,
                        percent=placement.commission_percent, commission=fee, currency=self.inp.currency,
                    ),
                )
            if offer is not None and forgiven is not None:
                await self._record_settlement_end(offer, forgiven)
            return self._payment_result(record, duplicate=False)

    @record_payment.validator
    def _validate_payment(self, payment: PaymentInput) -> None:
        known = self.state.payments.get(payment.payment_id)
        if known is not None:
            refusal = self._repeat_refusal(known, payment)
            if refusal:
                raise ApplicationError(refusal)
            return
        if self.outcome is not None:
            raise ApplicationError(f"{self._ended()}; no payment can be applied")
        if payment.amount <= 0:
            raise ApplicationError(f"payment amount must be positive, got {payment.amount}")
        if not has_valid_scale(payment.amount, self.inp.currency):
            raise ApplicationError(f"payment amount {payment.amount} has more decimals than {self.inp.currency} allows")

    @staticmethod
    def _repeat_refusal(known: RecoveryPayment, payment: PaymentInput) -> str | None:
        """A repeat must be the same payment: the same amount and channel (and time, when it gives one)."""
        if known.amount != payment.amount or known.channel != payment.channel or (
            payment.paid_at is not None and payment.paid_at != known.paid_at
        ):
            return (f"payment_id {payment.payment_id} was already recorded with amount {known.amount} by "
                    f"{known.channel}, not {payment.amount} by {payment.channel}")
        return None

    def _payment_result(self, record: RecoveryPayment, duplicate: bool) -> RecoveryPaymentResult:
        return RecoveryPaymentResult(
            payment_id=record.payment_id, accepted=True, duplicate=duplicate, recovered_total=record.recovered_after,
            outstanding=max(Decimal(0), self.inp.written_off - record.recovered_after), commission=record.commission,
            outcome=self.outcome if self.ended_by == record.payment_id else None,
        )

    # ---- legal case -------------------------------------------------------------------------------

    def _legal_refusal(self, request: LegalCaseUpdate) -> str | None:
        """Why this event cannot apply to the case as this workflow knows it, or None (a same-content repeat)."""
        known = self.state.legal_updates.get(request.event.event_id)
        if known is not None:
            if known.event != request.event:
                return f"event id {request.event.event_id} was already used with different content"
            return None
        if self.outcome is not None:
            return f"{self._ended()}; the legal case is no longer updated here"
        if self.state.legal is None:
            return (f"no legal case for account {self.inp.account_id}: none was referred from episode "
                    f"{self.inp.episode_id}")
        refusal = event_refusal(self.state.legal.case, request.event)
        return f"case {self.state.legal.case_id}: {refusal}" if refusal else None

    @workflow.update
    async def update_legal_case(self, request: LegalCaseUpdate) -> LegalCaseUpdateResult:
        async with self._legal:
            await workflow.wait_condition(lambda: self.state.legal_loaded)
            # Again here: the validator may have run before the case was read, or before the event ahead of it.
            refusal = self._legal_refusal(request)
            if refusal:
                raise ApplicationError(refusal)
            known = self.state.legal_updates.get(request.event.event_id)
            if known is not None:
                return known.result.model_copy(update={"duplicate": True})
            assert self.state.legal is not None
            try:
                done: LegalEventResult = await self._act(
                    RECORD_LEGAL_EVENT,
                    LegalEventCommand(account_id=self.inp.account_id, episode_id=self.inp.episode_id,
                                      event=request.event),
                    result_type=LegalEventResult,
                )
            except ActivityError as exc:
                raise _refusal(exc) from None
            case = self.state.legal.case
            self.state.legal = LegalCaseView(case_id=done.case_id, case=case.model_copy(update={
                "state": done.state, "last_event_on": max(case.last_event_on, request.event.on),
                "costs": done.costs, "recoverable_costs": done.recoverable_costs,
            }))
            result = LegalCaseUpdateResult(case_id=done.case_id, event_id=request.event.event_id, state=done.state,
                                           costs=done.costs, recoverable_costs=done.recoverable_costs)
            self.state.legal_updates[request.event.event_id] = LegalUpdateRecord(event=request.event, result=result)
            self.changed = True
            return result

    @update_legal_case.validator
    def _validate_legal(self, request: LegalCaseUpdate) -> None:
        if not self.state.legal_loaded and request.event.event_id not in self.state.legal_updates:
            return  # the case is still being read: the handler checks once it is
        refusal = self._legal_refusal(request)
        if refusal:
            raise ApplicationError(refusal)

    # ---- close ------------------------------------------------------------------------------------

    @workflow.update
    def close(self, request: CloseInput) -> RecoveryCloseResult:
        self.outcome = RecoveryOutcome.CLOSED
        self.outcome_reason = request.reason.strip()
        self.closed_by = request.operator_id.strip()
        self.changed = True
        return RecoveryCloseResult(outcome=self.outcome, reason=self.outcome_reason, closed_by=self.closed_by)

    @close.validator
    def _validate_close(self, request: CloseInput) -> None:
        if not request.reason.strip():
            raise ApplicationError("a reason is required to close a recovery")
        if not request.operator_id.strip():
            raise ApplicationError("the operator id is required to close a recovery")
        if self.outcome is not None:
            raise ApplicationError(f"the recovery has already ended ({self.outcome.value})")

    # ---- query ------------------------------------------------------------------------------------

    @workflow.query
    def status(self) -> RecoveryStatus:
        return RecoveryStatus(
            account_id=self.inp.account_id,
            episode_id=self.inp.episode_id,
            currency=self.inp.currency,
            timezone=self.inp.timezone,
            as_of=self._now(),
            written_off=self.inp.written_off,
            written_off_on=self.inp.written_off_on,
            recovered=self._recovered(),
            outstanding=self._outstanding(),
            payments=list(self.state.payments.values()),
            placement=self.state.placement,
            legal_case=self.state.legal,
            open_offer=self._open_offer(),
            outcome=self.outcome,
            outcome_reason=self.outcome_reason,
            strategy_name=self.inp.strategy.name,
        )
