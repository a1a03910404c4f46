"""Seeded thinning of large samples for plots (the shape of a distribution needs few points)."""

from __future__ import annotations

import numpy as np


def subsample(values: np.ndarray, limit: int, seed: int) -> np.ndarray:
    """At most ``limit`` values, drawn without replacement (seeded); all of them when there are fewer."""
    if values.size <= limit:
        return values
    return np.random.default_rng(seed).choice(values, size=limit, replace=False)
