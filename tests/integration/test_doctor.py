"""`arrears doctor` on a real dev server: an episode whose activity keeps failing flags itself within its
bound and is listed with its account and last error; a workflow whose task keeps failing is listed too."""

import asyncio
import json
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone

from temporalio import activity, workflow
from temporalio.worker import Worker

from activities.collection import CollectionActivities
from arrears import PROJECT_ROOT
from arrears.runtime import search_attributes as sa
from arrears.channels.render import Renderer
from arrears.contracts.collection_activities import OpenEpisodeCommand
from arrears.contracts.names import OPEN_EPISODE
from arrears.domain.delinquency import local_date
from tests.workflow.helpers import Scenario, account_row


class BrokenOpening(CollectionActivities):
    @activity.defn(name=OPEN_EPISODE)
    def open_episode(self, cmd: OpenEpisodeCommand) -> bool:
        raise RuntimeError("value too long for type character varying(16)")


@workflow.defn(name="DoctorBroken", sandboxed=False)
class Broken:
    """A workflow whose every task fails: what a bug in workflow code looks like to Temporal."""

    @workflow.run
    async def run(self) -> None:
        raise RuntimeError("bug: workflow code raised")


async def _until(check, seconds: float = 60):
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.5)
    raise AssertionError("condition not reached")


async def test_doctor_lists_a_flagged_episode_and_a_failing_workflow_task(dev_env, migrated_sqlite):
    sc = Scenario(dev_env.client, migrated_sqlite)
    sc.activities = BrokenOpening(sc.sessions, Renderer(PROJECT_ROOT / "templates"))
    account = f"DOC{uuid.uuid4().hex[:6].upper()}"
    due = local_date(datetime.now(timezone.utc), "Asia/Shanghai") - timedelta(days=3)
    broken_id = f"arrears-{account}-BUG"
    bug_queue = f"{sc.settings.task_queue}-bug"
    async with sc.worker(), Worker(dev_env.client, task_queue=bug_queue, workflows=[Broken]):
        handle = await sc.start(account_row(account, due), attention_attempts=2, slow_retry_seconds=30)
        await dev_env.client.start_workflow("DoctorBroken", id=broken_id, task_queue=bug_queue)

        async def flagged():
            described = await handle.describe()
            return described.typed_search_attributes.get(sa.ATTENTION)

        assert await _until(flagged) == f"activity_failing:{OPEN_EPISODE}"
        address = dev_env.client.service_client.config.target_host
        env = {"TEMPORAL_ADDRESS": address, "ARREARS_TASK_QUEUE": sc.settings.task_queue,
               "ARREARS_DATABASE_URL": migrated_sqlite, "PATH": "/usr/bin:/bin"}

        async def listed():
            done = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "arrears.cli.main", "doctor", "--json"],
                                           capture_output=True, text=True, timeout=60, env=env)
            found = json.loads(done.stdout) if done.stdout.strip().startswith("[") else []
            problems = {(f["account_id"], f["problem"]) for f in found}
            if (account, "attention") in problems and any(f["workflow_id"] == broken_id for f in found):
                return done, found
            return None

        done, found = await _until(listed, 90)
        assert done.returncode == 1  # something to look at
        flagged_row = next(f for f in found if f["account_id"] == account)
        assert flagged_row["detail"] == f"activity_failing:{OPEN_EPISODE}"
        assert "value too long" in (flagged_row["last_error"] or "")
        failing = next(f for f in found if f["workflow_id"] == broken_id)
        assert failing["problem"] == "workflow_task_failing"
        await dev_env.client.get_workflow_handle(broken_id).terminate("test done")
        await handle.terminate("test done")
