"""pattern/TextBlob columns: ``polarity`` (-1..1), ``subjectivity`` (0..1), ``objectivity`` (1 - subj.),
``n_pattern_words``.

Identical to ``textblob==0.20.1`` ``TextBlob(text).sentiment`` (see
:mod:`affectlab.text.measures.pattern_fast`, which counts the texts it hands to textblob itself in
``fallbacks``); a None text gives nulls. ``n_pattern_words`` is the number of assessments both scores
average, ``len(TextBlob(text).sentiment_assessments.assessments)``: words of pattern's lexicon (a modifier
and the word it modifies, "very good", count once) and emoticons. When it is 0 pattern found nothing to
judge and returns polarity 0 and subjectivity 0 by convention: no evidence, not a measured "objective".
"""

from __future__ import annotations

from collections.abc import Sequence

from affectlab.text.measures.base import (
    MeasureConfig,
    Share,
    Tokens,
    count_column,
    float_column,
    nulls,
    register,
    schema_of,
)

PATTERN = (
    "pattern / TextBlob polarity and subjectivity (en-sentiment.xml): De Smedt, T. & Daelemans, W. (2012). "
    "Pattern for Python. JMLR 13, 2063-2067."
)
COLUMNS = (
    float_column(
        "polarity",
        "TextBlob: sentiment, -1 negative .. +1 positive",
        "pattern polarity (-1 ... +1)",
        (-1, 1),
        required=True,
        headline=True,
        higher="more positive (pattern)",
    ),
    float_column(
        "subjectivity",
        "TextBlob: 0 objective .. 1 subjective",
        "pattern subjectivity (0 objective ... 1)",
        (0, 1),
        required=True,
        headline=True,
        higher="more subjective",
        shares=(Share("subjective", "subjectivity > 0.5", lambda v: v > 0.5),),
    ),
    float_column("objectivity", "1 - subjectivity", "objectivity (1 - subjectivity)", (0, 1), compare=False),
    count_column(
        "n_pattern_words",
        "pattern-lexicon words and emoticons assessed; 0: no evidence (polarity and subjectivity are 0 then)",
        "pattern-lexicon words per text",
        compare=False,
    ),
)


class PatternMeasure:
    """pattern's polarity and subjectivity of each text, and objectivity."""

    name = "pattern"
    schema = schema_of(COLUMNS)

    def __init__(self) -> None:
        from affectlab.text.measures.pattern_fast import PatternScorer

        self.scorer = PatternScorer()

    @property
    def fallbacks(self) -> int:
        """Texts scored so far by textblob itself (a construct the fast path does not re-implement)."""
        return self.scorer.fallbacks

    def score_batch(self, texts: Sequence[str | None], tokens: Sequence[Tokens | None]) -> dict[str, list]:
        """One list per column; pattern tokenizes in its own way, so ``tokens`` are not used."""
        sentiment = self.scorer.sentiment
        polarity: list[float | None] = []
        subjectivity: list[float | None] = []
        objectivity: list[float | None] = []
        hits: list[int | None] = []
        for index, text in enumerate(texts):
            if text.__class__ is str:
                p, s, n = sentiment(text)
                polarity.append(p)
                subjectivity.append(s)
                objectivity.append(1 - s)
                hits.append(n)
            else:
                nulls(texts, index)
                polarity.append(None)
                subjectivity.append(None)
                objectivity.append(None)
                hits.append(None)
        return {
            "polarity": polarity,
            "subjectivity": subjectivity,
            "objectivity": objectivity,
            "n_pattern_words": hits,
        }


@register("pattern", COLUMNS, (PATTERN,))
def pattern_measure(config: MeasureConfig) -> PatternMeasure:
    """pattern's lexicon ships with textblob."""
    return PatternMeasure()
