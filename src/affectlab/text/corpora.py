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

A compressed stream that ends early (a cut download) is an error, never a shorter corpus. Memory stays
bounded whatever the input: lines are read in bounded pieces, a text longer than ``max_chars`` is cut to
that length with one warning per file giving the count (:class:`LongTextWarning`; refused with
``strict=True``), and a jsonl/csv record or COCO value too long to hold is refused.

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
from affectlab.io import bounded_lines
from affectlab.text.config import MAX_CHARS

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
_URL = re.compile(r"^\s*[a-zA-Z][a-zA-Z0-9+.-]*://\S")
_EVIDENCE_LINES = 20  # non-blank lines of the sniffed head that must agree with a line format
_SNIFF_BYTES = 1 << 16
_CHUNK_CHARS = 1 << 20
_BATCH_CHARS = 1 << 22  # a batch ends early when its texts hold this many characters (bounded memory)

__all__ = [
    "BATCH_SCHEMA",
    "FORMATS",
    "Corpus",
    "LongTextWarning",
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


class LongTextWarning(UserWarning):
    """Texts longer than ``max_chars`` were cut to that length (once per file, with the count)."""


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
    strict: bool = False  # refuse text values that are not strings (and texts too long) instead of converting
    cluster: bool = False  # a last ``cluster`` column of sampling units (COCO, Flickr8k: the image)
    max_chars: int = MAX_CHARS  # longer texts are cut to this many characters (strict: refused)
    header: bool = True  # csv/tsv: the first row names the columns (False: columns are numbered from 0)

    @property
    def record_limit(self) -> int:
        """Characters a jsonl/csv record or a COCO value may hold (the text, other fields, JSON escapes)."""
        return 8 * self.max_chars + (1 << 20)

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
    except ImportError:  # the optional `zst` extra
        raise AffectlabError(
            f"{path}: zstandard-compressed; reading it needs the 'zst' extra (zstandard is not installed): "
            'pip install "affectlab[zst]"'
        ) from None
    check_zstd_frames(path)  # every reader of a zstd file comes through here
    raw = path.open("rb")
    reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True, closefd=True)
    return io.BufferedReader(reader)


_ZSTD_MAGIC = 0xFD2FB528
_ZSTD_SKIPPABLE = 0x184D2A50  # 0x184D2A50 ... 0x184D2A5F


def check_zstd_frames(path: Path) -> None:
    """Raise unless ``path`` is whole zstd frames up to its last byte (RFC 8878, section 3.1).

    The decompressor returns what it could when a stream ends inside a frame, which would read a cut
    download as a shorter corpus; walking the frame and block headers (seeking over block contents, no
    decompression) finds the cut in milliseconds.
    """
    size = path.stat().st_size
    with path.open("rb") as fh:
        while (start := fh.tell()) < size:
            magic = int.from_bytes(_read_exactly(fh, path, 4), "little")
            if magic & 0xFFFFFFF0 == _ZSTD_SKIPPABLE:
                fh.seek(int.from_bytes(_read_exactly(fh, path, 4), "little"), io.SEEK_CUR)
            elif magic == _ZSTD_MAGIC:
                descriptor = _read_exactly(fh, path, 1)[0]
                single_segment = descriptor >> 5 & 1
                content_size = (1 if single_segment else 0, 2, 4, 8)[descriptor >> 6]
                dictionary = (0, 1, 2, 4)[descriptor & 3]
                fh.seek((0 if single_segment else 1) + dictionary + content_size, io.SEEK_CUR)
                last = 0
                while not last:
                    header = int.from_bytes(_read_exactly(fh, path, 3), "little")
                    last, kind, block_size = header & 1, header >> 1 & 3, header >> 3
                    if kind == 3:
                        raise AffectlabError(f"{path}: not a valid zstd stream (reserved block type at byte {start})")
                    fh.seek(1 if kind == 1 else block_size, io.SEEK_CUR)
                fh.seek(4 * (descriptor >> 2 & 1), io.SEEK_CUR)  # the content checksum
            else:
                raise AffectlabError(f"{path}: not a valid zstd stream (no frame at byte {start:,})")
            if fh.tell() > size:
                break
        end = fh.tell()
    if end != size:
        raise AffectlabError(f"{path}: truncated zstd stream (it ends inside a frame after {size:,} bytes)")


