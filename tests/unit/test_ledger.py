"""Balance arithmetic, worked by hand: each test's comment is the calculation it checks."""

from datetime import date
from decimal import Decimal as D

import pytest

from arrears.domain.ledger import (
    Opening,
    PaymentEvent,
    RateDiscountEvent,
    ReageEvent,
    WaiverEvent,
    WriteOffEvent,
    add_months,
    compute_ledger,
)
from arrears.domain.pricing import Pricing

DUE = date(2026, 3, 1)
NO_FEE = {"late_fee_percent": D(0)}
NO_INTEREST = {"penalty_rate": D(0)}


def opening(principal="1000.00", minimum="100.00", currency="CNY", **over) -> Opening:
    return Opening(episode_id="ep-1", currency=currency, due_date=DUE, principal=D(principal),
                   overdue_minimum=D(minimum), **{k: D(v) for k, v in over.items()})


def pay(day: date, amount: str, pid: str = "P1") -> PaymentEvent:
    return PaymentEvent(on=day, payment_id=pid, amount=D(amount))


# ---- interest ---------------------------------------------------------------------


def test_interest_accrues_daily_and_is_posted_on_the_next_due_date():
    # Due 2026-03-01 (DPD 0, no interest); interest from 03-02.
    # As of 03-31: 30 days x 0.05% x 1,000.00 = 15.00, accrued but not posted (no cycle date yet).
    # As of 04-01 (the next due date): 31 days x 0.05% x 1,000.00 = 15.50, posted.
    pricing = Pricing(**NO_FEE, compounding="simple")
    before = compute_ledger(opening(), pricing, [], date(2026, 3, 31))
    assert before.postings == [] and before.accrued_interest == D("15.00") and before.payoff == D("1015.00")
    at_due = compute_ledger(opening(), pricing, [], date(2026, 4, 1))
    [posting] = at_due.postings
    assert posting.explanation == "interest 2026-03-02..2026-04-01: 31 days x 0.05% x 1,000.00 = 15.50"
    assert (posting.posting_key, posting.posted_on, posting.interest) == ("ep-1:interest:2026-04-01", date(2026, 4, 1), D("15.50"))
    assert at_due.balances.total == D("1015.50") and at_due.accrued_interest == 0


def test_an_annual_rate_over_a_360_day_year():
    # 18% a year / 360 = 0.05% a day: 31 days x 0.0005 x 1,000.00 = 15.50.
    pricing = Pricing(**NO_FEE, penalty_rate=D(18), rate_basis="annual", day_count=360)
    [posting] = compute_ledger(opening(), pricing, [], date(2026, 4, 1)).postings
    assert posting.explanation == "interest 2026-03-02..2026-04-01: 31 days x 18%/360 x 1,000.00 = 15.50"


def test_a_payment_first_pays_the_interest_accrued_up_to_it():
    # 03-02..03-20: 19 days x 0.05% x 1,000.00 = 9.50 posted on 03-21 before the payment of 100.00:
    # interest 9.50 first, principal 90.50 -> principal 909.50.
    # 03-21..04-01: 12 days x 0.05% x 909.50 = 5.457 -> 5.46 (the payment's day bears interest on what is left).
    pricing = Pricing(**NO_FEE, allocation=("interest", "principal", "fees"))
    ledger = compute_ledger(opening(), pricing, [pay(date(2026, 3, 21), "100.00")], date(2026, 4, 1))
    assert [p.explanation for p in ledger.postings] == [
        "interest 2026-03-02..2026-03-20: 19 days x 0.05% x 1,000.00 = 9.50",
        "payment P1 100.00: interest 9.50, principal 90.50",
        "interest 2026-03-21..2026-04-01: 12 days x 0.05% x 909.50 = 5.46",
    ]
    assert ledger.balances.principal == D("909.50") and ledger.balances.interest == D("5.46")


