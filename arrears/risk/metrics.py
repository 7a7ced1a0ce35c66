"""How good a score is, and how far a population has moved (pure, numpy).

AUC (with ties counted half), KS, Gini, Brier score, a calibration table by
score decile, and the population stability index (PSI) with the usual reading:
below 0.1 stable, 0.1 to 0.25 worth watching, above 0.25 shifted.
"""

from dataclasses import dataclass

import numpy as np

PSI_WATCH = 0.1
PSI_DRIFT = 0.25
# A bin with no members on one side would make PSI infinite; it counts as this share instead.
PSI_FLOOR = 1e-4


def _check(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=int)
    if s.shape != y.shape or s.ndim != 1:
        raise ValueError("scores and labels must be two lists of the same length")
    return s, y


def auc(scores, labels) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    s, y = _check(scores, labels)
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    if positives == 0 or negatives == 0:
        return float("nan")
    # Ranks from 1, ties sharing the average of the ranks they span.
    _, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2)[inverse]
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def ks(scores, labels) -> float:
    """The largest gap between the positives' and negatives' cumulative score distributions."""
    s, y = _check(scores, labels)
    positives, negatives = y.sum(), len(y) - y.sum()
    if positives == 0 or negatives == 0:
        return float("nan")
    order = np.argsort(-s, kind="mergesort")
    s_sorted, y_sorted = s[order], y[order]
    last_of_tie = np.r_[s_sorted[1:] != s_sorted[:-1], True]
    tpr = np.cumsum(y_sorted)[last_of_tie] / positives
    fpr = np.cumsum(1 - y_sorted)[last_of_tie] / negatives
    return float(np.max(np.abs(tpr - fpr)))


def gini(auc_value: float) -> float:
    return 2 * auc_value - 1


def brier(probabilities, labels) -> float:
    p, y = _check(probabilities, labels)
    return float(np.mean((p - y) ** 2))


@dataclass(frozen=True)
class CalibrationBin:
    low: float
    high: float
    count: int
    predicted: float  # mean predicted probability
    observed: float  # share of positives


def calibration_table(probabilities, labels, bins: int = 10) -> list[CalibrationBin]:
    """Rows grouped by predicted-probability decile: what was predicted beside what happened."""
    p, y = _check(probabilities, labels)
    order = np.argsort(p, kind="mergesort")
    table = []
    for chunk in np.array_split(order, bins):
        if len(chunk) == 0:
            continue
        table.append(
            CalibrationBin(
                float(p[chunk].min()), float(p[chunk].max()), len(chunk), float(p[chunk].mean()), float(y[chunk].mean())
            )
        )
    return table


def calibration_error(table: list[CalibrationBin]) -> float:
    """Expected calibration error: the count-weighted mean gap between predicted and observed."""
    total = sum(b.count for b in table)
    return sum(b.count * abs(b.predicted - b.observed) for b in table) / total if total else float("nan")


def shares(indices: np.ndarray, bins: int) -> np.ndarray:
    counts = np.bincount(np.asarray(indices, dtype=int), minlength=bins).astype(float)
    return counts / counts.sum() if counts.sum() else counts


def psi(expected, actual) -> float:
    """Population stability index between two distributions over the same bins (shares)."""
    e = np.maximum(np.asarray(expected, dtype=float), PSI_FLOOR)
    a = np.maximum(np.asarray(actual, dtype=float), PSI_FLOOR)
    if e.shape != a.shape:
        raise ValueError("both distributions need the same bins")
    return float(np.sum((a - e) * np.log(a / e)))


def psi_reading(value: float) -> str:
    if value > PSI_DRIFT:
        return "drift"
    if value >= PSI_WATCH:
        return "watch"
    return "stable"


def score_edges(scores, bins: int = 10) -> list[float]:
    """Interior cut points at the scores' deciles (the reference for the score's PSI)."""
    s = np.asarray(scores, dtype=float)
    return sorted(set(float(q) for q in np.quantile(s, np.linspace(0, 1, bins + 1)[1:-1])))


def bin_index(values, edges: list[float]) -> np.ndarray:
    """Bin of each value: 0 up to and including the first edge, ..., len(edges) above the last."""
    return np.searchsorted(np.asarray(edges, dtype=float), np.asarray(values, dtype=float), side="left")
