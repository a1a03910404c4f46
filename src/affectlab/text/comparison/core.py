"""Compare corpora from score parquet files: descriptives, shares and pairwise tests per measure.

Only the ``corpus`` column and one measure column at a time are read (pyarrow, batch by batch), never the
``text`` column, so memory holds one measure of all corpora at once. Rows of the same corpus name in
several files are pooled (shards of one corpus); files without a ``corpus`` column are named by file stem.
A folder of parquet parts (``affectlab text profile --out DIR/``) is read as one file, parts in name order.
"""

from __future__ import annotations

import dataclasses
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

NAN = float("nan")
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
    adjusted: tuple[float, float, float] = (NAN, NAN, NAN)  # length-stratified delta and its 95% CI
    cluster_ci: tuple[float, float] = (NAN, NAN)  # cluster-bootstrap 95% CI of delta (NaN: not clustered)
    clusters: tuple[int, int] = (0, 0)  # clusters of a and b behind cluster_ci

    @property
    def clustered(self) -> bool:
        return bool(np.isfinite(self.cluster_ci[0]))

    @property
    def delta_ci(self) -> tuple[float, float]:
        """The CI conclusions use: the cluster bootstrap's when the texts are clustered, else Feng-Cliff."""
        return self.cluster_ci if self.clustered else (self.test.delta_ci_low, self.test.delta_ci_high)


@dataclass(frozen=True)
class Group:
    """One corpus's valid values of one measure with the length bin and cluster code of each text."""

    values: np.ndarray
    bins: np.ndarray | None  # token-count bin per text (None: no n_tokens column)
    clusters: np.ndarray | None  # cluster codes 0 .. k-1 (None: no cluster column)


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
    contrasts: list[tuple[str, str]] = field(default_factory=list)  # the comparisons the headline answers
    languages: dict[str, dict[str | None, int]] = field(default_factory=dict)  # corpus -> lang -> texts
    alpha: float = 0.05  # a direction is stated only when its CI excludes 0 and the Holm p is below alpha
    length_adjusted: bool = False  # the inputs have n_tokens: pairs carry the length-stratified delta
    cluster_column: str | None = None  # the column whose values are the sampling units
    units: dict[str, dict[str, int]] = field(default_factory=dict)  # corpus -> unit name -> clusters


