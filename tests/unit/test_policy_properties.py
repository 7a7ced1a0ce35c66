"""Property tests: over generated zones, times, histories, holds and presets, no contact the
gate lets through breaks a window, a working-day rule, a cap, a quiet period or a hold, and
every deferral lands on a moment the gate then allows."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arrears.domain.holds import HOLD_RULES, ContactEffect, HoldType
from arrears.domain.policy import (
    CHANNELS,
    ActiveHold,
    ContactPolicy,
    GateContext,
    PastContact,
    Proposed,
    Verdict,
    decide,
    is_working_day,
)
from arrears.config.strategies import load_preset

PRESETS = {name: ContactPolicy.model_validate(load_preset(name)) for name in ("us-regf", "cn-bank")}
ZONES = ["Asia/Shanghai", "Asia/Urumqi", "America/New_York", "America/Chicago", "America/Los_Angeles",
         "Europe/London", "Pacific/Honolulu"]
COUNTRY = {"Asia/Shanghai": "CN", "Asia/Urumqi": "CN", "Europe/London": "GB"}
START = datetime(2026, 1, 1, tzinfo=timezone.utc)
EXAMPLES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

moments = st.integers(min_value=0, max_value=365 * 24 * 60).map(lambda m: START + timedelta(minutes=m))


@st.composite
def situations(draw):
    preset = draw(st.sampled_from(sorted(PRESETS)))
    zones = tuple(draw(st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True)))
    channel = draw(st.sampled_from(CHANNELS))
    at = draw(moments)
    history = tuple(
        PastContact(draw(st.sampled_from(CHANNELS)), at - timedelta(minutes=draw(st.integers(1, 10 * 24 * 60))),
                    conversation=draw(st.booleans()))
        for _ in range(draw(st.integers(0, 12)))
    )
    country = COUNTRY.get(zones[0], "US")
    return PRESETS[preset], GateContext(zones=zones, country=country, history=history), Proposed(channel, at)


def violations(p: Proposed, ctx: GateContext, policy: ContactPolicy) -> list[str]:
    """Everything wrong with making this contact at p.at, checked independently of the gate."""
    problems = []
    window = policy.window(p.channel)
    for zone in ctx.zones:
        local = p.at.astimezone(ZoneInfo(zone))
        if not (window.start <= local.time() <= window.end):
            problems.append(f"{local:%H:%M} outside hours in {zone}")
        if local.strftime("%a").lower() not in window.days:
            problems.append(f"{local:%a} not a permitted day in {zone}")
        if window.working_days_only and not is_working_day(local.date(), ctx.country or policy.holiday_country):
            problems.append(f"{local.date()} not a working day")
    cap = policy.caps.get(p.channel)
    tz = ZoneInfo(ctx.zones[0])
    day = p.at.astimezone(tz).date()
    same = [h.at.astimezone(tz).date() for h in ctx.history if h.channel == p.channel]
    if cap and cap.per_day:
        if sum(1 for d in same if d == day) >= cap.per_day:
            problems.append("daily cap")
    if cap and cap.per_window:
        # Consecutive calendar days in the account's zone (1006.14(b)(2)(i)(A)).
        if sum(1 for d in same if day - timedelta(days=cap.window_days) < d <= day) >= cap.per_window:
            problems.append("rolling cap")
    if p.channel == "call" and policy.call_quiet_days_after_conversation:
        # The date of the conversation is the first of the quiet days (1006.14(b)(2)(i)(B)).
        quiet = timedelta(days=policy.call_quiet_days_after_conversation)
        if any(h.conversation and h.at <= p.at and day < h.at.astimezone(tz).date() + quiet for h in ctx.history):
            problems.append("within the quiet period after a conversation")
    return problems


@EXAMPLES
@given(situations())
def test_an_allowed_contact_breaks_no_rule(case):
    policy, ctx, p = case
    d = decide(p, ctx, policy)
    if d.verdict == Verdict.ALLOW:
        assert violations(p, ctx, policy) == []
    elif d.verdict == Verdict.DEFER:
        assert d.until > p.at
        assert violations(p, ctx, policy), "a contact was deferred that broke no rule"


@EXAMPLES
@given(situations())
def test_a_deferral_lands_on_a_permitted_moment(case):
    policy, ctx, p = case
    d = decide(p, ctx, policy)
    if d.verdict != Verdict.DEFER:
        return
    later = Proposed(p.channel, d.until, p.template, p.address)
    assert violations(later, ctx, policy) == []
    assert decide(later, ctx, policy).verdict == Verdict.ALLOW


@EXAMPLES
@given(situations(), st.sampled_from(list(HoldType)))
def test_no_contact_under_a_hold_that_stops_it(case, hold):
    policy, ctx, p = case
    held = GateContext(zones=ctx.zones, country=ctx.country, history=ctx.history, holds=(ActiveHold(hold, channel=p.channel),))
    d = decide(p, held, policy)
    effect = HOLD_RULES[hold].contact
    if effect in (ContactEffect.NONE, ContactEffect.ATTORNEY_ONLY, ContactEffect.CHANNEL):
        assert d.verdict == Verdict.SUPPRESS and d.rule == f"hold:{hold.value}"
    if effect == ContactEffect.NOTICES_ONLY:
        assert d.verdict == Verdict.SUPPRESS  # no template given: not a permitted notice
