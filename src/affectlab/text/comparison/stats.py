"""Statistics for comparing corpora: descriptives, bootstrap CI, Mann–Whitney U, Cliff's delta, KS, Holm.

Everything takes plain 1-D float arrays (NaN already removed) so it is cheap to test against scipy.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

# Romano et al. (2006) thresholds for |Cliff's delta|:
# negligible < 0.147 <= small < 0.33 <= medium < 0.474 <= large.
CLIFF_THRESHOLDS: tuple[tuple[float, str], ...] = ((0.474, "large"), (0.33, "medium"), (0.147, "small"))

BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_MAX_N = 10_000  # above this, the m-out-of-n bootstrap (m = BOOTSTRAP_MAX_N) keeps the cost bounded


@dataclass(frozen=True)
class Describe:
    """Descriptive statistics of one sample; the CI is a seeded bootstrap 95% CI of the mean."""

    n: int
    mean: float
    sd: float
    median: float
    q1: float
    q3: float
    ci_low: float
    ci_high: float

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1


@dataclass(frozen=True)
class PairTest:
    """Two-sided Mann–Whitney U test of ``a`` vs ``b``, with Cliff's delta and the KS distance."""

    n_a: int
    n_b: int
    u: float  # U statistic of sample a (ties count 1/2)
    p_value: float
    cliffs_delta: float  # P(a > b) - P(a < b)
    ks_distance: float
    ks_p_value: float
    delta_ci_low: float = float("nan")  # 95% CI of Cliff's delta (Feng & Cliff 2004), see cliffs_delta_ci
    delta_ci_high: float = float("nan")

    @property
    def magnitude(self) -> str:
        return cliffs_magnitude(self.cliffs_delta)


