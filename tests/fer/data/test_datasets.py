"""Dataset indexing: a synthetic RAVDESS tree, real clips, bad files, folders, the CLI and its exit codes."""

import hashlib
import shutil
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from affectlab.cli import app
from affectlab.errors import AffectlabError
from affectlab.fer.data.manifest import (
    MANIFEST_SCHEMA,
    index_dataset,
    label_names,
    read_manifest,
    skipped_report_path,
    write_manifest,
)

runner = CliRunner()


def _ravdess_speech_names(actor: int, modality: str) -> list[str]:
    """The 60 speech clip names of one actor: neutral has normal intensity only."""
    names = []
    for emotion in range(1, 9):
        for intensity in (1,) if emotion == 1 else (1, 2):
            for statement in (1, 2):
                for rep in (1, 2):
                    names.append(f"{modality}-01-{emotion:02d}-{intensity:02d}-{statement:02d}-{rep:02d}-{actor:02d}")
    return names


@pytest.fixture(scope="module")
def ravdess_tree(tmp_path_factory) -> Path:
    """24 actors x 60 speech clips x 2 video modalities as empty files, plus song clips and bad names."""
    root = tmp_path_factory.mktemp("RAVDESS")
    for actor in range(1, 25):
        folder = root / f"Actor_{actor:02d}"
        folder.mkdir()
        for modality in ("01", "02"):
            for name in _ravdess_speech_names(actor, modality):
                (folder / f"{name}.mp4").touch()
        (folder / f"01-02-03-01-01-01-{actor:02d}.mp4").touch()  # a song clip
        (folder / f"03-01-03-01-01-01-{actor:02d}.wav").touch()  # audio-only: not a video, ignored
    (root / "Actor_01" / "01-01-09-01-01-01-01.mp4").touch()
    (root / "Actor_01" / "clip.mp4").touch()
    (root / "Actor_02" / "01-01-03-01-01-01-05.mp4").touch()
    return root


def _ravdess(root: Path, **options):
    return index_dataset(root, "ravdess", check_videos=False, hash_files=False, **options)


def test_ravdess_default_keeps_audio_visual_speech_and_song(ravdess_tree):
    table, skipped = _ravdess(ravdess_tree)
    assert table.schema.remove_metadata() == MANIFEST_SCHEMA
    assert table.num_rows == 24 * 61 and set(table["modality"].to_pylist()) == {"audio-visual"}
    speech, _ = _ravdess(ravdess_tree, channel="speech")
    assert speech.num_rows == 24 * 60
    labels = Counter(speech["label"].to_pylist())
    assert labels == {"neutral": 96, **{name: 192 for name in label_names(speech)[1:]}}
    reasons = dict(skipped)
    assert "unknown emotion code '09'" in reasons[str(ravdess_tree / "Actor_01" / "01-01-09-01-01-01-01.mp4")]
    assert "does not match" in reasons[str(ravdess_tree / "Actor_01" / "clip.mp4")]
    assert "folder Actor_02" in reasons[str(ravdess_tree / "Actor_02" / "01-01-03-01-01-01-05.mp4")]
    assert len(skipped) == 3


def test_ravdess_row_fields(ravdess_tree):
    table, _ = _ravdess(ravdess_tree)
    rows = {Path(r["path"]).name: r for r in table.to_pylist()}
    row = rows["01-01-05-02-01-02-07.mp4"]
    assert row["label"] == "angry" and row["label_index"] == 4 and label_names(table)[4] == "angry"
    assert (row["actor"], row["sex"], row["intensity"], row["repetition"]) == ("07", "male", "strong", 2)
    assert (row["statement"], row["vocal_channel"], row["dataset"]) == (
        "Kids are talking by the door",
        "speech",
        "ravdess",
    )
    song = rows["01-02-03-01-01-01-12.mp4"]
    assert (song["label"], song["label_index"], song["sex"], song["vocal_channel"]) == (
        "happy",
        2,
        "female",
        "song",
    )
    assert rows["01-01-08-01-02-01-24.mp4"]["statement"] == "Dogs are sitting by the door"
    assert row["content_hash"] is None


