"""`arrears risk`: synthetic data, models and their cards, scoring.

The watch list, rescoring and segments (arrears.cli.risk_watch) join this group; the
behaviour import is arrears.cli.behaviour. Registered on the main app by arrears.cli.main;
the settings come from its global options, read when a command runs.
"""

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from arrears.cli.risk_support import console
from arrears.cli.risk_support import engine as _engine
from arrears.cli.risk_support import fail as _fail
from arrears.cli.risk_support import now as _now
from arrears.cli.risk_support import parse_date as _date
from arrears.cli.risk_support import progress as _progress
from arrears.cli.risk_support import sessions as _sessions

risk_app = typer.Typer(
    no_args_is_help=True,
    help="Risk models (train, evaluate, activate, roll back), the early-warning watch list, rescoring.",
)


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
