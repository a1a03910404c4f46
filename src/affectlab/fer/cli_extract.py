"""``affectlab fer extract``: frozen-encoder features of every manifest clip into a resumable cache."""

from __future__ import annotations

from pathlib import Path

import typer


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
    from affectlab.fer.extract import ExtractConfig, extract_features
    from affectlab.fer.manifest import read_manifest

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


def register(app: typer.Typer) -> None:
    """Add ``extract`` to ``affectlab fer``."""
    app.command("extract")(extract)
