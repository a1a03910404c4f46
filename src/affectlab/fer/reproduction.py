"""``affectlab fer reproduce`` (:func:`affectlab.fer.reproduce`): the V-JEPA FER paper's table in one command,
beside the reference numbers.

Stages (each skipped when its output exists and was made with the same settings, recorded in
``OUT/reproduce.json``; a stopped training continues from its last epoch):

0. check everything first (:func:`check_inputs`: folders, fold files and folds, encoder with preset, checkpoint,
   training options), so a mistake fails in seconds, not after the first dataset's extraction;
1. index RAVDESS and CREMA-D with the preset's folds (``manifests/``), both before any extraction;
2. cached mode: extract both (``features/``; the store itself resumes); online mode: nothing to extract;
3. train the preset's probe on each dataset (``runs/DATASET``), 5 folds, protocol and full-video evaluation;
   a dataset whose manifest has one fold (e.g. a single actor) trains one probe on every clip, for the
   cross-dataset rows only;
4. cross-dataset both ways under both calm policies (``runs/SRC/cross-DST-calm-POLICY``);
5. ``table.md``, ``table.json`` and ``report.html``: UAR and WAR mean ± std over folds (full-video, and the
   protocol evaluation beside it), the same numbers computed as the reference computes them, the reference's
   numbers and the strongest visual-only peers.

Reference numbers (:data:`REFERENCE`) are recomputed from the 5-fold averaged confusion matrices hard-coded in
the fork's ``scripts/cms.py`` (lennarteingunia/vjepa-for-fer @702cd62; rows = ground truth, their row sums are
the class counts): they are WAR and UAR (true macro-recall) of the fold-*averaged* matrix, not means of per-fold
metrics. (The fork's ``scripts/metrics.py`` names precision "recall": it gives the reported UAR only when fed
the transposed matrix.) :func:`reference_arithmetic` computes ours the same way, so that column compares like
with like.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from affectlab.errors import AffectlabError
from affectlab.fer.config import ReproduceConfig
from affectlab.fer.probes.metrics import uar, war
from affectlab.io import check_writable, exclusive_lock, read_json, write_json, write_text
from affectlab.report.html import HtmlReport, markdown_table

DATASETS = ("ravdess", "crema-d")
NAMES = {"ravdess": "RAVDESS", "crema-d": "CREMA-D"}
CALMS = ("drop", "merge")
# (WAR, UAR) in %, from the fork's averaged confusion matrices (see the module docstring).
REFERENCE: dict[str, tuple[float, float]] = {
    "ravdess": (72.93, 72.56),
    "crema-d": (78.84, 78.84),
    "crema-d->ravdess/drop": (75.60, 76.85),
    "crema-d->ravdess/merge": (70.92, 71.80),
    "ravdess->crema-d/drop": (59.79, 58.25),
    "ravdess->crema-d/merge": (54.80, 54.85),
}
# The strongest visual-only peers, as their papers report them (WAR, UAR in %).
PEERS: dict[str, tuple[str, float, float]] = {
    "ravdess": ("SVFAP-B (6-fold, 1,440 clips)", 75.01, 75.15),
    "crema-d": ("MAE-DFER", 77.38, 77.33),
}
CHECKPOINTS = {
    "vjepa-vit_huge": "https://dl.fbaipublicfiles.com/jepa/vith16-384/vith16-384.pth.tar",
    "vjepa-vit_large": "https://dl.fbaipublicfiles.com/jepa/vitl16/vitl16.pth.tar",
}


def reference_arithmetic(confusion: np.ndarray) -> tuple[float, float]:
    """(WAR, UAR) of a fold-summed (or averaged) confusion matrix (rows = truth), as the reference numbers are:
    accuracy and the mean recall over the classes present, of the pooled matrix."""
    m = np.asarray(confusion, dtype=np.float64)
    return war(m), uar(m)


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


class Ledger:
    """``OUT/reproduce.json``: the settings each finished stage was made with."""

    def __init__(self, out: Path, overwrite: bool) -> None:
        self.path, self.overwrite = out / "reproduce.json", overwrite
        self.stages: dict[str, str] = read_json(self.path) if self.path.is_file() else {}

    def done(self, stage: str, settings: Any, output: Path) -> bool:
        """True when ``stage`` finished with these ``settings`` and ``output`` is still there."""
        if self.stages.get(stage) == _digest(settings) and output.exists():
            return True
        if output.exists() and not self.overwrite and stage in self.stages:
            raise AffectlabError(f"{output}: made with other settings; pass --overwrite to redo it")
        return False

    def finish(self, stage: str, settings: Any) -> None:
        self.stages[stage] = _digest(settings)
        write_json(self.path, self.stages)


@dataclass(frozen=True)
class Stages:
    """The API's stage functions the reproduction chains (handed in by :func:`affectlab.fer.api.reproduce`,
    so this module never imports the API that calls it)."""

    index: Callable[..., Any]
    extract: Callable[..., Any]
    train: Callable[..., Any]
    cross: Callable[..., Any]


def check_inputs(
    roots: dict[str, str | Path],
    checkpoint: str | Path | None,
    cfg: ReproduceConfig,
    stages: Stages,
    folds_files: dict[str, str | Path] | None = None,
) -> None:
    """Everything :func:`reproduce` needs, checked before any work (seconds, not after hours of extraction):
    every dataset folder, fold file and its folds (names only: no video is opened), the encoder with the preset
    (its input contract), the checkpoint (or the weights the encoder ships), the training options."""
    from affectlab.fer.config import ExtractConfig, TrainConfig
    from affectlab.fer.data.folds import read_fold_file
    from affectlab.fer.encoders import ENCODERS, load_encoder
    from affectlab.fer.presets import with_preset

    for name, root in roots.items():
        if not Path(root).exists():
            raise AffectlabError(f"{root}: the {NAMES.get(name, name)} folder is not there (it needs your own copy)")
    for path in (folds_files or {}).values():
        read_fold_file(path)
    given = {"sampling": cfg.sampling, "device": cfg.device, "pooling": cfg.pooling,
             **({"encoder": cfg.encoder} if cfg.encoder else {})}  # fmt: skip
    extract = with_preset(ExtractConfig, cfg.preset, "extract", given, "reproduce options")
    if extract.encoder not in ENCODERS:
        raise AffectlabError(f"unknown encoder {extract.encoder!r}; expected one of {', '.join(ENCODERS)}")
    if checkpoint is not None and not Path(checkpoint).is_file():
        raise AffectlabError(f"{checkpoint}: checkpoint not found (download it first: see docs/fer/reproduce.md)")
    if checkpoint is None:  # the encoder's own weights, or a one-line error saying which checkpoint it needs
        load_encoder(extract.encoder, None, extract.sampling)
    with_preset(TrainConfig, cfg.preset, "train", {**cfg.train, "device": cfg.device, "seed": cfg.seed},
                "reproduce training options")  # fmt: skip
    for name, root in roots.items():
        folds_file = (folds_files or {}).get(name)
        options = {} if folds_file else {"folds": cfg.folds, "seed": cfg.seed}
        try:
            stages.index(root, name, folds_file=folds_file, preset=cfg.preset, check=False, hash=False,
                      progress=False, **options)  # fmt: skip
        except AffectlabError as err:
            raise AffectlabError(f"{NAMES[name]} ({root}): {err}") from None


def reproduce(
    roots: dict[str, str | Path],
    checkpoint: str | Path | None,
    out: str | Path,
    cfg: ReproduceConfig,
    stages: Stages,
    *,
    folds_files: dict[str, str | Path] | None = None,
    overwrite: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    """Run the stages of the module docstring into ``out``; returns the table (also in ``table.json``).
    Everything is checked first (:func:`check_inputs`); ``checkpoint`` None: the weights the encoder ships
    (the frame baseline's)."""
    from affectlab.fer.data.manifest import read_manifest
    from affectlab.progress import progress_bar

    out = Path(out)
    check_writable(out, folder=True)
    check_inputs(roots, checkpoint, cfg, stages, folds_files)
    out.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(out, "reproduction"):
        ledger = Ledger(out, overwrite)
        manifests, targets, runs = {}, {}, {}
        for name, root in roots.items():  # every dataset indexed before any extraction
            manifests[name] = out / "manifests" / f"{name}.parquet"
            folds_file = (folds_files or {}).get(name)
            settings = {"root": str(Path(root).resolve()), "preset": cfg.preset, "folds": cfg.folds, "seed": cfg.seed,
                        "folds_file": None if folds_file is None else Path(folds_file).read_text()}  # fmt: skip
            if not ledger.done(f"index/{name}", settings, manifests[name]):
                options = {} if folds_file else {"folds": cfg.folds, "seed": cfg.seed}
                stages.index(root, name, out=manifests[name], folds_file=folds_file, preset=cfg.preset,
                          progress=progress, **options)  # fmt: skip
                ledger.finish(f"index/{name}", settings)
        for name in roots:
            encoder_options = {"sampling": cfg.sampling, "device": cfg.device, "decode_workers": cfg.decode_workers,
                               **({"pooling": cfg.pooling} if cfg.mode == "cached" else {})}  # fmt: skip
            targets[name] = manifests[name]
            if cfg.mode == "cached":
                targets[name] = out / "features" / name
                extract_options = {k: v for k, v in encoder_options.items() if k not in ("decode_workers",)}
                stages.extract(manifests[name], targets[name], encoder=cfg.encoder, checkpoint=checkpoint,
                            preset=cfg.preset, store_dtype=cfg.store_dtype, progress=progress,
                            **extract_options)  # fmt: skip
            runs[name] = out / "runs" / name
            single = len(set(read_manifest(manifests[name]).column("fold").to_pylist()))
            train_options = {**cfg.train, "device": cfg.device, "seed": cfg.seed,
                             **({"folds": "all"} if single == 1 else {})}  # fmt: skip
            settings = {"mode": cfg.mode, "train": train_options, "encoder": [cfg.encoder, encoder_options],
                        "data": ledger.stages.get(f"index/{name}"), "preset": cfg.preset}  # fmt: skip
            if not ledger.done(f"train/{name}", settings, runs[name] / "metrics.json"):
                stages.train(None if cfg.mode == "online" else targets[name], runs[name], preset=cfg.preset,
                          online=cfg.mode == "online", manifest=manifests[name], encoder=cfg.encoder,
                          checkpoint=checkpoint,
                          encoder_options=encoder_options if cfg.mode == "online" else
                          {"device": cfg.device, "decode_workers": cfg.decode_workers},
                          overwrite=True, progress=progress, **train_options)  # fmt: skip
                ledger.finish(f"train/{name}", settings)
        eval_kind = read_json(runs[next(iter(runs))] / "config.json")["train"]["eval"]
        pairs = [(src, dst, calm) for src in runs for dst in runs if src != dst for calm in CALMS]
        with progress_bar("cross-dataset", len(pairs), "evaluations", progress and bool(pairs)) as advance:
            for src, dst, calm in pairs:
                folder = runs[src] / f"cross-{dst}-calm-{calm}"
                settings = {"run": ledger.stages.get(f"train/{src}"), "data": ledger.stages.get(f"index/{dst}"),
                            "calm": calm, "eval": eval_kind}  # fmt: skip
                if not ledger.done(f"cross/{src}->{dst}/{calm}", settings, folder / "cross_metrics.json"):
                    stages.cross(runs[src], targets[dst], calm=calm, out=folder, eval=eval_kind,
                              checkpoint=checkpoint, overwrite=True)  # fmt: skip
                    ledger.finish(f"cross/{src}->{dst}/{calm}", settings)
                advance(1)
        table = paper_table(runs, cfg)
        write_outputs(out, table, runs, cfg)
    return table


def _cell(summary: dict | None, key: str) -> str:
    if not summary:
        return "—"
    return f"{100 * summary[key]['mean']:.2f} ± {100 * summary[key]['std']:.2f}"


def _confusion(section: dict | None) -> np.ndarray | None:
    """The fold-summed confusion matrix of a run's or cross folder's evaluation."""
    if not section:
        return None
    if "confusion_all" in section:
        return np.asarray(section["confusion_all"])
    mats = [f["confusion"] for f in section.get("folds", []) if "confusion" in f]
    return np.sum(mats, axis=0) if mats else None


def _row(setting: str, metrics: dict | None, key: str) -> dict[str, Any]:
    full = (metrics or {}).get("full_video") or (metrics if (metrics or {}).get("eval") == "full-video" else None)
    protocol = metrics if metrics and metrics.get("eval") != "full-video" else None
    confusion = _confusion(full) if full else _confusion(protocol)
    ref_war, ref_uar = REFERENCE[key]
    arithmetic = reference_arithmetic(confusion) if confusion is not None else None
    return {
        "setting": setting,
        "WAR (full video)": _cell((full or {}).get("summary"), "war"),
        "UAR (full video)": _cell((full or {}).get("summary"), "uar"),
        "WAR (protocol)": _cell((protocol or {}).get("summary"), "war"),
        "UAR (protocol)": _cell((protocol or {}).get("summary"), "uar"),
        "WAR / UAR as the reference computes": "—"
        if arithmetic is None
        else f"{100 * arithmetic[0]:.2f} / {100 * arithmetic[1]:.2f}",  # fmt: skip
        "reference WAR / UAR": f"{ref_war:.2f} / {ref_uar:.2f}",
    }


def paper_table(runs: dict[str, Path], cfg: ReproduceConfig) -> dict[str, Any]:
    """The table's rows (ours beside the reference) and the peers' rows, from the run and cross folders."""
    rows = []
    for name, run in runs.items():
        metrics = read_json(run / "metrics.json")
        scored = metrics.get("summary") is not None
        row = _row(f"{NAMES[name]} ({len(metrics['folds'])}-fold)" if scored else f"{NAMES[name]} (one fold: "
                   "trained on every clip, no test fold)", metrics if scored else None, name)  # fmt: skip
        rows.append(row)
    for src, run in runs.items():
        for dst in runs:
            if src == dst:
                continue
            for calm in CALMS:
                cross = read_json(run / f"cross-{dst}-calm-{calm}" / "cross_metrics.json")
                what = "calm dropped" if calm == "drop" else "calm merged into neutral"
                row = _row(f"{NAMES[src]} -> {NAMES[dst]} ({what})", cross, f"{src}->{dst}/{calm}")
                rows.append(row)
    peers = [{"dataset": NAMES[d], "peer": p[0], "WAR": f"{p[1]:.2f}", "UAR": f"{p[2]:.2f}"}
             for d, p in PEERS.items() if d in runs]  # fmt: skip
    return {"mode": cfg.mode, "preset": cfg.preset, "rows": rows, "peers": peers}


NOTES = [
    "Ours: mean ± std over fold probes, UAR = mean per-class recall, WAR = accuracy, in %.",
    "'Pooled matrix': WAR and UAR of the confusion matrix summed over folds, which is how the reference numbers "
    "are computed (from the fork's 5-fold averaged matrices in scripts/cms.py), not the mean of per-fold values.",
    "Reference: V-JEPA ViT-H/16-384 + attentive probe (lennarteingunia/vjepa-for-fer), numbers recomputed from "
    "its averaged confusion matrices; full-video evaluation.",
    "Cross-dataset: every fold probe of one dataset on every clip of the other; affectlab predicts only classes "
    "the target has (probabilities of merged classes summed), the reference drops clips predicted as a class the "
    "target lacks.",
    "Folds are affectlab's seeded actor-disjoint splits (the fork's are not recoverable): numbers differ from the "
    "reference by the split as well as by the randomness of training.",
]


def write_outputs(out: Path, table: dict[str, Any], runs: dict[str, Path], cfg: ReproduceConfig) -> None:
    """``table.json``, ``table.md`` and ``report.html`` (with the full-video confusion matrices)."""
    title = f"V-JEPA FER reproduction ({cfg.preset}, {cfg.mode} mode)"
    write_json(out / "table.json", table)
    text = f"# {title}\n\n{markdown_table(table['rows'])}\n## Strongest visual-only peers\n\n"
    text += markdown_table(table["peers"]) + "\n" + "\n".join(f"- {n}" for n in NOTES) + "\n"
    write_text(out / "table.md", text)
    report = HtmlReport(title)
    report.paragraph(
        "Computed on your copies of RAVDESS and CREMA-D with the official V-JEPA checkpoint; nothing is downloaded."
    )
    report.heading("Ours beside the reference")
    report.table(table["rows"])
    report.heading("Strongest visual-only peers")
    report.table(table["peers"])
    report.bullets(NOTES)
    for name, run in runs.items():
        for png in ("confusion_all_full_video.png", "confusion_all.png"):
            if (run / png).is_file():
                report.figure(run / png, f"{NAMES[name]}: confusion matrix summed over folds ({png[:-4]})")
                break
    report.write(out / "report.html")
