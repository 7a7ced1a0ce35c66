"""Contacting the customer: every attempt, the contact policy gate's decisions and the policies it
applied, consents, the contacts that reached the cardholder, and the outbox to other systems."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db.models.base import Base, _ts
from arrears.db.types import UtcDateTime


class ContactAttempt(Base):
    """Evidence of every reminder: what was said, to whom, when, and how it went."""

    __tablename__ = "contact_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    episode_id: Mapped[str] = mapped_column(ForeignKey("episodes.episode_id"), index=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    step_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    template: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str | None] = mapped_column(String(300), nullable=True)
    rendered_text: Mapped[str] = mapped_column(Text)
    dpd: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(16))
    catch_up: Mapped[bool] = mapped_column(Boolean, default=False)
    scheduled_for: Mapped[datetime] = _ts()
    attempted_at: Mapped[datetime] = _ts()
    result: Mapped[str] = mapped_column(String(32))
    adapter: Mapped[str] = mapped_column(String(32))
    # Tamper evidence: each contact's hash covers its content and the previous contact's hash
    # for the account, so an edited or deleted record breaks the chain (arrears audit verify-chain).
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    chain_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class OutboxMessage(Base):
    """Messages and events handed to other systems; they drain and mark them."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    topic: Mapped[str] = mapped_column(String(32), index=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = _ts()
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ContactDecision(Base):
    """Every decision of the contact policy gate, with its rule and inputs: the answer to
    "why was this customer called at 20:55 on Tuesday, and why not on Sunday?"."""

    __tablename__ = "contact_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(250), unique=True)
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_contact_decisions_episode_id"), index=True
    )
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    step_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    proposed_at: Mapped[datetime] = _ts()  # collection time the contact was due
    verdict: Mapped[str] = mapped_column(String(16), index=True)  # allow | defer | suppress
    rule: Mapped[str] = mapped_column(String(64))
    until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)  # a deferral's next permitted moment
    detail: Mapped[str] = mapped_column(Text)
    inputs: Mapped[dict] = mapped_column(JSON)
    preset: Mapped[str] = mapped_column(String(32))
    decided_at: Mapped[datetime] = _ts()


class Consent(Base):
    """Consents and opt-outs per channel and address (or a whole medium), as recorded.

    The latest record covering an address wins: one about that address, or one with
    ``scope = medium`` (address ``*``) about every address of the channel, a later one included
    (12 CFR 1006.14(h), comment 14(h)(1)-3.i: "stop calling" covers every number). A
    ``consented`` record is prior consent to calls (1006.14(b)(3)(i)) from ``valid_from`` to
    ``valid_until``."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(254))  # "*" for a whole medium
    status: Mapped[str] = mapped_column(String(16))  # opted_in | opted_out | invalid | consented
    source: Mapped[str] = mapped_column(String(64))  # e.g. "sms reply STOP", "call", "bounce"
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = _ts()
    scope: Mapped[str] = mapped_column(String(8), default="address", server_default="address")  # address | medium
    valid_from: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    valid_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class CompliancePolicy(Base):
    """A contact policy as a task was opened under it, by content hash (migration 0018)."""

    __tablename__ = "compliance_policies"

    policy_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    preset: Mapped[str] = mapped_column(String(32))
    body: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = _ts()


class EffectiveCollection(Base):
    """A contact that reached the cardholder, with its evidence (the malicious-overdraft register)."""

    __tablename__ = "effective_collections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_effective_collections_episode_id"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))  # right_party_contact | visit_met | letter_delivered
    occurred_at: Mapped[datetime] = _ts()
    source_ref: Mapped[str] = mapped_column(String(100))  # task id, contact attempt key
    evidence: Mapped[dict] = mapped_column(JSON)
