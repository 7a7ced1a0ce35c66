"""Liveness and readiness: /healthz answers while the process runs; /readyz says whether Temporal and the
database can be reached (503 with the reason while one cannot)."""

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from arrears.api.bodies import Health

CHECK_SECONDS = 3


def health_router() -> APIRouter:
    router = APIRouter()

    @router.get("/healthz", response_model=Health, tags=["health"])
    def healthz() -> Health:
        """The process is up (it says nothing about Temporal or the database)."""
        return Health(status="ok", temporal="not checked", database="not checked")

    @router.get("/readyz", response_model=Health, tags=["health"], responses={503: {"model": Health}})
    async def readyz(request: Request) -> JSONResponse:
        """200 when Temporal and the database both answer; 503 naming the one that does not."""
        database = await _database(request)
        temporal = await _temporal(request)
        ready = database == "ok" and temporal == "ok"
        body = Health(status="ok" if ready else "unavailable", temporal=temporal, database=database)
        return JSONResponse(body.model_dump(), status_code=200 if ready else 503)

    return router


async def _database(request: Request) -> str:
    def ping() -> None:
        with request.app.state.sessions() as session:
            session.execute(text("select 1"))

    try:
        await asyncio.wait_for(run_in_threadpool(ping), timeout=CHECK_SECONDS)
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        return f"unreachable: {type(exc).__name__}"
    return "ok"


async def _temporal(request: Request) -> str:
    client = request.app.state.client
    if client is None:
        return f"not connected: {request.app.state.temporal_problem}"
    try:
        await asyncio.wait_for(client.workflow_service.get_system_info(GetSystemInfoRequest()), timeout=CHECK_SECONDS)
    except Exception as exc:  # noqa: BLE001
        return f"unreachable: {type(exc).__name__}"
    return "ok"
