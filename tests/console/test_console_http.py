"""The console's sign-in over HTTP, without a browser or Temporal: the cookie's attributes over TLS, a
refused token, CSRF on the sign-in form, the idle expiry and a revoked token ending the session."""

import re
from datetime import datetime, timezone

import httpx
import pytest

from arrears.api.app import create_app
from arrears.console.session import COOKIE
from arrears.db.engine import make_engine, make_sessionmaker
from arrears.desk.roster import import_roster
from arrears.desk.tokens import issue_token, revoke_tokens
from arrears.config.settings import load_settings

ROSTER = "collector_id,name,team,role,languages,regions,daily_capacity\nc1,Li Na,east,collector,en,,20\n"


@pytest.fixture
def app_and_token(migrated_sqlite, tmp_path):
    sessions = make_sessionmaker(make_engine(migrated_sqlite))
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    now = datetime.now(timezone.utc)
    import_roster(sessions, roster, now)
    token = issue_token(sessions, "c1", now)
    app = create_app(load_settings(database_url=migrated_sqlite), sessions=sessions)
    return app, token, sessions


async def _sign_in(http: httpx.AsyncClient, token: str) -> httpx.Response:
    form = await http.get("/console/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    return await http.post("/console/sign-in", data={"csrf": csrf, "token": token})


async def test_over_tls_the_session_cookie_is_secure_httponly_and_strict(app_and_token):
    app, token, _ = app_and_token
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://desk") as http:
        answer = await _sign_in(http, token)
        assert answer.status_code == 303 and answer.headers["location"] == "/console/worklist"
        cookie = next(h for h in answer.headers.get_list("set-cookie") if h.startswith(COOKIE + "="))
        attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert {"httponly", "secure", "samesite=strict", "path=/console"} <= attributes
        assert token not in cookie
        page = await http.get("/console/worklist")
        assert page.status_code == 200 and "default-src 'self'" in page.headers["content-security-policy"]


async def test_a_wrong_token_or_a_missing_csrf_token_does_not_sign_in(app_and_token):
    app, token, _ = app_and_token
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://desk") as http:
        wrong = await _sign_in(http, "arr_forged")
        assert wrong.status_code == 401 and "The token was not accepted" in wrong.text
        assert not any(h.startswith(COOKIE + "=") for h in wrong.headers.get_list("set-cookie"))
        await http.get("/console/sign-in")
        no_csrf = await http.post("/console/sign-in", data={"token": token})
        assert no_csrf.status_code == 403
        assert (await http.get("/console/worklist")).headers["location"] == "/console/sign-in"


async def test_an_idle_session_ends_and_so_does_a_revoked_token(app_and_token):
    app, token, sessions = app_and_token
    store = app.state.console_sessions
    now = [0.0]
    store.clock = lambda: now[0]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://desk") as http:
        await _sign_in(http, token)
        now[0] += store.idle_seconds - 1
        assert (await http.get("/console/worklist")).status_code == 200
        now[0] += store.idle_seconds + 1
        ended = await http.get("/console/worklist")
        assert ended.status_code == 303 and ended.headers["location"] == "/console/sign-in?expired=1"
        assert "Your session has ended" in (await http.get(ended.headers["location"])).text

        await _sign_in(http, token)
        assert (await http.get("/console/worklist")).status_code == 200
        revoke_tokens(sessions, "c1", datetime.now(timezone.utc))
        revoked = await http.get("/console/worklist")
        assert revoked.status_code == 303 and revoked.headers["location"] == "/console/sign-in?expired=1"
