"""The V-JEPA frozen evaluations' training augmentation, ported so a seeded numpy generator drives it.

The reference (facebookresearch/jepa and the FER fork lennarteingunia/vjepa-for-fer,
``evals/video_classification_frozen/utils.py`` ``VideoTransform.__call__``) applies to each 16-frame segment
separately, in this order:

1. RandAugment ``rand-m7-n4-mstd0.5-inc1`` on the PIL frames, bicubic, grey fill (128, 128, 128): 4 ops drawn
   with replacement from the 15 "increasing" ops, each applied with p = 0.5 at a magnitude drawn from
   N(7, 0.5) clipped to [0, 10], with the same parameters on every frame of the segment
   (``src/datasets/utils/video/randaugment.py``, a copy of timm's ``auto_augment.py``);
2. ``ToTensor`` and ImageNet normalisation;
3. a random-resized crop (scale, log-uniform ratio, 10 tries, then the centred fallback) resized with
   ``F.interpolate(bilinear, align_corners=False)`` (``transforms.py`` ``random_resized_crop``);
4. a horizontal flip with p = 0.5 when enabled (the frozen evaluations disable it);
5. random erasing (``randerase.py``, mode ``pixel``, one box, ``cube``: the same box on every frame, per-pixel
   N(0, 1) values), with probability ``erase_prob``.

The reference draws its random numbers from Python's ``random`` and numpy's global state without a seed; here
every draw comes, in the reference's order, from the ``numpy.random.Generator`` given, so one seed gives one
view. The distributions are the reference's.

Only the crop's pixels are computed: the crop box is drawn right after RandAugment's parameters (the reference's
order), and each op runs on the window of its output that later steps read (:func:`ops_on_window`), the affine
warps through an exact port of Pillow's bicubic transform (:mod:`affectlab.fer.data.pil_affine`), Sharpness
through one of its 3 x 3 smoothing and blend (:mod:`affectlab.fer.data.pil_sharpness`); AutoContrast, Equalize
and Contrast count the whole frames' histograms and map only the window (:mod:`affectlab.fer.data.pil_statistics`),
the normalisation and resize run frame by frame (:func:`normalise_resize`). The output is
bit-identical to the reference's whole-frame order (tested on real RAVDESS and CREMA-D frames).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

import cv2
import numpy as np
import torch
from numba import njit
from PIL import Image, ImageEnhance, ImageOps

from affectlab.errors import AffectlabError

MAX_LEVEL = 10.0
FILL = (128, 128, 128)
TRANSLATE_PCT = 0.45

# The RandAugment op lists of the reference ("inc1" selects the increasing-severity variants).
RAND_TRANSFORMS = ("AutoContrast", "Equalize", "Invert", "Rotate", "Posterize", "Solarize", "SolarizeAdd",
                   "Color", "Contrast", "Brightness", "Sharpness", "ShearX", "ShearY", "TranslateXRel",
                   "TranslateYRel")  # fmt: skip
RAND_INCREASING_TRANSFORMS = ("AutoContrast", "Equalize", "Invert", "Rotate", "PosterizeIncreasing",
                              "SolarizeIncreasing", "SolarizeAdd", "ColorIncreasing", "ContrastIncreasing",
                              "BrightnessIncreasing", "SharpnessIncreasing", "ShearX", "ShearY", "TranslateXRel",
                              "TranslateYRel")  # fmt: skip


def _affine(img: Image.Image, matrix: tuple[float, ...]) -> Image.Image:
    return img.transform(img.size, Image.AFFINE, matrix, resample=Image.BICUBIC, fillcolor=FILL)


def _solarize_add(img: Image.Image, add: int, thresh: int = 128) -> Image.Image:
    lut = [min(255, i + add) if i < thresh else i for i in range(256)]
    return img.point(lut * 3 if img.mode == "RGB" else lut)


def _posterize(img: Image.Image, bits: int) -> Image.Image:
    """Keep ``bits`` bits; 0 bits (PosterizeIncreasing at level 10) is black, as the Pillow of the reference
    computed it (mask ``~255`` on every value), where recent Pillow raises."""
    if bits >= 8:
        return img
    return img.point([0] * 256 * len(img.getbands())) if bits < 1 else ImageOps.posterize(img, bits)


def _enhance(enhancer: type) -> Callable[[Image.Image, float], Image.Image]:
    return lambda img, factor: enhancer(img).enhance(factor)


ENHANCERS = ("Color", "Contrast", "Brightness", "Sharpness")
Op = Callable[..., Image.Image]
OPS: dict[str, Op] = {
    "AutoContrast": lambda img: ImageOps.autocontrast(img),
    "Equalize": lambda img: ImageOps.equalize(img),
    "Invert": lambda img: ImageOps.invert(img),
    "Rotate": lambda img, deg: img.rotate(deg, resample=Image.BICUBIC, fillcolor=FILL),
    "Posterize": _posterize,
    "PosterizeIncreasing": _posterize,
    "Solarize": lambda img, thresh: ImageOps.solarize(img, thresh),
    "SolarizeIncreasing": lambda img, thresh: ImageOps.solarize(img, thresh),
    "SolarizeAdd": _solarize_add,
    **{f"{name}{inc}": _enhance(getattr(ImageEnhance, name)) for name in ENHANCERS for inc in ("", "Increasing")},
    "ShearX": lambda img, f: _affine(img, (1, f, 0, 0, 1, 0)),
    "ShearY": lambda img, f: _affine(img, (1, 0, 0, f, 1, 0)),
    "TranslateXRel": lambda img, pct: _affine(img, (1, 0, pct * img.size[0], 0, 1, 0)),
    "TranslateYRel": lambda img, pct: _affine(img, (1, 0, 0, 0, 1, pct * img.size[1])),
}


def level_args(name: str, level: float, negate: Callable[[float], float]) -> tuple[float | int, ...]:
    """The op argument at ``level`` in [0, 10], as the reference's ``LEVEL_TO_ARG`` (``negate`` flips the sign
    with p = 0.5 where the reference does)."""
    base = name.removesuffix("Increasing")
    increasing = name.endswith("Increasing")
    if base in ("AutoContrast", "Equalize", "Invert"):
        return ()
    if base == "Rotate":
        return (negate(level / MAX_LEVEL * 30.0),)
    if base == "Posterize":
        bits = int(level / MAX_LEVEL * 4)
        return (4 - bits,) if increasing else (bits,)
    if base == "Solarize":
        thresh = int(level / MAX_LEVEL * 256)
        return (256 - thresh,) if increasing else (thresh,)
    if base == "SolarizeAdd":
        return (int(level / MAX_LEVEL * 110),)
    if base in ("Color", "Contrast", "Brightness", "Sharpness"):
        if increasing:
            return (1.0 + negate(level / MAX_LEVEL * 0.9),)
        return (level / MAX_LEVEL * 1.8 + 0.1,)
    if base in ("ShearX", "ShearY"):
        return (negate(level / MAX_LEVEL * 0.3),)
    if base in ("TranslateXRel", "TranslateYRel"):
        return (negate(level / MAX_LEVEL * TRANSLATE_PCT),)
    raise AffectlabError(f"unknown RandAugment op {name!r}")


class RandAugment:
    """timm-style RandAugment of a config string ``rand-mM-nN-mstdS-incI`` applied to a list of frames."""

    def __init__(self, config: str) -> None:
        parts = config.split("-")
        if parts[0] != "rand":
            raise AffectlabError(f"RandAugment config {config!r}: expected it to start with 'rand-'")
        self.magnitude, self.num_ops, self.magnitude_std, increasing = MAX_LEVEL, 2, 0.0, False
        for part in parts[1:]:
            pieces = re.split(r"(\d.*)", part)
            if len(pieces) < 2:  # no number: skipped, as the reference does
                continue
            key, value = pieces[:2]
            if key == "m":
                self.magnitude = int(value)
            elif key == "n":
                self.num_ops = int(value)
            elif key == "mstd":
                self.magnitude_std = float(value)
            elif key == "inc":
                increasing = bool(int(value))  # the reference's bool("0") is True; inc0 means off here
            else:
                raise AffectlabError(f"RandAugment config {config!r}: unknown part {part!r} (m, n, mstd, inc)")
        self.ops = RAND_INCREASING_TRANSFORMS if increasing else RAND_TRANSFORMS

    def draw(self, rng: np.random.Generator) -> list[tuple[str, tuple[float | int, ...]]]:
        """The ops applied to one segment and their arguments (the reference's order of random draws:
        choice of ops; then per op: apply?, magnitude, sign)."""
        names = [self.ops[i] for i in rng.integers(0, len(self.ops), size=self.num_ops)]
        chosen = []
        for name in names:
            if rng.random() > 0.5:
                continue
            level = rng.normal(self.magnitude, self.magnitude_std) if self.magnitude_std > 0 else self.magnitude
            level = min(MAX_LEVEL, max(0.0, level))
            chosen.append((name, level_args(name, level, lambda v: -v if rng.random() > 0.5 else v)))
        return chosen

    def __call__(self, frames: Sequence[Image.Image], rng: np.random.Generator) -> list[Image.Image]:
        out = list(frames)
        for name, args in self.draw(rng):
            out = [OPS[name](img, *args) for img in out]
        return out


# How much of an op's input a window of its output needs: pointwise ops the same window; Sharpness (a 3 x 3
# smoothing, border pixels copied) one pixel more; ops with whole-image statistics (histograms, the mean) the
# whole frame (their tables are built from it, then applied to the window alone); the affine warps the window's
# source footprint (:func:`~affectlab.fer.data.pil_affine.source_window`).
POINTWISE = {"Invert", "Posterize", "PosterizeIncreasing", "Solarize", "SolarizeIncreasing", "SolarizeAdd",
             "Color", "ColorIncreasing", "Brightness", "BrightnessIncreasing"}  # fmt: skip
NEIGHBOURHOOD = {"Sharpness", "SharpnessIncreasing"}
# Pointwise ops whose output channel value depends on that channel's input value alone (Pillow's ``point``
# tables, and Brightness's blend with black): one 256-entry table per channel, read off a ramp of every value.
VALUE_MAPS = POINTWISE - {"Color", "ColorIncreasing"}


def value_table(name: str, args: tuple) -> np.ndarray:
    """``uint8 [256, 1, 3]`` (a ``cv2.LUT`` table): op ``name`` applied by Pillow to a pixel of each value."""
    ramp = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2)
    return np.asarray(OPS[name](Image.fromarray(ramp), *args)).reshape(256, 1, 3)


def affine_matrix(name: str, args: tuple, width: int, height: int) -> tuple[float, ...] | None:
    """The inverse map of a geometric op, as the op passes it to Pillow; None for the other ops (and for
    rotations by multiples of 90 degrees, which Pillow does without resampling)."""
    from affectlab.fer.data.pil_affine import rotate_matrix

    if name == "Rotate":
        return rotate_matrix(args[0], width, height)
    matrices = {"ShearX": (1, args[0], 0, 0, 1, 0) if args else None,
                "ShearY": (1, 0, 0, args[0], 1, 0) if args else None,
                "TranslateXRel": (1, 0, args[0] * width, 0, 1, 0) if args else None,
                "TranslateYRel": (1, 0, 0, 0, 1, args[0] * height) if args else None}  # fmt: skip
    return matrices.get(name)


def ops_on_window(frames: np.ndarray, ops: Sequence[tuple[str, tuple]], box: tuple[int, int, int, int]) -> np.ndarray:
    """Window ``box`` (top, left, height, width) of RandAugment's ``ops`` applied to every frame ``uint8
    [T, H, W, 3]``, computed from only the pixels it depends on; bit-identical to applying the ops to whole
    frames (the reference) and cropping after."""
    from affectlab.fer.data.pil_affine import source_window, warp_window
    from affectlab.fer.data.pil_sharpness import sharpen_window
    from affectlab.fer.data.pil_statistics import STATISTICS, statistics_tables

    height, width = frames.shape[1:3]
    top, left, h, w = box
    matrices = [affine_matrix(name, args, width, height) for name, args in ops]
    windows = [(top, left, top + h, left + w)]  # windows[i]: the part of op i's output that is needed
    whole = (0, 0, height, width)
    for (name, _), matrix in zip(reversed(ops), reversed(matrices), strict=True):
        out = windows[-1]
        if matrix is not None:
            windows.append(source_window(matrix, out, width, height))
        elif name in POINTWISE:
            windows.append(out)
        elif name in NEIGHBOURHOOD:
            windows.append((max(out[0] - 1, 0), max(out[1] - 1, 0), min(out[2] + 1, height), min(out[3] + 1, width)))
        else:
            windows.append(whole)
    windows.reverse()  # windows[i]: op i's input window, windows[i + 1]: its output window
    first = windows[0]
    x = frames[:, first[0] : first[2], first[1] : first[3]]
    fill = np.asarray(FILL, dtype=np.uint8)
    for (name, args), matrix, src, out in zip(ops, matrices, windows[:-1], windows[1:], strict=True):
        if matrix is not None:
            x = warp_window(x, src, matrix, out, (width, height), fill)
            continue
        if name in VALUE_MAPS:  # all frames in one table look-up
            x = cv2.LUT(np.ascontiguousarray(x).reshape(-1, *x.shape[2:]), value_table(name, args)).reshape(x.shape)
            continue
        if name in NEIGHBOURHOOD:
            x = sharpen_window(x, src, args[0], out, (width, height))
            continue
        if name in STATISTICS:  # tables from the whole frames' histograms, applied to the window only
            tables = statistics_tables(name, args, x)
            x = _inner(x, src, out)
            x = np.stack([cv2.LUT(np.ascontiguousarray(f), table) for f, table in zip(x, tables, strict=True)])
            continue
        x = _inner(np.stack([np.asarray(OPS[name](Image.fromarray(f), *args)) for f in x]), src, out)
    return x


def _inner(x: np.ndarray, src: tuple[int, int, int, int], out: tuple[int, int, int, int]) -> np.ndarray:
    """The part ``out`` (frame coordinates) of frames ``x`` that cover the window ``src``."""
    return x[:, out[0] - src[0] : out[2] - src[0], out[1] - src[1] : out[3] - src[1]]


def crop_box(
    height: int, width: int, scale: tuple[float, float], ratio: tuple[float, float], rng: np.random.Generator
) -> tuple[int, int, int, int]:
    """``(top, left, h, w)`` of a random-resized crop, as the reference's ``_get_param_spatial_crop``."""
    area = height * width
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target = rng.uniform(*scale) * area
        aspect = math.exp(rng.uniform(*log_ratio))
        w, h = round(math.sqrt(target * aspect)), round(math.sqrt(target / aspect))
        if 0 < w <= width and 0 < h <= height:
            return int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1)), h, w
    in_ratio = width / height
    if in_ratio < min(ratio):
        w, h = width, round(width / min(ratio))
    elif in_ratio > max(ratio):
        w, h = round(height * max(ratio)), height
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


