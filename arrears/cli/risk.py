"""`arrears behaviour` and `arrears risk`: behaviour data, models and their cards, the watch list, rescoring.

Registered on the main app by arrears.cli.main; the settings come from its global
options, read when a command runs.
"""

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from arrears.cli.context import run_async as _run
from arrears.cli.context import state
from arrears.cli.context import temporal_client as _client
from arrears.cli.errors import CliError

behaviour_app = typer.Typer(
    no_args_is_help=True, help="Monthly behaviour of all card accounts: the input for risk features."
)
risk_app = typer.Typer(
    no_args_is_help=True,
    help="Risk models (train, evaluate, activate, roll back), the early-warning watch list, rescoring.",
)
console = Console()
err = Console(stderr=True)


def _settings():

    return state.settings


def _engine():
    from arrears.db.engine import make_engine

    return make_engine(_settings().database_url)


def _sessions(engine=None):
    from arrears.db.engine import make_sessionmaker

    return make_sessionmaker(engine or _engine())


def _now() -> datetime:
    return datetime.now(UTC)


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[red]error:[/red] {message}", markup=True, highlight=False)
    raise typer.Exit(code)


def _date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"{name}: give a date as YYYY-MM-DD, got {value!r}")


def _progress(label: str):
    return Progress(
        TextColumn(f"[bold]{label}[/bold]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    )


# ---- behaviour ----------------------------------------------------------------------------------------


@behaviour_app.command("import")
def behaviour_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or JSON Lines of statement months")],
    rejects: Annotated[Path | None, typer.Option(help="Reject file (default: FILE.rejects.csv)")] = None,
) -> None:
    """Import monthly behaviour (streaming): bad rows are reported by line, good rows still go; a month
    imported again is replaced with the new figures."""
    from arrears.risk.behaviour_import import BehaviourFileError, import_behaviour

    reject_path = rejects or file.with_name(file.name + ".rejects.csv")
    try:
        with _progress("importing behaviour") as progress:
            task = progress.add_task("rows", total=None)
            summary = import_behaviour(_engine(), file, _now(), reject_path, lambda n: progress.advance(task, n))
    except BehaviourFileError as exc:
        _fail(f"{file}: {exc}", code=1)
    for r in summary.rejected[:20]:
        err.print(f"[yellow]line {r.line}[/yellow] {r.account_id or '-'}: {r.reason}", highlight=False)
    if summary.rejected_total > 20:
        err.print(f"... and {summary.rejected_total - 20} more")
    table = Table(title="behaviour import")
    for col in ("rows", "accounts", "added", "replaced", "rejected"):
        table.add_column(col, justify="right")
    table.add_row(
        *(str(x) for x in (summary.rows, summary.accounts, summary.added, summary.replaced, summary.rejected_total))
    )
    console.print(table)
    if summary.rejected_total:
        console.print(f"rejected rows written to {reject_path}")


# ---- synthetic data -----------------------------------------------------------------------------------


@risk_app.command("synthesize")
def synthesize(
    accounts: Annotated[int, typer.Option("--accounts", "-n", min=1, help="How many synthetic accounts")] = 5000,
    observed_on: Annotated[
        str | None,
        typer.Option(help="Observation date T, a month's first day (default: the first of the month five months ago)"),
    ] = None,
    seed: Annotated[int, typer.Option()] = 7,
    shift: Annotated[float, typer.Option(help="Move the population's stress by this much (drift)")] = 0.0,
    no_signal: Annotated[bool, typer.Option("--no-signal", help="Labels independent of every feature")] = False,
    prefix: Annotated[str, typer.Option(help="Account id prefix (distinct per population in one record)")] = "SYN",
    behaviour_out: Annotated[
        Path | None,
        typer.Option(help="Behaviour file written and imported (default: synthetic-behaviour.csv beside the database)"),
    ] = None,
) -> None:
    """Write a synthetic population with known truth into the record: behaviour (through the import),
    past episodes and what happened after T (see arrears/risk/synthetic.py for the generative model)."""
    from arrears.domain.months import add_months
    from arrears.risk.behaviour_import import import_behaviour
    from arrears.risk.synthetic import generate
    from arrears.risk.synthetic_write import write_behaviour_csv, write_record

    day = _date(observed_on, "--observed-on") if observed_on else add_months(date.today().replace(day=1), -5)
    try:
        population = generate(accounts, day, seed=seed, shift=shift, signal=not no_signal, prefix=prefix)
    except ValueError as exc:
        _fail(str(exc))
    engine = _engine()
    path = behaviour_out or Path(".arrears") / f"synthetic-behaviour-{prefix}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = write_behaviour_csv(path, population)
    summary = import_behaviour(engine, path, _now())
    write_record(engine, population, _now())
    console.print(
        f"{accounts} synthetic accounts observed on {day} ({rows} behaviour rows in {path}, "
        f"{summary.rejected_total} rejected); labels known up to {population.label_end}"
    )
    for target in ("delinquent_90d", "roll_forward_60d"):
        chosen = population.of_target(target)
        positives = sum(a.label for a in chosen)
        console.print(
            f"  {target}: {len(chosen)} accounts, {positives} positive, best achievable AUC "
            f"{population.truth_auc(target):.3f}"
        )
    console.print(
        f"train with: arrears risk train --target roll_forward_60d --window {day:%Y-%m-%d} "
        f"--label-end {population.label_end}"
    )


# ---- models -------------------------------------------------------------------------------------------


def _shares(text: str) -> tuple[int, int, int]:
    try:
        parts = tuple(int(p) for p in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 3 or sum(parts) != 100 or min(parts) < 0:
        _fail(f"--shares: three percentages for low, medium, high adding up to 100, e.g. 50,30,20; got {text!r}")
    return parts[0], parts[1], parts[2]


def _window(text: str) -> tuple[date, date]:
    from arrears.risk.dataset import parse_window

    try:
        return parse_window(text)
    except ValueError as exc:
        _fail(str(exc))


@risk_app.command("train")
def train_command(
    target: Annotated[
        str, typer.Option(help="roll_forward_60d, cure_30d (episodes) or delinquent_90d (early warning)")
    ],
    window: Annotated[str, typer.Option(help="Snapshot dates, monthly: 2026-01-01..2026-06-01 (or 2026-01..2026-06)")],
    label_end: Annotated[
        str | None, typer.Option(help="The record is complete up to this date (default: today)")
    ] = None,
    out: Annotated[Path, typer.Option(help="Directory for the model file and its card")] = Path("models"),
    shares: Annotated[str, typer.Option(help="Percent of accounts low,medium,high")] = "50,30,20",
    activate: Annotated[bool, typer.Option("--activate", help="Make it the model its target scores with")] = False,
    by: Annotated[str, typer.Option(help="Who trains (recorded when --activate)")] = "risk-team",
    seed: Annotated[int, typer.Option(help="Seed of the account split")] = 0,
) -> None:
    """Build a labelled set from the record's own history, train and calibrate a model, write it with its
    card and register it by hash."""
    from arrears.risk.card import render_card
    from arrears.risk.dataset import build_labelled_set, snapshot_dates
    from arrears.risk.labels import target as find_target
    from arrears.risk.registry import activate as activate_model
    from arrears.risk.registry import register
    from arrears.risk.training import TrainingError, train

    try:
        find_target(target)
    except ValueError as exc:
        _fail(str(exc))
    first, last = _window(window)
    end = _date(label_end, "--label-end") if label_end else date.today()
    chosen = _shares(shares)
    engine = _engine()
    snapshots = snapshot_dates(first, last)
    with _progress("labelled set") as progress:
        task = progress.add_task("accounts", total=None)
        data = build_labelled_set(engine, target, snapshots, end, progress=lambda n: progress.advance(task, n))
    try:
        model = train(data, (first, last), _now(), shares=chosen, seed=seed)
    except TrainingError as exc:
        _fail(str(exc), code=1)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{model.version}.json"
    model.save(path)
    card = render_card(model)
    (out / f"{model.version}.md").write_text(card, encoding="utf-8")
    sessions = _sessions(engine)
    with sessions.begin() as session:
        registered = register(session, model, _now())
        if activate:
            activate_model(session, model.version, by, _now())
    test = model.card["test"]
    console.print(
        f"{model.version}: {len(data)} rows, held-out AUC {test['auc']}, KS {test['ks']}, Brier {test['brier']}"
    )
    console.print(
        f"written {path} and its card {out / (model.version + '.md')}; "
        f"{'registered' if registered.created else 'already registered'} (sha256 {registered.model_hash[:16]})"
        + ("; active" if activate else f"; activate with: arrears risk activate {model.version}")
    )


def _model(reference: str):
    """A model file's path, or a registered version or hash."""
    from arrears.risk.model import ModelFileError, from_content, load_model
    from arrears.risk.registry import RegistryError, find

    path = Path(reference)
    try:
        if path.suffix == ".json" or path.exists():
            return load_model(path)
        with _sessions()() as session:
            row = find(session, reference)
            return from_content(row.content, f"registered model {row.version}")
    except (ModelFileError, RegistryError) as exc:
        _fail(str(exc), code=1)


@risk_app.command("evaluate")
def evaluate_command(
    model: Annotated[str, typer.Argument(help="Model file (.json) or registered version")],
    window: Annotated[str, typer.Option(help="Later snapshot dates: 2026-07-01..2026-09-01")],
    label_end: Annotated[
        str | None, typer.Option(help="The record is complete up to this date (default: today)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    fail_on_drift: Annotated[bool, typer.Option("--fail-on-drift", help="Exit 3 when a PSI is above 0.25")] = False,
) -> None:
    """The model's AUC, KS, Gini, Brier and calibration on a later window, and population stability
    (PSI) per feature and for the score, flagging drift."""
    import json

    from arrears.risk.dataset import build_labelled_set, snapshot_dates
    from arrears.risk.evaluation import evaluate, render

    scoring = _model(model)
    first, last = _window(window)
    end = _date(label_end, "--label-end") if label_end else date.today()
    with _progress("labelled set") as progress:
        task = progress.add_task("accounts", total=None)
        data = build_labelled_set(
            _engine(), scoring.target, snapshot_dates(first, last), end, progress=lambda n: progress.advance(task, n)
        )
    try:
        result = evaluate(scoring, data, (first.isoformat(), last.isoformat()))
    except ValueError as exc:
        _fail(str(exc), code=1)
    print(json.dumps(result.as_dict(), indent=1) if as_json else render(result))
    if fail_on_drift and result.drifted:
        raise typer.Exit(3)


@risk_app.command("card")
def card_command(model: Annotated[str, typer.Argument(help="Model file (.json) or registered version")]) -> None:
    """Print a model's card (Markdown)."""
    from arrears.risk.card import render_card

    print(render_card(_model(model)))


@risk_app.command("models")
def models_command() -> None:
    """Registered models: version, target, when trained and registered, held-out AUC, which is active."""
    from arrears.risk.registry import models

    with _sessions()() as session:
        rows = models(session)
    table = Table("version", "target", "trained (UTC)", "registered (UTC)", "test AUC", "active", "activated by")
    for r in rows:
        table.add_row(
            r.version,
            r.target,
            f"{r.trained_at:%Y-%m-%d %H:%M}",
            f"{r.registered_at:%Y-%m-%d %H:%M}",
            str(r.content.get("card", {}).get("test", {}).get("auc")),
            "yes" if r.active else "",
            r.activated_by or "",
        )
    console.print(table)
    if not rows:
        console.print("no models registered: arrears risk train --target ... --window ...")


@risk_app.command("activate")
def activate_command(
    version: Annotated[str, typer.Argument(help="Registered version or hash (a rollback names an older one)")],
    by: Annotated[str, typer.Option(help="Who decides (recorded)")],
) -> None:
    """Make a registered model the one its target scores with (the previous one steps down): roll forward or back."""
    from arrears.risk.registry import RegistryError, activate

    try:
        with _sessions().begin() as session:
            row = activate(session, version, by, _now())
            target, chosen = row.target, row.version
    except RegistryError as exc:
        _fail(str(exc), code=1)
    console.print(f"{target}: {chosen} is active (by {by}); the next rescore uses it")


@risk_app.command("score")
def score_command(
    model: Annotated[str, typer.Argument(help="Model file (.json) or registered version")],
    as_of: Annotated[str, typer.Option("--as-of", help="YYYY-MM-DD: data before it is used")],
    out: Annotated[Path, typer.Option(help="CSV file: account_id, risk, segment, reasons")],
    account: Annotated[
        list[str] | None, typer.Option(help="Only these accounts (default: every account on record)")
    ] = None,
) -> None:
    """Score accounts in batches (features from the record, then the model) into a CSV file."""
    import csv
    from collections import Counter

    from arrears.risk.history import all_accounts
    from arrears.risk.scoring import score_accounts

    scoring = _model(model)
    day = _date(as_of, "--as-of")
    engine = _engine()
    chosen = account or all_accounts(engine)
    counts: Counter[str] = Counter()
    with out.open("w", encoding="utf-8", newline="") as handle, _progress("scoring") as progress:
        task = progress.add_task("accounts", total=len(chosen))
        writer = csv.writer(handle)
        writer.writerow(["account_id", "risk", "segment", "reasons"])
        for s in score_accounts(engine, scoring, chosen, day):
            writer.writerow([s.account_id, f"{s.risk:.6f}", s.segment, " | ".join(s.reasons)])
            counts[s.segment] += 1
            progress.advance(task)
    console.print(
        f"{len(chosen)} account(s) scored with {scoring.version} as of {day} -> {out}: "
        + ", ".join(f"{k} {counts[k]}" for k in ("low", "medium", "high"))
    )


# ---- early warning ------------------------------------------------------------------------------------


@risk_app.command("watchlist")
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


@risk_app.command("rescore")
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


@risk_app.command("segment")
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


@risk_app.command("schedule")
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
