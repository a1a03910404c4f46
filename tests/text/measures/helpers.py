"""Helpers of the measure tests."""

from __future__ import annotations

from collections.abc import Sequence

from affectlab.text.measures import Measure
from affectlab.text.tokenize import Tokenizer


def score_with(measure: Measure, texts: Sequence[object]) -> dict[str, list]:
    """``measure.score_batch`` with the batch's tokens, as :class:`~affectlab.text.measures.Scorer` hands them."""
    return measure.score_batch(texts, Tokenizer().batch(texts))
