"""What the headline may claim: a direction only with evidence, small groups, length held fixed, clustered
texts; each rule on a hand-made case, and the statistics behind them against direct computations and scipy."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from affectlab.text import api
from affectlab.text.comparison import stats
from affectlab.text.comparison.report import direction, headlines
from tests.text.test_cli import run_cli

HEADLINE = ("vader_intensity", "polarity_intensity", "subjectivity", "concreteness")


def frame(values: np.ndarray, n_tokens: np.ndarray | None = None, cluster: list[str] | None = None) -> pd.DataFrame:
    """A score frame whose every headline measure (and the required columns) is ``values``."""
    columns = {name: values for name in (*HEADLINE, "vader_compound", "polarity")}
    columns["n_abstract_words"] = np.zeros(values.size, dtype=np.int32)
    if n_tokens is not None:
        columns["n_tokens"] = n_tokens.astype(np.int32)
    if cluster is not None:
        columns["cluster"] = cluster
    return pd.DataFrame(columns)


def _compare(a: pd.DataFrame, b: pd.DataFrame, **kw):
    return api.compare({"a": a, "b": b}, plots="none", progress=False, measures=list(HEADLINE), **kw)


def _line(result, measure: str) -> str:
    return next(line for line in result.headline if line.startswith(f"{measure}:"))


def test_direction_stated_with_evidence():
    rng = np.random.default_rng(0)
    result = _compare(frame(rng.normal(1.0, 1, 60)), frame(rng.normal(0.0, 1, 60)))
    line = _line(result, "concreteness")
    pair = next(p for p in result.comparison.pairs if p.measure == "concreteness")
    assert pair.test.delta_ci_low > 0 and pair.p_holm < 0.05  # the evidence the sentence rests on
    assert line.startswith("concreteness: text in a is more concrete than in b: Cliff's δ +")
    assert "no evidence" not in " ".join(result.headline)


def test_ci_excluding_zero_is_not_enough_without_holm_p_below_alpha():
    rng = np.random.default_rng(0)
    a, b = frame(rng.normal(1.0, 1, 60)), frame(rng.normal(0.0, 1, 60))
    pair = next(p for p in _compare(a, b).comparison.pairs if p.measure == "concreteness")
    assert pair.test.delta_ci_low > 0 and 1e-12 < pair.p_holm  # CI excludes 0 ...
    result = _compare(a, b, alpha=1e-12)  # ... but the Holm p is not below alpha
    assert _line(result, "concreteness").startswith("concreteness: no evidence of a difference between a and b (")
    assert result.headline[0] == (
        "a vs b: no evidence of a difference in any headline measure "
        "(vader_intensity, polarity_intensity, subjectivity, concreteness)."
    )


def test_small_group_gets_no_direction_and_a_valid_interval():
    # 5 texts, every one above all 60 of b: delta = 1, Holm p tiny, but 5 < 20 texts
    result = _compare(frame(np.arange(5) + 10.0), frame(np.linspace(0, 1, 60)))
    pair = next(p for p in result.comparison.pairs if p.measure == "concreteness")
    assert pair.test.cliffs_delta == 1 and pair.p_holm < 0.05
    assert direction(pair, 0.05) == "too small"
    line = _line(result, "concreteness")
    assert line.startswith("concreteness: a has 5 texts with a value, too few for a direction (fewer than 20); "
                           "no evidence of a difference between a and b (")  # fmt: skip
    # the interval is not the degenerate [1, 1]: the Wilson interval of P(a > b) = 1 with n = 5 (scipy's)
    wilson = sps.binomtest(5, 5).proportion_ci(method="wilson")
    assert pair.test.delta_ci_low == pytest.approx(2 * wilson.low - 1) and pair.test.delta_ci_high == 1


def test_two_texts_against_a_thousand_interval_agrees_with_the_test():
    """The issue's case: 2 prompts vs 1,000 captions gave a CI far from 0 while Mann-Whitney p was 0.26."""
    rng = np.random.default_rng(3)
    b = np.where(rng.uniform(size=1000) < 0.6, 0.0, rng.uniform(0, 1, 1000))  # subjectivity-like: 60% zeros
    a = np.array([0.4, 0.45])
    test = stats.compare_samples(a, b)
    assert test.cliffs_delta == pytest.approx(0.579) and test.p_value > 0.1  # (the old interval: [+0.512, +0.639])
    assert test.delta_ci_low < 0 < test.delta_ci_high
    # the bound interval is the Wilson interval of (d + 1) / 2 with n = min(n_a, n_b): scipy's where k is whole
    for k, m in ((3, 4), (0, 7), (20, 20), (13, 31)):
        wilson = sps.binomtest(k, m).proportion_ci(method="wilson")
        low, high = stats.bound_interval(2 * k / m - 1, m)
        assert (low, high) == pytest.approx((2 * wilson.low - 1, 2 * wilson.high - 1), abs=1e-12)


