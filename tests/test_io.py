"""Atomic outputs: written whole or not at all, with ordinary file permissions."""

import os
import stat

import pytest

from affectlab.io import atomic_path


def test_output_appears_only_on_success(tmp_path):
    target = tmp_path / "out" / "scores.txt"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert not target.exists()
    assert list(target.parent.iterdir()) == []
    with atomic_path(target) as tmp:
        tmp.write_text("whole")
    assert target.read_text() == "whole"


def test_output_mode_follows_umask(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_path(tmp_path / "a.txt") as tmp:
            tmp.write_text("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o644


def test_write_text_writes_utf8_whole(tmp_path):
    from affectlab.io import write_text

    target = write_text(tmp_path / "deep" / "note.md", "café ✓\n")
    assert target.read_bytes() == "café ✓\n".encode()
    assert [p.name for p in target.parent.iterdir()] == ["note.md"]
