"""Generic report plots (matplotlib, PNG): distributions, estimates with CIs, heatmaps, grouped bars.

Every function takes plain arrays keyed by group name and writes one PNG atomically. Colours follow the
Okabe–Ito palette (colour-blind safe), one colour per group, in the order groups are given. Figures are
made with matplotlib's object API (:func:`new_figure`), never through pyplot's global state, and drawn in
the house style (:data:`STYLE`, applied in a ``rc_context``), so importing this module or plotting
changes nothing for the caller's own matplotlib use.
"""

from __future__ import annotations

import functools
import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any, TypeVar

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from affectlab.io import atomic_path
from affectlab.report.thinning import subsample

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
KDE_MAX_POINTS = 5_000  # violins are drawn from a seeded subsample of at most this many values per group
VIOLIN_MIN_N = 30  # fewer values than this: every value as a dot, no violin (a density from a few points lies)
COUNT_BARS_MAX_VALUES = 15  # integer values with at most this many distinct values: bars of counts, no violin
ECDF_POINTS = 512
HORIZONTAL_COLORBAR_ROWS = 4  # heat maps with fewer rows get their colour bar underneath
DPI = 120

STYLE: dict[str, Any] = {
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
}
Plot = TypeVar("Plot", bound=Callable[..., Any])


def styled(function: Plot) -> Plot:
    """Run a plotting function inside ``matplotlib.rc_context(STYLE)``."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with matplotlib.rc_context(STYLE):
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def new_figure(**kwargs: Any) -> Figure:
    """A figure of matplotlib's object API (no pyplot, no global figure registry)."""
    return Figure(**kwargs)


def group_colors(groups: Sequence[str]) -> dict[str, str]:
    """A stable colour per group, in the order given (cycles after eight groups)."""
    return {g: OKABE_ITO[i % len(OKABE_ITO)] for i, g in enumerate(groups)}


def save_png(fig: Figure, path: Path) -> Path:
    """Write ``fig`` as PNG to ``path`` atomically."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI, bbox_inches="tight")
    return Path(path)


def tidy_ticks(ax: Any, axis: str = "x", bins: int = 4) -> None:
    """At most ``bins`` ticks on ``axis``, labelled with 3 significant figures, so narrow panels never
    run their tick labels together."""
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(MaxNLocator(nbins=bins, min_n_ticks=2))
    target.set_major_formatter(FuncFormatter(lambda value, _: _tick(value)))


def _tick(value: float) -> str:
    """3 significant figures; whole thousands with separators (``12,000``, not the wider ``1.2e+04``)."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _ecdf(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted values and cumulative shares, thinned to at most ECDF_POINTS steps."""
    x = np.sort(values)
    y = np.arange(1, x.size + 1) / x.size
    if x.size > ECDF_POINTS:
        keep = np.unique(np.linspace(0, x.size - 1, ECDF_POINTS).astype(int))
        x, y = x[keep], y[keep]
    return x, y


def is_integer_valued(values: np.ndarray) -> bool:
    """True when every value is a whole number with few distinct values (counts): drawn as bars of counts."""
    return (
        bool(values.size)
        and bool(np.all(values == np.round(values)))
        and (np.unique(values).size <= COUNT_BARS_MAX_VALUES)
    )


def _body(ax: Any, values: np.ndarray, pos: float, color: str, seed: int) -> str:
    """The shape of one group's values at ``pos``: bars of counts for integer values, dots below
    :data:`VIOLIN_MIN_N` values, else a violin from a seeded subsample. Returns which it drew."""
    if is_integer_valued(values):
        found, counts = np.unique(values, return_counts=True)
        heights = 0.8 * counts / counts.max()  # the commonest value fills the row
        ax.bar(found, heights, bottom=pos - heights / 2, width=0.6, color=color, alpha=0.45, edgecolor=color)
        return "bars"
    if values.size < VIOLIN_MIN_N:
        jitter = np.random.default_rng(seed).uniform(-0.2, 0.2, values.size)
        ax.plot(values, pos + jitter, "o", color=color, alpha=0.6, ms=4, mec="none")
        return "dots"
    shown = subsample(values, KDE_MAX_POINTS, seed)
    if np.ptp(shown) > 0:
        body = ax.violinplot(shown, positions=[pos], vert=False, showextrema=False, widths=0.85)
        for patch in body["bodies"]:
            patch.set_facecolor(color)
            patch.set_edgecolor(color)
            patch.set_alpha(0.45)
    return "violin"


