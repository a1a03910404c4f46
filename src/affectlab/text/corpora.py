"""Corpus readers: caption and text files -> streamed Arrow batches of ``(id, corpus, text, kept...)``.

Formats: COCO caption json, Flickr8k token files, Conceptual Captions TSV (``caption<TAB>url``), parquet
shards (LAION style), jsonl, csv and tsv with a header row (PartiPrompts), and plain text (one text per
line). Every line format, jsonl and COCO json may be compressed (gzip, bzip2, xz, zstandard), detected by
magic bytes and decompressed while streaming (never to disk). Every reader streams: line formats line by
line, parquet by record batch, COCO json with an incremental decoder, so memory stays bounded by the batch.

Ids are stable strings: the COCO annotation id, the Flickr8k ``image.jpg#n`` key, otherwise
``<file stem>:<n>`` with ``n`` the 1-based line number (txt, cc, jsonl) or record number (csv, tsv,
parquet); the stem of ``poems.jsonl.gz`` is ``poems``, so a compressed file has the ids of the same file
uncompressed. Bytes that are not UTF-8 are decoded with ``errors="replace"`` (each bad byte becomes U+FFFD),
binary parquet columns too; a record without a text (null, missing key) gets a null ``text``; the row is
always kept. A text value that is not a string (a number, a list) is converted to its JSON text with one
warning per file giving the count (:class:`TextValueWarning`), or refused with ``strict=True``.

``keep`` columns (tabular formats and COCO annotation fields) travel with every row as strings, after
``text``, so the scores can later be grouped by them (``text compare --by Category``).

The sampling unit of a text travels as a last ``cluster`` column (``text compare`` bootstraps whole units):
``image:<image_id>`` for COCO (five captions per image), ``image:<file name>`` for Flickr8k, and a tabular
file's own ``cluster`` column when it has one (the art corpora: ``poem:...``, ``painting:...``).
"""

from __future__ import annotations

import bz2
import contextlib
import csv
import gzip
import io
import json
import lzma
import re
import sys
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO, TextIO

import pyarrow as pa
import pyarrow.parquet as pq

from affectlab.errors import AffectlabError

FORMATS: tuple[str, ...] = ("coco", "flickr8k", "cc", "parquet", "jsonl", "csv", "tsv", "txt")
TABULAR_FORMATS = frozenset({"parquet", "jsonl", "csv", "tsv"})
KEEP_FORMATS = TABULAR_FORMATS | {"coco"}  # formats whose records have other fields to keep
UNIT_FORMATS = frozenset({"coco", "flickr8k"})  # formats whose texts come in clusters (an image's captions)
DEFAULT_TEXT_COLUMNS: tuple[str, ...] = ("text", "caption", "prompt")  # matched case-insensitively
BATCH_SCHEMA = pa.schema([("id", pa.string()), ("corpus", pa.string()), ("text", pa.string())])
RESERVED_COLUMNS = frozenset(BATCH_SCHEMA.names) | {"lang"}

# Magic bytes of the compressions read transparently, and the file name suffixes they use.
COMPRESSIONS: dict[str, bytes] = {
    "gzip": b"\x1f\x8b",
    "bzip2": b"BZh",
    "xz": b"\xfd7zXZ\x00",
    "zstd": b"\x28\xb5\x2f\xfd",
}
COMPRESSED_SUFFIXES = (".gz", ".gzip", ".bz2", ".xz", ".zst", ".zstd")

_EXTENSIONS = {
    ".json": "coco",
    ".parquet": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "cc",  # a headered TSV (PartiPrompts) is told apart by its header row
    ".txt": "txt",
}
_FLICKR_LINE = re.compile(r"^[^\s#]+#\d+[\t ]")
_SNIFF_BYTES = 1 << 16
_CHUNK_CHARS = 1 << 20

__all__ = [
    "BATCH_SCHEMA",
    "FORMATS",
    "Corpus",
    "Shard",
    "TextValueWarning",
    "batch_schema",
    "compression_of",
    "detect_format",
    "iter_batches",
    "open_corpus",
    "open_text",
    "read_corpus",
    "shards",
]


