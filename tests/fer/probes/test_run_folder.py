"""``fer train`` chains its stages once: the feature store is read once, the run it returns holds the metrics it
wrote (the report is made from them), ``Run(path)`` reads a run folder once, and the run's summary has one
format, shared by ``repr`` and the CLI."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import affectlab as al
from affectlab.cli import app
from affectlab.fer.probes.run import Run
from tests.fer.synthetic import planted_store

FAST = {"probe": "linear", "epochs": 1, "lrs": [1e-2], "batch_size": 8, "device": "cpu"}


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Reads per file name: parquet files through pyarrow, JSON and text files through ``Path.read_text``."""
    counts: Counter = Counter()
    read_table, parquet_file, read_text = pq.read_table, pq.ParquetFile, Path.read_text

    def counted_table(source, *args, **kwargs):
        counts[Path(str(source)).name] += 1
        return read_table(source, *args, **kwargs)

    class CountedFile(parquet_file):
        def __init__(self, source, *args, **kwargs):
            counts[Path(str(source)).name] += 1
            super().__init__(source, *args, **kwargs)

    def counted_text(self: Path, *args, **kwargs):
        counts[self.name] += 1
        return read_text(self, *args, **kwargs)

    monkeypatch.setattr(pq, "read_table", counted_table)
    monkeypatch.setattr(pq, "ParquetFile", CountedFile)
    monkeypatch.setattr(Path, "read_text", counted_text)
    return counts


@pytest.mark.filterwarnings("ignore::affectlab.fer.probes.evaluate.UnseenClassWarning")
def test_train_reads_the_feature_store_once_and_no_file_it_wrote(tmp_path: Path, reads: Counter) -> None:
    root = planted_store(tmp_path / "store", actors=4, clips_per_actor=4, folds=2, signal=3.0).root
    reads.clear()
    run = al.fer.train(root, tmp_path / "run", progress=False, **FAST)  # and the report
    assert (tmp_path / "run/report.html").is_file() and (tmp_path / "run/report/map.png").is_file()
    assert reads["index.parquet"] == 1 and reads["info.json"] == 1
    assert reads["metrics.json"] == 0 and reads["config.json"] == 0  # the report is made from the run in memory
    held = (run.summary, run.pooled, run.labels, run.warnings, run.dataset, repr(run), run.config, run.metrics)
    assert reads["metrics.json"] == 0 and reads["config.json"] == 0
    again = Run(str(tmp_path / "run"))  # from disk: read once, when first needed
    assert reads["metrics.json"] == 0
    assert (again.summary, again.pooled, again.labels, again.warnings, again.dataset, repr(again),
            again.config) == held[:-1]  # fmt: skip
    assert again.metrics.equals(held[-1]) and again.path == run.path == tmp_path / "run"
    assert again.metrics_json == json.loads((tmp_path / "run/metrics.json").read_text())
    assert reads["metrics.json"] == 2 and reads["config.json"] == 1  # one each by Run, one by the line above


def test_summary_line_is_one_format_for_repr_and_cli(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    metrics = {
        "dataset": "ravdess",
        "probe": "linear",
        "folds": [{}, {}],
        "summary": {"uar": {"mean": 0.5, "std": 0.125}, "war": {"mean": 0.625, "std": 0.0625}},
        "pooled": {"uar": 0.4375, "war": 0.5, "n": 12},
        "full_video": {"summary": {"uar": {"mean": 0.25, "std": 0.0}, "war": {"mean": 0.75, "std": 0.5}}},
    }
    (run / "metrics.json").write_text(json.dumps(metrics))
    lines = [
        "ravdess: UAR 0.500 ± 0.125, WAR 0.625 ± 0.062 (fold mean ± std over 2 folds); pooled UAR 0.438, WAR 0.500 "
        "over 12 clips",
        "ravdess full-video: UAR 0.250 ± 0.000, WAR 0.750 ± 0.500 (fold mean ± std over 2 folds)",
    ]
    assert Run(run).summary_lines() == lines
    assert repr(Run(run)) == f"Run({run}: {' | '.join(lines)})"
    (run / "metrics.json").write_text(json.dumps({**metrics, "summary": None, "full_video": {}}))
    assert repr(Run(run)) == f"Run({run}: ravdess linear: one probe on every clip (--folds all))"


def test_cli_prints_the_runs_summary_lines(tmp_path: Path) -> None:
    root = planted_store(tmp_path / "store", actors=4, clips_per_actor=4, folds=2, signal=3.0).root
    out = tmp_path / "run"
    args = ["fer", "train", "--features", str(root), "--probe", "linear", "--epochs", "1", "--lrs", "0.01",
            "--batch-size", "8", "--device", "cpu", "--out", str(out)]  # fmt: skip
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    printed = [line for line in done.stdout.splitlines() if line.startswith("ravdess")]
    assert printed == [f"{line} -> {out}/metrics.md" for line in Run(out).summary_lines()]
    assert len(printed) == 1 and printed[0].endswith(f"over 16 clips -> {out}/metrics.md")
