"""AccountRecovery's settlement offers: an offer against what is still outstanding of the write-off,
its expiry, and its end on record. A part of the workflow class (its base), kept apart so that each
part of the recovery reads on its own."""

from decimal import Decimal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from arrears.contracts import errors
    from arrears.contracts.collection import SettlementInput, SettlementResult
    from arrears.contracts.collection_activities import SettlementCommand
    from arrears.contracts.names import RECORD_SETTLEMENT, RESOLVE_SETTLEMENT, Updates
    from arrears.domain.delinquency import local_date
    from arrears.domain.money import has_valid_scale
    from arrears.domain.settlement import SettlementOffer, offer_expiry, settlement_refusal

from workflows.recovery.base import RecoveryBase
from workflows.shared import refuse, settlement_end, settlement_result


class RecoverySettlements(RecoveryBase):
    """Handlers and helpers for settlement offers; the state, clock and activities are AccountRecovery's."""

    async def _expire_offer(self, offer: SettlementOffer) -> None:
        offer.status = "expired"
        self.state.open_offer = None
        await self._record_settlement_end(offer, forgiven=Decimal(0))

    async def _record_settlement_end(self, offer: SettlementOffer, forgiven: Decimal) -> None:
        await self._act(
            RESOLVE_SETTLEMENT,
            settlement_end(self.inp.episode_id, self.inp.account_id, offer, self._recovered(), forgiven, self._now()),
        )

    @workflow.update(name=Updates.OFFER_SETTLEMENT)
    async def offer_settlement(self, request: SettlementInput) -> SettlementResult:
        known = self.state.settlements.get(request.offer_id)
        if known is not None:  # the same offer again: same answer
            return settlement_result(known, duplicate=True)
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
            SettlementCommand(
                episode_id=self.inp.episode_id,
                account_id=self.inp.account_id,
                currency=self.inp.currency,
                offer=offer,
                replaces=replaces,
            ),
        )
        return settlement_result(offer, duplicate=False)

    @offer_settlement.validator
    def _validate_settlement(self, request: SettlementInput) -> None:
        existing = self.state.settlements.get(request.offer_id)
        if existing is None and self.outcome is not None:
            refuse(f"{self._ended()}; no settlement can be offered", errors.EPISODE_ENDED)
        outstanding = self._outstanding()
        if existing is None and Decimal(0) < request.amount >= outstanding:
            # The domain's rule, in the recovery's terms: the balance here is what is left of the write-off.
            refuse(f"a settlement must be below the outstanding written-off amount {outstanding}, got {request.amount}")
        refuse(
            settlement_refusal(
                offer_id=request.offer_id,
                amount=request.amount,
                expires_on=request.expires_on,
                approved_by=request.approved_by,
                approver_role=request.approver_role,
                replace=request.replace,
                today=local_date(self._now(), self.inp.timezone),
                balance=outstanding,
                existing=existing,
                open_offer=self._open_offer(),
                ended=None,
                policy=self.inp.strategy.settlements,
            )
        )
        if existing is None and not has_valid_scale(request.amount, self.inp.currency):
            refuse(
                f"settlement amount {request.amount} has more decimals than {self.inp.currency} allows",
                errors.AMOUNT_PRECISION,
            )
