"""How long the insight reports take on a large record: 100,000 accounts and 2,000,000 contact rows.

    .venv/bin/python benchmarks/reports.py                                   # SQLite file in a temp dir
    .venv/bin/python benchmarks/reports.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python benchmarks/reports.py --accounts 10000 --contacts 200000   # a quick run

It migrates a fresh database (on PostgreSQL, a schema of its own, dropped afterwards), fills it
with a synthetic year of collection (episodes, contacts, tasks and outcomes, promises, payments,
agency placements and commissions, recoveries, complaints, reviews, experiment assignments;
numbers from a fixed seed, so every run builds the same record), then times each report as the
CLI computes it (the SQL aggregates and the scoring; no rendering) and prints the figures with
the machine's peak memory. The goal: every report within 30 s on this 2-core machine.
"""

import argparse
import os
import platform
import random
import resource
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402

from arrears import PROJECT_ROOT  # noqa: E402
from arrears.db.engine import make_engine, make_sessionmaker  # noqa: E402
from arrears.db.migrate import upgrade  # noqa: E402
from arrears.db.models import (  # noqa: E402
    Account,
    Agency,
    AgencyCommission,
    AgencyPlacement,
    Collector,
    CollectorTask,
    Complaint,
    ContactAttempt,
    ContactOutcomeRecord,
    Episode,
    ExperimentAssignment,
    Payment,
    PromiseToPay,
    QualityReview,
    Recovery,
)

UTC = timezone.utc
FIRST = date(2025, 12, 1)  # a fixed year of collection: December 2025 to November 2026
ZONES = ["Asia/Shanghai", "Asia/Shanghai", "Asia/Urumqi", "America/New_York", "Europe/London"]
STEPS = [("pre-sms", "sms"), ("early-sms", "sms"), ("early-email", "email"), ("early-im", "im"), ("mid-sms", "sms"),
         ("mid-letter", "letter"), ("mid-email", "email"), ("late-letter", "letter"), ("late-sms", "sms")]
OUTCOMES = ["right_party_contact", "no_answer", "no_answer", "busy", "voicemail", "promise_made", "third_party",
            "refused_to_pay", "wrong_number", "callback_requested"]
BATCH = 20_000


def _flush(conn, table, rows: list[dict]) -> None:
    if rows:
        conn.execute(table.__table__.insert(), rows)
        rows.clear()


