"""The ``affectlab`` command line: ``affectlab text ...`` and ``affectlab fer ...``.

Every command is a thin wrapper over one function of :mod:`affectlab.text` or :mod:`affectlab.fer`.
User errors and usage errors (a missing or unknown option) become one ``error: ...`` line on stderr and
exit code 2; ``-h`` is ``--help`` everywhere; SIGTERM and Ctrl-C stop cleanly (temporary outputs removed,
nothing half-written).
"""

from __future__ import annotations

import importlib
import signal
import sys
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import typer
import typer.core

from affectlab.cli.console import plain_warnings, printable
from affectlab.errors import AffectlabError
from affectlab.io import WRITE_ERRNOS, os_error
from affectlab.version import __version__

try:  # typer >= 0.20 carries its own copy of click
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - older typer uses the click package
    from click import exceptions as click_errors

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130
# Options renamed to the config field they set (one name per setting): the old spelling names the new one.
RENAMED = {
    "--pool": "--pooling",
    "--segments": "--num-segments",
    "--frames": "--frames-per-clip",
    "--test-views": "--num-views",
    "--augment": "--train-augment",
    "--lr": "--lrs",
    "--wd": "--weight-decays",
    "--warmup": "--warmup-epochs",
    "--heads": "--num-heads",
    "--text": "--keep-text",
    "--no-text": "--no-keep-text",
    "--lang": "--language",
    "--norm": "--word-norm",
}


class _Halves(MutableMapping[str, Any]):
    """The root's commands: ``text`` and ``fer`` imported on first access, so ``affectlab fer predict`` starts
    without importing the text half (pyarrow, the measures) and ``affectlab text`` without the FER one."""

    MODULES = {"text": "affectlab.cli.text", "fer": "affectlab.cli.fer"}  # name -> module defining its `app`

    def __init__(self, commands: MutableMapping[str, Any]) -> None:
        self._loaded: dict[str, Any] = {}
        self._own = commands

    def __getitem__(self, name: str) -> Any:
        if name in self.MODULES:
            if name not in self._loaded:
                command = typer.main.get_command(importlib.import_module(self.MODULES[name]).app)
                command.name = name
                self._loaded[name] = command
            return self._loaded[name]
        return self._own[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._own[name] = command

    def __delitem__(self, name: str) -> None:
        del self._own[name]

    def __iter__(self) -> Iterator[str]:
        yield from self.MODULES
        yield from self._own

    def __len__(self) -> int:
        return len(self.MODULES) + len(self._own)


class Root(typer.core.TyperGroup):
    """The ``affectlab`` command, whose two halves load when named (:class:`_Halves`)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _Halves(self.commands)

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return list(self.commands)  # names only: nothing is imported to list them


app = typer.Typer(
    name="affectlab",
    cls=Root,
    help=(
        "Measure affect in media.\n\n"
        '  affectlab text score "a photo of a dog on a red sofa"\n\n'
        "  affectlab text profile captions_val2017.json --out coco.parquet\n\n"
        "  affectlab fer predict clip.mp4"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},  # inherited by every command
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"affectlab {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Measure affect in media."""


@app.command()
def demo(out: str = typer.Option("demo-out", help="Folder for all demo outputs.")) -> None:
    """Run the main jobs on small data the project can always reach.

    Example: affectlab demo --out demo-out
    """
    from affectlab.demo import run_demo

    run_demo(out)


# The modules each extra brings (pip install "affectlab[EXTRA]"); the base install is the text half.
EXTRA_OF_MODULE = {
    **dict.fromkeys(("torch", "av", "cv2", "h5py", "transformers", "safetensors", "sklearn", "numba"), "fer"),
    "ray": "ray",
}


def missing_extra(err: ModuleNotFoundError) -> str | None:
    """The one-line message for a module of an optional extra that is not installed (None: not one of them)."""
    module = (err.name or "").split(".")[0]
    extra = EXTRA_OF_MODULE.get(module)
    if extra is None:
        return None
    return f'this command needs the {extra!r} extra ({module} is not installed): pip install "affectlab[{extra}]"'


def usage_message(err: click_errors.ClickException) -> str:
    """The usage error's message; for an option that was renamed, its new name."""
    new = RENAMED.get(getattr(err, "option_name", None) or "")
    ctx = getattr(err, "ctx", None)
    if isinstance(err, click_errors.NoSuchOption) and new and ctx is not None:
        if any(new in (*p.opts, *p.secondary_opts) for p in ctx.command.params):
            return f"no such option: {err.option_name} (it is now {new})"
    return err.format_message()


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds: temporary outputs are removed, pools are stopped


def main() -> None:
    """Console-script entry point: user and usage errors become one line on stderr and exit code 2."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        with plain_warnings():  # every warning as one `warning: ...` line, never its source file and line
            code = app(standalone_mode=False, prog_name="affectlab")
    except click_errors.NoArgsIsHelpError as err:  # `affectlab text`: the help (rich has printed it already)
        if err.format_message().strip():
            typer.echo(err.format_message(), err=True)
        sys.exit(EXIT_USER_ERROR)
    except click_errors.ClickException as err:  # a usage error: one line and where the help is
        where = f" (see '{err.ctx.command_path} --help')" if getattr(err, "ctx", None) is not None else ""
        typer.echo(f"error: {printable(' '.join(usage_message(err).split()))}{where}", err=True)
        sys.exit(err.exit_code)
    except AffectlabError as err:
        typer.echo(f"error: {printable(str(err))}", err=True)
        sys.exit(EXIT_USER_ERROR)
    except OSError as err:  # a full disk or a file system refusing a write where no check could foresee it
        if err.errno not in WRITE_ERRNOS:
            raise
        typer.echo(f"error: {os_error(Path(err.filename or '.'), err)}", err=True)
        sys.exit(EXIT_USER_ERROR)
    except ModuleNotFoundError as err:
        if (message := missing_extra(err)) is None:
            raise
        typer.echo(f"error: {message}", err=True)
        sys.exit(EXIT_USER_ERROR)
    except (KeyboardInterrupt, typer.Abort):
        typer.echo("interrupted; nothing half-written was left behind", err=True)
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
