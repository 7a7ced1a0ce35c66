"""How an episode's state changes: every transition, as a pure function.

The collection workflow is a shell around these: it validates a request, calls
the transition (which changes the ``Episode`` in place and says what happened),
then writes what happened to the system of record through an activity. The
same functions drive the stateful property tests, so the invariants the tests
prove are the ones the workflow keeps.

Times are collection time (UTC); dates are the account's local dates.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from arrears.domain.agency import AGENCY_CHANNEL, PlacementRecord, commission, placement_end
from arrears.domain.agenda import VALIDATION_NOTICE, AgendaRules, anchor_of
from arrears.domain.clock import EpisodeClock
from arrears.domain.delinquency import Outcome, days_past_due, local_date
from arrears.domain.episode import EffectiveCollectionRecord, Episode, PaymentRecord, SegmentAnswer
from arrears.domain.holds import ContactEffect, HoldRecord, HoldType, hold_expiry
from arrears.domain.ladder import (
    ScheduledStep,
    catch_up,
    initial_plan,
    local_moment,
    replan_for_anchor,
    replan_for_segment,
    replan_for_strategy,
    resume_plan,
)
from arrears.domain.ledger import (
    ChargeEvent,
    Ledger,
    Opening,
    PaymentEvent,
    Posting,
    ReageEvent,
    WaiverEvent,
    WriteOffEvent,
    compute_ledger,
)
from arrears.domain.outcome import ContactOutcome
from arrears.domain.plan import Instalment, InstalmentPlan, due_so_far, is_completed, paid_into
from arrears.domain.promise import PromiseRecord, next_working_day, paid_toward, promise_deadline, raise_segment
from arrears.domain.settlement import SettlementOffer, offer_expiry, settled
from arrears.domain.strategy import Action, Role, Segment, Strategy

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


def start(terms: Terms, episode_id: str, clock: EpisodeClock, segment: Segment, now: datetime,
          economics: bool = True) -> Episode:
    """A new episode: the ladder from now (late-import rule), the validation notice first where the
    preset requires it, and for a late import the restriction and prior notice its DPD has passed."""
    strategy = terms.strategy
    ladder = without_charge_off(initial_plan(strategy, segment, terms.due_date, terms.timezone, now))
    ep = Episode(episode_id=episode_id, clock=clock, overdue_amount=terms.opening_overdue,
                 total_balance=terms.opening_balance, segment=segment, ladder=ladder, economics=economics)
    reached = days_past_due(terms.due_date, now, terms.timezone)
    first: list[ScheduledStep] = []
    policy = strategy.compliance
    if policy is not None and policy.validation_notice_template is not None:
        first.append(ScheduledStep(key=VALIDATION_NOTICE, step_id=VALIDATION_NOTICE, action=Action.LETTER, dpd=reached,
                                   due_at=now, template=policy.validation_notice_template, required=True))
    if economics:
        passed = [s for s in strategy.steps if segment in s.segments and s.dpd < reached]
        restrictions = [s for s in passed if s.action == Action.RESTRICT_CARD]
        if restrictions:
            harshest = max(restrictions, key=lambda s: s.restriction_level)
            first.append(ScheduledStep(key=f"{harshest.id}@{harshest.dpd}", step_id=harshest.id,
                                       action=Action.RESTRICT_CARD, dpd=harshest.dpd, due_at=now, catch_up=True))
        notices = [s for s in passed if s.action == Action.BUREAU_REPORT]
        if notices:
            # The prior notice now, or the account could never be reported.
            step = notices[-1]
            first.append(ScheduledStep(key=f"{step.id}@{step.dpd}", step_id=step.id, action=Action.BUREAU_REPORT,
                                       dpd=step.dpd, due_at=now, catch_up=True))
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


def finish_step(ep: Episode, step: ScheduledStep, done: StepDone, now: datetime,
                slack: timedelta = timedelta(seconds=1)) -> ScheduledStep | None:
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
    add_step(ep, ScheduledStep(key=key, step_id=step_id, action=Action.CALL, dpd=(day - terms.due_date).days,
                           due_at=local_moment(day, 0, terms.strategy.promises.followup_at, terms.timezone)))


def set_segment(ep: Episode, terms: Terms, segment: Segment, now: datetime) -> None:
    """The ladder of another risk tier from now on; passed steps are not replayed."""
    ep.segment = segment
    ep.ladder = without_charge_off(replan_for_segment(terms.strategy, segment, anchor_of(ep, terms.rules),
                                                      terms.timezone, now, ep.ladder))


@dataclass(frozen=True)
class SegmentSet:
    segment: Segment
    previous: Segment
    changed: bool
    overridden: bool  # a model's word that a supervisor's override outranked


def set_risk_segment(ep: Episode, terms: Terms, request_id: str, request: str, segment: Segment | None, source: str,
                     model_version: str | None, reasons: list[str], set_by: str, override: bool,
                     release_override: bool, now: datetime) -> SegmentSet:
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
    answer = SegmentAnswer(request=request, segment=ep.segment, previous=previous, changed=changed,
                           overridden=overridden)
    risk.answers[request_id] = answer
    if len(risk.answers) > 100:  # one request per period: the last hundred are plenty for repeats
        for old in list(risk.answers)[:-100]:
            del risk.answers[old]
    return SegmentSet(ep.segment, previous, changed, overridden)


def change_strategy(ep: Episode, old: Terms, new: Strategy, now: datetime) -> Terms:
    terms = Terms(account_id=old.account_id, currency=old.currency, timezone=old.timezone, due_date=old.due_date,
                  opening_overdue=old.opening_overdue, opening_balance=old.opening_balance, strategy=new)
    ep.ladder = without_charge_off(replan_for_strategy(old.strategy, new, ep.segment, anchor_of(ep, old.rules),
                                                       old.timezone, now, ep.ladder))
    return terms


# ---- the ledger -----------------------------------------------------------------------


def priced(ep: Episode, terms: Terms) -> bool:
    return ep.economics and terms.strategy.pricing is not None


def ledger_of(ep: Episode, terms: Terms, today: date) -> Ledger:
    assert terms.strategy.pricing is not None
    opening = Opening(episode_id=ep.episode_id, currency=terms.currency, due_date=terms.due_date,
                      # The import gives no split: the whole balance bears interest as principal.
                      principal=terms.opening_balance, overdue_minimum=terms.opening_overdue)
    return compute_ledger(opening, terms.strategy.pricing, ep.ledger_events, max(today, terms.due_date))


def owed(ledger: Ledger) -> Decimal:
    """What must be paid to be current: every cycle minimum due by now and still unpaid."""
    return sum((c.unpaid for c in ledger.cycles if c.due_date <= ledger.as_of), ZERO)


def _event_day(terms: Terms, now: datetime) -> date:
    return max(terms.today(now), terms.due_date)


def sync_ledger(ep: Episode, terms: Terms, now: datetime, update_state: bool = True) -> list[Posting]:
    """The postings not yet written, up to today; overdue, balance and the DPD anchor brought up to date.

    Payments that cover whole missed cycles move DPD (and the ladder) to the oldest cycle left; the
    charge-off deadline moves with the anchor (the agenda derives it)."""
    if not priced(ep, terms):
        return []
    ledger = ledger_of(ep, terms, terms.today(now))
    posted = set(ep.posted_keys)
    new = [p for p in ledger.postings if p.posting_key not in posted]
    ep.ledger_synced_on = ledger.as_of
    ep.posted_keys += [p.posting_key for p in new]
    if update_state and ep.outcome is None:
        ep.overdue_amount = owed(ledger)
        ep.total_balance = ledger.balances.total
        oldest = ledger.oldest_unpaid_due
        if oldest is not None and oldest > anchor_of(ep, terms.rules):
            ep.anchor_due = oldest
            ep.ladder = without_charge_off(replan_for_anchor(terms.strategy, ep.segment, oldest, terms.timezone, now,
                                                             ep.ladder))
    return new


def ledger_due(ep: Episode, terms: Terms, now: datetime) -> bool:
    """The ledger is brought up to date once per local day the loop wakes (cycles post at their moment)."""
    return priced(ep, terms) and ep.ledger_synced_on != terms.today(now)


def add_charge(ep: Episode, terms: Terms, charge_id: str, amount: Decimal, what: str, now: datetime) -> None:
    if priced(ep, terms):
        ep.ledger_events.append(ChargeEvent(on=_event_day(terms, now), charge_id=charge_id, amount=amount, what=what))


def write_off_balance(ep: Episode, terms: Terms, reason: str, now: datetime) -> list[Posting]:
    """The balance written off before the episode ends charged_off; returns the postings to write."""
    if ep.written_off is not None:
        return []
    if not priced(ep, terms):
        ep.written_off = ep.total_balance
        return []
    ep.ledger_events.append(WriteOffEvent(on=_event_day(terms, now), write_off_id="charge-off", reason=reason))
    new = sync_ledger(ep, terms, now, update_state=False)
    ledger = ledger_of(ep, terms, terms.today(now))
    posting = next(p for p in ledger.postings if p.posting_key.endswith(":write_off:charge-off"))
    ep.written_off = -posting.amount  # interest to the day included
    ep.total_balance = ep.written_off  # the episode closes with the balance it charged off
    return new


def reaged(ep: Episode, terms: Terms, reage_id: str, approved_by: str, role: Role, reason: str,
           now: datetime) -> list[Posting]:
    """A re-age the record accepted: past-due minimums stop being past due; cured when nothing is owed."""
    today = terms.today(now)
    ep.reages.append(today)
    ep.ledger_events.append(ReageEvent(on=_event_day(terms, now), reage_id=reage_id))
    new = sync_ledger(ep, terms, now)
    if ep.outcome is None and ep.overdue_amount == 0:
        _end(ep, Outcome.CURED, f"re-aged by agreement {reage_id} ({approved_by}, {role.value}): {reason}")
    return new


# ---- payments -----------------------------------------------------------------------------


@dataclass
class PaymentApplied:
    record: PaymentRecord
    fee: Decimal | None = None  # the agency's commission, when the placed agency reported it
    placement: PlacementRecord | None = None
    plan_completed: InstalmentPlan | None = None
    offer_settled: SettlementOffer | None = None
    forgiven: Decimal = ZERO
    postings: list[Posting] = field(default_factory=list)


def apply_payment(ep: Episode, terms: Terms, payment_id: str, amount: Decimal, paid_at: datetime, channel: str,
                  now: datetime) -> PaymentApplied:
    """A payment, allocated by the ledger where the episode is priced; a plan completed, an offer settled or
    the overdue amount paid in full ends the episode."""
    overdue_after = max(ZERO, ep.overdue_amount - amount)
    total_after = max(ZERO, ep.total_balance - amount)
    on = None
    if priced(ep, terms):
        on = _event_day(terms, now)
        ep.ledger_events.append(PaymentEvent(on=on, payment_id=payment_id, amount=amount))
        ledger = ledger_of(ep, terms, terms.today(now))
        overdue_after, total_after = owed(ledger), ledger.balances.total
    record = PaymentRecord(payment_id=payment_id, amount=amount, paid_at=paid_at, channel=channel,
                           overdue_after=overdue_after, total_after=total_after, dpd=dpd(ep, terms, now), on=on)
    ep.payments[payment_id] = record
    ep.overdue_amount, ep.total_balance = overdue_after, total_after
    applied = PaymentApplied(record=record)
    placement = ep.placement
    if placement is not None and channel == AGENCY_CHANNEL:
        # Reported by the agency holding the account: it earns its commission, and the period counts as worked.
        applied.fee = commission(amount, placement.commission_percent, terms.currency)
        applied.placement = placement
        placement.period_payments += 1
        placement.collected += amount
        placement.commission += applied.fee
    plan = ep.plan
    if plan is not None and is_completed(plan, ep.paid_total):
        # The last instalment: what the plan waived is waived, and the account is current.
        ep.overdue_amount = ZERO
        ep.total_balance = max(ZERO, total_after - plan.fee_waiver)
        if priced(ep, terms) and plan.fee_waiver > 0:
            ep.ledger_events.append(WaiverEvent(on=_event_day(terms, now), waiver_id=plan.plan_id,
                                                amount=plan.fee_waiver))
        applied.plan_completed = plan
        _end(ep, Outcome.CURED, f"instalment plan {plan.plan_id} completed with payment {payment_id}")
    offer = ep.offer
    if offer is not None and settled(offer, ep.paid_total):
        # Paid as offered: the rest of the balance is forgiven and the episode ends.
        applied.forgiven = max(ZERO, offer.balance_at_offer - (ep.paid_total - offer.paid_before))
        offer.status = "paid"
        ep.open_offer = None
        if priced(ep, terms):
            ep.ledger_events.append(WriteOffEvent(on=_event_day(terms, now), write_off_id=f"settlement-{offer.offer_id}",
                                                  reason=f"settled by offer {offer.offer_id}"))
        ep.overdue_amount = ep.total_balance = ZERO
        applied.offer_settled = offer
        _end(ep, Outcome.SETTLED, f"settled by offer {offer.offer_id} with payment {payment_id} at DPD {record.dpd}; "
                                  f"forgiven {applied.forgiven} {terms.currency}")
    elif overdue_after == 0 and applied.plan_completed is None and ep.outcome is None:
        _end(ep, Outcome.PAID_ON_TIME if record.dpd <= 0 else Outcome.CURED,
             f"overdue amount paid in full by payment {payment_id} at DPD {record.dpd}")
    applied.postings = sync_ledger(ep, terms, now)
    if applied.plan_completed is not None:
        end_plan(ep, plan, "completed", f"last instalment paid by {payment_id}", now)  # type: ignore[arg-type]
    return applied


def _end(ep: Episode, outcome: Outcome, reason: str, by: str | None = None) -> None:
    if ep.outcome is None:
        ep.outcome, ep.outcome_reason, ep.closed_by = outcome, reason, by


def close(ep: Episode, reason: str, operator_id: str) -> None:
    _end(ep, Outcome.CLOSED, reason.strip(), operator_id.strip())


def charged_off(ep: Episode, step_key: str, dpd_now: int, step_id: str) -> None:
    ep.charged_off_step = step_key
    _end(ep, Outcome.CHARGED_OFF, f"charged off at DPD {dpd_now} by strategy step {step_id}")


# ---- promises, offers, plans ---------------------------------------------------------------


def make_promise(ep: Episode, terms: Terms, promise_id: str, amount: Decimal, promised_date: date, collector_id: str,
                 channel: str, note: str, supervisor_id: str | None, replace: bool,
                 now: datetime) -> tuple[PromiseRecord, str | None]:
    """A promise pauses escalation until its deadline. Returns it and the promise it replaced."""
    replaces = ep.active_promise if replace else None
    if replaces is not None:
        ep.promises[replaces].status = "replaced"
        ep.replaced_promises += 1
    record = PromiseRecord(promise_id=promise_id, amount=amount, promised_date=promised_date,
                           collector_id=collector_id.strip(), channel=channel, note=note, supervisor_id=supervisor_id,
                           made_at=now, made_dpd=dpd(ep, terms, now), paid_before=ep.paid_total,
                           deadline=promise_deadline(promised_date, terms.strategy.promises.grace_days, terms.timezone))
    ep.promises[promise_id] = record
    ep.active_promise = promise_id
    return record, replaces


def judge_promise(ep: Episode, terms: Terms, promise: PromiseRecord, now: datetime) -> None:
    """At its deadline (or once paid): kept, or broken with a follow-up call; the ladder resumes at today's DPD.
    The broken-promise limit moves the account up a risk tier."""
    kept = paid_toward(promise, ep.paid_total) >= promise.amount
    promise.status = "kept" if kept else "broken"
    ep.active_promise = None
    resume(ep, now)
    if not kept:
        ep.broken_promises += 1
        if ep.broken_promises == terms.strategy.promises.broken_limit and ep.risk.override_by is None:
            # (a supervisor's override holds the segment against this rule too)
            set_segment(ep, terms, raise_segment(ep.segment), now)
            ep.risk.source, ep.risk.reasons = "broken_promises", [f"broken_promises={ep.broken_promises}"]
            ep.risk.changed_at, ep.risk.changed_at_dpd = now, dpd(ep, terms, now)
        followup_call(ep, terms, f"broken-promise-{promise.promise_id}", "broken-promise-followup", now)


def cancel_promise(ep: Episode, promise: PromiseRecord, status: str = "cancelled") -> None:
    promise.status = status
    ep.active_promise = None


def make_offer(ep: Episode, terms: Terms, offer_id: str, amount: Decimal, expires_on: date, approved_by: str,
               approver_role: Role, replace: bool, now: datetime) -> tuple[SettlementOffer, str | None]:
    replaces = ep.open_offer if replace else None
    if replaces is not None:
        ep.settlements[replaces].status = "replaced"
    offer = SettlementOffer(offer_id=offer_id, amount=amount, expires_on=expires_on, approved_by=approved_by.strip(),
                            approver_role=approver_role, balance_at_offer=ep.total_balance, paid_before=ep.paid_total,
                            made_at=now, expires_at=offer_expiry(expires_on, terms.timezone))
    ep.settlements[offer_id] = offer
    ep.open_offer = offer_id
    return offer, replaces


def end_offer(ep: Episode, offer: SettlementOffer, status: str, now: datetime, resume_ladder: bool = True) -> None:
    offer.status = status
    ep.open_offer = None
    if resume_ladder:
        resume(ep, now)


def plan_schedule(terms: Terms, instalments: list[Instalment], down_payment: Decimal, now: datetime) -> list[Instalment]:
    down = [Instalment(due_date=terms.today(now), amount=down_payment)] if down_payment > 0 else []
    return down + list(instalments)


def agree_plan(ep: Episode, terms: Terms, plan_id: str, instalments: list[Instalment], fee_waiver: Decimal,
               rate_discount_percent: Decimal, approved_by: str, approver_role: Role,
               now: datetime) -> tuple[InstalmentPlan, PromiseRecord | None]:
    """A plan pauses escalation while its instalments are met; it replaces a running promise."""
    plan = InstalmentPlan(plan_id=plan_id, instalments=instalments, fee_waiver=fee_waiver,
                          rate_discount_percent=rate_discount_percent, approved_by=approved_by.strip(),
                          approver_role=approver_role, paid_before=ep.paid_total, made_at=now)
    ep.plans[plan_id] = plan
    ep.active_plan = plan_id
    superseded = ep.promise
    if superseded is not None:
        cancel_promise(ep, superseded, "replaced")
    return plan, superseded


def judge_instalment(ep: Episode, terms: Terms, plan: InstalmentPlan, now: datetime) -> bool:
    """An instalment's grace has run out: met (True), or the plan is broken with a follow-up call."""
    if paid_into(plan, ep.paid_total) >= due_so_far(plan, plan.judged + 1):
        plan.judged += 1
        return True
    due = plan.instalments[plan.judged]
    end_plan(ep, plan, "broken", f"instalment of {due.amount} due {due.due_date} was not paid", now)
    followup_call(ep, terms, f"broken-plan-{plan.plan_id}", "broken-plan-followup", now)
    return False


