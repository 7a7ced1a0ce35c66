"""The desk API's least privilege and limits, against the record alone (no Temporal needed up to the 503).

Authorisation before existence (404 alike for an account that is not the
caller's and one that does not exist), team scope, stale tasks, token expiry,
revocation and inactive collectors (401), body size before authentication
(413), the rate limit (429), 4xx for hostile values, the API log of every
write, and a 503 with the reason while Temporal is away.
"""

import json
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from arrears.api.app import create_app
from arrears.api.limits import RateLimiter
from arrears.cli.main import app as cli
from arrears.db.models import ApiRequest, ApiToken, CollectorTask, Episode, EvidenceFile
from arrears.desk.assign import set_absent, set_active
from arrears.desk.roster import import_roster
from arrears.desk.tokens import issue_token, revoke_tokens
from arrears.domain.strategy import Action
from arrears.config.settings import Settings
from tests.db.test_activities_idempotency import NOW, account_row, env, step_cmd  # noqa: F401 - env is a fixture

ROSTER = (
    "collector_id,name,team,role,languages,regions,daily_capacity\n"
    "c1,Li Na,east,collector,zh-CN,,20\n"
    "c2,Zhao Lei,east,collector,zh-CN,,20\n"
    "w1,Wu Fang,west,collector,zh-CN,,20\n"
    "sup-east,Wang Wei,east,supervisor,zh-CN,,5\n"
    "sup-west,Sun Li,west,supervisor,zh-CN,,5\n"
    "boss,Chen Jie,hq,manager,zh-CN;en,,5\n"
)
PDF = b"%PDF-1.4\n a hardship letter\n"


class Desk:
    def __init__(self, env, tmp_path, **settings) -> None:
        self.env = env
        self.now = NOW
        roster = tmp_path / "roster.csv"
        roster.write_text(ROSTER, encoding="utf-8")
        import_roster(env.sessions, roster, NOW)
        self.tokens = {cid: issue_token(env.sessions, cid, NOW) for cid in ("c1", "c2", "w1", "sup-east", "sup-west", "boss")}
        env.add_account(account_row("A1"))
        self.episode = env.open("A1")
        self.task = env.acts.execute_step(step_cmd("A1", self.episode, Action.CALL, "early-call")).record_id
        self.assign("c1", "east")
        env.add_account(account_row("A2"))  # no task at all: managers only
        env.open("A2")
        self.settings = Settings(database_url="sqlite://", evidence_dir=tmp_path / "evidence",
                                 evidence_max_bytes=1024 * 1024, **settings)
        self.limiter = RateLimiter(1000, clock=lambda: 0.0)
        self.app = create_app(self.settings, client=None, sessions=env.sessions, clock=lambda: self.now,
                              rate_limiter=self.limiter)

    def assign(self, who: str | None, team: str | None, status: str = "open") -> None:
        with self.env.sessions.begin() as s:
            s.execute(update(CollectorTask).where(CollectorTask.id == self.task)
                      .values(assigned_to=who, team=team, status=status))

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app, client=("203.0.113.7", 4711)),
                                 base_url="http://desk")


@pytest.fixture
def desk(env, tmp_path) -> Desk:
    return Desk(env, tmp_path)


def promise() -> dict:
    return {"promise_id": "P-1", "amount": "400.00", "promised_date": str(NOW.date() + timedelta(days=3))}


async def test_a_20_mb_body_is_refused_before_authentication(desk):
    big = b"{" + b" " * (20 * 1024 * 1024) + b"}"
    async with desk.http() as http:
        declared = await http.post("/accounts/A1/promises", content=big, headers={"Content-Type": "application/json"})
        assert declared.status_code == 413 and "larger than 65536 bytes" in declared.json()["detail"]

        async def chunks():  # no Content-Length: counted as it arrives and cut off
            for _ in range(20):
                yield b" " * (1024 * 1024)

        streamed = await http.post("/accounts/A1/promises", content=chunks(), headers=desk.auth("c1"))
        assert streamed.status_code == 413
        upload = await http.post("/accounts/A1/evidence", content=big, headers={"Content-Type": "multipart/form-data"})
        assert upload.status_code == 413
    with desk.env.sessions() as s:
        logged = s.scalars(select(ApiRequest).order_by(ApiRequest.id)).all()
    assert [(r.status, r.collector_id) for r in logged] == [(413, None), (413, None), (413, None)]


