"""Shallow probes on frozen encoder tokens: attentive (V-JEPA, V-JEPA 2), linear and MLP.

The attentive probe follows the reference (facebookresearch/jepa and vjepa2,
``src/models/attentive_pooler.py``):
one learned query cross-attends to all tokens of all segments (pre-norm block: LayerNorm, 16 heads, MLP
ratio 4, residuals), then a linear head. Parameter names match the reference so its probe checkpoints load
as they are. ``attentive-v2`` is the deeper V-JEPA 2 variant: 3 self-attention blocks over the tokens, then
the cross-attention block. Every probe takes tokens ``[B, N, D]``; linear and MLP probes average them first
(feed pooled features as ``[B, 1, D]``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from affectlab.errors import AffectlabError
from affectlab.fer.config import PROBE_KINDS
from affectlab.fer.encoders.layers import MLP, Block, split_heads

INIT_STD = 0.02


class CrossAttention(nn.Module):
    """Multi-head attention of queries ``q`` over tokens ``x`` (names q, kv, proj as in the reference)."""

    def __init__(self, dim: int, num_heads: int, qkv_bias: bool = True) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.q = nn.Linear(dim, dim, bias=qkv_bias)
        self.kv = nn.Linear(dim, 2 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, q: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        k, v = self.kv(x).chunk(2, dim=-1)
        out = F.scaled_dot_product_attention(
            split_heads(self.q(q), self.num_heads),
            split_heads(k, self.num_heads),
            split_heads(v, self.num_heads),
        )
        return self.proj(out.transpose(1, 2).flatten(2))


class CrossAttentionBlock(nn.Module):
    """q + xattn(q, norm1(x)), then + mlp(norm2(q)): the query reads the (normalised) tokens."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float, qkv_bias: bool = True) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.xattn = CrossAttention(dim, num_heads, qkv_bias)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = MLP(dim, int(dim * mlp_ratio))

    def forward(self, q: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        q = q + self.xattn(q, self.norm1(x))
        return q + self.mlp(self.norm2(q))


class AttentivePooler(nn.Module):
    """One learned query over all tokens; extra ``depth - 1`` self-attention blocks.

    ``blocks_first=False`` is V-JEPA (blocks refine the pooled query, after cross-attention);
    ``blocks_first=True`` is V-JEPA 2 (blocks run over the tokens, before cross-attention).
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int = 16,
        mlp_ratio: float = 4.0,
        depth: int = 1,
        qkv_bias: bool = True,
        blocks_first: bool = False,
    ) -> None:
        super().__init__()
        self.blocks_first = blocks_first
        self.query_tokens = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.cross_attention_block = CrossAttentionBlock(embed_dim, num_heads, mlp_ratio, qkv_bias)
        self.blocks = (
            nn.ModuleList(Block(embed_dim, num_heads, mlp_ratio, qkv_bias) for _ in range(depth - 1))
            if depth > 1
            else None
        )
        nn.init.trunc_normal_(self.query_tokens, std=INIT_STD)
        self.apply(_init_weights)
        self._rescale()

    def _rescale(self) -> None:
        """Divide residual-branch output weights by sqrt(2 * layer), as the reference does."""
        layers = list(self.blocks or [])
        with torch.no_grad():
            for layer_id, blk in enumerate(layers, start=1):
                blk.attn.proj.weight.div_(math.sqrt(2.0 * layer_id))
                blk.mlp.fc2.weight.div_(math.sqrt(2.0 * layer_id))
            if self.blocks_first:  # V-JEPA 2: only the cross block's fc2, by the last block's id
                self.cross_attention_block.mlp.fc2.weight.div_(math.sqrt(2.0 * max(len(layers), 1)))
            else:
                self.cross_attention_block.xattn.proj.weight.div_(math.sqrt(2.0))
                self.cross_attention_block.mlp.fc2.weight.div_(math.sqrt(2.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        blocks = list(self.blocks or [])
        if self.blocks_first:
            for blk in blocks:
                x = blk(x)
        q = self.cross_attention_block(self.query_tokens.expand(len(x), -1, -1), x)
        if not self.blocks_first:
            for blk in blocks:
                q = blk(q)
        return q


def _init_weights(m: nn.Module) -> None:
    if isinstance(m, nn.Linear):
        nn.init.trunc_normal_(m.weight, std=INIT_STD)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.LayerNorm):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)


class AttentiveClassifier(nn.Module):
    """Attentive pooler + linear head: tokens ``[B, N, D]`` -> logits ``[B, C]``."""

    def __init__(
        self,
        embed_dim: int,
        num_classes: int,
        num_heads: int = 16,
        mlp_ratio: float = 4.0,
        depth: int = 1,
        qkv_bias: bool = True,
        blocks_first: bool = False,
    ) -> None:
        super().__init__()
        self.pooler = AttentivePooler(embed_dim, num_heads, mlp_ratio, depth, qkv_bias, blocks_first)
        self.linear = nn.Linear(embed_dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.pooler(x).squeeze(1))


class PooledProbe(nn.Module):
    """Mean over tokens, standardised with the training mean/std, then a linear or one-hidden-layer head."""

    def __init__(self, embed_dim: int, num_classes: int, hidden: int = 0, dropout: float = 0.1) -> None:
        super().__init__()
        self.register_buffer("feature_mean", torch.zeros(embed_dim))
        self.register_buffer("feature_std", torch.ones(embed_dim))
        if hidden:
            self.head = nn.Sequential(
                nn.Linear(embed_dim, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, num_classes)
            )
        else:
            self.head = nn.Sequential(nn.Linear(embed_dim, num_classes))

    def set_standardization(self, features: torch.Tensor) -> None:
        """Fix the input standardisation from training features ``[..., D]``."""
        flat = features.reshape(-1, features.shape[-1]).double()
        self.feature_mean.copy_(flat.mean(0).float())
        self.feature_std.copy_(flat.std(0).clamp_min(1e-6).float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head((x.mean(dim=1) - self.feature_mean) / self.feature_std)


def build_probe(kind: str, embed_dim: int, num_classes: int, num_heads: int = 16, mlp_hidden: int = 1024) -> nn.Module:
    """A freshly initialised probe of ``kind`` (one of :data:`PROBE_KINDS`)."""
    if kind.startswith("attentive") and (num_heads < 1 or embed_dim % num_heads):
        raise AffectlabError(f"{num_heads} attention heads do not divide the feature width {embed_dim}")
    if kind == "attentive":
        return AttentiveClassifier(embed_dim, num_classes, num_heads=num_heads, depth=1)
    if kind == "attentive-v2":
        return AttentiveClassifier(embed_dim, num_classes, num_heads=num_heads, depth=4, blocks_first=True)
    if kind == "linear":
        return PooledProbe(embed_dim, num_classes)
    if kind == "mlp":
        return PooledProbe(embed_dim, num_classes, hidden=mlp_hidden)
    raise ValueError(f"unknown probe kind {kind!r}; expected one of {PROBE_KINDS}")


def uses_tokens(kind: str) -> bool:
    """Attentive probes read every token; linear and MLP probes read pooled features."""
    return kind.startswith("attentive")
