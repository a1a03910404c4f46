"""Timeline plot of per-window class probabilities (one line per class, top class per window below)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from affectlab.report.plots import OKABE_ITO, new_figure, save_png, styled


@styled
def timeline_png(
    probs: np.ndarray, labels: Sequence[str], times: Sequence[float], path: Path | None, title: str
) -> Figure:
    """Probabilities ``[windows, classes]`` against window-centre times (s), with the top class per window;
    written as PNG to ``path`` when given. Returns the figure."""
    probs = np.asarray(probs)
    fig = new_figure(figsize=(9, 4.2))
    ax, strip = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [5, 1]})
    for k, name in enumerate(labels):
        ax.plot(times, probs[:, k], marker="o", ms=3, lw=1.5, color=OKABE_ITO[k % len(OKABE_ITO)], label=name)
    ax.set_ylim(0, 1)
    ax.set_ylabel("probability")
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    top = probs.argmax(axis=1)
    strip.scatter(times, np.zeros(len(times)), c=[OKABE_ITO[k % len(OKABE_ITO)] for k in top], marker="s", s=60)
    strip.set_yticks([])
    strip.set_ylabel("top", rotation=0, ha="right", va="center")
    strip.set_xlabel("time (s, window centre)")
    fig.tight_layout()
    if path is not None:
        save_png(fig, path)
    return fig
