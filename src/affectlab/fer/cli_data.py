"""``affectlab fer index`` and ``affectlab fer show``: build a manifest; look at a clip's sampled frames."""

from __future__ import annotations

from collections import Counter
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
    from affectlab.fer.folds import write_fold_file
    from affectlab.fer.manifest import (
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
    from affectlab.fer.contact_sheet import render_contact_sheet, write_png
    from affectlab.fer.video import SamplingConfig

    cfg = SamplingConfig(face_crop=face_crop, resolution=resolution)
    out = out or Path(f"{video.stem}.sheet.png")
    write_png(render_contact_sheet(video, cfg), out)
    Console(stderr=True).print(f"contact sheet: {out}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``index`` and ``show`` to ``affectlab fer``."""
    app.command("index")(index)
    app.command("show")(show)
