"""Profile corpora: add the measure columns to ``(id, corpus, text)`` batches and write parquet.

The output is one parquet file, or a folder of parquet parts (``part-000000.parquet``, ...) whose rows,
read in file-name order, are those of the one file.

``BatchProfiler`` is the batch function; it knows nothing about where it runs. The engines in
:mod:`affectlab.text.engines` (a local process pool, Ray Data) only schedule it, in input order, so every
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
from typing import Literal

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, Field

from affectlab import __version__
from affectlab.errors import AffectlabError
from affectlab.io import atomic_folder, atomic_path
from affectlab.text.corpora import BATCH_SCHEMA, Corpus, shards
from affectlab.text.engines import get_engine, get_parts_writer, part_name
from affectlab.text.measures import Measure, MeasureConfig, build_measures, score_batch

MeasuresFactory = Callable[[], Sequence[Measure]]

__all__ = [
    "BatchProfiler",
    "ProfileOptions",
    "ProfileSummary",
    "default_workers",
    "is_folder_output",
    "profile_batch",
    "profile_corpora",
    "profile_texts",
]


def default_workers() -> int:
    """All cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class ProfileOptions(BaseModel):
    """How ``affectlab text profile`` runs; stored in the output's parquet metadata."""

    measures: MeasureConfig = Field(default_factory=MeasureConfig)
    batch_size: int = Field(default=1024, ge=1)
    workers: int = Field(default_factory=default_workers, ge=1)
    engine: Literal["local", "ray"] = "local"
    keep_text: bool = True
    shard_rows: int = Field(default=65_536, ge=1)  # rows per part of a folder output (the last fewer)


@dataclass(frozen=True)
class ProfileSummary:
    """What a profiling run did."""

    rows: int
    seconds: float

    @property
    def texts_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")


def profile_batch(batch: pa.Table, measures: Sequence[Measure], keep_text: bool = True) -> pa.Table:
    """``batch`` (id, corpus, text) with the measure columns appended; ``text`` dropped unless kept."""
    scores = score_batch(batch.column("text").to_pylist(), measures)
    head = batch if keep_text else batch.drop_columns(["text"])
    return pa.Table.from_arrays(
        [*head.columns, *scores.columns], schema=pa.schema([*head.schema, *scores.schema])
    )


class BatchProfiler:
    """Picklable batch function: builds its measures once, on first use, wherever it runs.

    Engines ship it to their workers (pool initializer, Ray actor); the measures themselves are never
    pickled, only the factory that builds them.
    """

    def __init__(self, measures_factory: MeasuresFactory, keep_text: bool = True) -> None:
        self.measures_factory = measures_factory
        self.keep_text = keep_text
        self._measures: Sequence[Measure] | None = None

    def prepare(self) -> None:
        """Build the measures (engines call this once per worker; the first batch does it otherwise)."""
        if self._measures is None:
            self._measures = list(self.measures_factory())

    def __call__(self, batch: pa.Table) -> pa.Table:
        self.prepare()
        return profile_batch(batch, self._measures, self.keep_text)

    def __getstate__(self) -> dict:
        return {"measures_factory": self.measures_factory, "keep_text": self.keep_text, "_measures": None}


def profile_texts(texts: Sequence[str | None], config: MeasureConfig | None = None) -> pa.Table:
    """Score a few texts in this process: one row per text, all measure columns."""
    return score_batch(list(texts), build_measures(config or MeasureConfig()))


def is_folder_output(out: str | Path) -> bool:
    """True when ``out`` asks for a folder of parquet parts: it ends with a slash or is a folder."""
    return str(out).endswith(("/", os.sep)) or Path(out).is_dir()


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
    refused unless ``overwrite``; the Ray engine then writes from its workers). The measures are the
    registered ones built for ``options.measures`` unless ``measures_factory`` (a picklable callable) is
    given. ``on_batch(rows)`` is called after each batch is written (once at the end when Ray writes).
    """
    options = options or ProfileOptions()
    factory = measures_factory or functools.partial(build_measures, options.measures)
    profiler = BatchProfiler(factory, options.keep_text)
    started = time.perf_counter()
    pieces = [shard for corpus in corpora for shard in shards(corpus)]
    metadata = _metadata(corpora, options)
    if not is_folder_output(out):
        tables = get_engine(options.engine)(profiler, pieces, options.batch_size, options.workers)
        rows = _write_parquet(tables, Path(out), metadata, profiler, on_batch)
        return ProfileSummary(rows=rows, seconds=time.perf_counter() - started)
    folder = Path(out)
    _check_folder_target(folder, overwrite)
    with atomic_folder(folder) as tmp:
        writer = get_parts_writer(options.engine)
        if writer is None:
            tables = get_engine(options.engine)(profiler, pieces, options.batch_size, options.workers)
            rows = _write_parts(tables, tmp, metadata, profiler, on_batch, options.shard_rows)
        else:
            args = (options.batch_size, options.workers, tmp, metadata, options.shard_rows)
            writer(profiler, pieces, *args)
            if not any(tmp.glob("*.parquet")):  # no rows: one empty part with the output schema
                _write_parts([], tmp, metadata, profiler, None, options.shard_rows)
            rows = sum(pq.ParquetFile(part).metadata.num_rows for part in tmp.glob("*.parquet"))
            if on_batch is not None:
                on_batch(rows)
    return ProfileSummary(rows=rows, seconds=time.perf_counter() - started)


def _check_folder_target(folder: Path, overwrite: bool) -> None:
    if folder.exists() and not folder.is_dir():
        raise AffectlabError(f"{folder}: exists and is not a folder (a folder output needs a trailing /)")
    if folder.is_dir() and any(folder.iterdir()) and not overwrite:
        raise AffectlabError(f"{folder}: folder is not empty; pass --overwrite to replace it")


def _write_parts(
    tables: Iterable[pa.Table],
    folder: Path,
    metadata: dict[bytes, bytes],
    profiler: BatchProfiler,
    on_batch: Callable[[int], None] | None,
    shard_rows: int,
) -> int:
    """Write ``tables`` into parts of at least ``shard_rows`` rows (the last fewer), whole batches each."""
    rows = in_part = parts = 0
    writer: pq.ParquetWriter | None = None
    schema: pa.Schema | None = None
    try:
        for table in _nonempty_or_schema(tables, profiler):
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
) -> int:
    rows = 0
    writer: pq.ParquetWriter | None = None
    with atomic_path(out) as tmp:
        try:
            for table in _nonempty_or_schema(tables, profiler):
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


def _nonempty_or_schema(tables: Iterable[pa.Table], profiler: BatchProfiler) -> Iterator[pa.Table]:
    """The engine's tables, or one empty table with the output schema when the input had no rows."""
    empty = True
    for table in tables:
        empty = False
        yield table
    if empty:
        yield profiler(BATCH_SCHEMA.empty_table())


def _metadata(corpora: Sequence[Corpus], options: ProfileOptions) -> dict[bytes, bytes]:
    record = {
        "affectlab": __version__,
        "inputs": [
            {"path": str(c.path), "format": c.format, "corpus": c.name, "text_column": c.text_column}
            for c in corpora
        ],
        "options": options.model_dump(mode="json"),
    }
    return {b"affectlab": json.dumps(record).encode()}
