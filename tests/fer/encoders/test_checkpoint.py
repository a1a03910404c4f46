"""Reading checkpoint files: anything that is not a weights-only PyTorch dict is one AffectlabError."""

from __future__ import annotations

import random
import warnings

import pytest

from affectlab.errors import AffectlabError
from affectlab.fer.encoders.checkpoint import load_weights


def test_random_bytes_are_one_clear_error_whatever_they_hold(tmp_path):
    """A malformed pickle fails in many ways inside the unpickler (UnpicklingError, IndexError, KeyError...);
    each must reach the user as the one line, never as a traceback (seeded, 300 files)."""
    rng = random.Random(0)
    for i in range(300):
        path = tmp_path / f"{i}.pt"
        path.write_bytes(rng.randbytes(1 + 7 * i))
        expected = r"not a PyTorch checkpoint|expected a dict"
        with warnings.catch_warnings(), pytest.raises(AffectlabError, match=expected):
            warnings.simplefilter("ignore")
            load_weights(path)
