"""The frozen encoder inside the loop: exact (online) training and full-video evaluation.

Clips are decoded and augmented on ``torch.utils.data.DataLoader`` worker processes (``decode_workers``), a few
batches ahead (decoded once with a :class:`~affectlab.fer.cache.frames.FrameCache`, whose entries the workers
fill on the first epoch and read from then on), while this process runs the encoder through the one
:class:`~affectlab.fer.encoders.runner.SegmentRunner` (GPU, bf16, batched) and trains the probe on the full
tokens. Every clip gets a fresh view every epoch, seeded by (content hash, training seed, epoch), so a run,
and a resumed run, sees the same views. Each training epoch records its wall time, the time the loop waited
for decoded clips, the encoder's busy time and the encoder passes (``timing``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from affectlab.errors import AffectlabError
from affectlab.fer.cache.extract import read_checked
from affectlab.fer.cache.frames import FrameCache
from affectlab.fer.cache.store import clip_content_ids
from affectlab.fer.config import ExtractConfig
from affectlab.fer.data.full_video import full_video_frames
from affectlab.fer.data.video import normalize, sample_clip
from affectlab.fer.encoders.runner import SegmentRunner
from affectlab.fer.probes.train import Plan, encoder_defaults

PREFETCH = 4  # batches read ahead per worker


def view_seed(content_id: str, seed: int, epoch: int) -> int:
    """The augmentation seed of one clip in one training epoch."""
    return int(hashlib.sha256(f"{content_id}:{seed}:{epoch}".encode()).hexdigest()[:8], 16)


class _Reads(Dataset):
    """Item ``i``: ``read(job)`` for every job of batch ``i`` (run on a worker), or the first error line."""

    def __init__(self, batches: Sequence[Sequence[tuple]], read: Callable[..., Any]) -> None:
        self.batches, self.read = batches, read

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, i: int) -> Any:
        out = []
        for job in self.batches[i]:
            got = self.read(*job)
            if isinstance(got, str):
                return f"{job[0]}: {got}"
            out.append(got)
        return out


def prefetched(
    batches: Sequence[Sequence[tuple]], read: Callable[..., Any], workers: int, pin: bool = False
) -> Iterator[list[Any]]:
    """Results of ``read`` per batch, in order, computed ``workers`` processes ahead (0: in this process).

    The loader gets its own generator, so iterating never draws from torch's global random state."""
    loader = DataLoader(
        _Reads(batches, read),
        batch_size=None,
        num_workers=workers,
        prefetch_factor=PREFETCH if workers else None,
        pin_memory=pin,
        generator=torch.Generator().manual_seed(0),
    )
    for item in loader:
        if isinstance(item, str):
            raise AffectlabError(item)
        yield item


@dataclass
class EpochTiming:
    """Where an online epoch's time went."""

    epoch: int
    wall_s: float = 0.0
    data_wait_s: float = 0.0
    encoder_s: float = 0.0
    encoder_passes: int = 0
    clips: int = 0

    @property
    def encoder_share(self) -> float:
        """Share of the epoch's wall time the encoder was busy (low: decoding is the bottleneck)."""
        return self.encoder_s / self.wall_s if self.wall_s else 0.0


