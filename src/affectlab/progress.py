"""The one progress bar of affectlab (rich, on stderr): count of total, rate, elapsed and time left.

Library functions take ``progress: bool`` and show it through :func:`progress_bar`; it draws only on a
terminal or in a notebook, so logs and captured output stay clean.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

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
        disable=not (console.is_terminal or console.is_jupyter),
    ) as bar:
        task = bar.add_task(description, total=total, rate="")

        def advance(n: int) -> None:
            bar.advance(task, n)
            speed = bar.tasks[task].speed
            bar.update(task, rate=f"{speed:,.1f} {unit}/s" if speed else "")

        yield advance
