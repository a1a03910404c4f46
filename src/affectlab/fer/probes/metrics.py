"""Classification metrics of the FER protocol: confusion matrix, UAR, WAR, macro-F1, mean ± std.

Confusion matrices are rows = true class, columns = predicted class. UAR (unweighted average recall) is
the mean of per-class recalls over the classes *present in the test set*; WAR (weighted average recall) is
plain accuracy. Macro-F1 averages per-class F1 over the same present classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel


def confusion_matrix(
    y_true: Sequence[int] | np.ndarray, y_pred: Sequence[int] | np.ndarray, n_classes: int
) -> np.ndarray:
    """``[n_classes, n_classes]`` int64 counts, rows = true class, columns = predicted class."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} differ in shape")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.size and (y.min() < 0 or y.max() >= n_classes):
            raise ValueError(f"{name} holds labels outside [0, {n_classes})")
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def _present(cm: np.ndarray) -> np.ndarray:
    return cm.sum(axis=1) > 0


def uar(cm: np.ndarray) -> float:
    """Unweighted average recall: mean per-class recall over the classes present (non-empty rows)."""
    present = _present(cm)
    if not present.any():
        return float("nan")
    recalls = np.diag(cm)[present] / cm.sum(axis=1)[present]
    return float(recalls.mean())


def war(cm: np.ndarray) -> float:
    """Weighted average recall, i.e. accuracy: correct predictions over all test samples."""
    total = cm.sum()
    return float(np.trace(cm) / total) if total else float("nan")


def macro_f1(cm: np.ndarray) -> float:
    """Mean per-class F1 over the classes present; a class never predicted has precision 0 (F1 0)."""
    present = _present(cm)
    if not present.any():
        return float("nan")
    tp = np.diag(cm).astype(np.float64)
    predicted = cm.sum(axis=0).astype(np.float64)
    actual = cm.sum(axis=1).astype(np.float64)
    denom = predicted + actual
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    return float(f1[present].mean())


class FoldScores(BaseModel):
    """Scores of one fold (or one probe on one test set) and its confusion matrix."""

    name: str
    n: int
    uar: float
    war: float
    macro_f1: float
    confusion: list[list[int]]


def score(name: str, y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> FoldScores:
    """All metrics of one set of predictions."""
    cm = confusion_matrix(y_true, y_pred, n_classes)
    return FoldScores(
        name=name, n=int(cm.sum()), uar=uar(cm), war=war(cm), macro_f1=macro_f1(cm), confusion=cm.tolist()
    )


def pooled(folds: Sequence[FoldScores], name: str = "pooled") -> FoldScores:
    """The scores of the folds' confusion matrices summed: every test clip counted once, so a fold of 1 clip
    weighs 1 clip (the fold mean weighs it like a fold of 28)."""
    cm = np.sum([np.asarray(f.confusion, dtype=np.int64) for f in folds], axis=0)
    return FoldScores(name=name, n=int(cm.sum()), uar=uar(cm), war=war(cm), macro_f1=macro_f1(cm),
                      confusion=cm.tolist())  # fmt: skip


def chance_uar(cm: np.ndarray) -> float:
    """UAR (and per-class recall) of guessing: 1 / the number of classes present (non-empty rows)."""
    present = int(_present(np.asarray(cm)).sum())
    return 1 / present if present else float("nan")


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1; 0 for a single value)."""
    arr = np.asarray(values, dtype=np.float64)
    std = float(arr.std(ddof=1)) if arr.size > 1 else 0.0
    return float(arr.mean()), std


def summarize(folds: Sequence[FoldScores]) -> dict[str, dict[str, float]]:
    """``{"uar": {"mean", "std"}, "war": ..., "macro_f1": ...}`` over folds."""
    out = {}
    for key in ("uar", "war", "macro_f1"):
        mean, std = mean_std([getattr(f, key) for f in folds])
        out[key] = {"mean": mean, "std": std}
    return out


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
