"""What the demo prints at the end: the import, stages and outcomes, the economics, the desk."""

import asyncio
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from temporalio.client import Client, WorkflowExecutionStatus

from arrears import PROJECT_ROOT
from arrears.bureau.cycle import run_cycle
from arrears.cli.tables import Column, print_table
from arrears.client.operations import Rejected, get_status
from arrears.config.strategies import load_strategy
from arrears.contracts import keys
from arrears.contracts.names import WORKFLOW_TYPE
from arrears.db.engine import make_sessionmaker
from arrears.db.models import (
    AccountAction,
    AgencyCommission,
    AgencyPlacement,
    BlacklistEntryRecord,
    BureauNotice,
    CardRestriction,
    Collector,
    CollectorTask,
    ContactAttempt,
    ContactDecision,
    Episode,
    LedgerPosting,
    LegalCaseRecord,
    Plan,
    PromiseToPay,
    Recovery,
    Settlement,
    StageEvent,
)
from arrears.demo.legal import QUERY_SECONDS
from arrears.desk.assign import open_loads, sweep
from arrears.desk.worklist import worklist
from arrears.desk.worklist_view import print_worklist
from arrears.intake.importer import ImportSummary
from arrears.runtime.search_attributes import COLLECTION_STAGE

STAGES = ("pre_due", "early", "mid", "late", "charged_off")
OUTCOMES = ("paid_on_time", "cured", "settled", "closed", "charged_off")


def print_import_summary(console: Console, err: Console, summary: ImportSummary, reject_path: Path | None) -> None:
    """Rejected and failed rows (the first 20 of each) on ``err``, the counts on ``console``.

    Used by `arrears start` as well; it belongs with the importer (arrears.intake).
    """
    for r in summary.rejected[:20]:
        err.print(f"[yellow]line {r.line}[/yellow] {r.account_id or '-'}: {r.reason}")
    if len(summary.rejected) > 20:
        err.print(f"... and {len(summary.rejected) - 20} more")
    for r in summary.failed[:20]:
        err.print(f"[red]line {r.line}[/red] {r.account_id}: {r.reason}")
    table = Table(title="import")
    for col in ("rows", "started", "already running", "rejected", "failed"):
        table.add_column(col, justify="right")
    table.add_row(
        *(
            str(x)
            for x in (
                summary.rows,
                len(summary.started),
                len(summary.already_running),
                len(summary.rejected),
                len(summary.failed),
            )
        )
    )
    console.print(table)
    if summary.rejected and reject_path:
        console.print(f"rejected rows written to {reject_path}")


COUNT_COLUMNS = (Column("kind", whole=True), Column("count", whole=True, justify="right"))


