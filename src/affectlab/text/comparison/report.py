"""Write a corpus comparison to a folder: CSV and Markdown tables, PNG plots, ``summary.md``, ``report.html``.

Raw corpora among the inputs (anything that is not a score parquet) are profiled first into
``OUT/scores/<name>.parquet`` with :func:`affectlab.text.profiling.profile_corpora`.
"""

from __future__ import annotations

import csv
import platform
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import scipy

from affectlab.errors import AffectlabError
from affectlab.io import atomic_path, write_json, write_text
from affectlab.report import plots
from affectlab.report.html import Cell, HtmlReport, format_p, format_significant, markdown_table
from affectlab.text.comparison import stats
from affectlab.text.comparison.core import (
    Comparison,
    ParquetScores,
    ScoreSource,
    column_label,
    is_score_file,
)
from affectlab.text.config import CompareOptions
from affectlab.text.measures import MeasureConfig, declared_columns, families
from affectlab.version import __version__

CLIFF_SOURCE = (
    "Cliff's delta magnitude labels: Romano, J. et al. (2006). Appropriate statistics for ordinal level "
    "data. Annual meeting of the Florida Association of Institutional Research."
)
CLIFF_CI_SOURCE = (
    "Confidence interval of Cliff's delta: Cliff, N. (1993). Dominance statistics: ordinal analyses to answer "
    "ordinal questions. Psychological Bulletin 114, 494-509; Feng, D. & Cliff, N. (2004). Monte Carlo "
    "evaluation of ordinal d with improved confidence interval. J. Modern Applied Statistical Methods 3, 322-332."
)
SUMMARY_PLOTS = ("means", "shares", "effects")
METHOD = (
    "Per measure and corpus: n (texts with a value), mean, sd, median, IQR and a seeded percentile bootstrap "
    f"95% CI of the mean ({stats.BOOTSTRAP_RESAMPLES} resamples; above {stats.BOOTSTRAP_MAX_N:,} texts the "
    "m-out-of-n bootstrap with m = that bound, deviations scaled by sqrt(m/n)). Shares come with Wilson 95% "
    "intervals. Every pair of corpora is compared per measure with a two-sided Mann-Whitney U test (scipy), "
    "Cliff's delta = 2U/(n_a n_b) - 1 = P(a > b) - P(a < b) (positive: the first corpus scores higher), "
    "with a 95% confidence interval of delta (Cliff's 1993 unbiased variance estimate, floored at "
    "(1 - d^2)/(n_a n_b - 1), and the asymmetric interval of Feng & Cliff 2004; computed from ranks), "
    "and the two-sample Kolmogorov-Smirnov distance D. p-values are Holm-adjusted over all tests in the "
    "report (all measures x all pairs). Magnitudes: |delta| < 0.147 negligible, < 0.33 small, < 0.474 "
    "medium, else large. With very large corpora almost every difference is 'significant': read delta. "
    "Numbers are shown with 3 significant figures, p-values in scientific notation (< 1e-300 where the "
    "p-value underflows double precision); the CSV files keep full precision."
)


def headline_columns() -> list[str]:
    """Columns declared ``headline=True``, in declaration order."""
    return [name for name, c in declared_columns().items() if c.headline]


def sources(measures: Sequence[str]) -> list[str]:
    """The works to cite for ``measures``: the sources of their families, then the statistics."""
    cited: dict[str, None] = {}
    for family in families():
        if any(c.name in measures for c in family.columns):
            cited.update(dict.fromkeys(family.sources))
    return [*cited, CLIFF_SOURCE, CLIFF_CI_SOURCE]


