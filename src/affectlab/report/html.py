"""A self-contained HTML report (PNG plots inlined as base64) and Markdown tables, built block by block."""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from affectlab.io import write_text

Cell = str | int | float | None

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;margin:.8em 0;font-size:.85em}
th,td{border:1px solid #ddd;padding:.25em .55em;text-align:right}th{background:#f4f4f4}
td:first-child,th:first-child{text-align:left}
figure{margin:1em 0}figure img{max-width:100%}figcaption{color:#555;font-size:.9em}
.note{color:#555;font-size:.92em}
pre{background:#f6f6f6;border:1px solid #ddd;padding:.6em;font-size:.8em;overflow-x:auto;max-width:100%}
.scroll{overflow-x:auto;max-width:100%}
"""


def format_cell(value: Cell, digits: int = 3) -> str:
    """Numbers to short text (``digits`` significant for floats, thousands separators for ints)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value != 0 and abs(value) < 1e-3:
            return f"{value:.2e}"
        return f"{value:.{digits}g}" if abs(value) >= 1000 else f"{value:.{digits}f}"
    return str(value)


def format_significant(value: Cell, digits: int = 3) -> str:
    """Numbers to ``digits`` significant figures (``0.0234``, ``4.07``, ``0.500``, ``12,300``, ``1.20e-05``);
    ints with thousands separators; NaN and None empty."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if value != value:  # NaN
        return ""
    if value == 0:
        return "0"
    if abs(value) >= 10**digits:
        return f"{float(f'{value:.{digits}g}'):,.0f}"
    return f"{value:#.{digits}g}"


def format_p(value: float) -> str:
    """A p-value in scientific notation, 3 significant figures; ``< 1e-300`` where it underflowed to 0."""
    if value != value:
        return ""
    return "< 1e-300" if value == 0 else f"{value:.2e}"


def markdown_table(
    rows: Sequence[Mapping[str, Cell]],
    columns: Sequence[str] | None = None,
    *,
    format: Callable[[Cell], str] = format_cell,
) -> str:
    """A GitHub-flavoured Markdown table of ``rows`` (``|`` in cells escaped), numbers through ``format``."""
    columns = list(columns or (rows[0].keys() if rows else []))
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(format(row.get(c)).replace("|", "\\|") for c in columns) + " |")
    return "\n".join(lines) + "\n"


class HtmlReport:
    """Collects headings, paragraphs, tables and PNG figures; ``write`` renders one standalone page."""

    def __init__(self, title: str) -> None:
        self.title = title
        self._blocks: list[str] = []

    def heading(self, text: str, level: int = 2) -> None:
        self._blocks.append(f"<h{level}>{html.escape(text)}</h{level}>")

    def paragraph(self, text: str, *, note: bool = False) -> None:
        css = ' class="note"' if note else ""
        self._blocks.append(f"<p{css}>{html.escape(text)}</p>")

    def bullets(self, items: Sequence[str]) -> None:
        self._blocks.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")

    def table(
        self,
        rows: Sequence[Mapping[str, Cell]],
        columns: Sequence[str] | None = None,
        *,
        format: Callable[[Cell], str] = format_cell,
    ) -> None:
        """A table inside a box that scrolls sideways when the table is wider than the page."""
        columns = list(columns or (rows[0].keys() if rows else []))
        head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(format(r.get(c)))}</td>" for c in columns) + "</tr>" for r in rows
        )
        self._blocks.append(
            f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
        )

    def code(self, text: str) -> None:
        """A preformatted block (configs, JSON), scrolling sideways rather than widening the page."""
        self._blocks.append(f"<pre>{html.escape(text)}</pre>")

    def figure(self, png: Path | bytes, caption: str) -> None:
        """Inline a PNG (a path or its bytes) as a base64 data URI, with a caption."""
        data = png if isinstance(png, bytes) else Path(png).read_bytes()
        encoded = base64.b64encode(data).decode("ascii")
        alt = html.escape(caption, quote=True)
        self._blocks.append(
            f'<figure><img src="data:image/png;base64,{encoded}" alt="{alt}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )

    def render(self) -> str:
        title = html.escape(self.title)
        body = "\n".join(self._blocks)
        return (
            f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{_CSS}</style></head><body><h1>{title}</h1>\n{body}\n</body></html>\n"
        )

    def write(self, path: Path) -> Path:
        write_text(path, self.render())
        return Path(path)
