"""One account's episode: start episodes from a file, status, payments, closing, the statement; doctor."""

import json
from datetime import date
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from arrears.audit.statement import StatementError, render_statement
from arrears.audit.statement import statement as compute_statement
from arrears.cli.context import console, current_settings, err, run_async, session_factory, temporal_client, utcnow
from arrears.cli.errors import BAD_INPUT, BadInput, CliError, fail
from arrears.client.doctor import diagnose
from arrears.client.operations import Rejected, close_episode, get_status, record_payment
from arrears.client.record_status import STATUS_TIMEOUT, episode_queue, no_worker_line, polling_workers, record_view
from arrears.config.strategies import load_strategy
from arrears.contracts.collection import PaymentInput
from arrears.db.engine import make_engine
from arrears.db.models import Account
from arrears.demo.summaries import print_import_summary
from arrears.domain.money import parse_amount
from arrears.domain.pricing import Pricing
from arrears.domain.strategy import StrategyError
from arrears.intake.importer import ImportFileError, check_file, import_file

app = typer.Typer()  # mounted without a name: its commands are top-level


@app.command()
def start(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV or JSON Lines file of overdue accounts")
    ],
    strategy: Annotated[Path | None, typer.Option(help="Strategy file [ARREARS_STRATEGY]")] = None,
    day_seconds: Annotated[
        float, typer.Option(help="Length of a collection day in seconds (86400 = real time)")
    ] = 86_400,
    concurrency: Annotated[int, typer.Option(min=1, max=512, help="Starts in flight at once")] = 64,
    rejects: Annotated[Path | None, typer.Option(help="Reject file (default: FILE.rejects.csv)")] = None,
    encoding: Annotated[
        str | None, typer.Option(help="The file's encoding when not UTF-8, e.g. GBK, GB18030, UTF-16, latin-1")
    ] = None,
) -> None:
    """Validate a file of overdue accounts and start one episode per good row."""
    summary = run_async(_start(file, strategy, day_seconds, concurrency, rejects, encoding))
    if summary.failed:
        raise typer.Exit(1)


