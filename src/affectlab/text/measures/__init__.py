"""Text measures, one module per family, each registered by name.

Contract: a measure *factory* takes the resolved :class:`~affectlab.text.measures.base.MeasureConfig` and
returns a :class:`~affectlab.text.measures.base.Measure`; ``Measure.score_batch(texts)`` returns one list
per output column (same length as ``texts``; ``None`` where a text cannot be scored).
"""