def bootstrap_mean_ci(
    values: np.ndarray,
    *,
    seed: int = 0,
    resamples: int = BOOTSTRAP_RESAMPLES,
    max_n: int = BOOTSTRAP_MAX_N,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean, seeded; bounded cost for large samples.

    For n <= ``max_n`` this is the ordinary percentile bootstrap. For larger n it is the m-out-of-n
    bootstrap with m = ``max_n``: resample m values, then scale each resample mean's deviation from the
    sample mean by sqrt(m / n), which gives the n-sample spread of the mean (Bickel & Freedman 1981).
    """
    x = np.asarray(values, dtype=np.float64)
    n = x.size
    if n == 0:
        return (float("nan"), float("nan"))
    if n == 1:
        return (float(x[0]), float(x[0]))
    rng = np.random.default_rng(seed)
    m = min(n, max_n)
    means = np.empty(resamples)
    for start in range(0, resamples, 256):  # chunks keep memory at 256 * m floats
        stop = min(resamples, start + 256)
        means[start:stop] = x[rng.integers(0, n, size=(stop - start, m))].mean(axis=1)
    centre = x.mean()
    deviations = (means - centre) * np.sqrt(m / n)
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(deviations, [alpha, 1.0 - alpha])
    return (float(centre + low), float(centre + high))


def describe(values: np.ndarray, *, seed: int = 0) -> Describe:
    """n, mean, sd (ddof=1), median, quartiles and the bootstrap CI of the mean; NaN stats when empty."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        nan = float("nan")
        return Describe(0, nan, nan, nan, nan, nan, nan, nan)
    q1, median, q3 = np.quantile(x, [0.25, 0.5, 0.75])
    sd = float(x.std(ddof=1)) if x.size > 1 else float("nan")
    low, high = bootstrap_mean_ci(x, seed=seed)
    return Describe(int(x.size), float(x.mean()), sd, float(median), float(q1), float(q3), low, high)


def cliffs_delta_from_u(u: float, n_a: int, n_b: int) -> float:
    """Cliff's delta from the Mann–Whitney U of sample a: 2U / (n_a n_b) - 1, O(n log n) via ranks."""
    return 2.0 * u / (n_a * n_b) - 1.0


Z95 = 1.959963984540054


def cliffs_delta_ci(a: np.ndarray, b: np.ndarray, z: float = Z95) -> tuple[float, float, float]:
    """Cliff's delta of ``a`` vs ``b`` and its 95% confidence interval, in O(n log n).

    The variance is Cliff's (1993) unbiased estimate
    ``[n_b^2 sum(d_i. - d)^2 + n_a^2 sum(d_.j - d)^2 - sum(d_ij - d)^2] / (n_a n_b (n_a - 1)(n_b - 1))``
    with ``d_ij = sign(a_i - b_j)`` and its row/column means ``d_i.``, ``d_.j``, floored at
    ``(1 - d^2) / (n_a n_b - 1)``; the interval is the asymmetric one of Feng & Cliff (2004),
    ``(d - d^3 +- z s sqrt((1 - d^2)^2 + z^2 s^2)) / (1 - d^2 + z^2 s^2)``, which stays inside [-1, 1].
    The sums over all pairs come from ranks (sorted samples), never from the n_a x n_b matrix.
    """
    x = np.sort(np.asarray(a, dtype=np.float64))
    y = np.sort(np.asarray(b, dtype=np.float64))
    n_a, n_b = x.size, y.size
    if n_a == 0 or n_b == 0:
        nan = float("nan")
        return nan, nan, nan
    below_x = np.searchsorted(y, x, "left")  # b values below each a
    not_above_x = np.searchsorted(y, x, "right")  # b values below or equal to each a
    above_x = n_b - not_above_x
    rows = (below_x - above_x) / n_b  # d_i.
    below_y = np.searchsorted(x, y, "left")  # a values below each b
    above_y = n_a - np.searchsorted(x, y, "right")
    cols = (above_y - below_y) / n_a  # d_.j
    d = float(rows.mean())
    if n_a < 2 or n_b < 2:
        return d, float("nan"), float("nan")
    ties = float(np.sum(not_above_x - below_x))  # pairs with a_i == b_j
    pairs = float(n_a) * n_b
    squares = (pairs - ties) - pairs * d * d  # sum over all pairs of (d_ij - d)^2
    variance = (n_b**2 * np.sum((rows - d) ** 2) + n_a**2 * np.sum((cols - d) ** 2) - squares) / (
        pairs * (n_a - 1) * (n_b - 1)
    )
    variance = max(float(variance), (1 - d * d) / (pairs - 1))
    sd = np.sqrt(variance)
    denominator = 1 - d * d + z * z * variance
    if denominator <= 0:
        return d, d, d
    half = z * sd * np.sqrt((1 - d * d) ** 2 + z * z * variance)
    low = (d - d**3 - half) / denominator
    high = (d - d**3 + half) / denominator
    return d, float(max(-1.0, low)), float(min(1.0, high))


def cliffs_magnitude(delta: float) -> str:
    """Conventional label of |delta| (Romano et al. 2006)."""
    size = abs(delta)
    for threshold, label in CLIFF_THRESHOLDS:
        if size >= threshold:
            return label
    return "negligible"


def compare_samples(a: np.ndarray, b: np.ndarray) -> PairTest:
    """Mann–Whitney U (two-sided, scipy's automatic method), Cliff's delta from U, and KS two-sample."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.size == 0 or b.size == 0:
        raise ValueError("both samples need at least one value")
    mw = sps.mannwhitneyu(a, b, alternative="two-sided")
    with warnings.catch_warnings():  # scipy falls back from the exact to the asymptotic p itself
        warnings.filterwarnings("ignore", "ks_2samp: Exact calculation unsuccessful", RuntimeWarning)
        ks = sps.ks_2samp(a, b)
    _, low, high = cliffs_delta_ci(a, b)
    return PairTest(
        n_a=int(a.size),
        n_b=int(b.size),
        u=float(mw.statistic),
        p_value=float(mw.pvalue),
        cliffs_delta=cliffs_delta_from_u(float(mw.statistic), a.size, b.size),
        ks_distance=float(ks.statistic),
        ks_p_value=float(ks.pvalue),
        delta_ci_low=low,
        delta_ci_high=high,
    )


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values (step-down, monotone, capped at 1), in the input order."""
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    order = np.argsort(p, kind="stable")
    adjusted_sorted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    adjusted = np.empty(m)
    adjusted[order] = adjusted_sorted
    return adjusted.tolist()


def wilson_interval(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score 95% interval of a proportion (well-behaved near 0 and 1); NaN when n == 0."""
    if n == 0:
        return (float("nan"), float("nan"))
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (float(max(0.0, centre - half)), float(min(1.0, centre + half)))
