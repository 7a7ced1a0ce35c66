"""Client-side calls other systems and the CLI make on a running episode."""

import asyncio
import re
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from temporalio.api.errordetails.v1 import WorkflowNotReadyFailure
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from arrears.contracts import errors
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
    ReleaseHoldInput,
    SettlementInput,
    SettlementResult,
    StatusView,
)
from arrears.contracts.names import Queries, Updates, workflow_id_for
from arrears.contracts.recovery import LegalCaseUpdate, LegalCaseUpdateResult
from arrears.domain.legal import LegalEvent


class Rejected(Exception):
    """The workflow (or Temporal) said no; the message says why.

    ``episode_closed``: the no is because the episode is over, not because the request was wrong
    (the API answers 409 instead of 422). It is decided from the failure's type and the RPC status
    when the answer arrives, never from the message, whose wording may change.
    """

    def __init__(self, message: str, episode_closed: bool = False) -> None:
        super().__init__(message)
        self.episode_closed = episode_closed


def failure_type(exc: BaseException | None) -> str | None:
    """The type of the first ApplicationError down the cause chain (an update's refusal arrives as
    WorkflowUpdateFailedError with the workflow's ApplicationError as its cause), or None."""
    while exc is not None:
        if isinstance(exc, ApplicationError):
            return exc.type
        exc = exc.__cause__
    return None


def deepest_message(exc: BaseException) -> str:
    """The innermost cause's message: "Failed decoding arguments" says less than the field that failed."""
    messages = []
    seen: BaseException | None = exc
    while seen is not None:
        text = getattr(seen, "message", None) or str(seen)
        if text:
            messages.append(_first_line(text))
        seen = seen.__cause__
    useful = [m for m in messages if m not in ("Workflow update failed", "Failed decoding arguments")]
    return (useful or messages or [type(exc).__name__])[-1]


def _first_line(text: str) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    if lines and re.match(r"^\d+ validation errors? for ", lines[0]):
        # A pydantic error carried as text through Temporal: "field: message" for each field.
        pairs = []
        for field, message in zip(lines[1::3], lines[2::3], strict=False):
            pairs.append(f"{field}: {message.split(' [type=')[0].removeprefix('Value error, ')}")
        return "; ".join(pairs)[:500] or lines[0]
    return lines[0][:500] if lines else ""


# How long an update may wait for the episode's answer; None: as long as it takes (the API's
# callers set their own deadlines). The CLI sets it from ARREARS_UPDATE_WAIT_SECONDS.
UPDATE_WAIT: ContextVar[timedelta | None] = ContextVar("update_wait", default=None)


def _handle(client: Client, account_id: str):
    return client.get_workflow_handle(workflow_id_for(account_id))


def explain(exc: Exception, account_id: str) -> Rejected:
    if isinstance(exc, WorkflowUpdateFailedError):
        # An argument the workflow could not decode is refused with "Failed decoding arguments";
        # the field that failed is in the cause below it.
        return Rejected(deepest_message(exc.cause), episode_closed=failure_type(exc) == errors.EPISODE_ENDED)
    if isinstance(exc, RPCError) and exc.status == RPCStatusCode.NOT_FOUND:
        # No episode was ever started under the id, or it has completed ("workflow execution already
        # completed"): the server answers both with NOT_FOUND, and both mean none is running.
        return Rejected(f"no running collection episode for account {account_id}", episode_closed=True)
    return Rejected(str(exc))


async def get_status(client: Client, account_id: str, rpc_timeout: timedelta | None = None) -> StatusView:
    try:
        view = await _handle(client, account_id).query(Queries.STATUS, result_type=StatusView, rpc_timeout=rpc_timeout)
    except RPCError as exc:
        raise explain(exc, account_id) from exc
    return view.at(datetime.now(UTC))


