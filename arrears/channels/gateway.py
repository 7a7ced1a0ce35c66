"""The one way to a channel adapter.

A message that reaches a person (a text, an email, an IM, a letter, a call a dialler places, a
visit, a message to an agency) is handed to its adapter only by ``deliver``, and only with the
contact policy gate's decision for it, recorded in ``contact_decisions`` in the same transaction
and allowing it. The decision's id travels in the payload, so whatever drains the outbox can show
the rule that let each message go. Events for other systems (card restrictions, the ledger, the
legal team, new tasks) reach no person and go through ``publish``, which refuses a contact.

``tests/db/test_gateway.py`` enumerates every channel and message kind, and scans the code for any
other caller of an adapter.
"""

from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from arrears.channels.adapter import ChannelAdapter, OutboundMessage
from arrears.db.models import ContactDecision

# Topics that reach a person (the cardholder, a contact person, a guarantor, an agency).
CONTACT_TOPICS = frozenset({"sms", "email", "im", "letter", "call", "visit", "agency"})
# Topics that reach other systems only.
EVENT_TOPICS = frozenset({"card", "bureau", "collections", "ledger", "legal"})


class GateRefused(RuntimeError):
    """A contact handed over without an allowing gate decision: a bug, never a customer's fault."""


def deliver(
    session: Session, adapter: ChannelAdapter, decision: ContactDecision, message: OutboundMessage, now: datetime
) -> str:
    """Hand a contact to its adapter under the gate's decision, which is recorded first."""
    if message.topic not in CONTACT_TOPICS:
        raise GateRefused(f"topic {message.topic!r} is not a contact; publish it as an event")
    if decision.verdict != "allow":
        raise GateRefused(f"decision {decision.idempotency_key} says {decision.verdict} ({decision.rule})")
    if decision.account_id != message.account_id:
        raise GateRefused(f"decision {decision.idempotency_key} is about another account")
    session.add(decision)
    session.flush()  # on record, with its id, in the transaction that hands the message over
    payload = {**message.payload, "decision_id": decision.id, "rule": decision.rule}
    return adapter.deliver(session, replace(message, payload=payload), now)


def publish(session: Session, adapter: ChannelAdapter, message: OutboundMessage, now: datetime) -> str:
    """Hand an event for another system to the adapter; a contact is refused here."""
    if message.topic not in EVENT_TOPICS:
        raise GateRefused(f"topic {message.topic!r} reaches a person: it goes through deliver with a gate decision")
    return adapter.deliver(session, message, now)