def test_ravdess_folds_are_actor_disjoint(ravdess_tree):
    table, _ = _ravdess(ravdess_tree, folds=5, seed=3)
    folds_of = {}
    for actor, fold in zip(table["actor"].to_pylist(), table["fold"].to_pylist(), strict=True):
        assert folds_of.setdefault(actor, fold) == fold
    assert len(folds_of) == 24 and sorted(Counter(folds_of.values()).values()) == [4, 5, 5, 5, 5]


def test_ravdess_both_modalities_pair_up_in_one_fold(ravdess_tree):
    both, _ = _ravdess(ravdess_tree, modality="both", channel="speech")
    video, _ = _ravdess(ravdess_tree, modality="video", channel="speech")
    assert both.num_rows == 2 * 24 * 60 and set(video["modality"].to_pylist()) == {"video-only"}
    pairs: dict[str, list] = {}
    for row in both.select(["recording", "modality", "fold"]).to_pylist():
        pairs.setdefault(row["recording"], []).append(row)
    assert len(pairs) == 24 * 60
    for copies in pairs.values():
        assert sorted(c["modality"] for c in copies) == ["audio-visual", "video-only"]
        assert copies[0]["fold"] == copies[1]["fold"]


def test_ravdess_intensity_filter(ravdess_tree):
    strong, _ = _ravdess(ravdess_tree, intensity="strong", channel="speech")
    assert strong.num_rows == 24 * 28 and "neutral" not in strong["label"].to_pylist()


def test_real_ravdess_clips(shared_data):
    root = shared_data / "face_video" / "ravdess"
    table, skipped = index_dataset(root, "ravdess", folds=3)
    assert skipped == [] and table.num_rows == 7
    rows = {Path(r["path"]).name: r for r in table.to_pylist()}
    assert rows["01-01-06-01-01-01-05.mp4"]["label"] == "fearful"
    assert rows["01-01-04-01-01-01-05.mp4"]["fold"] == rows["01-01-06-01-01-01-05.mp4"]["fold"]
    path = root / "Actor_01" / "01-01-01-01-01-01-01.mp4"
    assert rows[path.name]["content_hash"] == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def crema_folder(shared_data, tmp_path) -> Path:
    """Real CREMA-D clips linked under two actors' names (other clips for the second actor: one recording under
    two actors is refused), plus an empty, a truncated and a fake video."""
    real = sorted((shared_data / "face_video" / "crema_d").glob("*.flv"))
    folder = tmp_path / "VideoFlash"
    folder.mkdir()
    for clip, other in zip(real[:3], real[3:6], strict=True):
        (folder / clip.name).symlink_to(clip)
        (folder / clip.name.replace("1001", "1002")).symlink_to(other)
    (folder / "1003_DFA_ANG_XX.flv").write_bytes(real[3].read_bytes()[:300])
    (folder / "1003_DFA_HAP_XX.flv").touch()
    (folder / "1003_DFA_SAD_XX.flv").write_text("not a video")
    (folder / "1003_XYZ_SAD_XX.flv").symlink_to(real[5])
    return folder


def test_crema_folder_skips_bad_files(crema_folder, shared_data):
    demographics = shared_data / "face_video" / "crema_d_metadata" / "VideoDemographics.csv"
    table, skipped = index_dataset(crema_folder, "crema-d", folds=2, demographics=demographics)
    assert table.num_rows == 6 and sorted(set(table["actor"].to_pylist())) == ["1001", "1002"]
    assert set(zip(table["actor"].to_pylist(), table["sex"].to_pylist(), strict=True)) == {
        ("1001", "male"),
        ("1002", "female"),
    }
    row = next(r for r in table.to_pylist() if Path(r["path"]).name == "1002_DFA_ANG_XX.flv")
    assert (row["label"], row["label_index"], row["intensity"], row["statement"]) == (
        "angry",
        0,
        "unspecified",
        "Don't forget a jacket",
    )
    reasons = {Path(p).name: r for p, r in skipped}
    assert set(reasons) == {
        "1003_DFA_ANG_XX.flv",
        "1003_DFA_HAP_XX.flv",
        "1003_DFA_SAD_XX.flv",
        "1003_XYZ_SAD_XX.flv",
    }
    assert reasons["1003_DFA_HAP_XX.flv"] == "empty file"
    assert "unknown sentence code 'XYZ'" in reasons["1003_XYZ_SAD_XX.flv"]
    assert (
        table["content_hash"].to_pylist()[0] == hashlib.sha256(Path(table["path"][0].as_py()).read_bytes()).hexdigest()
    )


