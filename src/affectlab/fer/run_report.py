"""The report of a training run (``affectlab fer report RUN``): one self-contained ``report.html`` and a
``report.md``, with their pictures in ``RUN/report/``.

Sections: the warnings the numbers cannot show; per-fold UAR, WAR and macro-F1 with their test and training
clip counts, mean ± std over folds and the pooled scores of the summed confusion matrix beside them; per-class
recall of the summed matrix (one fixed colour per emotion, chance from the classes tested); the confusion
matrix summed over folds with its counts and pooled UAR/WAR in the title; cross-dataset results of every
``RUN/cross-*`` folder (clip counts per fold probe, the confusion of one probe on average); the embedding map
of the run's features; contact sheets of the most confident errors; the full config and the feature store's
identity.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from affectlab.errors import AffectlabError
from affectlab.fer.data.labels import canonical_labels, emotion_colours
from affectlab.fer.probes.metrics import chance_uar, uar, war
from affectlab.io import read_json, write_text
from affectlab.report.html import HtmlReport, markdown_table
from affectlab.report.plots import confusion_png, new_figure, save_png, styled

if TYPE_CHECKING:
    from affectlab.fer.cache.store import FeatureInfo, FeatureStore
    from affectlab.fer.config import SamplingConfig
    from affectlab.fer.probes.run import Run

PICTURES = "report"
ERRORS_SHOWN = 3


def class_recalls(confusions: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per class: the recall of the confusion matrix summed over folds (NaN for a class no fold tests) and its
    test clip count, so the bars agree with the pooled matrix (a fold of 1 clip weighs 1 clip)."""
    counts = np.sum([cm.sum(1) for cm in confusions], axis=0)
    hits = np.sum([np.diag(cm) for cm in confusions], axis=0)
    return np.divide(hits, counts, out=np.full(len(counts), np.nan), where=counts > 0), counts


@styled
def recall_bars(labels: list[str], recalls: np.ndarray, counts: np.ndarray, path: Path, title: str):
    """One bar per class (its emotion's colour): recall of the summed confusion, clip count below; chance is
    1 / the number of classes tested."""
    fig = new_figure(figsize=(max(5.5, 0.9 * len(labels) + 2), 3.6))
    ax = fig.subplots()
    x = np.arange(len(labels))
    tested = np.isfinite(recalls)
    colours = emotion_colours(labels)
    ax.bar(x[tested], recalls[tested], color=[c for c, t in zip(colours, tested, strict=True) if t])
    ax.axhline(chance_uar(np.diag(counts)), color="#555555", lw=0.8, ls="--",
               label=f"chance (1 / {int(tested.sum())} classes tested)")  # fmt: skip
    ticks = [
        f"{n}\n(n={int(c)})" if t else f"{n}\n(not tested)" for n, c, t in zip(labels, counts, tested, strict=True)
    ]
    ax.set_xticks(x, ticks)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("recall (all folds summed)")
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="x", visible=False)
    fig.tight_layout()
    return save_png(fig, path)


def _scores_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k not in ("lr", "wd")} for row in rows]


class _Both:
    """Writes the same blocks into the HTML report and the Markdown text."""

    def __init__(self, title: str, folder: Path) -> None:
        self.html = HtmlReport(title)
        self.md = [f"# {title}\n"]
        self.folder = folder

    def heading(self, text: str) -> None:
        self.html.heading(text)
        self.md.append(f"\n## {text}\n")

    def paragraph(self, text: str, note: bool = False) -> None:
        self.html.paragraph(text, note=note)
        self.md.append(f"{text}\n")

    def bullets(self, items: list[str]) -> None:
        self.html.bullets(items)
        self.md.append("".join(f"- {i}\n" for i in items))

    def table(self, rows: list[dict[str, Any]]) -> None:
        self.html.table(rows)
        self.md.append(markdown_table(rows))

    def figure(self, png: Path, caption: str) -> None:
        self.html.figure(png, caption)
        self.md.append(f"![{caption}]({png.relative_to(self.folder.parent).as_posix()})\n\n*{caption}*\n")

    def code(self, text: str) -> None:
        self.html.code(text)
        self.md.append(f"```json\n{text}\n```\n")


