"""The console's pages and forms (under /console), beside the desk API's JSON routes.

Every page authenticates through the API's own code (arrears.api.access.authenticate_request, with the
token kept in the session), so a collector sees exactly what the API would show them: an account or task
out of scope is a 404 page, worded as for one that does not exist. Every form carries the session's CSRF
token (403 without it) and an idempotency key (a second submit of the same form does nothing). Actions go
to the workflow through the same operations, update validators and refusals as the API's routes
(arrears.api.desk.ask_workflow); a refusal is shown beside the form that caused it.
"""

import asyncio
import functools
import inspect
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import ValidationError
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from temporalio.service import RPCError

from arrears.client import operations
from arrears.api.access import (
    Caller,
    account_visible,
    authenticate_request,
    not_found,
    open_episode,
    require_account,
    require_supervisor,
    task_visible,
)
from arrears.api.bodies import (
    HoldBody,
    InstalmentBody,
    OutcomeBody,
    PlanBody,
    PromiseBody,
    ReassignBody,
    SettlementBody,
)
from arrears.api.desk import _evidence_known, ask_workflow
from arrears.console import csrf, i18n, views
from arrears.console.session import COOKIE, ConsoleSession
from arrears.contracts.collection import HoldInput, OutcomeInput, PlanInput, PromiseInput, SettlementInput
from arrears.db.models import Account, Collector, CollectorTask
from arrears.desk.assign import DeskError, reassign_task
from arrears.domain.access import sees_collector
from arrears.domain.evidence_ids import is_evidence_id
from arrears.domain.outcome import ContactOutcome, VisitReport
from arrears.audit.evidence_store import CHUNK, EvidenceRefused, clean_filename, record

HERE = Path(__file__).parent
PREFIX = "/console"
_env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
# No script or style from anywhere else; inline scripts are not allowed either (the one script is a file).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def static_app() -> StaticFiles:
    return StaticFiles(directory=HERE / "static")


class ConsoleError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Redirect(Exception):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class Ctx:
    """The signed-in collector, their session and the page's language."""

    def __init__(self, request: Request, caller: Caller, session: ConsoleSession) -> None:
        self.request = request
        self.caller = caller
        self.session = session
        self.lang = i18n.pick(session.language, caller.languages, request.headers.get("accept-language"))
        self.words = i18n.Words(self.lang)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def render(request: Request, template: str, status: int = 200, ctx: Ctx | None = None, **values: Any) -> HTMLResponse:
    words = ctx.words if ctx else i18n.Words(i18n.pick(None, None, request.headers.get("accept-language")))
    flash = []
    if ctx is not None:
        flash, ctx.session.flash = ctx.session.flash, []
    html = _env.get_template(template).render(
        _=words._, w=words, lang=words.lang, languages=i18n.LANGUAGES, ctx=ctx, me=ctx.caller if ctx else None,
        csrf_token=ctx.session.csrf if ctx else "", flash=flash, prefix=PREFIX, path=request.url.path, **values,
    )
    response = HTMLResponse(html, status_code=status)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _authenticate(request: Request) -> Ctx:
    """The session's collector, checked again through the API's authentication (a plain def: threadpool)."""
    store = request.app.state.console_sessions
    session, expired = store.get(request.cookies.get(COOKIE))
    if session is None:
        raise Redirect(f"{PREFIX}/sign-in" + ("?expired=1" if expired else ""))
    try:
        caller = authenticate_request(request, session.token, request.app.state.clock())
    except HTTPException as exc:
        if exc.status_code == 401:
            store.close(request.cookies.get(COOKIE))
            raise Redirect(f"{PREFIX}/sign-in?expired=1") from None
        raise ConsoleError(exc.status_code, str(exc.detail)) from None
    return Ctx(request, caller, session)


async def authenticated(request: Request) -> Ctx:
    ctx = await run_in_threadpool(_authenticate, request)
    request.state.console = ctx  # for the error page, which must not authenticate (and spend the rate) again
    return ctx


async def checked_form(request: Request, ctx: Ctx) -> dict[str, str]:
    form = await request.form()
    if not csrf.matches(ctx.session.csrf, form.get(csrf.FIELD)):
        raise ConsoleError(403, ctx.words._("The form has expired; reload the page and try again."))
    return {k: str(v) for k, v in form.items() if isinstance(v, str)}


