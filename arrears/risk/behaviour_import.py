"""`arrears behaviour import FILE`: monthly behaviour rows -> validated -> the record, streaming.

The file is read row by row and written in batches, so its size is bounded by
the disk, not by memory. A bad row is reported with its line and reason and
written to a reject file; the good rows still go. A header with a missing or
unknown column stops the file (a typo must not silently drop a field). Each
(account, month) is kept once: a repeat import replaces the month with the new
figures (a corrected statement), a repeat inside one file is rejected.
"""

import csv
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from arrears.db.models import AccountBehaviour
from arrears.intake.csvfile import CsvHeaderError, csv_rows, validation_reason
from arrears.risk.behaviour import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, BehaviourRow

BATCH = 1000


class BehaviourFileError(ValueError):
    """The file as a whole cannot be read; the message says why."""


@dataclass(frozen=True)
class Reject:
    line: int
    account_id: str
    reason: str


@dataclass
class BehaviourImport:
    rows: int = 0
    added: int = 0
    replaced: int = 0
    rejected: list[Reject] = field(default_factory=list)  # the first KEEP_REJECTS; all go to the reject file
    rejected_total: int = 0
    accounts: int = 0


KEEP_REJECTS = 200


def read_raw(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line, raw row) pairs, lazily; a row that cannot be parsed comes as a str reason."""
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        head = handle.read(4096)
        handle.seek(0)
        if path.suffix.lower() in (".jsonl", ".ndjson") or head.lstrip().startswith("{"):
            yield from _jsonl(handle)
            return
        try:
            rows = csv_rows(handle, REQUIRED_COLUMNS, OPTIONAL_COLUMNS)
        except CsvHeaderError as exc:
            raise BehaviourFileError(str(exc)) from None
        yield from rows


def _jsonl(handle) -> Iterator[tuple[int, dict[str, Any] | str]]:
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line, parse_float=Decimal)  # exact decimals, never binary floats
        except json.JSONDecodeError as exc:
            yield number, f"not valid JSON: {exc.msg} at column {exc.colno}"
            continue
        if not isinstance(row, dict):
            yield number, "each line must be a JSON object"
            continue
        unknown = sorted(set(row) - known)
        if unknown:
            yield number, f"unknown field(s): {', '.join(unknown)}"
            continue
        yield number, row


def _key(account_id: str, month) -> int:
    # 64 bits per (account, month) keep duplicate detection near 16 bytes a row on large files;
    # two different keys share a digest with odds of about 1 in 10^7 at ten million rows.
    digest = hashlib.blake2b(f"{account_id}\0{month.isoformat()}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def validated(path: Path) -> Iterator[tuple[int, BehaviourRow] | Reject]:
    """Good rows as (line, row) and bad ones as Reject, in file order."""
    first_line: dict[int, int] = {}
    for number, raw in read_raw(path):
        if isinstance(raw, str):
            yield Reject(number, "", raw)
            continue
        account_id = str(raw.get("account_id") or "").strip()
        try:
            row = BehaviourRow.model_validate(raw)
        except ValidationError as exc:
            yield Reject(number, account_id, validation_reason(exc))
            continue
        key = _key(row.account_id, row.statement_month)
        if key in first_line:
            yield Reject(
                number,
                row.account_id,
                f"{row.statement_month:%Y-%m} repeats this account's month (first on line {first_line[key]})",
            )
            continue
        first_line[key] = number
        yield number, row


def _upsert(dialect_name: str):
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    stmt = dialect.insert(AccountBehaviour)
    columns = [
        c.name for c in AccountBehaviour.__table__.columns if c.name not in ("id", "account_id", "statement_month")
    ]
    return stmt.on_conflict_do_update(
        index_elements=["account_id", "statement_month"], set_={c: stmt.excluded[c] for c in columns}
    )


def _write(engine: Engine, rows: list[BehaviourRow], now: datetime) -> tuple[int, int]:
    """Upsert one batch; (added, replaced)."""
    keys = [(r.account_id, r.statement_month) for r in rows]
    with engine.begin() as conn:
        existing = set(
            conn.execute(
                select(AccountBehaviour.account_id, AccountBehaviour.statement_month).where(
                    tuple_(AccountBehaviour.account_id, AccountBehaviour.statement_month).in_(keys)
                )
            ).all()
        )
        conn.execute(_upsert(engine.dialect.name), [{**r.model_dump(), "imported_at": now} for r in rows])
    replaced = sum(1 for k in keys if k in existing)
    return len(rows) - replaced, replaced


def import_behaviour(
    engine: Engine,
    path: Path,
    now: datetime,
    reject_path: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> BehaviourImport:
    summary = BehaviourImport()
    accounts: set[str] = set()
    batch: list[BehaviourRow] = []
    rejects = None
    writer = None
    try:
        for item in validated(path):
            summary.rows += 1
            if isinstance(item, Reject):
                summary.rejected_total += 1
                if len(summary.rejected) < KEEP_REJECTS:
                    summary.rejected.append(item)
                if reject_path is not None:
                    if writer is None:
                        rejects = reject_path.open("w", encoding="utf-8", newline="")
                        writer = csv.writer(rejects)
                        writer.writerow(["line", "account_id", "reason"])
                    writer.writerow([item.line, item.account_id, item.reason])
                continue
            batch.append(item[1])
            accounts.add(item[1].account_id)
            if len(batch) >= BATCH:
                added, replaced = _write(engine, batch, now)
                summary.added, summary.replaced = summary.added + added, summary.replaced + replaced
                if progress:
                    progress(len(batch))
                batch = []
        if batch:
            added, replaced = _write(engine, batch, now)
            summary.added, summary.replaced = summary.added + added, summary.replaced + replaced
            if progress:
                progress(len(batch))
    finally:
        if rejects is not None:
            rejects.close()
    summary.accounts = len(accounts)
    return summary
