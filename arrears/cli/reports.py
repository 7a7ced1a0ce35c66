"""`arrears report ...`, `arrears desk review|review-agency|complaint ...` and `arrears strategy promote`.

Registered on the main app by arrears.cli.main (one line each); the settings come from its global
options, read when a command runs.
"""

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from arrears.cli.context import run_async as _run
from arrears.cli.context import state
from arrears.cli.context import temporal_client as _client
from arrears.cli.errors import CliError

report_app = typer.Typer(
    no_args_is_help=True,
    help="Reports on collection: scorecards, agencies, the portfolio, experiments "
    "(a rich table; --csv, --json, --html to write files).",
)
complaint_app = typer.Typer(
    no_args_is_help=True, help="Customer complaints: record (places a complaint hold), resolve, list."
)
console = Console()
err = Console(stderr=True)

Csv = Annotated[Path | None, typer.Option("--csv", help="Write CSV: FILE, or FILE's stem + .<table>.csv per table")]
Json = Annotated[Path | None, typer.Option("--json", help="Write the report as JSON")]
Html = Annotated[Path | None, typer.Option("--html", help="Write one self-contained HTML page with charts")]
ScorecardOpt = Annotated[Path | None, typer.Option("--scorecard", help="Scorecard file [ARREARS_SCORECARD]")]


def _settings():

    return state.settings


def _sessions():
    from arrears.db.engine import make_engine, make_sessionmaker

    return make_sessionmaker(make_engine(_settings().database_url))


def _now() -> datetime:
    return datetime.now(UTC)


def _fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


def _scorecard(path: Path | None):
    from arrears.insight.scorecard import ScorecardError, load_scorecard

    try:
        return load_scorecard(path or _settings().scorecard)
    except ScorecardError as exc:
        _fail(str(exc), 2)


def _emit(report, csv_path: Path | None, json_path: Path | None, html_path: Path | None) -> None:
    from arrears.insight.render import print_report, write_csv, write_html, write_json

    print_report(report, console)
    for path in write_csv(report, csv_path) if csv_path else []:
        console.print(f"csv: {path}")
    if json_path:
        console.print(f"json: {write_json(report, json_path)}")
    if html_path:
        console.print(f"html: {write_html(report, html_path)}")


# ---- reports --------------------------------------------------------------------------------------


@report_app.command("scorecard")
def report_scorecard(
    month: Annotated[str, typer.Option(help="The month, YYYY-MM (in the scorecard's time zone)")],
    team: Annotated[str | None, typer.Option(help="Only this team's collectors")] = None,
    scorecard: ScorecardOpt = None,
    compliance_check: Annotated[
        bool,
        typer.Option(
            "--compliance-check",
            help="Also run the compliance check over the record and count its findings per collector",
        ),
    ] = False,
    strategy: Annotated[
        Path | None, typer.Option(help="Strategy whose [compliance] the check applies [ARREARS_STRATEGY]")
    ] = None,
    csv: Csv = None,
    json: Json = None,
    html: Html = None,
) -> None:
    """Each collector's measures, points, weighted score, target attainment and incentive band; teams too."""
    from arrears.config.strategies import load_strategy
    from arrears.domain.strategy import StrategyError
    from arrears.insight.queries import month_period
    from arrears.insight.scorecard_report import compliance_findings, scorecard_report

    card = _scorecard(scorecard)
    try:
        period = month_period(month, card.timezone)
    except ValueError as exc:
        _fail(f"--{exc}", 2)
    with _sessions()() as session:
        findings = None
        if compliance_check:
            try:
                policy = load_strategy(strategy or _settings().strategy).compliance
            except StrategyError as exc:
                _fail(str(exc), 2)
            findings = compliance_findings(session, period, policy)
        report = scorecard_report(session, card, month, team=team, findings=findings)
    _emit(report, csv, json, html)


@report_app.command("agencies")
def report_agencies(
    month: Annotated[str, typer.Option(help="The month, YYYY-MM")],
    scorecard: ScorecardOpt = None,
    csv: Csv = None,
    json: Json = None,
    html: Html = None,
) -> None:
    """Each agency's recovery rate, commission, recalls, complaints and quality, scored like collectors."""
    from arrears.insight.scorecard_report import agencies_report

    card = _scorecard(scorecard)
    with _sessions()() as session:
        try:
            report = agencies_report(session, card, month)
        except ValueError as exc:
            _fail(f"--{exc}", 2)
    _emit(report, csv, json, html)


