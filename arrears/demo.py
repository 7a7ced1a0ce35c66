"""`make demo`: a sample portfolio through its whole lifecycle, on a real server.

Starts its own dev server (free ports, its own files under .demo/), a worker,
migrates a fresh SQLite database, imports ~50 synthetic accounts spread over
every stage (plus two bad rows, to show the reject report), imports the file a
second time (nothing new starts), records payments and an operator close along
the way, and prints a summary. Collection days are compressed: one day lasts
``day_seconds`` real seconds, a property of each episode, not a clock hack.
"""

import asyncio
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo
from decimal import Decimal

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from temporalio.client import Client, WorkflowExecutionStatus

from arrears import PROJECT_ROOT
from arrears.cli import print_import_summary
from arrears.connect import connect
from arrears.contracts import WORKFLOW_TYPE
from arrears.db.engine import make_engine, make_sessionmaker
from arrears.db.migrate import upgrade
from arrears.risk.demo import run_risk_demo
from arrears.db.models import (
    AccountAction,
    AgencyCommission,
    AgencyPlacement,
    Collector,
    ContactDecision,
    CollectorTask,
    ContactAttempt,
    Episode,
    Plan,
    PromiseToPay,
    Settlement,
    StageEvent,
)
from arrears.desk.assign import open_loads, set_absent, sweep
from arrears.agencies import import_agencies
from arrears.desk.roster import import_roster
from arrears.desk.worklist import worklist
from arrears.devserver import start_dev_server
from arrears.domain.strategy import load_strategy
from arrears.importer import import_file
from arrears.insight.demo import write_demo_report
from arrears.contracts import PaymentInput, PlanInput, PromiseInput, SettlementInput
from arrears.domain.plan import Instalment
from arrears.operations import (
    Rejected,
    agree_plan,
    close_episode,
    get_status,
    offer_settlement,
    promise_to_pay,
    record_payment,
)
from arrears.runner import build_worker
from arrears.search_attributes import COLLECTION_STAGE
from arrears.sample import generate_accounts, write_csv
from arrears.settings import load_settings

console = Console()
DEMO_DIR = PROJECT_ROOT / ".demo"
STAGES = ("pre_due", "early", "mid", "late", "charged_off")
OUTCOMES = ("paid_on_time", "cured", "settled", "closed", "charged_off")

# DPD at import for the 48 good accounts: every stage, and some close enough to
# 180 to be charged off within the demo.
DEMO_DPDS = [-4, -2, 1, 3, 6, 10, 12, 18, 25, 29, 33, 40, 45, 55, 62, 75, 88, 92, 100, 115, 128, 140, 150, 160,
             -3, 2, 5, 8, 15, 20, 27, 35, 50, 58, 70, 85, 95, 105, 120, 135, 145, 155, 165, 170, 172, 175, 176, 178]


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
ROSTER = PROJECT_ROOT / "examples" / "roster.csv"
AGENCIES = PROJECT_ROOT / "examples" / "agencies.csv"
ABSENT = "c-zhao"


def account_id(index: int) -> str:
    return f"DEMO{index + 1:06d}"


