"""The contact policy gate: may this contact happen now, later, or not at all?

One pure function, ``decide``, stands in front of every contact the system
makes (SMS, email, IM, letter) or asks a collector to make (call, visit). It
answers allow, defer until a named moment, or suppress, always with the rule
that decided. Its inputs are plain values (holds, opt-outs, the contact
history, the zones the customer may be in, the calendar), so every rule is
testable on its own and property-tested together.

Which rules and numbers apply is a ``ContactPolicy``: a preset (``us-regf``,
``cn-bank``; files under ``policies/`` that cite their sources) with the
strategy's overrides.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from arrears.domain.holds import ContactEffect, HoldType, rule_for

CHANNELS = ("sms", "email", "im", "letter", "call", "visit")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Conversations about the debt (1006.14(b)(2)(ii) counts "telephone conversations").
CONVERSATION_OUTCOMES = frozenset(
    {"right_party_contact", "promise_made", "refused_to_pay", "dispute_raised", "hardship_claimed", "callback_requested"}
)
# How far ahead a deferral may look before the contact is given up as impossible.
MAX_DEFERRAL = timedelta(days=60)


def _parse_time(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return time.fromisoformat(value)
        except ValueError:
            raise ValueError(f"local time must be HH:MM, got {value!r}") from None
    if isinstance(value, int):
        raise ValueError('local time must be "HH:MM" (quote it)')
    return value


class Window(BaseModel):
    """Local hours a channel may be used, on which days."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: time = time(8, 0)
    end: time = time(21, 0)
    days: tuple[str, ...] = WEEKDAYS
    # Letters and visits: only on the calendar's working days (holidays and rest days excluded).
    working_days_only: bool = False

    _times = field_validator("start", "end", mode="before")(lambda cls, v: _parse_time(v))

    @field_validator("days")
    @classmethod
    def _days(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [d for d in value if d not in WEEKDAYS]
        if unknown or not value:
            raise ValueError(f"days are some of {', '.join(WEEKDAYS)}; got {', '.join(value) or 'none'}")
        return value

    @model_validator(mode="after")
    def _order(self) -> "Window":
        if self.start >= self.end:
            raise ValueError(f"start {self.start:%H:%M} must be before end {self.end:%H:%M}")
        return self


class Cap(BaseModel):
    """At most ``per_day`` per local day, and at most ``per_window`` in any ``window_days`` consecutive days."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    per_day: int | None = Field(default=None, ge=1, le=50)
    per_window: int | None = Field(default=None, ge=1, le=200)
    window_days: int | None = Field(default=None, ge=1, le=90)

    @model_validator(mode="after")
    def _pair(self) -> "Cap":
        if (self.per_window is None) != (self.window_days is None):
            raise ValueError("per_window and window_days go together")
        return self


class ContactPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    preset: str = Field(min_length=1)
    # Holidays and rest days: the account's own country where known, else this one.
    holiday_country: str = Field(default="CN", min_length=2, max_length=2)
    windows: dict[str, Window] = Field(default_factory=lambda: {c: Window() for c in CHANNELS})
    caps: dict[str, Cap] = {}
    # No call within this many days after a telephone conversation about the debt (1006.14(b)(2)(ii)).
    call_quiet_days_after_conversation: int | None = Field(default=None, ge=1, le=30)
    # Under a cease-contact hold, only these templates (notices the law still allows) go out.
    notices_allowed_under_cease: tuple[str, ...] = ()
    # Contact persons are reached only to locate the cardholder, at most this many times each.
    third_party_max_contacts: int = Field(default=1, ge=0, le=5)
    # A validation notice at the start of collection (1006.34): the template, or None.
    validation_notice_template: str | None = None
    retention_years: int = Field(default=2, ge=1, le=30)
    sources: dict[str, str] = {}

    @field_validator("windows", "caps")
    @classmethod
    def _channels(cls, value: dict) -> dict:
        unknown = [c for c in value if c not in CHANNELS]
        if unknown:
            raise ValueError(f"unknown channel(s) {', '.join(unknown)}; use {', '.join(CHANNELS)}")
        return value

    def window(self, channel: str) -> Window:
        return self.windows.get(channel, Window())


# ---- the gate's inputs and answer ---------------------------------------------------


class Verdict(StrEnum):
    ALLOW = "allow"
    DEFER = "defer"
    SUPPRESS = "suppress"


@dataclass(frozen=True)
class PastContact:
    channel: str
    at: datetime
    conversation: bool = False  # a telephone conversation with the consumer about the debt


@dataclass(frozen=True)
class ActiveHold:
    hold_type: HoldType
    channel: str | None = None  # a complaint's channel


@dataclass(frozen=True)
class Proposed:
    channel: str
    at: datetime  # when it is due (aware)
    template: str | None = None
    address: str = ""
    to_third_party: bool = False  # a contact person, to locate the cardholder


@dataclass(frozen=True)
class GateContext:
    zones: tuple[str, ...]  # every zone the customer may be in; the first is the account's
    country: str | None = None  # for holidays; None: the policy's
    holds: tuple[ActiveHold, ...] = ()
    opted_out: frozenset[tuple[str, str]] = frozenset()  # (channel, address)
    invalid_addresses: frozenset[str] = frozenset()
    history: tuple[PastContact, ...] = ()
    third_party_contacts: int = 0  # earlier locate contacts with this person


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    rule: str
    detail: str
    until: datetime | None = None
    inputs: dict = field(default_factory=dict)


# ---- the calendar -------------------------------------------------------------------


@lru_cache(maxsize=64)
def _calendar(country: str, year: int):
    try:
        return holidays.country_holidays(country, years=year)
    except NotImplementedError:
        return None


def is_working_day(day: date, country: str) -> bool:
    """Holidays and rest days of the country, with China's weekend make-up working days (调休)."""
    cal = _calendar(country, day.year)
    if cal is None:
        return day.weekday() < 5
    return cal.is_working_day(day)


# ---- the rules ----------------------------------------------------------------------


def _hold_decision(p: Proposed, ctx: GateContext, policy: ContactPolicy) -> Decision | None:
    for hold in ctx.holds:
        rule = rule_for(hold.hold_type)
        name = f"hold:{hold.hold_type.value}"
        if rule.contact == ContactEffect.NONE:
            return Decision(Verdict.SUPPRESS, name, f"{hold.hold_type.value} hold: no contact ({rule.why})")
        if rule.contact == ContactEffect.NOTICES_ONLY and (p.template not in policy.notices_allowed_under_cease):
            return Decision(Verdict.SUPPRESS, name, f"cease-contact hold: {p.template or p.channel} is not a permitted notice ({rule.why})")
        if rule.contact == ContactEffect.CHANNEL and hold.channel == p.channel:
            return Decision(Verdict.SUPPRESS, name, f"complaint about {p.channel}: channel closed while it is investigated")
        if rule.contact == ContactEffect.ATTORNEY_ONLY:
            return Decision(Verdict.SUPPRESS, name, f"represented by an attorney: contact the attorney only ({rule.why})")
    return None


def _address_decision(p: Proposed, ctx: GateContext, policy: ContactPolicy) -> Decision | None:
    if p.address and p.address in ctx.invalid_addresses:
        return Decision(Verdict.SUPPRESS, "address_invalid", f"{p.channel} address {p.address!r} is known to be invalid")
    if p.address and (p.channel, p.address) in ctx.opted_out:
        return Decision(Verdict.SUPPRESS, "opt_out", f"the customer opted out of {p.channel} at {p.address!r}")
    if p.to_third_party and ctx.third_party_contacts >= policy.third_party_max_contacts:
        return Decision(Verdict.SUPPRESS, "third_party_limit",
                        f"this contact person was reached {ctx.third_party_contacts} time(s); the limit is "
                        f"{policy.third_party_max_contacts}")
    return None


def _window_earliest(at: datetime, window: Window, zone: str, country: str) -> datetime:
    """The earliest moment at or after ``at`` inside the window in ``zone``."""
    tz = ZoneInfo(zone)
    local = at.astimezone(tz)
    day = local.date()
    for _ in range(370):
        ok_day = WEEKDAYS[day.weekday()] in window.days and (not window.working_days_only or is_working_day(day, country))
        if ok_day:
            start = datetime.combine(day, window.start, tzinfo=tz)
            end = datetime.combine(day, window.end, tzinfo=tz)
            if local < end:
                candidate = max(local, start)
                # A wall time that does not exist (a DST gap) resolves forward through UTC.
                return candidate.astimezone(at.tzinfo)
        day += timedelta(days=1)
        local = datetime.combine(day, time(0, 0), tzinfo=tz)
    raise ValueError(f"no permitted day within a year for {window}")


def _in_window(at: datetime, window: Window, zone: str, country: str) -> bool:
    return _window_earliest(at, window, zone, country) == at


def _cap_earliest(at: datetime, channel: str, cap: Cap, history: tuple[PastContact, ...], zone: str) -> datetime:
    """The earliest moment at or after ``at`` at which one more contact stays within the cap."""
    tz = ZoneInfo(zone)
    same = sorted(h.at for h in history if h.channel == channel)
    candidate = at
    for _ in range(100):
        moved = candidate
        if cap.per_day is not None:
            day = candidate.astimezone(tz).date()
            today = [t for t in same if t.astimezone(tz).date() == day]
            if len(today) >= cap.per_day:
                moved = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=tz).astimezone(at.tzinfo)
        if cap.per_window is not None and cap.window_days is not None:
            span = timedelta(days=cap.window_days)
            recent = [t for t in same if candidate - span < t <= candidate]
            if len(recent) >= cap.per_window:
                # Wait until enough of them fall out of the rolling window.
                moved = max(moved, recent[len(recent) - cap.per_window] + span + timedelta(seconds=1))
        if moved == candidate:
            return candidate
        candidate = moved
    return candidate


