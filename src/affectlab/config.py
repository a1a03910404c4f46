"""Build typed configs from command-line values, turning validation errors into one clear line."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from affectlab.errors import AffectlabError

Model = TypeVar("Model", bound=BaseModel)


def validated(model: type[Model], values: dict[str, Any], what: str) -> Model:
    """``model`` built from ``values``; an invalid value raises AffectlabError naming field and problem."""
    try:
        return model.model_validate(values)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        raise AffectlabError(f"invalid {what}: {problems}") from err