class ScoreSource(Protocol):
    """Per-text scores of one or more corpora: a score file, a folder of parts, or a DataFrame."""

    label: str  # how messages name it (a path, or "DataFrame 'name'")

    def schema(self) -> pa.Schema: ...

    def stem_named(self) -> str | None:
        """The corpus name given by a file name when the scores have no ``corpus`` column."""
        ...

    def read(self, column: str, by: str | None = None) -> dict[str, np.ndarray]:
        """Values of ``column`` per corpus name, or per value of column ``by`` when the scores have it
        (NaN for nulls; strings as objects for a string column)."""
        ...

    def rows(self) -> int:
        """Number of rows."""
        ...

    def first_ids(self, limit: int) -> set[tuple[str, str]]:
        """(corpus, id) of up to ``limit`` first rows (empty when there is no id column)."""
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
    shown_as: str | None = None  # the name errors use (a file profiled into a staging folder: its final path)
    corpus: str | None = None  # every row belongs to this corpus (a mapping's key), whatever the file says

    @property
    def label(self) -> str:
        return self.shown_as or str(self.path)

    def schema(self) -> pa.Schema:
        return _schema(self.path)

    def stem_named(self) -> str | None:
        return None if self.corpus is not None or "corpus" in self.schema().names else _stem(self.path)

    @property
    def default_name(self) -> str:
        """The corpus of rows the file does not name: the given one, else the file's stem."""
        return self.corpus if self.corpus is not None else _stem(self.path)

    def read(self, column: str, by: str | None = None) -> dict[str, np.ndarray]:
        chunks: dict[str, list[np.ndarray]] = {}
        for part in _parquet_files(self.path):
            try:
                self._read_part(part, column, by, chunks)
            except (OSError, pa.ArrowException, ValueError) as err:
                raise AffectlabError(f"{part}: not a readable score file ({_first_line(err)})") from None
        return {name: np.concatenate(parts) for name, parts in chunks.items()}

    def _read_part(self, part: Path, column: str, by: str | None, chunks: dict[str, list[np.ndarray]]) -> None:
        file = pq.ParquetFile(part)
        names = file.schema_arrow.names
        named = "corpus" in names and self.corpus is None  # the file's corpus column names its rows
        label = by if by is not None and by in names else "corpus" if named else None
        columns = [column] if label is None else list(dict.fromkeys([label, *(["corpus"] if named else []), column]))
        for batch in file.iter_batches(columns=columns, batch_size=65_536):
            values = _values(batch.column(column))
            if label is None:
                chunks.setdefault(self.default_name, []).append(values)
                continue
            groups = batch.column(label).cast(pa.string())
            if label != "corpus" and named:  # no value of --by: the row keeps its corpus name
                groups = pc.coalesce(groups, batch.column("corpus").cast(pa.string()))
            for name in pc.unique(groups).to_pylist():
                mask = pc.is_null(groups) if name is None else pc.equal(groups, name)
                chunks.setdefault(name or self.default_name, []).append(values[mask.to_numpy(zero_copy_only=False)])

    def rows(self) -> int:
        try:
            return sum(pq.ParquetFile(part).metadata.num_rows for part in _parquet_files(self.path))
        except (OSError, pa.ArrowException) as err:
            raise AffectlabError(f"{self.path}: not a readable score file ({_first_line(err)})") from None

    def first_ids(self, limit: int) -> set[tuple[str, str]]:
        file = pq.ParquetFile(_parquet_files(self.path)[0])
        names = file.schema_arrow.names
        if "id" not in names:
            return set()
        named = "corpus" in names and self.corpus is None
        columns = ["id", "corpus"] if named else ["id"]
        try:
            batch = next(file.iter_batches(columns=columns, batch_size=limit), None)
        except (OSError, pa.ArrowException) as err:
            raise AffectlabError(f"{self.path}: not a readable score file ({_first_line(err)})") from None
        if batch is None:
            return set()
        ids = batch.column("id").cast(pa.string()).to_pylist()
        corpora = batch.column("corpus").cast(pa.string()).to_pylist() if named else [self.default_name] * len(ids)
        return set(zip(corpora, ids, strict=True))


def _values(column: pa.Array) -> np.ndarray:
    """Numbers as float64 (NaN for nulls); strings as an object array (None for nulls)."""
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return np.asarray(column.to_pylist(), dtype=object)
    return column.cast(pa.float64()).to_numpy(zero_copy_only=False)


def _first_line(err: BaseException) -> str:
    return (str(err).splitlines() or [type(err).__name__])[0]


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

    def read(self, column: str, by: str | None = None) -> dict[str, np.ndarray]:
        values = _values(self.table.column(column).combine_chunks())
        if by is None or by not in self.table.column_names:
            return {self.name: values}
        groups = self.table.column(by).cast(pa.string()).to_pylist()
        out: dict[str, list] = {}
        for name, value in zip(groups, values, strict=True):
            out.setdefault(name or self.name, []).append(value)
        return {name: np.asarray(items, dtype=values.dtype) for name, items in out.items()}

    def rows(self) -> int:
        return self.table.num_rows

    def first_ids(self, limit: int) -> set[tuple[str, str]]:
        return set()


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


def read_measure(sources: Sequence[ScoreSource], column: str, by: str | None = None) -> dict[str, np.ndarray]:
    """Values of ``column`` per corpus name (or ``by`` value; NaN for nulls); rows of one name in several
    inputs pooled."""
    chunks: dict[str, list[np.ndarray]] = {}
    for source in sources:
        for name, values in source.read(column, by).items():
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


ID_CHECK_ROWS = 1000  # first ids compared between inputs that hold the same corpus


