"""The desk API through its HTTP layer, against a real workflow on the time-skipping server.

Covers token auth (401), per-collector access (404: an account without an open
task of the caller's is answered as if it did not exist), supervisor-only
actions (403), validator refusals (422 with the reason), a closed account
(409), the happy paths (200) and the OpenAPI document.
"""

from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from arrears.api.app import create_app
from arrears.db.models import TaskAssignment
from arrears.desk.roster import import_roster
from arrears.desk.tokens import issue_token
from tests.workflow.helpers import Scenario, account_row
from tests.workflow.test_lifecycle import _today

TZ = "Asia/Shanghai"
ROSTER = (
    "collector_id,name,team,role,languages,regions,daily_capacity\n"
    "c1,Li Na,east,collector,zh-CN,,20\n"
    "c2,Zhao Lei,east,collector,zh-CN,,20\n"
    "sup,Wang Wei,east,supervisor,zh-CN,,5\n"
)


@pytest.fixture
def roster_file(tmp_path: Path) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    return path


async def end_episode(handle) -> None:
    try:
        await handle.execute_update("close", {"reason": "test over", "operator_id": "pytest"})
    except Exception:  # noqa: BLE001 - already closed by the test itself
        pass
    await handle.result()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_desk_api_answers_200_401_403_409_422(time_env, migrated_sqlite, roster_file):
    sc = Scenario(time_env.client, migrated_sqlite)
    now = await time_env.get_current_time()
    import_roster(sc.sessions, roster_file, now)
    tokens = {cid: bearer(issue_token(sc.sessions, cid, now)) for cid in ("c1", "c2", "sup")}
    app = create_app(sc.settings, client=time_env.client, sessions=sc.sessions)
    today = await _today(time_env, TZ)
    row = account_row("API1", today - timedelta(days=2), segment="medium")

    async with sc.worker(), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://desk") as http:
        handle = await sc.start(row, now=now)
        try:
            # The DPD 3 call opens and goes to c1 (equal load: the lower id).
            task = await sc.wait_for_task(time_env, "API1", "call")
            assert task.assigned_to == "c1"
            at = {"at": (await time_env.get_current_time()).isoformat()}

            # -- the document and authentication
            assert (await http.get("/docs")).status_code == 200
            spec = (await http.get("/openapi.json")).json()
            assert {"/worklist", "/accounts/{account_id}/promises", "/tasks/{task_id}/reassign"} <= set(spec["paths"])
            assert (await http.get("/worklist")).status_code == 401
            assert (await http.get("/worklist", headers=bearer("arr_forged"))).status_code == 401
            assert (await http.get("/me", headers=tokens["sup"])).json()["role"] == "supervisor"

            # -- reading: own worklist, an account only with a task on it
            mine = await http.get("/worklist", headers=tokens["c1"], params=at)
            assert [e["task_id"] for e in mine.json()] == [task.id]
            assert (await http.get("/worklist", headers=tokens["c2"], params=at)).json() == []
            assert (await http.get("/worklist", headers=tokens["c2"], params={**at, "collector_id": "c1"})).status_code == 403
            assert len((await http.get("/worklist", headers=tokens["sup"], params={**at, "collector_id": "c1"})).json()) == 1
            assert (await http.get("/accounts/API1", headers=tokens["c2"])).status_code == 404
            summary = (await http.get("/accounts/API1", headers=tokens["c1"])).json()
            # (the live status is as of the wall clock, which lags the time-skipping server's)
            assert summary["status"]["account_id"] == "API1" and summary["tasks"][0]["assigned_to"] == "c1"
            assert summary["contacts"] and all(c["text"] for c in summary["contacts"])
            assert (await http.get("/accounts/NOPE", headers=tokens["sup"])).status_code == 404

            # -- acting: refusals come back with the validator's reason
            promise = {"promise_id": "P-1", "amount": "400.00", "promised_date": str(today + timedelta(days=3))}
            assert (await http.post("/accounts/API1/promises", json=promise, headers=tokens["c2"])).status_code == 404
            zero = await http.post("/accounts/API1/promises", json={**promise, "amount": "0"}, headers=tokens["c1"])
            assert zero.status_code == 422 and "must be positive" in zero.json()["detail"]
            small = await http.post("/accounts/API1/promises", json={**promise, "amount": "99.99"}, headers=tokens["c1"])
            assert small.status_code == 422 and "below the minimum 100.00" in small.json()["detail"]
            malformed = await http.post("/accounts/API1/promises", json={"promise_id": "P-1"}, headers=tokens["c1"])
            assert malformed.status_code == 422
            taken = await http.post("/accounts/API1/promises", json=promise, headers=tokens["c1"])
            assert taken.status_code == 200, taken.text
            assert taken.json()["status"] == "active"
            again = await http.post("/accounts/API1/promises", json=promise, headers=tokens["c1"])
            assert again.json()["duplicate"] is True
            big_discount = {"offer_id": "S-1", "amount": "1000.00", "expires_on": str(today + timedelta(days=5))}
            refused = await http.post("/accounts/API1/settlements", json=big_discount, headers=tokens["c1"])
            assert refused.status_code == 422 and "collector" in refused.json()["detail"]
            cancel = await http.post("/accounts/API1/plans/PL-1/cancel", json={"reason": "x"}, headers=tokens["c1"])
            assert cancel.status_code == 403

            # -- supervisors move work; the new holder may then act on it
            move = {"collector_id": "c2", "reason": "c1 on training"}
            assert (await http.post(f"/tasks/{task.id}/reassign", json=move, headers=tokens["c1"])).status_code == 403
            moved = await http.post(f"/tasks/{task.id}/reassign", json=move, headers=tokens["sup"])
            assert moved.status_code == 200 and moved.json()["assigned_to"] == "c2"
            outcome = {"task_id": task.id, "outcome": "promise_made", "duration_seconds": 120, "reason_for_delinquency": "cash_flow"}
            assert (await http.post("/accounts/API1/outcomes", json=outcome, headers=tokens["c1"])).status_code == 404
            logged = await http.post("/accounts/API1/outcomes", json=outcome, headers=tokens["c2"])
            assert logged.status_code == 200, logged.text

            # -- a closed account: 409
            await handle.execute_update("close", {"reason": "test done", "operator_id": "pytest"})
            await handle.result()
            closed = await http.post("/accounts/API1/promises", json={**promise, "promise_id": "P-2"}, headers=tokens["sup"])
            assert closed.status_code == 409 and "closed" in closed.json()["detail"]

        finally:
            # A workflow left running would hold the shared time-skipping server's clock.
            await end_episode(handle)

    with sc.sessions() as s:
        history = s.scalars(select(TaskAssignment).where(TaskAssignment.task_id == task.id).order_by(TaskAssignment.id)).all()
        assert [(h.reason, h.collector_id, h.by) for h in history] == [
            ("assigned", "c1", "system"), ("reassigned_manual", "c2", "sup")
        ]