def prepare_inputs(
    inputs: Sequence[Path], scores: Path, options: CompareOptions, shown_as: Path | None = None
) -> tuple[list[ScoreSource], list[str]]:
    """Score files as they are; raw corpora profiled into ``scores/<name>.parquet`` first.

    Returns the score sources and how the report names them (``shown_as`` replaces ``scores`` in the
    names of profiled files, when ``scores`` is a staging folder).
    """
    from affectlab.text.config import ProfileOptions
    from affectlab.text.corpora import open_corpus
    from affectlab.text.profiling import profile_corpora

    sources: list[ScoreSource] = []
    labels: list[str] = []
    config = MeasureConfig(norms=options.norms, affect_norms=options.affect_norms)
    workers = {} if options.workers is None else {"workers": options.workers}
    profile_options = ProfileOptions(measures=config, keep_text=False, **workers)
    profiled: set[str] = set()
    for path in map(Path, inputs):
        if path.exists() and is_score_file(path):
            sources.append(ParquetScores(path))
            labels.append(str(path))
            continue
        corpus = open_corpus(path)
        if corpus.name in profiled:
            raise AffectlabError(f"{path}: a second input named {corpus.name!r}; rename one of them")
        profiled.add(corpus.name)
        target = scores / f"{corpus.name}.parquet"
        profile_corpora([corpus], target, profile_options)
        label = str((shown_as or scores) / target.name)
        sources.append(ParquetScores(target, label))
        labels.append(label)
    return sources, labels


def save_report(result: Comparison, labels: Sequence[str], folder: Path, options: CompareOptions) -> None:
    """Every table, plot and page of the report, written into ``folder`` (which must exist)."""
    tables = report_tables(result)
    for name, rows in tables.items():
        if rows:  # no pairwise.csv for a single corpus, no languages.csv without a lang column
            _write_csv(folder / f"{name}.csv", rows)
    figures = _plots(result, folder / "plots", options.plots)
    write_text(folder / "summary.md", _markdown(result, labels, tables, figures, folder))
    _html(result, labels, tables, figures).write(folder / "report.html")
    write_json(folder / "compare.json", _config(labels, result, options))


def report_tables(result: Comparison) -> dict[str, list[dict[str, Cell]]]:
    describe = [
        {"measure": m, "corpus": c, "n": d.n, "mean": d.mean, "sd": d.sd, "median": d.median,
         "q1": d.q1, "q3": d.q3, "iqr": d.iqr, "ci95_low": d.ci_low, "ci95_high": d.ci_high}
        for m in result.measures for c, d in result.describe[m].items()
    ]  # fmt: skip
    shares = [
        {"share": s.share, "corpus": s.corpus, "n": s.n, "texts": s.hits, "share_value": s.value,
         "ci95_low": s.interval[0], "ci95_high": s.interval[1]}
        for s in result.shares
    ]  # fmt: skip
    pairwise = [
        {"measure": p.measure, "corpus_a": p.corpus_a, "corpus_b": p.corpus_b, "n_a": p.test.n_a,
         "n_b": p.test.n_b, "median_a": p.median_a, "median_b": p.median_b, "mannwhitney_u": p.test.u,
         "p_value": p.test.p_value, "p_holm": p.p_holm, "cliffs_delta": p.test.cliffs_delta,
         "delta_ci95_low": p.test.delta_ci_low, "delta_ci95_high": p.test.delta_ci_high,
         "magnitude": p.test.magnitude, "ks_distance": p.test.ks_distance, "ks_p_value": p.test.ks_p_value}
        for p in result.pairs
    ]  # fmt: skip
    languages = [
        {"corpus": corpus, "lang": code or "(none)", "texts": n, "share": n / max(1, sum(counts.values()))}
        for corpus, counts in result.languages.items() for code, n in counts.items()
    ]  # fmt: skip
    return {"descriptives": describe, "shares": shares, "pairwise": pairwise, "languages": languages}


def _write_csv(path: Path, rows: Sequence[Mapping[str, Cell]]) -> None:
    with atomic_path(path) as tmp, tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


ZERO_HEAVY = 0.5  # a measure at exactly 0 for at least this share of some corpus is plotted as zero + rest


def plot_name(measure: str, taken: set[str]) -> str:
    """A file name for the plots of ``measure`` that stays inside the plots folder (``../x`` -> ``x``)."""
    base = re.sub(r"[^A-Za-z0-9_-]+", "_", measure).strip("_-") or "measure"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


