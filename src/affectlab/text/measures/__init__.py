"""Text measures, one module per family, each registered by name.

Contract: a measure *factory* takes the resolved :class:`MeasureConfig` and returns a :class:`Measure`
(or None when it is switched off, e.g. affect norms without ``--affect-norms``);
``Measure.score_batch(texts)`` returns one list per output column, as long as ``texts``.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import pyarrow as pa

from affectlab.text.measures.base import REGISTRY, Measure, MeasureConfig, register

# Modules that register measures, in output-column order. Add a module here when you add a family.
MEASURE_MODULES: tuple[str, ...] = ("sentiment", "subjectivity", "concreteness", "affect", "figurative")

__all__ = ["MEASURE_MODULES", "Measure", "MeasureConfig", "build_measures", "register", "score_batch"]


def build_measures(config: MeasureConfig | None = None, names: Sequence[str] | None = None) -> list[Measure]:
    """Instantiate the registered measures (all, or ``names``) for ``config``, in registry order."""
    for module in MEASURE_MODULES:
        importlib.import_module(f"affectlab.text.measures.{module}")
    config = config or MeasureConfig()
    wanted = list(REGISTRY) if names is None else list(names)
    unknown = [n for n in wanted if n not in REGISTRY]
    if unknown:
        raise ValueError(f"unknown measure(s) {unknown}; known: {sorted(REGISTRY)}")
    built = (REGISTRY[name](config) for name in wanted)
    return [m for m in built if m is not None]


def score_batch(texts: Sequence[str | None], measures: Sequence[Measure]) -> pa.Table:
    """Score ``texts`` with every measure; one row per text, the measures' columns side by side."""
    arrays: list[pa.Array] = []
    fields: list[pa.Field] = []
    for measure in measures:
        columns = measure.score_batch(texts)
        for field in measure.schema:
            arrays.append(pa.array(columns[field.name], type=field.type))
            fields.append(field)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))
