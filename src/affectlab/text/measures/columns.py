"""Helpers shared by the measure modules: float64 schemas and the per-text input check."""

from __future__ import annotations

import pyarrow as pa

from affectlab.errors import AffectlabError

__all__ = ["float_schema", "reject_non_text"]


def float_schema(*names: str) -> list[pa.Field]:
    """float64 fields named ``names``, in order."""
    return [pa.field(name, pa.float64()) for name in names]


def reject_non_text(index: int, value: object) -> None:
    """Accept None (a missing text, scored as nulls); raise for anything else that is not a str."""
    if value is not None:
        raise AffectlabError(
            f"text #{index} is a {type(value).__name__} ({value!r:.60}), expected str or None"
        )
