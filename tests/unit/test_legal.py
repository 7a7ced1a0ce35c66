"""Legal referral (2018 interpretation arts. 6-8) with dated examples, and the legal case's states."""

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from arrears.domain.legal import (
    LEGAL_PRESETS,
    InvalidTransition,
    LegalCase,
    LegalCriteria,
    LegalEvent,
    LegalPolicy,
    LegalState,
    referral_decision,
    transition_refusal,
)

DUE = date(2026, 1, 10)
CN = LEGAL_PRESETS["cn-malicious-overdraft"]
FIRST, SECOND = date(2026, 1, 15), date(2026, 2, 14)  # exactly 30 days apart


def decide(collections, as_of, principal="60000", unpaid=True, criteria=CN, currency="CNY"):
    return referral_decision(collections, due_date=DUE, still_unpaid=unpaid, principal=Decimal(principal),
                             currency=currency, as_of=as_of, criteria=criteria)


def test_refused_with_one_collection():
    d = decide([FIRST], date(2026, 12, 1))
    assert not d.allowed
    assert d.reasons == ("effective collections: 1 after the due date, 2 required",)


def test_refused_when_the_two_are_29_days_apart():
    d = decide([FIRST, date(2026, 2, 13)], date(2026, 12, 1))
    assert not d.allowed
    assert d.reasons == ("effective collections: 2, but not 2 at least 30 days apart",)


def test_refused_at_exactly_three_months_after_the_second_accepted_the_day_after():
    at_three_months = decide([FIRST, SECOND], date(2026, 5, 14))
    assert not at_three_months.allowed
    assert at_three_months.reasons == (
        "unpaid more than 3 months after the collection of 2026-02-14: not before 2026-05-15",)
    after = decide([FIRST, SECOND], date(2026, 5, 15))
    assert after.allowed and after.chain == (FIRST, SECOND) and after.unpaid_from == date(2026, 5, 15)
    assert after.reasons == ("criteria cn-malicious-overdraft met: collections 2026-01-15, 2026-02-14",)


def test_three_calendar_months_clamp_at_a_short_month():
    d = decide([date(2026, 10, 31), date(2026, 11, 30)], date(2027, 2, 28))
    assert not d.allowed and d.unpaid_from == date(2027, 3, 1)
    assert decide([date(2026, 10, 31), date(2026, 11, 30)], date(2027, 3, 1)).allowed


def test_refused_under_the_threshold_and_the_threshold_itself_counts():
    under = decide([FIRST, SECOND], date(2026, 6, 1), principal="49999.99")
    assert not under.allowed and under.reasons == ("principal 49999.99 CNY is under the threshold 50000",)
    assert decide([FIRST, SECOND], date(2026, 6, 1), principal="50000.00").allowed  # 以上 includes the number


def test_every_unmet_criterion_is_named():
    d = decide([FIRST], date(2026, 3, 1), principal="100", currency="CNY")
    assert len(d.reasons) == 2 and d.reasons[1].startswith("principal 100 CNY")
    paid = decide([FIRST, SECOND], date(2026, 6, 1), unpaid=False)
    assert paid.reasons == ("nothing is unpaid any more",)
    usd = decide([FIRST, SECOND], date(2026, 6, 1), currency="USD")
    assert usd.reasons == ("principal is in USD; the threshold is in CNY",)


def test_collections_before_the_due_date_or_in_the_future_do_not_count():
    d = decide([date(2026, 1, 5), DUE, FIRST, date(2026, 7, 1)], date(2026, 6, 1))
    assert d.reasons == ("effective collections: 1 after the due date, 2 required",)


def test_the_earliest_spaced_pair_anchors_the_three_months():
    d = decide([date(2026, 1, 20), date(2026, 1, 25), date(2026, 2, 19), date(2026, 3, 1)], date(2026, 5, 20))
    assert d.allowed and d.chain == (date(2026, 1, 20), date(2026, 2, 19))


