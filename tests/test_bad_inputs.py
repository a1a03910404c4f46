"""A bad-input battery over every command: each case exits 2 with one line naming the file at fault, writes
nothing, and leaves every input byte-identical (hashed before and after)."""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from affectlab import cli

World = dict[str, Path]


def digest(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` (and the set of names)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()
    }


@pytest.fixture(scope="module")
def world(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> World:
    """Valid inputs of every command: corpora, a score file, a manifest, a feature store, a run, a clip."""
    import affectlab as al
    from tests.fer.synthetic import planted_store

    root = tmp_path_factory.mktemp("world")
    corpus = root / "prompts.txt"
    corpus.write_text("a dog on a red sofa\na haunting, melancholic dreamscape\n")
    scores = root / "prompts.parquet"
    al.text.profile(corpus, out=scores, workers=1, progress=False)
    manifest = root / "ravdess.parquet"
    al.fer.index(shared_data / "face_video" / "ravdess", "ravdess", out=manifest, folds=2, progress=False)
    store = root / "store"
    al.fer.extract(manifest, store, face_crop=True, resolution=64, num_segments=2, shard_size=4, device="cpu",
                   progress=False)  # fmt: skip
    planted = root / "planted"
    planted_store(planted, actors=6, clips_per_actor=8, folds=3, dim=16, tokens=2)
    run = root / "run"
    al.fer.train(planted, run, probe="linear", epochs=2, device="cpu", progress=False)
    junk = root / "junk.bin"
    junk.write_bytes(np.random.default_rng(0).bytes(4096))
    latin1 = root / "latin1.csv"
    latin1.write_bytes("actor,fold\nJos\xe9,0\n".encode("latin-1"))
    clip = shared_data / "face_video" / "crema_d" / "1001_DFA_HAP_XX.flv"
    return {"root": root, "corpus": corpus, "scores": scores, "manifest": manifest, "store": store,
            "planted": planted, "run": run, "junk": junk, "latin1": latin1, "clip": clip,
            "ravdess": shared_data / "face_video" / "ravdess"}  # fmt: skip


def _broken_run(world: World, tmp: Path, config: object = None) -> Path:
    """A copy of the world's run whose config.json is not one fer train writes."""
    import json
    import shutil

    run = tmp / "broken-run"
    shutil.copytree(world["run"], run)
    (run / "config.json").write_text(json.dumps({"probe": 5} if config is None else config))
    return run


def _fifo(tmp: Path) -> Path:
    path = tmp / "pipe"
    os.mkfifo(path)
    return path


def _under_file(tmp: Path) -> Path:
    (tmp / "plain").write_text("x")
    return tmp / "plain" / "out"


def _too_long(tmp: Path) -> Path:
    return tmp / ("x" * 300)


Case = Callable[[World, Path], tuple[list[str], str]]
# Each case: (world, a fresh folder for outputs) -> (command line, text the one-line error must contain).
CASES: dict[str, Case] = {
    # text profile
    "profile: missing input": lambda w, t: (
        ["text", "profile", str(t / "none.txt"), "-o", str(t / "o.parquet")],
        "none.txt: no such file",
    ),
    "profile: out is a FIFO": lambda w, t: (["text", "profile", str(w["corpus"]), "-o", str(_fifo(t))], "is a FIFO"),
    "profile: out under a file": lambda w, t: (
        ["text", "profile", str(w["corpus"]), "-o", str(_under_file(t))],
        "is not a folder",
    ),
    "profile: out name too long": lambda w, t: (
        ["text", "profile", str(w["corpus"]), "-o", str(_too_long(t))],
        "file name too long",
    ),
    "profile: out is the input": lambda w, t: (
        ["text", "profile", str(w["corpus"]), "-o", str(w["corpus"]), "--overwrite"],
        "would overwrite an input",
    ),
    "profile: existing out": lambda w, t: (
        ["text", "profile", str(w["corpus"]), "-o", str(w["scores"])],
        "exists; pass --overwrite",
    ),
    "profile: same input twice": lambda w, t: (
        ["text", "profile", str(w["corpus"]), str(w["corpus"]), "-o", str(t / "o.parquet")],
        "given twice",
    ),
    # text score
    "score: norms of random bytes": lambda w, t: (["text", "score", "a dog", "--norms", str(w["junk"])], "junk.bin"),
    # text compare
    "compare: out contains the inputs": lambda w, t: (
        ["text", "compare", str(w["scores"]), "-o", str(w["root"]), "--overwrite"],
        "would overwrite an input",
    ),
    "compare: out is a FIFO": lambda w, t: (["text", "compare", str(w["scores"]), "-o", str(_fifo(t))], "is a FIFO"),
    "compare: random bytes": lambda w, t: (["text", "compare", str(w["junk"]), "-o", str(t / "r")], "junk.bin"),
    # text art-corpora
    "art-corpora: not a folder": lambda w, t: (
        ["text", "art-corpora", str(w["junk"]), "-o", str(t / "a")],
        "junk.bin: not a folder",
    ),
    # fer index
    "index: missing root": lambda w, t: (
        ["fer", "index", str(t / "nope"), "--dataset", "ravdess", "--out", str(t / "m.parquet")],
        "nope",
    ),
    "index: out is a FIFO": lambda w, t: (
        ["fer", "index", str(w["ravdess"]), "--dataset", "ravdess", "--out", str(_fifo(t))],
        "is a FIFO",
    ),
    "index: folds file not UTF-8": lambda w, t: (
        [
            "fer",
            "index",
            str(w["ravdess"]),
            "--dataset",
            "ravdess",
            "--folds-file",
            str(w["latin1"]),
            "--out",
            str(t / "m.parquet"),
        ],
        "latin1.csv: not a UTF-8 text file",
    ),
    "index: demographics not UTF-8": lambda w, t: (
        [
            "fer",
            "index",
            str(w["clip"].parent),
            "--dataset",
            "crema-d",
            "--folds",
            "2",
            "--demographics",
            str(w["latin1"]),
            "--out",
            str(t / "m.parquet"),
        ],
        "latin1.csv: not a UTF-8 text file",
    ),
    "index: file list not UTF-8": lambda w, t: (
        [
            "fer",
            "index",
            str(w["clip"].parent),
            "--dataset",
            "crema-d",
            "--file-list",
            str(w["latin1"]),
            "--out",
            str(t / "m.parquet"),
        ],
        "latin1.csv: not a UTF-8 text file",
    ),
    # fer show
    "show: random bytes": lambda w, t: (["fer", "show", str(w["junk"]), "--out", str(t / "s.png")], "junk.bin"),
    "show: out is the video": lambda w, t: (
        ["fer", "show", str(w["clip"]), "--out", str(w["clip"])],
        "would overwrite an input",
    ),
    # fer extract
    "extract: manifest of random bytes": lambda w, t: (
        ["fer", "extract", "--manifest", str(w["junk"]), "--out", str(t / "f")],
        "junk.bin",
    ),
    "extract: checkpoint of random bytes": lambda w, t: (
        [
            "fer",
            "extract",
            "--manifest",
            str(w["manifest"]),
            "--encoder",
            "vjepa-vit_large",
            "--checkpoint",
            str(w["junk"]),
            "--out",
            str(t / "f"),
        ],
        "junk.bin",
    ),
    "extract: out is a foreign folder": lambda w, t: (
        ["fer", "extract", "--manifest", str(w["manifest"]), "--out", str(w["root"])],
        "not a feature store",
    ),
    "extract: out is a FIFO": lambda w, t: (
        ["fer", "extract", "--manifest", str(w["manifest"]), "--out", str(_fifo(t))],
        "is a FIFO",
    ),
    "extract: unknown pooling": lambda w, t: (
        ["fer", "extract", "--manifest", str(w["manifest"]), "--pooling", "max", "--out", str(t / "f")],
        "pooling 'max': expected none, grid",
    ),
    # fer train
    "train: out is the features": lambda w, t: (
        ["fer", "train", "--features", str(w["planted"]), "--out", str(w["planted"]), "--overwrite"],
        "would overwrite an input",
    ),
    "train: out inside the features": lambda w, t: (
        ["fer", "train", "--features", str(w["planted"]), "--out", str(w["planted"] / "run")],
        "would overwrite an input",
    ),
    "train: not a store": lambda w, t: (
        ["fer", "train", "--features", str(t), "--out", str(t / "r")],
        "not a feature store",
    ),
    "train: heads do not divide": lambda w, t: (
        ["fer", "train", "--features", str(w["planted"]), "--num-heads", "7", "--out", str(t / "r")],
        "does not divide",
    ),
    "train: negative lr": lambda w, t: (
        ["fer", "train", "--features", str(w["planted"]), "--lrs", "-1", "--out", str(t / "r")],
        "lrs",
    ),
    "train: negative wd": lambda w, t: (
        ["fer", "train", "--features", str(w["planted"]), "--weight-decays", "-0.1", "--out", str(t / "r")],
        "weight_decays",
    ),
    # fer cross
    "cross: out replaces the run": lambda w, t: (
        ["fer", "cross", "--train", str(w["run"]), "--test", str(w["planted"]), "--out", str(w["run"]), "--overwrite"],
        "would replace the run folder",
    ),
    "cross: not a run": lambda w, t: (["fer", "cross", "--train", str(t), "--test", str(w["planted"])], "config.json"),
    # fer predict
    "predict: video of random bytes": lambda w, t: (
        ["fer", "predict", str(w["junk"]), "--out", str(t / "p")],
        "junk.bin",
    ),
    "predict: out is the video": lambda w, t: (
        ["fer", "predict", str(w["clip"]), "--out", str(w["clip"])],
        "would overwrite an input",
    ),
    "predict: not a run": lambda w, t: (
        ["fer", "predict", str(w["clip"]), "--run", str(w["store"]), "--out", str(t / "p")],
        "config.json",
    ),
    "predict: run config without feature_info": lambda w, t: (
        ["fer", "predict", str(w["clip"]), "--run", str(_broken_run(w, t)), "--out", str(t / "p")],
        "config.json has no feature_info",
    ),
    "report: run config with a bad feature_info": lambda w, t: (
        ["fer", "report", str(_broken_run(w, t, {"feature_info": {"encoder": 3}}))],
        "invalid",
    ),
    # fer embed-plot
    "embed-plot: not a png": lambda w, t: (
        ["fer", "embed-plot", "--features", str(w["store"]), "--out", str(t / "map.jpg")],
        "map.jpg",
    ),
    "embed-plot: out inside the store": lambda w, t: (
        ["fer", "embed-plot", "--features", str(w["store"]), "--out", str(w["store"] / "map.png")],
        "would overwrite an input",
    ),
}


def run_cli(args: list[str], monkeypatch, capsys) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["affectlab", *args])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    return exited.value.code or 0, capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_exit_2_and_inputs_untouched(case, world, tmp_path, monkeypatch, capsys):
    args, expected = CASES[case](world, tmp_path)
    before = {name: digest(path) if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
              for name, path in world.items() if name != "root"}  # fmt: skip
    outputs_before = {p.name for p in tmp_path.iterdir()}
    code, err = run_cli(args, monkeypatch, capsys)
    assert code == 2, f"{case}: exit {code}, stderr {err!r}"
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), f"{case}: {err!r}"
    assert expected in lines[0], f"{case}: {lines[0]!r} lacks {expected!r}"
    after = {name: digest(path) if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
             for name, path in world.items() if name != "root"}  # fmt: skip
    assert after == before, f"{case}: an input changed"
    assert {p.name for p in tmp_path.iterdir()} == outputs_before, f"{case}: something was written"


# --- issue 21: refused half-inputs, no silent mis-parsing, safe --overwrite (text half and every command) ---


def one_line_error(args: list[str], monkeypatch, capsys, expected: str) -> str:
    """Run the CLI; it must exit 2 with one ``error: ...`` line containing ``expected``; return the line."""
    code, err = run_cli(args, monkeypatch, capsys)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), (code, err)
    assert expected in lines[0], lines[0]
    return lines[0]


def captions(n: int) -> str:
    """``n`` captions with a random tag each, so that they compress little."""
    import random

    rng = random.Random(0)
    return "".join(f"caption {i} of a dog on a red sofa {rng.getrandbits(64):016x}\n" for i in range(n))


@pytest.mark.parametrize("keep_bytes", [200_000, 30_000, -1], ids=["half", "30kB", "last-byte"])
def test_truncated_zstd_corpus_is_refused_not_read_short(keep_bytes, tmp_path, monkeypatch, capsys):
    """Item 1: a cut .zst was read as a shorter corpus (11,674 of 40,460 texts; 0 texts), exit 0."""
    import zstandard

    whole = tmp_path / "whole.txt.zst"
    data = captions(40_000).encode()
    whole.write_bytes(zstandard.ZstdCompressor(level=1).compress(data))
    assert len(whole.read_bytes()) > 200_000
    cut = tmp_path / "t.txt.zst"
    cut.write_bytes(whole.read_bytes()[:keep_bytes])
    out = tmp_path / "o.parquet"
    one_line_error(["text", "profile", str(cut), "--out", str(out)], monkeypatch, capsys, "t.txt.zst: truncated zstd")
    assert not out.exists()
    assert run_cli(["text", "profile", str(whole), "--out", str(out)], monkeypatch, capsys)[0] == 0
    import pyarrow.parquet as pq

    assert pq.read_metadata(out).num_rows == 40_000  # the whole stream: every text


@pytest.mark.parametrize("suffix", [".tsv", ".txt"])
def test_headerless_tsv_is_not_scored_by_its_id_column(suffix, tmp_path, monkeypatch, capsys):
    """Item 2: ``id<TAB>text<TAB>label`` was taken for Conceptual Captions and its ids ("0", "1") scored
    (a .txt: the whole line, id and label included)."""
    import pyarrow.parquet as pq

    table = tmp_path / f"sentences{suffix}"
    sentences = ["the movie was wonderful", "a dull and tiresome plot", "the actors were fine"]
    table.write_text("".join(f"{i}\t{s}\t{i % 2}\n" for i, s in enumerate(sentences)))
    out = tmp_path / "o.parquet"
    one_line_error(["text", "profile", str(table), "--out", str(out)], monkeypatch, capsys, "--text-column N")
    assert not out.exists()
    args = ["text", "profile", str(table), "--text-column", "1", "--keep-columns", "2", "--out", str(out)]
    assert run_cli(args, monkeypatch, capsys)[0] == 0
    written = pq.read_table(out)
    assert written.column("text").to_pylist() == sentences
    assert written.column("2").to_pylist() == ["0", "1", "0"]
    assert written.column("id").to_pylist() == ["sentences:1", "sentences:2", "sentences:3"]  # no header row


def test_explicit_format_that_does_not_fit_is_refused(tmp_path, monkeypatch, capsys):
    """Item 2: ``--format flickr8k`` on a COCO json gave one 3.9 MB text, exit 0."""
    import json

    coco = tmp_path / "captions.json"
    coco.write_text(json.dumps({"images": [{"id": 1}], "annotations": [{"id": 7, "caption": "a dog"}]}, indent=2))
    labels = tmp_path / "labels.txt"
    labels.write_text("0\tgreat film\t1\n1\tbad film\t0\n")
    out = tmp_path / "o.parquet"
    for path, fmt in [(coco, "flickr8k"), (coco, "cc"), (labels, "cc"), (labels, "flickr8k"), (labels, "coco")]:
        args = ["text", "profile", str(path), "--format", fmt, "--out", str(out)]
        one_line_error(args, monkeypatch, capsys, f"{path.name}: not {fmt}")
    assert not out.exists()
    assert run_cli(["text", "profile", str(coco), "--format", "coco", "--out", str(out)], monkeypatch, capsys)[0] == 0


def test_profile_out_suffix_must_say_parquet(tmp_path, monkeypatch, capsys):
    """Item 5: ``--out out.csv`` wrote parquet under a csv name."""
    corpus = tmp_path / "c.txt"
    corpus.write_text("a dog\n")
    for name in ("out.csv", "out.jsonl", "out.txt"):
        one_line_error(["text", "profile", str(corpus), "--out", str(tmp_path / name)], monkeypatch, capsys,
                       "a parquet file is written here")  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt"]


def _foreign_folder(root: Path) -> tuple[Path, dict[str, str]]:
    folder = root / "u"
    (folder / "sub").mkdir(parents=True)
    (folder / "thesis.docx").write_text("x")
    (folder / "sub" / "notes.txt").write_text("y")
    return folder, digest(folder)


def test_overwrite_never_deletes_a_folder_affectlab_did_not_make(world, tmp_path, monkeypatch, capsys):
    """Item 6: ``--overwrite`` deleted thesis.docx and sub/ (text compare, text profile folder, fer train)."""
    folder, before = _foreign_folder(tmp_path)
    commands = [
        ["text", "compare", str(world["scores"]), "--out", str(folder), "--overwrite"],
        ["text", "profile", str(world["corpus"]), "--out", f"{folder}/", "--overwrite"],
        ["fer", "train", "--features", str(world["planted"]), "--probe", "linear", "--epochs", "1", "--device", "cpu",
         "--out", str(folder), "--overwrite"],
        ["text", "art-corpora", str(_art_root(tmp_path)), "--out", str(folder), "--overwrite"],
    ]  # fmt: skip
    for args in commands:
        one_line_error(args, monkeypatch, capsys, "not a folder affectlab wrote")
        assert digest(folder) == before and sorted(p.name for p in folder.iterdir()) == ["sub", "thesis.docx"]
    # affectlab's own output folder is replaced with --overwrite, as before
    report = tmp_path / "report"
    assert run_cli(["text", "compare", str(world["scores"]), "--out", str(report)], monkeypatch, capsys)[0] == 0
    (report / "stale.txt").write_text("from an earlier run")
    args = ["text", "compare", str(world["scores"]), "--out", str(report), "--overwrite"]
    assert run_cli(args, monkeypatch, capsys)[0] == 0
    assert (report / "report.html").is_file() and not (report / "stale.txt").exists()


def _art_root(root: Path, broken_poetry: bool = False) -> Path:
    """An art_text folder with a Tate file and a poetry file (broken: its second record is not JSON)."""
    import gzip
    import json

    art = root / "art_text"
    (art / "tate").mkdir(parents=True, exist_ok=True)
    (art / "poetry").mkdir(exist_ok=True)
    (art / "tate" / "tate_emotion_artworks.jsonl").write_text(json.dumps({"acno": "A1", "title": "Sorrow"}) + "\n")
    poem = json.dumps({"path": "p1", "title": "Spring", "text": "green leaves\n\nbright sky"}) + "\n"
    with gzip.open(art / "poetry" / "public_domain_poetry.jsonl.gz", "wt") as fh:
        fh.write(poem + ("{broken\n" if broken_poetry else ""))
    return art


def test_art_corpora_never_writes_into_its_input_nor_replaces_silently(tmp_path, monkeypatch, capsys):
    """Item 8: art-corpora wrote into its input folder, replaced outputs without --overwrite (it had none),
    and left tate_titles.jsonl behind when a later input failed."""
    art = _art_root(tmp_path)
    before = digest(art)
    for out in (art, art / "tate", art / "new"):
        one_line_error(["text", "art-corpora", str(art), "--out", str(out)], monkeypatch, capsys,
                       "would overwrite an input or lie inside one")  # fmt: skip
        assert digest(art) == before
    out = tmp_path / "corpora"
    assert run_cli(["text", "art-corpora", str(art), "--out", str(out)], monkeypatch, capsys)[0] == 0
    written = digest(out)
    one_line_error(["text", "art-corpora", str(art), "--out", str(out)], monkeypatch, capsys, "pass --overwrite")
    assert digest(out) == written
    assert run_cli(["text", "art-corpora", str(art), "--out", str(out), "--overwrite"], monkeypatch, capsys)[0] == 0
    broken = _art_root(tmp_path / "b", broken_poetry=True)
    one_line_error(["text", "art-corpora", str(broken), "--out", str(tmp_path / "half")], monkeypatch, capsys,
                   "line 2 is not valid JSON")  # fmt: skip
    assert not (tmp_path / "half").exists()


@pytest.mark.parametrize("fmt", ["parquet", "tsv", "csv", "jsonl", "coco"])
def test_keeping_the_text_column_is_refused_in_one_line(fmt, tmp_path, monkeypatch, capsys):
    """Item 11: ``--keep-columns TEXT`` (the text column): IndexError traceback on parquet, text twice on TSV."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / f"c.{'json' if fmt == 'coco' else fmt}"
    if fmt == "parquet":
        pq.write_table(pa.table({"TEXT": ["a dog"], "label": ["x"]}), path)
    elif fmt in ("tsv", "csv"):
        sep = "\t" if fmt == "tsv" else ","
        path.write_text(f"TEXT{sep}label\na dog{sep}x\n")
    elif fmt == "jsonl":
        path.write_text(json.dumps({"TEXT": "a dog", "label": "x"}) + "\n")
    else:
        path.write_text(json.dumps({"annotations": [{"id": 1, "caption": "a dog"}]}))
    column = "caption" if fmt == "coco" else "TEXT"
    args = ["text", "profile", str(path), "--keep-columns", column, "--out", str(tmp_path / "o.parquet")]
    one_line_error(args, monkeypatch, capsys, f"cannot keep column {column!r}: it is the text column")
    assert not (tmp_path / "o.parquet").exists()


@pytest.mark.parametrize("where", [".", ".."])
def test_out_dot_with_overwrite_is_one_clear_line_and_leaves_no_temporary(where, world, tmp_path, monkeypatch, capsys):
    """Item 14: ``--out .`` / ``--out ..`` with --overwrite said "Device or resource busy" and left
    an empty ``..PID.XXXX.tmp`` in the working folder."""
    work = tmp_path / "a" / "work"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    for args in (["text", "compare", str(world["scores"])], ["text", "profile", str(world["corpus"])]):
        one_line_error([*args, "--out", where, "--overwrite"], monkeypatch, capsys, "is the working folder or holds it")
        assert list(tmp_path.rglob("*.tmp")) == [] and list(work.iterdir()) == []


def test_binary_standard_input_is_refused_in_one_line(monkeypatch, capsys):
    """Item 15: ``text score -`` with binary input printed tables of garbage, exit 0."""
    import io

    data = np.random.default_rng(1).bytes(4096) + b"\x00"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    one_line_error(["text", "score", "-"], monkeypatch, capsys, "standard input: binary data (a NUL byte")
    assert capsys.readouterr().out == ""


def test_terminal_escapes_in_texts_and_names_are_shown_escaped(tmp_path, monkeypatch, capsys):
    """Item 15: ``\\x1b]0;...\\x07`` and ``\\x1b[31m`` in the input went raw to the terminal."""
    text = "title \x1b]0;pwned\x07 and \x1b[31mred[/] [bold]x"
    code, _ = run_cli(["text", "score", text], monkeypatch, capsys)
    assert code == 0
    shown = capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["affectlab", "text", "score", text])
    with pytest.raises(SystemExit):
        cli.main()
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "title \\x1b]0;pwned\\x07 and \\x1b[31mred[/] [bold]x" in out  # the text, escaped, markup not read
    assert shown.err == ""
    line = one_line_error(["text", "profile", str(tmp_path / "x\x1b[2Jy.txt"), "--out", str(tmp_path / "o.parquet")],
                          monkeypatch, capsys, "no such file")  # fmt: skip
    assert "\x1b" not in line and "x\\x1b[2Jy.txt" in line


def _commands(group=None, path=()) -> list[tuple[str, ...]]:
    """Every command path of the CLI (``("text", "profile")``, ...)."""
    import typer

    group = group or typer.main.get_command(cli.app)
    found = []
    for name, command in getattr(group, "commands", {}).items():
        found += _commands(command, (*path, name)) if hasattr(command, "commands") else [(*path, name)]
    return found


def test_dash_h_is_help_for_every_command(monkeypatch, capsys):
    """Item 17: ``-h`` was refused ("No such option: -h")."""
    commands = _commands()
    assert ("text", "profile") in commands and ("fer", "train") in commands
    for command in [(), ("text",), ("fer",), *commands]:
        monkeypatch.setattr(sys, "argv", ["affectlab", *command, "-h"])
        with pytest.raises(SystemExit) as exited:
            cli.main()
        shown = capsys.readouterr()
        assert exited.value.code == 0 and "Usage: affectlab" in shown.out + shown.err, command


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["text", "profile"], "Missing argument"),
        (["text", "profile", "c.txt"], "Missing option '--out'"),
        (["text", "score", "a dog", "--nope"], "No such option: --nope"),
        (["text", "score", "a dog", "--max-chars", "many"], "--max-chars"),
        (["fer", "index"], "Missing argument"),
    ],
)
def test_usage_error_is_one_line_with_a_pointer_to_help(args, expected, monkeypatch, capsys):
    """Item 17: usage errors printed Usage plus a boxed error; the README promises one line."""
    line = one_line_error(args, monkeypatch, capsys, expected)
    assert line.endswith(f"(see 'affectlab {' '.join(a for a in args[:2] if not a.startswith('-'))} --help')")


@pytest.mark.parametrize("value", [None, 123, b"x", {"a": "dog"}, 1.5])
def test_score_refuses_what_is_not_text_at_its_door(value):
    """Item 18: score(None)/score(123): bare "not iterable" TypeError from deep inside; score(b"x"):
    "text #0 is a int (98)"."""
    import affectlab as al

    with pytest.raises(TypeError, match=rf"^score\(\) takes a str or a list of str, not {type(value).__name__}"):
        al.text.score(value)


def test_score_of_no_texts_has_the_measure_columns():
    """Item 18: score([]) returned a frame without columns."""
    import affectlab as al

    empty, one = al.text.score([]), al.text.score(["a dog"])
    assert len(empty) == 0 and list(empty.columns) == list(one.columns)
    assert list(one.columns)[:2] == ["text", "vader_neg"] and len(one.columns) > 10


def test_compare_refuses_no_inputs_and_inputs_of_the_wrong_type():
    """Item 18: compare([]) returned an empty result; compare({"a": 123}) raised AttributeError in pandas."""
    import affectlab as al
    from affectlab.errors import AffectlabError

    with pytest.raises(AffectlabError, match="needs at least one corpus"):
        al.text.compare([])
    with pytest.raises(AffectlabError, match="needs at least one corpus"):
        al.text.compare({})
    with pytest.raises(TypeError, match=r"input 'a' is a int; expected a DataFrame, a profile\(\) result or a score"):
        al.text.compare({"a": 123})
    with pytest.raises(TypeError, match="an input is a int"):
        al.text.compare([3])
