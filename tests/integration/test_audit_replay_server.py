"""`arrears audit replay` against the dev server: by workflow id and by list query."""

import asyncio
import uuid
from datetime import datetime, timezone

from typer.testing import CliRunner

from arrears.audit.replay import from_server, replay
from arrears.cli.main import app
from arrears.client.operations import close_episode
from tests.workflow.helpers import Scenario, account_row


async def test_replay_from_the_server_by_id_and_by_query(dev_env, migrated_sqlite):
    sc = Scenario(dev_env.client, migrated_sqlite)
    account = f"AUD{uuid.uuid4().hex[:6].upper()}"
    row = account_row(account, datetime.now(timezone.utc).date(), tz="Asia/Shanghai")
    async with sc.worker():
        handle = await sc.start(row, day_seconds=0.5)
        await asyncio.sleep(3)
        # Through the operators' path, which sends again an update the server dropped with a failed task.
        await close_episode(dev_env.client, account, "audit test", "pytest")
        await handle.result()
    by_id = await replay(from_server(dev_env.client, workflow_id=handle.id))
    assert [(line.workflow_id, line.ok) for line in by_id] == [(handle.id, True)] and by_id[0].events > 10
    by_query = await replay(from_server(dev_env.client, query=f'WorkflowId = "{handle.id}"'))
    assert [line.ok for line in by_query] == [True]

    address = dev_env.client.service_client.config.target_host
    runner = CliRunner()
    result = await asyncio.to_thread(
        runner.invoke, app, ["--address", address, "audit", "replay", "--query", f'WorkflowId = "{handle.id}"'])
    assert result.exit_code == 0, result.output
    assert f"ok                {handle.id}" in result.output and "1 replayed, 0 nondeterministic" in result.output
    nothing = await asyncio.to_thread(
        runner.invoke, app, ["--address", address, "audit", "replay", "--query", 'WorkflowId = "no-such-workflow"'])
    assert nothing.exit_code == 2