def test_a_plan_rate_discount_lowers_the_rate_from_its_day():
    # 03-02..03-15: 14 days x 0.05% x 1,000.00 = 7.00 at the full rate, posted on 03-16 (the plan's day).
    # 03-16..04-01: 17 days x 0.05% x 50% x 1,000.00 = 4.25. Simple interest: the base stays 1,000.00.
    pricing = Pricing(**NO_FEE, compounding="simple")
    events = [RateDiscountEvent(on=date(2026, 3, 16), plan_id="PL1", percent=D(50))]
    ledger = compute_ledger(opening(), pricing, events, date(2026, 4, 1))
    assert [p.interest for p in ledger.postings] == [D("7.00"), D("4.25")]
    assert ledger.postings[1].explanation.endswith("17 days x 0.05% less 50% x 1,000.00 = 4.25")


# ---- late fees -----------------------------------------------------------------------


def test_late_fee_is_a_percentage_of_the_unpaid_minimum_the_day_after_the_due_date():
    # 5% x 100.00 unpaid at the end of 03-01 = 5.00, posted 03-02 (DPD 1); nothing on the due date itself.
    pricing = Pricing(**NO_INTEREST)
    assert compute_ledger(opening(), pricing, [], DUE).postings == []
    [fee] = compute_ledger(opening(), pricing, [], date(2026, 3, 2)).postings
    assert (fee.kind, fee.fees, fee.posting_key) == ("fee", D("5.00"), "ep-1:fee:2026-03-01")
    assert fee.explanation == "late fee for the minimum due 2026-03-01: 5% x 100.00 unpaid = 5.00"


def test_late_fee_floor():
    # 5% x 100.00 = 5.00, below the floor of 10.00 -> 10.00.
    [fee] = compute_ledger(opening(), Pricing(**NO_INTEREST, late_fee_floor=D(10)), [], date(2026, 3, 2)).postings
    assert fee.fees == D("10.00")
    assert fee.explanation.endswith("= 5.00, raised to the floor 10.00")


def test_late_fee_cap():
    # 5% x 2,000.00 = 100.00, above the cap of 50.00 -> 50.00.
    pricing = Pricing(**NO_INTEREST, late_fee_floor=D(10), late_fee_cap=D(50))
    [fee] = compute_ledger(opening("20000.00", "2000.00"), pricing, [], date(2026, 3, 2)).postings
    assert fee.fees == D("50.00") and fee.explanation.endswith("= 100.00, lowered to the cap 50.00")


def test_a_late_fee_per_missed_cycle_on_what_is_left_of_it():
    # Cycle 03-01: minimum 100.00, 60.00 paid on 03-01 -> 40.00 unpaid -> fee 5% x 40.00 = 2.00 on 03-02.
    # Cycle 04-01: minimum billed on 03-01 from the balance then, 10% x 940.00 = 94.00; unpaid -> 4.70 on 04-02.
    pricing = Pricing(**NO_INTEREST)
    ledger = compute_ledger(opening(), pricing, [pay(DUE, "60.00")], date(2026, 4, 2))
    assert [(p.posted_on, p.fees) for p in ledger.postings if p.kind == "fee"] == [
        (date(2026, 3, 2), D("2.00")), (date(2026, 4, 2), D("4.70"))]
    assert [c.minimum for c in ledger.cycles] == [D("100.00"), D("94.00"), D("94.20")]  # 10% x 942.00 on 04-01


# ---- interest on fees: none, simple, compound ---------------------------------------------


@pytest.mark.parametrize(("on_fees", "compounding", "base", "interest"), [
    (False, "simple", "1,000.00", "15.50"),    # principal only: 31 x 0.0005 x 1,000.00 = 15.50
    (True, "simple", "1,100.00", "17.05"),     # principal + fees: 31 x 0.0005 x 1,100.00 = 17.05
    (False, "compound", "1,050.00", "16.28"),  # principal + interest: 31 x 0.0005 x 1,050.00 = 16.275 -> 16.28
    (True, "compound", "1,150.00", "17.83"),   # all three: 31 x 0.0005 x 1,150.00 = 17.825 -> 17.83
])
def test_what_bears_interest(on_fees, compounding, base, interest):
    # Opening principal 1,000.00, interest 50.00, fees 100.00; 03-02..04-01 is 31 days.
    pricing = Pricing(**NO_FEE, interest_on_fees=on_fees, compounding=compounding)
    [posting] = compute_ledger(opening(interest="50.00", fees="100.00"), pricing, [], date(2026, 4, 1)).postings
    assert posting.interest == D(interest)
    assert f"x {base} = {interest}" in posting.explanation


