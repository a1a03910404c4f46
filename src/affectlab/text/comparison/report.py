"""Write a corpus comparison to a folder: CSV and Markdown tables, PNG plots, ``summary.md``, ``report.html``.

Raw corpora among the inputs (anything that is not a score parquet) are profiled first into
``OUT/scores/<name>.parquet`` with :func:`affectlab.text.profiling.profile_corpora`.
"""

from __future__ import annotations

import csv
import dataclasses
import platform
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import scipy

from affectlab.io import atomic_path, write_json, write_text
from affectlab.report import plots
from affectlab.report.html import Cell, HtmlReport, format_p, format_significant, markdown_table
from affectlab.text.comparison import stats
from affectlab.text.comparison.core import (
    Comparison,
    PairRow,
    column_label,
)
from affectlab.text.comparison.stats import cliffs_magnitude
from affectlab.text.config import CompareOptions
from affectlab.text.measures import declared_columns, families
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
    "pattern's subjectivity and polarity are 0 by convention when a text holds no word of pattern's lexicon "
    "(n_pattern_words = 0): no evidence, not a measured 'objective' or 'neutral' text. "
    "Per measure and corpus: n (texts with a value), mean, sd, median, IQR and a seeded percentile bootstrap "
    f"95% CI of the mean ({stats.BOOTSTRAP_RESAMPLES} resamples; above {stats.BOOTSTRAP_MAX_N:,} texts the "
    "m-out-of-n bootstrap with m = that bound, deviations scaled by sqrt(m/n)). Shares come with Wilson 95% "
    "intervals. Every pair of corpora is compared per measure with a two-sided Mann-Whitney U test (scipy), "
    "Cliff's delta = 2U/(n_a n_b) - 1 = P(a > b) - P(a < b) (positive: the first corpus scores higher), "
    "with a 95% confidence interval of delta (Cliff's 1993 unbiased variance estimate, floored at "
    "(1 - d^2)/(n_a n_b - 1), and the asymmetric interval of Feng & Cliff 2004; computed from ranks), "
    "and the two-sample Kolmogorov-Smirnov distance D. p-values are Holm-adjusted over all tests in the "
    "report (all measures x all pairs). When a group has fewer than "
    f"{stats.SMALL_GROUP} texts, or |delta| = 1, the CI of delta also covers the interval from the Birnbaum-Klose "
    "(1957) variance bound (the Wilson interval of P(a > b) with n = min(n_a, n_b)), which is valid at any n. "
    "Length-adjusted delta: texts binned by token count (bins "
    f"{', '.join(stats.length_bin_names())} tokens), delta computed within each bin both corpora have and "
    "averaged with weights n_a,k n_b,k (= P(a > b) - P(a < b) over pairs of texts of similar length); its "
    "CI from the per-bin Cliff variances (Feng-Cliff interval). Clustered texts (several captions of one "
    "image, lines of one poem, utterances about one painting: the 'cluster' column, or --cluster): a "
    f"seeded percentile cluster bootstrap ({stats.CLUSTER_RESAMPLES} resamples drawing whole clusters, "
    "separately per corpus) gives the CIs of delta and length-adjusted delta of the pairs the headline "
    "answers. A direction is stated only when the CI of delta (the cluster bootstrap's when clustered) "
    "excludes 0, the Holm-adjusted p is below alpha, and both groups have at least "
    f"{stats.SMALL_GROUP} texts; otherwise the headline says 'no evidence of a difference'. The Mann-Whitney "
    "p treats texts as independent. Magnitudes: |delta| < 0.147 negligible, < 0.33 small, < 0.474 "
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
         "magnitude": p.test.magnitude, "direction": direction(p, result.alpha),
         "delta_cluster_ci95_low": p.cluster_ci[0], "delta_cluster_ci95_high": p.cluster_ci[1],
         "clusters_a": p.clusters[0], "clusters_b": p.clusters[1],
         "delta_length_adjusted": p.adjusted[0], "delta_length_adjusted_ci_low": p.adjusted[1],
         "delta_length_adjusted_ci_high": p.adjusted[2],
         "ks_distance": p.test.ks_distance, "ks_p_value": p.test.ks_p_value}
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
        shown, total = effect_rows(result)
        left_out = f" {len(shown)} of {total} pairs shown (largest |δ| first); all in pairwise.csv."
        left_out = left_out if total > len(shown) else ""
        figures["effects"] = (_effects_plot(result, folder / "effects.png"), _EFFECTS_CAPTION + left_out)
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
    "higher. Letters: N negligible, S small, M medium, L large; * a direction the evidence allows (95% CI "
    "excludes 0 and Holm-adjusted p < alpha, both groups of at least 20 texts)."
)


EFFECTS_MAX_ROWS = 20  # pairs drawn in the effects heat map: those with the largest |delta| (all in pairwise.csv)