def _quiet_earliest(at: datetime, history: tuple[PastContact, ...], days: int) -> datetime:
    talks = [h.at for h in history if h.conversation and h.at <= at]
    if not talks:
        return at
    return max(at, max(talks) + timedelta(days=days))


def earliest_permitted(p: Proposed, ctx: GateContext, policy: ContactPolicy) -> tuple[datetime, str, str]:
    """The first moment at or after ``p.at`` that every time rule allows, and the rule that moved it first."""
    country = ctx.country or policy.holiday_country
    window = policy.window(p.channel)
    cap = policy.caps.get(p.channel)
    candidate = p.at
    first_rule, first_detail = "", ""
    for _ in range(200):
        before = candidate
        for zone in ctx.zones:
            moved = _window_earliest(candidate, window, zone, country)
            if moved != candidate and not first_rule:
                local = candidate.astimezone(ZoneInfo(zone))
                if window.working_days_only and not is_working_day(local.date(), country):
                    first_rule, first_detail = "non_working_day", f"{local:%Y-%m-%d} is not a working day in {country}"
                else:
                    first_rule = "contact_window"
                    first_detail = (f"{local:%a %H:%M} in {zone} is outside {p.channel} hours "
                                    f"{window.start:%H:%M}-{window.end:%H:%M} on {','.join(window.days)}")
            candidate = moved
        if cap is not None:
            moved = _cap_earliest(candidate, p.channel, cap, ctx.history, ctx.zones[0])
            if moved != candidate and not first_rule:
                first_rule = "frequency_cap"
                first_detail = f"{p.channel} cap reached ({_describe_cap(cap)})"
            candidate = moved
        if p.channel == "call" and policy.call_quiet_days_after_conversation:
            moved = _quiet_earliest(candidate, ctx.history, policy.call_quiet_days_after_conversation)
            if moved != candidate and not first_rule:
                first_rule = "after_conversation"
                first_detail = f"no call within {policy.call_quiet_days_after_conversation} days after a conversation"
            candidate = moved
        if candidate == before:
            return candidate, first_rule, first_detail
    return candidate, first_rule, first_detail


