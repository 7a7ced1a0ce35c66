"""Entry point: `python starter.py FILE` starts one episode per good row (same as `arrears start FILE`).

Settings come from the environment (see README); the options are `arrears
start`'s. It calls the importer (arrears.intake.importer) directly, not the
command line, and keeps the CLI's exit codes (arrears.cli.errors): 0 all
started (rejected rows are reported and written to the reject file), 1 when a
start failed or Temporal cannot be reached, 2 for a file, strategy, setting or
option that cannot be used.
"""

import argparse
import asyncio
import os
import sys
from pathlib import Path

from pydantic import ValidationError

from arrears.config.settings import load_settings
from arrears.db.engine import make_engine
from arrears.config.strategies import load_strategy
from arrears.domain.strategy import StrategyError
from arrears.intake.csvfile import validation_reason
from arrears.intake.importer import ImportFileError, ImportSummary, check_file, import_file
from arrears.runtime.connect import connect

BAD_INPUT, FAILED = 2, 1


class Refused(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="starter.py", description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="CSV or JSON Lines file of overdue accounts")
    parser.add_argument("--strategy", type=Path, help="Strategy file [ARREARS_STRATEGY]")
    parser.add_argument("--day-seconds", type=float, default=86_400,
                        help="Length of a collection day in seconds (86400 = real time)")
    parser.add_argument("--concurrency", type=int, default=64, choices=range(1, 513), metavar="1..512",
                        help="Starts in flight at once")
    parser.add_argument("--rejects", type=Path, help="Reject file (default: FILE.rejects.csv)")
    parser.add_argument("--encoding", help="The file's encoding when not UTF-8, e.g. GBK, GB18030, UTF-16, latin-1")
    return parser.parse_args(argv)  # a usage error exits 2


async def start(args: argparse.Namespace) -> tuple[ImportSummary, Path]:
    try:
        settings = load_settings()
    except ValidationError as exc:
        raise Refused(f"settings: {validation_reason(exc)}", BAD_INPUT) from None
    try:
        strategy = load_strategy(args.strategy or settings.strategy)
    except StrategyError as exc:
        raise Refused(str(exc), BAD_INPUT) from None
    reject_path = args.rejects or args.file.with_name(args.file.name + ".rejects.csv")
    try:
        check_file(args.file, args.encoding)  # checked whole before anything starts
        client = await connect(settings)
    except ImportFileError as exc:
        raise Refused(str(exc), BAD_INPUT) from None
    except RuntimeError as exc:
        raise Refused(f"cannot reach Temporal at {settings.temporal_address}: {exc}", FAILED) from None
    try:
        summary = await import_file(client, make_engine(settings.database_url), args.file,
                                    task_queue=settings.task_queue, strategy=strategy, day_seconds=args.day_seconds,
                                    concurrency=args.concurrency, reject_path=reject_path, encoding=args.encoding)
    except ImportFileError as exc:
        raise Refused(str(exc), BAD_INPUT) from None
    return summary, reject_path


def report(summary: ImportSummary, reject_path: Path) -> None:
    for r in summary.rejected[:20]:
        print(f"line {r.line} {r.account_id or '-'}: {r.reason}", file=sys.stderr)
    if len(summary.rejected) > 20:
        print(f"... and {len(summary.rejected) - 20} more", file=sys.stderr)
    for r in summary.failed[:20]:
        print(f"line {r.line} {r.account_id}: {r.reason}", file=sys.stderr)
    print(f"import: {summary.rows} rows, {len(summary.started)} started, {len(summary.already_running)} already "
          f"running, {len(summary.rejected)} rejected, {len(summary.failed)} failed")
    if summary.rejected:
        print(f"rejected rows written to {reject_path}")


def main(argv: list[str]) -> int:
    args = parse(argv)
    if not args.file.is_file():
        print(f"error: {args.file}: no such file", file=sys.stderr)
        return BAD_INPUT
    try:
        summary, reject_path = asyncio.run(start(args))
    except Refused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    report(summary, reject_path)
    return FAILED if summary.failed else 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    # Leave without tearing down the Temporal SDK's threads, which can crash the interpreter
    # (temporalio/sdk-python#300); the CLI's `run` does the same.
    os._exit(code)
