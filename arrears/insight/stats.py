"""Confidence intervals and significance tests for comparing experiment arms, each fit for its measure.

- A share of episodes (cure rate, roll forward): each arm's Wilson score interval; the difference
  with Newcombe's hybrid score interval (method 10, built from the two Wilson intervals); its
  p-value from the pooled two-proportion z-test, or Fisher's exact test when an expected cell count
  is below 5.
- A mean per episode (amount recovered): Welch's t interval and test (unequal variances), from the
  arms' counts, sums and sums of squares, which the database adds up. The amounts (sums, means, their
  difference) stay exact Decimals; floats are used only for the spread (variance, standard error, the
  t quantile and p-value), which is an approximation whatever the arithmetic, and its half-width is
  added to the exact mean.
- A ratio of totals (contacts per cure): the delta method's normal interval for each arm's ratio
  and for the difference, from sums, sums of squares and cross-products per episode.

A comparison is decided only with enough data: ``MIN_EPISODES`` per arm, and for shares at least
``MIN_EVENTS`` successes and failures in each arm; otherwise it says "sample too small to decide".
"""

import math
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from scipy import stats

Z95 = 1.959963984540054
MIN_EPISODES = 30
MIN_EVENTS = 5
MIN_CURES_FOR_RATIO = 10

TOO_SMALL = "sample too small to decide"
NOT_DIFFERENT = "not different"


# A rate or ratio is a float; an amount (a mean per episode and its bounds, a difference of means) a Decimal.
Number = float | Decimal


@dataclass(frozen=True)
class Estimate:
    value: Number | None
    low: Number | None
    high: Number | None


@dataclass(frozen=True)
class Comparison:
    measure: str
    arm: str  # the challenger
    baseline: str  # the champion
    difference: Number | None  # arm - baseline
    low: Number | None
    high: Number | None
    p_value: float | None
    test: str
    verdict: str  # "<arm> better", "<baseline> better", NOT_DIFFERENT or TOO_SMALL
    reason: str = ""


def wilson(successes: int, n: int, z: float = Z95) -> Estimate:
    if n == 0:
        return Estimate(None, None, None)
    low, high = _wilson_bounds(successes, n, z)
    return Estimate(successes / n, low, high)


