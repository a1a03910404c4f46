"""The command line starts, shows help with examples, and turns user errors into one line."""

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from affectlab.cli import app

runner = CliRunner()


def test_root_help_lists_both_halves():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "text" in result.output and "fer" in result.output


@pytest.mark.parametrize(
    ("argv", "absent"),
    [
        (["fer", "predict", "-h"], ["affectlab.text", "pyarrow"]),
        (["text", "score", "-h"], ["affectlab.fer", "cv2", "av"]),
    ],
)
def test_a_command_of_one_half_does_not_import_the_other(argv, absent):
    code = (
        "import sys\nfrom affectlab.cli import main\n"
        f"sys.argv = ['affectlab', *{argv!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {absent!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Usage: affectlab" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_version_via_module():
    out = subprocess.run([sys.executable, "-m", "affectlab", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("affectlab ")