async def run_demo(day_seconds: float, days: int, keep_server: bool) -> int:
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    DEMO_DIR.mkdir(parents=True)
    console.rule("[bold]Arrears demo")
    console.print(f"[bold yellow]Time is compressed: one collection day lasts {day_seconds:g} s of real time.[/bold yellow]")
    console.print("Each episode carries its own day length (day_seconds); the ladder is counted in DPD as in production.")

    server = start_dev_server(DEMO_DIR / "temporal.db", ui=True, log_file=DEMO_DIR / "temporal.log")
    worker_task = None
    try:
        settings = load_settings(
            temporal_address=server.address,
            task_queue="arrears-demo",
            database_url=f"sqlite:///{DEMO_DIR / 'arrears.db'}",
            strategy=PROJECT_ROOT / "strategies" / "demo.yaml",
        )
        console.print(f"Temporal dev server {server.address}; Web UI [link={server.ui_url}]{server.ui_url}[/link] "
                      f"(try the query CollectionStage=\"late\")")
        upgrade(settings.database_url)
        console.print(f"database migrated: {settings.database_url_masked}")
        sessions = make_sessionmaker(make_engine(settings.database_url))
        team = import_roster(sessions, ROSTER, datetime.now(timezone.utc))
        console.print(f"roster {ROSTER.relative_to(PROJECT_ROOT)}: {len(team.added)} collectors "
                      "(calls and visits go to them by language, region, role and load)")
        agencies = import_agencies(sessions, AGENCIES, datetime.now(timezone.utc))
        console.print(f"agencies {AGENCIES.relative_to(PROJECT_ROOT)}: {len(agencies.added)} under contract "
                      "(the ladder's agency step places accounts with them)")
        client = await _connect(settings)
        worker = build_worker(client, settings)
        worker_task = asyncio.create_task(worker.run())

        portfolio = DEMO_DIR / "portfolio.csv"
        rows = generate_accounts(len(DEMO_DPDS), date.today(), DEMO_DPDS, prefix="DEMO")
        bad = [dict(rows[1], account_id="DEMO-BAD-1", overdue_amount="-5"),
               dict(rows[2], account_id="DEMO-BAD-2", timezone="Mars/Olympus_Mons")]
        write_csv(portfolio, rows, bad)
        strategy = load_strategy(settings.strategy)
        engine = make_engine(settings.database_url)
        console.rule("import")
        summary = await import_file(client, engine, portfolio, task_queue=settings.task_queue, strategy=strategy,
                                    day_seconds=day_seconds, reject_path=DEMO_DIR / "portfolio.rejects.csv")
        print_import_summary(summary, DEMO_DIR / "portfolio.rejects.csv")
        again = await import_file(client, engine, portfolio, task_queue=settings.task_queue, strategy=strategy,
                                  day_seconds=day_seconds)
        console.print(f"same file imported again: {len(again.started)} started, "
                      f"{len(again.already_running)} already running")
        if summary.failed or again.started:
            console.print("[red]import did not behave as expected[/red]")
            return 1

        console.rule(f"running {days} collection days")
        await _run_script(client, sessions, rows, day_seconds, days)
        await _summary(client, engine, settings)
        await _economics_summary(sessions)
        await _desk_summary(client, sessions, rows)
        write_demo_report(sessions, DEMO_DIR / "reports", console)
        await asyncio.to_thread(run_risk_demo, DEMO_DIR, console)  # off the loop: the worker keeps answering
        console.print(f"Web UI: {server.ui_url}  (namespace default, task queue {settings.task_queue})")
        if keep_server:
            console.print("server kept running; Ctrl-C to stop")
            await asyncio.Event().wait()
        return 0
    finally:
        if worker_task is not None:
            worker_task.cancel()
            try:
                await worker_task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - shutting down
                pass
        server.stop()
        console.print("demo server and worker stopped")


