"""`arrears bureau`, `arrears blacklist`, `arrears legal` and `arrears recovery`: account actions for operators and other systems.

Mounted on the root command by arrears.cli.main; the settings come from its global
options through arrears.cli.context.
"""

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table
from sqlalchemy import select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from arrears.bureau.cycle import configured, reports_for, run_cycle, summary_of
from arrears.cli.context import console, current_settings, run_async, session_factory, temporal_client, utcnow
from arrears.cli.errors import BAD_INPUT, CliError, fail
from arrears.client.account_queries import account_today, cases_for, check_blacklist
from arrears.contracts.collection import CloseInput, PaymentInput
from arrears.contracts.names import BUREAU_CYCLE_ID, Queries, Updates, recovery_workflow_id
from arrears.contracts.recovery import RecoveryCloseResult, RecoveryPaymentResult, RecoveryStatus
from arrears.db.models import BlacklistEntryRecord
from arrears.domain.blacklist import BlacklistPurpose
from arrears.domain.bureau import period_end
from arrears.domain.money import parse_amount
from arrears.domain.strategy import StrategyError

bureau_app = typer.Typer(no_args_is_help=True, help="Credit-bureau reporting: the monthly cycle and what was reported.")
blacklist_app = typer.Typer(no_args_is_help=True, help="The internal blacklist: new cards and limit increases.")
recovery_app = typer.Typer(
    no_args_is_help=True, help="Recovery after charge-off: payments against the written-off amount, status, close."
)


