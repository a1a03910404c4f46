"""The feature cache: per-clip encoder tokens in sharded ``.npy`` files with an atomically rewritten index.

Layout of a store folder::

    info.json               FeatureInfo (encoder, checkpoint hash, sampling, pooling, shapes) + cache key
    index.parquet           one row per clip: the manifest columns + clip_key, shard, shard_row
    shards/00000.test.npy   float32 [n, test_views, segments, tokens_per_segment, D]
    shards/00000.train.npy  float32 [n, train_views, segments, tokens_per_segment, D]

A clip's key is ``sha256(cache_key, content_hash)`` where the cache key hashes the encoder name, its
checkpoint sha256, the sampling config, the pooling and the view counts. Shards are written first and the
index is replaced atomically after each shard, so a killed run leaves only complete shards that the index
names (an orphan shard from the very moment of the kill is overwritten on resume) and resumes where it
stopped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict

from affectlab.errors import AffectlabError
from affectlab.fer.encoders.pooling import Pooling
from affectlab.io import atomic_path, file_sha256, write_text_atomic

Split = Literal["test", "train"]
INFO_FILE = "info.json"
INDEX_FILE = "index.parquet"
SHARD_DIR = "shards"
STORE_COLUMNS = ("clip_key", "shard", "shard_row")


class FeatureInfo(BaseModel):
    """What a feature store holds and how it was made; its hash is the cache key."""

    model_config = ConfigDict(extra="forbid")

    encoder: str
    checkpoint_sha256: str
    sampling: dict[str, Any]
    embed_dim: int
    tokens_per_segment: int
    num_segments: int
    test_views: int
    train_views: int
    pooling: Pooling = "none"

    @property
    def cache_key(self) -> str:
        """sha256 of everything that changes the features (not of the shapes derived from it)."""
        keyed = self.model_dump(include={"encoder", "checkpoint_sha256", "sampling", "pooling"})
        keyed["views"] = [self.test_views, self.train_views]
        return hashlib.sha256(json.dumps(keyed, sort_keys=True).encode()).hexdigest()

    def clip_key(self, content_hash: str) -> str:
        """Key of one clip's features: the cache key combined with the video's content hash."""
        return hashlib.sha256(f"{self.cache_key}:{content_hash}".encode()).hexdigest()


def clip_content_ids(manifest: pa.Table) -> list[str]:
    """Per-row content identity: the ``content_hash`` column, hashing the file where it is empty."""
    if "content_hash" not in manifest.column_names:
        raise AffectlabError(f"manifest has no 'content_hash' column (columns: {manifest.column_names})")
    hashes = manifest.column("content_hash").to_pylist()
    if all(hashes):
        return hashes
    if "path" not in manifest.column_names:
        raise AffectlabError("manifest rows without content_hash need a 'path' column to hash the video")
    return [h or file_sha256(p) for h, p in zip(hashes, manifest.column("path").to_pylist(), strict=True)]


def _save_npy(path: Path, array: np.ndarray) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.save(fh, np.ascontiguousarray(array, dtype=np.float32))


def _write_json(path: Path, data: dict[str, Any]) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True))


class FeatureStore:
    """Read access to a feature store folder written by :class:`FeatureStoreWriter`."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        info_path = self.root / INFO_FILE
        if not info_path.is_file():
            raise AffectlabError(f"{info_path}: not a feature store (expected info.json written by extract)")
        data = json.loads(info_path.read_text())
        data.pop("cache_key", None)
        self.info = FeatureInfo.model_validate(data)
        index_path = self.root / INDEX_FILE
        self._index = pq.read_table(index_path) if index_path.is_file() else None
        self._shards: dict[tuple[int, str], np.ndarray] = {}

    @property
    def index(self) -> pa.Table:
        """The full index: manifest columns plus clip_key, shard and shard_row."""
        if self._index is None:
            raise AffectlabError(f"{self.root / INDEX_FILE}: missing; the store holds no clips yet")
        return self._index

    @property
    def manifest(self) -> pa.Table:
        """One row per clip, the manifest columns, in store order."""
        return self.index.drop_columns(list(STORE_COLUMNS))

    def __len__(self) -> int:
        return 0 if self._index is None else self._index.num_rows

    def _shard(self, shard: int, split: Split) -> np.ndarray:
        key = (shard, split)
        if key not in self._shards:
            path = self.root / SHARD_DIR / f"{shard:05d}.{split}.npy"
            if not path.is_file():
                raise AffectlabError(f"{path}: shard named in {self.root / INDEX_FILE} is missing")
            self._shards[key] = np.load(path, mmap_mode="r")
        return self._shards[key]

    def tokens(self, split: Split, rows: Sequence[int] | None = None) -> np.ndarray:
        """float32 ``[n, views, segments, tokens_per_segment, D]`` for ``rows`` (all rows when None)."""
        if split not in ("test", "train"):
            raise AffectlabError(f"split must be 'test' or 'train', got {split!r}")
        idx = np.arange(len(self)) if rows is None else np.asarray(rows, dtype=np.int64)
        shards = np.asarray(self.index.column("shard").to_numpy())[idx]
        offsets = np.asarray(self.index.column("shard_row").to_numpy())[idx]
        views = self.info.test_views if split == "test" else self.info.train_views
        shape = (len(idx), views, self.info.num_segments, self.info.tokens_per_segment, self.info.embed_dim)
        out = np.empty(shape, dtype=np.float32)
        for shard in np.unique(shards):
            where = np.nonzero(shards == shard)[0]
            out[where] = self._shard(int(shard), split)[offsets[where]]
        return out

    def pooled(self, split: Split, rows: Sequence[int] | None = None) -> np.ndarray:
        """float32 ``[n, views, D]``: the global mean over segments and tokens."""
        return self.tokens(split, rows).mean(axis=(2, 3), dtype=np.float64).astype(np.float32)


