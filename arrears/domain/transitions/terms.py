"""The episode's terms (its strategy, clock and rules) and how an episode starts and walks its ladder."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from arrears.domain.agenda import VALIDATION_NOTICE, AgendaRules, anchor_of
from arrears.domain.clock import EpisodeClock
from arrears.domain.delinquency import days_past_due, local_date
from arrears.domain.episode import Episode, SegmentAnswer
from arrears.domain.holds import HoldType
from arrears.domain.ladder import (
    ScheduledStep,
    catch_up,
    initial_plan,
    local_moment,
    replan_for_segment,
    replan_for_strategy,
    resume_plan,
)
from arrears.domain.outcome import ContactOutcome
from arrears.domain.promise import next_working_day
from arrears.domain.strategy import Action, Segment, Strategy

ZERO = Decimal(0)
# Holds a collector's outcome places, and the prefix of their ids (reserved for them).
OUTCOME_HOLDS = {ContactOutcome.DISPUTE_RAISED: HoldType.DISPUTE, ContactOutcome.HARDSHIP_CLAIMED: HoldType.HARDSHIP}
OUTCOME_HOLD_PREFIX = "outcome-"
# A deferral to a moment that is not in the future (a gate that names "now") still waits this long:
# a deferred step never runs back to back.
MIN_DEFERRAL = timedelta(minutes=15)


@dataclass(frozen=True)
class Terms:
    """The episode's fixed terms: the import's figures and the strategy it runs."""

    account_id: str
    currency: str
    timezone: str
    due_date: date  # the imported due date
    opening_overdue: Decimal
    opening_balance: Decimal
    strategy: Strategy

    @property
    def rules(self) -> AgendaRules:
        return AgendaRules.of(self.strategy, self.timezone, self.due_date)

    def today(self, now: datetime) -> date:
        return local_date(now, self.timezone)


def without_charge_off(steps: list[ScheduledStep]) -> list[ScheduledStep]:
    """The charge-off is a deadline the agenda derives, never a ladder entry."""
    return [s for s in steps if s.action != Action.CHARGE_OFF]


def dpd(ep: Episode, terms: Terms, now: datetime) -> int:
    return days_past_due(anchor_of(ep, terms.rules), now, terms.timezone)


# ---- the start ---------------------------------------------------------------------


def start(
    terms: Terms, episode_id: str, clock: EpisodeClock, segment: Segment, now: datetime, economics: bool = True
) -> Episode:
    """A new episode: the ladder from now (late-import rule), the validation notice first where the
    preset requires it, and for a late import the restriction and prior notice its DPD has passed."""
    strategy = terms.strategy
    ladder = without_charge_off(initial_plan(strategy, segment, terms.due_date, terms.timezone, now))
    ep = Episode(
        episode_id=episode_id,
        clock=clock,
        overdue_amount=terms.opening_overdue,
        total_balance=terms.opening_balance,
        segment=segment,
        ladder=ladder,
        economics=economics,
    )
    reached = days_past_due(terms.due_date, now, terms.timezone)
    first: list[ScheduledStep] = []
    policy = strategy.compliance
    if policy is not None and policy.validation_notice_template is not None:
        first.append(
            ScheduledStep(
                key=VALIDATION_NOTICE,
                step_id=VALIDATION_NOTICE,
                action=Action.LETTER,
                dpd=reached,
                due_at=now,
                template=policy.validation_notice_template,
                required=True,
            )
        )
    if economics:
        passed = [s for s in strategy.steps if segment in s.segments and s.dpd < reached]
        restrictions = [s for s in passed if s.action == Action.RESTRICT_CARD]
        if restrictions:
            harshest = max(restrictions, key=lambda s: s.restriction_level)
            first.append(
                ScheduledStep(
                    key=f"{harshest.id}@{harshest.dpd}",
                    step_id=harshest.id,
                    action=Action.RESTRICT_CARD,
                    dpd=harshest.dpd,
                    due_at=now,
                    catch_up=True,
                )
            )
        notices = [s for s in passed if s.action == Action.BUREAU_REPORT]
        if notices:
            # The prior notice now, or the account could never be reported.
            step = notices[-1]
            first.append(
                ScheduledStep(
                    key=f"{step.id}@{step.dpd}",
                    step_id=step.id,
                    action=Action.BUREAU_REPORT,
                    dpd=step.dpd,
                    due_at=now,
                    catch_up=True,
                )
            )
    ep.ladder = _sorted(first + ladder)
    return ep


def _sorted(steps: list[ScheduledStep]) -> list[ScheduledStep]:
    return sorted(steps, key=lambda s: s.due_at)  # stable: ties keep their order


def add_step(ep: Episode, step: ScheduledStep) -> None:
    """Into the ladder at its moment (a step of the same key is replaced)."""
    ep.ladder = _sorted([s for s in ep.ladder if s.key != step.key] + [step])


# ---- the ladder ------------------------------------------------------------------------


def apply_catch_up(ep: Episode, terms: Terms, now: datetime) -> list[str]:
    """The worker was behind: the late-import rule instead of every missed step at once. Returns the dropped keys."""
    before = {s.key for s in ep.ladder}
    ep.ladder = catch_up(ep.ladder, now, terms.timezone, anchor_of(ep, terms.rules))
    dropped = sorted(before - {s.key for s in ep.ladder})
    ep.steps_skipped += len(dropped)
    return dropped


def begin_step(ep: Episode, step: ScheduledStep) -> None:
    ep.in_flight = step.key


@dataclass(frozen=True)
class StepDone:
    kind: str  # contact | task | account_action | suppressed | deferred | placement | restriction | notice | legal
    channel: str = ""
    record_id: int | None = None
    deferred_until: datetime | None = None


def finish_step(
    ep: Episode, step: ScheduledStep, done: StepDone, now: datetime, slack: timedelta = timedelta(seconds=1)
) -> ScheduledStep | None:
    """The step's activity has answered. The step leaves the ladder by its key (a replan while it ran may
    have removed it already: it completed, it is not run again). A deferral puts it back at the gate's
    moment, never sooner than MIN_DEFERRAL (or twice the loop's slack) from now, unless a replan superseded
    it meanwhile: a deferred step cannot run back to back. Returns the deferred step when there is one."""
    ep.in_flight = None
    still_planned = any(s.key == step.key for s in ep.ladder)
    ep.ladder = [s for s in ep.ladder if s.key != step.key]
    if done.kind == "deferred":
        if not still_planned:
            return None
        at = max(done.deferred_until or now, now + max(MIN_DEFERRAL, 2 * slack))
        later = step.model_copy(update={"due_at": at})
        add_step(ep, later)
        ep.deferrals[step.key] = ep.deferrals.get(step.key, 0) + 1
        return later
    ep.deferrals.pop(step.key, None)
    ep.steps_done += 1
    if done.kind == "contact":
        ep.contacts_by_channel[done.channel] = ep.contacts_by_channel.get(done.channel, 0) + 1
    elif done.kind == "task" and done.record_id is not None:
        ep.tasks[done.record_id] = done.channel
    return None


def resume(ep: Episode, now: datetime) -> None:
    """A pause ended: the steps whose time passed meanwhile are not replayed (required ones stay)."""
    ep.ladder = without_charge_off(resume_plan(ep.ladder, now))


def followup_call(ep: Episode, terms: Terms, key: str, step_id: str, now: datetime) -> None:
    """A collector call on the next working day, at the strategy's follow-up time."""
    day = next_working_day(terms.today(now))
    add_step(
        ep,
        ScheduledStep(
            key=key,
            step_id=step_id,
            action=Action.CALL,
            dpd=(day - terms.due_date).days,
            due_at=local_moment(day, 0, terms.strategy.promises.followup_at, terms.timezone),
        ),
    )


def set_segment(ep: Episode, terms: Terms, segment: Segment, now: datetime) -> None:
    """The ladder of another risk tier from now on; passed steps are not replayed."""
    ep.segment = segment
    ep.ladder = without_charge_off(
        replan_for_segment(terms.strategy, segment, anchor_of(ep, terms.rules), terms.timezone, now, ep.ladder)
    )


@dataclass(frozen=True)
class SegmentSet:
    segment: Segment
    previous: Segment
    changed: bool
    overridden: bool  # a model's word that a supervisor's override outranked


def set_risk_segment(
    ep: Episode,
    terms: Terms,
    request_id: str,
    request: str,
    segment: Segment | None,
    source: str,
    model_version: str | None,
    reasons: list[str],
    set_by: str,
    override: bool,
    release_override: bool,
    now: datetime,
) -> SegmentSet:
    """A rescore or a supervisor sets the segment: the ladder follows the new tier from today's DPD on (passed
    steps are not replayed). A supervisor's override wins over the model until it is released; a release
    without a segment goes back to the model's latest word."""
    risk, previous = ep.risk, ep.segment
    target, overridden = previous, False
    if source == "model":
        risk.model_segment, risk.model_latest, risk.model_reasons = segment, model_version, list(reasons)
        if risk.override_by is not None:
            overridden = True
        else:
            target = segment or previous
    elif release_override:
        risk.override_by = None
        target = segment or risk.model_segment or previous
    else:
        target = segment or previous
        if override:
            risk.override_by = set_by
    changed = target != previous
    if changed:
        set_segment(ep, terms, target, now)
    if changed or source == "supervisor":
        from_model = source == "model" or (release_override and segment is None and risk.model_segment is not None)
        risk.source = "model" if from_model else "supervisor"
        risk.model_version = risk.model_latest if from_model else None
        risk.reasons = list(risk.model_reasons if from_model and source != "model" else reasons)
        risk.changed_at, risk.changed_at_dpd = now, dpd(ep, terms, now)
    elif source == "model" and not overridden:
        risk.model_version, risk.reasons = model_version, list(reasons)
    answer = SegmentAnswer(
        request=request, segment=ep.segment, previous=previous, changed=changed, overridden=overridden
    )
    risk.answers[request_id] = answer
    if len(risk.answers) > 100:  # one request per period: the last hundred are plenty for repeats
        for old in list(risk.answers)[:-100]:
            del risk.answers[old]
    return SegmentSet(ep.segment, previous, changed, overridden)


def change_strategy(ep: Episode, old: Terms, new: Strategy, now: datetime) -> Terms:
    terms = Terms(
        account_id=old.account_id,
        currency=old.currency,
        timezone=old.timezone,
        due_date=old.due_date,
        opening_overdue=old.opening_overdue,
        opening_balance=old.opening_balance,
        strategy=new,
    )
    ep.ladder = without_charge_off(
        replan_for_strategy(old.strategy, new, ep.segment, anchor_of(ep, old.rules), old.timezone, now, ep.ladder)
    )
    return terms
