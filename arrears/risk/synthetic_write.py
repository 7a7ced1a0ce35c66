"""Writing a synthetic population out (arrears.risk.synthetic makes it): the behaviour import file,
the accounts and their collection record in bulk, and behaviour rows for the sample accounts."""

import csv
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, insert

from arrears.db.models import (
    Account,
    AccountBehaviour,
    CollectorTask,
    ContactOutcomeRecord,
    Episode,
    Hold,
    Payment,
    PromiseToPay,
)
from arrears.intake.sample import generate_accounts
from arrears.risk.behaviour import REQUIRED_COLUMNS
from arrears.risk.synthetic import CURRENCY, TZ, Population, generate


def write_behaviour_csv(path: Path, population: Population) -> int:
    """The behaviour rows as an import file for `arrears behaviour import`; the number of rows."""
    columns = [*list(REQUIRED_COLUMNS), "currency", "payment_due_date"]
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for account in population.accounts:
            for m in account.months:
                writer.writerow({**{c: m[c] for c in columns}, "statement_month": f"{m['statement_month']:%Y-%m}"})
                rows += 1
    return rows


def write_record(engine: Engine, population: Population, now: datetime, behaviour: bool = False) -> None:
    """The accounts and their collection record (and, if asked, their behaviour rows), in bulk."""
    people = generate_accounts(len(population.accounts), population.observed_on, seed=population.seed)
    accounts, episodes, tasks, outcomes, promises, holds, payments, months = [], [], [], [], [], [], [], []
    for account, person in zip(population.accounts, people, strict=True):
        accounts.append(
            {
                "account_id": account.account_id,
                "customer_name": person["customer_name"],
                "phone": person["phone"],
                "email": "",
                "billing_address": person["billing_address"],
                "language": person["language"],
                "timezone": TZ,
                "risk_segment": "medium",
                "currency": CURRENCY,
                "contacts": None,
                "region": None,
                "created_at": now,
                "updated_at": now,
            }
        )
        episodes += account.episodes
        for k, o in enumerate(account.outcomes):
            key = f"{o['episode_id']}:syn-call-{k}"
            tasks.append(
                {
                    "idempotency_key": key,
                    "episode_id": o["episode_id"],
                    "account_id": account.account_id,
                    "step_id": "syn-call",
                    "kind": "call",
                    "status": "done",
                    "dpd": 0,
                    "stage": "early",
                    "due_at": o["at"],
                    "created_at": o["at"],
                    "note": "",
                }
            )
            outcomes.append(
                (
                    key,
                    {
                        "episode_id": o["episode_id"],
                        "account_id": account.account_id,
                        "outcome": o["outcome"],
                        "reason_for_delinquency": o["reason"],
                        "duration_seconds": 60,
                        "collector_id": "synthetic",
                        "note": "",
                        "recorded_at": o["at"],
                    },
                )
            )
        for k, b in enumerate(account.broken_promises):
            day = b["at"].date()
            promises.append(
                {
                    "account_id": account.account_id,
                    "promise_id": f"syn-ptp-{k}",
                    "episode_id": b["episode_id"],
                    "amount": b["amount"],
                    "currency": CURRENCY,
                    "promised_date": day,
                    "deadline": b["at"],
                    "collector_id": "synthetic",
                    "channel": "call",
                    "note": "",
                    "made_at": b["at"] - timedelta(days=3),
                    "made_dpd": 0,
                    "status": "broken",
                    "paid_toward": Decimal("0.00"),
                    "resolved_at": b["at"],
                }
            )
        for k, h in enumerate(account.holds):
            holds.append(
                {
                    "account_id": account.account_id,
                    "hold_id": f"syn-hold-{k}",
                    "episode_id": h["episode_id"],
                    "hold_type": h["hold_type"],
                    "reason": "synthetic history",
                    "evidence_ref": "",
                    "placed_by": "synthetic",
                    "placed_at": h["at"],
                    "expires_at": h["at"] + timedelta(days=30),
                    "status": "expired",
                }
            )
        for k, p in enumerate(account.payments):
            payments.append(
                {
                    "account_id": account.account_id,
                    "payment_id": f"syn-pay-{k}",
                    "episode_id": p["episode_id"],
                    "amount": p["amount"],
                    "currency": CURRENCY,
                    "paid_at": p["at"],
                    "channel": "bank_transfer",
                    "dpd": 0,
                    "overdue_after": Decimal("0.00"),
                    "total_after": Decimal("0.00"),
                    "recorded_at": p["at"],
                }
            )
        if behaviour:
            months += [{**m, "imported_at": now} for m in account.months]
    with engine.begin() as conn:
        for model, rows in (
            (Account, accounts),
            (Episode, episodes),
            (CollectorTask, tasks),
            (PromiseToPay, promises),
            (Hold, holds),
            (Payment, payments),
            (AccountBehaviour, months),
        ):
            for start in range(0, len(rows), 5000):
                conn.execute(insert(model), rows[start : start + 5000])
        if outcomes:
            ids = dict(
                conn.execute(
                    CollectorTask.__table__.select()
                    .with_only_columns(CollectorTask.idempotency_key, CollectorTask.id)
                    .where(CollectorTask.step_id == "syn-call")
                ).all()
            )
            rows = [{**o, "task_id": ids[key]} for key, o in outcomes]
            for start in range(0, len(rows), 5000):
                conn.execute(insert(ContactOutcomeRecord), rows[start : start + 5000])


def write_behaviour(path: Path, rows: list[dict], today: date, seed: int = 7) -> int:
    """Twelve statement months before this month for each account row, from the documented
    generative model below, in the account's currency; the number of rows written."""
    population = generate(len(rows), today.replace(day=1), seed=seed)
    for account, row in zip(population.accounts, rows, strict=True):
        account.account_id = row["account_id"]
        for month in account.months:
            month["account_id"], month["currency"] = row["account_id"], row["currency"]
    return write_behaviour_csv(path, population)
