"""Issue 9, text half: each case is a regression test (one line, exit 2, nothing written, no traceback)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from affectlab.text import api
from affectlab.text.comparison import report as report_module
from tests.text.comparison.test_core import CORE, art_like, write_scores
from tests.text.test_cli import run_cli


def one_line_error(args: list[str], monkeypatch, capsys, message: str) -> str:
    code, _, err = run_cli(args, monkeypatch, capsys)
    assert code == 2, err
    # captured stderr is no terminal: a raw input's profiling progress comes first, as plain lines
    err = "".join(
        line for line in err.splitlines(keepends=True) if not re.match(r"profiling \S+: (started|finished)", line)
    )
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert message in err, err
    return err


@pytest.fixture
def scores(tmp_path: Path) -> tuple[Path, Path]:
    return (
        write_scores(tmp_path / "captions.parquet", "captions", CORE),
        write_scores(tmp_path / "art.parquet", "art", art_like(CORE)),
    )


# --- 9: the same texts twice ---


def test_compare_refuses_the_same_file_twice(scores, tmp_path, monkeypatch, capsys):
    a, _ = scores
    one_line_error(
        ["text", "compare", str(a), str(a), "--out", str(tmp_path / "r")], monkeypatch, capsys, "given twice"
    )
    assert not (tmp_path / "r").exists()


def test_compare_refuses_two_files_with_the_same_ids_of_one_corpus(scores, tmp_path, monkeypatch, capsys):
    a, b = scores
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "captions.parquet").write_bytes(a.read_bytes())
    args = ["text", "compare", str(a), str(b), str(copy / "captions.parquet"), "--out", str(tmp_path / "r")]
    one_line_error(args, monkeypatch, capsys, "holds the same texts as")
    assert not (tmp_path / "r").exists()


def test_a_refused_raw_input_is_named_by_its_final_path_not_the_staging_one(tmp_path, monkeypatch, capsys):
    corpus = tmp_path / "prompts.txt"
    corpus.write_text("a dog on a red sofa\na haunting dreamscape\n")
    scored = tmp_path / "scored.parquet"
    assert run_cli(["text", "profile", str(corpus), "--out", str(scored)], monkeypatch, capsys)[0] == 0
    final = tmp_path / "r" / "scores" / "prompts.parquet"
    args = ["text", "compare", str(corpus), str(scored), "--out", str(tmp_path / "r")]
    err = one_line_error(args, monkeypatch, capsys, f"holds the same texts as {final}")
    assert ".tmp" not in err


def test_profile_refuses_the_same_input_twice(tmp_path, monkeypatch, capsys):
    (tmp_path / "t.txt").write_text("a dog\n")
    args = [
        "text",
        "profile",
        str(tmp_path / "t.txt"),
        str(tmp_path / "." / "t.txt"),
        "--out",
        str(tmp_path / "s.parquet"),
    ]
    one_line_error(args, monkeypatch, capsys, "given twice")
    assert not (tmp_path / "s.parquet").exists()


# --- 10: an empty score file beside a valid one ---


def test_compare_refuses_a_zero_row_score_file_beside_a_valid_one(scores, tmp_path, monkeypatch, capsys):
    a, _ = scores
    empty = write_scores(tmp_path / "empty.parquet", "empty", {k: [] for k in CORE})
    args = ["text", "compare", str(a), str(empty), "--out", str(tmp_path / "r")]
    one_line_error(args, monkeypatch, capsys, f"{empty}: no rows to compare")
    assert not (tmp_path / "r").exists()


# --- 8 and 11: the report is staged and replaces the folder as a whole ---


def test_compare_into_a_non_empty_folder_needs_overwrite_and_replaces_it_whole(scores, tmp_path, monkeypatch, capsys):
    a, b = scores
    out = tmp_path / "r"
    assert run_cli(["text", "compare", str(a), str(b), "--out", str(out)], monkeypatch, capsys)[0] == 0
    (out / "pairwise.csv").write_text("stale from an earlier run")
    one_line_error(["text", "compare", str(a), str(b), "--out", str(out)], monkeypatch, capsys, "folder is not empty")
    assert (out / "pairwise.csv").read_text() == "stale from an earlier run"
    code, _, _ = run_cli(["text", "compare", str(a), "--out", str(out), "--overwrite"], monkeypatch, capsys)
    assert code == 0 and not (out / "pairwise.csv").exists()  # one corpus: no pairwise table, nothing stale


def test_compare_killed_mid_report_leaves_no_partial_folder(scores, tmp_path, monkeypatch):
    a, b = scores
    out = tmp_path / "r"

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # as a Ctrl-C or SIGTERM while the plots are drawn

    monkeypatch.setattr(report_module, "_html", crash)
    with pytest.raises(KeyboardInterrupt):
        api.compare([a, b], out=out, progress=False)
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".r.")]


# --- tracebacks that must be one line ---


def test_deeply_nested_jsonl_is_one_line(tmp_path, monkeypatch, capsys):
    deep = tmp_path / "deep.jsonl"
    deep.write_text('{"text": "ok"}\n' + '{"text": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    args = ["text", "profile", str(deep), "--out", str(tmp_path / "s.parquet"), "--workers", "1"]
    one_line_error(args, monkeypatch, capsys, "nested too deeply")
    first = tmp_path / "first.jsonl"
    first.write_text('{"text": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    one_line_error(["text", "profile", str(first), "--out", str(tmp_path / "s.parquet")], monkeypatch, capsys, "nested")
    assert not (tmp_path / "s.parquet").exists()


def test_deeply_nested_art_text_is_one_line(tmp_path, monkeypatch, capsys):
    root = tmp_path / "art"
    (root / "tate").mkdir(parents=True)
    (root / "tate/tate_emotion_artworks.jsonl").write_text('{"title": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    args = ["text", "art-corpora", str(root), "--out", str(tmp_path / "out")]
    one_line_error(args, monkeypatch, capsys, "nested too deeply")


def test_corrupt_later_part_of_a_score_folder_is_one_line(scores, tmp_path, monkeypatch, capsys):
    a, b = scores
    folder = tmp_path / "parts"
    folder.mkdir()
    pq.write_table(pq.read_table(a), folder / "part-000000.parquet")
    good = pq.read_table(a).slice(0, 3)
    pq.write_table(good, folder / "part-000001.parquet")
    data = (folder / "part-000001.parquet").read_bytes()
    (folder / "part-000001.parquet").write_bytes(data[:40] + b"\x00" * 200 + data[240:])  # data pages broken
    args = ["text", "compare", str(folder), str(b), "--out", str(tmp_path / "r")]
    one_line_error(args, monkeypatch, capsys, "part-000001.parquet")
    assert not (tmp_path / "r").exists()


def test_corrupt_column_data_of_a_score_file_is_one_line(scores, tmp_path, monkeypatch, capsys):
    a, b = scores
    table = pq.read_table(a)
    bad = tmp_path / "bad.parquet"
    pq.write_table(table, bad, compression="snappy", use_dictionary=False)
    data = bytearray(bad.read_bytes())
    start = data.index(b"some text") if b"some text" in data else 100
    for i in range(start, min(len(data) - 200, start + 400)):
        data[i] = 0xFF
    bad.write_bytes(bytes(data))
    args = ["text", "compare", str(bad), str(b), "--out", str(tmp_path / "r")]
    code, _, err = run_cli(args, monkeypatch, capsys)
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1 and "bad.parquet" in err, err


# --- smaller ---


def test_measure_names_never_write_outside_out(tmp_path, monkeypatch, capsys):
    columns = {**CORE, "../../../../../escape": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}
    a = write_scores(tmp_path / "a.parquet", "a", columns)
    b = write_scores(tmp_path / "b.parquet", "b", art_like(columns))
    out = tmp_path / "deep" / "er" / "r"
    code, _, err = run_cli(
        ["text", "compare", str(a), str(b), "--out", str(out), "-m", "../../../../../escape"], monkeypatch, capsys
    )
    assert code == 0, err
    written = {p.relative_to(tmp_path) for p in tmp_path.rglob("*.png")}
    assert written and all(p.parts[:3] == ("deep", "er", "r") for p in written), written
    assert (out / "plots" / "dist_escape.png").is_file()


@pytest.mark.parametrize("strict", [False, True])
def test_non_string_text_values_warn_once_or_refuse_with_strict(strict, tmp_path, monkeypatch, capsys):
    source = tmp_path / "mixed.jsonl"
    source.write_text('{"text": "a dog"}\n{"text": 5}\n{"text": ["a", "list"]}\n{"text": 2.5}\n{"text": null}\n')
    out = tmp_path / "s.parquet"
    args = ["text", "profile", str(source), "--out", str(out), "--workers", "1", *(["--strict"] if strict else [])]
    code, _, err = run_cli(args, monkeypatch, capsys)
    if strict:
        assert code == 2 and err.count("\n") == 1 and "--strict refuses them" in err and "int at line 2" in err
        assert not out.exists()
        return
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and "3 text value(s) are not strings" in warnings[0] and str(source) in warnings[0]
    assert pq.read_table(out).column("text").to_pylist() == ["a dog", "5", '["a", "list"]', "2.5", None]


def test_non_string_parquet_columns_warn_and_binary_decodes_with_replacement(tmp_path):
    numbers = tmp_path / "numbers.parquet"
    pq.write_table(pa.table({"text": pa.array([1, None, 3], pa.int64())}), numbers)
    with pytest.warns(UserWarning, match="2 text value\\(s\\) are not strings"):
        frame = api.profile(numbers, workers=1, progress=False).to_pandas()
    assert frame["text"].tolist()[::2] == ["1", "3"]
    lists = tmp_path / "lists.parquet"
    pq.write_table(pa.table({"text": pa.array([["a", "b"], None])}), lists)
    with pytest.warns(UserWarning):
        assert api.profile(lists, workers=1, progress=False).to_pandas()["text"].tolist()[0] == '["a", "b"]'
    from affectlab.errors import AffectlabError

    with pytest.raises(AffectlabError, match="--strict refuses them"):
        api.profile(lists, strict=True, progress=False)
    binary = tmp_path / "binary.parquet"
    pq.write_table(pa.table({"text": pa.array([b"caf\xe9 noir", b"ok"], pa.binary())}), binary)
    assert api.profile(binary, workers=1, progress=False).to_pandas()["text"].tolist() == ["caf\ufffd noir", "ok"]


def test_score_json_is_strict_json_without_nan_or_lone_surrogates(tmp_path):
    env_bytes = [sys.executable, "-m", "affectlab", "text", "score", "--json", "x", "bad \udcff byte"]
    done = subprocess.run(env_bytes, capture_output=True, check=True)
    lines = done.stdout.decode("utf-8").splitlines()  # valid UTF-8
    assert len(lines) == 2
    records = [json.loads(line, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}")) for line in lines]
    assert records[0]["concreteness"] is None  # NaN -> null
    assert records[1]["text"] == "bad \ufffd byte"
    stdin = subprocess.run(
        [sys.executable, "-m", "affectlab", "text", "score", "-", "--json"],
        input=b"first line\nsecond \xff line\n",
        capture_output=True,
        check=True,
    )
    texts = [json.loads(line)["text"] for line in stdin.stdout.decode().splitlines()]
    assert texts == ["first line", "second \ufffd line"]
