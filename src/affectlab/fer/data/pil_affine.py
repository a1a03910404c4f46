"""Pillow's bicubic affine transform, bit for bit, on any window of the output and all frames at once.

RandAugment's geometric ops (rotate, shear, translate) are ``Image.transform(size, AFFINE, matrix, BICUBIC,
fillcolor=...)`` on the whole frame. Each output pixel depends only on the matrix and a 4 x 4 neighbourhood of
its source point, so the pixels a later crop keeps can be computed alone, from a window of the input, with the
same arithmetic. This is a port of Pillow's ``ImagingGenericTransform`` with ``affine_transform`` and
``bicubic_filter32RGB`` (``src/libImaging/Geometry.c``): the same double-precision expressions in the same
order, the same edge clamping and truncation to uint8, evaluated at the output's global coordinates (tested
bit-identical to Pillow on real frames). The source coordinates are computed once per pixel and shared by
the frames of a segment, which all get the same op.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

Box = tuple[int, int, int, int]  # top, left, bottom, right (half-open), in full-frame pixels


def rotate_matrix(degrees: float, width: int, height: int) -> tuple[float, ...] | None:
    """The inverse map ``Image.rotate(degrees, BICUBIC)`` warps with, as Pillow computes it (``Image.rotate``,
    no expand, centre, or translate); None where Pillow takes a fast path instead (multiples of 90 degrees)."""
    angle = degrees % 360.0
    if angle in (0.0, 90.0, 180.0, 270.0):
        return None
    angle = -math.radians(angle)
    m = [round(math.cos(angle), 15), round(math.sin(angle), 15), 0.0,
         round(-math.sin(angle), 15), round(math.cos(angle), 15), 0.0]  # fmt: skip
    cx, cy = width / 2, height / 2
    x, y = -cx - 0, -cy - 0
    m[2], m[5] = m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]
    m[2] += cx
    m[5] += cy
    return tuple(m)


def source_window(matrix: tuple[float, ...], out: Box, width: int, height: int) -> Box:
    """The input pixels the bicubic samples of the output window ``out`` can read (clamped to the frame)."""
    a0, a1, a2, a3, a4, a5 = matrix
    top, left, bottom, right = out
    xs, ys = [], []
    for x in (left + 0.5, right - 0.5):
        for y in (top + 0.5, bottom - 0.5):
            xs.append(a0 * x + a1 * y + a2)
            ys.append(a3 * x + a4 * y + a5)
    # taps: floor(v - 0.5) - 1 .. + 2; one more pixel each side for rounding
    lo_x, hi_x = math.floor(min(xs)) - 3, math.floor(max(xs)) + 4
    lo_y, hi_y = math.floor(min(ys)) - 3, math.floor(max(ys)) + 4
    lo_x, lo_y = min(max(lo_x, 0), width - 1), min(max(lo_y, 0), height - 1)
    return lo_y, lo_x, max(min(hi_y, height), lo_y + 1), max(min(hi_x, width), lo_x + 1)


@njit(cache=True, nogil=True)
def _cubic(v1: float, v2: float, v3: float, v4: float, d: float) -> float:
    p1 = v2
    p2 = -v1 + v3
    p3 = 2 * (v1 - v2) + v3 - v4
    p4 = -v1 + v2 - v3 + v4
    return p1 + d * (p2 + d * (p3 + d * p4))


@njit(cache=True, nogil=True, inline="always")
def _row(src, f, r, c0, c1, c2, c3, b, dx):  # pragma: no cover - jitted
    """Pillow's cubic along one source row (at d = 0 it is p1 + 0 * (...): the second tap, exactly)."""
    if dx == 0.0:
        return float(src[f, r, c1, b])
    return _cubic(float(src[f, r, c0, b]), float(src[f, r, c1, b]), float(src[f, r, c2, b]),
                  float(src[f, r, c3, b]), dx)  # fmt: skip


@njit(cache=True, nogil=True)
def _warp(src, src_top, src_left, width, height, a, out, out_top, out_left, fill):  # pragma: no cover - jitted
    n, oh, ow, bands = out.shape
    a0, a1, a2, a3, a4, a5 = a[0], a[1], a[2], a[3], a[4], a[5]
    for y in range(oh):
        for x in range(ow):
            # affine_transform, at the pixel's coordinates in the whole output
            xo = float(x + out_left) + 0.5
            yo = float(y + out_top) + 0.5
            xin = a0 * xo + a1 * yo + a2
            yin = a3 * xo + a4 * yo + a5
            if xin < 0.0 or xin >= width or yin < 0.0 or yin >= height:
                for f in range(n):
                    for b in range(bands):
                        out[f, y, x, b] = fill[b]
                continue
            # BICUBIC_HEAD
            xin -= 0.5
            yin -= 0.5
            ix = int(math.floor(xin)) if xin < 0.0 else int(xin)
            iy = int(math.floor(yin)) if yin < 0.0 else int(yin)
            dx = xin - ix
            dy = yin - iy
            ix -= 1
            iy -= 1
            # BICUBIC_BODY: XCLIP on the columns, YCLIP on the first row, later rows out of range repeat the last
            c0 = (0 if ix < 0 else (ix if ix < width else width - 1)) - src_left
            c1 = (0 if ix + 1 < 0 else (ix + 1 if ix + 1 < width else width - 1)) - src_left
            c2 = (0 if ix + 2 < 0 else (ix + 2 if ix + 2 < width else width - 1)) - src_left
            c3 = (0 if ix + 3 < 0 else (ix + 3 if ix + 3 < width else width - 1)) - src_left
            r0 = (0 if iy < 0 else (iy if iy < height else height - 1)) - src_top
            r1, r2, r3 = iy + 1 - src_top, iy + 2 - src_top, iy + 3 - src_top
            has1 = 0 <= iy + 1 < height
            has2 = 0 <= iy + 2 < height
            has3 = 0 <= iy + 3 < height
            single_row = dy == 0.0 and has1  # the column cubic at d = 0: its second value, exactly
            for f in range(n):
                for b in range(bands):
                    if single_row:
                        v = _row(src, f, r1, c0, c1, c2, c3, b, dx)
                    else:
                        v1 = _row(src, f, r0, c0, c1, c2, c3, b, dx)
                        v2 = _row(src, f, r1, c0, c1, c2, c3, b, dx) if has1 else v1
                        v3 = _row(src, f, r2, c0, c1, c2, c3, b, dx) if has2 else v2
                        v4 = _row(src, f, r3, c0, c1, c2, c3, b, dx) if has3 else v3
                        v = _cubic(v1, v2, v3, v4, dy)
                    if v <= 0.0:
                        out[f, y, x, b] = 0
                    elif v >= 255.0:
                        out[f, y, x, b] = 255
                    else:
                        out[f, y, x, b] = np.uint8(int(v))


def warp_window(
    src: np.ndarray, src_box: Box, matrix: tuple[float, ...], out_box: Box, size: tuple[int, int], fill: np.ndarray
) -> np.ndarray:
    """Window ``out_box`` of ``Image.transform(size, AFFINE, matrix, BICUBIC, fillcolor=fill)`` of every frame,
    from ``src`` ``uint8 [N, h, w, C]``, the frames' window ``src_box`` (which must hold
    :func:`source_window` of ``out_box``)."""
    top, left, bottom, right = out_box
    out = np.empty((src.shape[0], bottom - top, right - left, src.shape[3]), dtype=np.uint8)
    width, height = size
    _warp(np.ascontiguousarray(src), src_box[0], src_box[1], width, height, np.asarray(matrix, dtype=np.float64),
          out, top, left, fill)  # fmt: skip
    return out
