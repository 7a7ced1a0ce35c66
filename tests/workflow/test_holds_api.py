"""Holds through the desk API: a collector with access places one, only a supervisor releases it."""

from datetime import timedelta

import httpx
from sqlalchemy import select

from arrears.api.app import create_app
from arrears.db.models import Hold
from arrears.desk.roster import import_roster
from arrears.desk.tokens import issue_token
from tests.workflow.helpers import Scenario, account_row
from tests.workflow.test_desk_api import ROSTER, TZ, bearer, end_episode
from tests.workflow.test_lifecycle import _today


async def test_a_collector_places_a_hold_and_only_a_supervisor_releases_it(time_env, migrated_sqlite, tmp_path):
    sc = Scenario(time_env.client, migrated_sqlite)
    now = await time_env.get_current_time()
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    import_roster(sc.sessions, roster, now)
    tokens = {cid: bearer(issue_token(sc.sessions, cid, now)) for cid in ("c1", "c2", "sup")}
    app = create_app(sc.settings, client=time_env.client, sessions=sc.sessions)
    today = await _today(time_env, TZ)
    row = account_row("APIHOLD", today - timedelta(days=2), segment="medium")

    async with sc.worker(), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://desk") as http:
        handle = await sc.start(row, now=now)
        try:
            await sc.wait_for_task(time_env, "APIHOLD", "call")  # goes to c1
            body = {"hold_id": "CMP-1", "hold_type": "complaint", "reason": "calls at dinner time", "channel": "call"}
            assert (await http.post("/accounts/APIHOLD/holds", json=body)).status_code == 401
            assert (await http.post("/accounts/APIHOLD/holds", json=body, headers=tokens["c2"])).status_code == 404
            assert (await http.post("/accounts/NOPE/holds", json=body, headers=tokens["c1"])).status_code == 404
            refused = await http.post("/accounts/APIHOLD/holds", json={**body, "channel": None}, headers=tokens["c1"])
            assert refused.status_code == 422 and "needs the channel complained about" in refused.json()["detail"]
            placed = await http.post("/accounts/APIHOLD/holds", json=body, headers=tokens["c1"])
            assert placed.status_code == 200, placed.text
            assert (placed.json()["status"], placed.json()["active_holds"]) == ("active", ["complaint"])

            release = "/accounts/APIHOLD/holds/CMP-1/release"
            denied = await http.post(release, json={}, headers=tokens["c1"])
            assert denied.status_code == 403 and "supervisor" in denied.json()["detail"]
            unknown = await http.post("/accounts/APIHOLD/holds/NOPE/release", json={}, headers=tokens["sup"])
            assert unknown.status_code == 422 and "no hold NOPE" in unknown.json()["detail"]
            released = await http.post(release, json={"resolution": "resolved"}, headers=tokens["sup"])
            assert released.status_code == 200 and released.json()["status"] == "released"
            again = await http.post(release, json={}, headers=tokens["sup"])
            assert again.status_code == 422 and "already released" in again.json()["detail"]
        finally:
            await end_episode(handle)
        # Once the episode has ended its tasks give no access: the collector gets 404, a supervisor the 409.
        gone = await http.post("/accounts/APIHOLD/holds", json={**body, "hold_id": "CMP-2"}, headers=tokens["c1"])
        closed = await http.post("/accounts/APIHOLD/holds", json={**body, "hold_id": "CMP-2"}, headers=tokens["sup"])
        assert (gone.status_code, closed.status_code) == (404, 409)
    with sc.sessions() as s:
        hold = s.scalars(select(Hold)).one()
    assert (hold.placed_by, hold.released_by, hold.resolution, hold.channel) == ("c1", "sup", "resolved", "call")
