"""One delinquency episode's state, as the collection workflow keeps it.

Plain data, no behaviour beyond small lookups: the agenda
(``arrears.domain.agenda``) reads it to say what is due and when, the workflow
changes it and carries it whole across continue-as-new. Ids, amounts, dates
and codes only: names, phones, addresses and free-text notes stay in the
system of record (the workflow history is not the place for them).
"""

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel

from arrears.domain.agency import PlacementRecord
from arrears.domain.bounds import Code16, Code32, Count, DaysPastDue, Id64, Line500, Moment, Money, RecordId, SaneDate
from arrears.domain.clock import EpisodeClock
from arrears.domain.delinquency import Outcome
from arrears.domain.holds import HoldRecord
from arrears.domain.ladder import ScheduledStep
from arrears.domain.ledger import LedgerEvent
from arrears.domain.legal import LegalCase, LegalEvent
from arrears.domain.plan import InstalmentPlan
from arrears.domain.promise import PromiseRecord
from arrears.domain.restrictions import RestrictionLevel
from arrears.domain.settlement import SettlementOffer
from arrears.domain.strategy import Segment


class PaymentRecord(BaseModel):
    payment_id: Id64
    amount: Money
    paid_at: Moment
    channel: Code32
    overdue_after: Money
    total_after: Money
    dpd: DaysPastDue
    on: SaneDate | None = None  # the account's local date the ledger applies it on (episodes with pricing)


class EffectiveCollectionRecord(BaseModel):
    """A contact that reached the cardholder (the register behind the malicious-overdraft test)."""

    kind: Code32  # right_party_contact (a call) | visit_met (a visit that met the cardholder)
    occurred_at: Moment  # collection time the outcome was recorded
    task_id: RecordId


class LegalReferralState(BaseModel):
    """The legal step's last decision: referred (with its case), or refused with the unmet criteria."""

    status: Code16  # referred | refused
    checked_on: SaneDate
    reasons: list[Line500] = []
    case_id: RecordId | None = None
    checks: Count = 1
    case: LegalCase | None = None  # the case as its updates left it (referred episodes)
    events: dict[Id64, LegalEvent] = {}  # by event id: a repeat gets the same answer


class ReageOutcome(BaseModel):
    reage_id: Id64
    on: SaneDate
    overdue_cleared: Money
    in_12_months: Count
    in_5_years: Count
    outcome: Outcome | None
    duplicate: bool = False


class SegmentAnswer(BaseModel):
    """The answer to one set_risk_segment request, kept so that a repeat gets it again."""

    request: str  # the request's content, to tell a repeat from an id reused for something else
    segment: Segment
    previous: Segment
    changed: bool
    overridden: bool


class RiskState(BaseModel):
    """Where the episode's segment came from, and whether a supervisor's override holds it."""

    source: str = "import"  # import | broken_promises | model | supervisor
    model_version: str | None = None
    reasons: list[str] = []
    override_by: str | None = None  # set while a supervisor's override holds: the model's word waits
    model_segment: Segment | None = None  # the model's latest word, kept while an override holds
    model_latest: str | None = None  # the version of the model that said it
    model_reasons: list[str] = []
    changed_at: datetime | None = None
    changed_at_dpd: int | None = None
    answers: dict[str, SegmentAnswer] = {}  # by request id (one request per rescoring period)


class Episode(BaseModel):
    """Everything the agenda workflow needs to decide, and to carry on after continue-as-new."""

    episode_id: str
    clock: EpisodeClock
    opened: bool = False  # the episode row exists: records that reference it may be written
    overdue_amount: Decimal
    total_balance: Decimal
    segment: Segment  # the risk tier the ladder runs for (the import's, raised by broken promises, or re-set)
    risk: RiskState = RiskState()
    # The due date DPD counts from: the oldest cycle still unpaid (None: the imported due date).
    anchor_due: date | None = None
    # The ladder still to run and the follow-ups, in due order. The charge-off is not in it: it is
    # a deadline the agenda derives from the anchor, so no replan can drop it.
    ladder: list[ScheduledStep]
    in_flight: str | None = None  # the key of the step whose activity is running
    deferrals: dict[str, int] = {}  # step key -> times the gate deferred it in a row
    charged_off_step: str | None = None  # the charge-off ran (its key)

    payments: dict[str, PaymentRecord] = {}
    contacts_by_channel: dict[str, int] = {}
    steps_done: int = 0
    steps_skipped: int = 0  # missed while the worker was behind, and not replayed (the late-import rule)
    last_stage: str | None = None
    promises: dict[str, PromiseRecord] = {}
    active_promise: str | None = None
    broken_promises: int = 0
    replaced_promises: int = 0
    settlements: dict[str, SettlementOffer] = {}
    open_offer: str | None = None
    plans: dict[str, InstalmentPlan] = {}
    active_plan: str | None = None
    tasks: dict[int, str] = {}  # collector tasks opened in this episode (record id -> kind)
    tasks_done: list[int] = []
    placement: PlacementRecord | None = None
    holds: dict[str, HoldRecord] = {}
    effective_collections: list[EffectiveCollectionRecord] = []

    # ---- account economics ----
    economics: bool = True
    ledger_events: list[LedgerEvent] = []
    posted_keys: list[str] = []
    ledger_synced_on: date | None = None
    restrictions_on: list[RestrictionLevel] = []
    blacklisted_on: date | None = None
    bureau_notice_on: date | None = None
    bureau_notice_result: str | None = None
    bureau_notice_retry_on: date | None = None
    bureau_notice_retry_at: datetime | None = None  # a deferred retry: the same attempt at the gate's moment
    bureau_notice_step: str | None = None
    bureau_notice_attempts: int = 0
    legal: LegalReferralState | None = None
    written_off: Decimal | None = None
    reages: list[date] = []
    reage_results: dict[str, ReageOutcome] = {}

    # ---- the end, and what needs a person ----
    outcome: Outcome | None = None
    outcome_reason: str | None = None
    closed_by: str | None = None
    # Why the episode needs an operator (an activity failing past its bound, a charge-off a hold
    # blocks): codes and ids only, shown by `arrears doctor` and the Attention search attribute.
    attention: str | None = None
    attention_detail: str | None = None  # the last error behind it (its type and message)

    # ---- lookups -------------------------------------------------------------

    @property
    def paid_total(self) -> Decimal:
        return sum((p.amount for p in self.payments.values()), Decimal(0))

    @property
    def promise(self) -> PromiseRecord | None:
        return self.promises[self.active_promise] if self.active_promise else None

    @property
    def offer(self) -> SettlementOffer | None:
        return self.settlements[self.open_offer] if self.open_offer else None

    @property
    def plan(self) -> InstalmentPlan | None:
        return self.plans[self.active_plan] if self.active_plan else None

    def active_holds(self) -> list[HoldRecord]:
        return [h for h in self.holds.values() if h.active]

    def pausing_holds(self) -> list[HoldRecord]:
        return [h for h in self.active_holds() if h.rule.pauses_escalation]

    def active_hold_types(self) -> tuple[str, ...]:
        return tuple(sorted({h.hold_type.value for h in self.active_holds()}))
