"""Read official PyTorch checkpoints safely and pick the encoder weights out of them."""

from __future__ import annotations

from pathlib import Path

import torch

from affectlab.errors import AffectlabError

PREFIXES = ("module.", "backbone.")
# Keys that mark a frozen-evaluation (probe) checkpoint rather than a pretraining one.
PROBE_KEYS = ("classifier", "classifiers", "probe")


def load_weights(path: str | Path) -> dict[str, object]:
    """``torch.load(..., weights_only=True)`` with a clear error for anything else."""
    path = Path(path)
    if not path.is_file():
        raise AffectlabError(f"{path}: checkpoint file not found")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except MemoryError:
        raise
    except Exception as err:  # a malformed pickle fails in many ways (IndexError, KeyError, ...); none runs code
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise AffectlabError(
            f"{path}: not a PyTorch checkpoint loadable with weights_only=True "
            f"(expected tensors, dicts and numbers only): {first}"
        ) from err
    if not isinstance(data, dict):
        raise AffectlabError(f"{path}: expected a dict checkpoint, got {type(data).__name__}")
    return data


def strip_prefixes(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Drop the ``module.`` (DDP) and ``backbone.`` (wrapper) prefixes the official files carry."""
    out = {}
    for key, value in state.items():
        for prefix in PREFIXES:
            key = key.replace(prefix, "")
        out[key] = value
    return out


def encoder_state(path: str | Path, key: str, *, what: str) -> dict[str, torch.Tensor]:
    """The prefix-free encoder state dict under ``key`` of an official pretraining checkpoint."""
    data = load_weights(path)
    if key not in data:
        found = sorted(data)[:12]
        if any(k in data for k in PROBE_KEYS):
            raise AffectlabError(
                f"{path}: this is a frozen-evaluation probe checkpoint (keys {found}); "
                f"expected a {what} pretraining checkpoint with a {key!r} entry"
            )
        raise AffectlabError(f"{path}: no {key!r} entry (keys {found}); expected a {what} pretraining checkpoint")
    state = data[key]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise AffectlabError(f"{path}: {key!r} is not a state dict of tensors")
    return strip_prefixes(state)


def check_keys(path: str | Path, expected: set[str], found: set[str], *, what: str) -> None:
    """Every key matched: raise naming the missing and unexpected keys otherwise."""
    missing, extra = sorted(expected - found), sorted(found - expected)
    if missing or extra:
        raise AffectlabError(
            f"{path}: weights do not match {what}: missing {missing[:6]}{'...' if len(missing) > 6 else ''} "
            f"({len(missing)}), unexpected {extra[:6]}{'...' if len(extra) > 6 else ''} ({len(extra)})"
        )