def test_nothing_differs_headline_says_so_and_random_halves_of_one_corpus(shared_data):
    """Two random halves of 3,000 COCO captions: no evidence of a difference in any measure."""
    captions = json.loads((shared_data / "captions" / "captions_val2017.json").read_text(encoding="utf-8"))
    texts = [a["caption"] for a in captions["annotations"][:3000]]
    scores = api.score(texts)
    half = np.random.default_rng(0).permutation(len(texts)) < len(texts) // 2
    result = api.compare({"half_a": scores[half], "half_b": scores[~half]}, plots="none", progress=False)
    assert len(result.measures) >= 12
    for pair in result.comparison.pairs:
        assert direction(pair, 0.05) == "none", pair.measure
    lines = result.headline
    assert lines[0].startswith("half_a vs half_b: no evidence of a difference in any headline measure (")
    for measure in ("vader_intensity", "polarity_intensity", "subjectivity", "concreteness"):
        assert _line(result, measure).startswith(f"{measure}: no evidence of a difference between half_a and half_b")


def _brute_stratified(a, b, bins_a, bins_b) -> float:
    pairs = itertools.product(zip(a, bins_a, strict=True), zip(b, bins_b, strict=True))
    signs = [np.sign(x - y) for (x, i), (y, j) in pairs if i == j]
    return float(np.sum(signs)) / len(signs)


def test_stratified_delta_equals_a_direct_computation():
    rng = np.random.default_rng(7)
    for _ in range(5):
        a, b = rng.integers(0, 6, 70).astype(float), rng.integers(0, 8, 50).astype(float)  # ties on purpose
        tokens_a, tokens_b = rng.integers(1, 40, 70), rng.integers(3, 60, 50)
        bins_a, bins_b = stats.length_bins(tokens_a), stats.length_bins(tokens_b)
        d, low, high = stats.stratified_delta(a, b, bins_a, bins_b)
        assert d == pytest.approx(_brute_stratified(a, b, bins_a, bins_b), abs=1e-12)
        # = sum_k n_a,k n_b,k delta_k / sum_k n_a,k n_b,k, each delta_k from scipy's U
        num = den = 0.0
        for k in np.intersect1d(bins_a, bins_b):
            x, y = a[bins_a == k], b[bins_b == k]
            num += 2 * sps.mannwhitneyu(x, y).statistic - x.size * y.size
            den += x.size * y.size
        assert d == pytest.approx(num / den, abs=1e-12)
        assert low < d < high
        counted = stats.DominanceCounter(a, b, bins_a, bins_b).deltas(np.ones((1, 70)), np.ones((1, 50)))
        assert counted[0][0] == pytest.approx(stats.cliffs_delta_ci(a, b)[0], abs=1e-12)
        assert counted[1][0] == pytest.approx(d, abs=1e-12)
    assert stats.length_bin_names() == ["<=5", "6-10", "11-15", "16-20", "21-30", "31-50", "51-100", "101-200", ">200"]
    assert stats.length_bins(np.array([0, 5, 6, 10, 11, 200, 201])).tolist() == [0, 0, 1, 1, 2, 7, 8]


