"""V-JEPA 2 and VideoMAE through ``transformers`` (frozen, local files only).

V-JEPA 2 loads from a ``save_pretrained`` folder or from an official ``.pt`` pretraining checkpoint
(facebookresearch/vjepa2: ``target_encoder`` with ``module.backbone.`` prefixes, fused ``attn.qkv``, RoPE),
whose keys are mapped one to one onto ``VJEPA2Model``'s encoder. VideoMAE loads from a folder.
"""

from __future__ import annotations

import contextlib
import pickle
import re
from collections.abc import Iterator
from pathlib import Path

import torch
from torch import nn
from transformers import VideoMAEConfig, VideoMAEModel, VJEPA2Config, VJEPA2Model

from affectlab.errors import AffectlabError
from affectlab.fer.encoders.checkpoint import check_keys, encoder_state
from affectlab.io import file_sha256

# Head counts of the official V-JEPA 2 encoders by width (vit_large, vit_huge, vit_giant_xformers).
VJEPA2_HEADS = {1024: 16, 1280: 16, 1408: 22, 1664: 26}
_BLOCK = re.compile(r"^blocks\.(\d+)\.(.+)$")


class HFVideoEncoder(nn.Module):
    """Encoder contract around a transformers video backbone taking ``[B, T, C, H, W]``."""

    def __init__(self, backbone: nn.Module, config, *, name: str, checkpoint_sha256: str) -> None:
        super().__init__()
        self.backbone = backbone.float().eval().requires_grad_(False)
        self.name = name
        self.checkpoint_sha256 = checkpoint_sha256
        self.embed_dim = config.hidden_size
        self.patch_size = config.patch_size
        self.tubelet_size = config.tubelet_size

    def token_grid(self, frames: int, height: int, width: int) -> tuple[int, int, int]:
        return frames // self.tubelet_size, height // self.patch_size, width // self.patch_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, C, T, H, W]`` -> last hidden state ``[B, N, D]``."""
        return self.backbone(x.permute(0, 2, 1, 3, 4)).last_hidden_state


