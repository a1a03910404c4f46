"""Every benchmark runs in its ``--quick`` mode and prints its ratio line, so none of them rots."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
RATIO_LINES = {
    "text_throughput.py": "ratio",
    "video_sampling.py": "ratio",
    "probe_training.py": "x fewer",
    "extract_throughput.py": "own/peer speed",
    "online_vs_cached.py": "x the cached epoch",
    "validity.py": "ratio to the paper",
}


def test_every_benchmark_is_listed():
    assert sorted(p.name for p in BENCHMARKS.glob("*.py")) == sorted(RATIO_LINES)


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(RATIO_LINES))
def test_benchmark_quick_mode_runs(script, shared_data):
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--quick"], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert RATIO_LINES[script] in done.stdout, done.stdout
