"""What crosses the wire: workflow input, updates, query, activity commands.

One pydantic model per input and output, so fields can be added later without
breaking running workflows or callers. Personal data (names, phones,
addresses) never appears here: the workflow carries the account id and the
financial and scheduling state, and activities look contact details up.
"""

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field, field_validator

from arrears.domain.agency import PlacementRecord
from arrears.domain.ledger import LedgerEvent
from arrears.domain.legal import LegalCase, LegalEvent
from arrears.domain.restrictions import RestrictionLevel
from arrears.domain.clock import EpisodeClock
from arrears.domain.delinquency import Outcome, bucket_for_dpd, days_past_due, stage_for_dpd
from arrears.domain.holds import HoldRecord, HoldType
from arrears.domain.ladder import ScheduledStep
from arrears.domain.policy import ContactPolicy
from arrears.domain.outcome import ContactOutcome, DelinquencyReason, VisitReport
from arrears.domain.plan import Instalment, InstalmentPlan
from arrears.domain.promise import PromiseRecord
from arrears.domain.settlement import SettlementOffer
from arrears.domain.strategy import Action, DeskPolicy, Role, Segment, Strategy

WORKFLOW_TYPE = "AccountCollection"
WORKFLOW_ID_PREFIX = "arrears-"


DESK_SWEEP_TYPE = "DeskSweep"
DESK_SWEEP_ID = "arrears-desk-sweep"
SWEEP_DESK = "sweep_desk"


class SweepInput(BaseModel):
    every_seconds: float = Field(gt=0)
    # Rounds per run before continuing as new, keeping each run's history short.
    rounds_per_run: int = Field(default=100, ge=1)


def workflow_id_for(account_id: str) -> str:
    return f"{WORKFLOW_ID_PREFIX}{account_id}"


class EpisodeInput(BaseModel):
    account_id: str
    currency: str
    overdue_amount: Decimal
    total_balance: Decimal
    due_date: date
    timezone: str
    risk_segment: Segment
    strategy: Strategy
    strategy_hash: str
    # Length of one collection day in real seconds: 86,400 in production, about
    # a second in the demo. A property of the episode, not a clock hack.
    day_seconds: float = Field(default=86_400, gt=0)
    # Set only when the workflow continues as new.
    carried: "EpisodeState | None" = None


class PaymentRecord(BaseModel):
    payment_id: str
    amount: Decimal
    paid_at: datetime
    channel: str
    overdue_after: Decimal
    total_after: Decimal
    dpd: int
    on: date | None = None  # the account's local date the ledger applies it on (episodes with pricing)


class EffectiveCollectionRecord(BaseModel):
    """A contact that reached the cardholder (the register behind the malicious-overdraft test)."""

    kind: str  # right_party_contact (a call) | visit_met (a visit that met the cardholder)
    occurred_at: datetime  # collection time the outcome was recorded
    task_id: int


class LegalReferralState(BaseModel):
    """The legal step's last decision: referred (with its case), or refused with the unmet criteria."""

    status: str  # referred | refused
    checked_on: date
    reasons: list[str] = []
    case_id: int | None = None
    checks: int = 1
    case: LegalCase | None = None  # the case as its updates left it (referred episodes)
    events: dict[str, LegalEvent] = {}  # by event id: a repeat gets the same answer


class ReageInput(BaseModel):
    """Bringing the account current by agreement after a workout (a supervisor's decision)."""

    reage_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    approved_by: str = Field(min_length=1, max_length=64)
    approver_role: Role
    reason: str = Field(min_length=1, max_length=2000)


class ReageOutcome(BaseModel):
    reage_id: str
    on: date
    overdue_cleared: Decimal
    in_12_months: int
    in_5_years: int
    outcome: Outcome | None
    duplicate: bool = False


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
    payment_id: str = Field(min_length=1, max_length=64)
    amount: Decimal
    paid_at: datetime | None = None
    channel: str = Field(default="bank_transfer", min_length=1, max_length=32)


