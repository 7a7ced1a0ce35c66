"""Money coming in and what was agreed: payments, promises to pay, settlements, instalment plans."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db.models.base import Base, _ts
from arrears.db.types import Money, UtcDateTime


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("account_id", "payment_id", name="uq_payments_account_payment"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    payment_id: Mapped[str] = mapped_column(String(64))
    episode_id: Mapped[str] = mapped_column(ForeignKey("episodes.episode_id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    paid_at: Mapped[datetime] = _ts()
    channel: Mapped[str] = mapped_column(String(32))
    dpd: Mapped[int] = mapped_column(Integer)
    overdue_after: Mapped[Decimal] = mapped_column(Money)
    total_after: Mapped[Decimal] = mapped_column(Money)
    recorded_at: Mapped[datetime] = _ts()


class PromiseToPay(Base):
    """A customer's promise: what, by when, who took it, and whether it was kept."""

    __tablename__ = "promises"
    __table_args__ = (UniqueConstraint("account_id", "promise_id", name="uq_promises_account_promise"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    promise_id: Mapped[str] = mapped_column(String(64))
    episode_id: Mapped[str] = mapped_column(ForeignKey("episodes.episode_id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    promised_date: Mapped[date] = mapped_column(Date)
    deadline: Mapped[datetime] = _ts()
    collector_id: Mapped[str] = mapped_column(String(64))
    supervisor_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    channel: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    made_at: Mapped[datetime] = _ts()
    made_dpd: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    paid_toward: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    replaced_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Settlement(Base):
    """A discounted payoff offer and its end: paid (with the amount forgiven) or expired."""

    __tablename__ = "settlements"
    __table_args__ = (UniqueConstraint("account_id", "offer_id", name="uq_settlements_account_offer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    offer_id: Mapped[str] = mapped_column(String(64))
    episode_id: Mapped[str] = mapped_column(ForeignKey("episodes.episode_id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    balance_at_offer: Mapped[Decimal] = mapped_column(Money)
    expires_on: Mapped[date] = mapped_column(Date)
    expires_at: Mapped[datetime] = _ts()
    approved_by: Mapped[str] = mapped_column(String(64))
    approver_role: Mapped[str] = mapped_column(String(16))
    made_at: Mapped[datetime] = _ts()
    status: Mapped[str] = mapped_column(String(16), index=True)
    paid_toward: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    forgiven: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    replaced_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Plan(Base):
    """A negotiated instalment plan, its schedule and terms, and how it ended."""

    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("account_id", "plan_id", name="uq_plans_account_plan"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    plan_id: Mapped[str] = mapped_column(String(64))
    episode_id: Mapped[str] = mapped_column(ForeignKey("episodes.episode_id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[Decimal] = mapped_column(Money)
    schedule: Mapped[list] = mapped_column(JSON)  # [{"due_date": "YYYY-MM-DD", "amount": "123.45"}]
    fee_waiver: Mapped[Decimal] = mapped_column(Money)
    rate_discount_percent: Mapped[Decimal] = mapped_column(Money)
    approved_by: Mapped[str] = mapped_column(String(64))
    approver_role: Mapped[str] = mapped_column(String(16))
    made_at: Mapped[datetime] = _ts()
    status: Mapped[str] = mapped_column(String(16), index=True)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    paid_into: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
