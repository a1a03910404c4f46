"""Presets: the reference recipes as typed config values, under the user's options (API and CLI), written to
config.json; and the reference schedules they select."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from affectlab.cli import app
from affectlab.errors import AffectlabError
from affectlab.fer.config import ExtractConfig, IndexConfig, TrainConfig
from affectlab.fer.presets import PRESETS, with_preset
from affectlab.fer.probes.models import build_probe
from affectlab.fer.probes.train import param_groups, schedule_at
from tests.fer.tiny import TINY_NAME, register_tiny, tiny_checkpoint


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_builds_valid_configs(name: str) -> None:
    for dataset in ("ravdess", "crema-d"):
        with_preset(IndexConfig, name, "index", {"dataset": dataset}, "index", dataset)
    extract = with_preset(ExtractConfig, name, "extract", {}, "extract")
    train = with_preset(TrainConfig, name, "train", {}, "train")
    assert extract.sampling.train_augment == "vjepa" and not extract.sampling.train_flip and train.warmup_epochs == 0
    assert train.eval == "both" and train.epochs == 20 and train.batch_size == 4


def test_given_options_override_the_preset() -> None:
    idx = with_preset(IndexConfig, "vjepa-fer", "index", {"dataset": "ravdess", "folds": 3}, "index", "ravdess")
    assert (idx.folds, idx.modality, idx.channel) == (3, "both", "speech")
    ext = with_preset(ExtractConfig, "vjepa-fer", "extract", {"sampling": {"resolution": 224}}, "extract")
    assert ext.sampling.resolution == 224 and ext.sampling.num_segments == 8 and ext.encoder == "vjepa-vit_huge"
    train = with_preset(TrainConfig, "vjepa2", "train", {"lrs": [1e-3]}, "train")
    assert train.lrs == [1e-3] and len(train.weight_decays) == 4 and train.probe == "attentive-v2"
    with pytest.raises(AffectlabError, match="unknown preset"):
        with_preset(TrainConfig, "vjepa3", "train", {}, "train")


def test_jepa_and_vjepa2_schedules() -> None:
    fer = with_preset(TrainConfig, "vjepa-fer", "train", {}, "train")
    lr, wd = schedule_at(0, 100, 0, 1e-3, 0.01, fer)  # the fork: lr at position 2, wd at 1 of 100
    assert lr == pytest.approx(1e-3 * 0.5 * (1 + math.cos(math.pi * 0.02)))
    assert wd == pytest.approx(1e-6 + (0.01 - 1e-6) * 0.5 * (1 + math.cos(math.pi * 0.01)))
    assert schedule_at(99, 100, 0, 1e-3, 0.01, fer)[1] == pytest.approx(1e-6)
    v2 = with_preset(TrainConfig, "vjepa2", "train", {}, "train")
    lr, wd = schedule_at(0, 100, 0, 5e-3, 0.4, v2)
    assert lr == pytest.approx(5e-3 * 0.5 * (1 + math.cos(math.pi * 0.01))) and wd == 0.4  # constant wd
    probe = build_probe("attentive-v2", 16, 3, num_heads=4)
    (group,) = param_groups(probe, 1e-3, 0.4, exclude_bias=v2.exclude_bias_decay)  # no exclusion in V-JEPA 2
    assert len(group["params"]) == len(list(probe.parameters()))


@pytest.mark.slow
def test_cli_extract_with_a_preset_and_explicit_options(shared_data: Path, tmp_path: Path) -> None:
    register_tiny()
    checkpoint = tiny_checkpoint(tmp_path / "tiny.pth.tar")
    ok = CliRunner().invoke(
        app,
        [
            "fer",
            "index",
            str(shared_data / "face_video/ravdess"),
            "--dataset",
            "ravdess",
            "--out",
            str(tmp_path / "m.parquet"),
            "--folds",
            "2",
            "--preset",
            "vjepa-fer",
        ],
    )
    assert ok.exit_code == 0, ok.output
    args = ["fer", "extract", "--manifest", str(tmp_path / "m.parquet"), "--out", str(tmp_path / "f"), "--preset",
            "vjepa-fer", "--encoder", TINY_NAME, "--checkpoint", str(checkpoint), "--resolution", "32",
            "--num-segments", "2", "--frames-per-clip", "4", "--num-views", "1", "--device", "cpu"]  # fmt: skip
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    info = json.loads((tmp_path / "f/info.json").read_text())
    s = info["sampling"]
    assert (s["resolution"], s["num_segments"], s["num_views"]) == (32, 2, 1)  # typed: over the preset
    assert (s["train_augment"], s["train_scale"], s["erase_prob"], s["train_flip"]) == ("vjepa", [0.08, 1.0], 0.25,
                                                                                       False)  # fmt: skip


@pytest.mark.parametrize(
    ("preset", "encoder", "width", "heads"),
    [
        ("vjepa-fer", "vjepa-vit_huge", 1280, 16),  # ARCHS: ViT-H has 16 heads
        ("vjepa-fer", "vjepa-vit_large", None, 16),
        ("vjepa-fer", "vjepa2", 1408, 22),  # V-JEPA 2 ViT-g: 22 heads, not the fixed 16
        ("vjepa-fer", "vjepa2", 1024, 16),
        ("vjepa-fer", "frame-baseline", 128, 16),  # no attention heads of its own: the config's default
        ("vjepa-fer", None, None, 16),
        ("vjepa2", "vjepa2", 1408, 16),  # V-JEPA 2's eval takes num_heads from its config (16), not the encoder
    ],
)
def test_vjepa_fer_probe_heads_come_from_the_encoder(preset: str, encoder, width, heads: int) -> None:
    """The fork builds its probe with ``num_heads=encoder.num_heads`` (eval.py:189)."""
    cfg = with_preset(TrainConfig, preset, "train", {}, "train", encoder=encoder, embed_dim=width)
    assert cfg.num_heads == heads
    given = with_preset(TrainConfig, preset, "train", {"num_heads": 4}, "train", encoder=encoder, embed_dim=width)
    assert given.num_heads == 4  # an option given wins
