"""``affectlab fer``: index datasets, extract features, train probes, evaluate, predict."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import typer
from rich.console import Console

EXIT_SKIPPED = 3


def index(
    root: Path = typer.Argument(
        ..., help="Dataset folder (or, for --dataset folder, a CSV path,label[,subject])."
    ),
    dataset: str = typer.Option(..., "--dataset", help="ravdess, crema-d or folder."),
    out: Path = typer.Option(Path("manifest.parquet"), "--out", help="Manifest to write (Parquet)."),
    folds: int = typer.Option(5, "--folds", help="Number of actor-disjoint folds."),
    seed: int = typer.Option(0, "--seed", help="Seed of the fold assignment."),
    folds_file: Path | None = typer.Option(None, "--folds-file", help="Take folds from a CSV actor,fold."),
    export_folds: Path | None = typer.Option(
        None, "--export-folds", help="Also write the folds as CSV actor,fold."
    ),
    modality: str = typer.Option("av", "--modality", help="RAVDESS copies to keep: av, video or both."),
    channel: str | None = typer.Option(None, "--channel", help="RAVDESS vocal channel: speech or song."),
    intensity: str | None = typer.Option(None, "--intensity", help="RAVDESS intensity: normal or strong."),
    file_list: Path | None = typer.Option(
        None, "--file-list", help="CREMA-D SentenceFilenames.csv (no videos read)."
    ),
    demographics: Path | None = typer.Option(None, "--demographics", help="CREMA-D VideoDemographics.csv."),
    check: bool = typer.Option(True, "--check/--no-check", help="Open and decode every video."),
    hash_files: bool = typer.Option(True, "--hash/--no-hash", help="sha256 of every file."),
) -> None:
    """Index a dataset into a manifest with labels, actors and actor-disjoint folds.

    Example: affectlab fer index RAVDESS/ --dataset ravdess --out ravdess.parquet --folds 5 --seed 0

    Skipped files go to NAME.skipped.csv beside the manifest; the exit code is then 3.
    """
    from affectlab.fer.data.folds import write_fold_file
    from affectlab.fer.data.manifest import (
        fold_assignment,
        index_dataset,
        skipped_report_path,
        write_manifest,
        write_skipped,
    )

    table, skipped = index_dataset(
        root,
        dataset,  # type: ignore[arg-type]
        folds=folds,
        seed=seed,
        folds_file=folds_file,
        modality=modality,  # type: ignore[arg-type]
        channel=channel,  # type: ignore[arg-type]
        intensity=intensity,  # type: ignore[arg-type]
        file_list=file_list,
        demographics=demographics,
        check_videos=check,
        hash_files=hash_files,
        progress=True,
    )
    write_manifest(table, out)
    if export_folds is not None:
        write_fold_file(fold_assignment(table), export_folds)
    console = Console(stderr=True)
    sizes = Counter(table["fold"].to_pylist())
    actors = Counter(fold_assignment(table).values())
    summary = ", ".join(f"{f}: {sizes[f]} clips/{actors[f]} actors" for f in sorted(sizes))
    console.print(f"{out}: {table.num_rows} clips, folds {summary}", highlight=False)
    if skipped:
        report = skipped_report_path(out)
        write_skipped(skipped, report)
        console.print(f"[yellow]{len(skipped)} files skipped[/], reasons in {report}", highlight=False)
        raise typer.Exit(EXIT_SKIPPED)


def show(
    video: Path = typer.Argument(..., help="A video file."),
    out: Path | None = typer.Option(None, "--out", help="PNG to write (default: VIDEO_NAME.sheet.png here)."),
    face_crop: bool = typer.Option(False, "--face-crop", help="Show the face-cropped view the encoder gets."),
    resolution: int = typer.Option(224, "--resolution", help="Encoder input size (with --face-crop)."),
) -> None:
    """Write a contact sheet of the frames the sampling protocol takes (segments x frames, face box).

    Example: affectlab fer show Actor_01/01-01-01-01-01-01-01.mp4 --out sheet.png --face-crop
    """
    from affectlab.fer.data.contact_sheet import render_contact_sheet, write_png
    from affectlab.fer.data.video import SamplingConfig

    cfg = SamplingConfig(face_crop=face_crop, resolution=resolution)
    out = out or Path(f"{video.stem}.sheet.png")
    write_png(render_contact_sheet(video, cfg), out)
    Console(stderr=True).print(f"contact sheet: {out}", highlight=False)


def extract(
    manifest: Path = typer.Option(..., "--manifest", help="Manifest (Parquet) from `affectlab fer index`."),
    encoder: str = typer.Option(
        "frame-baseline",
        "--encoder",
        help="frame-baseline, vjepa-vit_large, vjepa-vit_huge, vjepa-vit_giant, vjepa2 or videomae.",
    ),
    checkpoint: Path | None = typer.Option(
        None,
        "--checkpoint",
        help="Local weights: .pth.tar (V-JEPA), .pt or folder (V-JEPA 2), folder (VideoMAE).",
    ),
    out: Path = typer.Option(..., "--out", help="Feature store folder (created, or resumed if it exists)."),
    pool: str = typer.Option(
        "none", "--pool", help="none (all tokens), grid (t x 2 x 2 per segment) or mean."
    ),
    engine: str = typer.Option(
        "local", "--engine", help="local (this process) or ray (Ray Data actors, 1/GPU)."
    ),
    batch_size: int | None = typer.Option(
        None, "--batch-size", help="Segments per forward (default: largest)."
    ),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    compile: bool = typer.Option(
        False, "--compile/--no-compile", help="torch.compile the encoder first (faster on a GPU)."
    ),
    train_views: int = typer.Option(1, "--train-views", help="Augmented views stored per clip for training."),
    test_views: int = typer.Option(3, "--test-views", help="Spatial views stored per clip for testing."),
    resolution: int = typer.Option(
        224, "--resolution", help="Encoder input size in pixels (384 for ViT-H/384)."
    ),
    frames: int = typer.Option(16, "--frames", help="Frames per segment."),
    frame_step: int = typer.Option(4, "--frame-step", help="Step between sampled frames."),
    segments: int = typer.Option(8, "--segments", help="Temporal segments per clip."),
    face_crop: bool = typer.Option(
        False, "--face-crop/--no-face-crop", help="Crop frames to the face first."
    ),
    shard_size: int = typer.Option(8, "--shard-size", help="Clips per shard (unit of commit and resume)."),
) -> None:
    """Extract frozen-encoder tokens for every clip (test views and augmented train views).

    Example: affectlab fer extract --manifest ravdess.parquet --encoder vjepa-vit_huge
    --checkpoint vith16-384.pth.tar --resolution 384 --pool grid --out features/ravdess-vith

    Re-running the same command continues a killed run; nothing is recomputed.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from affectlab.config import validated
    from affectlab.fer.cache.extract import ExtractConfig, extract_features
    from affectlab.fer.data.manifest import read_manifest

    sampling = {
        "frames_per_clip": frames,
        "frame_step": frame_step,
        "num_segments": segments,
        "num_views": test_views,
        "train_views": train_views,
        "resolution": resolution,
        "face_crop": face_crop,
    }
    options = {
        "encoder": encoder,
        "checkpoint": None if checkpoint is None else str(checkpoint),
        "sampling": sampling,
        "pooling": pool,
        "engine": engine,
        "device": device,
        "batch_size": batch_size,
        "compile": compile,
        "shard_size": shard_size,
    }
    cfg = validated(ExtractConfig, options, "extract options")
    table = read_manifest(manifest)
    columns = [
        TextColumn("extract"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} clips/s"),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task("extract", total=table.num_rows, rate="-")

        def advance(n: int) -> None:
            bar.advance(task, n)
            speed = bar.tasks[task].speed
            bar.update(task, rate=f"{speed:.2f}" if speed else "-")

        store = extract_features(table, out, cfg, progress=advance)
    info = store.info
    typer.echo(
        f"{out}: {len(store)} clips, {info.encoder}, {info.test_views}+{info.train_views} views x "
        f"{info.num_segments} segments x {info.tokens_per_segment} tokens x {info.embed_dim} ({info.pooling})"
    )


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
    from affectlab.fer.cache.store import FeatureStore
    from affectlab.fer.probes.evaluate import fold_ids
    from affectlab.fer.probes.run import train_run
    from affectlab.fer.probes.train import TrainConfig

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

    from affectlab.fer.probes.cross_dataset import cross_evaluate

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


app = typer.Typer(
    help="Facial expression recognition with frozen video encoders and shallow probes.",
    no_args_is_help=True,
)
for _name, _command in (
    ("index", index),
    ("show", show),
    ("extract", extract),
    ("train", train),
    ("cross", cross),
    ("predict", predict),
    ("embed-plot", embed_plot),
):
    app.command(_name)(_command)
