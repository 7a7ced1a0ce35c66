"""The seam between Arrears and the systems that deliver messages and events.

An adapter is handed each outbound message inside the same database
transaction that records the contact attempt, together with the attempt's
idempotency key. The default adapter writes an outbox row (same key, unique),
so the record and the hand-over commit or roll back together; another system
drains the outbox. A real SMS, email or postal gateway adapter passes the key
on as the gateway's own de-duplication key.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from arrears.db.models import OutboxMessage


@dataclass(frozen=True)
class OutboundMessage:
    idempotency_key: str
    topic: str  # sms | email | im | letter | card | bureau | collections | agency
    account_id: str
    payload: dict[str, Any] = field(default_factory=dict)


class ChannelAdapter(Protocol):
    name: str

    def deliver(self, session: Session, message: OutboundMessage, now: datetime) -> str:
        """Hand the message over; returns the attempt's result (e.g. ``queued``)."""


class OutboxAdapter:
    name = "outbox"

    def deliver(self, session: Session, message: OutboundMessage, now: datetime) -> str:
        session.add(
            OutboxMessage(
                idempotency_key=message.idempotency_key,
                topic=message.topic,
                account_id=message.account_id,
                payload=message.payload,
                created_at=now,
            )
        )
        return "queued"
