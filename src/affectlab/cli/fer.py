"""``affectlab fer``: thin wrappers over :mod:`affectlab.fer` (index, show, extract, train, cross, report,
predict, embed-plot, reproduce).

Every option is named after the API keyword and config field it sets (``--num-segments`` is
``num_segments``); options that several commands share are declared once, below.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from affectlab.cli.options import Overwrite, default, one_of
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
from affectlab.fer.data.layouts.ravdess import MODALITY_FILTER, RAVDESS_CHANNEL, RAVDESS_INTENSITY
from affectlab.fer.encoders import ENCODERS

if TYPE_CHECKING:
    from affectlab.fer.probes.run import Run

EXIT_SKIPPED = 3  # some inputs could not be used; the outputs hold the rest

app = typer.Typer(
    help="Facial expression recognition with frozen video encoders and shallow probes.",
    no_args_is_help=True,
    add_completion=False,
)


def _echo(text: str) -> None:
    typer.echo(text, err=True)


def _typed(ctx: typer.Context, **always: object) -> dict[str, object]:
    """The parameters the user typed, by name (a preset, then the config, fills in the others), and
    ``always`` whether typed or not."""
    typed = {k: v for k, v in ctx.params.items() if getattr(ctx.get_parameter_source(k), "name", "") != "DEFAULT"}
    return {**typed, **always}


def _encoder_default(name: str) -> str:
    """``"64 for frame-baseline, else 224"``: a sampling default as the encoders set it (fer.config)."""
    from affectlab.fer.config import ENCODER_SAMPLING

    def show(value: object) -> str:
        return {True: "on", False: "off"}.get(value, str(value)) if isinstance(value, bool) else str(value)

    special = [f"{show(v[name])} for {e}" for e, v in ENCODER_SAMPLING.items() if name in v]
    return ", ".join([*special, f"else {show(default(SamplingConfig, name))}"])


def _floats(param: typer.CallbackParam, text: str) -> list[float]:
    """``"1e-3,3e-4"`` -> ``[0.001, 0.0003]`` (a comma-separated option)."""
    from affectlab.errors import AffectlabError

    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError as err:
        raise AffectlabError(f"{param.opts[0]} {text!r}: expected comma-separated numbers, e.g. 1e-3,3e-4") from err


def _csv(values: list[float]) -> str:
    return ",".join(f"{v:g}" for v in values)


# Options shared by several commands: one declaration (name, help) each.
Preset = Annotated[
    str | None, typer.Option(help="Reference recipe: vjepa-fer or vjepa2 (any option given here overrides it).")
]
Manifest = Annotated[Path | None, typer.Option(help="Manifest (Parquet) from `affectlab fer index`.")]
Features = Annotated[Path | None, typer.Option(help="Feature store from `affectlab fer extract`.")]
Encoder = Annotated[str, typer.Option(help=", ".join(ENCODERS) + ".")]
Checkpoint = Annotated[
    Path | None,
    typer.Option(
        help="Encoder weights: .pth.tar (V-JEPA), .pt or folder (V-JEPA 2), folder (VideoMAE); the frame "
        "baseline ships its own."
    ),
]
Pooling = Annotated[
    str, typer.Option(help=f"{', '.join(POOLINGS)}: all tokens, t x 2 x 2 (t x N x N) per segment, or one per segment.")
]
StoreDtype = Annotated[
    str,
    typer.Option(
        help=f"{one_of(ExtractConfig, 'store_dtype')}: dtype of the stored tokens (half types: half the size)."
    ),
]
Resolution = Annotated[
    int | None,
    typer.Option(help=f"Encoder input size in pixels (384 for ViT-H/384; default {_encoder_default('resolution')})."),
]
NumSegments = Annotated[int, typer.Option(help="Temporal segments per clip.")]
FramesPerClip = Annotated[int, typer.Option(help="Frames per segment.")]
TrainAugment = Annotated[str, typer.Option(help=f"Train-view augmentation: {one_of(SamplingConfig, 'train_augment')}.")]
Device = Annotated[str, typer.Option(help="auto (CUDA when available), cpu or cuda.")]
Epochs = Annotated[int, typer.Option(help="Epochs per fold.")]
EvalKind = Annotated[
    str,
    typer.Option(
        help=f"{one_of(TrainConfig, 'eval')}: test views, every clip position of the whole video (runs the "
        "encoder: needs --checkpoint where the run does not record it), or both side by side."
    ),
]


@app.command("index")
def index(
    ctx: typer.Context,
    root: Annotated[
        Path, typer.Argument(help="Dataset folder (or, for --dataset folder, a CSV path,label[,subject]).")
    ],
    dataset: Annotated[str, typer.Option(help=f"{one_of(IndexConfig, 'dataset')} (any case).")],
    out: Annotated[Path, typer.Option(help="Manifest to write (Parquet).")] = Path("manifest.parquet"),
    folds: Annotated[
        str,
        typer.Option(
            help="Number of actor-disjoint folds, or none (a test-only set, e.g. one actor to evaluate a probe on)."
        ),
    ] = str(default(IndexConfig, "folds")),
    seed: Annotated[int, typer.Option(help="Seed of the fold assignment.")] = default(IndexConfig, "seed"),
    folds_file: Annotated[Path | None, typer.Option(help="Take folds from a CSV actor,fold.")] = None,
    export_folds: Annotated[Path | None, typer.Option(help="Also write the folds as CSV actor,fold.")] = None,
    modality: Annotated[
        str, typer.Option(help="RAVDESS copies to keep: " + " or ".join(MODALITY_FILTER) + ".")
    ] = default(IndexConfig, "modality"),
    channel: Annotated[
        str | None, typer.Option(help="RAVDESS vocal channel: " + " or ".join(RAVDESS_CHANNEL.values()) + ".")
    ] = None,
    intensity: Annotated[
        str | None, typer.Option(help="RAVDESS intensity: " + " or ".join(RAVDESS_INTENSITY.values()) + ".")
    ] = None,
    file_list: Annotated[Path | None, typer.Option(help="CREMA-D SentenceFilenames.csv (no videos read).")] = None,
    demographics: Annotated[Path | None, typer.Option(help="CREMA-D VideoDemographics.csv.")] = None,
    check: Annotated[bool, typer.Option(help="Open and decode every video.")] = default(IndexConfig, "check"),
    hash: Annotated[bool, typer.Option(help="sha256 of every file.")] = default(IndexConfig, "hash"),
    check_faces: Annotated[
        bool, typer.Option(help="Skip clips without a face on any of a few frames (listed in the skipped report).")
    ] = default(IndexConfig, "check_faces"),
    preset: Preset = None,
) -> None:
    """Index a dataset into a manifest with labels, actors and actor-disjoint folds.

    Example: affectlab fer index RAVDESS/ --dataset ravdess --out ravdess.parquet --folds 5 --seed 0

    Skipped files go to NAME.skipped.csv beside the manifest; the exit code is then 3. The clips of each
    fold and class are printed after indexing.
    """
    from affectlab.fer.api import index as run
    from affectlab.fer.data.manifest import skipped_report_path

    manifest = run(**_typed(ctx, out=out))
    summary = manifest.fold_summary()
    folds_text = ", ".join(f"{f}: {r.clips} clips/{r.actors} actors" for f, r in summary.iterrows())
    _echo(f"{out}: {len(manifest)} clips, folds {folds_text}")
    _echo("clips per fold and class:\n" + summary.to_string())
    if manifest.skipped:
        _echo(f"{len(manifest.skipped)} files skipped, reasons in {skipped_report_path(out)}")
        raise typer.Exit(EXIT_SKIPPED)


@app.command("show")
def show(
    video: Annotated[Path, typer.Argument(help="A video file.")],
    out: Annotated[Path | None, typer.Option(help="PNG to write (default: VIDEO_NAME.sheet.png here).")] = None,
    face_crop: Annotated[
        bool, typer.Option("--face-crop", help="Show the face-cropped view the encoder gets.")
    ] = False,
    resolution: Annotated[int, typer.Option(help="Encoder input size (with --face-crop).")] = default(
        SamplingConfig, "resolution"
    ),
) -> None:
    """Write a contact sheet of the frames the sampling protocol takes (segments x frames, face box).

    Example: affectlab fer show Actor_01/01-01-01-01-01-01-01.mp4 --out sheet.png --face-crop
    """
    from affectlab.fer.api import show as run

    _echo(f"contact sheet: {run(video, out, face_crop=face_crop, resolution=resolution)}")


@app.command("extract")
def extract(
    ctx: typer.Context,
    manifest: Manifest,
    out: Annotated[Path, typer.Option(help="Feature store folder (created, or resumed if it exists).")],
    encoder: Encoder = default(ExtractConfig, "encoder"),
    checkpoint: Checkpoint = None,
    pooling: Pooling = default(ExtractConfig, "pooling"),
    engine: Annotated[
        str, typer.Option(help=f"{one_of(ExtractConfig, 'engine')}: this process, or Ray Data actors (one per GPU).")
    ] = default(ExtractConfig, "engine"),
    batch_size: Annotated[int | None, typer.Option(help="Segments per forward (default: largest).")] = None,
    device: Device = default(ExtractConfig, "device"),
    compile: Annotated[bool, typer.Option(help="torch.compile the encoder (faster on a GPU).")] = False,
    train_views: Annotated[int, typer.Option(help="Augmented views stored per clip.")] = default(
        SamplingConfig, "train_views"
    ),
    num_views: Annotated[int, typer.Option(help="Spatial views stored per clip for testing.")] = default(
        SamplingConfig, "num_views"
    ),
    resolution: Resolution = None,
    frames_per_clip: FramesPerClip = default(SamplingConfig, "frames_per_clip"),
    frame_step: Annotated[int, typer.Option(help="Step between sampled frames.")] = default(
        SamplingConfig, "frame_step"
    ),
    num_segments: NumSegments = default(SamplingConfig, "num_segments"),
    face_crop: Annotated[
        bool | None, typer.Option(help=f"Crop frames to the face first (default {_encoder_default('face_crop')}).")
    ] = None,
    shard_size: Annotated[int, typer.Option(help="Clips per shard (unit of commit and resume).")] = default(
        ExtractConfig, "shard_size"
    ),
    store_dtype: StoreDtype = default(ExtractConfig, "store_dtype"),
    train_augment: TrainAugment = default(SamplingConfig, "train_augment"),
    preset: Preset = None,
) -> None:
    """Extract frozen-encoder tokens for every clip (test views and augmented train views).

    Example: affectlab fer extract --manifest ravdess.parquet --encoder vjepa-vit_huge
    --checkpoint vith16-384.pth.tar --resolution 384 --pooling grid --out features/ravdess-vith

    Re-running the same command continues a killed run; nothing is recomputed. Clips that cannot be
    read (or whose content changed since indexing) are listed in FEATURES/skipped.csv; exit code 3.
    """
    from affectlab.fer.api import extract as run

    store = run(**_typed(ctx))  # the sampling options go on as SamplingConfig fields
    info = store.info
    typer.echo(
        f"{out}: {len(store)} clips, {info.encoder}, {info.test_views}+{info.train_views} views x "
        f"{info.num_segments} segments x {info.tokens_per_segment} tokens x {info.embed_dim} ({info.pooling})"
    )
    if store.skipped:
        _echo(f"{len(store.skipped)} clips skipped, reasons in {out / 'skipped.csv'}")
        raise typer.Exit(EXIT_SKIPPED)


def _encoder_options(options: dict[str, object]) -> dict[str, object]:
    """``fer train``'s options for the encoder (ExtractConfig fields), taken out of ``options``; ``device``
    sets both the probes' and the encoder's."""
    sampling = {k: options.pop(k) for k in list(options) if k in SamplingConfig.model_fields}
    found = {k: options.pop(k) for k in ("pooling", "decode_workers") if k in options}
    found.update({"device": options["device"]} if "device" in options else {})
    return {**found, "sampling": sampling} if sampling else found


@app.command("train")
def train(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="Run folder to write (probes, metrics, plots, config).")],
    features: Features = None,
    probe: Annotated[str, typer.Option(help=", ".join(PROBE_KINDS) + ".")] = default(TrainConfig, "probe"),
    folds: Annotated[
        str, typer.Option(help="manifest (its fold column), loao (leave one actor out) or all (train only).")
    ] = default(TrainConfig, "folds"),
    epochs: Epochs = default(TrainConfig, "epochs"),
    lrs: Annotated[
        str, typer.Option(help="Learning rate(s); several (comma-separated) train side by side.", callback=_floats)
    ] = _csv(default(TrainConfig, "lrs")),
    weight_decays: Annotated[
        str, typer.Option(help="Weight decay(s), comma-separated; the sweep is lrs x weight decays.", callback=_floats)
    ] = _csv(default(TrainConfig, "weight_decays")),
    batch_size: Annotated[int, typer.Option(help="Clips per step.")] = default(TrainConfig, "batch_size"),
    warmup_epochs: Annotated[float, typer.Option(help="Warmup epochs (linear, then cosine decay).")] = default(
        TrainConfig, "warmup_epochs"
    ),
    num_heads: Annotated[int, typer.Option(help="Attention heads of attentive probes.")] = default(
        TrainConfig, "num_heads"
    ),
    val_fraction: Annotated[float, typer.Option(help="Share of training actors used to pick a head.")] = default(
        TrainConfig, "val_fraction"
    ),
    seed: Annotated[int, typer.Option(help="Seed (same seed, same numbers).")] = default(TrainConfig, "seed"),
    device: Device = default(TrainConfig, "device"),
    eval: EvalKind = default(TrainConfig, "eval"),
    online: Annotated[
        bool, typer.Option("--online", help="Encoder inside the loop (exact protocol): needs --manifest.")
    ] = False,
    manifest: Manifest = None,
    encoder: Encoder = default(ExtractConfig, "encoder"),
    checkpoint: Checkpoint = None,
    pooling: Pooling = default(ExtractConfig, "pooling"),
    resolution: Resolution = None,
    num_segments: NumSegments = default(SamplingConfig, "num_segments"),
    frames_per_clip: FramesPerClip = default(SamplingConfig, "frames_per_clip"),
    train_augment: TrainAugment = default(SamplingConfig, "train_augment"),
    decode_workers: Annotated[int, typer.Option(help="Processes decoding clips ahead.")] = default(
        ExtractConfig, "decode_workers"
    ),
    frame_cache: Annotated[
        Path | None,
        typer.Option(
            help="Online: folder of the decoded frames, filled on the first epoch (default: "
            "~/.cache/affectlab/frames, or affectlab/frames under $XDG_CACHE_HOME when set)."
        ),
    ] = None,
    no_frame_cache: Annotated[
        bool, typer.Option("--no-frame-cache", help="Online: decode every clip every epoch.")
    ] = False,
    preset: Preset = None,
    overwrite: Overwrite = False,
) -> None:
    """Train one probe per fold (cached features, or the encoder in the loop); print UAR/WAR mean ± std.

    Example: affectlab fer train --features features/ravdess-vith --probe attentive --out runs/ravdess

    Exact protocol: affectlab fer train --online --preset vjepa-fer --manifest ravdess.parquet
    --checkpoint vith16-384.pth.tar --out runs/ravdess-online (a stopped run continues when run again).

    The encoder options (--encoder, --checkpoint, --pooling, --resolution, --num-segments, --frames-per-clip,
    --train-augment, --decode-workers) apply where the encoder runs: --online, and --eval full-video.
    """
    import warnings

    from affectlab.fer.api import train as run
    from affectlab.fer.probes.evaluate import UnseenClassWarning

    options = _typed(ctx, features=features, frame_cache=False if no_frame_cache else (frame_cache or True))
    options.pop("no_frame_cache", None)
    encoder_options = _encoder_options(options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnseenClassWarning)  # said below, once per fold, in the CLI's words
        result = run(**options, encoder_options=encoder_options)
    for warning in result.warnings:
        _echo(f"warning: {warning}")
    _print_run(result, out)


def _print_run(result: Run, out: Path) -> None:
    """The run's summary lines (UAR and WAR, mean ± std over folds and pooled), and where its report is."""
    if result.summary is None:
        typer.echo(result.summary_lines()[0])
        return
    for line in result.summary_lines():
        typer.echo(f"{line} -> {out}/metrics.md")
    typer.echo(f"report: {out / 'report.html'}")


