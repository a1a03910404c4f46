"""pattern/TextBlob columns: ``polarity`` (-1..1), ``subjectivity`` (0..1), ``objectivity`` (1 - subj.).

Identical to ``textblob==0.20.1`` ``TextBlob(text).sentiment`` (see
:mod:`affectlab.text.measures.pattern_fast`, which counts the texts it hands to textblob itself in
``fallbacks``); a None text gives nulls.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from affectlab.text.measures.base import MeasureConfig, register
from affectlab.text.measures.columns import float_schema, reject_non_text
from affectlab.text.measures.pattern_fast import PatternScorer

COLUMNS = ("polarity", "subjectivity", "objectivity")


class PatternMeasure:
    """pattern's polarity and subjectivity of each text, and objectivity."""

    name = "pattern"
    schema = pa.schema(float_schema(*COLUMNS))

    def __init__(self) -> None:
        self.scorer = PatternScorer()

    @property
    def fallbacks(self) -> int:
        """Texts scored so far by textblob itself (a construct the fast path does not re-implement)."""
        return self.scorer.fallbacks

    def score_batch(self, texts: Sequence[str | None]) -> dict[str, list]:
        """One list per column of ``schema``."""
        sentiment = self.scorer.sentiment
        polarity: list[float | None] = []
        subjectivity: list[float | None] = []
        objectivity: list[float | None] = []
        for index, text in enumerate(texts):
            if text.__class__ is str:
                p, s = sentiment(text)
                polarity.append(p)
                subjectivity.append(s)
                objectivity.append(1 - s)
            else:
                reject_non_text(index, text)
                polarity.append(None)
                subjectivity.append(None)
                objectivity.append(None)
        return {"polarity": polarity, "subjectivity": subjectivity, "objectivity": objectivity}


@register("pattern")
def pattern_measure(config: MeasureConfig) -> PatternMeasure:
    """pattern's lexicon ships with textblob."""
    return PatternMeasure()
