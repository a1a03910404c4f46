"""The FER half as Python functions: ``index``, ``extract``, ``train``, ``cross``, ``report``, ``predict``,
``show``, ``embed_plot``.

Results are small objects backed by pandas DataFrames (:class:`Manifest`, :class:`FeatureStore`,
:class:`Run`, :class:`CrossResult`, :class:`Prediction`); Arrow/parquet, ``.npy`` shards and JSON stay the
on-disk formats. The ``affectlab fer`` commands are thin wrappers over exactly these functions.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from affectlab.config import given as _given
from affectlab.config import validated
from affectlab.errors import AffectlabError
from affectlab.io import PathLike
from affectlab.progress import progress_bar

if TYPE_CHECKING:
    import pyarrow as pa

    from affectlab.fer.cache.frames import FrameCache
    from affectlab.fer.cache.store import FeatureInfo, FeatureStore
    from affectlab.fer.config import ExtractConfig, TrainConfig
    from affectlab.fer.data.manifest import Manifest
    from affectlab.fer.encoders import Encoder
    from affectlab.fer.prediction import Prediction
    from affectlab.fer.probes.cross_dataset import CrossResult
    from affectlab.fer.probes.online import OnlineClips
    from affectlab.fer.probes.run import Run


def _paths(needed: tuple[str, ...] = (), **values: Any) -> None:
    """Check path arguments at the door: each a ``str`` or ``os.PathLike``, not empty; None only for the
    optional ones (not in ``needed``)."""
    for name, value in values.items():
        if value is None and name not in needed:
            continue
        if not isinstance(value, str | os.PathLike):
            raise TypeError(f"{name} must be a path (str or os.PathLike), got {type(value).__name__}: {value!r:.60}")
        if not os.fspath(value):
            raise AffectlabError(f"{name}: an empty path; expected a file or folder name")


def index(
    root: PathLike,
    dataset: str,
    *,
    out: PathLike | None = None,
    folds_file: PathLike | None = None,
    export_folds: PathLike | None = None,
    file_list: PathLike | None = None,
    demographics: PathLike | None = None,
    preset: str | None = None,
    progress: bool = True,
    **options: Any,
) -> Manifest:
    """Index a dataset folder (RAVDESS, CREMA-D, or one sub-folder per class) into a :class:`Manifest`:
    labels, actors, metadata, actor-disjoint folds and content hashes; ``out`` also writes it (parquet,
    and ``NAME.skipped.csv`` beside it for files that were skipped).

    ``options`` are :class:`~affectlab.fer.config.IndexConfig` fields: ``folds`` (``"none"``: a test-only
    set), ``seed``, ``modality``, ``channel``, ``intensity``, ``check``, ``hash``, ``check_faces`` (clips
    without a face go to the skipped report); they override ``preset`` (:mod:`affectlab.fer.presets`).

    >>> import affectlab as al
    >>> m = al.fer.index(SHARED / "face_video/ravdess", dataset="ravdess", folds=3, progress=False)
    >>> len(m), m.labels[:3]
    (7, ('neutral', 'calm', 'happy'))
    """
    from affectlab.fer.config import IndexConfig
    from affectlab.fer.data.folds import write_fold_file
    from affectlab.fer.data.manifest import Manifest, fold_assignment, index_dataset
    from affectlab.fer.presets import with_preset
    from affectlab.io import check_not_input, check_writable

    _paths(("root",), root=root, out=out, folds_file=folds_file, export_folds=export_folds, file_list=file_list,
           demographics=demographics)  # fmt: skip
    name = dataset.strip().lower() if isinstance(dataset, str) else dataset
    cfg = with_preset(IndexConfig, preset, "index", {"dataset": dataset, **options}, "index options", name)
    if cfg.folds is None and folds_file is None and export_folds is not None:
        raise AffectlabError(f"{export_folds}: --folds none makes no folds to export")
    inputs = [p for p in (root, folds_file, file_list, demographics) if p is not None]
    for target in (out, export_folds):
        if target is not None:
            check_not_input(target, inputs, "manifest output")
            check_writable(target)
    table, skipped = index_dataset(
        root,
        cfg.dataset,
        folds=cfg.folds,
        seed=cfg.seed,
        folds_file=folds_file,
        modality=cfg.modality,
        channel=cfg.channel,
        intensity=cfg.intensity,
        file_list=file_list,
        demographics=demographics,
        check_videos=cfg.check,
        hash_files=cfg.hash,
        check_faces=cfg.check_faces,
        progress=progress,
    )
    manifest = Manifest(table, skipped)
    if out is not None:
        manifest.save(out)
    if export_folds is not None:
        write_fold_file(fold_assignment(table), export_folds)
    return manifest


def _manifest_table(manifest: Manifest | pa.Table | PathLike) -> pa.Table:
    import pyarrow as pa

    from affectlab.fer.data.manifest import Manifest, read_manifest

    if isinstance(manifest, Manifest):
        return manifest.table
    if isinstance(manifest, pa.Table):
        return manifest
    if not isinstance(manifest, str | os.PathLike):
        raise TypeError(f"manifest must be a Manifest, a pyarrow Table or a path, got {type(manifest).__name__}")
    _paths(manifest=manifest)
    return read_manifest(manifest)


def extract(
    manifest: Manifest | pa.Table | PathLike,
    out: PathLike,
    *,
    encoder: str | None = None,
    checkpoint: PathLike | None = None,
    pooling: str | None = None,
    engine: str | None = None,
    device: str | None = None,
    batch_size: int | None = None,
    compile: bool | None = None,
    shard_size: int | None = None,
    store_dtype: str | None = None,
    sampling: dict[str, Any] | None = None,
    preset: str | None = None,
    progress: bool = True,
    **sampling_options: Any,
) -> FeatureStore:
    """Frozen-encoder features of every clip of ``manifest`` into the resumable feature store ``out``.

    ``sampling`` (or keyword options such as ``resolution=384``, ``face_crop=True``, ``num_segments=8``)
    sets :class:`~affectlab.fer.data.video.SamplingConfig` (options left out or None take the encoder's
    defaults: the frame baseline face-crops at 64 px); ``encoder`` is one of
    :data:`~affectlab.fer.encoders.ENCODERS`; ``pooling`` none, grid, grid:N or mean; ``store_dtype`` float32,
    float16 or bfloat16. Options not given come from ``preset`` (:mod:`affectlab.fer.presets`), then the
    config defaults. Running it again continues a stopped extraction. The store index records each clip's
    ``face_share`` (sampled frames with a face).

    >>> import affectlab as al
    >>> m = al.fer.index(SHARED / "face_video/crema_d", dataset="crema-d", folds="none", progress=False)
    >>> store = al.fer.extract(m, TMP / "features", num_segments=2, device="cpu", progress=False)
    >>> len(store), store.info.embed_dim
    (6, 128)
    """
    from affectlab.fer.cache.extract import extract_features
    from affectlab.fer.config import ExtractConfig
    from affectlab.fer.presets import with_preset

    options = _given(
        encoder=encoder,
        checkpoint=None if checkpoint is None else str(checkpoint),
        sampling={**(sampling or {}), **_given(**sampling_options)},
        pooling=pooling,
        engine=engine,
        device=device,
        batch_size=batch_size,
        compile=compile,
        shard_size=shard_size,
        store_dtype=store_dtype,
    )
    _paths(("out",), out=out, checkpoint=checkpoint)
    cfg = with_preset(ExtractConfig, preset, "extract", options, "extract options")
    table = _manifest_table(manifest)
    with progress_bar("extract", table.num_rows, "clips", progress) as advance:
        return extract_features(table, out, cfg, progress=advance)


def _store(features: FeatureStore | PathLike) -> FeatureStore:
    from affectlab.fer.cache.store import FeatureStore

    if isinstance(features, FeatureStore):
        return features
    if not isinstance(features, str | os.PathLike):
        raise TypeError(f"features must be a FeatureStore or a path, got {type(features).__name__}")
    _paths(features=features)
    return FeatureStore(features)


def train(
    features: FeatureStore | PathLike | None,
    out: PathLike,
    *,
    probe: str | None = None,
    preset: str | None = None,
    online: bool = False,
    manifest: Manifest | pa.Table | PathLike | None = None,
    encoder: str | Encoder | None = None,
    checkpoint: PathLike | None = None,
    encoder_options: dict[str, Any] | None = None,
    frame_cache: PathLike | bool = True,
    overwrite: bool = False,
    progress: bool = True,
    write_report: bool = True,
    **options: Any,
) -> Run:
    """Train one probe per fold and score it (subject-independent CV); writes the run folder ``out`` and
    returns the :class:`Run` (``metrics`` per fold, ``summary``, ``predictions``).

    Cached: from the feature store ``features``. ``online=True``: from the clips of ``manifest``, with the frozen
    ``encoder`` (a name of :data:`~affectlab.fer.encoders.ENCODERS`, or an encoder object) and ``checkpoint``
    inside the training loop, a fresh augmentation per clip and epoch (``features`` is None). ``options`` are
    :class:`~affectlab.fer.config.TrainConfig` fields (``epochs``, ``lrs``, ``weight_decays``, ``batch_size``,
    ``folds`` = manifest | loao | all, ``seed``, ``device``, ``eval`` = protocol | full-video | both, ...);
    ``encoder_options`` are :class:`~affectlab.fer.config.ExtractConfig` fields for the encoder (``sampling``,
    ``pooling``, ``batch_size``, ``decode_workers``, ``device``). Given options override ``preset``. A stopped
    run continues when called again with the same arguments. Online, ``frame_cache`` is the folder of the decoded
    frames (:mod:`affectlab.fer.cache.frames`; True: :func:`~affectlab.fer.cache.frames.default_frame_cache`,
    False: decode every clip every epoch); it changes the speed, never the numbers.
    ``write_report`` also writes ``RUN/report.html`` (:func:`report`). ``Run.warnings`` names folds with
    untrained outputs (classes without a training clip) and how often they won, and folds trained on too few
    clips or optimiser steps; ``Run.pooled`` has the scores of the confusion matrix summed over folds. Under a
    preset whose probe takes its attention heads from the encoder (``vjepa-fer``), they come from the store's
    encoder (or ``encoder``).
    """
    from affectlab.fer.cache.frames import FrameCache, default_frame_cache
    from affectlab.fer.encoders.runner import resolve_device
    from affectlab.fer.probes.evaluate import OnlineInputs, StoreInputs, fold_ids
    from affectlab.fer.probes.run import run_record, write_run
    from affectlab.fer.probes.session import TrainingSession
    from affectlab.fer.probes.train import check_heads

    _paths(("out",), out=out, checkpoint=checkpoint)
    store = None if online or features is None else _store(features)  # the one time the store is opened
    cfg = _train_config(preset, probe, options, online, encoder, store)
    if online and manifest is None:
        raise AffectlabError(f"{out}: online training needs --manifest (the clips) instead of --features")
    if not online and features is None:
        raise AffectlabError(f"{out}: training needs --features (a feature store) or --online with --manifest")
    encoder_object = None if encoder is None or isinstance(encoder, str) else encoder
    extract_cfg = None
    if online or cfg.eval != "protocol":  # the encoder runs: online, or over the whole videos
        extract_cfg = _encoder_config(preset, encoder, checkpoint, encoder_options, store)
    table = _manifest_table(manifest) if online else store.manifest
    n_folds = len(set(fold_ids(table, cfg.folds, str(manifest if online else features)).tolist()))
    sources = {"manifest": str(manifest)} if online and isinstance(manifest, str | os.PathLike) else {}
    frames = None
    if online and frame_cache is not False:
        frames = FrameCache(default_frame_cache() if frame_cache is True else frame_cache)
    out = _check_run_target(out, list(sources.values()) if store is None else [store.root], overwrite)
    device = resolve_device(cfg.device)  # --device cuda without CUDA: refused before any state is kept
    clips, info = None, None if store is None else store.info
    if extract_cfg is not None:
        clips, info = _encoded_clips(table, store, extract_cfg, encoder_object, cfg.seed, frames)
    inputs = OnlineInputs(clips, sources.get("manifest", str(out))) if online else StoreInputs(store, cfg.probe)
    check_heads(info.embed_dim, cfg, str(out))  # before any state is kept
    record = run_record(cfg, info, online=online, preset=preset, features=None if store is None else store.root,
                        sources=sources or None, extract=extract_cfg)  # fmt: skip
    with progress_bar("train (epochs over folds)", n_folds * cfg.epochs, "epochs", progress) as advance:
        with TrainingSession(inputs, cfg, out, info, full_video=clips, overwrite=overwrite) as session:
            result = session.train(advance)
            run = write_run(out, result, table, cfg, record, device=str(device), overwrite=overwrite,
                            timing=clips.timing if clips else ())  # fmt: skip
    if write_report:
        from affectlab.fer.run_report import write_report as write

        write(run, store)
    return run


def _train_config(
    preset: str | None,
    probe: str | None,
    options: dict[str, Any],
    online: bool,
    encoder: str | Encoder | None,
    store: FeatureStore | None,
) -> TrainConfig:
    """The training options over the preset's, with the attention heads of the probe's encoder where the
    preset takes them from it (the store's encoder, or ``encoder`` online)."""
    from affectlab.fer.config import TrainConfig
    from affectlab.fer.presets import preset_values, with_preset

    if online:
        encoder_name = getattr(encoder, "name", encoder) or preset_values(preset, "extract").get("encoder")
        embed_dim = getattr(encoder, "embed_dim", None)
    else:
        encoder_name, embed_dim = (None, None) if store is None else (store.info.encoder, store.info.embed_dim)
    return with_preset(TrainConfig, preset, "train", _given(probe=probe, **options), "training options",
                       encoder=encoder_name, embed_dim=embed_dim)  # fmt: skip


def _encoder_config(
    preset: str | None,
    encoder: str | Encoder | None,
    checkpoint: PathLike | None,
    encoder_options: dict[str, Any] | None,
    store: FeatureStore | None,
) -> ExtractConfig:
    """The encoder's settings for training online or scoring whole videos; a store's own encoder, sampling and
    pooling win over the options (the probe reads its features)."""
    from affectlab.fer.config import ExtractConfig
    from affectlab.fer.presets import with_preset

    path = None if checkpoint is None else str(checkpoint)
    given = _given(encoder=getattr(encoder, "name", encoder), checkpoint=path, **(encoder_options or {}))
    cfg = with_preset(ExtractConfig, preset, "extract", given, "encoder options")
    if store is None:
        return cfg
    return cfg.model_copy(update={"encoder": store.info.encoder, "sampling": store.info.sampling,
                                  "pooling": store.info.pooling})  # fmt: skip


def _check_run_target(out: PathLike, inputs: list[Path | str], overwrite: bool) -> Path:
    """Refuse a run folder that would replace an input, cannot be written, or (without overwrite) exists."""
    from affectlab.io import check_folder_target, check_not_input, check_writable

    out = Path(out)
    check_not_input(out, inputs, "run folder")
    check_writable(out, folder=True)
    check_folder_target(out, overwrite)
    return out


def _encoded_clips(
    table: pa.Table,
    store: FeatureStore | None,
    cfg: ExtractConfig,
    encoder: Encoder | None,
    seed: int,
    frames: FrameCache | None,
) -> tuple[OnlineClips, FeatureInfo]:
    """The clips of ``table`` with the frozen encoder (``encoder``, or loaded from ``cfg``) and the identity of
    its features; with a store, the encoder must hold the weights the store was extracted with."""
    from affectlab.fer.cache.extract import feature_info
    from affectlab.fer.encoders import check_same_checkpoint, load_encoder
    from affectlab.fer.encoders.runner import SegmentRunner, resolve_device
    from affectlab.fer.probes.online import OnlineClips

    enc = encoder or load_encoder(cfg.encoder, cfg.checkpoint, cfg.sampling)
    if store is not None:
        check_same_checkpoint(enc, store.info.checkpoint_sha256, cfg.checkpoint, store.root)
    runner = SegmentRunner(enc, resolve_device(cfg.device), cfg.batch_size, cfg.compile)
    clips = OnlineClips(table, cfg, runner, seed=seed, frame_cache=frames)
    return clips, store.info if store is not None else feature_info(enc, cfg)


def cross(
    run: Run | PathLike,
    features: FeatureStore | PathLike,
    *,
    calm: str | None = None,
    out: PathLike | None = None,
    eval: str | None = None,
    checkpoint: PathLike | None = None,
    overwrite: bool = False,
    write_report: bool = True,
) -> CrossResult:
    """Every fold probe of ``run`` applied to a whole other dataset through the label map
    (:class:`~affectlab.fer.config.CrossConfig`: ``calm`` drop (default) or merge into neutral); written to
    ``out`` (default ``RUN/cross-DATASET-calm-POLICY``).
    ``write_report`` rewrites the run's report, which shows every ``RUN/cross-*`` result.

    ``features`` is a feature store, or (for a run trained online) a manifest; ``eval`` protocol, full-video
    or both (full-video runs the run's encoder: ``checkpoint`` when the run does not record it)."""
    from affectlab.fer.config import CrossConfig, ExtractConfig
    from affectlab.fer.probes.cross_dataset import CrossResult, cross_evaluate

    cfg = validated(CrossConfig, _given(calm=calm, eval=eval), "cross options")
    _paths(out=out, checkpoint=checkpoint)
    run_path = _run_path(run)
    target = _store(features).root if not isinstance(features, str | os.PathLike) else Path(features)
    extract = None if checkpoint is None else ExtractConfig(checkpoint=str(checkpoint))
    payload = cross_evaluate(run_path, target, cfg.calm, out, overwrite=overwrite, eval=cfg.eval, extract=extract)
    if write_report:
        report(run_path)
    return CrossResult(Path(payload["out"]))


def _run_path(run: Run | PathLike) -> Path:
    """The folder of a :class:`Run` or a path to one (checked at the door)."""
    if isinstance(run, str | os.PathLike):
        _paths(run=run)
        return Path(run)
    path = getattr(run, "path", None)  # a Run, known without importing the probes (and with them torch)
    if not isinstance(path, Path):
        raise TypeError(f"run must be a Run or a path to a run folder, got {type(run).__name__}")
    return path


def report(run: Run | PathLike) -> Path:
    """Write the run's ``report.html`` (self-contained) and ``report.md``: per-fold scores with mean ± std,
    per-class recall, the summed confusion matrix, cross-dataset results, the embedding map, contact
    sheets of the most confident errors, the config and the feature store's identity. Returns the HTML
    path."""
    from affectlab.fer.run_report import write_report as write

    path = _run_path(run)
    return write(path if isinstance(run, str | os.PathLike) else run)


def reproduce(
    ravdess: PathLike | None = None,
    crema_d: PathLike | None = None,
    *,
    checkpoint: PathLike | None = None,
    out: PathLike,
    ravdess_folds: PathLike | None = None,
    crema_d_folds: PathLike | None = None,
    overwrite: bool = False,
    progress: bool = True,
    **options: Any,
):
    """The V-JEPA FER paper's table from your RAVDESS and CREMA-D folders and the official checkpoint: index,
    extract (cached mode), 5-fold training per dataset, cross-dataset both ways under both calm policies, and
    ``OUT/table.md``, ``table.json``, ``report.html`` with our UAR/WAR beside the reference's. Returns the
    table's rows (a pandas DataFrame). ``options`` are :class:`~affectlab.fer.config.ReproduceConfig` fields
    (``mode`` cached | online, ``preset``, ``pooling``, ``folds``, ...); ``*_folds`` are fold files (actor,fold).
    ``checkpoint`` may be left out for an encoder that ships its weights (``encoder="frame-baseline"``).
    Everything is checked before any work; stages whose outputs exist with the same settings are skipped, so
    a stopped reproduction resumes."""
    import pandas as pd

    from affectlab.fer.config import ReproduceConfig
    from affectlab.fer.reproduction import Stages
    from affectlab.fer.reproduction import reproduce as run_reproduction

    _paths(("out",), ravdess=ravdess, crema_d=crema_d, checkpoint=checkpoint, out=out,
           ravdess_folds=ravdess_folds, crema_d_folds=crema_d_folds)  # fmt: skip
    cfg = validated(ReproduceConfig, options, "reproduce options")
    roots = {k: v for k, v in (("ravdess", ravdess), ("crema-d", crema_d)) if v is not None}
    if not roots:
        raise AffectlabError(f"{out}: give --ravdess and/or --crema-d (your copies of the datasets)")
    folds_files = {k: v for k, v in (("ravdess", ravdess_folds), ("crema-d", crema_d_folds)) if v is not None}
    stages = Stages(index=index, extract=extract, train=train, cross=cross)
    table = run_reproduction(roots, checkpoint, out, cfg, stages, folds_files=folds_files, overwrite=overwrite,
                             progress=progress)  # fmt: skip
    return pd.DataFrame(table["rows"])


def predict(
    video: PathLike,
    *,
    run: Run | PathLike | None = None,
    checkpoint: PathLike | None = None,
    stride: int | None = None,
    smooth: float | None = None,
    faces: str | None = None,
    detector: str | None = None,
    detect_every: int | None = None,
    out: PathLike | None = None,
    device: str = "auto",
    overwrite: bool = False,
    progress: bool = True,
) -> Prediction:
    """Emotion probabilities over time for one video with the face signal (face found and score per frame
    or window) and a video-level label; without ``run`` the frame baseline's FER2013 head on every frame
    (every ``stride`` frames), with a run sliding windows. Frames and windows without a face get no
    probabilities; a video without a face gets no label (``label`` None, a :class:`NoFaceWarning`).
    Every face is detected and linked into tracks: ``faces="largest"`` (default) reports the largest track
    and warns (:class:`MultipleFacesWarning`) when there were more; ``faces="all"`` reports every track
    (``tracks``, each with its own labels and face boxes); ``detector="full-range"`` finds faces far from the
    camera. ``detect_every`` k > 1 runs the face detector on every k-th scored frame only, with boxes
    interpolated between detections of the same faces (faster; close to, not the same as, the numbers of the
    default 1, which detects on every frame). ``smooth`` (seconds) smooths the per-frame timeline. ``out`` also
    writes the folder of windows.csv, prediction.json, timeline.png and config.json (the device used) as a whole;
    an existing non-empty ``out`` is replaced only with ``overwrite``. ``device`` cuda without a CUDA device is
    refused.

    >>> import affectlab as al
    >>> pred = al.fer.predict(SHARED / "face_video/crema_d/1001_DFA_HAP_XX.flv", progress=False)
    >>> pred.label, pred.true_label, all(pred.face_found)
    ('happy', 'happy', True)
    """
    from affectlab.fer.config import PredictConfig
    from affectlab.fer.data.video import check_video_file
    from affectlab.fer.prediction import predict_video
    from affectlab.io import atomic_folder, check_folder_target, check_not_input, check_writable

    _paths(("video",), video=video, checkpoint=checkpoint, out=out)
    run_path = None if run is None else _run_path(run)
    cfg = validated(
        PredictConfig,
        _given(
            run=None if run_path is None else str(run_path),
            checkpoint=None if checkpoint is None else str(checkpoint),
            stride=stride,
            smooth=smooth,
            faces=faces,
            detector=detector,
            detect_every=detect_every,
            device=device,
        ),
        "predict options",
    )
    check_video_file(video)
    used = "cpu"  # the frame baseline runs on the CPU without torch
    if cfg.run or cfg.device == "cuda":  # torch only when a torch model runs, or to check that cuda is there
        from affectlab.fer.encoders.runner import resolve_device

        used = resolve_device(cfg.device).type  # cuda without a CUDA device: refused before any work
    cfg = cfg.model_copy(update={"device": used if cfg.run else "cpu"})  # recorded: the device used
    if out is not None:
        check_not_input(out, [video, *([run_path] if run_path else [])], "prediction folder")
        check_writable(out, folder=True)
        check_folder_target(out, overwrite)
    prediction = predict_video(video, cfg, progress=progress)
    if out is not None:
        with atomic_folder(out, overwrite=overwrite) as tmp:
            prediction.save(tmp)
    return prediction


def show(video: PathLike, out: PathLike | None = None, *, face_crop: bool = False, resolution: int = 224) -> Path:
    """Contact sheet PNG of the frames the sampling protocol takes (segments x frames, face box)."""
    from affectlab.fer.config import SamplingConfig
    from affectlab.fer.data.contact_sheet import render_contact_sheet, write_png
    from affectlab.io import check_not_input, check_writable

    _paths(("video",), video=video, out=out)
    out = Path(out) if out is not None else Path(f"{Path(video).stem}.sheet.png")
    check_not_input(out, [video], "contact sheet")
    check_writable(out)
    cfg = validated(SamplingConfig, {"face_crop": face_crop, "resolution": resolution}, "sampling options")
    write_png(render_contact_sheet(video, cfg), out)
    return out


def embed_plot(features: FeatureStore | PathLike, out: PathLike, *, seed: int = 0) -> dict[str, Any]:
    """2-D map (PCA, and t-SNE for 30+ clips) of pooled features, coloured by emotion and by actor."""
    from affectlab.fer.embedding_map import EmbedPlotConfig
    from affectlab.fer.embedding_map import embed_plot as make_plot
    from affectlab.io import check_not_input, check_writable

    _paths(("out",), out=out)
    if Path(out).suffix.lower() != ".png":
        raise AffectlabError(f"{out}: the map is a PNG; give a file name ending in .png")
    store = _store(features)
    check_not_input(out, [store.root], "map")
    check_writable(out)
    return make_plot(store, out, EmbedPlotConfig(seed=seed))
