"""``fer reproduce`` end to end on the CPU: the shared RAVDESS and CREMA-D clips, a tiny V-JEPA in the official
.pth.tar layout, both modes, the table beside the reference numbers, the report looked at in Chromium; and the
reference numbers recomputed from the fork's own averaged confusion matrices."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import affectlab as al
from affectlab.cli import app
from affectlab.fer.reproduction import REFERENCE, reference_arithmetic
from tests.browser import check_page
from tests.fer.tiny import SAMPLING, TINY_NAME, register_tiny, tiny_checkpoint

# The fork's 5-fold averaged confusion matrices (rows = truth), scripts/cms.py L7-12 and L21-34.
CREMA_D_AVERAGE = [[178.40, 18.60, 3.00, 19.80, 26.20, 8.20], [34.40, 169.40, 6.00, 16.60, 10.40, 17.40],
                   [3.60, 2.80, 235.00, 4.20, 4.20, 4.40], [25.80, 6.60, 2.20, 208.40, 2.00, 9.20],
                   [27.00, 3.80, 3.00, 1.80, 172.00, 9.80], [10.80, 8.40, 4.80, 8.20, 11.80, 210.20]]  # fmt: skip
RAVDESS_AVERAGE = [[26.8, 3.2, 0, 3.2, 6.0, 0, 0, 0.8], [3.8, 66.0, 0.8, 4.8, 4.6, 0, 0, 0],
                   [0, 2.2, 72.4, 2.0, 0, 0, 0.8, 2.6], [4.4, 6.6, 2.0, 46.8, 6.0, 6.4, 5.6, 2.2],
                   [1.8, 1.2, 0.4, 4.0, 65.2, 2.2, 2.0, 3.2], [2.0, 1.6, 1.6, 4.6, 5.6, 54.6, 4.4, 5.6],
                   [0, 0.4, 1.2, 6.8, 6.4, 0.8, 63.8, 0.6], [0, 1.2, 5.2, 2.6, 15.6, 12.4, 1.0, 42.0]]  # fmt: skip


@pytest.mark.parametrize(("name", "matrix", "precision"), [("ravdess", RAVDESS_AVERAGE, 73.16),
                                                            ("crema-d", CREMA_D_AVERAGE, 79.09)])  # fmt: skip
def test_reference_numbers_are_recall_of_the_averaged_matrix(name, matrix, precision) -> None:
    m = np.asarray(matrix)
    assert set(np.round(m.sum(1), 1)) <= {40.0, 80.0, 217.4, 254.2}  # rows = truth: the class counts per fold
    war, uar = reference_arithmetic(m)
    assert (round(100 * war, 2), round(100 * uar, 2)) == REFERENCE[name]
    # the fork's metrics.py, fed the matrix as it is, prints macro-precision under the name of recall
    assert round(100 * float(np.mean(np.diag(m) / m.sum(0))), 2) == precision


@pytest.fixture(scope="module")
def paper(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("paper")
    register_tiny()
    checkpoint = tiny_checkpoint(work / "tiny.pth.tar")
    (work / "crema_folds.csv").write_text("actor,fold\n1001,0\n")  # one CREMA-D actor: test-only, no CV
    videos = shared_data / "face_video"
    outs = {}
    for mode in ("cached", "online"):
        outs[mode] = work / f"paper-{mode}"
        al.fer.reproduce(videos / "ravdess", videos / "crema_d", checkpoint=checkpoint, out=outs[mode],
                         crema_d_folds=work / "crema_folds.csv", folds=3, encoder=TINY_NAME, sampling=SAMPLING,
                         train={"epochs": 2, "num_heads": 2, "batch_size": 2}, device="cpu", decode_workers=2,
                         mode=mode, progress=False)  # fmt: skip
    outs["checkpoint"] = checkpoint
    return outs


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["cached", "online"])
def test_table_beside_reference_numbers(paper: dict[str, Path], mode: str) -> None:
    out = paper[mode]
    table = json.loads((out / "table.json").read_text())
    assert table["mode"] == mode and table["preset"] == "vjepa-fer"
    rows = {r["setting"]: r for r in table["rows"]}
    assert len(rows) == 6 and rows["RAVDESS (3-fold)"]["reference WAR / UAR"] == "72.93 / 72.56"
    metrics = json.loads((out / "runs/ravdess/metrics.json").read_text())
    fv = metrics["full_video"]["summary"]["war"]
    assert rows["RAVDESS (3-fold)"]["WAR (full video)"] == f"{100 * fv['mean']:.2f} ± {100 * fv['std']:.2f}"
    cross = json.loads((out / "runs/ravdess/cross-crema-d-calm-merge/cross_metrics.json").read_text())
    assert cross["clips_scored"] == 6 and cross["full_video"]["summary"]
    text = (out / "table.md").read_text()
    for number in ("78.84 / 78.84", "75.60 / 76.85", "54.80 / 54.85", "75.01", "77.38"):
        assert number in text
    config = json.loads((out / "runs/ravdess/config.json").read_text())
    assert config["mode"] == mode and config["preset"] == "vjepa-fer"
    assert config["train"]["schedule"] == "jepa" and config["train"]["epochs"] == 2  # option over the preset


@pytest.mark.slow
def test_report_looks_right_in_a_browser(paper: dict[str, Path], tmp_path: Path) -> None:
    seen = check_page(paper["cached"] / "report.html", tmp_path / "report.png")
    assert seen.overflowing == [] and seen.broken_images == [] and seen.images == 1


@pytest.mark.slow
def test_stopped_reproduction_skips_finished_stages(shared_data: Path, paper: dict[str, Path]) -> None:
    out = paper["cached"]
    before = {p: p.stat().st_mtime_ns for p in out.rglob("metrics.json")}
    videos = shared_data / "face_video"
    al.fer.reproduce(videos / "ravdess", videos / "crema_d", checkpoint=paper["checkpoint"], out=out,
                     crema_d_folds=out.parent / "crema_folds.csv", folds=3, encoder=TINY_NAME, sampling=SAMPLING,
                     train={"epochs": 2, "num_heads": 2, "batch_size": 2}, device="cpu", decode_workers=2,
                     mode="cached", progress=False)  # fmt: skip
    assert {p: p.stat().st_mtime_ns for p in out.rglob("metrics.json")} == before


def test_cli_needs_the_users_data_and_weights(tmp_path: Path) -> None:
    args = ["fer", "reproduce", "--ravdess", str(tmp_path / "RAVDESS"), "--checkpoint", str(tmp_path / "w.pth.tar"),
            "--out", str(tmp_path / "paper")]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert "RAVDESS folder is not there (it needs your own copy)" in str(result.exception)
    assert not (tmp_path / "paper").exists()
