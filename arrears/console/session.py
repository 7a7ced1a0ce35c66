"""Console sessions: the collector's desk token exchanged for a session cookie.

The cookie carries only a random session id (HttpOnly, SameSite=Strict, Secure when the page was served
over TLS). The token itself stays on the server, in this process's memory, so that every request is
checked again through the API's own authentication (a revoked token, an absent or deactivated collector
ends the session at once). A session idle for longer than ``ARREARS_CONSOLE_IDLE_MINUTES`` (15) ends; so
does every session when the API process restarts (sign in again).
"""

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field

COOKIE = "arrears_console"


@dataclass
class ConsoleSession:
    token: str  # the desk token presented at sign-in (never sent back to the browser)
    collector_id: str
    csrf: str
    last_seen: float
    language: str | None = None  # chosen on the page; otherwise the roster's or the browser's
    # Form keys already acted on, with what the page said then: a second submit of the same form does nothing.
    done: dict[str, str] = field(default_factory=dict)
    flash: list[tuple[str, str]] = field(default_factory=list)  # (kind, message) shown once on the next page


class SessionStore:
    def __init__(self, idle_seconds: float, clock=time.monotonic) -> None:
        self.idle_seconds = idle_seconds
        self.clock = clock
        self._sessions: dict[str, ConsoleSession] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls) -> "SessionStore":
        """As the settings say (ARREARS_CONSOLE_IDLE_MINUTES, checked with every other setting)."""
        from arrears.config.settings import Settings

        return cls(Settings().console_idle_minutes * 60)

    @staticmethod
    def _key(cookie: str) -> str:
        return hashlib.sha256(cookie.encode()).hexdigest()

    def open(self, token: str, collector_id: str) -> tuple[str, ConsoleSession]:
        """A new session; returns the cookie value (only its hash is kept)."""
        cookie = secrets.token_urlsafe(32)
        session = ConsoleSession(
            token=token, collector_id=collector_id, csrf=secrets.token_urlsafe(32), last_seen=self.clock()
        )
        with self._lock:
            self._sweep()
            self._sessions[self._key(cookie)] = session
        return cookie, session

    def get(self, cookie: str | None) -> tuple[ConsoleSession | None, bool]:
        """(the live session, whether one had just expired); touching it restarts its idle time."""
        if not cookie:
            return None, False
        key = self._key(cookie)
        now = self.clock()
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                return None, False
            if now - session.last_seen > self.idle_seconds:
                del self._sessions[key]
                return None, True
            session.last_seen = now
            return session, False

    def close(self, cookie: str | None) -> None:
        if cookie:
            with self._lock:
                self._sessions.pop(self._key(cookie), None)

    def _sweep(self) -> None:
        now = self.clock()
        for key in [k for k, s in self._sessions.items() if now - s.last_seen > self.idle_seconds]:
            del self._sessions[key]
