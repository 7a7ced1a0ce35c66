"""A desk update's round trip against a plain Temporal update, side by side on one dev server.

    .venv/bin/python benchmarks/update_latency.py [--n 200] [--accounts 64] [--database-url URL]

Starts a dev server (in memory) and one `arrears worker` in a child process, imports ``--accounts``
accounts (production strategy, 5 to 60 days past due) and waits until every episode is open and the
worker idle. Then, on the same server, in one run:

- ours: ``record_payment`` (one unit of the account's currency, a new payment id each time) at
  concurrency 1 and 16, spread over the open episodes; the handler records the payment and posts its
  ledger entries (one local activity) and answers when that is durable;
- plain: phase e of ``../shared/bench/raw_temporal.py`` (many open workflows; an update whose handler
  returns at once, and one whose handler runs one activity), in a subprocess with its own worker.

Prints p50/p99 of each and the ratio ours / plain-with-one-activity (the goal: p99 at most 1.2x).
"""

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from arrears import PROJECT_ROOT  # noqa: E402
from arrears.contracts.collection import PaymentInput, PaymentResult  # noqa: E402
from arrears.db.engine import make_engine  # noqa: E402
from arrears.db.migrate import upgrade  # noqa: E402
from arrears.db.models import Episode  # noqa: E402
from arrears.runtime.devserver import free_port, server_command  # noqa: E402
from arrears.config.strategies import load_strategy  # noqa: E402
from arrears.intake.importer import import_file  # noqa: E402
from arrears.intake.sample import generate_accounts, write_csv  # noqa: E402
from benchmarks.worker_memory import wait_port  # noqa: E402

RAW = PROJECT_ROOT.parent / "shared" / "bench" / "raw_temporal.py"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100.0 * len(ordered) + 0.5)) - 1))
    return ordered[k]


async def ours(client, handles, n: int, concurrency: int) -> dict:
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            started = time.perf_counter()
            result = await handles[i % len(handles)].execute_update(
                "record_payment", PaymentInput(payment_id=f"bench-{uuid.uuid4().hex[:12]}", amount=Decimal(1)),
                result_type=PaymentResult)
            latencies.append(time.perf_counter() - started)
            assert result.accepted, result

    began = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    wall = time.perf_counter() - began
    return {"n": n, "p50_ms": pct(latencies, 50) * 1e3, "p99_ms": pct(latencies, 99) * 1e3, "per_s": n / wall}


def plain(address: str, n: int, raw: Path, work: Path) -> dict:
    out = work / "raw.json"
    subprocess.run([sys.executable, str(raw), "run", "--address", address, "--only", "e", "--n-update", str(n),
                    "--json-out", str(out)], check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())["e_update_many"]


async def main(args) -> None:
    work = Path(tempfile.mkdtemp(prefix="arrears-upd-"))
    port = free_port()
    server = subprocess.Popen(server_command(None, port, None), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    address = f"127.0.0.1:{port}"
    url = args.database_url or f"sqlite:///{work / 'arrears.db'}"
    upgrade(url)
    env = {**os.environ, "TEMPORAL_ADDRESS": address, "ARREARS_DATABASE_URL": url, "ARREARS_TASK_QUEUE": "upd"}
    worker = None
    try:
        client = await wait_port(address)
        worker = subprocess.Popen([sys.executable, "-m", "arrears.cli.main", "worker"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rows = generate_accounts(args.accounts, datetime.now(UTC).date(), dpds=list(range(5, 61)), prefix="UPD")
        file = work / "accounts.csv"
        write_csv(file, rows, [])
        engine = make_engine(url)
        summary = await import_file(client, engine, file, task_queue="upd",
                                    strategy=load_strategy(PROJECT_ROOT / "strategies" / "default.toml"))
        opened = 0
        while opened < len(summary.started):
            with engine.connect() as conn:
                opened = conn.execute(select(func.count()).select_from(Episode)).scalar_one()
            await asyncio.sleep(0.25)
        await asyncio.sleep(5)  # the opening catch-ups finish
        handles = [client.get_workflow_handle(f"arrears-{row['account_id']}") for row in rows]
        await ours(client, handles, 10, 1)  # warm-up
        figures = {}
        # Take turns: plain first, then ours, so neither side always runs on a warmer server.
        base = plain(address, args.n, Path(args.raw_script), work)
        for concurrency in (1, 16):
            figures[concurrency] = await ours(client, handles, args.n, concurrency)
        print(f"update round trip, {args.n} updates per row, {len(handles)} open episodes, one server "
              f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)")
        print(f"{'':28} {'c=1 p50':>9} {'p99':>8} {'c=16 p50':>10} {'p99':>8}")
        for label, key in (("plain update", "plain"), ("plain + one activity", "activity")):
            c1, c16 = base[f"{key}_c1"], base[f"{key}_c16"]
            print(f"{label:28} {c1['p50_ms']:>9.0f} {c1['p99_ms']:>8.0f} {c16['p50_ms']:>10.0f} {c16['p99_ms']:>8.0f}")
        c1, c16 = figures[1], figures[16]
        print(f"{'record_payment (ours)':28} {c1['p50_ms']:>9.0f} {c1['p99_ms']:>8.0f} {c16['p50_ms']:>10.0f} "
              f"{c16['p99_ms']:>8.0f}")
        a1, a16 = base["activity_c1"], base["activity_c16"]
        print(f"{'ratio ours / one activity':28} {c1['p50_ms'] / a1['p50_ms']:>9.2f} {c1['p99_ms'] / a1['p99_ms']:>8.2f} "
              f"{c16['p50_ms'] / a16['p50_ms']:>10.2f} {c16['p99_ms'] / a16['p99_ms']:>8.2f}   (goal: p99 <= 1.2)")
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGINT)
            worker.wait(timeout=60)
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="updates per measurement")
    parser.add_argument("--accounts", type=int, default=64, help="open episodes the updates are spread over")
    parser.add_argument("--database-url", help="the record (default: a new SQLite file)")
    parser.add_argument("--raw-script", default=str(RAW))
    asyncio.run(main(parser.parse_args()))
