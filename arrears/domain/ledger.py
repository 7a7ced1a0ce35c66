"""The balance of a delinquent account, recomputed from its opening position and dated events.

A pure function of the opening position, the pricing and the events, so the
balance can be computed for any date, explained line by line, and checked
against the postings the system of record holds.

The day, in order:

1. a late fee for every cycle whose due date was yesterday and whose minimum
   is still partly unpaid (the due date itself is not late: DPD 0);
2. the day's events (payments, waivers, plan rate discounts, re-ages,
   write-offs), each after posting the interest accrued up to yesterday, so a
   payment pays the interest owed when it arrives;
3. on a due date, at the end of the day: interest posted through that day, and
   the next cycle's minimum billed from the balance then (the statement is cut
   on the due date; the next cycle falls due a month later).

Interest for a day is charged on the balance at the end of that day, so a
payment stops interest from its own day on. Interest accrued since the last
posting is reported as accrued, not posted: postings are final, and the
postings dated up to any day never change when later events arrive.

Cycles fall due monthly on the opening due date's day of the month (the 31st
becomes the 30th or the month's last day). Payments and waivers cover unpaid
minimums oldest first, so DPD re-anchors to the oldest cycle still unpaid.

No I/O, no clock, no randomness: the workflow imports this module.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from arrears.domain.delinquency import bucket_for_dpd
from arrears.domain.ledger_events import (
    ChargeEvent,
    LedgerEvent,
    Opening,
    PaymentEvent,
    RateDiscountEvent,
    ReageEvent,
    WaiverEvent,
    WriteOffEvent,
)
from arrears.domain.money import has_valid_scale, minor_units
from arrears.domain.months import add_months
from arrears.domain.pricing import COMPONENTS, Component, Pricing

ZERO = Decimal(0)
# "recovery": money received after the write-off, posted by the recovery activity (never computed here).
PostingKind = Literal["interest", "fee", "payment", "waiver", "write_off", "recovery"]


def cycle_due_date(first_due: date, cycle: int) -> date:
    # Always from the first due date: stepping month by month would drift 31 -> 28 -> 28.
    return add_months(first_due, cycle)


def fmt(amount: Decimal, currency: str) -> str:
    return f"{amount:,.{minor_units(currency)}f}"


class Posting(BaseModel):
    """One line of the ledger: signed changes to each component of the balance."""

    model_config = ConfigDict(frozen=True)

    posting_key: str
    posted_on: date
    kind: PostingKind
    principal: Decimal = ZERO
    interest: Decimal = ZERO
    fees: Decimal = ZERO
    # Money received but not owed (an overpayment, a recovery after write-off): not in the balance.
    unapplied: Decimal = ZERO
    explanation: str

    @property
    def amount(self) -> Decimal:
        return self.principal + self.interest + self.fees


class Balances(BaseModel):
    model_config = ConfigDict(frozen=True)

    principal: Decimal
    interest: Decimal
    fees: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fees


class Cycle(BaseModel):
    due_date: date
    minimum: Decimal
    paid: Decimal = ZERO  # covered by payments and waivers, oldest cycle first
    cleared: Decimal = ZERO  # no longer due without being paid: re-aged or written off
    received: Decimal = ZERO  # payments dated in this cycle's period (after the previous due date, up to this one)
    late_fee: Decimal = ZERO

    @property
    def unpaid(self) -> Decimal:
        return self.minimum - self.paid - self.cleared


class Note(BaseModel):
    """A line of the explanation: a posting's, or a change with no money in it (a cycle billed, a re-age)."""

    on: date
    text: str
    posting_key: str | None = None


class Ledger(BaseModel):
    as_of: date
    episode_id: str
    currency: str
    opening: Opening
    postings: list[Posting]
    balances: Balances  # opening plus every posting
    accrued_interest: Decimal  # since the last interest posting, through as_of; not yet posted
    overdue: Decimal  # minimums unpaid after their due date
    cycles: list[Cycle]
    oldest_unpaid_due: date | None
    days_past_due: int
    bucket: str
    unapplied: Decimal  # received but not owed
    reages: list[date]
    written_off_on: date | None
    notes: list[Note]

    @property
    def payoff(self) -> Decimal:
        """What would clear the account at the end of as_of."""
        return self.balances.total + self.accrued_interest

    def explanation(self) -> list[str]:
        c = self.currency
        o = self.opening
        lines = [
            f"{o.due_date} opening: principal {fmt(o.principal, c)}, interest {fmt(o.interest, c)}, "
            f"fees {fmt(o.fees, c)}; minimum {fmt(o.overdue_minimum, c)} unpaid at the due date"
        ]
        lines += [f"{n.on} {n.text}" for n in self.notes]
        if self.accrued_interest:
            lines.append(f"{self.as_of} accrued, not yet posted: interest {fmt(self.accrued_interest, c)}")
        return lines


