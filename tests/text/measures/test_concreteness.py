"""Concreteness columns against direct look-ups in the Brysbaert et al. (2014) TXT on hand-picked captions."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest

from affectlab.text.measures import MeasureConfig, build_measures, score_batch
from affectlab.text.measures.concreteness import function_words

BRYSBAERT_TXT = ("norms", "Concreteness_ratings_Brysbaert_et_al_BRM.txt")


CLOSED_CLASSES = {
    "Article",
    "Conjunction",
    "Determiner",
    "Ex",
    "Not",
    "Number",
    "Preposition",
    "Pronoun",
    "To",
}
AUXILIARIES = set(
    "be am is are was were been being have has had having do does did will would shall should can could may "
    "might must cannot".split()
)


@pytest.fixture(scope="module")
def brysbaert(shared_data: Path) -> dict[str, tuple[float, str]]:
    """Word -> (Conc.M, Dom_Pos), read straight from the original tab-separated file."""
    with shared_data.joinpath(*BRYSBAERT_TXT).open(encoding="utf-8", newline="") as handle:
        return {
            row["Word"]: (float(row["Conc.M"]), row["Dom_Pos"].strip())
            for row in csv.DictReader(handle, delimiter="\t")
        }


# caption, the rated unit each token (or token pair) is scored with, the tokens left unrated,
# the units that count as abstract words (content words rated < 2.5)
CASES = [
    (
        # bigram "baseball bat", plural "giraffes" -> giraffe, "-ing" verb "playing" -> play, unknown "xyzzy";
        # below 2.5 but function words: are 1.96 (auxiliary), with 2.00, a 1.46, the 1.43
        "Two giraffes are playing with a baseball bat in the xyzzy grass.",
        ["two", "giraffe", "are", "play", "with", "a", "baseball bat", "in", "the", "grass"],
        ["xyzzy"],
        [],
    ),
    (
        # possessive "man's" -> man, bigram with a plural second word "hot dogs" -> "hot dog";
        # below 2.5 but function words: a, is 1.59 (auxiliary), the
        "A man's dog is eating hot dogs on the street.",
        ["a", "man", "dog", "is", "eating", "hot dog", "on", "the", "street"],
        [],
        [],
    ),
    (
        # "-ed" form "parked" -> park, plurals "cars" and "sandwiches"; to 1.55 is a function word
        "Cars parked next to SANDWICHES!",
        ["car", "park", "next", "to", "sandwich"],
        [],
        [],
    ),
    (
        # "has" is unrated itself and scored as its lemma "have" (2.18, an auxiliary); abstract content words:
        # idea 1.61 (Noun), freedom 2.34 (Noun), very 1.43 (Adverb), ready 2.07 (Adjective); function words
        # an, of, and, is, have
        "A dog has an idea of freedom and is very ready.",
        ["a", "dog", "have", "an", "idea", "of", "freedom", "and", "is", "very", "ready"],
        [],
        ["idea", "freedom", "very", "ready"],
    ),
]


@pytest.mark.parametrize(("caption", "units", "unrated", "abstract"), CASES)
def test_concreteness_equals_direct_lookups(caption, units, unrated, abstract, brysbaert, shared_data) -> None:
    assert all(word not in brysbaert for word in unrated)
    ratings = [brysbaert[unit][0] for unit in units]
    function = {u for u in units if brysbaert[u][1] in CLOSED_CLASSES or u in AUXILIARIES}
    assert [u for u, r in zip(units, ratings, strict=True) if r < 2.5 and u not in function] == abstract
    n_tokens = sum(len(u.split()) for u in units) + len(unrated)
    for config in (MeasureConfig(), MeasureConfig(norms=shared_data.joinpath(*BRYSBAERT_TXT))):
        row = score_batch([caption], build_measures(config, names=["concreteness"])).to_pylist()[0]
        assert row["concreteness"] == pytest.approx(sum(ratings) / len(ratings), abs=1e-12)
        content = [r for u, r in zip(units, ratings, strict=True) if u not in function]
        assert row["concreteness_content"] == pytest.approx(sum(content) / len(content), abs=1e-12)
        assert row["concreteness_coverage"] == pytest.approx(len(units) / (len(units) + len(unrated)), abs=1e-12)
        assert row["n_abstract_words"] == len(abstract)
        assert row["n_tokens"] == n_tokens


def test_hand_computed_values(brysbaert) -> None:
    """The first case worked by hand: 10 rated units of 11; the 4 below 2.5 (are 1.96, with 2.00, a 1.46,
    the 1.43) are function words, so no abstract word. Content words: giraffe, play, baseball bat, grass
    (two, are, with, a, in, the are function words)."""
    row = score_batch([CASES[0][0]], build_measures(names=["concreteness"])).to_pylist()[0]
    expected = (4.18 + 4.73 + 1.96 + 3.24 + 2 + 1.46 + 5 + 3 + 1.43 + 4.93) / 10
    assert row == {
        "concreteness": pytest.approx(expected, abs=1e-12),
        "concreteness_content": pytest.approx((4.73 + 3.24 + 5 + 4.93) / 4, abs=1e-12),
        "concreteness_coverage": pytest.approx(10 / 11, abs=1e-12),
        "n_abstract_words": 0,
        "n_tokens": 12,
    }


def test_hand_computed_abstract_content_words() -> None:
    """The last case by hand: 11 rated units of 11 (has -> have 2.18); below 2.5: a 1.46, have 2.18,
    an 1.46, idea 1.61, of 1.67, freedom 2.34, and 1.52, is 1.59, very 1.43, ready 2.07; of these only idea,
    freedom, very, ready count. Content words: dog 4.85 and those four."""
    row = score_batch([CASES[3][0]], build_measures(names=["concreteness"])).to_pylist()[0]
    expected = (1.46 + 4.85 + 2.18 + 1.46 + 1.61 + 1.67 + 2.34 + 1.52 + 1.59 + 1.43 + 2.07) / 11
    assert row == {
        "concreteness": pytest.approx(expected, abs=1e-12),
        "concreteness_content": pytest.approx((4.85 + 1.61 + 2.34 + 1.43 + 2.07) / 5, abs=1e-12),
        "concreteness_coverage": pytest.approx(11 / 11, abs=1e-12),
        "n_abstract_words": 4,
        "n_tokens": 11,
    }


@pytest.mark.parametrize("norms", [None, BRYSBAERT_TXT])
def test_function_words_never_count(norms, shared_data) -> None:
    config = MeasureConfig(norms=None if norms is None else shared_data.joinpath(*norms))
    measure = build_measures(config, names=["concreteness"])
    rows = score_batch(
        [
            "a",
            "the",
            "of",
            "is",
            "a the of is",
            "A THE OF IS the a",
            "idea",
            "freedom",
            "the idea of freedom",
        ],
        measure,
    ).column("n_abstract_words")
    assert rows.to_pylist() == [0, 0, 0, 0, 0, 0, 1, 1, 2]
    words = function_words()
    assert {"a", "the", "of", "is", "and", "to", "with", "i", "would", "cannot"} <= words
    assert not {"idea", "freedom", "dog", "very", "ready"} & words


def test_function_word_list_matches_its_generator(shared_data) -> None:
    """The shipped list is what tools/make_function_words.py derives from the Brysbaert TXT."""
    script = Path(__file__).resolve().parents[3] / "tools" / "make_function_words.py"
    spec = importlib.util.spec_from_file_location("make_function_words", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.function_words(shared_data.joinpath(*BRYSBAERT_TXT)) == sorted(function_words())


def test_empty_unrated_and_missing_texts() -> None:
    rows = score_batch([None, "", "  \t", "!!! ...", "xyzzy qwrtzq"], build_measures(names=["concreteness"]))
    assert rows.to_pylist() == [
        {
            "concreteness": None,
            "concreteness_content": None,
            "concreteness_coverage": None,
            "n_abstract_words": None,
            "n_tokens": None,
        },
        {
            "concreteness": None,
            "concreteness_content": None,
            "concreteness_coverage": None,
            "n_abstract_words": 0,
            "n_tokens": 0,
        },
        {
            "concreteness": None,
            "concreteness_content": None,
            "concreteness_coverage": None,
            "n_abstract_words": 0,
            "n_tokens": 0,
        },
        {
            "concreteness": None,
            "concreteness_content": None,
            "concreteness_coverage": None,
            "n_abstract_words": 0,
            "n_tokens": 0,
        },
        {
            "concreteness": None,
            "concreteness_content": None,
            "concreteness_coverage": 0.0,
            "n_abstract_words": 0,
            "n_tokens": 2,
        },
    ]


def test_schema_types() -> None:
    table = score_batch(["a dog"], build_measures(names=["concreteness"]))
    assert [str(t) for t in table.schema.types] == ["double", "double", "double", "int32", "int32"]


def test_content_mean_is_null_with_only_function_words() -> None:
    rows = score_batch(["the of a", "the dog"], build_measures(names=["concreteness"])).to_pylist()
    assert rows[0]["concreteness"] == pytest.approx((1.43 + 1.67 + 1.46) / 3, abs=1e-12)
    assert rows[0]["concreteness_content"] is None
    assert rows[1]["concreteness_content"] == 4.85
