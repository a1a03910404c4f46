"""RAVDESS (Livingstone & Russo 2018): ``Actor_XX/MM-VV-EE-II-SS-RR-AA.mp4``, the fields in the name
(modality, vocal channel, emotion, intensity, statement, repetition, actor; odd actors are male)."""

from __future__ import annotations

import re
from pathlib import Path, PurePath
from typing import Literal

from affectlab.errors import AffectlabError
from affectlab.fer.data.layouts.base import Layout, Record, Scan, Skipped, absolute, lookup, video_files

EMOTION = {  # the official codes, in label order (the canonical vocabulary is RAVDESS's names)
    "01": "neutral",
    "02": "calm",
    "03": "happy",
    "04": "sad",
    "05": "angry",
    "06": "fearful",
    "07": "disgust",
    "08": "surprised",
}
RAVDESS_MODALITY = {"01": "audio-visual", "02": "video-only", "03": "audio-only"}
RAVDESS_CHANNEL = {"01": "speech", "02": "song"}
RAVDESS_INTENSITY = {"01": "normal", "02": "strong"}
RAVDESS_STATEMENT = {"01": "Kids are talking by the door", "02": "Dogs are sitting by the door"}
MODALITY_FILTER = {"av": ("audio-visual",), "video": ("video-only",), "both": ("audio-visual", "video-only")}

_NAME = re.compile(r"^(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})$")


def parse_name(path: PurePath) -> Record:
    """Fields of a RAVDESS ``MM-VV-EE-II-SS-RR-AA`` file name; ``ValueError`` names what does not fit."""
    match = _NAME.match(path.stem)
    if not match:
        raise ValueError("name does not match RAVDESS modality-channel-emotion-intensity-statement-rep-actor")
    mod, chan, emo, inten, stmt, rep, actor = match.groups()
    if emo not in EMOTION:
        raise ValueError(f"unknown emotion code {emo!r} (expected {min(EMOTION)}..{max(EMOTION)})")
    if not 1 <= int(actor) <= 24 or rep not in ("01", "02"):
        raise ValueError(f"actor {actor!r} or repetition {rep!r} out of range (actors 01..24, repetition 01/02)")
    return {
        "label": EMOTION[emo],
        "actor": actor,
        "sex": "male" if int(actor) % 2 else "female",
        "intensity": lookup(RAVDESS_INTENSITY, inten, "intensity"),
        "statement": lookup(RAVDESS_STATEMENT, stmt, "statement"),
        "repetition": int(rep),
        "modality": lookup(RAVDESS_MODALITY, mod, "modality"),
        "vocal_channel": lookup(RAVDESS_CHANNEL, chan, "vocal channel"),
        "recording": f"ravdess:{chan}-{emo}-{inten}-{stmt}-{rep}-{actor}",
    }


def scan(
    root: Path,
    *,
    modality: Literal["av", "video", "both"] = "av",
    channel: Literal["speech", "song"] | None = None,
    intensity: Literal["normal", "strong"] | None = None,
) -> Scan:
    """RAVDESS ``Actor_XX/MM-VV-EE-II-SS-RR-AA.mp4``; keeps audio-visual copies only unless ``modality``."""
    if modality not in MODALITY_FILTER:
        raise AffectlabError(f"modality {modality!r}: expected one of {', '.join(MODALITY_FILTER)}")
    if channel not in (None, "speech", "song") or intensity not in (None, "normal", "strong"):
        raise AffectlabError(f"channel {channel!r} / intensity {intensity!r}: expected speech|song / normal|strong")
    records: list[Record] = []
    skipped: Skipped = []
    for path in video_files(root, skipped):
        try:
            fields = parse_name(path)
        except ValueError as err:
            skipped.append((str(path), str(err)))
            continue
        folder = re.fullmatch(r"Actor_(\d{2})", path.parent.name)
        if folder and folder.group(1) != fields["actor"]:
            skipped.append((str(path), f"actor {fields['actor']} in the name but folder {path.parent.name}"))
            continue
        if fields["modality"] not in MODALITY_FILTER[modality]:
            continue
        if (channel and fields["vocal_channel"] != channel) or (intensity and fields["intensity"] != intensity):
            continue
        records.append({"path": absolute(path), **fields})
    return Scan(records, skipped, tuple(EMOTION.values()))


LAYOUT = Layout(
    name="ravdess",
    title="RAVDESS",
    label_codes=EMOTION,
    parser=parse_name,
    scan=scan,
    options=("modality", "channel", "intensity"),
)