def shown_path(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


async def stage_counts(client: Client) -> tuple[Counter, Counter]:
    """Running episodes by stage and ended ones by outcome, from visibility."""
    running: Counter = Counter()
    ended: Counter = Counter()
    # The demo's own server: every AccountCollection on it is the demo's (on either task queue).
    async for wf in client.list_workflows(f'WorkflowType="{WORKFLOW_TYPE}"'):
        stage = wf.typed_search_attributes.get(COLLECTION_STAGE) or "?"
        (running if wf.status == WorkflowExecutionStatus.RUNNING else ended)[stage] += 1
    return running, ended


async def print_summary(console: Console, client: Client, engine, settings) -> None:
    sessions = make_sessionmaker(engine)
    # Let the last workflow tasks land in visibility before counting.
    await asyncio.sleep(1.5)
    running, _ = await stage_counts(client)
    with sessions() as s:
        reached = dict(
            s.execute(
                select(StageEvent.stage, func.count(StageEvent.episode_id.distinct()))
                .where(~StageEvent.idempotency_key.endswith(keys.OUTCOME_STAGE_SUFFIX))
                .group_by(StageEvent.stage)
            ).all()
        )
        contacts = dict(s.execute(select(ContactAttempt.channel, func.count()).group_by(ContactAttempt.channel)).all())
        tasks = dict(s.execute(select(CollectorTask.kind, func.count()).group_by(CollectorTask.kind)).all())
        actions = dict(s.execute(select(AccountAction.action, func.count()).group_by(AccountAction.action)).all())
        promises = dict(s.execute(select(PromiseToPay.status, func.count()).group_by(PromiseToPay.status)).all())
        plans = dict(s.execute(select(Plan.status, func.count()).group_by(Plan.status)).all())
        offers = dict(s.execute(select(Settlement.status, func.count()).group_by(Settlement.status)).all())
        placements = dict(
            s.execute(select(AgencyPlacement.status, func.count()).group_by(AgencyPlacement.status)).all()
        )
        gate = s.execute(
            select(ContactDecision.verdict, ContactDecision.rule, func.count())
            .where(ContactDecision.verdict != "allow")
            .group_by(ContactDecision.verdict, ContactDecision.rule)
        ).all()
        commission: dict[str, Decimal] = {}
        for currency, amount in s.execute(select(AgencyCommission.currency, AgencyCommission.commission)):
            commission[currency] = commission.get(currency, Decimal(0)) + amount
        outcomes = dict(
            s.execute(
                select(Episode.outcome, func.count()).where(Episode.outcome.is_not(None)).group_by(Episode.outcome)
            ).all()
        )

    print_table(
        console,
        [
            Column("stage / outcome", whole=True),
            Column("accounts now", "now", whole=True, justify="right"),
            Column("episodes that reached it", "reached", whole=True, justify="right"),
        ],
        [[name, str(running[name]), str(reached.get(name, 0))] for name in STAGES]
        + [[f"outcome: {name}", str(outcomes.get(name, 0)), ""] for name in OUTCOMES],
        title="accounts by stage (running) and outcome (ended)",
        shown_by=None,
    )

    counts = [
        *[(f"contact: {name}", str(n)) for name, n in sorted(contacts.items())],
        *[(f"task: {name}", str(n)) for name, n in sorted(tasks.items())],
        *[(f"action: {name}", str(n)) for name, n in sorted(actions.items())],
        *[(f"promise: {name}", str(n)) for name, n in sorted(promises.items())],
        *[(f"settlement offer: {name}", str(n)) for name, n in sorted(offers.items())],
        *[(f"instalment plan: {name}", str(n)) for name, n in sorted(plans.items())],
        *[(f"agency placement: {name}", str(n)) for name, n in sorted(placements.items())],
        *[(f"contact gate: {verdict} ({rule})", str(n)) for verdict, rule, n in sorted(gate)],
        *[(f"agency commission ({currency})", str(amount)) for currency, amount in sorted(commission.items())],
    ]
    print_table(
        console,
        COUNT_COLUMNS,
        counts,
        title="contacts, tasks, account actions, promises, settlements and plans",
        shown_by=None,
    )
    console.print(f"system of record: {settings.database_url_masked}")


def print_economics(console: Console, sessions, demo_dir: Path) -> None:
    """What the delinquency cost and did to the accounts: ledger, card, blacklist, bureau, legal, recovery."""
    with sessions() as s:
        postings = s.execute(
            select(LedgerPosting.kind, func.count(), func.min(LedgerPosting.posted_on)).group_by(LedgerPosting.kind)
        ).all()
        applied = dict(s.execute(select(CardRestriction.level, func.count()).group_by(CardRestriction.level)).all())
        lifted = dict(
            s.execute(
                select(CardRestriction.level, func.count())
                .where(CardRestriction.lifted_at.is_not(None))
                .group_by(CardRestriction.level)
            ).all()
        )
        listed = s.scalar(select(func.count()).select_from(BlacklistEntryRecord))
        dated = s.scalar(
            select(func.count()).select_from(BlacklistEntryRecord).where(BlacklistEntryRecord.listed_until.is_not(None))
        )
        notices = s.scalar(select(func.count()).select_from(BureauNotice))
        cases = s.scalar(select(func.count()).select_from(LegalCaseRecord))
        recoveries = s.scalar(select(func.count()).select_from(Recovery))
        last_day = s.scalar(select(func.max(LedgerPosting.posted_on)))
    counts = [(f"ledger posting: {kind}", str(n)) for kind, n, _ in sorted(postings)]
    for level in ("cash_advance_blocked", "purchases_blocked", "card_frozen", "card_closed"):
        if applied.get(level):
            counts.append((f"card: {level} (lifted on cure)", f"{applied[level]} ({lifted.get(level, 0)})"))
    counts += [
        ("blacklisted (removal dated on cure)", f"{listed} ({dated})"),
        ("bureau prior notices sent", str(notices)),
        ("legal cases referred", str(cases)),
        ("recovery payments after charge-off", str(recoveries)),
    ]
    print_table(
        console,
        COUNT_COLUMNS,
        counts,
        title="delinquency economics: ledger postings and account actions",
        shown_by=None,
    )
    if last_day is not None:
        # The month's bureau file as the record stands on the demo's last collection day.
        demo = load_strategy(PROJECT_ROOT / "strategies" / "demo.yaml")
        result = run_cycle(
            sessions,
            f"{last_day:%Y-%m}",
            demo_dir / "bureau",
            demo.bureau,
            now=datetime.now(UTC),
            as_of=last_day,
            pricing=demo.pricing,
        )
        console.print(
            f"bureau file {shown_path(result.path)}: {result.accounts} accounts, "
            f"{result.withheld} negative reports withheld pending the prior notice, {result.corrections} corrections"
        )


async def print_desk(console: Console, client: Client, sessions, rows: list[dict]) -> None:
    """Who holds the calls and visits, what the SLA sweep escalates, and a supervisor's worklist."""
    with sessions() as s:
        loads = open_loads(s)
        team = s.scalars(select(Collector).order_by(Collector.team, Collector.collector_id)).all()
        waiting = s.scalar(
            select(func.count())
            .select_from(CollectorTask)
            .where(
                CollectorTask.status == "open",
                CollectorTask.kind.in_(("call", "visit")),
                CollectorTask.assigned_to.is_(None),
            )
        )
    print_table(
        console,
        [
            Column("collector", whole=True),
            Column("team", priority=2),
            Column("role", priority=1),
            Column("languages", "lang.", priority=3),
            Column("regions", priority=4),
            Column("open / capacity", "load", whole=True, justify="right"),
        ],
        [
            [
                c.collector_id,
                c.team,
                c.role,
                ";".join(c.languages),
                ";".join(c.regions) or "-",
                f"{loads.get(c.collector_id, 0)} / {c.daily_capacity}",
            ]
            for c in team
        ],
        title="the desk: open calls and visits per collector (balanced by load / capacity)",
        shown_by="`arrears collectors list`",
    )
    console.print(f"waiting for an eligible collector with room: {waiting}")
    # Collection time runs ahead of the wall clock here: look at the desk as of the episodes' today.
    as_of = None
    for row in rows:
        try:
            view = await asyncio.wait_for(get_status(client, row["account_id"]), QUERY_SECONDS)
        except (TimeoutError, Rejected):
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
    print_worklist(
        console,
        items[:8],
        title=f"worklist of supervisor s-wang (team east): {len(items)} task(s), first 8 by priority",
        shown_by="`arrears desk worklist s-wang --wide`",
    )
