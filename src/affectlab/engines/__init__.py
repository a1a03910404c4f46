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

from affectlab.engines.base import (
    ENGINE_NAMES,
    BatchFormat,
    Engine,
    EngineName,
    Source,
    TwoStage,
    default_workers,
    prepare,
)
from affectlab.engines.local import STOP_GRACE_SECONDS, LocalEngine, map_local
from affectlab.errors import AffectlabError


def get_engine(name: str) -> Engine:
    """The engine called ``name`` (``local`` or ``ray``)."""
    if name == "local":
        return LocalEngine()
    if name == "ray":
        from affectlab.engines.ray_data import RayEngine

        return RayEngine()
    raise AffectlabError(f"unknown engine {name!r}; expected one of {', '.join(ENGINE_NAMES)}")


__all__ = [
    "ENGINE_NAMES",
    "STOP_GRACE_SECONDS",
    "BatchFormat",
    "Engine",
    "EngineName",
    "LocalEngine",
    "Source",
    "TwoStage",
    "default_workers",
    "get_engine",
    "map_local",
    "prepare",
]
