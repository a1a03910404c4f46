"""The ported V-JEPA training augmentation on hand-checked cases: RandAugment's op list, levels, draw order and
ops; the random-resized crop's box and fallback; random erasing's cube box; the whole per-segment transform; and
RandAugment computed on the crop's window only, bit for bit against Pillow on whole real frames."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from affectlab.errors import AffectlabError
from affectlab.fer.config import IMAGENET_MEAN, IMAGENET_STD
from affectlab.fer.data.augment import (
    OPS,
    RAND_INCREASING_TRANSFORMS,
    RandAugment,
    crop_box,
    erase_box,
    level_args,
    ops_on_window,
    vjepa_segment,
)


def test_config_string_as_the_reference_parses_it() -> None:
    ra = RandAugment("rand-m7-n4-mstd0.5-inc1")
    assert (ra.magnitude, ra.num_ops, ra.magnitude_std) == (7, 4, 0.5)
    assert ra.ops == RAND_INCREASING_TRANSFORMS and len(ra.ops) == 15 and ra.ops[4] == "PosterizeIncreasing"
    assert RandAugment("rand-m9-n2").ops[4] == "Posterize"
    with pytest.raises(AffectlabError, match="unknown part"):
        RandAugment("rand-m7-q3")


@pytest.mark.parametrize(
    ("name", "args"),
    [("Rotate", (21.0,)), ("PosterizeIncreasing", (2,)), ("SolarizeIncreasing", (77,)), ("SolarizeAdd", (77,)),
     ("ColorIncreasing", (1.63,)), ("Brightness", (1.36,)), ("ShearX", (0.21,)), ("TranslateYRel", (0.315,)),
     ("Equalize", ())],
)  # fmt: skip
def test_levels_at_magnitude_7(name: str, args: tuple) -> None:
    # 7/10 of: 30 degrees; 4 bits kept -> 4 - int(2.8); threshold 256 - int(179.2); add int(77.0); 1 + 0.63;
    # 0.1 + 0.7 * 1.8; 0.3; 0.45
    assert level_args(name, 7.0, lambda v: v) == pytest.approx(args)
    if args:
        assert level_args(name, 7.0, lambda v: -v)[0] in (args[0], pytest.approx(-args[0]), pytest.approx(2 - args[0]))


class Scripted:
    """A generator that returns scripted values, to check the order and use of every random draw."""

    def __init__(self, ints, uniforms, normals) -> None:
        self.ints, self.uniforms, self.normals = ints, list(uniforms), list(normals)

    def integers(self, low, high, size=None):
        return np.asarray(self.ints)

    def random(self):
        return self.uniforms.pop(0)

    def normal(self, mean, std):
        return self.normals.pop(0)


def test_draws_follow_the_reference_order() -> None:
    ra = RandAugment("rand-m7-n4-mstd0.5-inc1")
    # ops Rotate, Invert, ShearX, SolarizeAdd; per op: apply if random <= 0.5, magnitude ~ N(7, 0.5), sign
    rng = Scripted([3, 2, 11, 6], [0.1, 0.9, 0.7, 0.2, 0.3, 0.4, 0.6], [7.5, 12.0, 6.0])
    assert ra.draw(rng) == [("Rotate", (pytest.approx(-22.5),)), ("ShearX", (pytest.approx(0.3),)),
                            ("SolarizeAdd", (66,))]  # fmt: skip
    # Rotate: applied (0.1), level 7.5 -> 22.5, negated (0.9 > 0.5); Invert skipped (0.7); ShearX applied (0.2),
    # level 12 clipped to 10 -> 0.3, kept (0.3); SolarizeAdd applied (0.4), level 6 -> int(66.0), no sign draw


def _img(values: np.ndarray) -> Image.Image:
    return Image.fromarray(np.repeat(values.astype(np.uint8)[..., None], 3, axis=2))


def test_ops_on_hand_checked_images() -> None:
    line = np.zeros((4, 8))
    line[:, 4] = 255
    moved = np.asarray(OPS["TranslateXRel"](_img(line), 0.25))[..., 0]  # 0.25 x 8 = 2 px to the left
    assert (moved[:, 2] == 255).all() and (moved[:, [0, 1, 3, 4, 5]] == 0).all() and (moved[:, 6:] == 128).all()
    px = np.array([[60, 100, 127, 128], [190, 200, 250, 255]])
    assert np.asarray(OPS["SolarizeAdd"](_img(px), 77))[..., 0].tolist() == [[137, 177, 204, 128], [190, 200, 250, 255]]
    assert np.asarray(OPS["PosterizeIncreasing"](_img(px), 2))[..., 0].tolist() == [
        [0, 64, 64, 128],
        [128, 192, 192, 192],
    ]
    assert np.asarray(OPS["SolarizeIncreasing"](_img(px), 128))[..., 0].tolist() == [[60, 100, 127, 127],
                                                                                    [65, 55, 5, 0]]  # fmt: skip
    assert np.asarray(OPS["Invert"](_img(px)))[0, 0, 0] == 195
    square = np.arange(9).reshape(3, 3) * 20
    turned = np.asarray(OPS["Rotate"](_img(square), 90.0))[..., 0]  # counter-clockwise: top-right -> top-left
    assert turned.tolist() == np.rot90(square).tolist()


def test_posterize_to_zero_bits_is_black() -> None:
    # level 10 (a magnitude draw clipped at 10) keeps 4 - int(4.0) = 0 bits: the reference's Pillow masked every
    # value with ~255; recent Pillow raises instead
    assert level_args("PosterizeIncreasing", 10.0, lambda v: v) == (0,)
    out = np.asarray(OPS["PosterizeIncreasing"](_img(np.array([[0, 17, 128, 255]])), 0))
    assert out.shape == (1, 4, 3) and not out.any()


def test_crop_box_and_its_centred_fallback() -> None:
    rng = np.random.default_rng(0)
    # area 200 at ratio 1 needs 14 x 14: never fits a 10 x 20 frame, so the fallback: ratio clamped to 1, centred
    assert crop_box(10, 20, (1.0, 1.0), (1.0, 1.0), rng) == (0, 5, 10, 10)
    top, left, h, w = crop_box(8, 8, (0.25, 0.25), (1.0, 1.0), np.random.default_rng(1))
    assert (h, w) == (4, 4) and 0 <= top <= 4 and 0 <= left <= 4
    boxes = {crop_box(8, 8, (0.25, 0.25), (1.0, 1.0), np.random.default_rng(s))[:2] for s in range(200)}
    assert boxes == {(t, u) for t in range(5) for u in range(5)}  # both ends of the range reached


def test_erase_box_bounds() -> None:
    for seed in range(100):
        top, left, h, w = erase_box(32, 32, np.random.default_rng(seed))
        assert 0 < h < 32 and 0 < w < 32 and top + h <= 32 and left + w <= 32
        assert 0.02 * 1024 * 0.8 <= h * w <= 1024 / 3 * 1.2 and 0.3 * 0.7 <= h / w <= 1 / 0.3 * 1.3


def _segment(**options) -> tuple[np.ndarray, torch.Tensor]:
    frames = np.random.default_rng(0).integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)
    kwargs = {"randaugment": None, "scale": (1.0, 1.0), "ratio": (1.0, 1.0), "flip": False, "erase_prob": 0.0,
              "mean": IMAGENET_MEAN, "std": IMAGENET_STD}  # fmt: skip
    return frames, vjepa_segment(frames, 16, np.random.default_rng(5), **{**kwargs, **options})


def test_segment_without_randomness_is_the_normalised_frames() -> None:
    frames, out = _segment()
    expected = (torch.from_numpy(frames).float() / 255 - torch.tensor(IMAGENET_MEAN)) / torch.tensor(IMAGENET_STD)
    assert out.shape == (3, 3, 16, 16)
    torch.testing.assert_close(out, expected.permute(3, 0, 1, 2), rtol=0, atol=1e-6)


def test_erasing_is_one_box_on_every_frame_with_fresh_noise() -> None:
    _, clean = _segment()
    _, erased = _segment(erase_prob=1.0)
    changed = (erased != clean).any(dim=0)  # [T, H, W]
    assert changed.any() and all(torch.equal(changed[0], changed[t]) for t in range(3))  # cube: the same box
    box = erased[:, :, changed[0]]
    assert not torch.equal(box[:, 0], box[:, 1])  # per-frame, per-pixel N(0, 1) values


def _segment_as_first_written(frames, size, rng, *, randaugment, scale, ratio, flip, erase_prob, mean, std):
    """The per-segment transform as it was first written (every op on whole frames, the whole frame normalised
    before the crop): the faster one must give the same bits."""
    if randaugment is not None:
        frames = np.stack([np.asarray(im) for im in randaugment([Image.fromarray(f) for f in frames], rng)])
    x = torch.from_numpy(np.ascontiguousarray(frames)).float().div_(255.0)
    x = ((x - torch.tensor(mean)) / torch.tensor(std)).permute(3, 0, 1, 2)
    top, left, h, w = crop_box(x.shape[2], x.shape[3], scale, ratio, rng)
    x = torch.nn.functional.interpolate(x[:, :, top : top + h, left : left + w], size=(size, size), mode="bilinear")
    if flip and rng.random() < 0.5:
        x = x.flip(-1)
    if erase_prob > 0 and not rng.random() > erase_prob:
        box = erase_box(size, size, rng)
        if box is not None:
            top, left, h, w = box
            noise = rng.standard_normal((x.shape[1], x.shape[0], h, w), dtype=np.float32)
            x[:, :, top : top + h, left : left + w] = torch.from_numpy(noise).permute(1, 0, 2, 3)
    return x.contiguous()


@pytest.mark.parametrize("seed", range(12))
def test_segment_is_bit_identical_to_the_whole_frame_transform(seed: int) -> None:
    frames = np.random.default_rng(100 + seed).integers(0, 256, size=(4, 45, 61, 3), dtype=np.uint8)
    frames[:, :20] //= 3  # some structure for the histogram ops
    options = {"randaugment": RandAugment("rand-m7-n4-mstd0.5-inc1"), "scale": (0.08, 1.0), "ratio": (3 / 4, 4 / 3),
               "flip": True, "erase_prob": 0.5, "mean": IMAGENET_MEAN, "std": IMAGENET_STD}  # fmt: skip
    want = _segment_as_first_written(frames, 24, np.random.default_rng(seed), **options)
    assert torch.equal(vjepa_segment(frames, 24, np.random.default_rng(seed), **options), want)
    out = torch.full((3, 4, 24, 24), float("nan"))  # written in place, flipped and erased there too
    assert vjepa_segment(frames, 24, np.random.default_rng(seed), **options, out=out).data_ptr() == out.data_ptr()
    assert torch.equal(out, want)


# --- RandAugment on a window (the crop's pixels only) against Pillow on whole real frames ----------------------

RAVDESS_CLIP = "face_video/ravdess/Actor_01/01-01-01-01-01-01-01.mp4"
CREMA_D_CLIP = "face_video/crema_d/1001_DFA_HAP_XX.flv"


@pytest.fixture(scope="module")
def real_frames(shared_data) -> dict[str, np.ndarray]:
    """Two frames of a 480x360 CREMA-D clip and of a 1280x720 RAVDESS clip, as decoded."""
    from affectlab.fer.data.video import decode_frames

    return {"crema-d": decode_frames(shared_data / CREMA_D_CLIP, [10, 40]),
            "ravdess": decode_frames(shared_data / RAVDESS_CLIP, [20, 60])}  # fmt: skip


def _whole_frames(frames: np.ndarray, ops: list) -> np.ndarray:
    """The oracle: Pillow's ops on the whole frames, as the reference applies them."""
    images = [Image.fromarray(f) for f in frames]
    for name, args in ops:
        images = [OPS[name](im, *args) for im in images]
    return np.stack([np.asarray(im) for im in images])


