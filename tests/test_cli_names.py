"""One name per setting: every option of every command reaches its API function under its own name, and a
setting's name there is the field of the config it sets (``--num-segments`` -> ``num_segments=`` ->
``SamplingConfig.num_segments``).

Each option is followed, not declared: the command runs with its API function replaced by a recorder, once
without the option and once with it, and the keyword arguments whose values changed are the ones the option
set. Names are compared with ``-`` as ``_``; a repeatable option is the singular of its keyword
(``--word-norm`` -> ``word_norms``); ``--no-X`` sets ``X``.
"""

from __future__ import annotations

import importlib
import inspect
import types
import typing
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from affectlab.cli import RENAMED, app, main
from affectlab.fer.config import (
    CrossConfig,
    ExtractConfig,
    IndexConfig,
    PredictConfig,
    ReproduceConfig,
    SamplingConfig,
    TrainConfig,
)
from affectlab.fer.embedding_map import EmbedPlotConfig
from affectlab.text.config import CompareOptions, MeasureConfig, ProfileOptions

# command -> (module, function it wraps, configs its settings belong to)
COMMANDS: dict[str, tuple[str, str, tuple[type, ...]]] = {
    "demo": ("affectlab.demo", "run_demo", ()),
    "fer index": ("affectlab.fer.api", "index", (IndexConfig,)),
    "fer show": ("affectlab.fer.api", "show", (SamplingConfig,)),
    "fer extract": ("affectlab.fer.api", "extract", (ExtractConfig, SamplingConfig)),
    "fer train": ("affectlab.fer.api", "train", (TrainConfig, ExtractConfig, SamplingConfig)),
    "fer cross": ("affectlab.fer.api", "cross", (CrossConfig,)),
    "fer report": ("affectlab.fer.api", "report", ()),
    "fer predict": ("affectlab.fer.api", "predict", (PredictConfig,)),
    "fer embed-plot": ("affectlab.fer.api", "embed_plot", (EmbedPlotConfig,)),
    "fer reproduce": ("affectlab.fer.api", "reproduce", (ReproduceConfig, TrainConfig)),
    "text profile": ("affectlab.text.api", "profile", (ProfileOptions, MeasureConfig)),
    "text score": ("affectlab.text.api", "score_records", (MeasureConfig,)),
    "text compare": ("affectlab.text.api", "compare", (CompareOptions,)),
    "text art-corpora": ("affectlab.text.api", "art_corpora", ()),
}
# Keywords that name inputs, outputs or how a call runs, not a setting of a config.
NOT_SETTINGS = {
    "out", "overwrite", "preset", "online", "frame_cache", "folds_file", "export_folds", "file_list",
    "demographics", "features", "manifest", "run", "video", "ravdess", "crema_d", "ravdess_folds", "crema_d_folds",
    "format", "text_column", "corpus", "keep_columns", "strict", "checkpoint",
}  # fmt: skip
NESTED = {"sampling", "encoder_options", "train"}  # keywords whose dict holds settings by their config names
# Inputs the API takes by position, which the CLI names by their role (DESIGN.md: `fer cross --train RUN --test F`).
ROLES = {("fer cross", "--train"): "run", ("fer cross", "--test"): "features"}
# How the CLI prints (--json), and how it reads standard input in bounded pieces (--max-chars: score_records
# takes the texts already cut).
CLI_ONLY = {("text score", "--json"), ("text score", "--max-chars")}
VALUES = {"--group": "g=a,b", "--contrast": "a:b"}  # options the CLI parses before the API sees them


SIGNATURES = {c: inspect.signature(getattr(importlib.import_module(m), f)) for c, (m, f, _) in COMMANDS.items()}


class Recorded(Exception):
    """Raised by the recorder in place of the API's work."""


ROOT = typer.main.get_command(app)


def _command(name: str) -> Any:
    command = ROOT
    for part in name.split():
        command = command.commands[part]  # type: ignore[attr-defined]
    return command


def _commands() -> list[str]:
    found = []
    for name, command in ROOT.commands.items():  # type: ignore[attr-defined]
        found += [f"{name} {sub}" for sub in command.commands] if hasattr(command, "commands") else [name]
    return sorted(found)


def _options() -> list[tuple[str, str]]:
    return [
        (name, param.opts[0])
        for name in COMMANDS
        for param in _command(name).params
        if param.param_type_name == "option" and param.opts[0] != "--help"
    ]


def _required(command: Any, skip: str) -> list[str]:
    """Values for the command's required arguments and options (all but ``skip``)."""
    args: list[str] = []
    for param in command.params:
        if not param.required or param.opts[0] == skip:
            continue
        args += ["req"] if param.param_type_name == "argument" else [param.opts[0], "req"]
    return args


