"""Online (encoder inside the training loop, fresh augmentation every epoch) against cached training (encode once,
train from the store): encoder passes and wall time per epoch, in one run, on the real clips of ../shared/data,
with the same training code; and in online mode the share of each epoch the encoder was busy, the time spent
waiting for decoded clips, so one sees whether decoding is the bottleneck. Online training reads its frames
through the decoded-frame cache (:mod:`affectlab.fer.cache.frames`): the first epoch fills it, later ones read it.

The input pipeline alone (decode + the vjepa-fer augmentation: RandAugment, random-resized crop, erasing, at
384 px), in this process on one core (one torch thread), timed in CPU seconds so other load on the machine does
not count: ``input pipeline: X clips/s/core`` for the first epoch (filling the frame cache) and later epochs
(reading it), against two peers on the same views: the augmentation as the reference runs it (RandAugment by
Pillow on whole frames, then the crop: the previous implementation, bit-identical output, checked here) and
decoding every epoch without the cache.

The encoder is a V-JEPA ViT with random weights (timing does not depend on them): tiny on the CPU by default;
``--arch vit_huge --resolution 384`` is the paper's ViT-H/16-384 (for a GPU machine):

    .venv/bin/python benchmarks/online_vs_cached.py                       # tiny V-JEPA, CPU, all 13 clips
    .venv/bin/python benchmarks/online_vs_cached.py --device cuda --arch vit_huge --resolution 384 \\
        --num-segments 8 --frames-per-clip 16 --epochs 2 --workers 16     # ViT-H/384 on a GPU

``--quick`` (run by the test suite): the 6 CREMA-D clips, 1 epoch, 2 segments of 4 frames (the input
pipeline at 2 x 4 frames on 2 clips).
"""

from __future__ import annotations

import argparse
import os
import time
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

import cv2
import numpy as np
import pyarrow as pa
import torch
from PIL import Image

