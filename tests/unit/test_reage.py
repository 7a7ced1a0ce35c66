"""Re-age limits under the us-interagency preset: payments first, then frequency."""

from datetime import date
from decimal import Decimal as D

from arrears.domain.ledger import Cycle, Opening, PaymentEvent, compute_ledger
from arrears.domain.pricing import Pricing, ReagePolicy
from arrears.domain.reage import reage_counts, reage_refusal

POLICY = ReagePolicy(preset="us-interagency")
ON = date(2026, 7, 10)


def cycle(due: date, minimum="100.00", received="100.00", unpaid=True) -> Cycle:
    return Cycle(due_date=due, minimum=D(minimum), received=D(received), paid=D(0) if unpaid else D(minimum))


# March missed (the episode's cycle), then April, May, June each paid their minimum.
PAID_3 = [cycle(date(2026, 3, 1), received="0"), cycle(date(2026, 4, 1)), cycle(date(2026, 5, 1)), cycle(date(2026, 6, 1))]


def test_three_consecutive_minimum_payments_allow_a_reage():
    assert reage_refusal(ON, PAID_3, [], POLICY) is None


def test_fewer_than_three_paid_cycles_are_refused_with_the_short_one_named():
    short = PAID_3[:3] + [cycle(date(2026, 6, 1), received="40.00")]
    assert reage_refusal(ON, short, [], ReagePolicy(allow_cumulative=False)) == (
        "3 consecutive minimum payments are needed first: the minimum of 100.00 due 2026-06-01 got 40.00")


def test_the_equivalent_cumulative_amount_counts_under_the_preset():
    # April 40.00, May 160.00, June 100.00: 300.00 over three 100.00 minimums.
    made_up = [PAID_3[0], cycle(date(2026, 4, 1), received="40.00"), cycle(date(2026, 5, 1), received="160.00"), PAID_3[3]]
    assert reage_refusal(ON, made_up, [], POLICY) is None
    short = [PAID_3[0], cycle(date(2026, 4, 1), received="40.00"), PAID_3[2], PAID_3[3]]
    assert "the last 3 cycles got 240.00 of 300.00" in reage_refusal(ON, short, [], POLICY)


def test_too_few_cycles_fallen_due():
    assert reage_refusal(date(2026, 4, 10), PAID_3[:2], [], POLICY) == (
        "3 consecutive minimum payments are needed first; only 2 cycle(s) have fallen due")


def test_once_in_twelve_months():
    assert reage_refusal(ON, PAID_3, [date(2025, 9, 1)], POLICY) == (
        "at most 1 re-age(s) in 12 months, 1 already (last on 2025-09-01; next possible after 2026-09-01)")
    # Thirteen months ago is outside the window; payments since then were made.
    assert reage_refusal(ON, PAID_3, [date(2025, 6, 1)], POLICY) is None


def test_twice_in_five_years():
    assert reage_refusal(ON, PAID_3, [date(2022, 1, 5), date(2024, 3, 1)], POLICY) == (
        "at most 2 re-age(s) in 5 years, 2 already (since 2022-01-05)")
    assert reage_refusal(ON, PAID_3, [date(2021, 7, 10), date(2024, 3, 1)], POLICY) is None  # exactly five years back


def test_payments_before_the_last_reage_do_not_count_again():
    # Re-aged on 2026-04-15 (under a looser policy): only May and June have fallen due since.
    loose = ReagePolicy(preset=None, max_per_12_months=2, max_per_5_years=2)
    assert reage_refusal(ON, PAID_3, [date(2026, 4, 15)], loose) == (
        "3 consecutive minimum payments are needed first; only 2 cycle(s) have fallen due")


def test_an_account_not_past_due_needs_no_reage():
    current = [cycle(date(2026, 6, 1), unpaid=False)]
    assert reage_refusal(ON, current, [], POLICY) == "the account is not past due: there is nothing to re-age"


def test_counts_in_twelve_months_and_five_years():
    past = [date(2021, 7, 10), date(2021, 7, 11), date(2025, 7, 10), date(2025, 7, 11), date(2026, 7, 11)]
    # 2021-07-10 is exactly five years back (outside); 2025-07-10 exactly twelve months (outside); 2026-07-11 is later.
    assert reage_counts(ON, past) == (1, 3)


def test_with_cycles_from_the_ledger():
    # Missed March, then 100.00 a month: April's period (03-02..04-01) got 100.00 against a 100.00 minimum, and so on.
    opening = Opening(episode_id="e", currency="CNY", due_date=date(2026, 3, 1), principal=D("1000.00"),
                      overdue_minimum=D("100.00"))
    pricing = Pricing(penalty_rate=D(0), late_fee_percent=D(0))
    payments = [PaymentEvent(on=date(2026, m, 25), payment_id=f"P{m}", amount=D(100)) for m in (3, 4, 5)]
    ledger = compute_ledger(opening, pricing, payments, date(2026, 6, 5))
    assert [(c.due_date.month, c.minimum, c.received) for c in ledger.cycles] == [
        (3, D("100.00"), 0), (4, D("100.00"), D(100)), (5, D("90.00"), D(100)), (6, D("80.00"), D(100)),
        (7, D("70.00"), 0)]
    assert ledger.overdue > 0
    assert reage_refusal(date(2026, 6, 5), ledger.cycles, [], POLICY) is None
