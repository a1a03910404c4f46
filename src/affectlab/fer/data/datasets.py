"""Dataset adapters: RAVDESS, CREMA-D and generic folders -> clip records (label, actor, metadata).

Each ``scan_*`` returns ``(records, skipped, labels)``: one dict per clip (manifest columns except
``dataset``, ``label_index``, ``fold`` and ``content_hash``), ``(path, reason)`` for files that do not
fit the naming scheme, and the ordered label table.
"""

from __future__ import annotations

import csv
import errno
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from affectlab.errors import AffectlabError
from affectlab.fer.data.labels import LABELS, canonical
from affectlab.io import open_csv

VIDEO_EXTENSIONS = frozenset({".mp4", ".flv", ".avi", ".mkv", ".webm", ".mov", ".m4v", ".mpg", ".mpeg"})
Record = dict[str, Any]
Skipped = list[tuple[str, str]]
Scan = tuple[list[Record], Skipped, tuple[str, ...]]

RAVDESS_MODALITY = {"01": "audio-visual", "02": "video-only", "03": "audio-only"}
RAVDESS_CHANNEL = {"01": "speech", "02": "song"}
RAVDESS_INTENSITY = {"01": "normal", "02": "strong"}
RAVDESS_STATEMENT = {"01": "Kids are talking by the door", "02": "Dogs are sitting by the door"}
MODALITY_FILTER = {"av": ("audio-visual",), "video": ("video-only",), "both": ("audio-visual", "video-only")}

CREMA_EMOTION = {  # codes -> the canonical vocabulary (CREMA-D's own names: labels.DATASET_NAMES)
    "ANG": "angry",
    "DIS": "disgust",
    "FEA": "fearful",
    "HAP": "happy",
    "NEU": "neutral",
    "SAD": "sad",
}
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

_RAVDESS_NAME = re.compile(r"^(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})$")
_CREMA_NAME = re.compile(r"^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})$")


def _absolute(path: Path) -> str:
    """Absolute, normalised path that keeps symlink names (the name carries the labels)."""
    return os.path.abspath(path)


def video_files(root: Path, skipped: Skipped | None = None) -> list[Path]:
    """Video files under ``root`` (recursive), sorted for a deterministic manifest order.

    What cannot be used is added to ``skipped`` with its reason instead of vanishing: a sub-folder that
    cannot be read, a dangling symbolic link or a link loop named like a video, a non-file named like a
    video. Symbolic links to video files are followed (the link's name carries the labels).
    """
    found: list[Path] = []

    def unreadable(err: OSError) -> None:
        if skipped is not None:
            skipped.append((str(err.filename or root), f"cannot read folder ({err.strerror})"))

    for folder, subfolders, names in os.walk(root, onerror=unreadable):
        if skipped is not None:  # a folder named like a video is no clip (its contents are still walked)
            skipped += [(str(Path(folder) / d), "not a regular file (a folder)") for d in subfolders
                        if Path(d).suffix.lower() in VIDEO_EXTENSIONS]  # fmt: skip
        for name in names:
            path = Path(folder) / name
            if path.suffix.lower() not in VIDEO_EXTENSIONS:
                continue
            reason = _not_a_video_file(path)
            if reason is None:
                found.append(path)
            elif skipped is not None:
                skipped.append((str(path), reason))
    return sorted(found)


