#!/usr/bin/env python3
"""Import memory: peak RSS and rows/s of arrears.intake.importer.import_file on a generated N-row file.

The importer reads, validates, records and starts in batches, so its memory
should stay flat in the file's size (target: a 300,000-row file under about
200 MB peak RSS). The file is generated first (in chunks, never held whole);
the import then runs in a fresh child process so that its peak RSS
(``ru_maxrss``) is the import's alone, against a migrated SQLite database.

Starts: by default each start is encoded with Temporal's pydantic payload
converter exactly as the client would send it and then answered at once by
an in-process stand-in, which isolates the importer's own memory and speed
(a real server starts about 100 episodes/s here: 300,000 starts would take
most of an hour; see benchmarks/start_rate.py for that rate). With
``--address HOST:PORT`` the starts go to a real Temporal server instead.

Usage (from the repository root):
  .venv/bin/python benchmarks/import_memory.py --n 300000
  .venv/bin/python benchmarks/import_memory.py --n 20000 --address 127.0.0.1:7233
"""

import argparse
import asyncio
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


def generate(path: Path, n: int) -> None:
    from arrears.intake.sample import COLUMNS, generate_accounts

    chunk = 10_000
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for start in range(0, n, chunk):
            rows = generate_accounts(min(chunk, n - start), date.today(), seed=start, prefix=f"M{start // chunk:04d}X")
            writer.writerows(rows)


class StandInClient:
    """Answers starts at once after encoding the input as the real client would (payload conversion)."""

    def __init__(self) -> None:
        from temporalio.contrib.pydantic import pydantic_data_converter

        self.converter = pydantic_data_converter.payload_converter
        self.starts = 0

    async def start_workflow(self, workflow, arg, **kwargs):
        self.converter.to_payloads([arg])
        self.starts += 1
        await asyncio.sleep(0)


async def measure(path: Path, address: str | None) -> dict:
    from arrears.db.engine import make_engine
    from arrears.db.migrate import upgrade
    from arrears.config.strategies import load_strategy
    from arrears.intake.importer import import_file

    workdir = Path(tempfile.mkdtemp(prefix="import-memory-"))
    url = f"sqlite:///{workdir}/arrears.db"
    upgrade(url)
    if address:
        from temporalio.client import Client
        from temporalio.contrib.pydantic import pydantic_data_converter

        client = await Client.connect(address, data_converter=pydantic_data_converter)
    else:
        client = StandInClient()
    strategy = load_strategy(REPO_ROOT / "strategies" / "default.toml")
    began = time.perf_counter()
    summary = await import_file(client, make_engine(url), path, task_queue="import-memory", strategy=strategy,
                                reject_path=workdir / "rejects.csv")
    wall = time.perf_counter() - began
    return {"rows": summary.rows, "started": len(summary.started), "rejected": len(summary.rejected),
            "failed": len(summary.failed), "wall_s": round(wall, 1), "rows_per_s": round(summary.rows / wall),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=300_000)
    parser.add_argument("--address", help="a Temporal frontend to start on (default: the in-process stand-in)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child's half
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(asyncio.run(measure(args.measure, args.address))))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "portfolio.csv"
        generate(path, args.n)
        size_mb = path.stat().st_size / 1e6
        child = [sys.executable, __file__, "--measure", str(path)] + (["--address", args.address] if args.address else [])
        out = subprocess.run(child, capture_output=True, text=True, check=True, env={**os.environ})
        figures = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"starts: {'Temporal at ' + args.address if args.address else 'encoded, answered in process'}")
    print(f"file: {args.n:,} rows, {size_mb:.1f} MB")
    print(f"import: {figures['rows']:,} rows ({figures['started']:,} started, {figures['rejected']:,} rejected, "
          f"{figures['failed']:,} failed) in {figures['wall_s']} s = {figures['rows_per_s']:,} rows/s")
    print(f"peak RSS of the importing process: {figures['peak_rss_mb']} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
