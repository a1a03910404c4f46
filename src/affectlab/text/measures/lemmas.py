"""Base forms for tokens missing from a norms list: lemminflect's dictionary first, then a few rules.

For a lowercased token ``t`` the candidates are, in this order (the caller keeps the first one that is in
the norms):

1. a possessive ``'s`` removed (``man's`` -> ``man``), then the steps below applied to that base;
2. the lemmas of ``lemminflect``'s lookup table (``getAllLemmas``: a dictionary of English word forms built
   from a lexicon, shipped in its wheel), nouns first, then verbs, adjectives, adverbs and auxiliaries
   (``hopes`` -> ``hope``, ``knives`` -> ``knife``, ``went`` -> ``go``, ``mice`` -> ``mouse``);
3. for forms lemminflect does not know, rules: irregular plurals from a short table (``policemen``);
   ``-ies`` -> ``-y``, ``-ves`` -> ``-f`` and ``-fe``, ``-s`` removed (not after another ``s``) *before*
   ``-es`` removed (``hopes`` -> ``hope`` before ``hop``, ``boxes`` -> ``box`` since ``boxe`` is unrated);
   ``-ing``: for ``-ying`` with a stem of at most two letters, ``-ie`` first (``lying`` -> ``lie``), then
   the stem and stem + ``e``, stem + ``e`` first when the stem ends consonant-vowel-consonant (not
   ``w``/``x``/``y``) or has two letters (``riding`` -> ``ride``), then a doubled final consonant undone
   (``running`` -> ``run``); ``-ed``: ``-ied`` -> ``-y`` first (``carried`` -> ``carry``), then as ``-ing``.

The tested list of forms and the lemma each is scored with is ``tests/text/measures/lemma_cases.tsv``.
"""

from __future__ import annotations

import functools

__all__ = ["IRREGULAR_PLURALS", "dictionary_lemmas", "lemma_candidates"]

IRREGULAR_PLURALS = {
    "men": "man",
    "women": "woman",
    "children": "child",
    "people": "person",
    "feet": "foot",
    "teeth": "tooth",
    "geese": "goose",
    "mice": "mouse",
    "oxen": "ox",
    "dice": "die",
    "lice": "louse",
    "policemen": "policeman",
    "firemen": "fireman",
}
_UPOS_ORDER = ("NOUN", "VERB", "ADJ", "ADV", "AUX")
_VOWELS = frozenset("aeiou")


@functools.cache
def _lemmatizer():
    """lemminflect's lemmatizer (imported on first use: it reads its tables then, ~0.4 s)."""
    from lemminflect import Lemmatizer

    return Lemmatizer()


def dictionary_lemmas(token: str) -> tuple[str, ...]:
    """lemminflect's lemmas of a lowercased ``token`` (nouns first), without the token itself; () if unknown."""
    found = _lemmatizer().getAllLemmas(token)
    out: list[str] = []
    for upos in (*_UPOS_ORDER, *sorted(set(found) - set(_UPOS_ORDER))):
        for lemma in found.get(upos, ()):
            lemma = lemma.lower()
            if lemma != token and lemma not in out:
                out.append(lemma)
    return tuple(out)


def _stem_forms(stem: str) -> list[str]:
    """The stem of an ``-ing``/``-ed`` form and stem + ``e`` (in the order of step 3), then undoubled."""
    e_first = len(stem) <= 2 or (
        stem[-1] not in _VOWELS and stem[-1] not in "wxy" and stem[-2] in _VOWELS and stem[-3] not in _VOWELS
    )
    out = [stem + "e", stem] if e_first else [stem, stem + "e"]
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in _VOWELS:
        out.append(stem[:-1])
    return out


def _rule_candidates(token: str) -> list[str]:
    """Step 3 of the module docstring, in order."""
    out: list[str] = []
    if token in IRREGULAR_PLURALS:
        out.append(IRREGULAR_PLURALS[token])
    if token.endswith("s") and len(token) > 3:
        if token.endswith("ies"):
            out.append(token[:-3] + "y")
        if token.endswith("ves"):
            out += [token[:-3] + "f", token[:-3] + "fe"]
        if not token.endswith("ss"):
            out.append(token[:-1])
        if token.endswith("es"):
            out.append(token[:-2])
    elif token.endswith("ing") and len(token) > 4:
        stem = token[:-3]
        if stem.endswith("y") and len(stem) <= 2:
            out.append(stem[:-1] + "ie")
        out += _stem_forms(stem)
    elif token.endswith("ed") and len(token) > 3:
        stem = token[:-2]
        if stem.endswith("i"):
            out.append(stem[:-1] + "y")
        out += _stem_forms(stem)
    return out


def _candidates(token: str) -> list[str]:
    out = list(dictionary_lemmas(token))
    out += (c for c in _rule_candidates(token) if c not in out)
    return out


@functools.lru_cache(maxsize=65_536)
def lemma_candidates(token: str) -> tuple[str, ...]:
    """Base forms to look up, in order, for a lowercased ``token`` that is not in the norms itself."""
    if token.endswith("'s") and len(token) > 2:
        base = token[:-2]
        return tuple(dict.fromkeys((base, *_candidates(base))))
    return tuple(_candidates(token))
