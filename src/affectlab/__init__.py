"""affectlab: measure affect in media.

- :mod:`affectlab.text`: sentiment, subjectivity and concreteness of texts and corpora, and comparisons
  of corpora (``score``, ``profile``, ``compare``).
- :mod:`affectlab.fer`: facial expressions in video with frozen video encoders and shallow probes
  (``index``, ``extract``, ``train``, ``cross``, ``predict``).

>>> import affectlab as al
>>> float(al.text.score("a photo of a dog on a red sofa")["vader_compound"].iloc[0])
0.0
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from affectlab.version import __version__

if TYPE_CHECKING:
    from affectlab import fer, text

__all__ = ["__version__", "fer", "text"]


def __getattr__(name: str):
    """The two halves are imported when first used (``al.text``, ``al.fer``), so a command of one half, or
    ``affectlab fer predict`` starting up, does not pay for importing the other."""
    if name in ("fer", "text"):
        return importlib.import_module(f"affectlab.{name}")
    raise AttributeError(f"module 'affectlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