def _plots(result: Comparison, folder: Path, which: str = "all") -> dict[str, tuple[Path, str]]:
    """Every figure as ``name -> (png path, caption)``, in report order: ``all``, ``summary`` (means,
    shares, effects) or ``none``."""
    figures: dict[str, tuple[Path, str]] = {}
    if which == "none":
        return figures
    means = {m: {c: (d.mean, d.ci_low, d.ci_high) for c, d in result.describe[m].items()} for m in result.measures}
    figures["means"] = (
        plots.interval_grid(means, folder / "means.png", title="Mean per corpus with bootstrap 95% CI"),
        "Mean of every measure per corpus; bars are seeded bootstrap 95% confidence intervals.",
    )
    share_values: dict[str, dict[str, tuple[float, float, float]]] = {}
    for s in result.shares:
        share_values.setdefault(s.share.split(" (")[0], {})[s.corpus] = (s.value, *s.interval)
    if share_values:
        figures["shares"] = (
            plots.grouped_bars(share_values, folder / "shares.png", title="Share of texts", ylabel="share"),
            "Share of texts with each property; bars are Wilson 95% intervals.",
        )
    if result.pairs:
        figures["effects"] = (_effects_plot(result, folder / "effects.png"), _EFFECTS_CAPTION)
    if which == "summary":
        return figures
    taken: set[str] = set()
    for m in result.measures:
        spec = declared_columns().get(m)
        label = column_label(m)
        counts = {c: d.n for c, d in result.describe[m].items()}
        path = folder / f"dist_{plot_name(m, taken)}.png"
        samples = result.samples[m]
        zero_heavy = any(v.size and np.mean(v == 0) >= ZERO_HEAVY for v in samples.values())
        draw = plots.zero_inflated_plot if zero_heavy else plots.distribution_plot
        caption = (
            f"{label}: share of texts at exactly 0 per corpus, and the distribution of the non-zero values "
            f"(violin from at most {plots.KDE_MAX_POINTS:,} values per corpus, and empirical CDF)."
            if zero_heavy
            else f"{label}: distribution per corpus (violin from at most {plots.KDE_MAX_POINTS:,} values per "
            "corpus) and empirical CDF."
        )
        figures[f"dist_{m}"] = (
            draw(samples, path, title=m, xlabel=label, counts=counts, xlim=spec.limits if spec else None),
            caption,
        )
    return figures


_EFFECTS_CAPTION = (
    "Cliff's delta for every pair (row: first corpus vs second) and measure; red: the first corpus scores "
    "higher. Letters: N negligible, S small, M medium, L large; * Holm-adjusted p < 0.05."
)


def _effects_plot(result: Comparison, path: Path) -> Path:
    pair_names = list(dict.fromkeys(f"{p.corpus_a} vs {p.corpus_b}" for p in result.pairs))
    matrix = np.full((len(pair_names), len(result.measures)), np.nan)
    notes = [["" for _ in result.measures] for _ in pair_names]
    for p in result.pairs:
        i, j = pair_names.index(f"{p.corpus_a} vs {p.corpus_b}"), result.measures.index(p.measure)
        matrix[i, j] = p.test.cliffs_delta
        star = "*" if p.p_holm < 0.05 else ""
        notes[i][j] = f"{p.test.cliffs_delta:+.2f}\n{p.test.magnitude[0].upper()}{star}"
    return plots.heatmap(
        matrix, pair_names, result.measures, path, title="Effect sizes (Cliff's delta)",
        colorbar_label="Cliff's delta", annotations=notes, vmin=-1, vmax=1,
    )  # fmt: skip


def _n(value: float) -> str:
    return format_significant(float(value))


def _signed(value: float) -> str:
    text = format_significant(float(value))
    return text if text.startswith("-") or text == "0" else f"+{text}"


def _mean_ci(d: stats.Describe) -> str:
    return f"{_n(d.mean)} [{_n(d.ci_low)}, {_n(d.ci_high)}]"


def _pair(result: Comparison, measure: str, a: str, b: str) -> tuple[float, float, float, str, float] | None:
    """(delta, ci low, ci high, magnitude, Holm p) of ``a`` vs ``b`` (signs flipped when listed as b, a)."""
    for p in result.pairs:
        if p.measure == measure and {p.corpus_a, p.corpus_b} == {a, b}:
            t = p.test
            if p.corpus_a == a:
                return t.cliffs_delta, t.delta_ci_low, t.delta_ci_high, t.magnitude, p.p_holm
            return -t.cliffs_delta, -t.delta_ci_high, -t.delta_ci_low, t.magnitude, p.p_holm
    return None