@app.command("cross")
def cross(
    train: Annotated[Path, typer.Option(help="Run folder from `affectlab fer train`.")],
    test: Annotated[
        Path,
        typer.Option(help="Feature store of the other dataset (same encoder), or its manifest for an online run."),
    ],
    calm: Annotated[str, typer.Option(help=f"{one_of(CrossConfig, 'calm')} (RAVDESS calm -> neutral).")] = default(
        CrossConfig, "calm"
    ),
    out: Annotated[Path | None, typer.Option(help="Output folder (default RUN/cross-DATASET-calm-POLICY).")] = None,
    eval: EvalKind = default(CrossConfig, "eval"),
    checkpoint: Checkpoint = None,
    overwrite: Overwrite = False,
) -> None:
    """Apply every fold probe of a run to a whole other dataset through the label map.

    Example: affectlab fer cross --train runs/ravdess --test features/crema-d-vith --calm merge
    """
    from affectlab.fer.api import cross as run

    result = run(train, test, calm=calm, out=out, eval=eval, checkpoint=checkpoint, overwrite=overwrite)
    typer.echo(repr(result).removeprefix("CrossResult(").removesuffix(")"))
    typer.echo(f"report: {train / 'report.html'}")


@app.command("report")
def report(run: Annotated[Path, typer.Argument(help="Run folder from `affectlab fer train`.")]) -> None:
    """Write RUN/report.html (self-contained) and RUN/report.md: per-fold scores, per-class recall, the
    confusion matrix, cross-dataset results, the embedding map, the most confident errors, the config.

    Example: affectlab fer report runs/ravdess

    `fer train` and `fer cross` write it already; run this after changing the run folder by hand.
    """
    from affectlab.fer.api import report as run_report

    typer.echo(f"report: {run_report(run)}")


