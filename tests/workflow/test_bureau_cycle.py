"""The BureauCycle workflow on the time-skipping server: last month at once, then each month on its day."""

import asyncio
import uuid
from datetime import timedelta, timezone
from pathlib import Path

from sqlalchemy import select

from arrears.contracts.collection import CloseInput
from arrears.contracts.housekeeping import BureauCycleInput
from arrears.contracts.names import BUREAU_CYCLE_TYPE
from arrears.db.models import BureauReport, Episode
from arrears.domain.bureau import following_period, parse_file, period_of, previous_period, reporting_moment
from arrears.domain.delinquency import local_date
from tests.workflow.helpers import Scenario, account_row
from tests.workflow.test_lifecycle import _save_history, _today

TZ = "UTC"  # the cycle works in UTC months: the episode falls in last month or this one


async def _reported(sc: Scenario, period: str, seconds: float = 30) -> list[BureauReport]:
    """The period's records once the cycle's activity has committed them (real time: the clock stands)."""
    for _ in range(max(1, int(seconds / 0.1))):
        with sc.sessions() as s:
            rows = list(s.scalars(select(BureauReport).where(BureauReport.period == period)))
        if rows:
            return rows
        await asyncio.sleep(0.1)
    return []


async def _written(path: Path, seconds: float = 30) -> str:
    for _ in range(int(seconds / 0.1)):
        if path.exists():
            return path.read_text(encoding="utf-8")
        await asyncio.sleep(0.1)
    raise AssertionError(f"{path} was not written")


async def test_the_cycle_reports_last_month_at_once_then_each_month_on_its_day(time_env, migrated_sqlite, tmp_path):
    sc = Scenario(time_env.client, migrated_sqlite)
    out = tmp_path / "bureau"
    sc.settings = sc.settings.model_copy(update={"bureau_dir": out, "bureau_institution": "BANK01"})
    today = await _today(time_env, TZ)
    row = account_row("BURCYC", today - timedelta(days=40), segment="low", tz=TZ)
    async with sc.worker():
        episode = await sc.start(row, now=await time_env.get_current_time())
        await episode.execute_update("close", CloseInput(reason="sold to a debt buyer", operator_id="ops-1"))
        await episode.result()
        with sc.sessions() as s:
            started_at = s.scalars(select(Episode.started_at).where(Episode.account_id == "BURCYC")).one()
        # The month the episode belongs to. Every later month reports it too (as it stood at its
        # closure), and the time-skipping clock may have run on by months while the episode ended.
        own = period_of(local_date(started_at.replace(tzinfo=started_at.tzinfo or timezone.utc), TZ))
        now = await time_env.get_current_time()
        last_month = previous_period(now.astimezone(timezone.utc).date())
        this_month = following_period(last_month)
        started = await time_env.client.start_workflow(
            BUREAU_CYCLE_TYPE, BureauCycleInput(report_day=2, periods_per_run=2), id=f"bureau-cycle-{uuid.uuid4()}",
            task_queue=sc.settings.task_queue)
        cycle = time_env.client.get_workflow_handle(started.id)  # the latest run, across continue-as-new
        try:
            if now >= reporting_moment(last_month, 2):
                # Started after last month's reporting day: last month goes at once.
                parsed = parse_file(await _written(out / f"BANK01_{last_month}.txt"))
                assert parsed.period == last_month
                assert [r.account_id for r in parsed.rows] == (["BURCYC"] if own <= last_month else [])
            seen = max(own, last_month)  # the first month this cycle reports with the episode in it
            if seen > last_month:
                assert not await _reported(sc, seen, seconds=0.5), "a month is not reported before its day"
            # The first run reports last month and this one, then continues as new.
            await time_env.sleep(reporting_moment(this_month, 2) - await time_env.get_current_time() + timedelta(hours=1))
            reports = await _reported(sc, seen)
            assert [r.account_id for r in reports] == ["BURCYC"]
            # Closed at DPD 40 with 1,000 overdue: M2, negative, and no prior notice was ever sent.
            assert (reports[0].status, reports[0].withheld) == ("M2", True)
            assert reports[0].reason.startswith("withheld pending notice")
            parsed = parse_file(await _written(out / f"BANK01_{seen}.txt"))
            assert [(r.account_id, r.status.value, r.withheld) for r in parsed.rows] == [("BURCYC", "current", True)]
            nxt, upcoming = "", following_period(this_month)
            for _ in range(100):
                nxt = await cycle.query("next_report", result_type=str)
                if nxt.startswith(upcoming):
                    break
                await asyncio.sleep(0.1)
            assert nxt == f"{upcoming} at {reporting_moment(upcoming, 2):%Y-%m-%d %H:%M} UTC"
            # The new run still knows what the last one reported.
            assert (await cycle.query("last_report", result_type=str)).startswith(f"{this_month}: ")
            first_run = time_env.client.get_workflow_handle(started.id, run_id=started.result_run_id)
            assert (await cycle.describe()).run_id != first_run.run_id
            await _save_history(first_run, "bureau_cycle_two_periods")  # both periods, then continue-as-new
        finally:
            await cycle.terminate("test ended")
