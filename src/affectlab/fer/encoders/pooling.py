"""Pool encoder tokens before caching: ``none`` (all tokens), ``grid`` / ``grid:N`` (per temporal slot, an
N x N spatial grid; ``grid`` is 2 x 2) or ``mean`` (one token per segment). Sizes are derived from the
encoder's (t, h, w) token grid."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from affectlab.errors import AffectlabError
from affectlab.fer.config import POOLINGS, Pooling

GRID_CELLS = 2  # grid pooling keeps up to 2 x 2 spatial cells per temporal slot


def grid_cells(pooling: Pooling, cells: int = GRID_CELLS) -> int:
    """N of ``grid:N`` (``cells`` for plain ``grid``)."""
    return int(pooling.split(":")[1]) if pooling.startswith("grid:") else cells


def pooled_grid(grid: tuple[int, int, int], pooling: Pooling, cells: int = GRID_CELLS) -> tuple[int, int, int]:
    """The (t, h, w) grid of the tokens stored per segment."""
    t, h, w = grid
    if pooling == "none":
        return grid
    if pooling.startswith("grid"):
        n = grid_cells(pooling, cells)
        return t, min(n, h), min(n, w)
    if pooling == "mean":
        return 1, 1, 1
    raise AffectlabError(f"pooling must be one of {POOLINGS}, got {pooling!r}")


def pool_tokens(
    tokens: torch.Tensor, grid: tuple[int, int, int], pooling: Pooling, cells: int = GRID_CELLS
) -> torch.Tensor:
    """``[M, t*h*w, D]`` (t-major, then rows, then columns) -> ``[M, P, D]`` with ``P`` from ``pooled_grid``.

    ``grid`` averages each temporal slot's ``h x w`` tokens into ``cells x cells`` adaptive-average cells.
    """
    m, n, d = tokens.shape
    t, h, w = grid
    if n != t * h * w:
        raise AffectlabError(f"encoder gave {n} tokens per segment, its grid {grid} says {t * h * w}")
    if pooling == "none":
        return tokens
    if pooling == "mean":
        return tokens.mean(dim=1, keepdim=True)
    pt, ph, pw = pooled_grid(grid, pooling, cells)
    x = tokens.reshape(m * t, h, w, d).permute(0, 3, 1, 2)
    x = F.adaptive_avg_pool2d(x, (ph, pw))
    return x.permute(0, 2, 3, 1).reshape(m, pt * ph * pw, d)
