"""Frozen video encoders behind one contract: ``forward(x) -> tokens [B, N, D]`` and ``embed_dim``.

``load_encoder(name, checkpoint, frames=, resolution=)`` picks one by name from ``ENCODERS``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from affectlab.errors import AffectlabError
from affectlab.fer.encoders.base import Encoder, tokens_per_segment
from affectlab.io import file_sha256

__all__ = ["ENCODERS", "Encoder", "file_sha256", "load_encoder", "tokens_per_segment"]


def _frame_baseline(checkpoint: Path | None, frames: int, resolution: int) -> Encoder:
    from affectlab.fer.encoders.frame_baseline import FrameBaseline

    return FrameBaseline(checkpoint)


def _vjepa(arch: str) -> Callable[[Path | None, int, int], Encoder]:
    def load(checkpoint: Path | None, frames: int, resolution: int) -> Encoder:
        from affectlab.fer.encoders.vjepa import load_vjepa

        return load_vjepa(_required(checkpoint, f"vjepa-{arch}", "an official V-JEPA .pth.tar"), arch)

    return load


def _vjepa2(checkpoint: Path | None, frames: int, resolution: int) -> Encoder:
    from affectlab.fer.encoders.hf import load_vjepa2

    path = _required(checkpoint, "vjepa2", "a V-JEPA 2 .pt file or transformers folder")
    return load_vjepa2(path, frames=frames, resolution=resolution)


def _videomae(checkpoint: Path | None, frames: int, resolution: int) -> Encoder:
    from affectlab.fer.encoders.hf import load_videomae

    path = _required(checkpoint, "videomae", "a VideoMAE transformers folder")
    return load_videomae(path, frames=frames, resolution=resolution)


def _required(checkpoint: Path | None, name: str, what: str) -> Path:
    if checkpoint is None:
        raise AffectlabError(f"encoder {name} needs --checkpoint: {what}")
    return checkpoint


ENCODERS: dict[str, Callable[[Path | None, int, int], Encoder]] = {
    "frame-baseline": _frame_baseline,
    "vjepa-vit_large": _vjepa("vit_large"),
    "vjepa-vit_huge": _vjepa("vit_huge"),
    "vjepa-vit_giant": _vjepa("vit_giant"),
    "vjepa2": _vjepa2,
    "videomae": _videomae,
}


def load_encoder(name: str, checkpoint: str | Path | None, *, frames: int, resolution: int) -> Encoder:
    """Load the frozen encoder ``name`` from local files, for clips of ``frames`` at ``resolution`` px."""
    if name not in ENCODERS:
        raise AffectlabError(f"unknown encoder {name!r}; expected one of {', '.join(ENCODERS)}")
    return ENCODERS[name](None if checkpoint is None else Path(checkpoint), frames, resolution)
