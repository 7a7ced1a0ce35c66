"""Operators' daily import: file -> validated rows -> account records -> workflows.

A bad row never stops the good ones: it is reported with its line number and
reason and written to a reject file, and everything else still starts.
Starting is idempotent: an account whose episode is already running is
reported as such and nothing new is created.
"""

import asyncio
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, StatementError
from temporalio.client import Client

from arrears.contracts.names import workflow_id_for
from arrears.domain.account import AccountRow
from arrears.domain.bounds import ACCOUNT_ID_PATTERN
from arrears.domain.strategy import Strategy
from arrears.insight import experiment as experiments
from arrears.intake.csvfile import CsvHeaderError, csv_rows, safe_writer, validation_reason
from arrears.intake.csvfile import _SafeWriter as SafeWriter
from arrears.intake.records import upsert_accounts
from arrears.intake.starting import episode_input, initial_search_attributes, start_episode  # noqa: F401 - callers import them from here
from arrears.intake.textfile import EncodingProblem, TextFileFacts, check_text_file, codec_for

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
_ACCOUNT_ID = re.compile(ACCOUNT_ID_PATTERN)
# (line, raw row or why it could not be read), or (line, account id, why) when only the id could be read.
RawRow = tuple[int, dict[str, Any] | str] | tuple[int, str, str]


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


def check_file(path: Path, encoding: str | None = None) -> TextFileFacts:
    """Refuse a file that cannot be imported at all, before anything starts: wrong encoding, nothing in it."""
    try:
        facts = check_text_file(path, encoding)
    except EncodingProblem as exc:
        raise ImportFileError(str(exc)) from None
    if facts.lines == 0:
        raise ImportFileError(f"{path}: the file is empty: expected a header and one row per account")
    if not _is_jsonl(path, facts.first_line) and facts.lines == 1:
        raise ImportFileError(f"{path}: the file has a header and no rows: nothing to import")
    return facts


def _is_jsonl(path: Path, head: str) -> bool:
    return path.suffix.lower() in (".jsonl", ".ndjson", ".json") or head.lstrip().startswith("{")


def read_rows(path: Path, encoding: str | None = None) -> Iterator[RawRow]:
    """Yield (line number, raw row) pairs, lazily; a row that cannot be parsed is a str reason, or
    (line, account id, reason) when the account id could be read but another cell could not."""
    codec = codec_for(encoding)
    with path.open("r", encoding=codec, newline="") as handle:
        head = handle.read(4096)
        handle.seek(0)
        if _is_jsonl(path, head):
            yield from _read_jsonl(handle)
        else:
            yield from _read_csv(handle)


def _json(text: str) -> Any:
    """Decimals straight from the text (a float would already have lost cents); nesting has a floor."""
    try:
        return json.loads(text, parse_float=Decimal)
    except RecursionError:
        raise ValueError("nested too deeply") from None


MAX_JSON_LINE = 1_000_000  # characters: an account is a few hundred; a longer line is not one


def _lines(handle) -> Iterator[tuple[str, bool]]:
    """Lines, each read with a cap (memory stays bounded on a file without line breaks); True: too long."""
    while True:
        line = handle.readline(MAX_JSON_LINE + 1)
        if not line:
            return
        if len(line) > MAX_JSON_LINE and not line.endswith("\n"):
            while (rest := handle.readline(MAX_JSON_LINE)) and not rest.endswith("\n"):
                pass
            yield "", True
            continue
        yield line, False


def _read_jsonl(handle) -> Iterator[RawRow]:
    for number, (line, too_long) in enumerate(_lines(handle), start=1):
        if too_long:
            yield number, f"the line is longer than {MAX_JSON_LINE:,} characters"
            continue
        if not line.strip():
            continue
        try:
            row = _json(line)
        except json.JSONDecodeError as exc:
            yield number, f"not valid JSON: {exc.msg} at column {exc.colno}"
            continue
        except ValueError as exc:
            yield number, f"not valid JSON: {exc}"
            continue
        if not isinstance(row, dict):
            yield number, "each line must be a JSON object"
            continue
        unknown = sorted(set(row) - set(REQUIRED_COLUMNS) - set(OPTIONAL_COLUMNS))
        if unknown:
            yield number, f"unknown field(s): {', '.join(unknown)}"
            continue
        yield number, row


