"""What crosses the wire: workflow input, updates, query, activity commands.

One pydantic model per input and output, so fields can be added later without
breaking running workflows or callers. Personal data (names, phones,
addresses) never appears here: the workflow carries the account id and the
financial and scheduling state, and activities look contact details up.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from arrears.domain.agency import PlacementRecord
from arrears.domain.bounds import (
    AccountId,
    CallSeconds,
    Code16,
    Code32,
    Code32Given,
    Count,
    CurrencyCode,
    Days,
    DaySeconds,
    DaysPastDue,
    Hash64,
    Id64,
    Interval,
    Line64,
    Line80,
    Line100,
    Line100Given,
    Line500,
    Moment,
    Money,
    Name100,
    Note,
    OptionalId64,
    Paragraph1000,
    Paragraph4000,
    Reason,
    Reason2000Given,
    RecordId,
    SaneDate,
    TimeZoneName,
)
from arrears.domain.clock import EpisodeClock
from arrears.domain.delinquency import Outcome, bucket_for_dpd, days_past_due, stage_for_dpd

# Records the episode keeps (they live in the domain, where the agenda reads them).
from arrears.domain.episode import EffectiveCollectionRecord, Episode, LegalReferralState, PaymentRecord, ReageOutcome
from arrears.domain.evidence_ids import EvidenceRef
from arrears.domain.holds import HoldRecord, HoldType
from arrears.domain.ladder import ScheduledStep
from arrears.domain.ledger import LedgerEvent
from arrears.domain.outcome import ContactOutcome, DelinquencyReason, VisitReport
from arrears.domain.plan import Instalment, InstalmentPlan
from arrears.domain.promise import PromiseRecord
from arrears.domain.restrictions import RestrictionLevel
from arrears.domain.settlement import SettlementOffer
from arrears.domain.strategy import Action, Role, Segment, Strategy


class EpisodeInput(BaseModel):
    account_id: AccountId
    currency: CurrencyCode
    overdue_amount: Money
    total_balance: Money
    due_date: SaneDate
    timezone: TimeZoneName
    risk_segment: Segment
    strategy: Strategy
    strategy_hash: Hash64
    # Length of one collection day in real seconds: 86,400 in production, about
    # a second in the demo. A property of the episode, not a clock hack.
    day_seconds: DaySeconds = Field(default=86_400, gt=0)
    # What opened the episode: missed_due, over_limit or early_warning (arrears.domain.strategy.TRIGGERS);
    # the ladder it runs is strategy.ladder_for(trigger).
    trigger: Code16 = "missed_due"
    # Set only when an episode of the first workflow engine continues as new (see workflows/legacy).
    carried: "EpisodeState | None" = None
    # Set only when an agenda episode continues as new: the whole state it carries on with.
    resumed: Episode | None = None
    # An activity failing this many times in a row puts the episode on the attention list; it is then
    # retried every slow_retry_seconds (real time) until it succeeds.
    attention_attempts: Count = Field(default=20, ge=1, le=1000)
    slow_retry_seconds: Interval = Field(default=3600, gt=0)
    # Continue as new after this many history events (or when Temporal suggests it, whichever first).
    continue_after_events: Count = Field(default=10_000, ge=20, le=50_000)


class ReageInput(BaseModel):
    """Bringing the account current by agreement after a workout (a supervisor's decision)."""

    reage_id: Id64 = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    approved_by: Id64
    approver_role: Role
    reason: Reason2000Given


class EpisodeState(BaseModel):
    """Everything a continued-as-new run needs to carry on exactly."""

    episode_id: str
    clock: EpisodeClock
    overdue_amount: Decimal
    total_balance: Decimal
    pending: list[ScheduledStep]
    payments: dict[str, PaymentRecord] = {}
    contacts_by_channel: dict[str, int] = {}
    steps_done: int = 0
    last_stage: str | None = None
    promises: dict[str, PromiseRecord] = {}
    active_promise: str | None = None
    broken_promises: int = 0
    # Set when broken promises moved the account up a tier; the input's segment otherwise.
    risk_segment: Segment | None = None
    settlements: dict[str, SettlementOffer] = {}
    open_offer: str | None = None
    plans: dict[str, InstalmentPlan] = {}
    active_plan: str | None = None
    # Collector tasks opened in this episode (record id -> kind) and those with an outcome.
    tasks: dict[int, str] = {}
    tasks_done: list[int] = []
    # The running agency placement; escalation pauses while it runs.
    placement: PlacementRecord | None = None
    # Holds placed in this episode by hold_id, active or ended (see arrears.domain.holds).
    holds: dict[str, HoldRecord] = {}
    effective_collections: list[EffectiveCollectionRecord] = []
    # ---- account economics (patch account-economics) ----
    economics: bool = False  # this episode applies restrictions, bureau notice, legal criteria, ledger
    # Dated events the ledger is computed from, in the order they happened (arrears.domain.ledger).
    ledger_events: list[LedgerEvent] = []
    posted_keys: list[str] = []  # ledger postings already written
    ledger_synced_on: date | None = None  # the local day the ledger was last posted up to
    # The oldest cycle still unpaid (DPD counts from it); None: the imported due date.
    anchor_due: date | None = None
    restrictions_on: list[RestrictionLevel] = []
    blacklisted_on: date | None = None
    bureau_notice_on: date | None = None
    bureau_notice_result: str | None = None  # what the post adapter said: queued, no_address, invalid_address
    # A notice that was not posted is tried again from this local date (patch bureau-notice-resend).
    bureau_notice_retry_on: date | None = None
    bureau_notice_step: str | None = None
    bureau_notice_attempts: int = 0  # notices on record for the episode
    legal: LegalReferralState | None = None
    written_off: Decimal | None = None
    reages: list[date] = []
    reage_results: dict[str, ReageOutcome] = {}


class PaymentInput(BaseModel):
    payment_id: Id64 = Field(min_length=1, max_length=64)
    amount: Money
    paid_at: Moment | None = None
    channel: Code32Given = "bank_transfer"


class PaymentResult(BaseModel):
    payment_id: Id64
    accepted: bool
    duplicate: bool = False
    overdue_amount: Money
    total_balance: Money
    outcome: Outcome | None = None


class PromiseInput(BaseModel):
    promise_id: Id64 = Field(min_length=1, max_length=64)
    amount: Money
    promised_date: SaneDate  # in the account's time zone
    collector_id: OptionalId64 = Field(max_length=64)
    channel: Code32Given = "call"
    note: Paragraph1000 = ""
    replace: bool = False
    supervisor_id: OptionalId64 | None = Field(default=None, max_length=64)


class PromiseResult(BaseModel):
    promise_id: Id64
    status: Code16
    duplicate: bool = False
    deadline: Moment  # when it is judged kept or broken (collection time, UTC)
    broken_promises: Count
    risk_segment: Segment


class SettlementInput(BaseModel):
    offer_id: Id64 = Field(min_length=1, max_length=64)
    amount: Money
    expires_on: SaneDate  # last day to pay, in the account's time zone
    approved_by: OptionalId64 = Field(max_length=64)
    approver_role: Role
    replace: bool = False


class SettlementResult(BaseModel):
    offer_id: Id64
    status: Code16
    duplicate: bool = False
    expires_at: Moment
    discount_percent: Money


class PlanInput(BaseModel):
    plan_id: Id64 = Field(min_length=1, max_length=64)
    instalments: list[Instalment]
    down_payment: Money = Decimal(0)  # due the day the plan is agreed
    fee_waiver: Money = Decimal(0)
    rate_discount_percent: Money = Decimal(0)
    approved_by: OptionalId64 = Field(max_length=64)
    approver_role: Role


class PlanResult(BaseModel):
    plan_id: Id64
    status: Code16
    duplicate: bool = False
    total: Money
    instalments: Count
    next_due: SaneDate | None


class CancelPlanInput(BaseModel):
    plan_id: Id64
    reason: Reason
    supervisor_id: OptionalId64
    supervisor_role: Role


class OutcomeInput(BaseModel):
    task_id: RecordId
    outcome: ContactOutcome
    duration_seconds: CallSeconds = 0
    reason_for_delinquency: DelinquencyReason | None = None
    note: Note = Field(default="", max_length=2000)
    collector_id: OptionalId64 = Field(max_length=64)
    callback_at: Moment | None = None  # with callback_requested
    visit: VisitReport | None = None  # with a visit task
    # When the number was dialled (or the visit began), collection time, for a call entered after the
    # fact; the desk's "start call" records it otherwise. None: the start on record, else the outcome's time.
    started_at: Moment | None = None

    @field_validator("started_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("started_at: give the time with its UTC offset")
        return value


class OutcomeResult(BaseModel):
    task_id: RecordId
    outcome: ContactOutcome
    callback_step: Line64 | None = None
    hold_id: Id64 | None = None  # the hold a dispute_raised or hardship_claimed outcome placed


class HoldInput(BaseModel):
    hold_id: Id64 = Field(min_length=1, max_length=64)
    hold_type: HoldType
    reason: Reason = Field(max_length=2000)
    # An evidence-store id (ev-<sha256>) or an outside document's reference; a path is refused.
    evidence_ref: EvidenceRef = Field(default="", max_length=500)
    placed_by: OptionalId64 = Field(max_length=64)
    channel: Code16 | None = None  # complaint: the channel complained about
    days: Days | None = None  # hardship: how long escalation pauses (the strategy's [holds] default if absent)


class ReleaseHoldInput(BaseModel):
    hold_id: Id64 = Field(min_length=1, max_length=64)
    released_by: OptionalId64 = Field(max_length=64)
    # A dispute: verified | withdrawn | upheld. Others: optional, e.g. "discharged", "resolved".
    resolution: Code32 | None = Field(default=None, max_length=32)


class HoldResult(BaseModel):
    hold_id: Id64
    hold_type: HoldType
    status: Code16  # active | released | expired
    duplicate: bool = False
    expires_at: Moment | None = None
    task_id: RecordId | None = None  # the estate or attorney task the hold opened
    active_holds: list[HoldType]  # what the HoldType search attribute now shows
    outcome: Outcome | None = None  # set when the release ended the episode (an upheld dispute)


class ApplyStrategyInput(BaseModel):
    """Move a running episode to another strategy: explicit, with who and why, and recorded."""

    strategy: Strategy
    applied_by: OptionalId64 = Field(max_length=64)
    reason: Paragraph1000


class ApplyStrategyResult(BaseModel):
    previous_name: Name100
    previous_hash: Hash64
    strategy_name: Name100
    strategy_hash: Hash64
    pending_steps: Count


class StrategyChangeCommand(BaseModel):
    episode_id: Id64
    account_id: AccountId
    from_name: Name100
    from_hash: Hash64
    to_name: Name100
    to_hash: Hash64
    applied_by: OptionalId64
    reason: Reason
    dpd: DaysPastDue
    applied_at: Moment


class CloseInput(BaseModel):
    reason: Reason
    operator_id: OptionalId64


class CloseResult(BaseModel):
    outcome: Outcome
    reason: Reason
    closed_by: OptionalId64


class StatusView(BaseModel):
    account_id: AccountId
    episode_id: Id64
    as_of: Moment  # collection time of the workflow's last activity
    due_date: SaneDate
    timezone: TimeZoneName
    dpd: DaysPastDue
    stage: Code16
    bucket: Code16
    risk_segment: Segment
    currency: CurrencyCode
    overdue_amount: Money
    total_balance: Money
    paid_total: Money
    next_action: Action | None
    next_step_id: Line64 | None
    next_action_at: Moment | None
    paused_by: Paragraph4000 | None = None  # e.g. "promise P-1 until 2026-12-02T16:00Z"
    active_promise: PromiseRecord | None = None
    broken_promises: Count = 0
    open_offer: SettlementOffer | None = None
    active_plan: InstalmentPlan | None = None
    placement: PlacementRecord | None = None
    holds: list[HoldRecord] = []  # every hold of the episode, active or ended, in the order placed
    effective_collections: Count = 0
    # The earliest date the malicious-overdraft criteria could be met (arrears.domain.register).
    malicious_overdraft_earliest: SaneDate | None = None
    contacts_by_channel: dict[Code32, Count]
    steps_done: Count
    steps_skipped: Count = 0
    outcome: Outcome | None
    outcome_reason: Reason | None
    strategy_name: Name100
    strategy_hash: Hash64
    clock: EpisodeClock
    # The balance by component (episodes with pricing); None where the balance is not priced.
    principal: Money | None = None
    interest: Money | None = None
    fees: Money | None = None
    accrued_interest: Money | None = None  # since the last interest posting, not yet posted
    card_restrictions: list[RestrictionLevel] = []
    blacklisted_on: SaneDate | None = None
    bureau_notice_on: SaneDate | None = None
    bureau_notice_result: Code32 | None = None
    legal: LegalReferralState | None = None
    reages: list[SaneDate] = []
    # Why the episode needs an operator (an activity failing past its bound, a blocked charge-off).
    attention: Line500 | None = None
    attention_detail: Line500 | None = None
    # Where the risk segment came from and whether a supervisor's override holds it (set_risk_segment).
    risk: "RiskSegmentView | None" = None

    def at(self, real_now: datetime) -> "StatusView":
        """The same view with DPD, stage and bucket brought up to ``real_now``.

        A query answers from the workflow's last activity; between steps that
        can be days ago, so callers refresh the clock-derived fields.
        """
        if self.outcome is not None:
            return self
        now = self.clock.virtual(real_now)
        dpd = days_past_due(self.due_date, now, self.timezone)
        return self.model_copy(
            update={"as_of": now, "dpd": dpd, "stage": stage_for_dpd(dpd).value, "bucket": bucket_for_dpd(dpd)}
        )


class EpisodeResult(BaseModel):
    account_id: AccountId
    episode_id: Id64
    outcome: Outcome
    reason: Reason
    dpd: DaysPastDue
    overdue_amount: Money
    total_balance: Money
    steps_done: Count
    contacts_by_channel: dict[Code32, Count]
    steps_skipped: Count = 0  # missed while the worker was behind and not replayed (the late-import rule)


# ---- activity commands -------------------------------------------------------


EpisodeInput.model_rebuild()


# ---- history archiver ----------------------------------------------------------


# ---- bureau cycle ----------------------------------------------------------------


# ---- risk re-segmentation (arrears/risk, workflows/risk_rescore.py) ------------------------------


class RiskSegmentInput(BaseModel):
    """Set the episode's risk segment. Idempotent by ``request_id``.

    A supervisor's ``override`` wins over the model until a supervisor sends
    ``release_override`` (with or without a new segment; without one the
    model's latest stands). ``reasons`` are feature names and values, never
    personal data.
    """

    request_id: Line100Given
    segment: Segment | None
    source: Literal["model", "supervisor"]
    model_version: Line80 | None = None
    reasons: list[Line500] = Field(default=[], max_length=10)
    set_by: Id64 = Field(min_length=1)
    override: bool = False
    release_override: bool = False


class RiskSegmentResult(BaseModel):
    request_id: Line100
    segment: Segment  # the segment the ladder follows now
    previous: Segment
    changed: bool
    duplicate: bool = False
    overridden: bool = False  # a model's request that a supervisor's override outranked


class RiskSegmentView(BaseModel):
    """What status shows of the segment: where it came from and whether an override holds it."""

    segment: Segment
    source: Literal["import", "broken_promises", "model", "supervisor"]
    model_version: Line80 | None = None
    reasons: list[Line500] = Field(default=[], max_length=10)
    override_by: Id64 | None = None  # set while a supervisor's override holds
    changed_at: Moment | None = None
    changed_at_dpd: DaysPastDue | None = None


StatusView.model_rebuild()  # its risk field names RiskSegmentView, defined after it
