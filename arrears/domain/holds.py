"""Holds: what each kind of hold stops, and until when.

A hold is placed on an account for a reason the law or the bank's policy
recognises. While it is active DPD keeps counting; what it stops depends on
its type (the table below). The contact policy gate reads ``contact`` to
decide each contact; the workflow reads ``pauses_escalation`` and
``blocks_charge_off`` to decide whether the ladder acts.
"""

from dataclasses import dataclass
from enum import StrEnum


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
        ContactEffect.NONE, True, False,
        "12 CFR 1006.34/1006.38(d)(2): a disputed debt is not collected until verification is provided; "
        "released with resolution 'verified' (or 'withdrawn')",
    ),
    HoldType.CEASE_CONTACT: HoldRule(
        ContactEffect.NOTICES_ONLY, False, False,
        "12 CFR 1006.6(c): after a written request to cease, only notices that efforts end or that a "
        "specified remedy may be or will be invoked; collection actions themselves go on",
    ),
    HoldType.HARDSHIP: HoldRule(
        ContactEffect.NONE, True, False,
        "bank forbearance: escalation and reminders pause for a set number of days, then resume",
    ),
    HoldType.BANKRUPTCY: HoldRule(
        ContactEffect.NONE, True, False,
        "11 U.S.C. 362 automatic stay (and the bank's policy elsewhere): no contact, no escalation",
    ),
    HoldType.DECEASED: HoldRule(
        ContactEffect.NONE, True, False,
        "no contact with the deceased's household about the debt; the estate is dealt with by a specialist task",
    ),
    HoldType.COMPLAINT: HoldRule(
        ContactEffect.CHANNEL, False, False,
        "a complaint about a channel closes that channel while it is investigated",
    ),
    HoldType.FRAUD_CLAIM: HoldRule(
        ContactEffect.NONE, True, True,
        "a claimed fraud is investigated first; a confirmed fraud is written off as fraud loss, not charged off as credit loss",
    ),
    HoldType.ATTORNEY_REPRESENTED: HoldRule(
        ContactEffect.ATTORNEY_ONLY, False, False,
        "12 CFR 1006.6(b)(2): a consumer represented by an attorney is contacted through the attorney only",
    ),
}

DISPUTE_RESOLUTIONS = ("verified", "withdrawn", "upheld")
MAX_HARDSHIP_DAYS = 180


def rule_for(hold_type: HoldType) -> HoldRule:
    return HOLD_RULES[hold_type]
