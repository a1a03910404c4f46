"""Typed configs built from user values: one clear line per problem, a near miss named."""

import pytest
from pydantic import BaseModel, ConfigDict

from affectlab.config import validated
from affectlab.errors import AffectlabError


class Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    num_segments: int = 8


class Outer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pooling: str = "mean"
    sampling: Inner | None = None


def test_an_unknown_option_names_the_nearest_field_at_any_depth():
    with pytest.raises(AffectlabError, match=r"unknown option 'pool' \(did you mean 'pooling'\?\)$"):
        validated(Outer, {"pool": "grid"}, "options")
    with pytest.raises(AffectlabError, match=r"unknown option 'sampling.segments' \(did you mean 'num_segments'\?\)"):
        validated(Outer, {"sampling": {"segments": 2}}, "options")
    with pytest.raises(AffectlabError, match=r"unknown option 'zzz'$"):  # nothing near: no guess
        validated(Outer, {"zzz": 1}, "options")


def test_the_api_names_the_renamed_keyword():
    import affectlab as al

    with pytest.raises(AffectlabError, match=r"did you mean 'pooling'"):
        al.fer.extract("missing.parquet", "out", pool="grid")
