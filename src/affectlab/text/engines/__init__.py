"""Engines schedule a batch function over the shards of the input and yield results in input order.

An engine is ``(function, shards, batch_size, workers) -> Iterator[pa.Table]``; it reads the shards with
:func:`affectlab.text.corpora.iter_batches` and never looks inside the batches. Engines are imported on
first use (Ray is heavy to import).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pyarrow as pa

from affectlab.text.corpora import Shard
from affectlab.text.engines.base import BatchFunction, part_name, prepare

Engine = Callable[[BatchFunction, Sequence[Shard], int, int], Iterator[pa.Table]]
# (function, shards, batch_size, workers, folder, parquet metadata, rows per part) -> None
PartsWriter = Callable[[BatchFunction, Sequence[Shard], int, int, Path, dict[bytes, bytes], int], None]
ENGINES: dict[str, str] = {
    "local": "affectlab.text.engines.local:run_local",
    "ray": "affectlab.text.engines.ray:run_ray",
}
# Engines that write a folder output from their workers (others stream results to the caller).
PARTS_WRITERS: dict[str, str] = {"ray": "affectlab.text.engines.ray:write_ray_parts"}

__all__ = [
    "ENGINES",
    "PARTS_WRITERS",
    "BatchFunction",
    "Engine",
    "PartsWriter",
    "get_engine",
    "get_parts_writer",
    "part_name",
    "prepare",
]


def get_engine(name: str) -> Engine:
    """The engine registered as ``name`` (``local`` or ``ray``)."""
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; known: {sorted(ENGINES)}")
    return _load(ENGINES[name])


def get_parts_writer(name: str) -> PartsWriter | None:
    """The function with which engine ``name`` writes a folder output itself, if it has one."""
    return _load(PARTS_WRITERS[name]) if name in PARTS_WRITERS else None


def _load(spec: str) -> Callable:
    module, function = spec.split(":")
    return getattr(importlib.import_module(module), function)
