"""The decoded-frame cache of online training: each clip's frames decoded once, kept as memory-mapped uint8.

Online training draws a fresh augmented view of every clip every epoch; without this cache every epoch decodes
every clip again. An entry holds the frames any view of one clip can use, under a key made of the clip's
content hash and the decode settings (``frames_per_clip``, ``frame_step``, ``num_segments``):

- which frames: the distinct frames of :func:`~affectlab.fer.data.video.clip_indices` when their placement is
  fixed (a partition no longer than one window: every clip of RAVDESS and CREMA-D at the V-JEPA settings);
  every frame of the partitions when training draws the window inside each partition (long videos);
- at the size they decode to. The reference's augmentation (RandAugment, then the random-resized crop; see
  :mod:`affectlab.fer.data.augment`) works on the frames as decoded, so that is the size it needs: anything
  smaller would change every view. (The FER fork lennarteingunia/vjepa-for-fer reads the original files,
  ``src/datasets/video_dataset.py`` ``VideoReader(fname, num_threads=-1, ctx=cpu(0))`` with no width or height,
  no resize and no face crop before ``VideoTransform``, whose training path is ``ToPILImage`` -> RandAugment ->
  ``ToTensor`` -> normalise -> random-resized crop.) Face cropping, when on, happens on read, as without the
  cache.

Views made from an entry are bit-identical to those made by decoding the file
(:func:`~affectlab.fer.data.video.sample_clip` takes the entry as its frame ``source``).

Layout of the cache folder (``KEY`` = sha256 of the content hash and the decode settings)::

    KEY.npy    uint8 [N, H, W, 3], the stored frames (memory-mapped when read)
    KEY.json   n_frames (the header's count), indices (the N frame numbers, sorted), shape, content_hash

Each file is written to a temporary beside it and renamed into place, the ``.npy`` first: an entry whose
``.json`` is missing, or whose ``.npy`` does not match it, is decoded again, so a process killed at any point
(kill -9 included) leaves whole entries or none. Processes filling the same entry at once write the same bytes.
A write that fails (a full disk) leaves nothing and is a :class:`FrameCacheWarning`: that clip's frames are used
from memory and decoded again next time; training goes on.

Size per clip: ``N * H * W * 3`` bytes: 2.76 MB per 1280x720 frame, 64-77 frames for a 3.2 s RAVDESS clip at
the vjepa-fer settings (177-213 MB); 0.52 MB per 480x360 frame, 13-15 frames for a 2 s CREMA-D clip (7-8 MB).
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from affectlab.errors import AffectlabError
from affectlab.fer.config import SamplingConfig
from affectlab.fer.data.video import clip_indices, decode_frames, video_info
from affectlab.io import PathLike, atomic_path, check_writable, write_json


class FrameCacheWarning(UserWarning):
    """A frame cache entry could not be written (the clip is decoded again when next read)."""


FORMAT = 1  # bump when the layout or the choice of stored frames changes: old entries are then never read


def default_frame_cache() -> Path:
    """``$XDG_CACHE_HOME/affectlab/frames`` (``~/.cache/affectlab/frames`` when unset): content-keyed, so one
    cache serves every run, fold and preset of the same clips."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "affectlab" / "frames"


def stored_indices(n_frames: int, cfg: SamplingConfig) -> np.ndarray:
    """The frame numbers an entry keeps: every frame any train or test view of the clip can sample."""
    partition = n_frames // cfg.num_segments
    if partition > cfg.frames_per_clip * cfg.frame_step:  # training draws the window inside each partition
        return np.arange(partition * cfg.num_segments, dtype=np.int64)
    return np.unique(clip_indices(n_frames, cfg))


@dataclass
class CachedFrames:
    """One entry: the :class:`~affectlab.fer.data.video.FrameSource` of a clip, read from the map."""

    n_frames: int
    indices: np.ndarray
    frames: np.ndarray

    def __call__(self, wanted: np.ndarray) -> np.ndarray:
        pos = np.minimum(np.searchsorted(self.indices, wanted), len(self.indices) - 1)
        if not np.array_equal(self.indices[pos], wanted):
            missing = sorted(set(np.asarray(wanted).tolist()) - set(self.indices.tolist()))
            raise AffectlabError(f"frame cache entry lacks frames {missing[:5]}")
        return np.asarray(self.frames[pos])  # a copy out of the map


class FrameCache:
    """Decoded frames per clip under ``root`` (created when first written)."""

    def __init__(self, root: PathLike) -> None:
        check_writable(root, folder=True)
        self.root = Path(root)

    def key(self, content_id: str, cfg: SamplingConfig) -> str:
        """The entry of a clip (content hash) under the decode settings of ``cfg``."""
        settings = {"format": FORMAT, "content_hash": content_id, "frames_per_clip": cfg.frames_per_clip,
                    "frame_step": cfg.frame_step, "num_segments": cfg.num_segments}  # fmt: skip
        return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()

    def load(self, content_id: str, cfg: SamplingConfig) -> CachedFrames | None:
        """The complete entry of a clip, or None (absent, or left incomplete by a killed process)."""
        key = self.key(content_id, cfg)
        try:
            meta = json.loads((self.root / f"{key}.json").read_text())
            frames = np.load(self.root / f"{key}.npy", mmap_mode="r")
        except (OSError, ValueError):
            return None
        if list(frames.shape) != meta.get("shape") or frames.dtype != np.uint8:
            return None
        return CachedFrames(int(meta["n_frames"]), np.asarray(meta["indices"], dtype=np.int64), frames)

    def fill(self, path: PathLike, content_id: str, cfg: SamplingConfig) -> CachedFrames:
        """Decode the frames of the clip at ``path`` (whose content hash is ``content_id``) and store them."""
        n_frames = video_info(path)[0]
        indices = stored_indices(n_frames, cfg)
        frames = decode_frames(path, indices)
        key = self.key(content_id, cfg)
        try:
            with atomic_path(self.root / f"{key}.npy") as tmp, open(tmp, "wb") as f:
                np.save(f, frames)
            meta = {"n_frames": n_frames, "indices": indices.tolist(), "shape": list(frames.shape),
                    "content_hash": content_id}  # fmt: skip
            write_json(self.root / f"{key}.json", meta)
        except (AffectlabError, OSError) as err:
            warnings.warn(f"{path}: frames not cached ({err}); decoded again next time", FrameCacheWarning, 2)
        return CachedFrames(n_frames, indices, frames)

    def get(self, path: PathLike, content_id: str, cfg: SamplingConfig) -> CachedFrames:
        """The entry of a clip, decoded and stored first when absent."""
        return self.load(content_id, cfg) or self.fill(path, content_id, cfg)
