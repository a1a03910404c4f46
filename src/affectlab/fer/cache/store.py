"""The feature cache: per-clip encoder tokens in sharded ``.npy`` files with an atomically rewritten index.

Layout of a store folder::

    info.json               FeatureInfo (encoder, checkpoint hash, sampling, pooling, shapes) + cache key
    index.parquet           one row per clip: the manifest columns + clip_key, shard, shard_row
    skipped.csv             clips that could not be extracted (path, reason), when there were any
    shards/00000.test.npy   [n, test_views, segments, tokens_per_segment, D] in the store dtype
    shards/00000.train.npy  [n, train_views, segments, tokens_per_segment, D] in the store dtype
    .affectlab.lock         held by the one process writing the store
    extracting.json         present while an extraction has not finished ({"clips": rows of its manifest})

A clip's key is ``sha256(cache_key, content_hash)`` where the cache key hashes the encoder name, its
checkpoint sha256, the sampling config, the pooling, the view counts and the store dtype (settings added
later are left out of the key while at their defaults, so older stores keep their keys and resume). The
store dtype is float32, float16 or bfloat16 (kept as its raw 16 bits in uint16 arrays, since numpy has no
bfloat16); reads always return float32. Shards are written first and the
index is replaced atomically after each shard, so a killed run leaves only complete shards that the index
names (an orphan shard from the very moment of the kill is overwritten on resume) and resumes where it
stopped. Readers refuse a store whose writer holds the lock or whose last extraction did not finish
(``extracting.json``); stores written before that file existed read as complete.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import torch
from pydantic import BaseModel, ConfigDict, ValidationError

from affectlab.errors import AffectlabError
from affectlab.fer.config import Pooling, SamplingConfig, StoreDtype
from affectlab.io import atomic_path, file_sha256, lock_holder, read_json, remove_stale_temps, write_json

Split = Literal["test", "train"]
INFO_FILE = "info.json"
INDEX_FILE = "index.parquet"
SKIPPED_FILE = "skipped.csv"
PENDING_FILE = "extracting.json"
SHARD_DIR = "shards"
STORE_COLUMNS = ("clip_key", "shard", "shard_row")
# settings added after the first stores were written: out of the cache key while at these defaults
LATER_SAMPLING_DEFAULTS = {"train_augment": "crop-flip", "randaugment": "rand-m7-n4-mstd0.5-inc1",
                           "erase_prob": 0.25, "eval_transform": "affectlab"}  # fmt: skip
NUMPY_DTYPES = {"float32": np.dtype(np.float32), "float16": np.dtype(np.float16), "bfloat16": np.dtype(np.uint16)}


class FeatureInfo(BaseModel):
    """What a feature store holds and how it was made; its hash is the cache key."""

    model_config = ConfigDict(extra="forbid")

    encoder: str
    checkpoint_sha256: str
    sampling: SamplingConfig
    embed_dim: int
    tokens_per_segment: int
    num_segments: int
    test_views: int
    train_views: int
    pooling: Pooling = "none"
    store_dtype: StoreDtype = "float32"

    @property
    def cache_key(self) -> str:
        """sha256 of everything that changes the features (not of the shapes derived from it)."""
        keyed = self.model_dump(mode="json", include={"encoder", "checkpoint_sha256", "sampling", "pooling"})
        for name, value in LATER_SAMPLING_DEFAULTS.items():
            if keyed["sampling"].get(name) == value:
                del keyed["sampling"][name]
        keyed["views"] = [self.test_views, self.train_views]
        if self.store_dtype != "float32":
            keyed["store_dtype"] = self.store_dtype
        return hashlib.sha256(json.dumps(keyed, sort_keys=True).encode()).hexdigest()

    def bytes_per_clip(self) -> int:
        """Size of one clip's stored tokens (test and train views)."""
        tokens = (self.test_views + self.train_views) * self.num_segments * self.tokens_per_segment
        return tokens * self.embed_dim * NUMPY_DTYPES[self.store_dtype].itemsize

    def clip_key(self, content_hash: str) -> str:
        """Key of one clip's features: the cache key combined with the video's content hash."""
        return hashlib.sha256(f"{self.cache_key}:{content_hash}".encode()).hexdigest()

    def differences(self, other: FeatureInfo) -> list[str]:
        """``name: this -> other`` for every setting (sampling fields one by one) that differs."""
        mine, theirs = self.model_dump(mode="json"), other.model_dump(mode="json")
        flat = lambda d: {**{k: v for k, v in d.items() if k != "sampling"}, **d["sampling"]}  # noqa: E731
        a, b = flat(mine), flat(theirs)
        return [f"{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in dict.fromkeys([*a, *b]) if a.get(k) != b.get(k)]


DATASET_CLIPS = {"RAVDESS (2,880 clips)": 2880, "CREMA-D (7,442 clips)": 7442}


def size_rows(embed_dim: int = 1280, slots: int = 8, side: int = 24, segments: int = 8) -> list[dict[str, str]]:
    """The size of a store per clip and per dataset for each pooling, dtype and number of train views, for
    ViT-H/16 at 384 px by default (8 temporal slots of 24 x 24 tokens per 16-frame segment, 3 test views):
    the table of docs/fer/reproduce.md."""
    rows = []
    for pooling, cells in (("none", side), ("grid:8", 8), ("grid:4", 4), ("grid", 2), ("mean", None)):
        for dtype in ("float32", "bfloat16"):
            for views in (1, 4):
                tokens = 1 if cells is None else slots * cells * cells
                info = FeatureInfo(encoder="vjepa-vit_huge", checkpoint_sha256="", sampling=SamplingConfig(),
                                   embed_dim=embed_dim, tokens_per_segment=tokens, num_segments=segments,
                                   test_views=3, train_views=views, pooling=pooling, store_dtype=dtype)  # fmt: skip
                size = info.bytes_per_clip()
                rows.append({"--pooling": pooling, "--store-dtype": dtype, "--train-views": str(views),
                             "tokens per view": f"{segments * tokens:,}", "per clip": f"{size / 1e6:,.2f} MB",
                             **{name: f"{n * size / 1e9:,.1f} GB" for name, n in DATASET_CLIPS.items()}})  # fmt: skip
    return rows


def clip_content_ids(manifest: pa.Table) -> list[str]:
    """Per-row content identity: the ``content_hash`` column, hashing the file where it is empty."""
    if "content_hash" not in manifest.column_names:
        raise AffectlabError(f"manifest has no 'content_hash' column (columns: {manifest.column_names})")
    hashes = manifest.column("content_hash").to_pylist()
    if all(hashes):
        return hashes
    if "path" not in manifest.column_names:
        raise AffectlabError("manifest rows without content_hash need a 'path' column to hash the video")
    from affectlab.fer.data.video import check_video_file  # decoding libraries: only when a file is hashed

    def content_id(path: str) -> str:
        check_video_file(path)  # a device behind a video's name would be hashed forever
        return file_sha256(path)

    return [h or content_id(p) for h, p in zip(hashes, manifest.column("path").to_pylist(), strict=True)]


def to_store_dtype(array: np.ndarray, dtype: StoreDtype) -> np.ndarray:
    """float32 tokens in the store's on-disk dtype (bfloat16: round to nearest even, raw bits as uint16)."""
    if dtype != "bfloat16":
        return np.ascontiguousarray(array, dtype=NUMPY_DTYPES[dtype])
    bits = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32)).to(torch.bfloat16).view(torch.int16)
    return bits.numpy().view(np.uint16)