class FeatureStoreWriter:
    """Appends shards to a store folder; reopening the same folder with the same info resumes it."""

    def __init__(self, root: str | Path, info: FeatureInfo) -> None:
        self.root = Path(root)
        self.info = info
        info_path = self.root / INFO_FILE
        if info_path.is_file():
            existing = json.loads(info_path.read_text()).get("cache_key")
            if existing != info.cache_key:
                raise AffectlabError(
                    f"{info_path}: holds features with cache key {existing}, not {info.cache_key} "
                    "(another encoder, checkpoint, sampling or pooling); choose a new output folder"
                )
        else:
            _write_json(info_path, {**info.model_dump(), "cache_key": info.cache_key})
        for stale in [*self.root.glob(".*.tmp"), *(self.root / SHARD_DIR).glob(".*.tmp")]:
            stale.unlink()  # temp files of a killed run: never part of the store
        index_path = self.root / INDEX_FILE
        self.index: pa.Table | None = pq.read_table(index_path) if index_path.is_file() else None

    @property
    def done(self) -> dict[str, tuple[int, int]]:
        """clip_key -> (shard, shard_row) of every clip already stored."""
        if self.index is None:
            return {}
        cols = [self.index.column(c).to_pylist() for c in STORE_COLUMNS]
        return {key: (shard, row) for key, shard, row in zip(*cols, strict=True)}

    def _next_shard(self) -> int:
        return 0 if self.index is None else int(pc.max(self.index.column("shard")).as_py()) + 1

    def _check(self, name: str, array: np.ndarray, views: int, n: int) -> None:
        i = self.info
        expected = (n, views, i.num_segments, i.tokens_per_segment, i.embed_dim)
        if array.shape != expected:
            raise AffectlabError(f"{name} tokens have shape {array.shape}, expected {expected} from {i}")

    def _append_index(self, rows: pa.Table) -> None:
        self.index = (
            rows if self.index is None else pa.concat_tables([self.index, rows], promote_options="default")
        )
        with atomic_path(self.root / INDEX_FILE) as tmp:
            pq.write_table(self.index, tmp)

    def add_shard(self, rows: pa.Table, test_tokens: np.ndarray, train_tokens: np.ndarray) -> None:
        """Store one shard of clips (manifest ``rows``) and then commit them to the index atomically."""
        n = rows.num_rows
        self._check("test", test_tokens, self.info.test_views, n)
        self._check("train", train_tokens, self.info.train_views, n)
        shard = self._next_shard()
        _save_npy(self.root / SHARD_DIR / f"{shard:05d}.test.npy", test_tokens)
        _save_npy(self.root / SHARD_DIR / f"{shard:05d}.train.npy", train_tokens)
        keys = [self.info.clip_key(c) for c in clip_content_ids(rows)]
        extra = {"clip_key": keys, "shard": [shard] * n, "shard_row": list(range(n))}
        self._append_index(_with_store_columns(rows, extra))

    def add_references(self, rows: pa.Table) -> None:
        """Index manifest ``rows`` whose content is already stored (same clip key), computing nothing."""
        done = self.done
        keys = [self.info.clip_key(c) for c in clip_content_ids(rows)]
        extra = {
            "clip_key": keys,
            "shard": [done[k][0] for k in keys],
            "shard_row": [done[k][1] for k in keys],
        }
        self._append_index(_with_store_columns(rows, extra))


def _with_store_columns(rows: pa.Table, extra: dict[str, list[Any]]) -> pa.Table:
    rows = rows.drop_columns([c for c in STORE_COLUMNS if c in rows.column_names])
    types = {"clip_key": pa.string(), "shard": pa.int32(), "shard_row": pa.int32()}
    for name, values in extra.items():
        rows = rows.append_column(name, pa.array(values, type=types[name]))
    return rows


def write_feature_store(
    root: str | Path,
    manifest: pa.Table,
    test_tokens: np.ndarray,
    train_tokens: np.ndarray,
    info: FeatureInfo,
) -> FeatureStore:
    """Write a complete store from in-memory arrays (one shard); used by tests and benchmarks."""
    root = Path(root)
    if (root / INDEX_FILE).exists():
        raise AffectlabError(f"{root}: already holds a feature store; choose an empty folder")
    FeatureStoreWriter(root, info).add_shard(manifest, test_tokens, train_tokens)
    return FeatureStore(root)