def test_effect_that_goes_with_length_is_said_to_shrink():
    """The measure depends on length only; a is mostly long texts, b mostly short: raw delta large,
    length-adjusted delta about 0, and the headline says the effect shrinks to negligible."""
    rng = np.random.default_rng(1)
    tokens_a = np.where(rng.uniform(size=400) < 0.8, 40, 8)
    tokens_b = np.where(rng.uniform(size=400) < 0.2, 40, 8)
    value = lambda tokens: tokens / 10 + rng.normal(0, 0.5, tokens.size)  # noqa: E731
    result = _compare(frame(value(tokens_a), tokens_a), frame(value(tokens_b), tokens_b))
    pair = next(p for p in result.comparison.pairs if p.measure == "concreteness")
    assert pair.test.cliffs_delta > 0.33 and abs(pair.adjusted[0]) < 0.147
    assert pair.adjusted[1] < 0 < pair.adjusted[2]
    line = _line(result, "concreteness")
    assert line.startswith("concreteness: text in a is more concrete than in b")
    assert "length-adjusted δ" in line and "Once text length is held fixed the effect shrinks to negligible" in line
    row = result.pairwise[result.pairwise["measure"] == "concreteness"].iloc[0]
    assert row["delta_length_adjusted"] == pytest.approx(pair.adjusted[0])
    assert (row["delta_length_adjusted_ci_low"], row["delta_length_adjusted_ci_high"]) == pytest.approx(
        pair.adjusted[1:]
    )


def _clustered(rng: np.random.Generator, shift: float, clusters: int, size: int) -> np.ndarray:
    """``clusters`` units of ``size`` texts: a unit's texts share most of their value (strong clustering)."""
    centres = rng.normal(shift, 1.0, clusters)
    return np.repeat(centres, size) + rng.normal(0, 0.1, clusters * size)


def test_cluster_bootstrap_reproducible_and_wider_than_iid():
    rng = np.random.default_rng(2)
    a, b = _clustered(rng, 0.3, 12, 10), _clustered(rng, 0.0, 12, 10)
    codes = np.repeat(np.arange(12), 10)
    bins = np.zeros(120, dtype=np.int64)
    first = stats.cluster_bootstrap(a, b, codes, codes, bins, bins, seed=5)
    assert stats.cluster_bootstrap(a, b, codes, codes, bins, bins, seed=5) == first
    assert stats.cluster_bootstrap(a, b, codes, codes, bins, bins, seed=6) != first
    _, low, high = stats.cliffs_delta_ci(a, b)
    assert first[1] - first[0] > 2 * (high - low)  # 12 independent units, not 120 texts
    single = np.arange(120)  # every text its own cluster: about the iid width
    iid = stats.cluster_bootstrap(a, b, single, single, bins, bins, seed=5)
    assert 0.7 < (iid[1] - iid[0]) / (high - low) < 1.3


def test_cluster_column_drives_the_headline_and_names_the_unit():
    rng = np.random.default_rng(4)
    a, b = _clustered(rng, 0.8, 8, 12), _clustered(rng, 0.0, 8, 12)
    units = [f"image:{i}" for i in np.repeat(np.arange(8), 12)]
    clustered = _compare(frame(a, cluster=units), frame(b, cluster=units), seed=3)
    plain = _compare(frame(a), frame(b))
    pair = next(p for p in clustered.comparison.pairs if p.measure == "concreteness")
    assert pair.clustered and pair.clusters == (8, 8)
    assert pair.delta_ci[1] - pair.delta_ci[0] > (pair.test.delta_ci_high - pair.test.delta_ci_low)
    assert "cluster bootstrap over 8 images vs 8 images" in _line(clustered, "concreteness")
    assert clustered.comparison.units == {"a": {"image": 8}, "b": {"image": 8}}
    again = _compare(frame(a, cluster=units), frame(b, cluster=units), seed=3)
    assert again.pairwise.equals(clustered.pairwise)  # seeded
    assert not next(p for p in plain.comparison.pairs if p.measure == "concreteness").clustered
    off = _compare(frame(a, cluster=units), frame(b, cluster=units), cluster="none")
    assert not any(p.clustered for p in off.comparison.pairs)