def _read_exactly(fh: BinaryIO, path: Path, n: int) -> bytes:
    data = fh.read(n)
    if len(data) != n:
        raise AffectlabError(f"{path}: truncated zstd stream (it ends inside a frame)")
    return data


def open_text(path: Path, compression: str | None = None, newline: str | None = None) -> TextIO:
    """``path`` as UTF-8 text (BOM dropped, bad bytes replaced), decompressed on the fly when compressed."""
    return io.TextIOWrapper(_open_binary(path, compression), encoding="utf-8-sig", errors="replace", newline=newline)


def _read_errors() -> tuple[type[BaseException], ...]:
    """Exceptions of a damaged input (corrupt or truncated compressed streams included)."""
    errors: list[type[BaseException]] = [OSError, EOFError, lzma.LZMAError, pa.ArrowException, ValueError, csv.Error]
    zstd_error = getattr(sys.modules.get("zstandard"), "ZstdError", None)  # None when absent or blocked
    if zstd_error is not None:
        errors.append(zstd_error)
    return tuple(errors)


def detect_format(path: Path, text_column: str | None = None) -> str:
    """Guess the format of ``path`` from evidence: parquet magic bytes, the extension, the first lines.

    Compressed files are judged by their decompressed content and the extension before the compression
    suffix (``poems.jsonl.gz`` is jsonl). A ``.tsv`` whose first row names the text column (``text_column``
    or one of the default names) is a headered TSV; one whose second column holds URLs is Conceptual
    Captions; with ``text_column`` a column number it is a headerless TSV; any other is refused, as is a
    file whose lines do not all show the evidence of one format (Flickr8k ``name.jpg#n`` keys, CC URLs).
    """
    head = _head(path)
    if head[:4] == b"PAR1":
        return "parquet"
    compressed = compression_of(path) is not None
    suffix = Path(_without_compression_suffix(path.name)).suffix.lower() if compressed else path.suffix.lower()
    by_extension = _EXTENSIONS.get(suffix)
    if by_extension == "parquet":
        raise AffectlabError(f"{path}: not a parquet file (missing the PAR1 magic bytes)")
    lines = _head_lines(head)
    first = lines[0] if lines else ""
    if by_extension == "cc":
        if _names_text_column(first.split("\t"), text_column):
            return "tsv"
        if _column_number(text_column) is not None:
            return "tsv"
        if lines and all(_is_cc_line(line) for line in lines):
            return "cc"
        raise AffectlabError(
            f"{path}: a TSV whose first row names no text column ({', '.join(DEFAULT_TEXT_COLUMNS)}) and whose "
            "second column holds no URLs (Conceptual Captions); pass --text-column NAME, or --text-column N "
            "(0-based column number) for a table without a header row"
        )
    if by_extension in ("jsonl", "csv"):
        return by_extension
    if b"\x00" in head:
        raise AffectlabError(f"{path}: cannot detect the format (binary content); pass --format")
    sniffed = _sniff_lines(lines)
    if by_extension == "coco":
        return "jsonl" if sniffed == "jsonl" else "coco"
    if sniffed is None and _column_number(text_column) is not None:
        return "tsv"  # a table without a header row, its text column numbered
    if sniffed is None and _is_table(lines):
        raise AffectlabError(
            f"{path}: every line holds {lines[0].count(chr(9)) + 1} tab-separated columns, a table without a "
            "header row; pass --text-column N (0-based number of the text column), or --format txt to score "
            "whole lines"
        )
    if by_extension == "txt":
        return sniffed if sniffed in ("flickr8k", "cc") else "txt"
    if sniffed is None:
        found = "empty file" if not head else f"unrecognised content, extension {suffix or '(none)'!r}"
        raise AffectlabError(f"{path}: cannot detect the format ({found}); pass --format, one of {', '.join(FORMATS)}")
    return sniffed


def _head(path: Path) -> bytes:
    """The first bytes of ``path``, decompressed when compressed."""
    compression = compression_of(path)
    try:
        with _open_binary(path, compression) as fh:
            head = fh.read(_SNIFF_BYTES)
    except _read_errors() as err:
        raise AffectlabError(f"{path}: cannot read ({compression or 'file'}: {_one_line(err)})") from err
    if head[:4] == b"PAR1" and compression:
        raise AffectlabError(f"{path}: a {compression}-compressed parquet file; decompress it first")
    return head


