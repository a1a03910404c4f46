"""Compare corpora from score parquet files: descriptives, shares and pairwise tests per measure.

Only the ``corpus`` column and one measure column at a time are read (pyarrow, batch by batch), never the
``text`` column, so memory holds one measure of all corpora at once. Rows of the same corpus name in
several files are pooled (shards of one corpus); files without a ``corpus`` column are named by file stem.
A folder of parquet parts (``affectlab text profile --out DIR/``) is read as one file, parts in name order.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from affectlab.errors import AffectlabError
from affectlab.report.thinning import subsample
from affectlab.text.compare import stats


@dataclass(frozen=True)
class MeasureSpec:
    """A per-text score column, how to label it, and its natural range (for plot axes)."""

    column: str
    label: str
    limits: tuple[float, float] | None = None


MEASURES: tuple[MeasureSpec, ...] = (
    MeasureSpec("vader_compound", "VADER compound (-1 neg ... +1 pos)", (-1, 1)),
    MeasureSpec("vader_pos", "VADER positive share", (0, 1)),
    MeasureSpec("vader_neg", "VADER negative share", (0, 1)),
    MeasureSpec("vader_neu", "VADER neutral share", (0, 1)),
    MeasureSpec("polarity", "pattern polarity (-1 ... +1)", (-1, 1)),
    MeasureSpec("subjectivity", "pattern subjectivity (0 objective ... 1)", (0, 1)),
    MeasureSpec("concreteness", "mean concreteness (1 abstract ... 5 concrete)", (1, 5)),
    MeasureSpec("concreteness_coverage", "share of tokens with a concreteness rating", (0, 1)),
    MeasureSpec("n_abstract_words", "abstract words (rating < 2.5) per text"),
    MeasureSpec("valence", "mean valence (Warriner, 1-9)", (1, 9)),
    MeasureSpec("arousal", "mean arousal (Warriner, 1-9)", (1, 9)),
    MeasureSpec("dominance", "mean dominance (Warriner, 1-9)", (1, 9)),
    MeasureSpec("n_tokens", "tokens per text"),
    MeasureSpec("n_simile_markers", "simile markers per text"),
    MeasureSpec("n_first_person", "first-person pronouns per text"),
    MeasureSpec("n_second_person", "second-person pronouns per text"),
    MeasureSpec("n_evaluative_adjectives", "evaluative adjectives per text"),
    MeasureSpec("share_abstract_nouns", "share of nouns that are abstract", (0, 1)),
)
MEASURES_BY_COLUMN = {m.column: m for m in MEASURES}
# Every score file must have these: the headline measures and the columns the shares are computed from.
PLOT_SAMPLE = 20_000  # values kept per corpus and measure for the distribution plots (seeded subsample)
REQUIRED = ("vader_compound", "polarity", "subjectivity", "concreteness", "n_abstract_words")


@dataclass(frozen=True)
class ShareSpec:
    """The share of texts whose ``column`` value satisfies ``test`` (rows with a null value excluded)."""

    name: str
    column: str
    test: Callable[[np.ndarray], np.ndarray]


SHARES: tuple[ShareSpec, ...] = (
    ShareSpec("any sentiment (|VADER compound| >= 0.05)", "vader_compound", lambda v: np.abs(v) >= 0.05),
    ShareSpec("subjective (subjectivity > 0.5)", "subjectivity", lambda v: v > 0.5),
    ShareSpec("any abstract word (rating < 2.5)", "n_abstract_words", lambda v: v >= 1),
    ShareSpec("any simile marker", "n_simile_markers", lambda v: v >= 1),
    ShareSpec("any first-person pronoun", "n_first_person", lambda v: v >= 1),
    ShareSpec("any second-person pronoun", "n_second_person", lambda v: v >= 1),
    ShareSpec("any evaluative adjective", "n_evaluative_adjectives", lambda v: v >= 1),
)


@dataclass(frozen=True)
class ShareRow:
    corpus: str
    share: str
    n: int
    hits: int

    @property
    def value(self) -> float:
        return self.hits / self.n if self.n else float("nan")

    @property
    def interval(self) -> tuple[float, float]:
        return stats.wilson_interval(self.hits, self.n)


@dataclass(frozen=True)
class PairRow:
    measure: str
    corpus_a: str
    corpus_b: str
    test: stats.PairTest
    median_a: float
    median_b: float
    p_holm: float = float("nan")


@dataclass
class Comparison:
    """Everything the report shows; ``samples[measure][corpus]`` is a bounded sample for the plots."""

    corpora: list[str]
    measures: list[str]
    skipped: list[str]  # measures present in some files only
    empty: list[str] = field(default_factory=list)  # measures without a single value (e.g. no POS norms)
    describe: dict[str, dict[str, stats.Describe]] = field(default_factory=dict)
    shares: list[ShareRow] = field(default_factory=list)
    pairs: list[PairRow] = field(default_factory=list)
    samples: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # <= PLOT_SAMPLE per corpus


def _parquet_files(path: Path) -> list[Path]:
    """``path`` itself, or the parquet parts of a folder output in file-name order."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise AffectlabError(f"{path}: no such file")
    try:  # pyarrow.dataset skips hidden and _-prefixed files (_SUCCESS, .crc, ...)
        files = sorted(pads.dataset(path, format="parquet").files)
    except (OSError, pa.ArrowException) as err:
        raise AffectlabError(f"{path}: not a folder of parquet files ({str(err).splitlines()[0]})") from err
    if not files:
        raise AffectlabError(f"{path}: folder has no parquet files")
    return [Path(f) for f in files]


