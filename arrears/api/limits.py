"""Limits on what a caller can make the API do: body size before parsing, requests per token per minute."""

import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    """Raised while a body is read: an HTTPException, so the framework answers 413 rather than 400 or 500."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


def _json_error(status: int, detail: str, headers: Sequence[tuple[bytes, bytes]] = ()) -> tuple[Message, Message]:
    import json

    body = json.dumps({"detail": detail}).encode()
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers],
    }
    return start, {"type": "http.response.body", "body": body}


class BodySizeLimit:
    """413 for a body above the limit, before anything reads or parses it (and so before authentication).

    The declared Content-Length is checked first; a chunked body is counted as
    it arrives and cut off at the limit. ``larger`` gives some paths (the
    evidence upload) their own limit.
    """

    def __init__(self, app: ASGIApp, limit: int, larger: Sequence[tuple[str, re.Pattern[str], int]] = ()) -> None:
        self.app = app
        self.limit = limit
        self.larger = list(larger)

    def limit_for(self, method: str, path: str) -> int:
        for wanted, pattern, limit in self.larger:
            if method == wanted and pattern.fullmatch(path):
                return limit
        return self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope["path"])
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                start, body = _json_error(400, "Content-Length is not a number")
                await send(start)
                await send(body)
                return
            if too_big:
                await self._refuse(send, limit)
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracking)
        except BodyTooLarge:
            if not started:
                await self._refuse(send, limit)

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        start, body = _json_error(413, f"request body larger than {limit} bytes")
        await send(start)
        await send(body)


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """A token bucket per key (a token id): ``per_minute`` requests a minute, in bursts of at most that many.

    In memory, per API process: several processes behind a balancer each allow the rate.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when the request may go ahead; otherwise the seconds to wait."""
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(self.capacity, now)
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / self.rate
