"""What stops or limits collection and credit: holds on an account, card restrictions, the internal
blacklist (migration 0013 for the latter two)."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db.models.base import Base, _ts
from arrears.db.types import UtcDateTime


class Hold(Base):
    """A hold on an account: dispute, cease contact, hardship, bankruptcy, deceased, complaint, ..."""

    __tablename__ = "holds"
    __table_args__ = (UniqueConstraint("account_id", "hold_id", name="uq_holds_account_hold"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    hold_id: Mapped[str] = mapped_column(String(64))
    episode_id: Mapped[str] = mapped_column(ForeignKey("episodes.episode_id", name="fk_holds_episode_id"), index=True)
    hold_type: Mapped[str] = mapped_column(String(32), index=True)
    channel: Mapped[str | None] = mapped_column(String(16), nullable=True)  # a complaint's channel
    reason: Mapped[str] = mapped_column(Text)
    evidence_ref: Mapped[str] = mapped_column(String(500), default="")
    placed_by: Mapped[str] = mapped_column(String(64))
    placed_at: Mapped[datetime] = _ts()
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # active | released | expired
    resolution: Mapped[str | None] = mapped_column(String(32), nullable=True)  # e.g. verified (a dispute)
    released_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class CardRestriction(Base):
    """One restriction level on an account's card: applied once, lifted at most once."""

    __tablename__ = "card_restrictions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Keyed per episode and level: a step retried, or a later step reaching the same level, applies it once.
    apply_key: Mapped[str] = mapped_column(String(200), unique=True)
    lift_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_card_restrictions_episode_id"), index=True
    )
    level: Mapped[str] = mapped_column(String(32))
    step_id: Mapped[str] = mapped_column(String(64))
    dpd: Mapped[int] = mapped_column(Integer)
    applied_at: Mapped[datetime] = _ts()
    lifted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    lift_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)


class BlacklistEntryRecord(Base):
    """An account on the internal blacklist: no new card or limit increase while it applies."""

    __tablename__ = "blacklist_entries"
    __table_args__ = (UniqueConstraint("episode_id", "reason", name="uq_blacklist_entries_episode_reason"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_blacklist_entries_episode_id"), index=True
    )
    reason: Mapped[str] = mapped_column(String(64))
    blocks: Mapped[list] = mapped_column(JSON)  # purposes, as the policy said when listed
    listed_from: Mapped[date] = mapped_column(Date)
    listed_until: Mapped[date | None] = mapped_column(Date, nullable=True)  # first day no longer listed
    dpd: Mapped[int] = mapped_column(Integer)
    listed_at: Mapped[datetime] = _ts()
    removal_set_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
