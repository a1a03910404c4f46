"""The command line starts, shows help with examples, and turns user errors into one line."""

import subprocess
import sys

from typer.testing import CliRunner

from affectlab.cli import app

runner = CliRunner()


def test_root_help_lists_both_halves():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "text" in result.output and "fer" in result.output


def test_version_via_module():
    out = subprocess.run([sys.executable, "-m", "affectlab", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("affectlab ")
