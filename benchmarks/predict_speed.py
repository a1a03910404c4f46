"""``fer predict`` speed on one core: real-time factor, end to end, peak RSS; the classifier through OpenCV DNN
against the torch port.

- **real-time factor**: seconds of video per second of ``predict_video`` (frame baseline, every frame), summed
  over the shared RAVDESS (1280x720 H.264) and CREMA-D (480x360 VP6) clips, in this process pinned to one
  core after a warm-up call (start-up excluded). The peer in the same process is decoding alone: PyAV
  decoding and converting every frame of the same clips, the floor any per-frame predictor pays.
- **end to end**: ``affectlab fer predict crema_d/1001_DFA_HAP_XX.flv`` (timeline written) as a new process on
  one core, wall time, and its peak RSS.
- **classifier**: the FER2013 mini-Xception on the same 64x64 inputs through ``cv2.dnn`` (what predict uses)
  and through the torch port, faces/s and the largest probability difference.

    .venv/bin/python benchmarks/predict_speed.py [--rounds 3] [--quick]

``--quick`` (run by the test suite): one round over one clip of each dataset; same code path and lines.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "face_video"
E2E_CLIP = "crema_d/1001_DFA_HAP_XX.flv"


def _one_core() -> None:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def _decode_all(path: Path) -> None:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            frame.to_ndarray(format="rgb24")


def real_time_factor(clips: list[Path], rounds: int) -> None:
    from affectlab.fer.prediction import PredictConfig, predict_video

    cfg = PredictConfig()
    predict_video(clips[0], cfg)  # warm-up: model loading and first calls are start-up
    duration = ours = peer = 0.0
    for _ in range(rounds):
        for clip in clips:
            start = time.perf_counter()
            pred = predict_video(clip, cfg)
            ours += time.perf_counter() - start
            duration += pred.duration
            start = time.perf_counter()
            _decode_all(clip)
            peer += time.perf_counter() - start
    print(f"{len(clips)} clips x {rounds} rounds, {duration:.1f} s of video on one core")
    print(f"predict: {ours:.2f} s; decoding alone: {peer:.2f} s ({peer / ours:.0%} of predict)")
    print(f"real-time factor: {duration / ours:.1f}")
    print(f"decoding-only real-time factor (the ceiling): {duration / peer:.1f}")


def end_to_end(data: Path, rounds: int) -> None:
    walls = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(rounds):
            command = [sys.executable, "-m", "affectlab", "fer", "predict", str(data / E2E_CLIP), "--out", f"{tmp}/{k}"]
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, preexec_fn=_one_core)
            walls.append(time.perf_counter() - start)
            if done.returncode != 0 or not Path(f"{tmp}/{k}/timeline.png").is_file():
                raise SystemExit(f"fer predict failed: {done.stderr[-2000:]}")
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import affectlab.cli"], check=True, preexec_fn=_one_core)
        imports = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"end to end: {min(walls):.2f} s (best of {rounds}; python -c 'import affectlab.cli' takes {imports:.2f} s)")
    print(f"peak RSS: {peak:.0f} MB")


def classifier(rounds: int) -> None:
    import cv2
    import torch

    from affectlab.fer.encoders.frame_baseline import MiniXception
    from affectlab.fer.encoders.mini_xception_dnn import DnnMiniXception, default_checkpoint

    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    x = np.random.default_rng(0).uniform(-1, 1, (64, 1, 64, 64)).astype(np.float32)
    port, dnn = MiniXception(default_checkpoint()).eval(), DnnMiniXception(default_checkpoint())
    with torch.inference_mode():
        expected = port(torch.from_numpy(x))[1].numpy()
        timings = {}
        for name, run in (("torch", lambda: port(torch.from_numpy(x))), ("cv2.dnn", lambda: dnn(x))):
            run()
            start = time.perf_counter()
            for _ in range(rounds * 3):
                run()
            timings[name] = rounds * 3 * len(x) / (time.perf_counter() - start)
    diff = float(np.abs(dnn(x) - expected).max())
    print(f"classifier: cv2.dnn {timings['cv2.dnn']:.0f} faces/s, torch {timings['torch']:.0f} faces/s "
          f"({timings['cv2.dnn'] / timings['torch']:.1f}x), max |difference| {diff:.1e}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="face_video folder of ../shared/data")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one round, one clip per dataset (the test suite's run)")
    args = parser.parse_args()
    crema, ravdess = sorted(args.data.glob("crema_d/*.flv")), sorted(args.data.glob("ravdess/Actor_*/*.mp4"))
    if not crema or not ravdess:
        raise SystemExit(f"{args.data}: the shared CREMA-D and RAVDESS clips are missing")
    rounds = 1 if args.quick else args.rounds
    clips = [crema[0], ravdess[0]] if args.quick else crema + ravdess
    end_to_end(args.data, rounds)
    _one_core()
    real_time_factor(clips, rounds)
    classifier(rounds)


if __name__ == "__main__":
    main()