class PaymentResult(BaseModel):
    payment_id: str
    accepted: bool
    duplicate: bool = False
    overdue_amount: Decimal
    total_balance: Decimal
    outcome: Outcome | None = None


class PromiseInput(BaseModel):
    promise_id: str = Field(min_length=1, max_length=64)
    amount: Decimal
    promised_date: date  # in the account's time zone
    collector_id: str = Field(max_length=64)
    channel: str = Field(default="call", min_length=1, max_length=32)
    note: str = Field(default="", max_length=1000)
    replace: bool = False
    supervisor_id: str | None = Field(default=None, max_length=64)


class PromiseResult(BaseModel):
    promise_id: str
    status: str
    duplicate: bool = False
    deadline: datetime  # when it is judged kept or broken (collection time, UTC)
    broken_promises: int
    risk_segment: Segment


class SettlementInput(BaseModel):
    offer_id: str = Field(min_length=1, max_length=64)
    amount: Decimal
    expires_on: date  # last day to pay, in the account's time zone
    approved_by: str = Field(max_length=64)
    approver_role: Role
    replace: bool = False


class SettlementResult(BaseModel):
    offer_id: str
    status: str
    duplicate: bool = False
    expires_at: datetime
    discount_percent: Decimal


class PlanInput(BaseModel):
    plan_id: str = Field(min_length=1, max_length=64)
    instalments: list[Instalment]
    down_payment: Decimal = Decimal(0)  # due the day the plan is agreed
    fee_waiver: Decimal = Decimal(0)
    rate_discount_percent: Decimal = Decimal(0)
    approved_by: str = Field(max_length=64)
    approver_role: Role


class PlanResult(BaseModel):
    plan_id: str
    status: str
    duplicate: bool = False
    total: Decimal
    instalments: int
    next_due: date | None


class CancelPlanInput(BaseModel):
    plan_id: str
    reason: str
    supervisor_id: str
    supervisor_role: Role