def _read_csv(handle) -> Iterator[RawRow]:
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
                row["contacts"] = _json(contacts)
            except json.JSONDecodeError:
                yield number, _account_id(row), "contacts: not valid JSON"
                continue
            except ValueError as exc:
                yield number, _account_id(row), f"contacts: {exc}"
                continue
        else:
            row.pop("contacts", None)
        yield number, row


def _account_id(raw: dict[str, Any]) -> str:
    """The row's account id for a reject line, if it looks like one: never another column's content."""
    value = str(raw.get("account_id") or "").strip()
    return value if len(value) <= 64 and _ACCOUNT_ID.match(value) else ""


def reserved_account_id(account_id: str) -> str | None:
    """Why an account id cannot be taken, or None: its episode's workflow id (``arrears-<id>``)
    would be one the system's own workflows use."""
    from arrears.contracts.names import (
        BUREAU_CYCLE_ID,
        DESK_SWEEP_ID,
        HISTORY_ARCHIVER_ID,
        RECOVERY_ID_PREFIX,
        RISK_RESCORE_ID,
    )

    wid = workflow_id_for(account_id)
    if wid in (DESK_SWEEP_ID, HISTORY_ARCHIVER_ID, BUREAU_CYCLE_ID, RISK_RESCORE_ID):
        return f"account_id {account_id!r} is reserved: workflow id {wid} belongs to the system"
    if wid.startswith(RECOVERY_ID_PREFIX):
        return (
            f"account_id {account_id!r} is reserved: workflow ids {RECOVERY_ID_PREFIX}* belong to "
            "recoveries after charge-off"
        )
    return None


def validated_rows(
    path: Path, encoding: str | None = None, today: date | None = None
) -> Iterator[tuple[int, AccountRow | Reject]]:
    """Each row as it is read: (line, AccountRow) when good, (line, Reject) with the reason when not."""
    first_line: dict[str, int] = {}
    context = {"today": today} if today else None
    for item in read_rows(path, encoding):
        if len(item) == 3:  # a row whose account id is known but whose cells could not be read
            number, account_id, reason = item
            yield number, Reject(number, account_id, reason)
            continue
        number, raw = item
        if isinstance(raw, str):
            yield number, Reject(number, "", raw)
            continue
        account_id = _account_id(raw)
        try:
            row = AccountRow.model_validate(raw, context=context)
        except ValidationError as exc:
            yield number, Reject(number, account_id, redact(validation_reason(exc), raw))
            continue
        reserved = reserved_account_id(row.account_id)
        if reserved:
            yield number, Reject(number, row.account_id, reserved)
            continue
        if row.account_id in first_line:
            yield (
                number,
                Reject(number, row.account_id, f"duplicate account_id (first on line {first_line[row.account_id]})"),
            )
            continue
        first_line[row.account_id] = number
        yield number, row


PERSONAL_COLUMNS = ("customer_name", "phone", "email", "billing_address")


def redact(reason: str, raw: dict[str, Any]) -> str:
    """A reject reason with the row's personal data blanked out, whatever the rule quoted.

    The rules name fields, not values; this is the backstop for a value that lands in a
    quoted column (a shifted row puts a name where the zone was expected).
    """
    values = [str(raw.get(c) or "").strip() for c in PERSONAL_COLUMNS]
    contacts = raw.get("contacts")
    if isinstance(contacts, list):
        values += [
            str(v).strip()
            for entry in contacts
            if isinstance(entry, dict)
            for v in entry.values()
            if isinstance(v, str)
        ]
    for value in sorted((v for v in values if len(v) >= 3), key=len, reverse=True):
        reason = reason.replace(value, "[personal data]")
    return reason


def validate_rows(path: Path, encoding: str | None = None) -> tuple[list[tuple[int, AccountRow]], list[Reject]]:
    """Every row at once (small files, tests); the import itself streams (``import_file``)."""
    good: list[tuple[int, AccountRow]] = []
    rejected: list[Reject] = []
    for number, item in validated_rows(path, encoding):
        if isinstance(item, Reject):
            rejected.append(item)
        else:
            good.append((number, item))
    return good, rejected


def write_rejects(path: Path, rejected: list[Reject]) -> None:
    with RejectFile(path) as out:
        for r in rejected:
            out.add(r)


