"""Affect columns (only with ``MeasureConfig.affect_norms``): ``valence``, ``arousal``, ``dominance``,
``affect_coverage``.

Means of Warriner et al. (2013) ratings (``V.Mean.Sum``, ``A.Mean.Sum``, ``D.Mean.Sum``; 1..9) over the
text's rated units, matched exactly like concreteness (:meth:`WordNorms.match`), and the share of units
rated. No rated unit: the means are null. A None text: nulls everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from affectlab.text.measures.base import MeasureConfig, register
from affectlab.text.measures.columns import float_schema, reject_non_text
from affectlab.text.measures.norms import WordNorms, load_affect_norms
from affectlab.text.tokenize import tokenize_batch

COLUMNS = ("valence", "arousal", "dominance", "affect_coverage")
_NULLS = (None,) * len(COLUMNS)


class AffectMeasure:
    """Valence, arousal and dominance of each text from word norms."""

    name = "affect"
    schema = pa.schema(float_schema(*COLUMNS))

    def __init__(self, norms: WordNorms) -> None:
        self.norms = norms

    def _score(self, tokens: tuple[str, ...]) -> tuple[float | None, ...]:
        units, found = self.norms.match(tokens)
        coverage = len(found) / units if units else None
        if not found:
            return None, None, None, coverage
        n = len(found)
        return (
            sum(r[0] for r in found) / n,
            sum(r[1] for r in found) / n,
            sum(r[2] for r in found) / n,
            coverage,
        )

    def score_batch(self, texts: Sequence[str | None]) -> dict[str, list]:
        """One list per column of ``schema``."""
        rows = []
        for index, tokens in enumerate(tokenize_batch(texts)):
            if tokens is not None:
                rows.append(self._score(tokens))
            else:
                reject_non_text(index, texts[index])
                rows.append(_NULLS)
        columns = zip(*rows, strict=True) if rows else ((),) * len(COLUMNS)
        return {name: list(values) for name, values in zip(COLUMNS, columns, strict=True)}


@register("affect")
def affect_measure(config: MeasureConfig) -> AffectMeasure | None:
    """Switched off unless ``config.affect_norms`` names a Warriner et al. CSV."""
    if config.affect_norms is None:
        return None
    return AffectMeasure(load_affect_norms(config.affect_norms))