def _schema(path: Path) -> pa.Schema:
    file = _parquet_files(path)[0]
    try:
        return pq.read_schema(file)
    except (OSError, pa.ArrowException) as err:
        raise AffectlabError(f"{file}: not a readable parquet file ({str(err).splitlines()[0]})") from err


def is_score_file(path: Path) -> bool:
    """True when ``path`` is a parquet file (or a folder of parts) with ``affectlab text profile`` scores."""
    if path.is_dir():
        return any(path.glob("*.parquet")) and "vader_compound" in _schema(path).names
    if path.suffix.lower() != ".parquet":
        return False
    return "vader_compound" in _schema(path).names


def resolve_measures(paths: Sequence[Path], wanted: Sequence[str] | None) -> tuple[list[str], list[str]]:
    """Measures to compare (known ones present in every file, or ``wanted``) and those skipped.

    A required or explicitly wanted measure missing from a file is an error naming the file.
    """
    schemas = {p: _schema(p) for p in paths}
    stems = [_stem(p) for p, s in schemas.items() if "corpus" not in s.names]
    if len(stems) != len(set(stems)):
        raise AffectlabError(
            f"files without a 'corpus' column share a name ({', '.join(stems)}); rename them or profile "
            "them with 'affectlab text profile', which records the corpus name"
        )
    for path, schema in schemas.items():
        needed = list(wanted) if wanted else list(REQUIRED)
        missing = [c for c in needed if c not in schema.names]
        if missing:
            raise AffectlabError(
                f"{path}: missing measure column(s) {', '.join(missing)}; is it a score file from "
                "'affectlab text profile' with the same measures as the other inputs?"
            )
        for column in needed:
            kind = schema.field(column).type
            if not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)):
                raise AffectlabError(f"{path}: column {column} has type {kind}, expected numbers")
    if wanted:
        return list(wanted), []
    present = [m.column for m in MEASURES if any(m.column in s.names for s in schemas.values())]
    common = [c for c in present if all(c in s.names for s in schemas.values())]
    return common, [c for c in present if c not in common]


def _stem(path: Path) -> str:
    return path.name.split(".")[0]


def read_measure(paths: Sequence[Path], column: str) -> dict[str, np.ndarray]:
    """Values of ``column`` per corpus name (NaN for nulls), streamed batch by batch over ``paths``."""
    chunks: dict[str, list[np.ndarray]] = {}
    for path, part in ((p, f) for p in paths for f in _parquet_files(p)):
        file = pq.ParquetFile(part)
        has_corpus = "corpus" in file.schema_arrow.names
        columns = ["corpus", column] if has_corpus else [column]
        for batch in file.iter_batches(columns=columns, batch_size=65_536):
            values = batch.column(column).cast(pa.float64()).to_numpy(zero_copy_only=False)
            if not has_corpus:
                chunks.setdefault(_stem(path), []).append(values)
                continue
            names = batch.column("corpus").cast(pa.string())
            for name in pc.unique(names).to_pylist():
                mask = pc.is_null(names) if name is None else pc.equal(names, name)
                chunks.setdefault(name or _stem(path), []).append(values[mask.to_numpy(zero_copy_only=False)])
    return {name: np.concatenate(parts) for name, parts in chunks.items()}


