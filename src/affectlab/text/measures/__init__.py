"""Text measures, one module per family, each registered by name with its column declarations.

Contract (:mod:`affectlab.text.measures.base`): a family declares its :class:`Column` objects once and
registers a factory ``MeasureConfig -> Measure | None``; ``Measure.score_batch(texts, tokens)`` returns
one list per column. :class:`Scorer` tokenizes a batch once and runs every measure on it.

Adding a measure family: one module here (columns, sources, factory) listed in :data:`MEASURE_MODULES`,
and one test file; the profile, ``text score``, ``text compare`` and the docs pick it up from there.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Sequence

import pyarrow as pa

from affectlab.errors import AffectlabError
from affectlab.text.measures.base import REGISTRY, Column, Family, Measure, MeasureConfig, Share, register
from affectlab.text.tokenize import Tokenizer

# Modules that register measures, in output-column order. Add a module here when you add a family.
MEASURE_MODULES: tuple[str, ...] = (
    "language",
    "sentiment",
    "subjectivity",
    "concreteness",
    "affect",
    "table_norms",
    "figurative",
)

__all__ = [
    "MEASURE_MODULES",
    "Column",
    "Family",
    "Measure",
    "MeasureConfig",
    "Scorer",
    "Share",
    "build_measures",
    "cached_scorer",
    "declared_columns",
    "families",
    "register",
    "score_batch",
]


def families() -> list[Family]:
    """Every registered family, in :data:`MEASURE_MODULES` order (importing the modules registers them),
    whatever order they were first imported in; families registered elsewhere come last."""
    order = {f"affectlab.text.measures.{module}": i for i, module in enumerate(MEASURE_MODULES)}
    for module in order:
        importlib.import_module(module)
    return sorted(REGISTRY.values(), key=lambda f: order.get(f.factory.__module__, len(order)))


def declared_columns() -> dict[str, Column]:
    """Every declared column by name, in output order (the affect columns included)."""
    return {c.name: c for family in families() for c in family.columns}


def build_measures(config: MeasureConfig | None = None, names: Sequence[str] | None = None) -> list[Measure]:
    """Instantiate the registered measures (all, or ``names``) for ``config``, in registry order."""
    known = {f.name: f for f in families()}
    config = config or MeasureConfig()
    wanted = list(known) if names is None else list(names)
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise AffectlabError(f"unknown measure(s) {unknown}; known: {sorted(known)}")
    built = (known[name].factory(config) for name in wanted)
    return [m for m in built if m is not None]


class Scorer:
    """Measures ready to score batches: each batch is tokenized once, for every measure that needs it.

    A language measure with ``only`` set (``--language en``) runs first; the other measures then see only the
    texts in those languages (the others are scored as missing texts: null measures, row kept).
    """

    def __init__(self, measures: Sequence[Measure]) -> None:
        self.measures = list(measures)
        self.filter = next((m for m in self.measures if getattr(m, "only", None)), None)
        self.tokenizer = Tokenizer()
        self.needs_tokens = any(
            getattr(REGISTRY.get(m.name), "needs_tokens", True) for m in self.measures
        )  # an unregistered measure (a test's toy) gets tokens too
        self.schema = pa.schema([f for m in self.measures for f in m.schema])

    def score(self, texts: Sequence[str | None]) -> pa.Table:
        """One row per text, the measures' columns side by side."""
        columns = self.columns(texts)
        arrays = [pa.array(columns[field.name], type=field.type) for field in self.schema]
        return pa.Table.from_arrays(arrays, schema=self.schema)

    def columns(self, texts: Sequence[str | None]) -> dict[str, list]:
        """Every measure column as a plain list, in schema order (no Arrow arrays are built)."""
        texts = list(texts)
        found: dict[str, list] = {}
        if self.filter is not None:
            found = self.filter.score_batch(texts, [None] * len(texts))
            wanted = self.filter.only
            texts = [t if lang in wanted else None for t, lang in zip(texts, found["lang"], strict=True)]
        tokens = self.tokenizer.batch(texts) if self.needs_tokens else [None] * len(texts)
        out: dict[str, list] = {}
        for measure in self.measures:
            columns = found if measure is self.filter else measure.score_batch(texts, tokens)
            out.update((field.name, columns[field.name]) for field in measure.schema)
        return out


@functools.lru_cache(maxsize=4)
def cached_scorer(config: MeasureConfig = MeasureConfig()) -> Scorer:  # noqa: B008 (frozen, hashable)
    """The measures for ``config``, built once per process and reused by every call in it."""
    return Scorer(build_measures(config))


def score_batch(texts: Sequence[str | None], measures: Sequence[Measure]) -> pa.Table:
    """Score ``texts`` with every measure (a one-off :class:`Scorer`); one row per text."""
    return Scorer(measures).score(texts)
