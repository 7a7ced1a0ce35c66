#!/usr/bin/env python3
"""Start rate: accounts started per second by the importer vs plain Temporal.

On one dev server that this script starts itself (free ports; a persistence
file in a temp dir by default, as the product's embedded server), each round
measures, in alternating order so that noise hits both sides alike:

  plain  ../shared/bench/raw_temporal.py phase a1: N trivial workflows started
         at concurrency C with no worker polling (a subprocess with this same
         Python). Its phase a2 (a worker polling) runs too and is shown, but the
         comparison is against a1.
  ours   arrears.intake.importer.import_file() on an N-row generated CSV (unique
         account ids each round), no worker polling either: file validation,
         account upserts into the system of record, one AccountCollection start
         per row. Wall clock from the call to its return; starts/s = started / wall.

Ours is also broken down (timing wrappers around upsert_accounts and
start_episode, plus validate_rows timed on its own), and the Temporal server's
CPU use during our import is read from /proc.

Usage (from the repository root):
  .venv/bin/python benchmarks/start_rate.py --n 2000
  .venv/bin/python benchmarks/start_rate.py --n 2000 --server memory
  .venv/bin/python benchmarks/start_rate.py --database-url postgresql+psycopg://user@host/db
"""

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Self

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from temporalio.client import Client

from arrears.intake import importer
from arrears.runtime.connect import connect
from arrears.contracts.names import workflow_id_for
from arrears.db.engine import make_engine
from arrears.db.migrate import upgrade
from arrears.runtime.devserver import start_dev_server, temporal_binary
from arrears.config.strategies import load_strategy
from arrears.intake.sample import generate_accounts, write_csv
from arrears.config.settings import load_settings

DEFAULT_RAW = REPO_ROOT.parent / "shared" / "bench" / "raw_temporal.py"
DEFAULT_STRATEGY = REPO_ROOT / "strategies" / "default.toml"
GOAL = 0.9


# ---- helpers -------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(p / 100.0 * len(s) + 0.5) - 1))
    return s[k]


def proc_cpu_s(pid: int) -> float | None:
    """utime + stime of a process, in seconds (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def code_version() -> str:
    """The commit measured (and whether the tree had local changes)."""
    try:
        head = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
                              check=False, capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
                               check=False, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}{' +local changes' if dirty else ''}" if head else "unknown"


def temporal_version() -> str:
    out = subprocess.run([temporal_binary(), "--version"], check=False, capture_output=True, text=True, timeout=30)
    return out.stdout.strip()


def redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}" if ":" in creds else url
    return url


async def bounded(n: int, concurrency: int, fn) -> list:
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int):
        async with gate:
            return await fn(i)

    return await asyncio.gather(*(one(i) for i in range(n)))


async def settle(pid: int, idle_pct: float, max_s: float) -> float:
    """Wait until the server's CPU over a 1 s window drops below idle_pct (it keeps working
    through terminations and visibility tasks after a burst); returns the seconds waited."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < max_s:
        c0 = proc_cpu_s(pid)
        await asyncio.sleep(1.0)
        c1 = proc_cpu_s(pid)
        if c0 is None or c1 is None or 100 * (c1 - c0) < idle_pct:
            break
    return time.perf_counter() - t0


