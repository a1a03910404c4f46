"""Train probes: AdamW, cosine schedules (affectlab's, or the V-JEPA / V-JEPA 2 reference's), several heads
side by side, resumable per epoch.

Inputs are ``[n, views, tokens, D]`` (attentive probes: the tokens of all segments concatenated; linear/MLP:
one pooled token), from cached arrays or from a source that encodes clips inside the loop
(:mod:`affectlab.fer.probes.online`). Each training step draws one of the *train* views per clip (cached: one
of the K stored views, drawn per clip and epoch; online: a fresh view); prediction averages the softmax over
the *test* views, as the reference evaluation does. A sweep of learning rates x weight decays trains every
combination in the same pass over the same batches.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel

from affectlab.errors import AffectlabError
from affectlab.fer.config import TrainConfig
from affectlab.fer.encoders.checkpoint import load_weights
from affectlab.fer.encoders.runner import resolve_device
from affectlab.fer.probes.models import PooledProbe, build_probe
from affectlab.io import atomic_path


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


ALL_BACKENDS = [SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.CUDNN_ATTENTION,
                SDPBackend.MATH, SDPBackend.OVERRIDEABLE]  # fmt: skip


@contextlib.contextmanager
def encoder_defaults() -> Iterator[None]:
    """Inside :func:`deterministic`, the default kernels again (every attention backend, non-deterministic
    algorithms allowed): what extraction runs the encoder under, so tokens encoded inside the training loop
    are the cached tokens, bit for bit."""
    previous = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(False)
    try:
        with sdpa_kernel(ALL_BACKENDS):
            yield
    finally:
        torch.use_deterministic_algorithms(previous)


def param_groups(model: nn.Module, lr: float, weight_decay: float, exclude_bias: bool = True) -> list[dict]:
    """AdamW groups: weights with decay; biases, norms and other 1-D parameters without (``exclude_bias``;
    otherwise one group, as V-JEPA 2's probes)."""
    if not exclude_bias:
        return [{"params": list(model.parameters()), "weight_decay": weight_decay, "base_lr": lr,
                 "base_wd": weight_decay, "decay": True}]  # fmt: skip
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.ndim <= 1 or name.endswith(".bias") else decay).append(p)
    return [
        {"params": decay, "weight_decay": weight_decay, "base_lr": lr, "base_wd": weight_decay, "decay": True},
        {"params": no_decay, "weight_decay": 0.0, "base_lr": lr, "base_wd": 0.0, "decay": False},
    ]


def lr_at(step: int, total: int, warmup: int, lr: float, start_factor: float, final_lr: float) -> float:
    """Linear warmup from ``start_factor * lr`` to ``lr``, then cosine decay to ``final_lr``."""
    if step < warmup:
        return lr * (start_factor + (1 - start_factor) * step / warmup)
    progress = (step - warmup) / max(1, total - warmup)
    return final_lr + (lr - final_lr) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def _cosine(start: float, end: float, progress: float) -> float:
    value = end + (start - end) * 0.5 * (1 + math.cos(math.pi * progress))
    return max(end, value) if end <= start else min(end, value)


def schedule_at(step: int, total: int, warmup: int, lr: float, wd: float, cfg: TrainConfig) -> tuple[float, float]:
    """(lr, weight decay) of optimiser step ``step`` (0-based) of ``total`` under ``cfg.schedule``.

    ``jepa`` is what the V-JEPA FER fork computes: its torch ``LRScheduler`` steps once at construction and once
    before every iteration, so iteration ``i`` uses position ``i + 2`` of ``T = total`` (T not reduced by the
    warmup); its ``CosineWDSchedule`` uses ``i + 1``. ``vjepa2``: both at ``i + 1``, T reduced by the warmup.
    Weight decay follows a cosine to ``final_weight_decay`` (constant when None).
    """
    start, final_wd = lr * cfg.start_lr_factor, cfg.final_weight_decay
    if cfg.schedule == "warmup-cosine":
        new_lr = lr_at(step, total, warmup, lr, cfg.start_lr_factor, cfg.final_lr)
        position = step
    else:
        position = step + (2 if cfg.schedule == "jepa" else 1)
        if position < warmup:
            new_lr = start + position / max(1, warmup) * (lr - start)
        else:
            span = total if cfg.schedule == "jepa" else total - warmup
            new_lr = _cosine(lr, cfg.final_lr, (position - warmup) / max(1, span))
        position = step + 1
    new_wd = wd if final_wd is None else _cosine(wd, final_wd, position / max(1, total))
    return new_lr, new_wd


