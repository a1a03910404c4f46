"""Statistics for comparing corpora: descriptives, bootstrap CI, Mann–Whitney U, Cliff's delta, KS, Holm.

Everything takes plain 1-D float arrays (NaN already removed) so it is cheap to test against scipy.
"""

from __future__ import annotations

import itertools
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
SMALL_GROUP = 20  # groups with fewer texts get the small-sample interval and never a stated direction


def _dominance(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Cliff's delta of ``x`` vs ``y`` and Cliff's (1993) unbiased variance estimate (NaN when a group has
    fewer than 2 values), floored at ``(1 - d^2) / (n_a n_b - 1)``; from ranks, never the n_a x n_b matrix."""
    x = np.sort(np.asarray(x, dtype=np.float64))
    y = np.sort(np.asarray(y, dtype=np.float64))
    n_a, n_b = x.size, y.size
    below_x = np.searchsorted(y, x, "left")  # b values below each a
    not_above_x = np.searchsorted(y, x, "right")  # b values below or equal to each a
    above_x = n_b - not_above_x
    rows = (below_x - above_x) / n_b  # d_i.
    below_y = np.searchsorted(x, y, "left")  # a values below each b
    above_y = n_a - np.searchsorted(x, y, "right")
    cols = (above_y - below_y) / n_a  # d_.j
    d = float(rows.mean())
    if n_a < 2 or n_b < 2:
        return d, float("nan")
    ties = float(np.sum(not_above_x - below_x))  # pairs with a_i == b_j
    pairs = float(n_a) * n_b
    squares = (pairs - ties) - pairs * d * d  # sum over all pairs of (d_ij - d)^2
    variance = (n_b**2 * np.sum((rows - d) ** 2) + n_a**2 * np.sum((cols - d) ** 2) - squares) / (
        pairs * (n_a - 1) * (n_b - 1)
    )
    return d, max(float(variance), (1 - d * d) / (pairs - 1))


def feng_cliff_interval(d: float, variance: float, z: float = Z95) -> tuple[float, float]:
    """The asymmetric interval of Feng & Cliff (2004) around ``d``, which stays inside [-1, 1]."""
    if not np.isfinite(variance):
        return float("nan"), float("nan")
    denominator = 1 - d * d + z * z * variance
    if denominator <= 0:
        return d, d
    half = z * np.sqrt(variance) * np.sqrt((1 - d * d) ** 2 + z * z * variance)
    low = (d - d**3 - half) / denominator
    high = (d - d**3 + half) / denominator
    return float(max(-1.0, low)), float(min(1.0, high))


def bound_interval(d: float, smaller_n: int, z: float = Z95) -> tuple[float, float]:
    """An interval of delta valid at any n: Birnbaum & Klose (1957) bound the variance of P(a > b) by
    ``A(1 - A) / min(n_a, n_b)``; inverting it is the Wilson interval of ``A = (d + 1) / 2`` with
    ``n = min(n_a, n_b)``, mapped back to ``delta = 2A - 1`` (finite width even at d = +-1)."""
    low, high = _wilson((d + 1) / 2, smaller_n, z)
    return 2 * low - 1, 2 * high - 1


def cliffs_delta_ci(a: np.ndarray, b: np.ndarray, z: float = Z95) -> tuple[float, float, float]:
    """Cliff's delta of ``a`` vs ``b`` and its 95% confidence interval, in O(n log n).

    The variance is Cliff's (1993) unbiased estimate
    ``[n_b^2 sum(d_i. - d)^2 + n_a^2 sum(d_.j - d)^2 - sum(d_ij - d)^2] / (n_a n_b (n_a - 1)(n_b - 1))``
    with ``d_ij = sign(a_i - b_j)`` and its row/column means ``d_i.``, ``d_.j``, floored at
    ``(1 - d^2) / (n_a n_b - 1)``; the interval is the asymmetric one of Feng & Cliff (2004),
    ``(d - d^3 +- z s sqrt((1 - d^2)^2 + z^2 s^2)) / (1 - d^2 + z^2 s^2)``, which stays inside [-1, 1].
    When a group has fewer than :data:`SMALL_GROUP` values, or ``|d| = 1`` (the variance estimate is then 0),
    that estimate cannot be trusted: the interval is widened to cover :func:`bound_interval` too.
    """
    n_a, n_b = np.size(a), np.size(b)
    if n_a == 0 or n_b == 0:
        nan = float("nan")
        return nan, nan, nan
    d, variance = _dominance(a, b)
    low, high = feng_cliff_interval(d, variance, z)
    if min(n_a, n_b) < SMALL_GROUP or abs(d) == 1:
        bound = bound_interval(d, min(n_a, n_b), z)
        low, high = np.fmin(low, bound[0]), np.fmax(high, bound[1])  # fmin/fmax: a NaN side is ignored
    return d, float(low), float(high)


LENGTH_BIN_EDGES = (6, 11, 16, 21, 31, 51, 101, 201)  # token-count bins: <=5, 6-10, ..., 101-200, >200


def length_bins(n_tokens: np.ndarray) -> np.ndarray:
    """The token-count bin (0 .. len(LENGTH_BIN_EDGES)) of each text."""
    return np.digitize(np.asarray(n_tokens, dtype=np.float64), LENGTH_BIN_EDGES)


def length_bin_names() -> list[str]:
    """``["<=5", "6-10", ..., ">200"]``: the token counts of each length bin."""
    edges = LENGTH_BIN_EDGES
    return [f"<={edges[0] - 1}", *(f"{lo}-{hi - 1}" for lo, hi in itertools.pairwise(edges)), f">{edges[-1] - 1}"]


def stratified_delta(
    a: np.ndarray, b: np.ndarray, bins_a: np.ndarray, bins_b: np.ndarray, z: float = Z95
) -> tuple[float, float, float]:
    """Cliff's delta with length held fixed, and its 95% CI: the deltas of the bins both groups have,
    weighted by ``n_a,k n_b,k`` (so it is P(a > b) - P(a < b) over pairs of texts in the same bin). The
    variance is ``sum w_k^2 var_k / (sum w_k)^2`` with Cliff's estimate per bin (a bin with a group under
    :data:`SMALL_GROUP` texts, or with |d_k| = 1, uses the bound ``1 / min(n)``); Feng-Cliff interval.
    NaN when no bin has texts of both groups."""
    weighted = weights = variance = 0.0
    for k in np.intersect1d(bins_a, bins_b):
        x, y = a[bins_a == k], b[bins_b == k]
        d_k, var_k = _dominance(x, y)
        smaller = min(x.size, y.size)
        if smaller < SMALL_GROUP or abs(d_k) == 1:
            var_k = np.fmax(var_k, 1.0 / smaller)
        w = float(x.size) * y.size
        weighted += w * d_k
        weights += w
        variance += w * w * var_k
    if weights == 0:
        nan = float("nan")
        return nan, nan, nan
    d = weighted / weights
    return (d, *feng_cliff_interval(d, variance / weights**2, z))


class DominanceCounter:
    """Cliff's delta and the length-stratified delta of ``a`` vs ``b`` under per-text weights (the
    multiplicities of a bootstrap resample), O(n) per resample after one sort.

    With weights ``w`` (a) and ``v`` (b): delta = sum_ij w_i v_j sign(a_i - b_j) / (sum w)(sum v), the
    stratified one the same sums over pairs in the same length bin only. Ones give the plain estimates.
    """

    def __init__(self, a: np.ndarray, b: np.ndarray, bins_a: np.ndarray, bins_b: np.ndarray) -> None:
        _, ranks = np.unique(np.concatenate([a, b]), return_inverse=True)
        rank_a, rank_b = ranks[: a.size], ranks[a.size :]
        span = int(ranks.max()) + 2 if ranks.size else 1
        self.raw_order = np.argsort(rank_b, kind="stable")
        sorted_b = rank_b[self.raw_order]
        self.raw_low = np.searchsorted(sorted_b, rank_a, "left")  # b below a_i: [0, raw_low)
        self.raw_high = np.searchsorted(sorted_b, rank_a, "right")  # b above a_i: [raw_high, n_b)
        key_b = np.asarray(bins_b, dtype=np.int64) * span + rank_b
        key_a = np.asarray(bins_a, dtype=np.int64) * span + rank_a
        self.order = np.argsort(key_b, kind="stable")
        keys = key_b[self.order]
        bin_a = np.asarray(bins_a, dtype=np.int64) * span
        self.start = np.searchsorted(keys, bin_a, "left")  # a_i's bin among the sorted b
        self.end = np.searchsorted(keys, bin_a + span, "left")
        self.low = np.searchsorted(keys, key_a, "left")
        self.high = np.searchsorted(keys, key_a, "right")

    def deltas(self, wa: np.ndarray, wb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(delta, stratified delta) per row of the weight matrices ``wa`` (r x n_a), ``wb`` (r x n_b)."""
        raw = _cumulative(wb[:, self.raw_order])
        total = raw[:, -1:]
        dominance = np.take(raw, self.raw_low, axis=1) - (total - np.take(raw, self.raw_high, axis=1))
        with np.errstate(invalid="ignore", divide="ignore"):
            delta = (wa * dominance).sum(axis=1) / (wa.sum(axis=1) * total[:, 0])
            binned = _cumulative(wb[:, self.order])
            start, end = np.take(binned, self.start, axis=1), np.take(binned, self.end, axis=1)
            below = np.take(binned, self.low, axis=1) - start
            above = end - np.take(binned, self.high, axis=1)
            adjusted = (wa * (below - above)).sum(axis=1) / (wa * (end - start)).sum(axis=1)
        return delta, adjusted


