"""``affectlab fer predict``: emotion probabilities over time for one video, with the face signal, and a
video-level label.

The face detector runs on every frame that is scored. A frame with a face has confidence >= 0.5; a
window has a face when at least half of its frames have one. Frames and windows without a face get no
probabilities (null) and no label; a video without a face anywhere gets no video label.

Without a run the frame baseline's own FER2013 head scores single frames (it is a per-frame model): every
``stride`` frames (default: every frame), each cropped to its face (the median face of the frames around
it), and the video label is the argmax of the mean over the frames with a face. With a run, sliding
windows of ``frames_per_clip`` frames every ``frame_step`` frames (one segment each) start every
``stride`` frames (default: half a window); the run's encoder and sampling are reused and every fold probe
scores the window (probabilities averaged over views, then over fold probes). The video-level label with a
run is what the evaluation protocol gives: the run's full clip sampling (all segments x test views, as its
features were extracted) through every fold probe, softmax averaged over views and probes.
"""

from __future__ import annotations

import csv
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from pydantic import BaseModel, Field
from torch import nn

from affectlab.errors import AffectlabError
from affectlab.fer.cache.store import FeatureInfo
from affectlab.fer.config import Device, PredictConfig, SamplingConfig
from affectlab.fer.data.datasets import label_from_name
from affectlab.fer.data.faces import FaceTrack, face_track
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
from affectlab.fer.probes.run import load_run_probes, run_config
from affectlab.fer.timeline import timeline_png
from affectlab.io import atomic_path, write_json
from affectlab.progress import progress_bar

# [views, C, T, H, W] (one window) or [views, segments, C, T, H, W] (a protocol clip) -> [classes]
WindowScorer = Callable[[torch.Tensor], np.ndarray]
Progress = Callable[[int], None]
FRAME_CHUNK = 48  # frames decoded at once in per-frame mode (bounds memory on long or large videos)
BOX_RADIUS_S = 0.25  # per-frame crop: median face of the frames within this many seconds


class NoFaceWarning(UserWarning):
    """No face was found in a video: it gets no emotion label."""


class Prediction(BaseModel):
    """Per-window (or per-frame) probabilities with the face signal, and the video-level result."""

    video: str
    source: str
    labels: list[str]
    fps: float
    n_frames: int = 0
    per_frame: bool = False  # rows are single frames (frame baseline), else windows of window_frames
    window_starts: list[int]
    window_frames: int
    probs: list[list[float] | None]  # None: no face in the window
    face_found: list[bool] = Field(default_factory=list)
    face_score: list[float] = Field(default_factory=list)  # mean face confidence of the window's frames
    face: dict = Field(default_factory=dict)  # frames, frames_with_face, face_share, box_stability, ...
    video_probs: list[float] | None
    video_label: str | None  # None: no face in the video
    video_from: str  # how video_probs were obtained
    true_label: str | None = None  # from the file name (RAVDESS, CREMA-D), when it gives one
    true_from: str | None = None
    config: dict = Field(default_factory=dict)  # the PredictConfig that made it

    @property
    def label(self) -> str | None:
        """The video-level label (None when no face was found)."""
        return self.video_label

    @property
    def duration(self) -> float:
        """Seconds of video."""
        return self.n_frames / (self.fps or 1.0)

    @property
    def windows(self):
        """One row per window: frames and seconds it spans, face found and score, top label, probabilities."""
        import pandas as pd

        return pd.DataFrame(window_rows(self))

    def plot(self, path: str | Path | None = None):
        """The emotion timeline as a matplotlib figure (also written as PNG when ``path`` is given)."""
        return timeline_figure(self, path)

    def save(self, out: str | Path) -> dict[str, Path]:
        """``windows.csv``, ``prediction.json``, ``timeline.png`` and ``config.json`` in ``out``."""
        return write_prediction(self, out)

    def __repr__(self) -> str:
        what = f"{len(self.probs)} {'frames' if self.per_frame else 'windows'}"
        if self.video_probs is None:
            return f"Prediction({Path(self.video).name}: no face found, no label, over {what}, {self.source})"
        top = sorted(zip(self.video_probs, self.labels, strict=True), reverse=True)[:3]
        return (
            f"Prediction({Path(self.video).name}: {self.video_label} ({', '.join(f'{n} {p:.2f}' for p, n in top)}) "
            f"over {what}, faces on {sum(self.face_found)}, {self.source})"
        )

    __str__ = __repr__  # print() shows the summary too (pydantic's __str__ lists every field)

    def __dir__(self) -> list[str]:
        """Without pydantic's deprecated v1 methods (``dict``, ``json``, ``parse_obj``, ...)."""
        return [name for name in super().__dir__() if not hasattr(getattr(type(self), name, None), "__deprecated__")]

    def _repr_html_(self) -> str:
        """In a notebook: the summary line, the timeline inline and the face signal (per track when tracked)."""
        return prediction_html(self)