def _violin_and_ecdf(
    ax_violin: Any, ax_ecdf: Any, values: np.ndarray, pos: float, color: str, label: str, seed: int
) -> str:
    """One group's shape (:func:`_body`), IQR bar and median dot at ``pos``, and its ECDF step."""
    drawn = _body(ax_violin, values, pos, color, seed)
    q1, median, q3 = np.quantile(values, [0.25, 0.5, 0.75])
    ax_violin.hlines(pos, q1, q3, color=color, lw=5)
    ax_violin.plot(median, pos, "o", color="white", mec=color, ms=6, zorder=3)
    x, y = _ecdf(values)
    ax_ecdf.step(x, y, where="post", color=color, lw=1.6, label=label)
    return drawn


def drawn_label(group: str, drawn: int, total: int, what: str = "") -> str:
    """A legend entry giving the n actually drawn: ``coco (n=30)``, ``coco (n=20,000 drawn of 66,474)``,
    ``poems (n=4 non-zero of 30)``."""
    if what:
        return f"{group} (n={drawn:,} {what} of {total:,})"
    return f"{group} (n={total:,})" if drawn == total else f"{group} (n={drawn:,} drawn of {total:,})"


def say_empty(ax: Any, message: str) -> None:
    """Write ``message`` in the middle of a panel that has nothing to draw (never a blank panel)."""
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", fontsize=9, color="0.35")


def _shapes_note(shapes: AbstractSet[str]) -> str:
    notes = {
        "violin": "violin",
        "dots": f"dots: every value (fewer than {VIOLIN_MIN_N})",
        "bars": "bars: texts per value (counts)",
    }
    return "; ".join(notes[s] for s in ("violin", "dots", "bars") if s in shapes)


def _label_violin_and_ecdf(
    ax_violin: Any,
    ax_ecdf: Any,
    xlabel: str,
    xlim: tuple[float, float] | None,
    *,
    nonzero: bool,
    shapes: AbstractSet[str] = frozenset(),
) -> None:
    """Labels, titles, limits, ticks and legend of a violin panel beside its ECDF panel (of all values, or of
    the non-zero ones); ``shapes`` are what the violin panel drew (violin, dots, bars)."""
    shown = f"{xlabel} (non-zero)" if nonzero else xlabel
    ax_violin.set_xlabel(shown)
    what = _shapes_note(shapes) or "distribution"
    ax_violin.set_title(f"{'non-zero values: ' if nonzero else ''}{what}\n(line: IQR, white dot: median)", fontsize=9,
                        fontweight="normal")  # fmt: skip
    ax_ecdf.set_xlabel(shown)
    ax_ecdf.set_ylabel(f"share of {'non-zero ' if nonzero else ''}texts ≤ x")
    ax_ecdf.set_ylim(0, 1.02)
    ax_ecdf.set_title(f"empirical CDF{' of the non-zero values' if nonzero else ''}", fontsize=9, fontweight="normal")
    if ax_ecdf.get_legend_handles_labels()[0]:
        ax_ecdf.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
    if xlim is not None:
        pad = 0.02 * (xlim[1] - xlim[0])
        for ax in (ax_violin, ax_ecdf):
            ax.set_xlim(xlim[0] - pad, xlim[1] + pad)
    for ax in (ax_violin, ax_ecdf):
        tidy_ticks(ax, bins=6)


@styled
def distribution_plot(
    samples: Mapping[str, np.ndarray],
    path: Path,
    *,
    title: str,
    xlabel: str,
    counts: Mapping[str, int] | None = None,
    xlim: tuple[float, float] | None = None,
    seed: int = 0,
) -> Path:
    """Violins (median and quartiles marked) beside empirical CDFs, one colour per group.

    ``counts`` gives the true group sizes for the legend when ``samples`` are subsamples.
    """
    groups = [g for g, v in samples.items() if len(v)]
    colors = group_colors(list(samples))
    fig = new_figure(figsize=(11, 0.55 * len(groups) + 2.2), layout="constrained")
    ax_violin, ax_ecdf = fig.subplots(1, 2, width_ratios=[1.2, 1])
    positions = np.arange(len(groups))[::-1]
    shapes: set[str] = set()
    for pos, group in zip(positions, groups, strict=True):
        values = np.asarray(samples[group], dtype=float)
        n = (counts or {}).get(group, values.size)
        label = drawn_label(group, values.size, n)
        shapes.add(_violin_and_ecdf(ax_violin, ax_ecdf, values, pos, colors[group], label, seed))
    ax_violin.set_yticks(positions, groups)
    _label_violin_and_ecdf(ax_violin, ax_ecdf, xlabel, xlim, nonzero=False, shapes=shapes)
    if not groups:
        for ax in (ax_violin, ax_ecdf):
            say_empty(ax, "no values to draw")
    fig.suptitle(title, fontweight="bold")
    return save_png(fig, path)


