"""``affectlab text profile`` (score whole corpora into parquet) and ``affectlab text score`` (one text)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn
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


def register(app: typer.Typer) -> None:
    """Add ``profile`` and ``score`` to ``app``."""
    app.command("profile", help=PROFILE_HELP)(profile)
    app.command("score", help=SCORE_HELP)(score)


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
