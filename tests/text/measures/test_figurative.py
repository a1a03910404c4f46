"""Figurative and evaluative language indicators, on hand-checked sentences."""

from __future__ import annotations

import json

import pytest

from affectlab.errors import AffectlabError
from affectlab.text.measures import MeasureConfig, build_measures
from affectlab.text.measures.figurative import (
    COLUMNS,
    FIRST_PERSON,
    SECOND_PERSON,
    FigurativeMeasure,
    build_figurative,
    count_simile_markers,
    evaluative_adjectives,
    share_abstract_nouns,
)
from affectlab.text.measures.norms import WordNorms
from affectlab.text.tokenize import tokenize
from tests.text.measures.helpers import score_with

# Real Brysbaert et al. (2014) ratings and Dom_Pos of these five words.
TOY_NORMS = WordNorms(
    ("concreteness",),
    {"dog": (4.85,), "idea": (1.61,), "freedom": (2.34,), "red": (4.24,), "run": (4.31,)},
    "test",
    {"dog": "Noun", "idea": "Noun", "freedom": "Noun", "red": "Adjective", "run": "Verb"},
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a cloud like a sheep", 1),
        ("she sings like the wind, as light as a feather", 2),
        ("I would like a coffee", 0),
        ("I'd like an apple", 0),
        ("bread as well as butter", 0),
        ("as soon as possible", 0),
        ("people like dogs", 0),
        ("like a", 1),
        ("", 0),
    ],
)
def test_simile_markers(text, expected):
    assert count_simile_markers(tokenize(text)) == expected


SCHEMA_NAMES = [c.name for c in COLUMNS if not c.name.startswith("rate_")]
COUNTS = ("n_simile_markers", "n_first_person", "n_second_person", "n_evaluative_adjectives")


def test_share_abstract_nouns_uses_pos_and_base_forms():
    # nouns: dogs -> dog (concrete), idea, freedom (abstract); "red" and "run" are not nouns.
    assert share_abstract_nouns(tokenize("Two dogs, one idea of freedom; red run"), TOY_NORMS) == pytest.approx(2 / 3)
    assert share_abstract_nouns(tokenize("red run"), TOY_NORMS) is None
    no_pos = WordNorms(("concreteness",), {"idea": (1.61,)}, "test")
    assert share_abstract_nouns(["idea"], no_pos) is None


def test_evaluative_lexicon_is_pattern_subjective_adjectives():
    lexicon = evaluative_adjectives()
    assert {"beautiful", "sad", "happy"} <= lexicon
    assert not {"red", "white", "wooden", "old"} & lexicon  # descriptive: subjectivity < 0.5
    assert 500 < len(lexicon) < 2000


def test_score_batch_columns_and_counts():
    measure = FigurativeMeasure(TOY_NORMS)
    out = score_with(measure, ["I love your beautiful idea, like a dream", None, "A dog on a red sofa", ""])
    assert list(out) == measure.schema.names
    assert out["n_simile_markers"] == [1, None, 0, 0]
    assert out["n_first_person"] == [1, None, 0, 0]
    assert out["n_second_person"] == [1, None, 0, 0]
    assert out["n_evaluative_adjectives"] == [1, None, 0, 0]
    assert out["share_abstract_nouns"] == [1.0, None, 0.0, None]
    # per-token rates: 9 tokens in the first text (I love your beautiful idea like a dream + comma-free)
    size = len(tokenize("I love your beautiful idea, like a dream"))
    assert out["rate_first_person"] == [1 / size, None, 0.0, None]  # an empty text: no token, no rate
    assert out["rate_simile_markers"] == [1 / size, None, 0.0, None]
    with pytest.raises(AffectlabError, match="text #1"):
        score_with(measure, ["ok", 3])


def test_registered_and_reads_real_brysbaert_pos(shared_data):
    norms = shared_data / "norms" / "Concreteness_ratings_Brysbaert_et_al_BRM.txt"
    measure = build_figurative(MeasureConfig(norms=norms))
    out = score_with(measure, ["the truth of freedom, beauty and a dog"])
    # nouns: truth 1.96, freedom 2.34 (abstract, < 2.5), beauty 2.93, dog 4.85
    assert out["share_abstract_nouns"] == [pytest.approx(2 / 4)]
    assert [m.name for m in build_measures(MeasureConfig(norms=norms), names=["figurative"])] == ["figurative"]


def _reference(texts, norms):
    """The measure's columns from the module's simple functions, token by token (no memo, no shortcuts)."""
    evaluative = evaluative_adjectives()
    rows = []
    for text in texts:
        tokens = tokenize(text)
        rows.append(
            (
                count_simile_markers(tokens),
                sum(t in FIRST_PERSON for t in tokens),
                sum(t in SECOND_PERSON for t in tokens),
                sum(t in evaluative for t in tokens),
                share_abstract_nouns(tokens, norms),
            )
        )
    out = {name: list(column) for name, column in zip(SCHEMA_NAMES, zip(*rows, strict=True), strict=True)}
    sizes = [len(tokenize(text)) for text in texts]
    for name in COUNTS:  # rate_X = n_X / tokens, null without a token
        out[name.replace("n_", "rate_", 1)] = [
            n / size if size else None for n, size in zip(out[name], sizes, strict=True)
        ]
    return out


@pytest.mark.parametrize("with_pos", [True, False])
def test_fast_measure_equals_reference_on_all_coco_captions(shared_data, with_pos):
    path = shared_data / "norms" / "Concreteness_ratings_Brysbaert_et_al_BRM.txt"
    measure = build_figurative(MeasureConfig(norms=path if with_pos else None))
    assert measure.norms.has_pos is with_pos
    captions = json.loads((shared_data / "captions" / "captions_val2017.json").read_text(encoding="utf-8"))
    texts = [a["caption"] for a in captions["annotations"]]
    texts += [
        "",
        "like",
        "as big as",
        "I would like a coffee; you'd like an idea of freedom, like the wind, as soon as possible",
        # longer than one summed chunk of tokens (1,023): counts must not carry between fields
        "I like you, my beautiful idea of truth, like a dog as big as a house and your freedom " * 200,
    ]
    got: dict[str, list] = {name: [] for name in measure.schema.names}
    for start in range(0, len(texts), 1000):
        for name, column in score_with(measure, texts[start : start + 1000]).items():
            got[name] += column
    assert got == _reference(texts, measure.norms)
    if with_pos:
        assert sum(v is not None for v in got["share_abstract_nouns"]) > 20_000
    else:
        assert set(got["share_abstract_nouns"]) == {None}
    # per repeat: I, my; you, your; "like a", "as big as" (not "like you")
    assert [got[c][-1] for c in ("n_first_person", "n_second_person", "n_simile_markers")] == [400, 400, 400]
