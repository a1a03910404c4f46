"""``train_run(features, cfg, out)``: :func:`affectlab.fer.api.train` from resolved configs (a ``TrainConfig``,
and an ``ExtractConfig`` online), with no preset, progress bar or report, for the probe tests."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from affectlab.fer.api import train
from affectlab.fer.config import ExtractConfig, TrainConfig
from affectlab.fer.probes.run import Run


def train_run(
    features: str | Path | None,
    cfg: TrainConfig,
    out: str | Path,
    *,
    overwrite: bool = False,
    manifest: pa.Table | str | Path | None = None,
    extract: ExtractConfig | None = None,
    frame_cache: str | Path | bool = False,
) -> Run:
    """Train as ``affectlab fer train`` does: cached from ``features`` or, when it is None, online from
    ``manifest`` with the encoder of ``extract`` (frames decoded every epoch unless ``frame_cache`` names a
    folder)."""
    options = cfg.model_dump()
    probe = options.pop("probe")
    encoder_options = None if extract is None else extract.model_dump()
    encoder = checkpoint = None
    if encoder_options is not None:
        encoder, checkpoint = encoder_options.pop("encoder"), encoder_options.pop("checkpoint")
    return train(features, out, probe=probe, online=features is None, manifest=manifest, encoder=encoder,
                 checkpoint=checkpoint, encoder_options=encoder_options, frame_cache=frame_cache, overwrite=overwrite,
                 progress=False, write_report=False, **options)  # fmt: skip
