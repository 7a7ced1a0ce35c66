"""The desk's routes: reading (me, worklist, an account, the blacklist) and acting (promises, plans,
settlements, outcomes, holds, reassignment).

Every route authenticates first, then checks that the caller may see the
account or task (404 when not, exactly as for one that does not exist), then
that the episode is open (409), then asks the workflow (503 while Temporal
cannot be reached or does not answer in time). Database work runs on worker
threads, never on the event loop.
"""

import asyncio
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from arrears.api.access import (
    Caller,
    authenticate_request,
    not_found,
    open_episode,
    require_account,
    require_supervisor,
    task_visible,
)
from arrears.api.bodies import (
    ID_PATTERN,
    MAX_TASK_ID,
    AccountSummary,
    BlacklistAnswer,
    CancelPlanBody,
    ContactLine,
    Day,
    EvidenceLine,
    HoldBody,
    Me,
    Moment,
    OutcomeBody,
    PaymentLine,
    PlanBody,
    PromiseBody,
    PromiseLine,
    ReassignBody,
    ReleaseHoldBody,
    SettlementBody,
    TaskLine,
    TaskMoved,
)
from arrears.audit.evidence_store import for_account as evidence_for
from arrears.audit.evidence_store import missing_for
from arrears.client import operations
from arrears.client.account_queries import account_today, check_blacklist
from arrears.contracts.collection import (
    CancelPlanInput,
    HoldInput,
    HoldResult,
    OutcomeInput,
    OutcomeResult,
    PlanInput,
    PlanResult,
    PromiseInput,
    PromiseResult,
    ReleaseHoldInput,
    SettlementInput,
    SettlementResult,
)
from arrears.db.models import (
    Account,
    Collector,
    CollectorTask,
    ContactAttempt,
    ContactOutcomeRecord,
    Episode,
    Payment,
    PromiseToPay,
)
from arrears.desk.assign import DeskError, reassign_task
from arrears.desk.worklist import WorklistEntry, worklist
from arrears.domain.access import sees_collector
from arrears.domain.blacklist import BlacklistPurpose
from arrears.domain.evidence_ids import is_evidence_id

T = TypeVar("T")
bearer = HTTPBearer(auto_error=False, description="Token from `arrears collectors token ID`")

AccountId = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]
ObjectId = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]


