"""The ``ray`` engine: Ray Data read tasks, the batch function on an actor pool, a parquet sink.

Imported only when Ray is used (by the engine factory, :func:`affectlab.engines.get_engine`).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
import ray
import ray.data
from ray.data.block import Block, BlockAccessor, BlockMetadata
from ray.data.datasource import Datasink, Datasource, ReadTask

from affectlab.engines.base import BatchFormat, Source, prepare
from affectlab.errors import AffectlabError

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


class RayEngine:
    """Ray Data: one read task per unit, the function on an actor pool; joins ``RAY_ADDRESS`` if set.

    A cluster needs the input files at the same path on every node.
    """

    name = "ray"

    def map(
        self,
        function: Callable[[Any], Any],
        source: Source,
        *,
        workers: int = 1,
        gpus_per_worker: float = 0,
        batch_format: BatchFormat = "pyarrow",
    ) -> Iterator[Any]:
        if not source.units:
            return
        with ray_context(workers):
            dataset = self.dataset(function, source, workers, gpus_per_worker, batch_format)
            with _user_errors():
                yield from dataset.iter_batches(batch_size=None, batch_format=batch_format)

    def dataset(
        self,
        function: Callable[[Any], Any],
        source: Source,
        workers: int,
        gpus_per_worker: float = 0,
        batch_format: BatchFormat = "pyarrow",
    ):
        """The lazy Ray Dataset ``read(units) -> map(function)``; call inside :func:`ray_context`."""
        dataset = ray.data.read_datasource(UnitDatasource(source), num_cpus=0)
        return dataset.map_batches(
            Actor,
            fn_constructor_args=(function,),
            batch_size=None,
            batch_format=batch_format,
            **({"num_gpus": gpus_per_worker} if gpus_per_worker else {}),
            compute=ray.data.ActorPoolStrategy(size=max(1, workers)),
        )

    def write_parts(
        self,
        function: Callable[[Any], Any],
        source: Source,
        folder: Path,
        *,
        workers: int,
        metadata: dict[bytes, bytes],
        rows_per_part: int,
        part_name: Callable[[int], str],
    ) -> None:
        """Like :meth:`map` for pyarrow results, but the actors' output is written into ``folder`` as
        parquet parts by Ray itself (the driver sees no rows), renumbered from 0 in input order."""
        if not source.units:
            return
        with ray_context(workers):
            dataset = self.dataset(function, source, workers)
            with _user_errors():
                dataset.write_datasink(ParquetPartsSink(str(folder), metadata, rows_per_part))
        for index, path in enumerate(sorted(folder.glob("part-*.parquet"))):
            path.rename(folder / part_name(index))


@contextlib.contextmanager
def ray_context(workers: int) -> Iterator[None]:
    """Ray started (or joined) and Ray Data set to keep input order without its own progress bars; the
    previous Ray Data settings are restored afterwards."""
    if not ray.is_initialized():
        joining = bool(os.environ.get("RAY_ADDRESS"))
        if not joining:  # a local cluster of ours: stopped by a watchdog even if this process is killed
            from affectlab.engines import watchdog

            watchdog.start()
        local = {} if joining else {"num_cpus": max(1, workers)}
        ray.init(**local, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    context = ray.data.DataContext.get_current()
    saved = (context.execution_options.preserve_order, context.enable_progress_bars)
    ray_logger = logging.getLogger("ray.data")
    saved_level = ray_logger.level
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False  # affectlab shows its own
    ray_logger.setLevel(logging.CRITICAL)  # errors reach the caller as exceptions
    try:
        yield
    finally:
        context.execution_options.preserve_order, context.enable_progress_bars = saved
        ray_logger.setLevel(saved_level)


@contextlib.contextmanager
def _user_errors() -> Iterator[None]:
    try:
        yield
    except Exception as err:  # Ray wraps worker exceptions; surface a user error as itself
        cause = _affectlab_cause(err)
        if cause is None:
            raise
        raise AffectlabError(str(cause).splitlines()[0]) from None  # Ray appends retry advice lines


def _affectlab_cause(err: BaseException) -> AffectlabError | None:
    """The AffectlabError a Ray exception wraps (Ray's own ``RayTaskError(AffectlabError)`` excluded)."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, AffectlabError) and not type(current).__module__.startswith("ray"):
            return current
        current = getattr(current, "cause", None) or current.__cause__
    return None