async def test_expired_revoked_inactive_and_absent_collectors_get_401(desk):
    async with desk.http() as http:
        assert (await http.get("/me", headers=desk.auth("c1"))).json()["token_expires_at"].startswith("2026-04-08")
        desk.now = NOW + timedelta(days=30, seconds=1)
        expired = await http.get("/me", headers=desk.auth("c1"))
        assert expired.status_code == 401 and "expired" in expired.json()["detail"]
        assert expired.headers["WWW-Authenticate"] == "Bearer"
        desk.now = NOW + timedelta(hours=1)
        assert (await http.get("/me", headers=desk.auth("c1"))).status_code == 200

        revoke_tokens(desk.env.sessions, "c2", desk.now)
        assert "revoked" in (await http.get("/me", headers=desk.auth("c2"))).json()["detail"]
        set_active(desk.env.sessions, "w1", False, desk.now)
        assert "inactive" in (await http.get("/me", headers=desk.auth("w1"))).json()["detail"]
        set_absent(desk.env.sessions, "sup-west", True, desk.now)
        assert "absent" in (await http.get("/me", headers=desk.auth("sup-west"))).json()["detail"]
        forged = desk.tokens["boss"][:-4] + "AAAA"
        assert (await http.get("/me", headers={"Authorization": f"Bearer {forged}"})).status_code == 401
        assert (await http.get("/me", headers={"Authorization": "Bearer arr_forged"})).status_code == 401
        assert (await http.get("/me")).status_code == 401

        # Several tokens per collector, by name; the one in use shows its name.
        laptop = issue_token(desk.env.sessions, "c1", desk.now, name="laptop", lifetime=timedelta(days=7))
        me = (await http.get("/me", headers={"Authorization": f"Bearer {laptop}"})).json()
        assert me["token_name"] == "laptop" and (await http.get("/me", headers=desk.auth("c1"))).status_code == 200
    with desk.env.sessions() as s:
        used = s.scalars(select(ApiToken).where(ApiToken.collector_id == "c1", ApiToken.name == "default")).one()
    assert used.last_used_from == "203.0.113.7" and used.last_used_at is not None


async def test_the_rate_limit_answers_429_with_retry_after_per_token(desk):
    clock = [0.0]
    desk.app.state.rate_limiter = RateLimiter(3, clock=lambda: clock[0])
    async with desk.http() as http:
        answers = [(await http.get("/me", headers=desk.auth("c1"))).status_code for _ in range(4)]
        assert answers == [200, 200, 200, 429]
        limited = await http.get("/me", headers=desk.auth("c1"))
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) == 20
        assert (await http.get("/me", headers=desk.auth("c2"))).status_code == 200  # another token, its own allowance
        clock[0] = 20.0
        assert (await http.get("/me", headers=desk.auth("c1"))).status_code == 200


async def test_authorisation_comes_before_existence(desk):
    async with desk.http() as http:
        not_mine = await http.get("/accounts/A1", headers=desk.auth("c2"))
        missing = await http.get("/accounts/NOPE", headers=desk.auth("c2"))
        assert not_mine.status_code == missing.status_code == 404
        assert not_mine.json()["detail"].replace("A1", "X") == missing.json()["detail"].replace("NOPE", "X")
        # Acting: the same 404, not a 403 or a 409 that would say the account exists and how it ended.
        assert (await http.post("/accounts/A1/promises", json=promise(), headers=desk.auth("c2"))).status_code == 404
        assert (await http.post("/accounts/A2/promises", json=promise(), headers=desk.auth("c1"))).status_code == 404
        assert (await http.get("/blacklist/A1", headers=desk.auth("c2"))).status_code == 404
        mine = await http.get("/accounts/A1", headers=desk.auth("c1"))
        assert mine.status_code == 200 and mine.json()["status"] is None  # Temporal away: the record still answers
        assert (await http.get("/blacklist/A1", headers=desk.auth("c1"))).json()["blocked"] is False

        # A done task is no lasting access; nor is a task left open when its episode ended.
        desk.assign("c1", "east", status="done")
        assert (await http.get("/accounts/A1", headers=desk.auth("c1"))).status_code == 404
        assert (await http.get("/blacklist/A1", headers=desk.auth("c1"))).status_code == 404
        desk.assign("c1", "east", status="open")
        with desk.env.sessions.begin() as s:
            s.execute(update(Episode).where(Episode.episode_id == desk.episode).values(outcome="closed"))
        assert (await http.get("/accounts/A1", headers=desk.auth("c1"))).status_code == 404
        assert (await http.post("/accounts/A1/promises", json=promise(), headers=desk.auth("c1"))).status_code == 404
        ended = await http.post("/accounts/A1/promises", json=promise(), headers=desk.auth("sup-east"))
        assert ended.status_code == 409 and "ended closed" in ended.json()["detail"]


