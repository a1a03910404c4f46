"""Atomic outputs: written whole or not at all, with ordinary file permissions."""

import contextlib
import os
import signal
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


@pytest.mark.parametrize("kind", ["fifo", "socket", "char device"])
def test_special_files_are_never_replaced(kind, tmp_path):
    import socket

    from affectlab.errors import AffectlabError
    from affectlab.io import atomic_folder

    target = tmp_path / "x"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(target))
    else:
        if os.geteuid() != 0:
            pytest.skip("mknod of a character device needs root")
        os.mknod(target, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # a /dev/null
    mode = os.lstat(target).st_mode
    with pytest.raises(AffectlabError, match="affectlab writes regular files only"), atomic_path(target) as tmp:
        tmp.write_text("x")
    with pytest.raises(AffectlabError, match="regular files only"), atomic_folder(target):
        pass
    assert os.lstat(target).st_mode == mode  # still the same special file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x"]


def test_stale_temporaries_of_dead_processes_are_removed_live_ones_kept(tmp_path):
    import subprocess
    import sys

    from affectlab.io import remove_stale_temps

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".scores.parquet.{dead.pid}.abcd.tmp"
    stale.write_text("half")
    stale_folder = tmp_path / f".report.{dead.pid}.efgh.tmp"
    stale_folder.mkdir()
    live = tmp_path / f".scores.parquet.{os.getpid()}.ijkl.tmp"
    live.write_text("in use")
    users = tmp_path / ".notes.tmp"  # not one of ours: no pid in the name
    users.write_text("mine")
    removed = remove_stale_temps(tmp_path)
    assert sorted(removed) == sorted([stale, stale_folder])
    assert live.exists() and users.exists() and not stale.exists() and not stale_folder.exists()
    with atomic_path(tmp_path / "scores.parquet") as tmp:  # a new write cleans its target's stale temps
        assert str(os.getpid()) in tmp.name
        tmp.write_text("whole")


def test_lock_names_the_holder_and_is_released_by_death(tmp_path):
    import subprocess
    import sys

    from affectlab.errors import AffectlabError
    from affectlab.io import exclusive_lock

    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from affectlab.io import exclusive_lock\n"
         f"with exclusive_lock({str(tmp_path)!r}):\n    print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(AffectlabError, match=rf"being written by another process \(pid {holder.pid}\)"):
        with exclusive_lock(tmp_path, "feature store"):
            pass
    holder.kill()
    holder.wait()
    with exclusive_lock(tmp_path):  # the kernel released the dead holder's lock
        pass


def test_lock_is_not_kept_by_the_forked_workers_of_a_killed_holder(tmp_path):
    """Decode workers and process pools are forked while the lock is held; when the holder is killed -9 they
    live on for a while, and the next run must not be refused for the dead holder's pid."""
    import subprocess
    import sys

    from affectlab.io import exclusive_lock, lock_holder

    holder = subprocess.Popen(
        [sys.executable, "-c", "import multiprocessing, time; from affectlab.io import exclusive_lock\n"
         "def work(ready):\n    ready.set(); time.sleep(60)\n"
         "fork = multiprocessing.get_context('fork'); ready = fork.Event()\n"
         f"with exclusive_lock({str(tmp_path)!r}):\n"
         "    worker = fork.Process(target=work, args=(ready,)); worker.start()\n"
         "    ready.wait(); print(worker.pid, flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    worker = int(holder.stdout.readline())
    try:
        holder.kill()
        holder.wait()
        os.kill(worker, 0)  # the orphaned worker still runs
        assert lock_holder(tmp_path) is None
        with exclusive_lock(tmp_path):
            pass
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker, signal.SIGKILL)


def test_output_inside_or_around_an_input_is_refused(tmp_path):
    from affectlab.errors import AffectlabError
    from affectlab.io import check_not_input

    store = tmp_path / "store"
    store.mkdir()
    (store / "info.json").write_text("{}")
    for bad in (store, store / "run", tmp_path):
        with pytest.raises(AffectlabError, match="would overwrite an input or lie inside one"):
            check_not_input(bad, [store])
    check_not_input(tmp_path / "run", [store])  # beside it is fine


@pytest.mark.parametrize("length", [230, 255])
def test_output_names_up_to_the_file_system_limit_have_a_temporary(length, tmp_path):
    """A 255-byte output name is valid; its temporary (``.NAME.PID.XXXX.tmp``) must be too, and a stale one
    is still found and removed by the name it belongs to."""
    from affectlab.io import atomic_folder, remove_stale_temps, temp_stem

    name = "a" * (length - len(".parquet")) + ".parquet"
    with atomic_path(tmp_path / name) as tmp:
        assert len(os.fsencode(tmp.name)) <= 255
        tmp.write_text("x")
    assert (tmp_path / name).read_text() == "x"
    with atomic_folder(tmp_path / ("f" * length)) as staged:
        (staged / "report.html").write_text("<p>x</p>")
    assert (tmp_path / ("f" * length) / "report.html").is_file()
    stale = tmp_path / f".{temp_stem(name)}.999999999.abcd1234.tmp"  # no such pid
    stale.write_text("left by a killed run")
    assert remove_stale_temps(tmp_path, name) == [stale]


def test_a_full_disk_while_taking_the_lock_is_one_line_and_leaves_no_lock_file(tmp_path, monkeypatch):
    import errno

    from affectlab import io
    from affectlab.errors import AffectlabError

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(io.os, "pwrite", full)
    with pytest.raises(AffectlabError, match=r"store: cannot write \(no space left on the device\)"):
        with io.exclusive_lock(tmp_path / "store"):
            pass
    assert not (tmp_path / "store").exists()  # nor the folder it made for the lock


def test_the_cli_turns_a_write_error_nothing_foresaw_into_one_line(tmp_path, monkeypatch, capsys):
    import errno
    import sys

    from affectlab import cli

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out.parquet"))

    corpus = tmp_path / "t.txt"
    corpus.write_text("a dog\n")
    monkeypatch.setattr("affectlab.text.api.profile", full)
    argv = ["affectlab", "text", "profile", str(corpus), "--out", str(tmp_path / "o.parquet")]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as done:
        cli.main()
    assert done.value.code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"error: {tmp_path / 'out.parquet'}: cannot write (no space left on the device)"
    ]
