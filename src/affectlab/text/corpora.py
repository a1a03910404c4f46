"""Corpus readers: caption and text files -> streamed Arrow batches of ``(id, corpus, text)``.

Formats: COCO caption json, Flickr8k token files, Conceptual Captions TSV, parquet shards (LAION style),
jsonl, csv (with header) and plain text (one text per line). Every reader streams: line formats line by
line, parquet by record batch, COCO json with an incremental decoder, so memory stays bounded by the batch.

Ids are stable strings: the COCO annotation id, the Flickr8k ``image.jpg#n`` key, otherwise
``<file stem>:<n>`` with ``n`` the 1-based line number (txt, cc, jsonl) or record number (csv, parquet).
Bytes that are not UTF-8 are decoded with ``errors="replace"`` (each bad byte becomes U+FFFD); a record
without a text (null, missing key) gets a null ``text``; the row is always kept.
"""

from __future__ import annotations

import contextlib
import csv
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import pyarrow as pa
import pyarrow.parquet as pq

from affectlab.errors import AffectlabError

FORMATS: tuple[str, ...] = ("coco", "flickr8k", "cc", "parquet", "jsonl", "csv", "txt")
TABULAR_FORMATS = frozenset({"parquet", "jsonl", "csv"})
DEFAULT_TEXT_COLUMNS: tuple[str, ...] = ("text", "caption")  # matched case-insensitively (LAION: TEXT)
BATCH_SCHEMA = pa.schema([("id", pa.string()), ("corpus", pa.string()), ("text", pa.string())])

_EXTENSIONS = {
    ".json": "coco",
    ".parquet": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "cc",
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
    "detect_format",
    "iter_batches",
    "open_corpus",
    "read_corpus",
    "shards",
]


@dataclass(frozen=True)
class Corpus:
    """One input file, resolved: format, corpus name, text column (tabular formats), rows when known."""

    path: Path
    format: str
    name: str
    text_column: str | None = None
    rows: int | None = None  # from the parquet footer; None for formats that must be read to count


@dataclass(frozen=True)
class Shard:
    """A unit of reading that engines can hand to a worker: a whole file, or one parquet row group."""

    corpus: Corpus
    row_group: int | None = None  # parquet row group; None = the whole file
    first_row: int = 0  # rows of the file before this shard, so ids continue across shards
    rows: int | None = None


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


def detect_format(path: Path) -> str:
    """Guess the format of ``path``: parquet magic bytes, then the extension, then the first line."""
    with path.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    if head[:4] == b"PAR1":
        return "parquet"
    by_extension = _EXTENSIONS.get(path.suffix.lower())
    if by_extension == "parquet":
        raise AffectlabError(f"{path}: not a parquet file (missing the PAR1 magic bytes)")
    if by_extension in ("jsonl", "csv", "cc"):
        return by_extension
    if b"\x00" in head:
        raise AffectlabError(f"{path}: cannot detect the format (binary content); pass --format")
    lines = head.decode("utf-8", "replace").lstrip("\ufeff").splitlines()
    sniffed = _sniff_line(next((line.strip() for line in lines if line.strip()), ""))
    if by_extension == "coco":
        return "jsonl" if sniffed == "jsonl" else "coco"
    if by_extension == "txt":
        return sniffed if sniffed in ("flickr8k", "cc") else "txt"
    if sniffed is None:
        found = "empty file" if not head else f"unrecognised content, extension {path.suffix or '(none)'!r}"
        raise AffectlabError(f"{path}: cannot detect the format ({found}); pass --format, one of {', '.join(FORMATS)}")
    return sniffed


def _sniff_line(first: str) -> str | None:
    """Format suggested by a file's first non-blank line, or None."""
    if first.startswith("{"):
        try:
            record = json.loads(first)
        except json.JSONDecodeError:  # a long or pretty-printed document, like the COCO json
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
) -> Corpus:
    """Check ``path``, resolve its format, corpus name and text column; AffectlabError if unusable."""
    path = Path(path)
    if format != "auto" and format not in FORMATS:
        raise AffectlabError(f"{path}: unknown format {format!r}; expected auto or one of {', '.join(FORMATS)}")
    if not path.exists():
        raise AffectlabError(f"{path}: no such file")
    if not path.is_file():
        raise AffectlabError(f"{path}: not a file")
    resolved = detect_format(path) if format == "auto" else format
    name = corpus or path.name.split(".")[0] or path.name
    column = _resolve_text_column(path, resolved, text_column) if resolved in TABULAR_FORMATS else None
    rows = pq.ParquetFile(path).metadata.num_rows if resolved == "parquet" else None
    return Corpus(path=path, format=resolved, name=name, text_column=column, rows=rows)


def iter_batches(source: Corpus | Shard, batch_size: int = 1024) -> Iterator[pa.Table]:
    """Stream a corpus or shard as tables of at most ``batch_size`` rows, schema :data:`BATCH_SCHEMA`."""
    if batch_size < 1:
        raise AffectlabError(f"batch size must be at least 1, got {batch_size}")
    shard = source if isinstance(source, Shard) else Shard(source)
    corpus = shard.corpus
    try:
        if corpus.format == "parquet":
            yield from _parquet_batches(shard, batch_size)
        else:
            yield from _batched(corpus, _RECORD_READERS[corpus.format](corpus), batch_size)
    except (OSError, pa.ArrowException, ValueError, csv.Error) as err:
        raise AffectlabError(f"{corpus.path}: cannot read as {corpus.format}: {_one_line(err)}") from err