def check_inputs(sources: Sequence[ScoreSource]) -> None:
    """Refuse the same file twice, an input without rows, and two inputs holding the same texts of one
    corpus (the first :data:`ID_CHECK_ROWS` ids of each are compared): each would bias n silently."""
    seen: dict[Path, str] = {}
    for source in sources:
        if isinstance(source, ParquetScores):
            key = source.path.resolve()
            if key in seen:
                raise AffectlabError(f"{source.label}: given twice (also as {seen[key]}); every input is read once")
            seen[key] = source.label
    for source in sources:
        if source.rows() == 0 and len(sources) > 1:
            raise AffectlabError(f"{source.label}: no rows to compare (an empty score file)")
    ids = [(source, source.first_ids(ID_CHECK_ROWS)) for source in sources]
    for (a, ids_a), (b, ids_b) in itertools.combinations(ids, 2):
        shared = ids_a & ids_b
        if shared:
            corpus, text_id = sorted(shared)[0]
            raise AffectlabError(
                f"{b.label}: holds the same texts as {a.label} (corpus {corpus!r}, id {text_id!r} and "
                f"{len(shared) - 1} more of the first {ID_CHECK_ROWS:,}); each text may be compared once"
            )


def compare(
    inputs: Sequence[ScoreSource | str | Path],
    *,
    measures: Sequence[str] | None = None,
    groups: Mapping[str, str] | None = None,
    seed: int = 0,
    by: str | None = None,
    contrasts: Sequence[tuple[str, str]] = (),
    alpha: float = 0.05,
    cluster: str | None = None,
    on_measure: Callable[[str, int], None] | None = None,
) -> Comparison:
    """Describe every measure per corpus, the shares, and test every pair of corpora (Holm over all).

    ``inputs`` are score files/folders or :class:`ScoreSource` objects. ``by`` names a kept column
    (``--keep-columns``) whose values replace the corpus names (rows without one keep theirs); ``groups``
    then pools those names. ``contrasts`` are ``(a, b)`` pairs of compared names the headline answers.
    ``cluster`` names the column of sampling units (default: ``cluster`` when an input has it; ``"none"``:
    texts are independent): the pairs the headline answers (every pair without ``contrasts``) get a
    seeded cluster-bootstrap CI of delta. With ``n_tokens`` in every input each pair also gets the
    length-stratified delta. ``on_measure(column, total)`` is called after each measure (for progress bars).
    """
    sources = [as_source(item) for item in inputs]
    check_inputs(sources)
    if by is not None and not any(by in s.schema().names for s in sources):
        raise AffectlabError(f"--by {by}: no input has that column; keep it with 'text profile --keep-columns'")
    columns, skipped = resolve_measures(sources, measures)
    cluster = _cluster_column(sources, cluster)
    result = Comparison(corpora=[], measures=columns, skipped=skipped, alpha=alpha, cluster_column=cluster)
    lengths = _lengths(sources, by, groups)
    result.length_adjusted = lengths is not None
    units = _clusters(sources, cluster, columns[0], by, groups) if cluster and columns else None
    for column in columns:
        raw = read_measure(sources, column, by)
        if not result.corpora:
            _check_corpora(sources, list(raw), groups)
        samples = pool(raw, groups)
        del raw
        if not result.corpora:
            result.corpora = list(samples)
            boot = _bootstrapped(contrasts, result.corpora) if units else set()
        valid = {c: _group(samples.get(c, np.empty(0)), c, lengths, units) for c in result.corpora}
        if units and not result.units:
            result.units = {c: _unit_counts(units[c]) for c in result.corpora}
        result.describe[column] = {c: stats.describe(g.values, seed=seed) for c, g in valid.items()}
        result.pairs += _pairs(column, valid, result.corpora, boot, seed)
        valid = {c: g.values for c, g in valid.items()}
        result.shares += [_share(spec, c, v) for spec in _shares_of(column) for c, v in valid.items()]
        result.samples[column] = {c: subsample(v, PLOT_SAMPLE, seed) for c, v in valid.items()}
        del samples, valid
        if on_measure is not None:
            on_measure(column, len(columns))
    _check_valid_rows(sources, result)
    result.contrasts = _check_contrasts(contrasts, result.corpora)
    result.languages = _languages(sources, by, groups, result.corpora)
    result.empty = [m for m in columns if all(d.n == 0 for d in result.describe[m].values())]
    result.measures = [m for m in columns if m not in result.empty]
    adjusted = stats.holm([p.test.p_value for p in result.pairs])
    result.pairs = [dataclasses.replace(p, p_holm=q) for p, q in zip(result.pairs, adjusted, strict=True)]
    return result


