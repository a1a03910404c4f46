"""Video decoding (PyAV) and the V-JEPA evaluation clip sampling: segments x frames x spatial views.

Frame indices follow the reference V-JEPA eval dataset (facebookresearch/jepa,
``src/datasets/video_dataset.py``, ``VideoDataset.loadvideo_decord`` with ``allow_clip_overlap=True``,
as its frozen-evaluation loaders set it). With ``T = frames_per_clip``, ``s = frame_step``,
``S = num_segments``, ``L = T * s`` and ``P = n_frames // S``:

- ``P > L`` (long video): segment ``i`` is ``floor(clip(linspace(e - L, e, T), e - L, e - 1)) + i * P``:
  one window of ``L`` frames in each of ``S`` equal partitions, ending at ``e`` uniform in ``[L, P)`` at train
  time and at ``e = L`` (the partition's start) at test time. The reference draws ``e`` at random for its
  test clips too (``random_clip_sampling=True``, the default its validation loader keeps); affectlab fixes it
  so test features are the same every time and can be cached. Only videos longer than ``S * L`` frames (512
  at the defaults) differ; RAVDESS and CREMA-D clips are shorter.
- ``P <= L`` (short video): ``m = min(L, n_frames) - 1``, base = ``linspace(0, m, m // s)`` padded with
  ``T - m // s`` copies of ``m`` (the last frame repeated), clipped to ``[0, m - 1]``, floored; segment
  ``i`` = base ``+ i * c`` with ``c = (n_frames - L) // (S - 1)`` when ``n_frames > L`` else 0, so the
  segments overlap and slide evenly up to the end of the video (all identical when ``n_frames <= L``).
"""

from __future__ import annotations

import os
import stat
import warnings
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Protocol

import av
import cv2
import numpy as np

from affectlab.errors import AffectlabError
from affectlab.fer.config import SamplingConfig
from affectlab.fer.data.faces import FaceBox, FaceTrack, face_track

if TYPE_CHECKING:
    import torch


class TruncatedVideoWarning(UserWarning):
    """A video decodes to fewer frames than its header (or the sampling) needs."""


def clip_indices(n_frames: int, cfg: SamplingConfig, *, rng: np.random.Generator | None = None) -> np.ndarray:
    """Frame indices ``[num_segments, frames_per_clip]`` (int64), as the reference V-JEPA eval loader picks.

    ``rng`` turns on the reference's random window placement inside long partitions (training only).
    """
    if n_frames < 1:
        raise AffectlabError(f"n_frames={n_frames}: a video needs at least one frame")
    fpc, step, segs = cfg.frames_per_clip, cfg.frame_step, cfg.num_segments
    clip_len = fpc * step
    partition_len = n_frames // segs
    if partition_len > clip_len:
        rows = []
        for i in range(segs):
            end = clip_len if rng is None else int(rng.integers(clip_len, partition_len))
            start = end - clip_len
            base = np.clip(np.linspace(start, end, num=fpc), start, end - 1).astype(np.int64)
            rows.append(base + i * partition_len)
        return np.stack(rows)
    sample_len = min(clip_len, n_frames) - 1
    num = sample_len // step
    base = np.concatenate((np.linspace(0, sample_len, num=num), np.full(fpc - num, float(sample_len))))
    base = np.clip(base, 0, max(sample_len - 1, 0)).astype(np.int64)
    clip_step = (n_frames - clip_len) // (segs - 1) if n_frames > clip_len and segs > 1 else 0
    return base[None, :] + np.arange(segs, dtype=np.int64)[:, None] * clip_step


def window_starts(n_frames: int, cfg: SamplingConfig, stride: int) -> np.ndarray:
    """Start frames of sliding windows of ``frames_per_clip * frame_step`` frames every ``stride`` frames.

    The last window always ends at the last frame, so the whole video is covered; a video shorter than
    one window gives the single start 0.
    """
    if stride < 1:
        raise AffectlabError(f"stride={stride}: expected a positive number of frames")
    span = cfg.frames_per_clip * cfg.frame_step
    last = max(n_frames - span, 0)
    starts = np.arange(0, last + 1, stride, dtype=np.int64)
    return starts if starts[-1] == last else np.append(starts, last)


