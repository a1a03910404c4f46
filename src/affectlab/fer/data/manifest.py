"""Index a dataset into a manifest (Parquet): labels, actors, metadata, actor-disjoint folds, content hashes.

Unreadable videos, zero-frame videos, names that don't fit the scheme, (with ``check_faces``) clips without
a face and repeated content (:func:`drop_duplicates`) are not fatal: they come back as ``(path, reason)``
rows for the skipped report (``<manifest>.skipped.csv``). ``folds=None`` indexes a test-only set: the
``fold`` column is null.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import pyarrow as pa
import pyarrow.parquet as pq

from affectlab.errors import AffectlabError
from affectlab.fer.data.folds import assign_folds, read_fold_file
from affectlab.fer.data.labels import canonical, canonical_labels
from affectlab.fer.data.layouts import LAYOUTS, DatasetName, get_layout
from affectlab.fer.data.video import decode_frames, video_info
from affectlab.io import atomic_path, file_sha256
from affectlab.progress import progress_bar

MANIFEST_SCHEMA = pa.schema(
    [
        ("path", pa.string()),
        ("dataset", pa.string()),
        ("label", pa.string()),
        ("label_index", pa.int32()),
        ("actor", pa.string()),
        ("sex", pa.string()),
        ("intensity", pa.string()),
        ("statement", pa.string()),
        ("repetition", pa.int32()),
        ("modality", pa.string()),
        ("vocal_channel", pa.string()),
        ("recording", pa.string()),
        ("fold", pa.int32()),
        ("content_hash", pa.string()),
    ]
)
LABELS_KEY = b"affectlab.labels"


def _frame_counts(path: Path) -> tuple[int, int, bool]:
    """``(stored, expected, exact)``: packets in the file, frames the header (exact) or duration promise."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stored = sum(1 for p in container.demux(stream) if p.size > 0)
        if stream.frames > 0:
            return stored, stream.frames, True
        rate = float(stream.average_rate or 0)
        return stored, int(container.duration / av.time_base * rate) if container.duration else 0, False


def probe_video(path: str | os.PathLike[str]) -> str | None:
    """Why a video is unusable (missing, empty, unreadable, truncated, no frames), or ``None`` if it is fine.

    Demuxes every packet (cheap, no decoding) and compares their number with the header's frame count
    (or, without one, with duration x fps, 5% tolerance), then decodes the first frame.
    """
    path = Path(path)
    if not path.is_file():
        return "file not found"
    if path.stat().st_size == 0:
        return "empty file"
    try:
        video_info(path)
        stored, expected, exact = _frame_counts(path)
        decode_frames(path, [0])
    except AffectlabError as err:
        return str(err).removeprefix(f"{path}: ")
    except (av.error.FFmpegError, OSError) as err:
        return f"cannot read video packets ({err})"
    if stored < (expected if exact else 0.95 * expected - 1):
        promise = "header says" if exact else "duration x fps gives"
        return f"truncated: {promise} {expected} frames, only {stored} stored"
    return None


FACE_CHECK_FRAMES = 8


def face_check(path: str | os.PathLike[str], frames: int = FACE_CHECK_FRAMES) -> str | None:
    """Why a clip has no usable face (none on any of ``frames`` frames spread over it), or None."""
    from affectlab.fer.data.faces import face_track, probe_frames

    n_frames = video_info(path)[0]
    track = face_track(decode_frames(path, probe_frames(n_frames, frames)))
    if track.found.any():
        return None
    return (
        f"no face found on any of {len(track.scores)} frames spread over the clip "
        f"(best face score {track.scores.max():.2f}, a face needs 0.5)"
    )