def build(url: str, accounts: int, contacts: int, seed: int = 7) -> dict[str, int]:
    """Fill the record; returns how many rows of each kind were written."""
    rng = random.Random(seed)
    engine = make_engine(url)
    counts = dict.fromkeys(("accounts", "episodes", "contacts", "tasks", "outcomes", "promises", "payments",
                            "placements", "recoveries", "complaints", "reviews", "assignments"), 0)
    collectors = [f"c{i:03d}" for i in range(200)]
    agencies = [f"AG{i}" for i in range(5)]
    stamp = datetime(2025, 11, 1, tzinfo=UTC)
    per_episode_contacts = max(1, contacts // int(accounts * 1.1))
    task_id = placement_id = 0
    with engine.begin() as conn:
        conn.execute(Collector.__table__.insert(), [
            {"collector_id": c, "name": c.upper(), "team": f"team{int(c[1:]) % 10}",
             "role": "supervisor" if int(c[1:]) % 20 == 0 else "collector", "languages": ["zh-CN"], "regions": [],
             "daily_capacity": 100, "absent": False, "active": True, "updated_at": stamp} for c in collectors])
        conn.execute(Agency.__table__.insert(), [
            {"agency_id": a, "name": f"Agency {a}", "commission_percent": Decimal("12"), "capacity": 10_000,
             "placement_days": 30, "active": True, "updated_at": stamp} for a in agencies])
    buffers: dict = {t: [] for t in (Account, Episode, ContactAttempt, CollectorTask, ContactOutcomeRecord, PromiseToPay,
                                     Payment, AgencyPlacement, AgencyCommission, Recovery, Complaint, QualityReview,
                                     ExperimentAssignment)}
    order = list(buffers)

    def emit(conn, table, row) -> None:
        buffers[table].append(row)
        if len(buffers[table]) >= BATCH:
            # Parents first, so foreign keys hold at every flush.
            for t in order[: order.index(table) + 1]:
                _flush(conn, t, buffers[t])

    with engine.begin() as conn:
        for i in range(accounts):
            account = f"B{i:07d}"
            zone = ZONES[i % len(ZONES)]
            currency = "USD" if zone == "America/New_York" else "CNY"
            emit(conn, Account, {"account_id": account, "customer_name": "Bench", "phone": "+86 138 0000 0000", "email": "",
                                 "billing_address": "x", "language": "zh-CN", "timezone": zone, "risk_segment": "medium",
                                 "currency": currency, "phone_invalid": False, "email_invalid": False, "created_at": stamp,
                                 "updated_at": stamp})
            counts["accounts"] += 1
            for n in range(2 if rng.random() < 0.1 else 1):
                started = datetime.combine(FIRST, datetime.min.time(), UTC) + timedelta(minutes=rng.randint(0, 330 * 24 * 60))
                due = started.date() - timedelta(days=rng.randint(1, 60))
                overdue = Decimal(rng.randint(100_00, 20_000_00)) / 100
                fate = rng.random()
                if fate < 0.55:
                    outcome, closed = "cured", started + timedelta(days=rng.randint(3, 90))
                elif fate < 0.65:
                    outcome = "charged_off"
                    closed = datetime.combine(due + timedelta(days=180), datetime.min.time(), UTC)
                    closed = max(closed, started + timedelta(days=1))
                elif fate < 0.70:
                    outcome, closed = "closed", started + timedelta(days=rng.randint(5, 60))
                else:
                    outcome, closed = None, None
                episode = f"ep-{account}-{n}"
                end = closed or started + timedelta(days=120)
                arm = "challenger" if int(account[1:]) % 3 == 0 else "champion"
                emit(conn, Episode, {
                    "episode_id": episode, "account_id": account, "workflow_id": f"arrears-{account}", "run_id": "r",
                    "started_at": started, "due_date": due, "dpd_at_start": (started.date() - due).days, "currency": currency,
                    "opening_overdue": overdue, "opening_balance": overdue * 3, "risk_segment": "medium",
                    "strategy_name": arm, "strategy_hash": arm.ljust(64, "0"), "outcome": outcome, "outcome_reason": None,
                    "closed_by": None, "closed_at": closed, "closing_dpd": (closed.date() - due).days if closed else None,
                    "closing_overdue": None, "closing_balance": overdue * 3 if outcome == "charged_off" else None})
                counts["episodes"] += 1
                if n == 0:  # (an account's later episode is outside the experiment)
                    emit(conn, ExperimentAssignment, {
                        "experiment": "bench-exp", "arm": arm, "account_id": account, "due_date": due, "point": 0,
                        "traffic_version": 0, "strategy_name": arm, "strategy_hash": arm.ljust(64, "0"),
                        "assigned_at": started - timedelta(seconds=1)})
                    counts["assignments"] += 1
                span = max((end - started).total_seconds(), 3600)
                for k in range(per_episode_contacts):
                    step, channel = STEPS[k % len(STEPS)]
                    at = started + timedelta(seconds=rng.random() * span)
                    emit(conn, ContactAttempt, {
                        "idempotency_key": f"{episode}:{step}@{k}", "episode_id": episode, "account_id": account,
                        "step_id": step, "channel": channel, "template": channel, "language": "zh-CN", "recipient": "x",
                        "subject": None, "rendered_text": "reminder", "dpd": k, "stage": "early", "catch_up": False,
                        "scheduled_for": at, "attempted_at": at,
                        "result": "suppressed:frequency_cap" if rng.random() < 0.1 else "queued", "adapter": "outbox"})
                    counts["contacts"] += 1
                paid_total = Decimal(0)
                for k in range(3):
                    task_id += 1
                    due_at = started + timedelta(seconds=rng.random() * span)
                    who = rng.choice(collectors)
                    kind = "visit" if k == 2 and rng.random() < 0.3 else "call"
                    emit(conn, CollectorTask, {
                        "id": task_id, "idempotency_key": f"{episode}:task{k}", "episode_id": episode, "account_id": account,
                        "step_id": f"{kind}-{k}", "kind": kind, "status": "done", "dpd": 10, "stage": "early",
                        "due_at": due_at, "created_at": due_at, "note": "", "assigned_to": who, "assigned_at": due_at,
                        "queue": "collector", "team": None, "overdue_amount": overdue, "currency": currency})
                    counts["tasks"] += 1
                    if rng.random() < 0.85:
                        result = rng.choice(OUTCOMES)
                        emit(conn, ContactOutcomeRecord, {
                            "task_id": task_id, "episode_id": episode, "account_id": account, "outcome": result,
                            "reason_for_delinquency": None, "duration_seconds": rng.randint(0, 600), "collector_id": who,
                            "note": "", "callback_at": None, "recorded_at": due_at + timedelta(minutes=5),
                            "visit": {"address_verified": True, "met_cardholder": rng.random() < 0.5} if kind == "visit" else None})
                        counts["outcomes"] += 1
                        if result == "promise_made":
                            emit(conn, PromiseToPay, {
                                "account_id": account, "promise_id": f"PTP{task_id}", "episode_id": episode,
                                "amount": overdue / 2, "currency": currency, "promised_date": due_at.date() + timedelta(days=5),
                                "deadline": due_at + timedelta(days=6), "collector_id": who, "supervisor_id": None,
                                "channel": "call", "note": "", "made_at": due_at, "made_dpd": 10,
                                "status": "kept" if rng.random() < 0.6 else "broken", "paid_toward": None,
                                "resolved_at": due_at + timedelta(days=6), "replaced_by": None})
                            counts["promises"] += 1
                        if rng.random() < 0.02:
                            emit(conn, QualityReview, {
                                "review_key": f"task:{task_id}:s", "task_id": task_id, "placement_id": None, "work_ref": "",
                                "account_id": account, "episode_id": episode, "collector_id": who, "agency_id": None,
                                "reviewer_id": "c000", "rubric_name": "r", "rubric_hash": "h" * 64, "scores": {},
                                "score": Decimal(rng.randint(40, 100)), "comment": "", "worked_at": due_at, "reviewed_at": due_at})
                            counts["reviews"] += 1
                        if rng.random() < 0.006:
                            emit(conn, Complaint, {
                                "account_id": account, "complaint_id": f"K{task_id}", "episode_id": episode, "channel": kind,
                                "category": "conduct", "description": "", "collector_id": who, "agency_id": None,
                                "task_id": task_id, "received_at": due_at, "deadline_at": due_at + timedelta(days=15),
                                "recorded_by": "c000", "hold_id": None, "hold_note": "", "status": "resolved",
                                "outcome": "upheld", "resolution_note": "", "resolved_by": "c000",
                                "resolved_at": due_at + timedelta(days=rng.randint(1, 25)), "handled_in_time": None,
                                "recorded_at": due_at})
                            counts["complaints"] += 1
                placed = None
                if rng.random() < 0.08:
                    placement_id += 1
                    placed = started + timedelta(days=rng.randint(1, 30))
                    agency = rng.choice(agencies)
                    emit(conn, AgencyPlacement, {
                        "id": placement_id, "idempotency_key": f"{episode}:agency", "agency_id": agency, "account_id": account,
                        "episode_id": episode, "commission_percent": Decimal("12"), "placement_days": 30, "placed_at": placed,
                        "ends_at": placed + timedelta(days=30), "status": "recalled" if rng.random() < 0.4 else "closed",
                        "renewals": 0, "ended_at": placed + timedelta(days=30), "reason": "", "currency": currency,
                        "collected": Decimal(0)})
                    counts["placements"] += 1
                if outcome == "cured" or rng.random() < 0.2:
                    parts = 2 if rng.random() < 0.3 else 1
                    for k in range(parts):
                        amount = (overdue / parts).quantize(Decimal("0.01"))
                        paid_at = (closed or end) - timedelta(days=(parts - 1 - k) * 7)
                        channel = "agency" if placed and placed <= paid_at <= placed + timedelta(days=30) else "bank_transfer"
                        emit(conn, Payment, {
                            "account_id": account, "payment_id": f"P{n}{k}", "episode_id": episode, "amount": amount,
                            "currency": currency, "paid_at": paid_at, "channel": channel, "dpd": 10,
                            "overdue_after": Decimal(0), "total_after": Decimal(0), "recorded_at": paid_at})
                        counts["payments"] += 1
                        paid_total += amount
                        if channel == "agency":
                            emit(conn, AgencyCommission, {
                                "account_id": account, "payment_id": f"P{n}{k}", "placement_id": placement_id,
                                "agency_id": agency, "payment_amount": amount, "percent": Decimal("12"),
                                "commission": (amount * Decimal("0.12")).quantize(Decimal("0.01")), "currency": currency,
                                "recorded_at": paid_at})
                if outcome == "charged_off" and rng.random() < 0.3:
                    for k in range(rng.randint(1, 3)):
                        paid_at = closed + timedelta(days=rng.randint(5, 300))
                        emit(conn, Recovery, {
                            "idempotency_key": f"{episode}:recovery:{k}", "account_id": account, "episode_id": episode,
                            "payment_id": f"R{n}{k}", "amount": Decimal(rng.randint(50, 2000)), "currency": currency,
                            "channel": "bank_transfer", "paid_at": paid_at, "recovered_total_after": Decimal(0),
                            "recorded_at": paid_at})
                        counts["recoveries"] += 1
        for table in order:
            _flush(conn, table, buffers[table])
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return counts


def time_reports(url: str) -> list[tuple[str, float, str]]:
    from arrears.insight.experiment_report import experiment_report
    from arrears.insight.portfolio import portfolio_report
    from arrears.insight.scorecard import load_scorecard
    from arrears.insight.scorecard_report import agencies_report, scorecard_report

    card = load_scorecard(PROJECT_ROOT / "scorecards" / "default.toml")
    sessions = make_sessionmaker(make_engine(url))
    runs = [
        ("scorecard 2026-06", lambda s: scorecard_report(s, card, "2026-06")),
        ("agencies 2026-06", lambda s: agencies_report(s, card, "2026-06")),
        ("portfolio 2025-12..2026-11", lambda s: portfolio_report(s, "2025-12", "2026-11", currency="CNY",
                                                                    as_of=date(2026, 11, 30))),
        ("experiment bench-exp", lambda s: experiment_report(s, "bench-exp", None, date(2026, 11, 30), currency="CNY")),
    ]
    out = []
    for name, run in runs:
        with sessions() as session:
            started = time.perf_counter()
            report = run(session)
            elapsed = time.perf_counter() - started
        rows = sum(len(t.rows) for t in report.tables)
        out.append((name, elapsed, f"{len(report.tables)} tables, {rows} rows"))
        print(f"  {name:<28} {elapsed:7.1f} s   {out[-1][2]}", flush=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=2_000_000)
    parser.add_argument("--database-url", default=None, help="default: a SQLite file in a temp dir; PostgreSQL gets a schema")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file / PostgreSQL schema afterwards")
    args = parser.parse_args()

    cleanup = None
    workdir = Path(tempfile.mkdtemp(prefix="arrears-bench-reports-"))
    if args.database_url is None:
        url = f"sqlite:///{workdir / 'record.db'}"
    elif args.database_url.startswith("postgresql"):
        schema = f"bench_reports_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.database_url)
        with admin.begin() as conn:
            conn.execute(text(f'create schema "{schema}"'))
        sep = "&" if "?" in args.database_url else "?"
        url = f"{args.database_url}{sep}options=-csearch_path%3D{schema}"

        def cleanup():
            with admin.begin() as conn:
                conn.execute(text(f'drop schema "{schema}" cascade'))
            admin.dispose()
    else:
        url = args.database_url
    try:
        print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        print(f"database: {url.split('?')[0]}")
        upgrade(url)
        started = time.perf_counter()
        counts = build(url, args.accounts, args.contacts)
        print(f"record built in {time.perf_counter() - started:.0f} s: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
        print("reports (SQL aggregates and scoring, no rendering):")
        results = time_reports(url)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        worst = max(r[1] for r in results)
        print(f"slowest report {worst:.1f} s (goal: 30 s); peak RSS of this process {peak:.0f} MB")
        return 0 if worst <= 30 else 1
    finally:
        if cleanup and not args.keep:
            cleanup()
        if not args.keep:
            for f in workdir.glob("*"):
                f.unlink()
            workdir.rmdir()


if __name__ == "__main__":
    sys.exit(main())
