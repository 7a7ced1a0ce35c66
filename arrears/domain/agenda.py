"""The agenda: one answer to "what is due now, and when must the episode wake next?".

Every deadline an episode can wait on is in one list, computed from its state
and the moment: ladder steps (and the deferred ones, at their new moment),
promise and instalment deadlines, settlement expiry, the end of an agency
placement, hold expiry, the stage and bucket boundaries, the ledger's cycle,
the blacklist date, the prior notice's retry, and the charge-off deadline.
The workflow's loop asks the agenda, acts on the first due item, or waits
until ``wake_at`` (or an update), and asks again.

The charge-off is not a ladder entry that a replan could drop: it is derived
here from the anchor (the oldest unpaid due date) and the strategy's
charge-off step, every time. Once its moment has passed it is due, whatever
else is running, unless a hold that blocks it (a fraud claim) is active.

Adding a kind of pause or deadline means adding it here, in one place (see
``_pauses`` and ``_deadlines``); the workflow's loop does not change.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from arrears.domain.delinquency import BOUNDARY_DPDS, days_past_due, local_date
from arrears.domain.episode import Episode
from arrears.domain.ladder import ScheduledStep, catch_up, local_moment, stale_steps
from arrears.domain.ledger import cycle_due_date
from arrears.domain.plan import instalment_deadline, is_completed
from arrears.domain.promise import is_kept
from arrears.domain.strategy import MESSAGES, Action, Step, Strategy

# Everything that reaches the cardholder, the bureau's prior notice (a letter) included.
CUSTOMER_CONTACTS = MESSAGES | {Action.CALL, Action.VISIT, Action.BUREAU_REPORT}
VALIDATION_NOTICE = "validation-notice"
LETTERS_FROM = time(8, 0)  # a retried prior notice goes out from 08:00 local


class DueKind(StrEnum):
    """What can fall due, in the order the loop acts on items due together (the ladder's by time)."""

    NOTICE_RETRY = "notice_retry"
    BLACKLIST = "blacklist"
    HOLD_EXPIRY = "hold_expiry"
    PROMISE = "promise"
    OFFER_EXPIRY = "offer_expiry"
    INSTALMENT = "instalment"
    PLACEMENT_END = "placement_end"
    CATCH_UP = "catch_up"
    CHARGE_OFF = "charge_off"
    STEP = "step"


_ORDER = {kind: n for n, kind in enumerate(DueKind)}
# The ladder's own items (catch-up, charge-off, steps) go in time order among themselves, after every
# pause and account item due at the same moment: a reminder due before the charge-off still goes first.
_LADDER = {DueKind.CATCH_UP, DueKind.CHARGE_OFF, DueKind.STEP}


def _priority(due: "Due") -> tuple:
    if due.kind in _LADDER:
        return (1, due.at, _ORDER[due.kind])
    return (0, _ORDER[due.kind], due.at)


@dataclass(frozen=True)
class Due:
    kind: DueKind
    at: datetime  # the moment it fell due (collection time, UTC)
    ref: str = ""  # the hold, promise, offer, plan or step it is about


@dataclass(frozen=True)
class AgendaRules:
    """What the agenda needs from the episode's strategy and its import."""

    timezone: str
    due_date: date  # the imported due date: cycles count from it
    charge_off: Step
    plan_grace_days: int
    blacklist_at_dpd: int
    priced: bool

    @classmethod
    def of(cls, strategy: Strategy, timezone: str, due_date: date) -> "AgendaRules":
        charge_off = next(s for s in strategy.steps if s.action == Action.CHARGE_OFF)
        return cls(
            timezone=timezone,
            due_date=due_date,
            charge_off=charge_off,
            plan_grace_days=strategy.plans.grace_days,
            blacklist_at_dpd=strategy.blacklist.list_at_dpd,
            priced=strategy.pricing is not None,
        )


@dataclass(frozen=True)
class Agenda:
    due: tuple[Due, ...]  # everything due now, in the order to act
    wake_at: datetime | None  # the next moment something falls due (None: nothing will by itself)
    paused_by: tuple[str, ...]  # what holds the ladder back (ids, types and dates only)
    charge_off_at: datetime | None  # None once charged off or ended
    charge_off_blocked_by: str | None  # the hold that keeps a due charge-off from running
    head: ScheduledStep | None  # the ladder step that runs next, paused or not

    @property
    def next_due(self) -> Due | None:
        return self.due[0] if self.due else None


def anchor_of(ep: Episode, rules: AgendaRules) -> date:
    return ep.anchor_due or rules.due_date


def charge_off_moment(ep: Episode, rules: AgendaRules) -> datetime:
    return local_moment(anchor_of(ep, rules), rules.charge_off.dpd, rules.charge_off.at, rules.timezone)


def next_cycle_moment(rules: AgendaRules, now: datetime) -> datetime:
    """The local midnight after the next cycle due date: the cycle is billed, a late fee falls due."""
    today, k = local_date(now, rules.timezone), 0
    while cycle_due_date(rules.due_date, k) < today:
        k += 1
    moment = local_moment(cycle_due_date(rules.due_date, k), 1, time(0, 0), rules.timezone)
    if moment > now:
        return moment
    return local_moment(cycle_due_date(rules.due_date, k + 1), 1, time(0, 0), rules.timezone)


def notice_retry_moment(retry_on: date, timezone: str) -> datetime:
    return local_moment(retry_on, 0, LETTERS_FROM, timezone)


def agenda(ep: Episode, rules: AgendaRules, now: datetime, slack: timedelta = timedelta(seconds=1)) -> Agenda:
    """What is due at ``now`` (within ``slack``: timers resolve to milliseconds, which compressed days
    make minutes) and when the next thing falls due."""
    if ep.outcome is not None:
        return Agenda(due=(), wake_at=None, paused_by=(), charge_off_at=None, charge_off_blocked_by=None, head=None)
    reached = now + slack
    paused = _pauses(ep)
    deadlines = _deadlines(ep, rules, now, paused)
    charge_off_at: datetime | None = None
    blocked_by: str | None = None
    if ep.charged_off_step is None:
        charge_off_at = charge_off_moment(ep, rules)
        blocking = [h for h in ep.active_holds() if h.rule.blocks_charge_off]
        if blocking and charge_off_at <= reached:
            blocked_by = blocking[0].hold_id
        else:
            deadlines.append(Due(DueKind.CHARGE_OFF, charge_off_at))
    head = _head(ep)
    if head is not None and not paused:
        # Behind schedule: due when the late-import rule would skip something (what it keeps then runs).
        kept = catch_up(ep.ladder, now, rules.timezone, anchor_of(ep, rules))
        if len(kept) < len(ep.ladder):
            deadlines.append(Due(DueKind.CATCH_UP, min(s.due_at for s in stale_steps(ep.ladder, now, rules.timezone))))
        deadlines.append(Due(DueKind.STEP, head.due_at, head.key))
    due = sorted((d for d in deadlines if d.at <= reached), key=_priority)
    later = [d.at for d in deadlines if d.at > reached] + _boundaries(ep, rules, now)
    return Agenda(
        due=tuple(due),
        wake_at=min(later, default=None),
        paused_by=tuple(paused),
        charge_off_at=charge_off_at,
        charge_off_blocked_by=blocked_by,
        head=head,
    )


def _pauses(ep: Episode) -> list[str]:
    """What holds escalation back now. A new kind of pause is one more line here."""
    paused = []
    for h in ep.pausing_holds():
        until = f" until {h.expires_at:%Y-%m-%d %H:%M} UTC" if h.expires_at else ""
        blocks = "; charge-off blocked" if h.rule.blocks_charge_off else ""
        paused.append(f"{h.hold_type.value} hold {h.hold_id}{until}{blocks}")
    if (plan := ep.plan) is not None:
        paused.append(f"instalment plan {plan.plan_id} ({plan.judged} of {len(plan.instalments)} instalments met)")
    if (promise := ep.promise) is not None:
        paused.append(f"promise {promise.promise_id} until {promise.deadline:%Y-%m-%d %H:%M} UTC")
    if (offer := ep.offer) is not None:
        paused.append(f"settlement offer {offer.offer_id} until {offer.expires_at:%Y-%m-%d %H:%M} UTC")
    if (placement := ep.placement) is not None:
        paused.append(
            f"agency placement with {placement.agency_id} ({placement.agency_name}) "
            f"until {placement.ends_at:%Y-%m-%d %H:%M} UTC"
        )
    return paused


def _deadlines(ep: Episode, rules: AgendaRules, now: datetime, paused: list[str]) -> list[Due]:
    """Every dated item other than the ladder and the charge-off. A new deadline is one more entry here."""
    items: list[Due] = []
    if ep.economics and ep.bureau_notice_retry_at is not None and not paused:
        items.append(Due(DueKind.NOTICE_RETRY, ep.bureau_notice_retry_at))
    elif ep.economics and ep.bureau_notice_retry_on is not None and not paused:
        items.append(Due(DueKind.NOTICE_RETRY, notice_retry_moment(ep.bureau_notice_retry_on, rules.timezone)))
    if ep.economics and ep.blacklisted_on is None:
        items.append(
            Due(
                DueKind.BLACKLIST,
                local_moment(anchor_of(ep, rules), rules.blacklist_at_dpd, time(0, 0), rules.timezone),
            )
        )
    for h in ep.active_holds():
        if h.expires_at is not None:
            items.append(Due(DueKind.HOLD_EXPIRY, h.expires_at, h.hold_id))
    if (promise := ep.promise) is not None:
        # Paid in full before its date, a promise is kept at once.
        at = min(promise.deadline, now) if is_kept(promise, ep.paid_total) else promise.deadline
        items.append(Due(DueKind.PROMISE, at, promise.promise_id))
    if (offer := ep.offer) is not None:
        items.append(Due(DueKind.OFFER_EXPIRY, offer.expires_at, offer.offer_id))
    if (plan := ep.plan) is not None and plan.judged < len(plan.instalments) and not is_completed(plan, ep.paid_total):
        due = plan.instalments[plan.judged].due_date
        items.append(
            Due(DueKind.INSTALMENT, instalment_deadline(due, rules.plan_grace_days, rules.timezone), plan.plan_id)
        )
    if ep.placement is not None:
        items.append(Due(DueKind.PLACEMENT_END, ep.placement.ends_at, str(ep.placement.placement_id)))
    return items


def _boundaries(ep: Episode, rules: AgendaRules, now: datetime) -> list[datetime]:
    """Moments that change what status and the search attributes show (stage, bucket) or what the
    ledger posts (a cycle): the loop wakes at them even when nothing else is due."""
    anchor = anchor_of(ep, rules)
    dpd = days_past_due(anchor, now, rules.timezone)
    moments = [local_moment(anchor, b, time(0, 0), rules.timezone) for b in BOUNDARY_DPDS if b > dpd][:1]
    if ep.economics and rules.priced:
        moments.append(next_cycle_moment(rules, now))
    return [m for m in moments if m > now]


def _head(ep: Episode) -> ScheduledStep | None:
    """The ladder step that runs next. While the validation notice waits (a letter held for a working
    day), no contact goes ahead of it: a contact due first runs right after it."""
    notice = next((s for s in ep.ladder if s.key == VALIDATION_NOTICE), None)
    waiting = [s for s in ep.ladder if s.key != ep.in_flight]  # the one whose activity runs is not next

    def effective(step: ScheduledStep) -> tuple[datetime, int]:
        if notice is not None and step is not notice and step.action in CUSTOMER_CONTACTS:
            return max(step.due_at, notice.due_at), 1
        return step.due_at, 0 if step is notice else 1

    return min(waiting, key=effective, default=None)


def effective_due(ep: Episode, step: ScheduledStep) -> datetime:
    """When ``step`` can run: a customer contact waits for a pending validation notice."""
    notice = next((s for s in ep.ladder if s.key == VALIDATION_NOTICE), None)
    if notice is not None and step is not notice and step.action in CUSTOMER_CONTACTS:
        return max(step.due_at, notice.due_at)
    return step.due_at


def violations(ep: Episode, rules: AgendaRules, now: datetime, slack: timedelta = timedelta(seconds=1)) -> list[str]:
    """The invariants every episode keeps after every update and every step; [] when all hold."""
    found: list[str] = []
    plan = agenda(ep, rules, now, slack)
    if ep.outcome is None:
        if not plan.due and plan.wake_at is None and plan.charge_off_blocked_by is None:
            found.append("an open episode has nothing due, no wake-up and no hold it waits on")
        if ep.charged_off_step is None and plan.charge_off_at != charge_off_moment(ep, rules):
            found.append("the charge-off deadline is not the one the anchor gives")
        if (
            plan.charge_off_at is not None
            and plan.charge_off_at <= now + slack
            and plan.charge_off_blocked_by is None
            and not any(d.kind == DueKind.CHARGE_OFF for d in plan.due)
        ):
            found.append("the charge-off deadline has passed and it is not due")
        # While the deadline is ahead, no wait may pass it (once it is due, the loop acts on it first).
        if (
            plan.wake_at is not None
            and plan.charge_off_at is not None
            and plan.wake_at > plan.charge_off_at
            and plan.charge_off_blocked_by is None
            and not any(d.kind == DueKind.CHARGE_OFF for d in plan.due)
        ):
            found.append("the next wake-up is after the charge-off deadline")
        keys = [s.key for s in ep.ladder]
        if len(keys) != len(set(keys)):
            found.append("a step key is in the ladder twice")
        if any(s.action == Action.CHARGE_OFF for s in ep.ladder):
            found.append("a charge-off is in the ladder (it is a derived deadline)")
    if ep.active_promise is not None and ep.promises[ep.active_promise].status != "active":
        found.append(f"active promise {ep.active_promise} is {ep.promises[ep.active_promise].status}")
    if ep.active_plan is not None and ep.plans[ep.active_plan].status != "active":
        found.append(f"active plan {ep.active_plan} is {ep.plans[ep.active_plan].status}")
    if ep.open_offer is not None and ep.settlements[ep.open_offer].status != "open":
        found.append(f"open offer {ep.open_offer} is {ep.settlements[ep.open_offer].status}")
    return found
