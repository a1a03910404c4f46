"""Subject-independent cross-validation of probes, from a feature store or with the encoder in the loop.

Per fold: train every (lr, wd) head on the other folds' clips; when the sweep has more than one head, a
validation split of whole *training* actors is carved out first and the head with the best validation UAR
is kept (the test fold never picks a head); the kept head is scored on the test fold with the softmax
averaged over the test views (``protocol``) and/or summed over every clip position of the whole video
(``full-video``, the reference's final evaluation). Finished folds and the running fold's last epoch are kept
in a state folder, so a stopped cross-validation resumes where it stopped.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import torch
from pydantic import BaseModel, ConfigDict
from torch import nn

from affectlab.errors import AffectlabError
from affectlab.fer.cache.store import FeatureStore, Split
from affectlab.fer.config import TrainConfig
from affectlab.fer.data.labels import canonical
from affectlab.fer.data.layouts import LAYOUTS
from affectlab.fer.data.manifest import LABELS_KEY, label_names
from affectlab.fer.probes.metrics import FoldScores, confusion_matrix, score, uar
from affectlab.fer.probes.models import build_probe, uses_tokens
from affectlab.fer.probes.train import (
    ArrayBatches,
    array_batches,
    check_heads,
    check_trainable,
    deterministic,
    fit_heads_from,
    foreign_state,
    load_state,
    score_batches,
)

if TYPE_CHECKING:
    from affectlab.fer.probes.online import OnlineClips


class FoldResult(BaseModel):
    """One fold: who was tested, which head was kept, its scores and per-clip probabilities."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    fold: int
    test_actors: list[str]
    val_actors: list[str]
    head: dict[str, float]
    val_uar: list[float]
    scores: FoldScores | None
    rows: list[int]
    probs: list[list[float]]
    probe: nn.Module
    absent_from_training: list[str] = []  # classes of the test fold no training clip has
    untrained_predicted: dict[str, int] = {}  # untrained class -> test clips it was predicted for
    train_clips: int = 0  # clips the kept head was fitted on (validation actors excluded)
    steps_per_epoch: int = 0
    full_video: FoldScores | None = None
    full_video_probs: list[list[float]] = []


class UnseenClassWarning(UserWarning):
    """A fold trains on no clip of a class its test fold holds, or its untrained outputs were predicted."""


# A fold trained on fewer clips or optimiser steps than these gets a warning (docs/fer/probes.md): 40 clips is
# 5 per class of RAVDESS's 8; 100 steps is 5 epochs of 20 batches (10 clips at batch 16 make 1 step/epoch).
MIN_TRAIN_CLIPS = 40
MIN_OPTIMISER_STEPS = 100


def untrained_warning(fold: int, absent: list[str], predicted: dict[str, int], n_test: int) -> str | None:
    """The warning of a fold with untrained outputs (classes without a training clip; the head still has them,
    and they can win): the untrained classes its test fold holds, then any other it predicted, and how many
    test clips they won. None when there is nothing to say."""
    names = list(absent) + [name for name in predicted if name not in absent]
    if not names:
        return None
    won = sum(predicted.values())
    one = len(names) == 1
    return (
        f"fold {fold}: no training clips of {', '.join(names)}; {'its output was' if one else 'their outputs were'} "
        f"never trained, and {'was' if one else 'were'} predicted for {won} of the fold's {n_test} test clips"
    )


def small_training_warning(fold: int, clips: int, steps_per_epoch: int, epochs: int) -> str | None:
    """A fold trained on fewer than :data:`MIN_TRAIN_CLIPS` clips or :data:`MIN_OPTIMISER_STEPS` steps."""
    steps = steps_per_epoch * epochs
    short = [f"fewer than {MIN_TRAIN_CLIPS} clips"] if clips < MIN_TRAIN_CLIPS else []
    short += [f"fewer than {MIN_OPTIMISER_STEPS} steps"] if steps < MIN_OPTIMISER_STEPS else []
    if not short:
        return None
    return (
        f"fold {fold}: trained on {clips} clips, {steps_per_epoch} optimiser step(s) per epoch, {steps} in all "
        f"({' and '.join(short)}): its scores say little"
    )


