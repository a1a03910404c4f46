"""The decoded-frame cache of online training: views made from an entry are bit-identical to decoding the file
(every augmentation, train and test, on the real RAVDESS and CREMA-D clips), entries are keyed by content and
decode settings only, and an entry is whole or absent whatever kills the process that writes it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import affectlab as al
from affectlab.errors import AffectlabError
from affectlab.fer.cache import frames as frames_module
from affectlab.fer.cache.frames import FrameCache, FrameCacheWarning, default_frame_cache, stored_indices
from affectlab.fer.config import SamplingConfig
from affectlab.fer.data.video import clip_indices, decode_frames, sample_clip, video_info
from affectlab.fer.presets import preset_values
from affectlab.io import file_sha256

VJEPA_FER = preset_values("vjepa-fer", "extract")["sampling"]
SMALL = {**VJEPA_FER, "num_segments": 2, "frames_per_clip": 4, "resolution": 48}


def _clips(shared_data: Path) -> list[str]:
    return [str(shared_data / "face_video/ravdess/Actor_01/01-01-01-01-01-01-01.mp4"),
            str(shared_data / "face_video/crema_d/1001_DFA_HAP_XX.flv")]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(
    "sampling",
    [
        SMALL,  # the reference augmentation: RandAugment, random-resized crop, erasing
        {**SMALL, "train_flip": True, "erase_prob": 1.0},
        {**SMALL, "train_augment": "crop-flip"},
        {**SMALL, "train_augment": "none"},
        {**SMALL, "frames_per_clip": 2, "frame_step": 2},  # a window shorter than a partition: drawn per epoch
    ],
    ids=["vjepa", "vjepa-flip-erase", "crop-flip", "none", "random-windows"],
)
def test_views_from_the_cache_equal_decoding(shared_data: Path, tmp_path: Path, sampling: dict) -> None:
    cfg = SamplingConfig(**sampling)
    cache = FrameCache(tmp_path)
    for path in _clips(shared_data):
        entry = cache.get(path, file_sha256(path), cfg)
        assert entry.frames.dtype == np.uint8 and entry.frames.shape[1:] == decode_frames(path, [0]).shape[1:]
        for train, seed in [(True, 1), (True, 2), (False, None)]:
            want = sample_clip(path, cfg, train=train, seed=seed)
            assert torch.equal(sample_clip(path, cfg, train=train, seed=seed, source=entry), want)


def test_stored_frames_are_every_frame_a_view_can_sample() -> None:
    cfg = SamplingConfig(frames_per_clip=4, frame_step=2, num_segments=2)
    # 40 frames: partitions of 20 > a window of 8, so training draws the window: every frame of both partitions
    assert np.array_equal(stored_indices(41, cfg), np.arange(40))
    rng = np.random.default_rng(0)
    drawn = np.concatenate([clip_indices(41, cfg, rng=rng).ravel() for _ in range(200)])
    assert set(drawn.tolist()) <= set(range(40)) and len(set(drawn.tolist())) > 30
    # 12 frames: partitions of 6 <= 8, the indices are fixed: only the distinct ones are kept
    assert np.array_equal(stored_indices(12, cfg), np.unique(clip_indices(12, cfg)))
    # hand-checked: linspace(0, 7, 3) = 0 3.5 7, padded with 7, clipped to 6: 0 3 6 6; the second segment +4
    assert stored_indices(12, cfg).tolist() == [0, 3, 4, 6, 7, 10]


def test_key_is_content_and_decode_settings_only(tmp_path: Path) -> None:
    cache, cfg = FrameCache(tmp_path), SamplingConfig(**VJEPA_FER)
    key = cache.key("a" * 64, cfg)
    for other in [{"train_augment": "none"}, {"resolution": 224}, {"erase_prob": 0.0}, {"num_views": 1},
                  {"face_crop": True}]:  # fmt: skip
        assert cache.key("a" * 64, cfg.model_copy(update=other)) == key  # applied on read: one entry serves all
    for other in [{"frames_per_clip": 8}, {"frame_step": 2}, {"num_segments": 4}]:
        assert cache.key("a" * 64, cfg.model_copy(update=other)) != key
    assert cache.key("b" * 64, cfg) != key


def test_entry_is_read_from_the_map_without_decoding(shared_data: Path, tmp_path: Path, monkeypatch) -> None:
    path = _clips(shared_data)[1]
    cfg, cid = SamplingConfig(**SMALL), file_sha256(path)
    filled = FrameCache(tmp_path).fill(path, cid, cfg)
    key = FrameCache(tmp_path).key(cid, cfg)
    meta = json.loads((tmp_path / f"{key}.json").read_text())
    n_frames = video_info(path)[0]
    assert meta == {"n_frames": n_frames, "indices": stored_indices(n_frames, cfg).tolist(),
                    "shape": list(filled.frames.shape), "content_hash": cid}  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"{key}.json", f"{key}.npy"])
    monkeypatch.setattr(frames_module, "decode_frames", lambda *a: pytest.fail("decoded again"))
    loaded = FrameCache(tmp_path).get(path, cid, cfg)
    assert isinstance(loaded.frames, np.memmap) and np.array_equal(loaded.frames, filled.frames)
    with pytest.raises(AffectlabError, match=r"lacks frames \[10000\]"):
        loaded(np.array([0, 10000]))


def test_incomplete_entries_are_decoded_again(shared_data: Path, tmp_path: Path) -> None:
    path = _clips(shared_data)[1]
    cfg, cid = SamplingConfig(**SMALL), file_sha256(path)
    cache = FrameCache(tmp_path)
    whole = cache.fill(path, cid, cfg).frames
    key = cache.key(cid, cfg)
    npy, meta = tmp_path / f"{key}.npy", tmp_path / f"{key}.json"
    meta.unlink()  # killed between the two renames
    assert cache.load(cid, cfg) is None
    assert np.array_equal(cache.get(path, cid, cfg).frames, whole)
    npy.write_bytes(npy.read_bytes()[: npy.stat().st_size // 2])  # a .npy cut short under its final name
    assert cache.load(cid, cfg) is None
    assert np.array_equal(cache.get(path, cid, cfg).frames, whole) and cache.load(cid, cfg) is not None


def test_failed_write_leaves_nothing_and_training_goes_on(shared_data: Path, tmp_path: Path, monkeypatch) -> None:
    path = _clips(shared_data)[1]
    cfg, cid = SamplingConfig(**SMALL), file_sha256(path)

    def disk_full(f, array):
        f.write(b"\x93NUMPY partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "save", disk_full)
    with pytest.warns(FrameCacheWarning, match="frames not cached .*no space left on the device"):
        entry = FrameCache(tmp_path).get(path, cid, cfg)  # training goes on with the decoded frames
    assert list(tmp_path.iterdir()) == []
    assert np.array_equal(entry.frames, decode_frames(path, stored_indices(video_info(path)[0], cfg)))


KILLED = """
import sys, time
from pathlib import Path
import numpy as np
from affectlab.fer.cache.frames import FrameCache
from affectlab.fer.config import SamplingConfig
root, path, cid, sampling = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
save = np.save
def slow_save(f, array):
    f.write(b"\\x93NUMPY")
    f.flush()
    (root.parent / "writing").touch()
    time.sleep(60)
