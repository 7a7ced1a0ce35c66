"""AUC, KS, Gini, Brier, calibration and PSI against values worked out by hand."""

import math

import numpy as np
import pytest

from arrears.risk.binning import quantile_edges, weights_of_evidence
from arrears.risk.metrics import (
    auc,
    bin_index,
    brier,
    calibration_error,
    calibration_table,
    gini,
    ks,
    psi,
    psi_reading,
)


def test_auc_counts_pairs_and_ties_half():
    # Positives 0.9, 0.4; negatives 0.4, 0.1: pairs (0.9>0.4, 0.9>0.1, 0.4=0.4 half, 0.4>0.1) = 3.5 / 4.
    assert auc([0.9, 0.4, 0.4, 0.1], [1, 1, 0, 0]) == 0.875
    assert auc([0.1, 0.2, 0.3], [1, 0, 0]) == 0.0
    assert auc([0.5] * 4, [1, 0, 1, 0]) == 0.5
    assert math.isnan(auc([0.2, 0.3], [1, 1]))
    assert gini(0.875) == 0.75


def test_ks_is_the_largest_gap_between_the_cumulative_distributions():
    # Sorted by score: 1,1,0,1,0,0. After three rows TPR 2/3 and FPR 1/3; after two, 2/3 and 0.
    assert ks([0.9, 0.8, 0.7, 0.6, 0.5, 0.4], [1, 1, 0, 1, 0, 0]) == pytest.approx(2 / 3)
    assert ks([0.9, 0.1], [1, 0]) == 1.0


def test_brier_and_calibration_table():
    assert brier([1.0, 0.0, 0.5], [1, 0, 1]) == pytest.approx(0.25 / 3)
    rng = np.random.default_rng(1)
    p = rng.uniform(0, 1, 20_000)
    y = (rng.uniform(0, 1, 20_000) < p).astype(int)
    table = calibration_table(p, y)
    assert len(table) == 10 and sum(b.count for b in table) == 20_000
    assert all(abs(b.predicted - b.observed) < 0.03 for b in table)
    assert calibration_error(table) < 0.02
    # The same labels against a doubled probability are visibly off.
    assert calibration_error(calibration_table(np.minimum(p * 2, 1), y)) > 0.15


def test_psi_reads_stable_watch_and_drift():
    assert psi([0.25] * 4, [0.25] * 4) == 0.0
    # (0.4-0.25)ln(0.4/0.25) + (0.1-0.25)ln(0.1/0.25) twice = 0.2*... worked out: 0.0705 + 0.1374 each pair
    value = psi([0.25, 0.25, 0.25, 0.25], [0.4, 0.1, 0.4, 0.1])
    assert value == pytest.approx(2 * (0.15 * math.log(1.6) + 0.15 * math.log(2.5)))
    assert psi_reading(0.05) == "stable" and psi_reading(0.1) == "watch" and psi_reading(0.26) == "drift"
    assert math.isfinite(psi([0.5, 0.5, 0.0], [0.4, 0.4, 0.2])), "an empty bin is floored, not infinite"


def test_bins_hold_their_edges_and_small_bins_merge():
    assert list(bin_index([0.0, 1.0, 1.5, 2.0, 9.0], [1.0, 2.0])) == [0, 0, 1, 1, 2]
    values = np.r_[np.zeros(500), np.ones(480), [50.0] * 20]
    edges = quantile_edges(values, max_bins=10, min_rows=50)
    counts = np.bincount(bin_index(values, edges))
    assert counts.min() >= 50 and counts.sum() == 1000
    assert quantile_edges(np.array([np.nan, np.nan])) == []


def test_weights_of_evidence_point_at_the_riskier_bin():
    bins = np.array([0] * 100 + [1] * 100)
    labels = np.array([1] * 10 + [0] * 90 + [1] * 50 + [0] * 50)
    woe, iv = weights_of_evidence(bins, labels, 2)
    assert woe[1] > 0 > woe[0] and iv > 0.3