def test_compound_interest_bears_interest_from_the_next_posting():
    # Compound: 03-02..04-01 = 15.50; 04-02..05-01: 30 x 0.0005 x 1,015.50 = 15.2325 -> 15.23.
    # Simple:   03-02..04-01 = 15.50; 04-02..05-01: 30 x 0.0005 x 1,000.00 = 15.00.
    def second(compounding):
        return compute_ledger(opening(), Pricing(**NO_FEE, compounding=compounding), [], date(2026, 5, 1)).postings[1].interest
    assert (second("compound"), second("simple")) == (D("15.23"), D("15.00"))


# ---- allocation -------------------------------------------------------------------------


@pytest.mark.parametrize(("order", "after"), [
    # 40.00 against fees 30.00, interest 20.00, principal 1,000.00:
    (("fees", "interest", "principal"), ("1000.00", "10.00", "0.00")),   # fees 30.00, interest 10.00
    (("principal", "interest", "fees"), ("960.00", "20.00", "30.00")),   # principal 40.00
    (("interest", "fees", "principal"), ("1000.00", "0.00", "10.00")),   # interest 20.00, fees 20.00
])
def test_allocation_order(order, after):
    pricing = Pricing(**NO_FEE, **NO_INTEREST, allocation=order)
    ledger = compute_ledger(opening(interest="20.00", fees="30.00"), pricing, [pay(date(2026, 3, 10), "40.00")],
                            date(2026, 3, 10))
    b = ledger.balances
    assert (b.principal, b.interest, b.fees) == tuple(D(a) for a in after)


def test_an_overpayment_is_reported_not_posted_as_a_negative_balance():
    # Owed 1,000.00 + 20.00 + 30.00 = 1,050.00; paid 1,100.00 -> 50.00 not applied.
    pricing = Pricing(**NO_FEE, **NO_INTEREST)
    ledger = compute_ledger(opening(interest="20.00", fees="30.00"), pricing, [pay(date(2026, 3, 10), "1100.00")],
                            date(2026, 4, 30))
    assert ledger.balances.total == 0 and ledger.unapplied == D("50.00") and ledger.overdue == 0
    assert ledger.postings[0].explanation == ("payment P1 1,100.00: fees 30.00, interest 20.00, principal 1,000.00; "
                                              "50.00 more than owed, not applied (overpayment)")
    assert ledger.days_past_due == 0 and ledger.bucket == "M0" and len(ledger.cycles) == 2  # nothing billed after


# ---- rounding -----------------------------------------------------------------------------


@pytest.mark.parametrize(("rule", "posted"), [("half_up", D(1)), ("half_even", None), ("down", None)])
def test_rounding_to_0_minor_units_yen(rule, posted):
    # JPY has no minor unit. 03-02 alone: 1 day x 0.05% x 1,000 = 0.5 yen, posted when the payment comes on 03-03:
    # half_up -> 1 yen; half_even -> 0 (to the even 0); down -> 0. Nothing is posted for zero.
    pricing = Pricing(**NO_FEE, rounding=rule)
    ledger = compute_ledger(opening("1000", "100", currency="JPY"), pricing, [pay(date(2026, 3, 3), "1")], date(2026, 3, 3))
    interest = [p.interest for p in ledger.postings if p.kind == "interest"]
    assert interest == ([posted] if posted else [])


def test_rounding_to_2_minor_units():
    # 03-02 alone: 1 x 0.05% x 1,010.00 = 0.505: half_up 0.51, half_even 0.50, down 0.50.
    def posted(rule):
        ledger = compute_ledger(opening("1010.00"), Pricing(**NO_FEE, rounding=rule), [pay(date(2026, 3, 3), "1.00")],
                                date(2026, 3, 3))
        return ledger.postings[0].interest
    assert (posted("half_up"), posted("half_even"), posted("down")) == (D("0.51"), D("0.50"), D("0.50"))


def test_yen_interest_over_a_month():
    # 31 x 0.0005 x 12,345 = 191.3475 -> 191 yen.
    [p] = compute_ledger(opening("12345", "1235", currency="JPY"), Pricing(**NO_FEE), [], date(2026, 4, 1)).postings
    assert p.interest == D(191) and p.explanation.endswith("x 12,345 = 191")


# ---- cycles and DPD ------------------------------------------------------------------------


