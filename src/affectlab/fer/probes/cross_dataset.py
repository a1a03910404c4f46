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
The test clips come from a feature store (cached) or, for a run trained online, from a manifest (encoded with
the run's encoder settings); ``eval`` full-video (or both) also scores every clip position of the whole videos.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pyarrow as pa

from affectlab.errors import AffectlabError
from affectlab.fer.cache.store import FeatureStore, is_store
from affectlab.fer.config import ExtractConfig
from affectlab.fer.data.labels import cross_dataset_map
from affectlab.fer.probes.evaluate import probe_inputs, run_labels
from affectlab.fer.probes.metrics import FoldScores, metrics_table, score, summarize
from affectlab.fer.probes.run import load_run_probes, run_config
from affectlab.fer.probes.train import array_batches, deterministic, score_batches
from affectlab.io import (
    atomic_folder,
    check_folder_target,
    check_not_input,
    check_writable,
    read_json,
    write_json,
    write_text,
)
from affectlab.report.html import markdown_table
from affectlab.report.plots import confusion_png

if TYPE_CHECKING:
    from torch import nn

    from affectlab.fer.encoders import Encoder
    from affectlab.fer.probes.checkpoints import ProbeMeta
    from affectlab.fer.probes.online import OnlineClips


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
    _, trained = run_config(run)
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


def run_clips(run: Path, manifest: pa.Table, extract: ExtractConfig | None = None, encoder: Encoder | None = None):
    """Clips of ``manifest`` encoded as the run's features were: the run's encoder, sampling and pooling;
    ``extract`` may give the checkpoint (and device, batch size, workers) when the run does not record them."""
    from affectlab.fer.encoders import load_encoder
    from affectlab.fer.encoders.runner import SegmentRunner, resolve_device
    from affectlab.fer.probes.online import OnlineClips

    config, info = run_config(run)
    base = extract.model_dump() if extract is not None else (config.get("extract") or {})
    if extract is not None and extract.checkpoint is None and config.get("extract"):
        base["checkpoint"] = config["extract"].get("checkpoint")
    cfg = ExtractConfig.model_validate(
        {**base, "encoder": info.encoder, "sampling": info.sampling.model_dump(), "pooling": info.pooling}
    )
    if cfg.checkpoint is None and encoder is None and info.encoder != "frame-baseline":
        raise AffectlabError(f"{run}: the encoder's checkpoint is needed; give --checkpoint")
    model = encoder or load_encoder(cfg.encoder, cfg.checkpoint, cfg.sampling)
    if model.checkpoint_sha256 != info.checkpoint_sha256:
        raise AffectlabError(f"{cfg.checkpoint}: not the checkpoint {run} was trained on; give the same --checkpoint")
    runner = SegmentRunner(model, resolve_device(cfg.device), cfg.batch_size, cfg.compile)
    return OnlineClips(manifest, cfg, runner)


def cross_evaluate(
    run: str | Path,
    test_features: str | Path,
    calm: Literal["drop", "merge"] = "drop",
    out: str | Path | None = None,
    *,
    overwrite: bool = False,
    eval: Literal["protocol", "full-video", "both"] = "protocol",
    extract: ExtractConfig | None = None,
    encoder: Encoder | None = None,
) -> dict[str, Any]:
    """Score every fold probe of ``run`` on every clip of ``test_features`` (a feature store, or a manifest
    for a run trained online); write tables + PNG to ``out`` (default ``RUN/cross-DATASET-calm-POLICY``), as a
    whole. ``eval`` full-video or both also runs the encoder over the whole videos (``extract`` gives the
    checkpoint when the run does not record it)."""
    from affectlab.fer.data.manifest import read_manifest

    run = Path(run)
    cached = is_store(test_features)
    store = FeatureStore(test_features) if cached else None
    if store is not None:
        _check_same_features(run, store)
    manifest = store.manifest if store is not None else read_manifest(test_features)
    probes = load_run_probes(run)
    src_dataset, src_labels = probes[0][2].dataset, probes[0][2].labels
    dst_dataset, dst_labels = run_labels(manifest, str(test_features))
    out = Path(out) if out is not None else run / f"cross-{dst_dataset}-calm-{calm}"
    _check_output(out, run, Path(test_features), overwrite)
    mapping = cross_dataset_map(src_labels, dst_labels, calm)
    can_predict = reachable(mapping, len(dst_labels))
    y = np.asarray(manifest.column("label_index").to_pylist(), dtype=np.int64)
    keep = can_predict[y]
    if not keep.any():
        raise AffectlabError(f"{test_features}: no clip has a class the {src_dataset} probes can predict")
    clips = None if cached and eval == "protocol" else run_clips(run, manifest, extract, encoder)
    probs = _probe_probabilities(probes, np.nonzero(keep)[0], eval, store, clips)
    results = {
        kind: _mapped_scores(probes, per_probe, mapping, can_predict, y[keep]) for kind, per_probe in probs.items()
    }
    payload = _cross_payload(run, test_features, calm, eval, probes, dst_dataset, dst_labels, mapping, keep, results)
    _write_cross(out, payload, results, overwrite)
    payload["out"] = str(out)
    return payload


def _probe_probabilities(
    probes: list[tuple[int, nn.Module, ProbeMeta]],
    rows: np.ndarray,
    eval: str,
    store: FeatureStore | None,
    clips: OnlineClips | None,
) -> dict[str, list[np.ndarray]]:
    """Per evaluation (protocol, full_video), each fold probe's source-class probabilities of ``rows``."""
    models = [probe for _, probe, _ in probes]
    probs: dict[str, list[np.ndarray]] = {}
    with deterministic():
        if eval in ("protocol", "both"):
            cached = store is not None
            batches = array_batches(probe_inputs(store, "test", probes[0][2].kind, rows)) if cached else None
            probs["protocol"] = score_batches(models, batches or clips.test_batches(rows), "auto")
        if eval in ("full-video", "both"):
            summed = clips.full_video_probs(rows, models)
            probs["full_video"] = [summed[:, i] for i in range(len(models))]
    return probs


def _mapped_scores(
    probes: list[tuple[int, nn.Module, ProbeMeta]],
    per_probe: list[np.ndarray],
    mapping: dict[int, int | None],
    can_predict: np.ndarray,
    y: np.ndarray,
) -> list[FoldScores]:
    """Each fold probe's scores in the target's label space (classes no source class reaches never win)."""
    scores = []
    for (fold, _, _), p in zip(probes, per_probe, strict=True):
        mapped = map_probabilities(p, mapping, len(can_predict))
        mapped[:, ~can_predict] = -np.inf
        scores.append(score(f"fold {fold} probe", y, mapped.argmax(1), len(can_predict)))
    return scores


def _cross_payload(
    run: Path,
    test_features: str | Path,
    calm: str,
    eval: str,
    probes: list[tuple[int, nn.Module, ProbeMeta]],
    dst_dataset: str,
    dst_labels: tuple[str, ...],
    mapping: dict[int, int | None],
    keep: np.ndarray,
    results: dict[str, list[FoldScores]],
) -> dict[str, Any]:
    """``cross_metrics.json`` (without its table): the label map, clips scored and left out, scores."""
    src_dataset, src_labels = probes[0][2].dataset, probes[0][2].labels
    primary = "protocol" if "protocol" in results else "full_video"
    return {
        "train_run": str(run.resolve()),
        "source": {"dataset": src_dataset, "labels": src_labels},
        "target": {
            "dataset": dst_dataset,
            "labels": list(dst_labels),
            "features": str(Path(test_features).resolve()),
        },
        "calm": calm,
        "eval": eval,
        "label_map": {src_labels[s]: (None if d is None else dst_labels[d]) for s, d in mapping.items()},
        "clips_scored": int(keep.sum()),
        "clips_left_out": int((~keep).sum()),
        "folds": [s.model_dump() for s in results[primary]],
        "summary": summarize(results[primary]),
        **(
            {
                "full_video": {
                    "folds": [s.model_dump() for s in results["full_video"]],
                    "summary": summarize(results["full_video"]),
                }
            }  # fmt: skip
            if primary == "protocol" and "full_video" in results
            else {}
        ),
    }


def _write_cross(out: Path, payload: dict[str, Any], results: dict[str, list[FoldScores]], overwrite: bool) -> None:
    """The cross folder, as a whole: metrics (JSON, Markdown), mean confusion PNGs, config."""
    src_dataset, dst_dataset, calm = payload["source"]["dataset"], payload["target"]["dataset"], payload["calm"]
    dst_labels, n = payload["target"]["labels"], payload["clips_scored"]
    primary = "protocol" if "protocol" in results else "full_video"
    title = f"{src_dataset} probes -> {dst_dataset} (calm {calm}; {payload['clips_left_out']} clips left out)"
    with atomic_folder(out, overwrite=overwrite) as tmp:
        tables = [f"## {kind.replace('_', ' ')}\n\n{markdown_table(metrics_table(s, n_total=n))}"
                  for kind, s in results.items()]  # fmt: skip
        write_json(tmp / "cross_metrics.json", {**payload, "table": metrics_table(results[primary], n_total=n)})
        write_text(tmp / "cross_metrics.md", f"# {title}\n\n" + "\n".join(tables))
        for kind, scores in results.items():
            suffix = "" if kind == primary else "_full_video"
            confusion_png(mean_confusion(scores), dst_labels, tmp / f"confusion_cross{suffix}.png",
                          f"{src_dataset} -> {dst_dataset}, mean over {len(scores)} fold probes (clips per probe, "
                          f"{kind})")  # fmt: skip
        write_json(
            tmp / "config.json",
            {
                "run": payload["train_run"],
                "test_features": payload["target"]["features"],
                "calm": calm,
                "eval": payload["eval"],
            },  # fmt: skip
        )


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
    def full_video_summary(self) -> dict[str, dict[str, float]] | None:
        """The full-video evaluation's mean ± std over fold probes (None when it was not run)."""
        return self._metrics.get("full_video", {}).get("summary")

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
