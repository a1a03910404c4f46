"""A tiny random V-JEPA saved in the official ``.pth.tar`` layout, registered as an encoder, and small sampling
settings, for tests of the online path and the reproduction on the real clips."""

from __future__ import annotations

from pathlib import Path

import torch

from affectlab.fer.encoders import ENCODERS
from affectlab.fer.encoders.vjepa import VisionTransformer, ViTConfig, load_vjepa
from tests.fer.encoders.test_vjepa import official_checkpoint

TINY = ViTConfig(embed_dim=32, depth=2, num_heads=2, img_size=32, num_frames=16)
TINY_NAME = "vjepa-tiny"
# 2 segments x 4 frames at 32 px: 2 x 2 x 2 = 8 tokens per segment
SAMPLING = {"frames_per_clip": 4, "frame_step": 4, "num_segments": 2, "num_views": 2, "train_views": 1,
            "resolution": 32}  # fmt: skip


def tiny_checkpoint(path: Path, seed: int = 0) -> Path:
    """A random tiny V-JEPA written as facebookresearch/jepa writes its checkpoints."""
    torch.manual_seed(seed)
    model = VisionTransformer(TINY)
    for p in model.parameters():
        if p.ndim == 1:
            p.data.normal_(0, 0.2)
    return official_checkpoint(path, model.eval())


def register_tiny() -> None:
    """Make ``vjepa-tiny`` loadable by name (what the CLI and the reproduction call)."""
    ENCODERS[TINY_NAME] = lambda checkpoint, sampling: _load(checkpoint)


def _load(checkpoint: Path | None) -> VisionTransformer:
    model = load_vjepa(checkpoint, TINY)
    model.name = TINY_NAME
    return model
