"""Agency placements and holds: what takes an account out of the ladder, and back."""

from datetime import datetime

from arrears.domain.agency import PlacementRecord, placement_end
from arrears.domain.delinquency import Outcome
from arrears.domain.episode import Episode
from arrears.domain.holds import ContactEffect, HoldRecord, HoldType, hold_expiry
from arrears.domain.ladder import (
    resume_plan,
)
from arrears.domain.transitions.money import _end
from arrears.domain.transitions.terms import Terms, resume, without_charge_off

# ---- agencies -------------------------------------------------------------------------------


def placed(ep: Episode, placement: PlacementRecord) -> None:
    ep.placement = placement


def end_placement_period(ep: Episode, terms: Terms, now: datetime) -> tuple[PlacementRecord, str]:
    """The period is over: renewed if the agency reported payments in it, else recalled."""
    placement = ep.placement
    assert placement is not None
    period_end = placement.ends_at
    if placement.period_payments == 0:
        placement.status = "recalled"
        ep.placement = None
        # Back to the ladder from the end of the period: the placement's time is not replayed.
        ep.ladder = without_charge_off(resume_plan(ep.ladder, period_end))
        return placement, (
            f"recalled: {placement.agency_id} reported no payment in the {placement.placement_days}-day "
            f"period ending {period_end:%Y-%m-%d %H:%M} UTC"
        )
    placement.status = "renewed"
    placement.renewals += 1
    placement.ends_at = placement_end(period_end, placement.placement_days, terms.timezone)
    reason = (
        f"renewed ({placement.renewals}): {placement.agency_id} reported {placement.period_payments} "
        f"payment(s) in the period ending {period_end:%Y-%m-%d %H:%M} UTC"
    )
    placement.period_payments = 0
    return placement, reason


def recall_placement(ep: Episode, status: str = "recalled") -> PlacementRecord | None:
    placement = ep.placement
    if placement is not None:
        placement.status = status
        ep.placement = None
    return placement


# ---- holds ----------------------------------------------------------------------------------


def new_hold(
    ep: Episode,
    terms: Terms,
    hold_id: str,
    hold_type: HoldType,
    reason: str,
    evidence_ref: str,
    placed_by: str,
    channel: str | None,
    days: int | None,
    now: datetime,
) -> HoldRecord:
    """The hold takes effect at once: the loop and any later update see it before it is on record."""
    hold = HoldRecord(
        hold_id=hold_id,
        hold_type=hold_type,
        reason=reason.strip(),
        evidence_ref=evidence_ref.strip(),
        placed_by=placed_by.strip(),
        channel=channel,
        days=days,
        placed_at=now,
        # Only a hardship ends by itself; every other hold lasts until someone releases it.
        expires_at=hold_expiry(now, days, terms.timezone) if hold_type == HoldType.HARDSHIP and days else None,
    )
    ep.holds[hold_id] = hold
    return hold


def hold_in_force(ep: Episode, hold: HoldRecord) -> PlacementRecord | None:
    """A hold that stops or restricts contact (none at all, notices only under a cease request, the attorney
    only) takes the account back from its agency: the agency contacts the customer on the bank's behalf and
    could not keep to it. Returns the recalled placement."""
    if ep.placement is not None and hold.rule.contact in RECALLING:
        return recall_placement(ep)
    return None


RECALLING = frozenset({ContactEffect.NONE, ContactEffect.NOTICES_ONLY, ContactEffect.ATTORNEY_ONLY})


def withdraw_hold(ep: Episode, hold: HoldRecord, recalled: PlacementRecord | None, status_before: str) -> None:
    """The record refused the hold (its id belongs to an earlier episode): as if it had never been placed."""
    del ep.holds[hold.hold_id]
    if recalled is not None:
        recalled.status = status_before
        ep.placement = recalled


def end_hold(
    ep: Episode, hold: HoldRecord, status: str, resolution: str | None, released_by: str | None, now: datetime
) -> None:
    """Released or expired; the last hold on escalation ending resumes the ladder (passed steps not replayed)."""
    hold.status, hold.resolution, hold.released_by, hold.released_at = status, resolution, released_by, now
    if hold.hold_type == HoldType.DISPUTE and resolution == "upheld":
        # The customer was right: the debt as collected is not owed, so collection must not resume.
        _end(ep, Outcome.CLOSED, f"dispute {hold.hold_id} upheld: the debt as collected is not owed", released_by)
    if hold.rule.pauses_escalation and not ep.pausing_holds():
        resume(ep, now)
