"""Full-video evaluation on hand-computed cases: the clip positions of a 100-frame video (and of short ones), the
frames each clip gets, and the softmax summed over every position."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import torch

from affectlab.fer.config import ExtractConfig, SamplingConfig
from affectlab.fer.data import full_video
from affectlab.fer.data.full_video import full_video_frames, full_video_indices, jepa_single_view
from affectlab.fer.data.video import normalize
from affectlab.fer.encoders.runner import SegmentRunner
from affectlab.fer.encoders.vjepa import VisionTransformer
from affectlab.fer.probes import online
from affectlab.fer.probes.models import build_probe
from tests.fer.tiny import TINY

# linspace(s, s + 64, 16) clipped to s + 63 and floored, minus s
OFFSETS = [0, 4, 8, 12, 17, 21, 25, 29, 34, 38, 42, 46, 51, 55, 59, 63]


def test_clip_positions_of_a_100_frame_video() -> None:
    idx = full_video_indices(100, 16, 4)
    assert idx.shape == (36, 16)  # starts 0..35: range(100 - 64), the last start 36 is not taken
    assert idx[0].tolist() == OFFSETS and idx[35].tolist() == [35 + o for o in OFFSETS]
    assert (idx == np.arange(36)[:, None] + np.asarray(OFFSETS)).all()


def test_short_videos_get_one_padded_clip() -> None:
    assert full_video_indices(64, 16, 4).tolist() == [OFFSETS]
    assert full_video_indices(65, 16, 4).tolist() == [OFFSETS]
    assert full_video_indices(40, 16, 4).tolist() == [[0, 4, 8, 13, 17, 22, 26, 31, 35] + [39] * 7]


def test_single_view_transform_as_the_reference() -> None:
    frames = np.zeros((1, 360, 480, 3), dtype=np.uint8)
    frames[0, :, 240:] = 200
    view = jepa_single_view(frames, 384)  # short side int(384 * 256 / 224) = 438, long side int(584.0) = 584
    assert view.shape == (1, 384, 384, 3)
    assert view[0, 0, :190].max() == 0 and view[0, 0, 194:].min() == 200  # the cut at 292 - round(100) = 192


def _fake_video(monkeypatch) -> None:
    """A 100-frame 40 x 30 video whose frame k is uniformly k (as read through the real sampling code)."""
    monkeypatch.setattr(full_video, "video_info", lambda path: (100, 25.0, 40, 30))
    monkeypatch.setattr(
        full_video, "decode_frames",
        lambda path, idx: np.repeat(np.asarray(idx, dtype=np.uint8), 30 * 40 * 3).reshape(len(idx), 30, 40, 3),
    )  # fmt: skip


def test_each_clip_gets_its_frames(monkeypatch) -> None:
    _fake_video(monkeypatch)
    inverse, frames = full_video_frames("video.mp4", SamplingConfig(resolution=24, eval_transform="jepa"))
    assert frames.shape[1:] == (24, 24, 3)
    assert (frames[inverse][:, :, 5, 7, 1] == full_video_indices(100, 16, 4)).all()


def test_softmax_summed_over_every_position(monkeypatch) -> None:
    _fake_video(monkeypatch)
    monkeypatch.setattr(online, "read_checked", lambda path, content_id, read: read())
    torch.manual_seed(0)
    encoder = VisionTransformer(TINY).eval()
    probe = build_probe("attentive", 32, 3, num_heads=2).eval()
    sampling = SamplingConfig(frames_per_clip=4, frame_step=4, resolution=32)
    cfg = ExtractConfig(sampling=sampling, decode_workers=1)
    manifest = pa.table({"path": ["video.mp4"], "content_hash": ["x"]})
    clips = online.OnlineClips(manifest, cfg, SegmentRunner(encoder, torch.device("cpu")))
    got = clips.full_video_probs([0], [probe], chunk=7)  # chunks of 7 windows: 84 = 12 x 7
    inverse, frames = full_video_frames("video.mp4", sampling)
    assert inverse.shape == (100 - 16, 4)
    expected = torch.zeros(3)
    with torch.no_grad():
        for row in inverse:
            x = normalize(frames[row][None], sampling.model_copy(update={"num_segments": 1}))[0]
            expected += probe(encoder(x)).softmax(-1)[0]
    assert got.shape == (1, 1, 3)
    torch.testing.assert_close(torch.from_numpy(got[0, 0]), expected, rtol=1e-5, atol=1e-5)
    assert abs(got.sum() - 84) < 1e-3  # one unit of probability per clip position
