"""The collections desk: collectors, their tasks and assignments, calls and visits dialled, and their outcomes."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, false, true
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db.models.base import Base, _ts
from arrears.db.types import Money, UtcDateTime


class CollectorTask(Base):
    """Work for people: calls, field visits, agency placement, legal referral."""

    __tablename__ = "collector_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    episode_id: Mapped[str] = mapped_column(ForeignKey("episodes.episode_id"), index=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    step_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    dpd: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = _ts()
    created_at: Mapped[datetime] = _ts()
    note: Mapped[str] = mapped_column(Text, default="")
    # The desk: who works it (NULL while no eligible collector has room), in which
    # queue ("collector", or "supervisor" once its SLA has passed), and by when.
    assigned_to: Mapped[str | None] = mapped_column(
        ForeignKey("collectors.collector_id", name="fk_collector_tasks_assigned_to"), nullable=True, index=True
    )
    assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    queue: Mapped[str] = mapped_column(String(16), default="collector", server_default="collector", index=True)
    team: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sla_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # What eligibility was judged on, kept so the sweep can reassign without the strategy.
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    region: Mapped[str | None] = mapped_column(String(64), nullable=True)
    required_role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    overdue_amount: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    # The contact policy the task was opened under (compliance_policies): the desk gates the call or
    # visit by it when it is worked (migration 0018). NULL: the configured strategy's, or the baseline.
    policy_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Collector(Base):
    """A member of the collections team, from the roster file."""

    __tablename__ = "collectors"

    collector_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    team: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16))
    languages: Mapped[list] = mapped_column(JSON)
    regions: Mapped[list] = mapped_column(JSON)
    daily_capacity: Mapped[int] = mapped_column(Integer)
    # Absent collectors get no new work and their open tasks are reassigned;
    # a collector dropped from the roster is inactive (kept: tasks and outcomes name them).
    absent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    updated_at: Mapped[datetime] = _ts()


class TaskAssignment(Base):
    """Every change of a task's owner or queue, with why and by whom: the desk's evidence."""

    __tablename__ = "task_assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("collector_tasks.id"), index=True)
    collector_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    previous_collector_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    queue: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = _ts()


class ContactOutcomeRecord(Base):
    """What a collector recorded for a call or visit task: one outcome per task."""

    __tablename__ = "contact_outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("collector_tasks.id"), unique=True)
    episode_id: Mapped[str] = mapped_column(ForeignKey("episodes.episode_id"), index=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(32), index=True)
    reason_for_delinquency: Mapped[str | None] = mapped_column(String(32), nullable=True)
    duration_seconds: Mapped[int] = mapped_column(Integer)
    collector_id: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    callback_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    visit: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # report with evidence paths and SHA-256
    recorded_at: Mapped[datetime] = _ts()


class CollectorContact(Base):
    """A call dialled or a visit begun on a task: when (``started_at``, collection time), what number
    or address, and the gate's decision at that moment (migration 0018).

    ``entered``: ``live`` (started through the desk, refused when the gate forbids), ``after_the_fact``
    (the collector gave the dial time later; kept, and flagged with ``violation_rule`` when the gate
    would have forbidden it) or ``from_outcome`` (no start was recorded; the outcome's time stands in)."""

    __tablename__ = "collector_contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    task_id: Mapped[int] = mapped_column(
        ForeignKey("collector_tasks.id", name="fk_collector_contacts_task_id"), unique=True
    )
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_collector_contacts_episode_id"), index=True
    )
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # call | visit
    collector_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    started_at: Mapped[datetime] = _ts()
    dialled: Mapped[str] = mapped_column(String(500))  # the number dialled or the address visited
    entered: Mapped[str] = mapped_column(String(16))
    decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_decisions.id", name="fk_collector_contacts_decision_id"), nullable=True
    )
    violation_rule: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    violation_detail: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = _ts()
