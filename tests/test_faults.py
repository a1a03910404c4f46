"""Fault injection: ``kill -9`` and SIGTERM at seeded points of profile, compare, extract and train.

After each kill: no process of the killed command is alive 5 s later (pool workers die with their
parent), the next run removes the temporaries the killed one left, and its output equals an uninterrupted
run. Processes of one command are found by a marker in their environment (children inherit it).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from affectlab.fer.cache.store import FeatureStore

pytestmark = pytest.mark.slow
MARKER = "AFFECTLAB_FAULT_TEST"
KILL_POINTS = 3  # per command and signal
AFFECTLAB = [sys.executable, "-m", "affectlab"]


def _with_marker(env_marker: str) -> dict[str, str]:
    return {**os.environ, MARKER: env_marker, "PYTHONUNBUFFERED": "1"}


def marked_processes(marker: str) -> list[int]:
    """Pids of live processes (not zombies) whose environment holds ``MARKER=marker``."""
    needle = f"{MARKER}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def run(args: list[str], marker: str | None = None) -> subprocess.CompletedProcess:
    env = _with_marker(marker or uuid.uuid4().hex)
    return subprocess.run([*AFFECTLAB, *args], capture_output=True, text=True, env=env, timeout=600)


def kill_during(args: list[str], delay: float, signum: int) -> tuple[int | None, str]:
    """Start ``affectlab ARGS``, send ``signum`` after ``delay`` s; (exit code or None if it had finished,
    marker). Waits until the processes of that command are gone (at most 5 s)."""
    marker = uuid.uuid4().hex
    proc = subprocess.Popen([*AFFECTLAB, *args], env=_with_marker(marker), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        proc.wait(timeout=delay)
        return None, marker  # finished before the kill point
    except subprocess.TimeoutExpired:
        proc.send_signal(signum)
    proc.wait(timeout=60)
    deadline = time.monotonic() + 5
    while marked_processes(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    return proc.returncode, marker


def temporaries(folder: Path) -> list[Path]:
    """affectlab temporaries (``.NAME.PID.XXXX.tmp``) anywhere under ``folder``."""
    return [p for p in folder.rglob(".*.tmp")]


def kill_points(seed: int, low: float, high: float) -> list[float]:
    rng = random.Random(seed)
    return sorted(round(rng.uniform(low, high), 2) for _ in range(KILL_POINTS))


def check_no_survivors(marker: str, what: str) -> None:
    alive = marked_processes(marker)
    assert not alive, f"{what}: processes still alive 5 s after the kill: {alive}"


@pytest.fixture(scope="module")
def corpus(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """65k real captions (COCO + Flickr8k) as one text file: a profile of a few seconds on two workers."""
    coco = json.loads((shared_data / "captions" / "captions_val2017.json").read_text())["annotations"]
    flickr = (shared_data / "captions" / "Flickr8k.token.txt").read_text().splitlines()
    lines = [a["caption"].strip() for a in coco] + [line.split("\t", 1)[-1] for line in flickr]
    path = tmp_path_factory.mktemp("corpus") / "captions.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_profile_killed_then_rerun_is_whole(corpus, tmp_path, signum):
    reference = tmp_path / "reference.parquet"
    assert run(["text", "profile", str(corpus), "--out", str(reference), "--workers", "2"]).returncode == 0
    expected = pq.read_table(reference)
    for i, delay in enumerate(kill_points(int(signum), 1.5, 4.5)):
        out = tmp_path / f"out{i}" / "scores.parquet"
        args = ["text", "profile", str(corpus), "--out", str(out), "--workers", "2"]
        code, marker = kill_during(args, delay, signum)
        check_no_survivors(marker, f"profile, signal {signum} at {delay} s")
        if signum == signal.SIGTERM and code is not None:
            # 143: the handler ran and cleaned up on the way out; -15: it came during start-up, before any work;
            # 0: it came as the finished process was exiting
            assert code in (0, 128 + signal.SIGTERM, -signal.SIGTERM), f"exit {code} after SIGTERM at {delay} s"
            if code == 0:
                assert pq.read_table(out).equals(expected)
            left = temporaries(out.parent) if out.parent.exists() else []
            assert code == -signal.SIGTERM or not left, f"SIGTERM at {delay} s, exit {code}, left {left}"
        done = run([*args, "--overwrite"])
        assert done.returncode == 0, done.stderr
        assert not temporaries(out.parent), f"temporaries left after the rerun: {temporaries(out.parent)}"
        assert pq.read_table(out).equals(expected)


def test_compare_killed_then_rerun_is_whole(corpus, shared_data, tmp_path):
    art = shared_data / "captions" / "img2dataset_test_1000.parquet"  # a raw corpus too: profiled first
    args_of = lambda out: ["text", "compare", str(corpus), str(art), "--out", str(out), "--workers", "2"]  # noqa: E731
    reference = tmp_path / "reference"
    assert run(args_of(reference)).returncode == 0
    expected = (reference / "descriptives.csv").read_text()
    for i, delay in enumerate(kill_points(7, 1.0, 6.0)):
        out = tmp_path / f"report{i}"
        code, marker = kill_during(args_of(out), delay, signal.SIGKILL)
        check_no_survivors(marker, f"compare, kill -9 at {delay} s")
        if code is not None:
            assert not out.exists()  # the report appears whole or not at all
        done = run([*args_of(out), "--overwrite"])
        assert done.returncode == 0, done.stderr
        assert not temporaries(tmp_path), temporaries(tmp_path)
        assert (out / "descriptives.csv").read_text() == expected


@pytest.fixture(scope="module")
def manifest(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("manifest") / "ravdess.parquet"
    done = run(["fer", "index", str(shared_data / "face_video" / "ravdess"), "--dataset", "ravdess", "--folds", "2",
                "--out", str(path)])  # fmt: skip
    assert done.returncode in (0, 3), done.stderr
    return path


EXTRACT = ["--encoder", "frame-baseline", "--face-crop", "--resolution", "64", "--num-segments", "2",
           "--shard-size", "1", "--device", "cpu"]  # fmt: skip


def test_extract_killed_then_resumed_equals_uninterrupted(manifest, tmp_path):
    reference = tmp_path / "reference"
    assert run(["fer", "extract", "--manifest", str(manifest), "--out", str(reference), *EXTRACT]).returncode == 0
    want = FeatureStore(reference)
    for i, delay in enumerate(kill_points(11, 3.0, 8.0)):
        out = tmp_path / f"store{i}"
        args = ["fer", "extract", "--manifest", str(manifest), "--out", str(out), *EXTRACT]
        _, marker = kill_during(args, delay, signal.SIGKILL)
        check_no_survivors(marker, f"extract, kill -9 at {delay} s")
        done = run(args)  # the lock of the killed run is gone with it; the store resumes
        assert done.returncode == 0, done.stderr
        assert not temporaries(out)
        got = FeatureStore(out)
        assert got.manifest.equals(want.manifest)
        for split in ("test", "train"):
            assert np.array_equal(got.tokens(split), want.tokens(split))


def test_train_killed_then_rerun_is_whole(tmp_path):
    from tests.fer.synthetic import planted_store

    features = tmp_path / "features"
    planted_store(features, actors=6, clips_per_actor=16, folds=3, dim=32, tokens=4)
    train = ["fer", "train", "--features", str(features), "--probe", "attentive", "--num-heads", "4", "--epochs", "40",
             "--device", "cpu"]  # fmt: skip
    reference = tmp_path / "reference"
    assert run([*train, "--out", str(reference)]).returncode == 0
    expected = json.loads((reference / "metrics.json").read_text())
    for i, delay in enumerate(kill_points(13, 2.5, 6.0)):
        out = tmp_path / f"run{i}"
        code, marker = kill_during([*train, "--out", str(out)], delay, signal.SIGKILL)
        check_no_survivors(marker, f"train, kill -9 at {delay} s")
        if code is not None:
            assert not out.exists()  # a run folder appears whole or not at all
        done = run([*train, "--out", str(out), "--overwrite"])
        assert done.returncode == 0, done.stderr
        assert not temporaries(tmp_path), temporaries(tmp_path)
        assert json.loads((out / "metrics.json").read_text()) == expected


def test_ray_profile_killed_leaves_no_ray_process(corpus, tmp_path):
    """A killed driver's local Ray cluster (raylet, GCS, agents, actors) is stopped by the watchdog."""
    from affectlab.engines.watchdog import descendants

    out = tmp_path / "ray"
    args = ["text", "profile", str(corpus), "--out", f"{out}/", "--engine", "ray", "--workers", "2"]
    proc = subprocess.Popen([*AFFECTLAB, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen: set[int] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:  # until Ray's actors are up
        seen |= descendants({proc.pid})
        if sum("ray::" in _cmdline(p) for p in seen) >= 2:
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the profile ended before Ray was up; use a larger corpus"
    time.sleep(1)
    seen |= descendants({proc.pid})
    proc.kill()
    proc.wait()
    time.sleep(5)
    alive = [p for p in seen if Path(f"/proc/{p}").exists() and "ray" in _cmdline(p)]
    assert not alive, f"Ray processes alive 5 s after kill -9 of the driver: {[_cmdline(p) for p in alive]}"
    done = run([*args, "--overwrite"])
    assert done.returncode == 0 and not temporaries(tmp_path)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def test_ctrl_c_to_the_process_group_stops_profile_promptly(corpus, tmp_path):
    """Ctrl-C reaches the parent and its pool workers at once; the command ends, nothing is left."""
    for i, delay in enumerate(kill_points(17, 1.5, 4.0) * 2):
        out = tmp_path / f"out{i}" / "scores.parquet"
        marker = uuid.uuid4().hex
        args = ["text", "profile", str(corpus), "--out", str(out), "--workers", "2"]
        proc = subprocess.Popen([*AFFECTLAB, *args], env=_with_marker(marker), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        time.sleep(delay)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
        started = time.monotonic()
        code = proc.wait(timeout=30)
        assert time.monotonic() - started < 10, f"Ctrl-C at {delay} s took {time.monotonic() - started:.1f} s"
        assert code in (0, 130, -signal.SIGINT), code  # -2: during start-up, before any work
        time.sleep(1)
        check_no_survivors(marker, f"Ctrl-C at {delay} s")
        assert not (out.parent.exists() and temporaries(out.parent))


# --- issue 21: outputs checked at the moment of the rename; memory bounded whatever the input ---


def _finished_meanwhile(monkeypatch, target: Path, write_other) -> None:
    """Make the profiler's reader write ``target`` (as another run finishing) after its first batch."""
    import affectlab.text.profiling as profiling

    real = profiling.iter_batches

    def reader(*args, **kwargs):
        for number, table in enumerate(real(*args, **kwargs)):
            if number == 1:
                write_other(target)
            yield table

    monkeypatch.setattr(profiling, "iter_batches", reader)


def _other_run(target: Path, folder: bool) -> None:
    if folder:
        target.mkdir()
        (target / "part-000000.parquet").write_bytes(b"the other run's part")
    else:
        target.write_bytes(b"the other run's scores")


@pytest.mark.parametrize("folder", [False, True], ids=["file", "folder"])
def test_same_out_written_meanwhile_by_another_run_is_not_replaced(folder, tmp_path, monkeypatch):
    """Item 3: two ``text profile`` runs with the same --out both succeeded, the first result silently
    replaced. The second run to finish is refused at its rename; the first one's output stays."""
    import affectlab as al
    from affectlab.errors import AffectlabError

    corpus = tmp_path / "c.txt"
    corpus.write_text("a dog on a sofa\n" * 50)
    out = tmp_path / ("parts" if folder else "scores.parquet")
    given = f"{out}/" if folder else out
    _finished_meanwhile(monkeypatch, out, lambda target: _other_run(target, folder))
    with pytest.raises(AffectlabError, match="was written by another process while this one ran; pass --overwrite"):
        al.text.profile(corpus, out=given, workers=1, batch_size=10, progress=False)
    if folder:
        assert [p.name for p in out.iterdir()] == ["part-000000.parquet"]
        assert (out / "part-000000.parquet").read_bytes() == b"the other run's part"
    else:
        assert out.read_bytes() == b"the other run's scores"
    assert temporaries(tmp_path) == []


def test_compare_into_a_folder_another_run_wrote_meanwhile_is_refused(tmp_path):
    """Item 3 (every command): a report folder that appeared during the run was replaced as a whole."""
    from affectlab.errors import AffectlabError
    from affectlab.io import atomic_folder, atomic_path

    out = tmp_path / "report"
    with pytest.raises(AffectlabError, match="was written by another process"):
        with atomic_folder(out) as tmp:
            (tmp / "mine.txt").write_text("second run")
            with atomic_folder(out) as other:
                (other / "theirs.txt").write_text("first run")
    assert sorted(p.name for p in out.iterdir()) == [".affectlab-output", "theirs.txt"]
    target = tmp_path / "one.json"
    with pytest.raises(AffectlabError, match="was written by another process"):
        with atomic_path(target, overwrite=False) as tmp:
            tmp.write_text("second")
            target.write_text("first")
    assert target.read_text() == "first" and temporaries(tmp_path) == []


GIB = 1 << 30
CAP_GIB = 2.0  # address space, not resident memory: the old code needed ~33x a line's length (20 GB here)


def _capped(args: list[str], gib: float, **kwargs) -> subprocess.CompletedProcess:
    """``args`` in a child whose address space is capped at ``gib`` GiB (a regression fails the test, not
    the machine)."""
    import resource

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (int(gib * GIB), int(gib * GIB)))

    return subprocess.run(args, preexec_fn=cap, capture_output=True, text=True, timeout=300, **kwargs)


def _one_long_line_zst(path: Path, chars: int) -> None:
    """A zstd corpus of three lines, the middle one ``chars`` characters long (a few kB compressed)."""
    import zstandard

    piece = b"word " * 200_000
    with path.open("wb") as fh, zstandard.ZstdCompressor(level=1).stream_writer(fh) as writer:
        writer.write(b"first caption of a dog\n")
        for _ in range(chars // len(piece)):
            writer.write(piece)
        writer.write(b"\nlast caption of a cat\n")


def test_a_600_mb_line_is_cut_under_a_memory_cap(tmp_path):
    """Item 9: one long line took ~33x its length (300 MB line: 5 GB). Under a 2 GiB address-space cap a 600M-character
    line (in a 55 kB zstd file) is read in bounded pieces, cut to --max-chars with one counted warning."""
    corpus = tmp_path / "long.txt.zst"
    _one_long_line_zst(corpus, 600_000_000)
    out = tmp_path / "o.parquet"
    done = _capped([*AFFECTLAB, "text", "profile", str(corpus), "--out", str(out), "--workers", "1"], CAP_GIB)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [f"warning: {corpus}: 1 text(s) longer than 1,000,000 characters (first at id long:2) were "
                        "cut to that length (--max-chars; --strict refuses them)"]  # fmt: skip
    texts = pq.read_table(out).column("text").to_pylist()
    assert texts[0] == "first caption of a dog" and texts[2] == "last caption of a cat"
    assert texts[1] == ("word " * 200_000)[:1_000_000]
    strict = _capped([*AFFECTLAB, "text", "profile", str(corpus), "--out", str(tmp_path / "s.parquet"), "--strict",
                      "--workers", "1"], CAP_GIB)  # fmt: skip
    assert strict.returncode == 2 and "longer than --max-chars 1,000,000; --strict refuses it" in strict.stderr
    assert not (tmp_path / "s.parquet").exists()


def test_score_of_endless_binary_stdin_is_refused_under_a_memory_cap():
    """Items 9 and 15: ``text score - < /dev/zero`` grew to 23.6 GB (the kernel's OOM killer)."""
    with open("/dev/zero", "rb") as zero:
        done = _capped([*AFFECTLAB, "text", "score", "-"], CAP_GIB, stdin=zero)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == "error: standard input: binary data (a NUL byte on line 1); expected UTF-8 text"


def test_score_of_a_600_mb_stdin_line_is_cut_under_a_memory_cap():
    """Item 9: a huge text line on standard input is read in bounded pieces and cut, with one warning."""
    feed = subprocess.Popen(["sh", "-c", "head -c 600000000 /dev/zero | tr '\\0' 'a'"], stdout=subprocess.PIPE)
    try:
        done = _capped([*AFFECTLAB, "text", "score", "-", "--json"], CAP_GIB, stdin=feed.stdout)
    finally:
        feed.stdout.close()
        feed.wait()
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["text"] == "a" * 1_000_000
    assert done.stderr.strip() == (
        "warning: 1 text(s) longer than 1,000,000 characters were cut to that length (--max-chars)"
    )