def erase_box(
    height: int, width: int, rng: np.random.Generator, area: tuple[float, float] = (0.02, 1 / 3), min_aspect=0.3
) -> tuple[int, int, int, int] | None:
    """``(top, left, h, w)`` of the random-erasing box (100 tries, as the reference's cube mode), or None."""
    log_aspect = (math.log(min_aspect), math.log(1 / min_aspect))
    for _ in range(100):
        target = rng.uniform(*area) * height * width
        aspect = math.exp(rng.uniform(*log_aspect))
        h, w = round(math.sqrt(target * aspect)), round(math.sqrt(target / aspect))
        if w < width and h < height:
            return int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1)), h, w
    return None


def normalise_table(mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """``float32 [C, 256]``: ``(v / 255 - mean) / std`` of every value ``v``, by torch's float32 operations."""
    ramp = torch.arange(256, dtype=torch.float32).expand(len(mean), 256).contiguous()
    return ramp.div_(255.0).sub_(torch.tensor(mean).view(-1, 1)).div_(torch.tensor(std).view(-1, 1))


@njit(cache=True, nogil=True)
def _planes_from_table(frame, table, out):  # pragma: no cover - jitted
    """``frame`` ``uint8 [h, w, 3]`` -> ``out`` ``float32 [3, h, w]``, each value through its channel's table."""
    height, width = frame.shape[:2]
    t0, t1, t2 = table[0], table[1], table[2]
    for y in range(height):
        row, o0, o1, o2 = frame[y], out[0, y], out[1, y], out[2, y]
        for x in range(width):
            o0[x] = t0[row[x, 0]]
            o1[x] = t1[row[x, 1]]
            o2[x] = t2[row[x, 2]]


def normalise_resize(
    frames: np.ndarray, size: int, mean: Sequence[float], std: Sequence[float], out: torch.Tensor | None = None
) -> torch.Tensor:
    """``uint8 [T, h, w, 3]`` -> ``float32 [3, T, size, size]``: ``ToTensor``, ``Normalize`` and the bilinear
    resize (``align_corners=False``), frame by frame through one reused buffer (the resize treats every channel
    of every frame as its own plane, and the normalisation is elementwise: one table per channel gives its bits),
    so a segment's float copy never exists whole; written into ``out`` when given."""
    table = normalise_table(mean, std).numpy()
    n, height, width, bands = frames.shape
    out = torch.empty((bands, n, size, size), dtype=torch.float32) if out is None else out
    plane = torch.empty((bands, 1, height, width), dtype=torch.float32)
    resized = torch.empty((bands, 1, size, size), dtype=torch.float32)
    for t in range(n):
        _planes_from_table(frames[t], table, plane[:, 0].numpy())
        torch._C._nn.upsample_bilinear2d(plane, (size, size), False, None, None, out=resized)  # F.interpolate's
        out[:, t : t + 1].copy_(resized)
    return out


def vjepa_segment(
    frames: np.ndarray,
    size: int,
    rng: np.random.Generator,
    *,
    randaugment: RandAugment | None,
    scale: tuple[float, float],
    ratio: tuple[float, float],
    flip: bool,
    erase_prob: float,
    mean: Sequence[float],
    std: Sequence[float],
    out: torch.Tensor | None = None,
) -> torch.Tensor:
    """One segment ``uint8 [T, H, W, 3]`` -> normalised ``float32 [C, T, size, size]`` (the module docstring's
    steps 1-5), written into ``out`` when given (a contiguous tensor of that shape: no copy into a batch)."""
    ops = randaugment.draw(rng) if randaugment is not None else []
    box = crop_box(frames.shape[1], frames.shape[2], scale, ratio, rng)  # RandAugment keeps the frame size
    # RandAugment's ops and the normalisation only on the pixels the crop keeps: the values the whole frames get
    x = normalise_resize(ops_on_window(frames, ops, box), size, mean, std, out)
    if flip and rng.random() < 0.5:
        x = x.flip(-1) if out is None else out.copy_(out.flip(-1))
    if erase_prob > 0 and not rng.random() > erase_prob:
        box = erase_box(size, size, rng)
        if box is not None:
            top, left, h, w = box
            noise = rng.standard_normal((x.shape[1], x.shape[0], h, w), dtype=np.float32)  # per frame: C h w
            x[:, :, top : top + h, left : left + w] = torch.from_numpy(noise).permute(1, 0, 2, 3)
    return x
