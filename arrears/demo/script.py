"""The demo's scripted collection days (arrears.demo.run plays them): what happens on which day to which
account -- payments, promises, a settlement, a plan, an agency payment, an operator close, a collector's
absence -- and playing them against the clock, with a line of stage counts every ten days."""

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from rich.console import Console
from temporalio.client import Client

from arrears.client.operations import (
    Rejected,
    agree_plan,
    close_episode,
    get_status,
    offer_settlement,
    promise_to_pay,
    record_payment,
)
from arrears.contracts.collection import PaymentInput, PlanInput, PromiseInput, SettlementInput
from arrears.contracts.names import Updates, recovery_workflow_id
from arrears.contracts.recovery import RecoveryPaymentResult
from arrears.demo.summaries import (
    OUTCOMES,
    STAGES,
    stage_counts,
)
from arrears.desk.assign import set_absent
from arrears.domain.plan import Instalment
from arrears.domain.strategy import Role

console = Console()
ABSENT = "c-zhao"


@dataclass
class Scripted:
    """Something the demo does on a given collection day."""

    day: int
    account_index: int  # index into the generated accounts
    kind: str  # pay_full | pay_part | pay_repeat | pay_zero | close
    note: str


SCRIPT = [
    Scripted(1, 0, "pay_full", "pays in full before the due date -> paid_on_time"),
    Scripted(3, 5, "pay_part", "pays 40% of the overdue amount; the ladder keeps running"),
    Scripted(4, 5, "pay_repeat", "the bank's feed repeats that payment id -> nothing changes"),
    Scripted(5, 6, "pay_zero", "a zero payment is rejected by the update validator"),
    Scripted(6, 8, "promise", "promises to pay 30% within 4 days: escalation pauses"),
    Scripted(8, 8, "pay_promised", "pays what was promised -> promise kept, ladder resumes"),
    Scripted(9, 6, "pay_full", "pays in full -> cured"),
    Scripted(11, 10, "promise", "promises to pay 30% within 4 days, then does not pay"),
    Scripted(14, 20, "settle", "a supervisor offers to settle for 80% of the balance within 7 days"),
    Scripted(15, 5, "pay_full", "pays the rest -> cured"),
    Scripted(16, 15, "plan", "agrees a plan: 20% down, the rest in two instalments 10 and 20 days on"),
    Scripted(16, 15, "pay_down", "pays the down payment"),
    Scripted(26, 15, "pay_instalment", "pays the first instalment"),
    Scripted(36, 15, "pay_instalment", "pays the last instalment -> plan completed, cured"),
    Scripted(17, 20, "pay_settlement", "pays the offered amount -> settled, the rest forgiven"),
    Scripted(20, 12, "pay_part", "partial payment in mid stage"),
    Scripted(25, 13, "close", "operator closes: account sold to a debt buyer"),
    Scripted(30, 18, "pay_full", "late-stage account pays in full -> cured"),
    Scripted(42, 26, "pay_full", "pays after the first call -> cured"),
    Scripted(12, 19, "pay_agency", "the agency holding this account reports a 30% payment: commission recorded"),
    Scripted(10, 47, "recovery_pay", "charged off at DPD 180, pays 500 in its AccountRecovery workflow"),
    Scripted(22, -1, "absent", "collector c-zhao calls in sick: their open tasks go to others"),
    Scripted(32, -1, "back", "c-zhao is back: new work may go to them again"),
]


def _answer_within(day_seconds: float) -> float:
    """How long a scripted update may take before the demo moves on without its answer.

    Generous: on a busy machine an update waits behind the portfolio's work; but an episode whose
    workflow task keeps failing never answers, and the demo must not hang on it.
    """
    return max(30.0, 20 * day_seconds)


def account_id(index: int) -> str:
    return f"DEMO{index + 1:06d}"


async def run_script(client: Client, sessions, rows: list[dict], day_seconds: float, days: int, started: float) -> None:
    pending = sorted(SCRIPT, key=lambda s: s.day)
    last_report = -1
    while True:
        day = int((time.monotonic() - started) / day_seconds)
        while pending and pending[0].day <= day:
            step = pending.pop(0)
            if step.kind in ("absent", "back"):
                moved = set_absent(sessions, ABSENT, step.kind == "absent", datetime.now(UTC))
                console.print(
                    f"day {day:>3}  {step.note} [green]ok[/green] "
                    f"({moved.reassigned or moved.assigned} task(s) moved, {moved.waiting} waiting)"
                )
                continue
            try:
                await asyncio.wait_for(_act(client, rows, step, day), _answer_within(day_seconds))
            except TimeoutError:
                console.print(
                    f"day {day:>3}  {account_id(step.account_index)}: {step.note} [red]no answer within "
                    f"{_answer_within(day_seconds):.0f} s[/red]: the episode may be stuck (its workflow "
                    "task failing: see it in the Web UI); the demo goes on"
                )
        if day // 10 != last_report // 10 or day >= days:
            last_report = day
            running, ended = await stage_counts(client)
            line = "  ".join(f"{k} {running[k]}" for k in STAGES if running[k])
            done = "  ".join(f"{k} {ended[k]}" for k in OUTCOMES if ended[k])
            console.print(f"[dim]day {day:>3}[/dim]  running: {line or '-'}   ended: {done or '-'}")
        if day >= days:
            return
        await asyncio.sleep(min(day_seconds / 2, 0.5))


