"""What every console page shares: rendering, the signed-in collector, CSRF-checked forms, and how an
API check's refusal becomes a console page.

Every page authenticates through the API's own code (arrears.api.access.authenticate_request, with the
token kept in the session), so a collector sees exactly what the API would show them: an account or task
out of scope is a 404 page, worded as for one that does not exist. Every form carries the session's CSRF
token (403 without it).
"""

import functools
import inspect
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from arrears.api.access import Caller, authenticate_request
from arrears.console import csrf, i18n
from arrears.console.session import COOKIE, ConsoleSession

HERE = Path(__file__).parent
PREFIX = "/console"
_env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
# No script or style from anywhere else; inline scripts are not allowed either (the one script is a file).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


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


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


def render(request: Request, template: str, status: int = 200, ctx: Ctx | None = None, **values: Any) -> HTMLResponse:
    words = ctx.words if ctx else i18n.Words(i18n.pick(None, None, request.headers.get("accept-language")))
    flash = []
    if ctx is not None:
        flash, ctx.session.flash = ctx.session.flash, []
    html = _env.get_template(template).render(
        _=words._,
        w=words,
        lang=words.lang,
        languages=i18n.LANGUAGES,
        ctx=ctx,
        me=ctx.caller if ctx else None,
        csrf_token=ctx.session.csrf if ctx else "",
        flash=flash,
        prefix=PREFIX,
        path=request.url.path,
        **values,
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


def db(request: Request, work):
    def run():
        with request.app.state.sessions() as session:
            return work(session)

    return run_in_threadpool(run)


def back_to_account(account_id: str) -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/accounts/{account_id}", status_code=303)


def install_handlers(app) -> None:
    async def on_error(request: Request, exc: ConsoleError) -> Response:
        ctx = getattr(request.state, "console", None)
        titles = {404: "Not found", 403: "Forbidden"}
        words = ctx.words if ctx else i18n.Words(i18n.pick(None, None, request.headers.get("accept-language")))
        message = exc.message
        if exc.status == 404:
            message = words._("The page you asked for is not among the accounts and tasks you may see.")
        return render(
            request,
            "error.html",
            status=exc.status,
            ctx=ctx,
            title=titles.get(exc.status, "Refused"),
            message=message,
            status_code=exc.status,
        )

    async def on_redirect(request: Request, exc: Redirect) -> Response:
        return RedirectResponse(exc.url, status_code=303)

    app.add_exception_handler(ConsoleError, on_error)
    app.add_exception_handler(Redirect, on_redirect)
