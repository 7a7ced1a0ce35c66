"""Operators' daily import: file -> validated rows -> account records -> workflows.

A bad row never stops the good ones: it is reported with its line number and
reason and written to a reject file, and everything else still starts.
Starting is idempotent: an account whose episode is already running is
reported as such and nothing new is created.
"""

import asyncio
import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine, case, false
from sqlalchemy.dialects import postgresql, sqlite
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from arrears import search_attributes as sa
from arrears.csvfile import CsvHeaderError, csv_rows, validation_reason
from arrears.contracts import WORKFLOW_TYPE, EpisodeInput, workflow_id_for
from arrears.db.models import Account
from arrears.domain.account import AccountRow
from arrears.domain.delinquency import bucket_for_dpd, days_past_due, stage_for_dpd
from arrears.domain.strategy import Strategy

REQUIRED_COLUMNS = (
    "account_id",
    "customer_name",
    "phone",
    "billing_address",
    "language",
    "timezone",
    "risk_segment",
    "currency",
    "overdue_amount",
    "total_balance",
    "due_date",
)
OPTIONAL_COLUMNS = ("email", "contacts", "region")
BATCH = 500


class ImportFileError(ValueError):
    """The file as a whole cannot be read (missing columns, unknown format)."""


@dataclass(frozen=True)
class Reject:
    line: int
    account_id: str
    reason: str


@dataclass
class ImportSummary:
    rows: int = 0
    started: list[str] = field(default_factory=list)
    already_running: list[str] = field(default_factory=list)
    rejected: list[Reject] = field(default_factory=list)
    failed: list[Reject] = field(default_factory=list)  # valid rows Temporal refused; safe to re-run


# ---- reading -------------------------------------------------------------------


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Yield (line number, raw row) pairs; a row that cannot be parsed is a str reason."""
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        head = handle.read(4096)
        handle.seek(0)
        if path.suffix.lower() in (".jsonl", ".ndjson", ".json") or head.lstrip().startswith("{"):
            yield from _read_jsonl(handle)
        else:
            yield from _read_csv(handle)


def _read_jsonl(handle) -> Iterator[tuple[int, dict[str, Any] | str]]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            # Decimals straight from the text: a float would already have lost cents.
            row = json.loads(line, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            yield number, f"not valid JSON: {exc.msg} at column {exc.colno}"
            continue
        if not isinstance(row, dict):
            yield number, "each line must be a JSON object"
            continue
        unknown = sorted(set(row) - set(REQUIRED_COLUMNS) - set(OPTIONAL_COLUMNS))
        if unknown:
            yield number, f"unknown field(s): {', '.join(unknown)}"
            continue
        yield number, row


def _read_csv(handle) -> Iterator[tuple[int, dict[str, Any] | str]]:
    try:
        rows = csv_rows(handle, REQUIRED_COLUMNS, OPTIONAL_COLUMNS)
    except CsvHeaderError as exc:
        raise ImportFileError(str(exc)) from None
    for number, row in rows:
        if isinstance(row, str):
            yield number, row
            continue
        contacts = (row.get("contacts") or "").strip()
        if contacts:
            try:
                row["contacts"] = json.loads(contacts)
            except json.JSONDecodeError:
                yield number, "contacts: not valid JSON"
                continue
        else:
            row.pop("contacts", None)
        yield number, row


def reserved_account_id(account_id: str) -> str | None:
    """Why an account id cannot be taken, or None: its episode's workflow id (``arrears-<id>``)
    would be one the system's own workflows use."""
    from arrears.contracts import BUREAU_CYCLE_ID, DESK_SWEEP_ID, HISTORY_ARCHIVER_ID, RISK_RESCORE_ID
    from arrears.recovery_contracts import RECOVERY_ID_PREFIX

    wid = workflow_id_for(account_id)
    if wid in (DESK_SWEEP_ID, HISTORY_ARCHIVER_ID, BUREAU_CYCLE_ID, RISK_RESCORE_ID):
        return f"account_id {account_id!r} is reserved: workflow id {wid} belongs to the system"
    if wid.startswith(RECOVERY_ID_PREFIX):
        return (f"account_id {account_id!r} is reserved: workflow ids {RECOVERY_ID_PREFIX}* belong to "
                "recoveries after charge-off")
    return None


def validate_rows(path: Path) -> tuple[list[tuple[int, AccountRow]], list[Reject]]:
    good: list[tuple[int, AccountRow]] = []
    rejected: list[Reject] = []
    first_line: dict[str, int] = {}
    for number, raw in read_rows(path):
        if isinstance(raw, str):
            rejected.append(Reject(number, "", raw))
            continue
        account_id = str(raw.get("account_id") or "").strip()
        try:
            row = AccountRow.model_validate(raw)
        except ValidationError as exc:
            rejected.append(Reject(number, account_id, validation_reason(exc)))
            continue
        reserved = reserved_account_id(row.account_id)
        if reserved:
            rejected.append(Reject(number, row.account_id, reserved))
            continue
        if row.account_id in first_line:
            rejected.append(Reject(number, row.account_id, f"duplicate account_id (first on line {first_line[row.account_id]})"))
            continue
        first_line[row.account_id] = number
        good.append((number, row))
    return good, rejected


