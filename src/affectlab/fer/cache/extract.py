"""Feature extraction: ``extract_batch(clips, encoder)`` and the engines that schedule it over a manifest.

The local engine runs shard after shard in this process; ``--engine ray`` runs the same work function as
Ray Data actors (one per GPU, ``num_gpus=1``; CPU actors without CUDA) and this process writes the shards
they return. Either way a shard is committed to the store only when complete, so a killed run resumes
where it stopped and computes nothing twice.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import torch
from pydantic import BaseModel, ConfigDict, Field

from affectlab.fer.cache.store import FeatureInfo, FeatureStore, FeatureStoreWriter, clip_content_ids
from affectlab.fer.data.video import SamplingConfig, sample_clip
from affectlab.fer.encoders import Encoder, load_encoder
from affectlab.fer.encoders.pooling import Pooling, pooled_grid
from affectlab.fer.encoders.runner import Device, SegmentRunner, resolve_device

Progress = Callable[[int], None]


class ExtractConfig(BaseModel):
    """Everything that decides how features are extracted (the sampling and pooling also key the cache)."""

    model_config = ConfigDict(extra="forbid")

    encoder: str = "frame-baseline"
    checkpoint: str | None = None
    sampling: SamplingConfig = Field(default_factory=SamplingConfig)
    pooling: Pooling = "none"
    engine: Literal["local", "ray"] = "local"
    device: Device = "auto"
    batch_size: int | None = Field(None, ge=1, description="segments per forward; None: largest that fits")
    shard_size: int = Field(8, ge=1, description="clips per shard (the unit of commit and resume)")
    compile: bool = Field(False, description="torch.compile the encoder (GPU: +16-26% throughput, ViT-L/H)")
    decode_workers: int = Field(default_factory=lambda: min(8, os.cpu_count() or 1), ge=1)


def clip_seed(content_id: str) -> int:
    """The train-view augmentation seed of a clip, fixed by its content (so resumes are bit-exact)."""
    return int(hashlib.sha256(content_id.encode()).hexdigest()[:8], 16)


def extract_batch(
    clips: torch.Tensor, encoder: Encoder | SegmentRunner, pooling: Pooling = "none"
) -> np.ndarray:
    """Clips ``[n, views, segments, C, T, H, W]`` -> float32 features ``[n, views, segments, P, D]``."""
    runner = encoder if isinstance(encoder, SegmentRunner) else SegmentRunner(encoder, torch.device("cpu"))
    n, v, s = clips.shape[:3]
    tokens = runner(clips.reshape(n * v * s, *clips.shape[3:]), pooling)
    return tokens.reshape(n, v, s, *tokens.shape[1:]).numpy()


def load_clips(
    paths: list[str], seeds: list[int], cfg: SamplingConfig, workers: int
) -> tuple[torch.Tensor, ...]:
    """Decode the test views and the seeded train views of each clip (threads: PyAV releases the GIL)."""

    def one(item: tuple[str, int]) -> tuple[torch.Tensor, torch.Tensor]:
        path, seed = item
        return sample_clip(path, cfg), sample_clip(path, cfg, train=True, seed=seed)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        pairs = list(pool.map(one, zip(paths, seeds, strict=True)))
    return torch.stack([p[0] for p in pairs]), torch.stack([p[1] for p in pairs])


def extract_clips(
    paths: list[str], content_ids: list[str], runner: SegmentRunner, cfg: ExtractConfig
) -> tuple[np.ndarray, np.ndarray]:
    """The work function of the Ray actors: one shard of clips -> (test features, train features)."""
    test, train = load_clips(paths, [clip_seed(c) for c in content_ids], cfg.sampling, cfg.decode_workers)
    return extract_batch(test, runner, cfg.pooling), extract_batch(train, runner, cfg.pooling)


def feature_info(encoder: Encoder, cfg: ExtractConfig) -> FeatureInfo:
    """What the store will hold: the encoder's identity and the (pooled) token shapes of ``cfg``."""
    s = cfg.sampling
    t, h, w = pooled_grid(encoder.token_grid(s.frames_per_clip, s.resolution, s.resolution), cfg.pooling)
    return FeatureInfo(
        encoder=encoder.name,
        checkpoint_sha256=encoder.checkpoint_sha256,
        sampling=s.model_dump(mode="json"),
        embed_dim=encoder.embed_dim,
        tokens_per_segment=t * h * w,
        num_segments=s.num_segments,
        test_views=s.num_views,
        train_views=s.train_views,
        pooling=cfg.pooling,
    )


