"""V-JEPA 2 (folder, official ``.pt``) and VideoMAE (folder) on tiny random models saved in those formats."""

from __future__ import annotations

import re

import pytest
import torch
from transformers import VideoMAEConfig, VideoMAEModel, VJEPA2Config, VJEPA2Model

from affectlab.errors import AffectlabError
from affectlab.fer.encoders.base import Encoder
from affectlab.fer.encoders.hf import load_videomae, load_vjepa2, load_vjepa2_pt

FRAMES, SIZE = 4, 32
TOKENS = (FRAMES // 2) * (SIZE // 16) * (SIZE // 16)


def clip(batch: int = 2) -> torch.Tensor:
    return torch.randn(batch, 3, FRAMES, SIZE, SIZE, generator=torch.Generator().manual_seed(3))


@pytest.fixture(scope="module")
def vjepa2() -> VJEPA2Model:
    torch.manual_seed(0)
    config = VJEPA2Config(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, mlp_ratio=2.0, crop_size=SIZE,
        frames_per_clip=FRAMES, pred_hidden_size=16, pred_num_hidden_layers=1, pred_num_attention_heads=2,
    )  # fmt: skip
    model = VJEPA2Model(config).eval()
    for p in model.parameters():
        p.data.normal_(0, 0.1)
    return model


def reference_tokens(model: VJEPA2Model, x: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return model(x.permute(0, 2, 1, 3, 4), skip_predictor=True).last_hidden_state


def official_vjepa2_state(model: VJEPA2Model) -> dict[str, torch.Tensor]:
    """The encoder in facebookresearch/vjepa2's layout: fused qkv, ``module.backbone.`` keys."""
    state, out = model.encoder.state_dict(), {}
    for key, value in state.items():
        if ".attention.key." in key or ".attention.value." in key:
            continue
        if ".attention.query." in key:
            parts = [state[key.replace("query", p)] for p in ("query", "key", "value")]
            key, value = key.replace("attention.query", "attn.qkv"), torch.cat(parts)
        key = key.replace("attention.", "attn.").replace("embeddings.patch_embeddings.", "patch_embed.")
        key = re.sub(r"^layer\.", "blocks.", key).replace("layernorm.", "norm.")
        out["module.backbone." + key] = value.clone()
    return out


def test_vjepa2_folder_round_trip(tmp_path, vjepa2):
    vjepa2.save_pretrained(tmp_path / "vjepa2")
    encoder = load_vjepa2(tmp_path / "vjepa2", frames=FRAMES, resolution=SIZE)
    assert isinstance(encoder, Encoder) and encoder.embed_dim == 32
    x = clip()
    with torch.inference_mode():
        out, again = encoder(x), encoder(x)
    assert out.shape == (2, TOKENS, 32) and encoder.token_grid(FRAMES, SIZE, SIZE) == (2, 2, 2)
    assert torch.equal(out, again)
    torch.testing.assert_close(out, reference_tokens(vjepa2, x), rtol=0, atol=0)


def test_vjepa2_official_pt_round_trip(tmp_path, vjepa2):
    weights = official_vjepa2_state(vjepa2)
    path = tmp_path / "vitl.pt"
    predictor = {"module.backbone.mask_tokens.0": torch.zeros(1)}
    torch.save(
        {"encoder": weights, "target_encoder": weights, "predictor": predictor, "opt": {"state": {}},
         "scaler": None, "epoch": 10, "loss": 0.3, "batch_size": 2, "world_size": 1},
        path,
    )  # fmt: skip
    encoder = load_vjepa2_pt(path, frames=FRAMES, resolution=SIZE, num_heads=2)
    assert len(weights) == len(vjepa2.encoder.state_dict()) - 2 * 2 * 2  # qkv fused: 4 fewer tensors per block
    x = clip()
    with torch.inference_mode():
        out = encoder(x)
    assert out.shape == (2, TOKENS, 32)
    torch.testing.assert_close(out, reference_tokens(vjepa2, x), rtol=1e-6, atol=1e-6)


def test_vjepa2_pt_wrong_keys(tmp_path, vjepa2):
    weights = official_vjepa2_state(vjepa2)
    del weights["module.backbone.blocks.1.norm2.bias"]
    torch.save({"target_encoder": weights}, tmp_path / "cut.pt")
    with pytest.raises(AffectlabError, match=r"cut\.pt: weights do not match V-JEPA 2.*layer\.1\.norm2\.bias"):
        load_vjepa2_pt(tmp_path / "cut.pt", frames=FRAMES, resolution=SIZE, num_heads=2)
    torch.save({"target_encoder": weights}, tmp_path / "odd.pt")
    with pytest.raises(AffectlabError, match="width 32 is no official V-JEPA 2 encoder"):
        load_vjepa2(tmp_path / "odd.pt", frames=FRAMES, resolution=SIZE)


@pytest.fixture(scope="module")
def videomae_folder(tmp_path_factory):
    torch.manual_seed(0)
    config = VideoMAEConfig(
        image_size=SIZE, num_frames=FRAMES, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, use_mean_pooling=False,
    )  # fmt: skip
    model = VideoMAEModel(config).eval()
    folder = tmp_path_factory.mktemp("videomae")
    model.save_pretrained(folder)
    return folder, model


def test_videomae_folder_round_trip(videomae_folder):
    folder, model = videomae_folder
    encoder = load_videomae(folder, frames=FRAMES, resolution=SIZE)
    x = clip()
    with torch.inference_mode():
        out, again = encoder(x), encoder(x)
        ref = model(x.permute(0, 2, 1, 3, 4)).last_hidden_state
    assert out.shape == (2, TOKENS, 32) and torch.equal(out, again)
    torch.testing.assert_close(out, ref, rtol=0, atol=0)
    assert encoder.name == "videomae" and len(encoder.checkpoint_sha256) == 64


def test_wrong_files(tmp_path, videomae_folder):
    folder, _ = videomae_folder
    with pytest.raises(AffectlabError, match="VideoMAE was built for 4 frames at 32 px"):
        load_videomae(folder, frames=16, resolution=224)
    with pytest.raises(AffectlabError, match="config.json is a 'videomae' model, expected 'vjepa2'"):
        load_vjepa2(folder, frames=FRAMES, resolution=SIZE)
    with pytest.raises(AffectlabError, match="expected a VideoMAE folder made by save_pretrained"):
        load_videomae(tmp_path, frames=FRAMES, resolution=SIZE)
    torch.save({"classifier": {"linear.weight": torch.zeros(2, 2)}, "epoch": 1}, tmp_path / "probe.pt")
    with pytest.raises(AffectlabError, match="probe checkpoint"):
        load_vjepa2(tmp_path / "probe.pt", frames=FRAMES, resolution=SIZE)