import affectlab as al
from affectlab.fer.cache.extract import extract_features
from affectlab.fer.cache.frames import FrameCache
from affectlab.fer.config import ExtractConfig, TrainConfig
from affectlab.fer.data import augment
from affectlab.fer.data.augment import crop_box, erase_box
from affectlab.fer.encoders import ENCODERS
from affectlab.fer.encoders.runner import SegmentRunner, resolve_device
from affectlab.fer.encoders.vjepa import ARCHS, VisionTransformer, ViTConfig
from affectlab.fer.presets import preset_values
from affectlab.fer.probes.evaluate import probe_inputs
from affectlab.fer.probes.online import OnlineClips, view_seed
from affectlab.fer.probes.train import ArrayBatches, fit_heads_from

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "face_video"
TINY = ViTConfig(embed_dim=64, depth=4, num_heads=4, img_size=64, num_frames=16)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", default="tiny", help="tiny, or a V-JEPA architecture: " + ", ".join(ARCHS))
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--num-segments", type=int, default=8)
    parser.add_argument("--frames-per-clip", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=4, help="clips per training step (the reference's 4)")
    parser.add_argument("--workers", type=int, default=min(8, os.cpu_count() or 1), help="decoding processes")
    parser.add_argument("--train-augment", default="vjepa", help="vjepa (the reference's), crop-flip or none")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quick", action="store_true", help="6 clips, 1 epoch, 2 x 4 frames (the test suite's)")
    parser.add_argument("--input-only", action="store_true", help="only the input pipeline's rate (no training)")
    args = parser.parse_args()
    datasets = ["crema_d"] if args.quick else ["crema_d", "ravdess"]
    if args.quick:
        args.epochs, args.num_segments, args.frames_per_clip = 1, 2, 4
    cfg = TINY if args.arch == "tiny" else ARCHS[args.arch].model_copy(update={"img_size": args.resolution})
    torch.manual_seed(0)
    encoder = VisionTransformer(cfg, name=f"vjepa-{args.arch}").eval().requires_grad_(False)
    ENCODERS.setdefault(encoder.name, lambda checkpoint, sampling: encoder)  # a plug-in, as users add theirs
    if not args.input_only:
        online_and_cached(args, cfg, encoder, datasets)
    with TemporaryDirectory() as tmp:
        table = pa.concat_tables([_manifest(SHARED / d, Path(tmp)) for d in datasets])
        runner = SegmentRunner(encoder, resolve_device("cpu"))  # not run: the input side alone is timed
        clips = table.slice(0, 2) if args.quick else table
        input_pipeline(clips, runner, args.num_segments, args.frames_per_clip, Path(tmp))


def online_and_cached(args: argparse.Namespace, cfg: ViTConfig, encoder: VisionTransformer, datasets: list[str]):
    """Encoder passes and seconds per epoch of online and cached training, with the same training code."""
    device = resolve_device(args.device)
    sampling = {"frames_per_clip": args.frames_per_clip, "frame_step": 4, "num_segments": args.num_segments,
                "num_views": 3, "train_views": 1, "resolution": args.resolution, "train_augment": args.train_augment,
                "train_flip": False, "train_scale": (0.08, 1.0)}  # fmt: skip
    ecfg = ExtractConfig(encoder=encoder.name, sampling=sampling, device=args.device, decode_workers=args.workers)
    train = TrainConfig(probe="attentive", epochs=args.epochs, batch_size=args.batch, num_heads=cfg.num_heads,
                        warmup_epochs=0, device=args.device)  # fmt: skip
    with TemporaryDirectory() as tmp:
        tables = [_manifest(SHARED / d, Path(tmp)) for d in datasets]
        rows_total = sum(t.num_rows for t in tables)
        print(f"{rows_total} real clips ({', '.join(datasets)}), V-JEPA {args.arch} (random weights, D={cfg.embed_dim},"
              f" depth {cfg.depth}) at {args.resolution} px, {args.num_segments} segments x {args.frames_per_clip} "
              "frames, "
              f"{args.epochs} epochs of batch {args.batch}, {args.workers} decoding workers, {device}; threads "
              f"{torch.get_num_threads()}, load {os.getloadavg()[0]:.1f}")  # fmt: skip
        results = {"cached": {"epoch": [], "extract": 0.0, "passes": 0}, "online": {"epoch": [], "timing": []}}
        for t in tables:
            y = np.asarray(t.column("label_index").to_pylist())
            rows = np.arange(t.num_rows)
            start = time.perf_counter()
            store = extract_features(t, Path(tmp) / f"store{t.num_rows}", ecfg, encoder=encoder)
            results["cached"]["extract"] += time.perf_counter() - start
            results["cached"]["passes"] += t.num_rows * (3 + 1) * args.num_segments
            x = probe_inputs(store, "train", "attentive")
            fit_heads_from(ArrayBatches(x), y, 8, train.model_copy(update={"epochs": 1}), 0)  # warm-up, not timed
            for _ in range(args.epochs):  # one epoch at a time: wall time per epoch, set-up included once each
                start = time.perf_counter()
                fit_heads_from(ArrayBatches(x), y, 8, train.model_copy(update={"epochs": 1}), 0)
                results["cached"]["epoch"].append(time.perf_counter() - start)
            runner = SegmentRunner(encoder, device)
            clips = OnlineClips(t, ecfg, runner, frame_cache=FrameCache(Path(tmp) / "frames"))
            fit_heads_from(clips.train_source(rows), y, 8, train, 0)
            results["online"]["timing"] += clips.timing
    cached_epoch = sum(results["cached"]["epoch"]) / args.epochs
    timing = results["online"]["timing"]
    per_epoch = {e: [t for t in timing if t.epoch == e] for e in range(args.epochs)}
    online_epoch = np.mean([sum(t.wall_s for t in ts) for ts in per_epoch.values()])
    passes = np.mean([sum(t.encoder_passes for t in ts) for ts in per_epoch.values()])
    busy = sum(t.encoder_s for t in timing) / sum(t.wall_s for t in timing)
    wait = sum(t.data_wait_s for t in timing) / sum(t.wall_s for t in timing)
    extract = results["cached"]["extract"]
    print(f"cached: extraction once {extract:.1f} s ({results['cached']['passes']:,} segment passes: 3 test + 1 train "
          f"views), then {cached_epoch:.2f} s per epoch (0 encoder passes)")  # fmt: skip
    walls = ", ".join(f"{sum(t.wall_s for t in ts):.1f}" for ts in per_epoch.values())
    print(f"online epochs (the first fills the frame cache): {walls} s")
    print(f"online: {online_epoch:.1f} s per epoch ({passes:,.0f} segment passes per epoch, a fresh view each); "
          f"encoder busy {100 * busy:.0f}% of the epoch, waiting for decoded clips {100 * wait:.0f}% -> "
          f"{'decoding' if wait > busy else 'the encoder'} is the bottleneck")  # fmt: skip
    print(f"online epoch = {online_epoch / cached_epoch:.1f}x the cached epoch; {args.epochs} epochs: online "
          f"{args.epochs * online_epoch:.1f} s vs cached {extract + args.epochs * cached_epoch:.1f} s with its "
          f"extraction (ratio {args.epochs * online_epoch / (extract + args.epochs * cached_epoch):.1f})")  # fmt: skip


def input_pipeline(table: pa.Table, runner: SegmentRunner, segments: int, frames: int, tmp: Path) -> None:
    """Clips per CPU second of one core through the online input pipeline at the vjepa-fer settings: the first
    epoch (decoding, filling the frame cache), a later epoch (reading it), and decoding every epoch (no cache)."""
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    sampling = {**preset_values("vjepa-fer", "extract")["sampling"], "num_segments": segments,
                "frames_per_clip": frames}  # fmt: skip
    ecfg = ExtractConfig(encoder="vjepa-vit_huge", sampling=sampling, device="cpu", decode_workers=1)
    fresh = OnlineClips(table, ecfg, runner)
    cached = OnlineClips(table, ecfg, runner, frame_cache=FrameCache(tmp / "frames"))

    def epoch(clips: OnlineClips, e: int) -> np.ndarray:
        """CPU seconds per clip of one epoch's train views."""
        spent = []
        for path, cid in zip(clips.paths, clips.ids, strict=True):
            start = time.process_time()
            clips.sample(path, cid, True, view_seed(cid, 0, e))
            spent.append(time.process_time() - start)
        return np.asarray(spent)

    first, later, peer = epoch(cached, 0), epoch(cached, 1), epoch(fresh, 1)
    with _whole_frame_augmentation():
        whole = epoch(cached, 1)
    for path, cid in zip(cached.paths[:2], cached.ids[:2], strict=True):  # the peer gives the same views
        view = cached.sample(path, cid, True, view_seed(cid, 0, 1))
        with _whole_frame_augmentation():
            assert torch.equal(view, cached.sample(path, cid, True, view_seed(cid, 0, 1))), path
    entries = [cached.frame_cache.load(cid, ecfg.sampling).frames for cid in cached.ids]
    print(f"input pipeline at the vjepa-fer settings ({segments} segments x {frames} frames, "
          f"{ecfg.sampling.resolution} px, RandAugment + random-resized crop + erasing), CPU seconds of one thread; "
          f"the first epoch fills the frame cache, later ones read it; peers: the same views with Pillow on whole "
          f"frames, and decoding every epoch:")  # fmt: skip
    sizes = [f.shape[1:3] for f in entries]
    for size in sorted(set(sizes)):
        rows = np.asarray([s == size for s in sizes])
        mb = np.mean([f.nbytes for f, r in zip(entries, rows, strict=True) if r]) / 1e6
        print(f"  {rows.sum()} clips of {size[1]}x{size[0]}: {rows.sum() / later[rows].sum():.2f} clips/s/core later, "
              f"{rows.sum() / first[rows].sum():.2f} first, {rows.sum() / whole[rows].sum():.2f} with Pillow on whole "
              f"frames ({whole[rows].sum() / later[rows].sum():.1f}x), {rows.sum() / peer[rows].sum():.2f} without "
              f"the cache; frame cache {mb:.0f} MB per clip")  # fmt: skip
    n = table.num_rows
    print(f"input pipeline: {n / later.sum():.2f} clips/s/core in later epochs (frame cache read); first epoch "
          f"(filling it) {n / first.sum():.2f}; the same views with Pillow on whole frames (before) "
          f"{n / whole.sum():.2f} -> {whole.sum() / later.sum():.1f}x; decoding every epoch (no cache) "
          f"{n / peer.sum():.2f}; load {os.getloadavg()[0]:.1f}")  # fmt: skip
    print("GPU: none was used (the encoder rates above are CPU rates, not a GPU's)")


def _whole_frame_segment(frames, size, rng, *, randaugment, scale, ratio, flip, erase_prob, mean, std, out=None):
    """The per-segment augmentation as it was before windowing (and as the reference runs it): RandAugment by
    Pillow on every whole frame, then the crop, normalisation, resize, flip and erasing."""
    if randaugment is not None:
        frames = np.stack([np.asarray(im) for im in randaugment([Image.fromarray(f) for f in frames], rng)])
    top, left, h, w = crop_box(frames.shape[1], frames.shape[2], scale, ratio, rng)
    crop = np.ascontiguousarray(frames[:, top : top + h, left : left + w].transpose(3, 0, 1, 2))
    x = torch.from_numpy(crop).float().div_(255.0)
    x.sub_(torch.tensor(mean).view(3, 1, 1, 1)).div_(torch.tensor(std).view(3, 1, 1, 1))
    x = torch._C._nn.upsample_bilinear2d(x, (size, size), False, None, None, out=out)
    if flip and rng.random() < 0.5:
        x = out.copy_(out.flip(-1))
    if erase_prob > 0 and not rng.random() > erase_prob:
        box = erase_box(size, size, rng)
        if box is not None:
            top, left, h, w = box
            noise = rng.standard_normal((x.shape[1], x.shape[0], h, w), dtype=np.float32)
            x[:, :, top : top + h, left : left + w] = torch.from_numpy(noise).permute(1, 0, 2, 3)
    return x


@contextmanager
def _whole_frame_augmentation():
    """Online sampling with :func:`_whole_frame_segment` in place of the windowed augmentation."""
    saved = augment.vjepa_segment
    augment.vjepa_segment = _whole_frame_segment
    try:
        yield
    finally:
        augment.vjepa_segment = saved


def _manifest(root: Path, tmp: Path):
    """The shared clips of one dataset (CREMA-D's are one actor: one fold; folds do not matter for timing)."""
    if root.name == "ravdess":
        return al.fer.index(root, "ravdess", folds=2, progress=False).table
    (tmp / "folds.csv").write_text("actor,fold\n1001,0\n")
    return al.fer.index(root, "crema-d", folds_file=tmp / "folds.csv", progress=False).table


if __name__ == "__main__":
    main()
