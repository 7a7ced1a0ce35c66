"""`make demo`: a sample portfolio through its whole lifecycle, on a real server.

Says first what it will do and how long it takes. Starts its own dev server
(free ports, its own files under .demo/), a worker, migrates a fresh SQLite
database, imports ~50 synthetic accounts spread over every stage (plus two bad
rows, to show the reject report), imports the file a second time (nothing new
starts), and one large balance whose story reaches a legal case
(``arrears.demo.legal``); records payments, promises, a settlement, a plan and
an operator close along the way, and prints a summary, then three commands to
explore what it left (``arrears.demo.explore``). Collection days are
compressed: one day lasts ``day_seconds`` real seconds, a property of each
episode, not a clock hack.
"""

import asyncio
import shutil
import time
from datetime import UTC, date, datetime
from pathlib import Path

from rich.console import Console
from sqlalchemy import select
from temporalio.client import Client

from arrears import PROJECT_ROOT
from arrears.config.settings import load_settings
from arrears.config.strategies import load_strategy
from arrears.db.engine import make_engine, make_sessionmaker
from arrears.db.migrate import upgrade
from arrears.db.models import Episode
from arrears.demo.explore import explorations, sqlite_url
from arrears.demo.legal import (
    LEGAL_ACCOUNT,
    LEGAL_STRATEGY,
    LEGAL_TASK_QUEUE,
    LegalStory,
    legal_day_seconds,
    legal_rows,
    print_legal_summary,
    refusals,
)
from arrears.demo.script import run_script
from arrears.demo.summaries import (
    print_desk,
    print_economics,
    print_import_summary,
    print_summary,
    shown_path,
)
from arrears.desk.agencies import import_agencies
from arrears.desk.roster import import_roster
from arrears.insight.demo import write_demo_report
from arrears.intake.importer import import_file
from arrears.intake.sample import generate_accounts, write_csv
from arrears.risk.demo import run_risk_demo
from arrears.runtime.connect import connect
from arrears.runtime.devserver import start_dev_server
from arrears.runtime.worker import build_worker

console = Console()
DEMO_DIR = PROJECT_ROOT / ".demo"

# DPD at import for the 48 good accounts: every stage, and some close enough to
# 180 to be charged off within the demo.
DEMO_DPDS = [
    -4,
    -2,
    1,
    3,
    6,
    10,
    12,
    18,
    25,
    29,
    33,
    40,
    45,
    55,
    62,
    75,
    88,
    92,
    100,
    115,
    128,
    140,
    150,
    160,
    -3,
    2,
    5,
    8,
    15,
    20,
    27,
    35,
    50,
    58,
    70,
    85,
    95,
    105,
    120,
    135,
    145,
    155,
    165,
    170,
    172,
    175,
    176,
    178,
]


ROSTER = PROJECT_ROOT / "examples" / "roster.csv"
AGENCIES = PROJECT_ROOT / "examples" / "agencies.csv"

# Real seconds around the collection days: server start, imports, summaries (7 s measured on an idle
# 2-core machine; a busy one takes longer and the intro says "about").
OVERHEAD_SECONDS = 7
# After the last collection day the demo waits at most this long for the legal story to file its claim.
LEGAL_GRACE_SECONDS = 30