def test_the_none_preset_always_allows():
    d = decide([], date(2026, 1, 11), principal="1", currency="USD", unpaid=False, criteria=LEGAL_PRESETS["none"])
    assert d.allowed


def test_criteria_config_names_the_field():
    with pytest.raises(ValidationError, match="min_principal"):
        LegalCriteria(min_principal=50000.0)
    with pytest.raises(ValidationError, match="min_effective_collections must be at least 1"):
        LegalCriteria(min_effective_collections=0, months_unpaid_after_last=3)
    with pytest.raises(ValidationError, match="criteria"):
        LegalPolicy(criteria="lenient")
    custom = LegalPolicy.model_validate({"criteria": {"preset": "cn-malicious-overdraft", "min_principal": "100000"}})
    assert custom.criteria.min_principal == Decimal("100000") and custom.criteria.min_days_between == 30
    assert LegalPolicy(criteria="none").criteria == LEGAL_PRESETS["none"]


# ---- the case -----------------------------------------------------------------------


def ev(event_id, on, state=None, cost="0", **kw):
    return LegalEvent(event_id=event_id, on=on, by="lawyer-1", new_state=state, cost=Decimal(cost), **kw)


def test_a_case_moves_forward_one_state_at_a_time_and_adds_its_costs():
    case = LegalCase(referred_on=date(2026, 6, 1), last_event_on=date(2026, 6, 1))
    policy = LegalPolicy(costs_recoverable=True)
    case = case.apply(ev("e1", date(2026, 6, 10), LegalState.FILED, "1200.00", document_id="ev-" + "a" * 64), policy)
    case = case.apply(ev("e2", date(2026, 6, 12), cost="300.50", note="court fee"), policy)
    case = case.apply(ev("e3", date(2026, 9, 1), LegalState.JUDGMENT), policy)
    assert (case.state, case.costs, case.recoverable_costs) == (LegalState.JUDGMENT, Decimal("1500.50"), Decimal("1500.50"))
    not_recoverable = LegalCase(referred_on=date(2026, 6, 1), last_event_on=date(2026, 6, 1)).apply(
        ev("e1", date(2026, 6, 2), LegalState.FILED, "10"), LegalPolicy())
    assert (not_recoverable.costs, not_recoverable.recoverable_costs) == (Decimal("10"), Decimal(0))


def test_no_going_back_no_skipping_and_closed_is_final():
    assert transition_refusal(LegalState.FILED, LegalState.REFERRED) == "a case filed moves to judgment or closed, not referred"
    assert transition_refusal(LegalState.REFERRED, LegalState.JUDGMENT) is not None
    assert transition_refusal(LegalState.FILED, LegalState.FILED) == "the case is already filed"
    for state in (LegalState.REFERRED, LegalState.FILED, LegalState.JUDGMENT, LegalState.ENFORCEMENT):
        assert transition_refusal(state, LegalState.CLOSED) is None
    closed = LegalCase(state=LegalState.CLOSED, referred_on=date(2026, 6, 1), last_event_on=date(2026, 6, 1))
    with pytest.raises(InvalidTransition, match="closed; nothing follows"):
        closed.apply(ev("x", date(2026, 7, 1), cost="5"), LegalPolicy())


def test_an_event_cannot_predate_the_last_one_or_say_nothing():
    case = LegalCase(referred_on=date(2026, 6, 1), last_event_on=date(2026, 6, 10))
    with pytest.raises(InvalidTransition, match="before the case's last event"):
        case.apply(ev("e", date(2026, 6, 9), LegalState.FILED), LegalPolicy())
    with pytest.raises(ValidationError, match="changes the state or records"):
        ev("e", date(2026, 6, 11))
    with pytest.raises(ValidationError, match="cost"):
        LegalEvent(event_id="e", on=date(2026, 6, 11), by="x", cost=1.5)
