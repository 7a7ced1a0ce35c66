"""The desk API's calls and visits as they are worked: "allowed now?" and "start".

``GET /tasks/{task_id}/gate`` says whether the contact gate allows working the task now (the
rule, and the next permitted moment); ``POST /tasks/{task_id}/start`` records the dial time and
the number dialled in the system of record (never in Temporal) and answers 409 with the rule when
the gate forbids it. A start given with a past ``at`` is a call entered after the fact: it is kept
and flagged with the rule it broke (``violation_rule``). Times are the episode's collection time
(arrears.client.clock). The caller must hold the task (supervisors may start any).
"""

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, FastAPI, HTTPException
from pydantic import BaseModel

from arrears.api.access import Caller, not_found, task_visible
from arrears.channels.adapter import OutboxAdapter
from arrears.client.clock import collection_now
from arrears.db.models import CollectorTask
from arrears.desk.assign import DeskError
from arrears.desk.calls import StartRefused, check, start
from arrears.domain.policy import ContactPolicy


class StartBody(BaseModel):
    # When the number was dialled, with its offset; omitted: now. A past time records a call made
    # earlier (after the fact), kept whatever the gate says and flagged when it forbade it.
    at: datetime | None = None


class GateAnswer(BaseModel):
    task_id: int
    at: datetime
    allowed: bool
    rule: str
    detail: str
    next_allowed_at: datetime | None


class Started(BaseModel):
    task_id: int
    started_at: datetime
    entered: str  # live | after_the_fact
    violation_rule: str | None  # set when the gate forbade a call entered after the fact
    detail: str


def calls_router(app: FastAPI, caller: Callable[..., Caller], policy: ContactPolicy | None = None) -> APIRouter:
    """The routes, bound to the app's sessions and Temporal client and to its ``caller`` dependency.
    ``policy``: the gate's rules for tasks opened before they were kept with the task."""
    router = APIRouter(tags=["desk"])

    def held_task(task_id: int, who) -> CollectorTask:
        """The task, when the caller may work it: a collector their own, a supervisor their team's, a manager any;
        404 otherwise, exactly as for a task that does not exist (arrears.api.access)."""
        with app.state.sessions() as session:
            task = session.get(CollectorTask, task_id)
            if task is None or not task_visible(session, who, task):
                raise not_found(f"task {task_id}")
        return task

    async def moment(task: CollectorTask, given: datetime | None) -> tuple[datetime, datetime]:
        """(the moment judged, now), both in the episode's collection time."""
        if given is not None and given.tzinfo is None:
            raise HTTPException(422, "at: give the time with its UTC offset")
        now = await collection_now(app.state.client, app.state.sessions, task.account_id, datetime.now(UTC))
        return (given or now), now

    @router.get("/tasks/{task_id}/gate", response_model=GateAnswer)
    async def gate_now(task_id: int, who: Caller = Depends(caller)) -> GateAnswer:
        """Whether the task may be worked now, by which rule, and when it next may."""
        task = held_task(task_id, who)
        at, _ = await moment(task, None)
        with app.state.sessions() as session:
            found = check(session, task, at, policy)
        return GateAnswer(
            task_id=task_id,
            at=at,
            allowed=found.allowed,
            rule=found.rule,
            detail=found.detail,
            next_allowed_at=found.next_allowed_at,
        )

    @router.post("/tasks/{task_id}/start", response_model=Started)
    async def start_task(task_id: int, body: StartBody, who: Caller = Depends(caller)) -> Started:
        """Record the dial (or the visit's start); 409 with the rule when the gate forbids it now."""
        task = held_task(task_id, who)
        at, now = await moment(task, body.at)
        try:
            contact = start(
                app.state.sessions,
                getattr(app.state, "adapter", None) or OutboxAdapter(),
                task_id,
                who.collector_id,
                at,
                now,
                fallback=policy,
            )
        except StartRefused as exc:
            raise HTTPException(409, str(exc)) from None
        except DeskError as exc:
            raise HTTPException(422, str(exc)) from None
        flagged = f"; broke {contact.violation_rule}: {contact.violation_detail}" if contact.violation_rule else ""
        return Started(
            task_id=task_id,
            started_at=contact.started_at,
            entered=contact.entered,
            violation_rule=contact.violation_rule,
            detail=f"{contact.kind} started at {contact.started_at:%Y-%m-%d %H:%M} UTC{flagged}",
        )

    return router
