"""What engines schedule: a picklable batch function, with optional one-off setup."""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa

BatchFunction = Callable[[pa.Table], pa.Table]


def prepare(function: BatchFunction) -> None:
    """Run ``function.prepare()`` if it has one (a profiler builds its measures there), once per worker."""
    setup = getattr(function, "prepare", None)
    if callable(setup):
        setup()


def part_name(index: int) -> str:
    """File name of the ``index``-th part of a folder output; names sort in input order."""
    return f"part-{index:06d}.parquet"
