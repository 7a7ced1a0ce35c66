"""Ledger activities: postings and re-ages written once each.

A posting's key comes from the pure computation (arrears.domain.ledger), so the
workflow may hand the same postings over again, after a crash or on the next
cycle date, and only the new ones are written. Re-ages are checked against the
account's re-ages across episodes, which only the system of record knows.
"""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.records import records
from arrears.contracts import errors
from arrears.contracts.ledger import PostLedgerCommand, PostLedgerResult, ReageCommand, ReageResult
from arrears.contracts.names import POST_LEDGER, RECORD_REAGE
from arrears.db.clock import utcnow
from arrears.db.models import Episode, LedgerPosting, Reage
from arrears.domain.reage import reage_counts, reage_refusal


def existing_postings(session: Session, keys: list[str]) -> dict[str, LedgerPosting]:
    """The rows already written under these keys."""
    if not keys:
        return {}
    rows = session.scalars(select(LedgerPosting).where(LedgerPosting.posting_key.in_(keys)))
    return {row.posting_key: row for row in rows}


def write_postings(
    session: Session,
    cmd: PostLedgerCommand,
    now: datetime,
    lookup: Callable[[Session, list[str]], dict[str, LedgerPosting]] = existing_postings,
) -> PostLedgerResult:
    """The postings not yet written, in the caller's transaction (post_ledger, or an episode's opening)."""
    keys = [p.posting_key for p in cmd.postings]
    if len(set(keys)) != len(keys):
        raise ApplicationError(
            "a posting key appears twice in one command", type=errors.INVALID_COMMAND, non_retryable=True
        )
    posted, already, conflicts = 0, 0, []
    existing = lookup(session, keys)
    for p in cmd.postings:
        row = existing.get(p.posting_key)
        if row is not None:
            already += 1
            if not _same(row, p):
                conflicts.append(p.posting_key)
            continue
        session.add(
            LedgerPosting(
                posting_key=p.posting_key,
                account_id=cmd.account_id,
                episode_id=cmd.episode_id,
                posted_on=p.posted_on,
                kind=p.kind,
                currency=cmd.currency,
                principal=p.principal,
                interest=p.interest,
                fees=p.fees,
                unapplied=p.unapplied,
                explanation=p.explanation,
                created_at=now,
            )
        )
        posted += 1
    return PostLedgerResult(posted=posted, already=already, conflicts=conflicts)


def _same(row: LedgerPosting, posting) -> bool:
    return (row.kind, row.posted_on, row.principal, row.interest, row.fees, row.unapplied) == (
        posting.kind,
        posting.posted_on,
        posting.principal,
        posting.interest,
        posting.fees,
        posting.unapplied,
    )


class LedgerActivities:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> None:
        self.sessions = sessions
        self.clock = clock

    def all(self) -> list[Callable]:
        return [self.post_ledger, self.record_reage]

    @activity.defn(name=POST_LEDGER)
    @records
    def post_ledger(self, cmd: PostLedgerCommand) -> PostLedgerResult:
        """Write the postings not yet written, all in one transaction."""
        try:
            return self._post(cmd)
        except IntegrityError:
            # A concurrent attempt committed some of these keys after our check: its rows
            # are found this time. Any other violation (the episode row missing) fails
            # again and is raised, to be retried, never taken as done.
            return self._post(cmd)

    def _existing(self, session: Session, keys: list[str]) -> dict[str, LedgerPosting]:
        return existing_postings(session, keys)

    def _post(self, cmd: PostLedgerCommand) -> PostLedgerResult:
        with self.sessions.begin() as session:
            # Looked up through the instance so a test can stand in for a racing writer.
            return write_postings(session, cmd, self.clock(), lookup=self._existing)

    @activity.defn(name=RECORD_REAGE)
    @records
    def record_reage(self, cmd: ReageCommand) -> ReageResult:
        """Record a re-age if the policy allows it on the account's whole history; a repeat finds it."""
        try:
            return self._reage(cmd)
        except IntegrityError:
            return self._reage(cmd)  # a concurrent attempt recorded it: found this time

    def _reage(self, cmd: ReageCommand) -> ReageResult:
        with self.sessions.begin() as session:
            if session.get(Episode, cmd.episode_id) is None:
                raise ApplicationError(f"episode {cmd.episode_id} was never opened")
            rows = session.scalars(select(Reage).where(Reage.account_id == cmd.account_id)).all()
            mine = next((r for r in rows if r.reage_id == cmd.reage_id), None)
            if mine is not None:
                year, five = reage_counts(mine.reaged_on, [r.reaged_on for r in rows])
                return ReageResult(recorded=False, duplicate=True, in_12_months=year, in_5_years=five)
            past = [r.reaged_on for r in rows]
            refusal = reage_refusal(cmd.on, cmd.cycles, past, cmd.policy)
            if refusal is not None:
                year, five = reage_counts(cmd.on, past)
                return ReageResult(recorded=False, refusal=refusal, in_12_months=year, in_5_years=five)
            session.add(
                Reage(
                    account_id=cmd.account_id,
                    reage_id=cmd.reage_id,
                    episode_id=cmd.episode_id,
                    reaged_on=cmd.on,
                    approved_by=cmd.approved_by,
                    reason=cmd.reason,
                    overdue_cleared=cmd.overdue_cleared,
                    currency=cmd.currency,
                    recorded_at=self.clock(),
                )
            )
            year, five = reage_counts(cmd.on, [*past, cmd.on])
            return ReageResult(recorded=True, in_12_months=year, in_5_years=five)
