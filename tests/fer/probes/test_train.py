"""Probe training: planted signal is learned, shuffled labels stay at chance, same seed gives same numbers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from affectlab.fer.probes.evaluate import carve_validation, cross_validate, fold_ids, probe_inputs
from affectlab.fer.probes.metrics import confusion_matrix, uar
from affectlab.fer.probes.models import build_probe
from affectlab.fer.probes.train import TrainConfig, fit_heads, lr_at, param_groups, predict_proba
from tests.fer.synthetic import planted_store

FAST = {"epochs": 20, "batch_size": 16, "num_heads": 4, "mlp_hidden": 32, "lrs": [1e-2]}


def _split(store, kind: str):
    y = np.asarray(store.manifest.column("label_index").to_pylist())
    folds = fold_ids(store.manifest, "manifest")
    tr, te = folds != 0, folds == 0
    return probe_inputs(store, "train", kind)[tr], y[tr], probe_inputs(store, "test", kind)[te], y[te]


@pytest.fixture(scope="module")
def signal_store(tmp_path_factory: pytest.TempPathFactory):
    return planted_store(tmp_path_factory.mktemp("signal"), actors=6, clips_per_actor=24, signal=3.0)


@pytest.mark.parametrize("kind", ["attentive", "attentive-v2", "linear", "mlp"])
def test_planted_signal_is_learned(signal_store, kind: str) -> None:
    x_tr, y_tr, x_te, y_te = _split(signal_store, kind)
    (head,) = fit_heads(x_tr, y_tr, 8, TrainConfig(probe=kind, **FAST), seed=0)
    assert uar(confusion_matrix(y_te, predict_proba(head, x_te).argmax(1), 8)) >= 0.95


@pytest.mark.parametrize("kind", ["attentive", "linear"])
def test_shuffled_labels_stay_at_chance(signal_store, kind: str) -> None:
    x_tr, y_tr, x_te, y_te = _split(signal_store, kind)
    shuffled = np.random.default_rng(0).permutation(y_tr)
    (head,) = fit_heads(x_tr, shuffled, 8, TrainConfig(probe=kind, **FAST), seed=0)
    score = uar(confusion_matrix(y_te, predict_proba(head, x_te).argmax(1), 8))
    assert 0.0 <= score <= 0.30  # chance is 1/8 = 0.125; 48 test clips, 6 per class


def test_same_seed_same_numbers_other_seed_other_numbers(signal_store) -> None:
    x_tr, y_tr, x_te, _ = _split(signal_store, "attentive")
    cfg = TrainConfig(**{**FAST, "epochs": 2})
    a, b, c = (predict_proba(fit_heads(x_tr, y_tr, 8, cfg, seed=s)[0], x_te) for s in (0, 0, 1))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_sweep_trains_heads_side_by_side_with_their_own_lr(signal_store) -> None:
    x_tr, y_tr, x_te, y_te = _split(signal_store, "linear")
    cfg = TrainConfig(probe="linear", **{**FAST, "lrs": [1e-12, 1e-2]})
    frozen, trained = fit_heads(x_tr, y_tr, 8, cfg, seed=0)
    torch.manual_seed(0)
    untouched = build_probe("linear", x_tr.shape[-1], 8)  # what the first head was initialised to
    # lr = 1e-12 (in effect 0) leaves the first head at its initial weights; the second one learns
    torch.testing.assert_close(frozen.head[0].weight, untouched.head[0].weight)
    assert uar(confusion_matrix(y_te, predict_proba(trained, x_te).argmax(1), 8)) >= 0.95
    assert uar(confusion_matrix(y_te, predict_proba(frozen, x_te).argmax(1), 8)) < 0.5


def test_validation_is_carved_from_whole_training_actors() -> None:
    actors = np.repeat(np.array(["a", "b", "c", "d", "e"]), 4)
    mask = carve_validation(actors, 0.4, seed=3)
    held = set(actors[mask])
    assert len(held) == 2 and not held & set(actors[~mask])
    np.testing.assert_array_equal(mask, carve_validation(actors, 0.4, seed=3))
    assert not carve_validation(np.array(["a", "a"]), 0.5, seed=0).any()  # one actor: nothing to hold out


def test_cross_validation_picks_head_on_validation_never_on_test(signal_store) -> None:
    cfg = TrainConfig(probe="linear", **{**FAST, "lrs": [1e-12, 1e-2]}, val_fraction=0.25)
    folds, labels, dataset = cross_validate(signal_store, cfg)
    assert dataset == "ravdess" and len(labels) == 8 and len(folds) == 3
    for f in folds:
        assert f.head["lr"] == 1e-2 and len(f.val_uar) == 2 and f.val_uar[1] > f.val_uar[0]
        assert f.val_actors and not set(f.val_actors) & set(f.test_actors)
        assert f.scores.uar >= 0.95


def test_lr_schedule_and_decay_groups() -> None:
    assert lr_at(0, 100, 10, 1.0, 0.1, 0.0) == pytest.approx(0.1)
    assert lr_at(10, 100, 10, 1.0, 0.1, 0.0) == pytest.approx(1.0)
    assert lr_at(55, 100, 10, 1.0, 0.1, 0.0) == pytest.approx(0.5)
    assert lr_at(100, 100, 10, 1.0, 0.1, 0.0) == pytest.approx(0.0)
    assert lr_at(30, 100, 0, 2.0, 0.1, 0.0) == pytest.approx(1.0 + math.cos(math.pi * 0.3))
    decay, no_decay = param_groups(build_probe("attentive", 16, 3, num_heads=4), 1e-3, 0.05)
    assert decay["weight_decay"] == 0.05 and no_decay["weight_decay"] == 0.0
    assert all(p.ndim >= 2 for p in decay["params"]) and all(p.ndim == 1 for p in no_decay["params"])


def test_run_folder_is_refused_when_it_exists_and_cli_errors_are_clear(signal_store, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from affectlab.cli import app
    from affectlab.errors import AffectlabError
    from tests.fer.probes.training import train_run

    cfg = TrainConfig(probe="linear", **{**FAST, "epochs": 1})
    train_run(signal_store.root, cfg, tmp_path / "run")
    with pytest.raises(AffectlabError, match="not empty"):
        train_run(signal_store.root, cfg, tmp_path / "run")
    first = (tmp_path / "run" / "metrics.json").read_text()
    train_run(signal_store.root, cfg, tmp_path / "run", overwrite=True)
    assert (tmp_path / "run" / "metrics.json").read_text() == first  # same seed, same numbers
    bad = CliRunner().invoke(app, ["fer", "train", "--features", str(signal_store.root), "--probe", "svm",
                                   "--out", str(tmp_path / "x")])  # fmt: skip
    assert isinstance(bad.exception, AffectlabError) and "probe" in str(bad.exception)
    assert not (tmp_path / "x").exists()


def test_token_stores_too_large_for_memory_are_refused(signal_store, monkeypatch: pytest.MonkeyPatch) -> None:
    from affectlab.errors import AffectlabError

    monkeypatch.setattr("os.sysconf", lambda name: 1 if name == "SC_PAGE_SIZE" else 1000)
    with pytest.raises(AffectlabError, match="--pooling grid"):
        probe_inputs(signal_store, "test", "attentive")
    assert probe_inputs(signal_store, "test", "linear").shape[2] == 1  # pooled features still fit


def test_test_fold_classes_absent_from_training_are_warned_and_recorded(tmp_path: Path) -> None:
    import json

    from affectlab.fer.probes.evaluate import UnseenClassWarning
    from affectlab.fer.probes.run import Run
    from tests.fer.probes.training import train_run

    # labels (actor + clip) % 8: fold 0 = actors 0, 2 holds classes 0-4, fold 1 = actors 1, 3 holds 1-5
    store = planted_store(tmp_path / "planted", actors=4, clips_per_actor=3, folds=2, signal=3.0)
    cfg = TrainConfig(probe="linear", **{**FAST, "epochs": 2})
    with pytest.warns(UnseenClassWarning) as caught:
        train_run(store.root, cfg, tmp_path / "run")
    messages = [str(w.message) for w in caught]
    metrics = json.loads((tmp_path / "run/metrics.json").read_text())
    assert [f["classes_absent_from_training"] for f in metrics["folds"]] == [["neutral"], ["fearful"]]
    # the head has an output for every class: count, from the predictions themselves, how often an untrained
    # one won (classes 0, 6, 7 untrained in fold 0; 5, 6, 7 in fold 1)
    predictions = Run(tmp_path / "run").predictions
    untrained = {0: {"neutral", "disgust", "surprised"}, 1: {"fearful", "disgust", "surprised"}}
    for fold in metrics["folds"]:
        k = fold["fold"]
        mine = predictions[predictions["fold"] == k]
        counted = mine["predicted"][mine["predicted"].isin(untrained[k])].value_counts().to_dict()
        assert fold["untrained_predicted"] == counted
        names = fold["classes_absent_from_training"] + sorted(
            set(counted) - set(fold["classes_absent_from_training"]),
            key=["neutral", "fearful", "disgust", "surprised"].index,
        )
        one = len(names) == 1
        expected = (
            f"fold {k}: no training clips of {', '.join(names)}; {'its output was' if one else 'their outputs were'} "
            f"never trained, and {'was' if one else 'were'} predicted for {sum(counted.values())} of the fold's "
            f"{len(mine)} test clips"
        )
        assert expected in messages and expected in Run(tmp_path / "run").warnings
    assert not any("cannot predict" in m for m in messages)


def test_cli_says_each_unseen_class_warning_once_in_one_line(tmp_path: Path) -> None:
    """``fer train`` prints the run's warning per fold as one ``warning:`` line, not also Python's warning
    with its source file and line."""
    import subprocess
    import sys

    store = planted_store(tmp_path / "planted", actors=4, clips_per_actor=3, folds=2, signal=3.0)
    done = subprocess.run(
        [sys.executable, "-m", "affectlab", "fer", "train", "--features", str(store.root), "--probe", "linear",
         "--epochs", "2", "--device", "cpu", "--out", str(tmp_path / "run")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "no training clips" in line]
    assert len(lines) == 2 and all(line.startswith("warning: fold ") for line in lines)
    assert "fold 0: no training clips of neutral" in lines[0] and "fold 1: no training clips of fearful" in lines[1]
    assert "UnseenClassWarning" not in done.stderr and "cross_validate(" not in done.stderr


class _Recording:
    """A batch source that records the clip order of every epoch."""

    def __init__(self, x: np.ndarray) -> None:
        from affectlab.fer.probes.train import ArrayBatches

        self.inner, self.orders = ArrayBatches(x), []
        self.views, self.embed_dim = self.inner.views, self.inner.embed_dim

    def batches(self, plan, epoch: int):
        self.orders.append(np.concatenate([idx for idx, _ in plan]).tolist())
        return self.inner.batches(plan, epoch)


@pytest.mark.parametrize("shuffle", ["epoch", "once"])
def test_shuffle_once_repeats_one_order_every_epoch_as_the_reference_sampler_does(
    signal_store, shuffle: str, tmp_path: Path
) -> None:
    """The V-JEPA FER reference never calls ``set_epoch`` on its DistributedSampler, so every epoch sees one
    order; ``shuffle="once"`` (the vjepa-fer preset) does the same, also across a stop and resume."""
    from affectlab.fer.presets import preset_values
    from affectlab.fer.probes.train import fit_heads_from

    x, y, _, _ = _split(signal_store, "linear")
    cfg = TrainConfig(probe="linear", **{**FAST, "epochs": 3, "shuffle": shuffle})
    source = _Recording(x)
    fit_heads_from(source, y, 8, cfg, seed=0, standardize=source.inner.x)
    orders = source.orders
    assert all(sorted(o) == list(range(len(y))) for o in orders)
    assert (orders[0] == orders[1] == orders[2]) == (shuffle == "once")
    # a run stopped after epoch 1 and resumed draws the same orders
    state = tmp_path / "latest.pt"
    first = _Recording(x)
    fit_heads_from(first, y, 8, cfg.model_copy(update={"epochs": 1}), seed=0, standardize=first.inner.x,
                   state_path=state, fingerprint="f")  # fmt: skip
    resumed = _Recording(x)
    fit_heads_from(resumed, y, 8, cfg, seed=0, standardize=resumed.inner.x, state_path=state, fingerprint="f")
    if shuffle == "once":
        assert first.orders + resumed.orders == orders
    assert preset_values("vjepa-fer", "train")["shuffle"] == "once"
