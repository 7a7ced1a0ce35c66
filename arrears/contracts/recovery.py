"""The recovery workflow's contract: what continues after a charge-off.

AccountCollection starts AccountRecovery (as a child it abandons) when an
episode ends ``charged_off``: agency and legal work and payments go on against
the written-off amount.
"""

from enum import StrEnum

from pydantic import BaseModel, Field

from arrears.contracts import keys
from arrears.domain.agency import PlacementRecord
from arrears.domain.bounds import (
    AccountId,
    Code32,
    CurrencyCode,
    DaySeconds,
    Hash64,
    Id64,
    Moment,
    Money,
    Name100,
    OptionalId64,
    Reason,
    RecordId,
    SaneDate,
    TimeZoneName,
    WorkflowId,
)
from arrears.domain.clock import EpisodeClock
from arrears.domain.legal import LegalCase, LegalEvent, LegalState
from arrears.domain.settlement import SettlementOffer
from arrears.domain.strategy import Strategy


class RecoveryInput(BaseModel):
    account_id: AccountId
    episode_id: Id64  # the charged-off episode: recoveries are recorded against it
    currency: CurrencyCode
    written_off: Money  # the balance written off at charge-off (principal, interest and fees)
    written_off_on: SaneDate  # the account's local date of the write-off
    timezone: TimeZoneName
    day_seconds: DaySeconds = Field(default=86_400, gt=0)  # compressed days for demos, as for episodes
    strategy: Strategy  # the episode's pinned strategy: settlement limits, legal policy, agencies
    strategy_hash: Hash64
    placement: PlacementRecord | None = None  # an agency placement still running at charge-off continues
    legal_case_id: Id64 | None = None  # a legal case opened during the episode continues
    # Set only when the workflow continues as new.
    carried: "RecoveryState | None" = None


class RecoveryOutcome(StrEnum):
    RECOVERED = "recovered"  # the written-off amount came back in full
    SETTLED = "settled"  # a settlement offer was paid; the rest is forgiven
    CLOSED = "closed"  # an operator closed it (sold, deceased, uneconomic, ...)


class RecoveryPayment(BaseModel):
    """A payment received after the write-off, as the workflow carries it."""

    payment_id: Id64
    amount: Money
    paid_at: Moment
    channel: Code32
    recovered_after: Money  # the recovered total with this payment
    commission: Money | None = None  # the agency's, when it reported the payment while placed


class LegalCaseView(BaseModel):
    """The legal case as the workflow knows it (read at start, then kept by its own updates)."""

    case_id: RecordId
    case: LegalCase


class LegalUpdateRecord(BaseModel):
    """An event this workflow applied: kept so that a repeat gets the same answer."""

    event: LegalEvent
    result: "LegalCaseUpdateResult"


class RecoveryState(BaseModel):
    """Everything a continued-as-new run needs to carry on exactly."""

    clock: EpisodeClock
    payments: dict[Id64, RecoveryPayment] = {}
    placement: PlacementRecord | None = None
    legal: LegalCaseView | None = None
    legal_loaded: bool = False  # the case was looked up in the system of record
    legal_updates: dict[Id64, LegalUpdateRecord] = {}
    settlements: dict[Id64, SettlementOffer] = {}
    open_offer: Id64 | None = None


# ---- updates and query -------------------------------------------------------------------------------


class RecoveryPaymentResult(BaseModel):
    payment_id: Id64
    accepted: bool
    duplicate: bool = False
    recovered_total: Money  # with this payment
    outstanding: Money  # of the written-off amount, after this payment
    commission: Money | None = None
    outcome: RecoveryOutcome | None = None  # set when this payment ended the recovery


class LegalCaseUpdate(BaseModel):
    """One update to the running legal case (a state change, a cost, a document, a note)."""

    event: LegalEvent


class LegalCaseUpdateResult(BaseModel):
    case_id: RecordId
    event_id: Id64
    state: LegalState
    costs: Money
    recoverable_costs: Money
    duplicate: bool = False


class RecoveryCloseResult(BaseModel):
    outcome: RecoveryOutcome
    reason: Reason
    closed_by: OptionalId64


class RecoveryStatus(BaseModel):
    account_id: AccountId
    episode_id: Id64
    currency: CurrencyCode
    timezone: TimeZoneName
    as_of: Moment  # collection time of the workflow's last activity
    written_off: Money
    written_off_on: SaneDate
    recovered: Money
    outstanding: Money
    payments: list[RecoveryPayment]  # in the order received
    placement: PlacementRecord | None = None
    legal_case: LegalCaseView | None = None
    open_offer: SettlementOffer | None = None
    outcome: RecoveryOutcome | None = None
    outcome_reason: Reason | None = None
    strategy_name: Name100


class RecoveryResult(BaseModel):
    account_id: AccountId
    outcome: RecoveryOutcome
    written_off: Money
    recovered: Money
    forgiven: Money
    reason: Reason
    episode_id: Id64 = ""
    closed_by: OptionalId64 = "workflow"


# ---- activity commands ----------------------------------------------------------------------------------


class RecoveryCommand(BaseModel):
    """Record one payment received after the write-off: a recoveries row and its ledger posting."""

    account_id: AccountId
    episode_id: Id64
    currency: CurrencyCode
    payment_id: Id64
    amount: Money
    channel: Code32
    paid_at: Moment
    posted_on: SaneDate  # the account's local date of the payment
    written_off: Money
    recovered_total_after: Money

    @property
    def idempotency_key(self) -> str:
        return keys.recovery_key(self.episode_id, self.payment_id)


class RecoveryRecorded(BaseModel):
    created: bool  # False: already on record (a retry)
    recovery_id: RecordId


class CloseRecoveryCommand(BaseModel):
    account_id: AccountId
    episode_id: Id64
    workflow_id: WorkflowId
    currency: CurrencyCode
    outcome: RecoveryOutcome
    reason: Reason
    closed_by: OptionalId64
    written_off: Money
    recovered_total: Money
    forgiven: Money
    closed_at: Moment


class LegalCaseLookup(BaseModel):
    account_id: AccountId
    episode_id: Id64  # the episode the case was referred from


LegalUpdateRecord.model_rebuild()
RecoveryState.model_rebuild()
RecoveryInput.model_rebuild()