def effect_rows(result: Comparison) -> tuple[list[str], int]:
    """The pairs the effects heat map shows, largest max |delta| over measures first, at most
    :data:`EFFECTS_MAX_ROWS`; and how many pairs there are in all."""
    largest: dict[str, float] = {}
    for p in result.pairs:
        name = f"{p.corpus_a} vs {p.corpus_b}"
        largest[name] = max(largest.get(name, 0.0), abs(p.test.cliffs_delta))
    ordered = sorted(largest, key=lambda name: -largest[name])  # stable: ties keep the report's order
    return ordered[:EFFECTS_MAX_ROWS], len(ordered)


def _effects_plot(result: Comparison, path: Path) -> Path:
    pair_names, total = effect_rows(result)
    row = {name: i for i, name in enumerate(pair_names)}
    matrix = np.full((len(pair_names), len(result.measures)), np.nan)
    notes = [["" for _ in result.measures] for _ in pair_names]
    for p in result.pairs:
        i = row.get(f"{p.corpus_a} vs {p.corpus_b}")
        if i is None:
            continue
        j = result.measures.index(p.measure)
        matrix[i, j] = p.test.cliffs_delta
        star = "*" if direction(p, result.alpha) in ("higher", "lower") else ""
        notes[i][j] = f"{p.test.cliffs_delta:+.2f}\n{p.test.magnitude[0].upper()}{star}"
    note = None
    if total > len(pair_names):
        note = (f"{len(pair_names)} of {total} pairs shown: those with the largest |delta| in any measure; the "
                f"other {total - len(pair_names)} are in pairwise.csv.")  # fmt: skip
    return plots.heatmap(
        matrix, pair_names, result.measures, path, title="Effect sizes (Cliff's delta), largest first",
        colorbar_label="Cliff's delta", annotations=notes, vmin=-1, vmax=1, note=note,
    )  # fmt: skip


def _n(value: float) -> str:
    return format_significant(float(value))


def _signed(value: float) -> str:
    text = format_significant(float(value))
    return text if text.startswith("-") or text == "0" else f"+{text}"


def _mean_ci(d: stats.Describe) -> str:
    return f"{_n(d.mean)} [{_n(d.ci_low)}, {_n(d.ci_high)}]"


def _pair(result: Comparison, measure: str, a: str, b: str) -> PairRow | None:
    """The test of ``a`` vs ``b`` on ``measure``, turned to read as ``a`` vs ``b`` (signs flipped when the
    report lists the pair as b, a)."""
    for p in result.pairs:
        if p.measure == measure and {p.corpus_a, p.corpus_b} == {a, b}:
            return p if p.corpus_a == a else flipped(p)
    return None


def flipped(p: PairRow) -> PairRow:
    """``p`` read the other way round: b vs a (every delta and bound negated and swapped)."""
    t = p.test
    test = dataclasses.replace(t, n_a=t.n_b, n_b=t.n_a, u=t.n_a * t.n_b - t.u, cliffs_delta=-t.cliffs_delta,
                               delta_ci_low=-t.delta_ci_high, delta_ci_high=-t.delta_ci_low)  # fmt: skip
    d, low, high = p.adjusted
    return dataclasses.replace(
        p, corpus_a=p.corpus_b, corpus_b=p.corpus_a, test=test, median_a=p.median_b, median_b=p.median_a,
        adjusted=(-d, -high, -low), cluster_ci=(-p.cluster_ci[1], -p.cluster_ci[0]), clusters=p.clusters[::-1],
    )  # fmt: skip


def direction(p: PairRow, alpha: float) -> str:
    """What the evidence allows: ``higher`` / ``lower`` (a vs b), ``none`` or ``too small``.

    A direction needs both groups of at least :data:`stats.SMALL_GROUP` texts, a 95% CI of delta (the
    cluster bootstrap's when the texts are clustered) that excludes 0, and a Holm-adjusted p below ``alpha``.
    """
    if min(p.test.n_a, p.test.n_b) < stats.SMALL_GROUP:
        return "too small"
    low, high = p.delta_ci
    if not (p.p_holm < alpha and (low > 0 or high < 0)):
        return "none"
    return "higher" if p.test.cliffs_delta > 0 else "lower"


def _plural(unit: str, n: int) -> str:
    return f"{n:,} {unit}{'' if n == 1 or unit.endswith('s') else 's'}"


def units_text(result: Comparison, corpus: str) -> str:
    """The sampling units of ``corpus`` in words, e.g. ``5,000 images`` or ``3,210 poems + 820 texts``."""
    return " + ".join(_plural(unit, n) for unit, n in result.units.get(corpus, {}).items())


