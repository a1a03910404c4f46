"""Concreteness columns against direct look-ups in the Brysbaert et al. (2014) TXT on hand-picked captions."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from affectlab.text.measures import MeasureConfig, build_measures, score_batch

BRYSBAERT_TXT = ("norms", "Concreteness_ratings_Brysbaert_et_al_BRM.txt")


@pytest.fixture(scope="module")
def brysbaert(shared_data: Path) -> dict[str, float]:
    """Word -> Conc.M, read straight from the original tab-separated file."""
    with shared_data.joinpath(*BRYSBAERT_TXT).open(encoding="utf-8", newline="") as handle:
        return {row["Word"]: float(row["Conc.M"]) for row in csv.DictReader(handle, delimiter="\t")}


# caption, the rated unit each token (or token pair) is scored with, the tokens left unrated
CASES = [
    (
        # bigram "baseball bat", plural "giraffes" -> giraffe, "-ing" verb "playing" -> play, unknown "xyzzy"
        "Two giraffes are playing with a baseball bat in the xyzzy grass.",
        ["two", "giraffe", "are", "play", "with", "a", "baseball bat", "in", "the", "grass"],
        ["xyzzy"],
    ),
    (
        # possessive "man's" -> man, bigram with a plural second word "hot dogs" -> "hot dog"
        "A man's dog is eating hot dogs on the street.",
        ["a", "man", "dog", "is", "eating", "hot dog", "on", "the", "street"],
        [],
    ),
    (
        # "-ed" form "parked" -> park, plurals "cars" and "sandwiches"
        "Cars parked next to SANDWICHES!",
        ["car", "park", "next", "to", "sandwich"],
        [],
    ),
]


@pytest.mark.parametrize(("caption", "units", "unrated"), CASES)
def test_concreteness_equals_direct_lookups(caption, units, unrated, brysbaert, shared_data) -> None:
    assert all(word not in brysbaert for word in unrated)
    ratings = [brysbaert[unit] for unit in units]
    n_tokens = sum(len(u.split()) for u in units) + len(unrated)
    for config in (MeasureConfig(), MeasureConfig(norms=shared_data.joinpath(*BRYSBAERT_TXT))):
        row = score_batch([caption], build_measures(config, names=["concreteness"])).to_pylist()[0]
        assert row["concreteness"] == pytest.approx(sum(ratings) / len(ratings), abs=1e-12)
        assert row["concreteness_coverage"] == pytest.approx(
            len(units) / (len(units) + len(unrated)), abs=1e-12
        )
        assert row["n_abstract_words"] == sum(r < 2.5 for r in ratings)
        assert row["n_tokens"] == n_tokens


def test_hand_computed_values(brysbaert) -> None:
    """The first case worked by hand: 10 rated units of 11, 4 of them below 2.5 (are, with, a, the)."""
    row = score_batch([CASES[0][0]], build_measures(names=["concreteness"])).to_pylist()[0]
    expected = (4.18 + 4.73 + 1.96 + 3.24 + 2 + 1.46 + 5 + 3 + 1.43 + 4.93) / 10
    assert row == {
        "concreteness": pytest.approx(expected, abs=1e-12),
        "concreteness_coverage": pytest.approx(10 / 11, abs=1e-12),
        "n_abstract_words": 4,
        "n_tokens": 12,
    }


def test_empty_unrated_and_missing_texts() -> None:
    rows = score_batch([None, "", "  \t", "!!! ...", "xyzzy qwrtzq"], build_measures(names=["concreteness"]))
    assert rows.to_pylist() == [
        {"concreteness": None, "concreteness_coverage": None, "n_abstract_words": None, "n_tokens": None},
        {"concreteness": None, "concreteness_coverage": None, "n_abstract_words": 0, "n_tokens": 0},
        {"concreteness": None, "concreteness_coverage": None, "n_abstract_words": 0, "n_tokens": 0},
        {"concreteness": None, "concreteness_coverage": None, "n_abstract_words": 0, "n_tokens": 0},
        {"concreteness": None, "concreteness_coverage": 0.0, "n_abstract_words": 0, "n_tokens": 2},
    ]


def test_schema_types() -> None:
    table = score_batch(["a dog"], build_measures(names=["concreteness"]))
    assert [str(t) for t in table.schema.types] == ["double", "double", "int32", "int32"]
