"""Timeline plot of per-window class probabilities (one line per class, top class shaded below)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from affectlab.report.plots import OKABE_ITO, save_png


def timeline_png(
    probs: np.ndarray, labels: Sequence[str], times: Sequence[float], path: Path, title: str
) -> Path:
    """Probabilities ``[windows, classes]`` against window-centre times (s), with the top class per window."""
    probs = np.asarray(probs)
    fig, (ax, strip) = plt.subplots(
        2, 1, figsize=(9, 4.2), sharex=True, gridspec_kw={"height_ratios": [5, 1]}
    )
    for k, name in enumerate(labels):
        ax.plot(times, probs[:, k], marker="o", ms=3, lw=1.5, color=OKABE_ITO[k % len(OKABE_ITO)], label=name)
    ax.set_ylim(0, 1)
    ax.set_ylabel("probability")
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    top = probs.argmax(axis=1)
    strip.scatter(
        times, np.zeros(len(times)), c=[OKABE_ITO[k % len(OKABE_ITO)] for k in top], marker="s", s=60
    )
    strip.set_yticks([])
    strip.set_ylabel("top", rotation=0, ha="right", va="center")
    strip.set_xlabel("time (s, window centre)")
    fig.tight_layout()
    return save_png(fig, path)