def contrast_sentence(result: Comparison, measure: str, a: str, b: str) -> str | None:
    """``a`` vs ``b`` on ``measure`` in words, with Cliff's delta, its 95% CI and the means."""
    found = _pair(result, measure, a, b)
    if found is None:
        return None
    delta, low, high, magnitude, p = found
    column = declared_columns().get(measure)
    quality = column.higher if column and column.higher else f"higher in {measure}"
    da, db = result.describe[measure][a], result.describe[measure][b]
    numbers = (
        f"Cliff's δ {_signed(delta)} ({magnitude}), 95% CI [{_signed(low)}, {_signed(high)}]; "
        f"means {_n(da.mean)} vs {_n(db.mean)}; Holm p {format_p(p)}"
    )
    if magnitude == "negligible":
        return f"{measure}: {a} and {b} hardly differ ({numbers})."
    more, less = (a, b) if delta > 0 else (b, a)
    return f"{measure}: text in {more} is {_more(quality)} than in {less}: {numbers}."


def _more(quality: str) -> str:
    return quality if quality.startswith(("higher", "more", "less")) else f"more {quality}"


def _share_line(result: Comparison, a: str, b: str) -> str | None:
    values: dict[str, dict[str, float]] = {}
    for s in result.shares:
        if s.corpus in (a, b):
            values.setdefault(s.share.split(" (")[0], {})[s.corpus] = s.value
    parts = [f"{name} {v[a]:.1%} vs {v[b]:.1%}" for name, v in values.items() if a in v and b in v]
    return f"shares of texts, {a} vs {b}: {'; '.join(parts)}." if parts else None


def headlines(result: Comparison) -> list[str]:
    """The headline: per contrast (``--contrast``; the only pair when two corpora are compared) and
    headline measure a sentence in words; with more corpora and no contrast, the pairs that differ most."""
    measures = [m for m in headline_columns() if m in result.measures]
    contrasts = list(result.contrasts)
    if not contrasts and len(result.corpora) == 2:
        contrasts = [(result.corpora[0], result.corpora[1])]
    lines: list[str] = []
    for a, b in contrasts:
        lines += [line for m in measures if (line := contrast_sentence(result, m, a, b))]
        if share := _share_line(result, a, b):
            lines.append(share)
    if contrasts:
        return lines + _language_lines(result)
    for m in measures:
        described = {c: d for c, d in result.describe[m].items() if d.n}
        if not described:
            continue
        pairs = sorted((p for p in result.pairs if p.measure == m), key=lambda p: -abs(p.test.cliffs_delta))
        if not pairs:
            only = next(iter(described))
            lines.append(f"{m}: mean {_mean_ci(described[only])} in {only}.")
            continue
        top = ", ".join(
            f"{p.corpus_a} vs {p.corpus_b} (δ {_signed(p.test.cliffs_delta)}, {p.test.magnitude})" for p in pairs[:3]
        )
        lines.append(f"{m}: the pairs that differ most are {top}.")
    if len(result.corpora) > 2:
        lines.append(
            "No --contrast was given: name the comparison you mean (--contrast A:B, e.g. after --group) and the "
            "headline states its answer in words."
        )
    return lines + _language_lines(result)


def _language_lines(result: Comparison) -> list[str]:
    """The three commonest languages per corpus, for at most four corpora (the report's table has all)."""
    lines = []
    if len(result.languages) > 4:
        return ["languages: see the Languages table (share of texts per language code and corpus)."]
    for corpus, counts in result.languages.items():
        total = sum(counts.values())
        top = [f"{n / total:.1%} {code or '(no letter)'}" for code, n in list(counts.items())[:3] if total]
        if top:
            lines.append(f"languages of {corpus}: {', '.join(top)}.")
    return lines


def _display(rows: Sequence[Mapping[str, Cell]], pvalues: bool = False) -> list[dict[str, Cell]]:
    """Rows for humans: p-values in scientific notation (0 shown as < 1e-300)."""
    shown = []
    for row in rows:
        row = dict(row)
        if pvalues:
            for key in ("p_value", "p_holm", "ks_p_value"):
                row[key] = format_p(float(row[key]))  # type: ignore[arg-type]
            row.pop("mannwhitney_u")
        shown.append(row)
    return shown


