"""Every CLI error is one line with the right exit code, never a traceback (the real entry point, in a subprocess)."""

import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError

from arrears.cli.errors import describe
from arrears.contracts.collection import EpisodeInput
from arrears.contracts.names import workflow_id_for
from arrears.db.engine import make_engine, make_sessionmaker
from arrears.db.models import Episode
from arrears.intake.importer import upsert_accounts
from tests.integration.test_devserver import _env, _run
from tests.workflow.helpers import DEFAULT, account_row

CLI = [sys.executable, "-m", "arrears.cli.main"]


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120, env=env)


def _one_line(result: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    "args, field",
    [
        (["--payment-id", ""], "payment_id"),
        (["--payment-id", "P" * 65], "payment_id"),
        (["--payment-id", "P-1", "--channel", ""], "channel"),
        (["--payment-id", "P-1", "--amount", "1e309"], "amount"),
        (["--payment-id", "P-1", "--amount", "1e-30"], "amount"),
        (["--payment-id", "P\x01-1"], "payment_id"),
    ],
)
def test_bad_payment_arguments_are_one_line_and_exit_2(args, field, tmp_path):
    if "--amount" not in args:
        args = [*args, "--amount", "10.00"]
    # No Temporal anywhere: the arguments are refused before any connection is tried.
    env = _env("127.0.0.1:1", "tq-none", f"sqlite:///{tmp_path}/none.db")
    result = _cli("pay", "ACC1", *args, env=env)
    assert result.returncode == 2, result.stderr
    line = _one_line(result)
    assert line.startswith("error:") and field in line, line


@pytest.mark.parametrize("args", [["pay", "ACC1"], ["desk", "outcome", "ACC1", "--task-id", "abc", "--outcome", "x",
                                                 "--collector", "c"], ["no-such-command"]])
def test_usage_errors_are_one_line_and_exit_2(args, tmp_path):
    result = _cli(*args, env=_env("127.0.0.1:1", "tq-none", f"sqlite:///{tmp_path}/none.db"))
    assert result.returncode == 2, result.stderr
    assert _one_line(result).startswith("error: ")


def test_unreachable_temporal_is_one_line_and_exit_1(tmp_path):
    env = _env("127.0.0.1:1", "tq-none", f"sqlite:///{tmp_path}/none.db")
    result = _cli("pay", "ACC1", "--payment-id", "P-1", "--amount", "10", env=env)
    assert result.returncode == 1, result.stderr
    assert "cannot reach Temporal at 127.0.0.1:1" in _one_line(result)


def test_an_update_timeout_says_it_may_be_recorded_and_retrying_is_safe():
    message, code = describe(WorkflowUpdateRPCTimeoutOrCancelledError())
    assert code == 1
    assert "may or may not have been recorded" in message and "Retrying with the same id is safe" in message


async def test_status_with_no_worker_says_so_and_shows_the_record(dev_env, migrated_sqlite):
    """The episode's queue has no worker: the CLI says so at once and shows the record's view, marked."""
    tag = uuid.uuid4().hex[:8].upper()
    account, queue = f"NW{tag}", f"tq-nobody-{tag}"
    due = datetime.now(timezone.utc).date() - timedelta(days=12)
    row = account_row(account, due, tz="Asia/Shanghai")
    engine = make_engine(migrated_sqlite)
    upsert_accounts(engine, [row], datetime.now(timezone.utc))
    with make_sessionmaker(engine).begin() as session:  # opened earlier by a worker that is gone now
        session.add(Episode(episode_id=f"ep-{tag}", account_id=account, workflow_id=workflow_id_for(account),
                            run_id="r", started_at=datetime.now(timezone.utc), due_date=due, dpd_at_start=12,
                            currency="CNY", opening_overdue=Decimal("1000.00"), opening_balance=Decimal("5000.00"),
                            risk_segment="medium", strategy_name=DEFAULT.name, strategy_hash=DEFAULT.content_hash()))
    handle = await dev_env.client.start_workflow(
        "AccountCollection",
        EpisodeInput(account_id=account, currency="CNY", overdue_amount=Decimal("1000.00"),
                     total_balance=Decimal("5000.00"), due_date=due, timezone="Asia/Shanghai",
                     risk_segment="medium", strategy=DEFAULT, strategy_hash=DEFAULT.content_hash()),
        id=workflow_id_for(account), task_queue=queue)
    try:
        env = _env(dev_env.client.service_client.config.target_host, "arrears", migrated_sqlite)
        result = await _run([*CLI, "status", account], env=env)
        assert result.returncode == 1
        line = _one_line(result)
        assert line == f"error: no worker is polling task queue '{queue}' — start one with `arrears worker`"
        assert "Timeout expired" not in result.stdout + result.stderr
        assert "from the system of record (not the running episode)" in result.stdout
        assert "opened with overdue CNY 1000.00" in result.stdout and "payments recorded: 0" in result.stdout
        # An update with nobody to answer it: one line after the wait, saying a retry with the same id is safe.
        paid = await _run([*CLI, "pay", account, "--amount", "10.00", "--payment-id", "P-WAIT"],
                          env={**env, "ARREARS_UPDATE_WAIT_SECONDS": "2"})
        assert paid.returncode == 1
        line = _one_line(paid)
        assert "may or may not have been recorded" in line and "Retrying with the same id is safe" in line, line
    finally:
        await handle.terminate("test done")
