"""`affectlab text profile` and `affectlab text score` from the command line, bad input included."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from affectlab import cli
from affectlab.text import api, measures
from affectlab.text.measures import Family
from tests.text.test_profiling import ToyMeasure

CONTRACT_COLUMNS = ["vader_compound", "polarity", "subjectivity", "concreteness", "n_tokens"]


@pytest.fixture
def toy_registry(monkeypatch):
    """Only the toy measure, in this process (run profiles with --workers 1)."""
    monkeypatch.setattr(measures, "MEASURE_MODULES", ())
    monkeypatch.setattr(measures, "REGISTRY", {"toy": Family("toy", (), (), lambda config: ToyMeasure())})
    api.scorer.cache_clear()  # measures are built once per process: not the toy ones of another test
    yield
    api.scorer.cache_clear()


def run_cli(args: list[str], monkeypatch, capsys) -> tuple[int, str, str]:
    """Run ``affectlab ARGS`` in this process the way the console script does; (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["affectlab", *args])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    captured = capsys.readouterr()
    return exited.value.code or 0, captured.out, captured.err


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    (tmp_path / "prompts.txt").write_bytes(b"A Dog\n\n   \nbad \xff byte\n")
    (tmp_path / "art.jsonl").write_text('{"caption": "Oil On Canvas"}\n{"caption": null}\n')
    return tmp_path


@pytest.mark.parametrize("command", ["profile", "score"])
def test_help_has_examples(command, monkeypatch, capsys):
    code, out, _ = run_cli(["text", command, "--help"], monkeypatch, capsys)
    assert code == 0
    assert "Examples" in out and f"affectlab text {command}" in out


def test_profile_writes_every_row_with_ids_corpus_and_measures(toy_registry, corpus_dir, monkeypatch, capsys):
    out = corpus_dir / "scores.parquet"
    args = [
        "text",
        "profile",
        str(corpus_dir / "prompts.txt"),
        str(corpus_dir / "art.jsonl"),
        "--out",
        str(out),
    ]
    code, _, err = run_cli([*args, "--workers", "1"], monkeypatch, capsys)
    assert code == 0 and "6 texts from 2 file(s)" in err and "texts/s" in err
    table = pq.read_table(out)
    assert table.column_names == ["id", "corpus", "text", "n_chars", "share_upper"]
    assert table.column("id").to_pylist() == [
        "prompts:1",
        "prompts:2",
        "prompts:3",
        "prompts:4",
        "art:1",
        "art:2",
    ]
    assert table.column("text").to_pylist() == ["A Dog", "", "   ", "bad \ufffd byte", "Oil On Canvas", None]
    assert table.column("n_chars").to_pylist() == [5, 0, 3, 10, 13, None]
    again = corpus_dir / "again.parquet"
    run_cli([*args[:-1], str(again), "--workers", "1"], monkeypatch, capsys)
    assert pq.read_table(again).column("id").equals(table.column("id"))  # ids are stable


def test_profile_corpus_name_no_text_and_format_override(toy_registry, tmp_path, monkeypatch, capsys):
    tsv = tmp_path / "lines.tsv"
    tsv.write_text("a\tb\n")
    out = tmp_path / "o.parquet"
    args = ["text", "profile", str(tsv), "-o", str(out), "--workers", "1"]
    run_cli([*args, "--format", "txt", "--corpus", "mine", "--no-keep-text"], monkeypatch, capsys)
    table = pq.read_table(out)
    assert table.column_names == ["id", "corpus", "n_chars", "share_upper"]
    # the whole line "a<TAB>b" is the text: --format txt overrides the .tsv (cc) detection
    assert table.to_pylist() == [{"id": "lines:1", "corpus": "mine", "n_chars": 3, "share_upper": 0.0}]


def corrupt_parquet(tmp_path: Path) -> Path:
    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"TEXT": ["x"] * 50}), good)
    bad = tmp_path / "corrupt.parquet"
    bad.write_bytes(good.read_bytes()[:-20])
    good.unlink()
    return bad


def write_input(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content)
    return path


BAD_INPUTS = {
    "missing file": (lambda d: d / "missing.txt", [], "missing.txt: no such file"),
    "unknown format": (lambda d: write_input(d, "a.txt", "x\n"), ["--format", "xml"], "unknown format 'xml'"),
    "undetectable": (lambda d: write_input(d, "a.xyz", "x\n"), [], "a.xyz: cannot detect the format"),
    "missing column": (
        lambda d: write_input(d, "a.csv", "title\nx\n"),
        ["--text-column", "body"],
        "a.csv: no text column 'body'",
    ),
    "corrupt parquet": (corrupt_parquet, [], "corrupt.parquet: cannot read as parquet"),
    "corrupt jsonl mid-file": (
        lambda d: write_input(d, "b.jsonl", '{"text": "ok"}\n' * 2500 + "{oops\n"),
        ["--batch-size", "100"],
        "b.jsonl: line 2501 is not valid JSON",
    ),
    "unknown engine": (
        lambda d: write_input(d, "a.txt", "x\n"),
        ["--engine", "spark"],
        "unknown engine 'spark'",
    ),
}