@styled
def zero_inflated_plot(
    samples: Mapping[str, np.ndarray],
    path: Path,
    *,
    title: str,
    xlabel: str,
    counts: Mapping[str, int] | None = None,
    xlim: tuple[float, float] | None = None,
    seed: int = 0,
) -> Path:
    """For a measure that is mostly 0: the share of texts at exactly 0 per group (bars), beside the
    distribution of the non-zero values (violins with median and quartiles, and their empirical CDF)."""
    groups = list(samples)
    colors = group_colors(groups)
    fig = new_figure(figsize=(12, 0.55 * len(groups) + 2.2), layout="constrained")
    ax_zero, ax_violin, ax_ecdf = fig.subplots(1, 3, width_ratios=[0.6, 1.2, 1])
    positions = np.arange(len(groups))[::-1]
    shapes: set[str] = set()
    for pos, group in zip(positions, groups, strict=True):
        values = np.asarray(samples[group], dtype=float)
        zero = float(np.mean(values == 0)) if values.size else float("nan")
        ax_zero.barh(pos, zero, color=colors[group], height=0.7)
        if np.isfinite(zero):
            inside = zero > 0.6  # the label inside a long bar (white), else after it
            ax_zero.text(zero - 0.02 if inside else zero + 0.02, pos, f"{zero:.0%}", va="center", fontsize=8,
                         ha="right" if inside else "left", color="white" if inside else "black")  # fmt: skip
        nonzero = values[values != 0]
        n = (counts or {}).get(group, values.size)
        total = f"{values.size:,} drawn of {n:,}" if values.size != n else f"{n:,}"
        if nonzero.size:
            label = f"{group} (n={nonzero.size:,} non-zero of {total})"
            shapes.add(_violin_and_ecdf(ax_violin, ax_ecdf, nonzero, pos, colors[group], label, seed))
        elif values.size:
            ax_violin.text(0.5, pos, f"{group}: all {values.size:,} values are 0", va="center", ha="center",
                           fontsize=8, color="0.35", transform=ax_violin.get_yaxis_transform())  # fmt: skip
    if not shapes:
        say_empty(ax_ecdf, "every value is 0: nothing to draw")
    ax_zero.set_yticks(positions, groups)
    ax_zero.set_xlim(0, 1)
    ax_zero.set_xlabel("share of texts at 0")
    ax_zero.set_title("exactly 0", fontsize=9, fontweight="normal")
    ax_violin.set_yticks(positions, [])
    ax_violin.set_ylim(-0.6, len(groups) - 0.4)
    _label_violin_and_ecdf(ax_violin, ax_ecdf, xlabel, xlim, nonzero=True, shapes=shapes)
    tidy_ticks(ax_zero, bins=4)
    fig.suptitle(title, fontweight="bold")
    return save_png(fig, path)