class TextValueWarning(UserWarning):
    """Text values that are not strings were converted to text (once per file, with the count)."""


@dataclass(frozen=True)
class Corpus:
    """One input file, resolved: format, corpus name, text column, kept columns, rows when known."""

    path: Path
    format: str
    name: str
    text_column: str | None = None
    rows: int | None = None  # from the parquet footer; None for formats that must be read to count
    keep: tuple[str, ...] = ()  # other columns carried into every row (as strings)
    compression: str | None = None  # gzip, bzip2, xz or zstd (None: plain)
    strict: bool = False  # refuse text values that are not strings instead of converting them
    cluster: bool = False  # a last ``cluster`` column of sampling units (COCO, Flickr8k: the image)

    @property
    def stem(self) -> str:
        """The file name without its compression suffix and extension (ids are ``stem:n``)."""
        return Path(_without_compression_suffix(self.path.name)).stem

    @property
    def schema(self) -> pa.Schema:
        """Schema of this corpus's batches."""
        return batch_schema((*self.keep, "cluster") if self.cluster else self.keep)


@dataclass(frozen=True)
class Shard:
    """A unit of reading that engines can hand to a worker: a whole file, or one parquet row group."""

    corpus: Corpus
    row_group: int | None = None  # parquet row group; None = the whole file
    first_row: int = 0  # rows of the file before this shard, so ids continue across shards
    rows: int | None = None


def batch_schema(keep: Sequence[str] = ()) -> pa.Schema:
    """``id, corpus, text`` and the kept columns (strings)."""
    return pa.schema([*BATCH_SCHEMA, *(pa.field(name, pa.string()) for name in keep)])


def shards(corpus: Corpus) -> list[Shard]:
    """Split ``corpus`` into shards read independently: parquet by row group, other formats whole."""
    if corpus.format != "parquet":
        return [Shard(corpus, rows=corpus.rows)]
    metadata = pq.ParquetFile(corpus.path).metadata
    out, first_row = [], 0
    for group in range(metadata.num_row_groups):
        rows = metadata.row_group(group).num_rows
        out.append(Shard(corpus, group, first_row, rows))
        first_row += rows
    return out


def _without_compression_suffix(name: str) -> str:
    lower = name.lower()
    for suffix in COMPRESSED_SUFFIXES:
        if lower.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def compression_of(path: Path) -> str | None:
    """The compression of ``path`` by its magic bytes (gzip, bzip2, xz, zstd), or None."""
    with path.open("rb") as fh:
        head = fh.read(6)
    return next((name for name, magic in COMPRESSIONS.items() if head.startswith(magic)), None)


def _open_binary(path: Path, compression: str | None) -> BinaryIO:
    """``path`` opened for reading bytes, decompressed on the fly when compressed."""
    if compression is None:
        return path.open("rb")
    if compression == "gzip":
        return gzip.open(path, "rb")
    if compression == "bzip2":
        return bz2.open(path, "rb")
    if compression == "xz":
        return lzma.open(path, "rb")
    try:
        import zstandard
    except ImportError:  # pragma: no cover - a declared dependency
        raise AffectlabError(f"{path}: zstandard-compressed; install the `zstandard` package") from None
    raw = path.open("rb")
    reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True, closefd=True)
    return io.BufferedReader(reader)


def open_text(path: Path, compression: str | None = None, newline: str | None = None) -> TextIO:
    """``path`` as UTF-8 text (BOM dropped, bad bytes replaced), decompressed on the fly when compressed."""
    return io.TextIOWrapper(_open_binary(path, compression), encoding="utf-8-sig", errors="replace", newline=newline)


def _read_errors() -> tuple[type[BaseException], ...]:
    """Exceptions of a damaged input (corrupt or truncated compressed streams included)."""
    errors: list[type[BaseException]] = [OSError, EOFError, lzma.LZMAError, pa.ArrowException, ValueError, csv.Error]
    if "zstandard" in sys.modules:
        errors.append(sys.modules["zstandard"].ZstdError)
    return tuple(errors)


