"""What collectors record, the prior notice of credit reporting, and legal rechecks."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from arrears.domain.delinquency import local_date
from arrears.domain.episode import EffectiveCollectionRecord, Episode
from arrears.domain.ladder import (
    ScheduledStep,
    local_moment,
)
from arrears.domain.outcome import ContactOutcome
from arrears.domain.strategy import Action
from arrears.domain.transitions.terms import Terms, add_step

# ---- collectors' outcomes --------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeApplied:
    effective: str | None  # the register's kind when the contact reached the cardholder
    callback_key: str | None


def log_outcome(
    ep: Episode,
    terms: Terms,
    task_id: int,
    outcome: ContactOutcome,
    met_cardholder: bool | None,
    callback_at: datetime | None,
    now: datetime,
) -> OutcomeApplied:
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
        add_step(
            ep,
            ScheduledStep(
                key=callback_key,
                step_id="callback-requested",
                action=Action.CALL,
                dpd=(day - terms.due_date).days,
                due_at=callback_at,
            ),
        )
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


def legal_recheck_at(
    terms: Terms, step: ScheduledStep, unpaid_from: date | None, checks: int, now: datetime, anchor: date
) -> ScheduledStep | None:
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
    return ScheduledStep(
        key=f"{base}/recheck{checks}", step_id=step.step_id, action=Action.LEGAL, dpd=again_dpd, due_at=again
    )