async def wait_ready(address: str, timeout: float = 60) -> None:
    """The port listens before the frontend serves the namespace; wait for both."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            client = await Client.connect(address)  # calls GetSystemInfo
            handle = await client.start_workflow("BenchReadyProbe", id=f"probe-{uuid.uuid4().hex}", task_queue="probe")
            await handle.terminate()
            return
        except Exception:  # not ready yet
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def plain_start_loop(address: str, n: int, concurrency: int, tag: str) -> dict:
    """Fallback equivalent of raw_temporal.py phase a1 (in this process, default converter)."""
    client = await Client.connect(address)
    tq = f"a-{tag}-nw"
    lat: list[float] = []

    async def start(i: int):
        t = time.perf_counter()
        h = await client.start_workflow(
            "WaitSignalWorkflow", id=f"{tq}-{i}", task_queue=tq, execution_timeout=timedelta(minutes=30)
        )
        lat.append(time.perf_counter() - t)
        return h

    t0 = time.perf_counter()
    handles = await bounded(n, concurrency, start)
    wall = time.perf_counter() - t0
    await bounded(len(handles), concurrency, lambda i: handles[i].terminate())  # not timed
    return {"n": n, "wall_s": wall, "starts_per_s": n / wall, "p50_ms": pct(lat, 50) * 1e3, "p99_ms": pct(lat, 99) * 1e3}


# The four attributes every episode is started with (arrears.intake.importer.initial_search_attributes):
# plain starts that set as many are the fair anchor for a starter that indexes what it starts.
SAME_ATTRIBUTES = "CollectionStage=Keyword,DelinquencyBucket=Keyword,RiskSegment=Keyword,OverdueAmount=Double"


# ---- the two measurements --------------------------------------------------------


async def measure_plain(args, address: str, workdir: Path, rnd: int, tag: str) -> dict:
    if args.raw_script is None:
        a1 = await plain_start_loop(address, args.n, args.concurrency, f"{tag}r{rnd}")
        return {"source": "builtin", "a1": a1, "a2": None}
    out = workdir / f"raw-r{rnd}.json"
    log = workdir / f"raw-r{rnd}.log"
    cmd = [sys.executable, str(args.raw_script), "run", "--address", address, "--only", "a",
           "--n-start", str(args.n), "--concurrency", str(args.concurrency), "--json-out", str(out),
           "--tag", f"{tag}r{rnd}", "--search-attributes", SAME_ATTRIBUTES]
    with log.open("wb") as fh:
        proc = await asyncio.create_subprocess_exec(*cmd, stdout=fh, stderr=subprocess.STDOUT)
        rc = await proc.wait()
    if rc != 0 or not out.exists():
        sys.stderr.write(log.read_text(errors="replace")[-4000:])
        raise SystemExit(f"raw_temporal.py failed (exit {rc}): {' '.join(cmd)}")
    data = json.loads(out.read_text())
    return {"source": "raw_temporal.py", "a1": data["a1_start_no_worker"], "a2": data.get("a2_start_with_worker"),
            "a3": data.get("a3_start_with_search_attributes")}


class Instrument:
    """Timing wrappers around the importer's two I/O steps (module globals, looked up per call)."""

    def __init__(self) -> None:
        self.orig_upsert = importer.upsert_accounts
        self.orig_start = importer.start_episode
        self.upserts: list[tuple[float, float]] = []
        self.start_lat: list[float] = []

    def __enter__(self) -> Self:
        def upsert(*a, **kw):
            t = time.perf_counter()
            try:
                return self.orig_upsert(*a, **kw)
            finally:
                self.upserts.append((t, time.perf_counter()))

        async def start(*a, **kw):
            t = time.perf_counter()
            try:
                return await self.orig_start(*a, **kw)
            finally:
                self.start_lat.append(time.perf_counter() - t)

        importer.upsert_accounts = upsert
        importer.start_episode = start
        return self

    def __exit__(self, *exc) -> None:
        importer.upsert_accounts = self.orig_upsert
        importer.start_episode = self.orig_start


async def measure_ours(args, client: Client, engine, strategy, server_pid: int, workdir: Path, rnd: int, tag: str) -> dict:
    path = workdir / f"accounts-r{rnd}.csv"
    prefix = f"B{tag}R{rnd}-"
    write_csv(path, generate_accounts(args.n, date.today(), seed=rnd, prefix=prefix))

    t = time.perf_counter()
    good, bad = importer.validate_rows(path)
    validate_s = time.perf_counter() - t
    if len(good) != args.n or bad:
        raise SystemExit(f"generated file did not validate: {len(good)} good, {len(bad)} bad")

    server_cpu0, own_cpu0 = proc_cpu_s(server_pid), time.process_time()
    with Instrument() as ins:
        t0 = time.perf_counter()
        summary = await importer.import_file(
            client, engine, path, task_queue=f"bench-{tag}-r{rnd}", strategy=strategy,
            day_seconds=86_400, concurrency=args.concurrency,
        )
        wall = time.perf_counter() - t0
    server_cpu1, own_cpu1 = proc_cpu_s(server_pid), time.process_time()

    problems = []
    if len(summary.started) != args.n:
        problems.append(f"started {len(summary.started)} of {args.n}")
    for name in ("already_running", "rejected", "failed"):
        if getattr(summary, name):
            items = getattr(summary, name)
            problems.append(f"{len(items)} {name} (first: {items[0]})")
    if problems:
        raise SystemExit("import did not start every account: " + "; ".join(problems))

    upsert_s = sum(e - s for s, e in ins.upserts)
    result = {
        "n": args.n,
        "wall_s": wall,
        "starts_per_s": len(summary.started) / wall,
        "validate_s": validate_s,
        "upsert_s": upsert_s,
        "upsert_batches": len(ins.upserts),
        "start_p50_ms": pct(ins.start_lat, 50) * 1e3,
        "start_p99_ms": pct(ins.start_lat, 99) * 1e3,
        "server_cpu_pct": None if server_cpu0 is None or server_cpu1 is None
        else 100 * (server_cpu1 - server_cpu0) / wall,
        "client_cpu_pct": 100 * (own_cpu1 - own_cpu0) / wall,
    }

    if not args.keep_running:  # symmetric with raw_temporal.py, which terminates its workflows; not timed
        ids = summary.started
        await bounded(len(ids), args.concurrency,
                      lambda i: client.get_workflow_handle(workflow_id_for(ids[i])).terminate("benchmark done"))
    return result


