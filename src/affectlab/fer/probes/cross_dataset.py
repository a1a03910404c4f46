"""``affectlab fer cross``: every fold probe of a run applied to a whole other dataset through the label map.

Label policy (``affectlab.fer.data.labels.cross_dataset_map``, calm ``drop`` or ``merge``):

- a source class maps to the target class with the same canonical name; with ``merge`` source *calm* counts
  as *neutral*, with ``drop`` it maps nowhere;
- probabilities of source classes that map to the same target class are **summed**; source classes with no
  target class (e.g. *surprised*, or *calm* under ``drop``, for RAVDESS -> CREMA-D) are **removed** and the
  prediction is the arg-max over the target classes some source class reaches, so a probe can never predict
  a class the target lacks;
- target clips whose true class no source class reaches (e.g. RAVDESS *calm*/*surprised* clips for a
  CREMA-D probe; *calm* is merged into *neutral* under ``merge``, dropped under ``drop``) are left out of
  the scores, and their number is reported.

Scores are computed in the target's label space (UAR over the classes present); mean ± std over fold probes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from affectlab.errors import AffectlabError
from affectlab.fer.cache.store import FeatureInfo, FeatureStore
from affectlab.fer.data.labels import cross_dataset_map
from affectlab.fer.probes.evaluate import probe_inputs, run_labels
from affectlab.fer.probes.metrics import FoldScores, score, summarize
from affectlab.fer.probes.run import confusion_png, load_run_probes, metrics_table, write_table_files
from affectlab.fer.probes.train import deterministic, predict_proba
from affectlab.io import (
    atomic_folder,
    check_folder_target,
    check_not_input,
    check_writable,
    read_json,
    write_json,
)


def map_probabilities(probs: np.ndarray, mapping: dict[int, int | None], n_target: int) -> np.ndarray:
    """``[n, source classes]`` -> ``[n, target classes]``: sum the classes mapped together, drop unmapped."""
    out = np.zeros((len(probs), n_target), dtype=np.float64)
    for src, dst in mapping.items():
        if dst is not None:
            out[:, dst] += probs[:, src]
    return out


def reachable(mapping: dict[int, int | None], n_target: int) -> np.ndarray:
    """Boolean ``[n_target]``: which target classes some source class maps onto."""
    mask = np.zeros(n_target, dtype=bool)
    mask[[d for d in mapping.values() if d is not None]] = True
    return mask


def mean_confusion(scores: list[FoldScores]) -> np.ndarray:
    """The confusion matrix of one fold probe on average: every probe sees the same clips, so summing
    would count each clip once per probe."""
    return np.mean([np.asarray(s.confusion, dtype=float) for s in scores], axis=0)


def _check_same_features(run: Path, store: FeatureStore) -> None:
    """The test features must come from the run's encoder, checkpoint, whole sampling and pooling."""
    trained = FeatureInfo.model_validate(read_json(run / "config.json")["feature_info"])
    diff = trained.differences(store.info)
    if diff:
        raise AffectlabError(
            f"{store.root}: features differ from those {run} was trained on ({'; '.join(diff)}); "
            "extract the test dataset with the same encoder, checkpoint, sampling and pooling"
        )


def _check_output(out: Path, run: Path, features: Path, overwrite: bool) -> None:
    """A cross folder may lie inside the run, but never replace it, the features, or lie inside them."""
    check_not_input(out, [features], "cross-dataset output")
    if out.resolve() == run.resolve() or run.resolve().is_relative_to(out.resolve()):
        raise AffectlabError(f"{out}: the cross-dataset output would replace the run folder {run}")
    check_writable(out, folder=True)
    check_folder_target(out, overwrite)


