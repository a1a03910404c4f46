"""VADER and pattern/TextBlob columns equal the reference libraries, on real corpora and tricky texts."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from textblob import TextBlob
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from affectlab.errors import AffectlabError
from affectlab.text.measures import build_measures, score_batch
from affectlab.text.measures.vader_fast import _but_check
from tests.text.measures.helpers import score_with

VADER = ("vader_neg", "vader_neu", "vader_pos", "vader_compound")
TOLERANCE = 1e-9

TRICKY = [
    # VADER's own demo sentences
    "VADER is smart, handsome, and funny.",
    "VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!",
    "VADER is not smart, handsome, nor funny.",
    "At least it isn't a horrible book.",
    "The book was only kind of good.",
    "The plot was good, but the characters are uncompelling and the dialog is not great.",
    "Today SUX!",
    "Today only kinda sux! But I'll get by, lol",
    "Make sure you :) or :D today!",
    "Catch utf-8 emoji such as 💘 and 💋 and 😁",
    "Not bad at all",
    # negation, "no", "least", "but", boosters, idioms, special cases
    "no good",
    "there is no love or hate here",
    "it was never so good",
    "without doubt a great day",
    "this is the least bad option, at least",
    "very least good",
    "least good",
    "good but bad but great, but awful",
    "but",
    "a really not good movie",
    "not a good movie",
    "I do not really like it",
    "He is kind of great and sort of nice",
    "kind of",
    "that movie cut the mustard, the bomb, yeah right, to die for, kiss of death",
    "bus stop near the shit",
    "the beating heart of a bad ass city",
    # caps, punctuation emphasis
    "GREAT food, GOOD service",
    "ALL CAPS TEXT HERE",
    "great!!!!!!",
    "Is it good?",
    "Is it good??",
    "Is it good????",
    "bad?!?!",
    # pattern specifics: "!", sarcasm, emoticons across tokens, contractions, quotes, abbreviations
    "What a great (!) idea",
    "That was great ( ! )",
    "wow o.O such good",
    "x D funny",
    "I <3 you :-) :( ;) 8-) :'(",
    "smile :)and frown :(",
    "'quoted' \"double\" “curly” ‘single’ don't can't won't it's I'm they're we've he'll I'd",
    "Mr. Smith e.g. U.S. a.m. etc... wait... T. De Smedt vs. them",
    "END-OF-SENTENCE is great",
    "line one is good\n\nline two is bad",
    "good\r\n\r\nbad",
    "one\ntwo good",
    # non-English, non-ASCII, control characters
    "Café très bon — ça va? ¡Qué bueno!",
    "日本語のテキスト 😀😀 good",
    "Das ist sehr gut und nicht schlecht",
    "\x00\x01 control \x7f chars good\x1c\x1d\u2028 bad\u00a0nice",
    "emoji only 😀😂😡",
    # empty and whitespace
    "",
    " ",
    "\t\n  \r",
]


def _references(texts: list[str]) -> dict[str, list[float]]:
    analyzer = SentimentIntensityAnalyzer()
    vader = [analyzer.polarity_scores(t) for t in texts]
    blobs = [TextBlob(t).sentiment_assessments for t in texts]
    columns = {name: [v[name.split("_")[1]] for v in vader] for name in VADER}
    columns["polarity"] = [b.polarity for b in blobs]
    columns["subjectivity"] = [b.subjectivity for b in blobs]
    columns["n_pattern_words"] = [len(b.assessments) for b in blobs]
    return columns


def _assert_equal_to_references(texts: list[str]) -> None:
    measures = build_measures(names=["vader", "pattern"])
    ours = score_batch(texts, measures).to_pydict()
    expected = _references(texts)
    for name, values in expected.items():
        bad = [(t, a, b) for t, a, b in zip(texts, ours[name], values, strict=True) if abs(a - b) > TOLERANCE]
        assert not bad, f"{name}: {len(bad)} texts differ, e.g. {bad[:3]}"
    assert ours["objectivity"] == [1 - s for s in expected["subjectivity"]]


def _coco(shared_data: Path) -> list[str]:
    data = json.loads((shared_data / "captions" / "captions_val2017.json").read_text(encoding="utf-8"))
    return [a["caption"] for a in data["annotations"]]


def _flickr8k(shared_data: Path) -> list[str]:
    lines = (shared_data / "captions" / "Flickr8k.token.txt").read_text(encoding="utf-8").splitlines()
    # "image.jpg#n<TAB>caption"; a few lines use a space instead of the tab
    return [line.split("\t", 1)[1] if "\t" in line else line.split(" ", 1)[1] for line in lines if line.strip()]


def test_tricky_texts_equal_references() -> None:
    _assert_equal_to_references(TRICKY)


def test_very_long_texts_equal_references() -> None:
    rng = random.Random(7)
    words = "good bad not but very kind of great NO never least the a happy sad !!! ? :) 😀".split()
    long_mixed = " ".join(rng.choice(words) for _ in range(3000))
    _assert_equal_to_references([long_mixed, "a" * 100_000, "great " * 5000])


def test_random_emoticon_soup_equals_references() -> None:
    """Seeded random strings dense in emoticon characters, quotes, newlines and markers (fast path and
    fallback decisions alike)."""
    rng = random.Random(3)
    alphabet = [*"abcXYZ :)(!?.,'\"-_8oOD;<>3*^[]{}\n\r\t", "😀", "é", "’", "“", "\x00", "Σ"]
    alphabet += ["END-OF-SENTENCE", " not ", " good ", " but ", " very ", " kind of "]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(2000)]
    _assert_equal_to_references(texts)


@pytest.mark.slow
def test_coco_val2017_captions_equal_references(shared_data: Path) -> None:
    texts = _coco(shared_data)
    assert len(texts) == 25_014
    _assert_equal_to_references(texts)


@pytest.mark.slow
def test_flickr8k_captions_equal_references(shared_data: Path) -> None:
    texts = _flickr8k(shared_data)
    assert len(texts) == 40_460
    _assert_equal_to_references(texts)


def test_laion_style_alt_texts_equal_references(shared_data: Path) -> None:
    table = pq.read_table(shared_data / "captions" / "img2dataset_test_1000.parquet", columns=["TEXT"])
    _assert_equal_to_references([t for t in table.column("TEXT").to_pylist() if t is not None])


def test_pattern_fallbacks_are_counted() -> None:
    (measure,) = build_measures(names=["pattern"])
    score_with(measure, ["a good day", "a good day :)", "great ( ! )", "x\n\ny", "plain words"])
    assert measure.fallbacks == 3


def test_but_check_matches_reference_quirks() -> None:
    """The O(n log n) "but" rule equals the reference's list.index-based one on random lists."""
    rng = random.Random(0)
    values = [0, 0.0, 1.5, -1.5, 0.75, 3.0, 2.25, -0.75, 1.125]
    for _ in range(5000):
        n = rng.randint(1, 12)
        sentiments = [rng.choice(values) for _ in range(n)]
        low = [rng.choice(["a", "but", "x"]) for _ in range(n)]
        assert _but_check(low, list(sentiments)) == SentimentIntensityAnalyzer._but_check(low, list(sentiments))


def test_none_gives_nulls_and_empty_gives_reference_zeros() -> None:
    table = score_batch([None, "", "good"], build_measures(names=["vader", "pattern"])).to_pydict()
    assert all(table[name][0] is None for name in table)
    empty = [table[name][1] for name in (*VADER, "polarity", "subjectivity", "objectivity", "n_pattern_words")]
    assert empty == [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0]


def test_pattern_word_count_tells_no_evidence_from_objective() -> None:
    """Subjectivity 0 with no lexicon word (no evidence) vs 0 from lexicon words rated objective."""
    texts = ["a dog on a sofa", "a british digital camera", "very good", "good and bad :)"]
    rows = score_batch(texts, build_measures(names=["pattern"])).to_pylist()
    assert [(r["subjectivity"], r["n_pattern_words"]) for r in rows[:2]] == [(0.0, 0), (0.0, 2)]
    assert [r["n_pattern_words"] for r in rows[2:]] == [1, 3]  # "very good" is one assessment


def test_non_text_input_is_rejected() -> None:
    with pytest.raises(AffectlabError, match=r"text #1 is a float"):
        score_batch(["fine", 3.5], build_measures(names=["vader"]))
