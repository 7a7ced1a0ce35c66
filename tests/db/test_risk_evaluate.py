"""`arrears risk train` and `evaluate` end to end on synthetic records: a stable later population reads
PSI below 0.1, a deliberately shifted one above 0.25 (flagged as drift)."""

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from arrears.cli.main import app
from arrears.db.migrate import upgrade

TRAIN_ON = date(2026, 2, 1)
LATER = date(2026, 5, 1)


def invoke(url: str, *args: str, code: int = 0, stdout: bool = False) -> str:
    result = CliRunner().invoke(app, ["--database-url", url, *args], env={"COLUMNS": "200"})
    assert result.exit_code == code, result.output
    return result.stdout if stdout else result.output


def record(tmp_path, name: str, *args: str) -> str:
    url = f"sqlite:///{tmp_path / (name + '.db')}"
    upgrade(url)
    invoke(url, "risk", "synthesize", *args, "--behaviour-out", str(tmp_path / f"{name}.csv"))
    return url


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("risk-evaluate")
    url = record(tmp, "train", "-n", "5000", "--observed-on", TRAIN_ON.isoformat(), "--seed", "21")
    out = invoke(url, "risk", "train", "--target", "delinquent_90d", "--window", "2026-02", "--label-end", "2026-06-02",
                 "--out", str(tmp / "models"), "--activate", "--by", "ana")
    models = list((tmp / "models").glob("*.json"))
    assert len(models) == 1 and "registered" in out and "active" in out
    return tmp, url, models[0]


def test_train_writes_a_model_file_and_its_card_and_registers_it(trained):
    tmp, url, model = trained
    card = model.with_suffix(".md").read_text(encoding="utf-8")
    for part in ("# Model card: delinquent_90d-", "AUC", "KS", "Gini", "Brier", "Calibration on the held-out test rows",
                 "## Segments", "**low** below", "| utilisation |", "SHA-256"):
        assert part in card or part.replace("| utilisation |", "`utilisation`") in card, part
    listed = invoke(url, "risk", "models")
    assert model.stem in listed and "yes" in listed
    assert invoke(url, "risk", "card", model.stem).startswith(f"# Model card: {model.stem}")
    assert json.loads(model.read_text())["format"] == "arrears-risk-model/1"


def test_a_stable_population_reads_stable(trained):
    tmp, _, model = trained
    url = record(tmp, "stable", "-n", "4000", "--observed-on", LATER.isoformat(), "--seed", "22", "--prefix", "ST")
    shown = json.loads(invoke(url, "risk", "evaluate", str(model), "--window", "2026-05", "--label-end", "2026-09-01",
                              "--json", stdout=True))
    stability = {s["name"]: s["psi"] for s in shown["stability"]}
    assert stability["score"] < 0.1
    assert all(v < 0.1 for v in stability.values()), {k: v for k, v in stability.items() if v >= 0.1}
    assert shown["figures"]["auc"] > 0.7


def test_a_shifted_population_is_flagged_as_drift(trained):
    tmp, _, model = trained
    url = record(tmp, "shifted", "-n", "4000", "--observed-on", LATER.isoformat(), "--seed", "23", "--prefix", "SH",
                 "--shift", "1.0")
    text = invoke(url, "risk", "evaluate", str(model), "--window", "2026-05", "--label-end", "2026-09-01",
                  "--fail-on-drift", code=3)
    score = next(line for line in text.splitlines() if line.strip().startswith("score "))
    assert float(score.split()[1]) > 0.25 and score.split()[2] == "drift"
    assert "DRIFT: score" in text and "utilisation" in text.split("DRIFT:")[1]


def test_evaluating_a_window_without_labels_says_so(trained):
    tmp, url, model = trained
    out = invoke(url, "risk", "evaluate", str(model), "--window", "2026-02", "--label-end", "2026-03-01", code=1)
    assert "no labelled rows for delinquent_90d" in " ".join(out.split())
