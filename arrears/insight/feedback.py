"""Quality reviews and complaints: recorded in the system of record (never in Temporal: a complaint's
words are personal), with the checks that keep them honest.

A review scores one piece of worked collection (a call or visit task with its outcome, or an
agency's work on a placement) against the scorecard file's rubric; the reviewer must be a supervisor
or manager on the roster and may not review their own work. A repeat with the same scores is
answered as a duplicate; other scores under the same key are refused.

A complaint names what it is about (channel, category) and, where known, whom (a collector, an
agency, a task); its deadline is the received time plus the scorecard's ``[complaints] deadline_days``.
While the account's episode runs, recording it also places a ``complaint`` hold on that channel
(id ``complaint-<complaint_id>``: the channel closes while it is investigated), and resolving it
releases that hold. Whether it was answered in time is fixed when it is resolved.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from arrears.contracts import keys
from arrears.db.models import (
    Account,
    Agency,
    AgencyPlacement,
    Collector,
    CollectorTask,
    Complaint,
    ContactOutcomeRecord,
    Episode,
    QualityReview,
)
from arrears.domain.desk import ROLE_RANK
from arrears.domain.holds import COMPLAINT_CHANNELS, HoldType
from arrears.domain.strategy import Role
from arrears.insight.scorecard import ComplaintPolicy, Rubric

COMPLAINT_CATEGORIES = (
    "conduct",
    "harassment",
    "contact_hours",
    "third_party",
    "wrong_amount",
    "privacy",
    "service",
    "other",
)
COMPLAINT_OUTCOMES = ("upheld", "partly_upheld", "not_upheld", "withdrawn")
REVIEWED_KINDS = ("call", "visit")


class FeedbackError(ValueError):
    """A review or complaint that cannot be recorded. ``kind``: not_found, forbidden or refused."""

    def __init__(self, message: str, kind: str = "refused") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class ReviewResult:
    review_id: int
    subject: str  # "collector c-li" or "agency AG-NORTH"
    score: Decimal
    worked_at: datetime
    duplicate: bool


def _reviewer(session: Session, reviewer_id: str) -> Collector:
    reviewer = session.get(Collector, reviewer_id)
    if reviewer is None:
        raise FeedbackError(f"reviewer {reviewer_id} is not on the roster", "forbidden")
    if ROLE_RANK[Role(reviewer.role)] < ROLE_RANK[Role.SUPERVISOR]:
        raise FeedbackError(
            f"{reviewer_id} is a {reviewer.role}: only a supervisor or manager reviews work", "forbidden"
        )
    return reviewer


def _store(session: Session, review: QualityReview) -> ReviewResult:
    earlier = session.scalar(select(QualityReview).where(QualityReview.review_key == review.review_key))
    subject = f"collector {review.collector_id}" if review.collector_id else f"agency {review.agency_id}"
    if earlier is not None:
        if earlier.scores != review.scores or earlier.comment != review.comment:
            raise FeedbackError(
                f"{review.reviewer_id} already reviewed this work with other scores "
                f"({earlier.scores}); a review is not changed after the fact"
            )
        return ReviewResult(earlier.id, subject, earlier.score, earlier.worked_at, True)
    session.add(review)
    session.flush()
    return ReviewResult(review.id, subject, review.score, review.worked_at, False)


def record_review(
    sessions: sessionmaker[Session],
    rubric: Rubric,
    task_id: int,
    reviewer_id: str,
    scores: dict[str, int],
    comment: str,
    now: datetime,
) -> ReviewResult:
    """A supervisor's score of a worked call or visit."""
    problem = rubric.problems(scores)
    if problem:
        raise FeedbackError(problem)
    with sessions.begin() as session:
        task = session.get(CollectorTask, task_id)
        if task is None:
            raise FeedbackError(f"no task {task_id}", "not_found")
        if task.kind not in REVIEWED_KINDS:
            raise FeedbackError(
                f"task {task_id} is a {task.kind} task: calls and visits are reviewed "
                "(an agency's work: arrears desk review-agency PLACEMENT)"
            )
        outcome = session.scalar(select(ContactOutcomeRecord).where(ContactOutcomeRecord.task_id == task_id))
        if outcome is None:
            raise FeedbackError(f"task {task_id} has no recorded outcome: review work that was done")
        _reviewer(session, reviewer_id)
        if outcome.collector_id == reviewer_id:
            raise FeedbackError(f"{reviewer_id} worked task {task_id}: nobody reviews their own work", "forbidden")
        return _store(
            session,
            QualityReview(
                review_key=keys.task_review_key(task_id, reviewer_id),
                task_id=task_id,
                account_id=task.account_id,
                episode_id=task.episode_id,
                collector_id=outcome.collector_id,
                reviewer_id=reviewer_id,
                rubric_name=rubric.name,
                rubric_hash=rubric.content_hash(),
                scores=dict(scores),
                score=rubric.score(scores),
                comment=comment.strip(),
                worked_at=outcome.recorded_at,
                reviewed_at=now,
            ),
        )