def detect_format(path: Path, text_column: str | None = None) -> str:
    """Guess the format of ``path``: parquet magic bytes, then the extension, then the first line.

    Compressed files are judged by their decompressed content and the extension before the compression
    suffix (``poems.jsonl.gz`` is jsonl). A ``.tsv`` whose first row names the text column (``text_column``
    or one of the default names) is a headered TSV, otherwise Conceptual Captions.
    """
    compression = compression_of(path)
    try:
        with _open_binary(path, compression) as fh:
            head = fh.read(_SNIFF_BYTES)
    except _read_errors() as err:
        raise AffectlabError(f"{path}: cannot read ({compression or 'file'}: {_one_line(err)})") from err
    if head[:4] == b"PAR1":
        if compression:
            raise AffectlabError(f"{path}: a {compression}-compressed parquet file; decompress it first")
        return "parquet"
    suffix = Path(_without_compression_suffix(path.name)).suffix.lower() if compression else path.suffix.lower()
    by_extension = _EXTENSIONS.get(suffix)
    if by_extension == "parquet":
        raise AffectlabError(f"{path}: not a parquet file (missing the PAR1 magic bytes)")
    lines = head.decode("utf-8", "replace").lstrip("\ufeff").splitlines()
    first = next((line.strip() for line in lines if line.strip()), "")
    if by_extension == "cc":
        return "tsv" if _names_text_column(first.split("\t"), text_column) else "cc"
    if by_extension in ("jsonl", "csv"):
        return by_extension
    if b"\x00" in head:
        raise AffectlabError(f"{path}: cannot detect the format (binary content); pass --format")
    sniffed = _sniff_line(first)
    if by_extension == "coco":
        return "jsonl" if sniffed == "jsonl" else "coco"
    if by_extension == "txt":
        return sniffed if sniffed in ("flickr8k", "cc") else "txt"
    if sniffed is None:
        found = "empty file" if not head else f"unrecognised content, extension {suffix or '(none)'!r}"
        raise AffectlabError(f"{path}: cannot detect the format ({found}); pass --format, one of {', '.join(FORMATS)}")
    return sniffed


def _names_text_column(header: list[str], wanted: str | None) -> bool:
    """Whether a first row is a header naming the text column (``wanted``, else a default name)."""
    if wanted is not None:
        return wanted in header
    return any(cell.strip().lower() in DEFAULT_TEXT_COLUMNS for cell in header)


def _sniff_line(first: str) -> str | None:
    """Format suggested by a file's first non-blank line, or None."""
    if first.startswith("{"):
        try:
            record = json.loads(first)
        except (json.JSONDecodeError, RecursionError):  # a long or pretty-printed document, like the COCO json
            return "coco"
        return "coco" if isinstance(record, dict) and "annotations" in record else "jsonl"
    if _FLICKR_LINE.match(first):
        return "flickr8k"
    if "\t" in first and "://" in first.rsplit("\t", 1)[1]:
        return "cc"
    return None


def open_corpus(
    path: str | Path,
    format: str = "auto",
    text_column: str | None = None,
    corpus: str | None = None,
    keep: Sequence[str] = (),
    strict: bool = False,
) -> Corpus:
    """Check ``path``, resolve its format, corpus name, text and kept columns; AffectlabError if unusable.

    A parquet text column that is not a string column is converted with one :class:`TextValueWarning`
    here (``strict``: refused); jsonl and COCO values are checked while reading.
    """
    path = Path(path)
    if format != "auto" and format not in FORMATS:
        raise AffectlabError(f"{path}: unknown format {format!r}; expected auto or one of {', '.join(FORMATS)}")
    if not path.exists():
        raise AffectlabError(f"{path}: no such file")
    if not path.is_file():
        raise AffectlabError(f"{path}: not a file")
    try:
        compression = compression_of(path)
    except OSError as err:
        raise AffectlabError(f"{path}: cannot read ({err.strerror})") from None
    resolved = detect_format(path, text_column) if format == "auto" else format
    if compression and resolved == "parquet":
        raise AffectlabError(f"{path}: a {compression}-compressed parquet file; decompress it first")
    name = corpus or path.name.split(".")[0] or path.name
    keep = tuple(keep)
    _check_keep(path, resolved, keep, text_column)
    found = Corpus(path=path, format=resolved, name=name, keep=keep, compression=compression, strict=strict,
                   cluster=resolved in UNIT_FORMATS)  # fmt: skip
    if resolved in TABULAR_FORMATS:
        columns = _columns(found)
        column = _resolve_text_column(path, columns, text_column)
        missing = [c for c in keep if c not in columns]
        if missing:
            raise AffectlabError(f"{path}: no column(s) {', '.join(map(repr, missing))} to keep; columns are {columns}")
        if "cluster" in columns and "cluster" not in keep and column != "cluster":  # the file's sampling units
            keep = (*keep, "cluster")
        found = replace(found, text_column=column, keep=keep)
    if resolved == "parquet":
        found = replace(found, rows=pq.ParquetFile(path).metadata.num_rows)
        _check_parquet_text(found)
    return found


