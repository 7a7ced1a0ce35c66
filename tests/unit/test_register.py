"""The effective-collection register: count, the earliest qualifying pair, the earliest date (2018 interpretation arts. 6-7)."""

from datetime import date

from arrears.domain.register import add_months, malicious_overdraft_register, unpaid_long_enough_from

DUE = date(2026, 1, 10)


def view(dates, unpaid=True, today=date(2026, 3, 1)):
    return malicious_overdraft_register(dates, due_date=DUE, unpaid=unpaid, today=today)


def test_no_collection_no_date():
    v = view([])
    assert (v.count, v.first, v.qualifying_pair, v.earliest, v.met) == (0, None, None, None, False)


def test_collections_on_or_before_the_due_date_do_not_count():
    v = view([date(2026, 1, 5), DUE])
    assert v.count == 0 and v.earliest is None


def test_two_collections_30_days_apart_then_more_than_three_months():
    v = view([date(2026, 1, 15), date(2026, 2, 14)])  # exactly 30 days apart
    assert v.count == 2 and v.qualifying_pair == (date(2026, 1, 15), date(2026, 2, 14))
    assert v.earliest == date(2026, 5, 15)  # 14 May is three months; more than three months is the 15th
    assert not v.met
    assert view([date(2026, 1, 15), date(2026, 2, 14)], today=date(2026, 5, 14)).met is False
    assert view([date(2026, 1, 15), date(2026, 2, 14)], today=date(2026, 5, 15)).met is True


def test_29_days_apart_is_not_a_pair_and_the_date_waits_for_a_second_collection():
    v = view([date(2026, 1, 15), date(2026, 2, 13)], today=date(2026, 2, 13))
    assert v.count == 2 and v.qualifying_pair is None
    # The second could come on 14 February at the earliest.
    assert v.earliest == date(2026, 5, 15) and not v.met


def test_one_collection_long_ago_the_second_cannot_be_in_the_past():
    v = view([date(2026, 1, 15)], today=date(2026, 4, 1))
    assert v.qualifying_pair is None and v.earliest == date(2026, 7, 2)


def test_the_earliest_pair_is_chosen_among_many():
    v = view([date(2026, 3, 1), date(2026, 1, 20), date(2026, 1, 25), date(2026, 2, 25), date(2026, 2, 19)])
    assert v.count == 5
    assert v.qualifying_pair == (date(2026, 1, 20), date(2026, 2, 19))
    assert v.earliest == date(2026, 5, 20)


def test_paid_means_no_date():
    v = view([date(2026, 1, 15), date(2026, 2, 20)], unpaid=False)
    assert v.count == 2 and v.earliest is None and not v.met


def test_month_arithmetic_clamps_to_the_month_end():
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert unpaid_long_enough_from(date(2026, 11, 30)) == date(2027, 3, 1)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert add_months(date(2026, 10, 31), 3) == date(2027, 1, 31)
