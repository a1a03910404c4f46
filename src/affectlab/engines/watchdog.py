"""A watchdog that stops the local Ray cluster a process started when that process dies (even by ``kill -9``).

Ray's agents (dashboard and runtime-env agents) outlive a killed driver for minutes. Before starting a local
Ray, :mod:`affectlab.engines` launches ``python -m affectlab.engines.watchdog PID``: it records the process tree
under ``PID`` while ``PID`` lives, and once ``PID`` is gone it terminates every process it recorded (and
their children: frozen, then killed), then exits. Linux only (it reads ``/proc``); elsewhere it exits at once.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

POLL_SECONDS = 0.25
SESSION = re.compile(r"session_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d_\d+_\d+")  # a Ray session's name


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                found[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
    return found


def descendants(roots: set[int], parents: dict[int, int] | None = None) -> set[int]:
    """Every process below ``roots`` (not the roots themselves), in ``parents`` (default: read now)."""
    parents = _parents() if parents is None else parents
    below: set[int] = set()
    frontier = set(roots)
    while frontier:
        children = {pid for pid, parent in parents.items() if parent in frontier and pid not in below}
        below |= children
        frontier = children
    return below


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def watch(pid: int) -> None:
    """Record the tree under ``pid`` until it dies, then stop what was recorded, and every process of the Ray
    sessions it ran (a raylet may start workers while it dies; orphaned, they are no one's descendants)."""
    me = os.getpid()
    seen: set[int] = set()
    sessions: set[str] = set()
    while _alive(pid):
        parents = _parents()
        # forget recorded processes that have exited: their pids may be reused by unrelated processes
        found = descendants({pid}, parents) - {me}
        sessions |= {name for p in found - seen for name in SESSION.findall(_cmdline(p))}  # new ones only
        seen = {p for p in seen if p in parents} | found
        time.sleep(POLL_SECONDS)
    stop_tree(seen - {me})
    for _ in range(3):  # late spawns of a dying raylet, orphaned
        time.sleep(POLL_SECONDS)
        stop_tree(_in_sessions(sessions) - {me})


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _in_sessions(sessions: set[str]) -> set[int]:
    """Every process whose command line names one of Ray's ``sessions`` (``session_<date>_<time>_<us>_<pid>``,
    unique to one cluster: the driver's pid is part of it)."""
    if not sessions:
        return set()
    return {pid for pid in _parents() if any(s in _cmdline(pid) for s in sessions)}


def stop_tree(recorded: set[int]) -> None:
    """Kill ``recorded`` and every process below them. They are frozen first (SIGSTOP, repeated until no new
    child appears), so a raylet cannot start new workers while its old ones die; then SIGKILL."""
    me = os.getpid()
    targets: set[int] = set()
    grown = set(recorded)
    for _ in range(5):
        new = grown - targets - {me}
        if not new:
            break
        for target in new:
            with contextlib.suppress(OSError):
                os.kill(target, signal.SIGSTOP)
        targets |= new
        grown = targets | descendants(targets)
    for target in targets:
        with contextlib.suppress(OSError):
            os.kill(target, signal.SIGKILL)


def start(pid: int | None = None) -> subprocess.Popen | None:
    """Launch the watchdog for ``pid`` (default: this process); None where it cannot run."""
    if not sys.platform.startswith("linux"):
        return None
    return subprocess.Popen(
        [sys.executable, "-m", "affectlab.engines.watchdog", str(pid or os.getpid())],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # not in the parent's process group: Ctrl-C there does not stop it
    )


if __name__ == "__main__":
    if sys.platform.startswith("linux") and len(sys.argv) == 2:
        watch(int(sys.argv[1]))
