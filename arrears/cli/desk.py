"""`arrears desk`: what a collector records (promise, settlement, plan, outcome) and works (worklist, calls)."""

import json
from datetime import date, datetime
from typing import Annotated

import typer
from pydantic import ValidationError

from arrears.channels.adapter import OutboxAdapter
from arrears.cli.context import (
    collection_now,
    configured_policy,
    console,
    parse_moment,
    run_async,
    session_factory,
    task_account,
    temporal_client,
    utcnow,
)
from arrears.cli.errors import BAD_INPUT, FAILED, CliError, fail
from arrears.client.operations import Rejected, agree_plan, log_contact_outcome, offer_settlement, promise_to_pay
from arrears.contracts.collection import OutcomeInput, PlanInput, PromiseInput, SettlementInput
from arrears.db.models import Collector, CollectorTask
from arrears.desk.assign import DeskError, reassign_task, sweep
from arrears.desk.calls import StartRefused, check, start
from arrears.desk.worklist import worklist
from arrears.desk.worklist_view import print_worklist
from arrears.domain.desk import ROLE_RANK
from arrears.domain.money import parse_amount
from arrears.domain.plan import Instalment
from arrears.domain.strategy import Role
from arrears.intake.csvfile import validation_reason

app = typer.Typer(no_args_is_help=True, help="The collector desk: record what a customer agreed.")


@app.command("promise")
def desk_promise(
    account: Annotated[str, typer.Argument(help="Account id")],
    promise_id: Annotated[str, typer.Option(help="The promise's unique id")],
    amount: Annotated[str, typer.Option(help="Amount promised")],
    date_: Annotated[str, typer.Option("--date", help="Promised date, YYYY-MM-DD, in the customer's time zone")],
    collector: Annotated[str, typer.Option(help="Collector who took the promise")],
    channel: Annotated[str, typer.Option(help="Where it was made")] = "call",
    note: Annotated[str, typer.Option()] = "",
    replace: Annotated[bool, typer.Option(help="Replace the active promise")] = False,
    supervisor: Annotated[str | None, typer.Option(help="Approving supervisor (needed after broken promises)")] = None,
) -> None:
    """Record a promise to pay: escalation pauses until it is kept or broken."""
    try:
        request = PromiseInput(
            promise_id=promise_id,
            amount=parse_amount(amount),
            promised_date=date.fromisoformat(date_),
            collector_id=collector,
            channel=channel,
            note=note,
            replace=replace,
            supervisor_id=supervisor,
        )
    except ValueError as exc:
        fail(exc, BAD_INPUT)

    async def go():
        try:
            return await promise_to_pay(await temporal_client(), account, request)
        except Rejected as exc:
            raise CliError(f"promise refused: {exc}") from None

    result = run_async(go())
    note_ = " (repeat: nothing changed)" if result.duplicate else ""
    console.print(
        f"promise {result.promise_id} {result.status}{note_}; judged at {result.deadline:%Y-%m-%d %H:%M} UTC; "
        f"broken so far {result.broken_promises}"
    )


@app.command("settle")
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
    try:
        request = SettlementInput.model_validate(
            dict(  # the role's string becomes a Role, or says why not
                offer_id=offer_id,
                amount=parse_amount(amount),
                expires_on=date.fromisoformat(expires_on),
                approved_by=approved_by,
                approver_role=role,
                replace=replace,
            )
        )
    except ValueError as exc:
        fail(exc, BAD_INPUT)

    async def go():
        try:
            return await offer_settlement(await temporal_client(), account, request)
        except Rejected as exc:
            raise CliError(f"settlement refused: {exc}") from None

    result = run_async(go())
    console.print(
        f"offer {result.offer_id} {result.status} ({result.discount_percent}% discount); "
        f"open until {result.expires_at:%Y-%m-%d %H:%M} UTC"
    )


@app.command("plan")
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
    try:
        schedule = []
        for item in instalment:
            when, _, amount = item.partition("=")
            schedule.append(Instalment(due_date=date.fromisoformat(when), amount=parse_amount(amount)))
        request = PlanInput.model_validate(
            dict(
                plan_id=plan_id,
                instalments=schedule,
                down_payment=parse_amount(down_payment),
                fee_waiver=parse_amount(fee_waiver),
                rate_discount_percent=parse_amount(rate_discount),
                approved_by=approved_by,
                approver_role=role,
            )
        )
    except ValueError as exc:
        reason = validation_reason(exc) if isinstance(exc, ValidationError) else str(exc)
        fail(f"{reason} (instalments are given as YYYY-MM-DD=AMOUNT)", BAD_INPUT)

    async def go():
        try:
            return await agree_plan(await temporal_client(), account, request)
        except Rejected as exc:
            raise CliError(f"plan refused: {exc}") from None

    result = run_async(go())
    console.print(
        f"plan {result.plan_id} {result.status}: {result.instalments} instalments, total {result.total}, "
        f"next due {result.next_due}"
    )


