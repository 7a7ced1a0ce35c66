"""Bearer tokens for the desk API: shown once when issued, stored only as SHA-256."""

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from arrears.db.models import Collector
from arrears.desk.assign import DeskError


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(sessions: sessionmaker[Session], collector_id: str, now: datetime) -> str:
    """A new token for the collector; any earlier one stops working."""
    token = "arr_" + secrets.token_urlsafe(32)
    with sessions.begin() as session:
        row = session.get(Collector, collector_id)
        if row is None:
            raise DeskError(f"no collector {collector_id!r} on the roster")
        row.token_hash, row.updated_at = token_hash(token), now
    return token


def authenticate(session: Session, token: str) -> Collector | None:
    """The active collector holding this token, or None."""
    if not token:
        return None
    row = session.scalar(select(Collector).where(Collector.token_hash == token_hash(token)))
    if row is None or not row.active:
        return None
    return row
