"""`arrears`: the operators' command line. Each command is a thin call into the layers below."""

import asyncio
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Optional
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from arrears.cli.errors import BadInput, OneLineErrors
from arrears.config.settings import Settings, load_settings

# OneLineErrors: whatever a command lets escape is one line and an exit code (2 bad input, 1 otherwise).
app = typer.Typer(cls=OneLineErrors, no_args_is_help=True, add_completion=False, help=__doc__)
db_app = typer.Typer(no_args_is_help=True, help="Database migrations (Alembic).")
strategy_app = typer.Typer(no_args_is_help=True, help="Strategy files.")
desk_app = typer.Typer(no_args_is_help=True, help="The collector desk: record what a customer agreed.")
agencies_app = typer.Typer(no_args_is_help=True, help="Outside collection agencies: the agencies file and their load.")
app.add_typer(db_app, name="db")
app.add_typer(strategy_app, name="strategy")
collectors_app = typer.Typer(no_args_is_help=True, help="The collections team: roster, absence, API tokens.")
app.add_typer(desk_app, name="desk")
app.add_typer(collectors_app, name="collectors")
app.add_typer(agencies_app, name="agencies")
audit_app = typer.Typer(no_args_is_help=True, help="Auditors' tools; they only read.")
app.add_typer(audit_app, name="audit")
compliance_app = typer.Typer(no_args_is_help=True, help="Contact policy: audit the record against a preset.")
app.add_typer(compliance_app, name="compliance")
archive_app = typer.Typer(no_args_is_help=True, help="Workflow histories kept in the system of record past Temporal's retention.")
app.add_typer(archive_app, name="archive")
hold_app = typer.Typer(no_args_is_help=True, help="Holds on an account: dispute, cease contact, hardship, bankruptcy, ...")
app.add_typer(hold_app, name="hold")
evidence_app = typer.Typer(no_args_is_help=True, help="The evidence store: visit photos, letters, court documents.")
app.add_typer(evidence_app, name="evidence")
from arrears.cli.accounts import blacklist_app, bureau_app, legal_show, recovery_app  # noqa: E402 - sub-apps of account actions
app.add_typer(bureau_app, name="bureau")
app.add_typer(recovery_app, name="recovery")
app.add_typer(blacklist_app, name="blacklist")
app.command("legal")(legal_show)
from arrears.insight import cli as insight_cli  # noqa: E402 - reports, reviews, complaints, experiments (docs/reports.md)
app.add_typer(insight_cli.report_app, name="report")
desk_app.command("review")(insight_cli.review)
desk_app.command("review-agency")(insight_cli.review_agency)
desk_app.add_typer(insight_cli.complaint_app, name="complaint")
strategy_app.command("promote")(insight_cli.promote)
from arrears.risk.cli import behaviour_app, risk_app  # noqa: E402 - risk assessment (issue 19)
app.add_typer(behaviour_app, name="behaviour")
app.add_typer(risk_app, name="risk")
console = Console()
err = Console(stderr=True)


class _State:
    settings: Settings
    used_temporal = False


state = _State()


@app.callback()
def main(
    address: Annotated[Optional[str], typer.Option(help="Temporal frontend, host:port [TEMPORAL_ADDRESS]")] = None,
    namespace: Annotated[Optional[str], typer.Option(help="Temporal namespace [TEMPORAL_NAMESPACE]")] = None,
    task_queue: Annotated[Optional[str], typer.Option(help="Task queue [ARREARS_TASK_QUEUE]")] = None,
    database_url: Annotated[Optional[str], typer.Option(help="SQLAlchemy URL [ARREARS_DATABASE_URL]")] = None,
) -> None:
    """Arrears: durable collection lifecycles for overdue credit-card accounts."""
    from pydantic import ValidationError

    try:
        state.settings = load_settings(
            temporal_address=address, temporal_namespace=namespace, task_queue=task_queue, database_url=database_url
        )
    except ValidationError as exc:
        from arrears.intake.csvfile import validation_reason

        _fail(f"settings: {validation_reason(exc)}", code=2)
    from datetime import timedelta

    from arrears.client.operations import UPDATE_WAIT

    UPDATE_WAIT.set(timedelta(seconds=state.settings.update_wait_seconds))


class CliError(Exception):
    """A clear no for the operator; printed without a traceback."""


