"""``fer index`` refuses a recording indexed under two actors (it would sit in two folds) and keeps a recording
repeated under one actor once; both are listed in the skipped report and the command exits 3."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from affectlab.cli import app
from affectlab.fer.data.manifest import read_manifest, skipped_report_path
from affectlab.io import file_sha256


def test_index_refuses_content_repeated_across_actors_and_keeps_repeats_of_one_actor_once(
    shared_data: Path, tmp_path: Path
) -> None:
    src = shared_data / "face_video/ravdess"
    root = tmp_path / "ravdess"
    for actor, name in (("01", "01-01-01-01-01-01-01.mp4"), ("05", "01-01-04-01-01-01-05.mp4"),
                        ("06", "01-01-08-01-01-01-06.mp4"), ("10", "01-01-08-01-01-01-10.mp4")):  # fmt: skip
        (root / f"Actor_{actor}").mkdir(parents=True)
        shutil.copy(src / f"Actor_{actor}" / name, root / f"Actor_{actor}" / name)
    # actor 01's neutral clip copied under actor 03's name: the same recording under two actors
    (root / "Actor_03").mkdir()
    shutil.copy(src / "Actor_01/01-01-01-01-01-01-01.mp4", root / "Actor_03/01-01-01-01-01-01-03.mp4")
    # actor 05's sad clip copied as its own second repetition: one actor, the same content twice
    shutil.copy(root / "Actor_05/01-01-04-01-01-01-05.mp4", root / "Actor_05/01-01-04-01-01-02-05.mp4")
    before = {p: p.read_bytes() for p in root.rglob("*.mp4")}
    out = tmp_path / "m.parquet"
    result = CliRunner().invoke(app, ["fer", "index", str(root), "--dataset", "ravdess", "--out", str(out),
                                      "--folds", "2"])  # fmt: skip
    assert result.exit_code == 3, result.output
    table = read_manifest(out)
    kept = sorted(Path(p).name for p in table.column("path").to_pylist())
    assert kept == ["01-01-04-01-01-01-05.mp4", "01-01-08-01-01-01-06.mp4", "01-01-08-01-01-01-10.mp4"]
    assert len(set(table.column("content_hash").to_pylist())) == table.num_rows
    lines = skipped_report_path(out).read_text().splitlines()[1:]
    reasons = {Path(line.split(",", 1)[0]).name: line.split(",", 1)[1] for line in lines}
    digest = file_sha256(root / "Actor_01/01-01-01-01-01-01-01.mp4")[:12]
    assert set(reasons) == {"01-01-01-01-01-01-01.mp4", "01-01-01-01-01-01-03.mp4", "01-01-04-01-01-02-05.mp4"}
    for name, other in (("01-01-01-01-01-01-01.mp4", "Actor_03"), ("01-01-01-01-01-01-03.mp4", "Actor_01")):
        assert f"same content (sha256 {digest})" in reasons[name] and other in reasons[name]
        assert "under actors 01, 03 could be trained on in one fold and tested in another" in reasons[name]
    assert reasons["01-01-04-01-01-02-05.mp4"].endswith("of the same actor: kept once")
    assert {p: p.read_bytes() for p in root.rglob("*.mp4")} == before  # inputs untouched
