"""Fixed label tables, synonyms and the cross-dataset map (calm drop/merge, surprised dropped)."""

import pytest

from affectlab.errors import AffectlabError
from affectlab.fer.data.labels import CANONICAL, LABELS, canonical, cross_dataset_map


def test_label_tables_follow_the_official_codes():
    assert LABELS["ravdess"] == (
        "neutral",
        "calm",
        "happy",
        "sad",
        "angry",
        "fearful",
        "disgust",
        "surprised",
    )
    assert LABELS["crema-d"] == ("anger", "disgust", "fear", "happy", "neutral", "sad")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("angry", "anger"),
        ("ANG", "anger"),
        ("Fearful", "fear"),
        ("surprised", "surprise"),
        ("HAP", "happy"),
        ("sadness", "sad"),
        ("disgusted", "disgust"),
        (" neutral ", "neutral"),
        ("calm", "calm"),
        ("boredom", "boredom"),
    ],
)
def test_canonical_maps_synonyms(name, expected):
    assert canonical(name) == expected


def test_every_dataset_label_is_canonical():
    for names in LABELS.values():
        assert {canonical(n) for n in names} <= set(CANONICAL)


def test_ravdess_to_crema_drops_calm_and_surprised():
    assert cross_dataset_map("ravdess", "crema-d") == {0: 4, 1: None, 2: 3, 3: 5, 4: 0, 5: 2, 6: 1, 7: None}


def test_ravdess_to_crema_merges_calm_into_neutral():
    assert cross_dataset_map("ravdess", "crema-d", calm="merge") == {
        0: 4,
        1: 4,
        2: 3,
        3: 5,
        4: 0,
        5: 2,
        6: 1,
        7: None,
    }


def test_crema_to_ravdess_keeps_all_six():
    assert cross_dataset_map("crema-d", "ravdess") == {0: 4, 1: 6, 2: 5, 3: 2, 4: 0, 5: 3}
    assert cross_dataset_map("crema-d", "ravdess", calm="merge") == cross_dataset_map("crema-d", "ravdess")


def test_calm_maps_to_calm_when_the_target_has_it():
    assert cross_dataset_map("ravdess", "ravdess", calm="merge") == {i: i for i in range(8)}


def test_custom_label_sequences():
    assert cross_dataset_map(("Angry", "joy", "other"), "crema-d") == {0: 0, 1: 3, 2: None}


@pytest.mark.parametrize(("src", "calm"), [("affectnet", "drop"), ("ravdess", "keep")])
def test_bad_arguments_raise(src, calm):
    with pytest.raises(AffectlabError):
        cross_dataset_map(src, "crema-d", calm=calm)
