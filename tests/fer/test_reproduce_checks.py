"""``fer reproduce`` for a user without V-JEPA weights: no checkpoint for an encoder that ships its own, the
encoder's input contract over the preset's sampling, and every input checked before any work."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import affectlab as al
from affectlab.cli import app
from affectlab.errors import AffectlabError
from affectlab.fer.config import ExtractConfig
from affectlab.fer.presets import with_preset


def test_the_encoder_input_contract_wins_over_the_preset() -> None:
    baseline = with_preset(ExtractConfig, "vjepa-fer", "extract", {"encoder": "frame-baseline"}, "extract")
    s = baseline.sampling
    assert (s.face_crop, s.resolution) == (True, 64)  # what the FER2013 model reads: 64 px face crops
    assert (s.train_augment, s.num_segments, s.frame_step) == ("vjepa", 8, 4)  # the preset's protocol
    vjepa = with_preset(ExtractConfig, "vjepa-fer", "extract", {}, "extract").sampling
    assert (vjepa.face_crop, vjepa.resolution) == (False, 384)  # no contract: the preset's values
    given = {"encoder": "frame-baseline", "sampling": {"resolution": 384}}
    with pytest.raises(
        AffectlabError,
        match=r"encoder frame-baseline reads face_crop=True, resolution=64 \(its "
        r"input contract\) but resolution=384 was asked with preset vjepa-fer",
    ):
        with_preset(ExtractConfig, "vjepa-fer", "extract", given, "extract")  # fmt: skip
    # options that agree with the contract, and options without a preset, are taken as given
    agree = {"encoder": "frame-baseline", "sampling": {"resolution": 64, "num_views": 1}}
    assert with_preset(ExtractConfig, "vjepa-fer", "extract", agree, "extract").sampling.num_views == 1
    assert with_preset(ExtractConfig, None, "extract", given, "extract").sampling.resolution == 384


def test_too_many_folds_for_the_second_dataset_fails_in_seconds_before_any_work(
    shared_data: Path, tmp_path: Path
) -> None:
    """CREMA-D's shared copy has 1 actor: folds=5 must fail before RAVDESS is indexed, extracted or trained."""
    videos = shared_data / "face_video"
    out = tmp_path / "paper"
    start = time.process_time()  # CPU seconds: a loaded machine does not make it flaky
    with pytest.raises(AffectlabError, match=r"^CREMA-D \(.*crema_d\): folds=5 but only 1 actor\(s\)"):
        al.fer.reproduce(videos / "ravdess", videos / "crema_d", out=out, encoder="frame-baseline", folds=5,
                         device="cpu", progress=False)  # fmt: skip
    assert time.process_time() - start < 20  # extracting and training RAVDESS first took minutes
    assert not out.exists()  # nothing indexed, extracted or trained


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"encoder": "vjepa-vit_huge"}, "encoder vjepa-vit_huge needs --checkpoint: an official V-JEPA .pth.tar"),
        ({"encoder": "frame-baseline", "sampling": {"face_crop": False}}, "reads face_crop=True, resolution=64"),
        ({"encoder": "no-such"}, "unknown encoder 'no-such'"),
        ({"encoder": "frame-baseline", "train": {"epochs": 0}}, "epochs"),
    ],
)
def test_every_input_is_checked_before_work(shared_data: Path, tmp_path: Path, options: dict, message: str) -> None:
    out = tmp_path / "paper"
    with pytest.raises(AffectlabError, match=message):
        al.fer.reproduce(shared_data / "face_video/ravdess", out=out, folds=3, device="cpu", progress=False,
                         **options)  # fmt: skip
    assert not out.exists()


def test_a_bad_fold_file_of_the_second_dataset_fails_before_work(shared_data: Path, tmp_path: Path) -> None:
    folds = tmp_path / "crema.csv"
    folds.write_text("actor,fold\n1001,x\n")
    with pytest.raises(AffectlabError, match="fold 'x' is not a non-negative integer"):
        al.fer.reproduce(shared_data / "face_video/ravdess", shared_data / "face_video/crema_d",
                         out=tmp_path / "paper", crema_d_folds=folds, encoder="frame-baseline", folds=3,
                         progress=False)  # fmt: skip
    assert not (tmp_path / "paper").exists()


def test_cli_reproduce_takes_no_checkpoint_and_says_which_encoder_needs_one(tmp_path: Path, shared_data) -> None:
    args = ["fer", "reproduce", "--ravdess", str(shared_data / "face_video/ravdess"), "--encoder", "vjepa-vit_huge",
            "--out", str(tmp_path / "paper")]  # fmt: skip
    result = CliRunner().invoke(app, args)  # AffectlabError: the entry point prints it as one line, exit 2
    assert isinstance(result.exception, AffectlabError) and "Missing option" not in result.output
    assert str(result.exception) == "encoder vjepa-vit_huge needs --checkpoint: an official V-JEPA .pth.tar"
    assert not (tmp_path / "paper").exists()


@pytest.mark.slow
def test_reproduce_with_the_frame_baseline_needs_no_checkpoint(shared_data: Path, tmp_path: Path) -> None:
    """The table from the frame baseline's own weights, no checkpoint given (a short protocol to stay fast); its
    store holds 64 px face crops (the encoder's contract), not the preset's 384 px whole frames."""
    out = tmp_path / "paper"
    sampling = {"frames_per_clip": 2, "frame_step": 4, "num_segments": 2, "num_views": 1}
    al.fer.reproduce(shared_data / "face_video/ravdess", out=out, encoder="frame-baseline", folds=3, device="cpu",
                     pooling="mean", sampling=sampling, train={"epochs": 1, "eval": "protocol"},
                     progress=False)  # fmt: skip
    table = json.loads((out / "table.json").read_text())
    assert [r["setting"] for r in table["rows"]] == ["RAVDESS (3-fold)"]
    info = json.loads((out / "features/ravdess/info.json").read_text())
    assert info["encoder"] == "frame-baseline"
    assert (info["sampling"]["face_crop"], info["sampling"]["resolution"]) == (True, 64)
    assert info["sampling"]["train_augment"] == "vjepa"  # the preset's protocol around the contract
