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
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from affectlab.errors import AffectlabError
from affectlab.report.thinning import subsample
from affectlab.text.comparison import stats
from affectlab.text.measures import Column, Share, declared_columns

PLOT_SAMPLE = 20_000  # values kept per corpus and measure for the distribution plots (seeded subsample)


def compared_columns() -> dict[str, Column]:
    """Columns compared by default (declared ``compare=True``), in declaration order."""
    return {name: c for name, c in declared_columns().items() if c.compare}


def required_columns() -> list[str]:
    """Columns every score file must have: the headline measures and those the shares need."""
    return [name for name, c in declared_columns().items() if c.required]


def column_label(name: str) -> str:
    """The plot label of a declared column (the name itself for an undeclared one)."""
    column = declared_columns().get(name)
    return column.label if column else name


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


class ScoreSource(Protocol):
    """Per-text scores of one or more corpora: a score file, a folder of parts, or a DataFrame."""

    label: str  # how messages name it (a path, or "DataFrame 'name'")

    def schema(self) -> pa.Schema: ...

    def stem_named(self) -> str | None:
        """The corpus name given by a file name when the scores have no ``corpus`` column."""
        ...

    def read(self, column: str) -> dict[str, np.ndarray]:
        """Values of ``column`` per corpus name (NaN for nulls)."""
        ...


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


def _stem(path: Path) -> str:
    return path.name.split(".")[0]


@dataclass(frozen=True)
class ParquetScores:
    """A score parquet file or folder of parts, read one column at a time, batch by batch."""

    path: Path

    @property
    def label(self) -> str:
        return str(self.path)

    def schema(self) -> pa.Schema:
        return _schema(self.path)

    def stem_named(self) -> str | None:
        return None if "corpus" in self.schema().names else _stem(self.path)

    def read(self, column: str) -> dict[str, np.ndarray]:
        chunks: dict[str, list[np.ndarray]] = {}
        for part in _parquet_files(self.path):
            file = pq.ParquetFile(part)
            has_corpus = "corpus" in file.schema_arrow.names
            columns = ["corpus", column] if has_corpus else [column]
            for batch in file.iter_batches(columns=columns, batch_size=65_536):
                values = batch.column(column).cast(pa.float64()).to_numpy(zero_copy_only=False)
                if not has_corpus:
                    chunks.setdefault(_stem(self.path), []).append(values)
                    continue
                names = batch.column("corpus").cast(pa.string())
                for name in pc.unique(names).to_pylist():
                    mask = pc.is_null(names) if name is None else pc.equal(names, name)
                    chunks.setdefault(name or _stem(self.path), []).append(values[mask.to_numpy(zero_copy_only=False)])
        return {name: np.concatenate(parts) for name, parts in chunks.items()}


@dataclass(frozen=True, eq=False)  # identity, not value: holds a table
class FrameScores:
    """Scores held in memory (a DataFrame or Arrow table): every row belongs to corpus ``name``."""

    name: str
    table: pa.Table

    @property
    def label(self) -> str:
        return f"DataFrame {self.name!r}"

    def schema(self) -> pa.Schema:
        return self.table.schema

    def stem_named(self) -> str | None:
        return None

    def read(self, column: str) -> dict[str, np.ndarray]:
        values = self.table.column(column).cast(pa.float64()).to_numpy(zero_copy_only=False)
        return {self.name: np.asarray(values, dtype=np.float64)}


def as_source(item: ScoreSource | str | Path) -> ScoreSource:
    """A score source for a path (file or folder of parts) or an existing source."""
    return ParquetScores(Path(item)) if isinstance(item, str | Path) else item


def resolve_measures(sources: Sequence[ScoreSource], wanted: Sequence[str] | None) -> tuple[list[str], list[str]]:
    """Measures to compare (known ones present in every input, or ``wanted``) and those skipped.

    A required or explicitly wanted measure missing from an input is an error naming it.
    """
    schemas = {s: s.schema() for s in sources}
    stems = [name for name in (s.stem_named() for s in sources) if name is not None]
    if len(stems) != len(set(stems)):
        raise AffectlabError(
            f"files without a 'corpus' column share a name ({', '.join(stems)}); rename them or profile "
            "them with 'affectlab text profile', which records the corpus name"
        )
    for source, schema in schemas.items():
        needed = list(wanted) if wanted else required_columns()
        missing = [c for c in needed if c not in schema.names]
        if missing:
            raise AffectlabError(
                f"{source.label}: missing measure column(s) {', '.join(missing)}; is it a score file from "
                "'affectlab text profile' with the same measures as the other inputs?"
            )
        for column in needed:
            kind = schema.field(column).type
            if not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)):
                raise AffectlabError(f"{source.label}: column {column} has type {kind}, expected numbers")
    if wanted:
        return list(wanted), []
    present = [c for c in compared_columns() if any(c in s.names for s in schemas.values())]
    common = [c for c in present if all(c in s.names for s in schemas.values())]
    return common, [c for c in present if c not in common]


