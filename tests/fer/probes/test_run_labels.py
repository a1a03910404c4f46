"""Training reads the label table a manifest stores (``run_labels``), not a table of its own for the dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from affectlab.errors import AffectlabError
from affectlab.fer.cache.store import FeatureInfo, FeatureStore
from affectlab.fer.config import SamplingConfig, TrainConfig
from affectlab.fer.data.layouts import label_table
from affectlab.fer.data.manifest import index_dataset, read_manifest, with_labels, write_manifest
from affectlab.fer.probes.evaluate import cross_validate, run_labels
from tests.fer.synthetic import planted_manifest, planted_tokens, write_feature_store

# A RAVDESS manifest of three of its classes, in an order of its own (not RAVDESS's 8-class table).
STORED = ("surprised", "sad", "neutral")


def _three_class_manifest() -> pa.Table:
    table = planted_manifest("ravdess", actors=6, clips_per_actor=12, folds=3, seed=0)
    index = [i % len(STORED) for i in range(table.num_rows)]
    table = table.set_column(table.column_names.index("label"), "label", pa.array([STORED[i] for i in index]))
    table = table.set_column(table.column_names.index("label_index"), "label_index", pa.array(index, pa.int64()))
    return with_labels(table, STORED)


def test_the_stored_table_is_the_one_used(shared_data: Path, tmp_path: Path):
    """The real RAVDESS clips indexed, then given a table of the four classes they hold, in an order of its own."""
    table, _ = index_dataset(shared_data / "face_video/ravdess", "ravdess", check_videos=False, hash_files=False)
    assert run_labels(table) == ("ravdess", label_table("ravdess"))
    own = ("surprised", "fearful", "sad", "neutral")
    index = pa.array([own.index(name) for name in table.column("label").to_pylist()], pa.int32())
    manifest = with_labels(table.set_column(table.column_names.index("label_index"), "label_index", index), own)
    write_manifest(manifest, tmp_path / "m.parquet")
    assert run_labels(read_manifest(tmp_path / "m.parquet")) == ("ravdess", own)
    assert run_labels(_three_class_manifest()) == ("ravdess", STORED)


def test_a_feature_store_keeps_the_table_and_training_uses_it(tmp_path: Path):
    manifest = _three_class_manifest()
    y = np.asarray(manifest.column("label_index").to_pylist())
    info = FeatureInfo(encoder="synthetic", checkpoint_sha256="none", embed_dim=8, tokens_per_segment=2,
                       num_segments=1, test_views=1, train_views=1,
                       sampling=SamplingConfig(num_segments=1, num_views=1, train_views=1))  # fmt: skip
    tokens = planted_tokens(y, 1, 1, 2, 8, 3.0, 0)
    store = write_feature_store(tmp_path / "store", manifest, tokens, tokens, info)
    assert run_labels(FeatureStore(store.root).manifest) == ("ravdess", STORED)
    cfg = TrainConfig(probe="linear", epochs=2, batch_size=16, num_heads=1, lrs=[1e-2])
    folds, labels, dataset = cross_validate(store, cfg)
    assert (dataset, labels) == ("ravdess", STORED)
    assert all(len(p) == len(STORED) for fold in folds for p in fold.probs)  # one output per stored class


def test_a_table_that_contradicts_the_rows_is_refused():
    manifest = with_labels(_three_class_manifest(), ("sad", "surprised", "neutral"))
    with pytest.raises(AffectlabError, match=r"a clip labelled 'surprised' has label_index 0, which is 'sad'"):
        run_labels(manifest, "store/")


def test_without_a_stored_table_the_layout_table_or_the_rows_give_it():
    planted = planted_manifest("ravdess", actors=2, clips_per_actor=3, folds=2, seed=0)  # no table stored
    assert run_labels(planted) == ("ravdess", label_table("ravdess"))
    rows = {"dataset": ["folder"] * 2, "label": ["pain", "joy"], "label_index": [1, 0], "actor": ["a", "b"]}
    assert run_labels(pa.table(rows)) == ("folder", ("happy", "pain"))
