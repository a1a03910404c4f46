"""The project tokenizer."""

from __future__ import annotations

import pytest

from affectlab.text.measures import Scorer
from affectlab.text.tokenize import _WORD, Tokenizer, tokenize


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
    tokenizer = Tokenizer()
    assert tokenize(text) == whole
    assert list(tokenizer.tokenize(text)) == whole
    assert list(tokenizer.tokenize(text)) == whole  # second time from the memo
    assert whole[:2] == ["οδος", "οδος"]  # Greek final sigma lowercased per word


def test_batch_tokens_for_texts_none_for_the_rest() -> None:
    assert Tokenizer().batch(["A dog's toy", None, "", 3]) == [("a", "dog's", "toy"), None, (), None]
    assert Tokenizer().batch([]) == []


class _Spy:
    """A measure that records the tokens it is handed."""

    name = "spy"

    def __init__(self) -> None:
        import pyarrow as pa

        self.schema = pa.schema([("n", pa.int32())])
        self.seen: list = []

    def score_batch(self, texts, tokens):
        self.seen.append(tokens)
        return {"n": [None if t is None else len(t) for t in tokens]}


def test_scorer_tokenizes_each_batch_once_for_every_measure() -> None:
    first, second = _Spy(), _Spy()
    table = Scorer([first, second]).score(["A dog's toy", None, ""])
    assert table.column(0).to_pylist() == [3, None, 0]
    assert first.seen[0] is second.seen[0]  # one tokenization, handed to both measures
    assert first.seen[0] == [("a", "dog's", "toy"), None, ()]
