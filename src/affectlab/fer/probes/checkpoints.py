"""Probe checkpoints: read the reference layouts (V-JEPA ``classifier``, V-JEPA 2 ``classifiers``) and
write affectlab's own (the V-JEPA layout plus a ``probe`` metadata entry).

Reference files hold ``{"classifier": state_dict, ...}`` (facebookresearch/jepa) or
``{"classifiers": [state_dict, ...], ...}`` (facebookresearch/vjepa2, one per sweep head), with keys
``pooler.query_tokens``, ``pooler.cross_attention_block.*``, ``pooler.blocks.i.*``, ``linear.*``, possibly
prefixed by ``module.`` (DistributedDataParallel).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import torch
from pydantic import BaseModel, Field, ValidationError, field_validator
from torch import nn

from affectlab.errors import AffectlabError
from affectlab.fer.config import ProbeKind
from affectlab.fer.data.labels import canonical_labels
from affectlab.fer.encoders.checkpoint import load_weights
from affectlab.fer.probes.models import AttentiveClassifier, build_probe
from affectlab.io import atomic_path


class ProbeMeta(BaseModel):
    """What affectlab stores beside a probe's weights so it can be rebuilt and read."""

    kind: ProbeKind
    embed_dim: int = Field(ge=1)
    num_classes: int = Field(ge=1)
    num_heads: int = Field(16, ge=1)
    mlp_hidden: int = Field(1024, ge=1)
    dataset: str = ""
    labels: list[str] = []
    lr: float = 0.0
    weight_decay: float = 0.0

    @field_validator("labels")
    @classmethod
    def _canonical(cls, labels: list[str]) -> list[str]:
        """Probes saved by older versions (CREMA-D ``anger``/``fear``) read in today's vocabulary."""
        return list(canonical_labels(labels))


def _strip_module(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k.removeprefix("module."): v for k, v in state.items()}


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """A probe checkpoint loaded with ``weights_only=True``; clear errors for missing or bad files."""
    return load_weights(path)


def reference_state_dicts(path: str | Path) -> tuple[list[dict[str, torch.Tensor]], bool]:
    """State dicts in a reference probe file and whether they are V-JEPA 2 (blocks before cross-attention)."""
    ckpt = read_checkpoint(path)
    if "classifiers" in ckpt:
        return [_strip_module(sd) for sd in ckpt["classifiers"]], True
    if "classifier" in ckpt:
        return [_strip_module(ckpt["classifier"])], False
    if any(k.removeprefix("module.").startswith("pooler.") for k in ckpt):
        return [_strip_module(ckpt)], False
    raise AffectlabError(
        f"{path}: no 'classifier' or 'classifiers' entry and no 'pooler.*' keys; not a V-JEPA probe file"
    )


def attentive_from_state_dict(
    state: dict[str, torch.Tensor], blocks_first: bool, num_heads: int = 16, source: str = "state dict"
) -> AttentiveClassifier:
    """Build an :class:`AttentiveClassifier` whose shapes match ``state`` and load it strictly."""
    try:
        embed_dim = state["pooler.query_tokens"].shape[-1]
        num_classes = state["linear.weight"].shape[0]
        hidden = state["pooler.cross_attention_block.mlp.fc1.weight"].shape[0]
    except KeyError as err:
        raise AffectlabError(f"{source}: missing attentive-probe parameter {err}") from err
    block_ids = {int(m.group(1)) for k in state if (m := re.match(r"pooler\.blocks\.(\d+)\.", k))}
    qkv_bias = "pooler.cross_attention_block.xattn.q.bias" in state
    if embed_dim % num_heads:
        raise AffectlabError(f"{source}: embed dim {embed_dim} is not divisible by {num_heads} heads")
    model = AttentiveClassifier(
        embed_dim,
        num_classes,
        num_heads=num_heads,
        mlp_ratio=hidden / embed_dim,
        depth=len(block_ids) + 1,
        qkv_bias=qkv_bias,
        blocks_first=blocks_first,
    )
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise AffectlabError(f"{source}: parameters do not match the reference attentive probe: {err}") from err
    return model


def load_reference_probes(path: str | Path, num_heads: int = 16) -> list[AttentiveClassifier]:
    """Every attentive probe in a V-JEPA or V-JEPA 2 probe file, ready for inference."""
    states, blocks_first = reference_state_dicts(path)
    return [attentive_from_state_dict(sd, blocks_first, num_heads, str(path)).eval() for sd in states]


def save_probe(path: str | Path, model: nn.Module, meta: ProbeMeta) -> None:
    """Write ``{"classifier": state_dict, "probe": meta}`` atomically (readable by the reference too)."""
    with atomic_path(path) as tmp:
        try:
            torch.save({"classifier": model.state_dict(), "probe": meta.model_dump()}, tmp)
        except RuntimeError as err:  # torch's writer reports a full disk as a RuntimeError
            raise OSError(f"cannot write the probe ({str(err).splitlines()[0]})") from err


def load_probe(path: str | Path) -> tuple[nn.Module, ProbeMeta]:
    """A probe written by :func:`save_probe`, rebuilt from its metadata, in eval mode."""
    ckpt = read_checkpoint(path)
    if "probe" not in ckpt or "classifier" not in ckpt:
        raise AffectlabError(f"{path}: not an affectlab probe (expected 'classifier' and 'probe' entries)")
    try:
        meta = ProbeMeta.model_validate(ckpt["probe"])
    except ValidationError as err:
        problem = err.errors()[0]
        raise AffectlabError(
            f"{path}: bad probe metadata ({'.'.join(map(str, problem['loc']))}: {problem['msg']})"
        ) from None
    if not isinstance(ckpt["classifier"], dict):
        raise AffectlabError(f"{path}: 'classifier' is not a state dict")
    try:
        model = build_probe(meta.kind, meta.embed_dim, meta.num_classes, meta.num_heads, meta.mlp_hidden)
        model.load_state_dict(_strip_module(ckpt["classifier"]), strict=True)
    except (RuntimeError, ValueError, AssertionError) as err:
        raise AffectlabError(
            f"{path}: weights do not match a {meta.kind} probe of width {meta.embed_dim} and "
            f"{meta.num_classes} classes ({str(err).strip().splitlines()[0][:200]})"
        ) from None
    return model.eval(), meta
