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


@njit(cache=True, nogil=True)
def _warp(src, src_top, src_left, width, height, a, out, out_top, out_left, fill):  # pragma: no cover - jitted
    """``src`` ``[h, w, C, N]``, ``out`` ``[oh, ow, C, N]``: frames innermost, so each pixel's arithmetic runs
    over the frames in SIMD lanes (one source point per pixel for all frames)."""
    oh, ow, bands, n = out.shape
    a0, a1, a2, a3, a4, a5 = a[0], a[1], a[2], a[3], a[4], a[5]
    for y in range(oh):
        for x in range(ow):
            # affine_transform, at the pixel's coordinates in the whole output
            xo = float(x + out_left) + 0.5
            yo = float(y + out_top) + 0.5
            xin = a0 * xo + a1 * yo + a2
            yin = a3 * xo + a4 * yo + a5
            if xin < 0.0 or xin >= width or yin < 0.0 or yin >= height:
                for b in range(bands):
                    out[y, x, b, :] = fill[b]
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
            # BICUBIC_BODY: XCLIP on the columns, YCLIP on the first row; a later row out of range repeats the
            # previous row's value
            c0 = (0 if ix < 0 else (ix if ix < width else width - 1)) - src_left
            c1 = (0 if ix + 1 < 0 else (ix + 1 if ix + 1 < width else width - 1)) - src_left
            c2 = (0 if ix + 2 < 0 else (ix + 2 if ix + 2 < width else width - 1)) - src_left
            c3 = (0 if ix + 3 < 0 else (ix + 3 if ix + 3 < width else width - 1)) - src_left
            r0 = (0 if iy < 0 else (iy if iy < height else height - 1)) - src_top
            r1 = iy + 1 - src_top if 0 <= iy + 1 < height else -1
            r2 = iy + 2 - src_top if 0 <= iy + 2 < height else -1
            r3 = iy + 3 - src_top if 0 <= iy + 3 < height else -1
            for b in range(bands):
                o = out[y, x, b]
                if dy == 0.0 and r1 >= 0:  # the column cubic at d = 0 is p1 + 0 * (...): its second value
                    row = src[r1, :, b]
                    if dx == 0.0:  # and so is the row cubic
                        o[:] = row[c1]
                        continue
                    for f in range(n):
                        v = _cubic(float(row[c0, f]), float(row[c1, f]), float(row[c2, f]), float(row[c3, f]), dx)
                        o[f] = np.uint8(int(min(max(v, 0.0), 255.0)))  # Pillow's clamp, then truncation
                    continue
                q0 = src[r0, :, b]
                q1 = src[r1, :, b] if r1 >= 0 else q0
                q2 = src[r2, :, b] if r2 >= 0 else q1
                q3 = src[r3, :, b] if r3 >= 0 else q2
                if dx == 0.0:  # each row cubic is its second value
                    for f in range(n):
                        v = _cubic(float(q0[c1, f]), float(q1[c1, f]), float(q2[c1, f]), float(q3[c1, f]), dy)
                        o[f] = np.uint8(int(min(max(v, 0.0), 255.0)))
                    continue
                for f in range(n):
                    v1 = _cubic(float(q0[c0, f]), float(q0[c1, f]), float(q0[c2, f]), float(q0[c3, f]), dx)
                    v2 = _cubic(float(q1[c0, f]), float(q1[c1, f]), float(q1[c2, f]), float(q1[c3, f]), dx)
                    v3 = _cubic(float(q2[c0, f]), float(q2[c1, f]), float(q2[c2, f]), float(q2[c3, f]), dx)
                    v4 = _cubic(float(q3[c0, f]), float(q3[c1, f]), float(q3[c2, f]), float(q3[c3, f]), dx)
                    v = _cubic(v1, v2, v3, v4, dy)
                    o[f] = np.uint8(int(min(max(v, 0.0), 255.0)))


def warp_window(
    src: np.ndarray, src_box: Box, matrix: tuple[float, ...], out_box: Box, size: tuple[int, int], fill: np.ndarray
) -> np.ndarray:
    """Window ``out_box`` of ``Image.transform(size, AFFINE, matrix, BICUBIC, fillcolor=fill)`` of every frame,
    from ``src`` ``uint8 [N, h, w, C]``, the frames' window ``src_box`` (which must hold
    :func:`source_window` of ``out_box``)."""
    top, left, bottom, right = out_box
    n, bands = src.shape[0], src.shape[3]
    out = np.empty((bottom - top, right - left, bands, n), dtype=np.uint8)
    width, height = size
    frames_last = np.ascontiguousarray(src.transpose(1, 2, 3, 0))
    _warp(frames_last, src_box[0], src_box[1], width, height, np.asarray(matrix, dtype=np.float64), out, top, left,
          fill)  # fmt: skip
    return out.transpose(3, 0, 1, 2)
