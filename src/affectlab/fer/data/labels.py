"""Fixed label tables per dataset and the cross-dataset label map (calm/neutral policy).

| index | RAVDESS (code)  | CREMA-D (code) |
|-------|-----------------|----------------|
| 0     | neutral (01)    | anger (ANG)    |
| 1     | calm (02)       | disgust (DIS)  |
| 2     | happy (03)      | fear (FEA)     |
| 3     | sad (04)        | happy (HAP)    |
| 4     | angry (05)      | neutral (NEU)  |
| 5     | fearful (06)    | sad (SAD)      |
| 6     | disgust (07)    |                |
| 7     | surprised (08)  |                |

Canonical vocabulary (:data:`CANONICAL`): neutral, calm, happy, sad, anger, fear, disgust, surprise,
contempt. Every plot colours an emotion by its canonical name (:func:`emotion_colour`), so ``angry``
(RAVDESS, FER2013) and ``anger`` (CREMA-D) are the same colour in every label set.
Cross-dataset policy: labels meet by canonical name; ``calm`` is dropped or merged into ``neutral``;
labels the other dataset lacks (``surprise`` for CREMA-D) are dropped (``None``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from affectlab.errors import AffectlabError

LABELS: dict[str, tuple[str, ...]] = {
    "ravdess": ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"),
    "crema-d": ("anger", "disgust", "fear", "happy", "neutral", "sad"),
}

CANONICAL: tuple[str, ...] = (
    "neutral", "calm", "happy", "sad", "anger", "fear", "disgust", "surprise", "contempt",
)  # fmt: skip

# One colour per canonical emotion, the same in every plot and label set (Okabe-Ito where it has a fitting
# hue, colour-blind safe; grey for neutral, brown for contempt).
EMOTION_COLOURS: dict[str, str] = {
    "neutral": "#8C8C8C",
    "calm": "#56B4E9",
    "happy": "#E69F00",
    "sad": "#0072B2",
    "anger": "#D55E00",
    "fear": "#CC79A7",
    "disgust": "#009E73",
    "surprise": "#C8B400",  # Okabe-Ito yellow, darkened to read as a line on white
    "contempt": "#8B4513",
}
# Labels outside the canonical emotions (folder datasets) take these, in the order first asked for.
_OTHER_COLOURS = ("#000000", "#7B3294", "#1B7837", "#B2182B", "#2166AC", "#E08214", "#4D4D4D", "#80CDC1")
_other_assigned: dict[str, str] = {}

_SYNONYMS: dict[str, str] = {
    "neu": "neutral",
    "calmness": "calm",
    "happiness": "happy",
    "joy": "happy",
    "hap": "happy",
    "sadness": "sad",
    "angry": "anger",
    "ang": "anger",
    "fearful": "fear",
    "fea": "fear",
    "disgusted": "disgust",
    "dis": "disgust",
    "surprised": "surprise",
    "sur": "surprise",
    "contemptuous": "contempt",
}


def canonical(name: str) -> str:
    """Map a label name or synonym (``angry``, ``ANG``, ``fearful``, ...) to the canonical vocabulary.

    Names outside the known emotions are returned lower-cased and stripped, so folder datasets with
    their own classes still work.
    """
    key = name.strip().lower()
    return _SYNONYMS.get(key, key)


def emotion_colour(name: str) -> str:
    """The fixed colour of an emotion label, by its canonical name (``angry``, ``anger`` and ``ANG`` share
    one); a label outside the canonical emotions gets a colour of its own, stable for the process."""
    key = canonical(name)
    if key in EMOTION_COLOURS:
        return EMOTION_COLOURS[key]
    if key not in _other_assigned:
        _other_assigned[key] = _OTHER_COLOURS[len(_other_assigned) % len(_OTHER_COLOURS)]
    return _other_assigned[key]


def label_table(dataset: str | Sequence[str]) -> tuple[str, ...]:
    """The ordered label names of a known dataset, or the given sequence itself."""
    if isinstance(dataset, str):
        if dataset not in LABELS:
            raise AffectlabError(f"unknown dataset {dataset!r}: expected one of {', '.join(LABELS)}")
        return LABELS[dataset]
    return tuple(dataset)


def cross_dataset_map(
    src: str | Sequence[str],
    dst: str | Sequence[str],
    calm: Literal["drop", "merge"] = "drop",
) -> dict[int, int | None]:
    """Map each ``src`` label index to the ``dst`` label index with the same canonical name, else ``None``.

    ``calm`` is dropped (``"drop"``) or treated as ``neutral`` (``"merge"``) unless ``dst`` has its own
    calm class; labels ``dst`` lacks (``surprised`` -> CREMA-D) are dropped.
    """
    if calm not in ("drop", "merge"):
        raise AffectlabError(f"calm policy {calm!r}: expected 'drop' or 'merge'")
    dst_index = {canonical(name): i for i, name in enumerate(label_table(dst))}
    mapping: dict[int, int | None] = {}
    for i, name in enumerate(label_table(src)):
        key = canonical(name)
        if key == "calm" and key not in dst_index:
            key = "neutral" if calm == "merge" else ""
        mapping[i] = dst_index.get(key)
    return mapping
