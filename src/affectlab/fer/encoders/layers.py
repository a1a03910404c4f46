"""Transformer building blocks shared by the encoders and the probes (official parameter names)."""

from __future__ import annotations

import torch
from torch import nn


class MLP(nn.Module):
    """fc1 -> GELU -> fc2, named as in the V-JEPA code so official state dicts load as they are."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))
