"""``fer predict`` speed on one core: real-time factor, end to end, peak RSS; face detection on every k-th frame
against every frame; the classifier through OpenCV DNN against the torch port.

- **real-time factor**: seconds of video per second of ``predict_video`` (frame baseline, every frame scored),
  summed over the shared RAVDESS (1280x720 H.264) and CREMA-D (480x360 VP6) clips, in this process pinned to one
  core after a warm-up call (start-up excluded), wall time and CPU time (CPU time moves less with the load of
  other jobs on the machine). Peers in the same process: decoding alone (PyAV decoding and converting every
  frame of the same clips, the floor any per-frame predictor pays) and ``detect_every=3`` (faces detected on
  every 3rd frame, boxes interpolated; its agreement with the default on the same clips is printed).
- **end to end**: ``affectlab fer predict crema_d/1001_DFA_HAP_XX.flv`` (timeline written) as a new process on
  one core, wall and CPU time, and its peak RSS.
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


FAST_EVERY = 3  # the detect_every measured against detecting every frame


def _agreement(exact: list, fast: list) -> str:
    """Video labels, largest box and probability differences of ``fast`` predictions against ``exact`` ones."""
    same = sum(a.video_label == b.video_label for a, b in zip(exact, fast, strict=True))
    box = prob = 0.0
    for a, b in zip(exact, fast, strict=True):
        for x, y in zip(a.tracks[0].face_box, b.tracks[0].face_box, strict=True):
            if x is not None and y is not None:
                box = max(box, float(np.abs(np.subtract(x, y)).max()))
        for x, y in zip(a.probs, b.probs, strict=True):
            if x is not None and y is not None:
                prob = max(prob, float(np.abs(np.subtract(x, y)).max()))
    return (
        f"video labels agree on {same}/{len(exact)} clips, largest box difference {box:.1f} px, "
        f"largest per-frame probability difference {prob:.3f}"
    )


def real_time_factor(clips: list[Path], rounds: int) -> None:
    from affectlab.fer.prediction import PredictConfig, predict_video

    modes = {"every frame": PredictConfig(), f"every {FAST_EVERY}": PredictConfig(detect_every=FAST_EVERY)}
    predict_video(clips[0], modes["every frame"])  # warm-up: model loading and first calls are start-up
    wall = dict.fromkeys([*modes, "decoding"], 0.0)
    cpu = dict(wall)
    preds: dict[str, list] = {name: [] for name in modes}
    duration = 0.0
    for _ in range(rounds):
        for clip in clips:
            for name, cfg in modes.items():
                start, start_cpu = time.perf_counter(), time.process_time()
                preds[name].append(predict_video(clip, cfg))
                wall[name] += time.perf_counter() - start
                cpu[name] += time.process_time() - start_cpu
            duration += preds["every frame"][-1].duration
            start, start_cpu = time.perf_counter(), time.process_time()
            _decode_all(clip)
            wall["decoding"] += time.perf_counter() - start
            cpu["decoding"] += time.process_time() - start_cpu
    fast = f"every {FAST_EVERY}"
    print(
        f"{len(clips)} clips x {rounds} rounds, {duration:.1f} s of video on one core (load {os.getloadavg()[0]:.1f})"
    )
    print(f"predict: {wall['every frame']:.2f} s; decoding alone: {wall['decoding']:.2f} s "
          f"({wall['decoding'] / wall['every frame']:.0%} of predict)")  # fmt: skip
    print(f"real-time factor: {duration / wall['every frame']:.1f} (CPU time: {duration / cpu['every frame']:.1f})")
    print(f"decoding-only real-time factor (the ceiling): {duration / wall['decoding']:.1f} "
          f"(CPU time: {duration / cpu['decoding']:.1f})")  # fmt: skip
    speed_up = cpu["every frame"] / cpu[fast]
    print(f"real-time factor with detect_every={FAST_EVERY}: {duration / wall[fast]:.1f} "
          f"(CPU time: {duration / cpu[fast]:.1f}; {speed_up:.2f}x every frame's speed)")  # fmt: skip
    print(f"detect_every={FAST_EVERY} against every frame: {_agreement(preds['every frame'], preds[fast])}")


def end_to_end(data: Path, rounds: int) -> None:
    walls, cpus = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(rounds):
            command = [sys.executable, "-m", "affectlab", "fer", "predict", str(data / E2E_CLIP), "--out", f"{tmp}/{k}"]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, preexec_fn=_one_core)
            walls.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            if done.returncode != 0 or not Path(f"{tmp}/{k}/timeline.png").is_file():
                raise SystemExit(f"fer predict failed: {done.stderr[-2000:]}")
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import affectlab.cli"], check=True, preexec_fn=_one_core)
        imports = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"end to end: {min(walls):.2f} s (best of {rounds}, CPU {min(cpus):.2f} s, load {os.getloadavg()[0]:.1f}; "
          f"python -c 'import affectlab.cli' takes {imports:.2f} s)")  # fmt: skip
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
