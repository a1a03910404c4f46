"""Clip sampling: reference indices by hand, exact decoding against full PyAV decoding, tensor shapes."""

from pathlib import Path

import av
import numpy as np
import pytest
import torch

from affectlab.errors import AffectlabError
from affectlab.fer.data import video
from affectlab.fer.data.video import (
    SamplingConfig,
    TruncatedVideoWarning,
    clip_indices,
    decode_frames,
    sample_clip,
    spatial_views,
    video_info,
    window_indices,
    window_starts,
)

CFG = SamplingConfig()
# floor(linspace(0, 59, 14)), pad, clip 58
BASE_60 = [0, 4, 9, 13, 18, 22, 27, 31, 36, 40, 45, 49, 54, 58, 58, 58]
# floor(linspace(0, 63, 15)), clip 62
BASE_100 = [0, 4, 9, 13, 18, 22, 27, 31, 36, 40, 45, 49, 54, 58, 62, 62]
# floor(linspace(0, 64, 16)), clip 63
BASE_LONG = [0, 4, 8, 12, 17, 21, 25, 29, 34, 38, 42, 46, 51, 55, 59, 63]


def _real_clips(shared_data: Path) -> list[Path]:
    root = shared_data / "face_video"
    return sorted(root.glob("crema_d/*.flv")) + sorted(root.glob("ravdess/Actor_*/*.mp4"))


def _full_decode(path: Path) -> list[np.ndarray]:
    """The reference: decode every frame with PyAV, in order."""
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def test_indices_short_video_all_segments_alike():
    # 60 frames, 16 x 4 x 8: P = 7 <= L = 64, m = 59, m // 4 = 14 points + 2 pads, no sliding (60 <= 64)
    assert clip_indices(60, CFG).tolist() == [BASE_60] * 8


def test_indices_medium_video_slide_evenly():
    # 100 frames: m = 63, 15 points + 1 pad, segments slide by (100 - 64) // 7 = 5
    assert clip_indices(100, CFG).tolist() == [[i + 5 * s for i in BASE_100] for s in range(8)]


def test_indices_long_video_one_window_per_partition():
    # 1000 frames: P = 125 > 64, window [0, 64) at the start of each partition
    assert clip_indices(1000, CFG).tolist() == [[i + 125 * s for i in BASE_LONG] for s in range(8)]


def test_indices_tiny_videos_repeat_the_last_frame():
    assert clip_indices(1, CFG).tolist() == [[0] * 16] * 8
    assert clip_indices(5, CFG)[0].tolist() == [0] + [3] * 15
    with pytest.raises(AffectlabError):
        clip_indices(0, CFG)


def test_train_indices_are_seeded_and_stay_in_their_partition():
    a = clip_indices(1000, CFG, rng=np.random.default_rng(1))
    assert np.array_equal(a, clip_indices(1000, CFG, rng=np.random.default_rng(1)))
    assert not np.array_equal(a, clip_indices(1000, CFG))
    starts = a[:, 0] - 125 * np.arange(8)
    assert (starts >= 0).all() and (a[:, -1] - 125 * np.arange(8) < 125).all()
    assert (np.diff(a, axis=1) > 0).all()


def test_windows_cover_the_video():
    assert window_starts(100, CFG, stride=16).tolist() == [0, 16, 32, 36]
    assert window_starts(50, CFG, stride=8).tolist() == [0]
    assert window_indices(100, 36, CFG).tolist() == list(range(36, 100, 4))
    assert window_indices(50, 0, CFG)[-5:].tolist() == [44, 48, 49, 49, 49]


@pytest.fixture(scope="module", params=[("mp4", "mpeg4"), ("flv", "flv"), ("webm", "libvpx")])
def numbered_video(request, tmp_path_factory) -> Path:
    """A video whose frame i is a flat grey of value 5 * i, keyframe every 10 frames, in three containers."""
    ext, codec = request.param
    path = tmp_path_factory.mktemp("video") / f"numbered.{ext}"
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=25)
        stream.width, stream.height, stream.pix_fmt, stream.gop_size = 64, 48, "yuv420p", 10
        stream.bit_rate = 4_000_000
        for i in range(40):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 5 * i, np.uint8), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def test_decode_picks_the_numbered_frames(numbered_video):
    assert video_info(numbered_video)[::2] == (40, 64)
    indices = [33, 2, 2, 39, 21]  # any order, repeats, a seek past the first keyframes
    frames = decode_frames(numbered_video, indices)
    assert frames.shape == (5, 48, 64, 3) and frames.dtype == np.uint8
    full = _full_decode(numbered_video)
    assert (np.diff([f.mean() for f in full]) > 0).all()  # the numbering survives compression
    assert all(np.array_equal(f, full[i]) for f, i in zip(frames, indices, strict=True))
    assert (np.abs(frames.mean(axis=(1, 2, 3)) - 5 * np.array(indices)) < 5).all()
    with pytest.warns(TruncatedVideoWarning, match="decoding ends at frame 39"):
        past_end = decode_frames(numbered_video, [45])[0]
    assert np.array_equal(past_end, decode_frames(numbered_video, [39])[0])


