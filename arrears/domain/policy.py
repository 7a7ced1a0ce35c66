"""The contact policy gate: may this contact happen now, later, or not at all?

One pure function, ``decide``, stands in front of every contact the system
makes (SMS, email, IM, letter), asks a collector to make (call, visit) or makes
about the account with someone else (a contact person, a guarantor, an agency).
It answers allow, defer until a named moment, or suppress, always with the rule
that decided. Its inputs are plain values (holds, opt-outs and consents, the
contact history, the zones the customer may be in, the calendar), so every rule
is testable on its own and property-tested together; tests/unit/test_official_examples.py
runs the regulators' own worked examples through it.

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
# Messages to the agency an account is placed with travel on their own channel (no consumer hours).
AGENCY_CHANNEL = "agency"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Telephone conversations about the debt (1006.14(b)(2)(i)(B)). A callback request is one too: the
# consumer said it on the phone. What it adds is prior consent to the call asked for (1006.14(b)(3)(i),
# comment 14(b)(3)(i)-3.i), recorded as a consent, not an exception to this list.
CONVERSATION_OUTCOMES = frozenset(
    {"right_party_contact", "promise_made", "refused_to_pay", "dispute_raised", "hardship_claimed", "callback_requested"}
)
# A call that did not connect to the dialled number does not count (1006.14(b)(3)(ii), comment 14(b)(3)(ii)-1:
# a busy signal; a phone that rang unanswered did connect).
UNCONNECTED_OUTCOMES = frozenset({"busy"})
# How far ahead a deferral may look before the contact is given up as impossible.
MAX_DEFERRAL = timedelta(days=60)


class Party(StrEnum):
    """Who a contact reaches."""

    CONSUMER = "consumer"  # the cardholder
    GUARANTOR = "guarantor"  # a guarantor named on the account: its preset says whether the debt may be raised
    THIRD_PARTY = "third_party"  # any other contact person: only to locate the cardholder
    AGENCY = "agency"  # the collection agency the account is placed with (the creditor's agent)


class MessageKind(StrEnum):
    """What a contact is for; some kinds are exempt from some rules (see ``decide``)."""

    COLLECTION = "collection"  # a reminder, a call, a visit, a letter asking for payment
    VALIDATION_NOTICE = "validation_notice"  # 1006.34
    BUREAU_NOTICE = "bureau_notice"  # the prior notice of negative credit reporting
    REMEDY_NOTICE = "remedy_notice"  # 1006.6(c)(2)(ii)-(iii): a remedy may be or will be invoked
    DISPUTE_VERIFICATION = "dispute_verification"  # 1006.38(d)(2): required after a dispute
    OPT_OUT_CONFIRMATION = "opt_out_confirmation"  # 1006.14(h)(2)(i)
    LOCATION = "location"  # to a contact person: asks the cardholder to call back, never about the debt
    AGENCY_PLACEMENT = "agency_placement"  # the account handed to an agency, which will contact the customer
    AGENCY_NOTICE = "agency_notice"  # the agency told of a hold (and what it forbids), a renewal, a recall, a close


# Required by law, so a request not to use a medium or the rate limits do not stop it (14(h)(2)(iii)).
LEGALLY_REQUIRED = frozenset({MessageKind.DISPUTE_VERIFICATION})
# Not collection: they may go while the validation notice is pending or a verification is owed.
NOT_COLLECTION = frozenset({MessageKind.DISPUTE_VERIFICATION, MessageKind.OPT_OUT_CONFIRMATION})
# Electronic media whose opt-out may be confirmed once (1006.14(h)(2)(i)).
ELECTRONIC = frozenset({"sms", "email", "im"})
# Holds whose effect keeps an agency from contacting the customer: such an account is not placed.
AGENCY_BLOCKING_EFFECTS = frozenset({ContactEffect.NONE, ContactEffect.NOTICES_ONLY, ContactEffect.ATTORNEY_ONLY})


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
    """Local hours a channel may be used, on which days. Both ends are permitted: the rule
    makes times *before* the start and *after* the end inconvenient (1006.6(b)(1)(i))."""

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

    def permits(self, local: datetime) -> bool:
        """The local wall time is within the hours (ends included); days are checked apart."""
        return self.start <= local.time().replace(tzinfo=None) <= self.end


class Cap(BaseModel):
    """At most ``per_day`` per local day, and at most ``per_window`` in any ``window_days``
    consecutive local calendar days (1006.14(b)(2)(i)(A): "seven times within seven consecutive days")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    per_day: int | None = Field(default=None, ge=1, le=50)
    per_window: int | None = Field(default=None, ge=1, le=200)
    window_days: int | None = Field(default=None, ge=1, le=90)

    @model_validator(mode="after")
    def _pair(self) -> "Cap":
        if (self.per_window is None) != (self.window_days is None):
            raise ValueError("per_window and window_days go together")
        return self