def _batches(n: int, batch_size: int, rng: np.random.Generator, order: np.ndarray | None = None) -> list[np.ndarray]:
    """Batches of a new random order drawn from ``rng``, or of ``order`` when given (``shuffle="once"``)."""
    order = rng.permutation(n) if order is None else order
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


Plan = list[tuple[np.ndarray, np.ndarray]]  # per step: positions into the training rows, and their view


class BatchSource(Protocol):
    """Where training batches come from: ``views`` stored views per clip (1 for a fresh view every epoch),
    ``embed_dim``, and ``batches(plan, epoch)`` yielding one tensor ``[B, tokens, D]`` per step of ``plan``."""

    views: int
    embed_dim: int

    def batches(self, plan: Plan, epoch: int) -> Iterator[torch.Tensor]: ...


class ArrayBatches:
    """Training batches from cached inputs ``[n, views, tokens, D]`` held in memory."""

    def __init__(self, x: np.ndarray) -> None:
        self.x = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
        self.views, self.embed_dim = self.x.shape[1], self.x.shape[-1]

    def batches(self, plan: Plan, epoch: int) -> Iterator[torch.Tensor]:
        for idx, views in plan:
            yield self.x[torch.from_numpy(idx), torch.from_numpy(views)]


def _save_state(path: Path, state: dict) -> None:
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def foreign_state(path: Path, why: str | BaseException) -> AffectlabError:
    """The one-line error for a file in a run's state folder that is not a state ``fer train`` saved."""
    if isinstance(why, BaseException):
        why = f"{type(why).__name__}: {(str(why).strip().splitlines() or [''])[0][:120]}"
    return AffectlabError(
        f"{path}: not a training state saved by 'affectlab fer train' ({why}); delete {path.parent} to start "
        "the run afresh"
    )


def load_state(path: Path, fingerprint: str) -> dict | None:
    """The training state at ``path`` when it belongs to the same run (same fingerprint), else None; a file
    that is not a state of ours is a one-line error (loaded with ``weights_only``, so nothing is executed)."""
    if not path.is_file():
        return None
    try:
        state = load_weights(path)
    except AffectlabError as err:
        raise foreign_state(path, str(err).removeprefix(f"{path}: ")) from None
    if not isinstance(state.get("fingerprint"), str):
        raise foreign_state(path, "no fingerprint")
    return state if state["fingerprint"] == fingerprint else None


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
    source = ArrayBatches(x)
    return fit_heads_from(source, y, num_classes, cfg, seed, progress, what, standardize=source.x)