@report_app.command("portfolio")
def report_portfolio(
    from_: Annotated[str, typer.Option("--from", help="First month end, YYYY-MM")],
    to: Annotated[str, typer.Option("--to", help="Last month end, YYYY-MM")],
    currency: Annotated[str | None, typer.Option(help="Episodes in this currency (default: the most common)")] = None,
    paid_within: Annotated[
        int, typer.Option(min=1, max=60, help="Step effectiveness: days after a step a payment counts")
    ] = 7,
    horizon: Annotated[int, typer.Option(min=1, max=60, help="Recovery curves: months after charge-off")] = 12,
    csv: Csv = None,
    json: Json = None,
    html: Html = None,
) -> None:
    """Roll rates between month ends, cure and self-cure rates, flow to charge-off, net loss, recovery curves,
    and what share paid after each strategy step and channel."""
    from arrears.insight.portfolio import portfolio_report

    with _sessions()() as session:
        try:
            report = portfolio_report(
                session, from_, to, currency=currency, paid_within_days=paid_within, horizon=horizon
            )
        except ValueError as exc:
            _fail(str(exc), 2)
    _emit(report, csv, json, html)


@report_app.command("experiment")
def report_experiment(
    name: Annotated[str, typer.Argument(help="The experiment's name (the strategy file's [experiment] name)")],
    strategy: Annotated[
        Path | None, typer.Option(help="Strategy file declaring it, for the arms' order and shares [ARREARS_STRATEGY]")
    ] = None,
    currency: Annotated[str | None, typer.Option(help="Only episodes in this currency")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="YYYY-MM-DD for open episodes' DPD (default: today, UTC)")
    ] = None,
    csv: Csv = None,
    json: Json = None,
    html: Html = None,
) -> None:
    """Compare the arms: cure rate, roll forward, amount recovered per episode and contacts per cure, with 95 %
    intervals and tests; says plainly when the sample is too small to decide."""
    from arrears.config.strategies import load_strategy
    from arrears.domain.strategy import StrategyError
    from arrears.insight.experiment_report import experiment_report

    experiment = None
    try:
        loaded = load_strategy(strategy or _settings().strategy)
        if loaded.experiment is not None and loaded.experiment.name == name:
            experiment = loaded.experiment
    except StrategyError as exc:
        if strategy is not None:
            _fail(str(exc), 2)
    try:
        day = date.fromisoformat(as_of) if as_of else _now().date()
    except ValueError:
        _fail(f"--as-of: give a date as YYYY-MM-DD, got {as_of!r}", 2)
    with _sessions()() as session:
        report = experiment_report(session, name, experiment, day, currency=currency)
    if experiment is None:
        report.notes.append(
            "the strategy file does not declare this experiment: arms are those on record, "
            "shares unknown (--strategy FILE)"
        )
    _emit(report, csv, json, html)


# ---- strategy promote -----------------------------------------------------------------------------


