"""Worker memory per cached episode, and the open rate after an import, on a real dev server.

    .venv/bin/python benchmarks/worker_memory.py [--n 1000] [--sandbox default|passthrough]

Starts a dev server (in memory) and one `arrears worker` in a child process, imports N accounts
(production strategy, due dates spread over the last 60 days), and waits until every episode is
opened (its row written) and the worker is idle. Prints: the import rate (accounts/s), the open rate
(accounts opened per second from the first start until all are open), the worker's resident memory
before and after (VmRSS) and per cached workflow, and the serialized size of an episode's state.
"""

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402
from temporalio.client import Client  # noqa: E402
from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402

from arrears import PROJECT_ROOT  # noqa: E402
from arrears.db.engine import make_engine  # noqa: E402
from arrears.db.migrate import upgrade  # noqa: E402
from arrears.db.models import Episode  # noqa: E402
from arrears.runtime.devserver import free_port, server_command  # noqa: E402
from arrears.domain import transitions as T  # noqa: E402
from arrears.domain.clock import EpisodeClock  # noqa: E402
from arrears.domain.strategy import Segment  # noqa: E402
from arrears.config.strategies import load_strategy  # noqa: E402
from arrears.intake.importer import import_file  # noqa: E402
from arrears.intake.sample import generate_accounts, write_csv  # noqa: E402


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def state_bytes() -> int:
    strategy = load_strategy(PROJECT_ROOT / "strategies" / "default.toml")
    now = datetime.now(UTC)
    terms = T.Terms("ACC000001", "CNY", "Asia/Shanghai", now.date() - timedelta(days=20), __import__("decimal").Decimal(
        "1200.00"), __import__("decimal").Decimal("8000.00"), strategy)
    ep = T.start(terms, "episode-id-0000000000000000000000", EpisodeClock(anchor_real=now, anchor_virtual=now),
                 Segment.HIGH, now)
    return len(ep.model_dump_json())


async def wait_port(address: str) -> Client:
    for _ in range(200):
        try:
            return await Client.connect(address, data_converter=pydantic_data_converter)
        except Exception:  # noqa: BLE001 - not up yet
            await asyncio.sleep(0.1)
    raise RuntimeError("dev server did not start")


async def main(args) -> None:
    work = Path(tempfile.mkdtemp(prefix="arrears-mem-"))
    port = free_port()
    server = subprocess.Popen(server_command(None, port, None), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    address = f"127.0.0.1:{port}"
    url = args.database_url or f"sqlite:///{work / 'arrears.db'}"
    schema = None
    if url.startswith("postgresql"):  # a schema of its own, dropped at the end
        from sqlalchemy import create_engine, text
        schema = f"bench_{os.getpid()}"
        with create_engine(url).begin() as conn:
            conn.execute(text(f'create schema "{schema}"'))
        url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    upgrade(url)
    env = {**os.environ, "TEMPORAL_ADDRESS": address, "ARREARS_DATABASE_URL": url, "ARREARS_TASK_QUEUE": "mem"}
    env["ARREARS_WORKFLOW_SANDBOX"] = args.sandbox
    worker = None
    try:
        client = await wait_port(address)
        command = [sys.executable, "-m", "arrears.cli.main", "worker"]
        if args.profile:  # where the worker's time goes while episodes open (py-spy, a flame graph)
            command = [str(Path(sys.executable).parent / "py-spy"), "record", "--format", "raw", "-o", args.profile,
                       "--", *command]
        worker = subprocess.Popen(command, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        await asyncio.sleep(8)  # connected, the recurring workflows started, caches warm
        pid = worker.pid if not args.profile else int(subprocess.run(
            ["pgrep", "-f", "-n", "arrears.cli.main worker"], capture_output=True, text=True).stdout.split()[0])
        before = rss_kib(pid)
        rows = generate_accounts(args.n, datetime.now(UTC).date(), dpds=list(range(1, 61)), prefix="MEM")
        file = work / "accounts.csv"
        write_csv(file, rows, [])
        engine = make_engine(url)
        start = time.perf_counter()
        summary = await import_file(client, engine, file, task_queue="mem",
                                    strategy=load_strategy(PROJECT_ROOT / "strategies" / "default.toml"))
        imported = time.perf_counter() - start
        opened = 0
        while opened < len(summary.started):
            with engine.connect() as conn:
                opened = conn.execute(select(func.count()).select_from(Episode)).scalar_one()
            await asyncio.sleep(0.25)
        open_secs = time.perf_counter() - start
        await asyncio.sleep(5)  # the opening catch-ups finish; the worker goes idle
        after = rss_kib(pid)
        n = len(summary.started)
        print(f"accounts {n}: import {n / imported:.1f}/s ({imported:.1f} s), all opened after {open_secs:.1f} s "
              f"({n / open_secs:.1f}/s; open/import {imported / open_secs:.2f})")
        print(f"worker RSS {before / 1024:.0f} MB before, {after / 1024:.0f} MB with {n} cached: "
              f"{(after - before) / n:.0f} KB per cached workflow (sandbox {args.sandbox})")
        print(f"episode state, serialized: {state_bytes()} bytes")
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGINT)
            worker.wait(timeout=60)
        server.terminate()
        server.wait(timeout=30)
        if schema is not None:
            from sqlalchemy import create_engine, text
            with create_engine(args.database_url).begin() as conn:
                conn.execute(text(f'drop schema "{schema}" cascade'))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--database-url", help="the record (default: a new SQLite file); e.g. "
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--profile", help="write a py-spy profile of the worker (raw format) to this file")
    parser.add_argument("--sandbox", default="shared", choices=("shared", "isolated", "off"))
    asyncio.run(main(parser.parse_args()))
