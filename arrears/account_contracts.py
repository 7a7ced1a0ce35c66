"""Activity names and commands for account actions: card restrictions, blacklist, bureau notice, legal.

Plain pydantic models over domain types, so workflow code can import them
(no I/O here). The activities live in ``activities.account_actions``.
"""

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from arrears.domain.blacklist import ALL_PURPOSES, BlacklistPolicy, BlacklistPurpose
from arrears.domain.legal import LegalEvent, LegalState
from arrears.domain.policy import ContactPolicy
from arrears.domain.restrictions import RestrictionLevel, RestrictionPolicy

APPLY_RESTRICTION = "apply_restriction"
LIFT_RESTRICTIONS = "lift_restrictions"
LIST_ON_BLACKLIST = "list_on_blacklist"
SCHEDULE_BLACKLIST_REMOVAL = "schedule_blacklist_removal"
RECORD_BUREAU_NOTICE = "record_bureau_notice"
REFER_TO_LEGAL = "refer_to_legal"
RECORD_LEGAL_EVENT = "record_legal_event"

# Raised (not retryable) when a legal update cannot apply: a wrong transition, a reused event id, a missing document.
LEGAL_EVENT_REFUSED = "LegalEventRefused"


class RestrictionCommand(BaseModel):
    episode_id: str
    account_id: str
    step_id: str
    level: RestrictionLevel  # the target: lower levels not yet on the card are applied first
    dpd: int
    at: datetime


class RestrictionResult(BaseModel):
    applied: list[RestrictionLevel]  # by this call, mildest first (empty on a retry)
    on_card: list[RestrictionLevel]  # every level the card carries now, mildest first


class LiftCommand(BaseModel):
    episode_id: str
    account_id: str
    at: datetime
    reason: str = Field(default="cured", min_length=1, max_length=200)
    policy: RestrictionPolicy = RestrictionPolicy()


class LiftResult(BaseModel):
    lifted: list[RestrictionLevel]  # by this episode's cure, in the order lifted (harshest first)
    kept: list[RestrictionLevel]  # still on the card


class BlacklistCommand(BaseModel):
    episode_id: str
    account_id: str
    reason: str = Field(min_length=1, max_length=64)
    listed_from: date  # the account's local date
    dpd: int
    at: datetime
    blocks: tuple[BlacklistPurpose, ...] = ALL_PURPOSES


class BlacklistRemovalCommand(BaseModel):
    episode_id: str
    account_id: str
    cure_date: date  # the account's local date of the cure
    at: datetime
    policy: BlacklistPolicy = BlacklistPolicy()


class BlacklistRemovalResult(BaseModel):
    updated: int  # entries that got their date now (0 on a retry)
    listed_until: date | None  # the removal date, when the episode has an entry


class BureauNoticeCommand(BaseModel):
    episode_id: str
    account_id: str
    step_id: str
    dpd: int
    sent_at: datetime
    template: str = "letter_bureau_notice"
    currency: str
    overdue_amount: Decimal
    total_balance: Decimal
    due_date: date
    # 1: the ladder's notice. 2 and up: the episode tries again after one that was not posted;
    # such a try records a row only when it posts.
    attempt: int = Field(default=1, ge=1)
    # The contact gate's rules for this portfolio (the episode's strategy); None: the baseline.
    compliance: ContactPolicy | None = None


class BureauNoticeResult(BaseModel):
    created: bool
    notice_id: int | None  # None: a later attempt that found the address still unusable and recorded nothing
    sent_on: date | None  # the notice period counts from this local date; None: nothing went (deferred)
    result: str  # queued | no_address | invalid_address | deferred | suppressed (by the contact gate)
    # The contact gate's rule when it deferred or suppressed the letter, and the moment it may go.
    rule: str | None = None
    deferred_until: datetime | None = None


class LegalReferralCommand(BaseModel):
    episode_id: str
    account_id: str
    step_id: str
    dpd: int
    referred_at: datetime
    referred_on: date
    principal: Decimal
    currency: str
    # The workflow's ReferralDecision (arrears.domain.legal.referral_decision) and the strategy's legal section.
    allowed: bool
    reasons: list[str]
    criteria: str  # the criteria's preset name
    costs_recoverable: bool
    # The step occurrence (its key) and the balance when it ran: a refusal is recorded with them.
    step_key: str = ""
    overdue_amount: Decimal = Decimal(0)
    total_balance: Decimal = Decimal(0)


class LegalReferralResult(BaseModel):
    referred: bool
    case_id: int | None = None
    created: bool = False
    reasons: list[str] = []


class LegalEventCommand(BaseModel):
    account_id: str
    episode_id: str  # the episode the case was referred from
    event: LegalEvent


class LegalEventResult(BaseModel):
    created: bool
    case_id: int
    state: LegalState
    costs: Decimal
    recoverable_costs: Decimal