def index_dataset(
    root: str | os.PathLike[str],
    dataset: DatasetName,
    *,
    folds: int | None = 5,
    seed: int = 0,
    folds_file: str | os.PathLike[str] | None = None,
    check_videos: bool = True,
    hash_files: bool = True,
    check_faces: bool = False,
    progress: bool = False,
    **options: Any,
) -> tuple[pa.Table, list[tuple[str, str]]]:
    """Index ``root`` with the layout ``dataset`` (:mod:`affectlab.fer.data.layouts`) into a manifest table
    and a list of skipped ``(path, reason)``.

    ``options`` go to the layout's scanner, each layout taking its own (``Layout.options``; another layout's
    option is refused unless left at its default): RAVDESS ``modality`` (default audio-visual only, so the
    two copies of a recording are never counted twice), ``channel``, ``intensity``; CREMA-D ``file_list``
    (the official SentenceFilenames.csv: no video read, so no checks and ``content_hash`` null),
    ``demographics``. Folds come from ``folds_file`` or :func:`assign_folds` with ``folds``/``seed``;
    ``folds=None`` leaves them null (a test-only set). ``check_faces`` skips clips without a face
    (:func:`face_check`).
    """
    root = Path(root)
    if not root.exists():
        raise AffectlabError(f"dataset root {root} not found")
    layout = get_layout(dataset)
    known = sorted({name for each in LAYOUTS.values() for name in each.options})
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise AffectlabError(f"unknown index option(s) {', '.join(unknown)}: the layouts take {', '.join(known)}")
    for name, value in options.items():  # another layout's option set to other than its default: refused
        owners = [each for each in LAYOUTS.values() if name in each.options]
        if name not in layout.options and all(value != each.option_default(name) for each in owners):
            titles = " or ".join(each.title for each in owners)
            shown = repr(value) if isinstance(value, str) else value
            raise AffectlabError(f"index option {name}={shown} applies to {titles} only, not to {layout.title}")
    given_folds = None if folds_file is None else read_fold_file(folds_file)  # a bad file fails before any work
    scan = layout.scan(root, **{name: value for name, value in options.items() if name in layout.options})
    records, skipped, labels, reads_files = scan.records, scan.skipped, scan.labels, scan.videos_read
    kept = []
    with progress_bar("checking and hashing videos", len(records), "clips", progress and reads_files) as advance:
        for record in records:
            reason = probe_video(record["path"]) if check_videos and reads_files else None
            if reason is None and check_faces and reads_files:
                reason = face_check(record["path"])
            advance(1)
            if reason is not None:
                skipped.append((record["path"], reason))
                continue
            record["content_hash"] = file_sha256(record["path"]) if hash_files and reads_files else None
            kept.append(record)
    kept = drop_duplicates(kept, skipped)
    if not kept:
        raise AffectlabError(f"{root}: no usable {dataset} clips found ({len(skipped)} skipped)")
    actors = [r["actor"] for r in kept]
    assignment = _fold_assignment(actors, folds, seed, folds_file, given_folds)
    label_index = {name: i for i, name in enumerate(labels)}
    for record in kept:
        record.update(dataset=dataset, label_index=label_index[record["label"]], fold=assignment[record["actor"]])
    table = pa.Table.from_pylist(kept, schema=MANIFEST_SCHEMA)
    return with_labels(table, labels), skipped


def drop_duplicates(records: list[dict], skipped: list[tuple[str, str]]) -> list[dict]:
    """Records without repeated content (same ``content_hash``): a file indexed under two or more actors would
    sit in two folds (trained on and tested on), so every copy is skipped; copies under one actor are kept
    once (the first in path order). What is dropped goes to ``skipped`` with its reason."""
    copies: dict[str, list[dict]] = {}
    for record in records:
        if record.get("content_hash"):
            copies.setdefault(record["content_hash"], []).append(record)
    dropped: set[int] = set()
    for digest, group in copies.items():
        if len(group) < 2:
            continue
        actors = sorted({r["actor"] for r in group})
        same = f"same content (sha256 {digest[:12]}) as"
        if len(actors) > 1:
            for record in group:
                others = ", ".join(f"{r['path']} (actor {r['actor']})" for r in group if r is not record)
                reason = (f"{same} {others}: one recording under actors {', '.join(actors)} could be trained on in "
                          "one fold and tested in another")  # fmt: skip
                skipped.append((record["path"], reason))
                dropped.add(id(record))
        else:
            for record in group[1:]:
                skipped.append((record["path"], f"{same} {group[0]['path']} of the same actor: kept once"))
                dropped.add(id(record))
    return [r for r in records if id(r) not in dropped]


def _fold_assignment(
    actors: Sequence[str],
    folds: int | None,
    seed: int,
    folds_file: str | os.PathLike[str] | None,
    assignment: dict[str, int] | None,
) -> dict[str, int | None]:
    """Each actor's fold: from the fold file's ``assignment`` (read from ``folds_file``), else seeded."""
    if assignment is None:
        return {actor: None for actor in actors} if folds is None else dict(assign_folds(actors, folds, seed))
    missing = sorted(set(actors) - set(assignment))
    if missing:
        raise AffectlabError(f"fold file {folds_file}: {len(missing)} actors not listed, e.g. {missing[:5]}")
    return assignment


def with_labels(table: pa.Table, labels: Sequence[str]) -> pa.Table:
    """Store the ordered label table in the schema metadata (``label_index`` refers to it)."""
    metadata = dict(table.schema.metadata or {})
    metadata[LABELS_KEY] = json.dumps(list(labels)).encode()
    return table.replace_schema_metadata(metadata)


def label_names(table: pa.Table) -> tuple[str, ...]:
    """The ordered label table of a manifest, in the canonical vocabulary (a manifest of an older version's
    CREMA-D ``anger``/``fear`` reads as ``angry``/``fearful``): ``label_names(t)[t['label_index'][i]] ==
    t['label'][i]`` for a manifest read with :func:`read_manifest`."""
    raw = (table.schema.metadata or {}).get(LABELS_KEY)
    if raw is None:
        raise AffectlabError("manifest has no label table in its metadata: re-create it with `affectlab fer index`")
    return canonical_labels(json.loads(raw))