async def _connect(settings) -> Client:
    deadline = time.monotonic() + 30
    while True:
        try:
            return await connect(settings)
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def _run_script(client: Client, sessions, rows: list[dict], day_seconds: float, days: int) -> None:
    started = time.monotonic()
    pending = sorted(SCRIPT, key=lambda s: s.day)
    last_report = -1
    while True:
        day = int((time.monotonic() - started) / day_seconds)
        while pending and pending[0].day <= day:
            step = pending.pop(0)
            if step.kind in ("absent", "back"):
                moved = set_absent(sessions, ABSENT, step.kind == "absent", datetime.now(timezone.utc))
                console.print(f"day {day:>3}  {step.note} [green]ok[/green] "
                              f"({moved.reassigned or moved.assigned} task(s) moved, {moved.waiting} waiting)")
                continue
            await _act(client, rows, step, day)
        if day // 10 != last_report // 10 or day >= days:
            last_report = day
            running, ended = await _stage_counts(client)
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
            result = await close_episode(client, acct, "account sold to a debt buyer", "ops-demo")
            console.print(f"day {day:>3}  {acct}: {step.note} [green]ok[/green] ({result.reason})")
            return
        if step.kind == "recovery_pay":
            from arrears.recovery_contracts import RecoveryPaymentResult, recovery_workflow_id

            recovery = client.get_workflow_handle(recovery_workflow_id(acct))
            try:
                paid = await recovery.execute_update("record_payment", PaymentInput(
                    payment_id=f"{acct}-REC1", amount=Decimal("500"), channel="demo"), result_type=RecoveryPaymentResult)
            except Exception as exc:  # noqa: BLE001 - shown, not fatal: the demo goes on
                console.print(f"day {day:>3}  {acct}: {step.note} [red]failed[/red]: {exc}")
                return
            console.print(f"day {day:>3}  {acct}: {step.note} [green]ok[/green] "
                          f"(recovered {paid.recovered_total}, outstanding {paid.outstanding})")
            return
        view = await get_status(client, acct)
        if step.kind == "promise":
            local_today = view.as_of.astimezone(ZoneInfo(view.timezone)).date()
            taken = await promise_to_pay(client, acct, PromiseInput(
                promise_id=f"{acct}-PTP", amount=(overdue * Decimal("0.3")).quantize(Decimal("0.01")),
                promised_date=local_today + timedelta(days=4), collector_id="collector-demo"))
            console.print(f"day {day:>3}  {acct} (DPD {view.dpd}): {step.note} [green]ok[/green] "
                          f"(judged {taken.deadline:%m-%d %H:%M} UTC)")
            return
        if step.kind == "settle":
            local_today = view.as_of.astimezone(ZoneInfo(view.timezone)).date()
            made = await offer_settlement(client, acct, SettlementInput(
                offer_id=f"{acct}-S1", amount=(view.total_balance * Decimal("0.8")).quantize(Decimal("0.01")),
                expires_on=local_today + timedelta(days=7), approved_by="supervisor-demo", approver_role="supervisor"))
            console.print(f"day {day:>3}  {acct} (DPD {view.dpd}): {step.note} [green]ok[/green] "
                          f"({made.discount_percent}% off {view.currency} {view.total_balance})")
            return
        if step.kind == "plan":
            local_today = view.as_of.astimezone(ZoneInfo(view.timezone)).date()
            down = (view.overdue_amount * Decimal("0.2")).quantize(Decimal("0.01"))
            first = ((view.overdue_amount - down) / 2).quantize(Decimal("0.01"))
            agreed = await agree_plan(client, acct, PlanInput(
                plan_id=f"{acct}-PLAN", down_payment=down, approved_by="supervisor-demo", approver_role="supervisor",
                instalments=[Instalment(due_date=local_today + timedelta(days=10), amount=first),
                             Instalment(due_date=local_today + timedelta(days=20), amount=view.overdue_amount - down - first)]))
            console.print(f"day {day:>3}  {acct} (DPD {view.dpd}): {step.note} [green]ok[/green] "
                          f"({agreed.instalments} instalments, total {view.currency} {agreed.total})")
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


async def _stage_counts(client: Client) -> tuple[Counter, Counter]:
    """Running episodes by stage and ended ones by outcome, from visibility."""
    running: Counter = Counter()
    ended: Counter = Counter()
    async for wf in client.list_workflows(f'WorkflowType="{WORKFLOW_TYPE}" AND TaskQueue="arrears-demo"'):
        stage = wf.typed_search_attributes.get(COLLECTION_STAGE) or "?"
        (running if wf.status == WorkflowExecutionStatus.RUNNING else ended)[stage] += 1
    return running, ended


