"""The API log: every write through the desk API, whatever its answer, in the system of record.

Each POST (PUT, PATCH, DELETE) is written to ``api_requests`` with who
(collector and token, when the token was valid), what (method and path),
when, from which address, and the result (status and the refusal's reason,
or the ids the path names). The row is written before the answer leaves, so
a caller never holds an answer the log does not have (``arrears audit
api-log`` lists it). Reads are not logged here.
"""

import json
import re
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from arrears.db.models import ApiRequest

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
_ACCOUNT = re.compile(r"^(?:/console)?/accounts/([^/]{1,64})(?:/|$)")  # the API's and the console's
_RESULT_CHARS = 1000


def _detail(status: int, body: bytes) -> str:
    if status < 400:
        return "ok"
    try:
        detail = json.loads(body or b"{}").get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, list):  # a validation error: the fields and what is wrong, not the values
        detail = "; ".join(
            f"{'.'.join(str(p) for p in d.get('loc', []))}: {d.get('msg', '')}" for d in detail if isinstance(d, dict)
        )
    return str(detail or "")[:_RESULT_CHARS]


class ApiJournal:
    def __init__(self, app: ASGIApp, sessions: sessionmaker[Session], clock=lambda: datetime.now(UTC)) -> None:
        self.app = app
        self.sessions = sessions
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITES:
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        started, at = time.monotonic(), self.clock()
        held: list[Message] = []
        body = bytearray()

        async def holding(message: Message) -> None:
            held.append(message)
            if message["type"] == "http.response.body" and len(body) < 8192:
                body.extend(message.get("body", b""))

        try:
            await self.app(scope, receive, holding)
        finally:
            status = next((m["status"] for m in held if m["type"] == "http.response.start"), 500)
            await anyio.to_thread.run_sync(
                self._write, scope, state, at, status, bytes(body), int((time.monotonic() - started) * 1000)
            )
        for message in held:
            await send(message)

    def _write(self, scope: Scope, state: dict, at: datetime, status: int, body: bytes, duration_ms: int) -> None:
        caller = state.get("caller")
        path = scope.get("path", "")
        found = _ACCOUNT.match(path)
        client = scope.get("client")
        try:
            with self.sessions.begin() as session:
                session.add(
                    ApiRequest(
                        at=at,
                        collector_id=getattr(caller, "collector_id", None),
                        token_id=getattr(caller, "token_id", None),
                        method=scope["method"],
                        path=path[:500],
                        account_id=found.group(1) if found else None,
                        remote_addr=(client[0] if client else "-")[:64],
                        status=status,
                        result=_detail(status, body),
                        duration_ms=duration_ms,
                    )
                )
        except Exception as exc:  # noqa: BLE001 - the answer still goes; the gap is reported where operators look
            print(
                f"api log: could not record {scope['method']} {path} ({status}): {type(exc).__name__}: {exc}",
                file=sys.stderr,
                flush=True,
            )


@dataclass(frozen=True)
class LogQuery:
    collector_id: str | None = None
    account_id: str | None = None
    since: datetime | None = None
    limit: int = 200


def api_log(session: Session, query: LogQuery) -> list[ApiRequest]:
    """The newest writes first, filtered."""
    where = []
    if query.collector_id:
        where.append(ApiRequest.collector_id == query.collector_id)
    if query.account_id:
        where.append(ApiRequest.account_id == query.account_id)
    if query.since:
        where.append(ApiRequest.at >= query.since)
    return list(
        session.scalars(
            select(ApiRequest).where(*where).order_by(ApiRequest.at.desc(), ApiRequest.id.desc()).limit(query.limit)
        )
    )
