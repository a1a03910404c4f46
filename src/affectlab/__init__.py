"""affectlab: measure affect in media (facial expressions in video, affect of text corpora)."""

__version__ = "0.1.0"
