"""Probes and checkpoints in the reference layouts (V-JEPA ``classifier``, V-JEPA 2 ``classifiers``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from affectlab.errors import AffectlabError
from affectlab.fer.probes.checkpoints import ProbeMeta, load_probe, load_reference_probes, save_probe
from affectlab.fer.probes.models import PROBE_KINDS, AttentiveClassifier, build_probe

D, HEADS, CLASSES = 32, 4, 5


def _tokens(b: int = 3, n: int = 10, seed: int = 0) -> torch.Tensor:
    return torch.randn(b, n, D, generator=torch.Generator().manual_seed(seed))


def _explicit_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """softmax(q k^T / sqrt(d)) v per head, written out (the reference's use_sdpa=False path)."""
    b, n, _ = q.shape
    split = lambda t: t.reshape(t.shape[0], t.shape[1], HEADS, D // HEADS).transpose(1, 2)  # noqa: E731
    attn = (split(q) @ split(k).transpose(-2, -1)) * (D // HEADS) ** -0.5
    return (attn.softmax(-1) @ split(v)).transpose(1, 2).reshape(b, n, D)


def _reference_forward(sd: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """The V-JEPA depth-1 attentive classifier computed from raw reference parameter names."""
    p = "pooler.cross_attention_block."
    lin = lambda t, name: t @ sd[name + ".weight"].T + sd[name + ".bias"]  # noqa: E731
    ln = lambda t, name: torch.nn.functional.layer_norm(t, (D,), sd[name + ".weight"], sd[name + ".bias"])  # noqa: E731
    q = sd["pooler.query_tokens"].repeat(len(x), 1, 1)
    xn = ln(x, p + "norm1")
    k, v = lin(xn, p + "xattn.kv").chunk(2, dim=-1)
    q = q + lin(_explicit_attention(lin(q, p + "xattn.q"), k, v), p + "xattn.proj")
    h = torch.nn.functional.gelu(lin(ln(q, p + "norm2"), p + "mlp.fc1"))
    q = q + lin(h, p + "mlp.fc2")
    return lin(q.squeeze(1), "linear")


@pytest.mark.parametrize("kind", PROBE_KINDS)
def test_every_probe_maps_tokens_to_logits(kind: str) -> None:
    torch.manual_seed(0)
    probe = build_probe(kind, D, CLASSES, num_heads=HEADS, mlp_hidden=16)
    assert probe(_tokens()).shape == (3, CLASSES)


def test_attentive_probe_matches_reference_math() -> None:
    torch.manual_seed(0)
    probe = AttentiveClassifier(D, CLASSES, num_heads=HEADS).eval()
    sd = probe.state_dict()
    assert {"pooler.query_tokens", "pooler.cross_attention_block.xattn.q.weight", "linear.weight"} <= set(sd)
    x = _tokens()
    torch.testing.assert_close(probe(x), _reference_forward(sd, x), rtol=1e-5, atol=1e-5)


def test_vjepa_layout_with_module_prefix_round_trips(tmp_path: Path) -> None:
    torch.manual_seed(1)
    probe = AttentiveClassifier(D, CLASSES, num_heads=HEADS).eval()
    path = tmp_path / "jepa-probe.pth.tar"
    state = {f"module.{k}": v for k, v in probe.state_dict().items()}
    torch.save({"classifier": state, "opt": {}, "epoch": 20, "lr": 0.001}, path)
    (loaded,) = load_reference_probes(path, num_heads=HEADS)
    x = _tokens(seed=2)
    torch.testing.assert_close(loaded(x), probe(x))


def test_vjepa2_layout_loads_every_head_with_blocks_before_cross_attention(tmp_path: Path) -> None:
    torch.manual_seed(2)
    heads = [AttentiveClassifier(D, CLASSES, num_heads=HEADS, depth=4, blocks_first=True).eval() for _ in range(2)]
    path = tmp_path / "latest.pt"
    torch.save(
        {
            "classifiers": [{f"module.{k}": v for k, v in h.state_dict().items()} for h in heads],
            "opt": [],
            "epoch": 1,
        },
        path,
    )
    loaded = load_reference_probes(path, num_heads=HEADS)
    assert len(loaded) == 2 and len(loaded[0].pooler.blocks) == 3 and loaded[0].pooler.blocks_first
    x = _tokens(seed=3)
    for ref, got in zip(heads, loaded, strict=True):
        torch.testing.assert_close(got(x), ref(x))
    # the same weights read as V-JEPA (blocks after cross-attention) compute something else
    wrong = AttentiveClassifier(D, CLASSES, num_heads=HEADS, depth=4, blocks_first=False).eval()
    wrong.load_state_dict(heads[0].state_dict())
    assert not torch.allclose(wrong(x), heads[0](x))


def test_reference_loading_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-probe.pt"
    torch.save({"encoder": {"w": torch.zeros(1)}}, bad)
    with pytest.raises(AffectlabError, match="not-a-probe.pt"):
        load_reference_probes(bad)
    partial = tmp_path / "partial.pt"
    torch.save({"classifier": {"pooler.query_tokens": torch.zeros(1, 1, D)}}, partial)
    with pytest.raises(AffectlabError, match="partial.pt: missing"):
        load_reference_probes(partial)
    with pytest.raises(AffectlabError, match="not found"):
        load_reference_probes(tmp_path / "absent.pt")


@pytest.mark.parametrize("kind", PROBE_KINDS)
def test_affectlab_probe_round_trip(kind: str, tmp_path: Path) -> None:
    torch.manual_seed(3)
    probe = build_probe(kind, D, CLASSES, num_heads=HEADS, mlp_hidden=16).eval()
    meta = ProbeMeta(kind=kind, embed_dim=D, num_classes=CLASSES, num_heads=HEADS, mlp_hidden=16, labels=list("abcde"))
    save_probe(tmp_path / "p.pt", probe, meta)
    loaded, got_meta = load_probe(tmp_path / "p.pt")
    assert got_meta == meta
    x = _tokens(seed=4)
    torch.testing.assert_close(loaded(x), probe(x))
