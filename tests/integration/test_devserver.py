"""End to end on the real Temporal dev server: visibility, the starter, the CLI."""

import asyncio
import csv
import json
import os
import subprocess
import sys
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select
from temporalio.client import Client

from arrears import PROJECT_ROOT
from arrears.db.models import Account, Episode
from arrears.intake.importer import import_file
from arrears.intake.sample import generate_accounts, write_csv
from tests.conftest import DEFAULT_STRATEGY
from tests.workflow.helpers import Scenario, account_row

from arrears.domain.delinquency import bucket_for_dpd, days_past_due, stage_for_dpd
from arrears.config.strategies import load_strategy

STRATEGY = load_strategy(DEFAULT_STRATEGY)


async def _wait_for(client: Client, query: str, expected: int, timeout: float = 30) -> list[str]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        ids = [wf.id async for wf in client.list_workflows(query)]
        if len(ids) == expected or asyncio.get_running_loop().time() > deadline:
            return ids
        await asyncio.sleep(0.3)


async def test_search_attributes_are_listed_and_follow_escalation(dev_env, migrated_sqlite):
    sc = Scenario(dev_env.client, migrated_sqlite)
    tag = uuid.uuid4().hex[:8].upper()
    today = datetime.now(timezone.utc).date()
    # DPD 29 at start with 0.4 s days: mid stage (DPD 31) within about a second.
    row = account_row(f"SA{tag}", today - timedelta(days=29), segment="high", tz="UTC")
    async with sc.worker():
        await sc.start(row, day_seconds=0.4)
        wid = f"arrears-SA{tag}"
        found = await _wait_for(dev_env.client, f'WorkflowId="{wid}" AND CollectionStage="early"', 1)
        assert found == [wid]
        # The operator's own tool finds it too.
        listed = await _run(
            [str(Path(sys.executable).parent / "temporal"), "workflow", "list", "--address", dev_env.client.service_client.config.target_host,
             "--query", f'WorkflowId="{wid}" AND CollectionStage="early" AND RiskSegment="high"', "--output", "json"],
        )
        assert listed.returncode == 0, listed.stderr
        assert wid in listed.stdout
        moved = await _wait_for(dev_env.client, f'WorkflowId="{wid}" AND CollectionStage="mid" AND DelinquencyBucket="M2"', 1)
        assert moved == [wid]
        overdue = await _wait_for(dev_env.client, f'WorkflowId="{wid}" AND OverdueAmount > 999 AND OverdueAmount < 1001', 1)
        assert overdue == [wid]
        await dev_env.client.get_workflow_handle(wid).execute_update("close", {"reason": "test done", "operator_id": "pytest"})
        ended = await _wait_for(dev_env.client, f'WorkflowId="{wid}" AND CollectionStage="closed"', 1)
        assert ended == [wid]


async def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    # In a thread: the worker under test shares this event loop and must keep answering.
    return await asyncio.to_thread(subprocess.run, args, capture_output=True, text=True, timeout=120, **kwargs)


def _dpd_now(row: dict) -> int:
    return days_past_due(date.fromisoformat(row["due_date"]), datetime.now(timezone.utc), row["timezone"])


def _env(address: str, task_queue: str, database_url: str) -> dict[str, str]:
    return {**os.environ, "TEMPORAL_ADDRESS": address, "ARREARS_TASK_QUEUE": task_queue, "ARREARS_DATABASE_URL": database_url}


