"""``affectlab demo``: both halves run on data the project can always reach, and it says where outputs are."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from affectlab.demo import run_demo
from affectlab.demo_corpus import ART, CAPTIONS


def test_demo_writes_text_and_face_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("skvideo")
    run_demo(str(tmp_path / "demo"))
    printed = capsys.readouterr().out
    root = tmp_path / "demo"
    captions, art = (pq.read_table(root / "text" / "scores" / f"{n}.parquet") for n in ("captions", "art"))
    assert captions.num_rows == len(CAPTIONS) and art.num_rows == len(ART)
    # the written art-like sentences are less concrete than the caption-like ones, as intended
    mean = lambda t: sum(v for v in t.column("concreteness").to_pylist() if v is not None) / t.num_rows  # noqa: E731
    assert mean(art) < mean(captions)
    assert (root / "text" / "compare" / "report.html").is_file()
    prediction = json.loads((root / "fer" / "prediction.json").read_text())
    assert prediction["source"].startswith("frame-baseline") and len(prediction["probs"]) > 3
    for name in ("report.html", "timeline.png", "windows.csv", "prediction.json"):
        assert name in printed
    assert str(root) in printed
