"""Frozen video encoders behind one contract: ``forward(x) -> tokens [B, N, D]`` and ``embed_dim``.

``load_encoder(name, checkpoint, sampling)`` picks one by name from :data:`ENCODERS` and sizes it for the
clips that ``sampling`` produces (frames per segment, resolution, normalisation).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from affectlab.errors import AffectlabError
from affectlab.fer.encoders.base import Encoder

if TYPE_CHECKING:  # annotations only: fer.config checks encoder names against this registry
    from affectlab.fer.config import SamplingConfig

__all__ = ["ENCODERS", "Encoder", "check_same_checkpoint", "load_encoder"]

Loader = Callable[[Path | None, "SamplingConfig"], Encoder]


def _frame_baseline(checkpoint: Path | None, sampling: SamplingConfig) -> Encoder:
    from affectlab.fer.encoders.frame_baseline import FrameBaseline

    return FrameBaseline(checkpoint, mean=sampling.mean, std=sampling.std)


def _vjepa(arch: str) -> Loader:
    def load(checkpoint: Path | None, sampling: SamplingConfig) -> Encoder:
        from affectlab.fer.encoders.vjepa import load_vjepa

        return load_vjepa(_required(checkpoint, f"vjepa-{arch}", "an official V-JEPA .pth.tar"), arch)

    return load


def _vjepa2(checkpoint: Path | None, sampling: SamplingConfig) -> Encoder:
    from affectlab.fer.encoders.hf import load_vjepa2

    path = _required(checkpoint, "vjepa2", "a V-JEPA 2 .pt file or transformers folder")
    return load_vjepa2(path, frames=sampling.frames_per_clip, resolution=sampling.resolution)


def _videomae(checkpoint: Path | None, sampling: SamplingConfig) -> Encoder:
    from affectlab.fer.encoders.hf import load_videomae

    path = _required(checkpoint, "videomae", "a VideoMAE transformers folder")
    return load_videomae(path, frames=sampling.frames_per_clip, resolution=sampling.resolution)


def _required(checkpoint: Path | None, name: str, what: str) -> Path:
    if checkpoint is None:
        raise AffectlabError(f"encoder {name} needs --checkpoint: {what}")
    return checkpoint


ENCODERS: dict[str, Loader] = {
    "frame-baseline": _frame_baseline,
    "vjepa-vit_large": _vjepa("vit_large"),
    "vjepa-vit_huge": _vjepa("vit_huge"),
    "vjepa-vit_giant": _vjepa("vit_giant"),
    "vjepa2": _vjepa2,
    "videomae": _videomae,
}


def check_encoder_name(name: str) -> str:
    """``name`` when it is a registered encoder; a one-line error listing the known names otherwise."""
    if name not in ENCODERS:
        raise AffectlabError(f"unknown encoder {name!r}; expected one of {', '.join(ENCODERS)}")
    return name


def load_encoder(name: str, checkpoint: str | Path | None, sampling: SamplingConfig) -> Encoder:
    """Load the frozen encoder ``name`` from local files, sized for the clips of ``sampling``."""
    check_encoder_name(name)
    return ENCODERS[name](None if checkpoint is None else Path(checkpoint), sampling)


def check_same_checkpoint(encoder: Encoder, sha256: str, checkpoint: str | Path | None, features: str | Path) -> None:
    """Refuse an encoder whose weights are not the checkpoint (``sha256``) ``features`` were extracted with."""
    if encoder.checkpoint_sha256 != sha256:
        raise AffectlabError(
            f"{checkpoint}: not the checkpoint {features} was extracted with (sha256 {sha256[:12]}...); "
            "give the same --checkpoint"
        )