async def test_supervisors_see_their_team_managers_see_all(desk):
    async with desk.http() as http:
        assert (await http.get("/accounts/A1", headers=desk.auth("sup-east"))).status_code == 200
        assert (await http.get("/accounts/A1", headers=desk.auth("sup-west"))).status_code == 404
        assert (await http.get("/accounts/A2", headers=desk.auth("sup-east"))).status_code == 404
        assert (await http.get("/accounts/A2", headers=desk.auth("boss"))).status_code == 200
        assert (await http.get("/accounts/NOPE", headers=desk.auth("boss"))).status_code == 404
        assert (await http.get("/blacklist/A1", headers=desk.auth("sup-west"))).status_code == 404

        at = {"at": NOW.isoformat()}
        assert (await http.get("/worklist", headers=desk.auth("c2"), params={**at, "collector_id": "c1"})).status_code == 403
        assert (await http.get("/worklist", headers=desk.auth("sup-east"), params={**at, "collector_id": "c1"})).status_code == 200
        assert (await http.get("/worklist", headers=desk.auth("sup-east"), params={**at, "collector_id": "w1"})).status_code == 404
        assert (await http.get("/worklist", headers=desk.auth("boss"), params={**at, "collector_id": "w1"})).status_code == 200

        move = {"collector_id": "w1", "reason": "speaks the dialect"}
        assert (await http.post(f"/tasks/{desk.task}/reassign", json=move, headers=desk.auth("c1"))).status_code == 403
        assert (await http.post(f"/tasks/{desk.task}/reassign", json=move, headers=desk.auth("sup-west"))).status_code == 404
        assert (await http.post(f"/tasks/{desk.task}/reassign", json=move, headers=desk.auth("sup-east"))).status_code == 404
        moved = await http.post(f"/tasks/{desk.task}/reassign", json={**move, "collector_id": "c2"},
                                headers=desk.auth("sup-east"))
        assert moved.status_code == 200 and moved.json()["assigned_to"] == "c2"
        assert (await http.get("/accounts/A1", headers=desk.auth("c1"))).status_code == 404  # moved away from c1
        assert (await http.get("/accounts/A1", headers=desk.auth("c2"))).status_code == 200


async def test_temporal_away_the_api_starts_and_says_503_with_the_reason(desk):
    async with desk.http() as http:
        assert (await http.get("/healthz")).json()["status"] == "ok"
        ready = await http.get("/readyz")
        assert ready.status_code == 503 and ready.json()["database"] == "ok" and "not connected" in ready.json()["temporal"]
        away = await http.post("/accounts/A1/promises", json=promise(), headers=desk.auth("c1"))
        assert away.status_code == 503 and "not reachable yet" in away.json()["detail"] and away.headers["Retry-After"]


@pytest.mark.parametrize(("method", "path", "body", "field"), [
    ("post", "/accounts/A1/promises", '{"promise_id": "P-1", "amount": NaN, "promised_date": "2026-03-12"}', "amount"),
    ("post", "/accounts/A1/promises", '{"promise_id": "P-1", "amount": 1e309, "promised_date": "2026-03-12"}', "amount"),
    ("post", "/accounts/A1/promises", '{"promise_id": "P\\u0000", "amount": "1", "promised_date": "2026-03-12"}', "promise_id"),
    ("post", "/accounts/A1/promises", '{"promise_id": "P-1", "amount": "1e-30", "promised_date": "2026-03-12"}', "amount"),
    ("post", "/accounts/A1/outcomes", '{"task_id": 2147483648, "outcome": "busy"}', "task_id"),
    ("post", "/accounts/A1/outcomes", '{"task_id": 1, "outcome": "busy", "duration_seconds": 1099511627776}', "duration_seconds"),
    ("post", "/accounts/A1/outcomes", json.dumps({"task_id": 1, "outcome": "right_party_contact", "visit": {
        "address_verified": True, "met_cardholder": True, "evidence_files": ["/dev/zero"]}}), "evidence_files"),
    ("post", "/accounts/A1/holds", json.dumps({"hold_id": "H1", "hold_type": "dispute", "reason": "r",
                                                "evidence_ref": ".arrears/arrears.db"}), "evidence_ref"),
    ("post", "/accounts/A1/plans", json.dumps({"plan_id": "PL", "instalments": [
        {"due_date": "2026-04-01", "amount": "1"}] * 121}), "instalments"),
    ("get", "/worklist?at=9999-12-31T23:59:59%2B00:00", None, "at"),
    ("get", "/accounts/X%00", None, "account_id"),
    ("post", "/tasks/2147483648/reassign", '{"collector_id": "c2", "reason": "x"}', "task_id"),
])
async def test_hostile_values_are_refused_with_the_field_named(desk, method, path, body, field):
    async with desk.http() as http:
        headers = {**desk.auth("boss"), "Content-Type": "application/json"}
        answer = await (http.get(path, headers=headers) if method == "get" else http.post(path, content=body, headers=headers))
    assert answer.status_code == 422, answer.text
    fields = [part for error in answer.json()["detail"] for part in error["loc"]]
    assert field in fields and "NaN" not in answer.text and "/dev/zero" not in answer.text


