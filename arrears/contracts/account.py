"""Activity names and commands for account actions: card restrictions, blacklist, bureau notice, legal.

Plain pydantic models over domain types, so workflow code can import them
(no I/O here). The activities live in ``activities.account_actions``.
"""

from decimal import Decimal

from pydantic import BaseModel

from arrears.domain.blacklist import ALL_PURPOSES, BlacklistPolicy, BlacklistPurpose
from arrears.domain.bounds import (
    AccountId,
    Code32,
    Count,
    CurrencyCode,
    DaysPastDue,
    Id64,
    Key200,
    Line64,
    Line64Given,
    Line500,
    Moment,
    Money,
    Paragraph200Given,
    PositiveCount,
    RecordId,
    SaneDate,
)
from arrears.domain.legal import LegalEvent, LegalState
from arrears.domain.policy import ContactPolicy
from arrears.domain.restrictions import RestrictionLevel, RestrictionPolicy


class RestrictionCommand(BaseModel):
    episode_id: Id64
    account_id: AccountId
    step_id: Line64
    level: RestrictionLevel  # the target: lower levels not yet on the card are applied first
    dpd: DaysPastDue
    at: Moment


class RestrictionResult(BaseModel):
    applied: list[RestrictionLevel]  # by this call, mildest first (empty on a retry)
    on_card: list[RestrictionLevel]  # every level the card carries now, mildest first


class LiftCommand(BaseModel):
    episode_id: Id64
    account_id: AccountId
    at: Moment
    reason: Paragraph200Given = "cured"
    policy: RestrictionPolicy = RestrictionPolicy()


class LiftResult(BaseModel):
    lifted: list[RestrictionLevel]  # by this episode's cure, in the order lifted (harshest first)
    kept: list[RestrictionLevel]  # still on the card


class BlacklistCommand(BaseModel):
    episode_id: Id64
    account_id: AccountId
    reason: Line64Given
    listed_from: SaneDate  # the account's local date
    dpd: DaysPastDue
    at: Moment
    blocks: tuple[BlacklistPurpose, ...] = ALL_PURPOSES


class BlacklistRemovalCommand(BaseModel):
    episode_id: Id64
    account_id: AccountId
    cure_date: SaneDate  # the account's local date of the cure
    at: Moment
    policy: BlacklistPolicy = BlacklistPolicy()


class BlacklistRemovalResult(BaseModel):
    updated: Count  # entries that got their date now (0 on a retry)
    listed_until: SaneDate | None  # the removal date, when the episode has an entry


class BureauNoticeCommand(BaseModel):
    episode_id: Id64
    account_id: AccountId
    step_id: Line64
    dpd: DaysPastDue
    sent_at: Moment
    template: Line64 = "letter_bureau_notice"
    currency: CurrencyCode
    overdue_amount: Money
    total_balance: Money
    due_date: SaneDate
    # 1: the ladder's notice. 2 and up: the episode tries again after one that was not posted;
    # such a try records a row only when it posts.
    attempt: PositiveCount = 1
    # The contact gate's rules for this portfolio (the episode's strategy); None: the baseline.
    compliance: ContactPolicy | None = None


class BureauNoticeResult(BaseModel):
    created: bool
    notice_id: RecordId | None  # None: a later attempt that found the address still unusable and recorded nothing
    sent_on: SaneDate | None  # the notice period counts from this local date; None: nothing went (deferred)
    result: Code32  # queued | no_address | invalid_address | deferred | suppressed (by the contact gate)
    # The contact gate's rule when it deferred or suppressed the letter, and the moment it may go.
    rule: Line64 | None = None
    deferred_until: Moment | None = None


class LegalReferralCommand(BaseModel):
    episode_id: Id64
    account_id: AccountId
    step_id: Line64
    dpd: DaysPastDue
    referred_at: Moment
    referred_on: SaneDate
    principal: Money
    currency: CurrencyCode
    # The workflow's ReferralDecision (arrears.domain.legal.referral_decision) and the strategy's legal section.
    allowed: bool
    reasons: list[Line500]
    criteria: Line64  # the criteria's preset name
    costs_recoverable: bool
    # The step occurrence (its key) and the balance when it ran: a refusal is recorded with them.
    step_key: Key200 = ""
    overdue_amount: Money = Decimal(0)
    total_balance: Money = Decimal(0)


class LegalReferralResult(BaseModel):
    referred: bool
    case_id: RecordId | None = None
    created: bool = False
    reasons: list[Line500] = []


class LegalEventCommand(BaseModel):
    account_id: AccountId
    episode_id: Id64  # the episode the case was referred from
    event: LegalEvent


class LegalEventResult(BaseModel):
    created: bool
    case_id: RecordId
    state: LegalState
    costs: Money
    recoverable_costs: Money
