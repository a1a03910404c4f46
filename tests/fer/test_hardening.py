"""Regression tests of issue 21's FER items and issue 17's config validation: each case failed on the code
before the fix (a store still being written was read, a device was hashed forever, a foreign resume state
ended in a traceback, a refused run left its state behind, predict replaced its output silently, ...)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch

import affectlab as al
from affectlab.config import validated
from affectlab.errors import AffectlabError
from affectlab.fer.cache.extract import extract_features
from affectlab.fer.cache.store import PENDING_FILE, FeatureStore
from affectlab.fer.config import ExtractConfig
from affectlab.fer.probes.session import state_folder
from affectlab.io import LOCK_FILE, exclusive_lock
from tests.fer.synthetic import planted_store

NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
SMALL = {"face_crop": True, "resolution": 64, "num_segments": 1}


def cli(*args: str | Path, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``python -m affectlab ARGS`` in a child (a hang fails the test through ``timeout``)."""
    command = [sys.executable, "-m", "affectlab", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=timeout)


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single ``error:`` line of a refused command (exit 2, no traceback)."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr[-2000:]
    return lines[0]


def tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` but the lock file (which a writer, or a test posing as one, makes)."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*")
            if p.is_file() and p.name != LOCK_FILE}  # fmt: skip


@pytest.fixture(scope="module")
def ravdess(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A manifest of the 7 real RAVDESS clips (no folds: a test-only set)."""
    out = tmp_path_factory.mktemp("ravdess") / "m.parquet"
    al.fer.index(shared_data / "face_video" / "ravdess", "ravdess", out=out, folds="none", progress=False)
    return out


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("planted") / "store"
    planted_store(root, actors=6, clips_per_actor=4, folds=3, dim=16, tokens=2)
    return root


def _train_args(features: Path, out: Path, *extra: str) -> list[str | Path]:
    return ["fer", "train", "--features", features, "--probe", "linear", "--epochs", "2", "--out", out, *extra]


# 21.4: readers refuse a store whose writer holds the lock, or whose extraction did not finish


def test_readers_refuse_a_store_whose_writer_holds_the_lock(planted: Path, tmp_path: Path) -> None:
    before = tree_digest(planted)
    with exclusive_lock(planted, "feature store"):
        for args in (_train_args(planted, tmp_path / "run", "--device", "cpu"),
                     ["fer", "embed-plot", "--features", planted, "--out", tmp_path / "map.png"]):  # fmt: skip
            line = one_error_line(cli(*args))
            assert f"{planted}: the feature store is being written by another process (pid {os.getpid()})" in line
        with pytest.raises(AffectlabError, match="being written by another process"):
            al.fer.embed_plot(planted, tmp_path / "map.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no run, no .run.resume
    assert tree_digest(planted) == before
    assert len(FeatureStore(planted)) == 24  # the lock released: the complete store reads again


@pytest.mark.slow
def test_an_extraction_stopped_midway_is_refused_until_it_is_completed(ravdess: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    cfg = validated(ExtractConfig, {"sampling": SMALL, "device": "cpu", "shard_size": 4}, "extract")
    clips = 0

    def stop_after_five(n: int) -> None:
        nonlocal clips
        clips += n
        if clips >= 5:  # the first shard (4 clips) is committed, the second is being encoded
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        extract_features(pq.read_table(ravdess), store, cfg, progress=stop_after_five)
    assert pq.read_table(store / "index.parquet").num_rows == 4  # what the old code trained on silently
    message = f"{store}: the extraction into this feature store did not finish (4 of 7 clips stored)"
    with pytest.raises(AffectlabError, match=rf"^{re.escape(message)}; run the same 'affectlab fer extract' again"):
        FeatureStore(store)
    assert message in one_error_line(cli(*_train_args(store, tmp_path / "run", "--device", "cpu")))
    assert not (tmp_path / "run").exists() and not state_folder(tmp_path / "run").exists()
    completed = extract_features(pq.read_table(ravdess), store, cfg)  # resumes: the store is complete again
    assert len(completed) == 7 and not (store / PENDING_FILE).exists()
    assert len(FeatureStore(store)) == 7


# 21.10: only regular files are opened as videos


def _device_manifest(ravdess: Path, tmp_path: Path, content_hash: str) -> Path:
    """The RAVDESS manifest plus a row whose ``.mp4`` is a symbolic link to /dev/zero."""
    link = tmp_path / "01-01-03-01-01-01-01.mp4"
    link.symlink_to("/dev/zero")
    table = pq.read_table(ravdess)
    rows = table.to_pylist()
    rows.append({**rows[0], "path": str(link), "content_hash": content_hash})
    out = tmp_path / "with-device.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), out)
    return out


def test_a_device_row_without_hash_is_refused_not_read_forever(ravdess: Path, tmp_path: Path) -> None:
    manifest = _device_manifest(ravdess, tmp_path, content_hash="")
    result = cli("fer", "extract", "--manifest", manifest, "--out", tmp_path / "f", "--face-crop", timeout=120)
    assert "01-01-03-01-01-01-01.mp4: is a character device, not a video file" in one_error_line(result)
    assert not (tmp_path / "f").exists()  # refused before anything was written


@pytest.mark.slow
def test_a_device_row_with_a_hash_is_skipped_with_its_reason(ravdess: Path, tmp_path: Path) -> None:
    manifest = _device_manifest(ravdess, tmp_path, content_hash="0" * 64)
    result = cli("fer", "extract", "--manifest", manifest, "--out", tmp_path / "f", "--face-crop", "--resolution",
                 "64", "--num-segments", "1", "--device", "cpu", timeout=240)  # fmt: skip
    assert result.returncode == 3, result.stderr[-2000:]
    store = FeatureStore(tmp_path / "f")
    assert len(store) == 7
    assert store.skipped == [(str(tmp_path / "01-01-03-01-01-01-01.mp4"), "is a character device, not a video file")]


# 21.12 / 21.13 / 21.16: the resume state of fer train


def _stopped_run(planted: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Train as ``fer train`` would with the arguments of :func:`_train_args` and stop after the first saved
    epoch: the state folder holds ``fold*.latest.pt``."""
    import affectlab.fer.probes.train as train

    save = train._save_state

    def save_then_stop(path: Path, state: dict) -> None:
        save(path, state)
        raise KeyboardInterrupt

    monkeypatch.setattr(train, "_save_state", save_then_stop)
    with pytest.raises(KeyboardInterrupt):
        al.fer.train(planted, out, probe="linear", epochs=2, device="cpu", progress=False)
    monkeypatch.undo()
    states = sorted(state_folder(out).glob("*.pt"))
    assert [p.name for p in states] == ["fold0.latest.pt"]
    return states[0]


class Foreign:
    """A pickled object: never executed by a weights-only load."""


@pytest.mark.parametrize("content", ["random bytes", "pickled object", "no fingerprint"])
def test_a_resume_state_that_is_not_ours_is_one_line(planted: Path, tmp_path: Path, monkeypatch, content) -> None:
    out = tmp_path / "run"
    state = _stopped_run(planted, out, monkeypatch)
    if content == "random bytes":
        state.write_bytes(os.urandom(2048))
    else:
        torch.save(Foreign() if content == "pickled object" else {"heads": [torch.zeros(3)]}, state)
    before = state.read_bytes()
    line = one_error_line(cli(*_train_args(planted, out, "--device", "cpu")))
    assert f"{state}: not a training state saved by 'affectlab fer train' (" in line
    assert f"delete {state.parent} to start the run afresh" in line
    assert state.read_bytes() == before and not out.exists()


def test_a_resume_state_of_ours_still_resumes(planted: Path, tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "run"
    _stopped_run(planted, out, monkeypatch)
    result = cli(*_train_args(planted, out, "--device", "cpu"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert not state_folder(out).exists() and (out / "metrics.json").is_file()


@NO_CUDA
def test_a_run_refused_before_training_leaves_no_state_and_the_corrected_command_runs(
    planted: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    line = one_error_line(cli(*_train_args(planted, out, "--device", "cuda")))
    assert line == "error: --device cuda asked for, but torch sees no CUDA device"
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no run, no .run.resume
    result = cli(*_train_args(planted, out, "--device", "cpu"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads((out / "environment.json").read_text())["device"] == "cpu"


def test_a_run_stopped_before_its_first_saved_epoch_leaves_no_state(planted: Path, tmp_path: Path, monkeypatch):
    import affectlab.fer.probes.evaluate as evaluate

    def refuse(*args, **kwargs):
        raise AffectlabError("refused inside the cross-validation")

    monkeypatch.setattr(evaluate, "fit_heads_from", refuse)
    with pytest.raises(AffectlabError, match="refused inside"):
        al.fer.train(planted, tmp_path / "run", probe="linear", epochs=2, device="cpu", progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# 21.7 / 21.14 / 21.16: fer predict


@pytest.fixture(scope="module")
def clip(shared_data: Path) -> Path:
    return shared_data / "face_video" / "crema_d" / "1001_DFA_HAP_XX.flv"


@pytest.mark.slow
def test_predict_does_not_replace_an_existing_output_without_overwrite(clip: Path, tmp_path: Path) -> None:
    first = cli("fer", "predict", clip, "--stride", "8", "--device", "cpu", cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    out = tmp_path / "predict-out"  # the default output folder
    assert sorted(p.name for p in out.iterdir()) == [
        ".affectlab-output", "config.json", "prediction.json", "timeline.png", "windows.csv"
    ]  # fmt: skip
    before = tree_digest(out)
    other = clip.with_name("1001_DFA_SAD_XX.flv")
    line = one_error_line(cli("fer", "predict", other, "--stride", "8", "--device", "cpu", cwd=tmp_path))
    assert line == "error: predict-out: folder is not empty; pass --overwrite to replace it"
    assert tree_digest(out) == before
    again = cli("fer", "predict", other, "--stride", "8", "--device", "cpu", "--overwrite", cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads((out / "prediction.json").read_text())["video"] == str(other)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["predict-out"]  # no temporary left behind


@pytest.mark.parametrize("kind", ["folder", "device"])
def test_a_folder_or_device_given_as_a_video_says_what_it_is(kind: str, tmp_path: Path) -> None:
    video, what = Path("/dev/zero"), "a character device"
    if kind == "folder":
        video, what = tmp_path / "clips", "a folder"
        video.mkdir()
    given = f"{video}/" if kind == "folder" else str(video)  # al.fer.predict("some_folder/")
    with pytest.raises(AffectlabError, match=rf"^{re.escape(given)}: is {what}, not a video file$"):
        al.fer.predict(given, progress=False)
    for command in (["predict", video, "--out", tmp_path / "p"], ["show", video, "--out", tmp_path / "s.png"]):
        assert one_error_line(cli("fer", *command)) == f"error: {video}: is {what}, not a video file"
    assert sorted(p.name for p in tmp_path.iterdir()) == (["clips"] if kind == "folder" else [])


@NO_CUDA
def test_predict_refuses_cuda_without_cuda_and_records_the_device_used(clip: Path, tmp_path: Path) -> None:
    line = one_error_line(cli("fer", "predict", clip, "--device", "cuda", "--out", tmp_path / "p"))
    assert line == "error: --device cuda asked for, but torch sees no CUDA device"
    assert not (tmp_path / "p").exists()
    pred = al.fer.predict(clip, stride=16, device="auto", out=tmp_path / "auto", progress=False)
    assert pred.config["device"] == "cpu"
    assert json.loads((tmp_path / "auto" / "config.json").read_text())["device"] == "cpu"


# 21.18: the Python API checks its arguments at the door


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda t: al.fer.predict(None), TypeError, "video must be a path (str or os.PathLike), got NoneType"),
        (lambda t: al.fer.predict(123), TypeError, "video must be a path (str or os.PathLike), got int"),
        (lambda t: al.fer.predict(""), AffectlabError, "video: an empty path"),
        (lambda t: al.fer.show([t]), TypeError, "video must be a path (str or os.PathLike), got list"),
        (lambda t: al.fer.index(None, "ravdess"), TypeError, "root must be a path (str or os.PathLike), got NoneType"),
        (lambda t: al.fer.extract(123, t / "f"), TypeError, "manifest must be a Manifest, a pyarrow Table or a path"),
        (lambda t: al.fer.extract(pa.table({"x": [1]}), None), TypeError, "out must be a path"),
        (lambda t: al.fer.train(b"store", t / "r"), TypeError, "features must be a FeatureStore or a path, got bytes"),
        (lambda t: al.fer.train(t, 5), TypeError, "out must be a path (str or os.PathLike), got int"),
        (lambda t: al.fer.cross(None, t), TypeError, "run must be a Run or a path to a run folder, got NoneType"),
        (lambda t: al.fer.report(1.5), TypeError, "run must be a Run or a path to a run folder, got float"),
        (lambda t: al.fer.embed_plot(t, None), TypeError, "out must be a path (str or os.PathLike), got NoneType"),
        (lambda t: al.fer.reproduce(t, checkpoint=123, out=t), TypeError, "checkpoint must be a path"),
    ],
)
def test_api_checks_its_arguments_at_the_door(call, error, message, tmp_path: Path) -> None:
    with pytest.raises(error) as raised:
        call(tmp_path)
    assert str(raised.value).startswith(message), str(raised.value)
    assert sorted(tmp_path.iterdir()) == []


# issue 17, item 5: every FER config through config.validated


def test_cross_options_are_validated_before_any_work(planted: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    al.fer.train(planted, run, probe="linear", epochs=1, device="cpu", progress=False, write_report=False)
    before = tree_digest(run)
    for option, value, expected in (("--eval", "full", "protocol, full-video or both"),
                                    ("--calm", "keep", "drop or merge")):  # fmt: skip
        line = one_error_line(cli("fer", "cross", "--train", run, "--test", planted, option, value))
        name = option.removeprefix("--")
        assert line.startswith(f"error: invalid cross options: {name}: ") and f"unknown {name} {value!r}" in line
        assert f"expected {expected})" in line
    with pytest.raises(AffectlabError, match="invalid cross options: eval: .*unknown eval 'both '"):
        al.fer.cross(run, planted, eval="both ")
    assert tree_digest(run) == before


def test_extract_config_checks_the_encoder_against_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    from affectlab.fer.encoders import ENCODERS

    with pytest.raises(AffectlabError) as raised:
        validated(ExtractConfig, {"encoder": "vjepa-vit_hug"}, "extract options")
    known = ", ".join(ENCODERS)
    assert str(raised.value) == (f"invalid extract options: encoder: Value error, unknown encoder 'vjepa-vit_hug'; "
                                 f"expected one of {known} (got 'vjepa-vit_hug')")  # fmt: skip
    monkeypatch.setitem(ENCODERS, "plug-in", lambda checkpoint, sampling: None)  # the registry is the source
    assert validated(ExtractConfig, {"encoder": "plug-in"}, "extract options").encoder == "plug-in"


def test_api_functions_stay_functions_after_their_modules_are_imported(planted: Path, tmp_path: Path) -> None:
    """``al.fer.report`` and ``al.fer.embed_plot`` were replaced by same-named submodules on their first call
    ("'module' object is not callable" on the second)."""
    for _ in range(2):
        assert al.fer.embed_plot(planted, tmp_path / "map.png")["clips"] == 24
    run = tmp_path / "run"
    al.fer.train(planted, run, probe="linear", epochs=1, device="cpu", progress=False)  # writes the report
    assert al.fer.report(run) == run / "report.html"
    assert callable(al.fer.report) and callable(al.fer.embed_plot)