async def test_evidence_is_uploaded_once_by_hash_and_cited_by_id(desk):
    async with desk.http() as http:
        files = {"file": ("letter.pdf", PDF, "application/pdf")}
        first = await http.post("/accounts/A1/evidence", files=files, headers=desk.auth("c1"))
        assert first.status_code == 200, first.text
        again = await http.post("/accounts/A1/evidence", files={"file": ("copy.pdf", PDF, "image/png")}, headers=desk.auth("c1"))
        assert first.json()["evidence_id"] == again.json()["evidence_id"] and again.json()["duplicate"] is True
        assert first.json()["media_type"] == "application/pdf" and first.json()["filename"] == "letter.pdf"
        script = await http.post("/accounts/A1/evidence", files={"file": ("x.pdf", b"<?php system($_GET[1]);", "application/pdf")},
                                 headers=desk.auth("c1"))
        assert script.status_code == 422 and "unrecognised file type" in script.json()["detail"]
        big = await http.post("/accounts/A1/evidence", files={"file": ("big.pdf", b"%PDF-" + b"0" * (2 * 1024 * 1024), "application/pdf")},
                              headers=desk.auth("c1"))
        assert big.status_code == 413
        assert (await http.post("/accounts/A1/evidence", files=files, headers=desk.auth("c2"))).status_code == 404
        summary = (await http.get("/accounts/A1", headers=desk.auth("c1"))).json()
        assert [e["evidence_id"] for e in summary["evidence"]] == [first.json()["evidence_id"]]

        # A hold or a visit report citing an id the store does not have for this account is refused before the workflow.
        unknown = {"hold_id": "H1", "hold_type": "dispute", "reason": "r", "evidence_ref": "ev-" + "0" * 64}
        refused = await http.post("/accounts/A1/holds", json=unknown, headers=desk.auth("c1"))
        assert refused.status_code == 422 and "not in the evidence store for account A1" in refused.json()["detail"]
        cited = await http.post("/accounts/A1/holds", json={**unknown, "evidence_ref": first.json()["evidence_id"]},
                                headers=desk.auth("c1"))
        assert cited.status_code == 503  # accepted as far as the record goes; the workflow is what is away
    stored = [p for p in (desk.settings.evidence_dir / "sha256").rglob("*") if p.is_file()]
    assert len(stored) == 1 and stored[0].read_bytes() == PDF
    with desk.env.sessions() as s:
        assert s.scalars(select(EvidenceFile.uploaded_by)).all() == ["c1"]


async def test_every_write_is_in_the_api_log_and_the_cli_lists_it(desk, any_db_url):
    async with desk.http() as http:
        await http.post("/accounts/A1/promises", json=promise())  # 401
        await http.post("/accounts/A1/promises", json=promise(), headers=desk.auth("c2"))  # 404
        await http.post("/accounts/A1/promises", json={"promise_id": "=1+1"}, headers=desk.auth("c1"))  # 422
        await http.post("/accounts/A1/promises", json=promise(), headers=desk.auth("c1"))  # 503
        await http.get("/accounts/A1", headers=desk.auth("c1"))  # a read: not logged
    with desk.env.sessions() as s:
        rows = s.scalars(select(ApiRequest).order_by(ApiRequest.id)).all()
    assert [(r.status, r.collector_id, r.account_id, r.remote_addr) for r in rows] == [
        (401, None, "A1", "203.0.113.7"), (404, "c2", "A1", "203.0.113.7"), (422, "c1", "A1", "203.0.113.7"),
        (503, "c1", "A1", "203.0.113.7")]
    assert all(r.method == "POST" and r.path == "/accounts/A1/promises" for r in rows)
    assert "body.amount: Field required" in rows[2].result and "not reachable yet" in rows[3].result
    assert rows[1].token_id == desk.tokens["c2"].split("_")[1]

    runner = CliRunner()
    listed = runner.invoke(cli, ["--database-url", any_db_url, "audit", "api-log", "--collector", "c1"],
                           env={"COLUMNS": "250"})
    assert listed.exit_code == 0 and "2 request(s)" in listed.output and "503" in listed.output
    as_csv = runner.invoke(cli, ["--database-url", any_db_url, "audit", "api-log", "--format", "csv"])
    lines = as_csv.stdout.strip().splitlines()
    assert lines[0].startswith("at,collector_id,token_id,method,path") and len(lines) == 5
