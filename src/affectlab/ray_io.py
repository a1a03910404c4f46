"""The Ray Data pieces of the ``ray`` engine (:mod:`affectlab.engines`); imported only when Ray is used."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
from ray.data.block import Block, BlockAccessor, BlockMetadata
from ray.data.datasource import Datasink, Datasource, ReadTask

from affectlab.engines import Source, prepare

if TYPE_CHECKING:
    from ray.data._internal.execution.interfaces import TaskContext


class Actor:
    """Ray Data callable class: prepares the batch function once per actor, then maps batches."""

    def __init__(self, function: Callable[[Any], Any]) -> None:
        prepare(function)
        self.function = function

    def __call__(self, batch: Any) -> Any:
        return self.function(batch)


def _read_unit(read: Callable[[Any], Iterable[Any]], unit: Any) -> Iterable[Any]:
    for batch in read(unit):
        yield batch if isinstance(batch, pa.Table) else pa.table(batch)


class UnitDatasource(Datasource):
    """One read task per unit of a :class:`~affectlab.engines.Source`, in input order."""

    def __init__(self, source: Source) -> None:
        super().__init__()
        self.source = source

    def estimate_inmemory_data_size(self) -> int | None:
        return None

    def get_read_tasks(self, parallelism: int, **_: object) -> list[ReadTask]:
        source = self.source
        return [
            ReadTask(
                functools.partial(_read_unit, source.read, unit),
                BlockMetadata(
                    num_rows=source.rows(unit) if source.rows else None,
                    size_bytes=None,
                    input_files=source.files(unit) if source.files else [],
                    exec_stats=None,
                ),
            )
            for unit in source.units
        ]


class ParquetPartsSink(Datasink[None]):
    """Writes each write task's blocks, in order, into one parquet file named by the task index.

    (Ray's ``write_parquet`` writes with ``pyarrow.dataset.write_dataset(use_threads=True)``, which may
    reorder rows within a file when a task holds several blocks; a plain ``ParquetWriter`` does not.)
    """

    def __init__(self, folder: str, metadata: dict[bytes, bytes], rows_per_part: int) -> None:
        self.folder, self.metadata, self.rows_per_part = folder, metadata, rows_per_part

    @property
    def min_rows_per_write(self) -> int:
        return self.rows_per_part

    def write(self, blocks: Iterable[Block], ctx: TaskContext) -> None:
        tables = [BlockAccessor.for_block(block).to_arrow() for block in blocks]
        tables = [table for table in tables if table.num_rows]
        if not tables:
            return
        schema = tables[0].schema.with_metadata(self.metadata)
        path = os.path.join(self.folder, f"part-{ctx.task_idx:06d}.parquet")
        with pq.ParquetWriter(path, schema) as writer:
            for table in tables:
                writer.write_table(table.cast(schema))
