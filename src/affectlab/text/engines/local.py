"""Local engine: a process pool over batches, results in input order, bounded memory."""

from __future__ import annotations

import multiprocessing
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor

import pyarrow as pa

from affectlab.text.corpora import Shard, iter_batches
from affectlab.text.engines.base import BatchFunction, prepare

_IN_FLIGHT_PER_WORKER = 2

_worker_function: BatchFunction | None = None


def run_local(
    function: BatchFunction, shards: Sequence[Shard], batch_size: int, workers: int
) -> Iterator[pa.Table]:
    """Read ``shards`` in this process, one batch at a time, and map ``function`` over a process pool."""
    return map_local(
        function, (batch for shard in shards for batch in iter_batches(shard, batch_size)), workers
    )


def map_local(function: BatchFunction, batches: Iterable[pa.Table], workers: int) -> Iterator[pa.Table]:
    """Apply ``function`` to each batch with ``workers`` processes (in this process when 1), in order.

    At most ``2 * workers`` batches are in flight, so a large corpus is never read ahead into memory.
    ``function`` is prepared once here, and once per worker where workers cannot inherit it.
    """
    prepare(function)
    if workers <= 1:
        yield from map(function, batches)
        return
    # Linux: fork, so workers inherit the measures prepared above instead of each building its own;
    # elsewhere: spawn (fork is unsafe on macOS), each worker prepares ``function`` in its initializer.
    context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init, initargs=(function,)) as pool:
        pending: deque[Future[pa.Table]] = deque()
        for batch in batches:
            pending.append(pool.submit(_apply, batch))
            if len(pending) >= _IN_FLIGHT_PER_WORKER * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _init(function: BatchFunction) -> None:
    global _worker_function
    prepare(function)
    _worker_function = function


def _apply(batch: pa.Table) -> pa.Table:
    if _worker_function is None:
        raise RuntimeError("local engine worker used before its initializer ran")
    return _worker_function(batch)