def not_ready(exc: BaseException) -> bool:
    """The server dropped the update with the workflow task that carried it (one that failed, e.g. because
    a timer fired while the episode was finishing): the update was never accepted, so sending it again
    is safe, and is what the server asks for."""
    if not isinstance(exc, RPCError) or exc.status != RPCStatusCode.FAILED_PRECONDITION:
        return False
    details = getattr(exc.grpc_status, "details", None) or []
    if any(d.Is(WorkflowNotReadyFailure.DESCRIPTOR) for d in details):
        return True
    # FAILED_PRECONDITION alone covers other refusals too; a server that sends it without the
    # WorkflowNotReadyFailure detail gives the reason only in its text ("...due to unexpected
    # workflow task failure."), so the text is the signal left to match there.
    return "workflow task failure" in exc.message


NOT_READY_TRIES = 5


async def _update(client: Client, account_id: str, name: str, request, result_type):
    """Run an update; a refusal or a missing episode comes back as Rejected with the reason."""
    for attempt in range(NOT_READY_TRIES):
        try:
            return await _handle(client, account_id).execute_update(
                name, request, result_type=result_type, rpc_timeout=UPDATE_WAIT.get()
            )
        except RPCError as exc:
            if not_ready(exc) and attempt + 1 < NOT_READY_TRIES:
                await asyncio.sleep(0.2 * (attempt + 1))
                continue
            raise explain(exc, account_id) from exc
        except WorkflowUpdateFailedError as exc:
            raise explain(exc, account_id) from exc


async def record_payment(
    client: Client,
    account_id: str,
    payment_id: str,
    amount: Decimal,
    channel: str = "bank_transfer",
    paid_at: datetime | None = None,
) -> PaymentResult:
    request = PaymentInput(payment_id=payment_id, amount=amount, channel=channel, paid_at=paid_at)
    return await _update(client, account_id, Updates.RECORD_PAYMENT, request, PaymentResult)


async def close_episode(client: Client, account_id: str, reason: str, operator_id: str) -> CloseResult:
    request = CloseInput(reason=reason, operator_id=operator_id)
    return await _update(client, account_id, Updates.CLOSE, request, CloseResult)


async def promise_to_pay(client: Client, account_id: str, request: PromiseInput) -> PromiseResult:
    return await _update(client, account_id, Updates.PROMISE_TO_PAY, request, PromiseResult)


async def offer_settlement(client: Client, account_id: str, request: SettlementInput) -> SettlementResult:
    return await _update(client, account_id, Updates.OFFER_SETTLEMENT, request, SettlementResult)


async def agree_plan(client: Client, account_id: str, request: PlanInput) -> PlanResult:
    return await _update(client, account_id, Updates.AGREE_PLAN, request, PlanResult)


async def log_contact_outcome(client: Client, account_id: str, request: OutcomeInput) -> OutcomeResult:
    return await _update(client, account_id, Updates.LOG_CONTACT_OUTCOME, request, OutcomeResult)


async def cancel_plan(client: Client, account_id: str, request: CancelPlanInput) -> PlanResult:
    return await _update(client, account_id, Updates.CANCEL_PLAN, request, PlanResult)


async def place_hold(client: Client, account_id: str, request: HoldInput) -> HoldResult:
    return await _update(client, account_id, Updates.PLACE_HOLD, request, HoldResult)


async def release_hold(client: Client, account_id: str, request: ReleaseHoldInput) -> HoldResult:
    return await _update(client, account_id, Updates.RELEASE_HOLD, request, HoldResult)


async def apply_strategy(client: Client, account_id: str, request: ApplyStrategyInput) -> ApplyStrategyResult:
    return await _update(client, account_id, Updates.APPLY_STRATEGY, request, ApplyStrategyResult)


async def update_legal_case(client: Client, account_id: str, event: LegalEvent) -> LegalCaseUpdateResult:
    """A step of the legal case the account's running episode referred (filed, judgment, costs, documents)."""
    return await _update(
        client, account_id, Updates.UPDATE_LEGAL_CASE, LegalCaseUpdate(event=event), LegalCaseUpdateResult
    )
