"""The local engine's pool stops at once when its consumer stops, even with workers blocked on a full pipe."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

from affectlab.engines import map_local


def _sigterm_disposition(batch: int) -> int:
    return int(signal.getsignal(signal.SIGTERM) == signal.SIG_DFL)


def test_workers_die_on_sigterm_whatever_the_parent_installed():
    """A forked worker must not keep the parent's SIGTERM handler (the CLI's raises SystemExit)."""
    previous = signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        assert list(map_local(_sigterm_disposition, range(4), workers=2)) == [1, 1, 1, 1]
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_stopping_the_consumer_with_workers_blocked_on_a_full_result_pipe_ends_promptly():
    """Workers blocked sending 4 MB results the parent no longer reads are killed; nothing waits forever.

    The CLI's SIGTERM handler is installed first, as ``affectlab`` does: before the fix the workers inherited
    it, the pool's result sender caught its SystemExit and blocked again, and ``shutdown`` hung (Ctrl-C of
    ``text profile`` under load).
    """
    script = textwrap.dedent(
        """
        import signal, sys
        from affectlab.engines import map_local

        def big(batch):
            return b"x" * (4 << 20)

        def stop(signum, frame):
            raise SystemExit(128 + signum)

        signal.signal(signal.SIGTERM, stop)
        results = map_local(big, range(64), workers=2)
        next(results)
        results.close()
        print("closed")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "closed"


def _slow_batch(seconds: float) -> float:
    import time

    time.sleep(seconds)
    return seconds


def test_batches_in_flight_finish_and_a_batch_outlasting_the_grace_is_killed():
    """A stop lets short batches finish (no worker killed mid-send); one stuck batch is killed after the grace."""
    import time

    from affectlab import engines

    results = map_local(_slow_batch, [0.0, 0.3, 0.3, 0.3, 0.3, 0.3], workers=2)
    next(results)
    started = time.monotonic()
    results.close()
    assert time.monotonic() - started < engines.STOP_GRACE_SECONDS  # drained, not waited out

    results = map_local(_slow_batch, [0.0, 600.0, 600.0], workers=2)
    next(results)
    started = time.monotonic()
    results.close()
    assert time.monotonic() - started < engines.STOP_GRACE_SECONDS + 10  # killed after the grace, not waited out
