"""Training a risk model from a labelled set: binned logistic regression, calibrated, with its card.

Why a binned logistic regression (a scorecard) and not gradient boosting: the
segment it sets changes how a customer is treated, so each account's reasons
must be exact and readable (a feature's bin and its weight, adding up to the
score), the file must be plain numbers anyone can inspect (JSON, no pickle),
scoring 100k accounts must be a table lookup and a dot product, and the model
must stay stable month to month. Binning catches the non-linear shapes
(utilisation near and over the limit, U-shaped ages) that would otherwise
favour trees; on our drivers boosting gains little AUC for all of that.

Rows are split by account (never one account on both sides): 60 % to fit the
bins and coefficients, 20 % to calibrate (Platt scaling on the log odds), 20 %
held out for the card's figures.
"""

import hashlib
import math
from dataclasses import dataclass
from datetime import date, datetime
from importlib.metadata import version

import numpy as np
from sklearn.linear_model import LogisticRegression

from arrears.risk.binning import quantile_edges, weights_of_evidence
from arrears.risk.dataset import LabelledSet
from arrears.risk.features import FEATURES, INDEX, NAMES
from arrears.risk.labels import target
from arrears.risk.metrics import (
    auc,
    bin_index,
    brier,
    calibration_error,
    calibration_table,
    gini,
    ks,
    score_edges,
)
from arrears.risk.model import SEGMENTS, FeatureBins, ScoringModel

DEFAULT_SHARES = (50, 30, 20)  # percent low, medium, high: the portfolio's usual mix
MIN_ROWS = 200
MIN_POSITIVES = 20
MIN_BIN_ROWS = 50  # no bin's weight rests on fewer fitting rows than this (or 2 % of them)
FOLDS = 5
C_GRID = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
MIN_IV = 0.02  # below this a feature's bins hold no usable evidence (the scorecard convention)
MAX_CORRELATION = 0.8


class TrainingError(ValueError):
    """The labelled set cannot support a model; the message says what is missing."""


@dataclass(frozen=True)
class Split:
    fit: np.ndarray
    calibrate: np.ndarray
    test: np.ndarray


def split_by_account(accounts: list[str], seed: int = 0) -> Split:
    """60/20/20 by a hash of the account id, so every row of an account lands on the same side."""
    draws = np.asarray(
        [int.from_bytes(hashlib.blake2b(f"{seed}:{a}".encode(), digest_size=4).digest(), "big") % 100 for a in accounts]
    )
    return Split(draws < 60, (draws >= 60) & (draws < 80), draws >= 80)


def fold_of(accounts: list[str], seed: int = 0) -> np.ndarray:
    """A fold number (0..FOLDS-1) per row, by account."""
    return np.asarray(
        [
            int.from_bytes(hashlib.blake2b(f"fold:{seed}:{a}".encode(), digest_size=4).digest(), "big") % FOLDS
            for a in accounts
        ]
    )


def select_features(woe: np.ndarray, ivs: list[float], names: list[str]) -> tuple[list[int], dict[str, str]]:
    """Features kept for the regression, strongest evidence first; why each other one was left out.

    A feature with almost no evidence (information value below MIN_IV) adds only noise, and one
    whose weights move with a stronger kept feature's (|correlation| above MAX_CORRELATION)
    would share its effect in offsetting weights that no reason could explain.
    """
    kept: list[int] = []
    dropped: dict[str, str] = {}
    spread = woe.std(axis=0)
    for j in sorted(range(len(names)), key=lambda j: -ivs[j]):
        if ivs[j] < MIN_IV or spread[j] == 0:
            dropped[names[j]] = f"information value {ivs[j]:.3f} below {MIN_IV}"
            continue
        partner = next((k for k in kept if abs(np.corrcoef(woe[:, j], woe[:, k])[0, 1]) > MAX_CORRELATION), None)
        if partner is not None:
            dropped[names[j]] = f"moves with {names[partner]} (correlation above {MAX_CORRELATION})"
            continue
        kept.append(j)
    return kept, dropped


def fit_signed(
    woe: np.ndarray, y: np.ndarray, folds: np.ndarray, kept: list[int]
) -> tuple[float, np.ndarray, float, list[int]]:
    """Fit on the kept features; a feature whose weight turns negative (against its own evidence) is
    left out and the rest refitted. (C, coefficients for every column, intercept, features left out)."""
    kept = list(kept)
    against: list[int] = []
    while True:
        strength = choose_c(woe[:, kept], y, folds)
        regression = LogisticRegression(C=strength, max_iter=2000).fit(woe[:, kept], y)
        weights = regression.coef_[0]
        if weights.min() >= 0 or len(kept) == 1:
            coefficients = np.zeros(woe.shape[1])
            coefficients[kept] = weights
            return strength, coefficients, float(regression.intercept_[0]), against
        worst = kept[int(np.argmin(weights))]
        against.append(worst)
        kept.remove(worst)


