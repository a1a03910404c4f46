"""Feature extraction: a batch function (:class:`ClipEncoder`) that an engine maps over shards of clips.

``ClipEncoder`` decodes a shard of clips (test views and seeded train views) and runs the frozen encoder
on them through the one :class:`~affectlab.fer.encoders.runner.SegmentRunner`. The ``local`` engine runs
it in this process, decoding the next shard while the current one is encoded; ``--engine ray`` runs the
same function as Ray Data actors (one GPU each when there are GPUs). Either way this process writes the
shards, each committed to the store only when complete, so a killed run resumes where it stopped and
computes nothing twice. One process writes a store at a time (a lock in the folder).

Each clip's face signal travels with its features: the share of its distinct sampled frames on which the
face detector found a face is the ``face_share`` column of the store index. Progress advances per clip
(the local engine encodes a shard clip by clip; Ray reports whole shards).

Every file is hashed again when it is read: a file whose content no longer matches the manifest's
``content_hash`` (or cannot be decoded) is skipped with its reason (``skipped.csv`` in the store), never
stored under another clip's key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import torch

from affectlab.engines import Source, TwoStage, get_engine
from affectlab.errors import AffectlabError
from affectlab.fer.cache.store import (
    FeatureInfo,
    FeatureStore,
    FeatureStoreWriter,
    clip_content_ids,
    is_store,
)
from affectlab.fer.config import ExtractConfig, Pooling, SamplingConfig
from affectlab.fer.data.video import sample_clip, sample_clip_with_faces
from affectlab.fer.encoders import Encoder, load_encoder
from affectlab.fer.encoders.pooling import pooled_grid
from affectlab.fer.encoders.runner import SegmentRunner, resolve_device
from affectlab.io import LOCK_FILE, check_writable, exclusive_lock, file_sha256

Progress = Callable[[int], None]


def clip_seed(content_id: str) -> int:
    """The train-view augmentation seed of a clip, fixed by its content (so resumes are bit-exact)."""
    return int(hashlib.sha256(content_id.encode()).hexdigest()[:8], 16)


def extract_batch(clips: torch.Tensor, runner: SegmentRunner, pooling: Pooling = "none") -> np.ndarray:
    """Clips ``[n, views, segments, C, T, H, W]`` -> float32 features ``[n, views, segments, P, D]``."""
    n, v, s = clips.shape[:3]
    tokens = runner(clips.reshape(n * v * s, *clips.shape[3:]), pooling)
    return tokens.reshape(n, v, s, *tokens.shape[1:]).numpy()


FACE_SHARE = "face_share"


def read_checked(path: str, content_id: str, read: Callable[[], Any]) -> Any:
    """``read()`` of a video whose content still matches the manifest, or why it cannot be used (content
    changed since it was indexed, unreadable)."""
    try:
        if file_sha256(path) != content_id:
            return "content differs from the manifest's content_hash (file changed since indexing)"
        return read()
    except FileNotFoundError:
        return "file not found"
    except (AffectlabError, OSError) as err:
        return str(err).removeprefix(f"{path}: ")


def load_clip(path: str, content_id: str, cfg: SamplingConfig) -> tuple[torch.Tensor, torch.Tensor, float] | str:
    """The test views, seeded train views and face share of one clip, or why it cannot be used (content
    changed since it was indexed, unreadable). The train views are cropped to the test views' face box."""

    def read() -> tuple[torch.Tensor, torch.Tensor, float]:
        test, track = sample_clip_with_faces(path, cfg)
        face = track.clip_box() if cfg.face_crop else None
        train = sample_clip(path, cfg, train=True, seed=clip_seed(content_id), face=face)
        return test, train, track.share

    return read_checked(path, content_id, read)


