"""A small on-disk cache of resources derived from package files (lexicons, norms), for a fast start-up.

Each entry is a strict JSON file under ``$XDG_CACHE_HOME/affectlab`` (default ``~/.cache/affectlab``; or
``$AFFECTLAB_CACHE``), named by what it holds and keyed by the sha256 of the source file it was built
from, so an upgraded package or an edited file is never served stale. An unreadable or corrupt entry is
rebuilt; a cache folder that cannot be written only costs the rebuild next time.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from affectlab.errors import AffectlabError
from affectlab.io import file_sha256, write_text

__all__ = ["cache_dir", "cached_json"]


def cache_dir() -> Path:
    """``$AFFECTLAB_CACHE``, else ``$XDG_CACHE_HOME/affectlab``, else ``~/.cache/affectlab``."""
    if explicit := os.environ.get("AFFECTLAB_CACHE"):
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "affectlab"


def cached_json(name: str, source: Path, build: Callable[[], Any]) -> Any:
    """``build()`` (JSON-serialisable), read from the cache when an entry for ``source``'s hash exists."""
    entry = cache_dir() / f"{name}-{file_sha256(source)[:32]}.json"
    with contextlib.suppress(OSError, ValueError, RecursionError):
        return json.loads(entry.read_text(encoding="utf-8"))
    value = build()
    with contextlib.suppress(OSError, ValueError, AffectlabError):  # no cache: rebuilt next time
        write_text(entry, json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")))
    return value
