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
"""

from __future__ import annotations

import contextlib
import csv
import importlib.metadata
import json
import platform
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from torch import nn

from affectlab.errors import AffectlabError
from affectlab.fer.probes.checkpoints import ProbeMeta, load_probe, save_probe
from affectlab.fer.probes.metrics import FoldScores, summarize
from affectlab.io import atomic_path, write_text_atomic
from affectlab.report.html import markdown_table
from affectlab.report.plots import heatmap

if TYPE_CHECKING:
    from affectlab.fer.probes.evaluate import FoldResult

PACKAGES = (
    "affectlab",
    "torch",
    "numpy",
    "pyarrow",
    "scikit-learn",
    "pydantic",
    "av",
    "opencv-python-headless",
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


def write_json(path: Path, data: Any) -> None:
    """Pretty JSON, atomically."""
    write_text_atomic(path, json.dumps(data, indent=2) + "\n")


def read_json(path: Path) -> Any:
    """JSON with a clear error when the file is missing or broken."""
    if not path.is_file():
        raise AffectlabError(f"{path}: not found")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise AffectlabError(f"{path}: invalid JSON ({err})") from err


@contextlib.contextmanager
def staged_dir(target: Path, overwrite: bool) -> Iterator[Path]:
    """Yield a temporary sibling folder; move it onto ``target`` when the body succeeds."""
    target = Path(target)
    if target.exists() and any(target.iterdir()) and not overwrite:
        raise AffectlabError(
            f"{target}: output folder exists and is not empty (pass --overwrite to replace it)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield tmp
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def confusion_png(cm: np.ndarray, labels: Sequence[str], path: Path, title: str) -> Path:
    """Row-normalised confusion matrix (rows = true, columns = predicted) with counts in the cells."""
    cm = np.asarray(cm)
    totals = cm.sum(axis=1, keepdims=True)
    share = np.divide(cm, totals, out=np.full(cm.shape, np.nan), where=totals > 0)
    notes = [[str(int(v)) for v in row] for row in cm]
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


def write_predictions(
    path: Path, manifest: pa.Table, folds: Sequence[FoldResult], labels: Sequence[str]
) -> None:
    """One CSV row per test clip with its fold, truth, prediction and class probabilities."""
    paths = (
        manifest.column("path").to_pylist() if "path" in manifest.column_names else [""] * manifest.num_rows
    )
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
        raise AffectlabError(
            f"{run}: no probes/fold*.pt; expected a run folder written by 'affectlab fer train'"
        )
    return [(int(p.stem.removeprefix("fold")), *load_probe(p)) for p in files]


def write_table_files(folder: Path, stem: str, payload: dict[str, Any], rows: list[dict], title: str) -> None:
    """``{stem}.json`` (payload + table rows) and ``{stem}.md`` (title + table)."""
    write_json(folder / f"{stem}.json", {**payload, "table": rows})
    write_text_atomic(folder / f"{stem}.md", f"# {title}\n\n{markdown_table(rows)}")
