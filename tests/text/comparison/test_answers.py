"""What the comparison answers: contrasts in words with Cliff's delta and its CI, top pairs, --by a kept
column, language shares, the plots option, one number format, only the sources used, tidy plots, and the
report in a real browser (headless Chromium) at 1280 px."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats as sps

from affectlab.report import plots
from affectlab.report.html import format_p, format_significant
from affectlab.text import api
from affectlab.text.comparison import stats
from affectlab.text.comparison.report import plot_name
from tests.browser import check_page
from tests.text.comparison.test_core import COMPARED, CORE, art_like, write_scores


def _brute_delta_ci(a: np.ndarray, b: np.ndarray, z: float = stats.Z95) -> tuple[float, float, float]:
    """Cliff (1993) / Feng & Cliff (2004) straight from the n_a x n_b dominance matrix."""
    d_ij = np.sign(a[:, None] - b[None, :])
    d, (n_a, n_b) = d_ij.mean(), d_ij.shape
    rows, cols = d_ij.mean(axis=1), d_ij.mean(axis=0)
    var = (n_b**2 * ((rows - d) ** 2).sum() + n_a**2 * ((cols - d) ** 2).sum() - ((d_ij - d) ** 2).sum()) / (
        n_a * n_b * (n_a - 1) * (n_b - 1)
    )
    var = max(var, (1 - d * d) / (n_a * n_b - 1))
    half = z * np.sqrt(var) * np.sqrt((1 - d * d) ** 2 + z * z * var)
    return d, (d - d**3 - half) / (1 - d * d + z * z * var), (d - d**3 + half) / (1 - d * d + z * z * var)


def test_cliffs_delta_ci_equals_the_matrix_formula_and_covers():
    rng = np.random.default_rng(4)
    for _ in range(10):  # ties on purpose: integer scores
        a, b = rng.integers(0, 5, 37).astype(float), rng.integers(0, 7, 52).astype(float)
        assert stats.cliffs_delta_ci(a, b) == pytest.approx(_brute_delta_ci(a, b), abs=1e-12)
        u = sps.mannwhitneyu(a, b).statistic
        assert stats.cliffs_delta_ci(a, b)[0] == pytest.approx(stats.cliffs_delta_from_u(u, a.size, b.size))
    truth = 2 * sps.norm.cdf(0.4 / np.sqrt(2)) - 1  # delta of N(0.4, 1) vs N(0, 1)
    covered = [lo <= truth <= hi for lo, hi in (stats.cliffs_delta_ci(rng.normal(0.4, 1, 50), rng.normal(0, 1, 70))[1:]
                                                 for _ in range(400))]  # fmt: skip
    assert 0.92 <= np.mean(covered) <= 0.98
    # complete separation of 5 vs 4 texts: not the degenerate [1, 1] but the Wilson interval of P(a > b) = 1
    # with n = min(n_a, n_b) = 4 (scipy's), mapped to delta = 2P - 1
    wilson = sps.binomtest(4, 4).proportion_ci(method="wilson")
    assert stats.cliffs_delta_ci(np.ones(5) * 2, np.ones(4))[1:] == pytest.approx((2 * wilson.low - 1, 1.0))


def test_number_format_three_significant_figures_and_p_values():
    assert [format_significant(v) for v in (0.02345, 4.0712, 0.5, 12345.6, 1.2e-05, 0.0, -0.00451, 7)] == [
        "0.0234", "4.07", "0.500", "12,300", "1.20e-05", "0", "-0.00451", "7"]  # fmt: skip
    assert [format_p(p) for p in (0.0, 0.5, 3.14159e-120)] == ["< 1e-300", "5.00e-01", "3.14e-120"]


def _report_inputs(tmp_path: Path) -> list[Path]:
    captions = {k: v * 20 for k, v in CORE.items()}
    art = art_like(captions)
    files = [
        write_scores(tmp_path / "coco.parquet", "coco", captions),
        write_scores(tmp_path / "flickr.parquet", "flickr", {k: v[::-1] for k, v in captions.items()}),
        write_scores(tmp_path / "poems.parquet", "poems", art),
        write_scores(tmp_path / "titles.parquet", "titles", {k: v[1:] + v[:1] for k, v in art.items()}),
    ]
    return files


def test_contrast_headline_in_words_with_delta_and_ci(tmp_path):
    files = _report_inputs(tmp_path)
    groups = {"captions": ["coco", "flickr"], "art": ["poems", "titles"]}
    result = api.compare(files, groups=groups, contrasts=["captions:art"], plots="none", progress=False)
    lines = result.headline
    concrete = next(line for line in lines if line.startswith("concreteness:"))
    pair = next(p for p in result.comparison.pairs if p.measure == "concreteness")
    sign = 1 if (pair.corpus_a, pair.corpus_b) == ("captions", "art") else -1
    delta = sign * pair.test.cliffs_delta
    assert delta > 0.474 and concrete.startswith("concreteness: text in captions is more concrete than in art")
    assert f"Cliff's δ +{format_significant(delta)} (large)" in concrete and "95% CI [+" in concrete
    assert any(line.startswith("shares of texts, captions vs art: any sentiment") for line in lines)
    with pytest.raises(Exception, match="--contrast captions:nope: names 'nope'"):
        api.compare(files, groups=groups, contrasts=["captions:nope"], plots="none", progress=False)


def test_without_contrast_more_than_two_corpora_names_the_top_pairs(tmp_path):
    result = api.compare(_report_inputs(tmp_path), plots="none", progress=False)
    concrete = next(line for line in result.headline if line.startswith("concreteness:"))
    top = "concreteness: of the pairs with evidence of a difference, those that differ most are "
    assert concrete.startswith(top) and concrete.count(" vs ") == 3
    assert "--contrast A:B" in result.headline[-1]


def test_by_a_kept_column_and_language_shares(tmp_path):
    n = len(CORE["vader_compound"])
    path = write_scores(tmp_path / "parti.parquet", "parti", {k: v * 2 for k, v in CORE.items()})
    table = pq.read_table(path)
    table = table.append_column("Category", pa.array(["Animals", "People", None] * (2 * n // 3)))
    table = table.append_column("lang", pa.array(["en", "en", "de"] * (2 * n // 3)))
    pq.write_table(table, path)
    result = api.compare([path], by="Category", plots="none", progress=False)
    assert result.corpora == ["Animals", "People", "parti"]  # rows without a Category keep their corpus name
    assert result.comparison.languages == {"Animals": {"en": 4}, "People": {"en": 4}, "parti": {"de": 4}}
    assert "languages of parti: 100.0% de." in result.headline
    with pytest.raises(Exception, match="--by Nope: no input has that column"):
        api.compare([path], by="Nope", plots="none", progress=False)


@pytest.mark.parametrize(("which", "expected"), [("none", set()), ("summary", {"means", "shares", "effects"})])
def test_plots_option(which, expected, tmp_path):
    out = tmp_path / "r"
    api.compare(_report_inputs(tmp_path)[:2], out=out, plots=which, progress=False)
    assert {p.stem for p in (out / "plots").glob("*.png")} == expected if expected else not (out / "plots").exists()


def test_only_the_sources_of_the_measures_used_are_cited(tmp_path):
    out = tmp_path / "r"
    api.compare(_report_inputs(tmp_path)[:2], out=out, measures=["vader_compound"], plots="none", progress=False)
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "Hutto" in summary and "Cliff, N. (1993)" in summary
    assert "De Smedt" not in summary and "Brysbaert, M." not in summary


def test_plot_names_are_sanitised():
    taken: set[str] = set()
    assert [plot_name(m, taken) for m in ("../../x", "x", "a/b", "...")] == ["x", "x_2", "a_b", "measure"]


def _overlaps(fig) -> list[tuple[str, str]]:
    fig.canvas.draw() if hasattr(fig.canvas, "draw") else None
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    found = []
    for ax in fig.axes:
        for labels in (ax.get_xticklabels(), ax.get_yticklabels()):
            shown = [t for t in labels if t.get_visible() and t.get_text()]
            boxes = [t.get_window_extent(renderer) for t in shown]
            for i in range(len(boxes) - 1):
                for j in range(i + 1, len(boxes)):
                    if boxes[i].overlaps(boxes[j]):
                        found.append((shown[i].get_text(), shown[j].get_text()))
    return found


def test_tick_labels_never_overlap(monkeypatch, tmp_path):
    figures = []
    monkeypatch.setattr(plots, "save_png", lambda fig, path: figures.append(fig) or Path(path))
    rng = np.random.default_rng(0)
    small = {m: {g: (v, v - 0.01, v + 0.01) for g, v in zip("abcdefg", rng.uniform(0.02, 0.09, 7), strict=True)}
             for m in ("vader_neg", "n_simile_markers", "concreteness_coverage", "n_second_person")}  # fmt: skip
    plots.interval_grid(small, tmp_path / "m.png", title="means")
    samples = {g: rng.exponential(0.03, 500) * (rng.random(500) > 0.7) for g in "abcd"}
    plots.zero_inflated_plot(samples, tmp_path / "z.png", title="z", xlabel="x")
    plots.distribution_plot(samples, tmp_path / "d.png", title="d", xlabel="x")
    assert len(figures) == 3 and all(_overlaps(fig) == [] for fig in figures)


def test_mostly_zero_measures_get_the_share_at_zero_plot(tmp_path, monkeypatch):
    drawn = []
    original = plots.zero_inflated_plot

    def spy(samples, path, **kwargs):
        drawn.append(kwargs["title"])
        return original(samples, path, **kwargs)

    monkeypatch.setattr(plots, "zero_inflated_plot", spy)
    out = tmp_path / "r"
    api.compare(_report_inputs(tmp_path)[:2], out=out, progress=False)
    assert "rate_abstract_words" in drawn and "concreteness" not in drawn  # CORE rates are mostly 0
    assert "share of texts at exactly 0" in (out / "summary.md").read_text(encoding="utf-8")


def test_report_in_a_real_browser(tmp_path):
    """No element wider than the 1280 px viewport (the wide pairwise table scrolls in its box), every image
    decodes, and every number of the tables has at most 3 significant figures."""
    out = tmp_path / "r"
    groups = {"captions": ["coco", "flickr"], "art": ["poems", "titles"]}
    files = _report_inputs(tmp_path)
    api.compare(files, out=out, progress=False)  # 4 corpora: 6 pairs, a wide pairwise table
    seen = check_page(out / "report.html", tmp_path / "report.png", height=4000)
    assert seen.overflowing == [] and seen.broken_images == []
    assert seen.images == len(list((out / "plots").glob("*.png"))) == 3 + len(COMPARED)
    assert seen.scroll_width == seen.width == 1280
    assert (tmp_path / "report.png").stat().st_size > 50_000
    html = (out / "report.html").read_text(encoding="utf-8")
    cells = re.findall(r"<td>([^<]*)</td>", html)
    numbers = [c for c in cells if re.fullmatch(r"-?[\d,.]+(e[-+]\d+)?", c)]
    digits = [len(re.sub(r"^0\.0*|[-,.]|e.*$", "", c).lstrip("0")) for c in numbers if "," not in c]
    assert numbers and max(digits) <= 3
    assert all(
        re.fullmatch(r"\d\.\d\de[-+]\d+|< 1e-300", c) for c in re.findall(r"<td>(\d\.\d+e[^<]*|< 1e-300)</td>", html)
    )
    pooled = tmp_path / "pooled"
    api.compare(files, out=pooled, groups=groups, contrasts=["captions:art"], plots="summary", progress=False)
    assert check_page(pooled / "report.html", tmp_path / "pooled.png").overflowing == []
