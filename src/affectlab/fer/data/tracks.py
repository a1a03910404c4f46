"""Face tracks: every face detected on a video's sampled frames, linked from frame to frame.

Linking is online and greedy, frame by frame in time order: a detection continues the track whose last box
it overlaps most (IoU >= ``LINK_IOU``) or, failing that, whose last box centre is nearest when the centres
lie within ``LINK_CENTRE`` of that box's longer side (a face that moved fast between sampled frames); every
track takes at most one detection per frame, and a detection left over starts a new track. A track not seen
for ``MAX_GAP_S`` seconds ends (a face coming back later starts a new one). Tracks seen on fewer than
``MIN_TRACK_S`` seconds of frames (and on fewer than half of all sampled frames) are dropped as spurious
detections, unless no track is longer. Track numbers count the kept tracks in order of first appearance.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from affectlab.fer.data.faces import FaceTrack, _iou, detect_faces

LINK_IOU = 0.3
LINK_CENTRE = 0.5
MAX_GAP_S = 1.0
MIN_TRACK_S = 0.25


def _xyxy(box: np.ndarray) -> np.ndarray:
    return np.concatenate([box[..., :2], box[..., :2] + box[..., 2:]], axis=-1)


@dataclass
class TrackRows:
    """The detections of one track: sampled-frame rows (increasing), boxes ``x, y, w, h`` and scores."""

    rows: list[int] = field(default_factory=list)
    boxes: list[np.ndarray] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)

    def near(self, row: int, radius: int) -> np.ndarray:
        """Boxes ``[k, 4]`` of this track on the rows within ``radius`` of ``row``."""
        lo, hi = bisect.bisect_left(self.rows, row - radius), bisect.bisect_right(self.rows, row + radius)
        return np.asarray(self.boxes[lo:hi]).reshape(-1, 4)

    def on(self, rows: np.ndarray) -> np.ndarray:
        """Boxes ``[len(rows), 4]`` of this track on ``rows`` (NaN where it was not detected)."""
        out = np.full((len(rows), 4), np.nan)
        index = {r: i for i, r in enumerate(self.rows)}
        for k, r in enumerate(np.asarray(rows).tolist()):
            if r in index:
                out[k] = self.boxes[index[r]]
        return out


class TrackLinker:
    """Links each frame's detections to tracks (see the module docstring); ``max_gap`` in rows."""

    def __init__(self, max_gap: int) -> None:
        self.max_gap = max(1, max_gap)
        self.tracks: list[TrackRows] = []

    def link(self, row: int, boxes: np.ndarray, scores: np.ndarray) -> list[int]:
        """Add the detections ``boxes [k, 4]`` (x, y, w, h) of ``row``; returns the track of each."""
        live = [t for t, track in enumerate(self.tracks) if row - track.rows[-1] <= self.max_gap]
        pairs = []
        for t in live:
            last = self.tracks[t].boxes[-1]
            overlaps = _iou(_xyxy(last), _xyxy(np.asarray(boxes).reshape(-1, 4))) if len(boxes) else []
            side = max(last[2], last[3])
            for d, box in enumerate(boxes):
                distance = float(np.hypot(*(box[:2] + box[2:] / 2 - last[:2] - last[2:] / 2))) / side
                if overlaps[d] >= LINK_IOU or distance <= LINK_CENTRE:
                    pairs.append((-overlaps[d], distance, t, d))
        owner: list[int | None] = [None] * len(boxes)
        taken: set[int] = set()
        for _, _, t, d in sorted(pairs):
            if owner[d] is None and t not in taken:
                owner[d] = t
                taken.add(t)
        for d in range(len(boxes)):
            if owner[d] is None:
                owner[d] = len(self.tracks)
                self.tracks.append(TrackRows())
            track = self.tracks[owner[d]]
            track.rows.append(row)
            track.boxes.append(np.asarray(boxes[d], dtype=float))
            track.scores.append(float(scores[d]))
        return [int(t) for t in owner]

    def kept(self, min_rows: int) -> list[int]:
        """The tracks seen on at least ``min_rows`` rows (the longest one when none is)."""
        lengths = [len(t.rows) for t in self.tracks]
        keep = [t for t, n in enumerate(lengths) if n >= min_rows]
        return keep or ([int(np.argmax(lengths))] if lengths else [])


def track_face(track: TrackRows, miss_scores: np.ndarray, height: int, width: int) -> FaceTrack:
    """The :class:`FaceTrack` of one track over all ``len(miss_scores)`` rows: its score and box where it was
    detected, ``miss_scores`` (the frame's own score) and no box elsewhere."""
    scores = np.asarray(miss_scores, dtype=float).copy()
    boxes = np.full((len(scores), 4), np.nan)
    scores[track.rows] = track.scores
    boxes[track.rows] = np.asarray(track.boxes).reshape(-1, 4)
    return FaceTrack(scores, boxes, height, width)


def min_track_rows(rate: float, total: int) -> int:
    """Rows a kept track needs: ``MIN_TRACK_S`` seconds of sampled frames at ``rate`` rows/s, at most half
    of ``total``, at least 1."""
    return max(1, min(round(MIN_TRACK_S * rate), total // 2))


def frame_tracks(frames: np.ndarray) -> list[TrackRows]:
    """The kept face tracks of a few frames ``[N, H, W, 3]`` (e.g. a clip's sampled frames; rows are frame
    positions; no gap ends a track; a kept track is on at least a quarter of the frames)."""
    linker = TrackLinker(len(frames))
    for row, frame in enumerate(frames):
        boxes, scores, _ = detect_faces(frame)
        linker.link(row, boxes, scores)
    return [linker.tracks[t] for t in linker.kept(max(1, len(frames) // 4))]
