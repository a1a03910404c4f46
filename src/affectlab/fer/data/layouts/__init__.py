"""Dataset layouts, one module per layout, registered by name: what ``affectlab fer index --dataset NAME``
reads (RAVDESS, CREMA-D, a generic folder or CSV).

Contract (:class:`~affectlab.fer.data.layouts.base.Layout`): a module declares ``LAYOUT`` with its name, its
label table (the dataset's codes -> the canonical vocabulary), its parser, its scanner and the index options
the scanner takes. Adding a layout: one module here listed in :data:`LAYOUTS`, and one test file;
``fer index``, the ``--dataset`` choices, the manifests, ``predict``'s true labels and
``tests/fer/data/test_layout_contract.py`` pick it up from there.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from affectlab.errors import AffectlabError
from affectlab.fer.data.layouts import crema_d, folder, ravdess
from affectlab.fer.data.layouts.base import BadName, Layout, Scan

# Every layout by name, in the order the CLI lists them. Add a layout's module here.
LAYOUTS: MappingProxyType[str, Layout] = MappingProxyType(
    {module.LAYOUT.name: module.LAYOUT for module in (ravdess, crema_d, folder)}
)
DatasetName = Literal[tuple(LAYOUTS)]  # type: ignore[valid-type]  # the --dataset choices

__all__ = ["LAYOUTS", "BadName", "DatasetName", "Layout", "Scan", "get_layout", "label_from_name", "label_table"]


def get_layout(name: str) -> Layout:
    """The layout registered as ``name``; a one-line error listing the known names otherwise."""
    if name not in LAYOUTS:
        *first, last = LAYOUTS
        raise AffectlabError(f"unknown dataset {name!r}: expected {', '.join(first)} or {last}")
    return LAYOUTS[name]


def label_table(dataset: str | Sequence[str]) -> tuple[str, ...]:
    """The fixed ordered label table of a registered layout, or the given sequence itself."""
    if not isinstance(dataset, str):
        return tuple(dataset)
    labels = get_layout(dataset).labels
    if labels is None:
        raise AffectlabError(f"dataset {dataset!r} has no fixed label table: its classes come from the data")
    return labels


def label_from_name(path: str | os.PathLike[str]) -> tuple[str, str] | None:
    """``(label, dataset title)`` when a file name follows the scheme of a layout whose names carry the label
    (the true label of a clip from those datasets), else None: ``01-01-03-...-01.mp4`` -> ``("happy",
    "RAVDESS")``."""
    for layout in LAYOUTS.values():
        if layout.labels_in_file_name:
            try:
                return layout.parse(Path(path).name)["label"], layout.title
            except BadName:
                continue
    return None