def read_corpus(path: str | Path, format: str = "auto", text_column: str | None = None) -> pa.Table:
    """Read a whole (small) corpus file into one table; use :func:`iter_batches` for large ones."""
    corpus = open_corpus(path, format, text_column)
    return pa.concat_tables([BATCH_SCHEMA.empty_table(), *iter_batches(corpus)])


def _resolve_text_column(path: Path, format: str, wanted: str | None) -> str:
    columns = _columns(path, format)
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


def _columns(path: Path, format: str) -> list[str]:
    """Column names of a tabular file: parquet schema, csv header, or keys of the first jsonl record."""
    try:
        if format == "parquet":
            return list(pq.ParquetFile(path).schema_arrow.names)
        with _open_text(path) as fh:
            if format == "csv":
                return next(csv.reader(fh), [])
            for number, line in enumerate(fh, 1):
                if line.strip():
                    return list(_json_record(path, number, line))
            return []
    except (OSError, pa.ArrowException, csv.Error) as err:
        raise AffectlabError(f"{path}: cannot read as {format}: {_one_line(err)}") from err


def _parquet_batches(shard: Shard, batch_size: int) -> Iterator[pa.Table]:
    corpus, row = shard.corpus, shard.first_row
    groups = None if shard.row_group is None else [shard.row_group]
    file = pq.ParquetFile(corpus.path)
    for batch in file.iter_batches(batch_size=batch_size, row_groups=groups, columns=[corpus.text_column]):
        texts = batch.column(0)
        if not pa.types.is_string(texts.type):
            texts = texts.cast(pa.string())
        ids = [f"{corpus.path.stem}:{n}" for n in range(row + 1, row + len(texts) + 1)]
        row += len(texts)
        yield pa.table(
            [pa.array(ids, pa.string()), pa.array([corpus.name] * len(ids), pa.string()), texts],
            schema=BATCH_SCHEMA,
        )


def _batched(corpus: Corpus, records: Iterable[tuple[str, str | None]], batch_size: int) -> Iterator[pa.Table]:
    ids: list[str] = []
    texts: list[str | None] = []
    for record_id, text in records:
        ids.append(record_id)
        texts.append(text)
        if len(ids) == batch_size:
            yield _table(corpus.name, ids, texts)
            ids, texts = [], []
    if ids:
        yield _table(corpus.name, ids, texts)


def _table(name: str, ids: list[str], texts: list[str | None]) -> pa.Table:
    return pa.table([ids, [name] * len(ids), texts], schema=BATCH_SCHEMA)


def _open_text(path: Path) -> TextIO:
    return path.open(encoding="utf-8-sig", errors="replace", newline="")


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Numbered lines without their line ending (``\\n``, ``\\r\\n`` or ``\\r``)."""
    with path.open(encoding="utf-8-sig", errors="replace") as fh:
        for number, line in enumerate(fh, 1):
            yield number, line.rstrip("\n")


def _txt_records(corpus: Corpus) -> Iterator[tuple[str, str | None]]:
    for number, line in _lines(corpus.path):
        yield f"{corpus.path.stem}:{number}", line


def _cc_records(corpus: Corpus) -> Iterator[tuple[str, str | None]]:
    for number, line in _lines(corpus.path):
        yield f"{corpus.path.stem}:{number}", line.split("\t", 1)[0]


def _flickr_records(corpus: Corpus) -> Iterator[tuple[str, str | None]]:
    for _, line in _lines(corpus.path):
        key, sep, caption = line.partition("\t")
        if not sep:  # a few lines of the official file use a space instead of the tab
            key, _, caption = line.partition(" ")
        if key.strip():
            yield key.strip(), caption.strip()


def _jsonl_records(corpus: Corpus) -> Iterator[tuple[str, str | None]]:
    for number, line in _lines(corpus.path):
        if line.strip():
            yield (
                f"{corpus.path.stem}:{number}",
                _text_value(_json_record(corpus.path, number, line).get(corpus.text_column)),
            )


def _csv_records(corpus: Corpus) -> Iterator[tuple[str, str | None]]:
    with _open_text(corpus.path) as fh, _csv_field_limit(sys.maxsize):
        reader = csv.reader(fh)
        header = next(reader, [])
        column = header.index(corpus.text_column)
        for number, row in enumerate(reader, 1):
            yield f"{corpus.path.stem}:{number}", row[column] if column < len(row) else None


@contextlib.contextmanager
def _csv_field_limit(limit: int) -> Iterator[None]:
    """``csv.field_size_limit`` raised for one reader (a long text is one field), then restored."""
    previous = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _coco_records(corpus: Corpus) -> Iterator[tuple[str, str | None]]:
    with _open_text(corpus.path) as fh:
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
                yield (
                    (f"{corpus.path.stem}:{number}" if ann_id is None else str(ann_id)),
                    _text_value(annotation.get("caption")),
                )
    if not found:
        raise AffectlabError(f"{corpus.path}: no 'annotations' array; not a COCO caption file")


_RECORD_READERS = {
    "txt": _txt_records,
    "cc": _cc_records,
    "flickr8k": _flickr_records,
    "jsonl": _jsonl_records,
    "csv": _csv_records,
    "coco": _coco_records,
}


def _json_record(path: Path, number: int, line: str) -> dict:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise AffectlabError(f"{path}: line {number} is not valid JSON ({err.msg})") from err
    if not isinstance(record, dict):
        raise AffectlabError(f"{path}: line {number} is not a JSON object")
    return record


def _text_value(value: object) -> str | None:
    return value if isinstance(value, str) or value is None else str(value)


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