async def _summary(client: Client, engine, settings) -> None:
    sessions = make_sessionmaker(engine)
    # Let the last workflow tasks land in visibility before counting.
    await asyncio.sleep(1.5)
    running, _ = await _stage_counts(client)
    with sessions() as s:
        reached = dict(s.execute(select(StageEvent.stage, func.count(StageEvent.episode_id.distinct()))
                                 .where(~StageEvent.idempotency_key.endswith(":outcome")).group_by(StageEvent.stage)).all())
        contacts = dict(s.execute(select(ContactAttempt.channel, func.count()).group_by(ContactAttempt.channel)).all())
        tasks = dict(s.execute(select(CollectorTask.kind, func.count()).group_by(CollectorTask.kind)).all())
        actions = dict(s.execute(select(AccountAction.action, func.count()).group_by(AccountAction.action)).all())
        promises = dict(s.execute(select(PromiseToPay.status, func.count()).group_by(PromiseToPay.status)).all())
        plans = dict(s.execute(select(Plan.status, func.count()).group_by(Plan.status)).all())
        offers = dict(s.execute(select(Settlement.status, func.count()).group_by(Settlement.status)).all())
        placements = dict(s.execute(select(AgencyPlacement.status, func.count()).group_by(AgencyPlacement.status)).all())
        gate = s.execute(select(ContactDecision.verdict, ContactDecision.rule, func.count())
                         .where(ContactDecision.verdict != "allow")
                         .group_by(ContactDecision.verdict, ContactDecision.rule)).all()
        commission: dict[str, Decimal] = {}
        for currency, amount in s.execute(select(AgencyCommission.currency, AgencyCommission.commission)):
            commission[currency] = commission.get(currency, Decimal(0)) + amount
        outcomes = dict(s.execute(select(Episode.outcome, func.count()).where(Episode.outcome.is_not(None))
                                  .group_by(Episode.outcome)).all())

    table = Table(title="accounts by stage (running) and outcome (ended)")
    table.add_column("stage / outcome")
    table.add_column("accounts now", justify="right")
    table.add_column("episodes that reached it", justify="right")
    for name in STAGES:
        table.add_row(name, str(running[name]), str(reached.get(name, 0)))
    for name in OUTCOMES:
        table.add_row(f"outcome: {name}", str(outcomes.get(name, 0)), "")
    console.print(table)

    table = Table(title="contacts, tasks, account actions, promises, settlements and plans")
    table.add_column("kind")
    table.add_column("count", justify="right")
    for name, n in sorted(contacts.items()):
        table.add_row(f"contact: {name}", str(n))
    for name, n in sorted(tasks.items()):
        table.add_row(f"task: {name}", str(n))
    for name, n in sorted(actions.items()):
        table.add_row(f"action: {name}", str(n))
    for name, n in sorted(promises.items()):
        table.add_row(f"promise: {name}", str(n))
    for name, n in sorted(offers.items()):
        table.add_row(f"settlement offer: {name}", str(n))
    for name, n in sorted(plans.items()):
        table.add_row(f"instalment plan: {name}", str(n))
    for name, n in sorted(placements.items()):
        table.add_row(f"agency placement: {name}", str(n))
    for verdict, rule, n in sorted(gate):
        table.add_row(f"contact gate: {verdict} ({rule})", str(n))
    for currency, amount in sorted(commission.items()):
        table.add_row(f"agency commission ({currency})", str(amount))
    console.print(table)
    console.print(f"system of record: {settings.database_url_masked}")


