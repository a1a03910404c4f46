"""Probe training from the feature cache: time of a RAVDESS-sized 5-fold run on this CPU, and encoder passes
needed by affectlab (every clip x view x segment encoded once) versus the reference (encoder inside the
training loop: training views every epoch, test views at every epoch's evaluation).

Shapes: 1,440 clips, 8 segments, ViT-H/16 at 384 px (D = 1280, 16 heads). Tokens are the extract layer's
``--pooling grid`` tokens: per segment, 8 temporal slots x 2 x 2 spatial cells = 32 (256 per clip; the full
grid would be 8 x 24 x 24 = 4,608 per segment). Features are random (training time does not depend on
values). Only a few steps are timed (two epochs minus one, so without set-up) with the real ``fit_heads`` /
``predict_proba`` code; the full protocol (5 folds x 20 epochs) is extrapolated linearly from them.

    .venv/bin/python benchmarks/probe_training.py [--steps 4] [--probes attentive,linear]
    .venv/bin/python benchmarks/probe_training.py --device cuda --steps 50 --full   # on a GPU machine

``--quick`` (run by the test suite): one timed step of 2 clips per probe; same code path and lines.
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np
import torch

from affectlab.fer.config import TrainConfig
from affectlab.fer.probes.train import fit_heads, predict_proba

CLIPS, SEGMENTS, FOLDS, EPOCHS = 1440, 8, 5, 20
TEST_VIEWS, TRAIN_VIEWS = 3, 1
EMBED_DIM, HEADS = 1280, 16
GRID_TOKENS = 8 * 2 * 2  # per segment, --pooling grid on ViT-H/16 with 16 frames (tubelet 2) at 384 px


def encoder_passes() -> tuple[int, int]:
    """(affectlab, reference) encoder forward passes of one segment for the whole 5-fold protocol."""
    cached = CLIPS * (TEST_VIEWS + TRAIN_VIEWS) * SEGMENTS
    test_per_fold = CLIPS // FOLDS
    train_per_fold = CLIPS - test_per_fold
    per_fold = EPOCHS * SEGMENTS * (train_per_fold * TRAIN_VIEWS + test_per_fold * TEST_VIEWS)
    return cached, FOLDS * per_fold


def time_probe(kind: str, steps: int, batch: int, device: str, seed: int = 0) -> tuple[float, float]:
    """Seconds per training step and per evaluated clip (3 test views) for ``kind`` at the protocol shapes."""
    tokens = SEGMENTS * GRID_TOKENS if kind.startswith("attentive") else 1
    rng = np.random.default_rng(seed)
    n = steps * batch
    x_train = rng.standard_normal((n, TRAIN_VIEWS, tokens, EMBED_DIM), dtype=np.float32)
    y = rng.integers(0, 8, n)
    warm_up = TrainConfig(probe=kind, epochs=1, batch_size=batch, device=device)
    fit_heads(x_train[:batch], y[:batch], 8, warm_up, seed)
    seconds = []
    for epochs in (1, 2):  # the difference is `steps` steps without the fixed set-up cost
        cfg = TrainConfig(probe=kind, epochs=epochs, batch_size=batch, warmup_epochs=0, num_heads=HEADS, device=device)
        start = time.perf_counter()
        (head,) = fit_heads(x_train, y, 8, cfg, seed)
        seconds.append(time.perf_counter() - start)
    per_step = (seconds[1] - seconds[0]) / steps
    x_test = rng.standard_normal((batch, TEST_VIEWS, tokens, EMBED_DIM), dtype=np.float32)
    start = time.perf_counter()
    predict_proba(head, x_test, batch_size=batch, device=device)
    per_clip = (time.perf_counter() - start) / batch
    return per_step, per_clip


def full_protocol(kind: str, batch: int, device: str, seed: int = 0) -> float:
    """Seconds for 5 folds x (train 1,152 clips for 20 epochs + score 288 clips x 3 views), really run."""
    test_n = CLIPS // FOLDS
    rng = np.random.default_rng(seed)
    x_train = rng.standard_normal((CLIPS - test_n, TRAIN_VIEWS, SEGMENTS * GRID_TOKENS, EMBED_DIM), dtype=np.float32)
    x_test = rng.standard_normal((test_n, TEST_VIEWS, SEGMENTS * GRID_TOKENS, EMBED_DIM), dtype=np.float32)
    y = rng.integers(0, 8, len(x_train))
    cfg = TrainConfig(probe=kind, epochs=EPOCHS, batch_size=batch, num_heads=HEADS, device=device)
    start = time.perf_counter()
    for fold in range(FOLDS):  # same random arrays every fold: the time does not depend on the values
        (head,) = fit_heads(x_train, y, 8, cfg, seed + fold)
        predict_proba(head, x_test, batch_size=batch, device=device)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=4, help="training steps timed per probe")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--probes", default="attentive,linear,mlp")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--full", action="store_true", help="also run the whole 5-fold protocol (attentive)")
    parser.add_argument("--quick", action="store_true", help="one step of 2 clips per probe (the test suite's run)")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.batch, args.probes, args.full = 1, 2, "attentive,linear", False
    torch.manual_seed(0)
    test_per_fold = CLIPS // FOLDS
    steps_per_fold = EPOCHS * math.ceil((CLIPS - test_per_fold) / args.batch)
    print(f"threads {torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f}; "
          f"RAVDESS-sized: {CLIPS} clips x {SEGMENTS} segments, "
          f"{GRID_TOKENS * SEGMENTS} grid tokens x {EMBED_DIM} per view; {FOLDS} folds x {EPOCHS} epochs "
          f"= {FOLDS * steps_per_fold} steps of {args.batch}")  # fmt: skip
    totals = {}
    for kind in args.probes.split(","):
        per_step, per_clip = time_probe(kind, args.steps, args.batch, args.device)
        total = FOLDS * (steps_per_fold * per_step + test_per_fold * per_clip)
        totals[kind] = total
        print(f"{kind:12s} {per_step * 1e3:9.1f} ms/step ({args.steps} steps timed), "
              f"{per_clip * 1e3:7.1f} ms/test clip -> 5-fold protocol "
              f"{total / 60:7.1f} min (extrapolated)")  # fmt: skip
    if "attentive" in totals and "linear" in totals:
        print(f"attentive / linear probe time: {totals['attentive'] / totals['linear']:.0f}x")
    if args.full:
        minutes = full_protocol("attentive", args.batch, args.device) / 60
        print(f"attentive, whole 5-fold protocol actually run on {args.device}: {minutes:.1f} min")
    cached, reference = encoder_passes()
    cache_gb = CLIPS * (TEST_VIEWS + TRAIN_VIEWS) * SEGMENTS * GRID_TOKENS * EMBED_DIM * 4 / 1e9
    print(f"encoder passes (one segment each): affectlab {cached:,} (each clip x view encoded once, cache "
          f"{cache_gb:.1f} GB float32) vs reference {reference:,} (train views every epoch + test views at "
          f"every epoch's evaluation): {reference / cached:.0f}x fewer")  # fmt: skip


if __name__ == "__main__":
    main()
