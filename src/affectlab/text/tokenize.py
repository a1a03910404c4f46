"""The project's word tokenizer: lowercased runs of letters/digits, keeping inner hyphens and apostrophes.

``"A T-shirt, two dogs' toys!"`` -> ``["a", "t-shirt", "two", "dogs", "toys"]``. A token is a run of Unicode
letters or digits; a single ``-`` or ``'`` (also ``’``) between two such runs stays inside the token
(``t-shirt``, ``don't``), anywhere else it separates. Punctuation, emoji and whitespace are dropped.

:class:`Tokenizer` gives the same tokens with a memo per whitespace chunk (no token spans whitespace);
a batch is tokenized once and the tokens are handed to every measure that needs them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["Tokenizer", "tokenize"]

_WORD = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")
_MEMO_LIMIT = 500_000  # memoised chunks before the memo is cleared (bounded memory on huge corpora)


def _chunk_tokens(chunk: str) -> list[str]:
    return _WORD.findall(chunk.lower().replace("\u2019", "'"))


def tokenize(text: str) -> list[str]:
    """Split ``text`` into lowercased word tokens (see the module docstring for the exact rule)."""
    return [token for chunk in text.split() for token in _chunk_tokens(chunk)]


class Tokenizer:
    """:func:`tokenize` with a memo of the chunks seen, owned by the object (one per scorer)."""

    def __init__(self) -> None:
        self._memo: dict[str, list[str]] = {}

    def tokenize(self, text: str) -> tuple[str, ...]:
        memo = self._memo
        known = memo.get
        tokens: list[str] = []
        for chunk in text.split():
            found = known(chunk)
            if found is None:
                if len(memo) > _MEMO_LIMIT:
                    memo.clear()
                found = memo[chunk] = _chunk_tokens(chunk)
            tokens += found
        return tuple(tokens)

    def batch(self, texts: Sequence[object]) -> list[tuple[str, ...] | None]:
        """Tokens of each ``str`` of ``texts``; None for anything else (a missing text)."""
        tokenize = self.tokenize
        return [tokenize(text) if text.__class__ is str else None for text in texts]