# ---- main ----------------------------------------------------------------------------


def summarize(rounds: list[dict]) -> dict:
    plain = [r["plain"]["a1"]["starts_per_s"] for r in rounds]
    ours = [r["ours"]["starts_per_s"] for r in rounds]
    out = {
        "plain_median": statistics.median(plain), "ours_median": statistics.median(ours),
        "plain_mean": statistics.mean(plain), "ours_mean": statistics.mean(ours),
        "round_ratios": [o / p for o, p in zip(ours, plain, strict=True)],
    }
    out["ratio_of_medians"] = out["ours_median"] / out["plain_median"]
    out["ratio_of_means"] = out["ours_mean"] / out["plain_mean"]
    with_sas = [r["plain"]["a3"]["starts_per_s"] for r in rounds if r["plain"].get("a3")]
    if with_sas:
        out["plain_sas_median"] = statistics.median(with_sas)
        out["ratio_vs_sas"] = out["ours_median"] / out["plain_sas_median"]
    out["goal"] = GOAL
    out["goal_met"] = out["ratio_of_medians"] >= GOAL
    return out


def print_report(args, meta: dict, rounds: list[dict], summ: dict) -> None:
    print()
    print(f"start rate, N={args.n}, concurrency={args.concurrency}, server={args.server}, "
          f"database={meta['database']}, plain={meta['plain_source']}")
    hdr = (f"{'round':>5}  {'order':<11} {'plain a1/s':>10} {'ours/s':>8} {'ratio':>6}   "
           f"{'(a2/s)':>7}  {'ours wall':>9} {'validate':>8} {'upsert':>7} {'starts p50/p99 ms':>18} "
           f"{'srv cpu':>7} {'cli cpu':>7}")
    print(hdr)
    print("-" * len(hdr))
    for r in rounds:
        p, o = r["plain"], r["ours"]
        a2 = f"{p['a2']['starts_per_s']:.0f}" if p.get("a2") else "-"
        srv = f"{o['server_cpu_pct']:.0f}%" if o["server_cpu_pct"] is not None else "-"
        print(f"{r['round']:>5}  {r['order']:<11} {p['a1']['starts_per_s']:>10.1f} {o['starts_per_s']:>8.1f} "
              f"{o['starts_per_s'] / p['a1']['starts_per_s']:>6.2f}   {a2:>7}  {o['wall_s']:>8.2f}s "
              f"{o['validate_s'] * 1e3:>6.0f}ms {o['upsert_s']:>6.2f}s "
              f"{o['start_p50_ms']:>8.0f} / {o['start_p99_ms']:<7.0f} {srv:>7} {o['client_cpu_pct']:>6.0f}%")
    print("-" * len(hdr))
    print(f"median  plain {summ['plain_median']:.1f}/s  ours {summ['ours_median']:.1f}/s  "
          f"ratio {summ['ratio_of_medians']:.2f}")
    print(f"mean    plain {summ['plain_mean']:.1f}/s  ours {summ['ours_mean']:.1f}/s  "
          f"ratio {summ['ratio_of_means']:.2f}")
    if "ratio_vs_sas" in summ:
        print(f"median  plain with the same 4 search attributes (a3) {summ['plain_sas_median']:.1f}/s  "
              f"ratio {summ['ratio_vs_sas']:.2f}   (goal: >= 0.95)")
    verdict = "MET" if summ["goal_met"] else "NOT met"
    print(f"goal >= {GOAL}x plain (ratio of medians): {verdict}")
    print("plain a1 latency p50/p99 ms: " + ", ".join(
        f"r{r['round']} {r['plain']['a1']['p50_ms']:.0f}/{r['plain']['a1']['p99_ms']:.0f}" for r in rounds))
    print(f"ours: wall = the whole import_file call (validation, account upserts in batches of {importer.BATCH}, "
          "starts); validate = validate_rows timed on its own; upsert = summed time inside upsert_accounts "
          "(a worker thread); srv/cli cpu = Temporal server / this process CPU during our import "
          "(100% = one core).")


