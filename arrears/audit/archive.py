"""Workflow histories kept in the system of record, past Temporal's retention.

A namespace forgets a closed workflow after its retention period (days to
weeks; at most 90 days on Temporal Cloud), while collection records must be
kept for years. Once an episode has closed, every run of its workflow (each
continue-as-new is a run) is copied here, compressed, with a SHA-256 of the
history JSON; reading a row back checks that checksum. Purging removes only
what is past the archive's own retention period.
"""

import asyncio
import hashlib
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from arrears.db.idempotent import insert_once
from arrears.db.models import ArchivedHistory, Episode, RecoveryOutcomeRecord

_CLOSED = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: "completed",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: "failed",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: "timed_out",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: "canceled",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: "terminated",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: "continued_as_new",
}


class ArchiveCorrupt(Exception):
    """An archived history no longer matches the checksum taken when it was archived."""


def close_event(history: WorkflowHistory) -> str | None:
    """How the run ended, or None while it is still open."""
    return _CLOSED.get(history.events[-1].event_type) if history.events else None


def _run_id(history: WorkflowHistory) -> str:
    return history.events[0].workflow_execution_started_event_attributes.original_execution_run_id


def pack(history: WorkflowHistory) -> tuple[bytes, str, int]:
    """Compressed JSON, the SHA-256 of the JSON, and its length in bytes."""
    text = history.to_json().encode("utf-8")
    return zlib.compress(text, 9), hashlib.sha256(text).hexdigest(), len(text)


def unpack(row: ArchivedHistory) -> WorkflowHistory:
    text = zlib.decompress(row.content)
    if hashlib.sha256(text).hexdigest() != row.sha256:
        raise ArchiveCorrupt(
            f"archived history {row.workflow_id} run {row.run_id} (row {row.id}) "
            f"does not match its SHA-256 {row.sha256[:12]}...: it was changed after archiving"
        )
    return WorkflowHistory.from_json(row.workflow_id, text.decode("utf-8"))


async def fetch_chain(
    client: Client, workflow_id: str, first_run_id: str, open_ok: bool = False
) -> list[WorkflowHistory] | None:
    """Every run from ``first_run_id`` on, following continue-as-new.

    None while the last run is open, unless ``open_ok`` (then it is included as it stands).
    """
    runs: list[WorkflowHistory] = []
    run_id: str | None = first_run_id
    while run_id:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        ended = close_event(history)
        if ended is None and not open_ok:
            return None
        runs.append(history)
        last = history.events[-1]
        run_id = (
            last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
            if ended == "continued_as_new"
            else None
        )
    return runs


@dataclass
class ArchiveReport:
    archived: list[str] = field(default_factory=list)  # "workflow_id run run_id (n events)"
    waiting: list[str] = field(default_factory=list)  # episodes closed in the record, run not yet closed on the server
    missing: list[str] = field(default_factory=list)  # already gone from the server: too late to archive

    def __str__(self) -> str:
        return (
            f"{len(self.archived)} run(s) archived, {len(self.waiting)} episode(s) still closing, "
            f"{len(self.missing)} gone from the server before archiving"
        )


def _unarchived_recoveries(session: Session, limit: int) -> list[RecoveryOutcomeRecord]:
    archived = exists().where(
        ArchivedHistory.workflow_id == RecoveryOutcomeRecord.workflow_id,
        ArchivedHistory.episode_id == RecoveryOutcomeRecord.episode_id,
    )
    query = select(RecoveryOutcomeRecord).where(~archived).order_by(RecoveryOutcomeRecord.closed_at).limit(limit)
    return list(session.scalars(query))


def _unarchived_episodes(session: Session, limit: int) -> list[Episode]:
    archived = exists().where(
        ArchivedHistory.workflow_id == Episode.workflow_id, ArchivedHistory.run_id == Episode.run_id
    )
    query = select(Episode).where(Episode.outcome.is_not(None), ~archived).order_by(Episode.closed_at).limit(limit)
    return list(session.scalars(query))


def _archived(session: Session, workflow_id: str, run_id: str) -> ArchivedHistory | None:
    return session.scalar(
        select(ArchivedHistory).where(ArchivedHistory.workflow_id == workflow_id, ArchivedHistory.run_id == run_id)
    )


