"""An account's statement: the ledger recomputed from the record, beside what was posted.

Reads the episode's opening position and its dated events (payments, plans'
fee waivers and rate discounts, paid settlements' forgiven rest, charge-off,
re-ages), runs the pure computation for a date, and compares it with the
postings the ledger activity wrote. Only reads.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.db.models import Account, AccountAction, Episode, LedgerPosting, Payment, Plan, Reage, Settlement
from arrears.domain.delinquency import local_date
from arrears.domain.ledger import (
    Ledger,
    LedgerEvent,
    Opening,
    PaymentEvent,
    RateDiscountEvent,
    ReageEvent,
    WaiverEvent,
    WriteOffEvent,
    compute_ledger,
    fmt,
)
from arrears.domain.money import minor_units
from arrears.domain.pricing import Pricing
from arrears.domain.reage import reage_counts


class StatementError(LookupError):
    """No episode to state; the message says what is missing."""


@dataclass
class Statement:
    account_id: str
    timezone: str
    episode: Episode
    ledger: Ledger
    reages_12_months: int
    reages_5_years: int
    # Posted keys whose amounts differ from the recomputation, and recomputed postings not posted yet.
    differing: list[str] = field(default_factory=list)
    not_posted: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _exact(amount: Decimal, currency: str) -> Decimal:
    # NUMERIC(20, 4) reads back as 100.0000: back to the currency's minor units for the arithmetic and the text.
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)))


def episode_for(session: Session, account_id: str, episode_id: str | None = None) -> Episode:
    stmt = select(Episode).where(Episode.account_id == account_id)
    if episode_id:
        stmt = stmt.where(Episode.episode_id == episode_id)
    episode = session.scalars(stmt.order_by(Episode.started_at.desc())).first()
    if episode is None:
        raise StatementError(f"account {account_id} has no episode{f' {episode_id}' if episode_id else ''} on record")
    return episode


def ledger_inputs(session: Session, episode: Episode, timezone: str) -> tuple[Opening, list[LedgerEvent]]:
    """The episode's opening position and its events, in the order they happened."""
    cur = episode.currency
    opening = Opening(
        episode_id=episode.episode_id,
        currency=cur,
        due_date=episode.due_date,
        # The import gives one balance, not its split: all of it is taken as principal.
        principal=_exact(episode.opening_balance, cur),
        overdue_minimum=_exact(episode.opening_overdue, cur),
    )
    dated: list[tuple[date, datetime, LedgerEvent]] = []

    def add(moment: datetime, make) -> None:
        day = max(local_date(moment, timezone), episode.due_date)
        dated.append((day, moment, make(day)))

    ep = episode.episode_id
    for p in session.scalars(select(Payment).where(Payment.episode_id == ep)):
        add(p.paid_at, lambda d, p=p: PaymentEvent(on=d, payment_id=p.payment_id, amount=_exact(p.amount, cur)))
    for plan in session.scalars(select(Plan).where(Plan.episode_id == ep)):
        if plan.fee_waiver > 0:
            add(
                plan.made_at,
                lambda d, pl=plan: WaiverEvent(on=d, waiver_id=pl.plan_id, amount=_exact(pl.fee_waiver, cur)),
            )
        if plan.rate_discount_percent > 0:
            add(
                plan.made_at,
                lambda d, pl=plan: RateDiscountEvent(on=d, plan_id=pl.plan_id, percent=pl.rate_discount_percent),
            )
            if plan.status in ("broken", "cancelled") and plan.resolved_at is not None:
                add(
                    plan.resolved_at, lambda d, pl=plan: RateDiscountEvent(on=d, plan_id=pl.plan_id, percent=Decimal(0))
                )
    for s in session.scalars(select(Settlement).where(Settlement.episode_id == ep, Settlement.status == "paid")):
        if s.forgiven and s.forgiven > 0 and s.resolved_at is not None:
            add(
                s.resolved_at,
                lambda d, s=s: WriteOffEvent(
                    on=d,
                    write_off_id=f"settlement-{s.offer_id}",
                    reason=f"settlement {s.offer_id} paid; the rest forgiven",
                ),
            )
    for a in session.scalars(
        select(AccountAction).where(AccountAction.episode_id == ep, AccountAction.action == "charge_off")
    ):
        add(
            a.executed_at,
            lambda d, a=a: WriteOffEvent(on=d, write_off_id="charge-off", reason=f"charge-off at DPD {a.dpd}"),
        )
    for r in session.scalars(select(Reage).where(Reage.episode_id == ep)):
        dated.append((r.reaged_on, r.recorded_at, ReageEvent(on=r.reaged_on, reage_id=r.reage_id)))
    dated.sort(key=lambda item: (item[0], item[1]))
    return opening, [event for _, _, event in dated]


