"""Desk API routes for quality reviews and complaints (docs/reports.md).

Mounted by create_app with one line; the caller comes from the bearer token, as everywhere in the
desk API: a review is by the caller (a supervisor or manager), a complaint is recorded by them.

- ``POST /tasks/{task_id}/reviews``: supervisors and managers; 404 unknown task; 403 own work or a
  collector; 422 a rubric problem (item missing, off the scale) or a task with no outcome.
- ``POST /accounts/{account_id}/complaints``: a collector with a task on the account, or a supervisor;
  places the complaint hold while the episode runs.
- ``POST /accounts/{account_id}/complaints/{complaint_id}/resolve``: supervisors and managers;
  releases the hold.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from arrears.api.access import Caller, require_account
from arrears.domain.bounds import Code16, Code32, Id64, Line48Given, Note, Paragraph4000
from arrears.domain.desk import ROLE_RANK
from arrears.domain.strategy import Role


class ReviewBody(BaseModel):
    scores: dict[str, int] = Field(description="one whole-number score per rubric item, on the rubric's scale")
    comment: Note = ""


class ReviewAnswer(BaseModel):
    review_id: int
    task_id: int
    subject: str
    score: Decimal
    duplicate: bool


class ComplaintBody(BaseModel):
    complaint_id: Line48Given
    channel: Code16
    category: Code32
    description: Paragraph4000 = ""
    collector_id: Id64 | None = None
    agency_id: Id64 | None = None
    task_id: int | None = None
    received_at: datetime | None = None


class ResolveBody(BaseModel):
    outcome: Code16
    note: Paragraph4000 = ""


class ComplaintAnswer(BaseModel):
    complaint_id: str
    account_id: str
    category: str
    channel: str
    collector_id: str | None
    agency_id: str | None
    deadline_at: datetime
    status: str
    outcome: str | None
    handled_in_time: bool | None
    hold_id: str | None
    hold_note: str
    duplicate: bool


def _answer(record, note: str | None = None) -> ComplaintAnswer:
    return ComplaintAnswer(
        complaint_id=record.complaint_id,
        account_id=record.account_id,
        category=record.category,
        channel=record.channel,
        collector_id=record.collector_id,
        agency_id=record.agency_id,
        deadline_at=record.deadline_at,
        status=record.status,
        outcome=record.outcome,
        handled_in_time=record.handled_in_time,
        hold_id=record.hold_id,
        hold_note=note if note is not None else record.hold_note,
        duplicate=record.duplicate,
    )


_CODES = {"not_found": 404, "forbidden": 403, "refused": 422}


def insight_router(caller: Callable[..., Caller], settings: Any) -> APIRouter:
    """The routes, with the app's own authentication dependency and settings (for the scorecard file)."""
    from arrears.insight import feedback
    from arrears.insight.scorecard import ScorecardError, load_scorecard

    router = APIRouter(tags=["quality and complaints"])

    def scorecard():
        try:
            return load_scorecard(settings.scorecard)
        except ScorecardError as exc:
            raise HTTPException(500, f"the scorecard file cannot be used: {exc}") from None

    def supervisor(who: Caller, action: str) -> None:
        if ROLE_RANK[Role(who.role)] < ROLE_RANK[Role.SUPERVISOR]:
            raise HTTPException(403, f"only a supervisor or manager may {action}")

    def refused(exc: feedback.FeedbackError) -> HTTPException:
        return HTTPException(_CODES.get(exc.kind, 422), str(exc))

    @router.post("/tasks/{task_id}/reviews", response_model=ReviewAnswer)
    def review(task_id: int, body: ReviewBody, request: Request, who: Caller = Depends(caller)) -> ReviewAnswer:
        """Score a worked call or visit against the rubric (supervisors and managers; not their own work)."""
        supervisor(who, "review work")
        try:
            result = feedback.record_review(
                request.app.state.sessions,
                scorecard().rubric,
                task_id,
                who.collector_id,
                body.scores,
                body.comment,
                datetime.now(UTC),
            )
        except feedback.FeedbackError as exc:
            raise refused(exc) from None
        return ReviewAnswer(
            review_id=result.review_id,
            task_id=task_id,
            subject=result.subject,
            score=result.score,
            duplicate=result.duplicate,
        )

    @router.post("/accounts/{account_id}/complaints", response_model=ComplaintAnswer)
    async def complaint(
        account_id: str, body: ComplaintBody, request: Request, who: Caller = Depends(caller)
    ) -> ComplaintAnswer:
        """Record a customer's complaint; while the episode runs, the channel complained about closes (a hold)."""
        sessions = request.app.state.sessions
        with sessions() as session:  # the desk's scope rule: 404 for an account the caller may not see
            require_account(session, who, account_id)
        now = datetime.now(UTC)
        if body.received_at is not None and body.received_at.tzinfo is None:
            raise HTTPException(422, "received_at: give the time with its UTC offset")
        try:
            record = feedback.record_complaint(
                sessions,
                scorecard().complaints,
                account_id=account_id,
                complaint_id=body.complaint_id,
                channel=body.channel,
                category=body.category,
                recorded_by=who.collector_id,
                received_at=body.received_at or now,
                now=now,
                description=body.description,
                collector_id=body.collector_id,
                agency_id=body.agency_id,
                task_id=body.task_id,
            )
        except feedback.FeedbackError as exc:
            raise refused(exc) from None
        record = await feedback.complaint_hold(request.app.state.client, sessions, record, who.collector_id)
        return _answer(record)

    @router.post("/accounts/{account_id}/complaints/{complaint_id}/resolve", response_model=ComplaintAnswer)
    async def resolve(
        account_id: str, complaint_id: str, body: ResolveBody, request: Request, who: Caller = Depends(caller)
    ) -> ComplaintAnswer:
        """Resolve a complaint (supervisors and managers): whether it was answered in time is recorded."""
        supervisor(who, "resolve a complaint")
        sessions = request.app.state.sessions
        try:
            record = feedback.resolve_complaint(
                sessions,
                account_id=account_id,
                complaint_id=complaint_id,
                outcome=body.outcome,
                resolved_by=who.collector_id,
                note=body.note,
                now=datetime.now(UTC),
            )
        except feedback.FeedbackError as exc:
            raise refused(exc) from None
        released = None
        if record.hold_id and record.episode_open and not record.duplicate:
            released = await feedback.release_complaint_hold(
                request.app.state.client, sessions, record, who.collector_id
            )
        return _answer(record, released)

    return router