def read_measure(sources: Sequence[ScoreSource], column: str) -> dict[str, np.ndarray]:
    """Values of ``column`` per corpus name (NaN for nulls); rows of one name in several inputs pooled."""
    chunks: dict[str, list[np.ndarray]] = {}
    for source in sources:
        for name, values in source.read(column).items():
            chunks.setdefault(name, []).append(values)
    return {name: np.concatenate(parts) for name, parts in chunks.items()}


def pool(samples: Mapping[str, np.ndarray], groups: Mapping[str, str] | None) -> dict[str, np.ndarray]:
    """Concatenate the corpora of each group (``groups`` maps corpus -> group; others stay alone)."""
    if not groups:
        return dict(samples)
    pooled: dict[str, list[np.ndarray]] = {}
    for name, values in samples.items():
        pooled.setdefault(groups.get(name, name), []).append(values)
    return {name: np.concatenate(parts) for name, parts in pooled.items()}


def _check_corpora(sources: Sequence[ScoreSource], names: Sequence[str], groups: Mapping[str, str] | None) -> None:
    if not names:
        raise AffectlabError(f"{', '.join(s.label for s in sources)}: no rows to compare")
    unknown = sorted(set(groups or {}) - set(names))
    if unknown:
        raise AffectlabError(
            f"--group names corpora not in the inputs: {', '.join(unknown)}; corpora are {', '.join(names)}"
        )


def compare(
    inputs: Sequence[ScoreSource | str | Path],
    *,
    measures: Sequence[str] | None = None,
    groups: Mapping[str, str] | None = None,
    seed: int = 0,
    on_measure: Callable[[str, int], None] | None = None,
) -> Comparison:
    """Describe every measure per corpus, the shares, and test every pair of corpora (Holm over all).

    ``inputs`` are score files/folders or :class:`ScoreSource` objects. ``on_measure(column, total)`` is
    called after each measure (for progress bars).
    """
    sources = [as_source(item) for item in inputs]
    columns, skipped = resolve_measures(sources, measures)
    result = Comparison(corpora=[], measures=columns, skipped=skipped)
    for column in columns:
        raw = read_measure(sources, column)
        if not result.corpora:
            _check_corpora(sources, list(raw), groups)
        samples = pool(raw, groups)
        del raw
        if not result.corpora:
            result.corpora = list(samples)
        valid = {c: _drop_nan(samples.get(c, np.empty(0))) for c in result.corpora}
        result.describe[column] = {c: stats.describe(v, seed=seed) for c, v in valid.items()}
        result.pairs += _pairs(column, valid, result.corpora)
        result.shares += [_share(spec, c, v) for spec in _shares_of(column) for c, v in valid.items()]
        result.samples[column] = {c: subsample(v, PLOT_SAMPLE, seed) for c, v in valid.items()}
        del samples, valid
        if on_measure is not None:
            on_measure(column, len(columns))
    _check_valid_rows(sources, result)
    result.empty = [m for m in columns if all(d.n == 0 for d in result.describe[m].values())]
    result.measures = [m for m in columns if m not in result.empty]
    adjusted = stats.holm([p.test.p_value for p in result.pairs])
    result.pairs = [
        PairRow(p.measure, p.corpus_a, p.corpus_b, p.test, p.median_a, p.median_b, q)
        for p, q in zip(result.pairs, adjusted, strict=True)
    ]
    return result


def _check_valid_rows(sources: Sequence[ScoreSource], result: Comparison) -> None:
    for corpus in result.corpora:
        if all(result.describe[m][corpus].n == 0 for m in result.measures):
            raise AffectlabError(
                f"{', '.join(s.label for s in sources)}: corpus {corpus!r} has no rows with a valid score "
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


def _shares_of(column: str) -> tuple[Share, ...]:
    declared = declared_columns().get(column)
    return declared.shares if declared else ()


def _share(spec: Share, corpus: str, values: np.ndarray) -> ShareRow:
    return ShareRow(corpus, spec.title, int(values.size), int(spec.test(values).sum()))
