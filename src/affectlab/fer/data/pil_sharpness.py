"""Pillow's ``ImageEnhance.Sharpness``, bit for bit, on any window of the output and all frames at once.

``Sharpness(img).enhance(factor)`` is ``Image.blend(img.filter(ImageFilter.SMOOTH), img, factor)``. The smoothing
is Pillow's ``ImagingFilter3x3`` (``src/libImaging/Filter.c``) with the kernel ``(1 1 1; 1 5 1; 1 1 1)`` divided
by 13 in float32 (``_imaging.c`` ``_filter``): per channel a float32 sum started at ``offset + 0.5`` = 0.5, the row
below first, then the pixel's row, then the row above, each row's three products summed left to right, clamped to
[0, 255] and truncated; the frame's outermost rows and columns are copied unfiltered. The blend is ``ImagingBlend``
(``src/libImaging/Blend.c``) with ``alpha = float32(factor)``: a copy of one image at 0 and 1; inside [0, 1]
``in1 + alpha * (in2 - in1)`` in float32, truncated; outside it the same value clamped to [0, 255]. Each output
pixel depends on a 3 x 3 neighbourhood only, so a window of the output is computed from the window one pixel
wider (tested bit-identical to Pillow on real frames). The smoothing's order of summation is kept, though it
cannot change a result: the exact sum is ``k / 13 + 1/2`` for an integer ``k``, never within float32 rounding of
an integer; the blend's float32 can (a factor of 1.1, tested).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from affectlab.fer.data.pil_affine import Box

_K1 = np.float32(1.0) / np.float32(13.0)  # the kernel's weights as _filter divides them, in float32
_K5 = np.float32(5.0) / np.float32(13.0)
_HALF = np.float32(0.5)  # offset 0 plus Filter.c's rounding bias
_ZERO = np.float32(0.0)
_TOP = np.float32(255.0)


@njit(cache=True, nogil=True)
def _sharpen(src, rows, j0, lo, hi, alpha, out):  # pragma: no cover - jitted
    """``src`` ``uint8 [N, h, w * C]`` (a row's channels interleaved, as Pillow stores them), ``out`` ``[N, oh,
    ow * C]``: value ``x`` of an output row is value ``j0 + x`` of its source row ``rows[y]``, or of ``-rows[y] - 1``
    for a row on the frame's border (copied, as Filter.c does), as are the values outside ``[lo, hi)`` (the
    frame's border columns)."""
    n, oh, ow = out.shape
    bands = 3
    interpolate = alpha >= _ZERO and alpha <= np.float32(1.0)
    for f in range(n):
        for y in range(oh):
            r = rows[y]
            row_out = out[f, y]
            if r < 0:  # a border row: smoothed, the pixel itself, blended with itself
                row_out[:] = src[f, -r - 1, j0 : j0 + ow]
                continue
            above, here, below = src[f, r - 1], src[f, r], src[f, r + 1]
            row_out[:lo] = here[j0 : j0 + lo]
            row_out[hi:] = here[j0 + hi : j0 + ow]
            # views from the first interior value, indexed from 0 (no negative-index checks: the loop vectorises)
            s = j0 + lo
            b0, b1, b2 = below[s - bands :], below[s:], below[s + bands :]
            h0, h1, h2 = here[s - bands :], here[s:], here[s + bands :]
            a0, a1, a2 = above[s - bands :], above[s:], above[s + bands :]
            o = row_out[lo:]
            for x in range(hi - lo):
                v = np.float32(h1[x])
                ss = _HALF
                ss += np.float32(b0[x]) * _K1 + np.float32(b1[x]) * _K1 + np.float32(b2[x]) * _K1
                ss += np.float32(h0[x]) * _K1 + v * _K5 + np.float32(h2[x]) * _K1
                ss += np.float32(a0[x]) * _K1 + np.float32(a1[x]) * _K1 + np.float32(a2[x]) * _K1
                ss = min(max(ss, _ZERO), _TOP)
                smooth = np.float32(np.int32(ss))  # clip8: the uint8 of the clamped sum
                t = smooth + alpha * (v - smooth)
                if not interpolate:
                    t = min(max(t, _ZERO), _TOP)
                o[x] = np.uint8(np.int32(t))


def sharpen_window(src: np.ndarray, src_box: Box, factor: float, out_box: Box, size: tuple[int, int]) -> np.ndarray:
    """Window ``out_box`` of ``ImageEnhance.Sharpness(frame).enhance(factor)`` of every frame, from ``src`` ``uint8
    [N, h, w, C]``, the frames' window ``src_box`` (which must hold ``out_box`` and one more pixel each side inside
    the frame)."""
    width, height = size
    top, left, bottom, right = out_box
    bands = src.shape[3]
    alpha = np.float32(factor)  # PyArg "f": the factor as a C float
    if alpha == 1.0:  # ImagingBlend copies the image
        return src[:, top - src_box[0] : bottom - src_box[0], left - src_box[1] : right - src_box[1]]
    ys = np.arange(top, bottom)
    rows = ys - src_box[0]
    rows = np.where((ys == 0) | (ys == height - 1), -rows - 1, rows).astype(np.int64)
    lo = bands if left == 0 else 0  # the frame's border columns are copied
    hi = (right - left - (right == width)) * bands
    flat_src = np.ascontiguousarray(src).reshape(src.shape[0], src.shape[1], -1)
    out = np.empty((src.shape[0], bottom - top, (right - left) * bands), dtype=np.uint8)
    _sharpen(flat_src, rows, (left - src_box[1]) * bands, lo, max(hi, lo), alpha, out)
    return out.reshape(src.shape[0], bottom - top, right - left, bands)