def from_store_dtype(array: np.ndarray, dtype: StoreDtype) -> np.ndarray:
    """Stored tokens back to float32 (exact: every half value is a float32 value)."""
    if dtype != "bfloat16":
        return np.asarray(array, dtype=np.float32)
    return (np.asarray(array, dtype=np.uint32) << 16).view(np.float32)


def _save_npy(path: Path, array: np.ndarray, dtype: StoreDtype = "float32") -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.save(fh, to_store_dtype(array, dtype))


def read_info(root: Path) -> FeatureInfo:
    """The :class:`FeatureInfo` of a store folder, with one-line errors for a folder that is not one."""
    info_path = root / INFO_FILE
    if not info_path.is_file():
        raise AffectlabError(f"{info_path}: not a feature store (expected info.json written by extract)")
    data = read_json(info_path)
    if not isinstance(data, dict):
        raise AffectlabError(f"{info_path}: not a feature store description (expected a JSON object)")
    data.pop("cache_key", None)
    try:
        return FeatureInfo.model_validate(data)
    except ValidationError as err:
        problem = err.errors()[0]
        raise AffectlabError(
            f"{info_path}: not a feature store description ({'.'.join(map(str, problem['loc']))}: {problem['msg']})"
        ) from None


def is_store(root: str | Path) -> bool:
    """True when ``root`` holds a feature store's ``info.json``."""
    return (Path(root) / INFO_FILE).is_file()