class OutcomeInput(BaseModel):
    task_id: int
    outcome: ContactOutcome
    duration_seconds: int = 0
    reason_for_delinquency: DelinquencyReason | None = None
    note: str = Field(default="", max_length=2000)
    collector_id: str = Field(max_length=64)
    callback_at: datetime | None = None  # with callback_requested
    visit: VisitReport | None = None  # with a visit task
    # When the number was dialled (or the visit began), collection time, for a call entered after the
    # fact; the desk's "start call" records it otherwise. None: the start on record, else the outcome's time.
    started_at: datetime | None = None

    @field_validator("started_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("started_at: give the time with its UTC offset")
        return value


class OutcomeResult(BaseModel):
    task_id: int
    outcome: ContactOutcome
    callback_step: str | None = None
    hold_id: str | None = None  # the hold a dispute_raised or hardship_claimed outcome placed


class HoldInput(BaseModel):
    hold_id: str = Field(min_length=1, max_length=64)
    hold_type: HoldType
    reason: str = Field(max_length=2000)
    evidence_ref: str = Field(default="", max_length=500)  # a document id or path in the evidence store
    placed_by: str = Field(max_length=64)
    channel: str | None = Field(default=None, max_length=16)  # complaint: the channel complained about
    days: int | None = None  # hardship: how long escalation pauses (the strategy's [holds] default if absent)


class ReleaseHoldInput(BaseModel):
    hold_id: str = Field(min_length=1, max_length=64)
    released_by: str = Field(max_length=64)
    # A dispute: verified | withdrawn | upheld. Others: optional, e.g. "discharged", "resolved".
    resolution: str | None = Field(default=None, max_length=32)


class HoldResult(BaseModel):
    hold_id: str
    hold_type: HoldType
    status: str  # active | released | expired
    duplicate: bool = False
    expires_at: datetime | None = None
    task_id: int | None = None  # the estate or attorney task the hold opened
    active_holds: list[HoldType]  # what the HoldType search attribute now shows
    outcome: Outcome | None = None  # set when the release ended the episode (an upheld dispute)


class ApplyStrategyInput(BaseModel):
    """Move a running episode to another strategy: explicit, with who and why, and recorded."""

    strategy: Strategy
    applied_by: str = Field(max_length=64)
    reason: str = Field(max_length=1000)


class ApplyStrategyResult(BaseModel):
    previous_name: str
    previous_hash: str
    strategy_name: str
    strategy_hash: str
    pending_steps: int


class StrategyChangeCommand(BaseModel):
    episode_id: str
    account_id: str
    from_name: str
    from_hash: str
    to_name: str
    to_hash: str
    applied_by: str
    reason: str
    dpd: int
    applied_at: datetime


class CloseInput(BaseModel):
    reason: str
    operator_id: str


class CloseResult(BaseModel):
    outcome: Outcome
    reason: str
    closed_by: str


class StatusView(BaseModel):
    account_id: str
    episode_id: str
    as_of: datetime  # collection time of the workflow's last activity
    due_date: date
    timezone: str
    dpd: int
    stage: str
    bucket: str
    risk_segment: Segment
    currency: str
    overdue_amount: Decimal
    total_balance: Decimal
    paid_total: Decimal
    next_action: Action | None
    next_step_id: str | None
    next_action_at: datetime | None
    paused_by: str | None = None  # e.g. "promise P-1 until 2026-12-02T16:00Z"
    active_promise: PromiseRecord | None = None
    broken_promises: int = 0
    open_offer: SettlementOffer | None = None
    active_plan: InstalmentPlan | None = None
    placement: PlacementRecord | None = None
    holds: list[HoldRecord] = []  # every hold of the episode, active or ended, in the order placed
    effective_collections: int = 0
    # The earliest date the malicious-overdraft criteria could be met (arrears.domain.register).
    malicious_overdraft_earliest: date | None = None
    contacts_by_channel: dict[str, int]
    steps_done: int
    outcome: Outcome | None
    outcome_reason: str | None
    strategy_name: str
    strategy_hash: str
    clock: EpisodeClock
    # The balance by component (episodes with pricing); None where the balance is not priced.
    principal: Decimal | None = None
    interest: Decimal | None = None
    fees: Decimal | None = None
    accrued_interest: Decimal | None = None  # since the last interest posting, not yet posted
    card_restrictions: list[RestrictionLevel] = []
    blacklisted_on: date | None = None
    bureau_notice_on: date | None = None
    bureau_notice_result: str | None = None
    legal: LegalReferralState | None = None
    reages: list[date] = []

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
    account_id: str
    episode_id: str
    outcome: Outcome
    reason: str
    dpd: int
    overdue_amount: Decimal
    total_balance: Decimal
    steps_done: int
    contacts_by_channel: dict[str, int]


# ---- activity commands -------------------------------------------------------


class OpenEpisodeCommand(BaseModel):
    episode_id: str
    account_id: str
    workflow_id: str
    run_id: str
    started_at: datetime
    due_date: date
    dpd_at_start: int
    currency: str
    overdue_amount: Decimal
    total_balance: Decimal
    risk_segment: Segment
    strategy_name: str
    strategy_hash: str
    # The episode's collection clock, kept on the episode row so the CLI and the API stamp what they
    # write in the episode's time (arrears.collection_clock). None: asked of the workflow when needed.
    clock: EpisodeClock | None = None


class StepCommand(BaseModel):
    episode_id: str
    account_id: str
    step: ScheduledStep
    executed_at: datetime  # collection time at which the workflow ran the step
    dpd: int
    stage: str
    currency: str
    overdue_amount: Decimal
    total_balance: Decimal
    due_date: date
    strategy_hash: str
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
        return f"{self.episode_id}:{self.step.key}"


class StepResult(BaseModel):
    idempotency_key: str
    kind: str  # contact | task | account_action | deferred | suppressed (by the contact policy gate)
    channel: str
    record_id: int  # the contact, task or action row; for deferred/suppressed tasks the decision row
    duplicate: bool
    detail: str = ""
    deferred_until: datetime | None = None  # the gate's next permitted moment (collection time)


class PlacementCommand(BaseModel):
    """Place the account with an agency for the ladder's agency step."""

    step: StepCommand
    timezone: str  # the placement period is counted in the account's calendar days

    @property
    def idempotency_key(self) -> str:
        return self.step.idempotency_key


class PlacementResult(BaseModel):
    placement: PlacementRecord | None  # None: no agency had room, or the gate refused it
    task_id: int | None = None  # the task that records why it was not placed
    duplicate: bool
    detail: str
    # Set when the contact gate refused the placement: the rule (e.g. hold:cease_contact). No task is
    # opened: nothing is to be done by hand while the hold stands.
    refused: str | None = None


class PlacementChangeCommand(BaseModel):
    episode_id: str
    account_id: str
    idempotency_key: str  # the placement's
    status: str  # renewed | recalled | closed
    renewals: int
    ends_at: datetime
    reason: str
    at: datetime


class CommissionCommand(BaseModel):
    episode_id: str
    account_id: str
    placement_id: int
    agency_id: str
    payment_id: str
    payment_amount: Decimal
    percent: Decimal
    commission: Decimal
    currency: str


class PaymentCommand(BaseModel):
    episode_id: str
    account_id: str
    payment: PaymentRecord
    currency: str


class PromiseCommand(BaseModel):
    episode_id: str
    account_id: str
    currency: str
    promise: PromiseRecord
    replaces: str | None = None


class PromiseResolutionCommand(BaseModel):
    episode_id: str
    account_id: str
    promise_id: str
    status: str  # kept | broken
    paid_toward: Decimal
    resolved_at: datetime
    broken_promises: int
    risk_segment: Segment


class SettlementCommand(BaseModel):
    episode_id: str
    account_id: str
    currency: str
    offer: SettlementOffer
    replaces: str | None = None


class SettlementResolutionCommand(BaseModel):
    episode_id: str
    account_id: str
    offer_id: str
    status: str  # paid | expired
    paid_toward: Decimal
    forgiven: Decimal
    resolved_at: datetime


class PlanCommand(BaseModel):
    episode_id: str
    account_id: str
    currency: str
    plan: InstalmentPlan


class PlanResolutionCommand(BaseModel):
    episode_id: str
    account_id: str
    plan_id: str
    status: str  # completed | broken | cancelled
    reason: str
    paid_into: Decimal
    resolved_at: datetime


class OutcomeCommand(BaseModel):
    episode_id: str
    account_id: str
    outcome: OutcomeInput
    recorded_at: datetime
    # Set when the contact reached the cardholder: the same transaction writes the register row.
    effective_collection: str | None = None


class HoldCommand(BaseModel):
    episode_id: str
    account_id: str
    hold: HoldRecord
    # For the estate or attorney task a hold opens.
    dpd: int
    stage: str
    currency: str
    overdue_amount: Decimal


class HoldRecorded(BaseModel):
    created: bool  # False: already on record (a retry)
    task_id: int | None = None


class HoldEndCommand(BaseModel):
    episode_id: str
    account_id: str
    hold_id: str
    status: str  # released | expired
    resolution: str | None
    released_by: str | None
    at: datetime


class StageChangeCommand(BaseModel):
    episode_id: str
    account_id: str
    stage: str
    previous_stage: str | None
    dpd: int
    occurred_at: datetime


class CloseEpisodeCommand(BaseModel):
    episode_id: str
    account_id: str
    outcome: Outcome
    reason: str
    closed_by: str
    dpd: int
    closed_at: datetime
    overdue_amount: Decimal
    total_balance: Decimal


EpisodeInput.model_rebuild()


# Activity names: the workflow calls them by name so that its sandbox never
# imports the database layer.
OPEN_EPISODE = "open_episode"
EXECUTE_STEP = "execute_step"
RECORD_PAYMENT = "record_payment"
RECORD_STAGE_CHANGE = "record_stage_change"
CLOSE_EPISODE = "close_episode"
RECORD_PROMISE = "record_promise"
RESOLVE_PROMISE = "resolve_promise"
RECORD_SETTLEMENT = "record_settlement"
RESOLVE_SETTLEMENT = "resolve_settlement"
RECORD_PLAN = "record_plan"
RESOLVE_PLAN = "resolve_plan"
RECORD_OUTCOME = "record_outcome"
PLACE_WITH_AGENCY = "place_with_agency"
RENEW_PLACEMENT = "renew_placement"
RECALL_PLACEMENT = "recall_placement"
CLOSE_PLACEMENT = "close_placement"
RECORD_COMMISSION = "record_commission"
RECORD_HOLD = "record_hold"
RECORD_STRATEGY_CHANGE = "record_strategy_change"
END_HOLD = "end_hold"
SEND_DISPUTE_VERIFICATION = "send_dispute_verification"
NOTIFY_AGENCY_OF_HOLD = "notify_agency_of_hold"


class DisputeVerificationCommand(BaseModel):
    """Send the verification of a disputed debt (12 CFR 1006.38(d)(2)) before collection resumes."""

    episode_id: str
    account_id: str
    hold_id: str  # the dispute hold released as verified
    at: datetime  # collection time
    dpd: int
    currency: str
    overdue_amount: Decimal
    total_balance: Decimal
    due_date: date
    compliance: ContactPolicy | None = None
    # What was checked, in a sentence for the letter (no personal data beyond the debt); optional.
    verified: str = Field(default="", max_length=500)


class NoticeResult(BaseModel):
    """What became of a notice the gate judged: sent, deferred until a moment, or suppressed (with the rule)."""

    kind: str  # sent | deferred | suppressed
    channel: str
    record_id: int | None  # the contact row when one was written, else the decision row
    duplicate: bool
    rule: str
    detail: str = ""
    deferred_until: datetime | None = None


class AgencyHoldNoticeCommand(BaseModel):
    """Tell the agency an account is placed with that a hold now restricts contact, with its rules."""

    episode_id: str
    account_id: str
    hold_id: str
    hold_type: HoldType
    at: datetime


# ---- history archiver ----------------------------------------------------------

HISTORY_ARCHIVER_TYPE = "HistoryArchiver"
HISTORY_ARCHIVER_ID = "arrears-history-archiver"
ARCHIVE_HISTORIES = "archive_histories"


class ArchiverInput(BaseModel):
    every_seconds: float = Field(gt=0)
    rounds_per_run: int = Field(default=100, ge=1)



# ---- bureau cycle ----------------------------------------------------------------

BUREAU_CYCLE_TYPE = "BureauCycle"
BUREAU_CYCLE_ID = "arrears-bureau-cycle"
RUN_BUREAU_CYCLE = "run_bureau_cycle"


class BureauCycleInput(BaseModel):
    # Day of the month the previous month is reported, at 00:00 UTC (see reporting_moment).
    report_day: int = Field(default=2, ge=2, le=28)
    # The next period to report (YYYY-MM); None on a first start: last month.
    next_period: str | None = None
    # Periods per run before continuing as new: a year of history per run.
    periods_per_run: int = Field(default=12, ge=1)
    # The last report's summary, carried across continue-as-new for `arrears bureau schedule`.
    last_report: str | None = None


class BureauCycleRequest(BaseModel):
    period: str
    at: datetime


class BureauCycleSummary(BaseModel):
    period: str
    accounts: int
    withheld: int
    corrections: int
    file: str
    created: bool  # False: the period had been reported already; its file was written again from the record

    def line(self) -> str:
        again = "" if self.created else " (already reported: file written again from the record)"
        return (f"{self.period}: {self.accounts} account(s), {self.withheld} withheld pending notice, "
                f"{self.corrections} correction(s) -> {self.file}{again}")
