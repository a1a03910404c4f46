"""The project's word tokenizer: lowercased runs of letters/digits, keeping inner hyphens and apostrophes.

``"A T-shirt, two dogs' toys!"`` -> ``["a", "t-shirt", "two", "dogs", "toys"]``. A token is a run of Unicode
letters or digits; a single ``-`` or ``'`` (also ``’``) between two such runs stays inside the token
(``t-shirt``, ``don't``), anywhere else it separates. Punctuation, emoji and whitespace are dropped.
"""

from __future__ import annotations

import re

__all__ = ["tokenize"]

_WORD = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")
_MEMO_LIMIT = 500_000
_chunk_tokens: dict[str, list[str]] = {}  # whitespace chunk -> its tokens (no token spans whitespace)


def _learn(chunk: str) -> list[str]:
    if len(_chunk_tokens) > _MEMO_LIMIT:
        _chunk_tokens.clear()
    tokens = _chunk_tokens[chunk] = _WORD.findall(chunk.lower().replace("\u2019", "'"))
    return tokens


def tokenize(text: str) -> list[str]:
    """Split ``text`` into lowercased word tokens (see the module docstring for the exact rule)."""
    known = _chunk_tokens.get
    tokens: list[str] = []
    for chunk in text.split():
        found = known(chunk)
        tokens += _learn(chunk) if found is None else found
    return tokens