def test_cli_index_writes_skipped_report_and_exits_3(crema_folder, tmp_path):
    out = tmp_path / "out" / "crema.parquet"
    result = runner.invoke(
        app,
        [
            "fer",
            "index",
            str(crema_folder),
            "--dataset",
            "crema-d",
            "--out",
            str(out),
            "--folds",
            "2",
            "--export-folds",
            str(tmp_path / "folds.csv"),
        ],
    )
    assert result.exit_code == 3, result.output
    table = read_manifest(out)
    assert table.num_rows == 6 and label_names(table) == (
        "angry",
        "disgust",
        "fearful",
        "happy",
        "neutral",
        "sad",
    )
    report = skipped_report_path(out).read_text().splitlines()
    assert report[0] == "path,reason" and len(report) == 5
    assert (tmp_path / "folds.csv").read_text().splitlines()[1:] == [
        f"1001,{table['fold'][0]}",
        f"1002,{1 - table['fold'][0].as_py()}",
    ]


def test_cli_index_clean_run_exits_0(shared_data, tmp_path):
    result = runner.invoke(
        app,
        [
            "fer",
            "index",
            str(shared_data / "face_video" / "ravdess"),
            "--dataset",
            "ravdess",
            "--out",
            str(tmp_path / "r.parquet"),
            "--folds",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    assert not skipped_report_path(tmp_path / "r.parquet").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--folds", "9"], "only 6 actor(s)"),
        (["--dataset", "mnist"], "expected ravdess, crema-d or folder"),
        (["--channel", "speeech"], "expected speech|song"),
        (["--modality", "audio"], "expected one of av, video, both"),
    ],
)
def test_cli_user_errors(shared_data, tmp_path, args, message):
    base = ["fer", "index", str(shared_data / "face_video" / "ravdess"), "--out", str(tmp_path / "m.parquet")]
    if "--dataset" not in args:
        base += ["--dataset", "ravdess"]
    result = runner.invoke(app, base + args)
    assert isinstance(result.exception, AffectlabError) and message in str(result.exception)
    assert not (tmp_path / "m.parquet").exists()


def test_empty_dataset_is_an_error(tmp_path):
    with pytest.raises(AffectlabError, match="no usable ravdess clips"):
        index_dataset(tmp_path, "ravdess")


def test_folder_dataset_by_subfolder_and_csv(tmp_path, shared_data):
    clips = iter(sorted((shared_data / "face_video" / "crema_d").glob("*.flv")))  # one recording per file
    for label, n in (("pain", 2), ("calm", 3)):
        (tmp_path / "data" / label).mkdir(parents=True)
        for i in range(n):
            shutil.copyfile(next(clips), tmp_path / "data" / label / f"c{i}.flv")
    table, skipped = index_dataset(tmp_path / "data", "folder", folds=2, hash_files=False)
    assert skipped == [] and label_names(table) == ("calm", "pain")
    assert Counter(zip(table["label"].to_pylist(), table["label_index"].to_pylist(), strict=True)) == {
        ("calm", 0): 3,
        ("pain", 1): 2,
    }
    (tmp_path / "data" / "list.csv").write_text(
        "path,label,subject\npain/c0.flv,pain,s1\ncalm/c0.flv,calm,s1\ncalm/c1.flv,calm,s2\nmissing.flv,calm,s3\n"
    )
    table, skipped = index_dataset(tmp_path / "data" / "list.csv", "folder", folds=2)
    assert table["actor"].to_pylist() == ["s1", "s1", "s2"]
    assert table["fold"][0] == table["fold"][1] != table["fold"][2]
    assert skipped == [(str(tmp_path / "data" / "missing.flv"), "file not found")]


def test_manifest_round_trip_and_validation(tmp_path, ravdess_tree):
    table, _ = _ravdess(ravdess_tree)
    write_manifest(table, tmp_path / "m.parquet")
    back = read_manifest(tmp_path / "m.parquet")
    assert back.equals(table) and label_names(back) == label_names(table)
    write_manifest(pa.table({"path": ["a"]}), tmp_path / "bad.parquet")
    with pytest.raises(AffectlabError, match="missing columns"):
        read_manifest(tmp_path / "bad.parquet")


