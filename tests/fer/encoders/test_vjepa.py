"""The own V-JEPA ViT and the official ``.pth.tar`` loader, on tiny random models saved in that format."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from affectlab.errors import AffectlabError
from affectlab.fer.encoders.vjepa import ARCHS, VisionTransformer, ViTConfig, load_vjepa, sincos_3d

TINY = ViTConfig(embed_dim=32, depth=2, num_heads=2, img_size=32, num_frames=16)


def official_checkpoint(path: Path, model: VisionTransformer, prefix: str = "module.") -> Path:
    """Save ``model`` the way facebookresearch/jepa's app/vjepa/train.py does (DDP ``module.`` keys)."""
    weights = {prefix + k: v.clone() for k, v in model.state_dict().items()}
    torch.save(
        {
            "encoder": weights,
            "predictor": {"module.predictor_embed.weight": torch.randn(8, 32)},
            "target_encoder": weights,
            "opt": {"state": {}, "param_groups": [{"lr": 1e-4}]},
            "scaler": None,
            "epoch": 3,
            "loss": 0.25,
            "batch_size": 4,
            "world_size": 1,
            "lr": 1e-4,
        },
        path,
    )
    return path


@pytest.fixture
def tiny_model() -> VisionTransformer:
    torch.manual_seed(0)
    model = VisionTransformer(TINY)
    for p in model.parameters():  # LayerNorm weights start at 1/0: randomise so a wrong mapping shows
        if p.ndim == 1:
            p.data.normal_(0, 0.2)
    model.pos_embed.data += 0.1 * torch.randn_like(model.pos_embed)  # the stored table must be the one used
    return model.eval()


@pytest.mark.parametrize("prefix", ["module.", "module.backbone."])
def test_round_trip_strict_and_deterministic(tmp_path, tiny_model, prefix):
    path = official_checkpoint(tmp_path / "vjepa.pth.tar", tiny_model, prefix)
    loaded = load_vjepa(path, TINY)
    assert set(loaded.state_dict()) == set(tiny_model.state_dict())
    x = torch.randn(2, 3, 16, 32, 32, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        out, again, ref = loaded(x), loaded(x), tiny_model(x)
    assert out.shape == (2, (16 // 2) * (32 // 16) * (32 // 16), 32)
    assert torch.equal(out, again)
    torch.testing.assert_close(out, ref, rtol=0, atol=0)
    assert len(loaded.checkpoint_sha256) == 64 and not any(p.requires_grad for p in loaded.parameters())


def test_token_count_at_other_resolution(tiny_model):
    x = torch.randn(1, 3, 8, 48, 64)
    assert tiny_model(x).shape == (1, (8 // 2) * (48 // 16) * (64 // 16), 32)
    assert tiny_model.token_grid(16, 384, 384) == (8, 24, 24)


def test_position_embedding_is_3d_sincos():
    pos = sincos_3d(32, grid_size=2, grid_depth=3).reshape(3, 2, 2, 32)
    # first half of the channels depends on time only, next quarter on rows only, last quarter on columns only
    assert np.allclose(pos[:, :1, :1, :16], pos[:, :, :, :16]) and not np.allclose(pos[0, 0, 0, :16], pos[1, 0, 0, :16])
    assert np.allclose(pos[:1, :, :1, 16:24], pos[:, :, :, 16:24])
    assert np.allclose(pos[:1, :1, :, 24:], pos[:, :, :, 24:])
    assert np.allclose(pos[0, 0, 0], np.r_[np.zeros(8), np.ones(8), np.zeros(4), np.ones(4), np.zeros(4), np.ones(4)])


def test_uniform_power_split():
    pos = sincos_3d(36, grid_size=2, grid_depth=2, uniform_power=True).reshape(2, 2, 2, 36)
    assert np.allclose(pos[:, :1, :1, :12], pos[:, :, :, :12]) and np.allclose(pos[:1, :1, :, 24:], pos[:, :, :, 24:])


def test_pos_embed_size_read_from_checkpoint(tmp_path):
    bigger = VisionTransformer(TINY.model_copy(update={"img_size": 48}))
    loaded = load_vjepa(official_checkpoint(tmp_path / "m.pth.tar", bigger), TINY)
    assert loaded.cfg.img_size == 48 and loaded.pos_embed.shape == (1, 8 * 3 * 3, 32)


def test_official_arch_shapes():
    assert {k: (v.embed_dim, v.depth, v.num_heads, v.mlp_hidden) for k, v in ARCHS.items()} == {
        "vit_large": (1024, 24, 16, 4096),
        "vit_huge": (1280, 32, 16, 5120),
        "vit_giant": (1408, 40, 16, 6144),
    }


def test_missing_and_unexpected_keys_are_named(tmp_path, tiny_model):
    state = tiny_model.state_dict()
    del state["blocks.1.mlp.fc2.bias"]
    state["blocks.1.attn.q_norm.weight"] = torch.ones(16)
    path = tmp_path / "broken.pth.tar"
    torch.save({"target_encoder": {"module." + k: v for k, v in state.items()}, "epoch": 1}, path)
    with pytest.raises(AffectlabError, match=r"broken\.pth\.tar.*missing \['blocks\.1\.mlp\.fc2\.bias'\].*q_norm"):
        load_vjepa(path, TINY)


def test_wrong_architecture_is_an_error(tmp_path, tiny_model):
    path = official_checkpoint(tmp_path / "tiny.pth.tar", tiny_model)
    with pytest.raises(AffectlabError, match="vjepa-custom.*missing.*blocks.2"):
        load_vjepa(path, TINY.model_copy(update={"depth": 3}))


def test_probe_checkpoint_is_refused(tmp_path):
    path = tmp_path / "probe.pth.tar"
    torch.save({"classifier": {"module.linear.weight": torch.zeros(7, 32)}, "opt": {}, "epoch": 20}, path)
    with pytest.raises(AffectlabError, match=r"probe\.pth\.tar: this is a frozen-evaluation probe checkpoint"):
        load_vjepa(path, "vit_large")


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_non_weights_pickle_is_refused(tmp_path):
    path = tmp_path / "evil.pth.tar"
    path.write_bytes(pickle.dumps({"target_encoder": object()}))
    with pytest.raises(AffectlabError, match="weights_only=True"):
        load_vjepa(path, "vit_huge")


def test_unknown_arch(tmp_path):
    with pytest.raises(AffectlabError, match="unknown V-JEPA architecture 'vit_tiny'"):
        load_vjepa(tmp_path / "x.pth.tar", "vit_tiny")
