"""One contract test over every registered encoder (a new encoder is tested the day it registers).

Each name in :data:`~affectlab.fer.encoders.ENCODERS` is loaded through the registry from a tiny model saved in
its official format (the frame baseline from its real FER2013 weights) and must keep the contract the cache,
pooling and probes rely on: ``forward([B, C, T, H, W]) -> [B, N, embed_dim]`` with ``N`` the product of
``token_grid``, deterministic, frozen, and bfloat16 on the CPU close to float32. The V-JEPA architectures are
also built at full size on the meta device (no memory, no weights) to check their real token shapes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from transformers import VideoMAEConfig, VideoMAEModel, VJEPA2Config, VJEPA2Model

from affectlab.fer.config import ENCODER_SAMPLING, SamplingConfig
from affectlab.fer.encoders import ENCODERS, Encoder, load_encoder
from affectlab.fer.encoders import vjepa as vjepa_module
from affectlab.fer.encoders.vjepa import ARCHS, VisionTransformer, ViTConfig
from tests.fer.encoders.test_vjepa import official_checkpoint

FRAMES, SIZE, WIDTH = 4, 32, 32


def _tiny_vjepa(arch: str) -> Callable[[Path, pytest.MonkeyPatch], Path]:
    def build(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
        tiny = ViTConfig(embed_dim=WIDTH, depth=2, num_heads=2, img_size=SIZE, num_frames=16)
        monkeypatch.setitem(vjepa_module.ARCHS, arch, tiny)  # the registry's loader, at a tiny size
        torch.manual_seed(0)
        return official_checkpoint(folder / f"{arch}.pth.tar", VisionTransformer(tiny).eval())

    return build


def _tiny_vjepa2(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    torch.manual_seed(0)
    config = VJEPA2Config(
        hidden_size=WIDTH, num_hidden_layers=2, num_attention_heads=2, mlp_ratio=2.0, crop_size=SIZE,
        frames_per_clip=FRAMES, pred_hidden_size=16, pred_num_hidden_layers=1, pred_num_attention_heads=2,
    )  # fmt: skip
    VJEPA2Model(config).eval().save_pretrained(folder / "vjepa2")
    return folder / "vjepa2"


def _tiny_videomae(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    torch.manual_seed(0)
    config = VideoMAEConfig(
        image_size=SIZE, num_frames=FRAMES, hidden_size=WIDTH, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, use_mean_pooling=False,
    )  # fmt: skip
    VideoMAEModel(config).eval().save_pretrained(folder / "videomae")
    return folder / "videomae"


# How to make a tiny model of each registered encoder in its official format (None: it ships its weights).
TINY: dict[str, Callable[[Path, pytest.MonkeyPatch], Path] | None] = {
    "frame-baseline": None,
    "vjepa-vit_large": _tiny_vjepa("vit_large"),
    "vjepa-vit_huge": _tiny_vjepa("vit_huge"),
    "vjepa-vit_giant": _tiny_vjepa("vit_giant"),
    "vjepa2": _tiny_vjepa2,
    "videomae": _tiny_videomae,
}
REGISTERED = [name for name in ENCODERS if name in TINY]  # test-only registrations (vjepa-tiny) excluded


def test_every_registered_encoder_has_a_tiny_model():
    official = {name for name in ENCODERS if not name.endswith("-tiny")}
    assert official <= set(TINY), f"add a tiny model of {sorted(official - set(TINY))} to TINY"


@pytest.fixture(params=REGISTERED)
def encoder(request, tmp_path, monkeypatch) -> tuple[Encoder, SamplingConfig]:
    name = request.param
    sampling = SamplingConfig(
        **{"frames_per_clip": FRAMES, "num_segments": 1, "resolution": SIZE, **ENCODER_SAMPLING.get(name, {})}
    )
    build = TINY[name]
    checkpoint = None if build is None else build(tmp_path, monkeypatch)
    return load_encoder(name, checkpoint, sampling), sampling


def test_encoder_contract(encoder):
    model, sampling = encoder
    assert isinstance(model, Encoder)
    assert isinstance(model.embed_dim, int) and model.embed_dim > 0
    assert model.name and model.checkpoint_sha256
    assert not any(p.requires_grad for p in model.parameters())  # frozen
    assert not any(m.training for m in model.children())  # eval mode inside: no dropout, fixed norms
    x = torch.randn(2, 3, sampling.frames_per_clip, sampling.resolution, sampling.resolution,
                    generator=torch.Generator().manual_seed(1))  # fmt: skip
    with torch.inference_mode():
        tokens, again = model.forward(x), model.forward(x)
    t, h, w = model.token_grid(sampling.frames_per_clip, sampling.resolution, sampling.resolution)
    assert tokens.shape == (2, t * h * w, model.embed_dim)
    assert tokens.dtype == torch.float32 and torch.isfinite(tokens).all()
    assert torch.equal(tokens, again)  # deterministic
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        low = model.forward(x).float()
    assert low.shape == tokens.shape
    scale = tokens.abs().max().item()
    assert (low - tokens).abs().max().item() <= 0.1 * max(scale, 1.0)  # bf16 keeps ~3 significant digits


@pytest.mark.parametrize("arch", sorted(ARCHS))
def test_vjepa_architectures_at_full_size(arch):
    """ViT-L/H/g at 16 frames x 384 px: 8 x 24 x 24 tokens of the official width (built on the meta device)."""
    cfg = ARCHS[arch]
    with torch.device("meta"):
        model = VisionTransformer(cfg).to("meta")
        tokens = model(torch.empty(1, 3, 16, 384, 384))
    assert tuple(tokens.shape) == (1, 8 * 24 * 24, cfg.embed_dim)
    assert model.token_grid(16, 384, 384) == (8, 24, 24)