async def test_starter_starts_good_rows_rejects_bad_ones_and_is_idempotent(dev_env, migrated_sqlite, tmp_path):
    sc = Scenario(dev_env.client, migrated_sqlite)
    prefix = f"ST{uuid.uuid4().hex[:6].upper()}"
    rows = generate_accounts(6, datetime.now(timezone.utc).date(), dpds=[3, 15, 40, 95, -2, 10], prefix=prefix)
    bad = [
        dict(rows[0], account_id=f"{prefix}-BAD1", overdue_amount="abc"),
        dict(rows[1], account_id=f"{prefix}-BAD2", language="fr"),
        dict(rows[2]),  # duplicate of line 4
    ]
    file = tmp_path / "accounts.csv"
    write_csv(file, rows, bad)
    address = dev_env.client.service_client.config.target_host
    env = _env(address, sc.settings.task_queue, migrated_sqlite)

    first = await _run([sys.executable, str(PROJECT_ROOT / "starter.py"), str(file)], env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "line 8" in first.stderr and "overdue_amount" in first.stderr
    assert "line 9" in first.stderr and "language must be one of" in first.stderr
    assert "line 10" in first.stderr and "duplicate account_id (first on line 4)" in first.stderr
    with (tmp_path / "accounts.csv.rejects.csv").open() as handle:
        rejects = list(csv.DictReader(handle))
    assert [(r["line"], r["account_id"]) for r in rejects] == [("8", f"{prefix}-BAD1"), ("9", f"{prefix}-BAD2"), ("10", rows[2]["account_id"])]
    ids = await _wait_for(dev_env.client, f'WorkflowId STARTS_WITH "arrears-{prefix}"', 6)
    assert sorted(ids) == sorted(f"arrears-{r['account_id']}" for r in rows)
    with sc.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Account).where(Account.account_id.startswith(prefix))) == 6

    second = await _run([sys.executable, "-m", "arrears.cli.main", "start", str(file)], env=env, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    summary = [line for line in second.stdout.splitlines() if line.strip().startswith("│")][-1]
    assert [c.strip() for c in summary.strip("│ ").split("│")] == ["9", "0", "6", "3", "0"]
    assert await _wait_for(dev_env.client, f'WorkflowId STARTS_WITH "arrears-{prefix}"', 6) == ids

    async with sc.worker():
        # Status and payment through the operators' CLI.
        target = rows[1]["account_id"]
        await _wait_for(dev_env.client, f'WorkflowId="arrears-{target}" AND CollectionStage="early"', 1)
        # DPD counts in the account's zone (Asia/Shanghai is a day ahead of UTC from 16:00 UTC), never
        # from the machine's date; around local midnight the CLI may see either side of it.
        before = _dpd_now(rows[1])
        shown = await _run([sys.executable, "-m", "arrears.cli.main", "status", target, "--json"], env=env)
        after = _dpd_now(rows[1])
        assert shown.returncode == 0, shown.stderr
        view = json.loads(shown.stdout)
        assert view["dpd"] in {before, after}
        assert (view["stage"], view["bucket"]) == (stage_for_dpd(view["dpd"]).value, bucket_for_dpd(view["dpd"]))
        assert view["stage"] == "early"
        paid = await _run([sys.executable, "-m", "arrears.cli.main", "pay", target, "--amount", "0.01", "--payment-id", "CLI-1"], env=env)
        assert paid.returncode == 0, paid.stderr
        assert "payment CLI-1 recorded" in paid.stdout
        refused = await _run([sys.executable, "-m", "arrears.cli.main", "pay", target, "--amount", "-1", "--payment-id", "CLI-2"], env=env)
        assert refused.returncode == 1 and "payment amount must be positive" in refused.stderr
        for r in rows:
            await dev_env.client.get_workflow_handle(f"arrears-{r['account_id']}").execute_update(
                "close", {"reason": "test done", "operator_id": "pytest"})
        await _wait_for(dev_env.client, f'WorkflowId STARTS_WITH "arrears-{prefix}" AND ExecutionStatus="Completed"', 6)

        # A new episode after a closed one is allowed.
        again = await import_file(dev_env.client, sc.engine, file, task_queue=sc.settings.task_queue, strategy=STRATEGY)
        assert len(again.started) == 6 and not again.already_running
        await asyncio.sleep(1)
        for r in rows:
            await dev_env.client.get_workflow_handle(f"arrears-{r['account_id']}").execute_update(
                "close", {"reason": "test done", "operator_id": "pytest"})
        await _wait_for(dev_env.client, f'WorkflowId STARTS_WITH "arrears-{prefix}" AND ExecutionStatus="Completed"', 12)
    with sc.sessions() as s:
        episodes = s.scalar(select(func.count()).select_from(Episode).where(Episode.account_id == target))
    assert episodes == 2
