"""Profile corpora: add the measure columns to ``(id, corpus, text)`` batches and write parquet.

The output is one parquet file, or a folder of parquet parts (``part-000000.parquet``, ...) whose rows,
read in file-name order, are those of the one file.

``BatchProfiler`` is the batch function; it knows nothing about where it runs. The engines of
:mod:`affectlab.engines` (a local process pool, Ray Data) only schedule it, in input order, so every
engine writes the same rows in the same order with the same values.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from affectlab.engines import Source, get_engine
from affectlab.io import atomic_folder, atomic_path, check_folder_target
from affectlab.text.config import ProfileOptions
from affectlab.text.corpora import BATCH_SCHEMA, Corpus, iter_batches, shards
from affectlab.text.measures import Measure, MeasureConfig, Scorer, build_measures, cached_scorer
from affectlab.version import __version__

MeasuresFactory = Callable[[], Sequence[Measure]]

__all__ = [
    "BatchProfiler",
    "ProfileOptions",
    "ProfileSummary",
    "corpus_source",
    "is_folder_output",
    "part_name",
    "profile_batch",
    "profile_corpora",
    "profile_in_memory",
    "scorer_measures",
]


@dataclass(frozen=True)
class ProfileSummary:
    """What a profiling run did."""

    rows: int
    seconds: float

    @property
    def texts_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")


def profile_batch(batch: pa.Table, scorer: Scorer, keep_text: bool = True) -> pa.Table:
    """``batch`` (id, corpus, text) with the measure columns appended; ``text`` dropped unless kept."""
    scores = scorer.score(batch.column("text").to_pylist())
    head = batch if keep_text else batch.drop_columns(["text"])
    return pa.Table.from_arrays([*head.columns, *scores.columns], schema=pa.schema([*head.schema, *scores.schema]))


class BatchProfiler:
    """Picklable batch function: builds its measures once, on first use, wherever it runs.

    Engines ship it to their workers (pool initializer, Ray actor); the measures themselves are never
    pickled, only the factory that builds them.
    """

    def __init__(self, measures_factory: MeasuresFactory, keep_text: bool = True) -> None:
        self.measures_factory = measures_factory
        self.keep_text = keep_text
        self._scorer: Scorer | None = None

    def prepare(self) -> None:
        """Build the measures (engines call this once per worker; the first batch does it otherwise)."""
        if self._scorer is None:
            self._scorer = Scorer(self.measures_factory())

    def __call__(self, batch: pa.Table) -> pa.Table:
        self.prepare()
        return profile_batch(batch, self._scorer, self.keep_text)

    def __getstate__(self) -> dict:
        return {"measures_factory": self.measures_factory, "keep_text": self.keep_text, "_scorer": None}


def scorer_measures(config: MeasureConfig) -> list[Measure]:
    """The measures of :func:`~affectlab.text.measures.cached_scorer` (shared when the profile runs in this
    process)."""
    return cached_scorer(config).measures


def profile_in_memory(
    corpora: Sequence[Corpus], options: ProfileOptions, on_batch: Callable[[int], None] | None = None
) -> pa.Table:
    """Every text of ``corpora`` scored with the chosen engine, as one Arrow table (id, corpus, text when
    kept, kept columns, measures); ``on_batch(rows)`` after each batch."""
    profiler = BatchProfiler(functools.partial(scorer_measures, options.measures), options.keep_text)
    tables = []
    for table in get_engine(options.engine).map(profiler, corpus_source(corpora, options.batch_size),
                                                workers=options.workers):  # fmt: skip
        tables.append(table)
        if on_batch is not None:
            on_batch(table.num_rows)
    if not tables:
        tables = [profiler(corpora[0].schema.empty_table())]
    return pa.concat_tables(tables)


def corpus_source(corpora: Sequence[Corpus], batch_size: int) -> Source:
    """The engines' view of ``corpora``: one read unit per shard (a file, or a parquet row group)."""
    return Source(
        units=[shard for corpus in corpora for shard in shards(corpus)],
        read=functools.partial(iter_batches, batch_size=batch_size),
        rows=lambda shard: shard.rows,
        files=lambda shard: [str(shard.corpus.path)],
    )


LINE_FORMATS = ("txt", "cc")  # one text per line, blank lines included: the line count is the row count


def known_rows(corpora: Sequence[Corpus]) -> int | None:
    """Texts in ``corpora`` when known without reading them as text: parquet footers, and the line count of
    plain (uncompressed) one-text-per-line files; None when any other corpus must be read to count."""
    total = 0
    for corpus in corpora:
        if corpus.rows is not None:
            total += corpus.rows
        elif corpus.format in LINE_FORMATS and corpus.compression is None:
            total += line_count(corpus.path)
        else:
            return None
    return total


def line_count(path: Path, chunk: int = 1 << 20) -> int:
    """Lines as Python's universal newlines split them (``\\n``, ``\\r\\n`` or ``\\r`` end a line; a last line
    without an ending counts), counted on bytes in chunks."""
    lines, last, pending_cr = 0, b"", False
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            lines += block.count(b"\n") + block.count(b"\r") - block.count(b"\r\n")
            if pending_cr and block.startswith(b"\n"):
                lines -= 1  # a \r\n split across two chunks
            pending_cr = block.endswith(b"\r")
            last = block[-1:]
    return lines + (1 if last and last not in (b"\n", b"\r") else 0)


def is_folder_output(out: str | Path) -> bool:
    """True when ``out`` asks for a folder of parquet parts: it ends with a slash or is a folder."""
    if str(out).endswith(("/", os.sep)):
        return True
    try:
        return Path(out).is_dir()
    except OSError:  # e.g. a name too long: not a folder (the output checks say why it cannot be written)
        return False


