"""Holds end to end on the dev server: the operators' CLI places and releases, HoldType finds the account."""

import json
import sys
import uuid
from datetime import datetime, timedelta, timezone

from tests.integration.test_devserver import _env, _run, _wait_for
from tests.workflow.helpers import Scenario, account_row


async def test_cli_places_and_releases_a_hold_and_the_hold_type_follows(dev_env, migrated_sqlite):
    sc = Scenario(dev_env.client, migrated_sqlite)
    tag = uuid.uuid4().hex[:8].upper()
    account = f"HC{tag}"
    wid = f"arrears-{account}"
    row = account_row(account, datetime.now(timezone.utc).date() - timedelta(days=40), segment="medium", tz="UTC")
    env = _env(dev_env.client.service_client.config.target_host, sc.settings.task_queue, migrated_sqlite)
    cli = [sys.executable, "-m", "arrears.cli.main"]
    async with sc.worker():
        handle = await sc.start(row)
        try:
            await _wait_for(dev_env.client, f'WorkflowId="{wid}" AND CollectionStage="mid"', 1)
            refused = await _run([*cli, "hold", "place", account, "--hold-id", "HS-1", "--type", "hardship",
                                  "--reason", "medical bills", "--by", "sup-1", "--days", "400"], env=env)
            assert refused.returncode == 1 and "a hardship hold lasts 1 to 180 days, got 400" in refused.stderr
            placed = await _run([*cli, "hold", "place", account, "--hold-id", "BK-1", "--type", "bankruptcy",
                                 "--reason", "petition filed", "--by", "sup-1", "--evidence", "CASE-1"], env=env)
            assert placed.returncode == 0, placed.stderr
            assert "hold BK-1 (bankruptcy) active" in placed.stdout
            assert await _wait_for(dev_env.client, f'WorkflowId="{wid}" AND HoldType="bankruptcy"', 1) == [wid]
            shown = await _run([*cli, "status", account, "--json"], env=env)
            view = json.loads(shown.stdout)
            assert view["paused_by"] == "bankruptcy hold BK-1" and view["holds"][0]["evidence_ref"] == "CASE-1"
            table = await _run([*cli, "status", account], env=env)
            assert "bankruptcy BK-1 (active)" in table.stdout
            released = await _run([*cli, "hold", "release", account, "--hold-id", "BK-1", "--by", "sup-2",
                                   "--resolution", "dismissed"], env=env)
            assert released.returncode == 0, released.stderr
            assert "active holds: none" in released.stdout
            assert await _wait_for(dev_env.client, f'WorkflowId="{wid}" AND HoldType="bankruptcy"', 0) == []
            again = await _run([*cli, "hold", "release", account, "--hold-id", "BK-1", "--by", "sup-2"], env=env)
            assert again.returncode == 1 and "hold BK-1 was already released (dismissed)" in again.stderr
        finally:
            await handle.execute_update("close", {"reason": "test done", "operator_id": "pytest"})
