"""``affectlab fer``: thin wrappers over :mod:`affectlab.fer` (index, show, extract, train, cross, report,
predict, embed-plot, reproduce)."""

from __future__ import annotations

from pathlib import Path

import typer

from affectlab.cli.options import default, one_of
from affectlab.fer.config import (
    POOLINGS,
    PROBE_KINDS,
    CrossConfig,
    ExtractConfig,
    IndexConfig,
    PredictConfig,
    ReproduceConfig,
    SamplingConfig,
    TrainConfig,
)
from affectlab.fer.data.datasets import MODALITY_FILTER, RAVDESS_CHANNEL, RAVDESS_INTENSITY
from affectlab.fer.encoders import ENCODERS

EXIT_SKIPPED = 3  # some inputs could not be used; the outputs hold the rest

app = typer.Typer(
    help="Facial expression recognition with frozen video encoders and shallow probes.",
    no_args_is_help=True,
)


def _echo(text: str) -> None:
    typer.echo(text, err=True)


PRESET_HELP = "Reference recipe: vjepa-fer or vjepa2 (any option given here overrides it)."


def _options(ctx: typer.Context, **names: str) -> dict[str, object]:
    """The options the user typed, renamed ``cli_name=api_name``, so that a preset fills in the others."""
    typed = {cli for cli in names if getattr(ctx.get_parameter_source(cli), "name", "DEFAULT") != "DEFAULT"}
    return {api: ctx.params[cli] for cli, api in names.items() if cli in typed}


@app.command("index")
def index(
    ctx: typer.Context,
    root: Path = typer.Argument(..., help="Dataset folder (or, for --dataset folder, a CSV path,label[,subject])."),
    dataset: str = typer.Option(..., "--dataset", help=f"{one_of(IndexConfig, 'dataset')} (any case)."),
    out: Path = typer.Option(Path("manifest.parquet"), "--out", help="Manifest to write (Parquet)."),
    folds: str = typer.Option(
        str(default(IndexConfig, "folds")),
        "--folds",
        help="Number of actor-disjoint folds, or none (a test-only set, e.g. one actor to evaluate a probe on).",
    ),
    seed: int = typer.Option(default(IndexConfig, "seed"), "--seed", help="Seed of the fold assignment."),
    folds_file: Path | None = typer.Option(None, "--folds-file", help="Take folds from a CSV actor,fold."),
    export_folds: Path | None = typer.Option(None, "--export-folds", help="Also write the folds as CSV actor,fold."),
    modality: str = typer.Option(
        default(IndexConfig, "modality"),
        "--modality",
        help="RAVDESS copies to keep: " + " or ".join(MODALITY_FILTER) + ".",
    ),
    channel: str | None = typer.Option(
        None, "--channel", help="RAVDESS vocal channel: " + " or ".join(RAVDESS_CHANNEL.values()) + "."
    ),
    intensity: str | None = typer.Option(
        None, "--intensity", help="RAVDESS intensity: " + " or ".join(RAVDESS_INTENSITY.values()) + "."
    ),
    file_list: Path | None = typer.Option(None, "--file-list", help="CREMA-D SentenceFilenames.csv (no videos read)."),
    demographics: Path | None = typer.Option(None, "--demographics", help="CREMA-D VideoDemographics.csv."),
    check: bool = typer.Option(
        default(IndexConfig, "check"), "--check/--no-check", help="Open and decode every video."
    ),
    hash_files: bool = typer.Option(default(IndexConfig, "hash"), "--hash/--no-hash", help="sha256 of every file."),
    check_faces: bool = typer.Option(
        default(IndexConfig, "check_faces"),
        "--check-faces/--no-check-faces",
        help="Skip clips without a face on any of a few frames (listed in the skipped report).",
    ),
    preset: str | None = typer.Option(None, "--preset", help=PRESET_HELP),
) -> None:
    """Index a dataset into a manifest with labels, actors and actor-disjoint folds.

    Example: affectlab fer index RAVDESS/ --dataset ravdess --out ravdess.parquet --folds 5 --seed 0

    Skipped files go to NAME.skipped.csv beside the manifest; the exit code is then 3. The clips of each
    fold and class are printed after indexing.
    """
    from affectlab.fer.api import index as run
    from affectlab.fer.data.manifest import skipped_report_path

    manifest = run(
        root,
        dataset,
        out=out,
        folds_file=folds_file,
        export_folds=export_folds,
        file_list=file_list,
        demographics=demographics,
        preset=preset,
        **_options(
            ctx,
            folds="folds",
            seed="seed",
            modality="modality",
            channel="channel",
            intensity="intensity",
            check="check",
            hash_files="hash",
            check_faces="check_faces",
        ),  # fmt: skip
    )
    summary = manifest.fold_summary()
    folds_text = ", ".join(f"{f}: {r.clips} clips/{r.actors} actors" for f, r in summary.iterrows())
    _echo(f"{out}: {len(manifest)} clips, folds {folds_text}")
    _echo("clips per fold and class:\n" + summary.to_string())
    if manifest.skipped:
        _echo(f"{len(manifest.skipped)} files skipped, reasons in {skipped_report_path(out)}")
        raise typer.Exit(EXIT_SKIPPED)


