"""Risk assessment (arrears/risk): statement behaviour, registered models, segment changes, the
early-warning watchlist and rescoring events."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db.models.base import Base, _ts
from arrears.db.types import Money, UtcDateTime


class AccountBehaviour(Base):
    """One statement month of a card account, delinquent or not: the input for risk features.

    The statement is cut on the month's last day; its balance, minimum due, limit, cash
    advances and over-limit amount are as of that cut, ``amount_paid`` is what was paid
    during the month and ``payment_reversals`` the payments returned unpaid in it. A row is
    known from the day after the cut: features as of a date use only months ended before it.
    """

    __tablename__ = "account_behaviour"
    __table_args__ = (UniqueConstraint("account_id", "statement_month", name="uq_account_behaviour_account_month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    statement_month: Mapped[date] = mapped_column(Date)  # the month's first day
    credit_limit: Mapped[Decimal] = mapped_column(Money)
    statement_balance: Mapped[Decimal] = mapped_column(Money)
    minimum_due: Mapped[Decimal] = mapped_column(Money)
    amount_paid: Mapped[Decimal] = mapped_column(Money)
    cash_advance: Mapped[Decimal] = mapped_column(Money)
    over_limit_amount: Mapped[Decimal] = mapped_column(Money)
    months_on_book: Mapped[int] = mapped_column(Integer)
    payment_reversals: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    payment_due_date: Mapped[date | None] = mapped_column(Date, nullable=True)  # the statement's due date
    imported_at: Mapped[datetime] = _ts()


class RiskModel(Base):
    """A trained risk model, registered by the SHA-256 of its file's content; one active per target."""

    __tablename__ = "risk_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_hash: Mapped[str] = mapped_column(String(64), unique=True)
    version: Mapped[str] = mapped_column(String(80), unique=True)
    target: Mapped[str] = mapped_column(String(32), index=True)
    content: Mapped[dict] = mapped_column(JSON)  # the model file itself: a rollback needs nothing else
    card: Mapped[str] = mapped_column(Text)
    trained_at: Mapped[datetime] = _ts()
    registered_at: Mapped[datetime] = _ts()
    active: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    activated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    activated_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class RiskSegmentChange(Base):
    """A risk segment set on a running episode, by the model or a supervisor: one row per request."""

    __tablename__ = "risk_segment_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)  # <episode_id>:<request_id>
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_risk_segment_changes_episode_id"), index=True
    )
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    request_id: Mapped[str] = mapped_column(String(100))
    segment: Mapped[str] = mapped_column(String(8))  # what the ladder follows after the request
    previous: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(16))  # model | supervisor
    model_version: Mapped[str | None] = mapped_column(String(80), nullable=True)
    reasons: Mapped[list] = mapped_column(JSON)
    set_by: Mapped[str] = mapped_column(String(64))
    override: Mapped[bool] = mapped_column(Boolean)
    release_override: Mapped[bool] = mapped_column(Boolean)
    changed: Mapped[bool] = mapped_column(Boolean)
    overridden: Mapped[bool] = mapped_column(Boolean)  # a model's request an override outranked
    dpd: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = _ts()


class WatchlistEntry(Base):
    """An account not yet delinquent that the early-warning rules or score flagged on a date."""

    __tablename__ = "watchlist_entries"
    __table_args__ = (UniqueConstraint("as_of", "account_id", name="uq_watchlist_entries_day_account"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    as_of: Mapped[date] = mapped_column(Date, index=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    flags: Mapped[list] = mapped_column(JSON)  # rule names, e.g. ["over_limit", "min_payment_streak"]
    reasons: Mapped[list] = mapped_column(JSON)  # each flag with its figures
    score: Mapped[float | None] = mapped_column(Float, nullable=True)  # a probability, not money
    model_version: Mapped[str | None] = mapped_column(String(80), nullable=True)
    listed_at: Mapped[datetime] = _ts()


class RescoreEvent(Base):
    """An event in the record that called for rescoring one episode, once handled."""

    __tablename__ = "rescore_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_key: Mapped[str] = mapped_column(String(200), unique=True)  # e.g. promise:<account>:<promise_id>:broken
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    episode_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))  # broken_promise | broken_plan | job_loss
    handled_at: Mapped[datetime] = _ts()