def promote(
    file: Annotated[Path, typer.Argument(help="The strategy file declaring the experiment")],
    arm: Annotated[str, typer.Option(help="The arm the decision favours")],
    by: Annotated[str, typer.Option(help="Who decides (kept on record)")],
    reason: Annotated[str, typer.Option(help="Why (kept on record)")],
    share: Annotated[
        list[str] | None, typer.Option(help="ARM=PERCENT, repeated, for a partial move (default: the arm gets 100 %)")
    ] = None,
) -> None:
    """Move an experiment's traffic after a decision: recorded with who, why and the comparison as it stood;
    new episodes follow the new shares, running ones keep their arm."""
    from arrears.config.strategies import load_strategy
    from arrears.domain.strategy import StrategyError
    from arrears.insight import experiment as ex
    from arrears.insight.experiment_report import experiment_report

    try:
        strategy = load_strategy(file)
    except StrategyError as exc:
        _fail(str(exc), 2)
    experiment = strategy.experiment
    if experiment is None:
        _fail(f"{file} declares no [experiment]", 2)
    shares = None
    if share:
        shares = {}
        for pair in share:
            name, sep, value = pair.partition("=")
            try:
                shares[name.strip()] = Decimal(value)
            except InvalidOperation:
                sep = ""
            if not sep:
                _fail(f"--share {pair!r}: give ARM=PERCENT, e.g. challenger-a=50", 2)
    from arrears.insight.report import plain

    with _sessions()() as session:
        evidence = experiment_report(session, experiment.name, experiment, _now().date())
        try:
            decision = ex.promote(
                session,
                experiment,
                arm,
                by,
                reason,
                _now(),
                shares=shares,
                evidence=plain(
                    {"verdicts": evidence.meta.get("verdicts", []), "arms": evidence.table("arms").records()}
                ),
            )
        except ex.ExperimentError as exc:
            _fail(str(exc))
    console.print(
        f"{experiment.name}: decision {decision.version} by {decision.decided_by}: "
        f"{_shares(decision.previous_shares)} -> {_shares(decision.shares)}"
    )
    undecided = [v for v in evidence.meta.get("verdicts", []) if v["arm"] == arm and v["verdict"] != f"{arm} better"]
    for v in undecided:
        console.print(f"[yellow]note:[/yellow] {v['measure']}: {v['verdict']} ({plain(v.get('difference'))})")


def _shares(shares: dict) -> str:
    return ", ".join(f"{k} {Decimal(v).normalize():f} %" for k, v in shares.items())


# ---- quality reviews ----------------------------------------------------------------------------


def review(
    task: Annotated[int, typer.Argument(help="The worked call or visit task")],
    reviewer: Annotated[str, typer.Option(help="The reviewing supervisor or manager (roster id)")],
    score: Annotated[list[str], typer.Option(help="ITEM=N for each rubric item, e.g. --score communication=4")],
    comment: Annotated[str, typer.Option(help="What the reviewer heard or saw")] = "",
    scorecard: ScorecardOpt = None,
) -> None:
    """Record a supervisor's quality score of a worked call or visit against the scorecard file's rubric."""
    from arrears.insight.feedback import FeedbackError, parse_scores, record_review

    card = _scorecard(scorecard)
    try:
        result = record_review(_sessions(), card.rubric, task, reviewer, parse_scores(score), comment, _now())
    except FeedbackError as exc:
        _fail(f"review refused: {exc}")
    tail = " (repeat: nothing changed)" if result.duplicate else ""
    console.print(
        f"task {task}: {result.subject} scored {result.score} / 100 by {reviewer} "
        f"(counts in {result.worked_at:%Y-%m}){tail}"
    )


def review_agency(
    placement: Annotated[int, typer.Argument(help="The agency placement (id in agency_placements)")],
    ref: Annotated[str, typer.Option(help="The piece of work reviewed: the agency's call recording id, letter, ...")],
    reviewer: Annotated[str, typer.Option(help="The reviewing supervisor or manager (roster id)")],
    score: Annotated[list[str], typer.Option(help="ITEM=N for each rubric item")],
    comment: Annotated[str, typer.Option()] = "",
    scorecard: ScorecardOpt = None,
) -> None:
    """Record a quality score of an agency's work on a placement (outsourcing oversight)."""
    from arrears.insight.feedback import FeedbackError, parse_scores, record_agency_review

    card = _scorecard(scorecard)
    try:
        result = record_agency_review(
            _sessions(), card.rubric, placement, ref, reviewer, parse_scores(score), comment, _now()
        )
    except FeedbackError as exc:
        _fail(f"review refused: {exc}")
    tail = " (repeat: nothing changed)" if result.duplicate else ""
    console.print(f"placement {placement} ({ref}): {result.subject} scored {result.score} / 100 by {reviewer}{tail}")


# ---- complaints ---------------------------------------------------------------------------------


