"""The desk API: the same operations as `arrears desk ...`, over JSON HTTP.

Who is calling comes from the bearer token, never from the body: a promise
is taken by the caller, a plan or settlement is approved by the caller with
the caller's role. Answers:

- 200 with the result;
- 401 without a valid token; 403 when the caller may not act (a collector on
  an account with no task of theirs, a collector asking for a supervisor's
  action); 404 for an unknown account or task;
- 409 when the account has no open collection episode;
- 422 when the request is refused: a malformed body, or the workflow's
  validator saying no (the reason is in ``detail``).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from arrears import operations
from arrears.api.calls import calls_router
from arrears.contracts import (
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
    StatusView,
)
from arrears.db.engine import make_engine, make_sessionmaker
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
from arrears.desk.tokens import authenticate
from arrears.desk.worklist import WorklistEntry, worklist
from arrears.account_queries import account_today, check_blacklist
from arrears.domain.blacklist import BlacklistPurpose
from arrears.domain.desk import ROLE_RANK
from arrears.domain.holds import HoldType
from arrears.domain.outcome import ContactOutcome, DelinquencyReason, VisitReport
from arrears.domain.plan import Instalment
from arrears.domain.strategy import Role
from arrears.settings import Settings

bearer = HTTPBearer(auto_error=False, description="Token from `arrears collectors token ID`")


def _now() -> datetime:
    return datetime.now(timezone.utc)


# ---- request and response bodies -------------------------------------------------------


class PromiseBody(BaseModel):
    promise_id: str = Field(min_length=1, max_length=64)
    amount: Decimal
    promised_date: date
    channel: str = Field(default="call", min_length=1, max_length=32)
    note: str = Field(default="", max_length=1000)
    replace: bool = False


class PlanBody(BaseModel):
    plan_id: str = Field(min_length=1, max_length=64)
    instalments: list[Instalment] = Field(min_length=1)
    down_payment: Decimal = Decimal(0)
    fee_waiver: Decimal = Decimal(0)
    rate_discount_percent: Decimal = Decimal(0)


class SettlementBody(BaseModel):
    offer_id: str = Field(min_length=1, max_length=64)
    amount: Decimal
    expires_on: date
    replace: bool = False


class OutcomeBody(BaseModel):
    task_id: int
    outcome: ContactOutcome
    duration_seconds: int = 0
    reason_for_delinquency: DelinquencyReason | None = None
    note: str = Field(default="", max_length=2000)
    callback_at: datetime | None = None
    visit: VisitReport | None = None
    started_at: datetime | None = None  # the dial time of a call entered after the fact (see POST /tasks/{id}/start)


class HoldBody(BaseModel):
    hold_id: str = Field(min_length=1, max_length=64)
    hold_type: HoldType
    reason: str = Field(min_length=1, max_length=2000)
    evidence_ref: str = Field(default="", max_length=500)
    channel: str | None = Field(default=None, max_length=16)
    days: int | None = None


class ReleaseHoldBody(BaseModel):
    resolution: str | None = Field(default=None, max_length=32)


class CancelPlanBody(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class ReassignBody(BaseModel):
    collector_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=500)


class Me(BaseModel):
    collector_id: str
    name: str
    team: str
    role: Role
    languages: list[str]
    regions: list[str]
    daily_capacity: int
    absent: bool


class ContactLine(BaseModel):
    at: datetime
    channel: str
    step_id: str
    dpd: int
    result: str
    recipient: str
    subject: str | None
    text: str


class TaskLine(BaseModel):
    task_id: int
    kind: str
    status: str
    queue: str
    assigned_to: str | None
    due_at: datetime
    sla_due_at: datetime | None
    outcome: str | None
    note: str


class PaymentLine(BaseModel):
    payment_id: str
    amount: Decimal
    channel: str
    paid_at: datetime


class PromiseLine(BaseModel):
    promise_id: str
    amount: Decimal
    promised_date: date
    status: str
    collector_id: str


class AccountSummary(BaseModel):
    account_id: str
    customer_name: str
    language: str
    timezone: str
    region: str | None
    currency: str
    phone_invalid: bool
    episode_id: str | None
    episode_outcome: str | None
    status: StatusView | None  # live from the workflow while the episode runs
    contacts: list[ContactLine]
    tasks: list[TaskLine]
    payments: list[PaymentLine]
    promises: list[PromiseLine]


class BlacklistAnswer(BaseModel):
    account_id: str
    purpose: BlacklistPurpose
    on: date
    blocked: bool
    reason: str | None
    listed_from: date | None
    until: date | None  # first day no longer blocked; null while blocked with no end date yet


class TaskMoved(BaseModel):
    task_id: int
    assigned_to: str | None
    queue: str


# ---- the app ------------------------------------------------------------------------------


def create_app(settings: Settings, client: Client | None = None, sessions: sessionmaker[Session] | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.client is None:
            from arrears.connect import connect

            app.state.client = await connect(settings)
        yield

    app = FastAPI(
        title="Arrears collector desk",
        version="1",
        description=__doc__,
        lifespan=lifespan,
    )
    app.state.client = client
    app.state.sessions = sessions or make_sessionmaker(make_engine(settings.database_url))

    def caller(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Collector:
        with app.state.sessions() as session:
            found = authenticate(session, credentials.credentials if credentials else "")
        if found is None:
            raise HTTPException(401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})
        return found

    Caller = Annotated[Collector, Depends(caller)]

    def is_supervisor(who: Collector) -> bool:
        return ROLE_RANK[Role(who.role)] >= ROLE_RANK[Role.SUPERVISOR]

    def require_task_holder(session: Session, who: Collector, account_id: str, *scope) -> None:
        """A collector may see or act on an account only with a task of theirs on it; supervisors may always."""
        if is_supervisor(who):
            return
        mine = session.scalar(
            select(CollectorTask.id).where(
                CollectorTask.account_id == account_id, CollectorTask.assigned_to == who.collector_id, *scope
            ).limit(1)
        )
        if mine is None:
            raise HTTPException(403, f"account {account_id} has no task assigned to {who.collector_id}")

    def open_episode(account_id: str, who: Collector) -> Episode:
        """The account's open episode, after checking the caller may act on it."""
        with app.state.sessions() as session:
            if session.get(Account, account_id) is None:
                raise HTTPException(404, f"no account {account_id}")
            episode = session.scalar(
                select(Episode).where(Episode.account_id == account_id).order_by(Episode.started_at.desc()).limit(1)
            )
            if episode is None or episode.outcome is not None:
                ended = f" (last episode ended {episode.outcome})" if episode else ""
                raise HTTPException(409, f"account {account_id} has no open collection episode{ended}")
            require_task_holder(session, who, account_id, CollectorTask.episode_id == episode.episode_id)
            return episode

    def require_supervisor(who: Collector, action: str) -> None:
        if not is_supervisor(who):
            raise HTTPException(403, f"only a supervisor or manager may {action}")

    async def run(coro):
        try:
            return await coro
        except operations.Rejected as exc:
            raise HTTPException(409 if exc.episode_closed else 422, str(exc)) from None

    # ---- reading ------------------------------------------------------------------------

    @app.get("/me", response_model=Me, tags=["desk"])
    def me(who: Caller) -> Me:
        return Me(
            collector_id=who.collector_id, name=who.name, team=who.team, role=Role(who.role), languages=who.languages,
            regions=who.regions, daily_capacity=who.daily_capacity, absent=who.absent,
        )

    @app.get("/worklist", response_model=list[WorklistEntry], tags=["desk"])
    def get_worklist(who: Caller, collector_id: str | None = None, at: datetime | None = None) -> list[WorklistEntry]:
        """Today's tasks, most urgent first. Supervisors may look at anyone's list."""
        target = collector_id or who.collector_id
        if target != who.collector_id:
            require_supervisor(who, "see another collector's worklist")
        if at is not None and at.tzinfo is None:
            raise HTTPException(422, "at: give the time with its UTC offset")
        with app.state.sessions() as session:
            try:
                return worklist(session, target, at or _now(), on_episode_clock=at is None)
            except DeskError as exc:
                raise HTTPException(404, str(exc)) from None

    @app.get("/blacklist/{account_id}", response_model=BlacklistAnswer, tags=["other systems"])
    def blacklist(
        account_id: str, who: Caller, purpose: BlacklistPurpose = BlacklistPurpose.NEW_CARD, on: date | None = None
    ) -> BlacklistAnswer:
        """Whether the account may get a new card or a limit increase (any valid token may ask).

        ``on`` defaults to today in the account's zone; an account never listed is not blocked.
        """
        with app.state.sessions() as session:
            day = on or account_today(session, account_id, _now())
            check = check_blacklist(session, account_id, day, purpose)
        return BlacklistAnswer(account_id=account_id, purpose=purpose, on=day, blocked=check.blocked,
                               reason=check.reason, listed_from=check.listed_from, until=check.until)

    @app.get("/accounts/{account_id}", response_model=AccountSummary, tags=["desk"])
    async def account_summary(account_id: str, who: Caller) -> AccountSummary:
        """The account, its episode's live status and the whole contact history."""
        with app.state.sessions() as session:
            account = session.get(Account, account_id)
            if account is None:
                raise HTTPException(404, f"no account {account_id}")
            episode = session.scalar(
                select(Episode).where(Episode.account_id == account_id).order_by(Episode.started_at.desc()).limit(1)
            )
            require_task_holder(session, who, account_id)
            contacts = session.scalars(
                select(ContactAttempt).where(ContactAttempt.account_id == account_id).order_by(ContactAttempt.attempted_at)
            ).all()
            tasks = session.execute(
                select(CollectorTask, ContactOutcomeRecord.outcome)
                .outerjoin(ContactOutcomeRecord, ContactOutcomeRecord.task_id == CollectorTask.id)
                .where(CollectorTask.account_id == account_id)
                .order_by(CollectorTask.due_at)
            ).all()
            payments = session.scalars(select(Payment).where(Payment.account_id == account_id).order_by(Payment.paid_at)).all()
            promises = session.scalars(
                select(PromiseToPay).where(PromiseToPay.account_id == account_id).order_by(PromiseToPay.made_at)
            ).all()
        status = None
        if episode is not None and episode.outcome is None:
            try:
                status = await operations.get_status(app.state.client, account_id)
            except operations.Rejected:
                status = None  # the episode is ending right now; the record above still answers
        return AccountSummary(
            account_id=account.account_id, customer_name=account.customer_name, language=account.language,
            timezone=account.timezone, region=account.region, currency=account.currency, phone_invalid=account.phone_invalid,
            episode_id=episode.episode_id if episode else None, episode_outcome=episode.outcome if episode else None,
            status=status,
            contacts=[
                ContactLine(at=c.attempted_at, channel=c.channel, step_id=c.step_id, dpd=c.dpd, result=c.result,
                            recipient=c.recipient, subject=c.subject, text=c.rendered_text)
                for c in contacts
            ],
            tasks=[
                TaskLine(task_id=t.id, kind=t.kind, status=t.status, queue=t.queue, assigned_to=t.assigned_to,
                         due_at=t.due_at, sla_due_at=t.sla_due_at, outcome=outcome, note=t.note)
                for t, outcome in tasks
            ],
            payments=[PaymentLine(payment_id=p.payment_id, amount=p.amount, channel=p.channel, paid_at=p.paid_at) for p in payments],
            promises=[
                PromiseLine(promise_id=p.promise_id, amount=p.amount, promised_date=p.promised_date, status=p.status,
                            collector_id=p.collector_id)
                for p in promises
            ],
        )

    # ---- acting -------------------------------------------------------------------------

    @app.post("/accounts/{account_id}/promises", response_model=PromiseResult, tags=["desk"])
    async def promise(account_id: str, body: PromiseBody, who: Caller) -> PromiseResult:
        """Record a promise to pay taken by the caller (a supervisor's own promise counts as approved)."""
        open_episode(account_id, who)
        request = PromiseInput(
            **body.model_dump(), collector_id=who.collector_id,
            supervisor_id=who.collector_id if is_supervisor(who) else None,
        )
        return await run(operations.promise_to_pay(app.state.client, account_id, request))

    @app.post("/accounts/{account_id}/plans", response_model=PlanResult, tags=["desk"])
    async def plan(account_id: str, body: PlanBody, who: Caller) -> PlanResult:
        """Agree an instalment plan, approved by the caller within their role's limits."""
        open_episode(account_id, who)
        request = PlanInput(**body.model_dump(), approved_by=who.collector_id, approver_role=Role(who.role))
        return await run(operations.agree_plan(app.state.client, account_id, request))

    @app.post("/accounts/{account_id}/plans/{plan_id}/cancel", response_model=PlanResult, tags=["supervisor"])
    async def cancel(account_id: str, plan_id: str, body: CancelPlanBody, who: Caller) -> PlanResult:
        """Cancel a running plan (supervisors and managers)."""
        require_supervisor(who, "cancel a plan")
        open_episode(account_id, who)
        request = CancelPlanInput(
            plan_id=plan_id, reason=body.reason, supervisor_id=who.collector_id, supervisor_role=Role(who.role)
        )
        return await run(operations.cancel_plan(app.state.client, account_id, request))

    @app.post("/accounts/{account_id}/settlements", response_model=SettlementResult, tags=["desk"])
    async def settlement(account_id: str, body: SettlementBody, who: Caller) -> SettlementResult:
        """Offer a settlement, approved by the caller within their role's discount limit."""
        open_episode(account_id, who)
        request = SettlementInput(**body.model_dump(), approved_by=who.collector_id, approver_role=Role(who.role))
        return await run(operations.offer_settlement(app.state.client, account_id, request))

    @app.post("/accounts/{account_id}/outcomes", response_model=OutcomeResult, tags=["desk"])
    async def outcome(account_id: str, body: OutcomeBody, who: Caller) -> OutcomeResult:
        """Record what happened on a call or visit task held by the caller."""
        episode = open_episode(account_id, who)
        with app.state.sessions() as session:
            task = session.get(CollectorTask, body.task_id)
        if task is None or task.episode_id != episode.episode_id:
            raise HTTPException(404, f"no task {body.task_id} on account {account_id}'s open episode")
        if task.assigned_to != who.collector_id and not is_supervisor(who):
            raise HTTPException(403, f"task {body.task_id} is not assigned to {who.collector_id}")
        request = OutcomeInput(**body.model_dump(), collector_id=who.collector_id)
        return await run(operations.log_contact_outcome(app.state.client, account_id, request))

    @app.post("/accounts/{account_id}/holds", response_model=HoldResult, tags=["desk"])
    async def place_hold(account_id: str, body: HoldBody, who: Caller) -> HoldResult:
        """Place a hold, by the caller: what the customer said or sent must stop collection at once."""
        open_episode(account_id, who)
        request = HoldInput(**body.model_dump(), placed_by=who.collector_id)
        return await run(operations.place_hold(app.state.client, account_id, request))

    @app.post("/accounts/{account_id}/holds/{hold_id}/release", response_model=HoldResult, tags=["supervisor"])
    async def release_hold(account_id: str, hold_id: str, body: ReleaseHoldBody, who: Caller) -> HoldResult:
        """Release a hold (supervisors and managers): resuming collection is a decision someone answers for."""
        require_supervisor(who, "release a hold")
        open_episode(account_id, who)
        request = ReleaseHoldInput(hold_id=hold_id, released_by=who.collector_id, resolution=body.resolution)
        return await run(operations.release_hold(app.state.client, account_id, request))

    @app.post("/tasks/{task_id}/reassign", response_model=TaskMoved, tags=["supervisor"])
    def reassign(task_id: int, body: ReassignBody, who: Caller) -> TaskMoved:
        """Give a task to a named collector (supervisors and managers)."""
        require_supervisor(who, "reassign tasks")
        try:
            task = reassign_task(app.state.sessions, task_id, body.collector_id, who.collector_id, body.reason, _now())
        except DeskError as exc:
            code = 404 if str(exc).startswith("no task") else 422
            raise HTTPException(code, str(exc)) from None
        return TaskMoved(task_id=task.id, assigned_to=task.assigned_to, queue=task.queue)

    app.include_router(calls_router(app, caller))  # calls and visits as they are worked (arrears/api/calls.py)
    return app
