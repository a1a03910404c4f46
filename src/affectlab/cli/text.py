"""``affectlab text``: profile corpora, score texts, compare corpora, write art corpora."""

from __future__ import annotations

import json
import math
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from affectlab.errors import AffectlabError
from affectlab.text.corpora import FORMATS, open_corpus
from affectlab.text.measures import MeasureConfig
from affectlab.text.profile import (
    ProfileOptions,
    default_workers,
    is_folder_output,
    profile_corpora,
    profile_texts,
)

ENGINE_NAMES = ("local", "ray")

# Short meanings shown by `score`; a measure may override one with field metadata b"description".
MEANINGS: dict[str, str] = {
    "vader_neg": "VADER: share of negative sentiment (0-1)",
    "vader_neu": "VADER: share of neutral wording (0-1)",
    "vader_pos": "VADER: share of positive sentiment (0-1)",
    "vader_compound": "VADER: overall sentiment, -1 negative .. +1 positive",
    "polarity": "TextBlob: sentiment, -1 negative .. +1 positive",
    "subjectivity": "TextBlob: 0 objective .. 1 subjective",
    "objectivity": "1 - subjectivity",
    "concreteness": "mean word concreteness, 1 abstract .. 5 concrete (Brysbaert 2014)",
    "concreteness_coverage": "share of words found in the concreteness norms",
    "n_abstract_words": "content words rated below 2.5 (abstract; function words excluded)",
    "valence": "mean word valence, 1 unhappy .. 9 happy (Warriner 2013)",
    "arousal": "mean word arousal, 1 calm .. 9 excited (Warriner 2013)",
    "dominance": "mean word dominance, 1 controlled .. 9 in control (Warriner 2013)",
    "affect_coverage": "share of words found in the affect norms",
    "n_simile_markers": "simile markers (like a..., as X as)",
    "n_first_person": "first-person pronouns",
    "n_second_person": "second-person pronouns",
    "n_evaluative_adjectives": "evaluative (subjective) adjectives",
    "share_abstract_nouns": "share of nouns rated abstract",
    "n_tokens": "word tokens",
}

PROFILE_HELP = """Score every text of caption/text corpora and write one parquet file (or a folder of parts).

Output columns: id, corpus, text (unless --no-text), then one column per measure.

Examples:

  affectlab text profile captions_val2017.json --out coco.parquet

  affectlab text profile Flickr8k.token.txt laion/*.parquet --out scores.parquet --workers 8

  affectlab text profile tate.jsonl --text-column title --corpus tate --out tate.parquet

  RAY_ADDRESS=auto affectlab text profile shards/*.parquet --engine ray --out laion.parquet

  RAY_ADDRESS=auto affectlab text profile shards/*.parquet --engine ray --out laion_scores/
"""

SCORE_HELP = """Print every measure for one text.

Examples:

  affectlab text score "a photo of a dog on a red sofa"

  affectlab text score "a haunting, melancholic dreamscape" --json
"""


def profile(
    inputs: list[Path] = typer.Argument(..., help="Corpus files, read in this order.", show_default=False),
    out: str = typer.Option(
        ...,
        "--out",
        "-o",
        metavar="PATH",
        help="Output parquet file, or a folder of parquet parts when it ends with / or is a folder "
        "(Ray then writes from its workers). Written atomically.",
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a non-empty output folder."),
    format: str = typer.Option("auto", "--format", "-f", help=f"auto or one of: {', '.join(FORMATS)}."),
    text_column: str | None = typer.Option(
        None, help="Text column of parquet/jsonl/csv input (default: text, then caption, any case)."
    ),
    corpus: str | None = typer.Option(
        None, help="Corpus name for every row (default: the file name up to its first dot)."
    ),
    keep_text: bool = typer.Option(True, "--text/--no-text", help="Keep the text column in the output."),
    norms: Path | None = typer.Option(None, help="Concreteness norms file (default: Brysbaert et al. 2014)."),
    affect_norms: Path | None = typer.Option(
        None, help="Warriner et al. (2013) CSV: adds valence, arousal, dominance."
    ),
    batch_size: int = typer.Option(1024, help="Texts per batch."),
    workers: int | None = typer.Option(None, help="Worker processes / Ray actors (default: all cores)."),
    engine: str = typer.Option("local", help="local (process pool) or ray (Ray Data; RAY_ADDRESS joins)."),
) -> None:
    if engine not in ENGINE_NAMES:
        raise AffectlabError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINE_NAMES)}")
    if batch_size < 1 or (workers is not None and workers < 1):
        raise AffectlabError("--batch-size and --workers must be at least 1")
    corpora = [open_corpus(path, format, text_column, corpus) for path in inputs]
    target = Path(out).resolve()
    sources = {c.path.resolve() for c in corpora}
    if target in sources or (is_folder_output(out) and any(target in s.parents for s in sources)):
        raise AffectlabError(f"{out}: the output would overwrite an input")
    options = ProfileOptions(
        measures=MeasureConfig(norms=norms, affect_norms=affect_norms),
        batch_size=batch_size,
        workers=workers or default_workers(),
        engine=engine,
        keep_text=keep_text,
    )
    known = sum(c.rows for c in corpora if c.rows is not None)
    total = known if all(c.rows is not None for c in corpora) else None
    stderr = Console(stderr=True)
    with _progress(stderr) as progress:
        of = f" / {total:,} texts" if total is not None else " texts"
        task = progress.add_task("profiling", total=total, of=of)
        summary = profile_corpora(
            corpora, out, options, on_batch=lambda n: progress.advance(task, n), overwrite=overwrite
        )
    stderr.print(
        f"{summary.rows} texts from {len(corpora)} file(s) in {summary.seconds:.1f} s "
        f"({summary.texts_per_second:.0f} texts/s, {options.engine}, {options.workers} workers) -> {out}",
        highlight=False,
    )


def score(
    text: str = typer.Argument(..., help="The text to score.", show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
    norms: Path | None = typer.Option(None, help="Concreteness norms file (default: Brysbaert et al. 2014)."),
    affect_norms: Path | None = typer.Option(
        None, help="Warriner et al. (2013) CSV: adds valence, arousal, dominance."
    ),
) -> None:
    table = profile_texts([text], MeasureConfig(norms=norms, affect_norms=affect_norms))
    values = {name: table.column(name)[0].as_py() for name in table.column_names}
    if as_json:
        typer.echo(json.dumps({"text": text, **values}))
        return
    view = Table(title=text, title_justify="left")
    view.add_column("column")
    view.add_column("value", justify="right")
    view.add_column("meaning")
    for field in table.schema:
        meaning = (field.metadata or {}).get(b"description", b"").decode() or MEANINGS.get(field.name, "")
        view.add_row(field.name, _format_value(values[field.name]), meaning)
    Console().print(view)


def _format_value(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


class _RateColumn(ProgressColumn):
    """Texts per second."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed or 0:,.0f} texts/s")


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}{task.fields[of]}"),
        _RateColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


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
    from affectlab.text.compare.report import CompareOptions, headlines, write_report

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


app = typer.Typer(help="Sentiment, subjectivity and concreteness of texts and corpora.", no_args_is_help=True)
app.command("profile", help=PROFILE_HELP)(profile)
app.command("score", help=SCORE_HELP)(score)
app.command("compare", help=COMPARE_HELP)(compare_command)
app.command("art-corpora", help=ART_HELP)(art_corpora_command)
