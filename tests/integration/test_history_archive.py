"""Histories outlive Temporal's retention: a closed episode's history is archived by the
HistoryArchiver's activity, and replay and timeline work from the archive after the
workflow is gone from the server (deleted here on the dev server)."""

import asyncio
import json
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.service import RPCError, RPCStatusCode
from typer.testing import CliRunner

from arrears.audit.archive import archived, archived_rows
from arrears.cli.main import app
from arrears.contracts.housekeeping import ArchiverInput
from arrears.contracts.names import HISTORY_ARCHIVER_TYPE
from arrears.db.models import ArchivedHistory
from arrears.runtime.worker import build_id
from tests.workflow.helpers import Scenario, account_row


async def _until(predicate, seconds: float = 60, what: str = "condition"):
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


async def test_archived_history_replays_and_tells_the_story_after_the_server_forgets(dev_env, migrated_sqlite):
    client = dev_env.client
    sc = Scenario(client, migrated_sqlite)
    account = f"ARC{uuid.uuid4().hex[:6].upper()}"
    row = account_row(account, datetime.now(timezone.utc).date() - timedelta(days=1), tz="Asia/Shanghai")
    async with sc.worker():
        handle = await sc.start(row, day_seconds=2)
        await asyncio.sleep(3)
        await handle.execute_update("close", {"reason": "archive test", "operator_id": "pytest"})
        await handle.result()
        # The archiver runs as it does in production: a workflow whose round is one activity.
        archiver = await client.start_workflow(
            HISTORY_ARCHIVER_TYPE, ArchiverInput(every_seconds=0.5, rounds_per_run=200),
            id=f"archiver-{uuid.uuid4()}", task_queue=sc.settings.task_queue)

        async def stored():
            with sc.sessions() as s:
                return archived_rows(s, account_id=account)

        rows = await _until(stored, what="the episode's history in the archive")
        await archiver.terminate("test done")

    assert [(r.workflow_id, r.run_index, r.close_event, r.workflow_type) for r in rows] == \
        [(handle.id, 0, "completed", "AccountCollection")]
    assert 0 < len(rows[0].content) < rows[0].json_bytes  # compressed
    live = await handle.fetch_history()
    with sc.sessions() as s:
        [kept] = archived(s, workflow_id=handle.id)
    assert [e.event_id for e in kept.events] == [e.event_id for e in live.events]  # the full history, to its end
    builds = {e.workflow_task_completed_event_attributes.worker_version.build_id for e in kept.events
              if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED}
    assert builds == {build_id(sc.settings)} and build_id(sc.settings).startswith("arrears-")

    # A second round archives nothing twice.
    runner = CliRunner()
    address = client.service_client.config.target_host
    base = ["--address", address, "--task-queue", sc.settings.task_queue, "--database-url", migrated_sqlite]
    again = await asyncio.to_thread(runner.invoke, app, base + ["archive", "run"])
    assert again.exit_code == 0, again.output
    assert "0 run(s) archived" in again.output

    # The namespace forgets the workflow (retention, here a delete).
    await client.workflow_service.delete_workflow_execution(DeleteWorkflowExecutionRequest(
        namespace=client.namespace, workflow_execution=WorkflowExecution(workflow_id=handle.id, run_id=handle.result_run_id)))

    async def gone():
        try:
            await client.get_workflow_handle(handle.id).fetch_history()
        except RPCError as exc:
            return exc.status == RPCStatusCode.NOT_FOUND
        return False

    await _until(gone, what="the dev server to delete the workflow")

    replayed = await asyncio.to_thread(runner.invoke, app, base + ["audit", "replay", "--workflow-id", handle.id])
    assert replayed.exit_code == 0, replayed.output
    assert f"ok                {handle.id}" in replayed.output and "1 replayed, 0 nondeterministic" in replayed.output
    whole = await asyncio.to_thread(runner.invoke, app, base + ["audit", "replay", "--archived"])
    assert whole.exit_code == 0 and "1 replayed" in whole.output, whole.output

    story = await asyncio.to_thread(runner.invoke, app, base + ["audit", "timeline", account, "--format", "json"])
    assert story.exit_code == 0, story.output
    entries = json.loads(story.stdout)
    history_rows = [e for e in entries if e["source"] == "history"]
    assert any(e["kind"] == "update" and e["what"] == "close accepted" and e["cause"] == "operator_id pytest"
               for e in history_rows), history_rows
    automatic = [e for e in entries if e["kind"].startswith(("contact:", "task:", "action:")) and e["kind"] != "task:assignment"]
    assert automatic and all(e["code"] == build_id(sc.settings) and e["segment"] == "medium" for e in automatic), [(e["kind"], e["code"], e["segment"]) for e in automatic]

    # A stored history changed behind the system's back is named, not replayed.
    with sc.sessions.begin() as s:
        row_id = s.scalar(select(ArchivedHistory.id).where(ArchivedHistory.account_id == account))
        s.execute(update(ArchivedHistory).where(ArchivedHistory.id == row_id)
                  .values(sha256="0" * 64))
    bad = await asyncio.to_thread(runner.invoke, app, base + ["audit", "replay", "--workflow-id", handle.id])
    assert bad.exit_code == 1 and "changed after archiving" in bad.output and f"(row {row_id})" in bad.output, bad.output
