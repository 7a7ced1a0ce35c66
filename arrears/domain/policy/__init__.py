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

contact_policy: the policy as data; inputs: what the gate is asked and answers, and the calendar;
gate: the rules and ``decide``.
"""

from arrears.domain.policy.contact_policy import (
    AGENCY_BLOCKING_EFFECTS,
    AGENCY_CHANNEL,
    CHANNELS,
    CONVERSATION_OUTCOMES,
    ELECTRONIC,
    LEGALLY_REQUIRED,
    MAX_DEFERRAL,
    NOT_COLLECTION,
    UNCONNECTED_OUTCOMES,
    WEEKDAYS,
    Cap,
    ContactPolicy,
    GuarantorRule,
    MessageKind,
    Party,
    Window,
)
from arrears.domain.policy.gate import consent_covers, decide, earliest_permitted
from arrears.domain.policy.inputs import (
    ActiveHold,
    CallConsent,
    Decision,
    GateContext,
    PastContact,
    Preference,
    Proposed,
    Verdict,
    is_working_day,
)

__all__ = [
    "AGENCY_BLOCKING_EFFECTS",
    "AGENCY_CHANNEL",
    "CHANNELS",
    "CONVERSATION_OUTCOMES",
    "ELECTRONIC",
    "LEGALLY_REQUIRED",
    "MAX_DEFERRAL",
    "NOT_COLLECTION",
    "UNCONNECTED_OUTCOMES",
    "WEEKDAYS",
    "ActiveHold",
    "CallConsent",
    "Cap",
    "ContactPolicy",
    "Decision",
    "GateContext",
    "GuarantorRule",
    "MessageKind",
    "Party",
    "PastContact",
    "Preference",
    "Proposed",
    "Verdict",
    "Window",
    "consent_covers",
    "decide",
    "earliest_permitted",
    "is_working_day",
]
