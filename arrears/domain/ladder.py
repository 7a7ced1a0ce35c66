"""The ladder: which strategy steps an episode runs, and when.

A strategy expands, for one risk segment, into dated occurrences anchored to
the missed due date (never to when a check ran). An episode keeps the
occurrences still to run as its pending plan; the workflow only ever asks for
the head of that plan.

Late import rule: an account imported after some steps' times have passed does
not receive those steps, except

* the latest *reminder* (sms, email, im, letter) of its current stage, sent at
  that step's local time of day on the first day it can still be met, so a
  customer imported at DPD 12 hears from the bank once rather than not at all
  or five times -- unless by then the account has moved to the next stage or
  another reminder is due first (the customer hears from that one instead); and
* a passed ``charge_off``, which is regulatory and runs at once.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from arrears.domain.delinquency import days_past_due, local_date, stage_for_dpd
from arrears.domain.strategy import MESSAGES, REMINDERS, Action, Segment, Step, Strategy


def occurrence_key(step_id: str, dpd: int) -> str:
    """A step's key at one DPD: the part of every step key (arrears.contracts.keys.step_key) the ladder owns."""
    return f"{step_id}@{dpd}"


@dataclass(frozen=True)
class Occurrence:
    step: Step
    dpd: int
    order: int  # position of the step in the file: ties at one moment keep file order

    @property
    def key(self) -> str:
        return occurrence_key(self.step.id, self.dpd)


class ScheduledStep(BaseModel):
    """One step an episode will run, at a collection-time moment (UTC)."""

    key: str
    step_id: str
    action: Action
    dpd: int
    due_at: datetime
    template: str | None = None
    catch_up: bool = False
    # Never dropped by a resume or a catch-up (the validation notice, 12 CFR 1006.34): it runs, late if it must.
    required: bool = False


def occurrences(strategy: Strategy, segment: Segment) -> list[Occurrence]:
    found = [
        Occurrence(step=step, dpd=dpd, order=order)
        for order, step in enumerate(strategy.steps)
        if segment in step.segments
        for dpd in step.occurrence_dpds()
    ]
    return sorted(found, key=lambda o: (o.dpd, o.step.at, o.order))


def local_moment(due_date: date, dpd: int, at, timezone: str) -> datetime:
    """The instant of local time ``at`` on day ``dpd`` of the episode, in UTC."""
    day = due_date + timedelta(days=dpd)
    return datetime.combine(day, at, tzinfo=ZoneInfo(timezone)).astimezone(ZoneInfo("UTC"))


def _schedule(occ: Occurrence, due_at: datetime, catch_up: bool = False) -> ScheduledStep:
    return ScheduledStep(
        key=occ.key,
        step_id=occ.step.id,
        action=occ.step.action,
        dpd=occ.dpd,
        due_at=due_at,
        template=occ.step.template_name if occ.step.action in MESSAGES else None,
        catch_up=catch_up,
    )


def initial_plan(
    strategy: Strategy, segment: Segment, due_date: date, timezone: str, start: datetime
) -> list[ScheduledStep]:
    """The pending plan of a new episode that starts at ``start`` (collection time)."""
    pending: list[ScheduledStep] = []
    passed: list[Occurrence] = []
    for occ in occurrences(strategy, segment):
        due_at = local_moment(due_date, occ.dpd, occ.step.at, timezone)
        if due_at >= start:
            pending.append(_schedule(occ, due_at))
        else:
            passed.append(occ)

    catch_ups: list[ScheduledStep] = []
    stage_now = stage_for_dpd(days_past_due(due_date, start, timezone))
    reminders = [o for o in passed if o.step.action in REMINDERS and stage_for_dpd(o.dpd) == stage_now]
    if reminders:
        latest = reminders[-1]
        when = _next_local_time(start, latest.step.at, timezone)
        # Never a stale message: not once the account has moved to another
        # stage, and not when another reminder reaches the customer first.
        same_stage = stage_for_dpd(days_past_due(due_date, when, timezone)) == stage_now
        reminder_first = any(p.action in REMINDERS and p.due_at <= when for p in pending)
        if same_stage and not reminder_first:
            catch_ups.append(_schedule(latest, when, catch_up=True))
    for occ in passed:
        if occ.step.action == Action.CHARGE_OFF:
            catch_ups.append(_schedule(occ, start, catch_up=True))

    return sorted(catch_ups + pending, key=lambda s: s.due_at)


def _next_local_time(start: datetime, at, timezone: str) -> datetime:
    zone = ZoneInfo(timezone)
    local_start = start.astimezone(zone)
    candidate = datetime.combine(local_start.date(), at, tzinfo=zone)
    if candidate < local_start:
        candidate = datetime.combine(local_start.date() + timedelta(days=1), at, tzinfo=zone)
    return candidate.astimezone(ZoneInfo("UTC"))


