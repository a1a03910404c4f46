"""Fixed label tables, synonyms and the cross-dataset map (calm drop/merge, surprised dropped)."""

import pytest

from affectlab.errors import AffectlabError
from affectlab.fer.data.labels import CANONICAL, canonical, cross_dataset_map
from affectlab.fer.data.layouts import LAYOUTS, label_table

LABELS = {name: label_table(name) for name in ("ravdess", "crema-d")}


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
    assert LABELS["crema-d"] == ("angry", "disgust", "fearful", "happy", "neutral", "sad")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("anger", "angry"),
        ("ANG", "angry"),
        ("Fear", "fearful"),
        ("surprise", "surprised"),
        ("Fearful", "fearful"),
        ("joy", "happy"),
        ("HAP", "happy"),
        ("sadness", "sad"),
        ("disgusted", "disgust"),
        (" neutral ", "neutral"),
        ("calm", "calm"),
        ("boredom", "boredom"),
        (" Boredom ", "Boredom"),
    ],
)
def test_canonical_maps_synonyms(name, expected):
    assert canonical(name) == expected


def test_every_label_table_is_in_the_one_vocabulary():
    """Every table a label can come from (the dataset tables, the code tables of the file names, the frame
    baseline's outputs) is written in the canonical names; only a dataset's own table (DATASET_NAMES) differs."""
    from affectlab.fer.data.labels import DATASET_NAMES
    from affectlab.fer.data.layouts.crema_d import CREMA_EMOTION
    from affectlab.fer.encoders.frame_baseline import FER_LABELS

    tables = {**LABELS, "crema-d codes": tuple(CREMA_EMOTION.values()), "fer2013": FER_LABELS}
    for name, names in tables.items():
        assert set(names) <= set(CANONICAL), name
        assert all(canonical(n) == n for n in names), name
    # each dataset's own names map onto its canonical table, index by index
    assert tuple(canonical(n) for n in LAYOUTS["crema-d"].own_names) == LABELS["crema-d"]
    assert tuple(canonical(n) for n in DATASET_NAMES["fer2013"]) == FER_LABELS
    assert LAYOUTS["ravdess"].own_names is None  # RAVDESS's own names are the canonical ones


def test_ravdess_to_crema_drops_calm_and_surprised():
    assert cross_dataset_map(LABELS["ravdess"], LABELS["crema-d"]) == {
        0: 4,
        1: None,
        2: 3,
        3: 5,
        4: 0,
        5: 2,
        6: 1,
        7: None,
    }


def test_ravdess_to_crema_merges_calm_into_neutral():
    assert cross_dataset_map(LABELS["ravdess"], LABELS["crema-d"], calm="merge") == {
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
    assert cross_dataset_map(LABELS["crema-d"], LABELS["ravdess"]) == {0: 4, 1: 6, 2: 5, 3: 2, 4: 0, 5: 3}
    assert cross_dataset_map(LABELS["crema-d"], LABELS["ravdess"], calm="merge") == cross_dataset_map(
        LABELS["crema-d"], LABELS["ravdess"]
    )


def test_calm_maps_to_calm_when_the_target_has_it():
    assert cross_dataset_map(LABELS["ravdess"], LABELS["ravdess"], calm="merge") == {i: i for i in range(8)}


def test_custom_label_sequences():
    assert cross_dataset_map(("Angry", "joy", "other"), LABELS["crema-d"]) == {0: 0, 1: 3, 2: None}


@pytest.mark.parametrize(("src", "calm"), [("affectnet", "drop"), ("ravdess", "keep")])
def test_bad_arguments_raise(src, calm):
    with pytest.raises(AffectlabError):
        cross_dataset_map(label_table(src), label_table("crema-d"), calm=calm)


def test_a_dataset_name_is_no_label_table():
    with pytest.raises(TypeError, match="label_table"):
        cross_dataset_map("ravdess", label_table("crema-d"))
    with pytest.raises(AffectlabError, match="no fixed label table"):
        label_table("folder")


def test_palette_gives_an_emotion_one_colour_in_every_label_set():
    from affectlab.fer.data.labels import DATASET_NAMES, EMOTION_COLOURS, emotion_colour
    from affectlab.fer.encoders.frame_baseline import FER_LABELS

    tables = {
        "ravdess": LABELS["ravdess"],
        "crema-d": LAYOUTS["crema-d"].own_names,
        "fer2013": DATASET_NAMES["fer2013"],
    }
    by_emotion: dict[str, set[str]] = {}
    for names in tables.values():
        for name in names:
            by_emotion.setdefault(canonical(name), set()).add(emotion_colour(name))
    # angry/anger, fearful/fear, surprised/surprise, happy, sad, disgust, neutral: one colour each
    assert set(by_emotion) == {"neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"}
    assert all(len(colours) == 1 for colours in by_emotion.values()), by_emotion
    assert emotion_colour("angry") == emotion_colour("anger") == emotion_colour("ANG") == EMOTION_COLOURS["angry"]
    assert emotion_colour("fearful") == emotion_colour("fear") and emotion_colour("surprised") == emotion_colour(
        "surprise"
    )
    # the colour follows the emotion, not the index: index 3 is sad in RAVDESS, happy in CREMA-D and FER2013
    assert emotion_colour(LABELS["ravdess"][3]) != emotion_colour(LABELS["crema-d"][3])
    assert emotion_colour(LABELS["crema-d"][3]) == emotion_colour(FER_LABELS[3]) == EMOTION_COLOURS["happy"]
    # nine canonical emotions, nine distinct colours; other labels get colours outside the palette
    assert len(set(EMOTION_COLOURS.values())) == len(EMOTION_COLOURS) == 9 == len(CANONICAL)
    assert emotion_colour("boredom") not in EMOTION_COLOURS.values()
    assert emotion_colour("boredom") == emotion_colour(" Boredom ")


def test_other_labels_take_their_colours_from_the_table_not_from_earlier_calls():
    """A label outside the canonical emotions gets a spare colour by its place among the table's other labels:
    the same table gets the same colours in every plot and process, whatever was coloured before."""
    from affectlab.fer.data.labels import EMOTION_COLOURS, OTHER_COLOURS, emotion_colours

    assert emotion_colours(["zeal"]) == [OTHER_COLOURS[0]]  # asked first: must not bind zeal to a colour
    assert emotion_colours(["pain", "anger", "boredom", " Pain"]) == [
        OTHER_COLOURS[0],
        EMOTION_COLOURS["angry"],
        OTHER_COLOURS[1],
        OTHER_COLOURS[0],
    ]
    assert emotion_colours(["boredom", "zeal"]) == [OTHER_COLOURS[0], OTHER_COLOURS[1]]