def _cv_section(doc: _Both, metrics: dict[str, Any], pictures: Path) -> None:
    labels, folds = list(canonical_labels(metrics["labels"])), [f for f in metrics["folds"] if "confusion" in f]
    s = metrics["summary"]
    confusions = [np.asarray(f["confusion"]) for f in folds]
    pooled = np.sum(confusions, axis=0)
    sizes = [int(cm.sum()) for cm in confusions]
    doc.heading("Cross-validation")
    doc.paragraph(
        f"{len(folds)} subject-independent folds (test actors never seen in training) of {min(sizes)} to "
        f"{max(sizes)} test clips. All folds summed ({int(pooled.sum())} clips, each once): UAR {uar(pooled):.3f}, "
        f"WAR {war(pooled):.3f}; mean ± std over folds (every fold weighs alike, whatever its size): UAR "
        f"{s['uar']['mean']:.3f} ± {s['uar']['std']:.3f}, WAR {s['war']['mean']:.3f} ± {s['war']['std']:.3f}, "
        f"macro-F1 {s['macro_f1']['mean']:.3f} ± {s['macro_f1']['std']:.3f}. Chance UAR: "
        f"{chance_uar(pooled):.3f} (1 / the {int((pooled.sum(1) > 0).sum())} classes tested)."
    )
    doc.table(_scores_table(metrics["table"]))
    recalls, counts = class_recalls(confusions)
    recall = recall_bars(labels, recalls, counts, pictures / "recall.png", "Per-class recall")
    doc.figure(recall, "Per-class recall of the confusion matrix summed over folds; n = test clips")
    title = f"{metrics['dataset']}, all {len(folds)} folds summed: UAR {uar(pooled):.3f}, WAR {war(pooled):.3f}"
    matrix = confusion_png(pooled, labels, pictures / "confusion.png", title)
    doc.figure(matrix, f"{title} ({int(pooled.sum())} test clips, each once; rows = true, columns = predicted)")


def _cross_section(doc: _Both, run: Path, pictures: Path) -> None:
    from affectlab.fer.probes.cross_dataset import mean_confusion
    from affectlab.fer.probes.metrics import FoldScores

    folders = sorted(p.parent for p in run.glob("cross-*/cross_metrics.json"))
    if not folders:
        return
    doc.heading("Cross-dataset")
    for folder in folders:
        m = read_json(folder / "cross_metrics.json")
        s = m["summary"]
        what = f"{m['source']['dataset']} probes -> {m['target']['dataset']} (calm {m['calm']})"
        doc.html.heading(what, 3)
        doc.md.append(f"\n### {what}\n")
        doc.paragraph(
            f"Every fold probe scores the same {m['clips_scored']} clips ({m['clips_left_out']} left out: their "
            f"class has no counterpart); UAR {s['uar']['mean']:.3f} ± {s['uar']['std']:.3f}, WAR "
            f"{s['war']['mean']:.3f} ± {s['war']['std']:.3f} over {len(m['folds'])} fold probes."
        )
        doc.table(m["table"])
        scores = [FoldScores.model_validate(f) for f in m["folds"]]
        png = confusion_png(
            mean_confusion(scores),
            m["target"]["labels"],
            pictures / f"{folder.name}.png",
            f"{what}: one fold probe on average ({m['clips_scored']} clips)",
        )
        doc.figure(png, f"{what}: confusion of one fold probe, averaged over the {len(scores)} probes")


def _map_section(doc: _Both, features: FeatureStore | AffectlabError | None, pictures: Path) -> None:
    from affectlab.fer.embedding_map import EmbedPlotConfig, embed_plot

    doc.heading("Embedding map")
    if features is None:
        doc.paragraph("No map: the run was trained online, with no feature store to map.", note=True)
        return
    try:
        if isinstance(features, AffectlabError):
            raise features
        info = embed_plot(features, pictures / "map.png", EmbedPlotConfig())
    except AffectlabError as err:
        doc.paragraph(f"No map: {err}", note=True)
        return
    doc.figure(pictures / "map.png", f"{' and '.join(info['methods'])} of the pooled features of {info['clips']} clips")


def confident_errors(run: Path, count: int = ERRORS_SHOWN) -> list[dict[str, Any]]:
    """The ``count`` wrong test predictions with the highest predicted probability (predictions.csv)."""
    import pandas as pd

    path = run / "predictions.csv"
    if not path.is_file():
        return []
    frame = pd.read_csv(path, dtype={"actor": str})
    prob_columns = [c for c in frame.columns if c.startswith("p_")]
    frame["confidence"] = frame[prob_columns].max(axis=1)
    wrong = frame[frame["true"] != frame["predicted"]].sort_values("confidence", ascending=False, kind="stable")
    return wrong.head(count).to_dict("records")


