"""Contact sheet of a clip's sampled frames (segments x frames), with the face box, for a visual check."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from affectlab.errors import AffectlabError
from affectlab.fer.data.faces import face_box
from affectlab.fer.data.video import (
    SamplingConfig,
    clip_indices,
    decode_frames,
    resize_short_side,
    spatial_views,
)
from affectlab.io import atomic_path

FOUND, FALLBACK, TEXT = (0, 220, 0), (230, 30, 30), (255, 255, 0)


def _label(image: np.ndarray, text: str, origin: tuple[int, int], scale: float = 0.4) -> None:
    cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, TEXT, 1, cv2.LINE_AA)


def render_contact_sheet(path: str | os.PathLike[str], cfg: SamplingConfig, *, thumb_height: int = 96) -> np.ndarray:
    """RGB image: one row per segment, one thumbnail per sampled frame, labelled with its frame index.

    Without ``cfg.face_crop`` thumbnails are whole frames with the clip's face box (green: detected,
    red: centre fallback); with it they are the centre view the encoder gets (face crop, resize, crop).
    """
    from affectlab.fer.data.video import video_info

    n_frames, fps, width, height = video_info(path)
    indices = clip_indices(n_frames, cfg)
    distinct, inverse = np.unique(indices, return_inverse=True)
    frames = decode_frames(path, distinct)
    box = face_box(frames)
    if cfg.face_crop:
        view = spatial_views(resize_short_side(box.crop(frames), cfg.resolution), cfg.resolution, 1)[0]
        thumbs = _resize_all(view, thumb_height, thumb_height)
    else:
        thumbs = _resize_all(frames, round(width * thumb_height / height), thumb_height)
        scale = thumb_height / height
        colour = FOUND if box.found else FALLBACK
        x0, y0, side = (round(v * scale) for v in (box.left, box.top, box.size))
        for thumb in thumbs:
            cv2.rectangle(thumb, (x0, y0), (x0 + side - 1, y0 + side - 1), colour, 2)
    thumbs = thumbs[inverse.ravel()]
    for thumb, index in zip(thumbs, indices.ravel().tolist(), strict=True):
        _label(thumb, str(index), (3, 14))
    rows = [
        np.concatenate(list(row), axis=1)
        for row in thumbs.reshape(cfg.num_segments, cfg.frames_per_clip, *thumbs.shape[1:])
    ]
    grid = np.concatenate(rows, axis=0)
    header = np.zeros((28, grid.shape[1], 3), np.uint8)
    found = "found" if box.found else "NOT found (centre crop)"
    face = f"face {found} at x={box.left} y={box.top} size={box.size}"
    _label(
        header,
        f"{Path(path).name}  {n_frames} frames @ {fps:.2f} fps  {width}x{height}  {face}",
        (6, 19),
        0.5,
    )
    return np.concatenate([header, grid], axis=0)


def _resize_all(frames: np.ndarray, width: int, height: int) -> np.ndarray:
    return np.stack([cv2.resize(f, (width, height), interpolation=cv2.INTER_AREA) for f in frames])


def write_png(image: np.ndarray, out: str | os.PathLike[str]) -> None:
    """Write an RGB image as PNG atomically."""
    ok, data = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        raise AffectlabError(f"{out}: could not encode the contact sheet as PNG")
    with atomic_path(out) as tmp:
        tmp.write_bytes(data.tobytes())