def _check_keep(path: Path, format: str, keep: tuple[str, ...], text_column: str | None) -> None:
    if not keep:
        return
    if format not in KEEP_FORMATS:
        raise AffectlabError(
            f"{path}: --keep-columns needs a format with columns ({', '.join(sorted(KEEP_FORMATS))}); {format} has none"
        )
    duplicated = sorted({c for c in keep if keep.count(c) > 1})
    reserved = sorted(set(keep) & RESERVED_COLUMNS)
    if duplicated or reserved or (text_column is not None and text_column in keep):
        bad = duplicated or reserved or [text_column]
        raise AffectlabError(f"{path}: cannot keep column {bad[0]!r} (a duplicate, the text column or a name "
                             f"of the output: {', '.join(sorted(RESERVED_COLUMNS))})")  # fmt: skip


def _check_parquet_text(corpus: Corpus) -> None:
    """Warn once (or refuse when strict) when the parquet text column does not hold strings."""
    kind = pq.ParquetFile(corpus.path).schema_arrow.field(corpus.text_column).type
    if _is_text_type(kind) or pa.types.is_null(kind):
        return
    file = pq.ParquetFile(corpus.path)
    count = sum(b.num_rows - b.column(0).null_count for b in file.iter_batches(columns=[corpus.text_column]))
    _non_strings(corpus, count, f"column {corpus.text_column!r} has type {kind}")