@styled
def interval_grid(
    panels: Mapping[str, Mapping[str, tuple[float, float, float]]],
    path: Path,
    *,
    title: str,
    ncols: int = 4,
    xlim: Mapping[str, tuple[float, float]] | None = None,
) -> Path:
    """Small multiples: per panel, one dot (estimate) with a horizontal CI bar per group.

    ``panels[panel][group] = (estimate, low, high)``; groups keep one colour across panels.
    """
    groups = list(dict.fromkeys(g for panel in panels.values() for g in panel))
    colors = group_colors(groups)
    nrows = max(1, math.ceil(len(panels) / ncols))
    fig = new_figure(figsize=(3.1 * ncols, 0.32 * len(groups) * nrows + 1.3 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    positions = dict(zip(groups, np.arange(len(groups))[::-1], strict=True))
    for ax, (name, estimates) in zip(axes.flat, panels.items(), strict=False):
        for group, (estimate, low, high) in estimates.items():
            if not np.isfinite(estimate):
                continue
            ax.errorbar(
                estimate,
                positions[group],
                xerr=[[max(0.0, estimate - low)], [max(0.0, high - estimate)]],
                fmt="o",
                color=colors[group],
                ms=5,
                capsize=3,
                lw=1.6,
            )
        ax.set_yticks(list(positions.values()), list(positions) if ax in axes[:, 0] else [])
        ax.set_ylim(-0.6, len(groups) - 0.4)
        ax.set_title(textwrap.shorten(name, 34, placeholder="..."), fontsize=9)
        if xlim and name in xlim:
            ax.set_xlim(*xlim[name])
        tidy_ticks(ax, bins=3)
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    fig.suptitle(title, fontweight="bold")
    return save_png(fig, path)


@styled
def heatmap(
    matrix: np.ndarray,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    path: Path,
    *,
    title: str,
    colorbar_label: str,
    annotations: Sequence[Sequence[str]] | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    cmap: str = "RdBu_r",
    note: str | None = None,
) -> Path:
    """A labelled heatmap (NaN cells blank), with an optional text label in every cell and a ``note`` under
    it. With fewer than :data:`HORIZONTAL_COLORBAR_ROWS` rows the colour bar lies under the map (a
    vertical one would be a sliver)."""
    matrix = np.asarray(matrix, dtype=float)
    short = len(row_labels) < HORIZONTAL_COLORBAR_ROWS
    size = (0.75 * len(col_labels) + 3.5, 0.45 * len(row_labels) + (2.4 if short else 1.8))
    fig = new_figure(figsize=size, layout="constrained" if short else None)  # constrained: bar below the labels
    ax = fig.subplots()
    image = ax.imshow(np.ma.masked_invalid(matrix), cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    ax.set_xticks(range(len(col_labels)), col_labels, rotation=40, ha="right")
    ax.set_yticks(range(len(row_labels)), row_labels)
    ax.grid(False)
    if annotations is not None:
        for (i, j), value in np.ndenumerate(matrix):
            if np.isfinite(value):
                red, green, blue, _ = image.cmap(image.norm(value))
                dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
                ax.text(
                    j,
                    i,
                    annotations[i][j],
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if dark else "black",
                )
    if short:
        bar = fig.colorbar(image, ax=ax, label=colorbar_label, location="bottom", shrink=0.6, aspect=40)
        tidy_ticks(bar.ax, "x", bins=4)
    else:
        fig.colorbar(image, ax=ax, label=colorbar_label, shrink=0.8)
    ax.set_title(title)
    if note:
        fig.text(0.01, 0.005, textwrap.fill(note, 110), fontsize=8, color="0.3", va="bottom")
    if not short:
        fig.tight_layout(rect=(0, 0.05 if note else 0, 1, 1))
    return save_png(fig, path)


def confusion_png(cm: np.ndarray, labels: Sequence[str], path: Path, title: str) -> Path:
    """Row-normalised confusion matrix (rows = true, columns = predicted) with counts in the cells (one
    decimal when they are means, e.g. over fold probes)."""
    cm = np.asarray(cm)
    totals = cm.sum(axis=1, keepdims=True)
    share = np.divide(cm, totals, out=np.full(cm.shape, np.nan), where=totals > 0)
    notes = [[str(int(v)) if float(v).is_integer() else f"{v:.1f}" for v in row] for row in cm]
    rows = [f"{name} (true)" for name in labels]
    return heatmap(
        share,
        rows,
        list(labels),
        path,
        title=f"{title}\nrows = true, columns = predicted",
        colorbar_label="share of the true class",
        annotations=notes,
        vmin=0,
        vmax=1,
        cmap="Blues",
    )


@styled
def grouped_bars(
    values: Mapping[str, Mapping[str, tuple[float, float, float]]],
    path: Path,
    *,
    title: str,
    ylabel: str,
) -> Path:
    """Bars per category, one colour per group: ``values[category][group] = (value, low, high)``."""
    categories = list(values)
    groups = list(dict.fromkeys(g for cat in values.values() for g in cat))
    colors = group_colors(groups)
    width = 0.8 / max(1, len(groups))
    fig = new_figure(figsize=(max(6.0, min(13.0, len(categories) * (0.45 * len(groups) + 0.5))), 3.8))
    ax = fig.subplots()
    for k, group in enumerate(groups):
        xs, heights, err = [], [], [[], []]
        for i, cat in enumerate(categories):
            if group in values[cat] and np.isfinite(values[cat][group][0]):
                value, low, high = values[cat][group]
                xs.append(i + (k - (len(groups) - 1) / 2) * width)
                heights.append(value)
                err[0].append(max(0.0, value - low))  # rounding can put a bound a hair past the value
                err[1].append(max(0.0, high - value))
        ax.bar(xs, heights, width=width * 0.95, color=colors[group], label=group, yerr=err, capsize=2)
    ax.set_xticks(range(len(categories)), [textwrap.fill(c, 16) for c in categories])
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="x", visible=False)
    fig.tight_layout()
    return save_png(fig, path)