def _cumulative(weights: np.ndarray) -> np.ndarray:
    """Row-wise cumulative sums with a leading 0 column (index i: the weight of the first i values)."""
    out = np.zeros((weights.shape[0], weights.shape[1] + 1), dtype=weights.dtype)
    np.cumsum(weights, axis=1, out=out[:, 1:])
    return out


CLUSTER_RESAMPLES = 1000
_BOOTSTRAP_CELLS = 4_000_000  # weights held at once per group: resamples per chunk x texts


def cluster_bootstrap(
    a: np.ndarray,
    b: np.ndarray,
    clusters_a: np.ndarray,
    clusters_b: np.ndarray,
    bins_a: np.ndarray,
    bins_b: np.ndarray,
    *,
    seed: int = 0,
    resamples: int = CLUSTER_RESAMPLES,
    level: float = 0.95,
) -> tuple[float, float, float, float]:
    """Percentile cluster-bootstrap CIs of Cliff's delta and of the length-stratified delta: each resample
    draws whole clusters with replacement (as many as each group has), separately in ``a`` and ``b``.

    ``clusters_*`` are integer codes ``0 .. k-1`` per text. Returns (low, high, adjusted low, adjusted high).
    """
    counter = DominanceCounter(a, b, bins_a, bins_b)
    rng = np.random.default_rng(seed)
    k_a, k_b = int(clusters_a.max()) + 1, int(clusters_b.max()) + 1
    chunk = max(1, _BOOTSTRAP_CELLS // max(a.size, b.size))
    found: list[tuple[np.ndarray, np.ndarray]] = []
    for start in range(0, resamples, chunk):
        r = min(chunk, resamples - start)
        # times each cluster is drawn; float32 holds these counts and their sums exactly up to 2**24 and
        # halves the memory traffic of the O(n) passes
        draws_a = rng.multinomial(k_a, np.full(k_a, 1.0 / k_a), size=r).astype(np.float32)
        draws_b = rng.multinomial(k_b, np.full(k_b, 1.0 / k_b), size=r).astype(np.float32)
        found.append(counter.deltas(draws_a[:, clusters_a], draws_b[:, clusters_b]))
    deltas = np.concatenate([f[0] for f in found])
    adjusted = np.concatenate([f[1] for f in found])
    tail = (1.0 - level) / 2.0
    low, high = np.nanquantile(deltas, [tail, 1.0 - tail])
    if np.all(np.isnan(adjusted)):
        adj_low = adj_high = float("nan")
    else:
        adj_low, adj_high = np.nanquantile(adjusted, [tail, 1.0 - tail])
    return float(low), float(high), float(adj_low), float(adj_high)


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


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score 95% interval of a proportion (well-behaved near 0 and 1); NaN when n == 0."""
    if n == 0:
        return (float("nan"), float("nan"))
    return _wilson(successes / n, n, z)


def _wilson(p: float, n: int, z: float) -> tuple[float, float]:
    """The Wilson score interval of an observed proportion ``p`` out of ``n``."""
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (float(max(0.0, centre - half)), float(min(1.0, centre + half)))