@pytest.mark.parametrize("folder", [False, True], ids=["file", "folder"])
@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_one_line_error_and_no_output(case, folder, toy_registry, tmp_path, monkeypatch, capsys):
    make_input, extra, message = BAD_INPUTS[case]
    source = make_input(tmp_path)
    out = tmp_path / "out" / ("scores" if folder else "scores.parquet")
    target = f"{out}/" if folder else str(out)
    args = ["text", "profile", str(source), "--out", target, "--workers", "1", *extra]
    code, _, err = run_cli(args, monkeypatch, capsys)
    assert code == 2
    *progress, error = err.splitlines()  # captured stderr is no terminal: progress comes as plain lines
    assert all(line.startswith("profiling: ") for line in progress), progress
    assert error.startswith("error: ") and message in error
    assert not out.exists() and (not out.parent.exists() or not any(out.parent.iterdir()))


def test_profile_folder_output_overwrite_and_input_guard(toy_registry, corpus_dir, monkeypatch, capsys):
    single = corpus_dir / "scores.parquet"
    parts = corpus_dir / "parts"
    base = [
        "text",
        "profile",
        str(corpus_dir / "prompts.txt"),
        str(corpus_dir / "art.jsonl"),
        "--workers",
        "1",
    ]
    run_cli([*base, "--out", str(single)], monkeypatch, capsys)
    code, _, err = run_cli([*base, "--out", f"{parts}/", "--batch-size", "2"], monkeypatch, capsys)
    assert code == 0 and f"-> {parts}/" in err.replace("\n", "")
    assert sorted(p.name for p in parts.iterdir()) == [".affectlab-output", "part-000000.parquet"]
    assert pq.read_table(parts).equals(pq.read_table(single))
    code, _, err = run_cli([*base, "--out", str(parts)], monkeypatch, capsys)  # an existing folder
    assert code == 2 and err == f"error: {parts}: folder is not empty; pass --overwrite to replace it\n"
    code, _, _ = run_cli([*base[:3], *base[4:], "--out", str(parts), "--overwrite"], monkeypatch, capsys)
    assert code == 0 and pq.read_table(parts).num_rows == 4
    code, _, err = run_cli([*base, "--out", f"{corpus_dir}/", "--overwrite"], monkeypatch, capsys)
    assert code == 2 and "the output would overwrite an input" in err
    assert (corpus_dir / "prompts.txt").exists()


def test_score_table_and_json(toy_registry, monkeypatch, capsys):
    code, out, _ = run_cli(["text", "score", "Hello World"], monkeypatch, capsys)
    assert code == 0 and "n_chars" in out and "11" in out and "share_upper" in out
    code, out, _ = run_cli(["text", "score", "Hello World", "--json"], monkeypatch, capsys)
    assert json.loads(out) == {"text": "Hello World", "n_chars": 11, "share_upper": pytest.approx(0.2)}


def test_real_measures_end_to_end(tmp_path):
    """The installed console entry point with the project's real measures, in a fresh process."""
    score = subprocess.run(
        [sys.executable, "-m", "affectlab", "text", "score", "a photo of a dog on a red sofa", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    values = json.loads(score.stdout)
    assert all(column in values for column in CONTRACT_COLUMNS)
    assert values["n_tokens"] == 9
    texts = tmp_path / "two.txt"
    texts.write_bytes(b"a photo of a dog on a red sofa\n\n   \n\xff\xfe caf\xe9\n")
    out = tmp_path / "s.parquet"
    command = [sys.executable, "-m", "affectlab", "text", "profile", str(texts), "--out", str(out)]
    subprocess.run([*command, "--workers", "2"], capture_output=True, text=True, check=True)
    table = pq.read_table(out)
    assert table.num_rows == 4 and all(column in table.column_names for column in CONTRACT_COLUMNS)
    assert table.column("n_tokens").to_pylist()[1:3] == [0, 0]  # empty and whitespace-only rows kept
    assert table.slice(0, 1).drop_columns(["id", "corpus", "text"]).to_pylist()[0] == {
        k: pytest.approx(v) if isinstance(v, float) else v for k, v in values.items() if k != "text"
    }


def test_real_affect_norms_add_columns_and_missing_norms_fail_cleanly(shared_data, tmp_path, monkeypatch, capsys):
    warriner = shared_data / "norms" / "Ratings_Warriner_et_al.csv"
    code, out, _ = run_cli(
        ["text", "score", "a joyful party", "--json", "--affect-norms", str(warriner)], monkeypatch, capsys
    )
    values = json.loads(out)
    assert code == 0 and values["valence"] > 5 and 0 < values["affect_coverage"] <= 1
    texts = tmp_path / "t.txt"
    texts.write_text("a dog\n")
    result = tmp_path / "s.parquet"
    args = [
        "text",
        "profile",
        str(texts),
        "--out",
        str(result),
        "--workers",
        "1",
        "--norms",
        str(tmp_path / "no.csv"),
    ]
    code, _, err = run_cli(args, monkeypatch, capsys)
    assert code == 2 and err.count("\n") == 1 and "no.csv" in err
    assert not result.exists()
