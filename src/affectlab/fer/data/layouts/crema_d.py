"""CREMA-D (Cao et al. 2014): ``VideoFlash/AAAA_SSS_EEE_LL.flv`` (actor, sentence, emotion, level), or the
official file list ``SentenceFilenames.csv``; the actors' sex from ``VideoDemographics.csv``."""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable
from pathlib import Path, PurePath

from affectlab.errors import AffectlabError
from affectlab.fer.data.layouts.base import Layout, Record, Scan, Skipped, absolute, lookup, video_files
from affectlab.io import open_csv

CREMA_EMOTION = {  # codes -> the canonical vocabulary, in label order
    "ANG": "angry",
    "DIS": "disgust",
    "FEA": "fearful",
    "HAP": "happy",
    "NEU": "neutral",
    "SAD": "sad",
}
OWN_NAMES = ("anger", "disgust", "fear", "happy", "neutral", "sad")  # CREMA-D's own names, in label order
CREMA_LEVEL = {"LO": "low", "MD": "medium", "HI": "high", "XX": "unspecified"}
CREMA_SENTENCE = {
    "IEO": "It's eleven o'clock",
    "TIE": "That is exactly what happened",
    "IOM": "I'm on my way to the meeting",
    "IWW": "I wonder what this is about",
    "TAI": "The airplane is almost full",
    "MTI": "Maybe tomorrow it will be cold",
    "IWL": "I would like a new alarm clock",
    "ITH": "I think I have a doctor's appointment",
    "DFA": "Don't forget a jacket",
    "ITS": "I think I've seen this before",
    "TSI": "The surface is slick",
    "WSI": "We'll stop in a couple of minutes",
}

_NAME = re.compile(r"^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})$")


def parse_name(path: PurePath) -> Record:
    """Fields of a CREMA-D ``AAAA_SSS_EEE_LL`` name; ``ValueError`` names what does not fit."""
    match = _NAME.match(path.stem)
    if not match:
        raise ValueError("name does not match CREMA-D actor_sentence_emotion_level (e.g. 1001_DFA_ANG_XX)")
    actor, sentence, emotion, level = match.groups()
    return {
        "label": lookup(CREMA_EMOTION, emotion, "emotion"),
        "actor": actor,
        "sex": None,
        "intensity": lookup(CREMA_LEVEL, level, "level"),
        "statement": lookup(CREMA_SENTENCE, sentence, "sentence"),
        "repetition": None,
        "modality": "audio-visual",
        "vocal_channel": "speech",
        "recording": f"crema-d:{path.stem}",
    }


def find_crema_demographics(root: Path) -> Path | None:
    """``VideoDemographics.csv`` in ``root``, its parent, or a sibling folder of ``root``."""
    for folder in (root, root.parent):
        if (folder / "VideoDemographics.csv").is_file():
            return folder / "VideoDemographics.csv"
    return next(iter(sorted(root.parent.glob("*/VideoDemographics.csv"))), None)


def read_crema_sex(path: Path) -> dict[str, str]:
    """Actor id -> ``male``/``female`` from CREMA-D's ``VideoDemographics.csv``."""
    with open_csv(path) as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or not {"ActorID", "Sex"} <= set(reader.fieldnames):
            raise AffectlabError(f"{path}: expected CREMA-D VideoDemographics.csv with ActorID and Sex columns")
        return {row["ActorID"].strip(): row["Sex"].strip().lower() for row in reader}


def read_crema_file_list(path: Path) -> list[str]:
    """Clip names (no extension) from CREMA-D's ``SentenceFilenames.csv`` (column ``Filename``)."""
    if not path.is_file():
        raise AffectlabError(f"file list {path} not found")
    with open_csv(path) as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or "Filename" not in reader.fieldnames:
            raise AffectlabError(f"{path}: expected CREMA-D SentenceFilenames.csv with a Filename column")
        return [row["Filename"].strip() for row in reader]


def scan(
    root: Path,
    *,
    file_list: str | os.PathLike[str] | None = None,
    demographics: str | os.PathLike[str] | None = None,
) -> Scan:
    """CREMA-D ``VideoFlash/*.flv`` (or any folder of ``AAAA_SSS_EEE_LL.*``), or the official file list.

    With ``file_list`` no video is read: paths point to ``ROOT/VideoFlash/NAME.flv`` (or ``ROOT/NAME.flv``).
    """
    skipped: Skipped = []
    if file_list is not None:
        folder = root / "VideoFlash" if (root / "VideoFlash").is_dir() else root
        candidates: Iterable[Path] = (folder / f"{n}.flv" for n in read_crema_file_list(Path(file_list)))
    else:
        candidates = video_files(root, skipped)
    demographics = Path(demographics) if demographics else find_crema_demographics(root)
    sex = read_crema_sex(demographics) if demographics else {}
    records = []
    for path in candidates:
        try:
            fields = parse_name(path)
        except ValueError as err:
            skipped.append((str(path), str(err)))
            continue
        fields["sex"] = sex.get(fields["actor"])
        records.append({"path": absolute(path), **fields})
    return Scan(records, skipped, tuple(CREMA_EMOTION.values()), videos_read=file_list is None)


LAYOUT = Layout(
    name="crema-d",
    title="CREMA-D",
    label_codes=CREMA_EMOTION,
    parser=parse_name,
    scan=scan,
    options=("file_list", "demographics"),
    own_names=OWN_NAMES,
)
