"""Lists of work: a collector's worklist, and the supervisors' team page, reassignment and scorecard."""

from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from arrears.api.access import not_found, require_supervisor, task_visible
from arrears.api.bodies import ReassignBody
from arrears.console import views
from arrears.console.pages import (
    PREFIX,
    ConsoleError,
    authenticated,
    checked_form,
    db,
    guarded,
    render,
)
from arrears.db.models import Collector, CollectorTask
from arrears.desk.assign import DeskError, reassign_task
from arrears.domain.access import sees_collector


def add_worklist(router: APIRouter) -> None:
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
            rows, stages = views.worklist_rows(
                session, who, target, request.app.state.clock(), kind or None, stage or None
            )
            return rows, stages, members

        rows, stages, members = await db(request, read)
        return render(
            request,
            "worklist.html",
            ctx=ctx,
            rows=rows,
            stages=stages,
            kind=kind,
            stage=stage,
            target=target,
            members=members,
        )


def add_supervisor_pages(router: APIRouter) -> None:
    @router.get("/team")
    @guarded
    async def team(request: Request) -> HTMLResponse:
        ctx = await authenticated(request)
        if not ctx.caller.supervisor:
            raise ConsoleError(403, ctx.words._("Only a supervisor or manager may see this page."))

        def read(session):
            return views.team_rows(session, ctx.caller, request.app.state.clock()), views.team_members(
                session, ctx.caller
            )

        rows, members = await db(request, read)
        return render(
            request, "team.html", ctx=ctx, rows=rows, members=members, breaches=[r for r in rows if r.breached]
        )

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
            raise ConsoleError(
                422, "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            ) from None

        def allowed(session) -> None:  # the API's checks (arrears.api.desk reassign), then the move itself
            task = session.get(CollectorTask, task_id)
            if task is None or not task_visible(session, who, task):
                raise not_found(f"task {task_id}")
            target = session.get(Collector, body.collector_id)
            if target is None or not sees_collector(who.viewer, target.collector_id, target.team):
                raise HTTPException(404, f"collector {body.collector_id} not found in your team")

        await db(request, allowed)
        try:
            await run_in_threadpool(
                reassign_task,
                request.app.state.sessions,
                task_id,
                body.collector_id,
                who.collector_id,
                body.reason,
                request.app.state.clock(),
            )
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
            report = await db(request, read)
        except ValueError as exc:
            raise ConsoleError(422, str(exc)) from None
        return render(request, "scorecard.html", ctx=ctx, report=report, month=month, shown=shown)
