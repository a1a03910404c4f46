"""The encoder contract: ``forward(x [B, C, T, H, W]) -> tokens [B, N, D]`` plus what the cache needs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import torch

# Inputs are normalised with these (ImageNet) statistics unless the sampling config says otherwise.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@runtime_checkable
class Encoder(Protocol):
    """A frozen video encoder; pooling, probes and the cache depend on this contract only.

    Inputs are clips normalised with the sampling config's mean/std (ImageNet statistics by default, as
    :func:`affectlab.fer.data.video.sample_clip` returns them). ``token_grid(frames, height, width)``
    gives the (t, h, w) token grid of one clip segment in the order the ``N = t * h * w`` tokens come out
    of ``forward``.
    """

    name: str
    embed_dim: int
    checkpoint_sha256: str

    def forward(self, x: torch.Tensor) -> torch.Tensor: ...

    def token_grid(self, frames: int, height: int, width: int) -> tuple[int, int, int]: ...
