"""The contact policy as data: channels, windows, caps and guarantor rules, as a preset and a strategy set them."""

from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from arrears.domain.holds import ContactEffect

CHANNELS = ("sms", "email", "im", "letter", "call", "visit")
# Messages to the agency an account is placed with travel on their own channel (no consumer hours).
AGENCY_CHANNEL = "agency"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Telephone conversations about the debt (1006.14(b)(2)(i)(B)). A callback request is one too: the
# consumer said it on the phone. What it adds is prior consent to the call asked for (1006.14(b)(3)(i),
# comment 14(b)(3)(i)-3.i), recorded as a consent, not an exception to this list.
CONVERSATION_OUTCOMES = frozenset(
    {
        "right_party_contact",
        "promise_made",
        "refused_to_pay",
        "dispute_raised",
        "hardship_claimed",
        "callback_requested",
    }
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
        "sms": "sms_opt_out_confirmation",
        "email": "email_opt_out_confirmation",
        "im": "sms_opt_out_confirmation",
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
