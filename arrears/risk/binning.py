"""Cutting a feature into bins and weighing each bin's evidence (pure, numpy)."""

import numpy as np

from arrears.risk.metrics import bin_index

# Half a count added to every cell keeps an empty bin's log odds finite and pulls small bins
# toward the population's odds.
SMOOTHING = 0.5


def quantile_edges(values: np.ndarray, max_bins: int = 10, min_rows: int = 1) -> list[float]:
    """Interior cut points at the values' quantiles; a bin with fewer than ``min_rows`` values
    is merged into its smaller neighbour, so no weight rests on a handful of rows."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if len(v) == 0:
        return []
    edges = sorted(set(float(q) for q in np.quantile(v, np.linspace(0, 1, max_bins + 1)[1:-1])))
    edges = [e for e in edges if e < v.max()]  # nothing can lie above the largest value
    least = max(1, min_rows)
    while edges:
        counts = np.bincount(bin_index(v, edges), minlength=len(edges) + 1)
        k = int(np.argmin(counts))
        if counts[k] >= least:
            break
        # Merge bin k with the smaller of its neighbours by dropping the edge between them.
        if k == 0:
            drop = 0
        elif k == len(edges):
            drop = k - 1
        else:
            drop = k - 1 if counts[k - 1] <= counts[k + 1] else k
        edges.pop(drop)
    return edges


def weights_of_evidence(bins: np.ndarray, labels: np.ndarray, n_bins: int) -> tuple[np.ndarray, float]:
    """Per bin, ln(share of positives / share of negatives); and the information value."""
    y = np.asarray(labels, dtype=int)
    positives = np.bincount(bins, weights=y, minlength=n_bins)
    negatives = np.bincount(bins, weights=1 - y, minlength=n_bins)
    total_pos, total_neg = max(y.sum(), 1), max(len(y) - y.sum(), 1)
    pos_share = (positives + SMOOTHING) / (total_pos + SMOOTHING * n_bins)
    neg_share = (negatives + SMOOTHING) / (total_neg + SMOOTHING * n_bins)
    woe = np.log(pos_share / neg_share)
    return woe, float(np.sum((pos_share - neg_share) * woe))