class GuarantorRule(BaseModel):
    """What a guarantor named on the account may be told.

    ``about_debt``: the guarantor may be asked to pay (商业银行信用卡业务监督管理办法 art. 68 names
    the cardholder and the guarantor), with ``templates`` only, at most ``max_contacts`` messages each.
    Otherwise a guarantor is a contact person like any other: reached only to locate the cardholder.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    about_debt: bool = False
    templates: tuple[str, ...] = ()
    max_contacts: int = Field(default=3, ge=1, le=50)


class ContactPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    preset: str = Field(min_length=1)
    # Holidays and rest days: the account's own country where known, else this one.
    holiday_country: str = Field(default="CN", min_length=2, max_length=2)
    windows: dict[str, Window] = Field(default_factory=lambda: {c: Window() for c in CHANNELS})
    caps: dict[str, Cap] = {}
    # No call within this many days after a telephone conversation about the debt, the day of the
    # conversation counting as the first (1006.14(b)(2)(i)(B)).
    call_quiet_days_after_conversation: int | None = Field(default=None, ge=1, le=30)
    # Prior consent to calls excludes them from the frequencies for at most this many days, the day
    # the consent was received counting as the first (1006.14(b)(3)(i)).
    consent_days: int = Field(default=7, ge=1, le=30)
    # Under a cease-contact hold, only these templates (notices the law still allows) go out.
    notices_allowed_under_cease: tuple[str, ...] = ()
    # Contact persons are reached only to locate the cardholder, at most this many times each, and
    # only with these templates, none of which may state that the cardholder owes a debt.
    third_party_max_contacts: int = Field(default=1, ge=0, le=5)
    third_party_templates: tuple[str, ...] = ("sms_locate",)
    guarantor: GuarantorRule = GuarantorRule()
    # A validation notice at the start of collection (1006.34): the template, or None; sent in the
    # initial communication or within this many days of it (1006.34(a)(1)(i)(B)).
    validation_notice_template: str | None = None
    validation_notice_within_days: int = Field(default=5, ge=0, le=30)
    # The letter that tells the customer a dispute was verified (1006.38(d)(2)).
    verification_template: str = Field(default="letter_dispute_verification", pattern=r"^[a-z0-9_]+$")
    # The one message that confirms an opt-out, per electronic channel (1006.14(h)(2)(i)).
    opt_out_confirmation_templates: dict[str, str] = {
        "sms": "sms_opt_out_confirmation", "email": "email_opt_out_confirmation", "im": "sms_opt_out_confirmation",
    }
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

    def kind_of(self, template: str | None, step_id: str = "") -> MessageKind:
        """What a ladder message is for, from its template (the preset names the special ones)."""
        if template is not None and template == self.validation_notice_template:
            return MessageKind.VALIDATION_NOTICE
        if template is not None and template in self.notices_allowed_under_cease:
            return MessageKind.REMEDY_NOTICE
        if template is not None and template == self.verification_template:
            return MessageKind.DISPUTE_VERIFICATION
        return MessageKind.COLLECTION


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
    address: str = ""  # the number dialled or the address written to, where known
    connected: bool = True  # False: a call that did not connect to the dialled number (busy)


@dataclass(frozen=True)
class ActiveHold:
    hold_type: HoldType
    channel: str | None = None  # a complaint's channel


@dataclass(frozen=True)
class Preference:
    """An opt-out, opt-in or invalid mark as recorded: one address, or a whole medium (address None).

    The latest record that covers an address decides (1006.14(h)(1), comment 14(h)(1)-2 and -3)."""

    channel: str
    status: str  # opted_out | opted_in | invalid
    at: datetime
    address: str | None = None  # None: every address of the medium, also one added later
    confirmed: bool = False  # an opt-out whose one confirmation has gone (1006.14(h)(2)(i))


@dataclass(frozen=True)
class CallConsent:
    """Prior consent given directly by the consumer to calls (1006.14(b)(3)(i)).

    Calls it covers do not count toward the call frequencies. It lasts at most the policy's
    ``consent_days`` (the day received counting as the first), and ends sooner at ``valid_until``
    or with the next telephone conversation about the debt (comment 14(b)(3)(i)-2)."""

    received_at: datetime
    valid_from: datetime | None = None  # a stated day or time: calls from then on
    valid_until: datetime | None = None


@dataclass(frozen=True)
class Proposed:
    channel: str
    at: datetime  # when it is due (aware)
    template: str | None = None
    address: str = ""
    to_third_party: bool = False  # shorthand for party=THIRD_PARTY, kind=LOCATION
    party: Party = Party.CONSUMER
    kind: MessageKind = MessageKind.COLLECTION

    def __post_init__(self) -> None:
        if self.to_third_party and self.party == Party.CONSUMER:
            object.__setattr__(self, "party", Party.THIRD_PARTY)
            if self.kind == MessageKind.COLLECTION:
                object.__setattr__(self, "kind", MessageKind.LOCATION)


@dataclass(frozen=True)
class GateContext:
    zones: tuple[str, ...]  # every zone the person may be in; the first is the account's
    country: str | None = None  # for holidays; None: the policy's
    holds: tuple[ActiveHold, ...] = ()
    opted_out: frozenset[tuple[str, str]] = frozenset()  # (channel, address), the simple form of preferences
    preferences: tuple[Preference, ...] = ()
    invalid_addresses: frozenset[str] = frozenset()
    history: tuple[PastContact, ...] = ()
    consents: tuple[CallConsent, ...] = ()
    third_party_contacts: int = 0  # earlier messages to this contact person or guarantor
    # Under a preset with a validation notice: True while the episode's notice has not gone out;
    # ``validation_until`` is the moment it is waiting for, when it waits for one (1006.34).
    validation_pending: bool = False
    validation_until: datetime | None = None
    # A dispute released as verified, and no verification sent since (1006.38(d)(2)); the moment the
    # verification waits for, when it waits for one.
    verification_owed: bool = False
    verification_until: datetime | None = None


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    rule: str
    detail: str  # names the channel and the rule, never a phone number, email or street address
    until: datetime | None = None
    inputs: dict = field(default_factory=dict)  # everything it was decided on, the address included


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


def _local_date(at: datetime, zone: str) -> date:
    return at.astimezone(ZoneInfo(zone)).date()


def _midnight(day: date, zone: str, like: datetime) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(zone)).astimezone(like.tzinfo)


def _party_decision(p: Proposed, ctx: GateContext, policy: ContactPolicy) -> Decision | None:
    """Who may be told what: contact persons only where the cardholder is, a guarantor per preset."""
    party = p.party
    if party == Party.GUARANTOR and policy.guarantor.about_debt and p.kind != MessageKind.LOCATION:
        if p.template not in policy.guarantor.templates:
            allowed = ", ".join(policy.guarantor.templates) or "none"
            return Decision(Verdict.SUPPRESS, "guarantor_content",
                            f"{p.template or p.channel} is not a guarantor template under {policy.preset} (allowed: {allowed})")
        if ctx.third_party_contacts >= policy.guarantor.max_contacts:
            return Decision(Verdict.SUPPRESS, "guarantor_limit",
                            f"this guarantor was messaged {ctx.third_party_contacts} time(s); the limit is "
                            f"{policy.guarantor.max_contacts}")
        return None
    if party in (Party.THIRD_PARTY, Party.GUARANTOR):
        # 1006.10(b)(2): a location communication must not state that the consumer owes a debt;
        # art. 68: no collection from people unrelated to the debt. Only allow-listed templates.
        if p.kind != MessageKind.LOCATION or p.template not in policy.third_party_templates:
            allowed = ", ".join(policy.third_party_templates) or "none"
            return Decision(Verdict.SUPPRESS, "third_party_content",
                            f"{p.template or p.kind.value} is not a third-party-safe template under {policy.preset} "
                            f"(allowed: {allowed}): a contact person is never told about the debt")
        if ctx.third_party_contacts >= policy.third_party_max_contacts:
            return Decision(Verdict.SUPPRESS, "third_party_limit",
                            f"this contact person was reached {ctx.third_party_contacts} time(s); the limit is "
                            f"{policy.third_party_max_contacts}")
    return None


def _hold_decision(p: Proposed, ctx: GateContext, policy: ContactPolicy) -> Decision | None:
    for hold in ctx.holds:
        rule = rule_for(hold.hold_type)
        name = f"hold:{hold.hold_type.value}"
        if p.party == Party.AGENCY:
            # The agency contacts the customer on the bank's behalf: no placement under a hold that stops
            # contact. Telling a placed agency about the hold is what the hold needs, never stopped.
            if p.kind == MessageKind.AGENCY_PLACEMENT and rule.contact in AGENCY_BLOCKING_EFFECTS:
                return Decision(Verdict.SUPPRESS, name, f"{hold.hold_type.value} hold: not placed with an agency ({rule.why})")
            continue
        if rule.contact == ContactEffect.NONE:
            if hold.hold_type == HoldType.DISPUTE and p.kind == MessageKind.DISPUTE_VERIFICATION:
                continue  # the verification is what ends the dispute hold (1006.38(d)(2))
            return Decision(Verdict.SUPPRESS, name, f"{hold.hold_type.value} hold: no contact ({rule.why})")
        if rule.contact == ContactEffect.NOTICES_ONLY and (p.template not in policy.notices_allowed_under_cease):
            return Decision(Verdict.SUPPRESS, name,
                            f"cease-contact hold: {p.template or p.channel} is not a permitted notice ({rule.why})")
        if rule.contact == ContactEffect.CHANNEL and hold.channel == p.channel:
            return Decision(Verdict.SUPPRESS, name, f"complaint about {p.channel}: channel closed while it is investigated")
        if rule.contact == ContactEffect.ATTORNEY_ONLY:
            return Decision(Verdict.SUPPRESS, name, f"represented by an attorney: contact the attorney only ({rule.why})")
    return None


def _owed_decision(p: Proposed, ctx: GateContext, policy: ContactPolicy) -> Decision | None:
    """Collection waits for what the consumer is owed first: the verification, the validation notice."""
    if p.party != Party.CONSUMER or p.kind in NOT_COLLECTION:
        return None
    if ctx.verification_owed:
        if ctx.verification_until is not None and ctx.verification_until >= p.at:
            return Decision(Verdict.DEFER, "verification_owed",
                            f"{p.channel} waits for the verification of the dispute, due to go first (12 CFR 1006.38(d)(2))",
                            until=ctx.verification_until + timedelta(minutes=1))
        return Decision(Verdict.SUPPRESS, "verification_owed",
                        "a dispute was released as verified but no verification was sent: collection stays stopped "
                        "until it is (12 CFR 1006.38(d)(2))")
    if ctx.validation_pending and p.kind != MessageKind.VALIDATION_NOTICE:
        if ctx.validation_until is not None and ctx.validation_until >= p.at:
            return Decision(Verdict.DEFER, "validation_notice_pending",
                            f"{p.channel} waits for the validation notice, due to go first (12 CFR 1006.34)",
                            until=ctx.validation_until + timedelta(minutes=1))
        return Decision(Verdict.SUPPRESS, "validation_notice_pending",
                        f"no validation notice has gone out in this episode: no {p.channel} before it (12 CFR 1006.34)")
    return None


def _covering(prefs: tuple[Preference, ...], channel: str, address: str) -> Preference | None:
    """The latest record about this address or its whole medium."""
    found = [x for x in prefs if x.channel == channel and (x.address is None or x.address == address)]
    return max(found, key=lambda x: x.at, default=None)


def _address_decision(p: Proposed, ctx: GateContext, policy: ContactPolicy) -> Decision | None:
    if p.party == Party.AGENCY:
        return None
    if p.address and p.address in ctx.invalid_addresses and p.kind not in LEGALLY_REQUIRED:
        return Decision(Verdict.SUPPRESS, "address_invalid", f"the {p.channel} address is known to be invalid")
    if p.kind in LEGALLY_REQUIRED:
        return None  # 1006.14(h)(2)(iii): a medium the person asked us not to use, where the law requires it
    latest = _covering(ctx.preferences, p.channel, p.address)
    medium_wide = latest is not None and latest.address is None
    blocked = (latest is not None and latest.status == "opted_out") or (p.channel, p.address) in ctx.opted_out
    if not blocked:
        return None
    if p.kind == MessageKind.OPT_OUT_CONFIRMATION:
        if p.channel in ELECTRONIC and latest is not None and latest.status == "opted_out" and not latest.confirmed:
            return None  # 1006.14(h)(2)(i): one confirmation, and nothing else in it
        return Decision(Verdict.SUPPRESS, "opt_out", f"{p.channel} opt-out already confirmed (or not electronic)")
    where = "any address (the whole medium)" if medium_wide else "this address"
    return Decision(Verdict.SUPPRESS, "opt_out", f"the person asked not to be contacted by {p.channel} at {where}")


def _window_earliest(at: datetime, window: Window, zone: str, country: str) -> datetime:
    """The earliest moment at or after ``at`` inside the window in ``zone`` (its end included)."""
    tz = ZoneInfo(zone)
    local = at.astimezone(tz)
    day = local.date()
    for _ in range(370):
        ok_day = WEEKDAYS[day.weekday()] in window.days and (not window.working_days_only or is_working_day(day, country))
        if ok_day:
            start = datetime.combine(day, window.start, tzinfo=tz)
            end = datetime.combine(day, window.end, tzinfo=tz)
            if local <= end:
                candidate = max(local, start)
                # A wall time that does not exist (a DST gap) resolves forward through UTC.
                return candidate.astimezone(at.tzinfo)
        day += timedelta(days=1)
        local = datetime.combine(day, time(0, 0), tzinfo=tz)
    raise ValueError(f"no permitted day within a year for {window}")


def _in_window(at: datetime, window: Window, zone: str, country: str) -> bool:
    return _window_earliest(at, window, zone, country) == at


def consent_covers(consent: CallConsent, at: datetime, conversations: list[datetime], zone: str, days: int) -> bool:
    """Whether a call at ``at`` is placed under this prior consent (1006.14(b)(3)(i), comment 14(b)(3)(i)-2)."""
    if at < consent.received_at:
        return False
    if consent.valid_from is not None and at < consent.valid_from:
        return False
    if consent.valid_until is not None and at >= consent.valid_until:
        return False
    if _local_date(at, zone) >= _local_date(consent.received_at, zone) + timedelta(days=days):
        return False
    # A telephone conversation about the debt after it was given ends it.
    return not any(consent.received_at < talk < at for talk in conversations)


def _conversations(history: tuple[PastContact, ...]) -> list[datetime]:
    return sorted(h.at for h in history if h.conversation)


def _consented(at: datetime, ctx: GateContext, policy: ContactPolicy) -> bool:
    talks = _conversations(ctx.history)
    return any(consent_covers(c, at, talks, ctx.zones[0], policy.consent_days) for c in ctx.consents)


def _counted(h: PastContact, channel: str, ctx: GateContext, policy: ContactPolicy) -> bool:
    """Whether an earlier contact counts toward the channel's frequency."""
    if h.channel != channel:
        return False
    if channel == "call":
        if not h.connected:
            return False  # 1006.14(b)(3)(ii)
        if h.address and h.address in ctx.invalid_addresses:
            return False  # comment 14(b)(2)(i)-3: calls to a number found not to be the person's
        if _consented(h.at, ctx, policy):
            return False  # 1006.14(b)(3)(i)
    return True