def _date(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{name}: give a date as YYYY-MM-DD, got {value!r}", BAD_INPUT)


# ---- bureau -----------------------------------------------------------------------------------


@bureau_app.command("run")
def bureau_run(
    period: Annotated[str, typer.Option(help="The month reported, YYYY-MM")],
    out: Annotated[
        Path | None, typer.Option(help="Directory the bureau file is written to (default: ARREARS_BUREAU_DIR)")
    ] = None,
    as_of: Annotated[str | None, typer.Option(help="Report date, YYYY-MM-DD (default: the month's last day)")] = None,
    institution: Annotated[
        str | None,
        typer.Option(help="Reporting institution code in the file header (default: ARREARS_BUREAU_INSTITUTION)"),
    ] = None,
    notice_days: Annotated[
        int | None,
        typer.Option(help="Days after the prior notice before a negative report (default: the strategy's [bureau])"),
    ] = None,
    negative_from_dpd: Annotated[
        int | None, typer.Option(help="DPD from which a delinquency is reported (default: the strategy's [bureau])")
    ] = None,
) -> None:
    """Report every account with an episode for the month now, as the BureauCycle workflow does on its day;
    a re-run writes the same file and adds nothing."""
    settings = current_settings()
    try:
        # A period is reported once: a report made before its day has ended everywhere (UTC-12 is
        # the last zone to finish it) would stand in for the real one, so it is refused.
        day = _date(as_of, "--as-of") or period_end(period)
        ended = datetime.combine(day + timedelta(days=1), time(12), tzinfo=UTC)
        if ended > utcnow():
            fail(
                f"{day} has not ended in every zone yet (it has at {ended:%Y-%m-%d %H:%M} UTC); "
                "a period is reported once, so it is not reported early",
                BAD_INPUT,
            )
        # The configured strategy's notice rule, and its pricing: priced episodes are reported from their ledger.
        policy, pricing = configured(settings.strategy)
        overrides = {
            k: v for k, v in (("notice_days", notice_days), ("negative_from_dpd", negative_from_dpd)) if v is not None
        }
        policy = policy.model_validate({**policy.model_dump(), **overrides})
        result = run_cycle(
            session_factory(),
            period,
            out or settings.bureau_dir,
            policy,
            now=utcnow(),
            as_of=day,
            pricing=pricing,
            institution=institution or settings.bureau_institution,
        )
    except StrategyError as exc:
        fail(f"the configured strategy {settings.strategy} does not load: {exc}", BAD_INPUT)
    except (ValueError, ValidationError) as exc:
        fail(str(exc), BAD_INPUT)
    console.print(summary_of(result).line())


@bureau_app.command("schedule")
def bureau_schedule() -> None:
    """The BureauCycle workflow's next report and what its last one did (a worker starts it)."""

    async def ask() -> tuple[str, str]:
        handle = (await temporal_client()).get_workflow_handle(BUREAU_CYCLE_ID)
        try:
            return (
                await handle.query(Queries.NEXT_REPORT, result_type=str),
                await handle.query(Queries.LAST_REPORT, result_type=str),
            )
        except RPCError as exc:
            raise CliError(f"no bureau cycle is running ({exc.message}); start a worker: arrears worker") from None

    nxt, last = run_async(ask())
    console.print(f"next report: {nxt or '-'}")
    console.print(f"last report: {last}")


@bureau_app.command("reports")
def bureau_reports(account: Annotated[str, typer.Argument(help="Account id")]) -> None:
    """What each monthly cycle reported for the account, and what it held back and why."""
    rows = reports_for(session_factory(), account)
    if not rows:
        console.print(f"no bureau report for {account}")
        return
    table = Table("period", "as of", "status", "reported", "DPD", "overdue", "withheld", "correction", "reason", "file")
    for r in rows:
        table.add_row(
            r.period,
            str(r.as_of),
            r.status,
            r.reported_status,
            str(r.dpd),
            f"{r.overdue_amount} {r.currency}",
            "yes" if r.withheld else "",
            "yes" if r.correction else "",
            r.reason,
            r.file_name,
        )
    console.print(table)


# ---- blacklist ---------------------------------------------------------------------------------


@blacklist_app.command("check")
def blacklist_check(
    account: Annotated[str, typer.Argument(help="Account id")],
    purpose: Annotated[str, typer.Option(help="new_card or limit_increase")] = "new_card",
    on: Annotated[str | None, typer.Option(help="Date, YYYY-MM-DD (default: today in the account's zone)")] = None,
) -> None:
    """Exit 0 when not blocked, 1 when blocked (with the reason and until when)."""
    if purpose not in tuple(BlacklistPurpose):
        fail(f"--purpose: use {' or '.join(BlacklistPurpose)}, got {purpose!r}", BAD_INPUT)
    with session_factory()() as session:
        day = _date(on, "--on") or account_today(session, account, utcnow())
        check = check_blacklist(session, account, day, purpose)
    if not check.blocked:
        console.print(f"{account}: not blocked for {purpose} on {day}")
        return
    until = f"until {check.until} (first day free)" if check.until else "with no end date yet"
    console.print(
        f"{account}: BLOCKED for {purpose} on {day}: {check.reason}, listed from {check.listed_from}, {until}"
    )
    raise typer.Exit(1)


@blacklist_app.command("list")
def blacklist_list(
    all_entries: Annotated[bool, typer.Option("--all", help="Include entries that have ended")] = False,
) -> None:
    """Entries on the blacklist, the ones still in force by default."""
    table = Table("account", "reason", "blocks", "from", "until", "episode")
    shown = 0
    with session_factory()() as session:
        for row in session.scalars(
            select(BlacklistEntryRecord).order_by(BlacklistEntryRecord.account_id, BlacklistEntryRecord.listed_from)
        ):
            today = account_today(session, row.account_id, utcnow())
            if not all_entries and row.listed_until is not None and row.listed_until <= today:
                continue
            table.add_row(
                row.account_id,
                row.reason,
                ", ".join(row.blocks),
                str(row.listed_from),
                str(row.listed_until) if row.listed_until else "-",
                row.episode_id,
            )
            shown += 1
    console.print(table if shown else "no blacklist entry in force")


# ---- legal ----------------------------------------------------------------------------------------


def legal_show(account: Annotated[str, typer.Argument(help="Account id")]) -> None:
    """The account's legal cases: state, costs, and every update with its documents."""
    with session_factory()() as session:
        cases = cases_for(session, account)
    if not cases:
        console.print(f"no legal case for {account}")
        raise typer.Exit(1)
    for case, events in cases:
        console.print(
            f"case {case.id} ({case.episode_id}): {case.state}; referred {case.referred_on} at DPD {case.dpd}, "
            f"principal {case.principal} {case.currency}; criteria {case.criteria}: {'; '.join(case.decision)}"
        )
        console.print(
            f"  costs {case.costs} {case.currency}, recoverable {case.recoverable_costs}"
            f"{'' if case.costs_recoverable else ' (costs not recoverable under the strategy)'}"
        )
        table = Table("date", "event", "from", "to", "cost", "document", "sha256", "by", "note")
        for e in events:
            table.add_row(
                str(e.event_on),
                e.event_id,
                e.from_state,
                e.to_state,
                str(e.cost) if e.cost else "",
                e.document_id or e.document_path or "",
                (e.document_sha256 or "")[:12],
                e.recorded_by,
                e.note,
            )
        console.print(table)


# ---- recovery after charge-off ----------------------------------------------------------------------


async def _on_recovery(account: str, call):
    """Run ``call`` on the account's AccountRecovery; a refusal or a missing workflow comes back as the reason."""
    handle = (await temporal_client()).get_workflow_handle(recovery_workflow_id(account))
    try:
        return await call(handle)
    except WorkflowUpdateFailedError as exc:
        raise CliError(getattr(exc.cause, "message", None) or str(exc.cause)) from None
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise CliError(f"no recovery for account {account} (it starts when an episode is charged off)") from None
        raise CliError(str(exc)) from None


@recovery_app.command("status")
def recovery_status(
    account: Annotated[str, typer.Argument(help="Account id")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Written off, recovered, outstanding; payments, agency placement, legal case, open offer, outcome."""
    view: RecoveryStatus = run_async(
        _on_recovery(account, lambda h: h.query(Queries.STATUS, result_type=RecoveryStatus))
    )
    if as_json:
        print(view.model_dump_json(indent=2))
        return
    cur = view.currency
    p, case, offer = view.placement, view.legal_case, view.open_offer
    table = Table(show_header=False, title=f"recovery of account {account}")
    for k, v in (
        ("written off", f"{cur} {view.written_off} on {view.written_off_on}"),
        ("recovered", f"{cur} {view.recovered} in {len(view.payments)} payment(s)"),
        ("outstanding", f"{cur} {view.outstanding}"),
        (
            "agency",
            f"{p.agency_id} ({p.status}) until {p.ends_at:%Y-%m-%d %H:%M} UTC; collected {cur} {p.collected}, "
            f"commission {cur} {p.commission}"
            if p
            else "-",
        ),
        (
            "legal case",
            f"case {case.case_id}: {case.case.state.value} since {case.case.last_event_on}, "
            f"costs {cur} {case.case.costs}"
            if case
            else "-",
        ),
        ("open offer", f"{offer.offer_id}: {cur} {offer.amount} until {offer.expires_on}" if offer else "-"),
        ("outcome", f"{view.outcome.value}: {view.outcome_reason}" if view.outcome else "-"),
        ("episode", view.episode_id),
        ("as of", f"{view.as_of:%Y-%m-%d %H:%M} UTC"),
    ):
        table.add_row(k, v)
    console.print(table)


@recovery_app.command("pay")
def recovery_pay(
    account: Annotated[str, typer.Argument(help="Account id")],
    amount: Annotated[str, typer.Option(help="Amount received, in the account's currency")],
    payment_id: Annotated[str, typer.Option(help="The payment's unique id (a repeat with the same amount is ignored)")],
    channel: Annotated[
        str, typer.Option(help="How it was paid; 'agency' when the placed agency reports it")
    ] = "bank_transfer",
) -> None:
    """Record a payment received after the write-off."""
    try:
        request = PaymentInput(payment_id=payment_id, amount=parse_amount(amount), channel=channel)
    except (ValueError, ValidationError) as exc:
        fail(str(exc), BAD_INPUT)
    result: RecoveryPaymentResult = run_async(
        _on_recovery(
            account, lambda h: h.execute_update(Updates.RECORD_PAYMENT, request, result_type=RecoveryPaymentResult)
        )
    )
    note = " (repeat: nothing changed)" if result.duplicate else ""
    console.print(
        f"recovery {result.payment_id} recorded{note}; recovered {result.recovered_total}, "
        f"outstanding {result.outstanding}"
        + (f"; agency commission {result.commission}" if result.commission is not None else "")
        + (f"; recovery ended: {result.outcome.value}" if result.outcome else "")
    )


@recovery_app.command("close")
def recovery_close(
    account: Annotated[str, typer.Argument(help="Account id")],
    reason: Annotated[str, typer.Option(help="Why the recovery ends (kept on record)")],
    by: Annotated[str, typer.Option("--by", help="Operator id")],
) -> None:
    """End the recovery as closed (debt sold, uneconomic, deceased, ...)."""
    result: RecoveryCloseResult = run_async(
        _on_recovery(
            account,
            lambda h: h.execute_update(
                Updates.CLOSE, CloseInput(reason=reason, operator_id=by), result_type=RecoveryCloseResult
            ),
        )
    )
    console.print(f"recovery of {account} closed by {result.closed_by}: {result.reason}")
