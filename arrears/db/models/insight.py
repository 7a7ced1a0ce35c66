"""Insight: quality reviews, complaints, champion/challenger assignments and decisions (migration 0019)."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db.models.base import Base, _ts
from arrears.db.types import Money, UtcDateTime


class QualityReview(Base):
    """A supervisor's score of a worked call or visit (or of an agency's work on a placement) against the
    rubric in the scorecard file."""

    __tablename__ = "quality_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # task:<id>:<reviewer> or placement:<id>:<ref>:<reviewer>: one review per piece of work and reviewer.
    review_key: Mapped[str] = mapped_column(String(250), unique=True)
    task_id: Mapped[int | None] = mapped_column(
        ForeignKey("collector_tasks.id", name="fk_quality_reviews_task_id"), nullable=True, index=True
    )
    placement_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency_placements.id", name="fk_quality_reviews_placement_id"), nullable=True, index=True
    )
    work_ref: Mapped[str] = mapped_column(String(100), default="")  # an agency's call recording, letter, ...
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_quality_reviews_episode_id"), index=True
    )
    # Whose work it was: the collector who recorded the outcome, or the agency holding the placement.
    collector_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    agency_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    reviewer_id: Mapped[str] = mapped_column(String(64))
    rubric_name: Mapped[str] = mapped_column(String(100))
    rubric_hash: Mapped[str] = mapped_column(String(64))
    scores: Mapped[dict] = mapped_column(JSON)  # {"communication": 4, ...} as given, on the rubric's scale
    score: Mapped[Decimal] = mapped_column(Money)  # the weighted score on 0-100
    comment: Mapped[str] = mapped_column(Text, default="")
    worked_at: Mapped[datetime] = _ts()  # when the work was done (the outcome's time): the month it counts in
    reviewed_at: Mapped[datetime] = _ts()


class Complaint(Base):
    """A customer's complaint: what about, whom, by when it must be answered, and how it ended."""

    __tablename__ = "complaints"
    __table_args__ = (UniqueConstraint("account_id", "complaint_id", name="uq_complaints_account_complaint"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    complaint_id: Mapped[str] = mapped_column(String(64))
    episode_id: Mapped[str | None] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_complaints_episode_id"), nullable=True, index=True
    )
    channel: Mapped[str] = mapped_column(String(16))  # the channel complained about
    category: Mapped[str] = mapped_column(String(32), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    collector_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    agency_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    task_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    received_at: Mapped[datetime] = _ts()
    deadline_at: Mapped[datetime] = _ts()
    recorded_by: Mapped[str] = mapped_column(String(64))
    hold_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the complaint hold placed, if any
    hold_note: Mapped[str] = mapped_column(Text, default="")  # why no hold, when none was placed
    status: Mapped[str] = mapped_column(String(16), index=True)  # open | resolved
    outcome: Mapped[str | None] = mapped_column(
        String(16), nullable=True
    )  # upheld | partly_upheld | not_upheld | withdrawn
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    resolved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    handled_in_time: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    recorded_at: Mapped[datetime] = _ts()


class ExperimentAssignment(Base):
    """Which arm of a champion/challenger experiment an account's episode runs, decided at import."""

    __tablename__ = "experiment_assignments"
    __table_args__ = (
        UniqueConstraint("experiment", "account_id", "due_date", name="uq_experiment_assignments_episode"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    experiment: Mapped[str] = mapped_column(String(64), index=True)
    arm: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    due_date: Mapped[date] = mapped_column(Date)  # the missed due date: one assignment per delinquency
    point: Mapped[int] = mapped_column(Integer)  # the hash point 0-9999 the shares were applied to
    traffic_version: Mapped[int] = mapped_column(Integer)  # 0: the file's shares; n: after the n-th promotion
    strategy_name: Mapped[str] = mapped_column(String(100))
    strategy_hash: Mapped[str] = mapped_column(String(64))
    assigned_at: Mapped[datetime] = _ts()


class ExperimentDecision(Base):
    """A recorded move of an experiment's traffic (arrears strategy promote): who decided, why, on what evidence."""

    __tablename__ = "experiment_decisions"
    __table_args__ = (UniqueConstraint("experiment", "version", name="uq_experiment_decisions_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    experiment: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    promoted_arm: Mapped[str] = mapped_column(String(32))
    previous_shares: Mapped[dict] = mapped_column(JSON)  # {"champion": "50", "challenger-a": "50"}
    shares: Mapped[dict] = mapped_column(JSON)
    decided_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict] = mapped_column(JSON)  # the comparison as it stood when decided
    decided_at: Mapped[datetime] = _ts()
