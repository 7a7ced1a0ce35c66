"""The demo's risk part: a model trained on a synthetic record with known truth, its card, a later
window's stability and the watch list, in its own SQLite file (about 20 seconds)."""

from datetime import UTC, date, datetime
from pathlib import Path

from rich.console import Console

from arrears.db.engine import make_engine, make_sessionmaker
from arrears.db.migrate import upgrade
from arrears.risk.behaviour_import import import_behaviour
from arrears.risk.card import render_card
from arrears.risk.dataset import build_labelled_set
from arrears.risk.evaluation import evaluate
from arrears.risk.registry import activate, register
from arrears.risk.synthetic import generate
from arrears.risk.synthetic_write import write_behaviour_csv, write_record
from arrears.risk.training import split_by_account, train
from arrears.risk.watchlist import compute

# Fixed dates and seeds: every run trains the same model (only its training time differs).
TRAINED_ON = date(2026, 1, 1)
LATER = date(2026, 4, 1)


def run_risk_demo(directory: Path, console: Console) -> None:
    console.rule("risk: a model trained on the record, its card, drift and the watch list")
    url = f"sqlite:///{directory / 'risk.db'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    now = datetime.now(UTC)
    population = generate(6000, TRAINED_ON, seed=7, prefix="RSK")
    behaviour = directory / "risk-behaviour.csv"
    rows = write_behaviour_csv(behaviour, population)
    imported = import_behaviour(engine, behaviour, now)
    write_record(engine, population, now)
    console.print(
        f"synthetic record (arrears/risk/synthetic.py): {len(population.accounts)} accounts, {rows} statement "
        f"months imported ({imported.rejected_total} rejected), past episodes and what happened after {TRAINED_ON}"
    )
    data = build_labelled_set(engine, "roll_forward_60d", [TRAINED_ON], population.label_end)
    model = train(data, (TRAINED_ON, TRAINED_ON), now)
    models = directory / "models"
    models.mkdir(exist_ok=True)
    model.save(models / f"{model.version}.json")
    (models / f"{model.version}.md").write_text(render_card(model), encoding="utf-8")
    with sessions.begin() as session:
        register(session, model, now)
        activate(session, model.version, "demo", now)
    test = model.card["test"]
    split = split_by_account(data.accounts)
    held = {a for a, keep in zip(data.accounts, split.test, strict=False) if keep}
    console.print(
        f"model {model.version} on {len(data)} episodes: held-out AUC {test['auc']:.3f} (the generator allows "
        f"{population.truth_auc('roll_forward_60d', held):.3f}), KS {test['ks']:.3f}, Brier {test['brier']:.3f}"
    )
    console.print("strongest features: " + ", ".join(f["name"] for f in model.card["features"][:5]))
    console.print(
        "segments (held-out): "
        + ", ".join(f"{s['segment']} {s['share']:.0%} rolling {s['bad_rate']:.0%}" for s in model.card["segments_test"])
    )
    console.print(f"card: {(models / (model.version + '.md'))}")
    later = generate(2000, LATER, seed=8, prefix="RSL", shift=0.8)
    write_record(engine, later, now, behaviour=True)
    result = evaluate(
        model,
        build_labelled_set(engine, "roll_forward_60d", [LATER], later.label_end),
        (LATER.isoformat(), LATER.isoformat()),
    )
    drifted = ", ".join(s.name for s in result.drifted) or "nothing"
    console.print(
        f"a later, more stressed population ({LATER}): AUC {result.figures['auc']:.3f}, score PSI "
        f"{result.score_stability.psi:.3f} ({result.score_stability.reading}); drifted: {drifted}"
    )
    listed = compute(engine, sessions, LATER)
    flags: dict[str, int] = {}
    for entry in listed.entries:
        for f in entry.flags:
            flags[f.name] = flags.get(f.name, 0) + 1
    console.print(
        f"watch list on {LATER}: {len(listed.entries)} of {listed.checked} accounts not in arrears flagged "
        f"({', '.join(f'{k} {v}' for k, v in sorted(flags.items()))})"
    )
    engine.dispose()