async def _start(
    file: Path,
    strategy_path: Path | None,
    day_seconds: float,
    concurrency: int,
    rejects: Path | None,
    encoding: str | None = None,
):
    s = current_settings()
    try:
        strategy = load_strategy(strategy_path or s.strategy)
    except StrategyError as exc:
        raise BadInput(str(exc)) from None
    reject_path = rejects or file.with_name(file.name + ".rejects.csv")
    try:
        # Checked whole before anything starts: encoding, empty or header-only files.
        facts = check_file(file, encoding)
    except ImportFileError as exc:
        raise BadInput(str(exc)) from None
    client = await temporal_client()
    engine = make_engine(s.database_url)
    rows_estimate = facts.lines - (
        0 if file.suffix.lower() in (".jsonl", ".ndjson", ".json") or facts.first_line.lstrip().startswith("{") else 1
    )
    with Progress(
        TextColumn("[bold]importing[/bold]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    ) as progress:
        task = progress.add_task("rows", total=rows_estimate)  # lines; a quoted field may span two
        try:
            summary = await import_file(
                client,
                engine,
                file,
                task_queue=s.task_queue,
                strategy=strategy,
                day_seconds=day_seconds,
                concurrency=concurrency,
                reject_path=reject_path,
                progress=lambda n: progress.advance(task, n),
                encoding=encoding,
            )
        except ImportFileError as exc:
            raise BadInput(str(exc)) from None
        progress.update(task, total=summary.rows, completed=summary.rows)
    print_import_summary(console, err, summary, reject_path)
    return summary


@app.command()
def status(
    account: Annotated[str, typer.Argument(help="Account id")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Show an account's episode: stage, DPD, bucket, balances, next action, contacts."""

    async def go():
        client = await temporal_client()
        # A query needs a worker: with none polling it would hang until "Timeout expired".
        queue = await episode_queue(client, account) or current_settings().task_queue
        if not await polling_workers(client, queue):
            return queue
        try:
            return await get_status(client, account, rpc_timeout=STATUS_TIMEOUT)
        except Rejected as exc:
            if "timeout" in str(exc).lower() or "deadline" in str(exc).lower():
                return queue  # a worker was seen lately but none answered
            raise

    view = run_async(go())
    if isinstance(view, str):
        err.print(f"[red]error:[/red] {no_worker_line(view)}", highlight=False, soft_wrap=True)
        with session_factory()() as session:
            lines = record_view(session, account, utcnow())
        for line in lines:
            console.print(line, markup=False, highlight=False)
        raise typer.Exit(1)
    if as_json:
        print(view.model_dump_json(indent=2))
        return
    table = Table(show_header=False, title=f"account {account}")
    rows = [
        ("stage", view.stage),
        ("DPD", str(view.dpd)),
        ("bucket", view.bucket),
        ("risk segment", view.risk_segment.value),
        ("overdue", f"{view.currency} {view.overdue_amount}"),
        ("total balance", f"{view.currency} {view.total_balance}"),
        ("paid so far", f"{view.currency} {view.paid_total}"),
        (
            "balance by part",
            f"principal {view.principal}, interest {view.interest} (+{view.accrued_interest} accrued), "
            f"fees {view.fees}; `arrears statement {account}` explains it"
            if view.principal is not None
            else "not priced",
        ),
        ("card", ", ".join(level.value for level in view.card_restrictions) or "no restriction"),
        ("blacklist", f"listed {view.blacklisted_on}" if view.blacklisted_on else "not listed"),
        ("bureau notice", _notice(view.bureau_notice_on, view.bureau_notice_result)),
        (
            "legal",
            (
                f"{view.legal.status}"
                + (f", case {view.legal.case_id} {view.legal.case.state.value}" if view.legal.case else "")
                + f": {'; '.join(view.legal.reasons)}"
            )
            if view.legal
            else "-",
        ),
        ("re-ages", ", ".join(str(d) for d in view.reages) or "none"),
        (
            "next action",
            f"{view.next_action.value} ({view.next_step_id}) at "
            f"{view.next_action_at.astimezone(ZoneInfo(view.timezone)):%Y-%m-%d %H:%M} {view.timezone}"
            if view.next_action and view.next_action_at
            else "-",
        ),
        (
            "agency",
            f"{view.placement.agency_id} ({view.placement.status}) until "
            f"{view.placement.ends_at.astimezone(ZoneInfo(view.timezone)):%Y-%m-%d %H:%M}; collected "
            f"{view.currency} {view.placement.collected}, commission {view.currency} {view.placement.commission}"
            if view.placement
            else "-",
        ),
        ("holds", "; ".join(_hold_line(h, view.timezone) for h in view.holds) or "none"),
        (
            "effective collections",
            f"{view.effective_collections}"
            + (
                f"; malicious-overdraft criteria met on {view.malicious_overdraft_earliest} at the earliest"
                if view.malicious_overdraft_earliest
                else ""
            ),
        ),
        ("contacts", ", ".join(f"{k} {v}" for k, v in sorted(view.contacts_by_channel.items())) or "none"),
        ("outcome", f"{view.outcome.value}: {view.outcome_reason}" if view.outcome else "-"),
        ("needs attention", f"{view.attention} (see `arrears doctor`)" if view.attention else "no"),
        ("strategy", f"{view.strategy_name} ({view.strategy_hash[:12]})"),
        ("episode", view.episode_id),
        ("as of", f"{view.as_of:%Y-%m-%d %H:%M} UTC"),
    ]
    for k, v in rows:
        table.add_row(k, v)
    console.print(table)


def _notice(on, result: str | None) -> str:
    """The bureau's prior notice: posted, or attempted and not posted (the account stays unreported)."""
    if on is None:
        return "-"
    if result in ("no_address", "invalid_address"):
        return f"not posted {on} ({result}): negative reports withheld until a notice can arrive"
    return f"sent {on}"


def _hold_line(hold, tz: str) -> str:
    def local(moment) -> str:
        return f"{moment.astimezone(ZoneInfo(tz)):%Y-%m-%d %H:%M}"

    line = f"{hold.hold_type.value} {hold.hold_id} ({hold.status}"
    if hold.status == "active" and hold.expires_at:
        line += f" until {local(hold.expires_at)}"
    elif hold.status != "active" and hold.released_at:
        line += f" {local(hold.released_at)}" + (f": {hold.resolution}" if hold.resolution else "")
    return line + ")"


@app.command()
def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    deep: Annotated[bool, typer.Option(help="Also describe every running episode (slow on a large book)")] = False,
    limit: Annotated[int, typer.Option(help="With --deep: at most this many episodes")] = 500,
    min_attempts: Annotated[int, typer.Option(help="With --deep: report activities retried this often")] = 5,
) -> None:
    """Episodes that need a person: flagged for attention, failing workflow tasks, activities retrying.

    Exits 1 when there is anything to look at, 0 when all is well (usable from a monitor)."""

    async def go():
        return await diagnose(await temporal_client(), deep=deep, limit=limit, min_attempts=min_attempts)

    findings = run_async(go())
    if as_json:
        print(json.dumps([f.as_json() for f in findings], indent=2))
    elif not findings:
        console.print("all well: no episode needs attention")
    else:
        table = Table(title=f"{len(findings)} episode(s) need attention")
        for column in ("account", "problem", "detail", "attempts", "last error"):
            table.add_column(column, overflow="fold")
        for f in findings:
            table.add_row(
                f.account_id or f.workflow_id,
                f.problem,
                f.detail,
                str(f.attempts) if f.attempts is not None else "-",
                f.last_error or "-",
            )
        console.print(table)
    if findings:
        raise typer.Exit(1)


@app.command()
def pay(
    account: Annotated[str, typer.Argument(help="Account id")],
    amount: Annotated[str, typer.Option(help="Amount paid, in the account's currency")],
    payment_id: Annotated[str, typer.Option(help="The payment's unique id (repeats are ignored)")],
    channel: Annotated[str, typer.Option(help="How it was paid")] = "bank_transfer",
) -> None:
    """Record a payment against an account's running episode."""
    try:
        value = parse_amount(amount)
        PaymentInput(
            payment_id=payment_id, amount=value, channel=channel
        )  # the workflow's own bounds, checked here first
    except ValueError as exc:
        fail(exc, BAD_INPUT)

    async def go():
        try:
            return await record_payment(await temporal_client(), account, payment_id, value, channel)
        except Rejected as exc:
            raise CliError(f"payment rejected: {exc}") from None

    result = run_async(go())
    note = " (repeat: nothing changed)" if result.duplicate else ""
    console.print(
        f"payment {result.payment_id} recorded{note}; overdue now {result.overdue_amount}"
        + (f"; episode ended: {result.outcome.value}" if result.outcome else "")
    )


@app.command()
def close(
    account: Annotated[str, typer.Argument(help="Account id")],
    reason: Annotated[str, typer.Option(help="Why the episode is closed (kept on record)")],
    operator: Annotated[str, typer.Option(help="Your operator id")],
) -> None:
    """Close an account's episode by an operator's decision."""

    async def go():
        try:
            return await close_episode(await temporal_client(), account, reason, operator)
        except Rejected as exc:
            raise CliError(f"close rejected: {exc}") from None

    result = run_async(go())
    console.print(f"episode closed by {result.closed_by}: {result.reason}")


@app.command()
def statement(
    account: Annotated[str, typer.Argument(help="Account id")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: today in the account's zone)")
    ] = None,
    strategy: Annotated[Path | None, typer.Option(help="Strategy whose [pricing] applies [ARREARS_STRATEGY]")] = None,
    episode: Annotated[str | None, typer.Option(help="Episode id (default: the latest)")] = None,
) -> None:
    """The balance as of a date (principal, interest, fees, overdue, DPD), explained line by line."""
    try:
        chosen = load_strategy(strategy or current_settings().strategy)
    except StrategyError as exc:
        fail(exc, BAD_INPUT)
    # Until Strategy has a pricing section, every strategy prices with the defaults.
    pricing = getattr(chosen, "pricing", None) or Pricing()
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        fail(f"--as-of: not a date (YYYY-MM-DD): {as_of!r}", BAD_INPUT)
    try:
        with session_factory()() as session:
            if day is None:
                found = session.get(Account, account)
                day = utcnow().astimezone(ZoneInfo(found.timezone)).date() if found else date.today()
            result = compute_statement(session, account, day, pricing, episode_id=episode)
    except (StatementError, ValueError) as exc:
        fail(exc)
    if result.episode.strategy_hash != chosen.content_hash():
        result.notes.append(
            f"note: priced with {chosen.name} ({chosen.content_hash()[:12]}); the episode is pinned to "
            f"{result.episode.strategy_name} ({result.episode.strategy_hash[:12]})"
        )
    print(render_statement(result))