def _pending(manifest: pa.Table, writer: FeatureStoreWriter) -> tuple[list[int], list[int], list[str]]:
    """(rows to compute, rows whose content is already stored but not indexed, content ids of all rows)."""
    ids = clip_content_ids(manifest)
    done = writer.done
    indexed = set()
    if writer.index is not None:
        indexed = set(
            zip(
                writer.index.column("path").to_pylist(),
                writer.index.column("clip_key").to_pylist(),
                strict=True,
            )
        )
    compute, reference, seen = [], [], set()
    for row, (path, content) in enumerate(zip(manifest.column("path").to_pylist(), ids, strict=True)):
        key = writer.info.clip_key(content)
        if (path, key) in indexed:
            continue
        (reference if key in done or key in seen else compute).append(row)
        seen.add(key)
    return compute, reference, ids


def _shards(rows: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _run_local(
    manifest: pa.Table,
    rows: list[int],
    ids: list[str],
    encoder: Encoder,
    cfg: ExtractConfig,
    writer: FeatureStoreWriter,
    progress: Progress,
) -> None:
    """Shard after shard in this process; the next shard is decoded while the current one is encoded."""
    runner = SegmentRunner(encoder, resolve_device(cfg.device), cfg.batch_size, cfg.compile)
    paths = manifest.column("path").to_pylist()

    def load(shard: list[int]) -> tuple[torch.Tensor, ...]:
        seeds = [clip_seed(ids[i]) for i in shard]
        return load_clips([paths[i] for i in shard], seeds, cfg.sampling, cfg.decode_workers)

    shards = list(_shards(rows, cfg.shard_size))
    with ThreadPoolExecutor(max_workers=1) as prefetch:
        loading = prefetch.submit(load, shards[0])
        for k, shard in enumerate(shards):
            test, train = loading.result()
            if k + 1 < len(shards):
                loading = prefetch.submit(load, shards[k + 1])
            features = extract_batch(test, runner, cfg.pooling), extract_batch(train, runner, cfg.pooling)
            writer.add_shard(manifest.take(shard), *features)
            progress(len(shard))


class RayExtractor:
    """Ray Data actor: loads the encoder once, then maps shards of clips to features."""

    def __init__(self, cfg_json: str) -> None:
        self.cfg = ExtractConfig.model_validate_json(cfg_json)
        s = self.cfg.sampling
        encoder = load_encoder(
            self.cfg.encoder, self.cfg.checkpoint, frames=s.frames_per_clip, resolution=s.resolution
        )
        self.runner = SegmentRunner(
            encoder, resolve_device(self.cfg.device), self.cfg.batch_size, self.cfg.compile
        )

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        test, train = extract_clips(list(batch["path"]), list(batch["content_id"]), self.runner, self.cfg)
        return {"row": batch["row"], "test": test, "train": train}


def _run_ray(
    manifest: pa.Table,
    rows: list[int],
    ids: list[str],
    encoder: Encoder,
    cfg: ExtractConfig,
    writer: FeatureStoreWriter,
    progress: Progress,
) -> None:
    """Ray Data actors load the encoder by name from ``cfg`` (``encoder`` sized the store's info only)."""
    import ray

    ray.init(ignore_reinit_error=True, include_dashboard=False, log_to_driver=False)
    gpus = 0 if cfg.device == "cpu" else int(ray.cluster_resources().get("GPU", 0))
    paths = manifest.column("path").to_pylist()
    items = [{"row": i, "path": paths[i], "content_id": ids[i]} for i in rows]
    dataset = ray.data.from_items(items).map_batches(
        RayExtractor,
        fn_constructor_kwargs={"cfg_json": cfg.model_dump_json()},
        batch_size=cfg.shard_size,
        batch_format="numpy",
        num_gpus=1 if gpus else 0,
        concurrency=max(gpus, 1),
    )
    for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
        shard = [int(i) for i in batch["row"]]
        writer.add_shard(manifest.take(shard), np.asarray(batch["test"]), np.asarray(batch["train"]))
        progress(len(shard))


def extract_features(
    manifest: pa.Table,
    out: str | Path,
    cfg: ExtractConfig,
    *,
    encoder: Encoder | None = None,
    progress: Progress | None = None,
) -> FeatureStore:
    """Extract (or resume extracting) the features of every manifest row into the store at ``out``.

    ``encoder`` overrides loading ``cfg.encoder`` for the local engine (tests, benchmarks).
    """
    s = cfg.sampling
    if encoder is None:
        encoder = load_encoder(cfg.encoder, cfg.checkpoint, frames=s.frames_per_clip, resolution=s.resolution)
    writer = FeatureStoreWriter(out, feature_info(encoder, cfg))
    compute, reference, ids = _pending(manifest, writer)
    run = _run_ray if cfg.engine == "ray" else _run_local
    if compute:
        run(manifest, compute, ids, encoder, cfg, writer, progress or (lambda n: None))
    if reference:
        writer.add_references(manifest.take(reference))
    return FeatureStore(out)
