"""Extraction throughput: clips/s of the frozen encoders and, for the ViTs, achieved TFLOP/s against the
device's peak (both measured in this run; random weights, which time the same as real ones).

A protocol clip is ``(test_views + train_views) x segments`` encoder passes (3 + 1 views x 8 segments =
32 passes of 16 frames by default). ViT FLOPs are counted analytically per pass, with N tokens, width D and
MLP width M: patch embed ``2 N D (3 t p p)`` + per block ``2 N D 3D + 2 N^2 D 2 + 2 N D D + 2 N D M 2``.

    .venv/bin/python benchmarks/extract_throughput.py --models vit_large,vit_huge --resolution 384
    .venv/bin/python benchmarks/extract_throughput.py --models frame-baseline --device cpu

``--quick`` (run by the test suite): a tiny random ViT (2 blocks of width 64) and its transformers peer,
and the frame baseline, 4 frames at 32 px on the CPU; same code path and ratio line.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from affectlab.fer.encoders.runner import SegmentRunner, resolve_device
from affectlab.fer.encoders.vjepa import ARCHS, VisionTransformer, ViTConfig

# Dense bf16 tensor-core peaks (TFLOP/s) from the vendors' data sheets; --peak overrides.
PEAK_BF16_TFLOPS = {"H100 PCIe": 756.0, "H100 NVL": 835.0, "H100": 989.0, "H200": 989.0, "A100": 312.0}


def vit_flops(cfg: ViTConfig, frames: int, size: int) -> float:
    """FLOPs of one encoder pass (multiply-add = 2) over ``frames x size x size``."""
    n = (frames // cfg.tubelet_size) * (size // cfg.patch_size) ** 2
    d, m = cfg.embed_dim, cfg.mlp_hidden
    patch = 2 * n * d * 3 * cfg.tubelet_size * cfg.patch_size**2
    block = 2 * n * d * 3 * d + 2 * n * n * d * 2 + 2 * n * d * d + 2 * n * d * m * 2
    return float(patch + cfg.depth * block)


def device_peak(device: torch.device, override: float | None) -> tuple[str, float | None]:
    if device.type != "cuda":
        return "cpu", override
    name = torch.cuda.get_device_name(device)
    if override is not None:
        return name, override
    return name, next((v for k, v in PEAK_BF16_TFLOPS.items() if k in name), None)


def build(model: str, frames: int, size: int) -> torch.nn.Module:
    """A random encoder: ``frame-baseline``, an own V-JEPA ViT, or ``hf:ARCH`` (the peer: transformers'
    VJEPA2 encoder of the same width, depth, heads and MLP, with RoPE)."""
    torch.manual_seed(0)
    if model == "frame-baseline":
        from affectlab.fer.encoders.frame_baseline import FrameBaseline

        return FrameBaseline()
    if model.startswith("hf:"):
        from transformers import VJEPA2Config, VJEPA2Model

        from affectlab.fer.encoders.hf import HFVideoEncoder

        arch = ARCHS[model[3:]]
        config = VJEPA2Config(hidden_size=arch.embed_dim, num_hidden_layers=arch.depth,
                              num_attention_heads=arch.num_heads, mlp_ratio=arch.mlp_ratio, crop_size=size,
                              frames_per_clip=frames, pred_num_hidden_layers=1)  # fmt: skip
        return HFVideoEncoder(VJEPA2Model(config).encoder, config, name=model, checkpoint_sha256="random")
    cfg = ARCHS[model].model_copy(update={"img_size": size, "num_frames": frames})
    return VisionTransformer(cfg, name=f"vjepa-{model}")


def time_passes(runner: SegmentRunner, x: torch.Tensor, warmup: int, iters: int) -> float:
    """Best-of-``iters`` seconds for one batch of passes (synchronised on CUDA)."""
    sync = torch.cuda.synchronize if runner.device.type == "cuda" else (lambda: None)
    for _ in range(warmup):
        runner(x, "none")
    sync()
    best = float("inf")
    for _ in range(iters):
        start = time.perf_counter()
        runner(x, "none")
        sync()
        best = min(best, time.perf_counter() - start)
    return best


def bf16_agreement(runner: SegmentRunner, frames: int) -> float:
    """Smallest per-token cosine similarity of bf16-autocast tokens to float32 tokens (one 224 px pass)."""
    x = torch.randn(1, 3, frames, 224, 224, generator=torch.Generator().manual_seed(0)).to(runner.device)
    with torch.inference_mode():
        reference = runner.encoder.forward(x).float().cpu()
    fast = runner(x, "none")
    return float(torch.nn.functional.cosine_similarity(fast, reference, dim=-1).min())


def measure(model: str, args: argparse.Namespace, device: torch.device, peak: float | None) -> dict:
    with torch.device(device):  # initialise the random weights where they run
        encoder = build(model, args.frames_per_clip, args.resolution)
    runner = SegmentRunner(encoder, device, args.batch, compile=args.compile)
    x = torch.randn(args.batch, 3, args.frames_per_clip, args.resolution, args.resolution, device=device)
    seconds = time_passes(runner, x, args.warmup, args.iters)
    if runner.batch_size < args.batch:  # out of memory: re-time at the batch that fits
        seconds = time_passes(runner, x, args.warmup, args.iters)
    passes_per_s = args.batch / seconds
    per_clip = (args.num_views + args.train_views) * args.num_segments
    row = {"model": model, "compiled": args.compile, "batch": runner.batch_size, "passes_per_s": passes_per_s,
           "clips_per_s": passes_per_s / per_clip, "passes_per_clip": per_clip}  # fmt: skip
    arch = ARCHS.get(model.removeprefix("hf:"))
    if arch is not None:
        flops = vit_flops(arch, args.frames_per_clip, args.resolution)
        row["tflop_per_pass"] = flops / 1e12
        row["tflops"] = flops * passes_per_s / 1e12
        row["fraction_of_peak"] = row["tflops"] / peak if peak else None
    if device.type == "cuda" and arch is not None:
        row["bf16_min_cosine_to_fp32"] = bf16_agreement(runner, args.frames_per_clip)
    if device.type == "cuda":
        row["max_memory_gib"] = torch.cuda.max_memory_allocated(device) / 2**30
        torch.cuda.reset_peak_memory_stats(device)
    del encoder, runner, x
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="vit_large,vit_huge", help="vit_large,vit_huge,vit_giant,frame-baseline")
    parser.add_argument("--frames-per-clip", type=int, default=16)
    parser.add_argument("--resolution", type=int, default=384)
    parser.add_argument("--batch", type=int, default=8, help="encoder passes (segments) per forward")
    parser.add_argument("--num-segments", type=int, default=8)
    parser.add_argument("--num-views", type=int, default=3)
    parser.add_argument("--train-views", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--iters", type=int, default=5)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--peak", type=float, default=None, help="peak TFLOP/s of the device (bf16 dense)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--compile", action="store_true", help="torch.compile the encoder first")
    parser.add_argument("--peer", action="store_true", help="also time transformers' VJEPA2 encoder per ViT")
    parser.add_argument("--quick", action="store_true", help="tiny ViT + peer + frame baseline on the CPU")
    args = parser.parse_args()
    if args.quick:
        ARCHS["vit_tiny"] = ViTConfig(embed_dim=64, depth=2, num_heads=4)
        args.models, args.peer, args.device = "vit_tiny,frame-baseline", True, "cpu"
        args.frames_per_clip, args.resolution, args.batch, args.warmup, args.iters = 4, 32, 2, 1, 2
    device = resolve_device(args.device)
    name, peak = device_peak(device, args.peak)
    precision = "bf16 autocast" if device.type == "cuda" else "float32"
    size = f"{args.frames_per_clip}x{args.resolution}x{args.resolution}"
    print(f"device {name} ({precision}), peak {peak} TFLOP/s, {size}")
    rows = []
    models = args.models.split(",")
    if args.peer:
        models = [m for model in models for m in ([model, f"hf:{model}"] if model in ARCHS else [model])]
    for model in models:
        row = measure(model, args, device, peak)
        rows.append(row)
        label = f"{model} (compiled)" if args.compile else model
        line = f"{label:26s} batch {row['batch']:3d}  {row['passes_per_s']:8.2f} passes/s"
        line += f"  {row['clips_per_s']:7.3f} clips/s"
        if "tflops" in row:
            frac = f"{row['fraction_of_peak']:.1%} of peak" if row["fraction_of_peak"] else "peak unknown"
            line += f"  {row['tflop_per_pass']:.2f} TFLOP/pass  {row['tflops']:7.1f} TFLOP/s  {frac}"
        if "bf16_min_cosine_to_fp32" in row:
            line += f"  bf16 vs fp32 min cosine {row['bf16_min_cosine_to_fp32']:.4f}"
        if model.startswith("hf:") and rows[-2]["model"] == model[3:]:
            line += f"  own/peer speed {rows[-2]['passes_per_s'] / row['passes_per_s']:.2f}x"
        print(line, flush=True)
    if args.json:
        report = {"device": name, "peak_tflops": peak, "args": vars(args) | {"json": None}, "results": rows}
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