@app.command("predict")
def predict(
    video: Annotated[Path, typer.Argument(help="A video file.")],
    run: Annotated[Path | None, typer.Option(help="Run folder; default: the frame baseline's FER2013 head.")] = None,
    checkpoint: Checkpoint = None,
    stride: Annotated[
        int | None,
        typer.Option(help="Frames between windows (run; default half a window) or scored frames (default 1)."),
    ] = None,
    smooth: Annotated[
        float | None, typer.Option(help="Seconds of moving average drawn on the per-frame timeline (default none).")
    ] = None,
    faces: Annotated[
        str,
        typer.Option(
            help=f"{one_of(PredictConfig, 'faces')}: the largest face track (warns when there are more) or every track."
        ),
    ] = default(PredictConfig, "faces"),
    detector: Annotated[
        str,
        typer.Option(help=f"{one_of(PredictConfig, 'detector')}: BlazeFace for faces near the camera, or far from it."),
    ] = default(PredictConfig, "detector"),
    detect_every: Annotated[
        int,
        typer.Option(
            help="Detect faces on every k-th scored frame, boxes interpolated between (faster; 1: every frame, exact)."
        ),
    ] = default(PredictConfig, "detect_every"),
    device: Device = default(PredictConfig, "device"),
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("predict-out"),
    overwrite: Overwrite = False,
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
        pred = run_predict(video, run=run, checkpoint=checkpoint, stride=stride, smooth=smooth, faces=faces,
                           detector=detector, detect_every=detect_every, device=device, out=out,
                           overwrite=overwrite)  # fmt: skip
    for warning in caught:
        if issubclass(warning.category, said):
            _echo(f"warning: {warning.message}")
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    if pred.probes:
        _echo(f"probes: {pred.probes}")
    _print_prediction(pred, video, out)


def _print_prediction(pred: object, video: Path, out: Path) -> None:
    """The video label (per face track when there are several) with its top three emotions and the face
    signal; no face at all: a warning and exit code 3."""
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
    features: Features,
    out: Annotated[Path, typer.Option(help="PNG to write (settings go beside it as .json).")] = Path("map.png"),
    seed: Annotated[int, typer.Option(help="Seed of t-SNE.")] = 0,
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
    out: Annotated[Path, typer.Option(help="Folder for everything (resumed when it exists).")],
    ravdess: Annotated[Path | None, typer.Option(help="Your RAVDESS folder (Actor_01/ ... Actor_24/).")] = None,
    crema_d: Annotated[Path | None, typer.Option(help="Your CREMA-D folder (VideoFlash/*.flv or *.flv).")] = None,
    checkpoint: Checkpoint = None,
    mode: Annotated[str, typer.Option(help=one_of(ReproduceConfig, "mode") + ".")] = default(ReproduceConfig, "mode"),
    preset: Annotated[str, typer.Option(help="vjepa-fer or vjepa2.")] = default(ReproduceConfig, "preset"),
    encoder: Annotated[str | None, typer.Option(help="Encoder name (default: the preset's).")] = None,
    pooling: Annotated[str, typer.Option(help="Cached mode: " + ", ".join(POOLINGS) + ".")] = default(
        ReproduceConfig, "pooling"
    ),
    store_dtype: Annotated[str, typer.Option(help="Cached mode.")] = default(ReproduceConfig, "store_dtype"),
    folds: Annotated[int, typer.Option(help="Actor-disjoint folds.")] = default(ReproduceConfig, "folds"),
    seed: Annotated[int, typer.Option(help="Seed of folds and training.")] = default(ReproduceConfig, "seed"),
    device: Device = default(ReproduceConfig, "device"),
    epochs: Annotated[int | None, typer.Option(help="Epochs per fold (default: the preset's 20).")] = None,
    ravdess_folds: Annotated[Path | None, typer.Option(help="RAVDESS fold file (actor,fold).")] = None,
    crema_d_folds: Annotated[Path | None, typer.Option(help="CREMA-D fold file (actor,fold).")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Redo stages made with other settings.")] = False,
) -> None:
    """Reproduce the V-JEPA FER paper's table (needs your datasets and the official checkpoint).

    Example: affectlab fer reproduce --ravdess RAVDESS/ --crema-d CREMA-D/ --checkpoint vith16-384.pth.tar
    --out paper/ --mode online
    """
    from affectlab.fer.api import reproduce as run

    options = _typed(ctx)
    if "epochs" in options:
        options["train"] = {"epochs": options.pop("epochs")}
    rows = run(**options)
    typer.echo(rows.to_string(index=False))
    typer.echo(f"-> {out / 'table.md'}, {out / 'report.html'}")
