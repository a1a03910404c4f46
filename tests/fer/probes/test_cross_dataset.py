"""Cross-dataset evaluation: label-map policy on probabilities, and RAVDESS-trained probes on CREMA-D."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from affectlab.errors import AffectlabError
from affectlab.fer.data.labels import cross_dataset_map
from affectlab.fer.data.layouts import label_table
from affectlab.fer.probes.cross_dataset import cross_evaluate, map_probabilities, reachable
from affectlab.fer.probes.train import TrainConfig
from tests.fer.probes.training import train_run
from tests.fer.synthetic import planted_store


def test_merge_sums_calm_into_neutral_and_drop_removes_it() -> None:
    probs = np.array([[0.1, 0.3, 0.0, 0.0, 0.0, 0.0, 0.0, 0.6]])  # RAVDESS: neutral, calm, ..., surprised
    merge = cross_dataset_map(label_table("ravdess"), label_table("crema-d"), "merge")
    drop = cross_dataset_map(label_table("ravdess"), label_table("crema-d"), "drop")
    neutral = label_table("crema-d").index("neutral")
    assert map_probabilities(probs, merge, 6)[0, neutral] == pytest.approx(0.4)
    assert map_probabilities(probs, drop, 6)[0, neutral] == pytest.approx(0.1)
    assert map_probabilities(probs, drop, 6).sum() == pytest.approx(0.1)  # surprised (0.6) and calm removed
    assert reachable(drop, 6).all()
    back = cross_dataset_map(label_table("crema-d"), label_table("ravdess"), "drop")
    assert reachable(back, 8).tolist() == [True, False, True, True, True, True, True, False]


@pytest.fixture(scope="module")
def ravdess_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cross")
    planted_store(root / "ravdess", dataset="ravdess", actors=4, clips_per_actor=16, folds=2, signal=4.0, seed=0)
    cfg = TrainConfig(probe="linear", epochs=20, lrs=[1e-2], batch_size=16)
    train_run(root / "ravdess", cfg, root / "run")
    return root


def _crema_store(root: Path, name: str, seed_prototypes: int) -> Path:
    """CREMA-D clips carrying the *same* class prototypes (by canonical name) as the RAVDESS store."""
    from affectlab.fer.cache.store import FeatureInfo
    from affectlab.fer.config import SamplingConfig
    from tests.fer.synthetic import planted_manifest, planted_tokens, write_feature_store

    manifest = planted_manifest("crema-d", 3, 12, 3, seed=5)
    y = np.asarray(manifest.column("label_index").to_pylist())
    to_ravdess = cross_dataset_map(label_table("crema-d"), label_table("ravdess"))
    ravdess_y = np.array([to_ravdess[int(i)] for i in y])
    tokens = planted_tokens(ravdess_y, 2, 2, 3, 16, 4.0, seed_prototypes)
    info = FeatureInfo(
        encoder="synthetic",
        checkpoint_sha256="none",
        sampling=SamplingConfig(num_segments=2, num_views=2, train_views=2),
        embed_dim=16,
        tokens_per_segment=3,
        num_segments=2,
        test_views=2,
        train_views=2,
    )
    write_feature_store(root / name, manifest, tokens, tokens, info)
    return root / name


def test_probes_transfer_through_the_label_map(ravdess_run: Path) -> None:
    same = _crema_store(ravdess_run, "crema_same", seed_prototypes=1)  # the RAVDESS store's prototype seed
    result = cross_evaluate(ravdess_run / "run", same, calm="drop")
    assert result["clips_scored"] == 36 and result["clips_left_out"] == 0
    assert len(result["folds"]) == 2 and result["summary"]["uar"]["mean"] >= 0.95
    assert (Path(result["out"]) / "cross_metrics.md").is_file() and (
        Path(result["out"]) / "confusion_cross.png"
    ).is_file()
    other = _crema_store(ravdess_run, "crema_other", seed_prototypes=99)  # unrelated prototypes: near chance
    assert cross_evaluate(ravdess_run / "run", other, out=ravdess_run / "o")["summary"]["uar"]["mean"] < 0.5


def test_mismatched_features_are_refused(ravdess_run: Path, tmp_path: Path) -> None:
    wide = planted_store(tmp_path / "wide", dataset="crema-d", actors=2, clips_per_actor=6, folds=2, dim=8)
    with pytest.raises(AffectlabError, match="embed_dim"):
        cross_evaluate(ravdess_run / "run", wide.root)
