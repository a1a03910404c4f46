"""``fer index`` lists what it cannot read instead of dropping it: unreadable folders, dangling links, link
loops, non-files named like videos (skipped report, exit 3)."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest

from affectlab.fer.data.layouts import base
from affectlab.fer.data.layouts.base import video_files


def test_broken_entries_are_skipped_with_reasons(shared_data, tmp_path):
    root = tmp_path / "RAVDESS" / "Actor_01"
    root.mkdir(parents=True)
    good = shared_data / "face_video" / "ravdess" / "Actor_01"
    for clip in good.glob("*.mp4"):
        shutil.copy(clip, root / clip.name)
    (root / "01-01-02-01-01-01-01.mp4").symlink_to(tmp_path / "gone.mp4")  # dangling
    (root / "01-01-03-01-01-01-01.mp4").symlink_to(root / "01-01-03-01-01-01-01.mp4")  # a loop
    (root / "01-01-04-01-01-01-01.mp4").mkdir()  # a folder named like a video
    skipped: list[tuple[str, str]] = []
    found = video_files(tmp_path / "RAVDESS", skipped)
    assert [p.name for p in found] == sorted(p.name for p in good.glob("*.mp4"))
    reasons = {Path(p).name: r for p, r in skipped}
    assert reasons["01-01-02-01-01-01-01.mp4"] == "dangling symbolic link"
    assert reasons["01-01-03-01-01-01-01.mp4"] == "symbolic link loop"
    assert reasons["01-01-04-01-01-01-01.mp4"] == "not a regular file (a folder)"


def test_an_unreadable_folder_is_reported(tmp_path, monkeypatch):
    (tmp_path / "Actor_02").mkdir()
    walk = os.walk

    def failing_walk(top, onerror=None, **kwargs):  # as os.walk reports a folder it cannot list
        onerror(PermissionError(errno.EACCES, "Permission denied", str(Path(top) / "Actor_02")))
        yield from walk(top, onerror=onerror, **kwargs)

    monkeypatch.setattr(base.os, "walk", failing_walk)
    skipped: list[tuple[str, str]] = []
    video_files(tmp_path, skipped)
    assert skipped == [(str(tmp_path / "Actor_02"), "cannot read folder (Permission denied)")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder whatever its permissions")
def test_a_folder_without_permission_is_reported(tmp_path):
    locked = tmp_path / "Actor_03"
    locked.mkdir()
    locked.chmod(0)
    try:
        skipped: list[tuple[str, str]] = []
        video_files(tmp_path, skipped)
        assert skipped and "cannot read folder" in skipped[0][1]
    finally:
        locked.chmod(0o755)


def test_cli_exit_3_lists_them_in_the_skipped_report(shared_data, tmp_path):
    import subprocess
    import sys

    root = tmp_path / "clips"
    shutil.copytree(shared_data / "face_video" / "ravdess", root)
    (root / "Actor_01" / "01-01-02-01-01-01-01.mp4").symlink_to(tmp_path / "gone.mp4")
    out = tmp_path / "m.parquet"
    done = subprocess.run([sys.executable, "-m", "affectlab", "fer", "index", str(root), "--dataset", "ravdess",
                           "--folds", "2", "--out", str(out)], capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 3, done.stderr
    report = (tmp_path / "m.skipped.csv").read_text()
    assert "01-01-02-01-01-01-01.mp4,dangling symbolic link" in report
