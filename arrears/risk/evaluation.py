"""`arrears risk evaluate`: a model's figures on a later window, and how far the population moved (PSI)."""

from dataclasses import dataclass, field

import numpy as np

from arrears.risk.dataset import LabelledSet
from arrears.risk.metrics import bin_index, psi, psi_reading, shares
from arrears.risk.model import ScoringModel
from arrears.risk.training import figures, segment_table


@dataclass
class Stability:
    name: str  # a feature, or "score"
    psi: float
    reading: str  # stable | watch | drift


@dataclass
class Evaluation:
    model_version: str
    target: str
    window: tuple[str, str]
    rows: int
    figures: dict
    segments: list[dict]
    stability: list[Stability] = field(default_factory=list)

    @property
    def score_stability(self) -> Stability:
        return next(s for s in self.stability if s.name == "score")

    @property
    def drifted(self) -> list[Stability]:
        return [s for s in self.stability if s.reading == "drift"]

    def as_dict(self) -> dict:
        return {
            "model_version": self.model_version,
            "target": self.target,
            "window": list(self.window),
            "rows": self.rows,
            "figures": self.figures,
            "segments": self.segments,
            "stability": [{"name": s.name, "psi": round(s.psi, 6), "reading": s.reading} for s in self.stability],
        }


def feature_stability(model: ScoringModel, matrix: np.ndarray) -> list[Stability]:
    """PSI of each feature over the model's own bins (missing values a bin of their own)."""
    x = model.columns(np.asarray(matrix, dtype=float))
    out = []
    for j, f in enumerate(model.features):
        column = x[:, j]
        missing = np.isnan(column)
        index = np.where(missing, len(f.edges) + 1, bin_index(np.where(missing, 0.0, column), list(f.edges)))
        reference = np.asarray(f.counts, dtype=float) / max(sum(f.counts), 1)
        value = psi(reference, shares(index, len(f.edges) + 2))
        out.append(Stability(f.name, value, psi_reading(value)))
    return out


def score_stability(model: ScoringModel, matrix: np.ndarray) -> Stability:
    risk = model.risk(np.asarray(matrix, dtype=float))
    edges = list(model.score_edges)
    reference = np.asarray(model.score_counts, dtype=float) / max(sum(model.score_counts), 1)
    value = psi(reference, shares(bin_index(risk, edges), len(edges) + 1))
    return Stability("score", value, psi_reading(value))


def evaluate(model: ScoringModel, data: LabelledSet, window: tuple[str, str]) -> Evaluation:
    if data.target != model.target:
        raise ValueError(f"the model predicts {model.target}, the labelled set is for {data.target}")
    if len(data) == 0:
        raise ValueError(
            f"no labelled rows for {data.target} in {window[0]}..{window[1]} (labels known up to {data.label_end})"
        )
    probability = model.probability(data.matrix)
    risk = model.risk(data.matrix)
    result = Evaluation(
        model.version,
        model.target,
        window,
        len(data),
        figures(probability, data.labels),
        segment_table(model, risk, data.labels),
    )
    result.stability = [score_stability(model, data.matrix), *feature_stability(model, data.matrix)]
    return result


def render(result: Evaluation) -> str:
    f = result.figures
    lines = [
        f"model {result.model_version} ({result.target}) on {result.window[0]}..{result.window[1]}: {result.rows} rows, "
        f"{f['positives']} positive",
        f"AUC {f['auc']}  KS {f['ks']}  Gini {f['gini']}  Brier {f['brier']}  calibration error {f['calibration_error']}",
        "segments: "
        + ", ".join(f"{s['segment']} {s['share']:.1%} (bad rate {s['bad_rate']})" for s in result.segments),
        "population stability (PSI; < 0.1 stable, 0.1-0.25 watch, > 0.25 drift):",
    ]
    for s in result.stability:
        lines.append(f"  {s.name:<26} {s.psi:8.4f}  {s.reading}")
    if result.drifted:
        lines.append(
            "DRIFT: " + ", ".join(s.name for s in result.drifted) + " moved; retrain on a recent window "
            "(arrears risk train) or roll back (arrears risk activate)"
        )
    return "\n".join(lines)
