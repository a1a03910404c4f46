"""Contact sheet of a clip's sampled frames (segments x frames) with the face signal, for a visual check.

One row per segment, labelled on the left with its segment number and frame range; one thumbnail per
sampled frame, labelled with its frame index and face score. When a face is found the thumbnails are the
clip's face box (so the face is large enough to read even in a 720p frame), else whole frames with the
red centre-fallback box; with ``face_crop`` they are the centre view the encoder gets. When more than one
face track is seen (:mod:`affectlab.fer.data.tracks`), the thumbnails are whole frames with every track's box
drawn and numbered in its own colour (track numbers as ``fer predict --faces all`` gives them). The header
names the file, its frames, the face share (or the tracks) and the true label when the file name gives one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from affectlab.errors import AffectlabError
from affectlab.fer.data.faces import face_track
from affectlab.fer.data.layouts import label_from_name
from affectlab.fer.data.tracks import frame_tracks
from affectlab.fer.data.video import (
    SamplingConfig,
    clip_indices,
    decode_frames,
    resize_short_side,
    spatial_views,
)
from affectlab.io import atomic_path

FOUND, FALLBACK, TEXT = (0, 220, 0), (230, 30, 30), (255, 255, 0)
TRACK_COLOURS = ((0, 220, 0), (0, 170, 255), (255, 120, 0), (255, 0, 200), (255, 255, 255))
LABEL_WIDTH, LINE_HEIGHT, HEADER_SCALE, ROW_SCALE = 120, 18, 0.45, 0.42


def _label(image: np.ndarray, text: str, origin: tuple[int, int], scale: float = 0.4) -> None:
    cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, TEXT, 1, cv2.LINE_AA)


def true_label_text(path: str | os.PathLike[str]) -> str:
    """``true label happy (CREMA-D file name)``, or an empty string when the name gives none."""
    found = label_from_name(path)
    return f"true label {found[0]} ({found[1]} file name)" if found else ""


def render_contact_sheet(
    path: str | os.PathLike[str],
    cfg: SamplingConfig,
    *,
    thumb_height: int = 96,
    layout: bool = False,
    title: str | None = None,
) -> np.ndarray | tuple[np.ndarray, dict[str, Any]]:
    """RGB image of the sampled frames (see the module docstring); with ``layout`` also a dict of how it
    was laid out (header and label-column sizes, row labels, face summary, title). ``title`` replaces the
    second header line (default: the true label from the file name)."""
    from affectlab.fer.data.video import video_info

    n_frames, fps, width, height = video_info(path)
    indices = clip_indices(n_frames, cfg)
    distinct, inverse = np.unique(indices, return_inverse=True)
    frames = decode_frames(path, distinct)
    track = face_track(frames)
    box = track.clip_box()
    tracks = frame_tracks(frames)
    if len(tracks) > 1:
        thumbs = _resize_all(frames, round(width * thumb_height / height), thumb_height)
        _draw_tracks(thumbs, tracks, thumb_height / height)
    elif cfg.face_crop:
        view = spatial_views(resize_short_side(box.crop(frames), cfg.resolution), cfg.resolution, 1)[0]
        thumbs = _resize_all(view, thumb_height, thumb_height)
    elif box.found:
        thumbs = _resize_all(box.crop(frames), thumb_height, thumb_height)
    else:
        thumbs = _resize_all(frames, round(width * thumb_height / height), thumb_height)
        scale = thumb_height / height
        x0, y0, side = (round(v * scale) for v in (box.left, box.top, box.size))
        for thumb in thumbs:
            cv2.rectangle(thumb, (x0, y0), (x0 + side - 1, y0 + side - 1), FALLBACK, 2)
    for thumb, found, score in zip(thumbs, track.found, track.scores, strict=True):
        if box.found and not found and len(tracks) < 2:  # this frame has no face of its own: a red frame around it
            cv2.rectangle(thumb, (0, 0), (thumb.shape[1] - 1, thumb.shape[0] - 1), FALLBACK, 2)
        _label(thumb, f"{score:.2f}", (3, thumb.shape[0] - 5), 0.35)
    thumbs = thumbs[inverse.ravel()]
    for thumb, index in zip(thumbs, indices.ravel().tolist(), strict=True):
        _label(thumb, str(index), (3, 14))
    row_labels = [
        f"seg {k + 1}: frames {int(indices[k].min())}-{int(indices[k].max())}" for k in range(cfg.num_segments)
    ]
    label_width = max(LABEL_WIDTH, max(_text_width(t, ROW_SCALE) for t in row_labels) + 12)
    rows = []
    for text, row in zip(row_labels, thumbs.reshape(cfg.num_segments, cfg.frames_per_clip, *thumbs.shape[1:]),
                         strict=True):  # fmt: skip
        cell = np.zeros((thumb_height, label_width, 3), np.uint8)
        _label(cell, text, (6, thumb_height // 2 + 4), ROW_SCALE)
        rows.append(np.concatenate([cell, *row], axis=1))
    grid = np.concatenate(rows, axis=0)
    summary = track.summary()
    where = f"face box x={box.left} y={box.top} size={box.size}" if box.found else "NO face (centre crop)"
    if len(tracks) > 1:
        where = f"{len(tracks)} face tracks: " + ", ".join(
            f"t{k} on {len(t.rows)} frames at x={np.median([b[0] for b in t.boxes]):.0f}" for k, t in enumerate(tracks)
        )
    lines = [
        f"{Path(path).name}  {n_frames} frames @ {fps:.2f} fps  {width}x{height}",
        f"faces on {summary['frames_with_face']}/{summary['frames']} sampled frames, {where}",
        true_label_text(path) if title is None else title,
    ]
    lines = [line for line in lines if line]
    header = np.zeros((LINE_HEIGHT * len(lines) + 8, grid.shape[1], 3), np.uint8)
    for i, line in enumerate(lines):
        _label(header, line, (6, LINE_HEIGHT * (i + 1)), HEADER_SCALE)
    image = np.concatenate([header, grid], axis=0)
    if not layout:
        return image
    return image, {
        "header": header.shape[0],
        "label_width": label_width,
        "rows": row_labels,
        "face": {"found": box.found, **summary, "tracks": len(tracks)},
        "title": " | ".join(lines),
    }


def _draw_tracks(thumbs: np.ndarray, tracks: list, scale: float) -> None:
    """Every track's box on the thumbnails of the frames it was detected on, numbered, one colour per track."""
    for k, track in enumerate(tracks):
        colour = TRACK_COLOURS[k % len(TRACK_COLOURS)]
        for row, (x, y, w, h) in zip(track.rows, track.boxes, strict=True):
            x0, y0, x1, y1 = (round(v * scale) for v in (x, y, x + w, y + h))
            cv2.rectangle(thumbs[row], (x0, y0), (x1, y1), colour, 1)
            cv2.putText(thumbs[row], f"t{k}", (x0 + 2, y1 - 3), cv2.FONT_HERSHEY_SIMPLEX, 0.35, colour, 1, cv2.LINE_AA)


def _text_width(text: str, scale: float) -> int:
    return cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 3)[0][0]


def _resize_all(frames: np.ndarray, width: int, height: int) -> np.ndarray:
    return np.stack([cv2.resize(f, (width, height), interpolation=cv2.INTER_AREA) for f in frames])


def write_png(image: np.ndarray, out: str | os.PathLike[str]) -> None:
    """Write an RGB image as PNG atomically."""
    ok, data = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        raise AffectlabError(f"{out}: could not encode the contact sheet as PNG")
    with atomic_path(out) as tmp:
        tmp.write_bytes(data.tobytes())
