"""The project's own V-JEPA ViT (patch 16, tubelet 2, fixed 3-D sin-cos positions, no class token, SDPA)
and the loader for the official V-JEPA ``.pth.tar`` pretraining checkpoints (facebookresearch/jepa)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict
from torch import nn

from affectlab.errors import AffectlabError
from affectlab.fer.encoders.checkpoint import check_keys, encoder_state
from affectlab.fer.encoders.layers import Block
from affectlab.io import file_sha256


class ViTConfig(BaseModel):
    """Shape of a V-JEPA ViT; ``img_size`` and ``num_frames`` size the stored position embedding."""

    model_config = ConfigDict(frozen=True)

    embed_dim: int
    depth: int
    num_heads: int
    mlp_ratio: float = 4.0
    patch_size: int = 16
    tubelet_size: int = 2
    img_size: int = 224
    num_frames: int = 16
    uniform_power: bool = False

    @property
    def mlp_hidden(self) -> int:
        return int(self.embed_dim * self.mlp_ratio)


ARCHS: dict[str, ViTConfig] = {
    "vit_large": ViTConfig(embed_dim=1024, depth=24, num_heads=16),
    "vit_huge": ViTConfig(embed_dim=1280, depth=32, num_heads=16),
    "vit_giant": ViTConfig(embed_dim=1408, depth=40, num_heads=16, mlp_ratio=48 / 11),
}


def sincos_1d(dim: int, positions: np.ndarray) -> np.ndarray:
    """[M, dim] sin | cos of positions at frequencies 1 / 10000^(2i/dim)."""
    omega = 1.0 / 10000 ** (np.arange(dim // 2, dtype=np.float64) / (dim / 2.0))
    angles = np.outer(positions.reshape(-1).astype(np.float64), omega)
    return np.concatenate([np.sin(angles), np.cos(angles)], axis=1)


def sincos_3d(dim: int, grid_size: int, grid_depth: int, uniform_power: bool = False) -> np.ndarray:
    """[depth * size * size, dim]: half the channels for time, a quarter each for rows and columns
    (``uniform_power``: a third each, as some official configs set)."""
    d, h, w = np.meshgrid(np.arange(grid_depth), np.arange(grid_size), np.arange(grid_size), indexing="ij")
    split = [int(np.ceil(dim / 6) * 2)] * 3 if uniform_power else [dim // 2, dim // 4, dim // 4]
    parts = [sincos_1d(n, axis) for n, axis in zip(split, (d, h, w), strict=True)]
    return np.concatenate(parts, axis=1)[:, :dim]


class PatchEmbed3D(nn.Module):
    """Tubelets of ``tubelet x patch x patch`` pixels to tokens with one strided Conv3d."""

    def __init__(self, cfg: ViTConfig, in_chans: int = 3) -> None:
        super().__init__()
        kernel = (cfg.tubelet_size, cfg.patch_size, cfg.patch_size)
        self.proj = nn.Conv3d(in_chans, cfg.embed_dim, kernel_size=kernel, stride=kernel)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)


class VisionTransformer(nn.Module):
    """V-JEPA video ViT encoder: ``[B, C, T, H, W] -> [B, T/2 * H/16 * W/16, D]`` (normed last layer)."""

    def __init__(self, cfg: ViTConfig, *, name: str = "vjepa", checkpoint_sha256: str = "random") -> None:
        super().__init__()
        self.cfg = cfg
        self.name = name
        self.embed_dim = cfg.embed_dim
        self.checkpoint_sha256 = checkpoint_sha256
        self.patch_embed = PatchEmbed3D(cfg)
        grid, depth = cfg.img_size // cfg.patch_size, cfg.num_frames // cfg.tubelet_size
        table = sincos_3d(cfg.embed_dim, grid, depth, cfg.uniform_power)
        pos = torch.from_numpy(table).float().unsqueeze(0)  # replaced by the stored table on load
        self.pos_embed = nn.Parameter(pos, requires_grad=False)
        self.blocks = nn.ModuleList(
            Block(cfg.embed_dim, cfg.num_heads, cfg.mlp_ratio, eps=1e-6) for _ in range(cfg.depth)
        )
        self.norm = nn.LayerNorm(cfg.embed_dim, eps=1e-6)

    def token_grid(self, frames: int, height: int, width: int) -> tuple[int, int, int]:
        p, t = self.cfg.patch_size, self.cfg.tubelet_size
        return frames // t, height // p, width // p

    def position_embedding(self, frames: int, height: int, width: int) -> torch.Tensor:
        """The stored embedding, trilinearly resized when the input grid differs (as the official code)."""
        t, h, w = self.token_grid(frames, height, width)
        cfg = self.cfg
        t0, s0 = cfg.num_frames // cfg.tubelet_size, cfg.img_size // cfg.patch_size
        if (t, h, w) == (t0, s0, s0):
            return self.pos_embed
        grid = self.pos_embed.reshape(1, t0, s0, s0, -1).permute(0, 4, 1, 2, 3)
        grid = F.interpolate(grid, size=(t, h, w), mode="trilinear")
        return grid.permute(0, 2, 3, 4, 1).reshape(1, t * h * w, -1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, _, frames, height, width = x.shape
        x = self.patch_embed(x) + self.position_embedding(frames, height, width).to(x.dtype)
        for block in self.blocks:
            x = block(x)
        return self.norm(x)


def _pos_grid(path: Path, state: dict[str, torch.Tensor], cfg: ViTConfig) -> ViTConfig:
    """Size the position embedding from the checkpoint (16 frames assumed, as all official files)."""
    pos = state.get("pos_embed")
    if pos is None:
        return cfg
    depth = cfg.num_frames // cfg.tubelet_size
    side = round((pos.shape[1] / depth) ** 0.5)
    if pos.ndim != 3 or depth * side * side != pos.shape[1] or pos.shape[2] != cfg.embed_dim:
        raise AffectlabError(
            f"{path}: pos_embed has shape {tuple(pos.shape)}, expected [1, {depth} * S * S, {cfg.embed_dim}]"
        )
    return cfg.model_copy(update={"img_size": side * cfg.patch_size})


def load_vjepa(path: str | Path, arch: str | ViTConfig, *, key: str = "target_encoder") -> VisionTransformer:
    """Build ``arch`` and load the ``target_encoder`` of an official V-JEPA ``.pth.tar``, all keys matched."""
    path = Path(path)
    if isinstance(arch, str):
        if arch not in ARCHS:
            raise AffectlabError(f"unknown V-JEPA architecture {arch!r}; expected one of {sorted(ARCHS)}")
        name, cfg = f"vjepa-{arch}", ARCHS[arch]
    else:
        name, cfg = "vjepa-custom", arch
    state = encoder_state(path, key, what="V-JEPA")
    cfg = _pos_grid(path, state, cfg)
    model = VisionTransformer(cfg, name=name, checkpoint_sha256=file_sha256(path))
    expected = model.state_dict()
    check_keys(path, set(expected), set(state), what=f"{name} ({cfg.depth} blocks of width {cfg.embed_dim})")
    wrong = [(k, tuple(v.shape), tuple(expected[k].shape)) for k, v in state.items() if v.shape != expected[k].shape]
    if wrong:
        key_, got, want = wrong[0]
        raise AffectlabError(f"{path}: {key_} has shape {got}, {name} expects {want} ({len(wrong)} mismatches)")
    model.load_state_dict(state, strict=True)
    return model.eval().requires_grad_(False)