def profile_corpora(
    corpora: Sequence[Corpus],
    out: str | Path,
    options: ProfileOptions | None = None,
    measures_factory: MeasuresFactory | None = None,
    on_batch: Callable[[int], None] | None = None,
    overwrite: bool = False,
) -> ProfileSummary:
    """Score every text of ``corpora`` with the chosen engine and write ``out`` atomically.

    ``out`` is one parquet file, or a folder of parts when :func:`is_folder_output` (a non-empty folder is
    refused unless ``overwrite``; the Ray engine then writes from its workers). Without ``overwrite`` an
    output that another run wrote meanwhile is refused at the rename, never replaced. The measures are the
    registered ones built for ``options.measures`` unless ``measures_factory`` (a picklable callable) is
    given. ``on_batch(rows)`` is called after each batch is written (once at the end when Ray writes).
    """
    options = options or ProfileOptions()
    factory = measures_factory or functools.partial(build_measures, options.measures)
    profiler = BatchProfiler(factory, options.keep_text)
    started = time.perf_counter()
    source = corpus_source(corpora, options.batch_size)
    metadata = _metadata(corpora, options)
    engine = get_engine(options.engine)
    if not is_folder_output(out):
        tables = engine.map(profiler, source, workers=options.workers)
        rows = _write_parquet(tables, Path(out), metadata, profiler, on_batch, corpora, overwrite)
        return ProfileSummary(rows=rows, seconds=time.perf_counter() - started)
    folder = Path(out)
    check_folder_target(folder, overwrite)
    with atomic_folder(folder, overwrite=overwrite) as tmp:
        write_parts = getattr(engine, "write_parts", None)
        if write_parts is None:
            tables = engine.map(profiler, source, workers=options.workers)
            rows = _write_parts(tables, tmp, metadata, profiler, on_batch, options.shard_rows, corpora)
        else:
            write_parts(
                profiler,
                source,
                tmp,
                workers=options.workers,
                metadata=metadata,
                rows_per_part=options.shard_rows,
                part_name=part_name,
            )
            if not any(tmp.glob("*.parquet")):  # no rows: one empty part with the output schema
                _write_parts([], tmp, metadata, profiler, None, options.shard_rows, corpora)
            rows = sum(pq.ParquetFile(part).metadata.num_rows for part in tmp.glob("*.parquet"))
            if on_batch is not None:
                on_batch(rows)
    return ProfileSummary(rows=rows, seconds=time.perf_counter() - started)


def part_name(index: int) -> str:
    """File name of the ``index``-th part of a folder output; names sort in input order."""
    return f"part-{index:06d}.parquet"


def _write_parts(
    tables: Iterable[pa.Table],
    folder: Path,
    metadata: dict[bytes, bytes],
    profiler: BatchProfiler,
    on_batch: Callable[[int], None] | None,
    shard_rows: int,
    corpora: Sequence[Corpus],
) -> int:
    """Write ``tables`` into parts of at least ``shard_rows`` rows (the last fewer), whole batches each."""
    rows = in_part = parts = 0
    writer: pq.ParquetWriter | None = None
    schema: pa.Schema | None = None
    try:
        for table in _nonempty_or_schema(tables, profiler, corpora):
            if schema is None:
                schema = table.schema.with_metadata(metadata)
            if writer is None:
                writer = pq.ParquetWriter(folder / part_name(parts), schema)
                parts += 1
            writer.write_table(table.cast(schema))
            rows += table.num_rows
            in_part += table.num_rows
            if on_batch is not None:
                on_batch(table.num_rows)
            if in_part >= shard_rows:
                writer.close()
                writer, in_part = None, 0
    finally:
        if writer is not None:
            writer.close()
    return rows


def _write_parquet(
    tables: Iterable[pa.Table],
    out: Path,
    metadata: dict[bytes, bytes],
    profiler: BatchProfiler,
    on_batch: Callable[[int], None] | None,
    corpora: Sequence[Corpus],
    overwrite: bool = False,
) -> int:
    rows = 0
    writer: pq.ParquetWriter | None = None
    with atomic_path(out, overwrite=overwrite) as tmp:  # a file another run wrote meanwhile is not replaced
        try:
            for table in _nonempty_or_schema(tables, profiler, corpora):
                if writer is None:
                    schema = table.schema.with_metadata(metadata)
                    writer = pq.ParquetWriter(tmp, schema)
                writer.write_table(table.cast(schema))
                rows += table.num_rows
                if on_batch is not None:
                    on_batch(table.num_rows)
        finally:
            if writer is not None:
                writer.close()
    return rows


def _nonempty_or_schema(
    tables: Iterable[pa.Table], profiler: BatchProfiler, corpora: Sequence[Corpus]
) -> Iterator[pa.Table]:
    """The engine's tables, or one empty table with the output schema when the input had no rows."""
    empty = True
    for table in tables:
        empty = False
        yield table
    if empty:
        yield profiler(corpora[0].schema.empty_table() if corpora else BATCH_SCHEMA.empty_table())


def _metadata(corpora: Sequence[Corpus], options: ProfileOptions) -> dict[bytes, bytes]:
    record = {
        "affectlab": __version__,
        "inputs": [
            {
                "path": str(c.path),
                "format": c.format,
                "corpus": c.name,
                "text_column": c.text_column,
                "keep": list(c.keep),
                "compression": c.compression,
            }
            for c in corpora
        ],  # fmt: skip
        "options": options.model_dump(mode="json"),
    }
    return {b"affectlab": json.dumps(record).encode()}
