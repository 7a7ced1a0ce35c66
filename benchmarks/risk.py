#!/usr/bin/env python3
"""Risk: training from the record on about 200k labelled rows, and scoring N accounts in batches.

The script migrates a fresh SQLite database in a temp dir (or a fresh schema in
the PostgreSQL database given by ``--database-url``) and writes N synthetic
accounts with twelve statement months each and their collection record
(arrears.risk.synthetic; bulk inserts, not timed). Then it times:

- the labelled set from the record: the delinquent_90d target at three monthly
  snapshots (about 2.6 rows per account: every account not in arrears on a
  snapshot), i.e. histories loaded in batches, features and labels;
- training on it (binning, out-of-fold weights of evidence, feature selection,
  the cross-validated L2 strength, the fit, Platt calibration, the card's figures);
- scoring all N accounts with that model (``arrears.risk.scoring.score_accounts``:
  histories in batches of 2,000, features, risk, segment and reasons).

Usage (from the repository root):
  .venv/bin/python benchmarks/risk.py --accounts 100000
  .venv/bin/python benchmarks/risk.py --accounts 20000 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from arrears.db.engine import make_engine  # noqa: E402
from arrears.db.migrate import upgrade  # noqa: E402
from arrears.risk.dataset import build_labelled_set  # noqa: E402
from arrears.risk.scoring import score_accounts  # noqa: E402
from arrears.risk.synthetic import generate  # noqa: E402
from arrears.risk.synthetic_write import write_record  # noqa: E402
from arrears.risk.training import train  # noqa: E402

OBSERVED = date(2026, 3, 1)
NOW = datetime(2026, 11, 30, tzinfo=timezone.utc)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def database(url: str | None, tmp: Path) -> tuple[str, callable]:
    if not url:
        return f"sqlite:///{tmp / 'risk.db'}", lambda: None
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'create schema "{schema}"'))
    sep = "&" if "?" in url else "?"

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()

    return f"{url}{sep}options=-csearch_path%3D{schema}", drop


def seed(engine, accounts: int) -> list[str]:
    ids: list[str] = []
    chunk = 10_000
    for k in range(0, accounts, chunk):
        population = generate(min(chunk, accounts - k), OBSERVED, seed=100 + k, prefix=f"B{k // chunk:03d}-")
        write_record(engine, population, NOW, behaviour=True)
        ids += [a.account_id for a in population.accounts]
    return sorted(ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100_000, help="accounts in the record (and scored)")
    parser.add_argument("--database-url", help="PostgreSQL URL (a fresh schema is made and dropped); default SQLite")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, "
          f"{platform.platform()}")
    with tempfile.TemporaryDirectory() as tmp:
        url, drop = database(args.database_url, Path(tmp))
        try:
            upgrade(url)
            engine = make_engine(url)
            started = time.perf_counter()
            ids = seed(engine, args.accounts)
            print(f"seeded {len(ids)} accounts ({engine.dialect.name}) in {time.perf_counter() - started:.0f} s (not timed)")

            snapshots = [date(2026, 1, 1), date(2026, 2, 1), OBSERVED]
            started = time.perf_counter()
            data = build_labelled_set(engine, "delinquent_90d", snapshots, date(2026, 7, 1))
            built = time.perf_counter() - started
            print(f"labelled set: {len(data):,} rows from the record in {built:.1f} s ({len(data) / built:,.0f} rows/s)")
            started = time.perf_counter()
            model = train(data, (snapshots[0], snapshots[-1]), NOW)
            trained = time.perf_counter() - started
            print(f"training: {len(data):,} rows in {trained:.1f} s (held-out AUC {model.card['test']['auc']}); "
                  f"record to model {built + trained:.0f} s; peak RSS {peak_mb():.0f} MB")

            started = time.perf_counter()
            counts: dict[str, int] = {}
            for scored in score_accounts(engine, model, ids, OBSERVED):
                counts[scored.segment] = counts.get(scored.segment, 0) + 1
            elapsed = time.perf_counter() - started
            print(f"scoring: {len(ids):,} accounts in {elapsed:.1f} s ({len(ids) / elapsed:,.0f} accounts/s; features, "
                  f"risk, segment and reasons, batches of 2,000); segments {counts}; peak RSS {peak_mb():.0f} MB")
            engine.dispose()
        finally:
            drop()


if __name__ == "__main__":
    main()
