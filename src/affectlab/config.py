"""Build typed configs from user values (CLI options, keyword arguments), turning validation errors into
one clear line."""

from __future__ import annotations

import difflib
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from affectlab.errors import AffectlabError

Model = TypeVar("Model", bound=BaseModel)


def _field_names(model: type[BaseModel]) -> set[str]:
    """Every field name of ``model`` and of the configs nested in it."""
    names = set(model.model_fields)
    for field in model.model_fields.values():
        for kind in (field.annotation, *typing.get_args(field.annotation)):
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                names |= _field_names(kind)
    return names


def _problem(error: dict[str, Any], model: type[BaseModel]) -> str:
    field = ".".join(map(str, error["loc"])) or "value"
    if error["type"] == "literal_error":
        expected = str(error.get("ctx", {}).get("expected", "")).replace("'", "")
        return f"{field}: {error['msg']} (unknown {field} {error['input']!r}; expected {expected})"
    if error["type"] == "extra_forbidden":
        close = difflib.get_close_matches(str(error["loc"][-1]), sorted(_field_names(model)), n=1)
        return f"unknown option {field!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
    return f"{field}: {error['msg']} (got {error['input']!r:.60})"


def given(**values: Any) -> dict[str, Any]:
    """The keyword values a caller gave (None means: the config's default), for :func:`validated`."""
    return {k: v for k, v in values.items() if v is not None}


def validated(model: type[Model], values: dict[str, Any], what: str) -> Model:
    """``model`` built from ``values``; an invalid value raises AffectlabError naming field and problem."""
    try:
        return model.model_validate(values)
    except ValidationError as err:
        problems = "; ".join(_problem(e, model) for e in err.errors())
        raise AffectlabError(f"invalid {what}: {problems}") from None
