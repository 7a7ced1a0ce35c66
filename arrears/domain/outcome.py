"""What happened on a call or a visit, and when such a record is acceptable."""

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from arrears.domain.bounds import Note
from arrears.domain.evidence_ids import MAX_EVIDENCE_PER_REPORT, EvidenceId


class ContactOutcome(StrEnum):
    RIGHT_PARTY_CONTACT = "right_party_contact"
    THIRD_PARTY = "third_party"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    VOICEMAIL = "voicemail"
    WRONG_NUMBER = "wrong_number"
    REFUSED_TO_PAY = "refused_to_pay"
    PROMISE_MADE = "promise_made"
    CALLBACK_REQUESTED = "callback_requested"
    DISPUTE_RAISED = "dispute_raised"
    HARDSHIP_CLAIMED = "hardship_claimed"


class DelinquencyReason(StrEnum):
    """Why the customer fell behind: what collections strategy learns from."""

    FORGOT = "forgot"
    CASH_FLOW = "cash_flow"
    JOB_LOSS = "job_loss"
    ILLNESS = "illness"
    DISPUTE = "dispute"
    FRAUD_CLAIM = "fraud_claim"
    UNWILLING = "unwilling"


class VisitReport(BaseModel):
    address_verified: bool
    met_cardholder: bool
    # Evidence-store ids (ev-<sha256>) of the photos and documents uploaded first; never paths.
    evidence_files: list[EvidenceId] = Field(default=[], max_length=MAX_EVIDENCE_PER_REPORT)
    safety_note: Note = Field(default="", max_length=2000)


MAX_CALLBACK_DAYS = 14


def outcome_refusal(
    *,
    task_kind: str | None,
    task_done: bool,
    outcome: ContactOutcome,
    duration_seconds: int,
    collector_id: str,
    callback_at: datetime | None,
    visit: VisitReport | None,
    now: datetime,
    ended: str | None,
    promise_active: bool,
) -> str | None:
    if ended:
        return f"the episode has ended ({ended})"
    if task_kind is None:
        return "no such task for this account's episode"
    if task_done:
        return "an outcome was already recorded for this task"
    if not collector_id.strip():
        return "collector_id is required"
    if duration_seconds < 0:
        return "duration_seconds cannot be negative"
    if task_kind == "visit" and visit is None:
        return "a field visit needs its visit report (address verified, met the cardholder, evidence, safety note)"
    if task_kind != "visit" and visit is not None:
        return f"a visit report belongs to a visit task, not a {task_kind} task"
    if outcome == ContactOutcome.CALLBACK_REQUESTED:
        if callback_at is None or callback_at.tzinfo is None:
            return "callback_requested needs callback_at, a moment with its time zone"
        if not now < callback_at <= now + timedelta(days=MAX_CALLBACK_DAYS):
            return f"callback_at must be in the next {MAX_CALLBACK_DAYS} days"
    elif callback_at is not None:
        return "callback_at goes only with callback_requested"
    if outcome == ContactOutcome.PROMISE_MADE and not promise_active:
        return "record the promise first (promise_to_pay), then the promise_made outcome"
    return None
