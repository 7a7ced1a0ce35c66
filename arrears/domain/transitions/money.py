"""Money on an episode: its ledger (interest, fees, charges, re-ages, write-off), payments, and how it ends."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from arrears.domain.agency import AGENCY_CHANNEL, PlacementRecord, commission
from arrears.domain.agenda import anchor_of
from arrears.domain.delinquency import Outcome
from arrears.domain.episode import Episode, PaymentRecord
from arrears.domain.ladder import (
    replan_for_anchor,
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
from arrears.domain.plan import InstalmentPlan, is_completed
from arrears.domain.settlement import SettlementOffer, settled
from arrears.domain.strategy import Role
from arrears.domain.transitions.arrangements import end_plan
from arrears.domain.transitions.terms import ZERO, Terms, dpd, without_charge_off

# ---- the ledger -----------------------------------------------------------------------


def priced(ep: Episode, terms: Terms) -> bool:
    return ep.economics and terms.strategy.pricing is not None


def ledger_of(ep: Episode, terms: Terms, today: date) -> Ledger:
    assert terms.strategy.pricing is not None
    opening = Opening(
        episode_id=ep.episode_id,
        currency=terms.currency,
        due_date=terms.due_date,
        # The import gives no split: the whole balance bears interest as principal.
        principal=terms.opening_balance,
        overdue_minimum=terms.opening_overdue,
    )
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
            ep.ladder = without_charge_off(
                replan_for_anchor(terms.strategy, ep.segment, oldest, terms.timezone, now, ep.ladder)
            )
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


def reaged(
    ep: Episode, terms: Terms, reage_id: str, approved_by: str, role: Role, reason: str, now: datetime
) -> list[Posting]:
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


def apply_payment(
    ep: Episode, terms: Terms, payment_id: str, amount: Decimal, paid_at: datetime, channel: str, now: datetime
) -> PaymentApplied:
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
    record = PaymentRecord(
        payment_id=payment_id,
        amount=amount,
        paid_at=paid_at,
        channel=channel,
        overdue_after=overdue_after,
        total_after=total_after,
        dpd=dpd(ep, terms, now),
        on=on,
    )
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
            ep.ledger_events.append(
                WaiverEvent(on=_event_day(terms, now), waiver_id=plan.plan_id, amount=plan.fee_waiver)
            )
        applied.plan_completed = plan
        _end(ep, Outcome.CURED, f"instalment plan {plan.plan_id} completed with payment {payment_id}")
    offer = ep.offer
    if offer is not None and settled(offer, ep.paid_total):
        # Paid as offered: the rest of the balance is forgiven and the episode ends.
        applied.forgiven = max(ZERO, offer.balance_at_offer - (ep.paid_total - offer.paid_before))
        offer.status = "paid"
        ep.open_offer = None
        if priced(ep, terms):
            ep.ledger_events.append(
                WriteOffEvent(
                    on=_event_day(terms, now),
                    write_off_id=f"settlement-{offer.offer_id}",
                    reason=f"settled by offer {offer.offer_id}",
                )
            )
        ep.overdue_amount = ep.total_balance = ZERO
        applied.offer_settled = offer
        _end(
            ep,
            Outcome.SETTLED,
            f"settled by offer {offer.offer_id} with payment {payment_id} at DPD {record.dpd}; "
            f"forgiven {applied.forgiven} {terms.currency}",
        )
    elif overdue_after == 0 and applied.plan_completed is None and ep.outcome is None:
        _end(
            ep,
            Outcome.PAID_ON_TIME if record.dpd <= 0 else Outcome.CURED,
            f"overdue amount paid in full by payment {payment_id} at DPD {record.dpd}",
        )
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
