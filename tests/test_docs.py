"""The docs: the site builds with ``mkdocs build --strict``; every Python example of the README and the docs
runs on the shared data; every ``affectlab`` command line in them parses; the docstring examples of the
public API pass; the built pages fit a 1280 px browser window."""

from __future__ import annotations

import doctest
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)


NOT_RUN = "# not run here:"  # first line of an example that needs the user's own data or weights


def blocks(page: Path, language: str) -> list[str]:
    found = [code for lang, code in FENCE.findall(page.read_text(encoding="utf-8")) if lang == language]
    return [code for code in found if not code.startswith(NOT_RUN)]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def test_readme_is_short():
    assert len((ROOT / "README.md").read_text(encoding="utf-8")) <= 10_000


def test_every_command_has_a_generated_page(site):
    from typer.main import get_command

    from affectlab.cli import app

    root = get_command(app)
    names = [f"{g} {s}" if hasattr(c, "commands") else g for g, c in root.commands.items()
             for s in (c.commands if hasattr(c, "commands") else [None])]  # fmt: skip
    for name in names:
        page = site / "commands" / name.replace(" ", "-") / "index.html"
        assert page.is_file(), name
        assert f"affectlab {name}" in page.read_text(encoding="utf-8")


def test_measures_page_lists_every_declared_column(site):
    from affectlab.text.measures import declared_columns

    html = (site / "text" / "measures" / "index.html").read_text(encoding="utf-8")
    for name in declared_columns():
        assert f"<code>{name}</code>" in html, name


@pytest.mark.slow
@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p, "python")], ids=lambda p: str(p.relative_to(ROOT)))
def test_python_examples_run(page, shared_data, tmp_path):
    """A page's Python blocks run in order in one fresh interpreter, with SHARED and TMP set."""
    program = "\n".join(
        ["from pathlib import Path", f"SHARED = Path({str(shared_data)!r})", f"TMP = Path({str(tmp_path)!r})"]
        + blocks(page, "python")
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert done.returncode == 0, f"{page}:\n{done.stderr[-3000:]}"


def command_lines(page: Path) -> list[str]:
    """Every ``affectlab ...`` command of a page's bash blocks (continuation lines joined, comments cut)."""
    lines = []
    for code in blocks(page, "bash"):
        for line in code.replace("\\\n", " ").splitlines():
            line = re.sub(r"\s#.*$", "", line).strip()
            line = re.sub(r"^([A-Z_]+=\S+\s+)+", "", line)  # RAY_ADDRESS=auto affectlab ...
            if line.startswith("affectlab "):
                lines.append(line)
    return lines


@pytest.mark.parametrize("page", [p for p in PAGES if command_lines(p)], ids=lambda p: str(p.relative_to(ROOT)))
def test_command_lines_parse(page):
    """Each command line names a real command and options of the right type (nothing is run)."""
    from typer.main import get_command

    from affectlab.cli import app

    root = get_command(app)
    for line in command_lines(page):
        words = shlex.split(line.replace("$D", "D").replace("$N", "N"))[1:]
        command, args = root, words
        while hasattr(command, "commands") and args and args[0] in command.commands:
            command, args = command.commands[args[0]], args[1:]
        assert not hasattr(command, "commands"), f"{page.name}: {line!r} names no command"
        try:
            command.make_context("affectlab", list(args))
        except Exception as err:  # click's usage errors
            pytest.fail(f"{page.name}: {line!r} does not parse: {err}")


def test_api_docstring_examples(shared_data):
    import affectlab
    import affectlab.fer.api
    import affectlab.text.api

    with tempfile.TemporaryDirectory() as tmp:
        globs = {"SHARED": shared_data, "TMP": Path(tmp)}
        for module in (affectlab, affectlab.text.api, affectlab.fer.api, affectlab.text, affectlab.fer):
            result = doctest.testmod(module, extraglobs=globs, optionflags=doctest.ELLIPSIS)
            assert result.failed == 0, f"{module.__name__}: {result.failed} docstring example(s) failed"


@pytest.mark.parametrize("page", ["index.html", "text/measures/index.html", "api/index.html"])
def test_built_pages_fit_the_window(site, page, tmp_path):
    from tests.browser import check_page

    seen = check_page(site / page, tmp_path / "page.png")
    assert not seen.overflowing, seen.overflowing
    assert not seen.broken_images