def _head_lines(head: bytes) -> list[str]:
    """The first non-blank complete lines of ``head`` (the last one only when the head holds no more)."""
    text = head.decode("utf-8", "replace").lstrip("\ufeff")
    lines = text.splitlines()
    if len(head) == _SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # cut by the sniff
    return [line for line in (line.strip() for line in lines) if line][:_EVIDENCE_LINES]


def _is_cc_line(line: str) -> bool:
    """``caption<TAB>url``: two columns, the second a URL."""
    parts = line.split("\t")
    return len(parts) == 2 and _URL.match(parts[1]) is not None


def _is_table(lines: list[str]) -> bool:
    """Whether every line has the same number (at least 2) of tab-separated columns."""
    return bool(lines) and lines[0].count("\t") > 0 and all(line.count("\t") == lines[0].count("\t") for line in lines)


def _column_number(text_column: str | None) -> int | None:
    """``text_column`` as a 0-based column number (``"1"``), or None when it is a name."""
    return int(text_column) if text_column is not None and text_column.isdigit() else None


def check_fits(path: Path, format: str, text_column: str | None = None) -> None:
    """Refuse a format given explicitly that the file's first lines contradict (COCO json read as
    Flickr8k would be one text of megabytes; a headerless TSV read as CC would score its ids)."""
    if format in ("parquet", "csv", "tsv"):
        return  # parquet: its reader checks the magic bytes; csv/tsv: the header names the text column
    head = _head(path)
    lines = _head_lines(head)
    if head[:4] == b"PAR1" or b"\x00" in head:
        raise AffectlabError(f"{path}: binary content, not {format}; pass --format parquet or the right format")
    if not lines:
        return  # empty: no rows in any format
    expected = {
        "coco": (lines[0].startswith("{"), "a JSON document starting with '{'"),
        "jsonl": (lines[0].startswith("{"), "one JSON object per line"),
        "flickr8k": (all(_FLICKR_LINE.match(line) for line in lines), "lines 'name.jpg#n<TAB>caption'"),
        "cc": (all(_is_cc_line(line) for line in lines), "lines 'caption<TAB>url'"),
    }
    fits, shape = expected.get(format, (True, ""))
    if not fits:
        detected = _sniff_lines(lines)
        hint = f" (it looks like {detected})" if detected and detected != format else ""
        raise AffectlabError(f"{path}: not {format}: expected {shape}{hint}; pass the right --format")


def _names_text_column(header: list[str], wanted: str | None) -> bool:
    """Whether a first row is a header naming the text column (``wanted``, else a default name)."""
    if wanted is not None:
        return wanted in header
    return any(cell.strip().lower() in DEFAULT_TEXT_COLUMNS for cell in header)


def _sniff_lines(lines: list[str]) -> str | None:
    """Format that every one of a file's first non-blank lines shows evidence of, or None."""
    if not lines:
        return None
    first = lines[0]
    if first.startswith("{"):
        try:
            record = json.loads(first)
        except (json.JSONDecodeError, RecursionError):  # a long or pretty-printed document, like the COCO json
            return "coco"
        return "coco" if isinstance(record, dict) and "annotations" in record else "jsonl"
    if all(_FLICKR_LINE.match(line) for line in lines):
        return "flickr8k"
    if all(_is_cc_line(line) for line in lines):
        return "cc"
    return None