def compute_ledger(opening: Opening, pricing: Pricing, events: Iterable[LedgerEvent], as_of: date) -> Ledger:
    """The ledger at the end of ``as_of``: postings, balances, cycles and DPD.

    Events after ``as_of`` are ignored; events on the same day apply in the
    order given. Raises ValueError for an event before the opening due date, an
    amount finer than the currency's minor unit, or an id used twice.
    """
    if as_of < opening.due_date:
        raise ValueError(f"as_of {as_of} is before the opening due date {opening.due_date}")
    run = _Run(opening, pricing)
    by_day: dict[date, list] = defaultdict(list)
    for event in events:
        run.check(event)
        if event.on <= as_of:
            by_day[event.on].append(event)
    due_dates: list[date] = []
    k = 0
    while (due := cycle_due_date(opening.due_date, k)) <= as_of:
        due_dates.append(due)
        k += 1
    fee_days = {d + timedelta(days=1): d for d in due_dates}
    for day in sorted(set(by_day) | set(due_dates) | {d for d in fee_days if d <= as_of}):
        if day in fee_days:
            run.late_fee(day, fee_days[day])
        for event in by_day.get(day, []):
            run.accrue(day - timedelta(days=1), posted_on=day)
            run.apply(event)
        if day in due_dates:
            run.accrue(day, posted_on=day)
            run.bill(day, cycle_due_date(opening.due_date, due_dates.index(day) + 1))
    return run.result(as_of)


