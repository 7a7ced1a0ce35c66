#!/usr/bin/env python3
"""Bureau cycle: how long the monthly report takes, and its memory, for a portfolio of N accounts.

The BureauCycle workflow's activity runs ``arrears.bureau.cycle.run_cycle`` for a
whole portfolio in one transaction under a 30-minute start-to-close timeout;
this measures it. The script migrates a fresh SQLite database in a temp dir (or
a fresh schema in the PostgreSQL database given by ``--database-url``), seeds N accounts with
an open episode each (bulk inserts: the activities' own write paths are tested
elsewhere), a prior notice for two in three, a payment for one in four, a
returned-mail record for one in twenty, and a closed episode for one in ten;
then it times one cycle (the rows recorded and the file written) and a second
run of the same period (the file written again from the record).

Usage (from the repository root):
  .venv/bin/python benchmarks/bureau_cycle.py --n 20000
  .venv/bin/python benchmarks/bureau_cycle.py --n 20000 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

import argparse
import resource
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from arrears.bureau.cycle import run_cycle  # noqa: E402
from arrears.db.engine import make_engine, make_sessionmaker  # noqa: E402
from arrears.db.migrate import upgrade  # noqa: E402
from arrears.db.models import Account, BureauNotice, Consent, Episode, Payment  # noqa: E402
from arrears.domain.bureau import BureauPolicy, parse_file  # noqa: E402

PERIOD, AS_OF = "2026-10", date(2026, 10, 31)
UTC = timezone.utc
BATCH = 2000


def _rows(n: int, prefix: str):
    """Accounts, episodes, notices, payments and consents for ``n`` accounts, as insert dicts."""
    started = datetime(2026, 8, 1, 2, tzinfo=UTC)
    for i in range(n):
        account_id = f"{prefix}{i:07d}"
        episode_id = f"ep-{account_id}"
        due = date(2026, 7, 1) + timedelta(days=i % 60)  # DPD 62..121 on 31 October
        closed = i % 10 == 0
        address = f"{i} Century Avenue, Shanghai"
        account = dict(account_id=account_id, customer_name="李伟", phone="+8613800000000", email="",
                       billing_address=address, language="zh-CN", timezone="Asia/Shanghai", risk_segment="medium",
                       currency="CNY", phone_invalid=False, email_invalid=False, created_at=started, updated_at=started)
        episode = dict(episode_id=episode_id, account_id=account_id, workflow_id=f"arrears-{account_id}", run_id="r1",
                       started_at=started, due_date=due, dpd_at_start=(started.date() - due).days, currency="CNY",
                       opening_overdue=Decimal("1234.56"), opening_balance=Decimal("8000.00"), risk_segment="medium",
                       strategy_name="default", strategy_hash="0" * 64,
                       # One insert statement per batch: every row names every column.
                       **(dict(outcome="cured", outcome_reason="paid", closed_by="workflow",
                               closed_at=datetime(2026, 9, 15, 2, tzinfo=UTC), closing_dpd=40,
                               closing_overdue=Decimal(0), closing_balance=Decimal("6765.44")) if closed else
                          dict(outcome=None, outcome_reason=None, closed_by=None, closed_at=None, closing_dpd=None,
                               closing_overdue=None, closing_balance=None)))
        notice = None
        if i % 3 != 0:
            notice = dict(idempotency_key=f"{episode_id}:bureau-notice", account_id=account_id, episode_id=episode_id,
                          sent_on=date(2026, 9, 1), sent_at=datetime(2026, 9, 1, 2, tzinfo=UTC), channel="letter",
                          template="letter_bureau_notice", language="zh-CN", recipient=address,
                          rendered_text="尊敬的客户……", result="queued", dpd=40, step_id="mid-bureau-report")
        payment = None
        if i % 4 == 0:
            paid_at = datetime(2026, 9, 20, 2, tzinfo=UTC)
            payment = dict(episode_id=episode_id, account_id=account_id, payment_id="p1", amount=Decimal("200.00"),
                           currency="CNY", paid_at=paid_at, channel="bank", dpd=50, overdue_after=Decimal("1034.56"),
                           total_after=Decimal("7800.00"), recorded_at=paid_at)
        consent = None
        if i % 20 == 1:
            consent = dict(account_id=account_id, channel="letter", address=address, status="invalid",
                           source="returned mail", note="", recorded_at=datetime(2026, 9, 10, tzinfo=UTC))
        yield account, episode, notice, payment, consent


def seed(engine, n: int, prefix: str) -> float:
    t0 = time.perf_counter()
    batch: dict[type, list[dict]] = {Account: [], Episode: [], BureauNotice: [], Payment: [], Consent: []}

    def flush() -> None:
        with engine.begin() as conn:
            for model, rows in batch.items():
                if rows:
                    conn.execute(insert(model), rows)
                    rows.clear()

    for account, episode, notice, payment, consent in _rows(n, prefix):
        batch[Account].append(account)
        batch[Episode].append(episode)
        for model, row in ((BureauNotice, notice), (Payment, payment), (Consent, consent)):
            if row is not None:
                batch[model].append(row)
        if len(batch[Account]) >= BATCH:
            flush()
    flush()
    return time.perf_counter() - t0


@contextmanager
def _database(url: str | None, tmp: str) -> Iterator[str]:
    """A fresh SQLite file, or a fresh schema in the given PostgreSQL database, dropped afterwards."""
    if url is None:
        yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    schema = f"arrears_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'create schema "{schema}"'))
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="accounts in the portfolio")
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp dir")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="arrears-bureau-bench-") as tmp, _database(args.database_url, tmp) as url:
        upgrade(url)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        prefix = "B"
        seeded = seed(engine, args.n, prefix)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        first = run_cycle(sessions, PERIOD, Path(tmp) / "out", BureauPolicy(), now=datetime(2026, 11, 2, tzinfo=UTC))
        cycle = time.perf_counter() - t0
        rss_first = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t1 = time.perf_counter()
        again = run_cycle(sessions, PERIOD, Path(tmp) / "out", BureauPolicy(), now=datetime(2026, 11, 3, tzinfo=UTC))
        rerun = time.perf_counter() - t1
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        parsed = parse_file(first.path.read_text(encoding="utf-8"))
        mine = [r for r in parsed.rows if r.account_id.startswith(prefix)]
        size = first.path.stat().st_size
        engine.dispose()

    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"bureau cycle, {args.n} accounts on {database} (seeded in {seeded:.1f} s)")
    print(f"  first run : {cycle:7.1f} s  {first.accounts / cycle:8.0f} accounts/s  "
          f"{first.withheld} withheld, {first.corrections} corrections, file {size / 1e6:.1f} MB")
    print(f"  re-run    : {rerun:7.1f} s  (file written again from the record, created={again.created})")
    print(f"  peak RSS  : {rss_first / 1024:7.0f} MB after the first run, {rss_after / 1024:.0f} MB after the re-run "
          f"(before the cycle {rss_before / 1024:.0f} MB)")
    print(f"  30-minute activity timeout reached at about {first.accounts / cycle * 1800:,.0f} accounts")
    if len(mine) != args.n:
        print(f"error: the file has {len(mine)} of this run's {args.n} accounts", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
