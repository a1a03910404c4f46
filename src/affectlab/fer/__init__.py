"""Facial expression recognition from video with frozen self-supervised video encoders and shallow probes.

The pipeline, one function per stage: :func:`index` a dataset, :func:`extract` frozen-encoder features
into a cache, :func:`train` probes with subject-independent cross-validation, :func:`cross` evaluate on
another dataset, :func:`report` a run as HTML, :func:`predict` emotions over time in one video;
:func:`reproduce` runs them all into the V-JEPA FER paper's table.

>>> import affectlab as al
>>> al.fer.predict(SHARED / "face_video/crema_d/1001_DFA_HAP_XX.flv", progress=False).label
'happy'
"""

from affectlab.fer.api import cross, embed_plot, extract, index, predict, report, reproduce, show, train

__all__ = ["cross", "embed_plot", "extract", "index", "predict", "report", "reproduce", "show", "train"]