def record_agency_review(
    sessions: sessionmaker[Session],
    rubric: Rubric,
    placement_id: int,
    work_ref: str,
    reviewer_id: str,
    scores: dict[str, int],
    comment: str,
    now: datetime,
    worked_at: datetime | None = None,
) -> ReviewResult:
    """A supervisor's score of an agency's work on a placement (a call recording, a letter: ``work_ref``)."""
    problem = rubric.problems(scores)
    if problem:
        raise FeedbackError(problem)
    if not work_ref.strip():
        raise FeedbackError("--ref: name the piece of work reviewed (the agency's call recording id, letter, ...)")
    with sessions.begin() as session:
        placement = session.get(AgencyPlacement, placement_id)
        if placement is None:
            raise FeedbackError(f"no placement {placement_id}", "not_found")
        _reviewer(session, reviewer_id)
        return _store(
            session,
            QualityReview(
                review_key=keys.placement_review_key(placement_id, work_ref.strip(), reviewer_id),
                placement_id=placement_id,
                work_ref=work_ref.strip(),
                account_id=placement.account_id,
                episode_id=placement.episode_id,
                agency_id=placement.agency_id,
                reviewer_id=reviewer_id,
                rubric_name=rubric.name,
                rubric_hash=rubric.content_hash(),
                scores=dict(scores),
                score=rubric.score(scores),
                comment=comment.strip(),
                worked_at=worked_at or now,
                reviewed_at=now,
            ),
        )


def parse_scores(pairs: list[str]) -> dict[str, int]:
    """["communication=4", ...] -> {"communication": 4}; a malformed pair is named."""
    scores: dict[str, int] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise FeedbackError(f"--score {pair!r}: give ITEM=N, e.g. communication=4")
        try:
            scores[key.strip()] = int(value)
        except ValueError:
            raise FeedbackError(f"--score {pair!r}: {value!r} is not a whole number") from None
    return scores


# ---- complaints -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplaintRecord:
    complaint_id: str
    account_id: str
    episode_id: str | None
    channel: str
    category: str
    collector_id: str | None
    agency_id: str | None
    deadline_at: datetime
    status: str
    outcome: str | None
    handled_in_time: bool | None
    hold_id: str | None
    hold_note: str
    duplicate: bool = False
    episode_open: bool = False

    @staticmethod
    def of(row: Complaint, duplicate: bool = False, episode_open: bool = False) -> "ComplaintRecord":
        return ComplaintRecord(
            row.complaint_id,
            row.account_id,
            row.episode_id,
            row.channel,
            row.category,
            row.collector_id,
            row.agency_id,
            row.deadline_at,
            row.status,
            row.outcome,
            row.handled_in_time,
            row.hold_id,
            row.hold_note,
            duplicate,
            episode_open,
        )


