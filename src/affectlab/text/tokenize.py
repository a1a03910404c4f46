"""The project's word tokenizer: lowercased runs of letters/digits, keeping inner hyphens and apostrophes.

``"A T-shirt, two dogs' toys!"`` -> ``["a", "t-shirt", "two", "dogs", "toys"]``. A token is a run of Unicode
letters or digits; a single ``-`` or ``'`` (also ``’``) between two such runs stays inside the token
(``t-shirt``, ``don't``), anywhere else it separates. Punctuation, emoji and whitespace are dropped.

:func:`tokenize_batch` tokenizes a batch once for all the measures that score it (see its docstring).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Sequence

__all__ = ["forget_batch", "tokenize", "tokenize_batch"]

_WORD = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")
_MEMO_LIMIT = 500_000
_chunk_tokens: dict[str, list[str]] = {}  # whitespace chunk -> its tokens (no token spans whitespace)
_last_batch: tuple[tuple[object, ...], list[tuple[str, ...] | None]] = ((), [])  # (texts, their tokens)


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


def tokenize_batch(texts: Sequence[object]) -> list[tuple[str, ...] | None]:
    """``tokenize(text)`` as a tuple for each ``str`` of ``texts``, None for anything else.

    The result for the most recent batch is kept: a call with the very same text objects (every element
    identical, as when several measures score one batch) returns it again instead of tokenizing twice.
    """
    global _last_batch
    batch, tokens = _last_batch  # one tuple, so a concurrent call never pairs texts with others' tokens
    if len(texts) == len(batch) and all(map(operator.is_, texts, batch)):
        return tokens
    batch = tuple(texts)
    # tuples of str: the garbage collector untracks them, so keeping a batch alive costs it nothing
    tokens = [tuple(tokenize(text)) if text.__class__ is str else None for text in batch]
    _last_batch = (batch, tokens)
    return tokens


def forget_batch() -> None:
    """Drop the batch kept by :func:`tokenize_batch` (benchmarks: each contender tokenizes for itself)."""
    global _last_batch
    _last_batch = ((), [])
