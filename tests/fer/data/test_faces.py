"""Face crop: a face on every real clip, one square box inside the frame, centre fallback, contact sheet."""

from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from affectlab.cli import app
from affectlab.fer.data.contact_sheet import render_contact_sheet
from affectlab.fer.data.faces import FaceBox, crop_to_face, face_box
from affectlab.fer.data.video import SamplingConfig, clip_indices, decode_frames, sample_clip, video_info

CFG = SamplingConfig()


def _real_clips(shared_data: Path) -> list[Path]:
    root = shared_data / "face_video"
    return sorted(root.glob("crema_d/*.flv")) + sorted(root.glob("ravdess/Actor_*/*.mp4"))


@pytest.fixture(scope="module")
def real_frames(shared_data) -> dict[str, np.ndarray]:
    return {
        path.name: decode_frames(path, clip_indices(video_info(path)[0], CFG)[0]) for path in _real_clips(shared_data)
    }


def test_a_face_on_every_real_clip(real_frames):
    assert len(real_frames) == 13
    for name, frames in real_frames.items():
        height, width = frames.shape[1:3]
        box = face_box(frames)
        assert box.found, name
        assert 0 <= box.left and box.left + box.size <= width and 0 <= box.top and box.top + box.size <= height
        # the actors face the camera in the middle of the frame, the head a good part of its height
        assert abs(box.left + box.size / 2 - width / 2) < width / 8, (name, box)
        assert 0.3 * height < box.size <= height, (name, box)


def test_crop_is_square_and_smooth_over_time(real_frames):
    frames = real_frames["1001_DFA_HAP_XX.flv"]
    box = face_box(frames)
    crop = crop_to_face(frames)
    assert crop.shape == (16, box.size, box.size, 3)
    assert np.array_equal(crop[5], frames[5, box.top : box.top + box.size, box.left : box.left + box.size])


def test_no_face_falls_back_to_the_centre_square():
    blank = np.full((4, 90, 160, 3), 127, np.uint8)
    assert face_box(blank) == FaceBox(left=35, top=0, size=90, found=False)
    assert crop_to_face(blank).shape == (4, 90, 90, 3)


def test_margin_enlarges_the_box(real_frames):
    frames = real_frames["01-01-01-01-01-01-01.mp4"]
    assert face_box(frames, margin=0.4).size > face_box(frames, margin=0.1).size


def test_face_crop_clip_shape(shared_data):
    clip = sample_clip(_real_clips(shared_data)[0], CFG.model_copy(update={"face_crop": True, "num_views": 1}))
    assert clip.shape == (1, 8, 3, 16, 224, 224)


def test_contact_sheet_grid(shared_data, tmp_path):
    path = _real_clips(shared_data)[-1]  # RAVDESS 1280x720
    sheet = render_contact_sheet(path, CFG, thumb_height=48)
    assert sheet.shape == (28 + 8 * 48, 16 * round(1280 * 48 / 720), 3)
    green = (sheet[..., 1] > 200) & (sheet[..., 0] < 30) & (sheet[..., 2] < 30)
    assert green.sum() > 8 * 16 * 4 * 20  # the detected face box is drawn on every thumbnail
    out = tmp_path / "sheet.png"
    result = CliRunner().invoke(app, ["fer", "show", str(path), "--out", str(out), "--face-crop"])
    assert result.exit_code == 0, result.output
    assert cv2.imread(str(out)).shape == (28 + 8 * 96, 16 * 96, 3)
