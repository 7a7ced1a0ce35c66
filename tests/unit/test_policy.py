"""The contact policy gate, rule by rule; each test quotes the rule it checks."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from arrears.domain.holds import HoldType
from arrears.domain.policy import (
    ActiveHold,
    ContactPolicy,
    GateContext,
    PastContact,
    Proposed,
    Verdict,
    decide,
    is_working_day,
)
from arrears.domain.strategy import StrategyError, load_preset, parse_strategy

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
REGF = ContactPolicy.model_validate(load_preset("us-regf"))
CN = ContactPolicy.model_validate(load_preset("cn-bank"))


def at(tz, y, m, d, hh, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=tz)


def cn_ctx(**kw) -> GateContext:
    return GateContext(zones=("Asia/Shanghai",), country="CN", **kw)


def ny_ctx(**kw) -> GateContext:
    return GateContext(zones=("America/New_York",), country="US", **kw)


# ---- windows ----------------------------------------------------------------------------


def test_an_sms_due_at_six_is_deferred_to_eight():
    # Industry self-regulation (cn-bank) / 1006.6(b)(1)(i): no contact before 08:00 local.
    d = decide(Proposed("sms", at(SH, 2026, 3, 10, 6)), cn_ctx(), CN)
    assert (d.verdict, d.rule, d.until) == (Verdict.DEFER, "contact_window", at(SH, 2026, 3, 10, 8))
    assert decide(Proposed("sms", at(SH, 2026, 3, 10, 8)), cn_ctx(), CN).verdict == Verdict.ALLOW


def test_after_nine_in_the_evening_waits_for_the_next_morning():
    # 1006.6(b)(1)(i): "after 9 p.m." is inconvenient.
    d = decide(Proposed("call", at(NY, 2026, 3, 10, 21, 0)), ny_ctx(), REGF)
    assert d.until == at(NY, 2026, 3, 11, 8)
    assert decide(Proposed("call", at(NY, 2026, 3, 10, 20, 59)), ny_ctx(), REGF).verdict == Verdict.ALLOW


def test_an_ambiguous_location_needs_every_zone_to_permit():
    # Comment 6(b)(1)(i)-2: if the consumer may be in more than one zone, the time must be
    # convenient in all of them. 08:30 in New York is 05:30 in Los Angeles.
    both = GateContext(zones=("America/New_York", "America/Los_Angeles"), country="US")
    d = decide(Proposed("call", at(NY, 2026, 3, 10, 8, 30)), both, REGF)
    assert d.verdict == Verdict.DEFER and d.until == at(LA, 2026, 3, 10, 8)
    # 20:30 in New York is fine there but the window for the two closes at 21:00 New York time.
    assert decide(Proposed("call", at(NY, 2026, 3, 10, 20, 30)), both, REGF).verdict == Verdict.ALLOW


def test_dst_spring_forward_in_new_york():
    # 2026-03-08: clocks jump from 02:00 to 03:00; 07:30 EDT is still before 08:00.
    d = decide(Proposed("call", at(NY, 2026, 3, 8, 7, 30)), ny_ctx(), REGF)
    assert d.until == at(NY, 2026, 3, 8, 8) and d.until.utcoffset() == timedelta(hours=-4)
    # The day before, 08:00 is EST (UTC-5): the same wall time, a different instant.
    assert decide(Proposed("call", at(NY, 2026, 3, 7, 7)), ny_ctx(), REGF).until.utcoffset() == timedelta(hours=-5)


def test_no_letters_or_visits_on_public_holidays_or_rest_days():
    # cn-bank: letters and visits on working days only; the Spring Festival 2026 runs Feb 15-23.
    d = decide(Proposed("letter", at(SH, 2026, 2, 16, 9)), cn_ctx(), CN)
    assert (d.verdict, d.rule) == (Verdict.DEFER, "non_working_day")
    assert d.until == at(SH, 2026, 2, 24, 8)
    # Saturday 2026-02-28 is a make-up working day (调休): a letter may go.
    assert decide(Proposed("letter", at(SH, 2026, 2, 28, 9)), cn_ctx(), CN).verdict == Verdict.ALLOW
    # US: Independence Day observed on Friday 2026-07-03; visits wait for Monday.
    d = decide(Proposed("visit", at(NY, 2026, 7, 3, 10)), ny_ctx(), REGF)
    assert d.until == at(NY, 2026, 7, 6, 9)
    # An SMS is not a letter: it may go on a holiday within hours.
    assert decide(Proposed("sms", at(SH, 2026, 2, 16, 9)), cn_ctx(), CN).verdict == Verdict.ALLOW


def test_working_days_follow_the_calendar():
    assert not is_working_day(date(2026, 10, 1), "CN")  # National Day
    assert is_working_day(date(2026, 9, 20), "CN")  # a Sunday made a working day
    assert not is_working_day(date(2026, 12, 25), "US")
    assert is_working_day(date(2026, 12, 24), "US")


# ---- caps ----------------------------------------------------------------------------------


def test_an_eighth_call_in_seven_days_waits_until_the_first_falls_out():
    # 1006.14(b)(2)(i): at most 7 call attempts within 7 consecutive days.
    calls = tuple(PastContact("call", at(NY, 2026, 3, 2 + i, 10)) for i in range(7))
    d = decide(Proposed("call", at(NY, 2026, 3, 8, 18)), ny_ctx(history=calls), REGF)
    assert (d.verdict, d.rule) == (Verdict.DEFER, "frequency_cap")
    assert d.until == at(NY, 2026, 3, 9, 10) + timedelta(seconds=1)
    six = calls[1:]
    assert decide(Proposed("call", at(NY, 2026, 3, 8, 18)), ny_ctx(history=six), REGF).verdict == Verdict.ALLOW


def test_no_call_within_seven_days_after_a_conversation():
    # 1006.14(b)(2)(ii): none within 7 days after a telephone conversation about the debt.
    talk = (PastContact("call", at(NY, 2026, 3, 2, 15), conversation=True),)
    d = decide(Proposed("call", at(NY, 2026, 3, 5, 10)), ny_ctx(history=talk), REGF)
    assert (d.rule, d.until) == ("after_conversation", at(NY, 2026, 3, 9, 15))
    # An SMS is not a call.
    assert decide(Proposed("sms", at(NY, 2026, 3, 5, 10)), ny_ctx(history=talk), REGF).verdict == Verdict.ALLOW


def test_a_daily_call_cap_moves_the_call_to_the_next_morning():
    # cn-bank: a daily cap on collection calls per account (3).
    calls = tuple(PastContact("call", at(SH, 2026, 3, 10, h)) for h in (9, 11, 14))
    d = decide(Proposed("call", at(SH, 2026, 3, 10, 16)), cn_ctx(history=calls), CN)
    assert d.until == at(SH, 2026, 3, 11, 8)


# ---- holds, opt-outs, third parties ------------------------------------------------------


@pytest.mark.parametrize("hold", [HoldType.DISPUTE, HoldType.BANKRUPTCY, HoldType.DECEASED, HoldType.HARDSHIP,
                                  HoldType.FRAUD_CLAIM, HoldType.ATTORNEY_REPRESENTED])
def test_holds_that_stop_contact_suppress_every_channel(hold):
    d = decide(Proposed("sms", at(SH, 2026, 3, 10, 10)), cn_ctx(holds=(ActiveHold(hold),)), CN)
    assert (d.verdict, d.rule) == (Verdict.SUPPRESS, f"hold:{hold.value}")


def test_cease_contact_lets_only_permitted_notices_through():
    # 1006.6(c)(2): after a cease request, only notices that a remedy may or will be invoked.
    ctx = cn_ctx(holds=(ActiveHold(HoldType.CEASE_CONTACT),))
    assert decide(Proposed("sms", at(SH, 2026, 3, 10, 10), template="sms_early"), ctx, REGF).verdict == Verdict.SUPPRESS
    assert decide(Proposed("letter", at(SH, 2026, 3, 10, 10), template="letter_late"), ctx, REGF).verdict == Verdict.ALLOW


def test_a_complaint_closes_only_its_channel():
    ctx = cn_ctx(holds=(ActiveHold(HoldType.COMPLAINT, channel="sms"),))
    assert decide(Proposed("sms", at(SH, 2026, 3, 10, 10)), ctx, CN).verdict == Verdict.SUPPRESS
    assert decide(Proposed("email", at(SH, 2026, 3, 10, 10)), ctx, CN).verdict == Verdict.ALLOW


def test_an_opt_out_stops_that_channel_and_address_only():
    # 1006.6(e), 1006.14(h): a request not to use a medium binds.
    ctx = cn_ctx(opted_out=frozenset({("sms", "+8613800000000")}))
    d = decide(Proposed("sms", at(SH, 2026, 3, 10, 10), address="+8613800000000"), ctx, CN)
    assert (d.verdict, d.rule) == (Verdict.SUPPRESS, "opt_out")
    assert decide(Proposed("call", at(SH, 2026, 3, 10, 10), address="+8613800000000"), ctx, CN).verdict == Verdict.ALLOW
    assert decide(Proposed("sms", at(SH, 2026, 3, 10, 10), address="+8613900000000"), ctx, CN).verdict == Verdict.ALLOW


def test_an_invalid_address_is_not_used():
    ctx = cn_ctx(invalid_addresses=frozenset({"a@example.com"}))
    assert decide(Proposed("email", at(SH, 2026, 3, 10, 10), address="a@example.com"), ctx, CN).rule == "address_invalid"


def test_a_contact_person_is_reached_at_most_once():
    # 1006.10(b)(3) / art. 68: a third party only to locate the cardholder, once.
    first = decide(Proposed("sms", at(SH, 2026, 3, 10, 10), to_third_party=True), cn_ctx(), CN)
    again = decide(Proposed("sms", at(SH, 2026, 3, 10, 10), to_third_party=True), cn_ctx(third_party_contacts=1), CN)
    assert first.verdict == Verdict.ALLOW and (again.verdict, again.rule) == (Verdict.SUPPRESS, "third_party_limit")


def test_decisions_carry_their_inputs_for_the_auditor():
    d = decide(Proposed("call", at(SH, 2026, 3, 10, 22)), cn_ctx(), CN)
    assert d.inputs["preset"] == "cn-bank" and d.inputs["zones"] == ["Asia/Shanghai"]
    assert "22:00" in d.detail and "08:00-21:00" in d.detail


# ---- presets in strategy files ---------------------------------------------------------------


def test_a_strategy_picks_a_preset_and_overrides_it_with_errors_naming_the_field():
    base = {"name": "x", "steps": [{"id": "co", "dpd": 180, "action": "charge_off"}]}
    strategy = parse_strategy({**base, "compliance": {"preset": "cn-bank", "caps": {"call": {"per_day": 2}}}})
    assert strategy.compliance.caps["call"].per_day == 2 and strategy.compliance.caps["sms"].per_day == 2
    assert strategy.compliance.window("visit").working_days_only
    with pytest.raises(StrategyError, match="compliance.windows.call: start 22:00 must be before end 21:00"):
        parse_strategy({**base, "compliance": {"preset": "cn-bank", "windows": {"call": {"start": "22:00"}}}})
    with pytest.raises(StrategyError, match="compliance.preset: unknown preset 'eu'"):
        parse_strategy({**base, "compliance": {"preset": "eu"}})
    with pytest.raises(StrategyError, match="compliance.caps: .*unknown channel"):
        parse_strategy({**base, "compliance": {"preset": "cn-bank", "caps": {"fax": {"per_day": 1}}}})


def test_presets_cite_their_sources():
    assert "1006.14(b)(2)(i)" in REGF.sources["frequency_cap"]
    assert "art. 68" in CN.sources["third_party"]
    assert REGF.retention_years == 3 and CN.retention_years == 2


def test_utc_in_utc_out():
    d = decide(Proposed("sms", datetime(2026, 3, 10, 21, tzinfo=timezone.utc)), cn_ctx(), CN)  # 05:00 Shanghai
    assert d.until == datetime(2026, 3, 11, 0, tzinfo=timezone.utc)
