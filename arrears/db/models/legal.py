"""Credit bureau notices and reports, and legal cases with their events (migration 0013)."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db.models.base import Base, _ts
from arrears.db.types import Money


class BureauNotice(Base):
    """The prior notice of negative credit reporting, as sent."""

    __tablename__ = "bureau_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_bureau_notices_episode_id"), index=True
    )
    sent_on: Mapped[date] = mapped_column(Date)  # the account's local date: the notice period counts from it
    sent_at: Mapped[datetime] = _ts()
    channel: Mapped[str] = mapped_column(String(16))
    template: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(String(500))
    rendered_text: Mapped[str] = mapped_column(Text)
    result: Mapped[str] = mapped_column(String(32))
    dpd: Mapped[int] = mapped_column(Integer)
    step_id: Mapped[str] = mapped_column(String(64))  # the strategy step that sent it


class BureauReport(Base):
    """What one monthly cycle reported for one account, and what it held back."""

    __tablename__ = "bureau_reports"
    __table_args__ = (UniqueConstraint("account_id", "period", name="uq_bureau_reports_account_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    period: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_bureau_reports_episode_id"), index=True
    )
    as_of: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # what is true
    reported_status: Mapped[str] = mapped_column(String(16))  # what the file says
    dpd: Mapped[int] = mapped_column(Integer)
    reported_dpd: Mapped[int] = mapped_column(Integer)
    bucket: Mapped[str] = mapped_column(String(4))
    overdue_amount: Mapped[Decimal] = mapped_column(Money)
    reported_overdue: Mapped[Decimal] = mapped_column(Money)
    total_balance: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    withheld: Mapped[bool] = mapped_column(Boolean)
    correction: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text, default="")
    file_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = _ts()


class LegalCaseRecord(Base):
    """An account referred to the legal team: one case per episode."""

    __tablename__ = "legal_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_legal_cases_episode_id"), index=True
    )
    state: Mapped[str] = mapped_column(String(16), index=True)
    referred_on: Mapped[date] = mapped_column(Date)
    last_event_on: Mapped[date] = mapped_column(Date)
    step_id: Mapped[str] = mapped_column(String(64))
    dpd: Mapped[int] = mapped_column(Integer)
    principal: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    criteria: Mapped[str] = mapped_column(String(64))
    decision: Mapped[list] = mapped_column(JSON)  # the reasons the criteria gave
    costs_recoverable: Mapped[bool] = mapped_column(Boolean)  # as the strategy said at referral
    costs: Mapped[Decimal] = mapped_column(Money)
    recoverable_costs: Mapped[Decimal] = mapped_column(Money)
    referred_at: Mapped[datetime] = _ts()


class LegalCaseEvent(Base):
    """An update to a legal case: a state change, a cost, a document (with its SHA-256), by whom."""

    __tablename__ = "legal_case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("legal_cases.id", name="fk_legal_case_events_case_id"), index=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    event_id: Mapped[str] = mapped_column(String(64))
    event_on: Mapped[date] = mapped_column(Date)
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    cost: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    recoverable: Mapped[bool] = mapped_column(Boolean)
    document_path: Mapped[str | None] = mapped_column(String(500), nullable=True)  # before the evidence store (0017)
    document_id: Mapped[str | None] = mapped_column(String(67), nullable=True)  # an evidence-store id
    document_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = _ts()
