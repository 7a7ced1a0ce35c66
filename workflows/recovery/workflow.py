"""AccountRecovery: what continues after a charge-off, one workflow per charged-off episode.

The episode wrote the balance off; the debt is still owed. This workflow keeps
the agency placement and the legal case going, takes payments against the
written-off amount (each one a ``recoveries`` row and a ledger posting under
the key ``<episode_id>:recovery:<payment_id>``) and ends when the amount is
recovered, a settlement offer is paid, or an operator closes it.

Decisions come from the pure domain modules (settlement limits, legal case
transitions, commission); every side effect is an activity, retried without a
cap, keyed so that a retry writes nothing twice.

The class is put together from parts: this module has the loop, payments,
the agency placement, close and the query; settlements.py the settlement
offers; legal.py the legal case; base.py the state they all read.
"""

import asyncio
from datetime import datetime
from decimal import Decimal

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from arrears.contracts import errors
    from arrears.contracts.collection import CloseInput, PaymentInput
    from arrears.contracts.names import (
        CLOSE_RECOVERY,
        RECORD_COMMISSION,
        RECORD_RECOVERY,
        RECOVERY_TYPE,
        Queries,
        Updates,
    )
    from arrears.contracts.recovery import (
        CloseRecoveryCommand,
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
    from arrears.domain.agency import AGENCY_CHANNEL, PlacementRecord, commission, placement_end
    from arrears.domain.clock import EpisodeClock
    from arrears.domain.delinquency import local_date
    from arrears.domain.money import has_valid_scale
    from arrears.domain.settlement import settled

from workflows.recovery.legal import RecoveryLegal
from workflows.recovery.settlements import RecoverySettlements
from workflows.shared import MIN_WAIT, commission_command, placement_change, record_refusal, refuse


@workflow.defn(name=RECOVERY_TYPE)
class AccountRecovery(RecoverySettlements, RecoveryLegal):
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
        self.outcome = None
        self.outcome_reason = None
        self.closed_by = None
        self.ended_by = None
        self.forgiven = Decimal(0)
        self.changed = False
        # Payments are applied one at a time: each row records the recovered total after it,
        # and that total must follow the order in which they were recorded.
        self._payments = asyncio.Lock()
        # Legal events one at a time too: each is validated against the case the previous one left.
        self._legal = asyncio.Lock()

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
                except TimeoutError:
                    pass
        except asyncio.CancelledError:
            # `temporal workflow cancel`: end cleanly, with the reason on record.
            self.outcome = RecoveryOutcome.CLOSED
            self.outcome_reason = "workflow cancelled through Temporal (cancel request)"
            self.closed_by = "temporal-cancel"
            await self._finish()
            raise
        return await self._finish()

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
                account_id=self.inp.account_id,
                episode_id=self.inp.episode_id,
                workflow_id=workflow.info().workflow_id,
                currency=self.inp.currency,
                outcome=self.outcome,
                reason=reason,
                closed_by=closed_by,
                written_off=self.inp.written_off,
                recovered_total=self._recovered(),
                forgiven=self.forgiven,
                closed_at=self._now(),
            ),
        )
        return RecoveryResult(
            account_id=self.inp.account_id,
            outcome=self.outcome,
            written_off=self.inp.written_off,
            recovered=self._recovered(),
            forgiven=self.forgiven,
            reason=reason,
            episode_id=self.inp.episode_id,
            closed_by=closed_by,
        )

    # ---- agency placement ------------------------------------------------------------

    async def _end_placement_period(self, placement: PlacementRecord) -> None:
        """As in the episode: renewed if the agency reported payments in the period, else recalled."""
        period_end = placement.ends_at
        if placement.period_payments == 0:
            placement.status = "recalled"
            self.state.placement = None
            reason = (
                f"recalled: {placement.agency_id} reported no recovery in the {placement.placement_days}-day "
                f"period ending {period_end:%Y-%m-%d %H:%M} UTC"
            )
        else:
            placement.status = "renewed"
            placement.renewals += 1
            placement.ends_at = placement_end(period_end, placement.placement_days, self.inp.timezone)
            reason = (
                f"renewed ({placement.renewals}): {placement.agency_id} reported {placement.period_payments} "
                f"recovery payment(s) in the period ending {period_end:%Y-%m-%d %H:%M} UTC"
            )
            placement.period_payments = 0
        await self._record_placement_change(placement, reason)

    async def _record_placement_change(self, placement: PlacementRecord, reason: str) -> None:
        await self._act(*placement_change(self.inp.episode_id, self.inp.account_id, placement, reason, self._now()))

    # ---- payments ---------------------------------------------------------------------------

    @workflow.update(name=Updates.RECORD_PAYMENT)
    async def record_payment(self, payment: PaymentInput) -> RecoveryPaymentResult:
        async with self._payments:
            known = self.state.payments.get(payment.payment_id)
            if known is not None:  # a repeat (perhaps one that waited for the first): same answer
                refuse(self._repeat_refusal(known, payment))
                return self._payment_result(known, duplicate=True)
            if self.outcome is not None:  # ended while this one waited its turn
                refuse(f"{self._ended()}; no payment can be applied", errors.EPISODE_ENDED)
            placement = self.state.placement
            fee = (
                commission(payment.amount, placement.commission_percent, self.inp.currency)
                if placement is not None and payment.channel == AGENCY_CHANNEL
                else None
            )
            record = RecoveryPayment(
                payment_id=payment.payment_id,
                amount=payment.amount,
                paid_at=payment.paid_at or self._now(),
                channel=payment.channel,
                recovered_after=self._recovered() + payment.amount,
                commission=fee,
            )
            # On record first: the system of record may refuse the id (applied before the write-off,
            # or recovered under another episode), and then nothing here has changed.
            try:
                await self._act(
                    RECORD_RECOVERY,
                    RecoveryCommand(
                        account_id=self.inp.account_id,
                        episode_id=self.inp.episode_id,
                        currency=self.inp.currency,
                        payment_id=record.payment_id,
                        amount=record.amount,
                        channel=record.channel,
                        paid_at=record.paid_at,
                        posted_on=local_date(record.paid_at, self.inp.timezone),
                        written_off=self.inp.written_off,
                        recovered_total_after=record.recovered_after,
                    ),
                    result_type=RecoveryRecorded,
                )
            except ActivityError as exc:
                raise record_refusal(exc) from None
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
                if forgiven and offer is not None:
                    self.outcome = RecoveryOutcome.SETTLED
                    self.forgiven = forgiven
                    self.outcome_reason = (
                        f"settled by offer {offer.offer_id} with payment {record.payment_id}; "
                        f"forgiven {forgiven} {self.inp.currency}"
                    )
                    self.ended_by = record.payment_id
                elif self._recovered() >= self.inp.written_off:
                    self.outcome = RecoveryOutcome.RECOVERED
                    self.outcome_reason = (
                        f"written-off amount {self.inp.written_off} {self.inp.currency} recovered "
                        f"in full with payment {record.payment_id}"
                    )
                    self.ended_by = record.payment_id
            self.changed = True
            if placement is not None and fee is not None:
                await self._act(
                    RECORD_COMMISSION,
                    commission_command(
                        self.inp.episode_id,
                        self.inp.account_id,
                        placement,
                        record.payment_id,
                        record.amount,
                        fee,
                        self.inp.currency,
                    ),
                )
            if offer is not None and forgiven is not None:
                await self._record_settlement_end(offer, forgiven)
            return self._payment_result(record, duplicate=False)

    @record_payment.validator
    def _validate_payment(self, payment: PaymentInput) -> None:
        known = self.state.payments.get(payment.payment_id)
        if known is not None:
            refuse(self._repeat_refusal(known, payment))
            return
        if self.outcome is not None:
            refuse(f"{self._ended()}; no payment can be applied", errors.EPISODE_ENDED)
        if payment.amount <= 0:
            refuse(f"payment amount must be positive, got {payment.amount}")
        if not has_valid_scale(payment.amount, self.inp.currency):
            refuse(
                f"payment amount {payment.amount} has more decimals than {self.inp.currency} allows",
                errors.AMOUNT_PRECISION,
            )

    @staticmethod
    def _repeat_refusal(known: RecoveryPayment, payment: PaymentInput) -> str | None:
        """A repeat must be the same payment: the same amount and channel (and time, when it gives one)."""
        if (
            known.amount != payment.amount
            or known.channel != payment.channel
            or (payment.paid_at is not None and payment.paid_at != known.paid_at)
        ):
            return (
                f"payment_id {payment.payment_id} was already recorded with amount {known.amount} by "
                f"{known.channel}, not {payment.amount} by {payment.channel}"
            )
        return None

    def _payment_result(self, record: RecoveryPayment, duplicate: bool) -> RecoveryPaymentResult:
        return RecoveryPaymentResult(
            payment_id=record.payment_id,
            accepted=True,
            duplicate=duplicate,
            recovered_total=record.recovered_after,
            outstanding=max(Decimal(0), self.inp.written_off - record.recovered_after),
            commission=record.commission,
            outcome=self.outcome if self.ended_by == record.payment_id else None,
        )

    # ---- close ------------------------------------------------------------------------------------

    @workflow.update(name=Updates.CLOSE)
    def close(self, request: CloseInput) -> RecoveryCloseResult:
        self.outcome = RecoveryOutcome.CLOSED
        self.outcome_reason = request.reason.strip()
        self.closed_by = request.operator_id.strip()
        self.changed = True
        return RecoveryCloseResult(outcome=self.outcome, reason=self.outcome_reason, closed_by=self.closed_by)

    @close.validator
    def _validate_close(self, request: CloseInput) -> None:
        if not request.reason.strip():
            refuse("a reason is required to close a recovery")
        if not request.operator_id.strip():
            refuse("the operator id is required to close a recovery")
        if self.outcome is not None:
            refuse(f"the recovery has already ended ({self.outcome.value})", errors.EPISODE_ENDED)

    # ---- query ------------------------------------------------------------------------------------

    @workflow.query(name=Queries.STATUS)
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
