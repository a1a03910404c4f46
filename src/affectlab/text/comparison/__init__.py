"""Corpus comparison: statistics (:mod:`.stats`), the comparison itself (:mod:`.comparison`) and the
report folder (:mod:`.report`)."""
