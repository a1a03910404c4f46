"""Plot rules: nothing blank without saying so, no violin from a few values or over counts, legends with the
n drawn, no sliver colour bar, big effect heat maps sorted, capped and saying what was left out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.patches import Rectangle

from affectlab.report import plots
from affectlab.text.comparison import stats
from affectlab.text.comparison.core import Comparison, PairRow
from affectlab.text.comparison.report import EFFECTS_MAX_ROWS, _effects_plot


@pytest.fixture
def figures(monkeypatch) -> list:
    """The figures the plot functions build, instead of writing them."""
    found: list = []
    monkeypatch.setattr(plots, "save_png", lambda fig, path: found.append(fig) or Path(path))
    return found


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [t.get_text() for t in fig.texts]


def _legend(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]


def _violins(ax) -> int:
    return sum(isinstance(c, PolyCollection) for c in ax.collections)


def test_all_zero_panels_say_so(figures, tmp_path):
    plots.zero_inflated_plot({"a": np.zeros(30), "b": np.zeros(12)}, tmp_path / "z.png", title="t", xlabel="x")
    texts = _texts(figures[0])
    assert "a: all 30 values are 0" in texts and "b: all 12 values are 0" in texts
    assert "every value is 0: nothing to draw" in texts
    plots.distribution_plot({"a": np.array([])}, tmp_path / "d.png", title="t", xlabel="x")
    assert _texts(figures[1]).count("no values to draw") == 2  # violin and ECDF panels


def test_few_values_are_dots_and_legend_gives_the_n_drawn(figures, tmp_path):
    rng = np.random.default_rng(0)
    few = np.r_[np.zeros(26), rng.uniform(0.1, 0.9, 4)]  # 30 texts, 4 non-zero
    many = rng.uniform(0.1, 0.9, 300)
    plots.zero_inflated_plot({"few": few, "many": many}, tmp_path / "z.png", title="t", xlabel="x")
    fig = figures[0]
    violin_ax = fig.axes[1]
    assert _violins(violin_ax) == 1  # only "many" (300 values) gets a violin
    dots = [line for line in violin_ax.lines if line.get_marker() == "o" and len(line.get_xdata()) == 4]
    assert len(dots) == 1 and sorted(dots[0].get_xdata()) == sorted(few[few > 0])  # the 4 values, each a dot
    assert _legend(fig) == ["few (n=4 non-zero of 30)", "many (n=300 non-zero of 300)"]
    plots.distribution_plot({"a": many}, tmp_path / "d.png", title="t", xlabel="x", counts={"a": 66_474})
    assert _legend(figures[1]) == ["a (n=300 drawn of 66,474)"]
    assert f"fewer than {plots.VIOLIN_MIN_N}" in figures[0].axes[1].get_title()


def test_integer_counts_are_bars_not_violins(figures, tmp_path):
    rng = np.random.default_rng(1)
    counts = rng.poisson(1.5, 400).astype(float)
    plots.distribution_plot({"a": counts}, tmp_path / "d.png", title="t", xlabel="x")
    ax = figures[0].axes[0]
    assert _violins(ax) == 0
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    values, n = np.unique(counts, return_counts=True)
    assert sorted(b.get_x() + b.get_width() / 2 for b in bars) == pytest.approx(values.tolist())
    tallest = max(bars, key=lambda b: b.get_height())
    assert tallest.get_x() + tallest.get_width() / 2 == pytest.approx(values[np.argmax(n)])
    assert "bars: texts per value" in ax.get_title()
    assert not plots.is_integer_valued(rng.uniform(0, 1, 50)) and plots.is_integer_valued(np.array([0.0, 2, 5]))


def test_one_row_heat_map_has_a_horizontal_colour_bar(figures, tmp_path):
    plots.heatmap(np.array([[0.5, -0.2, 0.1]]), ["a vs b"], ["x", "y", "z"], tmp_path / "h.png", title="t",
                  colorbar_label="delta", vmin=-1, vmax=1)  # fmt: skip
    fig = figures[0]
    fig.canvas.draw()
    bar = fig.axes[1]  # the colour bar's axes
    box = bar.get_window_extent()
    assert box.width > 5 * box.height  # lying under the map, not a sliver beside it
    plots.heatmap(np.zeros((6, 3)), list("abcdef"), ["x", "y", "z"], tmp_path / "h6.png", title="t",
                  colorbar_label="delta")  # fmt: skip
    figures[1].canvas.draw()
    tall = figures[1].axes[1].get_window_extent()
    assert tall.height > tall.width


def _many_pairs(corpora: int) -> Comparison:
    names = [f"c{i}" for i in range(corpora)]
    result = Comparison(corpora=names, measures=["m1", "m2"], skipped=[])
    rng = np.random.default_rng(0)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            for m in result.measures:
                d = float(rng.uniform(-1, 1))
                test = stats.PairTest(30, 30, 0.0, 0.5, d, 0.1, 0.5, d - 0.1, d + 0.1)
                result.pairs.append(PairRow(m, a, b, test, 0.0, 0.0, p_holm=0.5))
    return result


def test_big_effect_heat_map_sorted_capped_and_says_what_was_left_out(figures, tmp_path):
    result = _many_pairs(12)  # 66 pairs
    _effects_plot(result, tmp_path / "e.png")
    fig = figures[0]
    rows = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(rows) == EFFECTS_MAX_ROWS == 20
    largest = {}
    for p in result.pairs:
        name = f"{p.corpus_a} vs {p.corpus_b}"
        largest[name] = max(largest.get(name, 0), abs(p.test.cliffs_delta))
    assert rows == sorted(largest, key=lambda n: -largest[n])[:20]  # the 20 largest, largest first
    note = " ".join(fig.texts[i].get_text() for i in range(len(fig.texts)))
    assert "20 of 66 pairs shown" in note and "other 46 are in pairwise.csv" in note.replace("\n", " ")
    _effects_plot(_many_pairs(3), tmp_path / "small.png")
    assert not [t for t in figures[1].texts if "pairs shown" in t.get_text()]
