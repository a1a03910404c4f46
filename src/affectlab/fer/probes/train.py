"""Train probes from cached features: AdamW, warmup + cosine schedule, several heads side by side.

Inputs are arrays ``[n, views, tokens, D]`` (attentive probes: the tokens of all segments concatenated;
linear/MLP: one pooled token). Each training step draws one of the cached *train* views per clip; prediction
averages the softmax over the cached *test* views, as the reference evaluation does. A sweep of learning
rates x weight decays trains every combination in the same pass over the same batches.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable, Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel

from affectlab.errors import AffectlabError
from affectlab.fer.config import TrainConfig
from affectlab.fer.encoders.runner import resolve_device
from affectlab.fer.probes.models import PooledProbe, build_probe


@contextlib.contextmanager
def deterministic() -> Iterator[None]:
    """Deterministic torch kernels inside the block; the previous settings are restored afterwards.

    On CUDA, cuBLAS needs ``CUBLAS_WORKSPACE_CONFIG`` (set for the block unless the user set it) and
    attention uses the math kernel (the fused kernels' backward passes are not deterministic).
    """
    workspace = os.environ.get("CUBLAS_WORKSPACE_CONFIG")
    if workspace is None:
        os.environ["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"
    previous = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        with sdpa_kernel(SDPBackend.MATH):
            yield
    finally:
        torch.use_deterministic_algorithms(previous)
        if workspace is None:
            os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)


def param_groups(model: nn.Module, lr: float, weight_decay: float) -> list[dict]:
    """Two AdamW groups: weights with decay; biases, norms and other 1-D parameters without."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.ndim <= 1 or name.endswith(".bias") else decay).append(p)
    return [
        {"params": decay, "weight_decay": weight_decay, "base_lr": lr},
        {"params": no_decay, "weight_decay": 0.0, "base_lr": lr},
    ]


def lr_at(step: int, total: int, warmup: int, lr: float, start_factor: float, final_lr: float) -> float:
    """Linear warmup from ``start_factor * lr`` to ``lr``, then cosine decay to ``final_lr``."""
    if step < warmup:
        return lr * (start_factor + (1 - start_factor) * step / warmup)
    progress = (step - warmup) / max(1, total - warmup)
    return final_lr + (lr - final_lr) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def _batches(n: int, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    order = rng.permutation(n)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


@deterministic()
def fit_heads(
    x: np.ndarray,
    y: np.ndarray,
    num_classes: int,
    cfg: TrainConfig,
    seed: int,
    progress: Callable[[int], None] | None = None,
    what: str = "training",
) -> list[nn.Module]:
    """Train one probe per (lr, wd) pair of ``cfg.sweep()`` on ``x [n, views, tokens, D]``, labels ``y``.

    Trains on ``cfg.device`` with deterministic kernels (features stay on the CPU, batches are moved);
    returns the heads on the CPU. Same inputs and seed on the same device -> the same weights. A training
    set that cannot train (fewer than 2 clips or 1 class), non-finite features, or a loss or weights that
    stop being finite raise an error naming ``what`` (e.g. ``fold 3``).
    """
    check_trainable(x, y, cfg, what)
    device = resolve_device(cfg.device)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    yt = torch.from_numpy(np.asarray(y, dtype=np.int64))
    heads = [build_probe(cfg.probe, xt.shape[-1], num_classes, cfg.num_heads, cfg.mlp_hidden) for _ in cfg.sweep()]
    for head in heads:
        if isinstance(head, PooledProbe):
            head.set_standardization(xt)
        head.to(device).train()
    groups = [g for head, (lr, wd) in zip(heads, cfg.sweep(), strict=True) for g in param_groups(head, lr, wd)]
    optimizer = torch.optim.AdamW(groups)
    steps_per_epoch = math.ceil(len(xt) / cfg.batch_size)
    total, warmup = cfg.epochs * steps_per_epoch, int(cfg.warmup_epochs * steps_per_epoch)
    step = 0
    for _ in range(cfg.epochs):
        for idx in _batches(len(xt), cfg.batch_size, rng):
            views = torch.from_numpy(rng.integers(0, xt.shape[1], size=len(idx)))
            batch = xt[torch.from_numpy(idx), views].to(device, non_blocking=True)
            labels = yt[idx].to(device)
            for g in optimizer.param_groups:
                g["lr"] = lr_at(step, total, warmup, g["base_lr"], cfg.start_lr_factor, cfg.final_lr)
            loss = sum(F.cross_entropy(head(batch), labels) for head in heads)
            if not torch.isfinite(loss):
                raise AffectlabError(
                    f"{what}: the training loss became {loss.item()} at step {step + 1}; lower --lr or check "
                    "the features"
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip:
                for head in heads:
                    nn.utils.clip_grad_norm_(head.parameters(), cfg.grad_clip)
            optimizer.step()
            step += 1
        if progress is not None:
            progress(1)
    for head in heads:
        if not all(torch.isfinite(p).all() for p in head.parameters()):
            raise AffectlabError(f"{what}: probe weights are not finite after training; lower --lr")
    return [head.cpu().eval() for head in heads]


def check_trainable(x: np.ndarray, y: np.ndarray, cfg: TrainConfig, what: str) -> None:
    """Refuse a training set that cannot train a probe, before any step."""
    if len(y) < 2 or len(np.unique(y)) < 2:
        raise AffectlabError(
            f"{what}: {len(y)} training clip(s) of {len(np.unique(y))} class(es); a probe needs at least 2 clips "
            "of at least 2 classes (use more actors, fewer folds, or --folds loao)"
        )
    if cfg.probe.startswith("attentive") and x.shape[-1] % cfg.num_heads:
        raise AffectlabError(
            f"{what}: --heads {cfg.num_heads} does not divide the feature width {x.shape[-1]}; choose a divisor"
        )
    if not np.isfinite(x).all():
        raise AffectlabError(f"{what}: the features hold NaN or infinite values; extract them again")


@torch.no_grad()
def predict_proba(model: nn.Module, x: np.ndarray, batch_size: int = 64, device: str = "cpu") -> np.ndarray:
    """Class probabilities ``[n, C]``: softmax of every view of ``x [n, views, tokens, D]``, averaged.

    Runs on ``device`` and leaves the model on the CPU afterwards.
    """
    target = resolve_device(device)
    model.to(target).eval()
    out = []
    for start in range(0, len(x), batch_size):
        chunk = torch.from_numpy(np.ascontiguousarray(x[start : start + batch_size], dtype=np.float32)).to(target)
        b, v = chunk.shape[:2]
        logits = model(chunk.flatten(0, 1)).reshape(b, v, -1)
        out.append(logits.softmax(-1).mean(1).cpu())
    model.cpu()
    return torch.cat(out).numpy() if out else np.zeros((0, 0), dtype=np.float32)
