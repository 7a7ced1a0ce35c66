"""Commands and results of the collection episode's activities (the workflow calls them by name)."""

from typing import Literal

from pydantic import BaseModel, Field

from arrears.contracts import keys
from arrears.contracts.collection import OutcomeInput
from arrears.domain.agency import PlacementRecord
from arrears.domain.bounds import (
    AccountId,
    Code16,
    Code32,
    Count,
    CurrencyCode,
    DaysPastDue,
    Detail,
    Hash64,
    Id64,
    Int32,
    Key200,
    Line64,
    Line80,
    Line100,
    Line500,
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
from arrears.domain.delinquency import Outcome

# Records the episode keeps (they live in the domain, where the agenda reads them).
from arrears.domain.episode import PaymentRecord
from arrears.domain.holds import HoldRecord, HoldType
from arrears.domain.ladder import ScheduledStep
from arrears.domain.ledger import Posting
from arrears.domain.plan import InstalmentPlan
from arrears.domain.policy import ContactPolicy
from arrears.domain.promise import PromiseRecord
from arrears.domain.settlement import SettlementOffer
from arrears.domain.strategy import DeskPolicy, Segment


class OpenEpisodeCommand(BaseModel):
    episode_id: Id64
    account_id: AccountId
    workflow_id: WorkflowId
    run_id: Id64
    started_at: Moment
    due_date: SaneDate
    dpd_at_start: DaysPastDue
    currency: CurrencyCode
    overdue_amount: Money
    total_balance: Money
    risk_segment: Segment
    strategy_name: Name100
    strategy_hash: Hash64
    trigger: Code16 = "missed_due"  # EpisodeInput.trigger, kept on the episode row
    # The episode's collection clock, kept on the episode row so the CLI and the API stamp what they
    # write in the episode's time (arrears.client.clock). None: asked of the workflow when needed.
    clock: EpisodeClock | None = None
    # Written in the same transaction (the agenda engine opens an episode with one write): the stage it
    # opens in, and the ledger's opening postings (a late import's missed cycles, computed at once).
    opening_stage: Code16 | None = None
    opening_dpd: DaysPastDue | None = None
    postings: list[Posting] = []


class StepCommand(BaseModel):
    episode_id: Id64
    account_id: AccountId
    step: ScheduledStep
    executed_at: Moment  # collection time at which the workflow ran the step
    dpd: DaysPastDue
    stage: Code16
    currency: CurrencyCode
    overdue_amount: Money
    total_balance: Money
    due_date: SaneDate
    strategy_hash: Hash64
    # How call and visit tasks are routed (SLA, senior balances); episodes started
    # before the desk existed send none and get the defaults.
    desk: DeskPolicy = DeskPolicy()
    # The contact policy gate's rules for this portfolio; None: the baseline policy.
    compliance: ContactPolicy | None = None
    # The episode's active holds as the workflow knows them: the gate honours a hold placed a moment
    # ago whose row its activity has not written yet (the record's holds count as well).
    holds: list[HoldRecord] = []

    @property
    def idempotency_key(self) -> str:
        return keys.step_key(self.episode_id, self.step.key)


class StepResult(BaseModel):
    idempotency_key: Key200
    kind: Code32  # contact | task | account_action | deferred | suppressed (by the contact policy gate)
    channel: Code32
    record_id: Int32  # the contact, task or action row; for deferred/suppressed tasks the decision row
    duplicate: bool
    detail: Detail = ""
    deferred_until: Moment | None = None  # the gate's next permitted moment (collection time)


class PlacementCommand(BaseModel):
    """Place the account with an agency for the ladder's agency step."""

    step: StepCommand
    timezone: TimeZoneName  # the placement period is counted in the account's calendar days

    @property
    def idempotency_key(self) -> str:
        return self.step.idempotency_key


class PlacementResult(BaseModel):
    placement: PlacementRecord | None  # None: no agency had room, or the gate refused it
    task_id: RecordId | None = None  # the task that records why it was not placed
    duplicate: bool
    detail: Detail
    # Set when the contact gate refused the placement: the rule (e.g. hold:cease_contact). No task is
    # opened: nothing is to be done by hand while the hold stands.
    refused: Line64 | None = None


class PlacementChangeCommand(BaseModel):
    episode_id: Id64
    account_id: AccountId
    idempotency_key: Key200  # the placement's
    status: Code16  # renewed | recalled | closed
    renewals: Count
    ends_at: Moment
    reason: Reason
    at: Moment


class CommissionCommand(BaseModel):
    episode_id: Id64
    account_id: AccountId
    placement_id: RecordId
    agency_id: Id64
    payment_id: Id64
    payment_amount: Money
    percent: Money
    commission: Money
    currency: CurrencyCode


class PaymentCommand(BaseModel):
    episode_id: Id64
    account_id: AccountId
    payment: PaymentRecord
    currency: CurrencyCode


class PromiseCommand(BaseModel):
    episode_id: Id64
    account_id: AccountId
    currency: CurrencyCode
    promise: PromiseRecord
    replaces: Id64 | None = None


class PromiseResolutionCommand(BaseModel):
    episode_id: Id64
    account_id: AccountId
    promise_id: Id64
    status: Code16  # kept | broken
    paid_toward: Money
    resolved_at: Moment
    broken_promises: Count
    risk_segment: Segment


class SettlementCommand(BaseModel):
    episode_id: Id64
    account_id: AccountId
    currency: CurrencyCode
    offer: SettlementOffer
    replaces: Id64 | None = None


class SettlementResolutionCommand(BaseModel):
    episode_id: Id64
    account_id: AccountId
    offer_id: Id64
    status: Code16  # paid | expired
    paid_toward: Money
    forgiven: Money
    resolved_at: Moment


class PlanCommand(BaseModel):
    episode_id: Id64
    account_id: AccountId
    currency: CurrencyCode
    plan: InstalmentPlan


class PlanResolutionCommand(BaseModel):
    episode_id: Id64
    account_id: AccountId
    plan_id: Id64
    status: Code16  # completed | broken | cancelled
    reason: Reason
    paid_into: Money
    resolved_at: Moment


class OutcomeCommand(BaseModel):
    episode_id: Id64
    account_id: AccountId
    outcome: OutcomeInput
    recorded_at: Moment
    # Set when the contact reached the cardholder: the same transaction writes the register row.
    effective_collection: Code32 | None = None


class HoldCommand(BaseModel):
    episode_id: Id64
    account_id: AccountId
    hold: HoldRecord
    # For the estate or attorney task a hold opens.
    dpd: DaysPastDue
    stage: Code16
    currency: CurrencyCode
    overdue_amount: Money


class HoldRecorded(BaseModel):
    created: bool  # False: already on record (a retry)
    task_id: RecordId | None = None


class HoldEndCommand(BaseModel):
    episode_id: Id64
    account_id: AccountId
    hold_id: Id64
    status: Code16  # released | expired
    resolution: Code32 | None
    released_by: OptionalId64 | None
    at: Moment


class StageChangeCommand(BaseModel):
    episode_id: Id64
    account_id: AccountId
    stage: Code16
    previous_stage: Code16 | None
    dpd: DaysPastDue
    occurred_at: Moment


class CloseEpisodeCommand(BaseModel):
    episode_id: Id64
    account_id: AccountId
    outcome: Outcome
    reason: Reason
    closed_by: OptionalId64
    dpd: DaysPastDue
    closed_at: Moment
    overdue_amount: Money
    total_balance: Money


class DisputeVerificationCommand(BaseModel):
    """Send the verification of a disputed debt (12 CFR 1006.38(d)(2)) before collection resumes."""

    episode_id: Id64
    account_id: AccountId
    hold_id: Id64  # the dispute hold released as verified
    at: Moment  # collection time
    dpd: DaysPastDue
    currency: CurrencyCode
    overdue_amount: Money
    total_balance: Money
    due_date: SaneDate
    compliance: ContactPolicy | None = None
    # What was checked, in a sentence for the letter (no personal data beyond the debt); optional.
    verified: Line500 = ""


class NoticeResult(BaseModel):
    """What became of a notice the gate judged: sent, deferred until a moment, or suppressed (with the rule)."""

    kind: Code16  # sent | deferred | suppressed
    channel: Code16
    record_id: RecordId | None  # the contact row when one was written, else the decision row
    duplicate: bool
    rule: Line64
    detail: Detail = ""
    deferred_until: Moment | None = None


class AgencyHoldNoticeCommand(BaseModel):
    """Tell the agency an account is placed with that a hold now restricts contact, with its rules."""

    episode_id: Id64
    account_id: AccountId
    hold_id: Id64
    hold_type: HoldType
    at: Moment


class SegmentChangeCommand(BaseModel):
    """What record_segment_change writes: one row per request, by (episode, request_id)."""

    episode_id: Id64
    account_id: AccountId
    request_id: Line100
    segment: Segment
    previous: Segment
    source: Literal["model", "supervisor"]
    model_version: Line80 | None = None
    reasons: list[Line500] = Field(default=[], max_length=10)
    set_by: Id64
    override: bool = False
    release_override: bool = False
    changed: bool
    overridden: bool = False
    dpd: DaysPastDue
    at: Moment