@dataclass
class OnlineClips:
    """The clips of ``manifest`` read on workers and encoded on demand (the online counterpart of a store)."""

    manifest: pa.Table
    cfg: ExtractConfig
    runner: SegmentRunner
    seed: int = 0
    frame_cache: FrameCache | None = None
    timing: list[EpochTiming] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.paths = self.manifest.column("path").to_pylist()
        self.ids = clip_content_ids(self.manifest)
        self.embed_dim = int(self.runner.encoder.embed_dim)
        self._pin = self.runner.device.type == "cuda"

    def _read(self, path: str, content_id: str, train: bool, seed: int | None) -> torch.Tensor | str:
        return read_checked(path, content_id, lambda: self.sample(path, content_id, train, seed))

    def sample(self, path: str, content_id: str, train: bool, seed: int | None) -> torch.Tensor:
        """One clip's views (:func:`~affectlab.fer.data.video.sample_clip`), its frames from the frame cache when
        there is one."""
        cfg = self.cfg.sampling
        source = None if self.frame_cache is None else self.frame_cache.get(path, content_id, cfg)
        return sample_clip(path, cfg, train=train, seed=seed, source=source)

    def encode(self, clips: torch.Tensor, timing: EpochTiming | None = None) -> torch.Tensor:
        """``[b, V, S, C, T, H, W]`` -> tokens ``[b, V, S * P, D]`` on the encoder's device."""
        b, v, s = clips.shape[:3]
        start = time.perf_counter()
        with encoder_defaults():
            tokens = self.runner(clips.flatten(0, 2), self.cfg.pooling, to_cpu=False)
        if self.runner.device.type == "cuda":
            torch.cuda.synchronize(self.runner.device)
        if timing is not None:
            timing.encoder_s += time.perf_counter() - start
            timing.encoder_passes += b * v * s
        return tokens.reshape(b, v, -1, tokens.shape[-1])

    def _stream(self, jobs: list[list[tuple]], timing: EpochTiming | None) -> Iterator[torch.Tensor]:
        batches = prefetched(jobs, self._read, self.cfg.decode_workers, self._pin)
        while True:
            start = time.perf_counter()
            try:
                clips = next(batches)
            except StopIteration:
                return
            if timing is not None:
                timing.data_wait_s += time.perf_counter() - start
                timing.clips += len(clips)
            yield self.encode(torch.stack(clips), timing)

    def train_source(self, rows: np.ndarray) -> OnlineBatches:
        """A :class:`~affectlab.fer.probes.train.BatchSource` over manifest ``rows`` (fresh views per epoch)."""
        return OnlineBatches(self, np.asarray(rows))

    def test_batches(self, rows: Sequence[int], batch_size: int = 8) -> Iterator[torch.Tensor]:
        """Test-view tokens ``[b, views, tokens, D]`` of manifest ``rows``, in order."""
        rows = list(rows)
        jobs = [[(self.paths[r], self.ids[r], False, None) for r in rows[i : i + batch_size]]
                for i in range(0, len(rows), batch_size)]  # fmt: skip
        yield from self._stream(jobs, None)

    def _read_full(self, path: str, content_id: str) -> tuple[np.ndarray, np.ndarray] | str:
        return read_checked(path, content_id, lambda: full_video_frames(path, self.cfg.sampling))

    @torch.no_grad()
    def full_video_probs(self, rows: Sequence[int], probes: Sequence[nn.Module], chunk: int = 64) -> np.ndarray:
        """``[len(rows), len(probes), classes]``: per clip and probe, the softmax summed over every clip
        position of the whole video (:mod:`affectlab.fer.data.full_video`), as the reference evaluates."""
        device = self.runner.device
        for probe in probes:
            probe.to(device).eval()
        one = self.cfg.sampling.model_copy(update={"num_segments": 1})
        out = []
        jobs = [[(self.paths[r], self.ids[r])] for r in rows]
        for ((inverse, frames),) in prefetched(jobs, self._read_full, self.cfg.decode_workers):
            sums = [0.0 for _ in probes]
            for start in range(0, len(inverse), chunk):
                windows = frames[inverse[start : start + chunk]]  # [w, T, H, W, 3]
                w = len(windows)
                segments = one.model_copy(update={"num_segments": w})
                clips = normalize(windows.reshape(1, -1, *windows.shape[2:]), segments)
                with encoder_defaults():
                    tokens = self.runner(clips[0], self.cfg.pooling, to_cpu=False)
                for i, probe in enumerate(probes):
                    sums[i] = sums[i] + probe(tokens).float().softmax(-1).sum(0).cpu()
            out.append(torch.stack(sums).numpy())
        for probe in probes:
            probe.cpu()
        return np.stack(out) if out else np.zeros((0, len(probes), 0), dtype=np.float32)


@dataclass
class OnlineBatches:
    """Training batches of some manifest rows, read and encoded inside the loop."""

    clips: OnlineClips
    rows: np.ndarray
    views: int = 1

    @property
    def embed_dim(self) -> int:
        return self.clips.embed_dim

    def batches(self, plan: Plan, epoch: int) -> Iterator[torch.Tensor]:
        c = self.clips
        jobs = []
        for idx, _ in plan:
            rows = self.rows[idx]
            jobs.append([(c.paths[r], c.ids[r], True, view_seed(c.ids[r], c.seed, epoch)) for r in rows])
        timing = EpochTiming(epoch)
        c.timing.append(timing)
        start = time.perf_counter()
        for tokens in c._stream(jobs, timing):
            yield tokens[:, 0]
            timing.wall_s = time.perf_counter() - start
        timing.wall_s = time.perf_counter() - start