def _cap_earliest(at: datetime, channel: str, cap: Cap, ctx: GateContext, policy: ContactPolicy) -> datetime:
    """The earliest moment at or after ``at`` at which one more contact stays within the cap.

    Days are the account's local calendar days: "seven times within seven consecutive days"
    lets the eighth call go on the eighth day at any permitted hour (comment 14(b)(2)(i)-1.i)."""
    zone = ctx.zones[0]
    days = sorted(_local_date(h.at, zone) for h in ctx.history if _counted(h, channel, ctx, policy))
    candidate = at
    for _ in range(100):
        moved = candidate
        today = _local_date(candidate, zone)
        if cap.per_day is not None and sum(1 for d in days if d == today) >= cap.per_day:
            moved = _midnight(today + timedelta(days=1), zone, at)
        if cap.per_window is not None and cap.window_days is not None:
            span = timedelta(days=cap.window_days)
            recent = sorted((d for d in days if today - span < d <= today), reverse=True)
            if len(recent) >= cap.per_window:
                # The first day on which fewer than per_window of them lie in the window.
                moved = max(moved, _midnight(recent[cap.per_window - 1] + span, zone, at))
        if moved == candidate:
            return candidate
        candidate = moved
    return candidate


def _quiet_earliest(at: datetime, ctx: GateContext, days: int) -> datetime:
    """No call within ``days`` consecutive days after a conversation, its date the first of them."""
    zone = ctx.zones[0]
    talks = [h.at for h in ctx.history if h.conversation and h.at <= at]
    if not talks:
        return at
    return max(at, _midnight(_local_date(max(talks), zone) + timedelta(days=days), zone, at))


