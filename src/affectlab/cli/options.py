"""Option defaults and choices read from the typed configs, so the CLI never restates them."""

from __future__ import annotations

import typing
from typing import Annotated, Any

import typer
from pydantic import BaseModel

# An option every writing command takes, declared once.
Overwrite = Annotated[
    bool, typer.Option("--overwrite", help="Replace an existing output (a folder only when affectlab wrote it).")
]


def default(model: type[BaseModel], name: str) -> Any:
    """The default of field ``name`` of ``model`` (its factory's value when it has one)."""
    field = model.model_fields[name]
    return field.get_default(call_default_factory=True)


def choices(model: type[BaseModel], name: str) -> tuple[str, ...]:
    """The values a ``Literal`` field of ``model`` accepts, in order."""
    annotation = model.model_fields[name].annotation
    values = [a for arg in typing.get_args(annotation) or (annotation,) for a in (typing.get_args(arg) or (arg,))]
    return tuple(str(v) for v in values if v is not type(None))


def one_of(model: type[BaseModel], name: str) -> str:
    """``a, b or c`` for help texts."""
    values = choices(model, name)
    return ", ".join(values[:-1]) + f" or {values[-1]}" if len(values) > 1 else values[0]
