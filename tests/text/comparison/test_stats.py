"""Statistics against scipy on fixed inputs, and against hand-computed cases."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats as sps

from affectlab.text.comparison import stats

A = np.array([0.1, 0.4, 0.4, 0.9, 1.3, 2.2, 2.2, 3.0, 5.5])
B = np.array([0.0, 0.4, 0.5, 0.6, 0.6, 0.7, 1.0, 1.1])


def brute_force_cliffs_delta(a: np.ndarray, b: np.ndarray) -> float:
    """Count every pair: (#a > b - #a < b) / (n_a n_b)."""
    signs = [np.sign(x - y) for x, y in itertools.product(a, b)]
    return float(sum(signs)) / (len(a) * len(b))


def test_mann_whitney_and_ks_equal_scipy():
    result = stats.compare_samples(A, B)
    mw = sps.mannwhitneyu(A, B, alternative="two-sided")
    ks = sps.ks_2samp(A, B)
    assert result.u == mw.statistic
    assert result.p_value == pytest.approx(mw.pvalue, rel=1e-12)
    assert result.ks_distance == ks.statistic
    assert result.ks_p_value == pytest.approx(ks.pvalue, rel=1e-12)
    assert (result.n_a, result.n_b) == (9, 8)


def test_cliffs_delta_hand_computed():
    # a=[1,2,3], b=[2,2,4]: a>b in 2 pairs (3>2, 3>2), a<b in 5 pairs -> (2 - 5) / 9.
    result = stats.compare_samples(np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 4.0]))
    assert result.cliffs_delta == pytest.approx(-1 / 3)
    assert result.magnitude == "medium"
    assert stats.compare_samples(np.array([5.0, 6.0]), np.array([1.0, 2.0])).cliffs_delta == 1.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cliffs_delta_rank_formula_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 6, size=37).astype(float)  # many ties on purpose
    b = rng.integers(1, 8, size=23).astype(float)
    assert stats.compare_samples(a, b).cliffs_delta == pytest.approx(brute_force_cliffs_delta(a, b), abs=1e-12)


@pytest.mark.parametrize(
    ("delta", "label"),
    [
        (0.0, "negligible"),
        (0.1469, "negligible"),
        (0.147, "small"),
        (-0.147, "small"),
        (0.3299, "small"),
        (0.33, "medium"),
        (0.4739, "medium"),
        (0.474, "large"),
        (-0.474, "large"),
        (1.0, "large"),
    ],
)
def test_magnitude_labels_at_boundaries(delta, label):
    assert stats.cliffs_magnitude(delta) == label


def test_holm_hand_computed():
    # sorted: 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, 0.04*1=0.04 -> raised to 0.06 (monotone).
    assert stats.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert stats.holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])  # capped at 1
    assert stats.holm([0.2]) == pytest.approx([0.2])


def test_describe_matches_numpy():
    d = stats.describe(A, seed=3)
    assert d.n == 9
    assert d.mean == pytest.approx(A.mean())
    assert d.sd == pytest.approx(A.std(ddof=1))
    assert d.median == pytest.approx(np.median(A))
    assert d.iqr == pytest.approx(np.subtract(*np.percentile(A, [75, 25])))
    assert d.ci_low < d.mean < d.ci_high
    assert stats.describe(A, seed=3) == d  # seeded: identical on rerun
    assert stats.describe(np.array([])).n == 0


def test_bootstrap_agrees_with_scipy_percentile_bootstrap():
    x = np.random.default_rng(7).gamma(2.0, 1.0, size=400)
    ours = stats.bootstrap_mean_ci(x, seed=1, resamples=4000)
    ref = sps.bootstrap((x,), np.mean, method="percentile", n_resamples=4000, random_state=1).confidence_interval
    width = ref.high - ref.low
    assert ours[0] == pytest.approx(ref.low, abs=0.1 * width)
    assert ours[1] == pytest.approx(ref.high, abs=0.1 * width)


def test_m_out_of_n_bootstrap_has_the_full_sample_width():
    n = 200_000
    x = np.random.default_rng(0).normal(0.0, 2.0, size=n)
    low, high = stats.bootstrap_mean_ci(x, seed=0, max_n=5_000)
    expected_width = 2 * 1.959964 * 2.0 / np.sqrt(n)
    assert high - low == pytest.approx(expected_width, rel=0.1)
    assert low < x.mean() < high


def test_wilson_interval_known_value():
    # Wilson interval for 8/10 (Newcombe 1998, table I): 0.4902 - 0.9433.
    low, high = stats.wilson_interval(8, 10)
    assert (low, high) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    assert np.isnan(stats.wilson_interval(0, 0)[0])


def test_compare_samples_rejects_empty():
    with pytest.raises(ValueError):
        stats.compare_samples(np.array([]), B)
