"""A trained risk model as data, and scoring with it (pure, numpy).

The model is a binned logistic regression (a scorecard): each feature is cut
into bins, each bin carries its weight of evidence (WoE, the log odds of a
positive in the bin against the population's), and the log odds of a positive
are ``intercept + sum(coefficient * WoE)``, then calibrated (Platt:
``sigmoid(a * logit + b)``). Each term is one feature's contribution, which is
what the reasons for a segment say. The file is JSON: numbers, no code, so
loading a model can never run anything; its SHA-256 is its identity.
"""

import hashlib
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from arrears.risk.features import INDEX
from arrears.risk.metrics import bin_index

FORMAT = "arrears-risk-model/1"
SEGMENTS = ("low", "medium", "high")


class ModelFileError(ValueError):
    """A model file that cannot be used; the message says why."""


@dataclass(frozen=True)
class FeatureBins:
    name: str
    edges: tuple[float, ...]  # interior cut points; bin k holds edges[k-1] < x <= edges[k]
    woe: tuple[float, ...]  # one per bin: len(edges) + 1
    missing_woe: float
    coefficient: float
    counts: tuple[int, ...]  # training rows per bin, then the missing ones: the PSI reference
    information_value: float
    importance: float  # spread (standard deviation) of the feature's contribution to the log odds in training


@dataclass(frozen=True)
class ScoringModel:
    target: str
    positive_means_risk: bool
    features: tuple[FeatureBins, ...]
    intercept: float
    calibration: tuple[float, float]  # Platt a, b
    thresholds: tuple[float, float]  # risk probability from which an account is medium, high
    score_edges: tuple[float, ...]  # the training population's risk deciles
    score_counts: tuple[int, ...]  # training rows per score bin: the PSI reference for the score
    card: dict[str, Any]  # what the card shows: windows, sample sizes, metrics, shares, library versions

    # ---- identity and files ------------------------------------------------------------------------

    def content(self) -> dict[str, Any]:
        data = asdict(self)
        data["format"] = FORMAT
        return data

    def canonical(self) -> bytes:
        return json.dumps(self.content(), sort_keys=True, separators=(",", ":"), allow_nan=False).encode()

    def content_hash(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()

    @property
    def version(self) -> str:
        return f"{self.target}-{self.content_hash()[:12]}"

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.content(), indent=1, sort_keys=True, allow_nan=False) + "\n", encoding="utf-8")

    # ---- scoring -----------------------------------------------------------------------------------------

    def columns(self, matrix: np.ndarray) -> np.ndarray:
        """The model's features from a matrix in arrears.risk.features.NAMES order."""
        return matrix[:, [INDEX[f.name] for f in self.features]]

    def woe(self, matrix: np.ndarray) -> np.ndarray:
        x = self.columns(np.asarray(matrix, dtype=float))
        out = np.empty_like(x)
        for j, f in enumerate(self.features):
            column = x[:, j]
            missing = np.isnan(column)
            table = np.asarray(f.woe, dtype=float)
            out[:, j] = table[bin_index(np.where(missing, 0.0, column), list(f.edges))]
            out[missing, j] = f.missing_woe
        return out

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        """Each feature's push on the risk log odds (positive: riskier), after calibration."""
        a, _ = self.calibration
        sign = 1.0 if self.positive_means_risk else -1.0
        return self.woe(matrix) * np.asarray([f.coefficient for f in self.features]) * a * sign

    def probability(self, matrix: np.ndarray) -> np.ndarray:
        """The calibrated probability of the target's positive label."""
        logit = self.intercept + self.woe(matrix) @ np.asarray([f.coefficient for f in self.features])
        a, b = self.calibration
        return 1.0 / (1.0 + np.exp(-(a * logit + b)))

    def risk(self, matrix: np.ndarray) -> np.ndarray:
        """The probability of the bad outcome (a cure model's complement)."""
        p = self.probability(matrix)
        return p if self.positive_means_risk else 1.0 - p

    def segments(self, risk: np.ndarray) -> list[str]:
        medium, high = self.thresholds
        return [SEGMENTS[i] for i in np.where(risk >= high, 2, np.where(risk >= medium, 1, 0))]

    def reasons(self, row: np.ndarray, contributions: np.ndarray, top: int = 3) -> list[str]:
        """The features pushing this account's risk up most, with their values: ``utilisation=0.97 (+0.84)``."""
        x = self.columns(np.asarray(row, dtype=float)[None, :])[0]
        order = np.argsort(-contributions, kind="mergesort")
        out = []
        for j in order[:top]:
            if contributions[j] <= 0:
                break
            value = "missing" if math.isnan(x[j]) else f"{x[j]:.4g}"
            out.append(f"{self.features[j].name}={value} (+{contributions[j]:.2f})")
        return out


def from_content(data: dict[str, Any], source: str = "model") -> ScoringModel:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelFileError(f"{source}: not an Arrears risk model (expected format {FORMAT!r})")
    try:
        features = tuple(
            FeatureBins(
                name=f["name"],
                edges=tuple(f["edges"]),
                woe=tuple(f["woe"]),
                missing_woe=f["missing_woe"],
                coefficient=f["coefficient"],
                counts=tuple(f["counts"]),
                information_value=f["information_value"],
                importance=f["importance"],
            )
            for f in data["features"]
        )
        model = ScoringModel(
            target=data["target"],
            positive_means_risk=data["positive_means_risk"],
            features=features,
            intercept=data["intercept"],
            calibration=tuple(data["calibration"]),
            thresholds=tuple(data["thresholds"]),
            score_edges=tuple(data["score_edges"]),
            score_counts=tuple(data["score_counts"]),
            card=data["card"],
        )
    except (KeyError, TypeError) as exc:
        raise ModelFileError(f"{source}: missing or malformed field {exc}") from None
    unknown = [f.name for f in features if f.name not in INDEX]
    if unknown:
        raise ModelFileError(f"{source}: features this code does not compute: {', '.join(unknown)}")
    for f in features:
        if len(f.woe) != len(f.edges) + 1 or list(f.edges) != sorted(f.edges):
            raise ModelFileError(f"{source}: features.{f.name}: edges must be sorted and one fewer than the bins")
    return model


def load_model(path: Path) -> ScoringModel:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{path}: not JSON: {exc.msg} at line {exc.lineno}") from None
    return from_content(data, str(path))
