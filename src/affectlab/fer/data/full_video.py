"""Full-video evaluation clips: one clip of ``frames_per_clip`` frames at every start frame, as the reference.

The V-JEPA FER fork (lennarteingunia/vjepa-for-fer, ``src/datasets/full_video_dataset.py`` L85-177) takes,
with ``L = frames_per_clip * frame_step`` and ``n`` frames:

- ``n > L``: a clip at every start ``s in range(n - L)`` (stride 1; the last possible start ``n - L`` is not
  taken, as in the reference), frames ``floor(clip(linspace(s, s + L, T), s, s + L - 1))``;
- ``n <= L``: one clip, ``linspace(0, n, n // frame_step)`` padded with ``n`` to ``T`` frames, clipped to
  ``n - 1``.

Every clip is one segment and one view: the reference's single-view eval transform (``eval_transform="jepa"``:
short side to ``int(resolution * 256 / 224)`` with bilinear interpolation, centre crop) or affectlab's centre
view. The reference feeds torchcodec tensors to a resize that accepts only numpy/PIL (a ``TypeError`` as
committed); here the decoded frames are numpy arrays, which is what that transform expects.
"""

from __future__ import annotations

import os

import cv2
import numpy as np

from affectlab.fer.config import SamplingConfig
from affectlab.fer.data.video import centre_view, decode_frames, video_info


def full_video_indices(n_frames: int, frames_per_clip: int, frame_step: int) -> np.ndarray:
    """Frame indices ``[clips, frames_per_clip]`` (int64) of every clip position of an ``n_frames`` video."""
    clip_len = frames_per_clip * frame_step
    if n_frames <= clip_len:
        num = n_frames // frame_step
        base = np.concatenate((np.linspace(0, n_frames, num=num), np.full(frames_per_clip - num, float(n_frames))))
        return np.clip(base, 0, n_frames - 1).astype(np.int64)[None, :]
    rows = [
        np.clip(np.linspace(s, s + clip_len, num=frames_per_clip), s, s + clip_len - 1).astype(np.int64)
        for s in range(n_frames - clip_len)
    ]
    return np.stack(rows)


def jepa_single_view(frames: np.ndarray, size: int) -> np.ndarray:
    """The reference's single-view eval transform on ``uint8 [N, H, W, 3]``: short side to
    ``int(size * 256 / 224)`` (cv2 bilinear, long side truncated), then the centre ``size x size`` crop."""
    short = int(size * 256 / 224)
    h, w = frames.shape[1:3]
    if min(h, w) != short:
        nh, nw = (int(short * h / w), short) if w < h else (short, int(short * w / h))
        frames = np.stack([cv2.resize(f, (nw, nh), interpolation=cv2.INTER_LINEAR) for f in frames])
        h, w = nh, nw
    top, left = int(round((h - size) / 2.0)), int(round((w - size) / 2.0))
    return frames[:, top : top + size, left : left + size]


def full_video_frames(path: str | os.PathLike[str], cfg: SamplingConfig) -> tuple[np.ndarray, np.ndarray]:
    """``(indices [clips, T] into the returned frames, frames uint8 [U, size, size, 3])`` of one video: every
    distinct frame decoded, face-cropped when ``cfg.face_crop``, and transformed once."""
    n_frames = video_info(path)[0]
    indices = full_video_indices(n_frames, cfg.frames_per_clip, cfg.frame_step)
    distinct, inverse = np.unique(indices, return_inverse=True)
    frames = decode_frames(path, distinct)
    if cfg.face_crop:
        from affectlab.fer.data.faces import crop_to_face

        frames = crop_to_face(frames)
    if cfg.eval_transform == "jepa":
        frames = jepa_single_view(frames, cfg.resolution)
    else:
        frames = centre_view(frames, cfg)[0]
    return inverse.reshape(indices.shape), np.ascontiguousarray(frames)
