"""Affect columns (only with ``MeasureConfig.affect_norms``): ``valence``, ``arousal``, ``dominance``,
``affect_coverage``.

Means of Warriner et al. (2013) ratings (``V.Mean.Sum``, ``A.Mean.Sum``, ``D.Mean.Sum``; 1..9) over the
text's rated units, matched exactly like concreteness (:meth:`WordNorms.match`), and the share of units
rated. No rated unit: the means are null. A None text: nulls everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

from affectlab.text.measures.base import MeasureConfig, Tokens, float_column, nulls, register, schema_of
from affectlab.text.measures.norms import WARRINER, WordNorms, load_affect_norms

COLUMNS = (
    float_column(
        "valence",
        "mean word valence, 1 unhappy .. 9 happy (Warriner 2013)",
        "mean valence (Warriner, 1-9)",
        (1, 9),
    ),
    float_column(
        "arousal",
        "mean word arousal, 1 calm .. 9 excited (Warriner 2013)",
        "mean arousal (Warriner, 1-9)",
        (1, 9),
    ),
    float_column(
        "dominance",
        "mean word dominance, 1 controlled .. 9 in control (Warriner 2013)",
        "mean dominance (Warriner, 1-9)",
        (1, 9),
    ),
    float_column(
        "affect_coverage",
        "share of words found in the affect norms",
        "share of tokens with affect ratings",
        (0, 1),
        compare=False,
    ),
)
NAMES = tuple(c.name for c in COLUMNS)
_NULLS = (None,) * len(COLUMNS)


class AffectMeasure:
    """Valence, arousal and dominance of each text from word norms."""

    name = "affect"
    schema = schema_of(COLUMNS)

    def __init__(self, norms: WordNorms) -> None:
        self.norms = norms

    def _score(self, tokens: Tokens) -> tuple[float | None, ...]:
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

    def score_batch(self, texts: Sequence[str | None], tokens: Sequence[Tokens | None]) -> dict[str, list]:
        """One list per column."""
        rows = []
        for index, words in enumerate(tokens):
            if words is not None:
                rows.append(self._score(words))
            else:
                nulls(texts, index)
                rows.append(_NULLS)
        columns = zip(*rows, strict=True) if rows else ((),) * len(COLUMNS)
        return {name: list(values) for name, values in zip(NAMES, columns, strict=True)}


@register("affect", COLUMNS, (WARRINER,), needs_tokens=True, optional=True, notes="on with --affect-norms")
def affect_measure(config: MeasureConfig) -> AffectMeasure | None:
    """Switched off unless ``config.affect_norms`` names a Warriner et al. CSV."""
    if config.affect_norms is None:
        return None
    return AffectMeasure(load_affect_norms(config.affect_norms))