def _fail(message: "str | BaseException", code: int = 1) -> None:
    from pydantic import ValidationError

    if isinstance(message, ValidationError):
        from arrears.intake.csvfile import validation_reason

        message, code = validation_reason(message), 2
    text = " ".join(str(message).split("\n"))
    err.print(f"[red]error:[/red] {text}", markup=True, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _run(coro):
    """Run a coroutine; its failures are reported after the event loop has closed.

    Exiting from inside the loop while the Temporal client is half set up can
    crash the interpreter at shutdown, so errors travel out as exceptions.
    """
    from arrears.audit.archive import ArchiveCorrupt
    from arrears.client.operations import Rejected

    try:
        return asyncio.run(coro)
    except (CliError, Rejected, ArchiveCorrupt) as exc:
        _fail(exc)


async def _client():
    from arrears.runtime.connect import connect

    state.used_temporal = True
    try:
        return await connect(state.settings)
    except RuntimeError as exc:
        raise CliError(f"cannot reach Temporal at {state.settings.temporal_address}: {exc}") from None


# ---- server and worker -----------------------------------------------------------


@app.command()
def server(
    port: Annotated[int, typer.Option(help="Frontend gRPC port")] = 7233,
    ui_port: Annotated[Optional[int], typer.Option(help="Web UI port [ARREARS_SERVER_UI_PORT]")] = None,
    db_file: Annotated[Optional[Path], typer.Option(help="Persistence file [ARREARS_SERVER_DB]")] = None,
) -> None:
    """Run the embedded Temporal dev server (persistent, our search attributes registered)."""
    from arrears.runtime.devserver import server_command

    s = state.settings
    cmd = server_command(db_file or s.server_db_file, port, ui_port or s.server_ui_port)
    console.print(f"Temporal dev server on 127.0.0.1:{port}, Web UI http://127.0.0.1:{ui_port or s.server_ui_port}")
    console.print(f"persistence: {db_file or s.server_db_file}")
    os.execv(cmd[0], cmd)


@app.command()
def worker() -> None:
    """Run a worker: the AccountCollection workflow and its activities."""
    from arrears.runtime.connect import connect
    from arrears.runtime.metrics import runtime_for
    from arrears.runtime.worker import run_worker

    async def go():
        runtime = runtime_for(state.settings.metrics_port)
        try:
            client = await connect(state.settings, runtime)
        except RuntimeError as exc:
            raise CliError(f"cannot reach Temporal at {state.settings.temporal_address}: {exc}") from None
        if state.settings.metrics_port:
            print(f"metrics on http://0.0.0.0:{state.settings.metrics_port}/metrics", flush=True)
        await run_worker(client, state.settings)

    _run(go())


# ---- starting episodes -------------------------------------------------------------


@app.command()
def start(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or JSON Lines file of overdue accounts")],
    strategy: Annotated[Optional[Path], typer.Option(help="Strategy file [ARREARS_STRATEGY]")] = None,
    day_seconds: Annotated[float, typer.Option(help="Length of a collection day in seconds (86400 = real time)")] = 86_400,
    concurrency: Annotated[int, typer.Option(min=1, max=512, help="Starts in flight at once")] = 64,
    rejects: Annotated[Optional[Path], typer.Option(help="Reject file (default: FILE.rejects.csv)")] = None,
    encoding: Annotated[Optional[str], typer.Option(help="The file's encoding when not UTF-8, e.g. GBK, GB18030, UTF-16, latin-1")] = None,
) -> None:
    """Validate a file of overdue accounts and start one episode per good row."""
    summary = _run(_start(file, strategy, day_seconds, concurrency, rejects, encoding))
    if summary.failed:
        raise typer.Exit(1)


async def _start(file: Path, strategy_path: Path | None, day_seconds: float, concurrency: int, rejects: Path | None,
                 encoding: str | None = None):
    from arrears.db.engine import make_engine
    from arrears.domain.strategy import StrategyError
    from arrears.config.strategies import load_strategy
    from arrears.intake.importer import ImportFileError, check_file, import_file

    s = state.settings
    try:
        strategy = load_strategy(strategy_path or s.strategy)
    except StrategyError as exc:
        raise CliError(str(exc)) from None
    reject_path = rejects or file.with_name(file.name + ".rejects.csv")
    try:
        # Checked whole before anything starts: encoding, empty or header-only files.
        facts = check_file(file, encoding)
    except ImportFileError as exc:
        raise BadInput(str(exc)) from None
    client = await _client()
    engine = make_engine(s.database_url)
    rows_estimate = facts.lines - (0 if file.suffix.lower() in (".jsonl", ".ndjson", ".json")
                                   or facts.first_line.lstrip().startswith("{") else 1)
    with Progress(
        TextColumn("[bold]importing[/bold]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    ) as progress:
        task = progress.add_task("rows", total=rows_estimate)  # lines; a quoted field may span two
        try:
            summary = await import_file(
                client, engine, file, task_queue=s.task_queue, strategy=strategy, day_seconds=day_seconds,
                concurrency=concurrency, reject_path=reject_path, progress=lambda n: progress.advance(task, n),
                encoding=encoding,
            )
        except ImportFileError as exc:
            raise BadInput(str(exc)) from None
        progress.update(task, total=summary.rows, completed=summary.rows)
    print_import_summary(summary, reject_path)
    return summary


def print_import_summary(summary, reject_path: Path | None) -> None:
    for r in summary.rejected[:20]:
        err.print(f"[yellow]line {r.line}[/yellow] {r.account_id or '-'}: {r.reason}")
    if len(summary.rejected) > 20:
        err.print(f"... and {len(summary.rejected) - 20} more")
    for r in summary.failed[:20]:
        err.print(f"[red]line {r.line}[/red] {r.account_id}: {r.reason}")
    table = Table(title="import")
    for col in ("rows", "started", "already running", "rejected", "failed"):
        table.add_column(col, justify="right")
    table.add_row(*(str(x) for x in (summary.rows, len(summary.started), len(summary.already_running),
                                     len(summary.rejected), len(summary.failed))))
    console.print(table)
    if summary.rejected and reject_path:
        console.print(f"rejected rows written to {reject_path}")


# ---- one account -------------------------------------------------------------------


@app.command()
def status(
    account: Annotated[str, typer.Argument(help="Account id")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Show an account's episode: stage, DPD, bucket, balances, next action, contacts."""
    from arrears.client.operations import Rejected, get_status
    from arrears.client.record_status import STATUS_TIMEOUT, episode_queue, no_worker_line, polling_workers, record_view

    async def go():
        client = await _client()
        # A query needs a worker: with none polling it would hang until "Timeout expired".
        queue = await episode_queue(client, account) or state.settings.task_queue
        if not await polling_workers(client, queue):
            return queue
        try:
            return await get_status(client, account, rpc_timeout=STATUS_TIMEOUT)
        except Rejected as exc:
            if "timeout" in str(exc).lower() or "deadline" in str(exc).lower():
                return queue  # a worker was seen lately but none answered
            raise

    view = _run(go())
    if isinstance(view, str):
        err.print(f"[red]error:[/red] {no_worker_line(view)}", highlight=False, soft_wrap=True)
        with _sessions()() as session:
            lines = record_view(session, account, _utcnow())
        for line in lines:
            console.print(line, markup=False, highlight=False)
        raise typer.Exit(1)
    if as_json:
        print(view.model_dump_json(indent=2))
        return
    table = Table(show_header=False, title=f"account {account}")
    rows = [
        ("stage", view.stage), ("DPD", str(view.dpd)), ("bucket", view.bucket), ("risk segment", view.risk_segment.value),
        ("overdue", f"{view.currency} {view.overdue_amount}"), ("total balance", f"{view.currency} {view.total_balance}"),
        ("paid so far", f"{view.currency} {view.paid_total}"),
        ("balance by part", f"principal {view.principal}, interest {view.interest} (+{view.accrued_interest} accrued), "
         f"fees {view.fees}; `arrears statement {account}` explains it" if view.principal is not None else "not priced"),
        ("card", ", ".join(level.value for level in view.card_restrictions) or "no restriction"),
        ("blacklist", f"listed {view.blacklisted_on}" if view.blacklisted_on else "not listed"),
        ("bureau notice", _notice(view.bureau_notice_on, view.bureau_notice_result)),
        ("legal", (f"{view.legal.status}" + (f", case {view.legal.case_id} {view.legal.case.state.value}"
                                              if view.legal.case else "") + f": {'; '.join(view.legal.reasons)}")
         if view.legal else "-"),
        ("re-ages", ", ".join(str(d) for d in view.reages) or "none"),
        ("next action", f"{view.next_action.value} ({view.next_step_id}) at "
         f"{view.next_action_at.astimezone(ZoneInfo(view.timezone)):%Y-%m-%d %H:%M} {view.timezone}"
         if view.next_action and view.next_action_at else "-"),
        ("agency", f"{view.placement.agency_id} ({view.placement.status}) until "
         f"{view.placement.ends_at.astimezone(ZoneInfo(view.timezone)):%Y-%m-%d %H:%M}; collected "
         f"{view.currency} {view.placement.collected}, commission {view.currency} {view.placement.commission}"
         if view.placement else "-"),
        ("holds", "; ".join(_hold_line(h, view.timezone) for h in view.holds) or "none"),
        ("effective collections", f"{view.effective_collections}" + (
            f"; malicious-overdraft criteria met on {view.malicious_overdraft_earliest} at the earliest"
            if view.malicious_overdraft_earliest else "")),
        ("contacts", ", ".join(f"{k} {v}" for k, v in sorted(view.contacts_by_channel.items())) or "none"),
        ("outcome", f"{view.outcome.value}: {view.outcome_reason}" if view.outcome else "-"),
        ("needs attention", f"{view.attention} (see `arrears doctor`)" if view.attention else "no"),
        ("strategy", f"{view.strategy_name} ({view.strategy_hash[:12]})"), ("episode", view.episode_id),
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
    from arrears.client.doctor import diagnose

    async def go():
        return await diagnose(await _client(), deep=deep, limit=limit, min_attempts=min_attempts)

    findings = _run(go())
    if as_json:
        print(json.dumps([f.as_json() for f in findings], indent=2))
    elif not findings:
        console.print("all well: no episode needs attention")
    else:
        table = Table(title=f"{len(findings)} episode(s) need attention")
        for column in ("account", "problem", "detail", "attempts", "last error"):
            table.add_column(column, overflow="fold")
        for f in findings:
            table.add_row(f.account_id or f.workflow_id, f.problem, f.detail,
                          str(f.attempts) if f.attempts is not None else "-", f.last_error or "-")
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
    from arrears.contracts.collection import PaymentInput
    from arrears.domain.money import parse_amount
    from arrears.client.operations import Rejected, record_payment

    try:
        value = parse_amount(amount)
        PaymentInput(payment_id=payment_id, amount=value, channel=channel)  # the workflow's own bounds, checked here first
    except ValueError as exc:
        _fail(exc, code=2)

    async def go():
        try:
            return await record_payment(await _client(), account, payment_id, value, channel)
        except Rejected as exc:
            raise CliError(f"payment rejected: {exc}") from None

    result = _run(go())
    note = " (repeat: nothing changed)" if result.duplicate else ""
    console.print(f"payment {result.payment_id} recorded{note}; overdue now {result.overdue_amount}"
                  + (f"; episode ended: {result.outcome.value}" if result.outcome else ""))


@app.command()
def close(
    account: Annotated[str, typer.Argument(help="Account id")],
    reason: Annotated[str, typer.Option(help="Why the episode is closed (kept on record)")],
    operator: Annotated[str, typer.Option(help="Your operator id")],
) -> None:
    """Close an account's episode by an operator's decision."""
    from arrears.client.operations import Rejected, close_episode

    async def go():
        try:
            return await close_episode(await _client(), account, reason, operator)
        except Rejected as exc:
            raise CliError(f"close rejected: {exc}") from None

    result = _run(go())
    console.print(f"episode closed by {result.closed_by}: {result.reason}")


@desk_app.command("promise")
def desk_promise(
    account: Annotated[str, typer.Argument(help="Account id")],
    promise_id: Annotated[str, typer.Option(help="The promise's unique id")],
    amount: Annotated[str, typer.Option(help="Amount promised")],
    date_: Annotated[str, typer.Option("--date", help="Promised date, YYYY-MM-DD, in the customer's time zone")],
    collector: Annotated[str, typer.Option(help="Collector who took the promise")],
    channel: Annotated[str, typer.Option(help="Where it was made")] = "call",
    note: Annotated[str, typer.Option()] = "",
    replace: Annotated[bool, typer.Option(help="Replace the active promise")] = False,
    supervisor: Annotated[Optional[str], typer.Option(help="Approving supervisor (needed after broken promises)")] = None,
) -> None:
    """Record a promise to pay: escalation pauses until it is kept or broken."""
    from arrears.contracts.collection import PromiseInput
    from arrears.domain.money import parse_amount
    from arrears.client.operations import Rejected, promise_to_pay

    try:
        request = PromiseInput(
            promise_id=promise_id, amount=parse_amount(amount), promised_date=date.fromisoformat(date_),
            collector_id=collector, channel=channel, note=note, replace=replace, supervisor_id=supervisor,
        )
    except ValueError as exc:
        _fail(exc, code=2)

    async def go():
        try:
            return await promise_to_pay(await _client(), account, request)
        except Rejected as exc:
            raise CliError(f"promise refused: {exc}") from None

    result = _run(go())
    note_ = " (repeat: nothing changed)" if result.duplicate else ""
    console.print(f"promise {result.promise_id} {result.status}{note_}; judged at {result.deadline:%Y-%m-%d %H:%M} UTC; "
                  f"broken so far {result.broken_promises}")


@desk_app.command("settle")
def desk_settle(
    account: Annotated[str, typer.Argument(help="Account id")],
    offer_id: Annotated[str, typer.Option(help="The offer's unique id")],
    amount: Annotated[str, typer.Option(help="Amount that settles the account (below the balance)")],
    expires_on: Annotated[str, typer.Option(help="Last day to pay, YYYY-MM-DD, in the customer's time zone")],
    approved_by: Annotated[str, typer.Option(help="Who approved the discount")],
    role: Annotated[str, typer.Option(help="Approver's role: collector, supervisor or manager")],
    replace: Annotated[bool, typer.Option(help="Replace the open offer")] = False,
) -> None:
    """Offer a settlement: paying it before expiry ends the episode `settled`."""
    from arrears.contracts.collection import SettlementInput
    from arrears.domain.money import parse_amount
    from arrears.client.operations import Rejected, offer_settlement

    try:
        request = SettlementInput(
            offer_id=offer_id, amount=parse_amount(amount), expires_on=date.fromisoformat(expires_on),
            approved_by=approved_by, approver_role=role, replace=replace,
        )
    except ValueError as exc:
        _fail(exc, code=2)

    async def go():
        try:
            return await offer_settlement(await _client(), account, request)
        except Rejected as exc:
            raise CliError(f"settlement refused: {exc}") from None

    result = _run(go())
    console.print(f"offer {result.offer_id} {result.status} ({result.discount_percent}% discount); "
                  f"open until {result.expires_at:%Y-%m-%d %H:%M} UTC")


@desk_app.command("plan")
def desk_plan(
    account: Annotated[str, typer.Argument(help="Account id")],
    plan_id: Annotated[str, typer.Option(help="The plan's unique id")],
    instalment: Annotated[list[str], typer.Option(help="DATE=AMOUNT, repeat for each instalment")],
    approved_by: Annotated[str, typer.Option(help="Who approved the plan")],
    role: Annotated[str, typer.Option(help="Approver's role: collector, supervisor or manager")],
    down_payment: Annotated[str, typer.Option(help="Due today")] = "0",
    fee_waiver: Annotated[str, typer.Option(help="Fees waived")] = "0",
    rate_discount: Annotated[str, typer.Option(help="Interest-rate discount, percent")] = "0",
) -> None:
    """Agree an instalment plan: escalation is suspended while it runs."""
    from arrears.contracts.collection import PlanInput
    from arrears.domain.money import parse_amount
    from arrears.domain.plan import Instalment
    from arrears.client.operations import Rejected, agree_plan

    try:
        schedule = []
        for item in instalment:
            when, _, amount = item.partition("=")
            schedule.append(Instalment(due_date=date.fromisoformat(when), amount=parse_amount(amount)))
        request = PlanInput(
            plan_id=plan_id, instalments=schedule, down_payment=parse_amount(down_payment),
            fee_waiver=parse_amount(fee_waiver), rate_discount_percent=parse_amount(rate_discount),
            approved_by=approved_by, approver_role=role,
        )
    except ValueError as exc:
        from pydantic import ValidationError

        from arrears.intake.csvfile import validation_reason

        reason = validation_reason(exc) if isinstance(exc, ValidationError) else str(exc)
        _fail(f"{reason} (instalments are given as YYYY-MM-DD=AMOUNT)", code=2)

    async def go():
        try:
            return await agree_plan(await _client(), account, request)
        except Rejected as exc:
            raise CliError(f"plan refused: {exc}") from None

    result = _run(go())
    console.print(f"plan {result.plan_id} {result.status}: {result.instalments} instalments, total {result.total}, "
                  f"next due {result.next_due}")


@desk_app.command("outcome")
def desk_outcome(
    account: Annotated[str, typer.Argument(help="Account id")],
    task_id: Annotated[int, typer.Option(help="The call or visit task worked")],
    outcome: Annotated[str, typer.Option(help="right_party_contact, no_answer, wrong_number, callback_requested, ...")],
    collector: Annotated[str, typer.Option(help="Collector id")],
    duration: Annotated[int, typer.Option(help="Seconds on the call")] = 0,
    reason: Annotated[Optional[str], typer.Option(help="Reason for delinquency: forgot, cash_flow, job_loss, ...")] = None,
    note: Annotated[str, typer.Option()] = "",
    callback_at: Annotated[Optional[str], typer.Option(help="ISO time with offset, for callback_requested")] = None,
    started_at: Annotated[Optional[str], typer.Option(
        help="When the number was dialled (ISO with offset), for a call entered after the fact; "
             "default: the start recorded by `desk start`, else the outcome's time")] = None,
) -> None:
    """Record what happened on a call task (visits go through the API with their report)."""
    from datetime import datetime

    from arrears.contracts.collection import OutcomeInput
    from arrears.client.operations import Rejected, log_contact_outcome

    try:
        request = OutcomeInput(
            task_id=task_id, outcome=outcome, collector_id=collector, duration_seconds=duration,
            reason_for_delinquency=reason, note=note,
            callback_at=datetime.fromisoformat(callback_at) if callback_at else None,
            started_at=datetime.fromisoformat(started_at) if started_at else None,
        )
    except ValueError as exc:
        _fail(exc, code=2)

    async def go():
        try:
            return await log_contact_outcome(await _client(), account, request)
        except Rejected as exc:
            raise CliError(f"outcome refused: {exc}") from None

    result = _run(go())
    tail = f"; callback scheduled ({result.callback_step})" if result.callback_step else ""
    console.print(f"task {result.task_id}: {result.outcome.value} recorded{tail}")


# ---- holds ----------------------------------------------------------------------------------


@hold_app.command("place")
def hold_place(
    account: Annotated[str, typer.Argument(help="Account id")],
    hold_id: Annotated[str, typer.Option(help="The hold's unique id (a repeat with the same content is ignored)")],
    type_: Annotated[str, typer.Option("--type", help="dispute, cease_contact, hardship, bankruptcy, deceased, "
                                                      "complaint, fraud_claim, attorney_represented")],
    reason: Annotated[str, typer.Option(help="Why (kept on record)")],
    by: Annotated[str, typer.Option("--by", help="Who places it")],
    evidence: Annotated[str, typer.Option(help="An evidence id (arrears evidence add) or an outside reference (a case number); never a path")] = "",
    channel: Annotated[Optional[str], typer.Option(help="complaint: the channel complained about")] = None,
    days: Annotated[Optional[int], typer.Option(help="hardship: days escalation pauses (default: the strategy's)")] = None,
) -> None:
    """Place a hold: what it stops depends on its type (see README, Holds)."""
    from arrears.contracts.collection import HoldInput
    from arrears.client.operations import Rejected, place_hold

    try:
        request = HoldInput(hold_id=hold_id, hold_type=type_, reason=reason, evidence_ref=evidence, placed_by=by,
                            channel=channel, days=days)
    except ValueError as exc:
        _fail(exc, code=2)
    from arrears.domain.evidence_ids import is_evidence_id
    from arrears.audit.evidence_store import missing_for

    if is_evidence_id(request.evidence_ref):
        with _sessions()() as session:
            if missing_for(session, account, [request.evidence_ref]):
                _fail(f"--evidence: {request.evidence_ref} is not in the evidence store for {account} "
                      "(add it with `arrears evidence add`)", code=2)

    async def go():
        try:
            return await place_hold(await _client(), account, request)
        except Rejected as exc:
            raise CliError(f"hold refused: {exc}") from None

    result = _run(go())
    note = " (repeat: nothing changed)" if result.duplicate else ""
    tail = f" until {result.expires_at:%Y-%m-%d %H:%M} UTC" if result.expires_at else ""
    task = f"; task {result.task_id} opened" if result.task_id else ""
    console.print(f"hold {result.hold_id} ({result.hold_type.value}) {result.status}{tail}{note}{task}; "
                  f"active holds: {', '.join(t.value for t in result.active_holds) or 'none'}")


@hold_app.command("release")
def hold_release(
    account: Annotated[str, typer.Argument(help="Account id")],
    hold_id: Annotated[str, typer.Option(help="The hold to release")],
    by: Annotated[str, typer.Option("--by", help="Who releases it")],
    resolution: Annotated[Optional[str], typer.Option(help="dispute: verified, withdrawn or upheld; others optional")] = None,
) -> None:
    """Release a hold; the last one pausing escalation resumes the ladder at today's DPD."""
    from arrears.contracts.collection import ReleaseHoldInput
    from arrears.client.operations import Rejected, release_hold

    try:
        request = ReleaseHoldInput(hold_id=hold_id, released_by=by, resolution=resolution)
    except ValueError as exc:
        _fail(exc, code=2)

    async def go():
        try:
            return await release_hold(await _client(), account, request)
        except Rejected as exc:
            raise CliError(f"release refused: {exc}") from None

    result = _run(go())
    ended = f"; episode ended: {result.outcome.value}" if result.outcome else ""
    console.print(f"hold {result.hold_id} ({result.hold_type.value}) {result.status}; "
                  f"active holds: {', '.join(t.value for t in result.active_holds) or 'none'}{ended}")


# ---- the team and its work -------------------------------------------------------------


def _sessions():
    from arrears.db.engine import make_engine, make_sessionmaker

    return make_sessionmaker(make_engine(state.settings.database_url))


def _utcnow():
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


def _parse_moment(value: str | None):
    from datetime import datetime

    if value is None:
        return _utcnow()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        _fail(f"not an ISO time: {value!r}")
    if moment.tzinfo is None:
        _fail(f"give the time with its UTC offset, e.g. {value}+08:00")
    return moment


@collectors_app.command("import")
def collectors_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Roster CSV")],
    drop_missing: Annotated[bool, typer.Option("--drop-missing", help="The file is the whole team: make anyone not in it inactive")] = False,
) -> None:
    """Load or update the roster; waiting tasks then go to whoever has room."""
    from arrears.desk.assign import place_waiting, sweep
    from arrears.desk.roster import RosterFileError, import_roster

    sessions = _sessions()
    try:
        summary = import_roster(sessions, file, _utcnow(), drop_missing=drop_missing)
    except RosterFileError as exc:
        _fail(exc)
    console.print(f"roster: {len(summary.added)} added, {len(summary.updated)} updated, {len(summary.rejected)} rejected")
    if summary.dropped:
        console.print(f"made inactive (not in the file; their tokens stop now): {', '.join(summary.dropped)}; "
                      f"{sweep(sessions, _utcnow())}")
    for reject in summary.rejected:
        err.print(f"  line {reject.line} ({reject.collector_id or '?'}): {reject.reason}")
    placed = place_waiting(sessions, _utcnow())
    if placed.assigned or placed.waiting:
        console.print(f"waiting tasks: {placed.assigned} assigned, {placed.waiting} still waiting")


@collectors_app.command("list")
def collectors_list() -> None:
    """The roster with each collector's open load."""
    from sqlalchemy import select

    from arrears.db.models import Collector
    from arrears.desk.assign import open_loads

    with _sessions()() as session:
        loads = open_loads(session)
        rows = session.scalars(select(Collector).order_by(Collector.team, Collector.collector_id)).all()
        table = Table("id", "name", "team", "role", "languages", "regions", "open / capacity", "status")
        for c in rows:
            status = "inactive" if not c.active else ("absent" if c.absent else "at work")
            table.add_row(c.collector_id, c.name, c.team, c.role, ";".join(c.languages), ";".join(c.regions) or "-",
                          f"{loads.get(c.collector_id, 0)} / {c.daily_capacity}", status)
    console.print(table)


def _set_absent(collector: str, absent: bool) -> None:
    from arrears.desk.assign import DeskError, set_absent

    try:
        summary = set_absent(_sessions(), collector, absent, _utcnow())
    except DeskError as exc:
        _fail(exc)
    console.print(f"{collector} marked {'absent' if absent else 'back at work'}: {summary}")


@collectors_app.command("absent")
def collectors_absent(collector: Annotated[str, typer.Argument(help="Collector id")]) -> None:
    """Mark a collector absent: no new work, and their open tasks go to others now."""
    _set_absent(collector, True)


@collectors_app.command("back")
def collectors_back(collector: Annotated[str, typer.Argument(help="Collector id")]) -> None:
    """Mark a collector back at work: waiting tasks may go to them."""
    _set_absent(collector, False)


@collectors_app.command("token")
def collectors_token(
    collector: Annotated[str, typer.Argument(help="Collector id")],
    name: Annotated[str, typer.Option(help="Which token (a device, a system); issuing a name again replaces it")] = "default",
    expires: Annotated[Optional[str], typer.Option(help="Lifetime, e.g. 30d, 12h, 2w [ARREARS_TOKEN_DAYS days]")] = None,
) -> None:
    """Issue a desk API token (shown once; the collector's earlier token of the same name stops working)."""
    from datetime import timedelta

    from arrears.desk.assign import DeskError
    from arrears.desk.tokens import issue_token, parse_lifetime

    try:
        lifetime = parse_lifetime(expires) if expires else timedelta(days=state.settings.token_days)
        now = _utcnow()
        token = issue_token(_sessions(), collector, now, name=name, lifetime=lifetime)
    except DeskError as exc:
        _fail(str(exc), code=2)
    console.print(token, soft_wrap=True, markup=False, highlight=False)
    err.print(f"store it now: only its hash is kept; token {name!r} of {collector} expires {now + lifetime:%Y-%m-%d %H:%M} UTC",
              markup=False, highlight=False)


@collectors_app.command("tokens")
def collectors_tokens(collector: Annotated[str, typer.Argument(help="Collector id")]) -> None:
    """The collector's tokens: name, issued, expires, last used (and from where), state."""
    from arrears.desk.tokens import list_tokens, token_state

    now = _utcnow()
    with _sessions()() as session:
        rows = list_tokens(session, collector)
    table = Table("name", "id", "issued (UTC)", "expires (UTC)", "last used (UTC)", "from", "state")
    for t in rows:
        table.add_row(t.name, t.token_id, f"{t.created_at:%Y-%m-%d %H:%M}", f"{t.expires_at:%Y-%m-%d %H:%M}",
                      f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never", t.last_used_from or "-",
                      token_state(t, now))
    console.print(table)


@collectors_app.command("revoke")
def collectors_revoke(
    collector: Annotated[str, typer.Argument(help="Collector id")],
    name: Annotated[Optional[str], typer.Option(help="Only this token (default: all of the collector's tokens)")] = None,
) -> None:
    """Revoke the collector's desk API tokens now."""
    from arrears.desk.assign import DeskError
    from arrears.desk.tokens import revoke_tokens

    try:
        count = revoke_tokens(_sessions(), collector, _utcnow(), name=name)
    except DeskError as exc:
        _fail(str(exc), code=2)
    console.print(f"{collector}: {count} live token(s) revoked")


@collectors_app.command("deactivate")
def collectors_deactivate(collector: Annotated[str, typer.Argument(help="Collector id")]) -> None:
    """A collector leaves: refused by the API at once, tokens revoked, open tasks moved to others."""
    from arrears.desk.assign import DeskError, set_active
    from arrears.desk.tokens import revoke_tokens

    sessions = _sessions()
    try:
        summary = set_active(sessions, collector, False, _utcnow())
        count = revoke_tokens(sessions, collector, _utcnow(), by="deactivated")
    except DeskError as exc:
        _fail(str(exc), code=2)
    console.print(f"{collector} inactive, {count} token(s) revoked: {summary}")


@collectors_app.command("activate")
def collectors_activate(collector: Annotated[str, typer.Argument(help="Collector id")]) -> None:
    """Make an inactive collector active again (issue a new token: the old ones stay revoked)."""
    from arrears.desk.assign import DeskError, set_active

    try:
        summary = set_active(_sessions(), collector, True, _utcnow())
    except DeskError as exc:
        _fail(str(exc), code=2)
    console.print(f"{collector} active: {summary}")


@desk_app.command("worklist")
def desk_worklist(
    collector: Annotated[str, typer.Argument(help="Collector id")],
    at: Annotated[Optional[str], typer.Option(help="As of this time (ISO with offset); default now")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    wide: Annotated[bool, typer.Option("--wide", help="Every column in full, however narrow the terminal")] = False,
) -> None:
    """Today's calls and visits for a collector, most urgent first."""
    from arrears.desk.assign import DeskError
    from arrears.desk.worklist import worklist
    from arrears.desk.worklist_view import print_worklist

    moment = _parse_moment(at)
    with _sessions()() as session:
        try:
            entries = worklist(session, collector, moment, policy=_configured_policy(), on_episode_clock=at is None)
        except DeskError as exc:
            _fail(exc)
    if as_json:
        import json

        print(json.dumps([e.model_dump(mode="json") for e in entries], ensure_ascii=False, indent=2))
        return
    print_worklist(console, entries, wide=wide)
    console.print(f"{len(entries)} task(s) for {collector}")


def _configured_policy():
    """The configured strategy's contact policy, for tasks opened before tasks kept their own; None
    (the baseline) when the strategy file does not load."""
    from arrears.domain.strategy import StrategyError
    from arrears.config.strategies import load_strategy

    try:
        return load_strategy(state.settings.strategy).compliance
    except StrategyError:
        return None


def _task_account(task_id: int) -> str:
    from arrears.db.models import CollectorTask

    with _sessions()() as session:
        task = session.get(CollectorTask, task_id)
        if task is None:
            _fail(f"no task {task_id}")
        return task.account_id


async def _collection_now(account_id: str):
    """The account's episode time now (arrears.client.clock); the record's answer when Temporal
    cannot be reached."""
    from arrears.client.clock import collection_now, known_now

    try:
        client = await _client()
    except CliError:
        with _sessions()() as session:
            return known_now(session, account_id, _utcnow())
    return await collection_now(client, _sessions(), account_id, _utcnow())


@desk_app.command("check")
def desk_check(task_id: Annotated[int, typer.Argument(help="Call or visit task")]) -> None:
    """Whether the contact gate allows working a call or visit task now: the rule, and the next permitted moment."""
    from arrears.db.models import CollectorTask
    from arrears.desk.calls import check

    moment = _run(_collection_now(_task_account(task_id)))
    with _sessions()() as session:
        found = check(session, session.get(CollectorTask, task_id), moment, _configured_policy())
    if found.allowed:
        console.print(f"task {task_id}: allowed now ({moment:%Y-%m-%d %H:%M} UTC)")
        return
    after = f"; next permitted {found.next_allowed_at:%Y-%m-%d %H:%M} UTC" if found.next_allowed_at else ""
    console.print(f"task {task_id}: not now: {found.rule}: {found.detail}{after}")
    raise typer.Exit(3)


@desk_app.command("start")
def desk_start(
    task_id: Annotated[int, typer.Argument(help="Call or visit task")],
    collector: Annotated[str, typer.Option(help="Collector who dials (or visits)")],
    at: Annotated[Optional[str], typer.Option(
        help="When the number was dialled, ISO with offset, for a call made earlier (after the fact); default now")] = None,
) -> None:
    """Record that a call is dialled (or a visit begins): refused with the rule when the gate forbids it now;
    a call entered after the fact is kept and flagged with the rule it broke."""
    from arrears.channels.adapter import OutboxAdapter
    from arrears.desk.assign import DeskError
    from arrears.desk.calls import StartRefused, start

    now = _run(_collection_now(_task_account(task_id)))
    moment = _parse_moment(at) if at else now
    try:
        contact = start(_sessions(), OutboxAdapter(), task_id, collector, moment, now, fallback=_configured_policy())
    except StartRefused as exc:
        _fail(f"task {task_id}: {exc}", code=3)
    except DeskError as exc:
        _fail(str(exc))
    flagged = f"; FLAGGED {contact.violation_rule}: {contact.violation_detail}" if contact.violation_rule else ""
    console.print(f"task {task_id}: {contact.kind} started at {contact.started_at:%Y-%m-%d %H:%M} UTC "
                  f"({contact.entered}){flagged}")


@desk_app.command("reassign")
def desk_reassign(
    task_id: Annotated[int, typer.Argument(help="Task id")],
    to: Annotated[str, typer.Option(help="Collector who takes it")],
    by: Annotated[str, typer.Option(help="Supervisor making the change")],
    reason: Annotated[str, typer.Option(help="Why (kept on record)")],
) -> None:
    """A supervisor gives a task to a named collector."""
    from arrears.db.models import Collector
    from arrears.desk.assign import DeskError, reassign_task
    from arrears.domain.desk import ROLE_RANK
    from arrears.domain.strategy import Role

    sessions = _sessions()
    with sessions() as session:
        supervisor = session.get(Collector, by)
        if supervisor is None or ROLE_RANK[Role(supervisor.role)] < ROLE_RANK[Role.SUPERVISOR]:
            _fail(f"{by} is not a supervisor or manager on the roster; only they reassign tasks")
    try:
        task = reassign_task(sessions, task_id, to, by, reason, _utcnow())
    except DeskError as exc:
        _fail(exc)
    console.print(f"task {task.id} now with {task.assigned_to}")


@desk_app.command("sweep")
def desk_sweep(
    at: Annotated[Optional[str], typer.Option(help="As of this time (ISO with offset); default now")] = None,
) -> None:
    """Escalate tasks past their SLA, reassign absent collectors' work, place waiting tasks (the worker does this every few minutes)."""
    from arrears.desk.assign import sweep

    console.print(str(sweep(_sessions(), _parse_moment(at))))


@app.command()
def api(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8080,
) -> None:
    """Serve the desk's JSON HTTP API (OpenAPI document at /docs)."""
    import uvicorn

    from arrears.api.app import create_app

    state.used_temporal = True
    uvicorn.run(create_app(state.settings), host=host, port=port)


@evidence_app.command("add")
def evidence_add(
    account: Annotated[str, typer.Argument(help="Account id")],
    file: Annotated[Path, typer.Argument(help="A PDF or photo on this machine")],
    by: Annotated[str, typer.Option(help="Who adds it (kept on record)")],
) -> None:
    """Store a file for the account; prints the evidence id that outcomes, holds and legal events cite."""
    from arrears.audit.evidence_store import EvidenceRefused, EvidenceStore, add_local_file

    if not by.strip():
        _fail("--by: say who adds the evidence", code=2)
    try:
        stored = add_local_file(_sessions(), EvidenceStore.from_settings(state.settings), account, file,
                                uploaded_by=by.strip(), now=_utcnow())
    except EvidenceRefused as exc:
        _fail(str(exc), code=2)
    print(stored.evidence_id)
    err.print(f"{stored.media_type}, {stored.size_bytes} bytes{' (already stored for this account)' if stored.duplicate else ''}",
              markup=False, highlight=False)


@evidence_app.command("list")
def evidence_list(account: Annotated[str, typer.Argument(help="Account id")]) -> None:
    """The account's evidence files: id, type, size, name, who uploaded it and when."""
    from arrears.audit.evidence_store import for_account

    with _sessions()() as session:
        rows = for_account(session, account)
    table = Table("evidence id", "type", "bytes", "name", "by", "via", "uploaded (UTC)")
    for r in rows:
        table.add_row(r.evidence_id, r.media_type, str(r.size_bytes), r.filename, r.uploaded_by, r.source,
                      f"{r.uploaded_at:%Y-%m-%d %H:%M}")
    console.print(table)
    console.print(f"{len(rows)} file(s)")


@app.command("codec-server")
def codec_server(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8081,
) -> None:
    """Serve /encode and /decode for the Temporal Web UI and CLI (needs the keys and ARREARS_CODEC_SERVER_TOKENS)."""
    import uvicorn

    from arrears.runtime.codec import EncryptionCodec
    from arrears.runtime.codec_server import create_codec_app

    s = state.settings
    keys = s.codec()
    if keys is None:
        _fail("no keys: set ARREARS_CODEC_KEYS or ARREARS_CODEC_KEYS_FILE", code=2)
    if not s.codec_tokens():
        _fail("no bearer token: set ARREARS_CODEC_SERVER_TOKENS (whoever can call it can read every payload)", code=2)
    origins = [o.strip() for o in s.codec_cors_origins.split(",") if o.strip()]
    err.print(f"codec server on http://{host}:{port} (keys {', '.join(keys.ids())}; origins {', '.join(origins)})")
    uvicorn.run(create_codec_app(EncryptionCodec(keys), s.codec_tokens(), origins), host=host, port=port)


@app.command("codec-key")
def codec_key(key_id: Annotated[str, typer.Option("--id", help="Key id, e.g. the month it starts: 2026-12")]) -> None:
    """Print a new id=key entry for ARREARS_CODEC_KEYS (put it first to encrypt with it; keep the old ones)."""
    from arrears.runtime.codec import CodecKeyError, new_key_line

    try:
        print(new_key_line(key_id))
    except CodecKeyError as exc:
        _fail(str(exc), code=2)


@app.command()
def consent(
    account: Annotated[str, typer.Argument(help="Account id")],
    channel: Annotated[str, typer.Option(help="sms, email, im, call, letter or visit")],
    status: Annotated[str, typer.Option(help="opted_out, opted_in, invalid (a bounce, a dead number), or consented "
                                              "(prior consent to calls, 12 CFR 1006.14(b)(3)(i))")],
    source: Annotated[str, typer.Option(help="Where it came from, e.g. 'sms reply STOP', 'call', 'bounce'")],
    address: Annotated[Optional[str], typer.Option(help="The address meant (default: the account's current one)")] = None,
    all_addresses: Annotated[bool, typer.Option(
        "--all-addresses", help="The whole medium, every address present and future ('stop calling me')")] = False,
    valid_from: Annotated[Optional[str], typer.Option(help="consented: from (ISO with offset); default now")] = None,
    valid_until: Annotated[Optional[str], typer.Option(help="consented: until (ISO with offset); default 7 days")] = None,
    confirm: Annotated[bool, typer.Option(help="Send the one confirmation an electronic opt-out may get")] = True,
    note: Annotated[str, typer.Option()] = "",
) -> None:
    """Record an opt-out, opt-in, invalid address or consent to calls, stamped with the episode's clock;
    the contact gate honours it from then on."""
    from arrears.channels.adapter import OutboxAdapter
    from arrears.channels.render import Renderer
    from arrears.compliance.gate_record import ConsentError, record_consent
    from arrears.compliance.notices import confirm_opt_out

    moment = _run(_collection_now(account))
    try:
        with _sessions().begin() as session:
            row = record_consent(session, account, channel, status, source, moment, address=address, note=note,
                                 medium=all_addresses, valid_from=_parse_moment(valid_from) if valid_from else None,
                                 valid_until=_parse_moment(valid_until) if valid_until else None)
            where = "every address" if row.scope == "medium" else row.address
            confirmed = None
            if confirm and status == "opted_out":
                confirmed = confirm_opt_out(session, Renderer(state.settings.templates_dir), OutboxAdapter(), row, moment,
                                            _configured_policy())
    except ConsentError as exc:
        _fail(exc)
    console.print(f"{account}: {channel} at {where} recorded {status} ({source}) at {moment:%Y-%m-%d %H:%M} UTC")
    if confirmed is not None and confirmed.rule != "not_confirmable":
        console.print(f"opt-out confirmation: {confirmed.kind} ({confirmed.detail})")


@compliance_app.command("check")
def compliance_check(
    strategy: Annotated[Optional[Path], typer.Option(help="Strategy whose compliance policy applies [ARREARS_STRATEGY]")] = None,
    limit: Annotated[int, typer.Option(help="Violations to print")] = 20,
) -> None:
    """Recompute every rule from the record; print each violation and a summary per rule; exit 1 if any."""
    from arrears.audit.record_check import audit
    from arrears.domain.strategy import StrategyError
    from arrears.config.strategies import load_strategy

    try:
        chosen = load_strategy(strategy or state.settings.strategy)
    except StrategyError as exc:
        _fail(exc)
    with _sessions()() as session:
        report = audit(session, chosen.compliance, chosen.bureau)
    preset = chosen.compliance.preset if chosen.compliance else "baseline"
    for v in report.violations[:limit]:
        console.print(str(v))
    if len(report.violations) > limit:
        console.print(f"... and {len(report.violations) - limit} more")
    table = Table("rule", "source", "judged", "violations", title=f"{preset}: {report.contacts} contact(s) on record")
    for rule, source, judged, broken in report.summary(chosen.compliance):
        table.add_row(rule, source, str(judged), f"[red]{broken}[/red]" if broken else "0")
    console.print(table)
    if report.flagged_at_entry:
        console.print(f"{report.flagged_at_entry} call(s) entered after the fact were flagged when recorded")
    if report.violations:
        _fail(f"{len(report.violations)} violation(s) of the {preset} policy")
    console.print(f"no violation of the {preset} policy in {state.settings.database_url_masked}")


def _story(account: str, with_history: bool = True):
    """The account's timeline entries, in order, and the workflow histories behind them."""
    from arrears.audit.history_source import for_account
    from arrears.audit.timeline import from_history, from_record, ordered, with_code

    sessions = _sessions()
    with sessions() as session:
        entries = from_record(session, account)
    histories = []

    async def fetch():
        try:
            client = await _client()
        except CliError as exc:
            err.print(f"({exc}; using the record and the archived histories only)")
            client = None
        return await for_account(client, sessions, account)

    if with_history:
        from arrears.runtime.codec import CodecError, decrypt_history
        from arrears.runtime.connect import converter

        codec = converter(state.settings).payload_codec
        try:  # the timeline and a bundle read what the workflow decided: opened with the configured keys
            histories = [decrypt_history(h, codec) for h in _run(fetch())]
        except CodecError as exc:
            _fail(f"{exc}; set ARREARS_CODEC_KEYS with every key the account's histories were written with")
        for found in histories:
            entries += from_history(found)
        entries = with_code(entries, histories)
        if not histories:
            err.print("(no workflow history on the server or in the archive; the record only)")
    return ordered(entries), histories


@audit_app.command("export")
def audit_export(
    account: Annotated[str, typer.Argument(help="Account id")],
    out: Annotated[Path, typer.Option("--out", help="A new (or empty) directory for the bundle")],
) -> None:
    """Write an evidence bundle: timeline, histories, messages, evidence files and a SHA-256 manifest."""
    from arrears.audit.bundle import export
    from arrears.audit.evidence_store import EvidenceStore

    entries, histories = _story(account)
    with _sessions()() as session:
        try:
            report = export(session, account, entries, histories, out, _utcnow(),
                            store=EvidenceStore.from_settings(state.settings))
        except FileExistsError as exc:
            _fail(str(exc), code=2)
    for item in report.missing_evidence:
        err.print(f"(evidence not copied, listed in evidence/index.json: {item})", markup=False, highlight=False)
    for problem in report.chain_problems:
        err.print(f"contact chain: {problem}", markup=False, highlight=False)
    console.print(f"{out}: {report.files} files, {len(histories)} workflow run(s), {len(entries)} timeline rows; "
                  f"check it with: arrears audit verify {out}", markup=False, highlight=False)


@audit_app.command("verify")
def audit_verify(directory: Annotated[Path, typer.Argument(help="A bundle written by audit export", file_okay=False)]) -> None:
    """Check a bundle against its manifest; exit 1 naming each file changed, missing or added."""
    from arrears.audit.bundle import verify

    report = verify(directory)
    for problem in report.problems:
        console.print(problem, markup=False, highlight=False)
    if not report.ok:
        _fail(f"{directory}: {len(report.problems)} problem(s); {report.checked} file(s) checked")
    console.print(f"{directory}: {report.checked} file(s) match the manifest", markup=False, highlight=False)


@audit_app.command("timeline")
def audit_timeline(
    account: Annotated[str, typer.Argument(help="Account id")],
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    history: Annotated[bool, typer.Option(help="Add the workflow history's updates and timers (needs Temporal)")] = True,
) -> None:
    """The account's story in order: records and workflow history, each line with its cause."""
    from arrears.audit.timeline import render

    if fmt not in ("table", "csv", "json"):
        _fail(f"unknown format {fmt!r}; use table, csv or json", code=2)
    entries, _ = _story(account, history)
    if fmt != "table":
        print(render(entries, fmt))
        return
    from arrears.cli.tables import Column, print_table

    print_table(console, [
        Column("at (UTC)", whole=True), Column("source", priority=3), Column("kind", priority=1),
        Column("DPD", priority=2, justify="right"), Column("segment", priority=4), Column("what", wrap=True),
        Column("cause", wrap=True, priority=2), Column("code", priority=5),
    ], [[f"{e.at:%Y-%m-%d %H:%M}", e.source, e.kind, "" if e.dpd is None else str(e.dpd), e.segment, e.what, e.cause,
         e.code] for e in entries], shown_by="--format csv or json")


@audit_app.command("verify-chain")
def audit_verify_chain(account: Annotated[str, typer.Argument(help="Account id")]) -> None:
    """Check the account's contact records against their hash chain; exit 1 if one was edited or deleted."""
    from arrears.audit.evidence_chain import verify_chain

    with _sessions()() as session:
        report = verify_chain(session, account)
    for problem in report.problems:
        console.print(problem, markup=False, highlight=False)
    tail = f" ({report.unchained} written before the chain existed)" if report.unchained else ""
    if not report.ok:
        _fail(f"{account}: {len(report.problems)} problem(s) in {report.checked} chained contact record(s){tail}")
    console.print(f"{account}: {report.checked} contact record(s) intact{tail}")


@audit_app.command("api-log")
def audit_api_log(
    collector: Annotated[Optional[str], typer.Option(help="Only this collector's requests")] = None,
    account: Annotated[Optional[str], typer.Option(help="Only requests on this account")] = None,
    since: Annotated[Optional[str], typer.Option(help="From this time (ISO with offset)")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first", min=1, max=100_000)] = 200,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
) -> None:
    """Every write through the desk API: who, what, when, from which address, and the answer."""
    from arrears.api.journal import LogQuery, api_log

    if fmt not in ("table", "csv", "json"):
        _fail(f"unknown format {fmt!r}; use table, csv or json", code=2)
    query = LogQuery(collector_id=collector, account_id=account, since=_parse_moment(since) if since else None, limit=limit)
    with _sessions()() as session:
        rows = api_log(session, query)
    records = [{"at": r.at.isoformat(), "collector_id": r.collector_id or "", "token_id": r.token_id or "",
                "method": r.method, "path": r.path, "account_id": r.account_id or "", "from": r.remote_addr,
                "status": r.status, "result": r.result, "ms": r.duration_ms} for r in rows]
    if fmt == "json":
        import json

        print(json.dumps(records, ensure_ascii=False, indent=1))
        return
    if fmt == "csv":
        import io

        from arrears.intake.csvfile import safe_writer

        buffer = io.StringIO()
        writer = safe_writer(buffer)
        writer.writerow(list(records[0]) if records else ["at"])
        for record in records:
            writer.writerow(list(record.values()))
        print(buffer.getvalue(), end="")
        return
    table = Table("at (UTC)", "who", "request", "from", "status", "result")
    for r in rows:
        table.add_row(f"{r.at:%Y-%m-%d %H:%M:%S}", r.collector_id or "-", f"{r.method} {r.path}", r.remote_addr,
                      str(r.status), r.result)
    console.print(table)
    console.print(f"{len(rows)} request(s)")


@audit_app.command("replay")
def audit_replay(
    workflow_id: Annotated[Optional[str], typer.Option("--workflow-id", help="One workflow: its archived runs and its run on the server")] = None,
    query: Annotated[Optional[str], typer.Option(help="Every workflow a list query matches, e.g. 'CollectionStage=\"late\"'")] = None,
    file: Annotated[Optional[list[Path]], typer.Option(exists=True, dir_okay=False, help="History JSON file(s)")] = None,
    archived: Annotated[bool, typer.Option("--archived", help="Every history in the system of record's archive")] = False,
) -> None:
    """Replay histories against today's workflow code; exit 1 if any would now run differently."""
    from arrears.audit.replay import from_files, from_list, from_server, replay

    if not (workflow_id or query or file or archived):
        _fail("say what to replay: --workflow-id, --query, --file or --archived", code=2)

    async def go():
        from arrears.audit.archive import archived as archived_histories
        from arrears.audit.history_source import for_workflow

        from arrears.runtime.connect import converter

        keys = converter(state.settings)  # encrypted histories replay with the configured keys
        lines = []
        if file:
            lines += await replay(from_files(file), data_converter=keys)
        if archived:
            with _sessions()() as session:
                lines += await replay(from_list(archived_histories(session)), data_converter=keys)
        if workflow_id:
            try:
                client = await _client()
            except CliError as exc:
                err.print(f"({exc}; replaying the archive only)")
                client = None
            lines += await replay(from_list(await for_workflow(client, _sessions(), workflow_id)), data_converter=keys)
        if query:
            lines += await replay(from_server(await _client(), query=query), data_converter=keys)
        return lines

    lines = _run(go())
    for line in lines:
        console.print(str(line), soft_wrap=True, markup=False, highlight=False)
    failed = sum(1 for line in lines if not line.ok)
    console.print(f"{len(lines)} replayed, {failed} nondeterministic")
    if not lines:
        _fail("nothing matched", code=2)
    if failed:
        raise typer.Exit(1)


@archive_app.command("run")
def archive_run() -> None:
    """Archive now what the HistoryArchiver workflow would archive on its next round."""
    from arrears.audit.archive import archive_closed

    async def go():
        return await archive_closed(await _client(), _sessions(), _utcnow())

    report = _run(go())
    for line in report.archived:
        console.print(f"archived  {line}", markup=False, highlight=False)
    for line in report.waiting:
        console.print(f"waiting   {line} (closed in the record, still closing on the server)", markup=False, highlight=False)
    for line in report.missing:
        console.print(f"missing   {line} (gone from the server before it was archived)", markup=False, highlight=False)
    console.print(str(report))


@archive_app.command("list")
def archive_list(account: Annotated[Optional[str], typer.Option(help="Only this account's histories")] = None) -> None:
    """Archived runs: workflow, run, how it ended, events, sizes and checksum."""
    from arrears.audit.archive import archived_rows

    with _sessions()() as session:
        rows = archived_rows(session, account_id=account)
    table = Table("workflow", "run", "#", "type", "ended", "closed (UTC)", "events", "JSON bytes", "stored bytes", "sha256")
    for r in rows:
        table.add_row(r.workflow_id, r.run_id, str(r.run_index), r.workflow_type, r.close_event,
                      f"{r.closed_at:%Y-%m-%d %H:%M}", str(r.events), str(r.json_bytes), str(len(r.content)), r.sha256[:16])
    console.print(table)
    console.print(f"{len(rows)} archived run(s)")


@archive_app.command("purge")
def archive_purge(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would go; remove nothing")] = False,
) -> None:
    """Remove archived histories past ARREARS_ARCHIVE_RETENTION_DAYS, and say which."""
    from arrears.audit.archive import purge

    days = state.settings.archive_retention_days
    gone = purge(_sessions(), _utcnow(), days, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    for p in gone:
        console.print(f"{verb}  {p}", markup=False, highlight=False)
    console.print(f"{len(gone)} archived run(s) {verb}: closed more than {days} days ago")


# ---- database, strategy, sample, demo ------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations up to REVISION (default: head)."""
    from arrears.db.migrate import upgrade

    upgrade(state.settings.database_url, revision)
    console.print(f"database at {revision}: {state.settings.database_url_masked}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument()]) -> None:
    """Revert migrations down to REVISION (`base` removes every table)."""
    from arrears.db.migrate import downgrade

    downgrade(state.settings.database_url, revision)
    console.print(f"database at {revision}")


@agencies_app.command("import")
def agencies_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV: " + "agency_id,name,commission_percent,capacity,placement_days")],
) -> None:
    """Upsert the agencies under contract; an agency the file no longer lists takes no new accounts."""
    from datetime import datetime, timezone

    from arrears.desk.agencies import AgencyFileError, import_agencies
    from arrears.db.engine import make_engine, make_sessionmaker

    sessions = make_sessionmaker(make_engine(state.settings.database_url))
    try:
        result = import_agencies(sessions, file, datetime.now(timezone.utc))
    except AgencyFileError as exc:
        _fail(f"{file}: {exc}")
    for r in result.rejected:
        err.print(f"[yellow]line {r.line}[/yellow] {r.agency_id or '-'}: {r.reason}")
    table = Table(title="agencies import")
    for col in ("rows", "added", "updated", "unchanged", "retired", "rejected"):
        table.add_column(col, justify="right")
    table.add_row(*(str(x) for x in (len(result.agencies) + len(result.rejected), len(result.added), len(result.updated),
                                     len(result.unchanged), len(result.retired), len(result.rejected))))
    console.print(table)
    if result.retired:
        console.print(f"no longer in the file, no new placements: {', '.join(result.retired)}")


@agencies_app.command("list")
def agencies_list() -> None:
    """Each agency with its terms, the accounts it holds now and its capacity."""
    from arrears.desk.agencies import list_agencies
    from arrears.db.engine import make_engine, make_sessionmaker

    agencies = list_agencies(make_sessionmaker(make_engine(state.settings.database_url)))
    if not agencies:
        console.print("no agencies: import a file with `arrears agencies import FILE`")
        return
    table = Table(title="agencies")
    for col, justify in (("agency", "left"), ("name", "left"), ("commission %", "right"), ("placed / capacity", "right"),
                         ("period (days)", "right"), ("status", "left")):
        table.add_column(col, justify=justify)
    for a in agencies:
        table.add_row(a.agency_id, a.name, f"{a.commission_percent.normalize():f}", f"{a.open_placements} / {a.capacity}",
                      str(a.placement_days), "active" if a.active else "retired")
    console.print(table)


@strategy_app.command("check")
def strategy_check(file: Annotated[Path, typer.Argument(help="Strategy file (.toml, .yaml)")]) -> None:
    """Validate a strategy file and print its ladder per risk segment."""
    from arrears.channels.render import Renderer, missing_templates
    from arrears.domain.account import LANGUAGES
    from arrears.domain.ladder import occurrences
    from arrears.domain.strategy import MESSAGES, Segment, StrategyError
    from arrears.config.strategies import load_strategy

    try:
        strategy = load_strategy(file)
    except StrategyError as exc:
        _fail(exc)
    templates = {s.template_name for s in strategy.steps if s.action in MESSAGES}
    missing = missing_templates(Renderer(state.settings.templates_dir), templates, LANGUAGES)
    if missing:
        _fail(f"{file}: templates not found: {', '.join(missing)}")
    for segment in Segment:
        ladder = ", ".join(f"{o.dpd}:{o.step.action.value}" for o in occurrences(strategy, segment))
        console.print(f"[bold]{segment.value}[/bold]: {ladder}")
    console.print(f"ok: {strategy.name} ({strategy.content_hash()[:12]})")


@strategy_app.command("apply")
def strategy_apply(
    account: Annotated[str, typer.Argument(help="Account id")],
    file: Annotated[Path, typer.Argument(help="Strategy file (.toml, .yaml)")],
    by: Annotated[str, typer.Option(help="Who decides the change (kept on record)")],
    reason: Annotated[str, typer.Option(help="Why (kept on record)")],
) -> None:
    """Move a running episode to another strategy from now on (recorded; new episodes take ARREARS_STRATEGY)."""
    from arrears.contracts.collection import ApplyStrategyInput
    from arrears.domain.strategy import StrategyError
    from arrears.config.strategies import load_strategy
    from arrears.client.operations import apply_strategy

    try:
        chosen = load_strategy(file)
    except StrategyError as exc:
        _fail(exc)

    async def go():
        return await apply_strategy(await _client(), account, ApplyStrategyInput(strategy=chosen, applied_by=by, reason=reason))

    result = _run(go())
    console.print(f"{account}: {result.previous_name} ({result.previous_hash[:12]}) -> {result.strategy_name} "
                  f"({result.strategy_hash[:12]}); {result.pending_steps} step(s) pending")


@app.command()
def sample(
    out: Annotated[Path, typer.Option(help="CSV (.csv) or JSON Lines (.jsonl) file to write")],
    count: Annotated[int, typer.Option("-n", "--count", min=1)] = 50,
    seed: Annotated[int, typer.Option()] = 7,
    behaviour: Annotated[Optional[Path], typer.Option(help="Also write 12 months of behaviour for these accounts "
                                                           "(for `arrears behaviour import`)")] = None,
) -> None:
    """Write a synthetic portfolio (DPD -3..120 relative to today)."""
    from arrears.intake.sample import generate_accounts, write_behaviour, write_csv, write_jsonl

    rows = generate_accounts(count, date.today(), seed=seed)
    (write_jsonl if out.suffix == ".jsonl" else write_csv)(out, rows)
    console.print(f"{count} accounts written to {out}")
    if behaviour:
        months = write_behaviour(behaviour, rows, date.today(), seed=seed)
        console.print(f"{months} statement months written to {behaviour}")


@app.command()
def demo(
    day_seconds: Annotated[float, typer.Option(help="Real seconds per collection day")] = 1.0,
    days: Annotated[int, typer.Option(help="Collection days the demo runs")] = 70,
    keep_server: Annotated[bool, typer.Option(help="Keep the server up after the summary, until Ctrl-C")] = False,
    directory: Annotated[Optional[Path], typer.Option("--dir", help="The demo's files (emptied first) [.demo/]")] = None,
) -> None:
    """Run the whole lifecycle on a sample portfolio with compressed days."""
    from arrears.demo.run import DEMO_DIR, run_demo

    state.used_temporal = True
    try:
        code = asyncio.run(run_demo(day_seconds=day_seconds, days=days, keep_server=keep_server,
                                    demo_dir=directory or DEMO_DIR))
    except KeyboardInterrupt:  # Ctrl-C: the demo has stopped its server and worker on the way out
        code = 0 if keep_server else 130
    raise typer.Exit(code)


@app.command()
def statement(
    account: Annotated[str, typer.Argument(help="Account id")],
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="YYYY-MM-DD (default: today in the account's zone)")] = None,
    strategy: Annotated[Optional[Path], typer.Option(help="Strategy whose [pricing] applies [ARREARS_STRATEGY]")] = None,
    episode: Annotated[Optional[str], typer.Option(help="Episode id (default: the latest)")] = None,
) -> None:
    """The balance as of a date (principal, interest, fees, overdue, DPD), explained line by line."""
    from arrears.domain.pricing import Pricing
    from arrears.domain.strategy import StrategyError
    from arrears.config.strategies import load_strategy
    from arrears.audit.statement import StatementError, render_statement
    from arrears.audit.statement import statement as compute_statement

    try:
        chosen = load_strategy(strategy or state.settings.strategy)
    except StrategyError as exc:
        _fail(exc)
    # Until Strategy has a pricing section, every strategy prices with the defaults.
    pricing = getattr(chosen, "pricing", None) or Pricing()
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        _fail(f"--as-of: not a date (YYYY-MM-DD): {as_of!r}", code=2)
    try:
        with _sessions()() as session:
            if day is None:
                from arrears.db.models import Account

                found = session.get(Account, account)
                day = _utcnow().astimezone(ZoneInfo(found.timezone)).date() if found else date.today()
            result = compute_statement(session, account, day, pricing, episode_id=episode)
    except (StatementError, ValueError) as exc:
        _fail(exc)
    if result.episode.strategy_hash != chosen.content_hash():
        result.notes.append(f"note: priced with {chosen.name} ({chosen.content_hash()[:12]}); the episode is pinned to "
                            f"{result.episode.strategy_name} ({result.episode.strategy_hash[:12]})")
    print(render_statement(result))


def run(args: list[str] | None = None) -> None:
    """Console entry point.

    A process that made a Temporal client can crash while the interpreter
    tears down the SDK's Rust threads (temporalio/sdk-python#300), turning a
    finished command into a segfault. Once the command is done and its output
    flushed, such a process leaves without that teardown.
    """
    try:
        app(args)
    except SystemExit as exc:
        if not state.used_temporal:
            raise
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    # `python -m arrears.cli.main` runs this file as __main__; the sub-apps (bureau, blacklist, legal,
    # recovery) read the settings from the `arrears.cli.main` module, so run that one, not a second copy.
    from arrears.cli.main import run as run_imported

    run_imported()