@app.command("show")
def show(
    video: Path = typer.Argument(..., help="A video file."),
    out: Path | None = typer.Option(None, "--out", help="PNG to write (default: VIDEO_NAME.sheet.png here)."),
    face_crop: bool = typer.Option(False, "--face-crop", help="Show the face-cropped view the encoder gets."),
    resolution: int = typer.Option(
        default(SamplingConfig, "resolution"), "--resolution", help="Encoder input size (with --face-crop)."
    ),
) -> None:
    """Write a contact sheet of the frames the sampling protocol takes (segments x frames, face box).

    Example: affectlab fer show Actor_01/01-01-01-01-01-01-01.mp4 --out sheet.png --face-crop
    """
    from affectlab.fer.api import show as run

    _echo(f"contact sheet: {run(video, out, face_crop=face_crop, resolution=resolution)}")


def _encoder_default(name: str) -> str:
    """``"64 for frame-baseline, else 224"``: a sampling default as the encoders set it (fer.config)."""
    from affectlab.fer.config import ENCODER_SAMPLING

    def show(value: object) -> str:
        return {True: "on", False: "off"}.get(value, str(value)) if isinstance(value, bool) else str(value)

    special = [f"{show(v[name])} for {e}" for e, v in ENCODER_SAMPLING.items() if name in v]
    return ", ".join([*special, f"else {show(default(SamplingConfig, name))}"])