class ClipEncoder(TwoStage):
    """Batch function: ``{"row", "path", "content_id"}`` of a shard -> ``{"row", "ok", "reason", "test",
    "train", "face_share"}`` (features of the rows that could be read; zeros and a reason for the others).

    ``on_clip`` (in-process only, never pickled): called with 1 after each clip is encoded, which then
    happens clip by clip."""

    def __init__(self, cfg: ExtractConfig, encoder: Encoder | None = None, on_clip: Progress | None = None) -> None:
        self.cfg = cfg
        self._encoder = encoder  # given: used as it is (tests, benchmarks); else loaded in prepare()
        self._runner: SegmentRunner | None = None
        self.on_clip = on_clip

    def __getstate__(self) -> dict[str, Any]:
        return {"cfg": self.cfg, "_encoder": None, "_runner": None, "on_clip": None}

    def prepare(self) -> None:
        if self._runner is None:
            encoder = self._encoder or load_encoder(self.cfg.encoder, self.cfg.checkpoint, self.cfg.sampling)
            self._runner = SegmentRunner(
                encoder, resolve_device(self.cfg.device), self.cfg.batch_size, self.cfg.compile
            )

    def load(self, batch: dict[str, Sequence[Any]]) -> tuple[dict[str, Sequence[Any]], list[Any]]:
        items = list(zip(batch["path"], batch["content_id"], strict=True))
        with ThreadPoolExecutor(max_workers=self.cfg.decode_workers) as pool:  # PyAV releases the GIL
            clips = list(pool.map(lambda item: load_clip(*item, self.cfg.sampling), items))
        return batch, clips

    def compute(self, loaded: tuple[dict[str, Sequence[Any]], list[Any]]) -> dict[str, np.ndarray]:
        self.prepare()
        batch, clips = loaded
        ok = [not isinstance(c, str) for c in clips]
        features = [np.zeros(0, np.float32), np.zeros(0, np.float32)]
        good = [c for c in clips if not isinstance(c, str)]
        if good:
            groups = [[c] for c in good] if self.on_clip is not None else [good]
            parts: list[list[np.ndarray]] = [[], []]
            for group in groups:
                for k in (0, 1):
                    parts[k].append(extract_batch(torch.stack([c[k] for c in group]), self._runner, self.cfg.pooling))
                if self.on_clip is not None:
                    self.on_clip(1)
            features = [np.concatenate(p) for p in parts]
        if self.on_clip is not None and len(good) < len(clips):
            self.on_clip(len(clips) - len(good))
        full = [_scatter(f, ok) for f in features]
        return {
            "row": np.asarray(batch["row"], dtype=np.int64),
            "ok": np.asarray(ok),
            "reason": np.asarray(["" if good else c for good, c in zip(ok, clips, strict=True)]),
            "test": full[0],
            "train": full[1],
            FACE_SHARE: np.asarray([c[2] if isinstance(c, tuple) else np.nan for c in clips], dtype=np.float64),
        }


def _scatter(features: np.ndarray, ok: list[bool]) -> np.ndarray:
    """Rows of ``features`` placed at the ``ok`` positions, zeros elsewhere (kept aligned for Ray)."""
    if all(ok):
        return features
    shape = features.shape[1:] if len(features) else (0,)
    out = np.zeros((len(ok), *shape), dtype=np.float32)
    out[np.asarray(ok)] = features
    return out


