"""Bearer tokens for the desk API: named, expiring, revocable, shown once and stored only as SHA-256.

A token reads ``arr_<id>_<secret>``. The id finds its row; the secret's hash
is compared in constant time, so neither the database lookup nor the
comparison says how close a guess came. A collector may hold several tokens
(one per device, say), each with a name; issuing a name again replaces that
token. A token stops working when it expires, when it is revoked, and at
once when its collector is made inactive, marked absent or dropped from the
roster (``check_token`` reads the collector on every request).
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import overload

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from arrears.db.models import ApiToken, Collector
from arrears.desk.assign import DeskError

PREFIX = "arr_"
_TOKEN = re.compile(r"^arr_([a-z0-9]{12})_([A-Za-z0-9_\-]{43})$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
MAX_LIFETIME = timedelta(days=366)
# Last-used time is written at most this often per token: a busy desk should not write on every read.
TOUCH_EVERY = timedelta(seconds=60)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_lifetime(text: str) -> timedelta:
    """``30d``, ``12h``, ``2w``: how long a new token lives (at most a year)."""
    found = re.fullmatch(r"\s*(\d{1,4})\s*([hdw])\s*", text or "")
    if not found:
        raise DeskError(f"expiry {text!r}: give a number and h, d or w, e.g. 30d")
    amount, unit = int(found.group(1)), found.group(2)
    lifetime = {"h": timedelta(hours=amount), "d": timedelta(days=amount), "w": timedelta(weeks=amount)}[unit]
    if not timedelta(hours=1) <= lifetime <= MAX_LIFETIME:
        raise DeskError(f"expiry {text!r}: between 1h and 366d")
    return lifetime


@overload
def _aware(moment: datetime) -> datetime: ...
@overload
def _aware(moment: None) -> None: ...
def _aware(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


def issue_token(
    sessions: sessionmaker[Session],
    collector_id: str,
    now: datetime,
    *,
    name: str = "default",
    lifetime: timedelta = timedelta(days=30),
) -> str:
    """A new token for the collector under ``name``; a live token of the same name stops working."""
    if not _NAME.match(name):
        raise DeskError(f"token name {name!r}: letters, digits, _ . - (up to 64)")
    if not timedelta(0) < lifetime <= MAX_LIFETIME:
        raise DeskError("a token lives between 1 hour and 366 days")
    token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    with sessions.begin() as session:
        collector = session.get(Collector, collector_id)
        if collector is None:
            raise DeskError(f"no collector {collector_id!r} on the roster")
        if not collector.active:
            raise DeskError(f"collector {collector_id} is inactive: no token is issued")
        session.execute(
            update(ApiToken)
            .where(ApiToken.collector_id == collector_id, ApiToken.name == name, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now, revoked_by="replaced")
        )
        session.add(
            ApiToken(
                token_id=token_id,
                collector_id=collector_id,
                name=name,
                token_hash=token_hash(secret),
                created_at=now,
                expires_at=now + lifetime,
            )
        )
    return f"{PREFIX}{token_id}_{secret}"


def revoke_tokens(
    sessions: sessionmaker[Session], collector_id: str, now: datetime, *, name: str | None = None, by: str = "operator"
) -> int:
    """Revoke the collector's live tokens (or the one named); how many were live."""
    with sessions.begin() as session:
        if session.get(Collector, collector_id) is None:
            raise DeskError(f"no collector {collector_id!r} on the roster")
        where = [ApiToken.collector_id == collector_id, ApiToken.revoked_at.is_(None)]
        if name is not None:
            where.append(ApiToken.name == name)
        result = session.execute(update(ApiToken).where(*where).values(revoked_at=now, revoked_by=by))
        return result.rowcount or 0  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult


def list_tokens(session: Session, collector_id: str) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.collector_id == collector_id).order_by(ApiToken.created_at, ApiToken.id)
        )
    )


def token_state(token: ApiToken, now: datetime) -> str:
    if token.revoked_at is not None:
        return f"revoked ({token.revoked_by})"
    if _aware(token.expires_at) <= now:
        return "expired"
    return "live"


@dataclass(frozen=True)
class TokenCheck:
    collector: Collector | None
    token: ApiToken | None
    refusal: str | None  # why the token does not admit its holder; None when it does

    @property
    def ok(self) -> bool:
        return self.refusal is None


def check_token(session: Session, presented: str, now: datetime) -> TokenCheck:
    """Whether the presented token admits its holder now, and why not."""
    found = _TOKEN.match(presented or "")
    if not found:
        return TokenCheck(None, None, "not a desk token")
    token_id, secret = found.groups()
    row = session.scalar(select(ApiToken).where(ApiToken.token_id == token_id))
    # Compared even when no row was found, against a hash of nothing: the answer takes as long either way.
    expected = row.token_hash if row is not None else token_hash("")
    if not hmac.compare_digest(expected, token_hash(secret)) or row is None:
        return TokenCheck(None, None, "unknown token")
    if row.revoked_at is not None:
        return TokenCheck(None, row, "token revoked")
    if _aware(row.expires_at) <= now:
        return TokenCheck(None, row, "token expired")
    collector = session.get(Collector, row.collector_id)
    if collector is None or not collector.active:
        return TokenCheck(collector, row, "collector inactive")
    if collector.absent:
        return TokenCheck(collector, row, "collector marked absent")
    return TokenCheck(collector, row, None)


def touch(session: Session, token: ApiToken, now: datetime, address: str) -> None:
    """Record the token's use (at most once a minute per token)."""
    last = _aware(token.last_used_at)
    if last is None or now - last >= TOUCH_EVERY or token.last_used_from != address[:64]:
        token.last_used_at, token.last_used_from = now, address[:64]


def authenticate(session: Session, presented: str, now: datetime | None = None) -> Collector | None:
    """The collector a valid token admits, or None."""
    check = check_token(session, presented, now or datetime.now(UTC))
    return check.collector if check.ok else None