def _wilson_bounds(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def compare_shares(
    measure: str, arm: str, k1: int, n1: int, baseline: str, k0: int, n0: int, higher_is_better: bool = True
) -> Comparison:
    """Share k1/n1 of the arm against k0/n0 of the baseline."""
    if n0 == 0 or n1 == 0:
        return Comparison(measure, arm, baseline, None, None, None, None, "none", TOO_SMALL, "an arm has no episodes")
    p1, p0 = k1 / n1, k0 / n0
    (low1, high1), (low0, high0) = _wilson_bounds(k1, n1), _wilson_bounds(k0, n0)
    diff = p1 - p0
    # Newcombe (1998), method 10.
    low = diff - math.sqrt((p1 - low1) ** 2 + (high0 - p0) ** 2)
    high = diff + math.sqrt((high1 - p1) ** 2 + (p0 - low0) ** 2)
    pooled = (k1 + k0) / (n1 + n0)
    expected = min(n1 * pooled, n1 * (1 - pooled), n0 * pooled, n0 * (1 - pooled))
    if expected < 5:
        p_value = float(stats.fisher_exact(np.array([[k1, n1 - k1], [k0, n0 - k0]])).pvalue)
        test = "Fisher's exact test; Newcombe interval"
    else:
        se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
        p_value = float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else 1.0
        test = "two-proportion z-test; Newcombe interval"
    small = [
        name
        for name, k, n in ((arm, k1, n1), (baseline, k0, n0))
        if n < MIN_EPISODES or k < MIN_EVENTS or n - k < MIN_EVENTS
    ]
    reason = (
        f"{', '.join(small)}: fewer than {MIN_EPISODES} episodes or {MIN_EVENTS} with and without the outcome"
        if small
        else ""
    )
    return Comparison(
        measure,
        arm,
        baseline,
        diff,
        low,
        high,
        p_value,
        test,
        _verdict(arm, baseline, low, high, higher_is_better, bool(small)),
        reason,
    )


@dataclass(frozen=True)
class Moments:
    """An arm's per-episode amounts as the database adds them up: the exact total, and the sum of
    squares as a float, which only the variance (the test's spread, not an amount) uses."""

    n: int
    total: Decimal
    squares: float

    @property
    def mean(self) -> Decimal | None:
        return self.total / self.n if self.n else None

    @property
    def variance(self) -> float | None:
        if self.n < 2:
            return None
        total = float(self.total)
        return max(0.0, (self.squares - total * total / self.n) / (self.n - 1))


def _spread(half: float) -> Decimal:
    """A half-width (a float from the t distribution) as an amount to add to an exact mean."""
    return Decimal(str(half))


def mean_interval(m: Moments) -> Estimate:
    mean, variance = m.mean, m.variance
    if mean is None or variance is None:
        return Estimate(mean, None, None)
    half = _spread(float(stats.t.ppf(0.975, m.n - 1)) * math.sqrt(variance / m.n))
    return Estimate(mean, mean - half, mean + half)


def compare_means(
    measure: str, arm: str, a: Moments, baseline: str, b: Moments, higher_is_better: bool = True
) -> Comparison:
    """Welch's t: the arm's mean against the baseline's."""
    mean_a, mean_b, var_a, var_b = a.mean, b.mean, a.variance, b.variance
    if mean_a is None or mean_b is None or var_a is None or var_b is None:  # fewer than 2 episodes in an arm
        return Comparison(
            measure, arm, baseline, None, None, None, None, "Welch's t", TOO_SMALL, "fewer than 2 episodes"
        )
    diff = mean_a - mean_b
    va, vb = var_a / a.n, var_b / b.n
    se = math.sqrt(va + vb)
    if se == 0:
        p_value, low, high = (1.0 if diff == 0 else 0.0), diff, diff
    else:
        df = (va + vb) ** 2 / ((va * va / (a.n - 1)) + (vb * vb / (b.n - 1)))
        t_value = float(diff) / se
        p_value = float(2 * stats.t.sf(abs(t_value), df))
        half = _spread(float(stats.t.ppf(0.975, df)) * se)
        low, high = diff - half, diff + half
    small = [name for name, m in ((arm, a), (baseline, b)) if m.n < MIN_EPISODES]
    reason = f"{', '.join(small)}: fewer than {MIN_EPISODES} episodes" if small else ""
    return Comparison(
        measure,
        arm,
        baseline,
        diff,
        low,
        high,
        p_value,
        "Welch's t-test",
        _verdict(arm, baseline, low, high, higher_is_better, bool(small)),
        reason,
    )


@dataclass(frozen=True)
class RatioMoments:
    """Per-episode x (contacts) and y (cures) added up: n, sums, sums of squares and of products."""

    n: int
    x: float
    y: float
    xx: float
    yy: float
    xy: float

    @property
    def ratio(self) -> float | None:
        return self.x / self.y if self.y else None

    def variance(self) -> float | None:
        """Delta-method variance of x̄/ȳ."""
        if self.n < 2 or not self.y:
            return None
        n = self.n
        r, ybar = self.x / self.y, self.y / n
        sxx = (self.xx - self.x * self.x / n) / (n - 1)
        syy = (self.yy - self.y * self.y / n) / (n - 1)
        sxy = (self.xy - self.x * self.y / n) / (n - 1)
        return max(0.0, (sxx - 2 * r * sxy + r * r * syy) / (n * ybar * ybar))


def ratio_interval(m: RatioMoments) -> Estimate:
    v, ratio = m.variance(), m.ratio
    if v is None or ratio is None:
        return Estimate(ratio, None, None)
    half = Z95 * math.sqrt(v)
    return Estimate(ratio, max(0.0, ratio - half), ratio + half)


def compare_ratios(
    measure: str, arm: str, a: RatioMoments, baseline: str, b: RatioMoments, higher_is_better: bool = False
) -> Comparison:
    va, vb, ratio_a, ratio_b = a.variance(), b.variance(), a.ratio, b.ratio
    if va is None or vb is None or ratio_a is None or ratio_b is None:
        return Comparison(
            measure, arm, baseline, None, None, None, None, "delta method", TOO_SMALL, "an arm has no cure (no ratio)"
        )
    diff = ratio_a - ratio_b
    se = math.sqrt(va + vb)
    p_value = float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else (1.0 if diff == 0 else 0.0)
    low, high = diff - Z95 * se, diff + Z95 * se
    small = [name for name, m in ((arm, a), (baseline, b)) if m.n < MIN_EPISODES or m.y < MIN_CURES_FOR_RATIO]
    reason = f"{', '.join(small)}: fewer than {MIN_EPISODES} episodes or {MIN_CURES_FOR_RATIO} cures" if small else ""
    return Comparison(
        measure,
        arm,
        baseline,
        diff,
        low,
        high,
        p_value,
        "delta method (normal)",
        _verdict(arm, baseline, low, high, higher_is_better, bool(small)),
        reason,
    )


def _verdict(arm: str, baseline: str, low: Number, high: Number, higher_is_better: bool, small: bool) -> str:
    if small:
        return TOO_SMALL
    if low > 0:
        return f"{arm} better" if higher_is_better else f"{baseline} better"
    if high < 0:
        return f"{baseline} better" if higher_is_better else f"{arm} better"
    return NOT_DIFFERENT
