"""Accounts and their delinquency episodes: the customer record, each episode's run, stage changes,
actions on the account, strategy moves and re-ages."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db.models.base import Base, _ts
from arrears.db.types import Money, UtcDateTime


class Account(Base):
    """The customer's contact details: kept here, never in workflow histories."""

    __tablename__ = "accounts"

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(254), default="")
    billing_address: Mapped[str] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64))
    risk_segment: Mapped[str] = mapped_column(String(8))
    currency: Mapped[str] = mapped_column(String(3))
    contacts: Mapped[dict | list | None] = mapped_column(JSON, nullable=True)
    # Set by a collector's wrong_number outcome; calls and texts stop until a new number is imported.
    phone_invalid: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Set when an email bounced: email stops until a different address is imported.
    email_invalid: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Field-visit territory (a branch or district code); empty when the import did not say.
    region: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = _ts()
    updated_at: Mapped[datetime] = _ts()


class Episode(Base):
    """One delinquency episode: one run (chain) of the AccountCollection workflow."""

    __tablename__ = "episodes"

    episode_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), index=True)
    workflow_id: Mapped[str] = mapped_column(String(100))
    run_id: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = _ts()
    due_date: Mapped[date] = mapped_column(Date)
    dpd_at_start: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    opening_overdue: Mapped[Decimal] = mapped_column(Money)
    opening_balance: Mapped[Decimal] = mapped_column(Money)
    risk_segment: Mapped[str] = mapped_column(String(8))
    strategy_name: Mapped[str] = mapped_column(String(100))
    strategy_hash: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    outcome_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    closing_dpd: Mapped[int | None] = mapped_column(Integer, nullable=True)
    closing_overdue: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    closing_balance: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    # What opened it (missed_due, over_limit, early_warning), and the risk model version that set
    # its current segment (None: the import's segment or a supervisor's), like strategy_hash.
    trigger: Mapped[str] = mapped_column(String(16), default="missed_due", server_default="missed_due")
    risk_model_version: Mapped[str | None] = mapped_column(String(80), nullable=True)
    # The episode's collection clock (arrears.domain.clock.EpisodeClock), so that what the CLI and the
    # API write about the account is stamped in the episode's time (migration 0018). NULL: not known
    # yet; arrears.client.clock asks the workflow and keeps the answer here.
    clock_anchor_real: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    clock_anchor_virtual: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    day_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    # The contact policy its steps last ran under (compliance_policies), for the activities whose
    # command does not carry it (migration 0018).
    policy_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class StageEvent(Base):
    __tablename__ = "stage_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    episode_id: Mapped[str] = mapped_column(ForeignKey("episodes.episode_id"), index=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    previous_stage: Mapped[str | None] = mapped_column(String(16), nullable=True)
    dpd: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = _ts()


class AccountAction(Base):
    """Actions on the account itself: card restriction, bureau report, charge-off."""

    __tablename__ = "account_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    episode_id: Mapped[str] = mapped_column(ForeignKey("episodes.episode_id"), index=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    step_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    dpd: Mapped[int] = mapped_column(Integer)
    executed_at: Mapped[datetime] = _ts()
    overdue_amount: Mapped[Decimal] = mapped_column(Money)
    total_balance: Mapped[Decimal] = mapped_column(Money)


class StrategyChange(Base):
    """A running episode moved to another strategy by an explicit, recorded decision."""

    __tablename__ = "strategy_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_strategy_changes_episode_id"), index=True
    )
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    from_name: Mapped[str] = mapped_column(String(100))
    from_hash: Mapped[str] = mapped_column(String(64))
    to_name: Mapped[str] = mapped_column(String(100))
    to_hash: Mapped[str] = mapped_column(String(64))
    applied_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    dpd: Mapped[int] = mapped_column(Integer)
    applied_at: Mapped[datetime] = _ts()


class Reage(Base):
    """An account brought current by agreement; counted per account against the re-age limits."""

    __tablename__ = "reages"
    __table_args__ = (UniqueConstraint("account_id", "reage_id", name="uq_reages_account_reage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    reage_id: Mapped[str] = mapped_column(String(64))
    episode_id: Mapped[str] = mapped_column(ForeignKey("episodes.episode_id", name="fk_reages_episode_id"), index=True)
    reaged_on: Mapped[date] = mapped_column(Date)  # the account's local date
    approved_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    overdue_cleared: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    recorded_at: Mapped[datetime] = _ts()
