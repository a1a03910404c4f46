"""``affectlab fer embed-plot``: a 2-D map of pooled clip features coloured by emotion (the fixed emotion
palette) and by actor.

Features are the store's pooled test features averaged over views, standardised per dimension. PCA always;
t-SNE (scikit-learn, seeded) too when there are at least ``tsne_min_clips`` clips.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib.lines import Line2D
from pydantic import BaseModel, ConfigDict, Field
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE

from affectlab.errors import AffectlabError
from affectlab.fer.cache.store import FeatureStore
from affectlab.fer.data.labels import emotion_colours
from affectlab.io import write_json
from affectlab.report.plots import OKABE_ITO, new_figure, save_png, styled


class EmbedPlotConfig(BaseModel):
    """Settings of the feature map."""

    model_config = ConfigDict(extra="forbid")

    tsne_min_clips: int = Field(30, ge=5)
    perplexity: float = Field(30.0, gt=1)
    seed: int = 0


def embed_2d(features: np.ndarray, cfg: EmbedPlotConfig) -> dict[str, np.ndarray]:
    """``{"PCA": [n, 2], "t-SNE": [n, 2]}`` (t-SNE only for enough clips) of standardised features."""
    if len(features) < 3:
        raise AffectlabError(f"a feature map needs at least 3 clips, got {len(features)}")
    x = (features - features.mean(0)) / features.std(0).clip(min=1e-8)
    maps = {"PCA": PCA(n_components=2, random_state=cfg.seed).fit_transform(x)}
    if len(x) >= cfg.tsne_min_clips:
        perplexity = min(cfg.perplexity, (len(x) - 1) / 3)
        maps["t-SNE"] = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=cfg.seed).fit_transform(x)
    return maps


def _colours(values: list[str], emotions: bool = False) -> tuple[list[str], dict[str, str]]:
    """A colour per value: the fixed emotion palette for emotions, else Okabe-Ito (tab20 past eight)."""
    keys = sorted(set(values))
    cmap = matplotlib.colormaps["tab20"]
    if emotions:
        palette = dict(zip(keys, emotion_colours(keys), strict=True))
    else:
        palette = {k: OKABE_ITO[i] if len(keys) <= len(OKABE_ITO) else cmap(i % 20) for i, k in enumerate(keys)}
    return [palette[v] for v in values], palette


@styled
def embed_plot(
    features: FeatureStore | str | Path, out: str | Path, cfg: EmbedPlotConfig | None = None
) -> dict[str, Any]:
    """Write the map PNG at ``out`` and its settings beside it (``out`` with ``.json``); ``features`` is an open
    feature store or its folder."""
    cfg = cfg or EmbedPlotConfig()
    store = features if isinstance(features, FeatureStore) else FeatureStore(features)
    manifest = store.manifest
    pooled = store.pooled("test").mean(axis=1)
    maps = embed_2d(pooled, cfg)
    groups = {
        "emotion": [str(v) for v in manifest.column("label").to_pylist()],
        "actor": [str(v) for v in manifest.column("actor").to_pylist()],
    }
    fig = new_figure(figsize=(10, 4.4 * len(maps)))
    axes = fig.subplots(len(maps), 2, squeeze=False)
    for row, (method, xy) in enumerate(maps.items()):
        for col, (name, values) in enumerate(groups.items()):
            ax = axes[row][col]
            colours, palette = _colours(values, emotions=name == "emotion")
            ax.scatter(xy[:, 0], xy[:, 1], c=colours, s=28, edgecolors="white", linewidths=0.4)
            ax.set_title(f"{method}, coloured by {name}")
            ax.set_xticks([])
            ax.set_yticks([])
            handles = [Line2D([], [], ls="", marker="o", color=c, label=k) for k, c in palette.items()]
            ax.legend(
                handles=handles,
                fontsize=7,
                frameon=False,
                loc="upper left",
                bbox_to_anchor=(1.0, 1.0),
                ncol=1 if len(handles) <= 16 else 2,
            )
    fig.suptitle(f"{store.info.encoder} features of {len(pooled)} clips ({store.root.name})")
    fig.tight_layout()
    out = Path(out)
    save_png(fig, out)
    info = {
        "features": str(store.root.resolve()),
        "clips": len(pooled),
        "methods": list(maps),
        "config": cfg.model_dump(),
    }
    write_json(out.with_suffix(".json"), info)
    return info