def earliest_permitted(p: Proposed, ctx: GateContext, policy: ContactPolicy) -> tuple[datetime, str, str]:
    """The first moment at or after ``p.at`` that every time rule allows, and the rule that moved it first."""
    country = ctx.country or policy.holiday_country
    window = policy.window(p.channel)
    frequency_applies = p.party == Party.CONSUMER and p.kind not in (LEGALLY_REQUIRED | {MessageKind.OPT_OUT_CONFIRMATION})
    cap = policy.caps.get(p.channel) if frequency_applies else None
    quiet = policy.call_quiet_days_after_conversation if frequency_applies and p.channel == "call" else None
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
        consented = p.channel == "call" and _consented(candidate, ctx, policy)
        if cap is not None and not consented:
            moved = _cap_earliest(candidate, p.channel, cap, ctx, policy)
            if moved != candidate and not first_rule:
                first_rule = "frequency_cap"
                first_detail = f"{p.channel} cap reached ({_describe_cap(cap)})"
            candidate = moved
        if quiet and not consented:
            moved = _quiet_earliest(candidate, ctx, quiet)
            if moved != candidate and not first_rule:
                first_rule = "after_conversation"
                first_detail = (f"no call within {quiet} consecutive days after a telephone conversation "
                                f"(its date the first of them)")
            candidate = moved
        if candidate == before:
            return candidate, first_rule, first_detail
    return candidate, first_rule, first_detail