def window_indices(n_frames: int, start: int, cfg: SamplingConfig) -> np.ndarray:
    """Frame indices ``[frames_per_clip]`` of the window at ``start``; past the end the last frame repeats."""
    return np.minimum(start + np.arange(cfg.frames_per_clip, dtype=np.int64) * cfg.frame_step, n_frames - 1)


FILE_KINDS = {stat.S_IFDIR: "a folder", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
              stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket"}  # fmt: skip


def check_video_file(path: str | os.PathLike[str]) -> None:
    """Raise unless ``path`` is a regular file: a folder, device or FIFO is never opened as a video (a
    device such as ``/dev/zero`` would be read forever)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise AffectlabError(f"{path}: video not found") from None
    except OSError as err:
        raise AffectlabError(f"{path}: cannot read ({err.strerror})") from None
    if not stat.S_ISREG(mode):
        kind = FILE_KINDS.get(stat.S_IFMT(mode), "not a regular file")
        raise AffectlabError(f"{path}: is {kind}, not a video file")


def _open(path: str | os.PathLike[str]) -> av.container.InputContainer:
    check_video_file(path)
    try:
        container = av.open(os.fspath(path))
    except (av.error.FFmpegError, OSError) as err:
        raise AffectlabError(f"{path}: cannot open video ({err})") from err
    if not container.streams.video:
        container.close()
        raise AffectlabError(f"{path}: no video stream")
    return container


def video_info(path: str | os.PathLike[str]) -> tuple[int, float, int, int]:
    """``(n_frames, fps, width, height)``; frames from the header, else by counting packets (no decoding)."""
    with _open(path) as container:
        stream = container.streams.video[0]
        n_frames = stream.frames
        if n_frames <= 0:
            try:
                n_frames = sum(1 for packet in container.demux(stream) if packet.size > 0)
            except av.error.FFmpegError as err:
                raise AffectlabError(f"{path}: cannot read video packets ({err})") from err
        fps = float(stream.average_rate or stream.guessed_rate or 0.0)
        width, height = stream.codec_context.width, stream.codec_context.height
    if n_frames <= 0:
        raise AffectlabError(f"{path}: video has zero frames")
    return n_frames, fps, width, height


def _packet_pts(container: av.container.InputContainer) -> tuple[list[int], list[int]]:
    """Presentation times of all frames in display order and of the keyframes, from packets alone."""
    stream = container.streams.video[0]
    pts, keys = [], []
    for packet in container.demux(stream):
        if packet.size > 0 and packet.pts is not None:
            pts.append(packet.pts)
            if packet.is_keyframe:
                keys.append(packet.pts)
    return sorted(pts), sorted(keys)


def _frames_from_start(path: str | os.PathLike[str]) -> Iterator[tuple[int, av.VideoFrame]]:
    """Decode from the first frame; the index is the decoding order (as full decoding numbers them)."""
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        yield from enumerate(container.decode(stream))


def _frames_after_seek(path: str | os.PathLike[str], first: int) -> Iterator[tuple[int, av.VideoFrame]] | None:
    """Seek to the keyframe before frame ``first``, number frames by pts; None if seeking can't help."""
    with _open(path) as container:
        pts, keys = _packet_pts(container)
    if first >= len(pts) or not keys:
        return None
    target = pts[first]
    key = max((k for k in keys if k <= target), default=None)
    if key is None or key == pts[0]:
        return None
    index_of = {p: i for i, p in enumerate(pts)}

    def generate() -> Iterator[tuple[int, av.VideoFrame]]:
        with _open(path) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            container.seek(key, stream=stream, backward=True, any_frame=False)
            for frame in container.decode(stream):
                index = index_of.get(frame.pts)
                if index is None:
                    raise LookupError(frame.pts)
                yield index, frame

    return generate()


def decode_frames(path: str | os.PathLike[str], indices: Sequence[int] | np.ndarray) -> np.ndarray:
    """RGB frames ``uint8 [len(indices), H, W, 3]`` at ``indices`` (any order, repeats allowed).

    Decodes only up to the last needed frame, seeking to the keyframe before the first needed frame when
    it is not the first keyframe. Indices past the last decodable frame (headers may count a trailing
    frame the decoder drops) get the last decoded frame, as clip padding does.
    """
    idx = np.asarray(indices, dtype=np.int64).ravel()
    if idx.size == 0:
        raise AffectlabError(f"{path}: no frame indices to decode")
    if idx.min() < 0:
        raise AffectlabError(f"{path}: negative frame index {int(idx.min())}")
    wanted = set(np.unique(idx).tolist())
    first, last = min(wanted), max(wanted)
    frames = None
    if first > 0:
        try:
            frames = _collect(_frames_after_seek(path, first), wanted, last)
        except av.error.FFmpegError:
            frames = None  # the container refuses to seek: decode from the start instead
    try:
        if frames is None or first not in frames:
            frames = _collect(_frames_from_start(path), wanted, last)
    except av.error.FFmpegError as err:
        raise AffectlabError(f"{path}: cannot decode video ({err})") from err
    if not frames:
        raise AffectlabError(f"{path}: no frame could be decoded")
    decoded = sorted(frames)
    if last > decoded[-1] + 1:  # one frame short is common (headers count a frame the decoder drops)
        warnings.warn(
            f"{path}: truncated video: frame {last} was asked for but decoding ends at frame {decoded[-1]}; "
            "the last decoded frame is repeated",
            TruncatedVideoWarning,
            stacklevel=2,
        )
    out = []
    for i in idx.tolist():
        if i not in frames:
            earlier = [d for d in decoded if d < i]
            i = earlier[-1] if earlier else decoded[0]
        out.append(frames[i])
    return np.stack(out)


def stream_frames(
    path: str | os.PathLike[str], indices: Sequence[int] | np.ndarray
) -> Iterator[tuple[int, np.ndarray]]:
    """``(index, RGB frame uint8 [H, W, 3])`` for each distinct index of ``indices`` in increasing order, in one
    decoding pass from the first frame that keeps no more than the frame at hand (memory independent of the
    video's length). The frames are those :func:`decode_frames` gives: indices past the last decodable frame
    get the last decoded frame (with a :class:`TruncatedVideoWarning` when more than one frame is missing).
    """
    wanted = np.unique(np.asarray(indices, dtype=np.int64).ravel())
    if wanted.size == 0:
        raise AffectlabError(f"{path}: no frame indices to decode")
    if wanted[0] < 0:
        raise AffectlabError(f"{path}: negative frame index {int(wanted[0])}")
    todo = iter(wanted.tolist())
    target = next(todo)
    last: tuple[int, av.VideoFrame] | None = None
    source = _frames_from_start(path)
    try:
        for index, frame in source:
            last = (index, frame)
            if index == target:
                yield index, frame.to_ndarray(format="rgb24")
                target = next(todo, None)
                if target is None:
                    return
    except av.error.FFmpegError as err:
        raise AffectlabError(f"{path}: cannot decode video ({err})") from err
    finally:
        source.close()
    if last is None:
        raise AffectlabError(f"{path}: no frame could be decoded")
    if int(wanted[-1]) > last[0] + 1:
        warnings.warn(
            f"{path}: truncated video: frame {int(wanted[-1])} was asked for but decoding ends at frame {last[0]}; "
            "the last decoded frame is repeated",
            TruncatedVideoWarning,
            stacklevel=2,
        )
    rgb = last[1].to_ndarray(format="rgb24")
    for index in [target, *todo]:
        yield index, rgb


def _collect(
    source: Iterator[tuple[int, av.VideoFrame]] | None, wanted: set[int], last: int
) -> dict[int, np.ndarray] | None:
    """Convert the wanted frames of ``source`` to RGB arrays, stopping after frame ``last``."""
    if source is None:
        return None
    frames: dict[int, np.ndarray] = {}
    final: tuple[int, av.VideoFrame] | None = None
    try:
        for index, frame in source:
            final = (index, frame)
            if index in wanted:
                frames[index] = frame.to_ndarray(format="rgb24")
            if index >= last:
                break
    except LookupError:
        return None
    finally:
        if hasattr(source, "close"):
            source.close()
    if final is not None and final[0] < last and final[0] not in frames:  # the video ended early
        frames[final[0]] = final[1].to_ndarray(format="rgb24")
    return frames


def _resize(frames: np.ndarray, width: int, height: int) -> np.ndarray:
    shrink = width * height < frames.shape[1] * frames.shape[2]
    interp = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    return np.stack([cv2.resize(f, (width, height), interpolation=interp) for f in frames])


def resize_short_side(frames: np.ndarray, size: int) -> np.ndarray:
    """Resize ``[N, H, W, 3]`` frames so the short side is ``size`` (aspect kept)."""
    h, w = frames.shape[1:3]
    if h <= w:
        return _resize(frames, max(size, round(w * size / h)), size)
    return _resize(frames, size, max(size, round(h * size / w)))


def spatial_views(frames: np.ndarray, size: int, num_views: int) -> np.ndarray:
    """``num_views`` square crops ``[V, N, size, size, 3]`` spread evenly along the long side.

    Expects the short side already equal to ``size``: 3 views are left/centre/right (or top/centre/bottom),
    1 view is the centre.
    """
    h, w = frames.shape[1:3]
    long_side = max(h, w)
    if num_views == 1:
        starts = [(long_side - size) // 2]
    else:
        starts = np.linspace(0, long_side - size, num_views).round().astype(int).tolist()
    if h > w:
        return np.stack([frames[:, s : s + size, :size] for s in starts])
    return np.stack([frames[:, :size, s : s + size] for s in starts])


def random_resized_crop(frames: np.ndarray, cfg: SamplingConfig, rng: np.random.Generator) -> np.ndarray:
    """One random-resized crop (same box on every frame) resized to ``resolution``, flipped with p=0.5."""
    h, w = frames.shape[1:3]
    area = h * w
    log_ratio = np.log(cfg.train_ratio)
    box = None
    for _ in range(10):
        target = area * rng.uniform(*cfg.train_scale)
        aspect = float(np.exp(rng.uniform(*log_ratio)))
        cw, ch = round((target * aspect) ** 0.5), round((target / aspect) ** 0.5)
        if 0 < cw <= w and 0 < ch <= h:
            top, left = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
            box = (top, left, ch, cw)
            break
    if box is None:  # fall back to the largest centred crop within the ratio range
        ratio = min(max(w / h, cfg.train_ratio[0]), cfg.train_ratio[1])
        cw, ch = (w, round(w / ratio)) if w / h < ratio else (round(h * ratio), h)
        box = ((h - ch) // 2, (w - cw) // 2, ch, cw)
    top, left, ch, cw = box
    crop = _resize(frames[:, top : top + ch, left : left + cw], cfg.resolution, cfg.resolution)
    if cfg.train_flip and rng.random() < 0.5:
        crop = crop[:, :, ::-1]
    return crop


def normalize(views: np.ndarray, cfg: SamplingConfig) -> torch.Tensor:
    """``uint8 [V, S*T, H, W, 3]`` -> ImageNet-normalised ``float32 [V, S, C, T, H, W]``."""
    import torch

    v, _, h, w, c = views.shape
    x = torch.from_numpy(np.ascontiguousarray(views)).view(v, cfg.num_segments, cfg.frames_per_clip, h, w, c)
    x = x.permute(0, 1, 5, 2, 3, 4).float().div_(255.0)
    mean = torch.tensor(cfg.mean, dtype=torch.float32).view(1, 1, 3, 1, 1, 1)
    std = torch.tensor(cfg.std, dtype=torch.float32).view(1, 1, 3, 1, 1, 1)
    return x.sub_(mean).div_(std).contiguous()


class FrameSource(Protocol):
    """Decoded frames of one video from somewhere other than its file (the frame cache): its header's frame
    count, and ``uint8 [len(indices), H, W, 3]`` for sorted distinct ``indices`` as :func:`decode_frames` gives."""

    n_frames: int

    def __call__(self, indices: np.ndarray) -> np.ndarray: ...


def _distinct_frames(
    path: str | os.PathLike[str],
    cfg: SamplingConfig,
    train: bool,
    seed: int | None,
    face: FaceBox | None = None,
    source: FrameSource | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, FaceTrack | None]:
    """``(indices [S, T], distinct frames [U, H, W, 3], position of each index among them [S*T], face track)``.

    With ``face_crop`` the frames are cropped to ``face``, or else to the median face over all the distinct
    sampled frames (whose track is returned). ``source`` replaces decoding ``path``.
    """
    n_frames = video_info(path)[0] if source is None else source.n_frames
    indices = clip_indices(n_frames, cfg, rng=np.random.default_rng(seed) if train else None)
    distinct, inverse = np.unique(indices, return_inverse=True)
    frames = decode_frames(path, distinct) if source is None else source(distinct)
    track = None
    if cfg.face_crop:
        if face is None:
            track = face_track(frames)
            face = track.clip_box()
        frames = face.crop(frames)
    return indices, frames, inverse.ravel(), track


def centre_view(frames: np.ndarray, cfg: SamplingConfig) -> np.ndarray:
    """One un-augmented view ``[1, N, size, size, 3]``: short side to ``resolution``, centre crop."""
    return spatial_views(resize_short_side(frames, cfg.resolution), cfg.resolution, 1)


def _vjepa_views(frames: np.ndarray, cfg: SamplingConfig, rng: np.random.Generator) -> torch.Tensor:
    """``train_views`` views ``[V, S, C, T, H, W]`` of frames ``[S*T, H, W, 3]``, every segment augmented on its
    own (:func:`affectlab.fer.data.augment.vjepa_segment`)."""
    import torch

    from affectlab.fer.data.augment import RandAugment, vjepa_segment

    randaugment = RandAugment(cfg.randaugment) if cfg.randaugment else None
    segments = frames.reshape(cfg.num_segments, cfg.frames_per_clip, *frames.shape[1:])
    options = {"randaugment": randaugment, "scale": cfg.train_scale, "ratio": cfg.train_ratio,
               "flip": cfg.train_flip, "erase_prob": cfg.erase_prob, "mean": cfg.mean, "std": cfg.std}  # fmt: skip
    size, t = cfg.resolution, cfg.frames_per_clip
    views = torch.empty((cfg.train_views, cfg.num_segments, 3, t, size, size), dtype=torch.float32)
    for view in views:
        for seg, out in zip(segments, view, strict=True):
            vjepa_segment(seg, size, rng, **options, out=out)
    return views


def _views(
    frames: np.ndarray, inverse: np.ndarray, cfg: SamplingConfig, train: bool, rng: np.random.Generator
) -> torch.Tensor:
    if train and cfg.train_augment == "vjepa":
        return _vjepa_views(frames[inverse], cfg, rng)
    if train and cfg.train_augment == "crop-flip":
        views = np.stack([random_resized_crop(frames, cfg, rng) for _ in range(cfg.train_views)])
    elif train:
        views = np.repeat(centre_view(frames, cfg), cfg.train_views, axis=0)
    else:
        views = spatial_views(resize_short_side(frames, cfg.resolution), cfg.resolution, cfg.num_views)
    return normalize(views[:, inverse], cfg)


def test_views(frames: np.ndarray, inverse: np.ndarray, cfg: SamplingConfig) -> torch.Tensor:
    """The test-time views ``[views, segments, C, T, H, W]`` of a clip's distinct frames (already face-cropped
    when the protocol crops) and each sampled index's position among them, as :func:`sample_clip` makes them."""
    return _views(frames, inverse.ravel(), cfg, False, np.random.default_rng(0))


def sample_clip(
    path: str | os.PathLike[str],
    cfg: SamplingConfig,
    *,
    train: bool = False,
    seed: int | None = None,
    face: FaceBox | None = None,
    source: FrameSource | None = None,
) -> torch.Tensor:
    """One clip as ``float32 [views, segments, C, T, H, W]``, ready for a frozen video encoder.

    Test: short side resized to ``resolution``, ``num_views`` crops along the long side. Train
    (``train_views`` views, by ``cfg.train_augment``): ``crop-flip`` random-resized crops (one box for all frames
    of a view) with horizontal flips; ``vjepa`` the reference augmentation drawn per segment; ``none`` the
    centre view with the test-time temporal sampling (no randomness). The same ``seed`` gives the same tensor.
    Frames repeated across segments are decoded (and, except for ``vjepa``, transformed) once. With
    ``face_crop``, ``face`` is the crop box (default: the median face of the clip's sampled frames).
    ``source`` gives the decoded frames instead of ``path`` (the frame cache: the same tensor, without decoding).
    """
    rng = np.random.default_rng(seed)
    random = train and cfg.train_augment != "none"
    _, frames, inverse, _ = _distinct_frames(path, cfg, random, int(rng.integers(2**31)), face, source)
    return _views(frames, inverse, cfg, train, rng)


def sample_clip_with_faces(path: str | os.PathLike[str], cfg: SamplingConfig) -> tuple[torch.Tensor, FaceTrack]:
    """The test clip of :func:`sample_clip` and the face track of its distinct sampled frames."""
    rng = np.random.default_rng(None)
    _, frames, inverse, track = _distinct_frames(path, cfg, False, None)  # a track only when it face-crops
    if track is None:
        track = face_track(frames)
    return _views(frames, inverse, cfg, False, rng), track