def guarded(route):
    """HTTP errors raised by the API's own checks (404 out of scope, 403, 409, 422, 503) become console pages."""
    @functools.wraps(route)
    async def run(*args, **kwargs):
        try:
            result = route(*args, **kwargs)
            return await result if inspect.isawaitable(result) else result
        except HTTPException as exc:
            raise ConsoleError(exc.status_code, str(exc.detail)) from None
    return run


def _db(request: Request, work):
    def run():
        with request.app.state.sessions() as session:
            return work(session)
    return run_in_threadpool(run)


def _back(account_id: str) -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/accounts/{account_id}", status_code=303)


def install_handlers(app) -> None:
    async def on_error(request: Request, exc: ConsoleError) -> Response:
        ctx = getattr(request.state, "console", None)
        titles = {404: "Not found", 403: "Forbidden"}
        words = ctx.words if ctx else i18n.Words(i18n.pick(None, None, request.headers.get("accept-language")))
        message = exc.message
        if exc.status == 404:
            message = words._("The page you asked for is not among the accounts and tasks you may see.")
        return render(request, "error.html", status=exc.status, ctx=ctx, title=titles.get(exc.status, "Refused"),
                      message=message, status_code=exc.status)

    async def on_redirect(request: Request, exc: Redirect) -> Response:
        return RedirectResponse(exc.url, status_code=303)

    app.add_exception_handler(ConsoleError, on_error)
    app.add_exception_handler(Redirect, on_redirect)