def _is_text_type(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return (
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
        or getattr(pa.types, "is_string_view", lambda _: False)(kind)
        or getattr(pa.types, "is_binary_view", lambda _: False)(kind)
    )


def _non_strings(corpus: Corpus, count: int, example: str) -> None:
    """Refuse (strict) or warn about ``count`` text values of ``corpus`` that are not strings."""
    if count == 0:
        return
    if corpus.strict:
        raise AffectlabError(f"{corpus.path}: text values must be strings ({example}); --strict refuses them")
    warnings.warn(
        f"{corpus.path}: {count:,} text value(s) are not strings ({example}); converted to their JSON text "
        "(pass --strict to refuse them)",
        TextValueWarning,
        stacklevel=2,
    )


def iter_batches(source: Corpus | Shard, batch_size: int = 1024) -> Iterator[pa.Table]:
    """Stream a corpus or shard as tables of at most ``batch_size`` rows (schema ``corpus.schema``)."""
    if batch_size < 1:
        raise AffectlabError(f"batch size must be at least 1, got {batch_size}")
    shard = source if isinstance(source, Shard) else Shard(source)
    corpus = shard.corpus
    try:
        if corpus.format == "parquet":
            yield from _parquet_batches(shard, batch_size)
        else:
            counter = _NonStrings()
            yield from _batched(corpus, _RECORD_READERS[corpus.format](corpus, counter), batch_size)
            _non_strings(corpus, counter.count, counter.example)
    except RecursionError:
        raise AffectlabError(f"{corpus.path}: invalid JSON (nested too deeply)") from None
    except _read_errors() as err:
        raise AffectlabError(f"{corpus.path}: cannot read as {corpus.format}: {_one_line(err)}") from err


def read_corpus(
    path: str | Path, format: str = "auto", text_column: str | None = None, keep: Sequence[str] = ()
) -> pa.Table:
    """Read a whole (small) corpus file into one table; use :func:`iter_batches` for large ones."""
    corpus = open_corpus(path, format, text_column, keep=keep)
    return pa.concat_tables([corpus.schema.empty_table(), *iter_batches(corpus)])


def _resolve_text_column(path: Path, columns: list[str], wanted: str | None) -> str:
    if wanted is not None:
        if wanted not in columns:
            raise AffectlabError(f"{path}: no text column {wanted!r}; columns are {columns}")
        return wanted
    by_lower = {c.lower(): c for c in reversed(columns)}
    for candidate in DEFAULT_TEXT_COLUMNS:
        if candidate in by_lower:
            return by_lower[candidate]
    raise AffectlabError(
        f"{path}: no text column (looked for {', '.join(DEFAULT_TEXT_COLUMNS)}); "
        f"columns are {columns}; pass --text-column"
    )


def _columns(corpus: Corpus) -> list[str]:
    """Column names of a tabular file: parquet schema, csv/tsv header, or keys of the first jsonl record."""
    path = corpus.path
    try:
        if corpus.format == "parquet":
            return list(pq.ParquetFile(path).schema_arrow.names)
        with open_text(path, corpus.compression, newline="") as fh:
            if corpus.format in ("csv", "tsv"):
                return next(_csv_reader(fh, corpus.format), [])
            for number, line in enumerate(fh, 1):
                if line.strip():
                    return list(json_record(path, number, line))
            return []
    except RecursionError:
        raise AffectlabError(f"{path}: invalid JSON (nested too deeply)") from None
    except _read_errors() as err:
        raise AffectlabError(f"{path}: cannot read as {corpus.format}: {_one_line(err)}") from err


def _csv_reader(fh: TextIO, format: str) -> Iterator[list[str]]:
    """csv with quoting; tsv as plain tab-separated fields (no quoting, as TSV files are written)."""
    if format == "tsv":
        return csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
    return csv.reader(fh)


def _parquet_batches(shard: Shard, batch_size: int) -> Iterator[pa.Table]:
    corpus, row = shard.corpus, shard.first_row
    groups = None if shard.row_group is None else [shard.row_group]
    file = pq.ParquetFile(corpus.path)
    columns = [corpus.text_column, *corpus.keep]
    schema = corpus.schema
    for batch in file.iter_batches(batch_size=batch_size, row_groups=groups, columns=columns):
        values = [_as_strings(batch.column(i)) for i in range(len(columns))]
        ids = [f"{corpus.stem}:{n}" for n in range(row + 1, row + batch.num_rows + 1)]
        row += batch.num_rows
        head = [pa.array(ids, pa.string()), pa.array([corpus.name] * len(ids), pa.string())]
        yield pa.Table.from_arrays([*head, *values], schema=schema)


def _as_strings(values: pa.Array) -> pa.Array:
    """A column as strings: binary decoded with replacement, numbers cast, nested values as JSON text."""
    kind = values.type
    if pa.types.is_dictionary(kind):
        values = values.dictionary_decode()
        kind = values.type
    if pa.types.is_string(kind):
        return values
    if pa.types.is_large_string(kind) or getattr(pa.types, "is_string_view", lambda _: False)(kind):
        return values.cast(pa.string())
    if _is_text_type(kind):  # binary: decode every value, bad bytes replaced
        return pa.array([None if v is None else v.decode("utf-8", "replace") for v in values.to_pylist()], pa.string())
    if pa.types.is_null(kind):
        return pa.nulls(len(values), pa.string())
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
        return values.cast(pa.string())
    return pa.array([_json_text(v) for v in values.to_pylist()], pa.string())


def _json_text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


Record = tuple[str, str | None, tuple[str | None, ...]]


class _NonStrings:
    """Counts text values that were not strings while a file is read (and remembers the first)."""

    def __init__(self) -> None:
        self.count = 0
        self.example = ""

    def text(self, value: object, corpus: Corpus, where: str) -> str | None:
        if value is None or value.__class__ is str:
            return value  # type: ignore[return-value]
        self.count += 1
        if self.count == 1:
            self.example = f"first a {type(value).__name__} at {where}"
            if corpus.strict:
                _non_strings(corpus, 1, self.example)
        return _json_text(value)


def _batched(corpus: Corpus, records: Iterable[Record], batch_size: int) -> Iterator[pa.Table]:
    ids: list[str] = []
    texts: list[str | None] = []
    kept: list[tuple[str | None, ...]] = []
    schema = corpus.schema
    for record_id, text, extra in records:
        ids.append(record_id)
        texts.append(text)
        kept.append(extra)
        if len(ids) == batch_size:
            yield _table(schema, corpus.name, ids, texts, kept)
            ids, texts, kept = [], [], []
    if ids:
        yield _table(schema, corpus.name, ids, texts, kept)


def _table(
    schema: pa.Schema, name: str, ids: list[str], texts: list[str | None], kept: list[tuple[str | None, ...]]
) -> pa.Table:
    columns = [ids, [name] * len(ids), texts]
    if len(schema) > 3:
        columns += [list(values) for values in zip(*kept, strict=True)]
    return pa.table(columns, schema=schema)


def _lines(corpus: Corpus) -> Iterator[tuple[int, str]]:
    """Numbered lines without their line ending (``\\n``, ``\\r\\n`` or ``\\r``)."""
    with open_text(corpus.path, corpus.compression) as fh:
        for number, line in enumerate(fh, 1):
            yield number, line.rstrip("\n")


def _txt_records(corpus: Corpus, counter: _NonStrings) -> Iterator[Record]:
    stem = corpus.stem
    for number, line in _lines(corpus):
        yield f"{stem}:{number}", line, ()


def _cc_records(corpus: Corpus, counter: _NonStrings) -> Iterator[Record]:
    stem = corpus.stem
    for number, line in _lines(corpus):
        yield f"{stem}:{number}", line.split("\t", 1)[0], ()


def _flickr_records(corpus: Corpus, counter: _NonStrings) -> Iterator[Record]:
    for _, line in _lines(corpus):
        key, sep, caption = line.partition("\t")
        if not sep:  # a few lines of the official file use a space instead of the tab
            key, _, caption = line.partition(" ")
        if key.strip():
            yield key.strip(), caption.strip(), (f"image:{key.strip().split('#')[0]}",)


def _jsonl_records(corpus: Corpus, counter: _NonStrings) -> Iterator[Record]:
    stem, column, keep = corpus.stem, corpus.text_column, corpus.keep
    for number, line in _lines(corpus):
        if line.strip():
            record = json_record(corpus.path, number, line)
            text = counter.text(record.get(column), corpus, f"line {number}")
            yield f"{stem}:{number}", text, tuple(_json_text(record.get(k)) for k in keep)


def _csv_records(corpus: Corpus, counter: _NonStrings) -> Iterator[Record]:
    stem = corpus.stem
    with open_text(corpus.path, corpus.compression, newline="") as fh, _csv_field_limit(sys.maxsize):
        reader = _csv_reader(fh, corpus.format)
        header = next(reader, [])
        column = header.index(corpus.text_column)
        kept = [header.index(k) for k in corpus.keep]
        for number, row in enumerate(reader, 1):
            yield (
                f"{stem}:{number}",
                row[column] if column < len(row) else None,
                tuple(row[k] if k < len(row) else None for k in kept),
            )


@contextlib.contextmanager
def _csv_field_limit(limit: int) -> Iterator[None]:
    """``csv.field_size_limit`` raised for one reader (a long text is one field), then restored."""
    previous = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _coco_records(corpus: Corpus, counter: _NonStrings) -> Iterator[Record]:
    stem, keep = corpus.stem, corpus.keep
    seen = dict.fromkeys(keep, False)
    with open_text(corpus.path, corpus.compression, newline="") as fh:
        found = False
        for key, values in _JsonStream(fh, corpus.path).top_level_arrays():
            if key != "annotations":
                for _ in values:  # drain (e.g. "images") without keeping it
                    pass
                continue
            found = True
            for number, annotation in enumerate(values, 1):
                if not isinstance(annotation, dict):
                    raise AffectlabError(f"{corpus.path}: annotation {number} is not a JSON object")
                ann_id = annotation.get("id")
                for k in keep:
                    seen[k] = seen[k] or k in annotation
                yield (
                    (f"{stem}:{number}" if ann_id is None else str(ann_id)),
                    counter.text(annotation.get("caption"), corpus, f"annotation {number}"),
                    (*(_json_text(annotation.get(k)) for k in keep), _image_unit(annotation.get("image_id"))),
                )
    if not found:
        raise AffectlabError(f"{corpus.path}: no 'annotations' array; not a COCO caption file")
    absent = [k for k, present in seen.items() if not present]
    if absent:
        raise AffectlabError(f"{corpus.path}: no annotation has the field(s) {', '.join(map(repr, absent))} to keep")


def _image_unit(image_id: object) -> str | None:
    return None if image_id is None else f"image:{_json_text(image_id)}"


_RECORD_READERS = {
    "txt": _txt_records,
    "cc": _cc_records,
    "flickr8k": _flickr_records,
    "jsonl": _jsonl_records,
    "csv": _csv_records,
    "tsv": _csv_records,
    "coco": _coco_records,
}


def json_record(path: Path, number: int, line: str) -> dict:
    """The JSON object on line ``number`` of ``path``, or a one-line error naming the line."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise AffectlabError(f"{path}: line {number} is not valid JSON ({err.msg})") from err
    except RecursionError:
        raise AffectlabError(f"{path}: line {number} is not valid JSON (nested too deeply)") from None
    if not isinstance(record, dict):
        raise AffectlabError(f"{path}: line {number} is not a JSON object")
    return record


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__


class _JsonStream:
    """Incremental reader for one JSON object whose big members are arrays (the COCO layout).

    Arrays are decoded one element at a time with the C decoder, so memory holds one element plus one
    read chunk, never the whole file.
    """

    def __init__(self, fh: TextIO, path: Path) -> None:
        self._fh, self._path = fh, path
        self._buf, self._pos, self._eof = "", 0, False
        self._decoder = json.JSONDecoder()

    def top_level_arrays(self) -> Iterator[tuple[str, Iterator[object]]]:
        """Yield ``(key, elements)`` for each array member; other members are decoded and skipped.

        Each ``elements`` iterator must be exhausted before the next member is read.
        """
        self._expect("{")
        if self._peek() == "}":
            return
        while True:
            key = self._value()
            self._expect(":")
            if self._peek() == "[":
                yield str(key), self._elements()
            else:
                self._value()
            if self._next_of(",}") == "}":
                return

    def _elements(self) -> Iterator[object]:
        self._expect("[")
        if self._peek() == "]":
            self._pos += 1
            return
        while True:
            yield self._value()
            if self._next_of(",]") == "]":
                return

    def _value(self) -> object:
        self._peek()
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as err:
                if self._eof:
                    raise AffectlabError(f"{self._path}: invalid JSON ({err.msg})") from err
                self._read()
                continue
            if end == len(self._buf) and not self._eof:  # a number may continue in the next chunk
                self._read()
                continue
            self._pos = end
            return value

    def _peek(self) -> str:
        while True:
            while self._pos < len(self._buf) and self._buf[self._pos].isspace():
                self._pos += 1
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if self._eof:
                raise AffectlabError(f"{self._path}: invalid JSON (unexpected end of file)")
            self._read()

    def _expect(self, char: str) -> None:
        self._next_of(char)

    def _next_of(self, chars: str) -> str:
        found = self._peek()
        if found not in chars:
            raise AffectlabError(f"{self._path}: invalid JSON (expected {' or '.join(chars)!s}, found {found!r})")
        self._pos += 1
        return found

    def _read(self) -> None:
        chunk = self._fh.read(max(_CHUNK_CHARS, len(self._buf) - self._pos))
        self._eof = not chunk
        self._buf = self._buf[self._pos :] + chunk
        self._pos = 0