def caller(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
    # A plain def: FastAPI runs it on a worker thread, so the token check never blocks the event loop.
    return authenticate_request(request, credentials.credentials if credentials else "", request.app.state.clock())


CallerDep = Annotated[Caller, Depends(caller)]


async def db(request: Request, work: Callable[[Session], T]) -> T:
    """Run ``work`` with a session on a worker thread."""

    def run() -> T:
        with request.app.state.sessions() as session:
            return work(session)

    return await run_in_threadpool(run)


def temporal(request: Request) -> Client:
    client = request.app.state.client
    if client is None:
        raise HTTPException(
            503,
            f"Temporal at {request.app.state.settings.temporal_address} is not reachable yet "
            f"({request.app.state.temporal_problem}); try again shortly",
            headers={"Retry-After": "5"},
        )
    return client


async def ask_workflow(request: Request, call: Callable[[Client], Any]) -> Any:
    """Run a call on the episode's workflow: its refusal is 422 (409 once the episode has ended); an absent
    or silent Temporal is 503, with a word on whether retrying is safe."""
    client = temporal(request)
    timeout = request.app.state.settings.api_temporal_timeout
    try:
        return await asyncio.wait_for(call(client), timeout=timeout)
    except TimeoutError:
        raise HTTPException(
            503,
            f"no answer from the workflow within {timeout:g} s; it may still be recorded: "
            "retrying with the same id is safe",
            headers={"Retry-After": "5"},
        ) from None
    except operations.Rejected as exc:
        cause = exc.__cause__
        if isinstance(cause, RPCError) and cause.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            raise HTTPException(
                503,
                f"Temporal did not answer ({cause.status.name}); retrying with the same id is safe",
                headers={"Retry-After": "5"},
            ) from None
        raise HTTPException(409 if exc.episode_closed else 422, str(exc)) from None
    except RPCError as exc:
        raise HTTPException(
            503,
            f"Temporal did not answer ({exc.status.name if exc.status else 'error'}); "
            "retrying with the same id is safe",
            headers={"Retry-After": "5"},
        ) from None


def evidence_known(session: Session, account_id: str, ids: list[str], field: str) -> None:
    missing = missing_for(session, account_id, ids)
    if missing:
        raise HTTPException(
            422,
            f"{field}: {', '.join(missing)} not in the evidence store for account {account_id} "
            "(upload it first: POST /accounts/{account_id}/evidence)",
        )


def desk_router() -> APIRouter:
    router = APIRouter()

    # ---- reading --------------------------------------------------------------------------

    @router.get("/me", response_model=Me, tags=["desk"])
    def me(who: CallerDep) -> Me:
        return Me(
            collector_id=who.collector_id,
            name=who.name,
            team=who.team,
            role=who.role,
            languages=who.languages,
            regions=who.regions,
            daily_capacity=who.daily_capacity,
            absent=who.absent,
            token_name=who.token_name,
            token_expires_at=who.token_expires_at,
        )

    @router.get("/worklist", response_model=list[WorklistEntry], tags=["desk"])
    def get_worklist(
        request: Request,
        who: CallerDep,
        collector_id: Annotated[str | None, Query(min_length=1, max_length=64, pattern=ID_PATTERN)] = None,
        at: Annotated[Moment | None, Query()] = None,
    ) -> list[WorklistEntry]:
        """Today's tasks, most urgent first. Supervisors may look at their team's lists, managers at anyone's."""
        target = collector_id or who.collector_id
        if target != who.collector_id:
            require_supervisor(who, "see another collector's worklist")
        with request.app.state.sessions() as session:
            if target != who.collector_id:
                row = session.get(Collector, target)
                if row is None or not sees_collector(who.viewer, target, row.team):
                    raise HTTPException(404, f"collector {target} not found in your team")
            try:
                return worklist(session, target, at or request.app.state.clock(), on_episode_clock=at is None)
            except DeskError as exc:
                raise HTTPException(404, str(exc)) from None

    @router.get("/blacklist/{account_id}", response_model=BlacklistAnswer, tags=["other systems"])
    def blacklist(
        request: Request,
        account_id: AccountId,
        who: CallerDep,
        purpose: BlacklistPurpose = BlacklistPurpose.NEW_CARD,
        on: Annotated[Day | None, Query()] = None,
    ) -> BlacklistAnswer:
        """Whether the account may get a new card or a limit increase, for an account the caller may see
        (other systems use a manager's token). ``on`` defaults to today in the account's zone."""
        with request.app.state.sessions() as session:
            require_account(session, who, account_id)
            day = on or account_today(session, account_id, request.app.state.clock())
            check = check_blacklist(session, account_id, day, purpose)
        return BlacklistAnswer(
            account_id=account_id,
            purpose=purpose,
            on=day,
            blocked=check.blocked,
            reason=check.reason,
            listed_from=check.listed_from,
            until=check.until,
        )

    @router.get("/accounts/{account_id}", response_model=AccountSummary, tags=["desk"])
    async def account_summary(request: Request, account_id: AccountId, who: CallerDep) -> AccountSummary:
        """The account, its episode's live status, the contact history and the evidence on file."""

        def read(session: Session) -> AccountSummary:
            require_account(session, who, account_id)
            account = session.get(Account, account_id)
            assert account is not None  # require_account answered 404 otherwise
            episode = session.scalar(
                select(Episode).where(Episode.account_id == account_id).order_by(Episode.started_at.desc()).limit(1)
            )
            contacts = session.scalars(
                select(ContactAttempt)
                .where(ContactAttempt.account_id == account_id)
                .order_by(ContactAttempt.attempted_at)
            ).all()
            tasks = session.execute(
                select(CollectorTask, ContactOutcomeRecord.outcome)
                .outerjoin(ContactOutcomeRecord, ContactOutcomeRecord.task_id == CollectorTask.id)
                .where(CollectorTask.account_id == account_id)
                .order_by(CollectorTask.due_at)
            ).all()
            payments = session.scalars(
                select(Payment).where(Payment.account_id == account_id).order_by(Payment.paid_at)
            ).all()
            promises = session.scalars(
                select(PromiseToPay).where(PromiseToPay.account_id == account_id).order_by(PromiseToPay.made_at)
            ).all()
            return AccountSummary(
                account_id=account.account_id,
                customer_name=account.customer_name,
                language=account.language,
                timezone=account.timezone,
                region=account.region,
                currency=account.currency,
                phone_invalid=account.phone_invalid,
                episode_id=episode.episode_id if episode else None,
                episode_outcome=episode.outcome if episode else None,
                status=None,
                contacts=[
                    ContactLine(
                        at=c.attempted_at,
                        channel=c.channel,
                        step_id=c.step_id,
                        dpd=c.dpd,
                        result=c.result,
                        recipient=c.recipient,
                        subject=c.subject,
                        text=c.rendered_text,
                    )
                    for c in contacts
                ],
                tasks=[
                    TaskLine(
                        task_id=t.id,
                        kind=t.kind,
                        status=t.status,
                        queue=t.queue,
                        assigned_to=t.assigned_to,
                        due_at=t.due_at,
                        sla_due_at=t.sla_due_at,
                        outcome=outcome,
                        note=t.note,
                    )
                    for t, outcome in tasks
                ],
                payments=[
                    PaymentLine(payment_id=p.payment_id, amount=p.amount, channel=p.channel, paid_at=p.paid_at)
                    for p in payments
                ],
                promises=[
                    PromiseLine(
                        promise_id=p.promise_id,
                        amount=p.amount,
                        promised_date=p.promised_date,
                        status=p.status,
                        collector_id=p.collector_id,
                    )
                    for p in promises
                ],
                evidence=[
                    EvidenceLine(
                        evidence_id=e.evidence_id,
                        media_type=e.media_type,
                        size_bytes=e.size_bytes,
                        filename=e.filename,
                        uploaded_by=e.uploaded_by,
                        uploaded_at=e.uploaded_at,
                    )
                    for e in evidence_for(session, account_id)
                ],
            )

        summary = await db(request, read)
        client = request.app.state.client
        if summary.episode_id is not None and summary.episode_outcome is None and client is not None:
            try:
                status = await asyncio.wait_for(
                    operations.get_status(client, account_id), timeout=request.app.state.settings.api_temporal_timeout
                )
                summary = summary.model_copy(update={"status": status})
            except (operations.Rejected, RPCError, TimeoutError):
                pass  # the episode is ending right now, or Temporal is away: the record above still answers
        return summary

    # ---- acting ---------------------------------------------------------------------------

    @router.post("/accounts/{account_id}/promises", response_model=PromiseResult, tags=["desk"])
    async def promise(request: Request, account_id: AccountId, body: PromiseBody, who: CallerDep) -> PromiseResult:
        """Record a promise to pay taken by the caller (a supervisor's own promise counts as approved)."""
        await db(request, lambda s: open_episode(s, who, account_id))
        command = PromiseInput(
            **body.model_dump(),
            collector_id=who.collector_id,
            supervisor_id=who.collector_id if who.supervisor else None,
        )
        return await ask_workflow(request, lambda c: operations.promise_to_pay(c, account_id, command))

    @router.post("/accounts/{account_id}/plans", response_model=PlanResult, tags=["desk"])
    async def plan(request: Request, account_id: AccountId, body: PlanBody, who: CallerDep) -> PlanResult:
        """Agree an instalment plan, approved by the caller within their role's limits."""
        await db(request, lambda s: open_episode(s, who, account_id))
        command = PlanInput(
            plan_id=body.plan_id,
            instalments=[i.domain() for i in body.instalments],
            down_payment=body.down_payment,
            fee_waiver=body.fee_waiver,
            rate_discount_percent=body.rate_discount_percent,
            approved_by=who.collector_id,
            approver_role=who.role,
        )
        return await ask_workflow(request, lambda c: operations.agree_plan(c, account_id, command))

    @router.post("/accounts/{account_id}/plans/{plan_id}/cancel", response_model=PlanResult, tags=["supervisor"])
    async def cancel(
        request: Request, account_id: AccountId, plan_id: ObjectId, body: CancelPlanBody, who: CallerDep
    ) -> PlanResult:
        """Cancel a running plan (supervisors and managers)."""
        require_supervisor(who, "cancel a plan")
        await db(request, lambda s: open_episode(s, who, account_id))
        command = CancelPlanInput(
            plan_id=plan_id, reason=body.reason, supervisor_id=who.collector_id, supervisor_role=who.role
        )
        return await ask_workflow(request, lambda c: operations.cancel_plan(c, account_id, command))

    @router.post("/accounts/{account_id}/settlements", response_model=SettlementResult, tags=["desk"])
    async def settlement(
        request: Request, account_id: AccountId, body: SettlementBody, who: CallerDep
    ) -> SettlementResult:
        """Offer a settlement, approved by the caller within their role's discount limit."""
        await db(request, lambda s: open_episode(s, who, account_id))
        command = SettlementInput(**body.model_dump(), approved_by=who.collector_id, approver_role=who.role)
        return await ask_workflow(request, lambda c: operations.offer_settlement(c, account_id, command))

    @router.post("/accounts/{account_id}/outcomes", response_model=OutcomeResult, tags=["desk"])
    async def outcome(request: Request, account_id: AccountId, body: OutcomeBody, who: CallerDep) -> OutcomeResult:
        """Record what happened on a call or visit task the caller holds (a supervisor: one of their team's)."""

        def check(session: Session) -> None:
            episode = open_episode(session, who, account_id)
            task = session.get(CollectorTask, body.task_id)
            if task is None or task.episode_id != episode.episode_id or not task_visible(session, who, task):
                raise not_found(f"task {body.task_id} on account {account_id}'s open episode")
            if body.visit is not None:
                evidence_known(session, account_id, body.visit.evidence_files, "visit.evidence_files")

        await db(request, check)
        command = OutcomeInput(**body.model_dump(), collector_id=who.collector_id)
        return await ask_workflow(request, lambda c: operations.log_contact_outcome(c, account_id, command))

    @router.post("/accounts/{account_id}/holds", response_model=HoldResult, tags=["desk"])
    async def place_hold(request: Request, account_id: AccountId, body: HoldBody, who: CallerDep) -> HoldResult:
        """Place a hold, by the caller: what the customer said or sent must stop collection at once."""

        def check(session: Session) -> None:
            open_episode(session, who, account_id)
            if is_evidence_id(body.evidence_ref):
                evidence_known(session, account_id, [body.evidence_ref], "evidence_ref")

        await db(request, check)
        command = HoldInput(**body.model_dump(), placed_by=who.collector_id)
        return await ask_workflow(request, lambda c: operations.place_hold(c, account_id, command))

    @router.post("/accounts/{account_id}/holds/{hold_id}/release", response_model=HoldResult, tags=["supervisor"])
    async def release_hold(
        request: Request, account_id: AccountId, hold_id: ObjectId, body: ReleaseHoldBody, who: CallerDep
    ) -> HoldResult:
        """Release a hold (supervisors and managers): resuming collection is a decision someone answers for."""
        require_supervisor(who, "release a hold")
        await db(request, lambda s: open_episode(s, who, account_id))
        command = ReleaseHoldInput(hold_id=hold_id, released_by=who.collector_id, resolution=body.resolution)
        return await ask_workflow(request, lambda c: operations.release_hold(c, account_id, command))

    @router.post("/tasks/{task_id}/reassign", response_model=TaskMoved, tags=["supervisor"])
    def reassign(
        request: Request, task_id: Annotated[int, Path(ge=1, le=MAX_TASK_ID)], body: ReassignBody, who: CallerDep
    ) -> TaskMoved:
        """Give a task to a named collector (supervisors: their team's tasks, to their team; managers: any)."""
        require_supervisor(who, "reassign tasks")
        with request.app.state.sessions() as session:
            task = session.get(CollectorTask, task_id)
            if task is None or not task_visible(session, who, task):
                raise not_found(f"task {task_id}")
            target = session.get(Collector, body.collector_id)
            if target is None or not sees_collector(who.viewer, target.collector_id, target.team):
                raise HTTPException(404, f"collector {body.collector_id} not found in your team")
        try:
            moved = reassign_task(
                request.app.state.sessions,
                task_id,
                body.collector_id,
                who.collector_id,
                body.reason,
                request.app.state.clock(),
            )
        except DeskError as exc:
            raise HTTPException(422, str(exc)) from None
        return TaskMoved(task_id=moved.id, assigned_to=moved.assigned_to, queue=moved.queue)

    return router