def _describe_cap(cap: Cap) -> str:
    parts = []
    if cap.per_day is not None:
        parts.append(f"{cap.per_day} per day")
    if cap.per_window is not None:
        parts.append(f"{cap.per_window} in {cap.window_days} days")
    return ", ".join(parts)


def decide(p: Proposed, ctx: GateContext, policy: ContactPolicy) -> Decision:
    """Allow, defer (until the next permitted moment) or suppress one proposed contact."""
    if p.channel not in CHANNELS:
        raise ValueError(f"unknown channel {p.channel!r}")
    inputs = {
        "channel": p.channel, "proposed_at": p.at.isoformat(), "template": p.template, "zones": list(ctx.zones),
        "country": ctx.country or policy.holiday_country, "holds": [h.hold_type.value for h in ctx.holds],
        "history_same_channel": sum(1 for h in ctx.history if h.channel == p.channel), "preset": policy.preset,
    }
    for check in (_hold_decision, _address_decision):
        found = check(p, ctx, policy)
        if found is not None:
            return Decision(found.verdict, found.rule, found.detail, inputs=inputs)
    when, rule, detail = earliest_permitted(p, ctx, policy)
    if when == p.at:
        return Decision(Verdict.ALLOW, "permitted", f"{p.channel} within hours, caps and holds", inputs=inputs)
    if when - p.at > MAX_DEFERRAL:
        return Decision(Verdict.SUPPRESS, "no_permitted_time",
                        f"no permitted moment within {MAX_DEFERRAL.days} days ({detail})", inputs=inputs)
    return Decision(Verdict.DEFER, rule, detail, until=when, inputs=inputs)