def _windows(height: int, width: int) -> list[tuple[int, int, int, int]]:
    """Crop boxes (top, left, h, w): inside, at each edge and corner, one pixel wide, and the whole frame."""
    return [(height // 4, width // 3, height // 2, width // 3), (0, 0, height // 3, width // 2),
            (height - 50, width - 70, 50, 70), (0, width // 2, height, 1), (height // 2, 0, 1, width),
            (0, 0, height, width)]  # fmt: skip


@pytest.mark.parametrize("clip", ["crema-d", "ravdess"])
@pytest.mark.parametrize("name", RAND_INCREASING_TRANSFORMS + ("Posterize", "Solarize", "Color", "Sharpness"))
def test_each_op_on_a_window_is_pillow_on_the_whole_frame(real_frames: dict, clip: str, name: str) -> None:
    frames = real_frames[clip]
    height, width = frames.shape[1:3]
    for level, sign in [(7.3, 1.0), (9.6, -1.0), (4.2, 1.0)]:
        ops = [(name, level_args(name, level, lambda v, s=sign: s * v))]
        whole = _whole_frames(frames, ops)
        for top, left, h, w in _windows(height, width):
            got = ops_on_window(frames, ops, (top, left, h, w))
            assert np.array_equal(got, whole[:, top : top + h, left : left + w]), (ops, (top, left, h, w))


CHAINS = [
    [("Rotate", (27.4,)), ("Equalize", ()), ("ShearX", (-0.29,)), ("SharpnessIncreasing", (1.7,))],
    [("SharpnessIncreasing", (0.3,)), ("TranslateXRel", (0.41,)), ("AutoContrast", ()), ("Rotate", (-23.9,))],
    [("ShearY", (0.27,)), ("TranslateYRel", (-0.44,)), ("ContrastIncreasing", (1.62,)), ("SolarizeAdd", (77,))],
    [("Rotate", (13.0,)), ("Rotate", (-28.0,)), ("ShearX", (0.3,)), ("ShearY", (-0.3,))],
    [("PosterizeIncreasing", (2,)), ("ColorIncreasing", (0.4,)), ("Invert", ()), ("TranslateXRel", (-0.45,))],
]


@pytest.mark.parametrize("clip", ["crema-d", "ravdess"])
@pytest.mark.parametrize("chain", range(len(CHAINS)))
def test_chains_of_ops_on_a_window_are_pillow_on_the_whole_frame(real_frames: dict, clip: str, chain: int) -> None:
    # warps after warps (footprints of footprints), warps before whole-frame statistics and after Sharpness
    frames = real_frames[clip]
    whole = _whole_frames(frames, CHAINS[chain])
    for top, left, h, w in _windows(*frames.shape[1:3]):
        got = ops_on_window(frames, CHAINS[chain], (top, left, h, w))
        assert np.array_equal(got, whole[:, top : top + h, left : left + w]), (top, left, h, w)


@pytest.mark.parametrize(("clip", "seeds"), [(CREMA_D_CLIP, range(24)), (RAVDESS_CLIP, range(6))])
def test_segments_of_real_clips_are_bit_identical_to_the_whole_frame_transform(shared_data, clip, seeds) -> None:
    """The vjepa-fer settings (RandAugment, scale (0.08, 1), erasing, 384 px) on 4 frames of a real clip."""
    from affectlab.fer.data.video import decode_frames

    frames = decode_frames(shared_data / clip, [0, 4, 8, 12])
    options = {"randaugment": RandAugment("rand-m7-n4-mstd0.5-inc1"), "scale": (0.08, 1.0), "ratio": (3 / 4, 4 / 3),
               "flip": False, "erase_prob": 0.25, "mean": IMAGENET_MEAN, "std": IMAGENET_STD}  # fmt: skip
    applied = set()
    for seed in seeds:
        want = _segment_as_first_written(frames, 384, np.random.default_rng(seed), **options)
        assert torch.equal(vjepa_segment(frames, 384, np.random.default_rng(seed), **options), want), seed
        applied |= {name for name, _ in options["randaugment"].draw(np.random.default_rng(seed))}
    assert len(applied) >= 8  # the seeds exercise many of the ops, warps among them
    assert applied & {"Rotate", "ShearX", "ShearY", "TranslateXRel", "TranslateYRel"}


@pytest.mark.parametrize("seed", range(6))
def test_sharpness_on_a_window_is_pillow_on_noise_small_frames_and_every_factor_range(seed: int) -> None:
    """The numba Sharpness against Pillow's: high-contrast noise (sums and extrapolations that clamp at 0 and 255),
    frames down to 1 x 1 (all border: Pillow copies them), factors 0 and 1 (Blend's copies), inside [0, 1]
    (interpolation), above 1 and below 0 (extrapolation, clamped), on random windows touching every edge. Factor
    1.1 needs the blend in float32: in double, 155 + 1.1 * (65 - 155) truncates to 55 where Pillow gives 56."""
    from affectlab.fer.data.pil_sharpness import sharpen_window

    rng = np.random.default_rng(seed)
    for trial in range(40):
        height, width = (int(v) for v in rng.integers(1, 24, 2))
        frames = rng.integers(0, 256, (3, height, width, 3), dtype=np.uint8)
        frames[:, : height // 2] //= 9  # dark and bright neighbours
        factors = [0.0, 1.0, 1.1, rng.uniform(0, 1), rng.uniform(1, 3), rng.uniform(-1, 0)]
        factor = float(factors[trial % 6])
        whole = np.stack([np.asarray(OPS["Sharpness"](Image.fromarray(f), factor)) for f in frames])
        top, left = int(rng.integers(0, height)), int(rng.integers(0, width))
        bottom, right = int(rng.integers(top + 1, height + 1)), int(rng.integers(left + 1, width + 1))
        src = (max(top - 1, 0), max(left - 1, 0), min(bottom + 1, height), min(right + 1, width))
        window = (top, left, bottom, right)
        got = sharpen_window(frames[:, src[0] : src[2], src[1] : src[3]], src, factor, window, (width, height))
        assert np.array_equal(got, whole[:, top:bottom, left:right]), (height, width, factor, window)


@pytest.mark.parametrize("clip", ["crema-d", "ravdess"])
def test_normalise_resize_frame_by_frame_is_the_whole_segment_torch_path(real_frames: dict, clip: str) -> None:
    """ToTensor, Normalize and F.interpolate on the whole segment (the reference) against the per-frame tables and
    resize: windows shrunk and enlarged, odd sizes, into a given tensor and a new one."""
    from affectlab.fer.data.augment import normalise_resize

    frames = real_frames[clip]
    height, width = frames.shape[1:3]
    for (top, left, h, w), size in zip(_windows(height, width), [384, 97, 64, 33, 384, 224], strict=True):
        window = frames[:, top : top + h, left : left + w]
        x = torch.from_numpy(np.ascontiguousarray(window.transpose(3, 0, 1, 2))).float().div(255.0)
        x = (x - torch.tensor(IMAGENET_MEAN).view(3, 1, 1, 1)) / torch.tensor(IMAGENET_STD).view(3, 1, 1, 1)
        want = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
        assert torch.equal(normalise_resize(window, size, IMAGENET_MEAN, IMAGENET_STD), want), (h, w, size)
        out = torch.full(want.shape, float("nan"))
        assert normalise_resize(window, size, IMAGENET_MEAN, IMAGENET_STD, out) is out and torch.equal(out, want)


def test_luma_histogram_is_pillows_convert_l_on_every_colour() -> None:
    """All 2^24 colours in one 4096 x 4096 frame: the L histogram counted in one pass is Pillow's own."""
    from affectlab.fer.data.pil_statistics import histograms

    rgb = np.arange(1 << 24, dtype=np.uint32)
    frame = np.stack([(rgb >> 16) & 255, (rgb >> 8) & 255, rgb & 255], axis=-1).astype(np.uint8).reshape(4096, 4096, 3)
    counts = histograms(frame[None], with_luma=True)[0]
    image = Image.fromarray(frame)
    assert counts[:3].ravel().tolist() == image.histogram()
    assert counts[3].tolist() == image.convert("L").histogram()


@pytest.mark.parametrize("name", ["AutoContrast", "Equalize", "Contrast", "ContrastIncreasing"])
def test_statistics_ops_tables_are_pillow_on_whole_frames(real_frames: dict, name: str) -> None:
    """Tables built by Pillow's code from the histograms against Pillow on whole frames: real frames, a constant
    frame (AutoContrast and Equalize leave it), two values (Equalize's table reaches 547 above the first value,
    which Image.point clips to 255), a narrow range (AutoContrast's stretch), and contrast factors inside and
    outside [0, 1]."""
    from affectlab.fer.data.pil_statistics import statistics_tables

    rng = np.random.default_rng(3)
    made = np.stack([np.full((40, 41, 3), 77, np.uint8), rng.choice([3, 250], (40, 41, 3)).astype(np.uint8),
                     rng.integers(100, 131, (40, 41, 3), dtype=np.uint8)])  # fmt: skip
    for frames in [*real_frames.values(), made]:
        for factor in [0.0, 0.37, 1.0, 1.63, 1.9] if name.startswith("Contrast") else [None]:
            args = () if factor is None else (factor,)
            whole = _whole_frames(frames, [(name, args)])
            tables = statistics_tables(name, args, frames)
            got = np.stack(
                [t[f, 0, np.arange(3)] for f, t in zip(frames, tables, strict=True)]
            )  # each value, its table
            assert np.array_equal(got, whole), (frames.shape, factor)