def _numbers(result: Comparison, p: PairRow, measure: str) -> str:
    a, b = p.corpus_a, p.corpus_b
    low, high = p.delta_ci
    how = f" (cluster bootstrap over {units_text(result, a)} vs {units_text(result, b)})" if p.clustered else ""
    delta = f"Cliff's δ {_signed(p.test.cliffs_delta)} ({p.test.magnitude})"
    text = f"{delta}, 95% CI [{_signed(low)}, {_signed(high)}]{how}"
    d, adj_low, adj_high = p.adjusted
    if np.isfinite(d):
        text += f"; length-adjusted δ {_signed(d)} [{_signed(adj_low)}, {_signed(adj_high)}]"
    da, db = result.describe[measure][a], result.describe[measure][b]
    return f"{text}; means {_n(da.mean)} vs {_n(db.mean)}; Holm p {format_p(p.p_holm)}"


def contrast_sentence(result: Comparison, measure: str, a: str, b: str) -> str | None:
    """``a`` vs ``b`` on ``measure`` in words, with Cliff's delta, its 95% CI, the length-adjusted delta and
    the means; a direction only where :func:`direction` allows one."""
    p = _pair(result, measure, a, b)
    if p is None:
        return None
    numbers = _numbers(result, p, measure)
    found = direction(p, result.alpha)
    if found == "too small":
        small, n = (a, p.test.n_a) if p.test.n_a < p.test.n_b else (b, p.test.n_b)
        return (
            f"{measure}: {small} has {n:,} text{'s' if n != 1 else ''} with a value, too few for a direction "
            f"(fewer than {stats.SMALL_GROUP}); no evidence of a difference between {a} and {b} ({numbers})."
        )
    if found == "none":
        return f"{measure}: no evidence of a difference between {a} and {b} ({numbers})."
    if p.test.magnitude == "negligible":
        return f"{measure}: {a} and {b} hardly differ ({numbers})."
    column = declared_columns().get(measure)
    quality = column.higher if column and column.higher else f"higher in {measure}"
    more, less = (a, b) if found == "higher" else (b, a)
    line = f"{measure}: text in {more} is {_more(quality)} than in {less}: {numbers}."
    d = p.adjusted[0]
    if np.isfinite(d) and cliffs_magnitude(d) == "negligible":
        line += (
            f" Once text length is held fixed the effect shrinks to negligible (length-adjusted δ {_signed(d)}): "
            "it goes with text length."
        )
    return line


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
        found = [line for m in measures if (line := contrast_sentence(result, m, a, b))]
        tested = [p for m in measures if (p := _pair(result, m, a, b)) is not None]
        if tested and all(direction(p, result.alpha) in ("none", "too small") for p in tested):
            found.insert(0, f"{a} vs {b}: no evidence of a difference in any headline measure "
                            f"({', '.join(p.measure for p in tested)}).")  # fmt: skip
        lines += found
        if share := _share_line(result, a, b):
            lines.append(share)
    if contrasts:
        return lines + _language_lines(result)
    for m in measures:
        described = {c: d for c, d in result.describe[m].items() if d.n}
        if not described:
            continue
        tested = [p for p in result.pairs if p.measure == m]
        if not tested:
            only = next(iter(described))
            lines.append(f"{m}: mean {_mean_ci(described[only])} in {only}.")
            continue
        pairs = sorted((p for p in tested if direction(p, result.alpha) in ("higher", "lower")),
                       key=lambda p: -abs(p.test.cliffs_delta))  # fmt: skip
        if not pairs:
            lines.append(f"{m}: no evidence of a difference between any two of {', '.join(result.corpora)}.")
            continue
        top = ", ".join(
            f"{p.corpus_a} vs {p.corpus_b} (δ {_signed(p.test.cliffs_delta)}, {p.test.magnitude})" for p in pairs[:3]
        )
        lines.append(f"{m}: of the pairs with evidence of a difference, those that differ most are {top}.")
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
    if result.cluster_column:
        units = "; ".join(f"{c}: {units_text(result, c)}" for c in result.corpora)
        lines.append(f"sampling units (column {result.cluster_column!r}, cluster bootstrap): {units}")
    else:
        lines.append("sampling units: none given; texts are treated as independent (no 'cluster' column)")
    if not result.length_adjusted:
        lines.append("no n_tokens column in every input: no length-adjusted delta")
    lines.append(f"alpha {result.alpha:g}: a direction is stated only when the 95% CI of delta excludes 0 and "
                 "the Holm-adjusted p is below it")  # fmt: skip
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
        "alpha": result.alpha,
        "cluster_column": result.cluster_column,
        "clusters": result.units,
        "cluster_resamples": stats.CLUSTER_RESAMPLES if result.cluster_column else None,
        "length_bins": stats.length_bin_names() if result.length_adjusted else None,
        "bootstrap_resamples": stats.BOOTSTRAP_RESAMPLES,
        "bootstrap_max_n": stats.BOOTSTRAP_MAX_N,
        "plot_sample": plots.KDE_MAX_POINTS,
    }