def test_a_partial_payment_covering_the_oldest_cycle_moves_the_account_down_a_bucket():
    # Cycles: 03-01 minimum 100.00; 04-01 minimum 10% x 1,000.00 = 100.00 (billed 03-01); 05-01 billed 04-01.
    # As of 04-20 both March and April are unpaid: DPD counts from 03-01 = 50 (M2), overdue 200.00.
    # 150.00 paid on 04-20 covers March (100.00) and half of April: DPD from 04-01 = 19 (M1), overdue 50.00.
    pricing = Pricing(**NO_FEE, **NO_INTEREST)
    before = compute_ledger(opening(), pricing, [], date(2026, 4, 20))
    assert (before.oldest_unpaid_due, before.days_past_due, before.bucket, before.overdue) == (DUE, 50, "M2", D("200.00"))
    after = compute_ledger(opening(), pricing, [pay(date(2026, 4, 20), "150.00")], date(2026, 4, 20))
    assert (after.oldest_unpaid_due, after.days_past_due, after.bucket, after.overdue) == (
        date(2026, 4, 1), 19, "M1", D("50.00"))
    assert [(c.due_date, c.paid) for c in after.cycles] == [
        (DUE, D("100.00")), (date(2026, 4, 1), D("50.00")), (date(2026, 5, 1), D("0"))]
    assert after.cycles[2].received == D("150.00")  # paid in the period after 04-01: it counts for May's re-age record


def test_cycles_fall_on_the_same_day_each_month_clamped_at_month_end():
    assert [add_months(date(2026, 1, 31), k) for k in range(4)] == [
        date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    o = Opening(episode_id="e", currency="CNY", due_date=date(2026, 1, 31), principal=D("100.00"), overdue_minimum=D(10))
    ledger = compute_ledger(o, Pricing(**NO_FEE, **NO_INTEREST), [], date(2026, 4, 30))
    assert [c.due_date for c in ledger.cycles] == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31),
                                                  date(2026, 4, 30), date(2026, 5, 31)]


def test_the_minimum_billed_is_never_more_than_is_owed():
    # Balance 100.00 with 100.00 already due: a new 10.00 minimum would make 110.00 due -> nothing billed.
    ledger = compute_ledger(opening("100.00", "100.00"), Pricing(**NO_FEE, **NO_INTEREST), [], date(2026, 4, 2))
    assert [c.minimum for c in ledger.cycles] == [D("100.00")]


# ---- waivers, re-ages, write-offs ------------------------------------------------------------------


def test_a_waiver_forgives_fees_then_interest_and_counts_toward_the_minimum():
    # Fee 5.00 on 03-02; interest 03-02..03-09: 8 x 0.0005 x 1,000.00 = 4.00, posted on 03-10.
    # Waiver 20.00 on 03-10: fees 5.00, interest 4.00, 11.00 more than owed; 9.00 counts toward March's 100.00.
    ledger = compute_ledger(opening(), Pricing(), [WaiverEvent(on=date(2026, 3, 10), waiver_id="PL1", amount=D(20))],
                            date(2026, 3, 10))
    waiver = ledger.postings[-1]
    assert (waiver.kind, waiver.fees, waiver.interest, waiver.principal) == ("waiver", D("-5.00"), D("-4.00"), 0)
    assert waiver.explanation == "waiver PL1 20.00: fees 5.00, interest 4.00; 11.00 more than the fees and interest owed, not applied"
    assert ledger.cycles[0].paid == D("9.00") and ledger.balances.total == D("1000.00")


def test_a_reage_brings_past_due_minimums_current_and_keeps_the_balance():
    pricing = Pricing(**NO_FEE, **NO_INTEREST)
    ledger = compute_ledger(opening(), pricing, [ReageEvent(on=date(2026, 4, 20), reage_id="R1")], date(2026, 4, 20))
    assert (ledger.overdue, ledger.days_past_due, ledger.bucket, ledger.reages) == (0, 0, "M0", [date(2026, 4, 20)])
    assert ledger.balances.total == D("1000.00")
    later = compute_ledger(opening(), pricing, [ReageEvent(on=date(2026, 4, 20), reage_id="R1")], date(2026, 5, 5))
    assert (later.oldest_unpaid_due, later.days_past_due) == (date(2026, 5, 1), 4)  # May's minimum still falls due


