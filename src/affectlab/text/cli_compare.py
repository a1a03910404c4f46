"""``affectlab text compare`` (corpus comparison report) and ``affectlab text art-corpora``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from affectlab.errors import AffectlabError

COMPARE_HELP = """Compare corpora: descriptives, shares, pairwise tests, plots, report.html and summary.md.

Inputs are score files from 'affectlab text profile' (several corpora per file are fine) or raw corpora,
which are profiled first into OUT/scores/.

Examples:

  affectlab text compare coco.parquet flickr8k.parquet art.parquet --out report/

  affectlab text compare scores.parquet --group captions=coco,flickr8k --group art=tate_titles --out pooled/
"""

ART_HELP = """Write the art text corpora (tate_titles, aic_titles, aic_descriptions) as jsonl files.

Example:

  affectlab text art-corpora ../shared/data/art_text --out art/
"""


def register(app: typer.Typer) -> None:
    """Add ``compare`` and ``art-corpora`` to ``app``."""
    app.command("compare", help=COMPARE_HELP)(compare_command)
    app.command("art-corpora", help=ART_HELP)(art_corpora_command)


def parse_groups(specs: list[str]) -> dict[str, str]:
    """``["captions=coco,flickr8k"]`` -> ``{"coco": "captions", "flickr8k": "captions"}``."""
    mapping: dict[str, str] = {}
    for spec in specs:
        group, sep, members = spec.partition("=")
        names = [m.strip() for m in members.split(",") if m.strip()]
        if not sep or not group.strip() or not names:
            raise AffectlabError(f"--group {spec!r}: expected NAME=corpus1,corpus2")
        for name in names:
            if name in mapping:
                raise AffectlabError(f"--group: corpus {name!r} is in two groups")
            mapping[name] = group.strip()
    return mapping


def compare_command(
    inputs: list[Path] = typer.Argument(
        ..., help="Score parquet files or folders, or raw corpora.", show_default=False
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Report folder."),
    measure: list[str] = typer.Option([], "--measure", "-m", help="Compare only these columns (repeat)."),
    group: list[str] = typer.Option([], "--group", "-g", help="Pool corpora: NAME=corpus1,corpus2 (repeat)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap and plot subsamples."),
    norms: Path | None = typer.Option(None, "--norms", help="Concreteness norms for raw inputs."),
    affect_norms: Path | None = typer.Option(None, "--affect-norms", help="Warriner norms for raw inputs."),
    workers: int | None = typer.Option(
        None, "--workers", help="Processes for raw inputs (default: all cores)."
    ),
) -> None:
    from affectlab.text.compare_report import CompareOptions, headlines, write_report

    options = CompareOptions(
        measures=tuple(measure) or None,
        groups=parse_groups(group) or None,
        seed=seed,
        norms=norms,
        affect_norms=affect_norms,
        workers=workers,
    )
    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("measures", total=None)

        def advance(column: str, total: int) -> None:
            progress.update(task, total=total, advance=1, description=f"measures ({column})")

        result = write_report(inputs, out, options, on_measure=advance)
    console.print(f"compared {len(result.corpora)} corpora on {len(result.measures)} measures")
    for line in headlines(result):
        console.print(f"  {line}", highlight=False, soft_wrap=True)
    console.print(f"report: {out / 'report.html'}  summary: {out / 'summary.md'}")


def art_corpora_command(
    art_text: Path = typer.Argument(
        ..., help="The art_text folder (tate/, aic_api_sample/).", show_default=False
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the jsonl files."),
) -> None:
    from affectlab.text.art_corpora import write_art_corpora

    for name, (path, count) in write_art_corpora(art_text, out).items():
        typer.echo(f"{name}: {count:,} texts -> {path}")