def _window_faces(track: FaceTrack, rows: np.ndarray) -> tuple[list[bool], list[float]]:
    """Per window (rows of positions into ``track``): a face on at least half its frames; mean score."""
    found = track.found[rows]
    return (found.mean(axis=1) >= 0.5).tolist(), track.scores[rows].mean(axis=1).round(4).tolist()


def window_clips(
    path: str | Path, cfg: SamplingConfig, stride: int | None
) -> tuple[np.ndarray, list[torch.Tensor], float, FaceTrack, np.ndarray]:
    """Window starts, one ``[views, C, T, H, W]`` tensor per window, the fps, the face track of the
    distinct window frames and each window's positions in it ``[windows, T]``. With ``face_crop`` each
    window is cropped to the median face of its own frames."""
    n_frames, fps, _, _ = video_info(path)
    span = cfg.frames_per_clip * cfg.frame_step
    starts = window_starts(n_frames, cfg, stride or max(1, span // 2))
    indices = np.stack([window_indices(n_frames, int(s), cfg) for s in starts])
    distinct, inverse = np.unique(indices, return_inverse=True)
    frames = decode_frames(path, distinct)
    track = face_track(frames)
    rows = inverse.reshape(indices.shape)
    one_segment = cfg.model_copy(update={"num_segments": 1})
    clips = []
    for row in rows:
        window = frames[row]
        if cfg.face_crop:
            sub = FaceTrack(track.scores[row], track.boxes[row], track.height, track.width)
            window = sub.clip_box().crop(window)
        views = spatial_views(resize_short_side(window, cfg.resolution), cfg.resolution, cfg.num_views)
        clips.append(normalize(views, one_segment)[:, 0])
    return starts, clips, fps, track, rows


def baseline_scorer(checkpoint: str | None = None) -> tuple[WindowScorer, list[str]]:
    """The frame baseline's FER2013 softmax per frame: ``[views, C, T, H, W]`` -> ``[T, classes]``."""
    from affectlab.fer.encoders.frame_baseline import FER_LABELS, FrameBaseline

    model = FrameBaseline(checkpoint).eval()

    def score(clip: torch.Tensor) -> np.ndarray:
        with torch.inference_mode():
            return model.classify_frames(clip).mean(dim=0).numpy()

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
    _, info = run_config(run)
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


def frame_positions(n_frames: int, stride: int | None) -> np.ndarray:
    """The frames the per-frame baseline scores: every ``stride`` frames from 0 (default every frame)."""
    return np.arange(0, n_frames, stride or 1, dtype=np.int64)


def _score_frames(
    video: str | Path, cfg: PredictConfig, score: WindowScorer, positions: np.ndarray, fps: float, progress: Progress
) -> tuple[list[np.ndarray | None], FaceTrack]:
    """Per-frame baseline: detect, crop each frame to its face, score the frames with a face, chunk by chunk."""
    sampling = cfg.sampling
    radius = max(1, round(BOX_RADIUS_S * fps / max(1, cfg.stride or 1)))
    probs: list[np.ndarray | None] = []
    scores, boxes, size = [], [], (0, 0)
    for start in range(0, len(positions), FRAME_CHUNK):
        frames = decode_frames(video, positions[start : start + FRAME_CHUNK])
        track = face_track(frames)
        size = (track.height, track.width)
        scores.append(track.scores)
        boxes.append(track.boxes)
        keep = np.nonzero(track.found)[0]
        chunk: list[np.ndarray | None] = [None] * len(frames)
        if len(keep):
            frame_boxes = track.frame_boxes(radius)
            boxes_kept = [frame_boxes[i] for i in keep]
            side = sampling.resolution
            crops = np.concatenate(
                [resize_short_side(b.crop(frames[i : i + 1]), side) for i, b in zip(keep, boxes_kept, strict=True)]
            )
            views = spatial_views(crops, side, 1)
            one_window = sampling.model_copy(update={"num_segments": 1, "frames_per_clip": len(keep)})
            frame_probs = score(normalize(views, one_window)[:, 0])  # [1 view, C, T=frames, H, W] -> [T, classes]
            for i, p in zip(keep, frame_probs, strict=True):
                chunk[i] = p
        probs += chunk
        progress(len(frames))
    return probs, FaceTrack(np.concatenate(scores), np.concatenate(boxes), *size)


def predict_video(video: str | Path, cfg: PredictConfig, progress: bool = False) -> Prediction:
    """Score every frame (frame baseline) or window (run) of ``video`` with its face signal, and the video;
    ``progress`` shows a bar of the frames or windows scored (total and time left)."""
    if not Path(video).is_file():
        raise AffectlabError(f"{video}: video not found")
    n_frames, fps, _, _ = video_info(video)
    if cfg.run:
        score, labels, sampling = run_scorer(cfg.run, cfg.checkpoint, cfg.device)
        source = f"run {cfg.run}"
        starts, clips, fps, track, rows = window_clips(video, sampling, cfg.stride)
        found, face_scores = _window_faces(track, rows)
        probs: list[np.ndarray | None] = []
        with progress_bar("predict", len(clips), "windows", progress) as advance:
            for clip, has_face in zip(clips, found, strict=True):
                probs.append(score(clip) if has_face else None)
                advance(1)
        window_frames, per_frame = sampling.frames_per_clip * sampling.frame_step, False
    else:
        (score, labels), sampling = baseline_scorer(cfg.checkpoint), cfg.sampling
        source = "frame-baseline FER2013 head"
        starts = frame_positions(n_frames, cfg.stride)
        with progress_bar("predict", len(starts), "frames", progress) as advance:
            probs, track = _score_frames(video, cfg, score, starts, fps, advance)
        found, face_scores = track.found.tolist(), track.scores.round(4).tolist()
        window_frames, per_frame = 1, True
    with_face = [p for p in probs if p is not None]
    video_probs: np.ndarray | None = None
    if not with_face:
        video_from = f"no face found on any of {len(track.scores)} frames: no label"
        warnings.warn(f"{video}: {video_from}", NoFaceWarning, stacklevel=2)
    elif cfg.run:
        video_probs = score(sample_clip(video, sampling))
        video_from = (
            f"protocol clip: {sampling.num_segments} segments x {sampling.num_views} views through the run's "
            "fold probes"
        )
    else:
        video_probs = np.mean(with_face, axis=0)
        video_from = f"mean of the {len(with_face)} frames with a face (of {len(probs)} scored)"
    true = label_from_name(video)
    return Prediction(
        video=str(video),
        source=source,
        labels=labels,
        fps=fps,
        n_frames=n_frames,
        per_frame=per_frame,
        window_starts=np.asarray(starts).tolist(),
        window_frames=window_frames,
        probs=[None if p is None else np.asarray(p, dtype=float).tolist() for p in probs],
        face_found=[bool(f) for f in found],
        face_score=[float(s) for s in face_scores],
        face=track.summary(),
        video_probs=None if video_probs is None else np.asarray(video_probs).tolist(),
        video_label=None if video_probs is None else labels[int(np.argmax(video_probs))],
        video_from=video_from,
        true_label=None if true is None else true[0],
        true_from=None if true is None else f"{true[1]} file name",
        config=cfg.model_dump(mode="json"),
    )


def window_rows(pred: Prediction) -> list[dict]:
    """The rows of ``windows.csv``: window, start/end frame and second, face found and score, top label,
    probabilities (empty where no face was found)."""
    fps = pred.fps or 1.0
    rows = []
    found = pred.face_found or [True] * len(pred.probs)
    scores = pred.face_score or [float("nan")] * len(pred.probs)
    for i, (start, p) in enumerate(zip(pred.window_starts, pred.probs, strict=True)):
        end = min(start + pred.window_frames, pred.n_frames or start + pred.window_frames)
        rows.append(
            {
                "window": i,
                "start_frame": start,
                "end_frame": end,
                "start_s": round(start / fps, 3),
                "end_s": round(end / fps, 3),
                "face_found": found[i],
                "face_score": scores[i],
                "label": None if p is None else pred.labels[int(np.argmax(p))],
                **{f"p_{n}": None if p is None else round(float(p[k]), 5) for k, n in enumerate(pred.labels)},
            }
        )
    return rows


def timeline_title(pred: Prediction) -> tuple[str, str]:
    """Title lines: the video label and where it came from; the true label and the face share."""
    name = Path(pred.video).name
    if pred.video_label is None:
        first = f"{name}: no video label ({pred.video_from})"
    else:
        first = f"{name}: video label {pred.video_label} ({pred.video_from}; {pred.source})"
    face = pred.face
    second = [f"true label {pred.true_label} ({pred.true_from})"] if pred.true_label else []
    if face:
        second.append(f"faces on {face['frames_with_face']}/{face['frames']} frames")
        if face.get("box_stability") is not None:
            second.append(f"face box stability {face['box_stability']:.2f} (mean IoU with its median)")
    return first, ", ".join(second)


def timeline_figure(pred: Prediction, path: str | Path | None = None):
    """The timeline of ``pred`` (see :func:`affectlab.fer.timeline.timeline_png`)."""
    fps = pred.fps or 1.0
    starts = np.asarray(pred.window_starts, dtype=float) / fps
    ends = np.minimum(starts + pred.window_frames / fps, pred.duration or np.inf)
    probs = np.asarray([[np.nan] * len(pred.labels) if p is None else p for p in pred.probs], dtype=float)
    smooth = float(pred.config.get("smooth") or 0.0)
    return timeline_png(
        probs,
        pred.labels,
        starts,
        ends,
        pred.duration or float(ends.max()),
        None if path is None else Path(path),
        title=timeline_title(pred),
        face_scores=np.asarray(pred.face_score, dtype=float) if pred.face_score else None,
        per_frame=pred.per_frame,
        smooth_s=smooth if pred.per_frame else 0.0,
    )


def prediction_html(pred: Prediction) -> str:
    """An HTML fragment: the summary line, the timeline as an inline PNG, and a table of the face signal
    (one row per face track when the prediction has ``face["tracks"]``, else one line per value for the video)."""
    import base64
    import html
    import io

    buffer = io.BytesIO()
    timeline_figure(pred).savefig(buffer, format="png", dpi=80)
    title = " ".join(timeline_title(pred))
    image = base64.b64encode(buffer.getvalue()).decode("ascii")
    cell = lambda v: html.escape(f"{v:.3g}" if isinstance(v, float) else str(v))  # noqa: E731
    if tracks := pred.face.get("tracks"):  # one row per face track
        columns = list(dict.fromkeys(k for row in tracks for k in row))
        head = "<tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in columns) + "</tr>"
        rows = "".join("<tr>" + "".join(f"<td>{cell(r.get(c, ''))}</td>" for c in columns) + "</tr>" for r in tracks)
    else:  # the video's face signal, one line per value
        head = ""
        rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{cell(v)}</td></tr>" for k, v in pred.face.items()
                       if not isinstance(v, list | dict))  # fmt: skip
    return (
        f"<p><b>{html.escape(repr(pred))}</b></p>"
        f'<img src="data:image/png;base64,{image}" alt="{html.escape(title, quote=True)}" '
        f'style="max-width:100%">'
        f"<table><thead>{head}</thead><tbody>{rows}</tbody></table>"
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
