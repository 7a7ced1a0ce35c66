"""The worker's bureau cycle on a real dev server: started once however many workers ask, it
reports last month at once, and `arrears bureau schedule` shows what it did and what comes next."""

import sys
from datetime import datetime, timezone

from arrears.contracts.names import BUREAU_CYCLE_ID
from arrears.domain.bureau import following_period, parse_file, previous_period, reporting_moment
from arrears.runtime.worker import ensure_bureau_cycle
from tests.integration.test_devserver import _env, _run
from tests.workflow.helpers import Scenario
from tests.workflow.test_bureau_cycle import _written


async def test_the_cycle_runs_once_per_namespace_and_the_cli_shows_it(dev_env, migrated_sqlite, tmp_path):
    sc = Scenario(dev_env.client, migrated_sqlite)
    sc.settings = sc.settings.model_copy(update={"bureau_dir": tmp_path / "bureau", "bureau_day": 2})
    today = datetime.now(timezone.utc).date()
    last_month = previous_period(today)
    # On the 1st last month waits for the 2nd; every other day it is reported at once.
    due = last_month if today.day >= 2 else None
    upcoming = following_period(last_month) if due else last_month
    async with sc.worker():
        first = await ensure_bureau_cycle(dev_env.client, sc.settings)
        second = await ensure_bureau_cycle(dev_env.client, sc.settings)  # a second worker joins the running one
        handle = dev_env.client.get_workflow_handle(BUREAU_CYCLE_ID)
        try:
            assert second.result_run_id == first.result_run_id
            if due:
                parsed = parse_file(await _written(tmp_path / "bureau" / f"ARREARS_{due}.txt"))
                assert parsed.period == due
            env = _env(dev_env.client.service_client.config.target_host, sc.settings.task_queue, migrated_sqlite)
            for _ in range(100):
                shown = await _run([sys.executable, "-m", "arrears.cli.main", "bureau", "schedule"], env=env)
                if not due or due in shown.stdout:
                    break
            assert shown.returncode == 0, shown.stderr
            moment = reporting_moment(upcoming, 2)
            assert f"next report: {upcoming} at {moment:%Y-%m-%d %H:%M} UTC" in shown.stdout
            if due:
                assert f"last report: {due}: 0 account(s)" in shown.stdout
        finally:
            await handle.terminate("test over")
    gone = await _run([sys.executable, "-m", "arrears.cli.main", "bureau", "schedule"], env=env)
    assert gone.returncode == 1 and "no bureau cycle is running" in gone.stderr
