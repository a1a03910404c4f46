"""The encoder contract: ``forward(x [B, C, T, H, W]) -> tokens [B, N, D]`` plus what the cache needs."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch

# ImageNet statistics: every encoder here expects clips normalised with them (as sample_clip returns).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@runtime_checkable
class Encoder(Protocol):
    """A frozen video encoder; pooling, probes and the cache depend on this contract only.

    ``token_grid(frames, height, width)`` gives the (t, h, w) token grid of one clip segment in the order
    the ``N = t * h * w`` tokens come out of ``forward``.
    """

    name: str
    embed_dim: int
    checkpoint_sha256: str

    def forward(self, x: torch.Tensor) -> torch.Tensor: ...

    def token_grid(self, frames: int, height: int, width: int) -> tuple[int, int, int]: ...


def tokens_per_segment(encoder: Encoder, frames: int, height: int, width: int) -> int:
    """Number of tokens one segment of ``frames x height x width`` gives."""
    t, h, w = encoder.token_grid(frames, height, width)
    return t * h * w
