"""``affectlab fer train | cross | predict | embed-plot``: probes from the feature cache and their use."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import typer


@contextlib.contextmanager
def _progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def _floats(text: str, option: str) -> list[float]:
    from affectlab.errors import AffectlabError

    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError as err:
        raise AffectlabError(f"{option} {text!r}: expected comma-separated numbers, e.g. 1e-3,3e-4") from err


def train(
    features: Path = typer.Option(..., "--features", help="Feature store from `affectlab fer extract`."),
    probe: str = typer.Option(
        "attentive", "--probe", help="attentive, attentive-v2 (V-JEPA 2, 4 blocks), linear or mlp."
    ),
    out: Path = typer.Option(..., "--out", help="Run folder to write (probes, metrics, plots, config)."),
    folds: str = typer.Option(
        "manifest",
        "--folds",
        help="manifest (its fold column), loao (leave one actor out) or all (train only).",
    ),
    epochs: int = typer.Option(20, "--epochs", help="Epochs per fold."),
    lr: str = typer.Option(
        "1e-3", "--lr", help="Learning rate(s); several (comma-separated) train side by side."
    ),
    wd: str = typer.Option("0.01", "--wd", help="Weight decay(s), comma-separated; the sweep is lr x wd."),
    batch_size: int = typer.Option(16, "--batch-size", help="Clips per step."),
    warmup: float = typer.Option(1.0, "--warmup", help="Warmup epochs (linear, then cosine decay)."),
    heads: int = typer.Option(16, "--heads", help="Attention heads of attentive probes."),
    val_fraction: float = typer.Option(
        0.2, "--val-fraction", help="Share of training actors used to pick a head."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed (same seed, same numbers)."),
    device: str = typer.Option("auto", "--device", help="auto (CUDA when available), cpu or cuda."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing run folder."),
) -> None:
    """Train one probe per fold from cached features; print UAR/WAR mean ± std.

    Example: affectlab fer train --features features/ravdess-vith --probe attentive --out runs/ravdess
    """
    from rich.console import Console

    from affectlab.config import validated
    from affectlab.fer.crossval import fold_ids
    from affectlab.fer.features import FeatureStore
    from affectlab.fer.run import train_run
    from affectlab.fer.train import TrainConfig

    options = {
        "probe": probe,
        "folds": folds,
        "epochs": epochs,
        "lrs": _floats(lr, "--lr"),
        "weight_decays": _floats(wd, "--wd"),
        "batch_size": batch_size,
        "warmup_epochs": warmup,
        "num_heads": heads,
        "val_fraction": val_fraction,
        "seed": seed,
        "device": device,
    }
    cfg = validated(TrainConfig, options, "training options")
    store = FeatureStore(features)
    n_folds = len(set(fold_ids(store.manifest, cfg.folds, str(features)).tolist()))
    with _progress("train (epochs over folds)", n_folds * epochs) as advance:
        result = train_run(features, cfg, out, overwrite=overwrite, progress=advance)
    s = result["summary"]
    if s is None:
        Console().print(f"{result['dataset']} {probe}: one probe on every clip (--folds all) -> {out}/probes")
        return
    Console().print(
        f"{result['dataset']} {probe}: UAR {s['uar']['mean']:.3f} ± {s['uar']['std']:.3f}, "
        f"WAR {s['war']['mean']:.3f} ± {s['war']['std']:.3f} over {n_folds} folds -> {out}/metrics.md"
    )


def cross(
    train_run: Path = typer.Option(..., "--train", help="Run folder from `affectlab fer train`."),
    test: Path = typer.Option(..., "--test", help="Feature store of the other dataset (same encoder)."),
    calm: str = typer.Option("drop", "--calm", help="drop or merge (RAVDESS calm -> neutral)."),
    out: Path | None = typer.Option(
        None, "--out", help="Output folder (default RUN/cross-DATASET-calm-POLICY)."
    ),
) -> None:
    """Apply every fold probe of a run to a whole other dataset through the label map.

    Example: affectlab fer cross --train runs/ravdess --test features/crema-d-vith --calm merge
    """
    from rich.console import Console

    from affectlab.fer.crossdata import cross_evaluate

    result = cross_evaluate(train_run, test, calm, out)
    s = result["summary"]
    Console().print(
        f"{result['source']['dataset']} -> {result['target']['dataset']} (calm {calm}): "
        f"UAR {s['uar']['mean']:.3f} ± {s['uar']['std']:.3f}, "
        f"WAR {s['war']['mean']:.3f} ± {s['war']['std']:.3f} "
        f"on {result['clips_scored']} clips ({result['clips_left_out']} left out) -> {result['out']}"
    )


def predict(
    video: Path = typer.Argument(..., help="A video file."),
    run: Path | None = typer.Option(
        None, "--run", help="Run folder; default: the frame baseline's FER2013 head."
    ),
    checkpoint: str | None = typer.Option(
        None, "--checkpoint", help="Encoder weights of the run (if not default)."
    ),
    stride: int | None = typer.Option(
        None, "--stride", help="Frames between windows (default: half a window)."
    ),
    out: Path = typer.Option(Path("predict-out"), "--out", help="Output folder."),
) -> None:
    """Per-window emotion probabilities over time (CSV, JSON, timeline PNG) and a video-level label.

    Example: affectlab fer predict clip.mp4 --run runs/ravdess --out pred/
    """
    from rich.console import Console

    from affectlab.fer.predict import PredictConfig, predict_video, write_prediction

    cfg = PredictConfig(run=None if run is None else str(run), checkpoint=checkpoint, stride=stride)
    pred = predict_video(video, cfg)
    files = write_prediction(pred, cfg, out)
    top = sorted(zip(pred.video_probs, pred.labels, strict=True), reverse=True)[:3]
    Console().print(
        f"{video.name}: {pred.video_label} ({', '.join(f'{n} {p:.2f}' for p, n in top)}) over "
        f"{len(pred.probs)} windows -> {files['timeline.png']}"
    )


def embed_plot(
    features: Path = typer.Option(..., "--features", help="Feature store."),
    out: Path = typer.Option(Path("map.png"), "--out", help="PNG to write (settings go beside it as .json)."),
    seed: int = typer.Option(0, "--seed", help="Seed of t-SNE."),
) -> None:
    """2-D map (PCA, and t-SNE for 30+ clips) of pooled features, coloured by emotion and by actor.

    Example: affectlab fer embed-plot --features features/ravdess-vith --out ravdess-map.png
    """
    from affectlab.fer.embed_plot import EmbedPlotConfig
    from affectlab.fer.embed_plot import embed_plot as make_plot

    info = make_plot(features, out, EmbedPlotConfig(seed=seed))
    typer.echo(f"{info['clips']} clips, {' + '.join(info['methods'])} -> {out}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("train")(train)
    app.command("cross")(cross)
    app.command("predict")(predict)
    app.command("embed-plot")(embed_plot)