def console_router() -> APIRouter:
    router = APIRouter(prefix=PREFIX, include_in_schema=False)

    # ---- signing in and out -----------------------------------------------------------------------------

    @router.get("")
    @router.get("/")
    async def home() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/worklist", status_code=303)

    def sign_in_page(request: Request, status: int = 200, error: str = "") -> HTMLResponse:
        token = csrf.new_token()
        response = render(request, "sign_in.html", status=status, signin_csrf=token, error=error,
                          expired=request.query_params.get("expired") == "1")
        response.set_cookie(csrf.PRE_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request),
                            path=PREFIX, max_age=3600)
        return response

    @router.get("/sign-in")
    async def sign_in_form(request: Request) -> HTMLResponse:
        return sign_in_page(request)

    @router.post("/sign-in")
    async def sign_in(request: Request) -> Response:
        form = await request.form()
        if not csrf.matches(request.cookies.get(csrf.PRE_COOKIE), form.get(csrf.FIELD)):
            raise ConsoleError(403, "the sign-in form has expired; reload the page and try again")
        token = str(form.get("token", "")).strip()
        try:
            caller = await run_in_threadpool(authenticate_request, request, token, request.app.state.clock())
        except HTTPException as exc:
            words = i18n.Words(i18n.pick(None, None, request.headers.get("accept-language")))
            return sign_in_page(request, exc.status_code, f"{words._('The token was not accepted')}: {exc.detail}")
        cookie, _ = request.app.state.console_sessions.open(token, caller.collector_id)
        response = RedirectResponse(f"{PREFIX}/worklist", status_code=303)
        response.set_cookie(COOKIE, cookie, httponly=True, samesite="strict", secure=_secure(request), path=PREFIX)
        response.delete_cookie(csrf.PRE_COOKIE, path=PREFIX)
        return response

    @router.post("/sign-out")
    async def sign_out(request: Request) -> Response:
        ctx = await authenticated(request)
        await checked_form(request, ctx)
        request.app.state.console_sessions.close(request.cookies.get(COOKIE))
        response = RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
        response.delete_cookie(COOKIE, path=PREFIX)
        return response

    @router.post("/language")
    async def language(request: Request) -> Response:
        ctx = await authenticated(request)
        form = await checked_form(request, ctx)
        if form.get("language") in i18n.LANGUAGES:
            ctx.session.language = form["language"]
        back = form.get("back", "")
        return RedirectResponse(back if back.startswith(PREFIX + "/") else f"{PREFIX}/worklist", status_code=303)

    # ---- the worklist ----------------------------------------------------------------------------------

    @router.get("/worklist")
    @guarded
    async def worklist_page(request: Request, kind: str = "", stage: str = "", collector: str = "") -> HTMLResponse:
        ctx = await authenticated(request)
        who = ctx.caller
        target = collector or who.collector_id

        def read(session):
            members = views.team_members(session, who) if who.supervisor else []
            if target != who.collector_id:
                require_supervisor(who, "see another collector's worklist")
                row = session.get(Collector, target)
                if row is None or not sees_collector(who.viewer, target, row.team):
                    raise not_found(f"collector {target}")
            rows, stages = views.worklist_rows(session, who, target, request.app.state.clock(), kind or None,
                                               stage or None)
            return rows, stages, members

        rows, stages, members = await _db(request, read)
        return render(request, "worklist.html", ctx=ctx, rows=rows, stages=stages, kind=kind, stage=stage,
                      target=target, members=members)

    # ---- the account -------------------------------------------------------------------------------------

    async def account_view(request: Request, ctx: Ctx, account_id: str, revealed: bool = False,
                           errors: dict | None = None, values: dict | None = None, status: int = 200) -> HTMLResponse:
        page = await _db(request, lambda s: views.account_page(s, ctx.caller, account_id, request.app.state.clock(),
                                                              revealed))
        page.errors, page.values = errors or {}, values or {}
        page.discount_limit = views.discount_limit(request.app.state.settings.strategy, ctx.caller.role)
        client = request.app.state.client
        if request.query_params.get("history") == "1":
            await add_histories(request, page, account_id)
        if page.open and client is not None:
            try:
                live = await asyncio.wait_for(operations.get_status(client, account_id),
                                              timeout=request.app.state.settings.api_temporal_timeout)
                page.status = live.at(request.app.state.clock())
            except (operations.Rejected, RPCError, TimeoutError):
                page.status = None  # Temporal away or the episode ending: the record still answers
        return render(request, "account.html", status=status, ctx=ctx, page=page, a=page.account,
                      outcomes=views.OUTCOMES, reasons=views.REASONS, hold_types=views.HOLD_TYPES,
                      hold_reasons=views.HOLD_REASONS, complaint_channels=views.COMPLAINT_CHANNELS,
                      evidence_max_bytes=request.app.state.evidence_store.max_bytes,
                      evidence_types=request.app.state.evidence_store.allowed)

    async def add_histories(request: Request, page: views.AccountPage, account_id: str) -> None:
        """The workflow's half of the timeline: archived runs from the record, the rest from the server."""
        from arrears.audit.archive import fetch_chain
        from arrears.runtime.codec import CodecError, decrypt_history
        from arrears.runtime.connect import converter

        runs = await _db(request, lambda s: views.archived_runs(s, account_id))
        histories = list(runs.archived)
        client = request.app.state.client
        try:
            for workflow_id, first_run in runs.on_server:
                if client is None:
                    raise RuntimeError("Temporal is not reachable; only archived histories are shown")
                fetch = (fetch_chain(client, workflow_id, first_run, open_ok=True) if first_run is not None
                         else client.get_workflow_handle(workflow_id).fetch_history())
                found = await asyncio.wait_for(fetch, timeout=request.app.state.settings.api_temporal_timeout)
                found = ([found] if first_run is None else found) or []
                histories += [h for h in found if h.events and h.events[0].workflow_execution_started_event_attributes
                              .original_execution_run_id not in runs.known_runs]
            codec = converter(request.app.state.settings).payload_codec
            histories = [decrypt_history(h, codec) for h in histories]
        except (RuntimeError, RPCError, TimeoutError, CodecError) as exc:
            page.history_problem = str(exc) or type(exc).__name__
        views.with_history(page, histories)

    @router.get("/accounts/{account_id}")
    @guarded
    async def account(request: Request, account_id: str) -> HTMLResponse:
        ctx = await authenticated(request)
        return await account_view(request, ctx, account_id)

    @router.post("/accounts/{account_id}/reveal")
    @guarded
    async def reveal(request: Request, account_id: str) -> HTMLResponse:
        """The personal data in full: a post, so that the API log records who saw whose details and when."""
        ctx = await authenticated(request)
        await checked_form(request, ctx)
        return await account_view(request, ctx, account_id, revealed=True)

    async def act(request: Request, account_id: str, name: str, build, call, prepare=None, remark=None) -> Response:
        """One desk action from a form: CSRF, the idempotency key, the API's checks, the workflow's validator.
        ``prepare(ctx, form)`` runs first (an upload: stored, its id put in the form); ``remark(ctx, form)`` is
        a second line shown after the action was taken."""
        ctx = await authenticated(request)
        form = await checked_form(request, ctx)
        key = form.get("key", "")
        if not key or len(key) > 32 or not key.isalnum():
            raise ConsoleError(422, "the form has no idempotency key; reload the page")
        done = f"{account_id}:{name}:{key}"
        if done in ctx.session.done:  # sent before (or still in flight): nothing is done twice
            ctx.session.flash.append(("info", ctx.words._("Already recorded: nothing was done twice.")))
            return await after(request, ctx, account_id)
        ctx.session.done[done] = "in flight"  # no await since the check: a concurrent twin sees it
        try:
            if prepare is not None:
                await prepare(ctx, form)
            command, check = build(ctx, form, key)
            await _db(request, lambda s: check(s, ctx.caller))
            result = await ask_workflow(request, lambda c: call(c, command))
        except ValidationError as exc:
            del ctx.session.done[done]
            message = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            return await account_view(request, ctx, account_id, errors={name: message}, values={name: form}, status=422)
        except HTTPException as exc:
            del ctx.session.done[done]
            if exc.status_code == 422:
                return await account_view(request, ctx, account_id, errors={name: str(exc.detail)},
                                          values={name: form}, status=422)
            raise ConsoleError(exc.status_code, str(exc.detail)) from None
        except BaseException:
            ctx.session.done.pop(done, None)
            raise
        said = ctx.words._("Already recorded: nothing was done twice.") if getattr(result, "duplicate", False) \
            else ctx.words._("Recorded.")
        ctx.session.done[done] = said
        ctx.session.flash.append(("ok", said))
        extra = remark(ctx, form) if remark is not None else None
        if extra:
            ctx.session.flash.append(("ok", extra))
        return await after(request, ctx, account_id)

    async def after(request: Request, ctx: Ctx, account_id: str) -> RedirectResponse:
        # An outcome closes the collector's task, and with it their view of the account: back to the worklist.
        if not await _db(request, lambda s: account_visible(s, ctx.caller, account_id)):
            return RedirectResponse(f"{PREFIX}/worklist", status_code=303)
        return _back(account_id)

    def in_scope(account_id: str):
        def check(session, who):
            open_episode(session, who, account_id)
        return check

    def task_check(account_id: str, task_id: int, evidence: list[str] = ()):
        def check(session, who):
            episode = open_episode(session, who, account_id)
            task = session.get(CollectorTask, task_id)
            if task is None or task.episode_id != episode.episode_id or not task_visible(session, who, task):
                raise not_found(f"task {task_id} on account {account_id}'s open episode")
            if evidence:
                _evidence_known(session, account_id, list(evidence), "visit.evidence_files")
        return check

    def _evidence_ids(form: dict[str, str]) -> list[str]:
        """The evidence ids a form carries (stored by this form's upload, or by its earlier, refused, sending)."""
        return [e for e in form.get("evidence_id", "").split(",") if e]

    def stored_upload(request: Request, account_id: str):
        """The form's file, if one was chosen, kept by the same code as POST /accounts/{id}/evidence: the store
        caps the size and sniffs the type; the record keeps it once per account. Its id joins the form's."""
        async def prepare(ctx: Ctx, form: dict[str, str]) -> None:
            carried = _evidence_ids(form)
            if any(not is_evidence_id(e) for e in carried):
                raise HTTPException(422, "evidence_id: not an evidence id (ev-<sha256>)")
            upload = (await request.form()).get("evidence")
            if not carried and (upload is None or isinstance(upload, str) or not upload.filename):
                return

            def known(session) -> None:  # the caller's account (as the API's upload), the carried ids on its record
                require_account(session, ctx.caller, account_id)
                _evidence_known(session, account_id, carried, "evidence_id")

            await _db(request, known)
            if upload is None or isinstance(upload, str) or not upload.filename:
                return
            store = request.app.state.evidence_store
            try:
                blob = await run_in_threadpool(store.put, iter(lambda: upload.file.read(CHUNK), b""))
            except EvidenceRefused as exc:
                raise HTTPException(422, f"file {clean_filename(upload.filename)!r}: {exc}") from None
            stored = await run_in_threadpool(
                lambda: record(request.app.state.sessions, account_id, blob, uploaded_by=ctx.caller.collector_id,
                               source="console", filename=clean_filename(upload.filename),
                               now=request.app.state.clock()))
            if stored.evidence_id not in carried:
                carried.append(stored.evidence_id)
            form["evidence_id"] = ",".join(carried)
        return prepare

    def local_moment(value: str, tz: str) -> datetime:
        try:
            naive = datetime.fromisoformat(value)
        except ValueError:
            raise HTTPException(422, f"not a date and time: {value!r}") from None
        return naive.replace(tzinfo=ZoneInfo(tz)) if naive.tzinfo is None else naive

    def amount(value: str) -> str:
        try:
            Decimal(value.replace(",", "").strip() or "0")
        except InvalidOperation:
            return value
        return value.replace(",", "").strip() or "0"

    @router.post("/accounts/{account_id}/outcome")
    @guarded
    async def outcome(request: Request, account_id: str) -> Response:
        form_kinds = await _db(request, lambda s: dict(s.execute(
            select(CollectorTask.id, CollectorTask.kind).where(CollectorTask.account_id == account_id)).all()))

        def build(ctx, form, key):
            task_id = int(form.get("task_id", "0")) if form.get("task_id", "").isdigit() else 0
            visit = None
            files = _evidence_ids(form)
            if form_kinds.get(task_id) == "visit":  # a visit's outcome carries its report, and the evidence ids
                visit = VisitReport(address_verified=form.get("address_verified") == "yes",
                                    met_cardholder=form.get("met_cardholder") == "yes", evidence_files=files)
            body = OutcomeBody(task_id=form.get("task_id", "0"), outcome=form.get("outcome", ""),
                               duration_seconds=form.get("duration_seconds") or 0,
                               reason_for_delinquency=form.get("reason_for_delinquency") or None, visit=visit)
            return (OutcomeInput(**body.model_dump(), collector_id=ctx.caller.collector_id),
                    task_check(account_id, body.task_id, files if visit is not None else []))

        def remark(ctx, form) -> str | None:
            files = _evidence_ids(form)
            if not files:
                return None
            said = f"{ctx.words._('Evidence on file')}: {', '.join(files)}"
            task_id = int(form["task_id"]) if form.get("task_id", "").isdigit() else 0
            if form_kinds.get(task_id) != "visit":
                said += " (" + ctx.words._("a call's outcome carries no evidence: cite the id on a hold") + ")"
            return said

        return await act(request, account_id, "outcome", build,
                         lambda c, cmd: operations.log_contact_outcome(c, account_id, cmd),
                         prepare=stored_upload(request, account_id), remark=remark)

    @router.post("/accounts/{account_id}/callback")
    @guarded
    async def callback(request: Request, account_id: str) -> Response:
        def zone(session) -> str:
            found = session.get(Account, account_id)
            return found.timezone if found else "UTC"

        tz = await _db(request, zone)

        def build(ctx, form, key):
            body = OutcomeBody(task_id=form.get("task_id", "0"), outcome=ContactOutcome.CALLBACK_REQUESTED,
                               callback_at=local_moment(form.get("callback_at", ""), tz))
            return (OutcomeInput(**body.model_dump(), collector_id=ctx.caller.collector_id),
                    task_check(account_id, body.task_id))
        return await act(request, account_id, "callback", build,
                         lambda c, cmd: operations.log_contact_outcome(c, account_id, cmd))

    @router.post("/accounts/{account_id}/promise")
    @guarded
    async def promise(request: Request, account_id: str) -> Response:
        def build(ctx, form, key):
            body = PromiseBody(promise_id=f"PTP-{key}", amount=amount(form.get("amount", "")),
                               promised_date=form.get("promised_date", ""), channel="call")
            who = ctx.caller
            return (PromiseInput(**body.model_dump(), collector_id=who.collector_id,
                                 supervisor_id=who.collector_id if who.supervisor else None), in_scope(account_id))
        return await act(request, account_id, "promise", build,
                         lambda c, cmd: operations.promise_to_pay(c, account_id, cmd))

    @router.post("/accounts/{account_id}/plan")
    @guarded
    async def plan(request: Request, account_id: str) -> Response:
        def build(ctx, form, key):
            rows = []
            for i in range(1, 7):
                due, value = form.get(f"due_{i}", "").strip(), form.get(f"amount_{i}", "").strip()
                if due or value:
                    rows.append(InstalmentBody(due_date=due, amount=amount(value)))
            body = PlanBody(plan_id=f"PL-{key}", instalments=rows, down_payment=amount(form.get("down_payment", "0")))
            return (PlanInput(plan_id=body.plan_id, instalments=[i.domain() for i in body.instalments],
                              down_payment=body.down_payment, fee_waiver=body.fee_waiver,
                              rate_discount_percent=body.rate_discount_percent, approved_by=ctx.caller.collector_id,
                              approver_role=ctx.caller.role), in_scope(account_id))
        return await act(request, account_id, "plan", build, lambda c, cmd: operations.agree_plan(c, account_id, cmd))

    @router.post("/accounts/{account_id}/hold")
    @guarded
    async def hold(request: Request, account_id: str) -> Response:
        def build(ctx, form, key):
            reason = form.get("reason", "")
            if reason not in views.HOLD_REASONS:
                raise HTTPException(422, "choose one of the reasons offered")
            body = HoldBody(hold_id=f"H-{key}", hold_type=form.get("hold_type", ""), reason=reason,
                            channel=form.get("channel") or None, days=form.get("days") or None,
                            evidence_ref=form.get("evidence_ref", ""))

            def check(session, who):
                open_episode(session, who, account_id)
                if is_evidence_id(body.evidence_ref):  # as the API's hold route: on this account's record
                    _evidence_known(session, account_id, [body.evidence_ref], "evidence_ref")
            return HoldInput(**body.model_dump(), placed_by=ctx.caller.collector_id), check
        return await act(request, account_id, "hold", build, lambda c, cmd: operations.place_hold(c, account_id, cmd))

    @router.post("/accounts/{account_id}/settlement")
    @guarded
    async def settlement(request: Request, account_id: str) -> Response:
        """A settlement offer, approved by the signed-in user with their role (as POST /accounts/{id}/settlements):
        the workflow's validator holds it to the role's discount limit."""
        def build(ctx, form, key):
            body = SettlementBody(offer_id=f"ST-{key}", amount=amount(form.get("amount", "")),
                                  expires_on=form.get("expires_on", ""), replace=form.get("replace") == "yes")
            return (SettlementInput(**body.model_dump(), approved_by=ctx.caller.collector_id,
                                    approver_role=ctx.caller.role), in_scope(account_id))
        return await act(request, account_id, "settlement", build,
                         lambda c, cmd: operations.offer_settlement(c, account_id, cmd))

    # ---- supervisors -------------------------------------------------------------------------------------

    @router.get("/team")
    @guarded
    async def team(request: Request) -> HTMLResponse:
        ctx = await authenticated(request)
        if not ctx.caller.supervisor:
            raise ConsoleError(403, ctx.words._("Only a supervisor or manager may see this page."))

        def read(session):
            return views.team_rows(session, ctx.caller, request.app.state.clock()), views.team_members(session, ctx.caller)

        rows, members = await _db(request, read)
        return render(request, "team.html", ctx=ctx, rows=rows, members=members,
                      breaches=[r for r in rows if r.breached])

    @router.post("/tasks/{task_id}/reassign")
    @guarded
    async def reassign(request: Request, task_id: int) -> Response:
        ctx = await authenticated(request)
        form = await checked_form(request, ctx)
        who = ctx.caller
        require_supervisor(who, "reassign tasks")
        try:
            body = ReassignBody(collector_id=form.get("collector_id", ""), reason=form.get("reason", ""))
        except ValidationError as exc:
            raise ConsoleError(422, "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                                              for e in exc.errors())) from None

        def allowed(session) -> None:  # the API's checks (arrears.api.desk reassign), then the move itself
            task = session.get(CollectorTask, task_id)
            if task is None or not task_visible(session, who, task):
                raise not_found(f"task {task_id}")
            target = session.get(Collector, body.collector_id)
            if target is None or not sees_collector(who.viewer, target.collector_id, target.team):
                raise HTTPException(404, f"collector {body.collector_id} not found in your team")

        await _db(request, allowed)
        try:
            await run_in_threadpool(reassign_task, request.app.state.sessions, task_id, body.collector_id,
                                    who.collector_id, body.reason, request.app.state.clock())
        except DeskError as exc:
            raise ConsoleError(422, str(exc)) from None
        ctx.session.flash.append(("ok", ctx.words._("Reassigned.")))
        return RedirectResponse(f"{PREFIX}/team", status_code=303)

    @router.get("/scorecard")
    @guarded
    async def scorecard(request: Request, month: str = "") -> HTMLResponse:
        from arrears.insight.report import shown
        from arrears.insight.scorecard import load_scorecard
        from arrears.insight.scorecard_report import scorecard_report

        ctx = await authenticated(request)
        if not ctx.caller.supervisor:
            raise ConsoleError(403, ctx.words._("Only a supervisor or manager may see this page."))
        card = load_scorecard(request.app.state.settings.scorecard)
        if not month:
            month = f"{request.app.state.clock().astimezone(ZoneInfo(card.timezone)):%Y-%m}"
        team = None if ctx.caller.role.value == "manager" else ctx.caller.team

        def read(session):
            return scorecard_report(session, card, month, team=team)

        try:
            report = await _db(request, read)
        except ValueError as exc:
            raise ConsoleError(422, str(exc)) from None
        return render(request, "scorecard.html", ctx=ctx, report=report, month=month, shown=shown)

    return router
