"""What the record keeps as evidence: archived workflow histories and stored evidence files."""

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db.models.base import Base, _ts


class ArchivedHistory(Base):
    """A closed workflow run's full event history, kept past the namespace's retention.

    ``content`` is the history JSON (as ``temporal workflow show --output json``
    writes it) compressed with zlib; ``sha256`` is over the uncompressed JSON,
    so a row changed behind the system's back is caught when it is read.
    """

    __tablename__ = "archived_histories"
    __table_args__ = (UniqueConstraint("workflow_id", "run_id", name="uq_archived_histories_run"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workflow_id: Mapped[str] = mapped_column(String(100), index=True)
    run_id: Mapped[str] = mapped_column(String(64))
    run_index: Mapped[int] = mapped_column(Integer)  # 0 for the episode's first run, then each continue-as-new
    workflow_type: Mapped[str] = mapped_column(String(100))
    account_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    episode_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    closed_at: Mapped[datetime] = _ts()
    close_event: Mapped[str] = mapped_column(String(40))
    events: Mapped[int] = mapped_column(Integer)
    json_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    archived_at: Mapped[datetime] = _ts()


class EvidenceFile(Base):
    """A file in the evidence store, for one account: its bytes live once under ARREARS_EVIDENCE_DIR by SHA-256."""

    __tablename__ = "evidence_files"
    __table_args__ = (UniqueConstraint("account_id", "sha256", name="uq_evidence_files_account_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    evidence_id: Mapped[str] = mapped_column(String(67), index=True)  # ev- and the SHA-256
    sha256: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255), default="")  # as uploaded, for people; never used as a path
    uploaded_by: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))  # api | cli
    uploaded_at: Mapped[datetime] = _ts()
