"""The account page, and how a desk action's form is carried out (``act``): CSRF, the idempotency key,
the API's checks, then the workflow through the same operations, update validators and refusals as the
API's routes (arrears.api.desk.ask_workflow); a refusal is shown beside the form that caused it."""

import asyncio
from collections.abc import Sequence

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from temporalio.service import RPCError

from arrears.api.access import account_visible, not_found, open_episode, task_visible
from arrears.api.desk import ask_workflow, evidence_known
from arrears.client import operations
from arrears.console import views
from arrears.console.pages import (
    PREFIX,
    ConsoleError,
    Ctx,
    authenticated,
    back_to_account,
    checked_form,
    db,
    guarded,
    render,
)
from arrears.db.models import CollectorTask
from arrears.domain.holds import COMPLAINT_CHANNELS


async def account_view(
    request: Request,
    ctx: Ctx,
    account_id: str,
    revealed: bool = False,
    errors: dict | None = None,
    values: dict | None = None,
    status: int = 200,
) -> HTMLResponse:
    page = await db(
        request, lambda s: views.account_page(s, ctx.caller, account_id, request.app.state.clock(), revealed)
    )
    page.errors, page.values = errors or {}, values or {}
    page.discount_limit = views.discount_limit(request.app.state.settings.strategy, ctx.caller.role)
    client = request.app.state.client
    if request.query_params.get("history") == "1":
        await add_histories(request, page, account_id)
    if page.open and client is not None:
        try:
            live = await asyncio.wait_for(
                operations.get_status(client, account_id), timeout=request.app.state.settings.api_temporal_timeout
            )
            page.status = live.at(request.app.state.clock())
        except (operations.Rejected, RPCError, TimeoutError):
            page.status = None  # Temporal away or the episode ending: the record still answers
    return render(
        request,
        "account.html",
        status=status,
        ctx=ctx,
        page=page,
        a=page.account,
        outcomes=views.OUTCOMES,
        reasons=views.REASONS,
        hold_types=views.HOLD_TYPES,
        hold_reasons=views.HOLD_REASONS,
        complaint_channels=COMPLAINT_CHANNELS,
        evidence_max_bytes=request.app.state.evidence_store.max_bytes,
        evidence_types=request.app.state.evidence_store.allowed,
    )


async def add_histories(request: Request, page: views.AccountPage, account_id: str) -> None:
    """The workflow's half of the timeline: archived runs from the record, the rest from the server."""
    from arrears.audit.archive import fetch_chain
    from arrears.runtime.codec import CodecError, decrypt_history
    from arrears.runtime.connect import converter

    runs = await db(request, lambda s: views.archived_runs(s, account_id))
    histories = list(runs.archived)
    client = request.app.state.client
    try:
        for workflow_id, first_run in runs.on_server:
            if client is None:
                raise RuntimeError("Temporal is not reachable; only archived histories are shown")
            fetch = (
                fetch_chain(client, workflow_id, first_run, open_ok=True)
                if first_run is not None
                else client.get_workflow_handle(workflow_id).fetch_history()
            )
            found = await asyncio.wait_for(fetch, timeout=request.app.state.settings.api_temporal_timeout)
            found = ([found] if first_run is None else found) or []
            histories += [
                h
                for h in found
                if h.events
                and h.events[0].workflow_execution_started_event_attributes.original_execution_run_id
                not in runs.known_runs
            ]
        codec = converter(request.app.state.settings).payload_codec
        histories = [decrypt_history(h, codec) for h in histories]
    except (RuntimeError, RPCError, TimeoutError, CodecError) as exc:
        page.history_problem = str(exc) or type(exc).__name__
    views.with_history(page, histories)


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
        await db(request, lambda s: check(s, ctx.caller))
        result = await ask_workflow(request, lambda c: call(c, command))
    except ValidationError as exc:
        del ctx.session.done[done]
        message = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return await account_view(request, ctx, account_id, errors={name: message}, values={name: form}, status=422)
    except HTTPException as exc:
        del ctx.session.done[done]
        if exc.status_code == 422:
            return await account_view(
                request, ctx, account_id, errors={name: str(exc.detail)}, values={name: form}, status=422
            )
        raise ConsoleError(exc.status_code, str(exc.detail)) from None
    except BaseException:
        ctx.session.done.pop(done, None)
        raise
    said = (
        ctx.words._("Already recorded: nothing was done twice.")
        if getattr(result, "duplicate", False)
        else ctx.words._("Recorded.")
    )
    ctx.session.done[done] = said
    ctx.session.flash.append(("ok", said))
    extra = remark(ctx, form) if remark is not None else None
    if extra:
        ctx.session.flash.append(("ok", extra))
    return await after(request, ctx, account_id)


async def after(request: Request, ctx: Ctx, account_id: str) -> RedirectResponse:
    # An outcome closes the collector's task, and with it their view of the account: back to the worklist.
    if not await db(request, lambda s: account_visible(s, ctx.caller, account_id)):
        return RedirectResponse(f"{PREFIX}/worklist", status_code=303)
    return back_to_account(account_id)


def in_scope(account_id: str):
    def check(session, who):
        open_episode(session, who, account_id)

    return check


def task_check(account_id: str, task_id: int, evidence: Sequence[str] = ()):
    def check(session, who):
        episode = open_episode(session, who, account_id)
        task = session.get(CollectorTask, task_id)
        if task is None or task.episode_id != episode.episode_id or not task_visible(session, who, task):
            raise not_found(f"task {task_id} on account {account_id}'s open episode")
        if evidence:
            evidence_known(session, account_id, list(evidence), "visit.evidence_files")

    return check


def add_account_pages(router: APIRouter) -> None:
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
