"""A bad-input battery over the FER commands (issue 21's FER items, issue 17's config validation): each case
exits 2 with one line naming the file or value at fault, writes nothing, and leaves every input
byte-identical (hashed before and after). The style of tests/test_bad_inputs.py."""

from __future__ import annotations

import contextlib
import hashlib
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch

from affectlab import cli
from affectlab.fer.cache.store import PENDING_FILE
from affectlab.io import LOCK_FILE, exclusive_lock

World = dict[str, Path]
NO_CUDA = "torch sees no CUDA device"


def digest(root: Path) -> dict[str, str]:
    """sha256 of every regular file under ``root`` (and the set of names); lock files are a writer's, not data."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*")
            if p.is_file() and p.name != LOCK_FILE}  # fmt: skip


def fingerprint(world: World) -> dict[str, object]:
    return {name: digest(path) if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
            for name, path in world.items() if name != "root" and (path.is_dir() or path.is_file())}  # fmt: skip


@pytest.fixture(scope="module")
def world(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> World:
    """Valid inputs (a manifest, a store, a run, a clip, an earlier prediction) and broken ones (a store
    whose extraction did not finish, manifests whose rows point at a device or a folder)."""
    import affectlab as al
    from tests.fer.synthetic import planted_store

    root = tmp_path_factory.mktemp("fer-world")
    manifest = root / "ravdess.parquet"
    al.fer.index(shared_data / "face_video" / "ravdess", "ravdess", out=manifest, folds="none", progress=False)
    planted = root / "planted"
    planted_store(planted, actors=6, clips_per_actor=4, folds=3, dim=16, tokens=2)
    run = root / "run"
    al.fer.train(planted, run, probe="linear", epochs=1, device="cpu", progress=False, write_report=False)
    unfinished = root / "unfinished"
    planted_store(unfinished, actors=6, clips_per_actor=4, folds=3, dim=16, tokens=2)
    (unfinished / PENDING_FILE).write_text('{"clips": 30}\n')  # what a stopped extraction leaves
    clip = shared_data / "face_video" / "crema_d" / "1001_DFA_HAP_XX.flv"
    prediction = root / "prediction"
    al.fer.predict(clip, stride=16, device="cpu", out=prediction, progress=False)
    folder = root / "clips.mp4"
    folder.mkdir()
    (folder / "keep.txt").write_text("a user's file\n")
    device = root / "zero.mp4"
    device.symlink_to("/dev/zero")
    table = pq.read_table(manifest)
    first = table.to_pylist()[0]
    manifests = {}
    for name, path in (("device", device), ("folder", folder)):
        manifests[name] = root / f"{name}-row.parquet"
        rows = [*table.to_pylist(), {**first, "path": str(path), "content_hash": ""}]
        pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), manifests[name])
    return {"root": root, "manifest": manifest, "planted": planted, "run": run, "unfinished": unfinished,
            "clip": clip, "prediction": prediction, "folder": folder, "device": device,
            "device_manifest": manifests["device"], "folder_manifest": manifests["folder"]}  # fmt: skip


@contextlib.contextmanager
def writing(store: Path) -> Iterator[None]:
    """``store`` locked as ``fer extract`` locks it while writing."""
    with exclusive_lock(store, "feature store"):
        yield


Case = Callable[[World, Path], tuple[list[str], str, contextlib.AbstractContextManager]]
NOTHING = contextlib.nullcontext


def _train(w: World, t: Path, features: Path, *extra: str) -> list[str]:
    return ["fer", "train", "--features", str(features), "--probe", "linear", "--epochs", "1", "--out", str(t / "r"),
            *extra]  # fmt: skip


# Each case: (world, a fresh folder for outputs) -> (command line, text the one-line error must contain, a context
# held while the command runs).
CASES: dict[str, Case] = {
    # 21.4: a store being written, a store whose extraction did not finish
    "train: store being written": lambda w, t: (
        _train(w, t, w["planted"], "--device", "cpu"),
        "being written by another process",
        writing(w["planted"]),
    ),
    "train: extraction did not finish": lambda w, t: (
        _train(w, t, w["unfinished"], "--device", "cpu"),
        "did not finish (24 of 30 clips stored)",
        NOTHING(),
    ),
    "cross: test store being written": lambda w, t: (
        ["fer", "cross", "--train", str(w["run"]), "--test", str(w["planted"]), "--out", str(t / "c")],
        "being written by another process",
        writing(w["planted"]),
    ),
    "cross: test store did not finish": lambda w, t: (
        ["fer", "cross", "--train", str(w["run"]), "--test", str(w["unfinished"]), "--out", str(t / "c")],
        "unfinished: the extraction into this feature store did not finish",
        NOTHING(),
    ),
    "embed-plot: store being written": lambda w, t: (
        ["fer", "embed-plot", "--features", str(w["planted"]), "--out", str(t / "m.png")],
        "being written by another process",
        writing(w["planted"]),
    ),
    "embed-plot: extraction did not finish": lambda w, t: (
        ["fer", "embed-plot", "--features", str(w["unfinished"]), "--out", str(t / "m.png")],
        "did not finish",
        NOTHING(),
    ),
    # 21.7: predict follows --overwrite
    "predict: existing output": lambda w, t: (
        ["fer", "predict", str(w["clip"]), "--out", str(w["prediction"])],
        "pass --overwrite",
        NOTHING(),
    ),
    # 21.10 / 21.14: only regular files are videos
    "extract: manifest row is a device": lambda w, t: (
        ["fer", "extract", "--manifest", str(w["device_manifest"]), "--out", str(t / "f")],
        "zero.mp4: is a character device, not a video file",
        NOTHING(),
    ),
    "extract: manifest row is a folder": lambda w, t: (
        ["fer", "extract", "--manifest", str(w["folder_manifest"]), "--out", str(t / "f")],
        "clips.mp4: is a folder, not a video file",
        NOTHING(),
    ),
    "predict: video is a folder": lambda w, t: (
        ["fer", "predict", str(w["folder"]), "--out", str(t / "p")],
        "clips.mp4: is a folder, not a video file",
        NOTHING(),
    ),
    "predict: video is a device": lambda w, t: (
        ["fer", "predict", str(w["device"]), "--out", str(t / "p")],
        "zero.mp4: is a character device, not a video file",
        NOTHING(),
    ),
    "show: video is a folder": lambda w, t: (
        ["fer", "show", str(w["folder"]), "--out", str(t / "s.png")],
        "clips.mp4: is a folder, not a video file",
        NOTHING(),
    ),
    # 21.16: --device cuda without CUDA
    "train: --device cuda without CUDA": lambda w, t: (
        _train(w, t, w["planted"], "--device", "cuda"),
        NO_CUDA,
        NOTHING(),
    ),
    "extract: --device cuda without CUDA": lambda w, t: (
        ["fer", "extract", "--manifest", str(w["manifest"]), "--device", "cuda", "--out", str(t / "f")],
        NO_CUDA,
        NOTHING(),
    ),
    "predict: --device cuda without CUDA": lambda w, t: (
        ["fer", "predict", str(w["clip"]), "--device", "cuda", "--out", str(t / "p")],
        NO_CUDA,
        NOTHING(),
    ),
    # issue 17 item 5: every config validated
    "cross: unknown eval": lambda w, t: (
        ["fer", "cross", "--train", str(w["run"]), "--test", str(w["planted"]), "--eval", "full"],
        "invalid cross options: eval:",
        NOTHING(),
    ),
    "cross: unknown calm policy": lambda w, t: (
        ["fer", "cross", "--train", str(w["run"]), "--test", str(w["planted"]), "--calm", "keep"],
        "unknown calm 'keep'; expected drop or merge",
        NOTHING(),
    ),
    "extract: unknown encoder": lambda w, t: (
        ["fer", "extract", "--manifest", str(w["manifest"]), "--encoder", "vjepa-huge", "--out", str(t / "f")],
        "unknown encoder 'vjepa-huge'; expected one of frame-baseline, vjepa-vit_large",
        NOTHING(),
    ),
    "train: online with an unknown encoder": lambda w, t: (
        ["fer", "train", "--online", "--manifest", str(w["manifest"]), "--encoder", "nope", "--out", str(t / "r")],
        "unknown encoder 'nope'",
        NOTHING(),
    ),
}
CUDA_CASES = {name for name, case in CASES.items() if "cuda without CUDA" in name}


def run_cli(args: list[str], monkeypatch, capsys) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["affectlab", *args])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    return exited.value.code or 0, capsys.readouterr().err


def _too_slow(signum, frame):  # a device read forever fails the case instead of hanging the suite
    raise TimeoutError("the command ran for 120 s")


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_exit_2_and_inputs_untouched(case, world, tmp_path, monkeypatch, capsys):
    if case in CUDA_CASES and torch.cuda.is_available():
        pytest.skip("needs a machine without CUDA")
    args, expected, held = CASES[case](world, tmp_path)
    before = fingerprint(world)
    outputs_before = {p.name for p in tmp_path.iterdir()}
    previous = signal.signal(signal.SIGALRM, _too_slow)
    signal.alarm(120)
    try:
        with held:
            code, err = run_cli(args, monkeypatch, capsys)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert code == 2, f"{case}: exit {code}, stderr {err!r}"
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), f"{case}: {err!r}"
    assert expected in lines[0], f"{case}: {lines[0]!r} lacks {expected!r}"
    assert fingerprint(world) == before, f"{case}: an input changed"
    assert {p.name for p in tmp_path.iterdir()} == outputs_before, f"{case}: something was written"
    assert not list(world["root"].glob(".*.resume")), f"{case}: a training state was left behind"