def run_labels(manifest: pa.Table, store_root: str = "") -> tuple[str, tuple[str, ...]]:
    """The dataset name and its ordered label table (a single dataset per run): the table the manifest stores,
    else (a table without one) its layout's fixed table, else the labels of its rows by index."""
    for col in ("dataset", "label", "label_index", "actor"):
        if col not in manifest.column_names:
            raise AffectlabError(f"{store_root}: manifest has no {col!r} column")
    datasets = sorted(set(manifest.column("dataset").to_pylist()))
    if len(datasets) != 1:
        raise AffectlabError(f"{store_root}: a run trains on one dataset, the store holds {datasets}")
    dataset = datasets[0]
    indices = manifest.column("label_index").to_pylist()
    if any(i is None or i < 0 for i in indices):
        raise AffectlabError(f"{store_root}: label_index holds missing or negative values")
    names = [None if name is None else canonical(name) for name in manifest.column("label").to_pylist()]
    fixed = LAYOUTS[dataset].labels if dataset in LAYOUTS else None
    if LABELS_KEY in (manifest.schema.metadata or {}):
        labels = label_names(manifest)
    elif fixed is not None:
        labels = fixed
    else:
        pairs = dict(zip(indices, names, strict=True))
        labels = tuple(pairs.get(i, f"class{i}") for i in range(max(pairs) + 1))
    outside = sorted({i for i in indices if i >= len(labels)})
    if outside:
        raise AffectlabError(
            f"{store_root}: label_index {outside[0]} is outside the {dataset} label table (0..{len(labels) - 1})"
        )
    wrong = next(((i, name) for i, name in zip(indices, names, strict=True) if labels[i] != name), None)
    if wrong is not None:
        raise AffectlabError(
            f"{store_root}: a clip labelled {wrong[1]!r} has label_index {wrong[0]}, which is "
            f"{labels[wrong[0]]!r} in the {dataset} label table {list(labels)}"
        )
    return dataset, labels


def fold_ids(manifest: pa.Table, scheme: str, store_root: str = "") -> np.ndarray:
    """Fold id per clip: the manifest's ``fold`` column, leave-one-actor-out (sorted actors), or ``all``
    (every clip in fold 0: one probe trained on everything, for cross-dataset use only)."""
    if scheme == "all":
        return np.zeros(manifest.num_rows, dtype=np.int64)
    if scheme == "loao":
        actors = np.asarray([str(a) for a in manifest.column("actor").to_pylist()])
        return np.searchsorted(np.unique(actors), actors)
    if "fold" not in manifest.column_names:
        raise AffectlabError(f"{store_root}: manifest has no 'fold' column; index with --folds or use --folds loao")
    folds = np.asarray(manifest.column("fold").to_pylist())
    if len(np.unique(folds)) < 2:
        raise AffectlabError(
            f"{store_root}: the manifest's fold column has fewer than 2 folds; use --folds loao (or all)"
        )
    return folds.astype(np.int64)


