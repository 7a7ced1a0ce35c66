"""What the gate is asked and what it answers: the proposed contact, its context, the decision; and the calendar."""

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache

import holidays

from arrears.domain.holds import HoldType
from arrears.domain.policy.contact_policy import MessageKind, Party

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
