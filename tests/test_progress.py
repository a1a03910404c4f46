"""Progress on a non-terminal (output redirected to a file): a line when a stage starts, one every
``LINE_EVERY_S`` seconds while it runs (also while one step takes long), one when it finishes."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest

from affectlab import progress
from affectlab.progress import progress_bar


def test_lines_per_stage_and_while_it_runs(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr(progress, "LINE_EVERY_S", 0.1)
    with progress_bar("extract", 4, "clips") as advance:
        advance(1)
        time.sleep(0.35)  # one long step: lines keep coming while it runs
        advance(2)
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "extract: started (4 clips)"
    ticks = err[1:-1]
    assert 1 <= len(ticks) <= 5 and all(re.fullmatch(r"extract: 1/4 clips, [\d.]+ clips/s, 0:00:00 elapsed", t)
                                        for t in ticks), ticks  # fmt: skip
    assert re.fullmatch(r"extract: finished, 3/4 clips, [\d.]+ clips/s, 0:00:00 elapsed", err[-1])


def test_a_failed_stage_says_no_finished_line_and_disabled_says_nothing(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(ValueError), progress_bar("train", None, "epochs") as advance:
        advance(1)
        raise ValueError("boom")
    assert capsys.readouterr().err.splitlines() == ["train: started"]
    with pytest.raises(ValueError), progress_bar("extract", 6, "clips"):
        raise ValueError("a bad input, found before any work")  # its error is all a user should see
    assert capsys.readouterr().err == ""
    with progress_bar("train", 3, "epochs", enabled=False) as advance:
        advance(3)
    assert capsys.readouterr().err == ""


def test_redirected_cli_writes_progress_lines(tmp_path, shared_data) -> None:
    """``fer index ... 2> log`` (stderr a file): the stage's start and end are in the log."""
    log = tmp_path / "log.txt"
    with open(log, "w") as fh:
        root = shared_data / "face_video/crema_d"
        done = subprocess.run([sys.executable, "-m", "affectlab", "fer", "index", str(root), "--dataset", "crema-d",
                               "--folds", "none", "--out", str(tmp_path / "m.parquet")],
                              stdout=fh, stderr=fh, timeout=300)  # fmt: skip
    assert done.returncode == 0
    lines = log.read_text().splitlines()
    assert "checking and hashing videos: started (6 clips)" in lines
    assert any(re.fullmatch(r"checking and hashing videos: finished, 6/6 clips, .* elapsed", line) for line in lines)
