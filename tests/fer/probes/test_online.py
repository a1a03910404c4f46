"""Online training (the encoder inside the loop) against cached training, on the real RAVDESS clips with a tiny
V-JEPA in the official .pth.tar layout: identical probes and metrics without augmentation, a fresh view per
epoch with it, and a killed run that continues with the same numbers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import affectlab as al
from affectlab.fer.cache.extract import extract_features
from affectlab.fer.config import ExtractConfig, TrainConfig
from affectlab.fer.encoders import load_encoder
from affectlab.fer.encoders.runner import SegmentRunner
from affectlab.fer.probes.online import OnlineClips
from affectlab.fer.probes.run import load_run_probes
from tests.fer.probes.training import train_run
from tests.fer.tiny import SAMPLING, TINY_NAME, register_tiny, tiny_checkpoint

TRAIN = {"probe": "attentive", "num_heads": 2, "epochs": 3, "batch_size": 2, "lrs": [1e-2], "seed": 3}


@pytest.fixture(scope="module")
def tiny(shared_data: Path, tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("online")
    register_tiny()
    checkpoint = tiny_checkpoint(work / "tiny.pth.tar")
    manifest = al.fer.index(shared_data / "face_video/ravdess", "ravdess", folds=3, progress=False)
    manifest.save(work / "ravdess.parquet")
    return work, checkpoint, manifest.table


def _extract_cfg(checkpoint: Path, **sampling) -> ExtractConfig:
    return ExtractConfig(encoder=TINY_NAME, checkpoint=str(checkpoint), sampling={**SAMPLING, **sampling},
                         device="cpu", decode_workers=2)  # fmt: skip


def _metrics(run: Path) -> dict:
    metrics = json.loads((run / "metrics.json").read_text())
    return {k: metrics[k] for k in ("folds", "summary", "confusion_all")}


def _probes(run: Path) -> list[dict[str, torch.Tensor]]:
    return [probe.state_dict() for _, probe, _ in load_run_probes(run)]


def _same_probes(a: Path, b: Path) -> None:
    for x, y in zip(_probes(a), _probes(b), strict=True):
        assert x.keys() == y.keys() and all(torch.equal(x[k], y[k]) for k in x)


@pytest.mark.slow
def test_online_equals_cached_without_augmentation(tiny) -> None:
    work, checkpoint, table = tiny
    ecfg = _extract_cfg(checkpoint, train_augment="none")
    extract_features(table, work / "store", ecfg)
    cfg = TrainConfig(**TRAIN)
    train_run(work / "store", cfg, work / "cached")
    train_run(None, cfg, work / "online", manifest=table, extract=ecfg)
    assert _metrics(work / "cached") == _metrics(work / "online")
    _same_probes(work / "cached", work / "online")
    config = json.loads((work / "online" / "config.json").read_text())
    assert config["mode"] == "online" and config["feature_info"]["tokens_per_segment"] == 8
    timing = json.loads((work / "online" / "timing.json").read_text())
    assert len(timing) == 3 * 3 and all(t["encoder_passes"] == t["clips"] * 2 for t in timing)  # 2 segments
    assert not (work / ".online.resume").exists()  # the state folder goes once the run is complete


@pytest.mark.slow
def test_online_draws_a_fresh_view_each_epoch(tiny) -> None:
    _, checkpoint, table = tiny
    ecfg = _extract_cfg(checkpoint, train_augment="vjepa")
    runner = SegmentRunner(load_encoder(TINY_NAME, checkpoint, ecfg.sampling), torch.device("cpu"))
    source = OnlineClips(table, ecfg, runner, seed=0).train_source(np.arange(3))
    plan = [(np.arange(3), np.zeros(3, dtype=np.int64))]
    epoch0, again, epoch1 = (next(source.batches(plan, e)) for e in (0, 0, 1))
    assert epoch0.shape == (3, 2 * 8, 32)
    assert torch.equal(epoch0, again)  # seeded by (clip, seed, epoch): a resumed run sees the same views
    assert all(not torch.allclose(epoch0[i], epoch1[i]) for i in range(3))  # every clip, a new view


@pytest.mark.slow
def test_frame_cache_changes_no_number(tiny, tmp_path: Path) -> None:
    work, checkpoint, table = tiny
    ecfg = _extract_cfg(checkpoint, train_augment="vjepa")
    cfg = TrainConfig(**{**TRAIN, "epochs": 1})  # every clip is read again by its test fold
    cache = tmp_path / "frames"
    train_run(None, cfg, tmp_path / "decoded", manifest=table, extract=ecfg)
    train_run(None, cfg, tmp_path / "filled", manifest=table, extract=ecfg, frame_cache=cache)  # fills it
    assert len(list((tmp_path / "frames").glob("*.json"))) == table.num_rows
    train_run(None, cfg, tmp_path / "read", manifest=table, extract=ecfg, frame_cache=cache)  # reads it
    decoded = tmp_path / "decoded"
    for run in (tmp_path / "filled", tmp_path / "read"):
        assert _metrics(run) == _metrics(decoded)
        _same_probes(run, decoded)
        assert (run / "predictions.csv").read_bytes() == (decoded / "predictions.csv").read_bytes()


JOB = """
import sys
from pathlib import Path
import pyarrow.parquet as pq
from affectlab.fer.config import ExtractConfig, TrainConfig
from tests.fer.probes.training import train_run
from tests.fer.tiny import SAMPLING, TINY_NAME, register_tiny
register_tiny()
work, out = Path(sys.argv[1]), Path(sys.argv[2])
ecfg = ExtractConfig(encoder=TINY_NAME, checkpoint=str(work / "tiny.pth.tar"), sampling={**SAMPLING,
    "train_augment": "crop-flip"}, device="cpu", decode_workers=1)
cfg = TrainConfig(probe="attentive", num_heads=2, epochs=6, batch_size=2, lrs=[1e-2], seed=1)
train_run(None, cfg, out, manifest=pq.read_table(work / "ravdess.parquet"), extract=ecfg)
"""


def _job(work: Path, out: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen([sys.executable, "-c", JOB, str(work), str(out)], env=env, cwd=Path(__file__).parents[3])


@pytest.mark.slow
def test_killed_online_run_continues_with_the_same_numbers(tiny) -> None:
    work = tiny[0]
    assert _job(work, work / "whole").wait(timeout=600) == 0
    job = _job(work, work / "killed")
    state = work / ".killed.resume"
    deadline = time.monotonic() + 300
    while not (state / "fold1.latest.pt").exists():  # fold 0 done, fold 1 part-way
        assert job.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    job.send_signal(signal.SIGKILL)
    job.wait()
    assert not (work / "killed").exists() and (state / "fold0.done.pt").exists()
    saved = torch.load(state / "fold1.latest.pt", weights_only=True)
    assert 1 <= saved["epoch"] < 6
    assert _job(work, work / "killed").wait(timeout=600) == 0
    assert _metrics(work / "killed") == _metrics(work / "whole")
    _same_probes(work / "killed", work / "whole")