def _cluster_column(sources: Sequence[ScoreSource], wanted: str | None) -> str | None:
    """The column of sampling units: ``wanted`` (it must be in an input), else ``cluster`` when present."""
    if wanted == "none":
        return None
    present = any((wanted or "cluster") in s.schema().names for s in sources)
    if wanted and not present:
        raise AffectlabError(
            f"--cluster {wanted}: no input has that column (profile keeps 'cluster' for COCO, Flickr8k and the "
            "art corpora; other columns with --keep-columns)"
        )
    return (wanted or "cluster") if present else None


def _lengths(
    sources: Sequence[ScoreSource], by: str | None, groups: Mapping[str, str] | None
) -> dict[str, np.ndarray] | None:
    """Token counts per compared name, aligned with every measure column; None without ``n_tokens``."""
    if not all("n_tokens" in s.schema().names for s in sources):
        return None
    return pool(read_measure(sources, "n_tokens", by), groups)


def _clusters(
    sources: Sequence[ScoreSource], column: str, rows_of: str, by: str | None, groups: Mapping[str, str] | None
) -> dict[str, np.ndarray]:
    """The sampling unit of every text per compared name. Equal values are one unit, also across the corpora
    pooled into a group (the lines and the stanzas of one poem; merging can only widen an interval); a text
    without a unit (no such column, empty value) is its own. A source without ``column`` is read at
    ``rows_of`` (a measure column) for its number of rows."""
    labelled: dict[str, np.ndarray] = {}
    for source in sources:
        has = column in source.schema().names
        for name, values in source.read(column if has else rows_of, by).items():
            units = np.asarray([str(v) if has and _is_unit(v) else None for v in values.tolist()], dtype=object)
            labelled[name] = np.concatenate([labelled[name], units]) if name in labelled else units
    pooled = pool(labelled, groups)
    for units in pooled.values():
        alone = np.flatnonzero(np.equal(units, None))
        units[alone] = [f"{_ALONE}{i}" for i in range(alone.size)]  # one unit per text without one
    return pooled


_ALONE = "\x1e"  # prefix of the made-up unit of a text without one


def _is_unit(value: object) -> bool:
    return value is not None and value != "" and not (isinstance(value, float) and np.isnan(value))


def _unit_counts(units: np.ndarray) -> dict[str, int]:
    """Clusters per unit name (the value's prefix before ``:``, e.g. ``image``; ``text`` for a text on its
    own), most clusters first."""
    counts: dict[str, int] = {}
    for unit in np.unique(units).tolist():
        if unit.startswith(_ALONE):
            name = "text"
        else:
            name = unit.split(":", 1)[0] if ":" in unit else "cluster"
        counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: -item[1]))


def _bootstrapped(contrasts: Sequence[tuple[str, str]], corpora: Sequence[str]) -> set[frozenset[str]]:
    """The pairs that get the cluster bootstrap: the contrasts, else every pair (it costs O(n) per resample)."""
    if contrasts:
        return {frozenset(c) for c in contrasts}
    return {frozenset(p) for p in itertools.combinations(corpora, 2)}


