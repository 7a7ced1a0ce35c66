"""The worker's desk sweep on a real dev server: started once however many
workers ask, it escalates a task past its SLA and places waiting work."""

import asyncio
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from arrears.contracts.names import DESK_SWEEP_ID
from arrears.db.models import CollectorTask
from arrears.desk.roster import import_roster
from arrears.domain.strategy import Action
from arrears.runtime.worker import ensure_desk_sweep
from tests.db.test_activities_idempotency import Env, account_row, step_cmd
from tests.workflow.helpers import Scenario

SH = ZoneInfo("Asia/Shanghai")


async def test_the_sweep_runs_once_per_namespace_and_escalates_breaches(dev_env, migrated_sqlite, tmp_path):
    env = Env(migrated_sqlite)
    env.add_account(account_row("SW1"))
    env.open("SW1")
    roster = tmp_path / "roster.csv"
    roster.write_text("collector_id,name,team,role,languages,regions,daily_capacity\na,A,east,collector,zh-CN,,5\n")
    import_roster(env.sessions, roster, datetime.now(timezone.utc))
    # A call due two days ago: its 24-hour SLA has passed.
    cmd = step_cmd("SW1", "ep-SW1", Action.CALL, "early-call")
    # (at 10:00 in the customer's zone, inside the contact window)
    due = datetime.combine(datetime.now(SH).date() - timedelta(days=2), time(10, 0), tzinfo=SH)
    cmd = cmd.model_copy(update={"executed_at": due})
    task_id = env.acts.execute_step(cmd).record_id

    sc = Scenario(dev_env.client, migrated_sqlite)
    settings = sc.settings.model_copy(update={"sweep_minutes": 0.01})
    async with sc.worker():
        first = await ensure_desk_sweep(dev_env.client, settings)
        second = await ensure_desk_sweep(dev_env.client, settings)  # a second worker joins the running one
        assert second.result_run_id == first.result_run_id
        handle = dev_env.client.get_workflow_handle(DESK_SWEEP_ID)
        try:
            for _ in range(300):  # up to 30 s on a busy machine
                with env.sessions() as s:
                    if s.get(CollectorTask, task_id).queue == "supervisor":
                        break
                await asyncio.sleep(0.1)
            last = await handle.query("last_sweep", result_type=str)
        finally:
            await handle.terminate("test over")
    with env.sessions() as s:
        task = s.get(CollectorTask, task_id)
        assert (task.queue, task.assigned_to, task.team) == ("supervisor", None, "east")
    assert "escalated" in last
    env.engine.dispose()
