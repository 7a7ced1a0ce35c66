"""The contact policy gate, rule by rule; each test quotes the rule it checks."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from arrears.domain.holds import HoldType
from arrears.domain.policy import (
    ActiveHold,
    CallConsent,
    ContactPolicy,
    MessageKind,
    Party,
    Preference,
    GateContext,
    PastContact,
    Proposed,
    Verdict,
    decide,
    is_working_day,
)
from arrears.domain.strategy import StrategyError
from arrears.config.strategies import load_preset, parse_strategy

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
    # 1006.6(b)(1)(i): "before 8:00 a.m. and after 9:00 p.m." are inconvenient: 21:00:00 itself is not
    # (issue 15 item 5; the gate used to refuse it), a second later is.
    assert decide(Proposed("call", at(NY, 2026, 3, 10, 21, 0)), ny_ctx(), REGF).verdict == Verdict.ALLOW
    late = decide(Proposed("call", at(NY, 2026, 3, 10, 21, 0) + timedelta(seconds=1)), ny_ctx(), REGF)
    assert (late.verdict, late.until) == (Verdict.DEFER, at(NY, 2026, 3, 11, 8))
    assert decide(Proposed("call", at(NY, 2026, 3, 10, 20, 59)), ny_ctx(), REGF).verdict == Verdict.ALLOW
    assert decide(Proposed("sms", at(NY, 2026, 3, 10, 8, 0)), ny_ctx(), REGF).verdict == Verdict.ALLOW


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


def test_an_eighth_call_in_seven_days_waits_for_the_eighth_day():
    # 1006.14(b)(2)(i)(A): at most 7 calls within 7 consecutive days, counted in calendar days: the
    # eighth goes on the eighth day at the window's opening, not 168 hours after the first (issue 15
    # item 4; the gate used to wait until 10:00:01).
    calls = tuple(PastContact("call", at(NY, 2026, 3, 2 + i, 10)) for i in range(7))
    d = decide(Proposed("call", at(NY, 2026, 3, 8, 18)), ny_ctx(history=calls), REGF)
    assert (d.verdict, d.rule) == (Verdict.DEFER, "frequency_cap")
    assert d.until == at(NY, 2026, 3, 9, 8)
    six = calls[1:]
    assert decide(Proposed("call", at(NY, 2026, 3, 8, 18)), ny_ctx(history=six), REGF).verdict == Verdict.ALLOW


def test_no_call_within_seven_days_after_a_conversation():
    # 1006.14(b)(2)(i)(B): none within 7 consecutive days after a telephone conversation, "the date of
    # the telephone conversation is the first day": Monday 15:00 talk, next call Monday 08:00 (item 4).
    talk = (PastContact("call", at(NY, 2026, 3, 2, 15), conversation=True),)
    d = decide(Proposed("call", at(NY, 2026, 3, 5, 10)), ny_ctx(history=talk), REGF)
    assert (d.rule, d.until) == ("after_conversation", at(NY, 2026, 3, 9, 8))
    # An SMS is not a call.
    assert decide(Proposed("sms", at(NY, 2026, 3, 5, 10)), ny_ctx(history=talk), REGF).verdict == Verdict.ALLOW


def test_a_callback_the_consumer_asked_for_is_not_held_back_by_the_quiet_period():
    # Comment 14(b)(3)(i)-3.i: the consumer says "call back on Monday" during a conversation: prior consent
    # that allows that call (issue 15 item 3; the gate used to defer it to the end of the quiet period).
    talk = (PastContact("call", at(NY, 2026, 4, 3, 15), conversation=True),)
    monday = CallConsent(received_at=at(NY, 2026, 4, 3, 15), valid_from=at(NY, 2026, 4, 6, 0), valid_until=at(NY, 2026, 4, 7, 0))
    d = decide(Proposed("call", at(NY, 2026, 4, 6, 10)), ny_ctx(history=talk, consents=(monday,)), REGF)
    assert d.verdict == Verdict.ALLOW
    # Tuesday is not Monday: the quiet period applies again.
    tuesday = decide(Proposed("call", at(NY, 2026, 4, 7, 10)), ny_ctx(history=talk, consents=(monday,)), REGF)
    assert (tuesday.verdict, tuesday.rule) == (Verdict.DEFER, "after_conversation")


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
    # 1006.6(c)(2)(ii)-(iii): after a cease request, only notices that a remedy may or will be invoked;
    # the final demand asks for payment and is not one (issue 22 item 6).
    ctx = cn_ctx(holds=(ActiveHold(HoldType.CEASE_CONTACT),))
    assert decide(Proposed("sms", at(SH, 2026, 3, 10, 10), template="sms_early"), ctx, REGF).verdict == Verdict.SUPPRESS
    assert decide(Proposed("letter", at(SH, 2026, 3, 10, 10), template="letter_late"), ctx, REGF).verdict == Verdict.SUPPRESS
    remedy = decide(Proposed("letter", at(SH, 2026, 3, 10, 10), template="letter_remedy_notice"), ctx, REGF)
    assert remedy.verdict == Verdict.ALLOW
    assert REGF.notices_allowed_under_cease == CN.notices_allowed_under_cease == ("letter_remedy_notice",)


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
    # 1006.10(c) / art. 68: a third party only to locate the cardholder, once.
    locate = dict(template="sms_locate", to_third_party=True)
    first = decide(Proposed("sms", at(SH, 2026, 3, 10, 10), **locate), cn_ctx(), CN)
    again = decide(Proposed("sms", at(SH, 2026, 3, 10, 10), **locate), cn_ctx(third_party_contacts=1), CN)
    assert first.verdict == Verdict.ALLOW and (again.verdict, again.rule) == (Verdict.SUPPRESS, "third_party_limit")


@pytest.mark.parametrize("policy", [REGF, CN], ids=["us-regf", "cn-bank"])
def test_a_contact_person_is_never_sent_a_collection_message(policy):
    # 1006.10(b)(2): a location communication must not state that the consumer owes a debt; art. 68: no
    # collection from third parties. The gate checks what a third-party message is (issue 15 item 2).
    d = decide(Proposed("sms", at(SH, 2026, 3, 10, 10), template="sms_late", to_third_party=True), cn_ctx(), policy)
    assert (d.verdict, d.rule) == (Verdict.SUPPRESS, "third_party_content")
    assert "sms_late" in d.detail


def test_a_guarantor_may_be_asked_to_pay_under_cn_bank_only():
    # Art. 68 names the cardholder and the guarantor; Regulation F has no such party: a guarantor is a
    # contact person there, reached only to locate the cardholder.
    ask = Proposed("sms", at(SH, 2026, 3, 10, 10), template="sms_guarantor", party=Party.GUARANTOR)
    assert decide(ask, cn_ctx(), CN).verdict == Verdict.ALLOW
    assert decide(ask, cn_ctx(third_party_contacts=3), CN).rule == "guarantor_limit"
    assert decide(ask, cn_ctx(), REGF).rule == "third_party_content"
    other = Proposed("sms", at(SH, 2026, 3, 10, 10), template="sms_late", party=Party.GUARANTOR)
    assert decide(other, cn_ctx(), CN).rule == "guarantor_content"


def test_details_name_the_channel_and_rule_never_the_address():
    # Issue 14 item 2: the decision detail is an activity result, so it lands in workflow history.
    phone, email = "+8613800000000", "li.wei@example.com"
    ctx = cn_ctx(opted_out=frozenset({("sms", phone)}), invalid_addresses=frozenset({email}))
    opted = decide(Proposed("sms", at(SH, 2026, 3, 10, 10), address=phone), ctx, CN)
    bounced = decide(Proposed("email", at(SH, 2026, 3, 10, 10), address=email), ctx, CN)
    assert (opted.rule, bounced.rule) == ("opt_out", "address_invalid")
    for d in (opted, bounced):
        assert phone not in d.detail and email not in d.detail and d.inputs["address"] in (phone, email)


def test_stop_calling_covers_every_number_even_one_added_later():
    # Comment 14(h)(1)-3.i, issue 15 item 7: a medium-wide opt-out.
    stop = Preference(channel="call", status="opted_out", at=at(SH, 2026, 3, 1, 10))
    ctx = cn_ctx(preferences=(stop,))
    for number in ("+8613800000000", "+8613900000000"):
        assert decide(Proposed("call", at(SH, 2026, 3, 10, 10), address=number), ctx, CN).rule == "opt_out"
    assert decide(Proposed("sms", at(SH, 2026, 3, 10, 10), address="+8613800000000"), ctx, CN).verdict == Verdict.ALLOW
    again = Preference(channel="call", status="opted_in", at=at(SH, 2026, 3, 5, 10))
    assert decide(Proposed("call", at(SH, 2026, 3, 10, 10), address="+8613800000000"),
                  cn_ctx(preferences=(stop, again)), CN).verdict == Verdict.ALLOW


def test_an_opt_out_may_be_confirmed_once_and_a_verification_goes_despite_it():
    # 1006.14(h)(2)(i) and (iii), issue 15 item 8.
    phone = "+8613800000000"
    stop = Preference(channel="sms", status="opted_out", at=at(SH, 2026, 3, 1, 10), address=phone)
    confirm = Proposed("sms", at(SH, 2026, 3, 10, 10), template="sms_opt_out_confirmation", address=phone,
                       kind=MessageKind.OPT_OUT_CONFIRMATION)
    assert decide(confirm, cn_ctx(preferences=(stop,)), CN).verdict == Verdict.ALLOW
    done = Preference(channel="sms", status="opted_out", at=at(SH, 2026, 3, 1, 10), address=phone, confirmed=True)
    assert decide(confirm, cn_ctx(preferences=(done,)), CN).rule == "opt_out"
    letters = Preference(channel="letter", status="opted_out", at=at(SH, 2026, 3, 1, 10))
    held = (ActiveHold(HoldType.DISPUTE),)
    verification = Proposed("letter", at(SH, 2026, 3, 10, 10), template="letter_dispute_verification",
                            kind=MessageKind.DISPUTE_VERIFICATION)
    assert decide(verification, cn_ctx(preferences=(letters,), holds=held), CN).verdict == Verdict.ALLOW
    # Anything else under the dispute hold is still stopped.
    assert decide(Proposed("letter", at(SH, 2026, 3, 10, 10), template="letter_mid"), cn_ctx(holds=held), CN).rule == "hold:dispute"


def test_collection_waits_for_the_validation_notice_and_for_a_verification_owed():
    # 1006.34 and 1006.38(d)(2): nothing else goes while the notice is pending or a verification is owed.
    waiting = ny_ctx(validation_pending=True, validation_until=at(NY, 2026, 3, 9, 8))
    d = decide(Proposed("sms", at(NY, 2026, 3, 7, 10)), waiting, REGF)
    assert (d.verdict, d.rule, d.until) == (Verdict.DEFER, "validation_notice_pending", at(NY, 2026, 3, 9, 8, 1))
    lost = decide(Proposed("call", at(NY, 2026, 3, 7, 10)), ny_ctx(validation_pending=True), REGF)
    assert (lost.verdict, lost.rule) == (Verdict.SUPPRESS, "validation_notice_pending")
    notice = Proposed("letter", at(NY, 2026, 3, 9, 9), template="letter_validation_notice",
                      kind=MessageKind.VALIDATION_NOTICE)
    assert decide(notice, waiting, REGF).verdict == Verdict.ALLOW
    owed = decide(Proposed("sms", at(NY, 2026, 3, 9, 10)), ny_ctx(verification_owed=True), REGF)
    assert (owed.verdict, owed.rule) == (Verdict.SUPPRESS, "verification_owed")


@pytest.mark.parametrize("hold", [HoldType.CEASE_CONTACT, HoldType.DISPUTE, HoldType.BANKRUPTCY,
                                  HoldType.ATTORNEY_REPRESENTED])
def test_no_agency_placement_under_a_hold_that_stops_contact_but_the_agency_is_always_told(hold):
    ctx = cn_ctx(holds=(ActiveHold(hold),))
    place = decide(Proposed("agency", at(SH, 2026, 3, 10, 3), party=Party.AGENCY, kind=MessageKind.AGENCY_PLACEMENT), ctx, CN)
    assert (place.verdict, place.rule) == (Verdict.SUPPRESS, f"hold:{hold.value}")
    tell = decide(Proposed("agency", at(SH, 2026, 3, 10, 3), party=Party.AGENCY, kind=MessageKind.AGENCY_NOTICE), ctx, CN)
    assert tell.verdict == Verdict.ALLOW
    complaint = cn_ctx(holds=(ActiveHold(HoldType.COMPLAINT, channel="sms"),))
    placed = decide(Proposed("agency", at(SH, 2026, 3, 10, 3), party=Party.AGENCY, kind=MessageKind.AGENCY_PLACEMENT),
                    complaint, CN)
    assert placed.verdict == Verdict.ALLOW


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
    # Issue 15 item 12: the quiet period is (b)(2)(i)(B), "at most once" to a third party is 1006.10(c).
    assert REGF.sources["after_conversation"].startswith("12 CFR 1006.14(b)(2)(i)(B)")
    assert "1006.10(c)" in REGF.sources["third_party"] and "1006.10(b)(3)" not in REGF.sources["third_party"]
    assert "art. 68" in CN.sources["third_party"]
    assert REGF.retention_years == 3 and CN.retention_years == 2


def test_utc_in_utc_out():
    d = decide(Proposed("sms", datetime(2026, 3, 10, 21, tzinfo=timezone.utc)), cn_ctx(), CN)  # 05:00 Shanghai
    assert d.until == datetime(2026, 3, 11, 0, tzinfo=timezone.utc)
