"""Ray engine: the same batch function on Ray Data, results in input order.

Each shard (a file, or a parquet row group) is a Ray Data read task, so reading is distributed and
streamed: the driver never holds the corpus. Scoring runs on a pool of ``workers`` actors that build the
measures once each. Joins the cluster named by ``RAY_ADDRESS`` when set (the input files must then be
at the same path on every node), else starts a local Ray.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq
import ray
import ray.data
from ray.data.block import Block, BlockAccessor, BlockMetadata
from ray.data.datasource import Datasink, Datasource, ReadTask

from affectlab.errors import AffectlabError
from affectlab.text.corpora import Shard, iter_batches
from affectlab.text.engines.base import BatchFunction, part_name, prepare

if TYPE_CHECKING:
    from ray.data._internal.execution.interfaces import TaskContext

_READ_TASK_CPUS = 0  # reading is light and must not wait for CPUs held by the scoring actors


class _Actor:
    """Ray Data callable class: prepares the function once per actor, then maps batches."""

    def __init__(self, function: BatchFunction) -> None:
        prepare(function)
        self.function = function

    def __call__(self, batch: pa.Table) -> pa.Table:
        return self.function(batch)


def run_ray(
    function: BatchFunction, shards: Sequence[Shard], batch_size: int, workers: int
) -> Iterator[pa.Table]:
    """Read ``shards`` as Ray Data read tasks, map ``function`` on ``workers`` actors, yield in order."""
    if not shards:
        return
    dataset = _dataset(function, shards, batch_size, workers)
    with _user_errors():
        yield from dataset.iter_batches(batch_size=None, batch_format="pyarrow")


def write_ray_parts(
    function: BatchFunction,
    shards: Sequence[Shard],
    batch_size: int,
    workers: int,
    folder: Path,
    metadata: dict[bytes, bytes],
    shard_rows: int,
) -> None:
    """Like :func:`run_ray`, but Ray writes the results into ``folder`` itself; the driver sees no rows.

    Write tasks get at least ``shard_rows`` rows each (the last fewer) and write ``part-NNNNNN.parquet``
    named by task index, which follows the input order (``preserve_order``); the parts are then renumbered
    from 0. Every file carries ``metadata`` in its parquet schema. Writes nothing when there are no rows.
    """
    if not shards:
        return
    dataset = _dataset(function, shards, batch_size, workers)
    with _user_errors():
        dataset.write_datasink(_PartsDatasink(str(folder), metadata, shard_rows))
    for index, path in enumerate(sorted(folder.glob("part-*.parquet"))):
        path.rename(folder / part_name(index))


def _dataset(
    function: BatchFunction, shards: Sequence[Shard], batch_size: int, workers: int
) -> ray.data.Dataset:
    if not ray.is_initialized():
        local = {} if os.environ.get("RAY_ADDRESS") else {"num_cpus": workers}
        ray.init(**local, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False  # the CLI shows its own
    logging.getLogger("ray.data").setLevel(logging.CRITICAL)  # errors reach the caller as exceptions
    dataset = ray.data.read_datasource(_ShardDatasource(shards, batch_size), num_cpus=_READ_TASK_CPUS)
    return dataset.map_batches(
        _Actor,
        fn_constructor_args=(function,),
        batch_size=None,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=workers),
    )


@contextlib.contextmanager
def _user_errors() -> Iterator[None]:
    try:
        yield
    except Exception as err:  # Ray wraps worker exceptions; surface a user error as itself
        cause = _affectlab_cause(err)
        if cause is None:
            raise
        raise AffectlabError(str(cause).splitlines()[0]) from None  # Ray appends retry advice lines


class _PartsDatasink(Datasink[None]):
    """Writes each write task's blocks, in order, into one parquet file named by the task index.

    (Ray's ``write_parquet`` writes with ``pyarrow.dataset.write_dataset(use_threads=True)``, which may
    reorder rows within a file when a task holds several blocks; a plain ``ParquetWriter`` does not.)
    """

    def __init__(self, folder: str, metadata: dict[bytes, bytes], shard_rows: int) -> None:
        self.folder, self.metadata, self.shard_rows = folder, metadata, shard_rows

    @property
    def min_rows_per_write(self) -> int:
        return self.shard_rows

    def write(self, blocks: Iterable[Block], ctx: TaskContext) -> None:
        tables = [BlockAccessor.for_block(block).to_arrow() for block in blocks]
        tables = [table for table in tables if table.num_rows]
        if not tables:
            return
        schema = tables[0].schema.with_metadata(self.metadata)
        path = os.path.join(self.folder, part_name(ctx.task_idx))
        with pq.ParquetWriter(path, schema) as writer:
            for table in tables:
                writer.write_table(table.cast(schema))


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


def _read_shard(shard: Shard, batch_size: int) -> Iterator[pa.Table]:
    return iter_batches(shard, batch_size)


class _ShardDatasource(Datasource):
    """One read task per shard, in input order."""

    def __init__(self, shards: Sequence[Shard], batch_size: int) -> None:
        super().__init__()
        self.shards, self.batch_size = list(shards), batch_size

    def estimate_inmemory_data_size(self) -> int | None:
        return None

    def get_read_tasks(self, parallelism: int, **_: object) -> list[ReadTask]:
        return [
            ReadTask(
                functools.partial(_read_shard, shard, self.batch_size),
                BlockMetadata(
                    num_rows=shard.rows,
                    size_bytes=None,
                    input_files=[str(shard.corpus.path)],
                    exec_stats=None,
                ),
            )
            for shard in self.shards
        ]
