"""The gate's decisions and the contact policies they were made under, kept in the system of record.

A policy is kept once per content, by its hash, so a task or an episode can name the policy
it ran under (``remember_policy``) and a later step find it again (``known_policy``); every
decision of the gate (arrears.compliance.gate_record) is written to ``contact_decisions``
with its rule and inputs, once per idempotency key.
"""

import hashlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from arrears.compliance.gate_record import BASELINE
from arrears.db.models import CompliancePolicy, ContactDecision, Episode
from arrears.domain.policy import ContactPolicy, Decision


def policy_hash(policy: ContactPolicy) -> str:
    return hashlib.sha256(policy.model_dump_json().encode()).hexdigest()


def remember_policy(session: Session, policy: ContactPolicy | None, now: datetime) -> str:
    """Keep the policy a task is opened under, once per content, and give its hash."""
    policy = policy or BASELINE
    digest = policy_hash(policy)
    if session.get(CompliancePolicy, digest) is None:
        # Another worker may be writing the same policy right now: the second insert does nothing.
        dialect = session.get_bind().dialect.name
        insert = sqlite_insert if dialect == "sqlite" else pg_insert
        session.execute(
            insert(CompliancePolicy)
            .values(
                policy_hash=digest,
                preset=policy.preset,
                body=policy.model_dump(mode="json"),
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["policy_hash"])
        )
    return digest


def remembered_policy(session: Session, digest: str | None) -> ContactPolicy | None:
    row = session.get(CompliancePolicy, digest) if digest else None
    return ContactPolicy.model_validate(row.body) if row is not None else None


def known_policy(
    session: Session,
    episode_id: str,
    given: ContactPolicy | None = None,
    by_strategy: Callable[[str], ContactPolicy | None] | None = None,
) -> ContactPolicy | None:
    """The policy a command carries; else the one the episode's steps last ran under; else the one another
    episode of the same strategy ran under, or the worker's own strategy of that hash; else None (unknown)."""
    if given is not None:
        return given
    episode = session.get(Episode, episode_id)
    if episode is None:
        return None
    found = remembered_policy(session, episode.policy_hash)
    if found is None:
        twin = session.scalar(
            select(Episode.policy_hash)
            .where(Episode.strategy_hash == episode.strategy_hash, Episode.policy_hash.is_not(None))
            .limit(1)
        )
        found = remembered_policy(session, twin)
    if found is None and by_strategy is not None:
        found = by_strategy(episode.strategy_hash)
    return found


def episode_policy(session: Session, episode_id: str, given: ContactPolicy | None = None) -> ContactPolicy:
    """As ``known_policy``, with the baseline where none is known."""
    return known_policy(session, episode_id, given) or BASELINE


def strategy_policies(paths: list[Path]) -> Callable[[str], ContactPolicy | None]:
    """The contact policies of the worker's own strategy files, by the strategies' content hash (a
    strategy file that does not load is left out: the episode's own record decides then)."""
    from arrears.config.strategies import load_strategy
    from arrears.domain.strategy import StrategyError

    known: dict[str, ContactPolicy] = {}
    for path in paths:
        try:
            strategy = load_strategy(path)
        except StrategyError:
            continue
        known[strategy.content_hash()] = strategy.compliance or BASELINE
    return known.get


def record_decision(
    session: Session,
    key: str,
    episode_id: str,
    account_id: str,
    step_id: str,
    channel: str,
    proposed_at: datetime,
    decision: Decision,
    policy: ContactPolicy | None,
    now: datetime,
) -> ContactDecision:
    row = ContactDecision(
        idempotency_key=key,
        episode_id=episode_id,
        account_id=account_id,
        step_id=step_id,
        channel=channel,
        proposed_at=proposed_at,
        verdict=decision.verdict.value,
        rule=decision.rule,
        until=decision.until,
        detail=decision.detail,
        inputs=decision.inputs,
        preset=(policy or BASELINE).preset,
        decided_at=now,
    )
    session.add(row)
    session.flush()
    return row


def earlier_decision(session: Session, key: str) -> ContactDecision | None:
    return session.scalar(select(ContactDecision).where(ContactDecision.idempotency_key == key))
