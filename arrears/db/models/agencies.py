"""Outside collection agencies: the roster, placements and commissions."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db.models.base import Base, _ts
from arrears.db.types import Money, UtcDateTime


class Agency(Base):
    """An outside collection agency under contract, from the agencies file."""

    __tablename__ = "agencies"

    agency_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    commission_percent: Mapped[Decimal] = mapped_column(Money)
    capacity: Mapped[int] = mapped_column(Integer)
    placement_days: Mapped[int] = mapped_column(Integer)
    # An agency dropped from the file takes no new accounts; kept because placements name it.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    updated_at: Mapped[datetime] = _ts()


class AgencyPlacement(Base):
    """An account placed with an agency for a period: renewed while it collects, else recalled."""

    __tablename__ = "agency_placements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    agency_id: Mapped[str] = mapped_column(
        ForeignKey("agencies.agency_id", name="fk_agency_placements_agency_id"), index=True
    )
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_agency_placements_episode_id"), index=True
    )
    # The terms as agreed when placed: a later agencies file does not change a running placement.
    commission_percent: Mapped[Decimal] = mapped_column(Money)
    placement_days: Mapped[int] = mapped_column(Integer)
    placed_at: Mapped[datetime] = _ts()
    ends_at: Mapped[datetime] = _ts()
    status: Mapped[str] = mapped_column(String(16), index=True)  # placed | renewed | recalled | closed
    renewals: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3))
    collected: Mapped[Decimal] = mapped_column(Money)


class AgencyCommission(Base):
    """What an agency earns on one payment it reported: one row per payment."""

    __tablename__ = "agency_commissions"
    __table_args__ = (UniqueConstraint("account_id", "payment_id", name="uq_agency_commissions_account_payment"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    payment_id: Mapped[str] = mapped_column(String(64))
    placement_id: Mapped[int] = mapped_column(
        ForeignKey("agency_placements.id", name="fk_agency_commissions_placement_id"), index=True
    )
    agency_id: Mapped[str] = mapped_column(String(64), index=True)
    payment_amount: Mapped[Decimal] = mapped_column(Money)
    percent: Mapped[Decimal] = mapped_column(Money)
    commission: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    recorded_at: Mapped[datetime] = _ts()
