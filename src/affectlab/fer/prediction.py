"""``affectlab fer predict``: emotion probabilities over time for one video, and a video-level label.

Sliding windows of ``frames_per_clip`` frames every ``frame_step`` frames (one segment each) start every
``stride`` frames; each window is encoded once per spatial view. With a run, the run's encoder and sampling
are reused and every fold probe scores the window (probabilities averaged over views, then over fold
probes). Without a run, the frame baseline's own FER2013 head scores each face-cropped frame and a window
is the mean over its frames.

The video-level label with a run is what the evaluation protocol gives: the run's full clip sampling
(all segments x test views, as its features were extracted) through every fold probe, softmax averaged
over views and probes. Without a run it is the argmax of the mean window probabilities.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from pydantic import BaseModel, Field
from torch import nn

from affectlab.errors import AffectlabError
from affectlab.fer.cache.store import FeatureInfo
from affectlab.fer.config import Device, PredictConfig, SamplingConfig
from affectlab.fer.data.video import (
    decode_frames,
    normalize,
    resize_short_side,
    sample_clip,
    spatial_views,
    video_info,
    window_indices,
    window_starts,
)
from affectlab.fer.encoders import load_encoder
from affectlab.fer.encoders.runner import SegmentRunner, resolve_device
from affectlab.fer.probes.run import load_run_probes
from affectlab.fer.timeline import timeline_png
from affectlab.io import atomic_path, read_json, write_json

# [views, C, T, H, W] (one window) or [views, segments, C, T, H, W] (a protocol clip) -> [classes]
WindowScorer = Callable[[torch.Tensor], np.ndarray]


class Prediction(BaseModel):
    """Per-window probabilities and the video-level result."""

    video: str
    source: str
    labels: list[str]
    fps: float
    window_starts: list[int]
    window_frames: int
    probs: list[list[float]]
    video_probs: list[float]
    video_label: str
    video_from: str  # how video_probs were obtained
    config: dict = Field(default_factory=dict)  # the PredictConfig that made it

    @property
    def label(self) -> str:
        """The video-level label."""
        return self.video_label

    @property
    def windows(self):
        """One row per window: frames and seconds it spans, its top label, the class probabilities."""
        import pandas as pd

        return pd.DataFrame(window_rows(self))

    def plot(self, path: str | Path | None = None):
        """The emotion timeline as a matplotlib figure (also written as PNG when ``path`` is given)."""
        return timeline_figure(self, path)

    def save(self, out: str | Path) -> dict[str, Path]:
        """``windows.csv``, ``prediction.json``, ``timeline.png`` and ``config.json`` in ``out``."""
        return write_prediction(self, out)

    def __repr__(self) -> str:
        top = sorted(zip(self.video_probs, self.labels, strict=True), reverse=True)[:3]
        return (
            f"Prediction({Path(self.video).name}: {self.video_label} ({', '.join(f'{n} {p:.2f}' for p, n in top)}) "
            f"over {len(self.probs)} windows, {self.source})"
        )


def window_clips(
    path: str | Path, cfg: SamplingConfig, stride: int | None
) -> tuple[np.ndarray, list[torch.Tensor], float]:
    """Window starts, one ``[views, C, T, H, W]`` tensor per window, and the video's fps."""
    n_frames, fps, _, _ = video_info(path)
    span = cfg.frames_per_clip * cfg.frame_step
    starts = window_starts(n_frames, cfg, stride or max(1, span // 2))
    indices = np.stack([window_indices(n_frames, int(s), cfg) for s in starts])
    distinct, inverse = np.unique(indices, return_inverse=True)
    frames = decode_frames(path, distinct)
    if cfg.face_crop:
        from affectlab.fer.data.faces import crop_to_face

        frames = crop_to_face(frames)
    frames = resize_short_side(frames, cfg.resolution)
    one_segment = cfg.model_copy(update={"num_segments": 1})
    clips = []
    for row in inverse.reshape(indices.shape):
        views = spatial_views(frames[row], cfg.resolution, cfg.num_views)
        clips.append(normalize(views, one_segment)[:, 0])
    return starts, clips, fps


def baseline_scorer(checkpoint: str | None = None) -> tuple[WindowScorer, list[str]]:
    """The frame baseline's FER2013 softmax, averaged over a window's frames and views."""
    from affectlab.fer.encoders.frame_baseline import FER_LABELS, FrameBaseline

    model = FrameBaseline(checkpoint).eval()

    def score(clip: torch.Tensor) -> np.ndarray:
        with torch.inference_mode():
            return model.classify_frames(clip).mean(dim=(0, 1)).numpy()

    return score, list(FER_LABELS)


def probe_scorer(runner: SegmentRunner, info: FeatureInfo, probes: Sequence[nn.Module]) -> WindowScorer:
    """Encode every segment through ``runner`` (the run's device, dtype and batching, as extraction),
    pool its tokens as the run's features were pooled, concatenate the segments' tokens per view (as in
    training), and average every probe's softmax over views, then probes."""

    def score(clip: torch.Tensor) -> np.ndarray:
        segments = clip if clip.ndim == 6 else clip.unsqueeze(1)
        views, count = segments.shape[:2]
        tokens = runner(segments.flatten(0, 1), info.pooling)
        tokens = tokens.reshape(views, count * tokens.shape[1], tokens.shape[2])
        with torch.inference_mode():
            return torch.stack([p(tokens).softmax(-1).mean(0) for p in probes]).mean(0).numpy()

    return score


def run_scorer(
    run: str | Path, checkpoint: str | None, device: Device = "auto"
) -> tuple[WindowScorer, list[str], SamplingConfig]:
    """Scorer, labels and sampling of a trained run (its encoder is loaded and its hash checked)."""
    config = read_json(Path(run) / "config.json")
    info = FeatureInfo.model_validate(config["feature_info"])
    sampling = info.sampling
    encoder = load_encoder(info.encoder, checkpoint, sampling)
    if encoder.checkpoint_sha256 != info.checkpoint_sha256:
        raise AffectlabError(
            f"{run}: trained on {info.encoder} weights with sha256 {info.checkpoint_sha256[:12]}..., "
            f"but the checkpoint given hashes to {encoder.checkpoint_sha256[:12]}...; pass --checkpoint"
        )
    folds = load_run_probes(run)
    runner = SegmentRunner(encoder, resolve_device(device))
    return probe_scorer(runner, info, [p for _, p, _ in folds]), folds[0][2].labels, sampling


def predict_video(video: str | Path, cfg: PredictConfig, progress: Callable[[int], None] | None = None) -> Prediction:
    """Score every window of ``video`` and average them into a video-level label."""
    if not Path(video).is_file():
        raise AffectlabError(f"{video}: video not found")
    if cfg.run:
        score, labels, sampling = run_scorer(cfg.run, cfg.checkpoint, cfg.device)
        source = f"run {cfg.run}"
    else:
        (score, labels), sampling = baseline_scorer(cfg.checkpoint), cfg.sampling
        source = "frame-baseline FER2013 head"
    starts, clips, fps = window_clips(video, sampling, cfg.stride)
    probs = []
    for clip in clips:
        probs.append(score(clip))
        if progress is not None:
            progress(1)
    if cfg.run:
        video_probs = score(sample_clip(video, sampling))
        video_from = f"protocol clip: {sampling.num_segments} segments x {sampling.num_views} views"
    else:
        video_probs, video_from = np.mean(probs, axis=0), "mean of the window probabilities"
    return Prediction(
        video=str(video),
        source=source,
        labels=labels,
        fps=fps,
        window_starts=starts.tolist(),
        window_frames=sampling.frames_per_clip * sampling.frame_step,
        probs=np.asarray(probs).tolist(),
        video_probs=np.asarray(video_probs).tolist(),
        video_label=labels[int(np.argmax(video_probs))],
        video_from=video_from,
        config=cfg.model_dump(mode="json"),
    )


def window_rows(pred: Prediction) -> list[dict]:
    """The rows of ``windows.csv``: window, start/end frame and second, top label, probabilities."""
    fps = pred.fps or 1.0
    rows = []
    for i, (start, p) in enumerate(zip(pred.window_starts, pred.probs, strict=True)):
        end = start + pred.window_frames
        rows.append(
            {
                "window": i,
                "start_frame": start,
                "end_frame": end,
                "start_s": round(start / fps, 3),
                "end_s": round(end / fps, 3),
                "label": pred.labels[int(np.argmax(p))],
                **{f"p_{n}": round(float(v), 5) for n, v in zip(pred.labels, p, strict=True)},
            }
        )
    return rows


def timeline_figure(pred: Prediction, path: str | Path | None = None):
    """The timeline of ``pred`` (see :func:`affectlab.fer.timeline.timeline_png`)."""
    fps = pred.fps or 1.0
    centres = [(s + pred.window_frames / 2) / fps for s in pred.window_starts]
    return timeline_png(
        np.asarray(pred.probs),
        pred.labels,
        centres,
        None if path is None else Path(path),
        title=f"{Path(pred.video).name}: video label {pred.video_label} ({pred.source})",
    )


def write_prediction(pred: Prediction, out: str | Path) -> dict[str, Path]:
    """``windows.csv``, ``prediction.json``, ``timeline.png`` and ``config.json`` in ``out``."""
    out = Path(out)
    rows = window_rows(pred)
    with atomic_path(out / "windows.csv") as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    write_json(out / "prediction.json", pred.model_dump(exclude={"config"}))
    write_json(out / "config.json", pred.config)
    timeline_figure(pred, out / "timeline.png")
    return {name: out / name for name in ("windows.csv", "prediction.json", "timeline.png", "config.json")}