def write_rejects(path: Path, rejected: list[Reject]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "account_id", "reason"])
        for r in rejected:
            writer.writerow([r.line, r.account_id, r.reason])


# ---- writing and starting ------------------------------------------------------


_ACCOUNT_COLUMNS = (
    "account_id", "customer_name", "phone", "email", "billing_address", "language", "timezone",
    "risk_segment", "currency", "contacts", "region", "created_at", "updated_at",
)


@lru_cache(maxsize=2)
def _upsert_statement(dialect_name: str):
    """One INSERT .. ON CONFLICT DO UPDATE per dialect, built once and run over many rows.

    Building a fresh multi-row VALUES statement per batch cost more CPU than
    the database work itself.
    """
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    stmt = dialect.insert(Account)
    refreshed = {c: stmt.excluded[c] for c in _ACCOUNT_COLUMNS if c not in ("account_id", "created_at")}
    # A number marked wrong by a collector stays blocked until the bank sends a different one.
    refreshed["phone_invalid"] = case((Account.phone == stmt.excluded.phone, Account.phone_invalid), else_=false())
    return stmt.on_conflict_do_update(index_elements=["account_id"], set_=refreshed)


def upsert_accounts(engine: Engine, rows: list[AccountRow], now: datetime) -> None:
    """Insert or refresh contact details (a repeat import updates them)."""
    if not rows:
        return
    values = [
        {
            "account_id": r.account_id,
            "customer_name": r.customer_name,
            "phone": r.phone,
            "email": r.email,
            "billing_address": r.billing_address,
            "language": r.language,
            "timezone": r.timezone,
            "risk_segment": r.risk_segment.value,
            "currency": r.currency,
            "contacts": r.contacts,
            "region": r.region,
            "created_at": now,
            "updated_at": now,
        }
        for r in rows
    ]
    with engine.begin() as conn:
        conn.execute(_upsert_statement(engine.dialect.name), values)


def episode_input(row: AccountRow, strategy: Strategy, strategy_hash: str, day_seconds: float) -> EpisodeInput:
    return EpisodeInput(
        account_id=row.account_id,
        currency=row.currency,
        overdue_amount=row.overdue_amount,
        total_balance=row.total_balance,
        due_date=row.due_date,
        timezone=row.timezone,
        risk_segment=row.risk_segment,
        strategy=strategy,
        strategy_hash=strategy_hash,
        day_seconds=day_seconds,
    )


def initial_search_attributes(row: AccountRow, now: datetime) -> TypedSearchAttributes:
    dpd = days_past_due(row.due_date, now, row.timezone)
    return TypedSearchAttributes(
        [
            SearchAttributePair(sa.COLLECTION_STAGE, stage_for_dpd(dpd).value),
            SearchAttributePair(sa.DELINQUENCY_BUCKET, bucket_for_dpd(dpd)),
            SearchAttributePair(sa.RISK_SEGMENT, row.risk_segment.value),
            SearchAttributePair(sa.OVERDUE_AMOUNT, float(row.overdue_amount)),  # filter only; exact in the record
        ]
    )


async def start_episode(
    client: Client, task_queue: str, row: AccountRow, inp: EpisodeInput, now: datetime
) -> bool:
    """Start the account's episode; False when one is already running."""
    try:
        await client.start_workflow(
            WORKFLOW_TYPE,
            inp,
            id=workflow_id_for(row.account_id),
            task_queue=task_queue,
            # A running episode is left alone; a closed one may be followed by a new episode.
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            search_attributes=initial_search_attributes(row, now),
        )
    except WorkflowAlreadyStartedError:
        return False
    return True


async def import_file(
    client: Client,
    engine: Engine,
    path: Path,
    *,
    task_queue: str,
    strategy: Strategy,
    day_seconds: float = 86_400,
    concurrency: int = 64,
    reject_path: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    good, rejected = validate_rows(path)
    summary = ImportSummary(rows=len(good) + len(rejected), rejected=rejected)
    if reject_path is not None and rejected:
        write_rejects(reject_path, rejected)
    if progress and rejected:
        progress(len(rejected))
    strategy_hash = strategy.content_hash()
    gate = asyncio.Semaphore(concurrency)
    now = datetime.now(timezone.utc)

    async def start_one(number: int, row: AccountRow) -> None:
        async with gate:
            try:
                started = await start_episode(
                    client, task_queue, row, episode_input(row, strategy, strategy_hash, day_seconds), now
                )
            except Exception as exc:  # noqa: BLE001 - reported per row; the rest still go
                summary.failed.append(Reject(number, row.account_id, f"not started: {exc}"))
            else:
                (summary.started if started else summary.already_running).append(row.account_id)
            if progress:
                progress(1)

    in_flight: set[asyncio.Task] = set()
    for offset in range(0, len(good), BATCH):
        batch = good[offset : offset + BATCH]
        # The account record exists before its workflow can look it up. The
        # next batch is written while the previous one is still starting, so
        # the starts never stall at a batch boundary.
        await asyncio.to_thread(upsert_accounts, engine, [row for _, row in batch], now)
        for number, row in batch:
            task = asyncio.create_task(start_one(number, row))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
        while len(in_flight) > BATCH:  # bound memory on very large files
            await asyncio.wait(set(in_flight), return_when=asyncio.FIRST_COMPLETED)
    if in_flight:
        await asyncio.wait(set(in_flight))
    return summary
