"""What the customer agrees: promises to pay, settlement offers, instalment plans."""

from datetime import date, datetime
from decimal import Decimal

from arrears.domain.episode import Episode
from arrears.domain.plan import Instalment, InstalmentPlan, due_so_far, paid_into
from arrears.domain.promise import PromiseRecord, paid_toward, promise_deadline, raise_segment
from arrears.domain.settlement import SettlementOffer, offer_expiry
from arrears.domain.strategy import Role
from arrears.domain.transitions.terms import Terms, dpd, followup_call, resume, set_segment

# ---- promises, offers, plans ---------------------------------------------------------------


def make_promise(
    ep: Episode,
    terms: Terms,
    promise_id: str,
    amount: Decimal,
    promised_date: date,
    collector_id: str,
    channel: str,
    note: str,
    supervisor_id: str | None,
    replace: bool,
    now: datetime,
) -> tuple[PromiseRecord, str | None]:
    """A promise pauses escalation until its deadline. Returns it and the promise it replaced."""
    replaces = ep.active_promise if replace else None
    if replaces is not None:
        ep.promises[replaces].status = "replaced"
        ep.replaced_promises += 1
    record = PromiseRecord(
        promise_id=promise_id,
        amount=amount,
        promised_date=promised_date,
        collector_id=collector_id.strip(),
        channel=channel,
        note=note,
        supervisor_id=supervisor_id,
        made_at=now,
        made_dpd=dpd(ep, terms, now),
        paid_before=ep.paid_total,
        deadline=promise_deadline(promised_date, terms.strategy.promises.grace_days, terms.timezone),
    )
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


def make_offer(
    ep: Episode,
    terms: Terms,
    offer_id: str,
    amount: Decimal,
    expires_on: date,
    approved_by: str,
    approver_role: Role,
    replace: bool,
    now: datetime,
) -> tuple[SettlementOffer, str | None]:
    replaces = ep.open_offer if replace else None
    if replaces is not None:
        ep.settlements[replaces].status = "replaced"
    offer = SettlementOffer(
        offer_id=offer_id,
        amount=amount,
        expires_on=expires_on,
        approved_by=approved_by.strip(),
        approver_role=approver_role,
        balance_at_offer=ep.total_balance,
        paid_before=ep.paid_total,
        made_at=now,
        expires_at=offer_expiry(expires_on, terms.timezone),
    )
    ep.settlements[offer_id] = offer
    ep.open_offer = offer_id
    return offer, replaces


def end_offer(ep: Episode, offer: SettlementOffer, status: str, now: datetime, resume_ladder: bool = True) -> None:
    offer.status = status
    ep.open_offer = None
    if resume_ladder:
        resume(ep, now)


def plan_schedule(
    terms: Terms, instalments: list[Instalment], down_payment: Decimal, now: datetime
) -> list[Instalment]:
    down = [Instalment(due_date=terms.today(now), amount=down_payment)] if down_payment > 0 else []
    return down + list(instalments)


def agree_plan(
    ep: Episode,
    terms: Terms,
    plan_id: str,
    instalments: list[Instalment],
    fee_waiver: Decimal,
    rate_discount_percent: Decimal,
    approved_by: str,
    approver_role: Role,
    now: datetime,
) -> tuple[InstalmentPlan, PromiseRecord | None]:
    """A plan pauses escalation while its instalments are met; it replaces a running promise."""
    plan = InstalmentPlan(
        plan_id=plan_id,
        instalments=instalments,
        fee_waiver=fee_waiver,
        rate_discount_percent=rate_discount_percent,
        approved_by=approved_by.strip(),
        approver_role=approver_role,
        paid_before=ep.paid_total,
        made_at=now,
    )
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