def open_corpus(
    path: str | Path,
    format: str = "auto",
    text_column: str | None = None,
    corpus: str | None = None,
    keep: Sequence[str] = (),
    strict: bool = False,
    max_chars: int = MAX_CHARS,
) -> Corpus:
    """Check ``path``, resolve its format, corpus name, text and kept columns; AffectlabError if unusable.

    A format given explicitly must fit the file's first lines. ``text_column`` may be a 0-based column
    number (``"1"``) for a csv/tsv without a header row. A parquet text column that is not a string column
    is converted with one :class:`TextValueWarning` here (``strict``: refused); jsonl and COCO values are
    checked while reading. Texts longer than ``max_chars`` are cut (``strict``: refused).
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
    if max_chars < 1:
        raise AffectlabError(f"--max-chars must be at least 1, got {max_chars}")
    if format == "auto":
        resolved = detect_format(path, text_column)
    else:
        check_fits(path, format, text_column)
        resolved = format
    if compression and resolved == "parquet":
        raise AffectlabError(f"{path}: a {compression}-compressed parquet file; decompress it first")
    name = corpus or path.name.split(".")[0] or path.name
    keep = tuple(keep)
    _check_keep(path, resolved, keep, text_column)
    found = Corpus(path=path, format=resolved, name=name, keep=keep, compression=compression, strict=strict,
                   cluster=resolved in UNIT_FORMATS, max_chars=max_chars)  # fmt: skip
    if resolved in TABULAR_FORMATS:
        columns = _columns(found)
        if resolved in ("csv", "tsv") and text_column not in columns and _column_number(text_column) is not None:
            found = replace(found, header=False)  # a column number: the first row is data
            columns = _columns(found)
        column = _resolve_text_column(path, columns, text_column)
        missing = [c for c in keep if c not in columns]
        if missing:
            raise AffectlabError(f"{path}: no column(s) {', '.join(map(repr, missing))} to keep; columns are {columns}")
        if "cluster" in columns and "cluster" not in keep and column != "cluster":  # the file's sampling units
            keep = (*keep, "cluster")
        found = replace(found, text_column=column, keep=keep)
    text_field = "caption" if resolved == "coco" else found.text_column
    if text_field is not None and text_field in keep:
        raise AffectlabError(
            f"{path}: cannot keep column {text_field!r}: it is the text column (its text is in the output's "
            "'text' column already)"
        )
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
        cuts = _LongTexts(corpus)
        if corpus.format == "parquet":
            yield from _parquet_batches(shard, batch_size, cuts)
        else:
            counter = _NonStrings()
            yield from _batched(corpus, _RECORD_READERS[corpus.format](corpus, counter), batch_size, cuts)
            _non_strings(corpus, counter.count, counter.example)
        cuts.warn()
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
                with _csv_field_limit(corpus.record_limit):
                    first = next(_csv_reader(_bounded(fh, corpus, keep_ends=True), corpus.format), [])
                return first if corpus.header else [str(i) for i in range(len(first))]
            for number, line in enumerate(_bounded(fh, corpus), 1):
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


def _parquet_batches(shard: Shard, batch_size: int, cuts: _LongTexts) -> Iterator[pa.Table]:
    corpus, row = shard.corpus, shard.first_row
    groups = None if shard.row_group is None else [shard.row_group]
    file = pq.ParquetFile(corpus.path)
    columns = [corpus.text_column, *corpus.keep]
    schema = corpus.schema
    for batch in file.iter_batches(batch_size=batch_size, row_groups=groups, columns=columns):
        values = [_as_strings(batch.column(i)) for i in range(len(columns))]
        ids = [f"{corpus.stem}:{n}" for n in range(row + 1, row + batch.num_rows + 1)]
        values[0] = cuts.cut_array(values[0], row)
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


class _LongTexts:
    """Cuts the texts of one file to ``max_chars`` (refuses them when strict) and counts the cuts."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus, self.count, self.example = corpus, 0, ""

    def cut(self, text: str | None, record_id: str) -> str | None:
        if text is None or len(text) <= self.corpus.max_chars:
            return text
        self._found(1, f"id {record_id}")
        return text[: self.corpus.max_chars]

    def cut_array(self, texts: pa.Array, first_row: int) -> pa.Array:
        import pyarrow.compute as pc

        long = pc.greater(pc.utf8_length(texts), self.corpus.max_chars)
        found = pc.sum(long).as_py() or 0
        if not found:
            return texts
        self._found(found, f"id {self.corpus.stem}:{first_row + pc.index(long, True).as_py() + 1}")
        return pc.utf8_slice_codeunits(texts, 0, self.corpus.max_chars)

    def _found(self, count: int, where: str) -> None:
        if self.count == 0:
            self.example = where
            if self.corpus.strict:
                raise AffectlabError(
                    f"{self.corpus.path}: the text at {where} is longer than --max-chars "
                    f"{self.corpus.max_chars:,}; --strict refuses it"
                )
        self.count += count

    def warn(self) -> None:
        if self.count:
            warnings.warn(
                f"{self.corpus.path}: {self.count:,} text(s) longer than {self.corpus.max_chars:,} characters "
                f"(first at {self.example}) were cut to that length (--max-chars; --strict refuses them)",
                LongTextWarning,
                stacklevel=2,
            )


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


