"""Affect profiling of text corpora: sentiment, subjectivity and concreteness, and corpus comparison.

>>> import affectlab as al
>>> al.text.score(["a dog on a red sofa", "a haunting, melancholic dreamscape"])[["text", "concreteness"]]
... # doctest: +SKIP
"""

from affectlab.text.api import ProfileResult, art_corpora, compare, profile, score

__all__ = ["ProfileResult", "art_corpora", "compare", "profile", "score"]