def choose_c(x: np.ndarray, y: np.ndarray, folds: np.ndarray) -> float:
    """The L2 strength with the best cross-validated log loss (weaker penalties need the data to earn them)."""
    best, chosen = float("inf"), C_GRID[0]
    for c in C_GRID:
        loss = 0.0
        for k in range(FOLDS):
            inside = folds == k
            if inside.all() or not inside.any() or len(set(y[~inside])) < 2:
                continue
            fitted = LogisticRegression(C=c, max_iter=2000).fit(x[~inside], y[~inside])
            p = np.clip(fitted.predict_proba(x[inside])[:, 1], 1e-9, 1 - 1e-9)
            loss -= float(np.sum(y[inside] * np.log(p) + (1 - y[inside]) * np.log(1 - p)))
        if loss < best:
            best, chosen = loss, c
    return chosen


def _nan_to_none(value: float) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 6)


def figures(probability: np.ndarray, labels: np.ndarray) -> dict:
    """AUC, KS, Gini and Brier of a model's probabilities of the label on labelled rows, and its calibration table."""
    area = auc(probability, labels)
    table = calibration_table(probability, labels)
    return {
        "rows": len(labels),
        "positives": int(labels.sum()),
        "auc": _nan_to_none(area),
        "ks": _nan_to_none(ks(probability, labels)),
        "gini": _nan_to_none(gini(area)),
        "brier": _nan_to_none(brier(probability, labels)),
        "calibration_error": _nan_to_none(calibration_error(table)),
        "calibration": [
            {
                "from": round(b.low, 6),
                "to": round(b.high, 6),
                "rows": b.count,
                "predicted": round(b.predicted, 6),
                "observed": round(b.observed, 6),
            }
            for b in table
        ],
    }


def segment_table(model: ScoringModel, risk: np.ndarray, labels: np.ndarray) -> list[dict]:
    chosen = np.asarray(model.segments(risk))
    out = []
    for name in SEGMENTS:
        mask = chosen == name
        out.append(
            {
                "segment": name,
                "share": round(float(mask.mean()), 4) if len(mask) else 0.0,
                "rows": int(mask.sum()),
                "bad_rate": round(float((labels[mask] if model.positive_means_risk else 1 - labels[mask]).mean()), 4)
                if mask.any()
                else None,
            }
        )
    return out


