"""AccountRecovery's settlement offers: an offer against what is still outstanding of the write-off,
its expiry, and its end on record. A part of the workflow class (its base), kept apart so that each
part of the recovery reads on its own."""

from decimal import Decimal

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from arrears.contracts.collection import SettlementInput, SettlementResult
    from arrears.contracts.collection_activities import SettlementCommand, SettlementResolutionCommand
    from arrears.contracts.names import RECORD_SETTLEMENT, RESOLVE_SETTLEMENT
    from arrears.domain.delinquency import local_date
    from arrears.domain.money import has_valid_scale
    from arrears.domain.settlement import SettlementOffer, discount_percent, offer_expiry, settlement_refusal


class RecoverySettlements:
    """Handlers and helpers for settlement offers; the state, clock and activities are AccountRecovery's."""

    # ---- settlements ---------------------------------------------------------------------

    async def _expire_offer(self, offer: SettlementOffer) -> None:
        offer.status = "expired"
        self.state.open_offer = None
        await self._record_settlement_end(offer, forgiven=Decimal(0))

    async def _record_settlement_end(self, offer: SettlementOffer, forgiven: Decimal) -> None:
        await self._act(
            RESOLVE_SETTLEMENT,
            SettlementResolutionCommand(
                episode_id=self.inp.episode_id, account_id=self.inp.account_id, offer_id=offer.offer_id,
                status=offer.status, paid_toward=self._recovered() - offer.paid_before, forgiven=forgiven,
                resolved_at=self._now(),
            ),
        )

    @workflow.update
    async def offer_settlement(self, request: SettlementInput) -> SettlementResult:
        known = self.state.settlements.get(request.offer_id)
        if known is not None:  # the same offer again: same answer
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
            # Measured against what is still outstanding of the write-off, not the balance before it.
            balance_at_offer=self._outstanding(),
            paid_before=self._recovered(),
            made_at=self._now(),
            expires_at=offer_expiry(request.expires_on, self.inp.timezone),
        )
        self.state.settlements[offer.offer_id] = offer
        self.state.open_offer = offer.offer_id
        self.changed = True
        await self._act(
            RECORD_SETTLEMENT,
            SettlementCommand(episode_id=self.inp.episode_id, account_id=self.inp.account_id,
                              currency=self.inp.currency, offer=offer, replaces=replaces),
        )
        return self._settlement_result(offer, duplicate=False)

    @offer_settlement.validator
    def _validate_settlement(self, request: SettlementInput) -> None:
        existing = self.state.settlements.get(request.offer_id)
        if existing is None and self.outcome is not None:
            raise ApplicationError(f"{self._ended()}; no settlement can be offered")
        refusal = settlement_refusal(
            offer_id=request.offer_id,
            amount=request.amount,
            expires_on=request.expires_on,
            approved_by=request.approved_by,
            approver_role=request.approver_role,
            replace=request.replace,
            today=local_date(self._now(), self.inp.timezone),
            balance=self._outstanding(),
            existing=existing,
            open_offer=self._open_offer(),
            ended=None,
            policy=self.inp.strategy.settlements,
        )
        if refusal is not None:
            raise ApplicationError(refusal.replace("below the balance", "below the outstanding written-off amount"))
        if existing is None and not has_valid_scale(request.amount, self.inp.currency):
            raise ApplicationError(f"settlement amount {request.amount} has more decimals than {self.inp.currency} allows")

    def _settlement_result(self, offer: SettlementOffer, duplicate: bool) -> SettlementResult:
        return SettlementResult(
            offer_id=offer.offer_id, status=offer.status, duplicate=duplicate, expires_at=offer.expires_at,
            discount_percent=discount_percent(offer.amount, offer.balance_at_offer).quantize(Decimal("0.01")),
        )