def test_folds_none_is_a_test_only_set_and_names_any_case(ravdess_tree):
    from affectlab.fer.api import index
    from affectlab.fer.data.manifest import Manifest

    table, _ = _ravdess(ravdess_tree, folds=None)
    assert set(table.column("fold").to_pylist()) == {None}
    summary = Manifest(table).fold_summary()
    assert summary.index.tolist() == ["none"] and summary.loc["none", "actors"] == 24
    assert (
        summary.loc["none", "clips"] == table.num_rows and summary.loc["none", "happy"] == 24 * 9
    )  # 8 speech + 1 song
    manifest = index(ravdess_tree, "RAVDESS", folds="none", check=False, hash=False, progress=False)
    assert manifest.dataset == "ravdess" and "no folds (test-only)" in repr(manifest)
    with pytest.raises(AffectlabError, match="makes no folds to export"):
        index(ravdess_tree, " Ravdess ", folds="none", export_folds=ravdess_tree / "f.csv", check=False, hash=False)
    with pytest.raises(AffectlabError, match="folds"):
        index(ravdess_tree, "ravdess", folds=1, check=False, hash=False)


def test_cli_folds_none_single_crema_actor(shared_data, tmp_path):
    out = tmp_path / "crema.parquet"
    result = runner.invoke(app, ["fer", "index", str(shared_data / "face_video/crema_d"), "--dataset", "CREMA-D",
                                 "--out", str(out), "--folds", "none"])  # fmt: skip
    assert result.exit_code == 0, result.output
    table = read_manifest(out)
    assert table.num_rows == 6 and set(table.column("actor").to_pylist()) == {"1001"}
    assert set(table.column("fold").to_pylist()) == {None}
    assert "folds none: 6 clips/1 actors" in result.output and "clips per fold and class:" in result.output


def test_check_faces_lists_faceless_clips_in_the_skipped_report(shared_data, tmp_path):
    from tests.fer.videos import write_video

    root = tmp_path / "CREMA-D"
    root.mkdir()
    for clip in ("1001_DFA_HAP_XX.flv", "1001_DFA_SAD_XX.flv"):
        shutil.copy(shared_data / "face_video/crema_d" / clip, root / clip)
    write_video(root / "1002_DFA_ANG_XX.mp4", faceless=True, frames=30)
    out = tmp_path / "m.parquet"
    plain = runner.invoke(app, ["fer", "index", str(root), "--dataset", "crema-d", "--out", str(out), "--folds",
                                "none"])  # fmt: skip
    assert plain.exit_code == 0 and read_manifest(out).num_rows == 3  # without the check the scene is a clip
    checked = runner.invoke(app, ["fer", "index", str(root), "--dataset", "crema-d", "--out", str(out),
                                  "--folds", "none", "--check-faces"])  # fmt: skip
    assert checked.exit_code == 3, checked.output
    assert sorted(Path(p).name for p in read_manifest(out).column("path").to_pylist()) == [
        "1001_DFA_HAP_XX.flv", "1001_DFA_SAD_XX.flv"]  # fmt: skip
    report = skipped_report_path(out).read_text()
    assert "1002_DFA_ANG_XX.mp4" in report and "no face found on any of 8 frames" in report


def test_folder_csv_rows_without_a_path_or_label_are_skipped_by_line(tmp_path, shared_data):
    """A label CSV row that is short (no label field) or has an empty path is a skipped line, not an
    AttributeError, and never indexes the CSV's own folder as a clip."""
    clip = next(iter(sorted((shared_data / "face_video" / "crema_d").glob("*.flv"))))
    shutil.copyfile(clip, tmp_path / "a.flv")
    shutil.copyfile(clip, tmp_path / "b.flv")
    listing = tmp_path / "list.csv"
    listing.write_text("path,label\na.flv\n,happy\nb.flv,joy\n")
    table, skipped = index_dataset(listing, "folder", folds=None, check_videos=False, hash_files=False)
    assert table["path"].to_pylist() == [str(tmp_path / "b.flv")] and table["label"].to_pylist() == ["happy"]
    assert skipped == [(str(tmp_path / "a.flv"), "empty label"), (f"{listing}:3", "empty path")]