def _measure_lines(result: Comparison) -> list[str]:
    return [f"{m}: {column_label(m)}" for m in result.measures]


def _inputs_lines(result: Comparison, paths: Sequence[str]) -> list[str]:
    rows = {c: max(d.n for d in (result.describe[m][c] for m in result.measures)) for c in result.corpora}
    lines = [f"inputs: {', '.join(paths)}"]
    lines += [f"corpus {c}: {n:,} texts" for c, n in rows.items()]
    if result.skipped:
        lines.append(f"skipped (not in every input): {', '.join(result.skipped)}")
    if result.empty:
        lines.append(f"skipped (no value in any corpus): {', '.join(result.empty)}")
    if len(result.corpora) == 1:
        lines.append("one corpus only: descriptives and plots, no pairwise tests")
    return lines


def _markdown(
    result: Comparison,
    paths: Sequence[str],
    tables: Mapping[str, Sequence[Mapping[str, Cell]]],
    figures: Mapping[str, tuple[Path, str]],
    out: Path,
) -> str:
    parts = ["# Corpus comparison\n", *(f"- {line}" for line in _inputs_lines(result, paths)), ""]
    parts += ["## Headline\n", *(f"- {line}" for line in headlines(result)), ""]
    table = lambda rows: markdown_table(rows, format=format_significant)  # noqa: E731
    parts += ["## Descriptives\n", table(tables["descriptives"]), "## Shares of texts\n"]
    parts += [table(tables["shares"])]
    if tables["languages"]:
        parts += ["## Languages\n", table(tables["languages"])]
    if tables["pairwise"]:
        parts += ["## Pairwise tests\n", table(_display(tables["pairwise"], pvalues=True))]
    parts += ["## Plots\n"]
    parts += [f"![{caption}]({path.relative_to(out).as_posix()})\n" for path, caption in figures.values()]
    parts += ["## Measures\n", *(f"- {line}" for line in _measure_lines(result)), ""]
    parts += ["## Method\n", METHOD, "", "## Sources\n", *(f"- {s}" for s in sources(result.measures)), ""]
    return "\n".join(parts)


def _html(
    result: Comparison,
    paths: Sequence[str],
    tables: Mapping[str, Sequence[Mapping[str, Cell]]],
    figures: Mapping[str, tuple[Path, str]],
) -> HtmlReport:
    page = HtmlReport("Corpus comparison")
    page.bullets(_inputs_lines(result, paths))
    page.heading("Headline")
    page.bullets(headlines(result))
    for name in ("means", "shares", "effects"):
        if name in figures:
            page.figure(*figures[name])
    page.heading("Descriptives")
    page.table(tables["descriptives"], format=format_significant)
    page.heading("Shares of texts")
    page.table(tables["shares"], format=format_significant)
    if tables["languages"]:
        page.heading("Languages")
        page.table(tables["languages"], format=format_significant)
    if tables["pairwise"]:
        page.heading("Pairwise tests")
        page.table(_display(tables["pairwise"], pvalues=True), format=format_significant)
    if any(name.startswith("dist_") for name in figures):
        page.heading("Distributions")
    for name, (path, caption) in figures.items():
        if name.startswith("dist_"):
            page.figure(path, caption)
    page.heading("Measures")
    page.bullets(_measure_lines(result))
    page.heading("Method")
    page.paragraph(METHOD, note=True)
    page.heading("Sources")
    page.bullets(sources(result.measures))
    return page


def _config(paths: Sequence[str], result: Comparison, options: CompareOptions) -> dict:
    return {
        "affectlab": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "inputs": list(paths),
        "corpora": result.corpora,
        "measures": result.measures,
        "skipped_measures": result.skipped,
        "empty_measures": result.empty,
        "groups": dict(options.groups or {}),
        "by": options.by,
        "contrasts": [list(c) for c in result.contrasts],
        "plots": options.plots,
        "seed": options.seed,
        "bootstrap_resamples": stats.BOOTSTRAP_RESAMPLES,
        "bootstrap_max_n": stats.BOOTSTRAP_MAX_N,
        "plot_sample": plots.KDE_MAX_POINTS,
    }
