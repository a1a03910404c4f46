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
        ["fer", "extract", "--manifest", str(w["manifest"]), "--pool", "max", "--out", str(t / "f")],
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
        ["fer", "train", "--features", str(w["planted"]), "--heads", "7", "--out", str(t / "r")],
        "does not divide",
    ),
    "train: negative lr": lambda w, t: (
        ["fer", "train", "--features", str(w["planted"]), "--lr", "-1", "--out", str(t / "r")],
        "lrs",
    ),
    "train: negative wd": lambda w, t: (
        ["fer", "train", "--features", str(w["planted"]), "--wd", "-0.1", "--out", str(t / "r")],
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