def statement(
    session: Session, account_id: str, as_of: date, pricing: Pricing, episode_id: str | None = None
) -> Statement:
    account = session.get(Account, account_id)
    if account is None:
        raise StatementError(f"account {account_id} is not in the system of record")
    episode = episode_for(session, account_id, episode_id)
    if as_of < episode.due_date:
        raise StatementError(f"{as_of} is before the episode's due date {episode.due_date}")
    opening, events = ledger_inputs(session, episode, account.timezone)
    ledger = compute_ledger(opening, pricing, events, as_of)
    reaged = [r.reaged_on for r in session.scalars(select(Reage).where(Reage.account_id == account_id))]
    year, five = reage_counts(as_of, reaged)
    posted = {
        row.posting_key: row
        for row in session.scalars(
            select(LedgerPosting).where(
                LedgerPosting.episode_id == episode.episode_id, LedgerPosting.posted_on <= as_of
            )
        )
    }
    computed = {p.posting_key: p for p in ledger.postings}
    differing = sorted(
        k
        for k, row in posted.items()
        if k not in computed
        or (row.principal, row.interest, row.fees) != (computed[k].principal, computed[k].interest, computed[k].fees)
    )
    not_posted = [k for k in computed if k not in posted]
    return Statement(
        account_id=account_id,
        timezone=account.timezone,
        episode=episode,
        ledger=ledger,
        reages_12_months=year,
        reages_5_years=five,
        differing=differing,
        not_posted=not_posted,
    )


def render_statement(st: Statement) -> str:
    led, cur = st.ledger, st.ledger.currency
    b = led.balances
    dpd = f"DPD {led.days_past_due} ({led.bucket})" + (
        f", oldest unpaid minimum due {led.oldest_unpaid_due}" if led.oldest_unpaid_due else ""
    )
    lines = [
        f"{st.account_id} episode {st.episode.episode_id}, as of the end of {led.as_of} ({st.timezone}), {cur}",
        f"principal {fmt(b.principal, cur)}  interest {fmt(b.interest, cur)}  fees {fmt(b.fees, cur)}  "
        f"total {fmt(b.total, cur)}",
        f"accrued interest not yet posted {fmt(led.accrued_interest, cur)}; payoff {fmt(led.payoff, cur)}",
        f"overdue {fmt(led.overdue, cur)}; {dpd}",
        f"re-ages: {st.reages_12_months} in 12 months, {st.reages_5_years} in 5 years",
    ]
    if led.unapplied:
        lines.append(f"received beyond the balance (overpaid or recovered): {fmt(led.unapplied, cur)}")
    if led.written_off_on:
        lines.append(f"written off on {led.written_off_on}")
    lines += st.notes
    if st.differing:
        lines.append(f"POSTED LEDGER DIFFERS from the recomputation at: {', '.join(st.differing)}")
    if st.not_posted:
        lines.append(f"{len(st.not_posted)} line(s) not posted yet")
    lines.append("")
    lines += led.explanation()
    return "\n".join(lines)