def hold_id_for(complaint_id: str) -> str:
    return f"complaint-{complaint_id}"[:64]


def record_complaint(
    sessions: sessionmaker[Session],
    policy: ComplaintPolicy,
    *,
    account_id: str,
    complaint_id: str,
    channel: str,
    category: str,
    recorded_by: str,
    received_at: datetime,
    now: datetime,
    description: str = "",
    collector_id: str | None = None,
    agency_id: str | None = None,
    task_id: int | None = None,
) -> ComplaintRecord:
    """Write the complaint (idempotent by account and id); the caller then places its hold."""
    if not complaint_id.strip() or len(complaint_id) > 48:
        raise FeedbackError("complaint_id: 1 to 48 characters")
    if channel not in COMPLAINT_CHANNELS:
        raise FeedbackError(f"channel must be one of {', '.join(COMPLAINT_CHANNELS)}, got {channel!r}")
    if category not in COMPLAINT_CATEGORIES:
        raise FeedbackError(f"category must be one of {', '.join(COMPLAINT_CATEGORIES)}, got {category!r}")
    if not recorded_by.strip():
        raise FeedbackError("recorded_by: say who records it")
    if received_at.tzinfo is None:
        raise FeedbackError("received_at: give the time with its UTC offset")
    if received_at > now + timedelta(minutes=5):
        raise FeedbackError(f"received_at {received_at.isoformat()} is in the future")
    with sessions.begin() as session:
        if session.get(Account, account_id) is None:
            raise FeedbackError(f"no account {account_id}", "not_found")
        if task_id is not None:
            task = session.get(CollectorTask, task_id)
            if task is None or task.account_id != account_id:
                raise FeedbackError(f"no task {task_id} on account {account_id}", "not_found")
            worked_by = session.scalar(
                select(ContactOutcomeRecord.collector_id).where(ContactOutcomeRecord.task_id == task_id)
            )
            collector_id = collector_id or worked_by or task.assigned_to
        if collector_id is not None and session.get(Collector, collector_id) is None:
            raise FeedbackError(f"collector {collector_id} is not on the roster", "not_found")
        if agency_id is not None and session.get(Agency, agency_id) is None:
            raise FeedbackError(f"no agency {agency_id}", "not_found")
        episode = session.scalar(
            select(Episode).where(Episode.account_id == account_id).order_by(Episode.started_at.desc()).limit(1)
        )
        episode_open = episode is not None and episode.outcome is None
        earlier = session.scalar(
            select(Complaint).where(Complaint.account_id == account_id, Complaint.complaint_id == complaint_id)
        )
        fields = dict(
            channel=channel,
            category=category,
            description=description.strip(),
            collector_id=collector_id,
            agency_id=agency_id,
            task_id=task_id,
            received_at=received_at,
        )
        if earlier is not None:
            if any(
                getattr(earlier, k) != (v.astimezone(earlier.received_at.tzinfo) if isinstance(v, datetime) else v)
                for k, v in fields.items()
            ):
                raise FeedbackError(
                    f"complaint {complaint_id} is already on record for {account_id} with other content"
                )
            return ComplaintRecord.of(earlier, duplicate=True, episode_open=episode_open)
        row = Complaint(
            account_id=account_id,
            complaint_id=complaint_id,
            episode_id=episode.episode_id if episode else None,
            deadline_at=received_at + timedelta(days=policy.deadline_days),
            recorded_by=recorded_by.strip(),
            status="open",
            hold_note="",
            recorded_at=now,
            **fields,
        )
        session.add(row)
        session.flush()
        return ComplaintRecord.of(row, episode_open=episode_open)


def note_hold(
    sessions: sessionmaker[Session], account_id: str, complaint_id: str, hold_id: str | None, note: str
) -> None:
    with sessions.begin() as session:
        row = session.scalar(
            select(Complaint).where(Complaint.account_id == account_id, Complaint.complaint_id == complaint_id)
        )
        assert row is not None  # the complaint is recorded before its hold is placed or released
        row.hold_id, row.hold_note = hold_id, note


