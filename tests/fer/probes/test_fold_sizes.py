"""Fold sizes are shown, not hidden: pooled UAR/WAR of the summed confusion beside the fold mean ± std, clips per
fold, chance from the classes present, per-class recall that agrees with the pooled matrix, and a warning for
folds trained on too few clips or optimiser steps."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from affectlab.fer.config import TrainConfig
from affectlab.fer.probes.evaluate import MIN_OPTIMISER_STEPS, MIN_TRAIN_CLIPS, small_training_warning
from affectlab.fer.probes.metrics import FoldScores, chance_uar, metrics_table, pooled, score, uar, war
from affectlab.fer.run_report import class_recalls
from tests.fer.synthetic import planted_store


def _folds() -> list[FoldScores]:
    """Leave-one-actor-out with a 1-clip fold (sad, right) and a 28-clip fold (5 classes of 8 present)."""
    small = score("fold 0", np.array([3]), np.array([3]), 8)
    # 28 clips: neutral 6 (4 right), happy 6 (3 right), sad 10 (0 right: said neutral), angry 4 (4), fearful 2 (1)
    y = [0] * 6 + [2] * 6 + [3] * 10 + [4] * 4 + [5] * 2
    p = [0] * 4 + [2] * 2 + [2] * 3 + [0] * 3 + [0] * 10 + [4] * 4 + [5, 0]
    return [small, score("fold 1", np.array(y), np.array(p), 8)]


def test_pooled_scores_weigh_every_clip_once_and_differ_from_the_fold_mean() -> None:
    folds = _folds()
    total = pooled(folds)
    # hand-summed matrix: neutral 4/6, happy 3/6, sad 1/11, angry 4/4, fearful 1/2; 13 of 29 right
    assert total.n == 29 and total.war == pytest.approx(13 / 29)
    assert total.uar == pytest.approx(np.mean([4 / 6, 3 / 6, 1 / 11, 4 / 4, 1 / 2]))
    fold_mean = np.mean([f.uar for f in folds])  # (1 + mean of the big fold's recalls) / 2
    assert fold_mean == pytest.approx((1 + np.mean([4 / 6, 3 / 6, 0, 1, 1 / 2])) / 2)
    assert abs(fold_mean - total.uar) > 0.2
    rows = metrics_table(folds)
    assert [r["n"] for r in rows] == [1, 28, 29, 29]
    assert rows[-1]["fold"] == "pooled (summed confusion)"
    assert rows[-1]["UAR"] == pytest.approx(total.uar) and rows[-1]["WAR"] == pytest.approx(total.war)
    # the same probes on the same clips (cross-dataset: n_total given) are not pooled: each clip would count twice
    assert metrics_table(folds, n_total=29)[-1]["fold"] == "mean ± std"


def test_per_class_recall_agrees_with_the_pooled_confusion_and_chance_counts_classes_present() -> None:
    folds = _folds()
    confusions = [np.asarray(f.confusion) for f in folds]
    recalls, counts = class_recalls(confusions)
    summed = np.sum(confusions, axis=0)
    assert recalls[3] == pytest.approx(1 / 11)  # sad: 1 of 11, not the fold mean 0.5
    tested = summed.sum(1) > 0
    np.testing.assert_allclose(recalls[tested], np.diag(summed)[tested] / summed.sum(1)[tested])
    assert np.isnan(recalls[~tested]).all() and counts.tolist() == summed.sum(1).tolist()
    assert np.nanmean(recalls) == pytest.approx(uar(summed)) and war(summed) == pytest.approx(13 / 29)
    assert chance_uar(summed) == pytest.approx(1 / 5)  # 5 classes present of 8


@pytest.mark.parametrize(
    ("clips", "batch", "epochs", "warned"),
    [(10, 16, 20, True), (MIN_TRAIN_CLIPS, 16, 50, False), (MIN_TRAIN_CLIPS - 1, 1, 20, True), (64, 16, 20, True),
     (80, 16, 20, False)],
)  # fmt: skip
def test_small_training_warning_thresholds(clips: int, batch: int, epochs: int, warned: bool) -> None:
    steps = -(-clips // batch)
    message = small_training_warning(2, clips, steps, epochs)
    assert (message is not None) == warned
    assert (clips < MIN_TRAIN_CLIPS or steps * epochs < MIN_OPTIMISER_STEPS) == warned
    if warned:
        short = [f"fewer than {MIN_TRAIN_CLIPS} clips"] * (clips < MIN_TRAIN_CLIPS)
        short += [f"fewer than {MIN_OPTIMISER_STEPS} steps"] * (steps * epochs < MIN_OPTIMISER_STEPS)
        assert message == (
            f"fold 2: trained on {clips} clips, {steps} optimiser step(s) per epoch, {steps * epochs} in all "
            f"({' and '.join(short)}): its scores say little"
        )


def test_run_records_fold_sizes_pooled_scores_and_warns_of_small_folds(tmp_path: Path) -> None:
    from affectlab.fer.probes.run import Run
    from affectlab.fer.run_report import write_report
    from tests.fer.probes.training import train_run

    # 4 actors x 3 clips, 2 folds: each fold trains on 6 clips, 1 step per epoch at batch 16
    store = planted_store(tmp_path / "planted", actors=4, clips_per_actor=3, folds=2, signal=3.0)
    cfg = TrainConfig(probe="linear", epochs=2, batch_size=16, lrs=[1e-2])
    with pytest.warns(UserWarning):
        train_run(store.root, cfg, tmp_path / "run")
    run = Run(tmp_path / "run")
    metrics = json.loads((tmp_path / "run/metrics.json").read_text())
    assert [(f["train_clips"], f["steps_per_epoch"], f["n"]) for f in metrics["folds"]] == [(6, 1, 6), (6, 1, 6)]
    summed = np.sum([f["confusion"] for f in metrics["folds"]], axis=0)
    assert run.pooled == {"uar": uar(summed), "war": war(summed), "macro_f1": pytest.approx(run.pooled["macro_f1"]),
                          "n": 12}  # fmt: skip
    assert metrics["protocol"]["pooled"]["uar"] == uar(summed)
    table = metrics["table"]
    assert [r["train clips"] for r in table[:2]] == [6, 6] and table[-1]["UAR"] == uar(summed)
    for k in (0, 1):
        expected = (f"fold {k}: trained on 6 clips, 1 optimiser step(s) per epoch, 2 in all (fewer than "
                    f"{MIN_TRAIN_CLIPS} clips and fewer than {MIN_OPTIMISER_STEPS} steps): its scores say "
                    "little")  # fmt: skip
        assert expected in run.warnings
    assert "pooled UAR" in repr(run) and "fold mean ± std" in repr(run)
    page = write_report(run.path)
    text = (page.parent / "report.md").read_text()
    assert f"All folds summed (12 clips, each once): UAR {uar(summed):.3f}" in text
    assert "Chance UAR" in text
