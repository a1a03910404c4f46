"""End to end on the 13 real clips: index -> extract (frame baseline) -> train (LOAO) -> cross -> report ->
predict.

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

SMALL_SAMPLING = ["--face-crop", "--resolution", "64", "--num-segments", "2", "--frames-per-clip", "8",
                  "--num-views", "1", "--train-views", "1"]  # fmt: skip


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
    (work / "ravdess_index.txt").write_text(
        _ok(
            "fer",
            "index",
            videos / "ravdess",
            "--dataset",
            "RAVDESS",
            "--out",
            work / "ravdess.parquet",
            "--folds",
            "3",
        )  # fmt: skip
    )
    # one CREMA-D actor: a test-only set (no folds) to evaluate a probe on
    (work / "crema_index.txt").write_text(
        _ok(
            "fer",
            "index",
            videos / "crema_d",
            "--dataset",
            "crema-d",
            "--out",
            work / "crema.parquet",
            "--folds",
            "none",
        )  # fmt: skip
    )
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
    (work / "train_ravdess.txt").write_text(
        _ok(
            "fer",
            "train",
            "--features",
            work / "f_ravdess",
            "--probe",
            "attentive",
            "--num-heads",
            "4",
            "--epochs",
            "5",
            "--folds",
            "loao",
            "--lrs",
            "1e-3,1e-2",
            "--out",
            work / "run_ravdess",
        )  # fmt: skip
    )
    _ok("fer", "train", "--features", work / "f_crema", "--probe", "linear", "--folds", "all", "--lrs", "1e-2",
        "--out", work / "run_crema")  # fmt: skip
    (work / "cross_crema.txt").write_text(
        _ok("fer", "cross", "--train", work / "run_ravdess", "--test", work / "f_crema", "--calm", "merge")
    )
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

    with open(pipeline / "run_ravdess/predictions.csv") as fh:
        video = Path(pred["video"]).resolve()
        tested = [int(r["fold"]) for r in csv.DictReader(fh) if Path(r["path"]).resolve() == video]
    assert len(tested) == 1  # the clip is in the run: only the probe of the fold that held it out scores it
    assert pred["probes"].startswith(f"the fold {tested[0]} probe only: the clip (same content) was held out")
    score, _, sampling = run_scorer(pipeline / "run_ravdess", None, folds=tested)
    expected = score(sample_clip(pred["video"], sampling))
    np.testing.assert_allclose(pred["video_probs"], expected, atol=1e-6)
    with open(pipeline / "pred_run/windows.csv") as fh:
        assert len(list(csv.DictReader(fh))) == len(pred["probs"]) > 1
    _png(pipeline / "pred_run/timeline.png")
    _png(pipeline / "map.png")


def test_predict_warns_when_every_probe_trained_on_the_clip(pipeline: Path, tmp_path: Path) -> None:
    """The same content in two folds (one file indexed twice): every probe trained on a copy -> all probes and a
    warning; a clip the run does not have -> all probes, said so."""
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    from affectlab.fer.cache.store import FeatureStore
    from affectlab.fer.prediction import TrainedClipWarning, held_out_probes

    source = pipeline / "run_ravdess"
    manifest = FeatureStore(json.loads((source / "config.json").read_text())["features"]).manifest
    clip = manifest.column("path")[0].as_py()
    copy = manifest.slice(0, 1).to_pylist()[0] | {"path": str(tmp_path / "copy.mp4")}
    pq.write_table(pa.concat_tables([manifest, pa.Table.from_pylist([copy], schema=manifest.schema)]),
                   tmp_path / "manifest.parquet")  # fmt: skip
    run = tmp_path / "run"
    run.mkdir()
    config = json.loads((source / "config.json").read_text()) | {"features": None}
    (run / "config.json").write_text(json.dumps(config | {"manifest": str(tmp_path / "manifest.parquet")}))
    with open(source / "predictions.csv") as fh:
        rows = list(csv.DictReader(fh))
    folds = sorted({int(r["fold"]) for r in rows})
    own = next(int(r["fold"]) for r in rows if r["path"] == clip)
    other = next(f for f in folds if f != own)
    rows.append(next(r for r in rows if r["path"] == clip) | {"path": copy["path"], "fold": str(other)})
    with open(run / "predictions.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    shutil.copytree(source / "probes", run / "probes")
    with pytest.warns(TrainedClipWarning, match="every one trained on this clip"):
        chosen, note = held_out_probes(run, clip)
    assert chosen == folds and f"tested in {min(own, other)}, {max(own, other)}" in note
    chosen, note = held_out_probes(source, clip)
    assert chosen == [own]
    crema = next(Path(clip).parents[2].glob("crema_d/*.flv"))
    expected = (folds, f"all {len(folds)} fold probes (the clip is not one of the run's)")
    assert held_out_probes(source, crema) == expected


def test_test_only_crema_set_is_indexed_and_evaluated(pipeline: Path) -> None:
    import pyarrow.parquet as pq

    manifest = pq.read_table(pipeline / "crema.parquet")
    assert manifest.num_rows == 6 and set(manifest.column("fold").to_pylist()) == {None}
    printed = (pipeline / "crema_index.txt").read_text()
    assert "folds none: 6 clips/1 actors" in printed
    # class counts per fold: one clip of each of the six CREMA-D emotions
    counts = printed.split("clips per fold and class:")[1]
    assert all(name in counts for name in ("angry", "disgust", "fearful", "happy", "neutral", "sad"))
    assert "none       6       1      1        1        1      1        1    1" in counts
    # the RAVDESS probes evaluated on the single CREMA-D actor
    cross = json.loads((pipeline / "run_ravdess/cross-crema-d-calm-merge/cross_metrics.json").read_text())
    assert cross["clips_scored"] == 6 and all(f["n"] == 6 for f in cross["folds"])
    assert "report: " in (pipeline / "cross_crema.txt").read_text()


def test_dataset_name_any_case_and_class_counts(pipeline: Path) -> None:
    printed = (pipeline / "ravdess_index.txt").read_text()
    assert "7 clips" in printed and "clips per fold and class:" in printed and "surprised" in printed


def test_extract_records_the_face_share(pipeline: Path) -> None:
    from affectlab.fer.cache.store import FeatureStore

    for name in ("ravdess", "crema"):
        index = FeatureStore(pipeline / f"f_{name}").index
        assert min(index.column("face_share").to_pylist()) >= 0.95


def test_train_and_cross_write_the_run_report(pipeline: Path) -> None:
    from tests.browser import check_page

    run = pipeline / "run_ravdess"
    assert f"report: {run / 'report.html'}" in (pipeline / "train_ravdess.txt").read_text()
    html = (run / "report.html").read_text()
    for section in ("Cross-validation", "mean ± std", "Per-class recall", "all 6 folds summed: UAR",
                    "Cross-dataset", "ravdess probes -&gt; crema-d (calm merge)", "Embedding map",
                    "Most confident errors", "cache key", "Config and feature store"):  # fmt: skip
        assert section in html, section
    assert 'src="data:image/png;base64,' in html and "report/" not in html.split("<body>")[1].split("<pre>")[0]
    # LOAO on 7 clips: some test actors hold classes no other actor has; the report says so first
    assert "Warnings" in html and "no training clips of" in html and "never trained" in html
    assert "warning: fold" in (pipeline / "train_ravdess.txt").read_text()
    markdown = (run / "report.md").read_text()
    assert "| mean ± std |" in markdown and "](report/confusion.png)" in markdown
    assert (run / "report/recall.png").is_file() and (run / "report/error1.png").is_file()
    check = check_page(run / "report.html", pipeline / "report.png")
    assert check.overflowing == [] and check.broken_images == [] and check.images >= 6


def test_predict_with_run_scores_every_face_track(pipeline: Path, shared_data: Path, tmp_path: Path) -> None:
    """A run (frame-baseline encoder, face crops) on the composed two-face video: each track gets its own
    windows, face boxes and protocol-clip video label."""
    from affectlab.fer.config import PredictConfig
    from affectlab.fer.prediction import predict_video
    from tests.fer.test_prediction import _two_faces

    video = _two_faces(shared_data, tmp_path)
    pred = predict_video(video, PredictConfig(run=str(pipeline / "run_ravdess"), stride=16, faces="all"))
    assert pred.tracks_seen == 2 and len(pred.tracks) == 2 and not pred.per_frame
    assert pred.probes.startswith("all ") and "not one of the run's" in pred.probes
    left, right = sorted(pred.tracks, key=lambda t: np.median([b[0] for b in t.face_box if b is not None]))
    assert all(b is not None and b[0] + b[2] <= 480 for b in left.face_box)
    assert all(b is not None and b[0] >= 480 for b in right.face_box)
    for track in (left, right):
        assert all(track.face_found) and all(p is not None for p in track.probs)
        assert track.video_from.startswith("protocol clip") and np.isclose(sum(track.video_probs), 1.0)
    assert not np.allclose(left.video_probs, right.video_probs)  # each face scored on its own crop
