"""One emotion vocabulary for every dataset, the colour of each emotion, and the cross-dataset label map.

The canonical vocabulary (:data:`CANONICAL`) is RAVDESS's names plus contempt: neutral, calm, happy, sad,
angry, fearful, disgust, surprised, contempt. RAVDESS has the most classes of the reference datasets (8), its
names are what the V-JEPA FER paper reports, and manifests and runs of RAVDESS keep their names; the adjectives
read as what a face shows ("looks angry"), and disgust is the word all three datasets use. Every other table
is written in it: CREMA-D's ANG/FEA are angry/fearful (not anger/fear), FER2013's fear/surprise are
fearful/surprised, a folder dataset's ``anger`` or ``joy`` class is angry or happy. So a correct prediction
gives ``label == true_label`` whatever dataset the clip came from. A dataset's own names appear only where
its own table is shown (a layout's ``own_names``; :data:`DATASET_NAMES` for FER2013).

Each dataset's fixed label order is its layout's label table (:mod:`affectlab.fer.data.layouts`):

| index | RAVDESS (code)  | CREMA-D (code)  | CREMA-D's own name |
|-------|-----------------|-----------------|--------------------|
| 0     | neutral (01)    | angry (ANG)     | anger              |
| 1     | calm (02)       | disgust (DIS)   | disgust            |
| 2     | happy (03)      | fearful (FEA)   | fear               |
| 3     | sad (04)        | happy (HAP)     | happy              |
| 4     | angry (05)      | neutral (NEU)   | neutral            |
| 5     | fearful (06)    | sad (SAD)       | sad                |
| 6     | disgust (07)    |                 |                    |
| 7     | surprised (08)  |                 |                    |

Manifests and runs written before (CREMA-D ``anger``/``fear``) are read into this vocabulary by
:func:`canonical`. Every plot colours an emotion by its canonical name (:func:`emotion_colours`).
Cross-dataset policy: labels meet by canonical name; ``calm`` is dropped or merged into ``neutral``; labels
the other dataset lacks (``surprised`` for CREMA-D) are dropped (``None``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from affectlab.errors import AffectlabError

# The own names, in label order, of datasets without a layout (a layout declares its own: ``own_names``).
DATASET_NAMES: dict[str, tuple[str, ...]] = {
    "fer2013": ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"),
}

CANONICAL: tuple[str, ...] = (
    "neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised", "contempt",
)  # fmt: skip

# One colour per canonical emotion, the same in every plot and label set (Okabe-Ito where it has a fitting
# hue, colour-blind safe; grey for neutral, brown for contempt).
EMOTION_COLOURS: dict[str, str] = {
    "neutral": "#8C8C8C",
    "calm": "#56B4E9",
    "happy": "#E69F00",
    "sad": "#0072B2",
    "angry": "#D55E00",
    "fearful": "#CC79A7",
    "disgust": "#009E73",
    "surprised": "#C8B400",  # Okabe-Ito yellow, darkened to read as a line on white
    "contempt": "#8B4513",
}
# Labels outside the canonical emotions (folder datasets) take these, in the order of their label table.
OTHER_COLOURS = ("#000000", "#7B3294", "#1B7837", "#B2182B", "#2166AC", "#E08214", "#4D4D4D", "#80CDC1")

_SYNONYMS: dict[str, str] = {
    "neu": "neutral",
    "calmness": "calm",
    "happiness": "happy",
    "joy": "happy",
    "hap": "happy",
    "sadness": "sad",
    "anger": "angry",
    "ang": "angry",
    "fear": "fearful",
    "fea": "fearful",
    "disgusted": "disgust",
    "dis": "disgust",
    "surprise": "surprised",
    "sur": "surprised",
    "contemptuous": "contempt",
}


def canonical(name: str) -> str:
    """A label name or synonym (``anger``, ``ANG``, ``Fear``, ``surprise``, ``joy``, ...) in the canonical
    vocabulary (``angry``, ``angry``, ``fearful``, ``surprised``, ``happy``).

    A name outside the known emotions is returned as given (stripped), so a folder dataset's own classes keep
    their names.
    """
    key = name.strip().lower()
    if key in CANONICAL:
        return key
    return _SYNONYMS.get(key, name.strip())


def canonical_labels(names: Sequence[str]) -> tuple[str, ...]:
    """A label table in the canonical vocabulary (a table written by an older version reads as today's)."""
    return tuple(canonical(name) for name in names)


def emotion_colours(names: Sequence[str]) -> list[str]:
    """The colour of each label of a label table: a canonical emotion's fixed colour (``angry``, ``anger`` and
    ``ANG`` share one); the labels outside the canonical emotions take :data:`OTHER_COLOURS` in the table's
    order, so every label of one table has its own colour (past eight other labels they repeat)."""
    keys = [canonical(name).lower() for name in names]
    others = list(dict.fromkeys(k for k in keys if k not in EMOTION_COLOURS))
    return [EMOTION_COLOURS.get(k) or OTHER_COLOURS[others.index(k) % len(OTHER_COLOURS)] for k in keys]


def emotion_colour(name: str) -> str:
    """The fixed colour of one emotion label (:func:`emotion_colours` of a one-label table)."""
    return emotion_colours([name])[0]


def cross_dataset_map(
    src: Sequence[str],
    dst: Sequence[str],
    calm: Literal["drop", "merge"] = "drop",
) -> dict[int, int | None]:
    """Map each ``src`` label index to the ``dst`` label index with the same canonical name, else ``None``
    (label tables: :func:`affectlab.fer.data.layouts.label_table` gives a dataset's).

    ``calm`` is dropped (``"drop"``) or treated as ``neutral`` (``"merge"``) unless ``dst`` has its own
    calm class; labels ``dst`` lacks (``surprised`` -> CREMA-D) are dropped.
    """
    if calm not in ("drop", "merge"):
        raise AffectlabError(f"calm policy {calm!r}: expected 'drop' or 'merge'")
    if isinstance(src, str) or isinstance(dst, str):
        raise TypeError("cross_dataset_map takes label tables; a dataset's is layouts.label_table(name)")
    dst_index = {canonical(name).lower(): i for i, name in enumerate(dst)}
    mapping: dict[int, int | None] = {}
    for i, name in enumerate(src):
        key = canonical(name).lower()
        if key == "calm" and key not in dst_index:
            key = "neutral" if calm == "merge" else ""
        mapping[i] = dst_index.get(key)
    return mapping
