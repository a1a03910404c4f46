"""Pillow's whole-frame statistics ops (AutoContrast, Equalize, Contrast) as one table per frame, applied to a window.

Each of these ops maps every pixel value through a table that depends on the whole frame's histogram:
``ImageOps.autocontrast`` and ``ImageOps.equalize`` on the R, G and B histograms, ``ImageEnhance.Contrast`` on the
mean of the frame converted to L (``Convert.c`` ``rgb2l``: ``(19595 R + 38470 G + 7471 B + 0x8000) >> 16``), the
value blended with that grey. So the histograms are counted on the whole frames (all frames of a segment in one
pass), the tables are built by Pillow's own code from them, and only the window a later step reads is mapped.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from PIL import Image, ImageOps, ImageStat

STATISTICS = {"AutoContrast", "Equalize", "Contrast", "ContrastIncreasing"}


@njit(cache=True, nogil=True)
def _histograms(frames, with_luma, out):  # pragma: no cover - jitted
    """``out[t]`` ``int64 [4, 256]``: the R, G, B histograms of frame ``t`` and, if ``with_luma``, its L one."""
    n, height, width = frames.shape[:3]
    for t in range(n):
        r_h, g_h, b_h, l_h = out[t, 0], out[t, 1], out[t, 2], out[t, 3]
        for y in range(height):
            row = frames[t, y]
            for x in range(width):
                r, g, b = np.int32(row[x, 0]), np.int32(row[x, 1]), np.int32(row[x, 2])
                r_h[r] += 1
                g_h[g] += 1
                b_h[b] += 1
                if with_luma:
                    l_h[(r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16] += 1


def histograms(frames: np.ndarray, with_luma: bool) -> np.ndarray:
    """``int64 [T, 4, 256]``: per frame of ``uint8 [T, H, W, 3]``, ``Image.histogram()`` of the RGB frame (R, G,
    B) and, if ``with_luma``, of ``convert("L")`` (else zeros)."""
    out = np.zeros((frames.shape[0], 4, 256), dtype=np.int64)
    _histograms(frames, with_luma, out)
    return out


class _Histogram:
    """What ``ImageOps.autocontrast`` and ``ImageOps.equalize`` read of an RGB image (its mode and histogram),
    returning the table they would apply instead of applying it."""

    mode = "RGB"

    def __init__(self, counts: np.ndarray) -> None:
        self.counts = counts

    def histogram(self, mask: None = None) -> list[int]:
        return self.counts[:3].ravel().tolist()

    def point(self, lut: list[int]) -> np.ndarray:
        """The table, as ``Image.point`` takes it: values clipped to [0, 255] (Equalize's can reach 256)."""
        return np.clip(lut, 0, 255).astype(np.uint8).reshape(3, 256).T.reshape(256, 1, 3)


def _table(name: str, args: tuple, counts: np.ndarray) -> np.ndarray:
    """``uint8 [256, 1, 3]`` (a ``cv2.LUT`` table): op ``name`` on a frame with these histograms."""
    if name == "AutoContrast":
        return ImageOps.autocontrast(_Histogram(counts))
    if name == "Equalize":
        return ImageOps.equalize(_Histogram(counts))
    mean = int(ImageStat.Stat(counts[3].tolist()).mean[0] + 0.5)  # ImageEnhance.Contrast's grey
    ramp = Image.fromarray(np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2))
    grey = Image.new("L", ramp.size, mean).convert("RGB")
    return np.asarray(Image.blend(grey, ramp, args[0])).reshape(256, 1, 3)


def statistics_tables(name: str, args: tuple, frames: np.ndarray) -> np.ndarray:
    """``uint8 [T, 256, 1, 3]``: the table op ``name`` (one of :data:`STATISTICS`) maps each whole frame of
    ``frames`` ``uint8 [T, H, W, 3]`` through, built by Pillow from the frame's histograms."""
    counts = histograms(frames, with_luma=name not in ("AutoContrast", "Equalize"))
    return np.stack([_table(name, args, c) for c in counts])
