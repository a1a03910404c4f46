"""The ``local`` engine: this process, or a pool of worker processes that die with their parent."""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from affectlab.engines.base import BatchFormat, Source, TwoStage, prepare
from affectlab.errors import AffectlabError

_IN_FLIGHT_PER_WORKER = 2
STOP_GRACE_SECONDS = 5.0  # batches in flight may finish this long after a stop before their workers are killed
_PR_SET_PDEATHSIG = 1


class LocalEngine:
    """This process (``workers <= 1``), or a pool of worker processes that die with their parent."""

    name = "local"

    def map(
        self,
        function: Callable[[Any], Any],
        source: Source,
        *,
        workers: int = 1,
        gpus_per_worker: float = 0,
        batch_format: BatchFormat = "pyarrow",
    ) -> Iterator[Any]:
        return map_local(function, source.batches(), workers)


def map_local(function: Callable[[Any], Any], batches: Iterable[Any], workers: int) -> Iterator[Any]:
    """Apply ``function`` to each batch in order: in this process when ``workers <= 1``, else on a pool.

    At most ``2 * workers`` batches are in flight, so a large input is never read ahead into memory.
    ``function`` is prepared once here; on Linux the workers are forked and inherit it.
    """
    prepare(function)
    if workers <= 1:
        yield from _in_process(function, batches)
        return
    context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(function,))
    pending: deque[Future] = deque()
    try:
        for batch in batches:
            pending.append(pool.submit(_apply, batch))
            if len(pending) >= _IN_FLIGHT_PER_WORKER * workers:
                yield _result(pending.popleft())
        while pending:
            yield _result(pending.popleft())
    except BaseException:
        _stop(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _in_process(function: Callable[[Any], Any], batches: Iterable[Any]) -> Iterator[Any]:
    if not isinstance(function, TwoStage):
        yield from map(function, batches)
        return
    iterator = iter(batches)
    with ThreadPoolExecutor(max_workers=1) as loader:
        first = next(iterator, _END)
        if first is _END:
            return
        loading = loader.submit(function.load, first)
        while True:
            loaded = loading.result()
            following = next(iterator, _END)
            if following is not _END:
                loading = loader.submit(function.load, following)
            yield function.compute(loaded)
            if following is _END:
                return


_END = object()


def _result(future: Future) -> Any:
    try:
        return future.result()
    except BrokenProcessPool:
        raise AffectlabError(
            "a worker process died (killed, or out of memory); nothing was written; run again, "
            "perhaps with fewer --workers"
        ) from None


def _stop(pool: ProcessPoolExecutor, grace: float = STOP_GRACE_SECONDS) -> None:
    """Stop the pool after an error, Ctrl-C or SIGTERM in the parent: drop the batches not started, let the
    few in flight finish (well under a second for text batches), kill what outlasts ``grace`` seconds or
    a second Ctrl-C.

    Killing at once is not safe: a worker killed while sending a result leaves half a message in the pipe,
    and the pool's result reader then waits for the rest forever (``shutdown`` never returns).
    """
    processes = list(getattr(pool, "_processes", {}).values())  # no public API before Python 3.14
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + grace
    with contextlib.suppress(KeyboardInterrupt):
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
    for process in processes:
        with contextlib.suppress(Exception):
            process.kill()


_worker_function: Callable[[Any], Any] | None = None


def _init_worker(function: Callable[[Any], Any]) -> None:
    """Worker set-up: die with the parent, leave Ctrl-C to it, die on SIGTERM, prepare the function."""
    global _worker_function
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and terminates the pool
    # A forked worker inherits the CLI's SIGTERM handler (SystemExit); the pool's result sender catches
    # that and blocks again on a full pipe, so the pool's own terminate() would never end the worker.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    prepare(function)
    _worker_function = function


def _die_with_parent() -> None:
    """Linux: SIGKILL this process when its parent dies (``kill -9`` of the parent leaves no orphan)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def _apply(batch: Any) -> Any:
    if _worker_function is None:
        raise RuntimeError("local engine worker used before its initializer ran")
    return _worker_function(batch)