def _group(
    values: np.ndarray, name: str, lengths: Mapping[str, np.ndarray] | None, units: Mapping[str, np.ndarray] | None
) -> Group:
    keep = ~np.isnan(values)
    bins = None if lengths is None else stats.length_bins(np.nan_to_num(lengths[name][keep], nan=0.0))
    codes = None
    if units is not None:
        codes = np.unique(units[name][keep], return_inverse=True)[1].reshape(-1)
    return Group(values[keep], bins, codes)


def _check_contrasts(contrasts: Sequence[tuple[str, str]], corpora: Sequence[str]) -> list[tuple[str, str]]:
    checked = []
    for a, b in contrasts:
        unknown = [name for name in (a, b) if name not in corpora]
        if unknown or a == b:
            what = f"names {', '.join(map(repr, unknown))}" if unknown else "compares a corpus with itself"
            raise AffectlabError(f"--contrast {a}:{b}: {what}; compared are {', '.join(corpora)}")
        checked.append((a, b))
    return checked


def _languages(
    sources: Sequence[ScoreSource], by: str | None, groups: Mapping[str, str] | None, corpora: Sequence[str]
) -> dict[str, dict[str | None, int]]:
    """Texts per language code (None: no language evidence) per compared corpus, when inputs have ``lang``."""
    with_lang = [s for s in sources if "lang" in s.schema().names]
    if not with_lang:
        return {}
    counts: dict[str, dict[str | None, int]] = {c: {} for c in corpora}
    for name, values in pool(read_measure(with_lang, "lang", by), groups).items():
        codes, n = np.unique(np.asarray(["" if v is None else v for v in values], dtype=object), return_counts=True)
        for code, count in sorted(zip(codes.tolist(), n.tolist(), strict=True), key=lambda item: -item[1]):
            counts.setdefault(name, {})[code or None] = int(count)
    return counts


def _check_valid_rows(sources: Sequence[ScoreSource], result: Comparison) -> None:
    for corpus in result.corpora:
        if all(result.describe[m][corpus].n == 0 for m in result.measures):
            raise AffectlabError(
                f"{', '.join(s.label for s in sources)}: corpus {corpus!r} has no rows with a valid score "
                f"in any of {', '.join(result.measures)}"
            )


def _pairs(
    column: str, valid: Mapping[str, Group], corpora: Sequence[str], boot: set[frozenset[str]], seed: int
) -> list[PairRow]:
    rows = []
    for a, b in itertools.combinations(corpora, 2):
        ga, gb = valid[a], valid[b]
        if not (ga.values.size and gb.values.size):
            continue
        test = stats.compare_samples(ga.values, gb.values)
        row = PairRow(column, a, b, test, float(np.median(ga.values)), float(np.median(gb.values)))
        if ga.bins is not None and gb.bins is not None:
            row = dataclasses.replace(row, adjusted=stats.stratified_delta(ga.values, gb.values, ga.bins, gb.bins))
        if ga.clusters is not None and gb.clusters is not None and frozenset((a, b)) in boot:
            bins_a = ga.bins if ga.bins is not None else np.zeros(ga.values.size, dtype=np.int64)
            bins_b = gb.bins if gb.bins is not None else np.zeros(gb.values.size, dtype=np.int64)
            low, high, adj_low, adj_high = stats.cluster_bootstrap(
                ga.values, gb.values, ga.clusters, gb.clusters, bins_a, bins_b, seed=seed
            )
            adjusted = (row.adjusted[0], adj_low, adj_high) if ga.bins is not None else row.adjusted
            row = dataclasses.replace(row, cluster_ci=(low, high), adjusted=adjusted,
                                      clusters=(int(ga.clusters.max()) + 1, int(gb.clusters.max()) + 1))  # fmt: skip
        rows.append(row)
    return rows


def _shares_of(column: str) -> tuple[Share, ...]:
    declared = declared_columns().get(column)
    return declared.shares if declared else ()


def _share(spec: Share, corpus: str, values: np.ndarray) -> ShareRow:
    return ShareRow(corpus, spec.title, int(values.size), int(spec.test(values).sum()))