def test_a_write_off_clears_the_balance_and_later_payments_are_recoveries():
    # Simple interest 03-02..04-01 = 15.50 (posted on the due date), 04-02..04-14: 13 x 0.0005 x 1,000.00 = 6.50
    # posted on the write-off day: 22.00 interest, then everything written off.
    events = [WriteOffEvent(on=date(2026, 4, 15), write_off_id="charge-off", reason="charge-off at DPD 180"),
              pay(date(2026, 5, 1), "30.00")]
    ledger = compute_ledger(opening(), Pricing(**NO_FEE, compounding="simple"), events, date(2026, 6, 1))
    write_off = next(p for p in ledger.postings if p.kind == "write_off")
    assert (write_off.principal, write_off.interest) == (D("-1000.00"), D("-22.00"))
    assert ledger.balances.total == 0 and ledger.overdue == 0 and ledger.accrued_interest == 0
    assert ledger.unapplied == D("30.00") and "recovered after the write-off" in ledger.postings[-1].explanation
    assert not [p for p in ledger.postings if p.posted_on > date(2026, 4, 15) and p.kind in ("interest", "fee")]


# ---- refusals and explanation ---------------------------------------------------------------


@pytest.mark.parametrize(("events", "message"), [
    ([pay(date(2026, 2, 28), "1.00")], "before the opening due date"),
    ([pay(date(2026, 3, 5), "1.001")], "more decimals than CNY allows"),
    ([pay(date(2026, 3, 5), "1.00"), pay(date(2026, 3, 6), "1.00")], "ep-1:payment:P1 twice"),
])
def test_bad_events_are_refused(events, message):
    with pytest.raises(ValueError, match=message):
        compute_ledger(opening(), Pricing(), events, date(2026, 4, 1))


def test_the_explanation_tells_the_story_in_order():
    ledger = compute_ledger(opening(), Pricing(), [pay(date(2026, 3, 20), "50.00")], date(2026, 4, 5))
    assert ledger.explanation() == [
        "2026-03-01 opening: principal 1,000.00, interest 0.00, fees 0.00; minimum 100.00 unpaid at the due date",
        "2026-03-01 statement: minimum 100.00 due 2026-04-01 (10% of 1,000.00)",
        "2026-03-02 late fee for the minimum due 2026-03-01: 5% x 100.00 unpaid = 5.00",
        "2026-03-20 interest 2026-03-02..2026-03-19: 18 days x 0.05% x 1,000.00 = 9.00",
        "2026-03-20 payment P1 50.00: fees 5.00, interest 9.00, principal 36.00",
        "2026-04-01 interest 2026-03-20..2026-04-01: 13 days x 0.05% x 964.00 = 6.27",  # 6.266 -> 6.27
        "2026-04-01 statement: minimum 97.03 due 2026-05-01 (10% of 970.27)",  # 964.00 + 6.27
        "2026-04-02 late fee for the minimum due 2026-04-01: 5% x 100.00 unpaid = 5.00",  # March's 47.00 is older
        "2026-04-05 accrued, not yet posted: interest 1.94",  # 04-02..04-05: 4 x 0.0005 x 970.27 = 1.94054 -> 1.94
    ]


def test_a_recoverable_charge_joins_the_fees_and_bears_no_interest():
    # Legal costs of 300.00 charged on 03-10, no interest on fees: interest through 04-01 stays
    # 31 days x 0.05% x 1,000.00 = 15.50; fees 300.00; balance 1,000.00 + 15.50 + 300.00 = 1,315.50.
    from arrears.domain.ledger import ChargeEvent

    charge = ChargeEvent(on=date(2026, 3, 10), charge_id="legal-L1", amount=D("300.00"), what="court fee")
    ledger = compute_ledger(opening(), Pricing(**NO_FEE, compounding="simple"), [charge], date(2026, 4, 1))
    fee = next(p for p in ledger.postings if p.kind == "fee")
    assert (fee.posting_key, fee.fees, fee.explanation) == (
        "ep-1:fee:legal-L1", D("300.00"), "charge legal-L1 (court fee): 300.00 added to fees")
    assert ledger.balances.interest == D("15.50") and ledger.balances.total == D("1315.50")
