"""mkdocs hooks: pages generated from the code, so they cannot drift from it.

- ``commands/*.md``: one page per ``affectlab`` command, from the typer app (usage, help, every option with
  its default, as ``--help`` shows them);
- the table of text measure columns (where a page says ``<!-- affectlab:measures-table -->``), from the
  measures' column declarations;
- :class:`DoctestAsCode`, a griffe extension (mkdocs.yml loads it for mkdocstrings): the ``>>>`` examples of
  docstrings render as code blocks, not as Markdown quotes.
"""

from __future__ import annotations

import re

import griffe
import typer
from mkdocs.structure.files import File

COMMANDS_SECTION = "Commands"


def _commands() -> list[tuple[str, object]]:
    from affectlab.cli import app

    root = typer.main.get_command(app)
    found: list[tuple[str, object]] = []
    for name, command in sorted(root.commands.items()):  # type: ignore[attr-defined]
        if hasattr(command, "commands"):  # a group (typer vendors its own click: no isinstance)
            found += [(f"{name} {sub}", cmd) for sub, cmd in sorted(command.commands.items())]
        else:
            found.append((name, command))
    return found


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def usage_line(name: str, command) -> str:
    """``affectlab text compare [OPTIONS] INPUTS...``: arguments by their upper-case names, as in ``--help``."""
    pieces = ["[OPTIONS]"]
    for param in command.params:
        if param.param_type_name == "argument":
            piece = param.name.upper() + ("..." if param.nargs == -1 else "")
            pieces.append(piece if param.required else f"[{piece}]")
    return f"affectlab {name} " + " ".join(pieces)


EXAMPLE_START = re.compile(r"^(?:[A-Z_]+=\S+\s+)*(?:affectlab|cat|echo|head)\b")


def split_help(text: str) -> tuple[list[str], list[str]]:
    """A command's help as (prose paragraphs, example command lines): ``Example: ...`` lines and the lines
    under ``Examples:`` are commands (a line ending in a backslash, or followed by a line of options, goes
    on with the next one)."""
    prose: list[str] = []
    examples: list[str] = []
    lines = text.replace("\b\n", "").strip().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("Example:"):
            line = line.removeprefix("Example:").strip()
        if line == "Examples:":
            i += 1
            continue
        if EXAMPLE_START.match(line):
            command = [line]
            # goes on: after a backslash, or on a next line of options (help text wrapped without one)
            while i + 1 < len(lines) and (command[-1].endswith("\\") or lines[i + 1].strip().startswith("--")):
                i += 1
                command[-1] += "" if command[-1].endswith("\\") else " \\"
                command.append("    " + lines[i].strip())
            examples.append("\n".join(command))
        elif line or (prose and prose[-1]):
            prose.append(line)
        i += 1
    return [p.strip() for p in "\n".join(prose).split("\n\n") if p.strip()], examples


def command_page(name: str, command) -> str:
    prose, examples = split_help(command.help or "")
    lines = [f"# affectlab {name}", "", "```text", usage_line(name, command), "```", ""]
    for paragraph in prose:
        lines += [paragraph, ""]
    if examples:
        lines += ["Examples:" if len(examples) > 1 else "Example:", "", "```bash", *examples, "```", ""]
    rows = []
    for param in command.params:
        if param.param_type_name == "argument":
            names = param.name.upper() + ("..." if param.nargs == -1 else "")
            rows.append((names, "argument", "", getattr(param, "help", "") or ""))
        elif param.param_type_name == "option" and not param.hidden:
            names = " / ".join([*param.opts, *param.secondary_opts])
            default = "" if param.default is None or param.required else param.default
            if isinstance(default, list | tuple):
                default = ", ".join(map(str, default))
            rows.append((names, "required" if param.required else "optional", f"`{default}`" if default != "" else "",
                         param.help or ""))  # fmt: skip
    if rows:
        lines += ["| option | kind | default | meaning |", "|---|---|---|---|"]
        lines += [f"| `{_cell(n)}` | {_cell(r)} | {_cell(d)} | {_cell(h)} |" for n, r, d, h in rows]
    return "\n".join(lines) + "\n"


def measures_table() -> str:
    from affectlab.text.measures import families

    lines = ["| column | type, range | meaning | compared by default | shares built on it |",
             "|---|---|---|---|---|"]  # fmt: skip
    for family in families():
        for c in family.columns:
            limits = c.dtype if c.limits is None else f"{c.dtype}, {c.limits[0]:g} .. {c.limits[1]:g}"
            shares = "; ".join(s.title for s in c.shares)
            optional = f" ({_options_in_code(family.notes)})" if family.optional and family.notes else ""
            lines.append(f"| `{c.name}` | {limits} | {_cell(c.meaning)}{optional} | "
                         f"{'yes' if c.compare else 'no'} | {_cell(shares)} |")  # fmt: skip
    lines += ["", "Sources:", ""]
    lines += [f"- **{f.name}**: " + " ".join(f.sources) for f in families()]
    return "\n".join(lines) + "\n"


def _options_in_code(text: str) -> str:
    """``on with --lang-id or --language`` -> ``on with `--lang-id` or `--language```."""
    return re.sub(r"(--[a-z][a-z-]*)", r"`\1`", text)


def page_name(command: str) -> str:
    return "commands/" + command.replace(" ", "-") + ".md"


def on_config(config, **kwargs):
    """Add the generated command pages to the navigation."""
    pages = [{f"affectlab {name}": page_name(name)} for name, _ in _commands()]
    for entry in config["nav"]:
        if isinstance(entry, dict) and COMMANDS_SECTION in entry:
            entry[COMMANDS_SECTION] = [*entry[COMMANDS_SECTION], *pages]
    return config


def on_files(files, config, **kwargs):
    for name, command in _commands():
        files.append(File.generated(config, page_name(name), content=command_page(name, command)))
    return files


MEASURES_MARK = "<!-- affectlab:measures-table -->"


def on_page_markdown(markdown, page, config, files, **kwargs):
    return markdown.replace(MEASURES_MARK, measures_table()) if MEASURES_MARK in markdown else markdown


_SPHINX_ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|obj):`~?([^`]+)`")


def doctest_as_code(docstring: str) -> str:
    """Fence each run of ``>>>`` lines (with their ``...`` continuations and expected output, up to a blank
    line) as a ``pycon`` code block; drop ``# doctest:`` flags; Sphinx roles become plain code."""
    out: list[str] = []
    lines = docstring.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].lstrip().startswith(">>>"):
            out.append(_SPHINX_ROLE.sub(r"`\1`", lines[i]))
            i += 1
            continue
        indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
        block = []
        while i < len(lines) and lines[i].strip():
            block.append(re.sub(r"\s*# doctest:.*$", "", lines[i].removeprefix(indent)))
            i += 1
        if out and out[-1].strip():
            out.append("")
        out += [f"{indent}```pycon", *(f"{indent}{line}" for line in block), f"{indent}```"]
    return "\n".join(out)


class DoctestAsCode(griffe.Extension):
    """Docstring examples (``>>>``) render as code in the API pages (Markdown would nest them as quotes)."""

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = doctest_as_code(obj.docstring.value)