def carve_validation(actors: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Boolean mask of clips whose actor is held out for validation (whole actors, seeded, >= 1 kept)."""
    unique = np.unique(actors)
    if len(unique) < 2:
        return np.zeros(len(actors), dtype=bool)
    n_val = min(len(unique) - 1, max(1, round(fraction * len(unique))))
    chosen = np.random.default_rng(seed).choice(unique, size=n_val, replace=False)
    return np.isin(actors, chosen)


def _check_fits_in_memory(store: FeatureStore, split: Split, n: int) -> None:
    i = store.info
    views = i.test_views if split == "test" else i.train_views
    need = n * views * i.num_segments * i.tokens_per_segment * i.embed_dim * 4
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else 0
    if total and need > 0.6 * total:
        raise AffectlabError(
            f"{store.root}: the {split} tokens need {need / 1e9:.1f} GB, more than this machine can hold "
            f"({total / 1e9:.0f} GB); extract with --pooling grid (or mean), or use --probe linear/mlp"
        )


def probe_inputs(store: FeatureStore, split: Split, kind: str, rows: np.ndarray | None = None) -> np.ndarray:
    """``[n, views, tokens, D]``: all segments' tokens concatenated (attentive) or one pooled token.

    Attentive probes hold every token in memory; a store too large for it is refused before loading.
    """
    if uses_tokens(kind):
        _check_fits_in_memory(store, split, len(store) if rows is None else len(rows))
        t = store.tokens(split, rows)
        return t.reshape(t.shape[0], t.shape[1], -1, t.shape[-1])
    return store.pooled(split, rows)[:, :, None, :]


class StoreInputs:
    """Probe inputs from a feature store: every clip's train and test tokens loaded once."""

    def __init__(self, store: FeatureStore, kind: str) -> None:
        self.store, self.manifest, self.where = store, store.manifest, str(store.root)
        self.train_x = probe_inputs(store, "train", kind)
        self.test_x = probe_inputs(store, "test", kind)
        self.embed_dim = store.info.embed_dim

    def train_source(self, rows: np.ndarray, y: np.ndarray, cfg: TrainConfig, what: str):
        """(batch source, standardisation features) for training on ``rows``."""
        check_trainable(self.train_x[rows], y, cfg, what)
        source = ArrayBatches(self.train_x[rows])
        return source, source.x

    def test_batches(self, rows: np.ndarray) -> Iterator[torch.Tensor]:
        return array_batches(self.test_x[rows])


class OnlineInputs:
    """Probe inputs encoded inside the loop (:class:`~affectlab.fer.probes.online.OnlineClips`)."""

    def __init__(self, clips: OnlineClips, where: str) -> None:
        self.clips, self.manifest, self.where, self.embed_dim = clips, clips.manifest, where, clips.embed_dim

    def train_source(self, rows: np.ndarray, y: np.ndarray, cfg: TrainConfig, what: str):
        check_heads(self.embed_dim, cfg, what)
        return self.clips.train_source(rows), None

    def test_batches(self, rows: np.ndarray) -> Iterator[torch.Tensor]:
        return self.clips.test_batches(rows)


Inputs = StoreInputs | OnlineInputs


def _choose_head(
    heads: list[nn.Module], inputs: Inputs, val: np.ndarray, y_val: np.ndarray, n_classes: int, device: str
) -> tuple[int, list[float]]:
    if len(heads) == 1 or len(y_val) == 0:
        return 0, []
    probs = score_batches(heads, inputs.test_batches(val), device)
    scores = [uar(confusion_matrix(y_val, p.argmax(1), n_classes)) for p in probs]
    return int(np.argmax(scores)), scores


def _save_fold(path: Path, result: FoldResult, fingerprint: str) -> None:
    from affectlab.fer.probes.train import _save_state

    data = result.model_dump(exclude={"probe"}, mode="json")
    _save_state(path, {"fingerprint": fingerprint, "result": json.dumps(data), "probe": result.probe.state_dict()})


def _load_fold(path: Path, fingerprint: str, cfg: TrainConfig, embed_dim: int, n_classes: int) -> FoldResult | None:
    saved = load_state(path, fingerprint)
    if saved is None:
        return None
    probe = build_probe(cfg.probe, embed_dim, n_classes, cfg.num_heads, cfg.mlp_hidden)
    try:
        probe.load_state_dict(saved["probe"])
        return FoldResult(**json.loads(saved["result"]), probe=probe.eval())
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise foreign_state(path, err) from None


def cross_validate(
    store: FeatureStore | Inputs,
    cfg: TrainConfig,
    progress: Callable[[int], None] | None = None,
    *,
    full_video: OnlineClips | None = None,
    state_dir: Path | None = None,
    fingerprint: str = "",
) -> tuple[list[FoldResult], tuple[str, ...], str]:
    """Train and score one probe per fold; returns fold results, label names and dataset name.

    ``store`` is a feature store (cached) or :class:`OnlineInputs`. ``cfg.eval`` picks the protocol score
    (test views), the full-video score (needs ``full_video``: clips read and encoded over the whole video) or
    both. With ``state_dir``, finished folds (``fold{k}.done.pt``) and the running fold's last epoch
    (``fold{k}.latest.pt``) are kept there and resumed when their ``fingerprint`` matches."""
    inputs = StoreInputs(store, cfg.probe) if isinstance(store, FeatureStore) else store
    manifest = inputs.manifest
    dataset, labels = run_labels(manifest, inputs.where)
    clips = _Clips(
        y=np.asarray(manifest.column("label_index").to_pylist(), dtype=np.int64),
        actors=np.asarray([str(a) for a in manifest.column("actor").to_pylist()]),
        folds=fold_ids(manifest, cfg.folds, inputs.where),
        labels=labels,
    )
    if cfg.eval in ("full-video", "both") and full_video is None:
        raise AffectlabError(f"{inputs.where}: --eval {cfg.eval} needs the encoder (give --checkpoint)")
    results = []
    with deterministic():
        for k in np.unique(clips.folds).tolist():
            done = None if state_dir is None else state_dir / f"fold{k}.done.pt"
            saved = _load_fold(done, fingerprint, cfg, inputs.embed_dim, len(labels)) if done else None
            if saved is not None:
                results.append(saved)
                if progress is not None:
                    progress(cfg.epochs)
                continue
            latest = None if state_dir is None else state_dir / f"fold{k}.latest.pt"
            result = _run_fold(inputs, clips, k, cfg, progress, full_video, latest, fingerprint)
            if done is not None:
                _save_fold(done, result, fingerprint)
                latest.unlink(missing_ok=True)
            results.append(result)
    return results, labels, dataset


class _Clips(BaseModel):
    """Per clip of a cross-validation: class index, actor and fold id; and the label table."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    y: np.ndarray
    actors: np.ndarray
    folds: np.ndarray
    labels: tuple[str, ...]


def _run_fold(
    inputs: Inputs,
    clips: _Clips,
    k: int,
    cfg: TrainConfig,
    progress: Callable[[int], None] | None,
    full_video: OnlineClips | None,
    state: Path | None,
    fingerprint: str,
) -> FoldResult:
    """Fold ``k``: train the sweep's heads on the other folds, keep the best on validation actors, score it."""
    y, actors, folds, n_classes = clips.y, clips.actors, clips.folds, len(clips.labels)
    seed = cfg.seed * 1000 + k
    test = np.nonzero(folds == k)[0] if cfg.folds != "all" else np.zeros(0, dtype=np.int64)
    train = np.nonzero(folds != k)[0] if cfg.folds != "all" else np.arange(len(folds))
    if len(np.unique(actors[train])) == 0:
        raise AffectlabError(f"{inputs.where}: fold {k} leaves no clip to train on; use --folds all")
    sweep = cfg.sweep()
    val_mask = carve_validation(actors[train], cfg.val_fraction, seed) if len(sweep) > 1 else np.zeros(len(train), bool)
    fit, val = train[~val_mask], train[val_mask]
    what = f"{inputs.where}: fold {k}"
    source, standardize = inputs.train_source(fit, y[fit], cfg, what)
    heads = fit_heads_from(source, y[fit], n_classes, cfg, seed, progress, what,
                           standardize=standardize, state_path=state, fingerprint=fingerprint)  # fmt: skip
    best, val_scores = _choose_head(heads, inputs, val, y[val], n_classes, cfg.device)
    lr, wd = sweep[best]
    result = FoldResult(
        fold=k,
        test_actors=sorted(set(actors[test])),
        val_actors=sorted(set(actors[val])),
        head={"lr": lr, "weight_decay": wd},
        val_uar=val_scores,
        scores=None,
        rows=test.tolist(),
        probs=[],
        probe=heads[best],
        train_clips=len(fit),
        steps_per_epoch=-(-len(fit) // cfg.batch_size),
    )
    _score_fold(result, inputs, clips, test, set(range(n_classes)) - set(y[fit].tolist()), cfg, full_video)
    return result


def _score_fold(
    result: FoldResult,
    inputs: Inputs,
    clips: _Clips,
    test: np.ndarray,
    untrained: set[int],
    cfg: TrainConfig,
    full_video: OnlineClips | None,
) -> None:
    """Score the kept head of ``result`` on the test clips (protocol and/or full video), and record (and warn
    of) the test fold's classes no training clip had and how often an untrained output won."""
    y, labels, k = clips.y, clips.labels, result.fold
    if cfg.eval in ("protocol", "both"):
        probs = score_batches([result.probe], inputs.test_batches(test), cfg.device)[0]
        result.scores = score(f"fold {k}", y[test], probs.argmax(1), len(labels)) if len(test) else None
        result.probs = probs.tolist()
    if cfg.eval in ("full-video", "both") and len(test):
        summed = full_video.full_video_probs(test, [result.probe])[:, 0]
        result.full_video = score(f"fold {k}", y[test], summed.argmax(1), len(labels))
        result.full_video_probs = (summed / summed.sum(1, keepdims=True)).tolist()
    result.absent_from_training = [labels[c] for c in sorted(untrained & set(y[test].tolist()))]
    primary = result.scores or result.full_video
    if primary is not None:
        predicted = np.asarray(primary.confusion).sum(0)
        result.untrained_predicted = {labels[c]: int(predicted[c]) for c in sorted(untrained) if predicted[c]}
    message = untrained_warning(k, result.absent_from_training, result.untrained_predicted, len(test))
    if message:
        warnings.warn(message, UnseenClassWarning, stacklevel=4)