def _duration(seconds: float) -> str:
    minutes, rest = divmod(int(round(seconds / 5) * 5), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def _intro(day_seconds: float, days: int, demo_dir: Path, keep_server: bool) -> None:
    console.rule("[bold]Arrears demo")
    console.print(
        f"About {_duration(days * day_seconds + OVERHEAD_SECONDS)} from now. "
        f"[bold yellow]Time is compressed: one collection day lasts {day_seconds:g} s of real time[/bold yellow] "
        "(each episode carries its own day length; the ladder is counted in DPD as in production)."
    )
    where = shown_path(demo_dir)
    steps = [
        f"start a Temporal dev server with its Web UI, and a worker (files under {where}/)",
        f"import {len(DEMO_DPDS)} synthetic accounts at DPD {min(DEMO_DPDS)} to {max(DEMO_DPDS)} plus 2 bad rows "
        "(reported by line), the same file again (nothing new starts), and one large balance for the legal story",
        f"run {days} collection days: payments, promises, a settlement, an instalment plan, an agency payment, an "
        "operator close, a collector's absence; the large balance, on a faster clock, is reached twice by a "
        "collector, referred to the legal team, and its claim filed",
        "summarise: accounts by stage and outcome, contacts, economics, legal cases and why the others were "
        "refused, the desk, a supervisor's worklist",
        "end with three commands to explore what it left"
        + (" (the server stays up until Ctrl-C)" if keep_server else " (they need the server: --keep-server)"),
    ]
    for n, step in enumerate(steps, 1):
        console.print(f" {n}. {step}")


async def run_demo(day_seconds: float, days: int, keep_server: bool, demo_dir: Path = DEMO_DIR) -> int:
    demo_dir = demo_dir.resolve()
    shutil.rmtree(demo_dir, ignore_errors=True)
    demo_dir.mkdir(parents=True)
    _intro(day_seconds, days, demo_dir, keep_server)

    server = start_dev_server(demo_dir / "temporal.db", ui=True, log_file=demo_dir / "temporal.log")
    workers: list[asyncio.Task] = []
    explore: list = []
    try:
        settings = load_settings(
            temporal_address=server.address,
            task_queue="arrears-demo",
            database_url=sqlite_url(demo_dir / "arrears.db"),
            strategy=PROJECT_ROOT / "strategies" / "demo.yaml",
        )
        console.print(
            f"Temporal dev server {server.address}; Web UI [link={server.ui_url}]{server.ui_url}[/link] "
            f'(try the query CollectionStage="late")'
        )
        upgrade(settings.database_url)
        console.print(f"database migrated: {settings.database_url_masked}")
        sessions = make_sessionmaker(make_engine(settings.database_url))
        team = import_roster(sessions, ROSTER, datetime.now(UTC))
        console.print(
            f"roster {ROSTER.relative_to(PROJECT_ROOT)}: {len(team.added)} collectors "
            "(calls and visits go to them by language, region, role and load)"
        )
        agencies = import_agencies(sessions, AGENCIES, datetime.now(UTC))
        console.print(
            f"agencies {AGENCIES.relative_to(PROJECT_ROOT)}: {len(agencies.added)} under contract "
            "(the ladder's agency step places accounts with them)"
        )
        client = await _connect(settings)
        workers.append(asyncio.create_task(build_worker(client, settings).run()))
        # The large balance's fast clock gets a worker of its own: its tasks do not wait behind the
        # portfolio's (a separate task queue, as one would give a separate portfolio in production).
        legal_settings = settings.model_copy(update={"task_queue": LEGAL_TASK_QUEUE})
        workers.append(asyncio.create_task(build_worker(client, legal_settings).run()))

        portfolio = demo_dir / "portfolio.csv"
        rows = generate_accounts(len(DEMO_DPDS), date.today(), DEMO_DPDS, prefix="DEMO")
        bad = [
            dict(rows[1], account_id="DEMO-BAD-1", overdue_amount="-5"),
            dict(rows[2], account_id="DEMO-BAD-2", timezone="Mars/Olympus_Mons"),
        ]
        write_csv(portfolio, rows, bad)
        strategy = load_strategy(settings.strategy)
        engine = make_engine(settings.database_url)
        console.rule("import")
        console.print(
            "Each row is validated; bad rows are reported by line and written to a reject file, good rows "
            "start one AccountCollection workflow each."
        )
        summary = await import_file(
            client,
            engine,
            portfolio,
            task_queue=settings.task_queue,
            strategy=strategy,
            day_seconds=day_seconds,
            reject_path=demo_dir / "portfolio.rejects.csv",
        )
        print_import_summary(console, console, summary, demo_dir / "portfolio.rejects.csv")
        again = await import_file(
            client, engine, portfolio, task_queue=settings.task_queue, strategy=strategy, day_seconds=day_seconds
        )
        console.print(
            f"same file imported again: {len(again.started)} started, {len(again.already_running)} already running"
        )
        if summary.failed or again.started:
            console.print("[red]import did not behave as expected[/red]")
            return 1
        legal_strategy = load_strategy(LEGAL_STRATEGY)
        large, (row,) = demo_dir / "large-balances.csv", legal_rows(date.today())
        write_csv(large, [row])
        legal_day = legal_day_seconds(day_seconds, days)
        legal_import = await import_file(
            client, engine, large, task_queue=LEGAL_TASK_QUEUE, strategy=legal_strategy, day_seconds=legal_day
        )
        console.print(
            f"{LEGAL_ACCOUNT}: {row['total_balance']} {row['currency']}, {row['risk_segment']} risk, on "
            f"{LEGAL_STRATEGY.relative_to(PROJECT_ROOT)} (no agency; legal referral from DPD 120), one "
            f"collection day every {legal_day:.2f} s ({len(legal_import.started)} started)"
        )

        console.rule(f"running {days} collection days")
        console.print(
            "Scripted events happen on their collection day; every 10 days a line counts the running "
            "episodes by stage and the ended ones by outcome (from Temporal's visibility)."
        )
        started = time.monotonic()
        story = LegalStory(
            client,
            sessions,
            console,
            lambda: int((time.monotonic() - started) / day_seconds),
            demo_dir,
            legal_strategy.legal.criteria,
        )
        story_task = asyncio.create_task(story.run())
        try:
            await run_script(client, sessions, rows, day_seconds, days, started)
            if not story.filed.is_set() and story.stopped is None:
                console.print(f"waiting up to {LEGAL_GRACE_SECONDS} s for {LEGAL_ACCOUNT}'s legal case to be filed")
                try:
                    await asyncio.wait_for(story.filed.wait(), LEGAL_GRACE_SECONDS)
                except TimeoutError:
                    console.print(f"[red]{LEGAL_ACCOUNT}'s legal story did not finish in time[/red]")
        finally:
            story_task.cancel()
        console.rule("summary")
        await print_summary(console, client, engine, settings)
        print_economics(console, sessions, demo_dir)
        print_legal_summary(
            console, sessions, await refusals(client, sessions, strategy.legal.criteria), strategy.legal.criteria
        )
        await print_desk(console, client, sessions, rows)
        write_demo_report(sessions, demo_dir / "reports", console)
        await asyncio.to_thread(run_risk_demo, demo_dir, console)  # off the loop: the worker keeps answering
        explore = _explorations(sessions, settings, server.ui_url, story)
        if keep_server:
            _print_explorations(explore, kept=True)
            await asyncio.Event().wait()
        return 0
    finally:
        for worker_task in workers:
            worker_task.cancel()
            try:
                await worker_task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - shutting down
                pass
        server.stop()
        console.print("demo server and worker stopped")
        if explore and not keep_server:
            _print_explorations(explore, kept=False)


# The story worth reading line by line, best first: the scripted settlement, else another ending.
ENDED_STORIES = (("settled", "settled at a discount"), ("cured", "cured"), ("closed", "closed by an operator"))


def _explorations(sessions, settings, ui_url: str | None, story: LegalStory) -> list:
    ended = None
    with sessions() as s:
        for outcome, how in ENDED_STORIES:
            account = s.scalar(
                select(Episode.account_id).where(Episode.outcome == outcome).order_by(Episode.account_id)
            )
            if account is not None:
                ended = (account, how)
                break
    if story.case_id is not None:
        why = f"referred to the legal team (case {story.case_id}{', claim filed' if story.filed.is_set() else ''})"
    else:
        why = "the large balance on its way to the legal step"
    return explorations(
        address=settings.temporal_address,
        database_url=settings.database_url,
        ui_url=ui_url,
        interesting=LEGAL_ACCOUNT,
        why=why,
        ended=ended,
    )


def _print_explorations(found: list, kept: bool) -> None:
    when = (
        "the server and worker stay up until Ctrl-C; in another terminal, from here:"
        if kept
        else "these need the demo's server: run `make demo ARGS=--keep-server` and use them while it runs"
    )
    console.rule("explore what the demo left")
    console.print(when)
    for n, exploration in enumerate(found, 1):
        console.print(f"{n}. {exploration.what}")
        for command in exploration.commands:
            # One line each, never broken by the console: they are meant to be pasted.
            console.print(f"   {command}", soft_wrap=True, markup=False, highlight=False)


async def _connect(settings) -> Client:
    deadline = time.monotonic() + 30
    while True:
        try:
            return await connect(settings)
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)
