"""The one progress bar of affectlab (on stderr): count of total, rate, elapsed and time left.

Library functions take ``progress: bool`` and show it through :func:`progress_bar`. On a terminal or in a
notebook it is a rich bar; when stderr goes to a file or a pipe it is plain lines instead (no bar to redraw):
one when the stage's work starts, one every :data:`LINE_EVERY_S` seconds while it runs (even while one step
takes long), and one when it finishes, so a log shows what a long run is doing.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterator

LINE_EVERY_S = 30.0  # seconds between progress lines on a non-terminal

Advance = Callable[[int], None]


def _silent(n: int) -> None:
    """An ``advance`` that does nothing."""


@contextlib.contextmanager
def progress_bar(description: str, total: int | None, unit: str, enabled: bool = True) -> Iterator[Advance]:
    """Yield ``advance(n)`` of a bar ``description [bar] done/total unit  rate unit/s  elapsed  left``."""
    if not enabled:
        yield _silent
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class DoneColumn(ProgressColumn):
        """How many are done, when the total is not known."""

        def render(self, task) -> Text:
            return Text(f"{int(task.completed):,}", style="progress.download")

    console = Console(stderr=True)
    if not (console.is_terminal or console.is_jupyter):
        with progress_lines(description, total, unit) as advance:
            yield advance
        return
    columns = [TextColumn("{task.description}"), BarColumn()]
    columns += [MofNCompleteColumn(), TaskProgressColumn()] if total is not None else [DoneColumn()]
    columns += [
        TextColumn(unit),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(
        *columns,
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total, rate="")

        def advance(n: int) -> None:
            bar.advance(task, n)
            speed = bar.tasks[task].speed
            bar.update(task, rate=f"{speed:,.1f} {unit}/s" if speed else "")

        yield advance


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}"


@contextlib.contextmanager
def progress_lines(description: str, total: int | None, unit: str) -> Iterator[Advance]:
    """Progress as lines on stderr: ``description: started`` (with the total) once work is under way (the first
    step, or the first tick), then every :data:`LINE_EVERY_S` seconds ``description: done/total unit, rate,
    elapsed``, then ``description: finished, ...``. A stage that fails before any step says nothing (its error
    is the one line a user sees); one that fails later gets no finished line."""
    start = time.monotonic()
    done = 0
    started = threading.Event()
    stop = threading.Event()
    lock = threading.Lock()

    def say(text: str) -> None:
        print(f"{description}: {text}", file=sys.stderr, flush=True)

    def announce() -> None:
        with lock:
            if not started.is_set():
                started.set()
                say("started" + ("" if total is None else f" ({total} {unit})"))

    def status() -> str:
        elapsed = time.monotonic() - start
        rate = f", {done / elapsed:,.2f} {unit}/s" if done and elapsed > 0 else ""
        return f"{done}{'' if total is None else f'/{total}'} {unit}{rate}, {_duration(elapsed)} elapsed"

    def tick() -> None:
        while not stop.wait(LINE_EVERY_S):
            announce()
            say(status())

    def advance(n: int) -> None:
        nonlocal done
        announce()
        done += n

    ticker = threading.Thread(target=tick, name=f"progress {description}", daemon=True)
    ticker.start()
    try:
        yield advance
    finally:
        stop.set()
        ticker.join()
    say(f"finished, {status()}")
