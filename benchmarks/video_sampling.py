"""Sampled clips/s: affectlab's decoder against full PyAV decoding then indexing (the reference way).

Both produce the same uint8 frames for the protocol's indices (16 frames x step 4 x 8 segments); the
peer decodes and converts every frame of the video, affectlab stops at the last needed frame, converts
only the needed ones and seeks for windows late in the video.

    .venv/bin/python benchmarks/video_sampling.py [--rounds 3] [--quick]

``--quick`` (run by the test suite): one round over two clips of each dataset; same code path and ratio line.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np

from affectlab.fer.config import SamplingConfig
from affectlab.fer.data.video import (
    clip_indices,
    decode_frames,
    video_info,
    window_indices,
    window_starts,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "face_video"


def reference_decode(path: Path, indices: np.ndarray) -> np.ndarray:
    """Decode every frame with PyAV, then index (the usual decord-style get_batch emulation)."""
    with av.open(str(path)) as container:
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    return np.stack([frames[min(i, len(frames) - 1)] for i in np.asarray(indices).ravel()])


def _time(fn: Callable[[Path, np.ndarray], np.ndarray], jobs: list[tuple[Path, np.ndarray]]) -> float:
    start = time.perf_counter()
    for path, indices in jobs:
        fn(path, indices)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="face_video folder of ../shared/data")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one round, two clips per dataset (the test suite's run)")
    args = parser.parse_args()
    cfg = SamplingConfig()
    groups = {
        "CREMA-D FLV/VP6 480x360": sorted(args.data.glob("crema_d/*.flv")),
        "RAVDESS MP4/H.264 1280x720": sorted(args.data.glob("ravdess/Actor_*/*.mp4")),
    }
    for name, clips in groups.items():
        if args.quick:
            clips, args.rounds = clips[:2], 1
        n_frames = {p: video_info(p)[0] for p in clips}
        scenarios = {
            "clip (8 segments)": [(p, clip_indices(n_frames[p], cfg)) for p in clips],
            "last window (predict)": [
                (p, window_indices(n_frames[p], int(window_starts(n_frames[p], cfg, 8)[-1]), cfg)) for p in clips
            ],
        }
        for scenario, jobs in scenarios.items():
            for path, indices in jobs:  # same frames, and warm caches for both
                assert np.array_equal(decode_frames(path, indices), reference_decode(path, indices))
            ours = peer = 0.0
            for _ in range(args.rounds):  # interleaved so machine load hits both alike
                ours += _time(decode_frames, jobs)
                peer += _time(reference_decode, jobs)
            count = args.rounds * len(jobs)
            print(
                f"{name:28s} {scenario:22s} affectlab {count / ours:6.1f} clips/s   "
                f"PyAV full decode + index {count / peer:6.1f} clips/s   ratio {peer / ours:.2f}x"
            )


if __name__ == "__main__":
    main()
