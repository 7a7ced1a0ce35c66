"""A whole book on one box: import, opening, one collection day and one bureau cycle.

    .venv/bin/python benchmarks/scale.py --n 100000                     # PostgreSQL at 127.0.0.1 (a schema of its own)
    .venv/bin/python benchmarks/scale.py --n 10000 --day-seconds 300 --database-url sqlite:///scale.db

A file-backed dev server and one `arrears worker` (child processes), the production strategy, N
accounts 1 to 60 days past due. Reports, each with its wall time: the import (accounts/s); the
opening until every episode's row is written and the worker is idle (accounts/s); one collection
day (``--day-seconds`` of real time, the episodes' clock) with the steps it executed and the CPU
seconds of worker and server per account; the bureau cycle for last month; the peak RSS of worker
and server, and the sizes of the record and of the server's file.
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

from sqlalchemy import create_engine, func, select, text  # noqa: E402

from arrears import PROJECT_ROOT  # noqa: E402
from arrears.bureau.cycle import run_cycle  # noqa: E402
from arrears.db.engine import make_engine, make_sessionmaker  # noqa: E402
from arrears.db.migrate import upgrade  # noqa: E402
from arrears.db.models import CollectorTask, ContactAttempt, Episode  # noqa: E402
from arrears.runtime.devserver import free_port, server_command  # noqa: E402
from arrears.domain.bureau import BureauPolicy  # noqa: E402
from arrears.config.strategies import load_strategy  # noqa: E402
from arrears.intake.importer import import_file  # noqa: E402
from arrears.intake.sample import generate_accounts, write_csv  # noqa: E402
from benchmarks.worker_memory import wait_port  # noqa: E402

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TICK = os.sysconf("SC_CLK_TCK")


def status_kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def record_bytes(url: str, schema: str | None) -> int:
    if url.startswith("sqlite"):
        return Path(url.split("///", 1)[1]).stat().st_size
    with create_engine(url).connect() as conn:
        return conn.execute(text(
            "select coalesce(sum(pg_total_relation_size(c.oid)), 0) from pg_class c "
            "join pg_namespace n on n.oid = c.relnamespace where n.nspname = :s and c.relkind = 'r'"),
            {"s": schema}).scalar_one()


async def idle(pid: int, quiet: float = 3.0, busy: float = 0.25, limit: float = 600) -> float:
    """Until the worker's CPU over ``quiet`` seconds falls under ``busy`` of a core (its steady
    pace of collection days then), or ``limit`` seconds; the seconds it took."""
    began = time.perf_counter()
    while time.perf_counter() - began < limit:
        before = cpu_seconds(pid)
        await asyncio.sleep(quiet)
        if cpu_seconds(pid) - before < busy * quiet:
            break
    return time.perf_counter() - began


async def main(args) -> None:
    work = Path(tempfile.mkdtemp(prefix="arrears-scale-"))
    port = free_port()
    server_file = work / "temporal.db"
    server = subprocess.Popen(server_command(server_file, port, None), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    address = f"127.0.0.1:{port}"
    base_url = args.database_url or f"sqlite:///{work / 'arrears.db'}"
    url, schema = base_url, None
    if base_url.startswith("postgresql"):  # a schema of its own, dropped at the end
        schema = f"scale_{os.getpid()}"
        with create_engine(base_url).begin() as conn:
            conn.execute(text(f'create schema "{schema}"'))
        url = f"{base_url}{'&' if '?' in base_url else '?'}options=-csearch_path%3D{schema}"
    upgrade(url)
    env = {**os.environ, "TEMPORAL_ADDRESS": address, "ARREARS_DATABASE_URL": url, "ARREARS_TASK_QUEUE": "scale"}
    worker = None
    try:
        client = await wait_port(address)
        worker = subprocess.Popen([sys.executable, "-m", "arrears.cli.main", "worker"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        await asyncio.sleep(8)
        rss_before = status_kib(worker.pid, "VmRSS")
        today = datetime.now(UTC).date()
        file = work / "accounts.csv"
        write_csv(file, generate_accounts(args.n, today, dpds=list(range(1, 61)), prefix="SC"), [])
        engine = make_engine(url)
        print(f"{args.n} accounts, record {'PostgreSQL' if schema else 'SQLite'}, file-backed dev server, one worker, "
              f"{args.day_seconds:g} s a day ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs)", flush=True)

        began = time.perf_counter()
        summary = await import_file(client, engine, file, task_queue="scale", day_seconds=args.day_seconds,
                                    strategy=load_strategy(PROJECT_ROOT / "strategies" / "default.toml"))
        imported = time.perf_counter() - began
        n = len(summary.started)
        print(f"import:  {imported:8.1f} s  {n / imported:7.1f} accounts/s  ({n} started)", flush=True)

        while (opened := count(engine, Episode)) < n:
            await asyncio.sleep(1)
        opened_at = time.perf_counter() - began
        await idle(worker.pid)
        settled = time.perf_counter() - began
        print(f"opening: {opened_at:8.1f} s  {n / opened_at:7.1f} accounts/s from the first start; "
              f"worker idle after {settled:.1f} s", flush=True)

        worker_cpu, server_cpu = cpu_seconds(worker.pid), cpu_seconds(server.pid)
        steps = count(engine, ContactAttempt) + count(engine, CollectorTask)
        day_began = time.perf_counter()
        await asyncio.sleep(args.day_seconds)
        day = time.perf_counter() - day_began
        worker_cpu, server_cpu = cpu_seconds(worker.pid) - worker_cpu, cpu_seconds(server.pid) - server_cpu
        done = count(engine, ContactAttempt) + count(engine, CollectorTask) - steps
        print(f"one collection day: {day:6.1f} s wall, {done} contacts and tasks; CPU per account: worker "
              f"{worker_cpu / n * 1e3:.2f} ms, server {server_cpu / n * 1e3:.2f} ms", flush=True)

        first_of_month = today.replace(day=1)
        period = (first_of_month - timedelta(days=1)).strftime("%Y-%m")
        began = time.perf_counter()
        result = run_cycle(make_sessionmaker(engine), period, work / "bureau", BureauPolicy(),
                           now=datetime.now(UTC), as_of=first_of_month - timedelta(days=1))
        cycle = time.perf_counter() - began
        print(f"bureau cycle {period}: {cycle:6.1f} s  ({result})"[:300], flush=True)

        print(f"peak RSS: worker {status_kib(worker.pid, 'VmHWM') / 1024:.0f} MB (idle {rss_before / 1024:.0f} MB "
              f"before the import), server {status_kib(server.pid, 'VmHWM') / 1024:.0f} MB")
        record = record_bytes(url if not schema else base_url, schema)
        print(f"sizes: record {record / 2**20:.1f} MB ({record / n / 1024:.1f} KB per account), server file "
              f"{server_file.stat().st_size / 2**20:.1f} MB ({server_file.stat().st_size / n / 1024:.1f} KB per account)")
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGINT)
            worker.wait(timeout=120)
        server.terminate()
        server.wait(timeout=60)
        if schema is not None:
            with create_engine(base_url).begin() as conn:
                conn.execute(text(f'drop schema "{schema}" cascade'))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--database-url", default=POSTGRES, help=f"the record (default {POSTGRES}); sqlite:///FILE")
    parser.add_argument("--day-seconds", type=float, default=3600,
                        help="real seconds per collection day (at least the opening's length, so that it is one day)")
    asyncio.run(main(parser.parse_args()))