def train(
    data: LabelledSet,
    window: tuple[date, date],
    trained_at: datetime,
    shares: tuple[int, int, int] = DEFAULT_SHARES,
    features: tuple[str, ...] = NAMES,
    seed: int = 0,
    max_bins: int = 10,
) -> ScoringModel:
    t = target(data.target)
    if len(data) < MIN_ROWS:
        raise TrainingError(
            f"{len(data)} labelled rows for {t.name}; at least {MIN_ROWS} are needed "
            "(widen the window or wait for more history)"
        )
    if min(data.labels.sum(), len(data) - data.labels.sum()) < MIN_POSITIVES:
        raise TrainingError(
            f"{int(data.labels.sum())} positive and {int(len(data) - data.labels.sum())} negative rows "
            f"for {t.name}; each side needs at least {MIN_POSITIVES}"
        )
    if sum(shares) != 100 or min(shares) < 0:
        raise TrainingError(f"segment shares must be three percentages adding up to 100, got {shares}")
    split = split_by_account(data.accounts, seed)
    x, y = data.matrix[:, [INDEX[n] for n in features]], data.labels

    # Bins and weights of evidence from the fitting rows only.
    fit_x, fit_y = x[split.fit], y[split.fit]
    folds = fold_of([a for a, keep in zip(data.accounts, split.fit, strict=False) if keep], seed)
    least = max(MIN_BIN_ROWS, int(0.02 * len(fit_y)))
    bins: list[dict] = []
    woe_fit = np.zeros((len(fit_y), len(features)))
    for j, name in enumerate(features):
        column = fit_x[:, j]
        edges = quantile_edges(column, max_bins=max_bins, min_rows=least)
        missing = np.isnan(column)
        index = np.where(missing, len(edges) + 1, bin_index(np.where(missing, 0.0, column), edges))
        woe, iv = weights_of_evidence(index, fit_y, len(edges) + 2)
        counts = np.bincount(index, minlength=len(edges) + 2)
        bins.append(
            {
                "name": name,
                "edges": edges,
                "woe": woe[:-1],
                "missing_woe": float(woe[-1]) if counts[-1] else 0.0,
                "counts": counts,
                "iv": iv,
            }
        )
        # The regression learns from weights computed without each row's own fold: weights taken from
        # the same rows would carry their labels' noise and make useless features look useful.
        for k in range(FOLDS):
            inside = folds == k
            fold_woe, _ = weights_of_evidence(index[~inside], fit_y[~inside], len(edges) + 2)
            if not counts[-1]:
                fold_woe[-1] = 0.0
            woe_fit[inside, j] = fold_woe[index[inside]]

    kept, dropped = select_features(woe_fit, [b["iv"] for b in bins], list(features))
    strength, coefficients, intercept, against = fit_signed(woe_fit, fit_y, folds, kept)
    for j in against:
        dropped[features[j]] = "its weight came out against its own evidence (noise, or a collinear partner's echo)"
    final_woe = np.column_stack(
        [
            np.where(
                np.isnan(fit_x[:, j]),
                b["missing_woe"],
                np.asarray(b["woe"])[np.minimum(bin_index(np.nan_to_num(fit_x[:, j]), b["edges"]), len(b["edges"]))],
            )
            for j, b in enumerate(bins)
        ]
    )
    importance = np.std(final_woe * coefficients, axis=0)

    draft = ScoringModel(
        target=t.name,
        positive_means_risk=t.positive_means_risk,
        features=tuple(
            FeatureBins(
                name=b["name"],
                edges=tuple(float(e) for e in b["edges"]),
                woe=tuple(round(float(w), 10) for w in b["woe"]),
                missing_woe=round(b["missing_woe"], 10),
                coefficient=round(float(c), 10),
                counts=tuple(int(n) for n in b["counts"]),
                information_value=round(b["iv"], 6),
                importance=round(float(s), 6),
            )
            for b, c, s in zip(bins, coefficients, importance, strict=True)
        ),
        intercept=round(intercept, 10),
        calibration=(1.0, 0.0),
        thresholds=(0.0, 0.0),
        score_edges=(),
        score_counts=(),
        card={},
    )

    # Platt scaling on the calibration rows: the log odds' slope and shift that fit them best.
    logit = np.log(draft.probability(data.matrix) / (1 - draft.probability(data.matrix)))
    platt = LogisticRegression(C=1e6, max_iter=1000)
    platt.fit(logit[split.calibrate].reshape(-1, 1), y[split.calibrate])
    calibration = (round(float(platt.coef_[0][0]), 10), round(float(platt.intercept_[0]), 10))
    calibrated = ScoringModel(**{**draft.__dict__, "calibration": calibration})

    risk = calibrated.risk(data.matrix)
    known = split.fit | split.calibrate
    low_share, medium_share, _ = shares
    thresholds = (
        round(float(np.quantile(risk[known], low_share / 100)), 10),
        round(float(np.quantile(risk[known], (low_share + medium_share) / 100)), 10),
    )
    edges = score_edges(risk[known])
    counts = np.bincount(bin_index(risk[known], edges), minlength=len(edges) + 1)
    model = ScoringModel(
        **{
            **calibrated.__dict__,
            "thresholds": thresholds,
            "score_edges": tuple(round(e, 10) for e in edges),
            "score_counts": tuple(int(c) for c in counts),
        }
    )

    probability = model.probability(data.matrix)
    card = {
        "target": t.name,
        "meaning": t.meaning,
        "horizon_days": t.horizon_days,
        "population": t.population,
        "trained_at": trained_at.isoformat(),
        "window": [window[0].isoformat(), window[1].isoformat()],
        "snapshots": sorted({d.isoformat() for d in data.snapshots}),
        "label_end": data.label_end.isoformat(),
        "rows": {
            "fit": int(split.fit.sum()),
            "calibrate": int(split.calibrate.sum()),
            "test": int(split.test.sum()),
            "accounts": len(set(data.accounts)),
            "positives": int(y.sum()),
            "base_rate": round(float(y.mean()), 6),
        },
        "features": [
            {
                "name": f.name,
                "meaning": next(d.meaning for d in FEATURES if d.name == f.name),
                "coefficient": f.coefficient,
                "information_value": f.information_value,
                "importance": f.importance,
                "bins": len(f.woe),
            }
            for f in sorted(model.features, key=lambda f: -f.importance)
        ],
        "fit": figures(probability[split.fit], y[split.fit]),
        "test": figures(probability[split.test], y[split.test]),
        "segment_shares_asked": list(shares),
        "segments_test": segment_table(model, risk[split.test], y[split.test]),
        "dropped": dropped,
        "method": (
            f"binned logistic regression on weights of evidence (out-of-fold); features with information value "
            f"below {MIN_IV}, correlated above {MAX_CORRELATION} with a stronger one, or weighted against their "
            f"own evidence left out; L2 chosen by {FOLDS}-fold cross-validation (C={strength:.4g}); "
            "Platt-calibrated on a held-out fifth"
        ),
        "library": {"scikit-learn": version("scikit-learn"), "numpy": version("numpy")},
        "seed": seed,
    }
    return ScoringModel(**{**model.__dict__, "card": card})
