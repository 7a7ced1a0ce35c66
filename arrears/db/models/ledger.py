"""The economics of an episode: its ledger, and recovery after charge-off (migration 0014)."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db.models.base import Base, _ts
from arrears.db.types import Money


class LedgerPosting(Base):
    """One line of an episode's ledger: signed changes to principal, interest and fees, with why.

    Written by the ledger activity from the pure computation (arrears.domain.ledger);
    ``posting_key`` is that computation's stable key, so a retry posts nothing twice.
    """

    __tablename__ = "ledger_postings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    posting_key: Mapped[str] = mapped_column(String(200), unique=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_ledger_postings_episode_id"), index=True
    )
    posted_on: Mapped[date] = mapped_column(Date)  # the account's local date
    kind: Mapped[str] = mapped_column(String(16))  # interest | fee | payment | waiver | write_off | recovery
    currency: Mapped[str] = mapped_column(String(3))
    principal: Mapped[Decimal] = mapped_column(Money)
    interest: Mapped[Decimal] = mapped_column(Money)
    fees: Mapped[Decimal] = mapped_column(Money)
    unapplied: Mapped[Decimal] = mapped_column(Money)  # received but not owed: overpayment or recovery
    explanation: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _ts()


class Recovery(Base):
    """A payment received after the write-off, against the written-off amount.

    Written by the recovery activity together with its ledger posting (same key,
    same transaction): a retried activity finds its row and posts nothing twice.
    """

    __tablename__ = "recoveries"
    __table_args__ = (UniqueConstraint("account_id", "payment_id", name="uq_recoveries_account_payment"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)  # <episode_id>:recovery:<payment_id>
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_recoveries_episode_id"), index=True
    )
    payment_id: Mapped[str] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    channel: Mapped[str] = mapped_column(String(32))
    paid_at: Mapped[datetime] = _ts()
    recovered_total_after: Mapped[Decimal] = mapped_column(Money)
    recorded_at: Mapped[datetime] = _ts()


class RecoveryOutcomeRecord(Base):
    """How the recovery of a charged-off episode ended: recovered, settled or closed; one row per episode."""

    __tablename__ = "recovery_outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)  # <episode_id>:recovery-outcome
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_recovery_outcomes_episode_id"), index=True
    )
    workflow_id: Mapped[str] = mapped_column(String(100))
    recovery_outcome: Mapped[str] = mapped_column(String(16), index=True)  # recovered | settled | closed
    reason: Mapped[str] = mapped_column(Text)
    closed_by: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    written_off: Mapped[Decimal] = mapped_column(Money)
    recovered_total: Mapped[Decimal] = mapped_column(Money)
    forgiven: Mapped[Decimal] = mapped_column(Money)
    closed_at: Mapped[datetime] = _ts()
    recorded_at: Mapped[datetime] = _ts()
