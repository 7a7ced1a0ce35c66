"""Refusal reasons read back as criteria, and the first date the legal step could refer."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.domain.legal import LEGAL_PRESETS, LegalCriteria, referral_decision
from arrears.domain.legal_outlook import Criterion, collections_needed, earliest_referral, unmet_criterion

CN = LEGAL_PRESETS["cn-malicious-overdraft"]
DUE = date(2026, 11, 10)


def decide(collections, as_of, *, principal="60000", currency="CNY", unpaid=True, criteria=CN):
    return referral_decision(collections, due_date=DUE, still_unpaid=unpaid, principal=Decimal(principal),
                             currency=currency, as_of=as_of, criteria=criteria)


def outlook(collections, as_of, *, principal="60000", currency="CNY", unpaid=True, criteria=CN):
    return earliest_referral(collections, due_date=DUE, still_unpaid=unpaid, principal=Decimal(principal),
                             currency=currency, as_of=as_of, criteria=criteria)


def test_every_reason_referral_decision_gives_names_its_criterion():
    cases = {
        Criterion.COLLECTIONS: decide([], date(2027, 1, 1)),
        Criterion.SPACING: decide([date(2026, 11, 20), date(2026, 12, 1)], date(2027, 1, 1)),
        Criterion.UNPAID_MONTHS: decide([date(2026, 11, 20), date(2026, 12, 20)], date(2027, 1, 1)),
        Criterion.NOTHING_UNPAID: decide([date(2026, 11, 20), date(2026, 12, 20)], date(2027, 4, 1), unpaid=False),
        Criterion.PRINCIPAL_CURRENCY: decide([], date(2027, 1, 1), currency="USD"),
        Criterion.PRINCIPAL_AMOUNT: decide([], date(2027, 1, 1), principal="49999.99"),
    }
    for criterion, decision in cases.items():
        assert not decision.allowed
        assert criterion in {unmet_criterion(r) for r in decision.reasons}, (criterion, decision.reasons)
    assert [unmet_criterion(r) for r in decide([], date(2027, 1, 1), currency="USD").reasons] == [
        Criterion.COLLECTIONS, Criterion.PRINCIPAL_CURRENCY]
    assert unmet_criterion("criteria cn-malicious-overdraft met") is None
    assert [c for c in Criterion if c.waiting_helps] == [Criterion.COLLECTIONS, Criterion.SPACING, Criterion.UNPAID_MONTHS]


def test_no_collection_yet_two_are_made_thirty_days_apart_then_three_months_run():
    today = date(2026, 12, 1)
    assert collections_needed([], due_date=DUE, as_of=today, criteria=CN) == [today, date(2026, 12, 31)]
    # More than three months after 31 December: 31 March is the same day-of-month, so 1 April.
    assert outlook([], today) == date(2027, 4, 1)


def test_one_collection_made_the_second_comes_thirty_days_after_it_or_today():
    assert outlook([date(2026, 11, 20)], date(2026, 11, 25)) == date(2027, 3, 21)  # second on 20 Dec
    assert outlook([date(2026, 11, 20)], date(2027, 2, 1)) == date(2027, 5, 2)  # second today, 1 Feb


def test_met_today_is_today_and_waiting_cannot_fix_the_principal_or_a_paid_account():
    pair = [date(2026, 11, 20), date(2026, 12, 20)]
    assert outlook(pair, date(2027, 5, 1)) == date(2027, 5, 1)
    assert outlook(pair, date(2027, 5, 1), principal="100") is None
    assert outlook(pair, date(2027, 5, 1), currency="USD") is None
    assert outlook(pair, date(2027, 5, 1), unpaid=False) is None
    assert outlook([], date(2027, 5, 1), criteria=LEGAL_PRESETS["none"]) == date(2027, 5, 1)


def test_collections_before_or_on_the_due_date_do_not_count():
    assert outlook([DUE, DUE - timedelta(days=40)], date(2026, 11, 10)) == outlook([], date(2026, 11, 11))


criteria_strategy = st.builds(
    LegalCriteria,
    min_effective_collections=st.integers(1, 4),
    min_days_between=st.integers(0, 60),
    months_unpaid_after_last=st.integers(0, 6),
    min_principal=st.sampled_from([Decimal(0), Decimal("50000")]),
)


@settings(max_examples=200, deadline=None)
@given(
    offsets=st.lists(st.integers(-30, 400), max_size=6),
    as_of_offset=st.integers(-5, 400),
    criteria=criteria_strategy,
)
def test_the_date_is_when_referral_decision_first_says_yes_with_the_collections_made_as_assumed(offsets, as_of_offset, criteria):
    known = [DUE + timedelta(days=o) for o in offsets if o <= as_of_offset]
    as_of = DUE + timedelta(days=as_of_offset)
    first = outlook(known, as_of, criteria=criteria)
    assert first is not None and first >= as_of
    made = known + collections_needed(known, due_date=DUE, as_of=as_of, criteria=criteria)
    assert decide(made, first, criteria=criteria).allowed
    if first > as_of:
        assert not decide(made, first - timedelta(days=1), criteria=criteria).allowed
    # Every reason of the decision before it names a criterion that waiting can meet.
    before = decide(known, as_of, criteria=criteria)
    if not before.allowed:
        assert all(unmet_criterion(r) is not None and unmet_criterion(r).waiting_helps for r in before.reasons)