@deterministic()
def fit_heads_from(
    source: BatchSource,
    y: np.ndarray,
    num_classes: int,
    cfg: TrainConfig,
    seed: int,
    progress: Callable[[int], None] | None = None,
    what: str = "training",
    *,
    standardize: torch.Tensor | None = None,
    state_path: Path | None = None,
    fingerprint: str = "",
) -> list[nn.Module]:
    """The training loop of :func:`fit_heads` over any :class:`BatchSource` (cached arrays or clips encoded
    inside the loop). Each epoch draws its batch order and views from the seeded generator first, so a
    source can prepare the whole epoch ahead. With ``state_path`` the heads, optimiser, step and generator
    states are saved after every epoch and a matching saved state (same ``fingerprint``) is resumed: a
    stopped run continues with the same numbers."""
    check_labels(y, what)
    device = resolve_device(cfg.device)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    yt = torch.from_numpy(np.asarray(y, dtype=np.int64))
    heads = _build_heads(cfg, source.embed_dim, num_classes, standardize, device, what)
    groups = [
        g
        for head, (lr, wd) in zip(heads, cfg.sweep(), strict=True)
        for g in param_groups(head, lr, wd, cfg.exclude_bias_decay)
    ]
    optimizer = torch.optim.AdamW(groups)
    steps_per_epoch = math.ceil(len(yt) / cfg.batch_size)
    schedule = (cfg.epochs * steps_per_epoch, int(cfg.warmup_epochs * steps_per_epoch))  # total, warmup steps
    step, first_epoch = 0, 0
    resumed = _resume(state_path, fingerprint, heads, optimizer, rng) if state_path is not None else None
    if resumed is not None:
        step, first_epoch = resumed
        if progress is not None:
            progress(first_epoch)
    # shuffle="once": one order for every epoch, from its own generator so a resumed run draws the same one
    fixed = np.random.default_rng([seed, 1]).permutation(len(yt)) if cfg.shuffle == "once" else None
    for epoch in range(first_epoch, cfg.epochs):
        batches = _batches(len(yt), cfg.batch_size, rng, fixed)
        plan = [(idx, rng.integers(0, source.views, size=len(idx))) for idx in batches]
        step = _train_epoch(heads, optimizer, source.batches(plan, epoch), plan, yt, step, schedule, cfg, device, what)
        if state_path is not None:
            _save_state(state_path, {
                "fingerprint": fingerprint, "epoch": epoch + 1, "step": step,
                "heads": [h.state_dict() for h in heads], "optimizer": optimizer.state_dict(),
                "rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state(),
            })  # fmt: skip
        if progress is not None:
            progress(1)
    for head in heads:
        if not all(torch.isfinite(p).all() for p in head.parameters()):
            raise AffectlabError(f"{what}: probe weights are not finite after training; lower --lrs")
    return [head.cpu().eval() for head in heads]


def _build_heads(
    cfg: TrainConfig,
    embed_dim: int,
    num_classes: int,
    standardize: torch.Tensor | None,
    device: torch.device,
    what: str,
) -> list[nn.Module]:
    """One probe per head of the sweep, on ``device`` in training mode; pooled probes standardised."""
    heads = [build_probe(cfg.probe, embed_dim, num_classes, cfg.num_heads, cfg.mlp_hidden) for _ in cfg.sweep()]
    for head in heads:
        if isinstance(head, PooledProbe):
            if standardize is None:
                raise AffectlabError(f"{what}: {cfg.probe} probes standardise cached features; train them cached")
            head.set_standardization(standardize)
        head.to(device).train()
    return heads


def _resume(
    path: Path, fingerprint: str, heads: list[nn.Module], optimizer: torch.optim.Optimizer, rng: np.random.Generator
) -> tuple[int, int] | None:
    """Load a matching saved state into the heads, optimiser and generators: ``(step, epoch)``, or None."""
    saved = load_state(path, fingerprint)
    if saved is None:
        return None
    try:
        for head, weights in zip(heads, saved["heads"], strict=True):
            head.load_state_dict(weights)
        optimizer.load_state_dict(saved["optimizer"])
        rng.bit_generator.state = saved["rng"]
        torch.set_rng_state(saved["torch_rng"])
        return int(saved["step"]), int(saved["epoch"])
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise foreign_state(path, err) from None