@app.command("extract")
def extract(
    ctx: typer.Context,
    manifest: Path = typer.Option(..., "--manifest", help="Manifest (Parquet) from `affectlab fer index`."),
    encoder: str = typer.Option(default(ExtractConfig, "encoder"), "--encoder", help=", ".join(ENCODERS) + "."),
    checkpoint: Path | None = typer.Option(
        None, "--checkpoint", help="Local weights: .pth.tar (V-JEPA), .pt or folder (V-JEPA 2), folder (VideoMAE)."
    ),
    out: Path = typer.Option(..., "--out", help="Feature store folder (created, or resumed if it exists)."),
    pool: str = typer.Option(
        default(ExtractConfig, "pooling"),
        "--pool",
        help=f"{', '.join(POOLINGS)}: all tokens, t x 2 x 2 (t x N x N) per segment, or one per segment.",
    ),
    engine: str = typer.Option(
        default(ExtractConfig, "engine"),
        "--engine",
        help=f"{one_of(ExtractConfig, 'engine')}: this process, or Ray Data actors (one per GPU).",
    ),
    batch_size: int | None = typer.Option(None, "--batch-size", help="Segments per forward (default: largest)."),
    device: str = typer.Option(default(ExtractConfig, "device"), "--device", help=one_of(ExtractConfig, "device")),
    compile: bool = typer.Option(False, "--compile/--no-compile", help="torch.compile the encoder (faster on a GPU)."),
    train_views: int = typer.Option(
        default(SamplingConfig, "train_views"), "--train-views", help="Augmented views stored per clip."
    ),
    test_views: int = typer.Option(
        default(SamplingConfig, "num_views"), "--test-views", help="Spatial views stored per clip for testing."
    ),
    resolution: int | None = typer.Option(
        None,
        "--resolution",
        help=f"Encoder input size in pixels (384 for ViT-H/384; default {_encoder_default('resolution')}).",
    ),
    frames: int = typer.Option(default(SamplingConfig, "frames_per_clip"), "--frames", help="Frames per segment."),
    frame_step: int = typer.Option(
        default(SamplingConfig, "frame_step"), "--frame-step", help="Step between sampled frames."
    ),
    segments: int = typer.Option(
        default(SamplingConfig, "num_segments"), "--segments", help="Temporal segments per clip."
    ),
    face_crop: bool | None = typer.Option(
        None,
        "--face-crop/--no-face-crop",
        help=f"Crop frames to the face first (default {_encoder_default('face_crop')}).",
    ),
    shard_size: int = typer.Option(
        default(ExtractConfig, "shard_size"), "--shard-size", help="Clips per shard (unit of commit and resume)."
    ),
    store_dtype: str = typer.Option(
        default(ExtractConfig, "store_dtype"),
        "--store-dtype",
        help=f"{one_of(ExtractConfig, 'store_dtype')}: dtype of the stored tokens (half types: half the size).",
    ),
    augment: str = typer.Option(
        default(SamplingConfig, "train_augment"),
        "--augment",
        help=f"Train-view augmentation: {one_of(SamplingConfig, 'train_augment')}.",
    ),
    preset: str | None = typer.Option(None, "--preset", help=PRESET_HELP),
) -> None:
    """Extract frozen-encoder tokens for every clip (test views and augmented train views).

    Example: affectlab fer extract --manifest ravdess.parquet --encoder vjepa-vit_huge
    --checkpoint vith16-384.pth.tar --resolution 384 --pool grid --out features/ravdess-vith

    Re-running the same command continues a killed run; nothing is recomputed. Clips that cannot be
    read (or whose content changed since indexing) are listed in FEATURES/skipped.csv; exit code 3.
    """
    from affectlab.fer.api import extract as run

    given = _options(ctx, encoder="encoder", pool="pool", engine="engine", device="device", compile="compile",
                     shard_size="shard_size", store_dtype="store_dtype")  # fmt: skip
    sampling = _options(ctx, frames="frames_per_clip", frame_step="frame_step", segments="num_segments",
                        test_views="num_views", train_views="train_views", resolution="resolution",
                        face_crop="face_crop", augment="train_augment")  # fmt: skip
    store = run(manifest, out, checkpoint=checkpoint, batch_size=batch_size, sampling=sampling, preset=preset, **given)
    info = store.info
    typer.echo(
        f"{out}: {len(store)} clips, {info.encoder}, {info.test_views}+{info.train_views} views x "
        f"{info.num_segments} segments x {info.tokens_per_segment} tokens x {info.embed_dim} ({info.pooling})"
    )
    if store.skipped:
        _echo(f"{len(store.skipped)} clips skipped, reasons in {out / 'skipped.csv'}")
        raise typer.Exit(EXIT_SKIPPED)


def _floats(text: str, option: str) -> list[float]:
    from affectlab.errors import AffectlabError

    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError as err:
        raise AffectlabError(f"{option} {text!r}: expected comma-separated numbers, e.g. 1e-3,3e-4") from err


def _csv(values: list[float]) -> str:
    return ",".join(f"{v:g}" for v in values)


