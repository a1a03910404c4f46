"""Helpers of the comparison tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from affectlab.text import api
from affectlab.text.comparison.core import Comparison
from affectlab.text.config import CompareOptions


def write_report(inputs: Sequence[Path], out: Path, options: CompareOptions | None = None) -> Comparison:
    """``affectlab text compare INPUTS --out OUT`` through the Python API; the comparison it reported."""
    options = options or CompareOptions()
    groups: dict[str, list[str]] = {}
    for corpus, group in (options.groups or {}).items():
        groups.setdefault(group, []).append(corpus)
    result = api.compare(
        list(inputs),
        out=out,
        measures=options.measures,
        groups=groups or None,
        seed=options.seed,
        workers=options.workers,
        norms=options.norms,
        affect_norms=options.affect_norms,
        progress=False,
    )
    return result.comparison
