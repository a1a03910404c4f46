"""mkdocs hooks: pages generated from the code, so they cannot drift from it.

- ``commands/*.md``: one page per ``affectlab`` command, from the typer app (usage, help, every option with
  its default, as ``--help`` shows them);
- the table of text measure columns (where a page says ``<!-- affectlab:measures-table -->``), from the
  measures' column declarations.
"""

from __future__ import annotations

import re

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


def command_page(name: str, command) -> str:
    ctx = command.context_class(command, info_name=f"affectlab {name}")
    usage = " ".join(command.collect_usage_pieces(ctx))
    lines = [f"# affectlab {name}", "", "```text", f"affectlab {name} {usage}", "```", ""]
    lines += [(command.help or "").replace("\b\n", "").strip(), ""]
    rows = []
    for param in command.params:
        if param.param_type_name == "argument":
            rows.append((param.name.upper(), "argument", "", getattr(param, "help", "") or ""))
        elif param.param_type_name == "option" and not param.hidden:
            names = " / ".join([*param.opts, *param.secondary_opts])
            default = "" if param.default is None or param.required else param.default
            if isinstance(default, list | tuple):
                default = ", ".join(map(str, default))
            rows.append((names, "required" if param.required else "", f"`{default}`" if default != "" else "",
                         param.help or ""))  # fmt: skip
    if rows:
        lines += ["| option | | default | meaning |", "|---|---|---|---|"]
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
    """``on with --lang-id or --lang`` -> ``on with `--lang-id` or `--lang```."""
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
