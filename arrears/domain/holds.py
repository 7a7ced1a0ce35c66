"""Holds: what each kind of hold stops, and until when.

A hold is placed on an account for a reason the law or the bank's policy
recognises. While it is active DPD keeps counting; what it stops depends on
its type (the table below). The contact policy gate reads ``contact`` to
decide each contact; the workflow reads ``pauses_escalation`` and
``blocks_charge_off`` to decide whether the ladder acts.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel


class HoldType(StrEnum):
    DISPUTE = "dispute"
    CEASE_CONTACT = "cease_contact"
    HARDSHIP = "hardship"
    BANKRUPTCY = "bankruptcy"
    DECEASED = "deceased"
    COMPLAINT = "complaint"
    FRAUD_CLAIM = "fraud_claim"
    ATTORNEY_REPRESENTED = "attorney_represented"


class ContactEffect(StrEnum):
    NONE = "none"  # no contact at all
    NOTICES_ONLY = "notices_only"  # only the notices the law still allows (the preset lists them)
    CHANNEL = "channel"  # the channel complained about is closed; others go on
    ATTORNEY_ONLY = "attorney_only"  # the customer is not contacted; the attorney is (a task)
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class HoldRule:
    contact: ContactEffect
    pauses_escalation: bool
    blocks_charge_off: bool
    why: str


HOLD_RULES: dict[HoldType, HoldRule] = {
    HoldType.DISPUTE: HoldRule(
        ContactEffect.NONE,
        True,
        False,
        "12 CFR 1006.34/1006.38(d)(2): a disputed debt is not collected until verification is provided; "
        "released with resolution 'verified' (or 'withdrawn')",
    ),
    HoldType.CEASE_CONTACT: HoldRule(
        ContactEffect.NOTICES_ONLY,
        False,
        False,
        "12 CFR 1006.6(c): after a written request to cease, only notices that efforts end or that a "
        "specified remedy may be or will be invoked; collection actions themselves go on",
    ),
    HoldType.HARDSHIP: HoldRule(
        ContactEffect.NONE,
        True,
        False,
        "bank forbearance: escalation and reminders pause for a set number of days, then resume",
    ),
    HoldType.BANKRUPTCY: HoldRule(
        ContactEffect.NONE,
        True,
        False,
        "11 U.S.C. 362 automatic stay (and the bank's policy elsewhere): no contact, no escalation",
    ),
    HoldType.DECEASED: HoldRule(
        ContactEffect.NONE,
        True,
        False,
        "no contact with the deceased's household about the debt; the estate is dealt with by a specialist task",
    ),
    HoldType.COMPLAINT: HoldRule(
        ContactEffect.CHANNEL,
        False,
        False,
        "a complaint about a channel closes that channel while it is investigated",
    ),
    HoldType.FRAUD_CLAIM: HoldRule(
        ContactEffect.NONE,
        True,
        True,
        "a claimed fraud is investigated first; a confirmed fraud is written off as fraud loss, not charged off as credit loss",
    ),
    HoldType.ATTORNEY_REPRESENTED: HoldRule(
        ContactEffect.ATTORNEY_ONLY,
        False,
        False,
        "12 CFR 1006.6(b)(2): a consumer represented by an attorney is contacted through the attorney only",
    ),
}

DISPUTE_RESOLUTIONS = ("verified", "withdrawn", "upheld")
MAX_HARDSHIP_DAYS = 180


def rule_for(hold_type: HoldType) -> HoldRule:
    return HOLD_RULES[hold_type]


# ---- a hold as the episode keeps it, and when a request is acceptable -----------------

# The channels a complaint can close: the ladder's contact actions (plain names: the
# strategy module imports this one, so this one cannot import it).
COMPLAINT_CHANNELS = ("sms", "email", "im", "letter", "call", "visit")

# Specialist tasks some holds open. They are not desk work (see arrears.domain.desk.DESK_TASKS):
# an estate or an attorney is dealt with by people trained for it, not by the next free collector.
HOLD_TASKS: dict[HoldType, str] = {HoldType.DECEASED: "estate", HoldType.ATTORNEY_REPRESENTED: "attorney"}


class HoldRecord(BaseModel):
    hold_id: str
    hold_type: HoldType
    reason: str
    evidence_ref: str = ""
    placed_by: str
    channel: str | None = None  # a complaint's channel
    days: int | None = None  # a hardship's length
    placed_at: datetime
    expires_at: datetime | None = None  # a hardship's end
    status: str = "active"  # active | released | expired
    resolution: str | None = None
    released_by: str | None = None
    released_at: datetime | None = None
    task_id: int | None = None  # the estate or attorney task it opened

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def rule(self) -> HoldRule:
        return HOLD_RULES[self.hold_type]

    def same_content(
        self, hold_type: HoldType, reason: str, evidence_ref: str, placed_by: str, channel: str | None, days: int | None
    ) -> bool:
        return (self.hold_type, self.reason, self.evidence_ref, self.placed_by, self.channel, self.days) == (
            hold_type,
            reason.strip(),
            evidence_ref.strip(),
            placed_by.strip(),
            channel,
            days,
        )


def hold_days(hold_type: HoldType, days: int | None, default_days: int) -> int | None:
    """A hardship's length (the policy's default when none is given); other holds have none."""
    if hold_type != HoldType.HARDSHIP:
        return days
    return default_days if days is None else days


def hold_expiry(placed_at: datetime, days: int, timezone: str) -> datetime:
    """The same local time ``days`` calendar days later in the account's zone (UTC instant).

    Counted on the customer's calendar so that a 30-day forbearance across a
    DST change still ends at the hour it was granted.
    """
    local = placed_at.astimezone(ZoneInfo(timezone))
    return (local + timedelta(days=days)).astimezone(UTC)


def hold_refusal(
    *,
    hold_id: str,
    hold_type: HoldType,
    reason: str,
    evidence_ref: str,
    placed_by: str,
    channel: str | None,
    days: int | None,
    existing: HoldRecord | None,
    ended: str | None,
) -> str | None:
    """Why this hold cannot be placed, or None. ``days`` is after the policy default; a same-content repeat passes."""
    if existing is not None:
        if existing.same_content(hold_type, reason, evidence_ref, placed_by, channel, days):
            return None
        return f"hold_id {hold_id} was already used with different content ({existing.hold_type.value} by {existing.placed_by})"
    if ended:
        return f"the episode has ended ({ended}); no hold can be placed"
    if not reason.strip():
        return "a reason is required to place a hold"
    if not placed_by.strip():
        return "placed_by (who places the hold) is required"
    if hold_type == HoldType.COMPLAINT:
        if channel is None:
            return f"a complaint hold needs the channel complained about ({', '.join(COMPLAINT_CHANNELS)})"
        if channel not in COMPLAINT_CHANNELS:
            return f"channel must be one of {', '.join(COMPLAINT_CHANNELS)}, got {channel!r}"
    elif channel is not None:
        return "channel goes only with a complaint hold"
    if hold_type == HoldType.HARDSHIP:
        if days is None or not 1 <= days <= MAX_HARDSHIP_DAYS:
            return f"a hardship hold lasts 1 to {MAX_HARDSHIP_DAYS} days, got {days}"
    elif days is not None:
        return "days go only with a hardship hold"
    return None


def release_refusal(
    *, hold_id: str, released_by: str, resolution: str | None, hold: HoldRecord | None, ended: str | None
) -> str | None:
    if ended:
        return f"the episode has ended ({ended}); no hold can be released through it"
    if hold is None:
        return f"no hold {hold_id} on this episode"
    if not hold.active:
        return f"hold {hold_id} was already {hold.status}" + (f" ({hold.resolution})" if hold.resolution else "")
    if not released_by.strip():
        return "released_by (who releases the hold) is required"
    if hold.hold_type == HoldType.DISPUTE and resolution not in DISPUTE_RESOLUTIONS:
        return f"a dispute is released with a resolution: one of {', '.join(DISPUTE_RESOLUTIONS)}, got {resolution!r}"
    return None