def cross_evaluate(
    run: str | Path,
    test_features: str | Path,
    calm: Literal["drop", "merge"] = "drop",
    out: str | Path | None = None,
    *,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Score every fold probe of ``run`` on every clip of ``test_features``; write tables + PNG to ``out``
    (default ``RUN/cross-DATASET-calm-POLICY``), as a whole."""
    run = Path(run)
    store = FeatureStore(test_features)
    _check_same_features(run, store)
    probes = load_run_probes(run)
    src_dataset, src_labels = probes[0][2].dataset, probes[0][2].labels
    dst_dataset, dst_labels = run_labels(store.manifest, str(store.root))
    out = Path(out) if out is not None else run / f"cross-{dst_dataset}-calm-{calm}"
    _check_output(out, run, Path(test_features), overwrite)
    mapping = cross_dataset_map(src_labels, dst_labels, calm)
    can_predict = reachable(mapping, len(dst_labels))
    y = np.asarray(store.manifest.column("label_index").to_pylist(), dtype=np.int64)
    keep = can_predict[y]
    if not keep.any():
        raise AffectlabError(f"{test_features}: no clip has a class the {src_dataset} probes can predict")
    x = probe_inputs(store, "test", probes[0][2].kind, np.nonzero(keep)[0])
    scores = []
    with deterministic():
        for fold, probe, _ in probes:
            mapped = map_probabilities(predict_proba(probe, x, device="auto"), mapping, len(dst_labels))
            mapped[:, ~can_predict] = -np.inf
            scores.append(score(f"fold {fold} probe", y[keep], mapped.argmax(1), len(dst_labels)))
    payload = {
        "train_run": str(run.resolve()),
        "source": {"dataset": src_dataset, "labels": src_labels},
        "target": {
            "dataset": dst_dataset,
            "labels": list(dst_labels),
            "features": str(Path(test_features).resolve()),
        },
        "calm": calm,
        "label_map": {src_labels[s]: (None if d is None else dst_labels[d]) for s, d in mapping.items()},
        "clips_scored": int(keep.sum()),
        "clips_left_out": int((~keep).sum()),
        "folds": [s.model_dump() for s in scores],
        "summary": summarize(scores),
    }
    title = f"{src_dataset} probes -> {dst_dataset} (calm {calm}; {payload['clips_left_out']} clips left out)"
    with atomic_folder(out, overwrite=overwrite) as tmp:
        write_table_files(tmp, "cross_metrics", payload, metrics_table(scores, n_total=int(keep.sum())), title)
        confusion_png(
            mean_confusion(scores),
            dst_labels,
            tmp / "confusion_cross.png",
            f"{src_dataset} -> {dst_dataset}, mean over {len(scores)} fold probes (clips per probe)",
        )
        write_json(
            tmp / "config.json",
            {"run": str(run.resolve()), "test_features": str(Path(test_features).resolve()), "calm": calm},
        )
    payload["out"] = str(out)
    return payload


@dataclass
class CrossResult:
    """A cross-dataset folder written by :func:`cross_evaluate`, read back."""

    path: Path

    @property
    def _metrics(self) -> dict[str, Any]:
        return read_json(self.path / "cross_metrics.json")

    @property
    def summary(self) -> dict[str, dict[str, float]]:
        return self._metrics["summary"]

    @property
    def clips_scored(self) -> int:
        return self._metrics["clips_scored"]

    @property
    def clips_left_out(self) -> int:
        return self._metrics["clips_left_out"]

    @property
    def metrics(self):
        """One row per fold probe: n, UAR, WAR, macro-F1 (a pandas DataFrame)."""
        import pandas as pd

        return pd.DataFrame(
            [{k: f[k] for k in ("name", "n", "uar", "war", "macro_f1")} for f in self._metrics["folds"]]
        )

    def __repr__(self) -> str:
        m, s = self._metrics, self.summary
        return (
            f"CrossResult({self.path}: {m['source']['dataset']} -> {m['target']['dataset']} (calm {m['calm']}), "
            f"UAR {s['uar']['mean']:.3f} ± {s['uar']['std']:.3f}, WAR {s['war']['mean']:.3f} ± {s['war']['std']:.3f} "
            f"on {m['clips_scored']} clips, {m['clips_left_out']} left out)"
        )
