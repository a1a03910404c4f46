"""Rule-based base forms for tokens missing from a norms list (no NLTK corpora, no dictionary of forms).

For a lowercased token ``t`` the candidates are, in this order (the caller keeps the first one that is in
the norms):

1. a possessive ``'s`` removed (``man's`` -> ``man``), then the rules below applied to that base;
2. irregular plurals from a short table (``men`` -> ``man``, ``children`` -> ``child``, ``feet`` -> ``foot``);
3. plural / third-person ``-s`` endings: ``-ies`` -> ``-y``, ``-ves`` -> ``-f`` and ``-fe``, ``-es``
   removed, ``-s`` removed (not after another ``s``): ``ladies`` -> ``lady``, ``knives`` -> ``knife``,
   ``boxes`` -> ``box``, ``horses`` -> ``horse``, ``dogs`` -> ``dog``;
4. ``-ing``: for ``-ying`` with a stem of at most two letters, ``-ie`` first (``lying`` -> ``lie``); then
   the stem and stem + ``e``, stem + ``e`` first when the stem ends consonant-vowel-consonant (not
   ``w``/``x``/``y``) or has two letters (``riding`` -> ``ride``, ``eating`` -> ``eat``); then a doubled final
   consonant undone (``running`` -> ``run``);
5. ``-ed``: ``-ied`` -> ``-y`` first (``carried`` -> ``carry``), then as for ``-ing``
   (``baked`` -> ``bake``, ``parked`` -> ``park``, ``used`` -> ``use``, ``stopped`` -> ``stop``).
"""

from __future__ import annotations

import functools

__all__ = ["IRREGULAR_PLURALS", "lemma_candidates"]

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
_VOWELS = frozenset("aeiou")


def _stem_forms(stem: str) -> list[str]:
    """The stem of an ``-ing``/``-ed`` form and stem + ``e`` (in the order of rule 4), then undoubled."""
    e_first = len(stem) <= 2 or (
        stem[-1] not in _VOWELS and stem[-1] not in "wxy" and stem[-2] in _VOWELS and stem[-3] not in _VOWELS
    )
    out = [stem + "e", stem] if e_first else [stem, stem + "e"]
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in _VOWELS:
        out.append(stem[:-1])
    return out


def _inflection_candidates(token: str) -> list[str]:
    """Rules 2-5 of the module docstring, in order."""
    out: list[str] = []
    if token in IRREGULAR_PLURALS:
        out.append(IRREGULAR_PLURALS[token])
    if token.endswith("s") and len(token) > 3:
        if token.endswith("ies"):
            out.append(token[:-3] + "y")
        if token.endswith("ves"):
            out += [token[:-3] + "f", token[:-3] + "fe"]
        if token.endswith("es"):
            out.append(token[:-2])
        if not token.endswith("ss"):
            out.append(token[:-1])
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


@functools.lru_cache(maxsize=65_536)
def lemma_candidates(token: str) -> tuple[str, ...]:
    """Base forms to look up, in order, for a lowercased ``token`` that is not in the norms itself."""
    if token.endswith("'s") and len(token) > 2:
        base = token[:-2]
        return (base, *_inflection_candidates(base))
    return tuple(_inflection_candidates(token))
