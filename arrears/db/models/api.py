"""The desk API's tokens and its request journal (migration 0017)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db.models.base import Base, _ts
from arrears.db.types import UtcDateTime


class ApiToken(Base):
    """A desk API bearer token: shown once when issued, kept as SHA-256, with a name, an expiry and its last use.

    The token's public part (``token_id``) finds the row; its secret is compared by hash in constant time.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_id: Mapped[str] = mapped_column(String(16), unique=True)
    collector_id: Mapped[str] = mapped_column(
        ForeignKey("collectors.collector_id", name="fk_api_tokens_collector_id"), index=True
    )
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _ts()
    expires_at: Mapped[datetime] = _ts()
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_used_from: Mapped[str | None] = mapped_column(String(64), nullable=True)


class ApiRequest(Base):
    """Every write through the desk API, refused or done: who, what, when, from where, with what result."""

    __tablename__ = "api_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    collector_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)  # None: not authenticated
    token_id: Mapped[str | None] = mapped_column(String(16), nullable=True)
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    account_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    remote_addr: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    result: Mapped[str] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)