@app.command("outcome")
def desk_outcome(
    account: Annotated[str, typer.Argument(help="Account id")],
    task_id: Annotated[int, typer.Option(help="The call or visit task worked")],
    outcome: Annotated[str, typer.Option(help="right_party_contact, no_answer, wrong_number, callback_requested, ...")],
    collector: Annotated[str, typer.Option(help="Collector id")],
    duration: Annotated[int, typer.Option(help="Seconds on the call")] = 0,
    reason: Annotated[str | None, typer.Option(help="Reason for delinquency: forgot, cash_flow, job_loss, ...")] = None,
    note: Annotated[str, typer.Option()] = "",
    callback_at: Annotated[str | None, typer.Option(help="ISO time with offset, for callback_requested")] = None,
    started_at: Annotated[
        str | None,
        typer.Option(
            help="When the number was dialled (ISO with offset), for a call entered after the fact; "
            "default: the start recorded by `desk start`, else the outcome's time"
        ),
    ] = None,
) -> None:
    """Record what happened on a call task (visits go through the API with their report)."""
    try:
        request = OutcomeInput.model_validate(
            dict(  # outcome and reason become their enums, or say why not
                task_id=task_id,
                outcome=outcome,
                collector_id=collector,
                duration_seconds=duration,
                reason_for_delinquency=reason,
                note=note,
                callback_at=datetime.fromisoformat(callback_at) if callback_at else None,
                started_at=datetime.fromisoformat(started_at) if started_at else None,
            )
        )
    except ValueError as exc:
        fail(exc, BAD_INPUT)

    async def go():
        try:
            return await log_contact_outcome(await temporal_client(), account, request)
        except Rejected as exc:
            raise CliError(f"outcome refused: {exc}") from None

    result = run_async(go())
    tail = f"; callback scheduled ({result.callback_step})" if result.callback_step else ""
    console.print(f"task {result.task_id}: {result.outcome.value} recorded{tail}")


@app.command("worklist")
def desk_worklist(
    collector: Annotated[str, typer.Argument(help="Collector id")],
    at: Annotated[str | None, typer.Option(help="As of this time (ISO with offset); default now")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    wide: Annotated[bool, typer.Option("--wide", help="Every column in full, however narrow the terminal")] = False,
) -> None:
    """Today's calls and visits for a collector, most urgent first."""
    moment = parse_moment(at)
    with session_factory()() as session:
        try:
            entries = worklist(session, collector, moment, policy=configured_policy(), on_episode_clock=at is None)
        except DeskError as exc:
            fail(exc)
    if as_json:
        print(json.dumps([e.model_dump(mode="json") for e in entries], ensure_ascii=False, indent=2))
        return
    print_worklist(console, entries, wide=wide)
    console.print(f"{len(entries)} task(s) for {collector}")


@app.command("check")
def desk_check(task_id: Annotated[int, typer.Argument(help="Call or visit task")]) -> None:
    """Whether the contact gate allows working a call or visit task now: the rule, and the next permitted moment."""
    moment = run_async(collection_now(task_account(task_id)))
    with session_factory()() as session:
        found = check(session, session.get(CollectorTask, task_id), moment, configured_policy())
    if found.allowed:
        console.print(f"task {task_id}: allowed now ({moment:%Y-%m-%d %H:%M} UTC)")
        return
    after = f"; next permitted {found.next_allowed_at:%Y-%m-%d %H:%M} UTC" if found.next_allowed_at else ""
    console.print(f"task {task_id}: not now: {found.rule}: {found.detail}{after}")
    raise typer.Exit(FAILED)


@app.command("start")
def desk_start(
    task_id: Annotated[int, typer.Argument(help="Call or visit task")],
    collector: Annotated[str, typer.Option(help="Collector who dials (or visits)")],
    at: Annotated[
        str | None,
        typer.Option(
            help="When the number was dialled, ISO with offset, for a call made earlier (after the fact); default now"
        ),
    ] = None,
) -> None:
    """Record that a call is dialled (or a visit begins): refused with the rule when the gate forbids it now;
    a call entered after the fact is kept and flagged with the rule it broke."""
    now = run_async(collection_now(task_account(task_id)))
    moment = parse_moment(at) if at else now
    try:
        contact = start(
            session_factory(), OutboxAdapter(), task_id, collector, moment, now, fallback=configured_policy()
        )
    except StartRefused as exc:
        fail(f"task {task_id}: {exc}", FAILED)
    except DeskError as exc:
        fail(str(exc))
    flagged = f"; FLAGGED {contact.violation_rule}: {contact.violation_detail}" if contact.violation_rule else ""
    console.print(
        f"task {task_id}: {contact.kind} started at {contact.started_at:%Y-%m-%d %H:%M} UTC "
        f"({contact.entered}){flagged}"
    )


@app.command("reassign")
def desk_reassign(
    task_id: Annotated[int, typer.Argument(help="Task id")],
    to: Annotated[str, typer.Option(help="Collector who takes it")],
    by: Annotated[str, typer.Option(help="Supervisor making the change")],
    reason: Annotated[str, typer.Option(help="Why (kept on record)")],
) -> None:
    """A supervisor gives a task to a named collector."""
    sessions = session_factory()
    with sessions() as session:
        supervisor = session.get(Collector, by)
        if supervisor is None or ROLE_RANK[Role(supervisor.role)] < ROLE_RANK[Role.SUPERVISOR]:
            fail(f"{by} is not a supervisor or manager on the roster; only they reassign tasks")
    try:
        task = reassign_task(sessions, task_id, to, by, reason, utcnow())
    except DeskError as exc:
        fail(exc)
    console.print(f"task {task.id} now with {task.assigned_to}")


@app.command("sweep")
def desk_sweep(
    at: Annotated[str | None, typer.Option(help="As of this time (ISO with offset); default now")] = None,
) -> None:
    """Escalate tasks past their SLA, reassign absent collectors' work, place waiting tasks (the worker does this every few minutes)."""
    console.print(str(sweep(session_factory(), parse_moment(at))))
