"""Properties of the ledger over random pricing and event histories (hypothesis)."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.domain.ledger import (
    Opening,
    PaymentEvent,
    RateDiscountEvent,
    ReageEvent,
    WaiverEvent,
    WriteOffEvent,
    compute_ledger,
)
from arrears.domain.money import has_valid_scale, minor_units
from arrears.domain.pricing import COMPONENTS, Pricing

DUE = date(2026, 1, 31)  # a month-end: cycles clamp to shorter months
COMPONENT_FIELDS = ("principal", "interest", "fees")


def money(currency: str, high: int = 500_000):
    scale = minor_units(currency)
    return st.integers(min_value=1, max_value=high).map(lambda n: Decimal(n).scaleb(-scale))


@st.composite
def pricings(draw) -> Pricing:
    floor = draw(st.integers(0, 50))
    return Pricing(
        penalty_rate=draw(st.sampled_from([Decimal(0), Decimal("0.05"), Decimal("0.1"), Decimal("18.25"), Decimal("36")])),
        rate_basis=draw(st.sampled_from(["daily", "annual"])),
        day_count=draw(st.sampled_from([360, 365])),
        compounding=draw(st.sampled_from(["simple", "compound"])),
        interest_on_fees=draw(st.booleans()),
        late_fee_percent=draw(st.sampled_from([Decimal(0), Decimal(5), Decimal("7.5")])),
        late_fee_floor=Decimal(floor),
        late_fee_cap=draw(st.one_of(st.none(), st.integers(floor, 300).map(Decimal))),
        minimum_payment_percent=draw(st.sampled_from([Decimal(2), Decimal(10), Decimal(100)])),
        minimum_payment_floor=Decimal(draw(st.integers(0, 100))),
        rounding=draw(st.sampled_from(["half_up", "half_even", "down"])),
        allocation=draw(st.permutations(COMPONENTS)),
    )


@st.composite
def histories(draw):
    currency = draw(st.sampled_from(["CNY", "JPY", "KWD"]))
    principal = draw(money(currency))
    interest = draw(st.one_of(st.just(Decimal(0)), money(currency, 20_000)))
    fees = draw(st.one_of(st.just(Decimal(0)), money(currency, 20_000)))
    minimum = min(draw(money(currency, 100_000)), principal + interest + fees)
    opening = Opening(episode_id="ep", currency=currency, due_date=DUE, principal=principal, interest=interest,
                      fees=fees, overdue_minimum=minimum)
    days = st.integers(0, 240).map(lambda n: DUE + timedelta(days=n))
    events = []
    for n in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["payment", "payment", "payment", "waiver", "discount", "reage", "write_off"]))
        on = draw(days)
        if kind == "payment":
            events.append(PaymentEvent(on=on, payment_id=f"P{n}", amount=draw(money(currency, 600_000))))
        elif kind == "waiver":
            events.append(WaiverEvent(on=on, waiver_id=f"W{n}", amount=draw(money(currency, 50_000)),
                                      components=draw(st.permutations(("fees", "interest")))))
        elif kind == "discount":
            events.append(RateDiscountEvent(on=on, plan_id=f"PL{n}", percent=Decimal(draw(st.integers(0, 100)))))
        elif kind == "reage":
            events.append(ReageEvent(on=on, reage_id=f"R{n}"))
        else:
            events.append(WriteOffEvent(on=on, write_off_id=f"X{n}"))
    events.sort(key=lambda e: e.on)
    return opening, events, draw(days)


def components(thing) -> tuple[Decimal, Decimal, Decimal]:
    return tuple(getattr(thing, name) for name in COMPONENT_FIELDS)


@settings(max_examples=150, deadline=None)
@given(histories(), pricings())
def test_the_postings_sum_to_the_balance(history, pricing):
    opening, events, as_of = history
    ledger = compute_ledger(opening, pricing, events, as_of)
    for i, name in enumerate(COMPONENT_FIELDS):
        assert components(opening)[i] + sum(getattr(p, name) for p in ledger.postings) == getattr(ledger.balances, name)
    assert len({p.posting_key for p in ledger.postings}) == len(ledger.postings)
    for p in ledger.postings:
        assert all(has_valid_scale(v, opening.currency) for v in (*components(p), p.unapplied)), p


@settings(max_examples=150, deadline=None)
@given(histories(), pricings())
def test_no_component_ever_goes_negative_and_payments_are_accounted_for(history, pricing):
    opening, events, as_of = history
    ledger = compute_ledger(opening, pricing, events, as_of)
    running = list(components(opening))
    for p in ledger.postings:
        running = [r + d for r, d in zip(running, components(p))]
        assert min(running) >= 0, p.explanation
        if p.kind == "payment":
            paid = next(e.amount for e in events if getattr(e, "payment_id", None) == p.posting_key.split(":")[-1])
            assert -p.amount + p.unapplied == paid and p.unapplied >= 0
        elif p.kind in ("interest", "fee"):
            assert p.amount > 0
        else:
            assert p.amount <= 0 and p.unapplied == 0
    assert 0 <= ledger.overdue <= ledger.balances.total
    assert ledger.accrued_interest >= 0 and ledger.days_past_due >= 0
    assert all(c.unpaid >= 0 for c in ledger.cycles)


@settings(max_examples=150, deadline=None)
@given(histories(), pricings(), st.integers(0, 240))
def test_recomputing_for_an_earlier_date_gives_the_postings_made_up_to_it(history, pricing, back):
    # What was posted on any day never changes afterwards: a later recomputation
    # from the same events finds the posted ledger as its prefix.
    opening, events, as_of = history
    earlier = max(opening.due_date, as_of - timedelta(days=back))
    later = compute_ledger(opening, pricing, events, as_of)
    then = compute_ledger(opening, pricing, events, earlier)
    assert then.postings == [p for p in later.postings if p.posted_on <= earlier]