def end_plan(ep: Episode, plan: InstalmentPlan, status: str, reason: str, now: datetime) -> None:
    plan.status, plan.status_reason = status, reason
    ep.active_plan = None
    if status != "completed":
        resume(ep, now)  # back to the ladder at today's DPD; the plan's time is not replayed


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
        return placement, (f"recalled: {placement.agency_id} reported no payment in the {placement.placement_days}-day "
                           f"period ending {period_end:%Y-%m-%d %H:%M} UTC")
    placement.status = "renewed"
    placement.renewals += 1
    placement.ends_at = placement_end(period_end, placement.placement_days, terms.timezone)
    reason = (f"renewed ({placement.renewals}): {placement.agency_id} reported {placement.period_payments} "
              f"payment(s) in the period ending {period_end:%Y-%m-%d %H:%M} UTC")
    placement.period_payments = 0
    return placement, reason


def recall_placement(ep: Episode, status: str = "recalled") -> PlacementRecord | None:
    placement = ep.placement
    if placement is not None:
        placement.status = status
        ep.placement = None
    return placement


# ---- holds ----------------------------------------------------------------------------------


def new_hold(ep: Episode, terms: Terms, hold_id: str, hold_type: HoldType, reason: str, evidence_ref: str,
             placed_by: str, channel: str | None, days: int | None, now: datetime) -> HoldRecord:
    """The hold takes effect at once: the loop and any later update see it before it is on record."""
    hold = HoldRecord(
        hold_id=hold_id, hold_type=hold_type, reason=reason.strip(), evidence_ref=evidence_ref.strip(),
        placed_by=placed_by.strip(), channel=channel, days=days, placed_at=now,
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


def end_hold(ep: Episode, hold: HoldRecord, status: str, resolution: str | None, released_by: str | None,
             now: datetime) -> None:
    """Released or expired; the last hold on escalation ending resumes the ladder (passed steps not replayed)."""
    hold.status, hold.resolution, hold.released_by, hold.released_at = status, resolution, released_by, now
    if hold.hold_type == HoldType.DISPUTE and resolution == "upheld":
        # The customer was right: the debt as collected is not owed, so collection must not resume.
        _end(ep, Outcome.CLOSED, f"dispute {hold.hold_id} upheld: the debt as collected is not owed", released_by)
    if hold.rule.pauses_escalation and not ep.pausing_holds():
        resume(ep, now)


# ---- collectors' outcomes --------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeApplied:
    effective: str | None  # the register's kind when the contact reached the cardholder
    callback_key: str | None


def log_outcome(ep: Episode, terms: Terms, task_id: int, outcome: ContactOutcome, met_cardholder: bool | None,
                callback_at: datetime | None, now: datetime) -> OutcomeApplied:
    """A collector's outcome: the task is done, a contact that reached the cardholder enters the register,
    a callback the customer asked for is scheduled at the time agreed."""
    ep.tasks_done.append(task_id)
    kind = ep.tasks.get(task_id)
    effective = None
    if kind == Action.VISIT.value and met_cardholder:
        effective = "visit_met"
    elif kind == Action.CALL.value and outcome == ContactOutcome.RIGHT_PARTY_CONTACT:
        effective = "right_party_contact"
    if effective is not None:
        ep.effective_collections.append(EffectiveCollectionRecord(kind=effective, occurred_at=now, task_id=task_id))
    callback_key = None
    if outcome == ContactOutcome.CALLBACK_REQUESTED and callback_at is not None:
        day = local_date(callback_at, terms.timezone)
        callback_key = f"callback-{task_id}"
        add_step(ep, ScheduledStep(key=callback_key, step_id="callback-requested", action=Action.CALL,
                               dpd=(day - terms.due_date).days, due_at=callback_at))
    return OutcomeApplied(effective=effective, callback_key=callback_key)


# ---- the prior notice and the blacklist ---------------------------------------------------------

NOTICE_RETRY_DAYS = 7


def notice_sent(ep: Episode, result: str, sent_on: date | None, attempt: int, created: bool) -> None:
    if created or attempt == 1:
        ep.bureau_notice_attempts = max(ep.bureau_notice_attempts, attempt)
        ep.bureau_notice_on, ep.bureau_notice_result = sent_on, result


def schedule_notice_retry(ep: Episode, step_id: str | None, posted: bool, today: date) -> None:
    """A notice that was not posted is tried again weekly until one posts."""
    if step_id is not None:
        ep.bureau_notice_step = step_id
    ep.bureau_notice_retry_at = None
    ep.bureau_notice_retry_on = None if posted else today + timedelta(days=NOTICE_RETRY_DAYS)


def legal_recheck_at(terms: Terms, step: ScheduledStep, unpaid_from: date | None, checks: int, now: datetime,
                     anchor: date) -> ScheduledStep | None:
    """When to look at the legal criteria again: after the strategy's interval, not before the unpaid
    months can have run; none once that is past the charge-off."""
    again = now + timedelta(days=terms.strategy.legal_recheck.every_days)
    if unpaid_from is not None:
        definition = next((s for s in terms.strategy.steps if s.id == step.step_id), None)
        at = definition.at if definition is not None else time(9, 30)
        again = max(again, local_moment(unpaid_from, 0, at, terms.timezone))
    again_dpd = (local_date(again, terms.timezone) - anchor).days
    charge_off = terms.rules.charge_off.dpd
    if again_dpd >= charge_off:
        return None
    base = step.key.split("/recheck", 1)[0]
    return ScheduledStep(key=f"{base}/recheck{checks}", step_id=step.step_id, action=Action.LEGAL, dpd=again_dpd,
                         due_at=again)
