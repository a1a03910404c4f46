"""The project tokenizer."""

from __future__ import annotations

import pytest

from affectlab.text.tokenize import _WORD, tokenize, tokenize_batch


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("A T-shirt, two dogs' toys!", ["a", "t-shirt", "two", "dogs", "toys"]),
        ("don’t stop -- it's 3.5 km", ["don't", "stop", "it's", "3", "5", "km"]),
        ("Café ÜBER straße 😀 日本", ["café", "über", "straße", "日本"]),
        ("snake_case and--dashes '' -x-", ["snake", "case", "and", "dashes", "x"]),
        ("", []),
        (" \t\n", []),
        ("!!! ... :)", []),
    ],
)
def test_tokenize(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


def test_chunk_memo_gives_whole_text_result() -> None:
    """Tokens never span whitespace, so memoising per chunk equals tokenizing the whole text at once."""
    text = "ΟΔΟΣ ΟΔΟΣ. Dog's ‘T-SHIRT’ x-ray\u00a0café 3-4 dogs dogs"
    whole = _WORD.findall(text.lower().replace("\u2019", "'"))
    assert tokenize(text) == whole
    assert tokenize(text) == whole  # second time from the memo
    assert whole[:2] == ["οδος", "οδος"]  # Greek final sigma lowercased per word


def test_tokenize_batch_shares_one_batch_between_measures() -> None:
    texts = ["A dog's toy", None, "", 3]
    first = tokenize_batch(texts)
    assert first == [("a", "dog's", "toy"), None, (), None]
    assert tokenize_batch(list(texts)) is first  # the same text objects: tokenized once
    other = tokenize_batch(["A dog's toy", None, "", "cat"])
    assert other is not first and other[3] == ("cat",)
    assert tokenize_batch([]) == []