def _batched(corpus: Corpus, records: Iterable[Record], batch_size: int, cuts: _LongTexts) -> Iterator[pa.Table]:
    """Tables of ``batch_size`` records, or fewer when their texts reach ``_BATCH_CHARS`` characters."""
    ids: list[str] = []
    texts: list[str | None] = []
    kept: list[tuple[str | None, ...]] = []
    chars = 0
    schema = corpus.schema
    for record_id, text, extra in records:
        text = cuts.cut(text, record_id)
        ids.append(record_id)
        texts.append(text)
        kept.append(extra)
        chars += len(text) if text else 0
        if len(ids) == batch_size or chars >= _BATCH_CHARS:
            yield _table(schema, corpus.name, ids, texts, kept)
            ids, texts, kept, chars = [], [], [], 0
    if ids:
        yield _table(schema, corpus.name, ids, texts, kept)


def _table(
    schema: pa.Schema, name: str, ids: list[str], texts: list[str | None], kept: list[tuple[str | None, ...]]
) -> pa.Table:
    columns = [ids, [name] * len(ids), texts]
    if len(schema) > 3:
        columns += [list(values) for values in zip(*kept, strict=True)]
    return pa.table(columns, schema=schema)


def _lines(corpus: Corpus, cut: bool = True) -> Iterator[tuple[int, str]]:
    """Numbered lines without their line ending (``\\n``, ``\\r\\n`` or ``\\r``), read in bounded
    pieces: a line longer than the text limit (and room for a key or URL) keeps only its start (``cut``;
    the text is then cut and counted by the batcher), or is refused (records that cannot be cut: jsonl)."""
    limit = corpus.max_chars + 1024 if cut else corpus.record_limit
    with open_text(corpus.path, corpus.compression) as fh:
        for number, line in enumerate(bounded_lines(fh, limit, cut=cut, source=corpus.path), 1):
            yield number, line.rstrip("\n")


def _bounded(fh: TextIO, corpus: Corpus, keep_ends: bool = False) -> Iterator[str]:
    """Lines of a record format (jsonl, csv): a line longer than the record limit is refused."""
    return bounded_lines(fh, corpus.record_limit, cut=False, keep_ends=keep_ends, source=corpus.path)


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
    for number, line in _lines(corpus, cut=False):
        if line.strip():
            record = json_record(corpus.path, number, line)
            text = counter.text(record.get(column), corpus, f"line {number}")
            yield f"{stem}:{number}", text, tuple(_json_text(record.get(k)) for k in keep)


def _csv_records(corpus: Corpus, counter: _NonStrings) -> Iterator[Record]:
    stem = corpus.stem
    with open_text(corpus.path, corpus.compression, newline="") as fh, _csv_field_limit(corpus.record_limit):
        reader = _csv_reader(_bounded(fh, corpus, keep_ends=True), corpus.format)
        header = next(reader, []) if corpus.header else None
        if header is None:  # numbered columns
            column, kept = int(corpus.text_column), [int(k) for k in corpus.keep]
        else:
            column, kept = header.index(corpus.text_column), [header.index(k) for k in corpus.keep]
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
        for key, values in _JsonStream(fh, corpus.path, corpus.record_limit).top_level_arrays():
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

    def __init__(self, fh: TextIO, path: Path, limit: int = 1 << 30) -> None:
        self._fh, self._path, self._limit = fh, path, limit
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
        if len(self._buf) - self._pos > self._limit:
            raise AffectlabError(
                f"{self._path}: a JSON value longer than {self._limit:,} characters (too large to hold whole; "
                "raise --max-chars if a caption is meant to be this long)"
            )
        chunk = self._fh.read(max(_CHUNK_CHARS, len(self._buf) - self._pos))
        self._eof = not chunk
        self._buf = self._buf[self._pos :] + chunk
        self._pos = 0
