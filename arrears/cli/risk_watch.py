"""`arrears risk` (continued): the early-warning watch list, rescoring, segments and the rescoring schedule.

Its commands join the `risk` group (arrears.cli.main adds this app to arrears.cli.risk's
without a name); the settings come from the main app's global options, read when a command runs.
"""

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from arrears.cli.context import run_async as _run
from arrears.cli.context import temporal_client as _client
from arrears.cli.errors import CliError
from arrears.cli.risk_support import console, err
from arrears.cli.risk_support import engine as _engine
from arrears.cli.risk_support import fail as _fail
from arrears.cli.risk_support import now as _now
from arrears.cli.risk_support import parse_date as _date
from arrears.cli.risk_support import progress as _progress
from arrears.cli.risk_support import sessions as _sessions
from arrears.cli.risk_support import settings as _settings

app = typer.Typer()


# ---- early warning ------------------------------------------------------------------------------------


@app.command("watchlist")
def watchlist_command(
    as_of: Annotated[str, typer.Option("--as-of", help="YYYY-MM-DD: statements cut before it are used")],
    out: Annotated[Path | None, typer.Option(help="Also write the list to this CSV file")] = None,
    start: Annotated[
        bool, typer.Option("--start", help="Open over_limit / early_warning episodes for listed accounts")
    ] = False,
    strategy: Annotated[Path | None, typer.Option(help="Strategy file [ARREARS_STRATEGY]")] = None,
    day_seconds: Annotated[float, typer.Option(help="Length of a collection day in seconds (with --start)")] = 86_400,
) -> None:
    """Accounts not yet delinquent that the early-warning rules or the delinquent_90d score flag, with reasons;
    kept in the record (a rerun adds nothing)."""
    import csv
    from collections import Counter

    from arrears.config.strategies import load_strategy
    from arrears.domain.strategy import StrategyError
    from arrears.risk.watchlist import compute, save, start_episodes

    day = _date(as_of, "--as-of")
    settings = _settings()
    try:
        chosen = load_strategy(strategy or settings.strategy)
    except StrategyError as exc:
        _fail(str(exc), code=1)
    engine = _engine()
    sessions = _sessions(engine)
    with _progress("watch list") as progress:
        task = progress.add_task("accounts", total=None)
        listed = compute(engine, sessions, day, progress=lambda n: progress.advance(task, n))
    save(sessions, listed, _now(), chosen)
    table = Table(title=f"watch list {day} ({len(listed.entries)} of {listed.checked} active accounts)")
    for col in ("account", "flags", "score", "reasons"):
        table.add_column(col)
    for e in listed.entries[:50]:
        table.add_row(
            e.account_id,
            ", ".join(f.name for f in e.flags),
            "" if e.score is None else f"{e.score:.1%}",
            "; ".join(f.reason for f in e.flags),
        )
    console.print(table)
    if len(listed.entries) > 50:
        console.print(f"... and {len(listed.entries) - 50} more")
    counts = Counter(f.name for e in listed.entries for f in e.flags)
    console.print("by flag: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"))
    console.print(
        f"{listed.written} new in the record; {listed.limit_reviews} limit review(s) asked of the card system"
        + (
            f"; scored with {listed.model_version}"
            if listed.model_version
            else "; no active delinquent_90d model: rules only"
        )
    )
    if out:
        with out.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["as_of", "account_id", "flags", "score", "reasons"])
            for e in listed.entries:
                writer.writerow(
                    [
                        day.isoformat(),
                        e.account_id,
                        " ".join(f.name for f in e.flags),
                        "" if e.score is None else f"{e.score:.6f}",
                        " | ".join(f.reason for f in e.flags),
                    ]
                )
        console.print(f"written to {out}")
    if start:

        async def go():
            return await start_episodes(
                await _client(), engine, sessions, listed, settings.task_queue, chosen, day_seconds, _now()
            )

        result = _run(go())
        for account, trigger in result.started:
            console.print(f"started   {account} ({trigger})")
        for account in result.already_running:
            console.print(f"running   {account}")
        for account, why in result.skipped:
            console.print(f"skipped   {account}: {why}", highlight=False)
        console.print(
            f"{len(result.started)} started, {len(result.already_running)} already running, "
            f"{len(result.skipped)} skipped"
        )


# ---- rescoring and segments ---------------------------------------------------------------------------


