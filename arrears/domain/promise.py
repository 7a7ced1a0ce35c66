"""Promises to pay: when one may be made, when it is due, whether it was kept.

Plain functions over plain values; the workflow only waits and records.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from pydantic import BaseModel

from arrears.domain.ladder import local_moment
from arrears.domain.strategy import PromisePolicy, Segment


class PromiseRecord(BaseModel):
    promise_id: str
    amount: Decimal
    promised_date: date
    collector_id: str
    channel: str
    note: str = ""
    supervisor_id: str | None = None
    made_at: datetime
    made_dpd: int
    paid_before: Decimal  # payments already made when the promise was given
    deadline: datetime
    status: str = "active"  # active | kept | broken | replaced

    def same_terms(self, amount: Decimal, promised_date: date, collector_id: str, channel: str, note: str) -> bool:
        return (self.amount, self.promised_date, self.collector_id, self.channel, self.note) == (
            amount,
            promised_date,
            collector_id,
            channel,
            note,
        )


def promise_deadline(promised_date: date, grace_days: int, timezone: str) -> datetime:
    """The end of the last grace day, in the account's zone (UTC instant)."""
    return local_moment(promised_date, grace_days + 1, time(0, 0), timezone)


def paid_toward(promise: PromiseRecord, paid_total: Decimal) -> Decimal:
    return paid_total - promise.paid_before


def is_kept(promise: PromiseRecord, paid_total: Decimal) -> bool:
    return paid_toward(promise, paid_total) >= promise.amount


def promise_refusal(
    *,
    promise_id: str,
    amount: Decimal,
    promised_date: date,
    collector_id: str,
    channel: str,
    note: str,
    replace: bool,
    supervisor_id: str | None,
    today: date,
    overdue: Decimal,
    existing: PromiseRecord | None,
    active: PromiseRecord | None,
    ended: str | None,
    broken_count: int,
    policy: PromisePolicy,
    replaced_count: int = 0,
) -> str | None:
    """Why this promise cannot be accepted, or None. A same-terms repeat is not refused.

    ``replaced_count`` is how many promises of the episode were replaced by a later one (status
    ``replaced``): replacing is how a promise could be moved on for ever, so past the policy's
    ``max_replacements`` a supervisor must approve, and with ``replacement_counts_as_broken`` each
    replacement (this one included) counts toward the broken-promise limit.
    """
    if existing is not None:
        if existing.same_terms(amount, promised_date, collector_id, channel, note):
            return None
        return f"promise_id {promise_id} was already used with different terms"
    if ended:
        return f"the episode has ended ({ended}); no promise can be taken"
    if amount <= 0:
        return f"promised amount must be positive, got {amount}"
    if amount > overdue:
        return f"promised amount {amount} is above the overdue amount {overdue}"
    if promised_date < today:
        return f"promised date {promised_date} is in the past (today is {today} in the account's time zone)"
    if promised_date > today + timedelta(days=policy.max_horizon_days):
        return f"promised date {promised_date} is beyond the {policy.max_horizon_days}-day promise horizon"
    if active is not None and not replace:
        return f"promise {active.promise_id} is still active; send replace=true to replace it"
    minimum = overdue * policy.min_share
    if amount < minimum:
        return (
            f"promised amount {amount} is below the minimum {minimum.quantize(Decimal('0.01'))} "
            f"({(policy.min_share * 100).normalize():f}% of the overdue amount {overdue})"
        )
    approved = bool((supervisor_id or "").strip())
    replacing = active is not None and replace
    if replacing and replaced_count >= policy.max_replacements and not approved:
        return (
            f"{replaced_count} promises have already been replaced in this episode: a supervisor must approve "
            f"another replacement (supervisor_id)"
        )
    counted = broken_count
    if policy.replacement_counts_as_broken:
        counted += replaced_count + (1 if replacing else 0)
    if counted >= policy.broken_limit and not approved:
        what = "broken or replaced" if policy.replacement_counts_as_broken else "broken"
        return f"{counted} promises have been {what}: a supervisor must approve a new one (supervisor_id)"
    if not collector_id.strip():
        return "collector_id is required"
    return None


def next_working_day(day: date) -> date:
    """The next Monday-to-Friday after ``day`` (public holidays come with the compliance calendar)."""
    following = day + timedelta(days=1)
    while following.weekday() >= 5:
        following += timedelta(days=1)
    return following


_TIERS = (Segment.LOW, Segment.MEDIUM, Segment.HIGH)


def raise_segment(segment: Segment) -> Segment:
    return _TIERS[min(_TIERS.index(segment) + 1, len(_TIERS) - 1)]
