"""The training session of ``affectlab fer train``: one probe per fold on inputs built beforehand (a feature
store's tokens, or clips encoded inside the loop), resumable, and the result in memory.

Until the run folder is written, finished folds and the running fold's ``latest.pt`` (probe, optimiser,
step, generator states) are kept in ``.RUN.resume`` beside it (:func:`state_folder`), so the same command
continues a stopped run with the same numbers::

    with TrainingSession(inputs, cfg, out, info) as session:
        result = session.train(progress)
        ...  # write the run folder; the resume folder goes when the block ends without error
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import pyarrow as pa

from affectlab.errors import AffectlabError
from affectlab.fer.cache.store import FeatureInfo
from affectlab.fer.config import TrainConfig
from affectlab.fer.probes.evaluate import FoldResult, Inputs, StoreInputs, cross_validate
from affectlab.io import LOCK_FILE, exclusive_lock, temp_stem, write_text

if TYPE_CHECKING:
    from affectlab.fer.probes.online import OnlineClips


@dataclass
class TrainResult:
    """What a session computed: every fold's result, the label table and the dataset name."""

    folds: list[FoldResult]
    labels: tuple[str, ...]
    dataset: str


def state_folder(out: str | Path) -> Path:
    """Where a run keeps its finished folds and last epoch until it is complete: ``.NAME.resume`` beside it."""
    out = Path(out)
    return out.parent / f".{temp_stem(out.name)}.resume"


def fingerprint(cfg: TrainConfig, info: FeatureInfo, manifest: pa.Table, mode: str) -> str:
    """What must match for a stopped run to be continued: the settings, the features and the clips."""
    columns = [c for c in ("path", "content_hash", "label_index", "fold", "actor") if c in manifest.column_names]
    text = json.dumps([cfg.model_dump(mode="json"), info.cache_key, mode, manifest.select(columns).to_pylist()],
                      sort_keys=True, default=str)  # fmt: skip
    return hashlib.sha256(text.encode()).hexdigest()


def _open_state(folder: Path, fingerprint: str, overwrite: bool) -> None:
    """Keep the state of a stopped run with the same fingerprint; refuse (or, with overwrite, clear) another."""
    marker = folder / "fingerprint.txt"
    if marker.is_file() and marker.read_text().strip() != fingerprint:
        if not overwrite:
            raise AffectlabError(
                f"{folder}: holds a stopped run with other settings; pass --overwrite to discard it, or run the "
                "same command again to continue it"
            )
        for item in folder.iterdir():
            if item.name != LOCK_FILE:
                item.unlink()
    write_text(marker, fingerprint)


class TrainingSession:
    """Cross-validate a probe on built ``inputs`` (:class:`~affectlab.fer.probes.evaluate.StoreInputs` or
    ``OnlineInputs``), holding the run's resume folder locked for the ``with`` block and removing it when the
    block ends without error. ``full_video``: the clips read over the whole videos (``cfg.eval`` full-video or
    both)."""

    def __init__(
        self,
        inputs: Inputs,
        cfg: TrainConfig,
        out: str | Path,
        info: FeatureInfo,
        *,
        full_video: OnlineClips | None = None,
        overwrite: bool = False,
    ) -> None:
        self.inputs, self.cfg, self.full_video, self.overwrite = inputs, cfg, full_video, overwrite
        self.folder = state_folder(out)
        mode = "cached" if isinstance(inputs, StoreInputs) else "online"
        self.fingerprint = fingerprint(cfg, info, inputs.manifest, mode)
        self._fresh = False
        self._lock = contextlib.ExitStack()

    def __enter__(self) -> TrainingSession:
        self._fresh = not self.folder.exists()
        self._lock.enter_context(exclusive_lock(self.folder, "training state"))
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        with self._lock:
            if kind is None:
                shutil.rmtree(self.folder, ignore_errors=True)

    def train(self, progress: Callable[[int], None] | None = None) -> TrainResult:
        """Train and score one probe per fold, continuing the folds and epoch a stopped run kept."""
        try:
            _open_state(self.folder, self.fingerprint, self.overwrite)
            folds, labels, dataset = cross_validate(
                self.inputs, self.cfg, progress, full_video=self.full_video,
                state_dir=self.folder if self.cfg.resume else None, fingerprint=self.fingerprint,
            )  # fmt: skip
        except BaseException:
            if self._fresh and not any(self.folder.glob("*.pt")):  # stopped before any state was saved
                shutil.rmtree(self.folder, ignore_errors=True)
            raise
        return TrainResult(folds, labels, dataset)