def pool(samples: Mapping[str, np.ndarray], groups: Mapping[str, str] | None) -> dict[str, np.ndarray]:
    """Concatenate the corpora of each group (``groups`` maps corpus -> group; others stay alone)."""
    if not groups:
        return dict(samples)
    pooled: dict[str, list[np.ndarray]] = {}
    for name, values in samples.items():
        pooled.setdefault(groups.get(name, name), []).append(values)
    return {name: np.concatenate(parts) for name, parts in pooled.items()}


def _check_corpora(paths: Sequence[Path], names: Sequence[str], groups: Mapping[str, str] | None) -> None:
    if not names:
        raise AffectlabError(f"{', '.join(map(str, paths))}: no rows to compare")
    unknown = sorted(set(groups or {}) - set(names))
    if unknown:
        raise AffectlabError(
            f"--group names corpora not in the inputs: {', '.join(unknown)}; corpora are {', '.join(names)}"
        )


def compare(
    paths: Sequence[Path],
    *,
    measures: Sequence[str] | None = None,
    groups: Mapping[str, str] | None = None,
    seed: int = 0,
    on_measure: Callable[[str, int], None] | None = None,
) -> Comparison:
    """Describe every measure per corpus, the shares, and test every pair of corpora (Holm over all).

    ``on_measure(column, total)`` is called after each measure (for progress bars).
    """
    paths = [Path(p) for p in paths]
    columns, skipped = resolve_measures(paths, measures)
    result = Comparison(corpora=[], measures=columns, skipped=skipped)
    for column in columns:
        raw = read_measure(paths, column)
        if not result.corpora:
            _check_corpora(paths, list(raw), groups)
        samples = pool(raw, groups)
        del raw
        if not result.corpora:
            result.corpora = list(samples)
        valid = {c: _drop_nan(samples.get(c, np.empty(0))) for c in result.corpora}
        result.describe[column] = {c: stats.describe(v, seed=seed) for c, v in valid.items()}
        result.pairs += _pairs(column, valid, result.corpora)
        result.shares += [
            _share(spec, c, v) for spec in SHARES if spec.column == column for c, v in valid.items()
        ]
        result.samples[column] = {c: subsample(v, PLOT_SAMPLE, seed) for c, v in valid.items()}
        del samples, valid
        if on_measure is not None:
            on_measure(column, len(columns))
    _check_valid_rows(paths, result)
    result.empty = [m for m in columns if all(d.n == 0 for d in result.describe[m].values())]
    result.measures = [m for m in columns if m not in result.empty]
    adjusted = stats.holm([p.test.p_value for p in result.pairs])
    result.pairs = [
        PairRow(p.measure, p.corpus_a, p.corpus_b, p.test, p.median_a, p.median_b, q)
        for p, q in zip(result.pairs, adjusted, strict=True)
    ]
    return result


def _check_valid_rows(paths: Sequence[Path], result: Comparison) -> None:
    for corpus in result.corpora:
        if all(result.describe[m][corpus].n == 0 for m in result.measures):
            raise AffectlabError(
                f"{', '.join(map(str, paths))}: corpus {corpus!r} has no rows with a valid score "
                f"in any of {', '.join(result.measures)}"
            )


def _pairs(column: str, valid: Mapping[str, np.ndarray], corpora: Sequence[str]) -> list[PairRow]:
    rows = []
    for a, b in itertools.combinations(corpora, 2):
        if valid[a].size and valid[b].size:
            test = stats.compare_samples(valid[a], valid[b])
            rows.append(PairRow(column, a, b, test, float(np.median(valid[a])), float(np.median(valid[b]))))
    return rows


def _drop_nan(values: np.ndarray) -> np.ndarray:
    return values[~np.isnan(values)]


def _share(spec: ShareSpec, corpus: str, values: np.ndarray) -> ShareRow:
    return ShareRow(corpus, spec.name, int(values.size), int(spec.test(values).sum()))
