"""What the collection episode (workflows/collection/) and the recovery (workflows/account_recovery.py) share.

Activity options, typed refusals, and the commands both write for an agency
placement and a settlement offer: one definition, so the two workflows
cannot drift apart on the wire. Changing a command built here changes what
both workflows record; recorded histories (tests/test_replay.py) must still
replay.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NoReturn

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from arrears.contracts import errors
    from arrears.contracts.collection import SettlementResult
    from arrears.contracts.collection_activities import (
        CommissionCommand,
        PlacementChangeCommand,
        SettlementResolutionCommand,
    )
    from arrears.contracts.names import CLOSE_PLACEMENT, RECALL_PLACEMENT, RENEW_PLACEMENT
    from arrears.domain.agency import PlacementRecord
    from arrears.domain.bounds import amount_fits_currency
    from arrears.domain.settlement import SettlementOffer, discount_percent

ACTIVITY_TIMEOUT = timedelta(minutes=2)
# Waits shorter than this are "due now": with compressed demo days a scaled delay can be microseconds.
MIN_WAIT = timedelta(milliseconds=1)


def retry_policy(maximum_attempts: int = 0, non_retryable: Sequence[str] = ()) -> RetryPolicy:
    """Backoff from a second to five minutes: an outage delays a side effect, it never drops it.

    Without a bound (``maximum_attempts=0``) it is retried until it succeeds; with one, the caller
    decides what happens past it (the episode goes on the attention list).
    """
    return RetryPolicy(
        initial_interval=timedelta(seconds=1),
        maximum_interval=timedelta(minutes=5),
        maximum_attempts=maximum_attempts,
        non_retryable_error_types=list(non_retryable) if non_retryable else None,
    )


async def act(name: str, command: Any, result_type: type | Any = None) -> Any:
    """An activity retried without a cap: what the recovery's side effects run as."""
    return await workflow.execute_activity(
        name, command, result_type=result_type, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=retry_policy()
    )


# ---- refusals: typed, so callers match the type, never the message -------------------------------


def refuse(reason: str | None, kind: str = errors.REFUSED) -> None:
    if reason:
        raise ApplicationError(reason, type=kind, non_retryable=True)


def refused(reason: str, kind: str = errors.REFUSED) -> NoReturn:
    raise ApplicationError(reason, type=kind, non_retryable=True)


def amounts_fit(currency: str, **amounts: Decimal) -> None:
    """Every amount in the currency's minor units (CNY 12.345 cannot be paid or recorded)."""
    for name, amount in amounts.items():
        refuse(
            f"{name}: {problem}" if (problem := amount_fits_currency(amount, currency)) else None,
            errors.AMOUNT_PRECISION,
        )


def failure_type(exc: Exception) -> str:
    cause = exc.cause if isinstance(exc, ActivityError) else exc
    return getattr(cause, "type", None) or type(cause).__name__


def failure_message(exc: Exception) -> str:
    cause = exc.cause if isinstance(exc, ActivityError) else exc
    return getattr(cause, "message", None) or str(exc)


def record_refusal(exc: ActivityError) -> ApplicationError:
    """A non-retryable no from the system of record (an id taken, a document missing) as the update's answer,
    with the record's own type when it gave one of ours."""
    kind = failure_type(exc)
    return ApplicationError(
        failure_message(exc), type=kind if kind in errors.PERMANENT else errors.REFUSED, non_retryable=True
    )


# ---- agency placements ------------------------------------------------------------------------

PLACEMENT_ACTIVITY = {"renewed": RENEW_PLACEMENT, "recalled": RECALL_PLACEMENT, "closed": CLOSE_PLACEMENT}


def placement_change(
    episode_id: str, account_id: str, placement: PlacementRecord, reason: str, at: datetime
) -> tuple[str, PlacementChangeCommand]:
    """The activity and command that put a renewal, a recall or a close of the placement on record."""
    return PLACEMENT_ACTIVITY[placement.status], PlacementChangeCommand(
        episode_id=episode_id,
        account_id=account_id,
        idempotency_key=placement.idempotency_key,
        status=placement.status,
        renewals=placement.renewals,
        ends_at=placement.ends_at,
        reason=reason,
        at=at,
    )


def commission_command(
    episode_id: str,
    account_id: str,
    placement: PlacementRecord,
    payment_id: str,
    amount: Decimal,
    fee: Decimal,
    currency: str,
) -> CommissionCommand:
    """The agency's commission on a payment it reported while it held the account."""
    return CommissionCommand(
        episode_id=episode_id,
        account_id=account_id,
        placement_id=placement.placement_id,
        agency_id=placement.agency_id,
        payment_id=payment_id,
        payment_amount=amount,
        percent=placement.commission_percent,
        commission=fee,
        currency=currency,
    )


# ---- settlement offers ------------------------------------------------------------------------


def settlement_end(
    episode_id: str, account_id: str, offer: SettlementOffer, paid_total: Decimal, forgiven: Decimal, at: datetime
) -> SettlementResolutionCommand:
    """An offer's end (paid, expired, replaced, withdrawn) with what was paid toward it since it was made."""
    return SettlementResolutionCommand(
        episode_id=episode_id,
        account_id=account_id,
        offer_id=offer.offer_id,
        status=offer.status,
        paid_toward=paid_total - offer.paid_before,
        forgiven=forgiven,
        resolved_at=at,
    )


def settlement_result(offer: SettlementOffer, duplicate: bool) -> SettlementResult:
    return SettlementResult(
        offer_id=offer.offer_id,
        status=offer.status,
        duplicate=duplicate,
        expires_at=offer.expires_at,
        discount_percent=discount_percent(offer.amount, offer.balance_at_offer).quantize(Decimal("0.01")),
    )
