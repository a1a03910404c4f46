"""The dataset layout contract (:class:`Layout`) and the scanning helpers every layout shares.

A layout declares its name, its label table (the dataset's label codes -> the canonical vocabulary of
:mod:`affectlab.fer.data.labels`), its parser (a clip's path under the root -> its fields), its scanner
(a root -> :class:`Scan`) and the index options its scanner takes.
"""

from __future__ import annotations

import errno
import inspect
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from affectlab.errors import AffectlabError

VIDEO_EXTENSIONS = frozenset({".mp4", ".flv", ".avi", ".mkv", ".webm", ".mov", ".m4v", ".mpg", ".mpeg"})
Record = dict[str, Any]
Skipped = list[tuple[str, str]]


@dataclass
class Scan:
    """What a scanner found under a root: one record per clip (the manifest columns except ``dataset``,
    ``label_index``, ``fold`` and ``content_hash``), ``(path, reason)`` for what does not fit, the ordered
    label table, and whether the clips are video files to read (``False``: names from a file list, no video
    opened, so nothing to check or hash)."""

    records: list[Record]
    skipped: Skipped
    labels: tuple[str, ...]
    videos_read: bool = True


class BadName(AffectlabError):
    """A clip path that does not fit a layout's naming scheme; ``reason`` says what does not fit (the line of
    the skipped report), the message names the file too."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class Layout:
    """A dataset layout: what ``affectlab fer index ROOT --dataset NAME`` reads.

    ``label_codes`` maps the dataset's label codes to canonical names in label-index order (empty when the
    classes come from the data, as in a folder dataset); ``parser`` gives a clip's fields from its path under
    the root or raises ``ValueError`` naming what does not fit; ``scan(root, **options)`` finds the clips;
    ``options`` names the index options ``scan`` takes; ``labels_in_file_name`` says whether a file name
    alone gives the label (the true label ``predict`` shows for a lone clip).
    """

    name: str
    title: str
    label_codes: Mapping[str, str]
    parser: Callable[[PurePath], Record]
    scan: Callable[..., Scan]
    options: tuple[str, ...] = ()
    labels_in_file_name: bool = True
    own_names: tuple[str, ...] | None = None  # the dataset's own names, where they differ

    @property
    def labels(self) -> tuple[str, ...] | None:
        """The fixed ordered label table, or None when the classes come from the data."""
        return tuple(self.label_codes.values()) or None

    def option_default(self, name: str) -> Any:
        """The default of the index option ``name`` (its ``scan`` parameter's default)."""
        return inspect.signature(self.scan).parameters[name].default

    def parse(self, path: str | os.PathLike[str]) -> Record:
        """The fields of the clip at ``path`` (relative to the dataset root); :class:`BadName` when the path
        does not fit the scheme."""
        try:
            return self.parser(PurePath(path))
        except ValueError as err:
            raise BadName(path, str(err)) from None


def absolute(path: Path) -> str:
    """Absolute, normalised path that keeps symlink names (the name carries the labels)."""
    return os.path.abspath(path)


def lookup(table: Mapping[str, str], code: str, what: str) -> str:
    """``table[code]``, or a ``ValueError`` naming the unknown code and the known ones."""
    if code not in table:
        raise ValueError(f"unknown {what} code {code!r} (expected {'/'.join(table)})")
    return table[code]


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