np.save = slow_save
FrameCache(root).fill(path, cid, SamplingConfig.model_validate_json(sampling))
"""


def test_killed_writer_leaves_no_entry(shared_data: Path, tmp_path: Path) -> None:
    path = _clips(shared_data)[1]
    cfg, cid, root = SamplingConfig(**SMALL), file_sha256(path), tmp_path / "frames"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    job = subprocess.Popen([sys.executable, "-c", KILLED, str(root), path, cid, cfg.model_dump_json()], env=env)
    deadline = time.monotonic() + 120
    while not (tmp_path / "writing").exists():
        assert job.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    job.send_signal(signal.SIGKILL)
    job.wait()
    cache = FrameCache(root)
    assert cache.load(cid, cfg) is None and [p.suffix for p in root.iterdir()] == [".tmp"]  # the killed temporary
    decoded = decode_frames(path, stored_indices(video_info(path)[0], cfg))
    assert np.array_equal(cache.get(path, cid, cfg).frames, decoded)
    assert sorted(p.suffix for p in root.iterdir()) == [".json", ".npy"]  # the stale temporary is gone


def test_default_folder_is_the_user_cache(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_frame_cache() == tmp_path / "affectlab" / "frames"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_frame_cache() == Path.home() / ".cache" / "affectlab" / "frames"


def test_unwritable_folder_fails_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(AffectlabError, match="is not a folder"):
        FrameCache(tmp_path / "file" / "frames")


def test_cli_refuses_an_unwritable_frame_cache_before_any_work(shared_data: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "ravdess.parquet"
    al.fer.index(shared_data / "face_video/ravdess", "ravdess", folds=2, progress=False).save(manifest)
    (tmp_path / "file").write_text("x")
    done = subprocess.run(
        [sys.executable, "-m", "affectlab", "fer", "train", "--online", "--manifest", str(manifest),
         "--frame-cache", str(tmp_path / "file" / "frames"), "--out", str(tmp_path / "run")],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"error: {tmp_path / 'file' / 'frames'}: cannot write ({tmp_path / 'file'} is not a folder)" in done.stderr
    assert not (tmp_path / "run").exists()
