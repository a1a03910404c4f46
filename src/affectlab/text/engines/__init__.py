"""Engines schedule a batch function over the shards of the input and yield results in input order.

An engine is ``(function, shards, batch_size, workers) -> Iterator[pa.Table]``; it reads the shards with
:func:`affectlab.text.corpora.iter_batches` and never looks inside the batches. Engines are imported on
first use (Ray is heavy to import).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence

import pyarrow as pa

from affectlab.text.corpora import Shard
from affectlab.text.engines.base import BatchFunction, prepare

Engine = Callable[[BatchFunction, Sequence[Shard], int, int], Iterator[pa.Table]]
ENGINES: dict[str, str] = {
    "local": "affectlab.text.engines.local:run_local",
    "ray": "affectlab.text.engines.ray:run_ray",
}

__all__ = ["ENGINES", "BatchFunction", "Engine", "get_engine", "prepare"]


def get_engine(name: str) -> Engine:
    """The engine registered as ``name`` (``local`` or ``ray``)."""
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; known: {sorted(ENGINES)}")
    module, function = ENGINES[name].split(":")
    return getattr(importlib.import_module(module), function)
