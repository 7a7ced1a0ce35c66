"""The desk API: the same operations as `arrears desk ...`, over JSON HTTP.

Who is calling comes from the bearer token, never from the body: a promise
is taken by the caller, a plan or settlement is approved by the caller with
the caller's role. Answers:

- 200 with the result;
- 401 without a valid token (unknown, expired or revoked; or its collector
  inactive or absent); 403 when a collector asks for a supervisor's action;
- 404 for an account or task the caller may not see, exactly as for one that
  does not exist (a collector sees accounts with an open task of theirs, a
  supervisor their team's, a manager all);
- 409 when the account has no open collection episode;
- 413 for a body above the limit (checked before it is read);
- 422 when the request is refused: a value out of bounds (the field is
  named), or the workflow's validator saying no (the reason is in ``detail``);
- 429 with ``Retry-After`` past the token's requests per minute;
- 503 while Temporal cannot be reached or does not answer in time.

Every write is recorded, with its answer, in the API log (`arrears audit api-log`).
"""

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import datetime

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from arrears.api.calls import calls_router
from arrears.api.desk import caller as desk_caller
from arrears.api.desk import desk_router
from arrears.api.docs import install_docs
from arrears.api.evidence import ENVELOPE_BYTES, UPLOAD_PATH, evidence_router
from arrears.api.health import health_router
from arrears.api.insight import insight_router
from arrears.api.journal import ApiJournal
from arrears.api.limits import BodySizeLimit, RateLimiter
from arrears.audit.evidence_store import EvidenceStore
from arrears.config.settings import Settings
from arrears.console import CONSOLE_UPLOAD_PATH, install_console
from arrears.db.clock import utcnow
from arrears.db.engine import engine_for, make_sessionmaker

# How long the API waits between attempts to reach Temporal while it is away (doubling up to this).
RECONNECT_MAX_SECONDS = 30


def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    """422 naming each field and what is wrong with it; the value itself is not echoed (it may be personal,
    or not even representable in JSON, like NaN)."""
    assert isinstance(exc, RequestValidationError)  # the handler is installed for that class only
    detail = [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in exc.errors()
    ]
    return JSONResponse({"detail": detail}, status_code=422)


def create_app(
    settings: Settings,
    client: Client | None = None,
    sessions: sessionmaker[Session] | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
    rate_limiter: RateLimiter | None = None,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The API starts whether or not Temporal answers; calls that need it say 503 until it does.
        task = asyncio.create_task(_keep_connecting(app, settings)) if app.state.client is None else None
        yield
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    app = FastAPI(
        title="Arrears collector desk",
        version="1",
        description=__doc__,
        lifespan=lifespan,
        docs_url=None,  # served from the package by install_docs: FastAPI's pages need a CDN
        redoc_url=None,
    )
    install_docs(app)
    app.state.settings = settings
    app.state.client = client
    app.state.temporal_problem = "connecting" if client is None else None
    app.state.sessions = sessions or make_sessionmaker(engine_for(settings))
    app.state.clock = clock
    app.state.rate_limiter = rate_limiter or RateLimiter(settings.api_rate_per_minute)
    app.state.evidence_store = EvidenceStore.from_settings(settings)

    app.add_exception_handler(RequestValidationError, _validation_error)
    app.include_router(health_router())
    app.include_router(desk_router())
    app.include_router(evidence_router())
    app.include_router(calls_router(app, desk_caller))  # calls and visits as they are worked (arrears/api/calls.py)
    app.include_router(insight_router(desk_caller, settings))  # quality reviews and complaints (arrears/api/insight.py)
    install_console(app)  # the collector's console: HTML pages under /console (arrears/console/)

    # Added first, so inside the journal: a body refused for its size is still logged.
    upload_limit = settings.evidence_max_bytes + ENVELOPE_BYTES
    app.add_middleware(
        BodySizeLimit,
        limit=settings.api_max_body,
        larger=[
            ("POST", re.compile(UPLOAD_PATH), upload_limit),
            ("POST", re.compile(CONSOLE_UPLOAD_PATH), upload_limit),
        ],
    )
    app.add_middleware(ApiJournal, sessions=app.state.sessions, clock=clock)
    return app


async def _keep_connecting(app: FastAPI, settings: Settings) -> None:
    from arrears.runtime.connect import connect

    delay = 1.0
    while app.state.client is None:
        try:
            app.state.client = await connect(settings)
            app.state.temporal_problem = None
        except Exception as exc:  # noqa: BLE001 - whatever stops the connection is the reason given
            app.state.temporal_problem = f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX_SECONDS)
