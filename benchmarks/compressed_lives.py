"""Compressed-time lives: N uncured episodes against N plain workflows with the same timers and activities.

    .venv/bin/python benchmarks/compressed_lives.py [--n 100] [--day-seconds 0.5]

On one dev server (in memory): N high-risk accounts due yesterday on the production strategy, days of
``--day-seconds``, never paying, each run to its charge-off by one `arrears worker` (a child process);
then N ``LadderLike`` workflows (benchmarks/plain_variants.py, their own worker process) with as many
steps as an episode executed, each a timer and one activity, spread over the same ideal life. Prints
both wall times, the ideal, and the ratio ours / plain (the goal: at most 1.5).
"""

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from arrears import PROJECT_ROOT  # noqa: E402
from arrears.contracts.collection import EpisodeResult  # noqa: E402
from arrears.db.engine import make_engine  # noqa: E402
from arrears.db.migrate import upgrade  # noqa: E402
from arrears.runtime.devserver import free_port, server_command  # noqa: E402
from arrears.config.strategies import load_strategy  # noqa: E402
from arrears.intake.importer import import_file  # noqa: E402
from arrears.intake.sample import generate_accounts, write_csv  # noqa: E402
from benchmarks.worker_memory import wait_port  # noqa: E402

HERE = Path(__file__).resolve().parent
LIFE_DAYS = 180


async def main(args) -> None:
    work = Path(tempfile.mkdtemp(prefix="arrears-lives-"))
    port = free_port()
    server = subprocess.Popen(server_command(None, port, None), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    address = f"127.0.0.1:{port}"
    url = args.database_url or f"sqlite:///{work / 'arrears.db'}"
    upgrade(url)
    env = {**os.environ, "TEMPORAL_ADDRESS": address, "ARREARS_DATABASE_URL": url, "ARREARS_TASK_QUEUE": "lives"}
    workers: list[subprocess.Popen] = []
    try:
        client = await wait_port(address)
        workers.append(subprocess.Popen([sys.executable, "-m", "arrears.cli.main", "worker"], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        await asyncio.sleep(5)
        rows = generate_accounts(args.n, datetime.now(UTC).date(), dpds=[1], prefix="LIFE")
        for row in rows:
            row["risk_segment"] = "high"
        file = work / "accounts.csv"
        write_csv(file, rows, [])
        ideal = LIFE_DAYS * args.day_seconds
        began = time.perf_counter()
        summary = await import_file(client, make_engine(url), file, task_queue="lives", day_seconds=args.day_seconds,
                                    strategy=load_strategy(PROJECT_ROOT / "strategies" / "default.toml"))
        results = await asyncio.gather(*(client.get_workflow_handle(f"arrears-{r['account_id']}",
                                                                    result_type=EpisodeResult).result()
                                         for r in rows[:len(summary.started)]))
        ours = time.perf_counter() - began
        outcomes = sorted({r.outcome.value for r in results})
        steps = int(statistics.median(r.steps_done for r in results))

        workers.append(subprocess.Popen([sys.executable, str(HERE / "plain_variants.py"), "worker", "--address", address,
                                         "--task-queue", "plain-lives"], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL))
        await asyncio.sleep(3)
        began = time.perf_counter()
        gap = ideal / steps
        handles = await asyncio.gather(*(client.start_workflow("LadderLike", args=[steps, gap], id=f"plain-life-{i}",
                                                               task_queue="plain-lives",
                                                               execution_timeout=timedelta(hours=2))
                                          for i in range(args.n)))
        await asyncio.gather(*(h.result() for h in handles))
        plain = time.perf_counter() - began

        print(f"{args.n} lives of {LIFE_DAYS} days at {args.day_seconds} s a day (ideal {ideal:.0f} s), one server "
              f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)")
        print(f"ours:  {ours:7.1f} s  ({len(results)} episodes, outcomes {outcomes}, median {steps} steps executed)")
        print(f"plain: {plain:7.1f} s  ({args.n} x {steps} x (timer {gap:.2f} s + one activity))")
        print(f"ratio ours / plain: {ours / plain:.2f}   (goal: <= 1.5); ours / ideal {ours / ideal:.2f}, "
              f"plain / ideal {plain / ideal:.2f}")
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGINT)
            worker.wait(timeout=60)
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--day-seconds", type=float, default=0.5)
    parser.add_argument("--database-url", help="the record (default: a new SQLite file)")
    asyncio.run(main(parser.parse_args()))