def store(
    sessions: sessionmaker[Session],
    runs: Iterable[WorkflowHistory],
    *,
    account_id: str | None,
    episode_id: str | None,
    now: datetime,
) -> list[str]:
    """Insert each run once; an archived run is left as it is (a retry archives nothing twice)."""
    done: list[str] = []
    runs = list(runs)
    # Every run of an episode is kept as long as the episode's end: retention counts from there.
    ended = runs[-1].events[-1].event_time.ToDatetime(tzinfo=UTC) if runs else now
    for index, history in enumerate(runs):
        content, digest, size = pack(history)
        started = history.events[0].workflow_execution_started_event_attributes
        row = ArchivedHistory(
            workflow_id=history.workflow_id,
            run_id=_run_id(history),
            run_index=index,
            workflow_type=started.workflow_type.name,
            account_id=account_id,
            episode_id=episode_id,
            closed_at=ended,
            close_event=close_event(history) or "open",
            events=len(history.events),
            json_bytes=size,
            sha256=digest,
            content=content,
            archived_at=now,
        )
        with sessions.begin() as session:
            # Stored already, or by another archiver a moment ago: nothing to add.
            _, created = insert_once(session, row, existing=partial(_archived, session, row.workflow_id, row.run_id))
        if not created:
            continue
        done.append(f"{row.workflow_id} run {row.run_id} ({row.events} events)")
    return done


async def archive_closed(
    client: Client, sessions: sessionmaker[Session], now: datetime, limit: int = 200
) -> ArchiveReport:
    """Archive the histories of episodes the record shows closed and the server shows ended."""
    report = ArchiveReport()

    def pending() -> list[tuple[str, str | None, str, str]]:
        with sessions() as session:
            episodes: list[tuple[str, str | None, str, str]] = [
                (e.workflow_id, e.run_id, e.account_id, e.episode_id) for e in _unarchived_episodes(session, limit)
            ]
            # A recovery after charge-off is kept with its episode: its first run is found from the server.
            recoveries = [
                (r.workflow_id, None, r.account_id, r.episode_id) for r in _unarchived_recoveries(session, limit)
            ]
        return episodes + recoveries

    # Database work runs on a thread: a worker's event loop also runs workflows.
    episodes = await asyncio.to_thread(pending)
    for workflow_id, run_id, account_id, episode_id in episodes:
        try:
            if run_id is None:
                latest = await client.get_workflow_handle(workflow_id).fetch_history()
                run_id = latest.events[0].workflow_execution_started_event_attributes.first_execution_run_id
            runs = await fetch_chain(client, workflow_id, run_id)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            report.missing.append(f"{workflow_id} run {run_id}")
            continue
        if runs is None:
            report.waiting.append(f"{workflow_id} run {run_id}")
            continue
        report.archived += await asyncio.to_thread(
            store, sessions, runs, account_id=account_id, episode_id=episode_id, now=now
        )
    return report


def archived_rows(
    session: Session, *, workflow_id: str | None = None, account_id: str | None = None
) -> list[ArchivedHistory]:
    query = select(ArchivedHistory).order_by(ArchivedHistory.closed_at, ArchivedHistory.run_index)
    if workflow_id is not None:
        query = query.where(ArchivedHistory.workflow_id == workflow_id)
    if account_id is not None:
        query = query.where(ArchivedHistory.account_id == account_id)
    return list(session.scalars(query))


def archived(
    session: Session, *, workflow_id: str | None = None, account_id: str | None = None
) -> list[WorkflowHistory]:
    """Archived histories, oldest first, each checked against its checksum."""
    return [unpack(row) for row in archived_rows(session, workflow_id=workflow_id, account_id=account_id)]


@dataclass(frozen=True)
class Purged:
    workflow_id: str
    run_id: str
    closed_at: datetime
    events: int

    def __str__(self) -> str:
        return f"{self.workflow_id} run {self.run_id}: closed {self.closed_at:%Y-%m-%d}, {self.events} events"


def purge(sessions: sessionmaker[Session], now: datetime, retention_days: int, dry_run: bool = False) -> list[Purged]:
    """Remove archived histories that closed more than ``retention_days`` ago; say which."""
    cutoff = now - timedelta(days=retention_days)
    with sessions.begin() as session:
        rows = session.scalars(
            select(ArchivedHistory).where(ArchivedHistory.closed_at < cutoff).order_by(ArchivedHistory.closed_at)
        ).all()
        gone = [Purged(r.workflow_id, r.run_id, r.closed_at, r.events) for r in rows]
        if not dry_run and rows:
            session.execute(delete(ArchivedHistory).where(ArchivedHistory.id.in_([r.id for r in rows])))
    return gone
