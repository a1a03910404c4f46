"""End to end on the 13 real clips: index -> extract (frame baseline) -> train (LOAO) -> cross -> predict.

13 clips are a smoke test of the pipeline, not a result: the numbers are not checked against any target.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest
from typer.testing import CliRunner

from affectlab.cli import app

SMALL_SAMPLING = ["--face-crop", "--resolution", "64", "--segments", "2", "--frames", "8",
                  "--test-views", "1", "--train-views", "1"]  # fmt: skip


def _ok(*args: str | Path) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, f"{args}: {result.output}\n{result.exception!r}"
    return result.output


def _png(path: Path) -> None:
    image = mpimg.imread(path)
    assert image.ndim == 3 and min(image.shape[:2]) > 100


@pytest.fixture(scope="module")
def pipeline(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("e2e")
    videos = shared_data / "face_video"
    (work / "crema_folds.csv").write_text("actor,fold\n1001,0\n")  # one CREMA-D actor: a single fold
    _ok(
        "fer",
        "index",
        videos / "ravdess",
        "--dataset",
        "ravdess",
        "--out",
        work / "ravdess.parquet",
        "--folds",
        "3",
    )
    _ok("fer", "index", videos / "crema_d", "--dataset", "crema-d", "--out", work / "crema.parquet",
        "--folds-file", work / "crema_folds.csv")  # fmt: skip
    for name in ("ravdess", "crema"):
        _ok(
            "fer",
            "extract",
            "--manifest",
            work / f"{name}.parquet",
            "--out",
            work / f"f_{name}",
            *SMALL_SAMPLING,
        )
    _ok("fer", "train", "--features", work / "f_ravdess", "--probe", "attentive", "--heads", "4",
        "--epochs", "5", "--folds", "loao", "--lr", "1e-3,1e-2", "--out", work / "run_ravdess")  # fmt: skip
    _ok("fer", "train", "--features", work / "f_crema", "--probe", "linear", "--folds", "all", "--lr", "1e-2",
        "--out", work / "run_crema")  # fmt: skip
    _ok("fer", "cross", "--train", work / "run_ravdess", "--test", work / "f_crema", "--calm", "merge")
    _ok("fer", "cross", "--train", work / "run_crema", "--test", work / "f_ravdess", "--calm", "drop")
    clip = next((videos / "ravdess").rglob("*.mp4"))
    _ok("fer", "predict", clip, "--run", work / "run_ravdess", "--stride", "16", "--out", work / "pred_run")
    _ok("fer", "embed-plot", "--features", work / "f_ravdess", "--out", work / "map.png")
    return work


@pytest.mark.slow
def test_loao_run_writes_tables_plots_config(pipeline: Path) -> None:
    run = pipeline / "run_ravdess"
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["dataset"] == "ravdess" and len(metrics["folds"]) == 6  # actors 01 03 04 05 06 10
    assert sum(f["n"] for f in metrics["folds"]) == 7
    assert np.asarray(metrics["confusion_all"]).sum() == 7
    for fold in metrics["folds"]:
        assert len(fold["test_actors"]) == 1 and fold["test_actors"][0] not in fold["val_actors"]
        assert 0.0 <= fold["uar"] <= 1.0 and 0.0 <= fold["war"] <= 1.0
    assert "mean ± std" in (run / "metrics.md").read_text()
    _png(run / "confusion_all.png")
    config = json.loads((run / "config.json").read_text())
    assert config["train"]["folds"] == "loao" and config["feature_info"]["encoder"] == "frame-baseline"
    env = json.loads((run / "environment.json").read_text())
    assert env["packages"]["torch"] and len(env["seeds"]) == 6
    assert len(list((run / "probes").glob("fold*.pt"))) == 6


def test_cross_dataset_both_ways(pipeline: Path) -> None:
    to_crema = json.loads((pipeline / "run_ravdess/cross-crema-d-calm-merge/cross_metrics.json").read_text())
    assert to_crema["clips_scored"] == 6 and len(to_crema["folds"]) == 6
    to_ravdess = json.loads((pipeline / "run_crema/cross-ravdess-calm-drop/cross_metrics.json").read_text())
    # the 4 RAVDESS 'surprised' clips have no CREMA-D class: left out; neutral, sad, fearful are scored
    assert to_ravdess["clips_scored"] == 3 and to_ravdess["clips_left_out"] == 4
    assert to_ravdess["label_map"]["neutral"] == "neutral"
    _png(pipeline / "run_crema/cross-ravdess-calm-drop/confusion_cross.png")


def test_predict_with_run_and_embed_plot(pipeline: Path) -> None:
    pred = json.loads((pipeline / "pred_run/prediction.json").read_text())
    assert pred["labels"][:2] == ["neutral", "calm"] and len(pred["labels"]) == 8
    assert np.allclose(np.sum(pred["probs"], axis=1), 1.0, atol=1e-4)
    assert pred["video_label"] == pred["labels"][int(np.argmax(pred["video_probs"]))]
    assert pred["video_from"].startswith("protocol clip") and np.isclose(sum(pred["video_probs"]), 1.0)
    # the video-level probabilities are the run's probes on the protocol clip of that video
    from affectlab.fer.data.video import sample_clip
    from affectlab.fer.prediction import run_scorer

    score, _, sampling = run_scorer(pipeline / "run_ravdess", None)
    expected = score(sample_clip(pred["video"], sampling))
    np.testing.assert_allclose(pred["video_probs"], expected, atol=1e-6)
    with open(pipeline / "pred_run/windows.csv") as fh:
        assert len(list(csv.DictReader(fh))) == len(pred["probs"]) > 1
    _png(pipeline / "pred_run/timeline.png")
    _png(pipeline / "map.png")