def test_late_frames_come_from_a_seek(numbered_video, monkeypatch):
    full = _full_decode(numbered_video)

    def no_full_decode(path):
        raise AssertionError("decoded from the start instead of seeking")

    monkeypatch.setattr(video, "_frames_from_start", no_full_decode)
    indices = [33, 21, 39, 21]
    frames = decode_frames(numbered_video, indices)
    assert all(np.array_equal(f, full[i]) for f, i in zip(frames, indices, strict=True))


def test_normalisation_of_a_flat_frame(numbered_video):
    cfg = SamplingConfig(frames_per_clip=4, frame_step=2, num_segments=2, num_views=3, resolution=32)
    clip = sample_clip(numbered_video, cfg)
    assert clip.shape == (3, 2, 3, 4, 32, 32) and clip.dtype == torch.float32
    value = decode_frames(numbered_video, [clip_indices(40, cfg)[1, 2]])[0].mean() / 255
    expected = (value - torch.tensor(cfg.mean)) / torch.tensor(cfg.std)
    assert torch.allclose(clip[1, 1, :, 2].mean(dim=(1, 2)), expected.float(), atol=0.03)


def test_spatial_views_left_centre_right_and_top_centre_bottom():
    wide = np.tile(np.arange(60, dtype=np.uint8), (2, 20, 1))[..., None].repeat(3, axis=3)  # [2, 20, 60, 3]
    views = spatial_views(wide, 20, 3)
    assert views.shape == (3, 2, 20, 20, 3)
    assert [int(v[0, 0, 0, 0]) for v in views] == [0, 20, 40]
    tall = wide.transpose(0, 2, 1, 3)
    assert [int(v[0, 0, 0, 0]) for v in spatial_views(tall, 20, 3)] == [0, 20, 40]
    assert int(spatial_views(wide, 20, 1)[0, 0, 0, 0, 0]) == 20


@pytest.mark.slow
def test_every_real_clip_samples_exactly(shared_data):
    clips = _real_clips(shared_data)
    assert len(clips) == 13
    for path in clips:
        n_frames, fps, width, height = video_info(path)
        full = _full_decode(path)
        assert abs(fps - 29.97) < 0.01 and n_frames - 1 <= len(full) <= n_frames
        indices = clip_indices(n_frames, CFG)
        frames = decode_frames(path, indices.ravel())
        assert frames.shape == (128, height, width, 3)
        for index, frame in zip(indices.ravel(), frames, strict=True):
            assert np.array_equal(frame, full[min(index, len(full) - 1)]), (path, index)


def test_real_tensor_shapes(shared_data):
    ravdess, crema = _real_clips(shared_data)[-1], _real_clips(shared_data)[0]
    for path in (ravdess, crema):
        clip = sample_clip(path, CFG)
        assert clip.shape == (3, 8, 3, 16, 224, 224) and clip.dtype == torch.float32
        assert torch.isfinite(clip).all() and -2.2 < float(clip.min()) and float(clip.max()) < 2.7
    train = sample_clip(ravdess, CFG, train=True, seed=5)
    assert train.shape == (1, 8, 3, 16, 224, 224)
    assert torch.equal(train, sample_clip(ravdess, CFG, train=True, seed=5))
    assert not torch.equal(train, sample_clip(ravdess, CFG, train=True, seed=6))


def test_seeking_decode_matches_full_decode(shared_data):
    path = shared_data / "face_video" / "ravdess" / "Actor_01" / "01-01-01-01-01-01-01.mp4"
    full = _full_decode(path)  # keyframes at 0, 29, 58, 87
    indices = [90, 40, 41, 88, 97]
    assert all(np.array_equal(f, full[i]) for f, i in zip(decode_frames(path, indices), indices, strict=True))
    # the header counts 99 frames, the decoder gives 98: index 98 falls back to the last decoded frame
    assert np.array_equal(decode_frames(path, [98])[0], full[97])


def test_bad_videos_raise(tmp_path, shared_data):
    (tmp_path / "text.mp4").write_text("not a video")
    with pytest.raises(AffectlabError, match="cannot open video"):
        video_info(tmp_path / "text.mp4")
    with pytest.raises(AffectlabError, match="negative frame index"):
        decode_frames(_real_clips(shared_data)[0], [-1])
