"""Signing in and out: the desk token is exchanged for a session cookie; the page's language."""

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from arrears.api.access import authenticate_request
from arrears.console import csrf, i18n
from arrears.console.pages import (
    PREFIX,
    ConsoleError,
    authenticated,
    checked_form,
    render,
    secure,
)
from arrears.console.session import COOKIE


def add_sign_in(router: APIRouter) -> None:

    @router.get("")
    @router.get("/")
    async def home() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/worklist", status_code=303)

    def sign_in_page(request: Request, status: int = 200, error: str = "") -> HTMLResponse:
        token = csrf.new_token()
        response = render(
            request,
            "sign_in.html",
            status=status,
            signin_csrf=token,
            error=error,
            expired=request.query_params.get("expired") == "1",
        )
        response.set_cookie(
            csrf.PRE_COOKIE, token, httponly=True, samesite="strict", secure=secure(request), path=PREFIX, max_age=3600
        )
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
        response.set_cookie(COOKIE, cookie, httponly=True, samesite="strict", secure=secure(request), path=PREFIX)
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