def fold_assignment(table: pa.Table) -> dict[str, int]:
    """Actor -> fold of a manifest (for ``--export-folds``); a test-only manifest has none to export."""
    folds = table["fold"].to_pylist()
    if any(f is None for f in folds):
        raise AffectlabError("the manifest has no folds (indexed with --folds none): there are none to export")
    return dict(zip(table["actor"].to_pylist(), folds, strict=True))


def write_manifest(table: pa.Table, path: str | os.PathLike[str]) -> None:
    """Write a manifest to Parquet atomically."""
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def read_manifest(path: str | os.PathLike[str]) -> pa.Table:
    """Read a manifest and check it has every manifest column."""
    path = Path(path)
    if not path.is_file():
        raise AffectlabError(f"manifest {path} not found")
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as err:
        raise AffectlabError(f"{path}: not a Parquet manifest ({err})") from err
    missing = [name for name in MANIFEST_SCHEMA.names if name not in table.column_names]
    if missing:
        raise AffectlabError(f"manifest {path}: missing columns {', '.join(missing)}")
    return canonical_manifest(table)


def canonical_manifest(table: pa.Table) -> pa.Table:
    """The manifest with its labels in the canonical vocabulary (older versions wrote CREMA-D's own names)."""
    labels = table.column("label").to_pylist()
    mapped = [None if name is None else canonical(name) for name in labels]
    if mapped != labels:
        position = table.column_names.index("label")
        table = table.set_column(position, table.schema.field("label"), pa.array(mapped, pa.string()))
    if LABELS_KEY in (table.schema.metadata or {}):
        table = with_labels(table, label_names(table))
    return table


def skipped_report_path(manifest_path: str | os.PathLike[str]) -> Path:
    """Where the skipped report of a manifest goes: ``NAME.skipped.csv`` beside it."""
    manifest_path = Path(manifest_path)
    return manifest_path.with_name(f"{manifest_path.stem}.skipped.csv")


def write_skipped(skipped: Sequence[tuple[str, str]], path: str | os.PathLike[str]) -> None:
    """Write the skipped report: CSV ``path,reason``."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "reason"])
        writer.writerows(skipped)


@dataclass
class Manifest:
    """A dataset index: one row per clip (the :data:`MANIFEST_SCHEMA` columns), its label table, and the
    files that were skipped with their reasons."""

    table: pa.Table
    skipped: list[tuple[str, str]] = field(default_factory=list)
    path: Path | None = None

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> Manifest:
        """A manifest written by ``affectlab fer index`` (its skipped report read when beside it)."""
        table = read_manifest(path)
        report = skipped_report_path(path)
        skipped = []
        if report.is_file():
            with open(report, newline="", encoding="utf-8", errors="replace") as fh:
                skipped = [(r.get("path", ""), r.get("reason", "")) for r in csv.DictReader(fh)]
        return cls(table, skipped, Path(path))

    @property
    def labels(self) -> tuple[str, ...]:
        """The ordered label table (``label_index`` refers to it)."""
        return label_names(self.table)

    @property
    def dataset(self) -> str:
        names = sorted(set(self.table.column("dataset").to_pylist()))
        return names[0] if len(names) == 1 else ", ".join(names)

    @property
    def df(self):
        """The rows as a pandas DataFrame."""
        return self.table.to_pandas()

    def fold_summary(self):
        """Clips per fold and class, with the number of actors per fold (a pandas DataFrame; a test-only
        manifest has the one row ``none``)."""
        frame = self.df
        frame["fold"] = ["none" if f is None or f != f else int(f) for f in frame["fold"]]
        counts = frame.pivot_table(index="fold", columns="label", values="path", aggfunc="count", fill_value=0)
        counts = counts.reindex(columns=[c for c in self.labels if c in counts.columns])
        counts.insert(0, "actors", frame.groupby("fold")["actor"].nunique())
        counts.insert(0, "clips", frame.groupby("fold").size())
        return counts

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the manifest (and ``NAME.skipped.csv`` beside it when files were skipped)."""
        write_manifest(self.table, path)
        if self.skipped:
            write_skipped(self.skipped, skipped_report_path(path))
        self.path = Path(path)
        return self.path

    def __len__(self) -> int:
        return self.table.num_rows

    def __repr__(self) -> str:
        folds = set(self.table.column("fold").to_pylist())
        actors = len(set(self.table.column("actor").to_pylist()))
        where = f" ({self.path})" if self.path else ""
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        split = "no folds (test-only)" if None in folds else f"{len(folds)} folds"
        return f"Manifest{where}: {self.dataset}, {len(self)} clips, {actors} actors, {split}{skipped}"

    def _repr_html_(self) -> str:
        import html

        return f"<p><b>{html.escape(repr(self))}</b></p>" + self.fold_summary().to_html()