def _errors_section(doc: _Both, run: Path, base: SamplingConfig, pictures: Path) -> None:
    from affectlab.fer.data.contact_sheet import render_contact_sheet, write_png

    errors = confident_errors(run)
    doc.heading("Most confident errors")
    if not errors:
        doc.paragraph("No wrong test prediction (or no test folds).", note=True)
        return
    cfg = base.model_copy(update={"num_segments": min(base.num_segments, 4), "frames_per_clip": 8, "face_crop": False})
    for k, row in enumerate(errors, start=1):
        title = (
            f"true {row['true']}, predicted {row['predicted']} with p = {row['confidence']:.2f} (fold {row['fold']})"
        )
        if not Path(row["path"]).is_file():
            doc.paragraph(f"{row['path']}: {title}; the video is not here to show", note=True)
            continue
        out = pictures / f"error{k}.png"
        write_png(render_contact_sheet(row["path"], cfg, thumb_height=80, title=title), out)
        doc.figure(out, f"{Path(row['path']).name}: {title}")


def _identity_section(
    doc: _Both, config: dict[str, Any], info: FeatureInfo, store: FeatureStore | AffectlabError | None
) -> None:
    doc.heading("Config and feature store")
    identity = [
        f"features: {config['features']}",
        f"encoder: {info.encoder}, checkpoint sha256 {info.checkpoint_sha256}",
        f"cache key: {info.cache_key}",
        f"tokens: {info.test_views}+{info.train_views} views x {info.num_segments} segments x "
        f"{info.tokens_per_segment} tokens x {info.embed_dim} ({info.pooling})",
    ]
    if store is None:
        identity.append(f"trained online from the clips of {config.get('manifest', 'a manifest')} (no feature store)")
        doc.bullets(identity)
        doc.code(json.dumps(config, indent=2))
        return
    if isinstance(store, AffectlabError):
        identity.append(f"store not readable here ({store})")
    else:
        shares = store.index.column("face_share").to_pylist() if "face_share" in store.index.column_names else []
        known = [s for s in shares if s is not None]
        identity.append(
            f"store holds {len(store)} clips" + (f", faces on {np.mean(known):.1%} of sampled frames" if known else "")
        )
    doc.bullets(identity)
    doc.code(json.dumps(config, indent=2))


def write_report(run: str | Path | Run, store: FeatureStore | None = None) -> Path:
    """Write ``RUN/report.html``, ``RUN/report.md`` and their pictures; returns the HTML path. A :class:`Run`
    that holds its metrics (one just trained) and the open feature ``store`` are used as they are."""
    from affectlab.fer.probes.run import Run

    run = run if isinstance(run, Run) else Run(run)
    folder = run.path
    if not (folder / "metrics.json").is_file() or not (folder / "config.json").is_file():
        raise AffectlabError(f"{folder}: not a run folder (expected metrics.json and config.json from 'fer train')")
    metrics, config, info = run.metrics_json, run.config, run.feature_info
    pictures = folder / PICTURES
    pictures.mkdir(exist_ok=True)
    doc = _Both(f"{metrics['dataset']}, {metrics['probe']} probe on {info.encoder} features", pictures)
    doc.paragraph(
        f"Run {folder.resolve()}: {len(metrics['folds'])} fold probe(s), labels {', '.join(metrics['labels'])}."
    )
    if metrics.get("warnings"):
        doc.heading("Warnings")
        doc.bullets(metrics["warnings"])
    if metrics.get("summary"):
        _cv_section(doc, metrics, pictures)
    else:
        doc.paragraph("Trained with --folds all: one probe on every clip, no test fold to score.", note=True)
    _cross_section(doc, folder, pictures)
    features = (store or _open_store(config)) if config.get("features") else None
    _map_section(doc, features, pictures)
    _errors_section(doc, folder, info.sampling, pictures)
    _identity_section(doc, config, info, features)
    write_text(folder / "report.md", "\n".join(doc.md))
    return doc.html.write(folder / "report.html")


def _open_store(config: dict[str, Any]) -> FeatureStore | AffectlabError:
    """The run's feature store, or why it cannot be read here (the report says so instead of failing)."""
    from affectlab.fer.cache.store import FeatureStore

    try:
        return FeatureStore(config["features"])
    except AffectlabError as err:
        return err