@contextlib.contextmanager
def _loading(path: Path, what: str) -> Iterator[None]:
    """transformers' loading errors (missing, corrupt or pickled weights) as one line naming the folder."""
    try:
        yield
    except (OSError, ValueError, RuntimeError, KeyError, EOFError, pickle.UnpicklingError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise AffectlabError(f"{path}: cannot load the {what} weights ({first[:300]})") from None


def _folder(path: Path, config_cls: type, what: str):
    if not (path.is_dir() and (path / "config.json").is_file()):
        raise AffectlabError(f"{path}: expected a {what} folder made by save_pretrained (config.json + weights)")
    with _loading(path, what):
        config = config_cls.from_pretrained(path, local_files_only=True)
    if config.model_type != config_cls.model_type:
        raise AffectlabError(
            f"{path}: config.json is a {config.model_type!r} model, expected {config_cls.model_type!r}"
        )
    return config


def load_vjepa2_folder(path: str | Path, *, frames: int, resolution: int) -> HFVideoEncoder:
    """V-JEPA 2 from a local ``save_pretrained`` folder; RoPE positions sized for ``frames x resolution``."""
    path = Path(path)
    config = _folder(path, VJEPA2Config, "V-JEPA 2")
    config.crop_size, config.frames_per_clip = resolution, frames
    with _loading(path, "V-JEPA 2"):
        model = VJEPA2Model.from_pretrained(path, config=config, local_files_only=True, dtype=torch.float32)
    return HFVideoEncoder(model.encoder, config, name="vjepa2", checkpoint_sha256=file_sha256(path))


def official_to_hf(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Official V-JEPA 2 encoder keys -> ``VJEPA2Encoder`` keys (qkv split into query, key, value)."""
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key == "pos_embed":  # stored by some files although the encoder uses RoPE (as the official hub)
            continue
        block = _BLOCK.match(key)
        if block is None:
            key = key.replace("patch_embed.", "embeddings.patch_embeddings.").replace("norm.", "layernorm.")
            out[key] = value
            continue
        i, rest = block.groups()
        if rest.startswith("attn.qkv."):
            for part, chunk in zip(("query", "key", "value"), value.chunk(3, dim=0), strict=True):
                out[f"layer.{i}.attention.{part}.{rest.rsplit('.', 1)[1]}"] = chunk
        else:
            out[f"layer.{i}.{rest.replace('attn.', 'attention.')}"] = value
    return out


def vjepa2_config(path: Path, state: dict[str, torch.Tensor], *, frames: int, resolution: int, num_heads: int | None):
    """The ``VJEPA2Config`` of an official file, read from its tensor shapes."""
    try:
        width = state["patch_embed.proj.weight"].shape[0]
        depth = 1 + max(int(m.group(1)) for k in state if (m := _BLOCK.match(k)))
        hidden = state["blocks.0.mlp.fc1.weight"].shape[0]
    except (KeyError, ValueError) as err:
        raise AffectlabError(f"{path}: not a V-JEPA 2 encoder (no patch_embed/blocks weights: {err})") from err
    heads = num_heads or VJEPA2_HEADS.get(width)
    if heads is None:
        raise AffectlabError(f"{path}: width {width} is no official V-JEPA 2 encoder ({sorted(VJEPA2_HEADS)})")
    return VJEPA2Config(
        hidden_size=width,
        num_hidden_layers=depth,
        num_attention_heads=heads,
        mlp_ratio=hidden / width,
        crop_size=resolution,
        frames_per_clip=frames,
        patch_size=state["patch_embed.proj.weight"].shape[-1],
        tubelet_size=state["patch_embed.proj.weight"].shape[2],
    )


def load_vjepa2_pt(
    path: str | Path,
    *,
    frames: int,
    resolution: int,
    key: str = "target_encoder",
    num_heads: int | None = None,
) -> HFVideoEncoder:
    """V-JEPA 2 from an official ``.pt`` checkpoint, every encoder key matched."""
    path = Path(path)
    state = encoder_state(path, key, what="V-JEPA 2")
    config = vjepa2_config(path, state, frames=frames, resolution=resolution, num_heads=num_heads)
    encoder = VJEPA2Model(config).encoder
    mapped = official_to_hf(state)
    check_keys(path, set(encoder.state_dict()), set(mapped), what=f"V-JEPA 2 ({config.num_hidden_layers} blocks)")
    try:
        encoder.load_state_dict(mapped, strict=True)
    except RuntimeError as err:
        raise AffectlabError(f"{path}: V-JEPA 2 weights have unexpected shapes: {str(err).splitlines()[-1]}") from err
    return HFVideoEncoder(encoder, config, name="vjepa2", checkpoint_sha256=file_sha256(path))


def load_vjepa2(path: str | Path, *, frames: int, resolution: int) -> HFVideoEncoder:
    """V-JEPA 2 from a folder (transformers) or an official ``.pt`` file."""
    path = Path(path)
    if path.is_dir():
        return load_vjepa2_folder(path, frames=frames, resolution=resolution)
    return load_vjepa2_pt(path, frames=frames, resolution=resolution)


def load_videomae(path: str | Path, *, frames: int, resolution: int) -> HFVideoEncoder:
    """VideoMAE from a local ``save_pretrained`` folder; its fixed positions need the exact input size."""
    path = Path(path)
    config = _folder(path, VideoMAEConfig, "VideoMAE")
    if (config.num_frames, config.image_size) != (frames, resolution):
        raise AffectlabError(
            f"{path}: VideoMAE was built for {config.num_frames} frames at {config.image_size} px; "
            f"sample clips with frames_per_clip={config.num_frames} and resolution={config.image_size}"
        )
    with _loading(path, "VideoMAE"):
        model = VideoMAEModel.from_pretrained(path, local_files_only=True, dtype=torch.float32)
    return HFVideoEncoder(model, config, name="videomae", checkpoint_sha256=file_sha256(path))
