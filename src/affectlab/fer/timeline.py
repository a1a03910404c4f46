"""Timeline plot of emotion probabilities over a whole video, with the face signal, one row per face track.

Per track, three panels sharing one time axis that always spans 0 to the video's duration: the class probabilities
(one fixed colour per canonical emotion, :func:`affectlab.fer.data.labels.emotion_colours`), the top class
per frame or window (grey hatching where no face was found), and the face score with the 0.5 threshold.
Per-frame predictions (the frame baseline) are drawn as lines over the frames, optionally smoothed by a
centred moving average (the raw values stay as faint lines); window predictions (probe runs) keep their
window resolution: each window holds its value over the stretch of time nearest to its centre.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from affectlab.fer.data.labels import emotion_colours
from affectlab.report.plots import new_figure, save_png, styled

NO_FACE = "#BBBBBB"


@dataclass(frozen=True)
class TimelineRow:
    """One face track: probabilities ``[rows, classes]`` (NaN rows: no face) and its face scores."""

    name: str  # shown on the left of its panels ("" for a single track)
    probs: np.ndarray
    face_scores: np.ndarray | None = None


def cell_edges(centres: np.ndarray, duration: float) -> np.ndarray:
    """``[n + 1]`` edges of the stretches nearest to each centre, from 0 to ``duration``."""
    centres = np.asarray(centres, dtype=float)
    middles = (centres[1:] + centres[:-1]) / 2
    return np.concatenate([[0.0], middles, [max(duration, float(centres.max(initial=0)))]])


def moving_average(values: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average over ``width`` rows of ``[n, k]`` values, ignoring NaN (no-face) rows."""
    if width <= 1:
        return values
    valid = np.isfinite(values)
    kernel = np.ones(width)
    total = np.apply_along_axis(lambda c: np.convolve(c, kernel, "same"), 0, np.where(valid, values, 0.0))
    count = np.apply_along_axis(lambda c: np.convolve(c, kernel, "same"), 0, valid.astype(float))
    out = np.divide(total, count, out=np.full(values.shape, np.nan), where=count > 0)
    out[~valid] = np.nan  # no face, no value: smoothing never invents one
    return out


def class_runs(classes: np.ndarray, lefts: np.ndarray, rights: np.ndarray) -> list[tuple[int, float, float]]:
    """``(class, left, right)`` per run of equal classes over cells that touch (one span drawn per run,
    not per frame: a long video's strip stays a few artists); cells with a gap between stay apart."""
    runs: list[tuple[int, float, float]] = []
    for k, left, right in zip(classes.tolist(), lefts.tolist(), rights.tolist(), strict=True):
        if runs and runs[-1][0] == k and np.isclose(runs[-1][2], left):
            runs[-1] = (k, runs[-1][1], right)
        else:
            runs.append((k, left, right))
    return runs


@styled
def timeline_png(
    tracks: Sequence[TimelineRow],
    labels: Sequence[str],
    starts: Sequence[float],
    ends: Sequence[float],
    duration: float,
    path: Path | None,
    title: str | tuple[str, str],
    *,
    per_frame: bool = False,
    smooth_s: float = 0.0,
) -> Figure:
    """One row of panels per track for frames or windows spanning ``starts`` to ``ends`` seconds, over
    ``0..duration``; written as PNG to ``path`` when given. Returns the figure."""
    starts, ends = np.asarray(starts, dtype=float), np.asarray(ends, dtype=float)
    centres = (starts + ends) / 2
    edges = cell_edges(centres, duration)
    colours = emotion_colours(labels)
    ratios: list[float] = []
    for track in tracks:
        ratios += [5, 0.9] + ([1.6] if track.face_scores is not None else [])
    fig = new_figure(figsize=(10, 0.6 + 0.62 * sum(ratios)))
    axes = list(np.atleast_1d(fig.subplots(len(ratios), 1, sharex=True, gridspec_kw={"height_ratios": ratios})))
    fps = 1.0 / np.median(np.diff(starts)) if per_frame and len(starts) > 1 else 0.0
    width = max(1, round(smooth_s * fps)) if smooth_s and fps else 1
    for n, track in enumerate(tracks):
        ax, strip = axes.pop(0), axes.pop(0)
        face = axes.pop(0) if track.face_scores is not None else None
        probs = np.asarray(track.probs, dtype=float)
        has_face = np.isfinite(probs).all(axis=1)
        smoothed = moving_average(probs, width) if per_frame else None
        for k, name in enumerate(labels):
            if smoothed is not None:
                if width > 1:
                    ax.plot(centres, probs[:, k], lw=0.7, alpha=0.25, color=colours[k])
                ax.plot(centres, smoothed[:, k], lw=1.6, color=colours[k], label=name)
            else:
                ax.stairs(probs[:, k], edges, lw=1.6, color=colours[k], label=name, baseline=None)
                ax.plot(centres, probs[:, k], "o", ms=3.5, color=colours[k])
        ax.set_ylim(0, 1)
        ax.set_xlim(0, duration)
        ax.set_ylabel(f"{track.name}\nprobability" if track.name else "probability")
        if n == 0:
            first, second = (title, "") if isinstance(title, str) else title
            ax.set_title(first if not second else f"{first}\n{second}", fontsize=9)
            handles = [Line2D([], [], color=c, lw=2, label=n) for n, c in zip(labels, colours, strict=True)]
            handles.append(Patch(facecolor="white", edgecolor=NO_FACE, hatch="///", label="no face"))
            ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
        top = np.where(has_face, np.nan_to_num(probs, nan=-1).argmax(axis=1), -1)
        lefts, rights = (starts, ends) if per_frame else (edges[:-1], edges[1:])
        for k, left, right in class_runs(top, lefts, rights):
            if k < 0:
                strip.axvspan(left, right, facecolor="white", edgecolor=NO_FACE, hatch="///", lw=0)
            else:
                strip.axvspan(left, right, color=colours[k], lw=0)
        strip.set_yticks([])
        strip.set_ylabel("top", rotation=0, ha="right", va="center")
        strip.grid(False)
        if face is not None:
            face.plot(centres, track.face_scores, color="#333333", lw=1.2, marker="" if per_frame else "o", ms=3)
            face.axhline(0.5, color="#D55E00", lw=0.8, ls="--")
            face.set_ylim(0, 1.05)
            face.set_ylabel("face\nscore", rotation=0, ha="right", va="center")
    fig.axes[-1].set_xlabel(
        f"time (s) over the whole video; {'one point per frame' if per_frame else 'one value per window'}"
        + (f", {smooth_s:g} s moving average" if width > 1 else "")
    )
    fig.tight_layout()
    if path is not None:
        save_png(fig, path)
    return fig