@complaint_app.command("record")
def complaint_record(
    account: Annotated[str, typer.Argument(help="Account id")],
    complaint_id: Annotated[str, typer.Option(help="The complaint's id (a repeat with the same content is ignored)")],
    channel: Annotated[str, typer.Option(help="The channel complained about: sms, email, im, letter, call, visit")],
    category: Annotated[
        str, typer.Option(help="conduct, harassment, contact_hours, third_party, wrong_amount, privacy, service, other")
    ],
    by: Annotated[str, typer.Option("--by", help="Who records it")],
    description: Annotated[str, typer.Option(help="What the customer said (kept in the record only)")] = "",
    collector: Annotated[str | None, typer.Option(help="The collector it is about")] = None,
    agency: Annotated[str | None, typer.Option(help="The agency it is about")] = None,
    task: Annotated[int | None, typer.Option(help="The task it is about (names its collector)")] = None,
    received_at: Annotated[
        str | None, typer.Option(help="When it was received, ISO with offset (default: now)")
    ] = None,
    scorecard: ScorecardOpt = None,
) -> None:
    """Record a complaint; while the episode runs, a complaint hold closes the channel until it is resolved."""
    import asyncio

    from arrears.insight.feedback import FeedbackError, complaint_hold, record_complaint

    card = _scorecard(scorecard)
    try:
        when = datetime.fromisoformat(received_at) if received_at else _now()
    except ValueError:
        _fail(f"--received-at: not an ISO time: {received_at!r}", 2)
    sessions = _sessions()
    try:
        record = record_complaint(
            sessions,
            card.complaints,
            account_id=account,
            complaint_id=complaint_id,
            channel=channel,
            category=category,
            recorded_by=by,
            received_at=when,
            now=_now(),
            description=description,
            collector_id=collector,
            agency_id=agency,
            task_id=task,
        )
    except FeedbackError as exc:
        _fail(f"complaint refused: {exc}")
    if record.episode_open:

        async def go():
            try:
                return await complaint_hold(await _client(), sessions, record, by)
            except FeedbackError as exc:
                raise CliError(str(exc)) from None

        record = _run(go())
    else:
        record = asyncio.run(complaint_hold(None, sessions, record, by))
    about = record.collector_id or record.agency_id or "nobody named"
    hold = f"hold {record.hold_id} placed on {record.channel}" if record.hold_id else record.hold_note
    tail = " (repeat: nothing changed)" if record.duplicate else ""
    console.print(
        f"complaint {record.complaint_id} on {account} ({record.category}, about {about}) due "
        f"{record.deadline_at:%Y-%m-%d %H:%M} UTC; {hold}{tail}"
    )


@complaint_app.command("resolve")
def complaint_resolve(
    account: Annotated[str, typer.Argument(help="Account id")],
    complaint_id: Annotated[str, typer.Option(help="The complaint")],
    outcome: Annotated[str, typer.Option(help="upheld, partly_upheld, not_upheld, withdrawn")],
    by: Annotated[str, typer.Option("--by", help="Who resolves it")],
    note: Annotated[str, typer.Option(help="The answer given")] = "",
) -> None:
    """Resolve a complaint (answered in time or not is recorded) and release its hold."""
    from arrears.insight.feedback import FeedbackError, release_complaint_hold, resolve_complaint

    sessions = _sessions()
    try:
        record = resolve_complaint(
            sessions,
            account_id=account,
            complaint_id=complaint_id,
            outcome=outcome,
            resolved_by=by,
            note=note,
            now=_now(),
        )
    except FeedbackError as exc:
        _fail(f"resolution refused: {exc}")
    released = "no hold to release"
    if record.hold_id and record.episode_open and not record.duplicate:

        async def go():
            return await release_complaint_hold(await _client(), sessions, record, by)

        released = _run(go())
    in_time = "in time" if record.handled_in_time else "after its deadline"
    console.print(f"complaint {complaint_id} {record.outcome}, answered {in_time}; {released}")


@complaint_app.command("list")
def complaint_list() -> None:
    """Open complaints, the nearest deadline first."""
    from rich.table import Table

    from arrears.insight.feedback import open_complaints

    with _sessions()() as session:
        rows = open_complaints(session)
    table = Table(title="open complaints")
    for col in ("account", "complaint", "category", "channel", "about", "deadline (UTC)", "hold"):
        table.add_column(col)
    for c in rows:
        table.add_row(
            c.account_id,
            c.complaint_id,
            c.category,
            c.channel,
            c.collector_id or c.agency_id or "–",
            f"{c.deadline_at:%Y-%m-%d %H:%M}",
            c.hold_id or c.hold_note or "–",
        )
    console.print(table)
