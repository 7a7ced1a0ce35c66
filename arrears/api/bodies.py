"""What the desk API accepts and answers: every field bounded, so that nothing it lets in is unstorable.

Ids are short words, amounts fit NUMERIC(20,4), dates and moments lie in a
sane window, lists are capped, text carries no control characters. A value
outside its bound is answered 422 naming the field, before authorisation is
even needed.
"""

import unicodedata
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from arrears.contracts.collection import StatusView
from arrears.domain.blacklist import BlacklistPurpose
from arrears.domain.evidence_ids import EvidenceRef
from arrears.domain.holds import HoldType
from arrears.domain.outcome import ContactOutcome, DelinquencyReason, VisitReport
from arrears.domain.plan import Instalment
from arrears.domain.strategy import Role

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
MAX_TASK_ID = 2**31 - 1  # the column is a 32-bit integer
MAX_INSTALMENTS = 120  # ten years of monthly instalments; the strategy's own limit is lower
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _no_controls(value: str) -> str:
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in value):
        raise ValueError("control characters are not allowed")
    return value


def _in_window(value: date | datetime) -> date | datetime:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must lie between {FIRST_YEAR} and {LAST_YEAR}")
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ValueError("give the time with its UTC offset")
    return value


Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=ID_PATTERN)]
Text = Annotated[str, AfterValidator(_no_controls)]
Amount = Annotated[Decimal, Field(ge=0, max_digits=20, decimal_places=4)]
Day = Annotated[date, AfterValidator(_in_window)]
Moment = Annotated[datetime, AfterValidator(_in_window)]
TaskId = Annotated[int, Field(ge=1, le=MAX_TASK_ID)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- requests ------------------------------------------------------------------------------------


class PromiseBody(_Body):
    promise_id: Id
    amount: Amount
    promised_date: Day
    channel: Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=ID_PATTERN)] = "call"
    note: Annotated[Text, Field(max_length=1000)] = ""
    replace: bool = False


class InstalmentBody(_Body):
    due_date: Day
    amount: Amount

    def domain(self) -> Instalment:
        return Instalment(due_date=self.due_date, amount=self.amount)


class PlanBody(_Body):
    plan_id: Id
    instalments: list[InstalmentBody] = Field(min_length=1, max_length=MAX_INSTALMENTS)
    down_payment: Amount = Decimal(0)
    fee_waiver: Amount = Decimal(0)
    rate_discount_percent: Annotated[Decimal, Field(ge=0, le=100, max_digits=7, decimal_places=4)] = Decimal(0)


class SettlementBody(_Body):
    offer_id: Id
    amount: Amount
    expires_on: Day
    replace: bool = False


class OutcomeBody(_Body):
    task_id: TaskId
    outcome: ContactOutcome
    duration_seconds: Annotated[int, Field(ge=0, le=24 * 3600)] = 0
    reason_for_delinquency: DelinquencyReason | None = None
    note: Annotated[Text, Field(max_length=2000)] = ""
    callback_at: Moment | None = None
    visit: VisitReport | None = None  # its evidence_files are evidence ids uploaded first
    started_at: Moment | None = None  # the dial time of a call entered after the fact (see POST /tasks/{id}/start)


class HoldBody(_Body):
    hold_id: Id
    hold_type: HoldType
    reason: Annotated[Text, Field(min_length=1, max_length=2000)]
    # An evidence id (POST /accounts/{id}/evidence first) or an outside reference; a path is refused.
    evidence_ref: Annotated[EvidenceRef, Field(max_length=500)] = ""
    channel: Annotated[str, StringConstraints(max_length=16, pattern=ID_PATTERN)] | None = None
    days: Annotated[int, Field(ge=1, le=366)] | None = None


class ReleaseHoldBody(_Body):
    resolution: Annotated[str, StringConstraints(max_length=32, pattern=ID_PATTERN)] | None = None


class CancelPlanBody(_Body):
    reason: Annotated[Text, Field(min_length=1, max_length=500)]


class ReassignBody(_Body):
    collector_id: Id
    reason: Annotated[Text, Field(min_length=1, max_length=500)]


# ---- answers -------------------------------------------------------------------------------------


class Me(BaseModel):
    collector_id: str
    name: str
    team: str
    role: Role
    languages: list[str]
    regions: list[str]
    daily_capacity: int
    absent: bool
    token_name: str
    token_expires_at: datetime


class ContactLine(BaseModel):
    at: datetime
    channel: str
    step_id: str
    dpd: int
    result: str
    recipient: str
    subject: str | None
    text: str


class TaskLine(BaseModel):
    task_id: int
    kind: str
    status: str
    queue: str
    assigned_to: str | None
    due_at: datetime
    sla_due_at: datetime | None
    outcome: str | None
    note: str


class PaymentLine(BaseModel):
    payment_id: str
    amount: Decimal
    channel: str
    paid_at: datetime


class PromiseLine(BaseModel):
    promise_id: str
    amount: Decimal
    promised_date: date
    status: str
    collector_id: str


class EvidenceLine(BaseModel):
    evidence_id: str
    media_type: str
    size_bytes: int
    filename: str
    uploaded_by: str
    uploaded_at: datetime


class AccountSummary(BaseModel):
    account_id: str
    customer_name: str
    language: str
    timezone: str
    region: str | None
    currency: str
    phone_invalid: bool
    episode_id: str | None
    episode_outcome: str | None
    status: StatusView | None  # live from the workflow while the episode runs (None while Temporal is away)
    contacts: list[ContactLine]
    tasks: list[TaskLine]
    payments: list[PaymentLine]
    promises: list[PromiseLine]
    evidence: list[EvidenceLine] = []


class BlacklistAnswer(BaseModel):
    account_id: str
    purpose: BlacklistPurpose
    on: date
    blocked: bool
    reason: str | None
    listed_from: date | None
    until: date | None  # first day no longer blocked; null while blocked with no end date yet


class TaskMoved(BaseModel):
    task_id: int
    assigned_to: str | None
    queue: str


class EvidenceStored(BaseModel):
    evidence_id: str
    sha256: str
    media_type: str
    size_bytes: int
    filename: str
    duplicate: bool  # the same bytes were already on this account's record


class Health(BaseModel):
    status: str  # ok | unavailable
    temporal: str
    database: str