def _not_a_video_file(path: Path) -> str | None:
    """Why a directory entry named like a video is no file to read, or None."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return "dangling symbolic link" if path.is_symlink() else "file not found"
    except OSError as err:
        return "symbolic link loop" if err.errno == errno.ELOOP else f"cannot read ({err.strerror})"
    return None if stat.S_ISREG(st.st_mode) else "not a regular file"


def _lookup(table: dict[str, str], code: str, what: str) -> str:
    if code not in table:
        raise ValueError(f"unknown {what} code {code!r} (expected {'/'.join(table)})")
    return table[code]


def parse_ravdess_name(stem: str) -> Record:
    """Fields of a RAVDESS ``MM-VV-EE-II-SS-RR-AA`` file name; ``ValueError`` names what does not fit."""
    match = _RAVDESS_NAME.match(stem)
    if not match:
        raise ValueError("name does not match RAVDESS modality-channel-emotion-intensity-statement-rep-actor")
    mod, chan, emo, inten, stmt, rep, actor = match.groups()
    if not 1 <= int(emo) <= len(LABELS["ravdess"]):
        raise ValueError(f"unknown emotion code {emo!r} (expected 01..08)")
    if not 1 <= int(actor) <= 24 or rep not in ("01", "02"):
        raise ValueError(f"actor {actor!r} or repetition {rep!r} out of range (actors 01..24, repetition 01/02)")
    return {
        "label": LABELS["ravdess"][int(emo) - 1],
        "actor": actor,
        "sex": "male" if int(actor) % 2 else "female",
        "intensity": _lookup(RAVDESS_INTENSITY, inten, "intensity"),
        "statement": _lookup(RAVDESS_STATEMENT, stmt, "statement"),
        "repetition": int(rep),
        "modality": _lookup(RAVDESS_MODALITY, mod, "modality"),
        "vocal_channel": _lookup(RAVDESS_CHANNEL, chan, "vocal channel"),
        "recording": f"ravdess:{chan}-{emo}-{inten}-{stmt}-{rep}-{actor}",
    }


def scan_ravdess(
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
            fields = parse_ravdess_name(path.stem)
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
        records.append({"path": _absolute(path), **fields})
    return records, skipped, LABELS["ravdess"]


def parse_crema_name(stem: str) -> Record:
    """Fields of a CREMA-D ``AAAA_SSS_EEE_LL`` name; ``ValueError`` names what does not fit."""
    match = _CREMA_NAME.match(stem)
    if not match:
        raise ValueError("name does not match CREMA-D actor_sentence_emotion_level (e.g. 1001_DFA_ANG_XX)")
    actor, sentence, emotion, level = match.groups()
    return {
        "label": _lookup(CREMA_EMOTION, emotion, "emotion"),
        "actor": actor,
        "sex": None,
        "intensity": _lookup(CREMA_LEVEL, level, "level"),
        "statement": _lookup(CREMA_SENTENCE, sentence, "sentence"),
        "repetition": None,
        "modality": "audio-visual",
        "vocal_channel": "speech",
        "recording": f"crema-d:{stem}",
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


def scan_crema_d(root: Path, *, file_list: Path | None = None, demographics: Path | None = None) -> Scan:
    """CREMA-D ``VideoFlash/*.flv`` (or any folder of ``AAAA_SSS_EEE_LL.*``), or the official file list.

    With ``file_list`` no video is read: paths point to ``ROOT/VideoFlash/NAME.flv`` (or ``ROOT/NAME.flv``).
    """
    skipped: Skipped = []
    if file_list is not None:
        folder = root / "VideoFlash" if (root / "VideoFlash").is_dir() else root
        candidates: Iterable[tuple[Path, str]] = ((folder / f"{n}.flv", n) for n in read_crema_file_list(file_list))
    else:
        candidates = ((p, p.stem) for p in video_files(root, skipped))
    demographics = demographics or find_crema_demographics(root)
    sex = read_crema_sex(demographics) if demographics else {}
    records = []
    for path, stem in candidates:
        try:
            fields = parse_crema_name(stem)
        except ValueError as err:
            skipped.append((str(path), str(err)))
            continue
        fields["sex"] = sex.get(fields["actor"])
        records.append({"path": _absolute(path), **fields})
    return records, skipped, LABELS["crema-d"]


def _folder_record(path: Path, label: str, actor: str) -> Record:
    return {
        "path": _absolute(path),
        "label": label,
        "actor": actor,
        "sex": None,
        "intensity": None,
        "statement": None,
        "repetition": None,
        "modality": None,
        "vocal_channel": None,
        "recording": f"folder:{_absolute(path)}",
    }


def scan_folder(root: Path) -> Scan:
    """A folder with one sub-folder per class, or a CSV ``path,label[,subject]`` (paths relative to it).

    Labels are sorted by name, emotion names in the canonical vocabulary (``anger`` -> ``angry``, ``joy`` ->
    ``happy``; :func:`~affectlab.fer.data.labels.canonical`), other names as given. Without a subject column
    every clip is its own subject, so folds are clip-wise, not subject-independent.
    """
    if root.is_file():
        return _scan_label_csv(root)
    records, skipped = [], []
    for path in video_files(root, skipped):
        if path.parent == root:
            continue
        label = canonical(path.relative_to(root).parts[0])
        records.append(_folder_record(path, label, f"{label}/{path.stem}"))
    return records, skipped, tuple(sorted({r["label"] for r in records}))


def _scan_label_csv(csv_path: Path) -> Scan:
    with open_csv(csv_path) as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or not {"path", "label"} <= set(reader.fieldnames):
            raise AffectlabError(f"{csv_path}: expected a CSV with header path,label[,subject]")
        rows = list(reader)
    records, skipped = [], []
    for row in rows:
        path = Path(_absolute(csv_path.parent / row["path"].strip()))
        label = canonical(row["label"])
        if not label:
            skipped.append((str(path), "empty label"))
            continue
        subject = (row.get("subject") or "").strip() or f"{label}/{path.stem}"
        records.append(_folder_record(path, label, subject))
    return records, skipped, tuple(sorted({r["label"] for r in records}))


def label_from_name(path: str | os.PathLike[str]) -> tuple[str, str] | None:
    """``(label, dataset)`` when a file name follows the RAVDESS or CREMA-D scheme (the true label of a clip
    from those datasets), else None: ``01-01-03-...-01.mp4`` -> ``("happy", "RAVDESS")``."""
    stem = Path(path).stem
    for parse, dataset in ((parse_ravdess_name, "RAVDESS"), (parse_crema_name, "CREMA-D")):
        try:
            return parse(stem)["label"], dataset
        except ValueError:
            continue
    return None
