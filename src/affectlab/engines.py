"""One engine interface for both halves: map a batch function over a source, locally or on Ray Data.

A :class:`Source` is a list of independent read *units* (a corpus file or parquet row group; a shard of
clips) and a picklable ``read(unit) -> Iterator[batch]``. A batch function is any picklable callable
``batch -> result``; it knows nothing about where it runs. Two optional hooks:

- ``prepare()``: one-off set-up, run once per worker (a text profiler builds its measures there);
- a :class:`TwoStage` function splits into ``load`` (I/O, decoding) and ``compute``; the in-process local
  engine runs the next batch's ``load`` on a thread while the current batch computes.

Engines (:func:`get_engine`): ``local`` runs in this process (``workers <= 1``) or on a process pool,
results in input order; ``ray`` reads each unit as a Ray Data read task and maps the function on a pool
of actors (``gpus_per_worker`` GPUs each), results in input order. Both halves pick an engine the same
way, by name. Ray is imported only when its engine is used.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from affectlab.errors import AffectlabError

EngineName = Literal["local", "ray"]
ENGINE_NAMES: tuple[EngineName, ...] = ("local", "ray")
BatchFormat = Literal["pyarrow", "numpy"]
_IN_FLIGHT_PER_WORKER = 2
STOP_GRACE_SECONDS = 5.0  # batches in flight may finish this long after a stop before their workers are killed
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Source:
    """Independent read units and the picklable function that reads one into batches."""

    units: Sequence[Any]
    read: Callable[[Any], Iterable[Any]]
    rows: Callable[[Any], int | None] | None = None  # rows of a unit when known (Ray metadata)
    files: Callable[[Any], list[str]] | None = None  # input files of a unit (Ray metadata)

    def batches(self) -> Iterator[Any]:
        for unit in self.units:
            yield from self.read(unit)


class TwoStage:
    """A batch function in two stages, so loading the next batch can overlap computing this one."""

    def load(self, batch: Any) -> Any:
        raise NotImplementedError

    def compute(self, loaded: Any) -> Any:
        raise NotImplementedError

    def __call__(self, batch: Any) -> Any:
        return self.compute(self.load(batch))


def prepare(function: Callable) -> None:
    """Run ``function.prepare()`` if it has one, once per worker."""
    setup = getattr(function, "prepare", None)
    if callable(setup):
        setup()


class Engine(Protocol):
    """Maps a batch function over a source; yields results in input order."""

    name: str

    def map(
        self,
        function: Callable[[Any], Any],
        source: Source,
        *,
        workers: int = 1,
        gpus_per_worker: float = 0,
        batch_format: BatchFormat = "pyarrow",
    ) -> Iterator[Any]: ...


def get_engine(name: str) -> Engine:
    """The engine called ``name`` (``local`` or ``ray``)."""
    if name == "local":
        return LocalEngine()
    if name == "ray":
        return RayEngine()
    raise AffectlabError(f"unknown engine {name!r}; expected one of {', '.join(ENGINE_NAMES)}")


def default_workers() -> int:
    """All cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# ---------------------------------------------------------------------------------------------- local


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


# ------------------------------------------------------------------------------------------------ ray


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
        import ray.data

        from affectlab import ray_io

        dataset = ray.data.read_datasource(ray_io.UnitDatasource(source), num_cpus=0)
        return dataset.map_batches(
            ray_io.Actor,
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
        from affectlab import ray_io

        with ray_context(workers):
            dataset = self.dataset(function, source, workers)
            with _user_errors():
                dataset.write_datasink(ray_io.ParquetPartsSink(str(folder), metadata, rows_per_part))
        for index, path in enumerate(sorted(folder.glob("part-*.parquet"))):
            path.rename(folder / part_name(index))


@contextlib.contextmanager
def ray_context(workers: int) -> Iterator[None]:
    """Ray started (or joined) and Ray Data set to keep input order without its own progress bars; the
    previous Ray Data settings are restored afterwards."""
    import ray
    import ray.data

    if not ray.is_initialized():
        joining = bool(os.environ.get("RAY_ADDRESS"))
        if not joining:  # a local cluster of ours: stopped by a watchdog even if this process is killed
            from affectlab import watchdog

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


__all__ = [
    "ENGINE_NAMES",
    "Engine",
    "EngineName",
    "LocalEngine",
    "RayEngine",
    "Source",
    "TwoStage",
    "default_workers",
    "get_engine",
    "map_local",
    "prepare",
    "ray_context",
]