def resolve_complaint(
    sessions: sessionmaker[Session],
    *,
    account_id: str,
    complaint_id: str,
    outcome: str,
    resolved_by: str,
    note: str,
    now: datetime,
) -> ComplaintRecord:
    if outcome not in COMPLAINT_OUTCOMES:
        raise FeedbackError(f"outcome must be one of {', '.join(COMPLAINT_OUTCOMES)}, got {outcome!r}")
    if not resolved_by.strip():
        raise FeedbackError("resolved_by: say who resolves it")
    with sessions.begin() as session:
        row = session.scalar(
            select(Complaint).where(Complaint.account_id == account_id, Complaint.complaint_id == complaint_id)
        )
        if row is None:
            raise FeedbackError(f"no complaint {complaint_id} on account {account_id}", "not_found")
        episode = session.get(Episode, row.episode_id) if row.episode_id else None
        episode_open = episode is not None and episode.outcome is None
        if row.status == "resolved":
            if row.outcome == outcome:
                return ComplaintRecord.of(row, duplicate=True, episode_open=episode_open)
            raise FeedbackError(f"complaint {complaint_id} was already resolved {row.outcome} by {row.resolved_by}")
        row.status, row.outcome, row.resolution_note = "resolved", outcome, note.strip()
        row.resolved_by, row.resolved_at = resolved_by.strip(), now
        row.handled_in_time = now <= row.deadline_at
        session.flush()
        return ComplaintRecord.of(row, episode_open=episode_open)


async def complaint_hold(
    client, sessions: sessionmaker[Session], record: ComplaintRecord, placed_by: str
) -> ComplaintRecord:
    """Place the complaint hold on the running episode (the channel closes while it is investigated)."""
    from arrears.client import operations
    from arrears.contracts.collection import HoldInput

    if not record.episode_open:
        note = "no open episode: no hold placed"
        note_hold(sessions, record.account_id, record.complaint_id, None, note)
        return _replace(record, hold_id=None, hold_note=note)
    hold_id = hold_id_for(record.complaint_id)
    try:
        await operations.place_hold(
            client,
            record.account_id,
            HoldInput(
                hold_id=hold_id,
                hold_type=HoldType.COMPLAINT,
                reason=f"complaint {record.complaint_id} ({record.category})",
                evidence_ref=f"complaint:{record.complaint_id}",
                placed_by=placed_by,
                channel=record.channel,
            ),
        )
    except operations.Rejected as exc:
        note = f"hold not placed: {exc}"
        note_hold(sessions, record.account_id, record.complaint_id, None, note)
        return _replace(record, hold_id=None, hold_note=note)
    note_hold(sessions, record.account_id, record.complaint_id, hold_id, "")
    return _replace(record, hold_id=hold_id, hold_note="")


async def release_complaint_hold(
    client, sessions: sessionmaker[Session], record: ComplaintRecord, released_by: str
) -> str:
    """Release the complaint's hold once it is resolved; says what happened."""
    from arrears.client import operations
    from arrears.contracts.collection import ReleaseHoldInput

    if not record.hold_id:
        return "no hold to release"
    if not record.episode_open:
        return f"hold {record.hold_id} stays on record (the episode has ended)"
    try:
        await operations.release_hold(
            client,
            record.account_id,
            ReleaseHoldInput(hold_id=record.hold_id, released_by=released_by, resolution=record.outcome),
        )
    except operations.Rejected as exc:
        return f"hold {record.hold_id} not released: {exc}"
    return f"hold {record.hold_id} released"


def _replace(record: ComplaintRecord, **changes) -> ComplaintRecord:
    from dataclasses import replace

    return replace(record, **changes)


def open_complaints(session: Session) -> list[Complaint]:
    return list(session.scalars(select(Complaint).where(Complaint.status == "open").order_by(Complaint.deadline_at)))
