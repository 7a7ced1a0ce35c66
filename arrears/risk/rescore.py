"""Rescoring running episodes with the active model, and telling each changed one its new segment.

A page of open episodes (by account id) is scored as of a date; an episode
whose segment the model would change, and that no supervisor's override holds,
is sent the collection workflow's ``set_risk_segment`` update with the model
version and the reasons. What an episode's segment is now comes from the
record (the last change recorded for it, else the segment it opened with), so
a second run in the same period finds nothing to change; the request id
(``rescore:<period>:<episode>``) makes even a repeated send a duplicate.
Event-driven rescoring finds, in the record, broken promises, broken plans and
right-party contacts reporting job loss since an episode's last rescore and
rescores just those episodes.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
from sqlalchemy import Engine, and_, select
from sqlalchemy.orm import Session, sessionmaker

from arrears.contracts import keys
from arrears.contracts.collection import RiskSegmentInput, RiskSegmentResult
from arrears.contracts.collection_activities import SegmentChangeCommand
from arrears.contracts.names import Updates, workflow_id_for
from arrears.db.models import ContactOutcomeRecord, Episode, Plan, PromiseToPay, RescoreEvent, RiskSegmentChange
from arrears.domain.strategy import Segment
from arrears.risk.features import feature_vector
from arrears.risk.history import load_histories
from arrears.risk.model import ScoringModel
from arrears.risk.registry import active_model

RESCORE_TARGET = "roll_forward_60d"
RESCORED_BY = "risk-rescore"
SEND_CONCURRENCY = 16


@dataclass(frozen=True)
class Proposal:
    """What the model says about one open episode."""

    episode_id: str
    account_id: str
    current: str
    segment: str
    risk: float
    reasons: list[str]
    held: bool  # a supervisor's override holds the segment

    @property
    def changes(self) -> bool:
        return self.segment != self.current and not self.held


@dataclass
class Sent:
    changed: int = 0
    sent: int = 0
    overridden: int = 0
    failed: list[str] = field(default_factory=list)


def current_segments(session: Session, episodes: dict[str, str]) -> dict[str, tuple[str, bool]]:
    """Per episode: the segment the record shows now, and whether a supervisor's override holds it.

    ``episodes`` maps episode id to the segment it opened with.
    """
    out = {e: (segment, False) for e, segment in episodes.items()}
    rows = session.execute(
        select(
            RiskSegmentChange.episode_id,
            RiskSegmentChange.segment,
            RiskSegmentChange.override,
            RiskSegmentChange.release_override,
        )
        .where(RiskSegmentChange.episode_id.in_(list(episodes)))
        .order_by(RiskSegmentChange.id)
    ).all()
    for episode_id, segment, override, release in rows:
        held = out[episode_id][1]
        if override:
            held = True
        if release:
            held = False
        out[episode_id] = (segment, held)
    return out


def open_episodes(session: Session, after: str | None, limit: int, accounts: list[str] | None = None) -> list[Episode]:
    """Running episodes opened by a missed due date, by account id (the record's view)."""
    query = select(Episode).where(Episode.outcome.is_(None), Episode.trigger != "over_limit")
    if after:
        query = query.where(Episode.account_id > after)
    if accounts is not None:
        query = query.where(Episode.account_id.in_(accounts))
    return list(session.scalars(query.order_by(Episode.account_id, Episode.started_at).limit(limit)))


def propose(
    engine: Engine, sessions: sessionmaker[Session], model: ScoringModel, episodes: list[Episode], as_of: date
) -> list[Proposal]:
    """The model's segment for each episode past due on the as-of date (pre-due ones are left alone)."""
    due = [e for e in episodes if e.due_date < as_of]
    if not due:
        return []
    histories = load_histories(engine, sorted({e.account_id for e in due}), since=as_of)
    matrix = np.asarray([feature_vector(histories[e.account_id], as_of) for e in due], dtype=float)
    risk = model.risk(matrix)
    segments = model.segments(risk)
    contributions = model.contributions(matrix)
    with sessions() as session:
        now = current_segments(session, {e.episode_id: e.risk_segment for e in due})
    return [
        Proposal(
            e.episode_id,
            e.account_id,
            now[e.episode_id][0],
            segments[i],
            float(risk[i]),
            model.reasons(matrix[i], contributions[i]),
            now[e.episode_id][1],
        )
        for i, e in enumerate(due)
    ]


async def send(
    client,
    model_version: str,
    proposals: list[Proposal],
    request_prefix: str,
    heartbeat: Callable[[], None] = lambda: None,
) -> Sent:
    """Send set_risk_segment to each episode the model would move; an episode's refusal is reported, not raised."""
    result = Sent()
    gate = asyncio.Semaphore(SEND_CONCURRENCY)

    async def one(p: Proposal) -> None:
        request = RiskSegmentInput(
            request_id=f"{request_prefix}:{p.episode_id}",
            segment=Segment(p.segment),
            source="model",
            model_version=model_version,
            reasons=p.reasons,
            set_by=RESCORED_BY,
        )
        async with gate:
            try:
                answer = await client.get_workflow_handle(workflow_id_for(p.account_id)).execute_update(
                    Updates.SET_RISK_SEGMENT, request, result_type=RiskSegmentResult
                )
            except Exception as exc:  # noqa: BLE001 - one episode's no must not stop the others
                result.failed.append(f"{p.account_id}: {_why(exc)}")
                return
            finally:
                heartbeat()
        result.sent += 1
        result.changed += int(answer.changed)
        result.overridden += int(answer.overridden)

    await asyncio.gather(*(one(p) for p in proposals if p.changes))
    return result


def _why(exc: Exception) -> str:
    cause = getattr(exc, "cause", None)
    return str(getattr(cause, "message", None) or getattr(exc, "message", None) or exc)


@dataclass
class PageOutcome:
    scored: int
    proposals: list[Proposal]
    next_after: str | None
    model_version: str | None


def score_page(
    engine: Engine,
    sessions: sessionmaker[Session],
    as_of: date,
    after: str | None,
    limit: int,
    accounts: list[str] | None = None,
) -> PageOutcome:
    with sessions() as session:
        model = active_model(session, RESCORE_TARGET)
        episodes = open_episodes(session, after, limit, accounts)
    if model is None:
        return PageOutcome(0, [], None, None)
    proposals = propose(engine, sessions, model, episodes, as_of)
    last = episodes[-1].account_id if len(episodes) == limit else None
    return PageOutcome(len(proposals), proposals, last, model.version)


# ---- events in the record ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TriggerEvent:
    key: str
    account_id: str
    episode_id: str
    kind: str


def pending_events(session: Session, limit: int) -> list[TriggerEvent]:
    """Broken promises, broken plans and job-loss contacts of running episodes not yet rescored for."""
    running = Episode.outcome.is_(None)
    found: list[TriggerEvent] = []
    for account, episode, promise in session.execute(
        select(PromiseToPay.account_id, PromiseToPay.episode_id, PromiseToPay.promise_id)
        .join(Episode, Episode.episode_id == PromiseToPay.episode_id)
        .where(running, PromiseToPay.status == "broken")
    ):
        found.append(TriggerEvent(keys.broken_promise_event_key(account, promise), account, episode, "broken_promise"))
    for account, episode, plan in session.execute(
        select(Plan.account_id, Plan.episode_id, Plan.plan_id)
        .join(Episode, Episode.episode_id == Plan.episode_id)
        .where(running, Plan.status == "broken")
    ):
        found.append(TriggerEvent(keys.broken_plan_event_key(account, plan), account, episode, "broken_plan"))
    for account, episode, task in session.execute(
        select(ContactOutcomeRecord.account_id, ContactOutcomeRecord.episode_id, ContactOutcomeRecord.task_id)
        .join(Episode, Episode.episode_id == ContactOutcomeRecord.episode_id)
        .where(
            running,
            and_(
                ContactOutcomeRecord.outcome == "right_party_contact",
                ContactOutcomeRecord.reason_for_delinquency == "job_loss",
            ),
        )
    ):
        found.append(TriggerEvent(keys.job_loss_event_key(account, task), account, episode, "job_loss"))
    if not found:
        return []
    handled = set(
        session.scalars(select(RescoreEvent.event_key).where(RescoreEvent.event_key.in_([f.key for f in found])))
    )
    return [f for f in found if f.key not in handled][:limit]


def mark_handled(sessions: sessionmaker[Session], events: list[TriggerEvent], at: datetime) -> None:
    """Note the events rescored for (once each: a retry finds them noted)."""
    with sessions.begin() as session:
        known = set(
            session.scalars(select(RescoreEvent.event_key).where(RescoreEvent.event_key.in_([e.key for e in events])))
        )
        for e in events:
            if e.key not in known:
                session.add(
                    RescoreEvent(
                        event_key=e.key, account_id=e.account_id, episode_id=e.episode_id, kind=e.kind, handled_at=at
                    )
                )


# ---- the record of a change (the collection workflow's activity calls this) ----------------------------


def record_change(sessions: sessionmaker[Session], cmd: SegmentChangeCommand) -> bool:
    """Write one segment change; False when this request is on record already (a retry)."""
    key = keys.segment_change_key(cmd.episode_id, cmd.request_id)
    with sessions.begin() as session:
        if session.scalars(select(RiskSegmentChange.id).where(RiskSegmentChange.idempotency_key == key)).first():
            return False
        session.add(
            RiskSegmentChange(
                idempotency_key=key,
                episode_id=cmd.episode_id,
                account_id=cmd.account_id,
                request_id=cmd.request_id,
                segment=cmd.segment.value,
                previous=cmd.previous.value,
                source=cmd.source,
                model_version=cmd.model_version,
                reasons=list(cmd.reasons),
                set_by=cmd.set_by,
                override=cmd.override,
                release_override=cmd.release_override,
                changed=cmd.changed,
                overridden=cmd.overridden,
                dpd=cmd.dpd,
                changed_at=cmd.at,
            )
        )
        episode = session.get(Episode, cmd.episode_id)
        if episode is not None and cmd.changed:
            # Like strategy_hash: the episode names the model version behind its segment (None: a person set
            # it; a released override names the model whose segment applies again).
            episode.risk_model_version = cmd.model_version
    return True