def check_complete(root: Path) -> None:
    """Refuse a store that is being written (its writer holds the lock) or whose extraction stopped early."""
    holder = lock_holder(root)
    if holder is not None:
        raise AffectlabError(
            f"{root}: the feature store is being written by another process (pid {holder}); "
            "wait for 'affectlab fer extract' to finish"
        )
    pending = root / PENDING_FILE
    if pending.is_file():
        expected = read_json(pending)
        clips = expected.get("clips") if isinstance(expected, dict) else None
        index_path = root / INDEX_FILE
        stored = _read_index(index_path).num_rows if index_path.is_file() else 0
        of = f" of {clips}" if isinstance(clips, int) else ""
        raise AffectlabError(
            f"{root}: the extraction into this feature store did not finish ({stored}{of} clips stored); "
            "run the same 'affectlab fer extract' again to complete it"
        )


class FeatureStore:
    """Read access to a complete feature store folder written by :class:`FeatureStoreWriter`."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.info = read_info(self.root)
        check_complete(self.root)
        index_path = self.root / INDEX_FILE
        self._index = _read_index(index_path) if index_path.is_file() else None
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

    @property
    def skipped(self) -> list[tuple[str, str]]:
        """``(path, reason)`` of the clips extraction could not use."""
        path = self.root / SKIPPED_FILE
        if not path.is_file():
            return []
        with open(path, newline="", encoding="utf-8") as fh:
            return [(row["path"], row["reason"]) for row in csv.DictReader(fh)]

    def __len__(self) -> int:
        return 0 if self._index is None else self._index.num_rows

    def __repr__(self) -> str:
        i = self.info
        return (
            f"FeatureStore({self.root}: {len(self)} clips, {i.encoder}, {i.test_views}+{i.train_views} views x "
            f"{i.num_segments} segments x {i.tokens_per_segment} tokens x {i.embed_dim} ({i.pooling}))"
        )

    def _shard(self, shard: int, split: Split) -> np.ndarray:
        key = (shard, split)
        if key not in self._shards:
            path = self.root / SHARD_DIR / f"{shard:05d}.{split}.npy"
            if not path.is_file():
                raise AffectlabError(f"{path}: shard named in {self.root / INDEX_FILE} is missing")
            try:
                array = np.load(path, mmap_mode="r", allow_pickle=False)
            except (ValueError, OSError, EOFError) as err:
                raise AffectlabError(f"{path}: corrupt or truncated feature shard ({err})") from None
            i = self.info
            views = i.test_views if split == "test" else i.train_views
            expected = (views, i.num_segments, i.tokens_per_segment, i.embed_dim)
            if array.ndim != 5 or array.shape[1:] != expected or array.dtype != NUMPY_DTYPES[i.store_dtype]:
                raise AffectlabError(
                    f"{path}: feature shard has shape {array.shape} {array.dtype}, expected "
                    f"[n, {', '.join(map(str, expected))}] {i.store_dtype} from {self.root / INFO_FILE}"
                )
            self._shards[key] = array
        return self._shards[key]

    def tokens(self, split: Split, rows: Sequence[int] | None = None) -> np.ndarray:
        """float32 ``[n, views, segments, tokens_per_segment, D]`` for ``rows`` (all rows when None), whatever
        the store dtype."""
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
            array = self._shard(int(shard), split)
            if offsets[where].max(initial=-1) >= len(array):
                raise AffectlabError(
                    f"{self.root / SHARD_DIR}/{int(shard):05d}.{split}.npy: holds {len(array)} clips, the index "
                    f"names row {int(offsets[where].max())}; the store is damaged, extract it again"
                )
            out[where] = from_store_dtype(array[offsets[where]], self.info.store_dtype)
        return out

    def pooled(self, split: Split, rows: Sequence[int] | None = None) -> np.ndarray:
        """float32 ``[n, views, D]``: the global mean over segments and tokens."""
        return self.tokens(split, rows).mean(axis=(2, 3), dtype=np.float64).astype(np.float32)


def _read_index(path: Path) -> pa.Table:
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as err:
        raise AffectlabError(f"{path}: corrupt store index ({str(err).splitlines()[0]})") from None
    missing = [c for c in ("path", *STORE_COLUMNS) if c not in table.column_names]
    if missing:
        raise AffectlabError(f"{path}: not a store index (missing columns {', '.join(missing)})")
    return table


class FeatureStoreWriter:
    """Appends shards to a store folder; reopening the same folder with the same info resumes it.

    The caller holds the store's lock (:func:`affectlab.io.exclusive_lock`) while writing.
    """

    def __init__(self, root: str | Path, info: FeatureInfo) -> None:
        self.root = Path(root)
        self.info = info
        info_path = self.root / INFO_FILE
        if info_path.is_file():
            existing = read_info(self.root)
            if existing.cache_key != info.cache_key:
                raise AffectlabError(
                    f"{self.root}: holds features with cache key {existing.cache_key[:12]}..., made with other "
                    f"settings ({'; '.join(existing.differences(info))}); choose a new output folder"
                )
        else:
            write_json(info_path, {**info.model_dump(mode="json"), "cache_key": info.cache_key})
        for folder in (self.root, self.root / SHARD_DIR):  # temporaries of a killed run: never in the store
            remove_stale_temps(folder)
        index_path = self.root / INDEX_FILE
        self.index: pa.Table | None = _read_index(index_path) if index_path.is_file() else None

    def begin(self, clips: int) -> None:
        """Mark the store unfinished (an extraction of ``clips`` manifest rows) until :meth:`finish`."""
        write_json(self.root / PENDING_FILE, {"clips": clips})

    def finish(self) -> None:
        """Mark the store complete: readers accept it again."""
        (self.root / PENDING_FILE).unlink(missing_ok=True)

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
        self.index = rows if self.index is None else pa.concat_tables([self.index, rows], promote_options="default")
        with atomic_path(self.root / INDEX_FILE) as tmp:
            pq.write_table(self.index, tmp)

    def add_shard(self, rows: pa.Table, test_tokens: np.ndarray, train_tokens: np.ndarray) -> None:
        """Store one shard of clips (manifest ``rows``) and then commit them to the index atomically."""
        n = rows.num_rows
        self._check("test", test_tokens, self.info.test_views, n)
        self._check("train", train_tokens, self.info.train_views, n)
        shard = self._next_shard()
        _save_npy(self.root / SHARD_DIR / f"{shard:05d}.test.npy", test_tokens, self.info.store_dtype)
        _save_npy(self.root / SHARD_DIR / f"{shard:05d}.train.npy", train_tokens, self.info.store_dtype)
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

    def write_skipped(self, skipped: Sequence[tuple[str, str]]) -> None:
        """Record the clips that could not be extracted (replaces the list of an earlier run)."""
        path = self.root / SKIPPED_FILE
        if not skipped:
            path.unlink(missing_ok=True)
            return
        with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["path", "reason"])
            writer.writerows(skipped)


def _with_store_columns(rows: pa.Table, extra: dict[str, list[Any]]) -> pa.Table:
    rows = rows.drop_columns([c for c in STORE_COLUMNS if c in rows.column_names])
    types = {"clip_key": pa.string(), "shard": pa.int32(), "shard_row": pa.int32()}
    for name, values in extra.items():
        rows = rows.append_column(name, pa.array(values, type=types[name]))
    return rows