@app.command("rescore")
def rescore_command(
    period: Annotated[str | None, typer.Option(help="The period's name in request ids (default: today, UTC)")] = None,
    account: Annotated[list[str] | None, typer.Option(help="Only these accounts")] = None,
) -> None:
    """Rescore open episodes now with the active roll_forward_60d model, as the RiskRescore workflow does on
    its calendar; episodes whose segment would change are sent set_risk_segment."""
    from arrears.risk.rescore import score_page, send

    engine = _engine()
    sessions = _sessions(engine)
    today = _now().date()
    name = period or f"manual-{today.isoformat()}"

    async def go():
        client = await _client()
        after, scored, sent, changed, failed, model = None, 0, 0, 0, [], None
        while True:
            page = score_page(engine, sessions, today, after, 500, account)
            if page.model_version is None:
                return None
            model = page.model_version
            result = await send(client, model, page.proposals, f"rescore:{name}")
            scored, sent, changed, failed = (
                scored + page.scored,
                sent + result.sent,
                changed + result.changed,
                failed + result.failed,
            )
            if page.next_after is None:
                return model, scored, sent, changed, failed
            after = page.next_after

    outcome = _run(go())
    if outcome is None:
        _fail("no active roll_forward_60d model: train one and `arrears risk activate` it", code=1)
    model, scored, sent, changed, failed = outcome
    for line in failed[:20]:
        err.print(f"refused  {line}", highlight=False)
    console.print(
        f"{scored} episode(s) scored with {model}: {sent} sent set_risk_segment, {changed} changed, "
        f"{len(failed)} refused"
    )


@app.command("segment")
def segment_command(
    account: Annotated[str, typer.Argument(help="Account id")],
    by: Annotated[str, typer.Option(help="The supervisor deciding (recorded)")],
    reason: Annotated[str, typer.Option(help="Why (recorded)")],
    set_to: Annotated[str | None, typer.Option("--set", help="low, medium or high")] = None,
    release: Annotated[
        bool, typer.Option("--release", help="Release the override: the model's segment applies again")
    ] = False,
    request_id: Annotated[str | None, typer.Option(help="Idempotency key (default: one per command)")] = None,
) -> None:
    """A supervisor's override of the episode's risk segment (it wins over the model until released)."""
    import uuid

    from arrears.client.operations import explain
    from arrears.contracts.collection import RiskSegmentInput, RiskSegmentResult
    from arrears.contracts.names import Updates, workflow_id_for
    from arrears.domain.strategy import Segment

    if not set_to and not release:
        _fail("say --set SEGMENT (an override) or --release")
    if set_to and set_to not in ("low", "medium", "high"):
        _fail(f"--set: low, medium or high, got {set_to!r}")
    request = RiskSegmentInput(
        request_id=request_id or f"supervisor:{uuid.uuid4().hex[:16]}",
        segment=Segment(set_to) if set_to else None,
        source="supervisor",
        model_version=None,
        reasons=[reason[:500]],
        set_by=by,
        override=bool(set_to) and not release,
        release_override=release,
    )

    async def go():
        handle = (await _client()).get_workflow_handle(workflow_id_for(account))
        try:
            return await handle.execute_update(Updates.SET_RISK_SEGMENT, request, result_type=RiskSegmentResult)
        except Exception as exc:  # noqa: BLE001 - said plainly to the operator
            raise explain(exc, account) from None

    result = _run(go())
    verb = "now" if result.changed else "stays"
    console.print(
        f"{account}: segment {verb} {result.segment.value} (was {result.previous.value})"
        + (" -- override released" if release else " -- held against the model until released")
    )


@app.command("schedule")
def schedule_command() -> None:
    """The RiskRescore workflow's next period, its last rescore and its last event round (a worker starts it)."""
    from arrears.contracts.names import RISK_RESCORE_ID, Queries

    async def ask():
        from temporalio.service import RPCError

        handle = (await _client()).get_workflow_handle(RISK_RESCORE_ID)
        try:
            return tuple(
                [
                    await handle.query(q, result_type=str)
                    for q in (Queries.NEXT_RESCORE, Queries.LAST_RESCORE, Queries.LAST_EVENT_ROUND)
                ]
            )
        except RPCError as exc:
            raise CliError(
                f"no rescoring schedule is running ({exc.message}); start a worker: arrears worker"
            ) from None

    nxt, last, events = _run(ask())
    console.print(f"next rescore: {nxt or '-'}")
    console.print(f"last rescore: {last}")
    console.print(f"last event round: {events}")