def _leaves(values: dict[str, Any]) -> dict[tuple[str, ...], Any]:
    """Keyword arguments as (path of keys) -> value, into the dicts of settings the API takes (``sampling=``,
    ``encoder_options=``, ``train=``); paths as strings."""
    found: dict[tuple[str, ...], Any] = {}
    for key, value in values.items():
        if key in NESTED and isinstance(value, dict):
            found.update({(key, *path): leaf for path, leaf in _leaves(value).items()})
        else:
            found[(key,)] = value if isinstance(value, list | tuple | dict | bool | None) else str(value)
    return found


def _called(monkeypatch: pytest.MonkeyPatch, command: str, args: list[str]) -> dict[str, Any]:
    """The arguments (by parameter name) the command passed to its API function."""
    module_name, function, _ = COMMANDS[command]
    module = importlib.import_module(module_name)
    signature = SIGNATURES[command]
    seen: dict[str, Any] = {}

    def recorder(*a: Any, **kw: Any) -> None:
        bound = signature.bind(*a, **kw).arguments
        extra = next((p.name for p in signature.parameters.values() if p.kind is p.VAR_KEYWORD), None)
        seen.update({k: v for k, v in bound.items() if k != extra}, **bound.get(extra, {}))
        raise Recorded

    monkeypatch.setattr(module, function, recorder)
    result = CliRunner().invoke(app, [*command.split(), *args])
    assert isinstance(result.exception, Recorded), f"{command} {args}: {result.output} {result.exception!r}"
    return seen


def test_every_command_is_checked() -> None:
    assert _commands() == sorted(COMMANDS)


@pytest.mark.parametrize(("command", "option"), _options(), ids=lambda v: v.replace(" ", "-"))
def test_an_option_reaches_the_api_and_config_under_its_own_name(
    command: str, option: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    click_command = _command(command)
    param = next(p for p in click_command.params if p.opts[0] == option)
    if param.is_flag:  # the switch away from the default
        given = [param.secondary_opts[0] if param.secondary_opts and param.default else option]
    else:
        given = [option, VALUES.get(option, "7")]
    before = _leaves(_called(monkeypatch, command, _required(click_command, skip="")))
    after = _leaves(_called(monkeypatch, command, _required(click_command, skip=option) + given))
    changed = {path for path, value in after.items() if before.get(path, object()) != value}
    if (command, option) in CLI_ONLY:
        assert not changed
        return
    assert changed, f"{command} {option}: reaches no argument of its API function"
    name = ROLES.get((command, option)) or option.removeprefix("--").removeprefix("no-").replace("-", "_")
    names = {name, name + "s"} if param.multiple else {name}
    for path in changed:
        assert path[-1] in names, f"{command} {option} sets {'.'.join(path)}"
    fields = {f for config in COMMANDS[command][2] for f in config.model_fields}
    for path in changed if COMMANDS[command][2] else ():  # (a command without a config: art-corpora, report)
        assert path[-1] in fields | NOT_SETTINGS | set(ROLES.values()), f"{'.'.join(path)}: not a config field"


@pytest.mark.parametrize(("old", "new"), sorted(RENAMED.items()))
def test_an_old_option_name_says_the_new_one(
    old: str, new: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    command = next(c for c in COMMANDS if any(new in (*p.opts, *p.secondary_opts) for p in _command(c).params))
    monkeypatch.setattr("sys.argv", ["affectlab", *command.split(), old, "1"])
    with pytest.raises(SystemExit) as exit:
        main()
    assert exit.value.code == 2
    said = capsys.readouterr().err.splitlines()
    assert said == [f"error: no such option: {old} (it is now {new}) (see 'affectlab {command} --help')"]


def _kind(hint: Any) -> Any:
    """A field's type without ``| None``, where it is a named kind of value (a ``Literal`` or an ``Annotated``
    alias such as ``Pooling``); None for plain types."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and len(args) == 1:
        hint = args[0]
    return hint if typing.get_origin(hint) in (typing.Literal, typing.Annotated) else None


def test_a_setting_has_one_name_in_every_config() -> None:
    """Fields of the same kind (``Pooling``, ``Device``, ``EvalKind``, ...) carry the same name in every config."""
    names: dict[Any, set[str]] = {}
    configs = {config for _, _, found in COMMANDS.values() for config in found}
    for config in configs:
        for name, hint in typing.get_type_hints(config, include_extras=True).items():
            if name in config.model_fields and (kind := _kind(hint)) is not None:
                names.setdefault(kind, set()).add(name)
    assert {str(k): n for k, n in names.items() if len(n) > 1} == {}