async def _act(client: Client, rows: list[dict], step: Scripted, day: int) -> None:
    acct = account_id(step.account_index)
    overdue = Decimal(rows[step.account_index]["overdue_amount"])
    try:
        if step.kind == "close":
            closed = await close_episode(client, acct, "account sold to a debt buyer", "ops-demo")
            console.print(f"day {day:>3}  {acct}: {step.note} [green]ok[/green] ({closed.reason})")
            return
        if step.kind == "recovery_pay":
            recovery = client.get_workflow_handle(recovery_workflow_id(acct))
            try:
                paid = await recovery.execute_update(
                    Updates.RECORD_PAYMENT,
                    PaymentInput(payment_id=f"{acct}-REC1", amount=Decimal("500"), channel="demo"),
                    result_type=RecoveryPaymentResult,
                )
            except Exception as exc:  # noqa: BLE001 - shown, not fatal: the demo goes on
                console.print(f"day {day:>3}  {acct}: {step.note} [red]failed[/red]: {exc}")
                return
            console.print(
                f"day {day:>3}  {acct}: {step.note} [green]ok[/green] "
                f"(recovered {paid.recovered_total}, outstanding {paid.outstanding})"
            )
            return
        view = await get_status(client, acct)
        if step.kind == "promise":
            local_today = view.as_of.astimezone(ZoneInfo(view.timezone)).date()
            taken = await promise_to_pay(
                client,
                acct,
                PromiseInput(
                    promise_id=f"{acct}-PTP",
                    amount=(overdue * Decimal("0.3")).quantize(Decimal("0.01")),
                    promised_date=local_today + timedelta(days=4),
                    collector_id="collector-demo",
                ),
            )
            console.print(
                f"day {day:>3}  {acct} (DPD {view.dpd}): {step.note} [green]ok[/green] "
                f"(judged {taken.deadline:%m-%d %H:%M} UTC)"
            )
            return
        if step.kind == "settle":
            local_today = view.as_of.astimezone(ZoneInfo(view.timezone)).date()
            made = await offer_settlement(
                client,
                acct,
                SettlementInput(
                    offer_id=f"{acct}-S1",
                    amount=(view.total_balance * Decimal("0.8")).quantize(Decimal("0.01")),
                    expires_on=local_today + timedelta(days=7),
                    approved_by="supervisor-demo",
                    approver_role=Role.SUPERVISOR,
                ),
            )
            console.print(
                f"day {day:>3}  {acct} (DPD {view.dpd}): {step.note} [green]ok[/green] "
                f"({made.discount_percent}% off {view.currency} {view.total_balance})"
            )
            return
        if step.kind == "plan":
            local_today = view.as_of.astimezone(ZoneInfo(view.timezone)).date()
            down = (view.overdue_amount * Decimal("0.2")).quantize(Decimal("0.01"))
            first = ((view.overdue_amount - down) / 2).quantize(Decimal("0.01"))
            agreed = await agree_plan(
                client,
                acct,
                PlanInput(
                    plan_id=f"{acct}-PLAN",
                    down_payment=down,
                    approved_by="supervisor-demo",
                    approver_role=Role.SUPERVISOR,
                    instalments=[
                        Instalment(due_date=local_today + timedelta(days=10), amount=first),
                        Instalment(
                            due_date=local_today + timedelta(days=20), amount=view.overdue_amount - down - first
                        ),
                    ],
                ),
            )
            console.print(
                f"day {day:>3}  {acct} (DPD {view.dpd}): {step.note} [green]ok[/green] "
                f"({agreed.instalments} instalments, total {view.currency} {agreed.total})"
            )
            return
        if step.kind == "pay_full":
            amount, pid = view.overdue_amount, f"{acct}-P{day}"
        elif step.kind in ("pay_down", "pay_instalment"):
            upcoming = view.active_plan.instalments[view.active_plan.judged] if view.active_plan else None
            amount, pid = (upcoming.amount if upcoming else view.overdue_amount), f"{acct}-PLAN-{day}"
        elif step.kind == "pay_settlement":
            amount, pid = view.open_offer.amount if view.open_offer else view.total_balance, f"{acct}-SETTLE"
        elif step.kind == "pay_part":
            amount, pid = (overdue * Decimal("0.4")).quantize(Decimal("0.01")), f"{acct}-PART"
        elif step.kind == "pay_agency":
            amount, pid = (view.overdue_amount * Decimal("0.3")).quantize(Decimal("0.01")), f"{acct}-AGENCY"
        elif step.kind == "pay_promised":
            amount, pid = (overdue * Decimal("0.3")).quantize(Decimal("0.01")), f"{acct}-PTP-PAY"
        elif step.kind == "pay_repeat":
            amount, pid = (overdue * Decimal("0.4")).quantize(Decimal("0.01")), f"{acct}-PART"
        else:
            amount, pid = Decimal(0), f"{acct}-ZERO"
        channel = "agency" if step.kind == "pay_agency" else "demo"
        result = await record_payment(client, acct, pid, amount, channel)
        tail = f"overdue now {view.currency} {result.overdue_amount}"
        if result.duplicate:
            tail += ", repeat: nothing changed"
        if result.outcome:
            tail += f", outcome {result.outcome.value}"
        console.print(f"day {day:>3}  {acct} (DPD {view.dpd}): {step.note} [green]ok[/green] ({tail})")
    except Rejected as exc:
        colour = "green" if step.kind == "pay_zero" else "red"
        console.print(f"day {day:>3}  {acct}: {step.note} [{colour}]rejected[/{colour}]: {exc}")
