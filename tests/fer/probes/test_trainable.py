"""A probe that cannot train is refused before a step; a training that diverges stops naming its fold; no NaN
metric is ever written."""

from __future__ import annotations

import json

import numpy as np
import pytest

import affectlab as al
from affectlab.errors import AffectlabError
from affectlab.fer.config import TrainConfig
from affectlab.fer.probes.train import fit_heads
from tests.fer.synthetic import planted_store


@pytest.mark.parametrize(("clips", "classes"), [(1, 1), (2, 1)])
def test_too_few_clips_or_one_class_is_refused(clips, classes):
    x = np.zeros((clips, 1, 1, 8), np.float32)
    y = np.arange(clips) % classes
    with pytest.raises(AffectlabError, match=r"fold 0: \d training clip\(s\) of 1 class\(es\)"):
        fit_heads(x, y, 8, TrainConfig(probe="linear", epochs=1), seed=0, what="fold 0")


def test_a_two_clip_store_fails_with_one_line_and_writes_no_run(tmp_path):
    store = planted_store(tmp_path / "tiny", actors=2, clips_per_actor=1, folds=2, dim=8)
    with pytest.raises(AffectlabError, match="training clip"):
        al.fer.train(store, tmp_path / "run", probe="linear", epochs=2, device="cpu", progress=False)
    assert not (tmp_path / "run").exists()


def test_diverging_training_stops_with_the_fold_named(tmp_path):
    store = planted_store(tmp_path / "s", actors=4, clips_per_actor=8, folds=2, dim=8)
    x = store.pooled("train")[:, :, None, :] * 1e30  # huge features: attention overflows, the loss is NaN
    y = np.asarray(store.manifest.column("label_index").to_pylist())
    cfg = TrainConfig(probe="attentive", num_heads=2, epochs=2, batch_size=4)
    with pytest.raises(AffectlabError, match="fold 1: the training loss became nan"):
        fit_heads(x, y, 8, cfg, seed=0, what="fold 1")
    bad = x.copy()
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(AffectlabError, match="fold 1: the features hold NaN"):
        fit_heads(bad, y, 8, TrainConfig(probe="linear", epochs=1), seed=0, what="fold 1")


def test_metrics_json_is_strict_json(tmp_path):
    store = planted_store(tmp_path / "s", actors=6, clips_per_actor=8, folds=3, dim=8)
    run = al.fer.train(store, tmp_path / "run", probe="linear", epochs=2, device="cpu", progress=False)
    text = (run.path / "metrics.json").read_text()
    json.loads(text, parse_constant=lambda name: pytest.fail(f"metrics.json holds {name}"))