def _train_epoch(
    heads: list[nn.Module],
    optimizer: torch.optim.Optimizer,
    batches: Iterable[torch.Tensor],
    plan: list[tuple[np.ndarray, np.ndarray]],
    yt: torch.Tensor,
    step: int,
    schedule: tuple[int, int],
    cfg: TrainConfig,
    device: torch.device,
    what: str,
) -> int:
    """One epoch of the heads side by side (one summed loss, one optimiser); returns the step count after it."""
    total, warmup = schedule
    for (idx, _), batch in zip(plan, batches, strict=True):
        batch = batch.to(device, non_blocking=True)
        labels = yt[idx].to(device)
        for g in optimizer.param_groups:
            g["lr"], wd = schedule_at(step, total, warmup, g["base_lr"], g["base_wd"], cfg)
            if g["decay"]:
                g["weight_decay"] = wd
        loss = sum(F.cross_entropy(head(batch), labels) for head in heads)
        if not torch.isfinite(loss):
            raise AffectlabError(
                f"{what}: the training loss became {loss.item()} at step {step + 1}; lower --lrs or check the features"
            )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip:
            for head in heads:
                nn.utils.clip_grad_norm_(head.parameters(), cfg.grad_clip)
        optimizer.step()
        step += 1
    return step


def check_labels(y: np.ndarray, what: str) -> None:
    """Refuse a training set of fewer than 2 clips or 1 class."""
    if len(y) < 2 or len(np.unique(y)) < 2:
        raise AffectlabError(
            f"{what}: {len(y)} training clip(s) of {len(np.unique(y))} class(es); a probe needs at least 2 clips "
            "of at least 2 classes (use more actors, fewer folds, or --folds loao)"
        )


def check_trainable(x: np.ndarray, y: np.ndarray, cfg: TrainConfig, what: str) -> None:
    """Refuse a training set that cannot train a probe, before any step."""
    check_labels(y, what)
    check_heads(x.shape[-1], cfg, what)
    if not np.isfinite(x).all():
        raise AffectlabError(f"{what}: the features hold NaN or infinite values; extract them again")


def check_heads(embed_dim: int, cfg: TrainConfig, what: str) -> None:
    """Refuse an attention head count that does not divide the feature width."""
    if cfg.probe.startswith("attentive") and embed_dim % cfg.num_heads:
        raise AffectlabError(
            f"{what}: --num-heads {cfg.num_heads} does not divide the feature width {embed_dim}; choose a divisor"
        )


def array_batches(x: np.ndarray, batch_size: int = 64) -> Iterator[torch.Tensor]:
    """Chunks ``[b, views, tokens, D]`` of cached inputs, as float32 tensors."""
    for start in range(0, len(x), batch_size):
        yield torch.from_numpy(np.ascontiguousarray(x[start : start + batch_size], dtype=np.float32))


@torch.no_grad()
def score_batches(
    models: Sequence[nn.Module], batches: Iterable[torch.Tensor], device: str = "cpu"
) -> list[np.ndarray]:
    """Per model, class probabilities ``[n, C]``: softmax of every view of each ``[b, views, tokens, D]`` batch,
    averaged over views. Runs on ``device`` and leaves the models on the CPU afterwards."""
    target = resolve_device(device)
    for model in models:
        model.to(target).eval()
    out: list[list[torch.Tensor]] = [[] for _ in models]
    for chunk in batches:
        chunk = chunk.to(target)
        b, v = chunk.shape[:2]
        for i, model in enumerate(models):
            out[i].append(model(chunk.flatten(0, 1)).reshape(b, v, -1).softmax(-1).mean(1).cpu())
    for model in models:
        model.cpu()
    return [torch.cat(o).numpy() if o else np.zeros((0, 0), dtype=np.float32) for o in out]


def predict_proba(model: nn.Module, x: np.ndarray, batch_size: int = 64, device: str = "cpu") -> np.ndarray:
    """Class probabilities ``[n, C]``: softmax of every view of ``x [n, views, tokens, D]``, averaged.

    Runs on ``device`` and leaves the model on the CPU afterwards.
    """
    return score_batches([model], array_batches(x, batch_size), device)[0]