@app.command("train")
def train(
    ctx: typer.Context,
    features: Path | None = typer.Option(None, "--features", help="Feature store from `affectlab fer extract`."),
    probe: str = typer.Option(default(TrainConfig, "probe"), "--probe", help=", ".join(PROBE_KINDS) + "."),
    out: Path = typer.Option(..., "--out", help="Run folder to write (probes, metrics, plots, config)."),
    folds: str = typer.Option(
        default(TrainConfig, "folds"),
        "--folds",
        help="manifest (its fold column), loao (leave one actor out) or all (train only).",
    ),
    epochs: int = typer.Option(default(TrainConfig, "epochs"), "--epochs", help="Epochs per fold."),
    lr: str = typer.Option(
        _csv(default(TrainConfig, "lrs")),
        "--lr",
        help="Learning rate(s); several (comma-separated) train side by side.",
    ),
    wd: str = typer.Option(
        _csv(default(TrainConfig, "weight_decays")), "--wd", help="Weight decay(s), comma-separated; sweep is lr x wd."
    ),
    batch_size: int = typer.Option(default(TrainConfig, "batch_size"), "--batch-size", help="Clips per step."),
    warmup: float = typer.Option(
        default(TrainConfig, "warmup_epochs"), "--warmup", help="Warmup epochs (linear, then cosine decay)."
    ),
    heads: int = typer.Option(
        default(TrainConfig, "num_heads"), "--heads", help="Attention heads of attentive probes."
    ),
    val_fraction: float = typer.Option(
        default(TrainConfig, "val_fraction"), "--val-fraction", help="Share of training actors used to pick a head."
    ),
    seed: int = typer.Option(default(TrainConfig, "seed"), "--seed", help="Seed (same seed, same numbers)."),
    device: str = typer.Option(
        default(TrainConfig, "device"), "--device", help="auto (CUDA when available), cpu or cuda."
    ),
    evaluate: str = typer.Option(
        default(TrainConfig, "eval"),
        "--eval",
        help=f"{one_of(TrainConfig, 'eval')}: test views, every clip position of the whole video (needs "
        "--checkpoint), or both side by side.",
    ),
    online: bool = typer.Option(False, "--online", help="Encoder inside the loop (exact protocol): needs --manifest."),
    manifest: Path | None = typer.Option(None, "--manifest", help="Manifest of the clips (with --online)."),
    encoder: str = typer.Option(default(ExtractConfig, "encoder"), "--encoder", help=", ".join(ENCODERS) + "."),
    checkpoint: Path | None = typer.Option(None, "--checkpoint", help="Encoder weights (--online, --eval full-video)."),
    pool: str = typer.Option(default(ExtractConfig, "pooling"), "--pool", help=f"Online: {', '.join(POOLINGS)}."),
    resolution: int = typer.Option(default(SamplingConfig, "resolution"), "--resolution", help="Online: input size."),
    segments: int = typer.Option(default(SamplingConfig, "num_segments"), "--segments", help="Online: segments."),
    frames: int = typer.Option(default(SamplingConfig, "frames_per_clip"), "--frames", help="Online: frames."),
    augment: str = typer.Option(
        default(SamplingConfig, "train_augment"),
        "--augment",
        help=f"Online: {one_of(SamplingConfig, 'train_augment')}.",
    ),
    decode_workers: int = typer.Option(
        default(ExtractConfig, "decode_workers"), "--decode-workers", help="Processes decoding clips ahead."
    ),
    frame_cache: Path | None = typer.Option(
        None,
        "--frame-cache",
        help="Online: folder of the decoded frames, filled on the first epoch (default: ~/.cache/affectlab/frames, "
        "or affectlab/frames under $XDG_CACHE_HOME when set).",
    ),
    no_frame_cache: bool = typer.Option(False, "--no-frame-cache", help="Online: decode every clip every epoch."),
    preset: str | None = typer.Option(None, "--preset", help=PRESET_HELP),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing run folder."),
) -> None:
    """Train one probe per fold (cached features, or the encoder in the loop); print UAR/WAR mean ± std.

    Example: affectlab fer train --features features/ravdess-vith --probe attentive --out runs/ravdess

    Exact protocol: affectlab fer train --online --preset vjepa-fer --manifest ravdess.parquet
    --checkpoint vith16-384.pth.tar --out runs/ravdess-online (a stopped run continues when run again).
    """
    import warnings

    from affectlab.fer.api import train as run
    from affectlab.fer.probes.evaluate import UnseenClassWarning

    given = _options(ctx, probe="probe", folds="folds", epochs="epochs", batch_size="batch_size",
                     warmup="warmup_epochs", heads="num_heads", val_fraction="val_fraction", seed="seed",
                     device="device", evaluate="eval")  # fmt: skip
    if "lr" in _options(ctx, lr="lr"):
        given["lrs"] = _floats(lr, "--lr")
    if "wd" in _options(ctx, wd="wd"):
        given["weight_decays"] = _floats(wd, "--wd")
    encoder_options = _options(ctx, pool="pooling", decode_workers="decode_workers", device="device")
    sampling = _options(ctx, resolution="resolution", segments="num_segments", frames="frames_per_clip",
                        augment="train_augment")  # fmt: skip
    if sampling:
        encoder_options["sampling"] = sampling
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnseenClassWarning)  # said below, once per fold, in the CLI's words
        result = run(
            features,
            out,
            preset=preset,
            online=online,
            manifest=manifest,
            encoder=_options(ctx, encoder="encoder").get("encoder"),
            checkpoint=checkpoint,
            encoder_options=encoder_options,
            frame_cache=False if no_frame_cache else (frame_cache or True),
            overwrite=overwrite,
            **given,
        )
    for warning in result.warnings:
        _echo(f"warning: {warning}")
    if result.summary is None:
        typer.echo(result.summary_lines()[0])
        return
    for line in result.summary_lines():
        typer.echo(f"{line} -> {out}/metrics.md")
    typer.echo(f"report: {out / 'report.html'}")