def _describe_cap(cap: Cap) -> str:
    parts = []
    if cap.per_day is not None:
        parts.append(f"{cap.per_day} per day")
    if cap.per_window is not None:
        parts.append(f"{cap.per_window} in {cap.window_days} consecutive days")
    return ", ".join(parts)


def decide(p: Proposed, ctx: GateContext, policy: ContactPolicy) -> Decision:
    """Allow, defer (until the next permitted moment) or suppress one proposed contact."""
    if p.channel not in CHANNELS and not (p.party == Party.AGENCY and p.channel == AGENCY_CHANNEL):
        raise ValueError(f"unknown channel {p.channel!r}")
    inputs = {
        "channel": p.channel, "proposed_at": p.at.isoformat(), "template": p.template, "party": p.party.value,
        "kind": p.kind.value, "address": p.address, "zones": list(ctx.zones),
        "country": ctx.country or policy.holiday_country, "holds": [h.hold_type.value for h in ctx.holds],
        "history_same_channel": sum(1 for h in ctx.history if h.channel == p.channel),
        "consents": len(ctx.consents), "validation_pending": ctx.validation_pending,
        "verification_owed": ctx.verification_owed, "preset": policy.preset,
    }
    for check in (_party_decision, _hold_decision, _owed_decision, _address_decision):
        found = check(p, ctx, policy)
        if found is not None:
            return Decision(found.verdict, found.rule, found.detail, until=found.until, inputs=inputs)
    if p.party == Party.AGENCY:
        # Between the bank and its agent: no consumer hours apply.
        return Decision(Verdict.ALLOW, "permitted", f"{p.kind.value} to the agency", inputs=inputs)
    when, rule, detail = earliest_permitted(p, ctx, policy)
    if when == p.at:
        return Decision(Verdict.ALLOW, "permitted", f"{p.channel} within hours, caps and holds", inputs=inputs)
    if when - p.at > MAX_DEFERRAL:
        return Decision(Verdict.SUPPRESS, "no_permitted_time",
                        f"no permitted moment within {MAX_DEFERRAL.days} days ({detail})", inputs=inputs)
    return Decision(Verdict.DEFER, rule, detail, until=when, inputs=inputs)
