"""VADER sentiment columns: ``vader_neg``, ``vader_neu``, ``vader_pos``, ``vader_compound`` (valence) and
``vader_intensity`` (= |compound|: how much sentiment a text carries, whatever its sign).

Identical to ``vaderSentiment==3.3.2`` ``SentimentIntensityAnalyzer().polarity_scores(text)`` (see
:mod:`affectlab.text.measures.vader_fast`); a None text gives nulls.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from affectlab.text.measures.base import (
    MeasureConfig,
    Share,
    Tokens,
    float_column,
    nulls,
    register,
    schema_of,
)

VADER = (
    "Hutto, C. J. & Gilbert, E. (2014). VADER: A parsimonious rule-based model for sentiment analysis of "
    "social media text. ICWSM-14."
)
COLUMNS = (
    float_column("vader_neg", "VADER: share of negative sentiment (0-1)", "VADER negative share", (0, 1)),
    float_column("vader_neu", "VADER: share of neutral wording (0-1)", "VADER neutral share", (0, 1)),
    float_column("vader_pos", "VADER: share of positive sentiment (0-1)", "VADER positive share", (0, 1)),
    float_column(
        "vader_compound",
        "VADER valence: overall sentiment, -1 negative .. +1 positive",
        "VADER valence (compound, -1 neg ... +1 pos)",
        (-1, 1),
        required=True,
        higher="more positive (VADER valence)",
        shares=(Share("any sentiment", "|VADER compound| >= 0.05", lambda v: np.abs(v) >= 0.05),),
    ),
    float_column(
        "vader_intensity",
        "VADER sentiment intensity: |compound|, 0 none .. 1 strong (either sign)",
        "VADER intensity (|compound|, 0 ... 1)",
        (0, 1),
        headline=True,
        higher="more sentimental (VADER intensity)",
    ),
)
NAMES = tuple(c.name for c in COLUMNS)
_NULLS = (None,) * len(COLUMNS)


class VaderMeasure:
    """The four VADER scores of each text."""

    name = "vader"
    schema = schema_of(COLUMNS)

    def __init__(self) -> None:
        from affectlab.text.measures.vader_fast import VaderScorer

        self.scorer = VaderScorer()

    def score_batch(self, texts: Sequence[str | None], tokens: Sequence[Tokens | None]) -> dict[str, list]:
        """One list per column; VADER tokenizes in its own way, so ``tokens`` are not used."""
        score = self.scorer.polarity_scores
        rows = []
        for index, text in enumerate(texts):
            if text.__class__ is str:
                found = score(text)
                rows.append((*found, abs(found[3])))
            else:
                nulls(texts, index)
                rows.append(_NULLS)
        columns = zip(*rows, strict=True) if rows else ((),) * len(COLUMNS)
        return {name: list(values) for name, values in zip(NAMES, columns, strict=True)}


@register("vader", COLUMNS, (VADER,))
def vader_measure(config: MeasureConfig) -> VaderMeasure:
    """VADER needs no resources beyond the installed package."""
    return VaderMeasure()