@app.command("cross")
def cross(
    train_run: Path = typer.Option(..., "--train", help="Run folder from `affectlab fer train`."),
    test: Path = typer.Option(
        ..., "--test", help="Feature store of the other dataset (same encoder), or its manifest for an online run."
    ),
    calm: str = typer.Option(
        default(CrossConfig, "calm"), "--calm", help=f"{one_of(CrossConfig, 'calm')} (RAVDESS calm -> neutral)."
    ),
    out: Path | None = typer.Option(None, "--out", help="Output folder (default RUN/cross-DATASET-calm-POLICY)."),
    evaluate: str = typer.Option(
        default(CrossConfig, "eval"), "--eval", help=f"{one_of(CrossConfig, 'eval')} (full-video runs the encoder)."
    ),
    checkpoint: Path | None = typer.Option(None, "--checkpoint", help="Encoder weights (for --eval full-video)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output folder."),
) -> None:
    """Apply every fold probe of a run to a whole other dataset through the label map.

    Example: affectlab fer cross --train runs/ravdess --test features/crema-d-vith --calm merge
    """
    from affectlab.fer.api import cross as run

    result = run(train_run, test, calm=calm, out=out, eval=evaluate, checkpoint=checkpoint, overwrite=overwrite)
    typer.echo(repr(result).removeprefix("CrossResult(").removesuffix(")"))
    typer.echo(f"report: {train_run / 'report.html'}")


@app.command("report")
def report(run: Path = typer.Argument(..., help="Run folder from `affectlab fer train`.")) -> None:
    """Write RUN/report.html (self-contained) and RUN/report.md: per-fold scores, per-class recall, the
    confusion matrix, cross-dataset results, the embedding map, the most confident errors, the config.

    Example: affectlab fer report runs/ravdess

    `fer train` and `fer cross` write it already; run this after changing the run folder by hand.
    """
    from affectlab.fer.api import report as run_report

    typer.echo(f"report: {run_report(run)}")


