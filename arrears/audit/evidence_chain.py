"""Tamper evidence for contact records: a hash chain per account.

Each contact row stores the hash of the account's previous contact row and a
hash over its own content and that link. Editing a row changes its hash;
deleting one breaks the next row's link; either is found and named by
``verify_chain`` (`arrears audit verify-chain ACCOUNT`). Rows written before
the chain existed have no hash and are reported as unchained, not as broken.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.db.models import ContactAttempt

# What a contact record proves: who was contacted, how, with what words, when, with what result.
_FIELDS = (
    "idempotency_key",
    "account_id",
    "episode_id",
    "step_id",
    "channel",
    "template",
    "language",
    "recipient",
    "subject",
    "rendered_text",
    "dpd",
    "stage",
)


def content_hash(row: ContactAttempt, prev_hash: str | None) -> str:
    body = {name: getattr(row, name) for name in _FIELDS}
    # In UTC: the database gives back UTC whatever offset the moment was written with.
    body["attempted_at"] = row.attempted_at.astimezone(UTC).isoformat() if row.attempted_at else None
    body["result"] = row.result
    body["prev_hash"] = prev_hash
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def chain(session: Session, row: ContactAttempt) -> None:
    """Link a new contact row to the account's last one (call inside the transaction that adds it)."""
    session.flush()
    prev = session.scalar(
        select(ContactAttempt.chain_hash)
        .where(
            ContactAttempt.account_id == row.account_id,
            ContactAttempt.id < row.id,
            ContactAttempt.chain_hash.is_not(None),
        )
        .order_by(ContactAttempt.id.desc())
        .limit(1)
    )
    row.prev_hash = prev
    row.chain_hash = content_hash(row, prev)


@dataclass(frozen=True)
class ChainReport:
    account_id: str
    checked: int
    unchained: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(session: Session, account_id: str) -> ChainReport:
    rows = session.scalars(
        select(ContactAttempt).where(ContactAttempt.account_id == account_id).order_by(ContactAttempt.id)
    ).all()
    problems: list[str] = []
    previous: str | None = None
    checked = unchained = 0
    for row in rows:
        if row.chain_hash is None:
            unchained += 1
            continue
        checked += 1
        if row.prev_hash != previous:
            problems.append(
                f"contact {row.id} ({row.idempotency_key}): links to {row.prev_hash!s:.12} but the "
                f"previous record is {previous!s:.12}: a record before it was deleted or replaced"
            )
        if content_hash(row, row.prev_hash) != row.chain_hash:
            problems.append(f"contact {row.id} ({row.idempotency_key}): its content no longer matches its hash: edited")
        previous = row.chain_hash
    return ChainReport(account_id, checked, unchained, problems)
