"""VADER sentiment columns: ``vader_neg``, ``vader_neu``, ``vader_pos``, ``vader_compound``.

Identical to ``vaderSentiment==3.3.2`` ``SentimentIntensityAnalyzer().polarity_scores(text)`` (see
:mod:`affectlab.text.measures.vader_fast`); a None text gives nulls.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from affectlab.text.measures.base import MeasureConfig, register
from affectlab.text.measures.columns import float_schema, reject_non_text
from affectlab.text.measures.vader_fast import VaderScorer

COLUMNS = ("vader_neg", "vader_neu", "vader_pos", "vader_compound")
_NULLS = (None,) * len(COLUMNS)


class VaderMeasure:
    """The four VADER scores of each text."""

    name = "vader"
    schema = pa.schema(float_schema(*COLUMNS))

    def __init__(self) -> None:
        self.scorer = VaderScorer()

    def score_batch(self, texts: Sequence[str | None]) -> dict[str, list]:
        """One list per column of ``schema``."""
        score = self.scorer.polarity_scores
        rows = []
        for index, text in enumerate(texts):
            if text.__class__ is str:
                rows.append(score(text))
            else:
                reject_non_text(index, text)
                rows.append(_NULLS)
        columns = zip(*rows, strict=True) if rows else ((),) * len(COLUMNS)
        return {name: list(values) for name, values in zip(COLUMNS, columns, strict=True)}


@register("vader")
def vader_measure(config: MeasureConfig) -> VaderMeasure:
    """VADER needs no resources beyond the installed package."""
    return VaderMeasure()