class _Run:
    def __init__(self, opening: Opening, pricing: Pricing) -> None:
        self.o, self.p, self.cur = opening, pricing, opening.currency
        self.bal: dict[Component, Decimal] = {
            "principal": opening.principal,
            "interest": opening.interest,
            "fees": opening.fees,
        }
        self.cycles = [Cycle(due_date=opening.due_date, minimum=opening.overdue_minimum)]
        self.last_accrued = opening.due_date  # interest charged through this day
        self.discount = ZERO
        self.postings: list[Posting] = []
        self.notes: list[Note] = []
        self.keys: set[str] = set()
        self.unapplied = ZERO
        self.reages: list[date] = []
        self.written_off_on: date | None = None

    # ---- checks --------------------------------------------------------------

    def check(self, event) -> None:
        if event.on < self.o.due_date:
            raise ValueError(f"{event.kind} on {event.on} is before the opening due date {self.o.due_date}")
        amount = getattr(event, "amount", None)
        if amount is not None and not has_valid_scale(amount, self.cur):
            raise ValueError(f"{event.kind} amount {amount} has more decimals than {self.cur} allows")

    def _key(self, key: str) -> str:
        if key in self.keys:
            raise ValueError(f"posting key {key} twice: an event id is used twice")
        self.keys.add(key)
        return key

    def _post(self, posting: Posting) -> None:
        self.postings.append(posting)
        self.notes.append(Note(on=posting.posted_on, text=posting.explanation, posting_key=posting.posting_key))

    # ---- interest and fees ---------------------------------------------------------

    def _base(self) -> Decimal:
        base = self.bal["principal"]
        if self.p.interest_on_fees:
            base += self.bal["fees"]
        if self.p.compounding == "compound":
            base += self.bal["interest"]
        return base

    def _rate(self) -> Decimal:
        return self.p.daily_rate() * (100 - self.discount) / 100

    def _accrual(self, through: date) -> tuple[int, Decimal, Decimal]:
        days = (through - self.last_accrued).days
        if days <= 0 or self.written_off_on is not None:
            return 0, ZERO, ZERO
        base = self._base()
        return days, base, days * self._rate() * base

    def accrue(self, through: date, posted_on: date) -> None:
        days, base, raw = self._accrual(through)
        start = self.last_accrued + timedelta(days=1)
        self.last_accrued = max(self.last_accrued, through)
        amount = self.p.round(raw, self.cur)
        if amount <= 0:
            return  # nothing owed, or less than a minor unit: nothing to post
        rate = self.p.rate_text() + (f" less {self.discount}%" if self.discount else "")
        self.bal["interest"] += amount
        self._post(
            Posting(
                posting_key=self._key(f"{self.o.episode_id}:interest:{through}"),
                posted_on=posted_on,
                kind="interest",
                interest=amount,
                explanation=f"interest {start}..{through}: {days} day{'s' if days != 1 else ''} x {rate} x "
                f"{fmt(base, self.cur)} = {fmt(amount, self.cur)}",
            )
        )

    def late_fee(self, day: date, due: date) -> None:
        cycle = next((c for c in self.cycles if c.due_date == due), None)  # none billed when nothing more was owed
        if self.written_off_on is not None or cycle is None or cycle.unpaid <= 0:
            return
        pct = self.p.late_fee_percent
        fee = self.p.round(cycle.unpaid * pct / 100, self.cur)
        text = (
            f"late fee for the minimum due {due}: {pct}% x {fmt(cycle.unpaid, self.cur)} unpaid = {fmt(fee, self.cur)}"
        )
        floor = self.p.round(self.p.late_fee_floor, self.cur)
        if fee < floor:
            fee = floor
            text += f", raised to the floor {fmt(floor, self.cur)}"
        if self.p.late_fee_cap is not None and fee > (cap := self.p.round(self.p.late_fee_cap, self.cur)):
            fee = cap
            text += f", lowered to the cap {fmt(cap, self.cur)}"
        cycle.late_fee = fee
        if fee <= 0:
            return
        self.bal["fees"] += fee
        self._post(
            Posting(
                posting_key=self._key(f"{self.o.episode_id}:fee:{due}"),
                posted_on=day,
                kind="fee",
                fees=fee,
                explanation=text,
            )
        )

    def bill(self, day: date, next_due: date) -> None:
        """Cut the statement on a due date: the next cycle's minimum, from the balance now."""
        total = sum(self.bal.values(), ZERO)
        if self.written_off_on is not None or total <= 0:
            return
        still_due = sum((c.unpaid for c in self.cycles), ZERO)
        minimum = max(
            self.p.round(total * self.p.minimum_payment_percent / 100, self.cur),
            self.p.round(self.p.minimum_payment_floor, self.cur),
        )
        minimum = min(minimum, total - still_due)  # never more due than owed
        if minimum <= 0:
            return
        self.cycles.append(Cycle(due_date=next_due, minimum=minimum))
        floor = f", at least {fmt(self.p.minimum_payment_floor, self.cur)}" if self.p.minimum_payment_floor else ""
        self.notes.append(
            Note(
                on=day,
                text=f"statement: minimum {fmt(minimum, self.cur)} due {next_due} "
                f"({self.p.minimum_payment_percent}% of {fmt(total, self.cur)}{floor})",
            )
        )

    # ---- events ---------------------------------------------------------------------

    def apply(self, event) -> None:
        getattr(self, f"_{event.kind}")(event)

    def _cover(self, amount: Decimal) -> None:
        for cycle in self.cycles:
            take = min(amount, cycle.unpaid)
            if take > 0:
                cycle.paid += take
                amount -= take

    def _take(self, order: Sequence[Component], amount: Decimal) -> tuple[dict[str, Decimal], Decimal]:
        taken: dict[str, Decimal] = {c: ZERO for c in COMPONENTS}
        for component in order:
            take = min(amount, self.bal[component])
            self.bal[component] -= take
            taken[component] = take
            amount -= take
        return taken, amount

    def _split_text(self, order: Sequence[str], taken: dict[str, Decimal]) -> str:
        parts = [f"{c} {fmt(taken[c], self.cur)}" for c in order if taken[c]]
        return ", ".join(parts) or "nothing was owed"

    def _payment(self, e: PaymentEvent) -> None:
        key = self._key(f"{self.o.episode_id}:payment:{e.payment_id}")
        for cycle in self.cycles:
            if cycle.due_date >= e.on:
                cycle.received += e.amount
                break
        taken, rest = self._take(self.p.allocation, e.amount)
        applied = e.amount - rest
        self._cover(applied)
        text = f"payment {e.payment_id} {fmt(e.amount, self.cur)}: {self._split_text(self.p.allocation, taken)}"
        if rest and self.written_off_on is not None:
            text += f"; {fmt(rest, self.cur)} recovered after the write-off, outside the balance"
        elif rest:
            text += f"; {fmt(rest, self.cur)} more than owed, not applied (overpayment)"
        self.unapplied += rest
        self._post(
            Posting(
                posting_key=key,
                posted_on=e.on,
                kind="payment",
                principal=-taken["principal"],
                interest=-taken["interest"],
                fees=-taken["fees"],
                unapplied=rest,
                explanation=text,
            )
        )

    def _charge(self, e: ChargeEvent) -> None:
        key = self._key(f"{self.o.episode_id}:fee:{e.charge_id}")
        self.bal["fees"] += e.amount
        why = f" ({e.what})" if e.what else ""
        self._post(
            Posting(
                posting_key=key,
                posted_on=e.on,
                kind="fee",
                fees=e.amount,
                explanation=f"charge {e.charge_id}{why}: {fmt(e.amount, self.cur)} added to fees",
            )
        )

    def _waiver(self, e: WaiverEvent) -> None:
        key = self._key(f"{self.o.episode_id}:waiver:{e.waiver_id}")
        taken, rest = self._take(e.components, e.amount)
        self._cover(e.amount - rest)
        text = f"waiver {e.waiver_id} {fmt(e.amount, self.cur)}: {self._split_text(e.components, taken)}"
        if rest:
            text += f"; {fmt(rest, self.cur)} more than the {' and '.join(e.components)} owed, not applied"
        self._post(
            Posting(
                posting_key=key,
                posted_on=e.on,
                kind="waiver",
                interest=-taken["interest"],
                fees=-taken["fees"],
                explanation=text,
            )
        )

    def _rate_discount(self, e: RateDiscountEvent) -> None:
        self.discount = e.percent
        what = f"penalty rate less {e.percent}% from today" if e.percent else "penalty rate back to the full rate"
        self.notes.append(Note(on=e.on, text=f"plan {e.plan_id}: {what}"))

    def _reage(self, e: ReageEvent) -> None:
        self._key(f"{self.o.episode_id}:reage:{e.reage_id}")
        past = [c for c in self.cycles if c.due_date < e.on and c.unpaid > 0]
        amount = sum((c.unpaid for c in past), ZERO)
        for cycle in past:
            cycle.cleared += cycle.unpaid
        self.reages.append(e.on)
        self.notes.append(
            Note(
                on=e.on,
                text=f"re-aged by agreement {e.reage_id}: {len(past)} past-due minimum(s) "
                f"of {fmt(amount, self.cur)} brought current; the balance stays",
            )
        )

    def _write_off(self, e: WriteOffEvent) -> None:
        key = self._key(f"{self.o.episode_id}:write_off:{e.write_off_id}")
        taken, _ = self._take(COMPONENTS, sum(self.bal.values(), ZERO))
        for cycle in self.cycles:
            cycle.cleared += cycle.unpaid
        if self.written_off_on is None:
            self.written_off_on = e.on
        why = f" ({e.reason})" if e.reason else ""
        self._post(
            Posting(
                posting_key=key,
                posted_on=e.on,
                kind="write_off",
                principal=-taken["principal"],
                interest=-taken["interest"],
                fees=-taken["fees"],
                explanation=f"write-off {e.write_off_id}{why}: {self._split_text(COMPONENTS, taken)}",
            )
        )

    # ---- result ---------------------------------------------------------------------

    def result(self, as_of: date) -> Ledger:
        _, _, raw = self._accrual(as_of)
        past_due = [c for c in self.cycles if c.due_date < as_of and c.unpaid > 0]
        oldest = min((c.due_date for c in past_due), default=None)
        dpd = (as_of - oldest).days if oldest else 0
        return Ledger(
            as_of=as_of,
            episode_id=self.o.episode_id,
            currency=self.cur,
            opening=self.o,
            postings=self.postings,
            balances=Balances(**self.bal),
            accrued_interest=self.p.round(raw, self.cur),
            overdue=sum((c.unpaid for c in past_due), ZERO),
            cycles=self.cycles,
            oldest_unpaid_due=oldest,
            days_past_due=dpd,
            bucket=bucket_for_dpd(dpd),
            unapplied=self.unapplied,
            reages=self.reages,
            written_off_on=self.written_off_on,
            notes=self.notes,
        )