def feature_info(encoder: Encoder, cfg: ExtractConfig) -> FeatureInfo:
    """What the store will hold: the encoder's identity and the (pooled) token shapes of ``cfg``."""
    s = cfg.sampling
    t, h, w = pooled_grid(encoder.token_grid(s.frames_per_clip, s.resolution, s.resolution), cfg.pooling)
    return FeatureInfo(
        encoder=encoder.name,
        checkpoint_sha256=encoder.checkpoint_sha256,
        sampling=s,
        embed_dim=encoder.embed_dim,
        tokens_per_segment=t * h * w,
        num_segments=s.num_segments,
        test_views=s.num_views,
        train_views=s.train_views,
        pooling=cfg.pooling,
        store_dtype=cfg.store_dtype,
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


def _shard_batch(unit: dict[str, list[Any]]) -> list[dict[str, list[Any]]]:
    return [unit]


def check_store_folder(out: Path) -> None:
    """An extraction writes into an empty (or new) folder or a feature store of ours, nothing else."""
    check_writable(out, folder=True)
    if out.is_dir() and not is_store(out):
        foreign = [p.name for p in out.iterdir() if p.name != LOCK_FILE]
        if foreign:
            raise AffectlabError(
                f"{out}: folder is not empty and not a feature store (holds {', '.join(sorted(foreign)[:3])}); "
                "choose an empty or new folder"
            )


def extract_features(
    manifest: pa.Table,
    out: str | Path,
    cfg: ExtractConfig,
    *,
    encoder: Encoder | None = None,
    progress: Progress | None = None,
) -> FeatureStore:
    """Extract (or resume extracting) the features of every manifest row into the store at ``out``.

    ``encoder`` overrides loading ``cfg.encoder`` for the local engine (tests, benchmarks). Clips that
    cannot be used are listed in the store's ``skipped`` (and left out of it).
    """
    out = Path(out)
    check_store_folder(out)
    if encoder is None:
        encoder = load_encoder(cfg.encoder, cfg.checkpoint, cfg.sampling)
    info = feature_info(encoder, cfg)
    with exclusive_lock(out, "feature store"):
        writer = FeatureStoreWriter(out, info)
        compute, reference, ids = _pending(manifest, writer)
        paths = manifest.column("path").to_pylist()
        units = [
            {"row": shard, "path": [paths[i] for i in shard], "content_id": [ids[i] for i in shard]}
            for shard in (compute[k : k + cfg.shard_size] for k in range(0, len(compute), cfg.shard_size))
        ]
        engine = get_engine(cfg.engine)
        workers, gpus = _workers(cfg)
        local = cfg.engine == "local"
        function = ClipEncoder(cfg, encoder if local else None, progress if local else None)
        skipped: list[tuple[str, str]] = []
        batches = engine.map(
            function,
            Source(units, _shard_batch),
            workers=workers,
            gpus_per_worker=gpus,
            batch_format="numpy",
        )
        for batch in batches:
            rows, ok = np.asarray(batch["row"]), np.asarray(batch["ok"], dtype=bool)
            if ok.any():
                test, train = np.asarray(batch["test"])[ok], np.asarray(batch["train"])[ok]
                shares = pa.array(np.asarray(batch[FACE_SHARE], dtype=np.float64)[ok])
                writer.add_shard(_with_face_share(manifest.take(rows[ok]), shares), test, train)
            skipped += [(paths[r], str(reason)) for r, good, reason in zip(rows, ok, batch["reason"], strict=True)
                        if not good]  # fmt: skip
            if progress is not None and not local:
                progress(len(rows))
        stored = writer.done
        same_as_skipped = [i for i in reference if writer.info.clip_key(ids[i]) not in stored]
        skipped += [(paths[i], "same content as a clip that was skipped") for i in same_as_skipped]
        reference = [i for i in reference if i not in same_as_skipped]
        # a row that reuses another clip's features is never decoded: its file is re-hashed here instead
        changed = {i: reason for i in reference if (reason := read_checked(paths[i], ids[i], lambda: None))}
        skipped += [(paths[i], reason) for i, reason in changed.items()]
        reference = [i for i in reference if i not in changed]
        if reference:
            writer.add_references(_with_face_share(manifest.take(reference), _stored_shares(writer, ids, reference)))
        writer.write_skipped(skipped)
    return FeatureStore(out)


def _with_face_share(rows: pa.Table, shares: pa.Array) -> pa.Table:
    if FACE_SHARE in rows.column_names:
        rows = rows.drop_columns([FACE_SHARE])
    return rows.append_column(FACE_SHARE, shares.cast(pa.float64()))


def _stored_shares(writer: FeatureStoreWriter, ids: list[str], rows: list[int]) -> pa.Array:
    """The face share already stored for the clip keys of ``rows`` (null for stores made before it)."""
    index = writer.index
    shares: dict[str, float | None] = {}
    if index is not None and FACE_SHARE in index.column_names:
        shares = dict(zip(index.column("clip_key").to_pylist(), index.column(FACE_SHARE).to_pylist(), strict=True))
    return pa.array([shares.get(writer.info.clip_key(ids[i])) for i in rows], type=pa.float64())


def _workers(cfg: ExtractConfig) -> tuple[int, float]:
    """(actors, GPUs per actor): one actor per GPU of the Ray cluster, else one CPU actor."""
    if cfg.engine != "ray" or cfg.device == "cpu":
        return 1, 0
    import ray

    from affectlab.engines import default_workers
    from affectlab.engines.ray_data import ray_context

    with ray_context(default_workers()):
        gpus = int(ray.cluster_resources().get("GPU", 0))
    return (gpus, 1) if gpus else (1, 0)