@app.command("predict")
def predict(
    video: Path = typer.Argument(..., help="A video file."),
    run: Path | None = typer.Option(None, "--run", help="Run folder; default: the frame baseline's FER2013 head."),
    checkpoint: Path | None = typer.Option(None, "--checkpoint", help="Encoder weights of the run (if not default)."),
    stride: int | None = typer.Option(
        None, "--stride", help="Frames between windows (run; default half a window) or scored frames (default 1)."
    ),
    smooth: float | None = typer.Option(
        None, "--smooth", help="Seconds of moving average drawn on the per-frame timeline (default none)."
    ),
    faces: str = typer.Option(
        default(PredictConfig, "faces"),
        "--faces",
        help=f"{one_of(PredictConfig, 'faces')}: the largest face track (warns when there are more) or every track.",
    ),
    detector: str = typer.Option(
        default(PredictConfig, "detector"),
        "--detector",
        help=f"{one_of(PredictConfig, 'detector')}: BlazeFace for faces near the camera, or far from it.",
    ),
    device: str = typer.Option("auto", "--device", help="auto (CUDA when available), cpu or cuda."),
    out: Path = typer.Option(Path("predict-out"), "--out", help="Output folder."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output folder."),
) -> None:
    """Emotion probabilities over time for every face (CSV, JSON, timeline PNG) and a video label per face.

    Example: affectlab fer predict clip.mp4 --run runs/ravdess --out pred/

    Frames or windows without a face get no probabilities; a video without any face gets no label, a
    warning and exit code 3.
    """
    import warnings

    from affectlab.fer.api import predict as run_predict
    from affectlab.fer.prediction import MultipleFacesWarning, NoFaceWarning, TrainedClipWarning

    said = (MultipleFacesWarning, TrainedClipWarning)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore", NoFaceWarning)  # said below, once, in the CLI's words
        for category in said:
            warnings.simplefilter("always", category)
        pred = run_predict(
            video,
            run=run,
            checkpoint=checkpoint,
            stride=stride,
            smooth=smooth,
            faces=faces,
            detector=detector,
            device=device,
            out=out,
            overwrite=overwrite,
        )
    for warning in caught:
        if issubclass(warning.category, said):
            _echo(f"warning: {warning.message}")
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    if pred.probes:
        _echo(f"probes: {pred.probes}")
    what = f"{len(pred.probs)} {'frames' if pred.per_frame else 'windows'}"
    face = f"faces on {sum(pred.face_found)}/{len(pred.face_found)}"
    if pred.video_probs is None:
        _echo(f"warning: {video}: no face found ({face} {'frames' if pred.per_frame else 'windows'}); no label")
        typer.echo(f"{video.name}: no label over {what} -> {out / 'timeline.png'}")
        raise typer.Exit(EXIT_SKIPPED)
    truth = f", true {pred.true_label}" if pred.true_label else ""
    for track in pred.tracks if len(pred.tracks) > 1 else []:
        found = f"faces on {sum(track.face_found)}/{len(track.face_found)}"
        if track.video_probs is None:
            typer.echo(f"{video.name} track {track.track}: no label over {what}, {found}")
            continue
        ranked = sorted(zip(track.video_probs, pred.labels, strict=True), reverse=True)[:3]
        typer.echo(
            f"{video.name} track {track.track}: {track.video_label} "
            f"({', '.join(f'{n} {p:.2f}' for p, n in ranked)}) over {what}, {found}"
        )
    top = sorted(zip(pred.video_probs, pred.labels, strict=True), reverse=True)[:3]
    main = f" (largest face, track {pred.main_track})" if len(pred.tracks) > 1 else ""
    typer.echo(
        f"{video.name}: {pred.video_label}{main} ({', '.join(f'{n} {p:.2f}' for p, n in top)}{truth}) over "
        f"{what}, {face} -> {out / 'timeline.png'}"
    )


@app.command("embed-plot")
def embed_plot(
    features: Path = typer.Option(..., "--features", help="Feature store."),
    out: Path = typer.Option(Path("map.png"), "--out", help="PNG to write (settings go beside it as .json)."),
    seed: int = typer.Option(0, "--seed", help="Seed of t-SNE."),
) -> None:
    """2-D map (PCA, and t-SNE for 30+ clips) of pooled features, coloured by emotion and by actor.

    Example: affectlab fer embed-plot --features features/ravdess-vith --out ravdess-map.png
    """
    from affectlab.fer.api import embed_plot as run

    info = run(features, out, seed=seed)
    typer.echo(f"{info['clips']} clips, {' + '.join(info['methods'])} -> {out}")


@app.command("reproduce")
def reproduce(
    ctx: typer.Context,
    ravdess: Path | None = typer.Option(None, "--ravdess", help="Your RAVDESS folder (Actor_01/ ... Actor_24/)."),
    crema_d: Path | None = typer.Option(None, "--crema-d", help="Your CREMA-D folder (VideoFlash/*.flv or *.flv)."),
    checkpoint: Path | None = typer.Option(
        None, "--checkpoint", help="Official weights, e.g. vith16-384.pth.tar (frame-baseline ships its own)."
    ),
    out: Path = typer.Option(..., "--out", help="Folder for everything (resumed when it exists)."),
    mode: str = typer.Option(default(ReproduceConfig, "mode"), "--mode", help=one_of(ReproduceConfig, "mode") + "."),
    preset: str = typer.Option(default(ReproduceConfig, "preset"), "--preset", help="vjepa-fer or vjepa2."),
    encoder: str | None = typer.Option(None, "--encoder", help="Encoder name (default: the preset's)."),
    pool: str = typer.Option(default(ReproduceConfig, "pool"), "--pool", help="Cached mode: " + ", ".join(POOLINGS)),
    store_dtype: str = typer.Option(default(ReproduceConfig, "store_dtype"), "--store-dtype", help="Cached mode."),
    folds: int = typer.Option(default(ReproduceConfig, "folds"), "--folds", help="Actor-disjoint folds."),
    seed: int = typer.Option(default(ReproduceConfig, "seed"), "--seed", help="Seed of folds and training."),
    device: str = typer.Option(default(ReproduceConfig, "device"), "--device", help="auto, cpu or cuda."),
    epochs: int | None = typer.Option(None, "--epochs", help="Epochs (default: the preset's 20)."),
    ravdess_folds: Path | None = typer.Option(None, "--ravdess-folds", help="RAVDESS fold file (actor,fold)."),
    crema_d_folds: Path | None = typer.Option(None, "--crema-d-folds", help="CREMA-D fold file (actor,fold)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Redo stages made with other settings."),
) -> None:
    """Reproduce the V-JEPA FER paper's table (needs your datasets and the official checkpoint).

    Example: affectlab fer reproduce --ravdess RAVDESS/ --crema-d CREMA-D/ --checkpoint vith16-384.pth.tar
    --out paper/ --mode online
    """
    from affectlab.fer.api import reproduce as run

    options = _options(ctx, mode="mode", preset="preset", encoder="encoder", pool="pool", store_dtype="store_dtype",
                       folds="folds", seed="seed", device="device")  # fmt: skip
    if epochs is not None:
        options["train"] = {"epochs": epochs}
    rows = run(ravdess, crema_d, checkpoint=checkpoint, out=out, ravdess_folds=ravdess_folds,
               crema_d_folds=crema_d_folds, overwrite=overwrite, **options)  # fmt: skip
    typer.echo(rows.to_string(index=False))
    typer.echo(f"-> {out / 'table.md'}, {out / 'report.html'}")
