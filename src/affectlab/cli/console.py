"""Console output shared by every command: text made safe for a terminal line, warnings as one line each."""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Iterator

import typer

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    """``text`` safe for a terminal line: control characters (``\\x1b`` of an escape sequence, ``\\n``, a
    bell) written as Python escapes, so input can neither restyle the terminal nor fake a line."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


@contextlib.contextmanager
def plain_warnings() -> Iterator[None]:
    """Warnings of affectlab as one ``warning: ...`` line each on stderr (no file and line of the source)."""
    shown = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
        typer.echo(f"warning: {printable(str(message))}", err=True)

    warnings.showwarning = show
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", UserWarning)
            warnings.showwarning = show
            yield
    finally:
        warnings.showwarning = shown