def test_clustered_texts_lose_a_direction_iid_texts_would_get():
    """Same values: as 240 independent texts the difference is clear; as 4 units of 60 it is not."""
    rng = np.random.default_rng(11)
    a, b = _clustered(rng, 0.6, 4, 60), _clustered(rng, 0.0, 4, 60)
    units = [f"poem:{i}" for i in np.repeat(np.arange(4), 60)]
    plain = _compare(frame(a), frame(b))
    clustered = _compare(frame(a, cluster=units), frame(b, cluster=units))
    iid_pair = next(p for p in plain.comparison.pairs if p.measure == "concreteness")
    assert direction(iid_pair, 0.05) in ("higher", "lower")
    line = _line(clustered, "concreteness")
    assert line.startswith("concreteness: no evidence of a difference between a and b") and "4 poems" in line


def test_headline_measures_are_intensities_and_the_signed_ones_valence():
    scores = api.score(["I hate this awful day", "What a lovely, wonderful day", "a red bus"])
    assert scores["vader_intensity"].tolist() == scores["vader_compound"].abs().tolist()
    assert scores["polarity_intensity"].tolist() == scores["polarity"].abs().tolist()
    assert scores["vader_compound"].iloc[0] < 0 < scores["vader_intensity"].iloc[0]
    from affectlab.text.comparison.report import headline_columns

    assert headline_columns()[:4] == ["vader_intensity", "polarity_intensity", "subjectivity", "concreteness"]
    compared = api.compare({"x": scores, "y": scores.iloc[::-1]}, plots="none", progress=False).measures
    assert "rate_first_person" in compared and "n_first_person" not in compared  # rates, not counts


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--plots", "foo"], "plots"),
        (["--workers", "0"], "workers"),
        (["--alpha", "1.5"], "alpha"),
    ],
)
def test_bad_compare_options_one_error_line_exit_2(tmp_path, monkeypatch, capsys, option, message):
    source = tmp_path / "x.txt"
    source.write_text("a dog\na cat\n")
    code, out, err = run_cli(["text", "compare", str(source), "--out", str(tmp_path / "out"), *option], monkeypatch,
                             capsys)  # fmt: skip
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and not out, err
    assert len(lines) == 1 and lines[0].startswith("error: invalid compare options: ") and message in lines[0]
    assert not (tmp_path / "out").exists()


def test_headlines_function_is_what_the_result_shows():
    rng = np.random.default_rng(0)
    result = _compare(frame(rng.normal(0, 1, 30)), frame(rng.normal(0, 1, 30)))
    assert headlines(result.comparison) == result.headline


def test_units_of_pooled_corpora_merge_by_value():
    """Lines and stanzas of the same 6 poems, pooled into one group: 6 poems, not 12; Tate-like texts without
    a unit count one each."""
    rng = np.random.default_rng(5)
    poems = [f"poem:{i}" for i in np.repeat(np.arange(6), 5)]
    lines, stanzas = frame(rng.normal(0, 1, 30), cluster=poems), frame(rng.normal(0, 1, 30), cluster=poems)
    result = api.compare({"lines": lines, "stanzas": stanzas, "titles": frame(rng.normal(0, 1, 25))},
                         groups={"art": ["lines", "stanzas", "titles"]}, plots="none", progress=False,
                         measures=list(HEADLINE))  # fmt: skip
    assert result.comparison.units == {"art": {"text": 25, "poem": 6}}


def test_the_report_says_what_a_subjectivity_of_0_means():
    """The method text's claim: 0 with no pattern word is no evidence; with pattern words it is a measurement."""
    import affectlab as al
    from affectlab.text.comparison.report import METHOD

    assert "(n_pattern_words = 0): no evidence, not a measured 'objective'" in METHOD
    rows = al.text.score(["a dog on a sofa", "a wonderful painting"])
    assert rows["n_pattern_words"].tolist()[0] == 0 and rows["subjectivity"].tolist()[0] == 0
    assert rows["n_pattern_words"].tolist()[1] >= 1 and rows["subjectivity"].tolist()[1] > 0
