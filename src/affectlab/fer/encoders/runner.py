"""Run a frozen encoder over many segments: inference mode, bf16 autocast on CUDA (float32 on the CPU),
the largest batch that fits (halved after a CUDA out-of-memory error and remembered)."""

from __future__ import annotations

import torch

from affectlab.errors import AffectlabError
from affectlab.fer.config import Device, Pooling
from affectlab.fer.encoders.base import Encoder
from affectlab.fer.encoders.pooling import pool_tokens

CPU_BATCH = 8


def resolve_device(device: Device) -> torch.device:
    """``auto`` is CUDA when torch sees a GPU, else the CPU."""
    if device == "cuda" and not torch.cuda.is_available():
        raise AffectlabError("--device cuda asked for, but torch sees no CUDA device")
    return torch.device("cuda" if device == "cuda" or (device == "auto" and torch.cuda.is_available()) else "cpu")


class SegmentRunner:
    """Batches ``[M, C, T, H, W]`` segments through an encoder and pools the tokens."""

    def __init__(
        self, encoder: Encoder, device: torch.device, batch_size: int | None = None, compile: bool = False
    ) -> None:
        self.encoder = encoder.to(device).eval()
        if compile:  # in place: ``encoder(x)`` then runs the torch.compile'd graph
            self.encoder.compile()
        self.device = device
        self.batch_size = batch_size or (1 << 30 if device.type == "cuda" else CPU_BATCH)

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        with (
            torch.inference_mode(),
            torch.autocast("cuda", torch.bfloat16, enabled=self.device.type == "cuda"),
        ):
            return self.encoder(x.to(self.device, non_blocking=True))

    def __call__(self, segments: torch.Tensor, pooling: Pooling, *, to_cpu: bool = True) -> torch.Tensor:
        """``[M, C, T, H, W]`` -> pooled float32 tokens ``[M, P, D]`` on the CPU (``to_cpu=False``: left on
        the encoder's device, for training inside the loop)."""
        grid = self.encoder.token_grid(*segments.shape[2:])
        out, start = [], 0
        while start < len(segments):
            size = min(self.batch_size, len(segments) - start)
            try:
                tokens = self._forward(segments[start : start + size])
            except torch.OutOfMemoryError:
                if size == 1:
                    raise
                if self.device.type == "cuda":
                    torch.cuda.empty_cache()
                self.batch_size = size // 2
                continue
            pooled = pool_tokens(tokens.float(), grid, pooling)
            out.append(pooled.cpu() if to_cpu else pooled)
            start += size
        return torch.cat(out)