async def main_async(args) -> int:
    raw = args.raw_script
    if raw is not None and not raw.exists():
        print(f"NOTE: {raw} not found; using the built-in plain start loop (same shape as its phase a1).")
        args.raw_script = None

    workdir = Path(tempfile.mkdtemp(prefix="arrears-bench-"))
    server = None
    engine = None
    try:
        db_file = workdir / "temporal.db" if args.server == "file" else None
        server = start_dev_server(db_file, ui=False, log_file=workdir / "temporal.log")
        await wait_ready(server.address)
        database_url = args.database_url or f"sqlite:///{workdir / 'arrears.db'}"
        upgrade(database_url)
        engine = make_engine(database_url)
        settings = load_settings(temporal_address=server.address, database_url=database_url)
        client = await connect(settings)
        strategy = load_strategy(args.strategy)
        tag = uuid.uuid4().hex[:6]
        meta = {
            "database": redact(database_url) if args.database_url else "sqlite (temp file)",
            "plain_source": "raw_temporal.py" if args.raw_script else "built-in loop (raw_temporal.py missing)",
            "server_address": server.address,
            "temporal": temporal_version(),
            "code": code_version(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "loadavg_at_start": os.getloadavg(),
        }
        print(f"code {meta['code']}; {meta['temporal']}; Python {meta['python']}; {meta['cpus']} CPUs; "
              f"load {meta['loadavg_at_start'][0]:.2f}; server {args.server} at {server.address}; workdir {workdir}")

        if args.warmup:
            print(f"warm-up: {args.warmup} untimed plain starts")
            await plain_start_loop(server.address, args.warmup, args.concurrency, f"{tag}warm")

        rounds = []
        for rnd in range(1, args.rounds + 1):
            plain_first = rnd % 2 == 1
            r = {"round": rnd, "order": "plain,ours" if plain_first else "ours,plain"}
            for side in (("plain", "ours") if plain_first else ("ours", "plain")):
                waited = await settle(server.process.pid, args.settle_idle, args.settle_max) if args.settle_max else 0.0
                r[f"{side}_settle_s"] = waited
                t = time.strftime("%H:%M:%S")
                if side == "plain":
                    r["plain"] = await measure_plain(args, server.address, workdir, rnd, tag)
                    print(f"[{t}] round {rnd} plain a1 {r['plain']['a1']['starts_per_s']:.1f} starts/s "
                          f"(server settled {waited:.0f}s before)", flush=True)
                else:
                    r["ours"] = await measure_ours(args, client, engine, strategy, server.process.pid, workdir, rnd, tag)
                    print(f"[{t}] round {rnd} ours {r['ours']['starts_per_s']:.1f} starts/s "
                          f"(server settled {waited:.0f}s before)", flush=True)
            rounds.append(r)

        summ = summarize(rounds)
        print_report(args, meta, rounds, summ)
        if args.json_out:
            Path(args.json_out).write_text(json.dumps(
                {"args": {k: str(v) for k, v in vars(args).items()}, "meta": meta, "rounds": rounds, "summary": summ},
                indent=2, default=str))
        return 0
    finally:
        if engine is not None:
            engine.dispose()
        if server is not None:
            server.stop()
        if args.keep_temp:
            print(f"temp files kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=2000, help="accounts (and plain workflows) started per side per round")
    p.add_argument("--concurrency", type=int, default=64, help="starts in flight at once, both sides")
    p.add_argument("--rounds", type=int, default=2, help="rounds; the order plain/ours alternates each round")
    p.add_argument("--server", choices=("file", "memory"), default="file",
                   help="dev server persistence: a SQLite file in the temp dir (default) or in-memory")
    p.add_argument("--database-url", default=None,
                   help="system of record (default: a fresh SQLite file in the temp dir); PostgreSQL URLs work")
    p.add_argument("--raw-script", type=Path, default=DEFAULT_RAW,
                   help=f"plain-Temporal benchmark script (default {DEFAULT_RAW})")
    p.add_argument("--strategy", type=Path, default=DEFAULT_STRATEGY, help="strategy embedded in each episode input")
    p.add_argument("--warmup", type=int, default=100, help="untimed plain starts before round 1 (0: none)")
    p.add_argument("--settle-idle", type=float, default=10.0,
                   help="before each measurement wait until the server uses less than this %% of a core over 1 s")
    p.add_argument("--settle-max", type=float, default=60.0, help="longest settle wait in seconds (0: no settling)")
    p.add_argument("--keep-running", action="store_true",
                   help="do not terminate our workflows after each measurement (raw_temporal.py terminates its own)")
    p.add_argument("--keep-temp", action="store_true", help="keep the temp dir (server log, raw JSON, CSVs)")
    p.add_argument("--json-out", default=None, help="write all figures as JSON here")
    args = p.parse_args(argv)
    if args.n < 1 or args.rounds < 1 or args.concurrency < 1:
        p.error("--n, --rounds and --concurrency must be positive")
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main_async(parse_args())))
