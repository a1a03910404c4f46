"""The docs: the site builds with ``mkdocs build --strict``; every Python example of the README and the docs
runs on the shared data, and the shell examples of the pages a newcomer reads first run as written; every
``affectlab`` command line in them (and in the generated command pages) parses; the docstring examples of the
public API pass; every built page fits a 1280 px browser window, with no code inside quotes and no broken
image."""

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
sys.path.insert(0, str(ROOT / "docs"))  # docs/hooks.py: the generated pages
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


# The file names the shell examples use, as the real files of ../shared/data (relative paths).
WORKSPACE = {
    "captions_val2017.json": "captions/captions_val2017.json",
    "tate_emotion_artworks.jsonl": "art_text/tate/tate_emotion_artworks.jsonl",
    "clip.mp4": "face_video/ravdess/Actor_01/01-01-01-01-01-01-01.mp4",
}
SHELL_PAGES = [ROOT / "README.md", ROOT / "docs" / "quickstart.md"]  # what a newcomer runs first


@pytest.mark.slow
@pytest.mark.parametrize("page", SHELL_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_shell_examples_run(page, shared_data, tmp_path):
    """A page's bash blocks (but those marked ``# not run here:``) run in order, as written, in a folder where
    the file names they use are the real files of the shared data; ``affectlab`` is this checkout's CLI."""
    for name, relative in WORKSPACE.items():
        (tmp_path / name).symlink_to(shared_data / relative)
    script = "\n".join(
        ["set -euo pipefail", f'affectlab() {{ {shlex.quote(sys.executable)} -m affectlab "$@"; }}']
        + blocks(page, "bash")
    )  # fmt: skip
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert done.returncode == 0, f"{page}:\n{done.stderr[-3000:]}"
    if "text compare" in script:
        assert (tmp_path / "report" / "report.html").is_file()


def command_lines(page: Path | str) -> list[str]:
    """Every ``affectlab ...`` command of a page's bash blocks (continuation lines joined, comments cut)."""
    lines = []
    text = page.read_text(encoding="utf-8") if isinstance(page, Path) else page
    for code in [code for lang, code in FENCE.findall(text) if lang == "bash"]:
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


def test_generated_command_pages_show_runnable_examples():
    """Each command page shows its help's examples as a bash block whose lines parse, a usage line with the
    arguments' names (no ``{inputs}``) and a labelled options table."""
    import hooks  # docs/hooks.py

    for name, command in hooks._commands():
        page = hooks.command_page(name, command)
        assert "{" not in page.split("```text\n")[1].split("```")[0], name
        assert "| option | kind | default | meaning |" in page, name
        examples = command_lines(page)
        assert examples, f"{name}: no example shown as code"
        for line in examples:
            words = shlex.split(line.split("| ")[-1])[1:]  # `cat f | affectlab ...`
            assert words[: len(name.split())] == name.split(), f"{name}: {line!r} runs another command"
            try:
                command.make_context("affectlab", words[len(name.split()) :])
            except Exception as err:  # click's usage errors
                pytest.fail(f"{name}: {line!r} does not parse: {err}")


def test_split_help_hand_made():
    import hooks

    prose, examples = hooks.split_help(
        "Do a thing.\n\nMore words.\n\nExamples:\n\n  affectlab x a \\\n      --b c\n\n  cat f | affectlab x -"
    )
    assert prose == ["Do a thing.", "More words."]
    assert examples == ["affectlab x a \\\n    --b c", "cat f | affectlab x -"]
    one = hooks.split_help("One line.\n\nExample: affectlab demo --out d")
    assert one == (["One line."], ["affectlab demo --out d"])
    wrapped = hooks.split_help("Example: affectlab x a\n--b c\n\nAfter.")
    assert wrapped == (["After."], ["affectlab x a \\\n    --b c"])


def test_doctest_examples_become_code_blocks():
    import hooks

    text = "Score texts, see :class:`Result`.\n\n>>> import x\n>>> x.f()  # doctest: +SKIP\n3\n\nAfter."
    assert hooks.doctest_as_code(text) == (
        "Score texts, see `Result`.\n\n```pycon\n>>> import x\n>>> x.f()\n3\n```\n\nAfter."
    )


def test_api_docstring_examples(shared_data):
    import affectlab
    import affectlab.fer.api
    import affectlab.text.api

    with tempfile.TemporaryDirectory() as tmp:
        globs = {"SHARED": shared_data, "TMP": Path(tmp)}
        for module in (affectlab, affectlab.text.api, affectlab.fer.api, affectlab.text, affectlab.fer):
            result = doctest.testmod(module, extraglobs=globs, optionflags=doctest.ELLIPSIS)
            assert result.failed == 0, f"{module.__name__}: {result.failed} docstring example(s) failed"


def test_site_holds_no_build_scripts(site):
    assert not list(site.rglob("*.py")), "docs/*.py copied into the site"


def built_pages() -> list[str]:
    """Every page the site builds (from the nav and the generated command pages), as ``dir/index.html``."""
    import hooks

    pages = ["index.html"]
    for md in sorted((ROOT / "docs").rglob("*.md")) + sorted((ROOT / "docs").rglob("*.ipynb")):
        rel = md.relative_to(ROOT / "docs").with_suffix("")
        if rel.name != "index":
            pages.append(f"{rel.as_posix()}/index.html")
    pages += [hooks.page_name(name).removesuffix(".md") + "/index.html" for name, _ in hooks._commands()]
    return pages


@pytest.mark.slow
def test_every_built_page_reads_in_a_browser(site, tmp_path):
    """Headless Chromium at 1280 px over every page: no element wider than the window, no code block clipped
    (scrolling sideways), no code inside a quote, every image decodes."""
    from tests.browser import check_page

    problems = {}
    for page in built_pages():
        assert (site / page).is_file(), page
        seen = check_page(site / page, None)
        found = {
            "overflowing": seen.overflowing,
            "clipped code": seen.clipped_code,
            "code in quotes": seen.quoted_code,
            "broken images": seen.broken_images,
        }
        if any(found.values()):
            problems[page] = {k: v[:5] for k, v in found.items() if v}
    assert not problems, problems
