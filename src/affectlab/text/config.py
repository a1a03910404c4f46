"""The typed configs of the text half, the single source of its defaults (CLI options and the Python API
read them from here). Importing this module is cheap."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from affectlab.engines import EngineName, default_workers
from affectlab.text.measures.base import MeasureConfig

__all__ = ["MAX_CHARS", "CompareOptions", "MeasureConfig", "ProfileOptions"]

# Characters of one text that are scored; longer texts are cut (a counted warning) or, with --strict,
# refused. The longest public-domain poem (283k characters) fits; a whole book on one line does not, and
# memory stays bounded.
MAX_CHARS = 1_000_000


class ProfileOptions(BaseModel):
    """How ``affectlab text profile`` runs; stored in the output's parquet metadata."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    measures: MeasureConfig = Field(default_factory=MeasureConfig)
    batch_size: int = Field(default=1024, ge=1)
    workers: int = Field(default_factory=default_workers, ge=1)
    engine: EngineName = "local"
    keep_text: bool = True
    max_chars: int = Field(default=MAX_CHARS, ge=1)  # longer texts are cut (strict: refused)
    shard_rows: int = Field(default=65_536, ge=1)  # rows per part of a folder output (the last fewer)


class CompareOptions(BaseModel):
    """Settings of one comparison run (written to ``compare.json``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    measures: tuple[str, ...] | None = None
    groups: dict[str, str] | None = None  # corpus -> group it is pooled into
    seed: int = 0
    norms: Path | None = None  # used when raw corpora are profiled first
    affect_norms: Path | None = None
    workers: int | None = Field(None, ge=1)  # profiling processes for raw inputs (None: all cores)
    by: str | None = None  # a kept column whose values replace the corpus names
    contrasts: tuple[tuple[str, str], ...] = ()  # (a, b) comparisons the headline answers
    plots: Literal["all", "summary", "none"] = "all"  # summary: means, shares and effects only
    alpha: float = Field(0.05, gt=0, lt=1)  # a direction is stated only when the Holm p is below alpha
    cluster: str | None = None  # column of sampling units (None: `cluster` when present; "none": off)
