"""A generic folder dataset: one sub-folder per class (``ROOT/CLASS/clip.mp4``), or a CSV
``path,label[,subject]`` (paths relative to it).

Labels are sorted by name, emotion names in the canonical vocabulary (``anger`` -> ``angry``, ``joy`` ->
``happy``; :func:`~affectlab.fer.data.labels.canonical`), other names as given. Without a subject column
every clip is its own subject, so folds are clip-wise, not subject-independent.
"""

from __future__ import annotations

import csv
from pathlib import Path, PurePath

from affectlab.errors import AffectlabError
from affectlab.fer.data.labels import canonical
from affectlab.fer.data.layouts.base import Layout, Record, Scan, absolute, video_files
from affectlab.io import open_csv


def _fields(label: str, actor: str) -> Record:
    """A clip's fields: its label and subject; a folder dataset records nothing else."""
    return {
        "label": label,
        "actor": actor,
        "sex": None,
        "intensity": None,
        "statement": None,
        "repetition": None,
        "modality": None,
        "vocal_channel": None,
    }


def parse_path(path: PurePath) -> Record:
    """Fields of ``CLASS/.../clip.mp4`` (relative to the root): the class folder is the label, the clip its
    own subject (``CLASS/clip``); ``ValueError`` for a clip outside a class folder."""
    if len(path.parts) < 2:
        raise ValueError("not inside a class folder (expected ROOT/CLASS/clip)")
    label = canonical(path.parts[0])
    return _fields(label, f"{label}/{path.stem}")


def scan(root: Path) -> Scan:
    """A folder with one sub-folder per class (clips directly in ``root`` are not indexed), or a CSV
    ``path,label[,subject]``."""
    if root.is_file():
        return _scan_label_csv(root)
    records, skipped = [], []
    for path in video_files(root, skipped):
        if path.parent == root:
            continue
        records.append(_record(path, parse_path(path.relative_to(root))))
    return Scan(records, skipped, tuple(sorted({r["label"] for r in records})))


def _record(path: Path, fields: Record) -> Record:
    return {"path": absolute(path), **fields, "recording": f"folder:{absolute(path)}"}


def _scan_label_csv(csv_path: Path) -> Scan:
    with open_csv(csv_path) as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or not {"path", "label"} <= set(reader.fieldnames):
            raise AffectlabError(f"{csv_path}: expected a CSV with header path,label[,subject]")
        rows = list(reader)
    records, skipped = [], []
    for line, row in enumerate(rows, start=2):  # a short row leaves its missing fields None
        name = (row["path"] or "").strip()
        if not name:
            skipped.append((f"{csv_path}:{line}", "empty path"))
            continue
        path = Path(absolute(csv_path.parent / name))
        label = canonical(row["label"] or "")
        if not label:
            skipped.append((str(path), "empty label"))
            continue
        subject = (row.get("subject") or "").strip() or f"{label}/{path.stem}"
        records.append(_record(path, _fields(label, subject)))
    return Scan(records, skipped, tuple(sorted({r["label"] for r in records})))


LAYOUT = Layout(
    name="folder",
    title="folder",
    label_codes={},
    parser=parse_path,
    scan=scan,
    labels_in_file_name=False,
)