async def _economics_summary(sessions) -> None:
    """What the delinquency cost and did to the accounts: ledger, card, blacklist, bureau, legal, recovery."""
    from arrears.bureau import run_cycle
    from arrears.db.models import (
        BlacklistEntryRecord,
        BureauNotice,
        CardRestriction,
        LedgerPosting,
        LegalCaseRecord,
        Recovery,
    )
    from arrears.domain.strategy import load_strategy as _load

    with sessions() as s:
        postings = s.execute(select(LedgerPosting.kind, func.count(), func.min(LedgerPosting.posted_on))
                             .group_by(LedgerPosting.kind)).all()
        applied = dict(s.execute(select(CardRestriction.level, func.count()).group_by(CardRestriction.level)).all())
        lifted = dict(s.execute(select(CardRestriction.level, func.count()).where(CardRestriction.lifted_at.is_not(None))
                                .group_by(CardRestriction.level)).all())
        listed = s.scalar(select(func.count()).select_from(BlacklistEntryRecord))
        dated = s.scalar(select(func.count()).select_from(BlacklistEntryRecord).where(BlacklistEntryRecord.listed_until.is_not(None)))
        notices = s.scalar(select(func.count()).select_from(BureauNotice))
        cases = s.scalar(select(func.count()).select_from(LegalCaseRecord))
        recoveries = s.scalar(select(func.count()).select_from(Recovery))
        last_day = s.scalar(select(func.max(LedgerPosting.posted_on)))
    table = Table(title="delinquency economics: ledger postings and account actions")
    table.add_column("kind")
    table.add_column("count", justify="right")
    for kind, n, _ in sorted(postings):
        table.add_row(f"ledger posting: {kind}", str(n))
    for level in ("cash_advance_blocked", "purchases_blocked", "card_frozen", "card_closed"):
        if applied.get(level):
            table.add_row(f"card: {level} (lifted on cure)", f"{applied[level]} ({lifted.get(level, 0)})")
    table.add_row("blacklisted (removal dated on cure)", f"{listed} ({dated})")
    table.add_row("bureau prior notices sent", str(notices))
    table.add_row("legal cases referred", str(cases))
    table.add_row("recovery payments after charge-off", str(recoveries))
    console.print(table)
    if last_day is not None:
        # The month's bureau file as the record stands on the demo's last collection day.
        demo = _load(PROJECT_ROOT / "strategies" / "demo.yaml")
        result = run_cycle(sessions, f"{last_day:%Y-%m}", DEMO_DIR / "bureau", demo.bureau,
                           now=datetime.now(timezone.utc), as_of=last_day, pricing=demo.pricing)
        console.print(f"bureau file {result.path.relative_to(PROJECT_ROOT)}: {result.accounts} accounts, "
                      f"{result.withheld} negative reports withheld pending the prior notice, {result.corrections} corrections")


async def _desk_summary(client: Client, sessions, rows: list[dict]) -> None:
    """Who holds the calls and visits, what the SLA sweep escalates, and a supervisor's worklist."""
    with sessions() as s:
        loads = open_loads(s)
        team = s.scalars(select(Collector).order_by(Collector.team, Collector.collector_id)).all()
        waiting = s.scalar(select(func.count()).select_from(CollectorTask).where(
            CollectorTask.status == "open", CollectorTask.kind.in_(("call", "visit")), CollectorTask.assigned_to.is_(None)))
    table = Table(title="the desk: open calls and visits per collector (balanced by load / capacity)")
    for column in ("collector", "team", "role", "languages", "regions", "open / capacity"):
        table.add_column(column)
    for c in team:
        table.add_row(c.collector_id, c.team, c.role, ";".join(c.languages), ";".join(c.regions) or "-",
                      f"{loads.get(c.collector_id, 0)} / {c.daily_capacity}")
    console.print(table)
    console.print(f"waiting for an eligible collector with room: {waiting}")
    # Collection time runs ahead of the wall clock here: look at the desk as of the episodes' today.
    as_of = None
    for row in rows:
        try:
            view = await get_status(client, row["account_id"])
        except Rejected:
            continue
        if view.outcome is None:  # an ended episode's clock stopped when it ended
            as_of = view.as_of
            break
    if as_of is None:
        return
    swept = sweep(sessions, as_of)
    console.print(f"SLA sweep as of collection time {as_of:%Y-%m-%d %H:%M} UTC: {swept}")
    with sessions() as s:
        items = worklist(s, "s-wang", as_of)
    table = Table(title=f"worklist of supervisor s-wang (team east): {len(items)} task(s), first 8 by priority")
    for column in ("task", "kind", "account", "stage", "DPD", "overdue", "broken PTP", "customer time", "queue"):
        table.add_column(column)
    for e in items[:8]:
        table.add_row(str(e.task_id), e.kind, e.account_id, e.stage, str(e.dpd), f"{e.currency} {e.overdue_amount}",
                      str(e.broken_promises), e.customer_local_time + ("" if e.callable_now else " (closed)"), e.queue)
    console.print(table)
