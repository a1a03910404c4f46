"""``affectlab fer train`` as a function: cross-validate a probe from a feature store and write the run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from affectlab.fer.cache.store import FeatureStore
from affectlab.fer.encoders.runner import resolve_device
from affectlab.fer.probes.checkpoints import ProbeMeta
from affectlab.fer.probes.evaluate import FoldResult, cross_validate
from affectlab.fer.probes.metrics import summarize
from affectlab.fer.probes.run_folder import (
    confusion_png,
    environment,
    metrics_table,
    save_fold_probes,
    staged_dir,
    write_json,
    write_predictions,
    write_table_files,
)
from affectlab.fer.probes.train import TrainConfig


def train_run(
    features: str | Path,
    cfg: TrainConfig,
    out: str | Path,
    *,
    overwrite: bool = False,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Train one probe per fold, score it, write ``out`` (layout: :mod:`affectlab.fer.probes.run_folder`)."""
    store = FeatureStore(features)
    with staged_dir(Path(out), overwrite) as tmp:
        folds, labels, dataset = cross_validate(store, cfg, progress)
        scored = [f for f in folds if f.scores is not None]
        payload = {
            "dataset": dataset,
            "labels": list(labels),
            "probe": cfg.probe,
            "folds": [
                {
                    **(f.scores.model_dump() if f.scores else {}),
                    "fold": f.fold,
                    "test_actors": f.test_actors,
                    "val_actors": f.val_actors,
                    "head": f.head,
                    "val_uar_per_head": f.val_uar,
                }
                for f in folds
            ],
            "summary": summarize([f.scores for f in scored]) if scored else None,
        }
        if scored:
            _write_scores(tmp, payload, scored, labels, f"{dataset}, {cfg.probe} probe")
            write_predictions(tmp / "predictions.csv", store.manifest, scored, labels)
        else:
            write_json(
                tmp / "metrics.json",
                {**payload, "note": "--folds all: one probe on every clip, no test fold"},
            )
        meta = ProbeMeta(
            kind=cfg.probe,
            embed_dim=store.info.embed_dim,
            num_classes=len(labels),
            num_heads=cfg.num_heads,
            mlp_hidden=cfg.mlp_hidden,
            dataset=dataset,
            labels=list(labels),
        )
        save_fold_probes(tmp, folds, meta)
        write_json(
            tmp / "config.json",
            {
                "train": cfg.model_dump(),
                "features": str(Path(features).resolve()),
                "feature_info": store.info.model_dump(),
            },
        )
        write_json(
            tmp / "environment.json",
            environment([cfg.seed * 1000 + f.fold for f in folds], str(resolve_device(cfg.device))),
        )
    return payload


def _write_scores(
    folder: Path, payload: dict[str, Any], folds: list[FoldResult], labels: tuple[str, ...], what: str
) -> None:
    """metrics.json/.md (per fold + mean ± std) and the confusion PNGs (all folds summed, and per fold)."""
    scores = [f.scores for f in folds]
    extra = [
        {"test actors": " ".join(f.test_actors), "lr": f.head["lr"], "wd": f.head["weight_decay"]}
        for f in folds
    ]
    pooled = np.sum([np.asarray(s.confusion) for s in scores], axis=0)
    payload["confusion_all"] = pooled.tolist()
    write_table_files(folder, "metrics", payload, metrics_table(scores, extra), f"{what}: {len(folds)} folds")
    confusion_png(pooled, labels, folder / "confusion_all.png", f"{what}, all folds")
    for f in folds:
        confusion_png(
            np.asarray(f.scores.confusion),
            labels,
            folder / f"confusion_fold{f.fold}.png",
            f"{what}, fold {f.fold}",
        )
