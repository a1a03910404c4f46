"""affectlab: measure affect in media.

- :mod:`affectlab.text`: sentiment, subjectivity and concreteness of texts and corpora, and comparisons
  of corpora (``score``, ``profile``, ``compare``).
- :mod:`affectlab.fer`: facial expressions in video with frozen video encoders and shallow probes
  (``index``, ``extract``, ``train``, ``cross``, ``predict``).

>>> import affectlab as al
>>> float(al.text.score("a photo of a dog on a red sofa")["vader_compound"].iloc[0])
0.0
"""

from affectlab import fer, text
from affectlab.version import __version__

__all__ = ["__version__", "fer", "text"]
