"""The cache fidelity knobs: half-precision stores (float16, bfloat16 as raw bits) read back as float32, keyed on
their dtype, old float32 stores keep their keys; grid:N pooling; sizes per clip."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import torch

from affectlab.fer.cache.store import FeatureInfo, FeatureStore
from affectlab.fer.config import ExtractConfig, SamplingConfig
from affectlab.fer.encoders.pooling import pool_tokens, pooled_grid
from tests.fer.synthetic import planted_manifest, planted_tokens, write_feature_store


def _info(**update) -> FeatureInfo:
    base = {"encoder": "synthetic", "checkpoint_sha256": "none", "sampling": SamplingConfig(num_segments=2),
            "embed_dim": 8, "tokens_per_segment": 3, "num_segments": 2, "test_views": 2, "train_views": 1}  # fmt: skip
    return FeatureInfo(**{**base, **update})


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_half_stores_read_back_as_float32(tmp_path, dtype: str) -> None:
    manifest = planted_manifest("ravdess", 2, 3, 2, 0)
    y = np.asarray(manifest.column("label_index").to_pylist())
    test, train = (planted_tokens(y, v, 2, 3, 8, 1.0, s) for v, s in ((2, 1), (1, 2)))
    store = write_feature_store(tmp_path / dtype, manifest, test, train, _info(store_dtype=dtype))
    got = FeatureStore(store.root).tokens("test")
    assert got.dtype == np.float32
    if dtype == "float32":
        np.testing.assert_array_equal(got, test)
    elif dtype == "float16":
        np.testing.assert_array_equal(got, test.astype(np.float16).astype(np.float32))
    else:
        np.testing.assert_array_equal(got, torch.from_numpy(test).to(torch.bfloat16).float().numpy())
        assert np.abs(got - test).max() <= np.abs(test).max() * 2**-8  # 8 bits of mantissa
    shard = np.load(store.root / "shards/00000.test.npy")
    assert shard.dtype == {"float32": np.float32, "float16": np.float16, "bfloat16": np.uint16}[dtype]


def test_cache_key_covers_the_dtype_and_keeps_old_keys() -> None:
    keys = {d: _info(store_dtype=d).cache_key for d in ("float32", "float16", "bfloat16")}
    assert len(set(keys.values())) == 3
    old = _info().model_dump(mode="json", include={"encoder", "checkpoint_sha256", "sampling", "pooling"})
    for name in ("train_augment", "randaugment", "erase_prob", "eval_transform"):  # fields added by this change
        del old["sampling"][name]
    old["views"] = [2, 1]
    assert keys["float32"] == hashlib.sha256(json.dumps(old, sort_keys=True).encode()).hexdigest()
    assert _info(sampling=SamplingConfig(num_segments=2, train_augment="vjepa")).cache_key != keys["float32"]


def test_grid_n_pooling() -> None:
    assert ExtractConfig(pooling="grid:2").pooling == "grid" and ExtractConfig(pooling="grid:3").pooling == "grid:3"
    assert pooled_grid((8, 24, 24), "grid:4") == (8, 4, 4) and pooled_grid((8, 2, 2), "grid:4") == (8, 2, 2)
    tokens = torch.arange(36, dtype=torch.float32).reshape(1, 36, 1)  # one slot of 6 x 6, value = 6 * row + col
    cells = pool_tokens(tokens, (1, 6, 6), "grid:3")[0, :, 0]
    assert cells.tolist() == [3.5, 5.5, 7.5, 15.5, 17.5, 19.5, 27.5, 29.5, 31.5]  # 2 x 2 means


SIZES = [("none", "float32", 754.97), ("grid", "float32", 5.24), ("grid:4", "float16", 10.49),
         ("none", "bfloat16", 377.49)]  # fmt: skip


@pytest.mark.parametrize(("pooling", "dtype", "mb"), SIZES)
def test_size_per_clip_of_vit_h_384(pooling: str, dtype: str, mb: float) -> None:
    per_segment = {"none": 8 * 24 * 24, "grid": 8 * 2 * 2, "grid:4": 8 * 4 * 4}[pooling]
    info = _info(embed_dim=1280, tokens_per_segment=per_segment, num_segments=8, test_views=3, train_views=1,
                 pooling=pooling, store_dtype=dtype)  # fmt: skip
    assert info.bytes_per_clip() / 1e6 == pytest.approx(mb, abs=0.01)
    if pooling == "none" and dtype == "float32":
        assert 7442 * info.bytes_per_clip() / 1e12 == pytest.approx(5.62, abs=0.01)  # CREMA-D: the 5.6 TB
