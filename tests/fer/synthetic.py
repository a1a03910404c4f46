"""Feature stores with a planted class signal (or none), for the tests of the probe layer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from affectlab.errors import AffectlabError
from affectlab.fer.cache.store import INDEX_FILE, FeatureInfo, FeatureStore, FeatureStoreWriter
from affectlab.fer.config import SamplingConfig
from affectlab.fer.data.layouts import label_table


def planted_manifest(dataset: str, actors: int, clips_per_actor: int, folds: int, seed: int) -> pa.Table:
    """A manifest in the data layer's columns: labels cycle through the table, actors round-robin to folds."""
    labels = label_table(dataset)
    rows = []
    for a in range(actors):
        for c in range(clips_per_actor):
            idx = (a + c) % len(labels)
            rows.append(
                {
                    "path": f"/synthetic/{dataset}/a{a:02d}_c{c:03d}.mp4",
                    "dataset": dataset,
                    "label": labels[idx],
                    "label_index": idx,
                    "actor": f"{a:02d}",
                    "fold": a % folds,
                    "content_hash": f"{dataset}-{seed}-{a}-{c}",
                }
            )
    return pa.Table.from_pylist(rows)


def planted_tokens(
    labels: np.ndarray, views: int, segments: int, tokens: int, dim: int, signal: float, seed: int
) -> np.ndarray:
    """float32 ``[n, views, segments, tokens, dim]``: unit Gaussian noise plus ``signal`` x a class prototype
    added to one token per segment (so a probe has to find it)."""
    rng = np.random.default_rng(seed)
    prototypes = rng.standard_normal((int(labels.max()) + 1, dim))
    prototypes *= np.sqrt(dim) / np.linalg.norm(prototypes, axis=1, keepdims=True)  # ~unit size per dim
    out = rng.standard_normal((len(labels), views, segments, tokens, dim)).astype(np.float32)
    out[:, :, :, 0, :] += signal * prototypes[labels][:, None, None, :]
    return out


def planted_store(
    root: str | Path,
    *,
    dataset: str = "ravdess",
    actors: int = 6,
    clips_per_actor: int = 16,
    folds: int = 3,
    dim: int = 16,
    segments: int = 2,
    tokens: int = 3,
    test_views: int = 2,
    train_views: int = 2,
    signal: float = 1.0,
    seed: int = 0,
) -> FeatureStore:
    """Write a feature store whose tokens carry the clip's class (``signal=0``: pure noise)."""
    manifest = planted_manifest(dataset, actors, clips_per_actor, folds, seed)
    y = np.asarray(manifest.column("label_index").to_pylist())
    test = planted_tokens(y, test_views, segments, tokens, dim, signal, seed + 1)
    train = planted_tokens(y, train_views, segments, tokens, dim, signal, seed + 1)
    rng = np.random.default_rng(seed + 2)
    train += 0.1 * rng.standard_normal(train.shape).astype(np.float32)  # train views differ from test views
    info = FeatureInfo(
        encoder="synthetic",
        checkpoint_sha256="none",
        sampling=SamplingConfig(num_segments=segments, num_views=test_views, train_views=train_views),
        embed_dim=dim,
        tokens_per_segment=tokens,
        num_segments=segments,
        test_views=test_views,
        train_views=train_views,
    )
    return write_feature_store(root, manifest, test, train, info)


def write_feature_store(
    root: str | Path, manifest: pa.Table, test_tokens: np.ndarray, train_tokens: np.ndarray, info: FeatureInfo
) -> FeatureStore:
    """Write a complete store from in-memory arrays (one shard)."""
    root = Path(root)
    if (root / INDEX_FILE).exists():
        raise AffectlabError(f"{root}: already holds a feature store; choose an empty folder")
    FeatureStoreWriter(root, info).add_shard(manifest, test_tokens, train_tokens)
    return FeatureStore(root)