class RejectFile:
    """The reject file, written as rejects come (opened at the first one: no reject, no file)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._handle: TextIO | None = None
        self._writer: SafeWriter | None = None

    def add(self, reject: Reject) -> None:
        if self.path is None:
            return
        if self._writer is None:
            self._handle = self.path.open("w", encoding="utf-8", newline="")
            self._writer = safe_writer(self._handle)  # ids and reasons come from the file: no cell may run as a formula
            self._writer.writerow(["line", "account_id", "reason"])
        self._writer.writerow([reject.line, reject.account_id, reject.reason])

    def __enter__(self) -> "RejectFile":
        return self

    def __exit__(self, *exc) -> None:
        if self._handle is not None:
            self._handle.close()


# ---- writing and starting: arrears.intake.records and arrears.intake.starting --------------


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
    encoding: str | None = None,
) -> ImportSummary:
    """Read, validate, record and start in batches of ``BATCH`` rows: memory stays flat in the file's size.

    The file is checked first (encoding, not empty: ``ImportFileError``);
    then rows go as they are read. ``progress`` is told of each row as it is
    decided (rejected, started, already running or failed).
    """
    check_file(path, encoding)
    summary = ImportSummary()
    strategy_hash = strategy.content_hash()
    gate = asyncio.Semaphore(concurrency)
    now = datetime.now(UTC)

    async def start_one(number: int, row: AccountRow) -> None:
        async with gate:
            try:
                # Champion/challenger: the arm's strategy, recorded before the start (no experiment: unchanged).
                inp, arm = await experiments.episode_arm(
                    engine, row, episode_input(row, strategy, strategy_hash, day_seconds), now
                )
                started = await start_episode(client, task_queue, row, inp, now, experiments.search_attribute(arm))
            except Exception as exc:  # noqa: BLE001 - reported per row; the rest still go
                summary.failed.append(Reject(number, row.account_id, f"not started: {_one_line(exc)}"))
            else:
                (summary.started if started else summary.already_running).append(row.account_id)
            if progress:
                progress(1)

    in_flight: set[asyncio.Task] = set()

    async def flush(batch: list[tuple[int, AccountRow]]) -> None:
        # The account record exists before its workflow can look it up. The next batch is
        # read and written while this one is still starting, so starts never stall at a boundary.
        refused = await asyncio.to_thread(write_accounts, engine, batch, now)
        for number, row in batch:
            if number in refused:
                reject(Reject(number, row.account_id, refused[number]))
                continue
            task = asyncio.create_task(start_one(number, row))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
        while len(in_flight) > BATCH:  # bound memory on very large files
            await asyncio.wait(set(in_flight), return_when=asyncio.FIRST_COMPLETED)

    with RejectFile(reject_path) as rejects:

        def reject(r: Reject) -> None:
            summary.rejected.append(r)
            rejects.add(r)
            if progress:
                progress(1)

        batch: list[tuple[int, AccountRow]] = []
        for number, item in validated_rows(path, encoding):
            summary.rows += 1
            if isinstance(item, Reject):
                reject(item)
                continue
            batch.append((number, item))
            if len(batch) >= BATCH:
                await flush(batch)
                batch = []
        if batch:
            await flush(batch)
        if in_flight:
            await asyncio.wait(set(in_flight))
    summary.rejected.sort(key=lambda r: r.line)
    return summary


def write_accounts(engine: Engine, batch: list[tuple[int, AccountRow]], now: datetime) -> dict[int, str]:
    """Upsert a batch; when the database refuses it, row by row, so one bad row costs only itself.

    Returns the refused rows' reasons by line. A lost connection is no row's
    fault and is raised (the import stops; running it again is safe).
    """
    try:
        upsert_accounts(engine, [row for _, row in batch], now)
        return {}
    except (OperationalError, InterfaceError):
        raise
    except (DBAPIError, StatementError):
        pass
    refused: dict[int, str] = {}
    for number, row in batch:
        try:
            upsert_accounts(engine, [row], now)
        except (OperationalError, InterfaceError):
            raise
        except (DBAPIError, StatementError) as exc:
            refused[number] = f"the record refused it: {_database_reason(exc)}"
    return refused


def _database_reason(exc: Exception) -> str:
    """The database's own first line (never the statement or its parameters: they hold personal data)."""
    original = getattr(exc, "orig", None) or exc
    return f"{type(original).__name__}: {_one_line(original)}"


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:300] if lines else type(exc).__name__