def resume_plan(pending: list[ScheduledStep], now: datetime) -> list[ScheduledStep]:
    """After a pause: the steps whose time passed meanwhile are not replayed.

    A passed ``charge_off`` stays: it is regulatory and runs at once; so does a
    required step (the validation notice).
    """
    return [s for s in pending if s.due_at >= now or s.action == Action.CHARGE_OFF or s.required]


def stale_steps(pending: list[ScheduledStep], now: datetime, timezone: str) -> list[ScheduledStep]:
    """Steps that missed their local day (the worker was behind): their day has ended in the account's zone.
    Required steps are never stale: they run, however late."""
    today = local_date(now, timezone)
    return [s for s in pending if not s.required and local_date(s.due_at, timezone) < today]


def catch_up(pending: list[ScheduledStep], now: datetime, timezone: str, anchor: date) -> list[ScheduledStep]:
    """After lag, the late-import rule instead of every missed step on one day.

    Of the steps that missed their day, the reminders are skipped except the
    latest one of the current stage, and of every other action (a call, a
    visit, a restriction, a placement...) only the latest is kept: the
    customer hears once, and the account reaches the stage it should be in.
    Required steps are never dropped. What is kept runs now, in due order.
    """
    stale = stale_steps(pending, now, timezone)
    if not stale:
        return pending
    stage_now = stage_for_dpd(days_past_due(anchor, now, timezone))
    keep: set[str] = set()
    reminders = [s for s in stale if s.action in REMINDERS and stage_for_dpd(s.dpd) == stage_now]
    if reminders:
        keep.add(max(reminders, key=lambda s: s.due_at).key)
    for action in {s.action for s in stale if s.action not in REMINDERS}:
        keep.add(max((s for s in stale if s.action == action), key=lambda s: s.due_at).key)
    dropped = {s.key for s in stale} - keep
    # Kept ones keep their moment, so they still go before a later charge-off.
    return [s for s in pending if s.key not in dropped]


def replan_for_segment(
    strategy: Strategy,
    segment: Segment,
    due_date: date,
    timezone: str,
    now: datetime,
    pending: list[ScheduledStep],
) -> list[ScheduledStep]:
    """The ladder from ``now`` on for a new risk segment; steps that are not the
    strategy's own (follow-ups) stay as they are."""
    ladder_ids = {step.id for step in strategy.steps}
    kept = [s for s in pending if s.step_id not in ladder_ids or s.action == Action.CHARGE_OFF]
    kept_keys = {s.key for s in kept}
    future = []
    for occ in occurrences(strategy, segment):
        due_at = local_moment(due_date, occ.dpd, occ.step.at, timezone)
        if due_at >= now and occ.key not in kept_keys:
            future.append(_schedule(occ, due_at))
    return sorted(kept + future, key=lambda s: s.due_at)


def replan_for_strategy(
    old: Strategy,
    new: Strategy,
    segment: Segment,
    due_date: date,
    timezone: str,
    now: datetime,
    pending: list[ScheduledStep],
) -> list[ScheduledStep]:
    """The pending plan after an explicit move to another strategy.

    The old ladder's pending steps go; steps that are not a ladder's own (a
    follow-up call, a callback, the validation notice) stay. The new ladder
    applies from ``now``: its passed steps are not replayed, except a passed
    charge-off, which is regulatory and runs at once (as for a late import).
    """
    old_ids = {step.id for step in old.steps}
    kept = [s for s in pending if s.step_id not in old_ids]
    future = []
    for occ in occurrences(new, segment):
        due_at = local_moment(due_date, occ.dpd, occ.step.at, timezone)
        if due_at >= now:
            future.append(_schedule(occ, due_at))
        elif occ.step.action == Action.CHARGE_OFF:
            future.append(_schedule(occ, now, catch_up=True))
    return sorted(kept + future, key=lambda s: s.due_at)


def replan_for_anchor(
    strategy: Strategy,
    segment: Segment,
    anchor: date,
    timezone: str,
    now: datetime,
    pending: list[ScheduledStep],
) -> list[ScheduledStep]:
    """The ladder from ``now`` on after payments moved DPD to count from a later due date.

    The account is back in an earlier bucket, so the ladder's steps for the DPDs
    ahead apply again from the new anchor (charge-off included: it moves with
    DPD). Their keys carry the anchor, so a step that ran at the same DPD under
    the old anchor is a new step, not a duplicate. Steps that are not the
    ladder's own (follow-ups, callbacks, the validation notice) stay.
    """
    ladder_ids = {step.id for step in strategy.steps}
    kept = [s for s in pending if s.step_id not in ladder_ids]
    future = []
    for occ in occurrences(strategy, segment):
        due_at = local_moment(anchor, occ.dpd, occ.step.at, timezone)
        if due_at >= now:
            step = _schedule(occ, due_at)
            future.append(step.model_copy(update={"key": f"{step.key}~{anchor:%Y%m%d}"}))
    return sorted(kept + future, key=lambda s: s.due_at)
