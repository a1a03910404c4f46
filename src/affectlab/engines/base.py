"""What every engine shares: the :class:`Source` of read units, the batch-function hooks, the names."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

EngineName = Literal["local", "ray"]
ENGINE_NAMES: tuple[EngineName, ...] = ("local", "ray")
BatchFormat = Literal["pyarrow", "numpy"]


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


def default_workers() -> int:
    """All cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
