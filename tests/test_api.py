"""The Python API: every command has its function, and the two give identical outputs on real data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import affectlab as al
from affectlab.errors import AffectlabError

CLI = [sys.executable, "-m", "affectlab"]


def cli(*args: object) -> subprocess.CompletedProcess:
    done = subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=900)
    assert done.returncode in (0, 3), done.stderr[-2000:]
    return done


def test_every_command_has_its_function():
    from typer.main import get_command

    from affectlab.cli import app

    root = get_command(app)
    for group in ("text", "fer"):
        module = getattr(al, group)
        for name in root.commands[group].commands:
            assert name.replace("-", "_") in module.__all__, (
                f"affectlab {group} {name} has no affectlab.{group} function"
            )


def test_public_modules_export_what_they_document():
    assert set(al.__all__) >= {"text", "fer"}
    for module in (al.text, al.fer):
        assert module.__doc__ and ">>>" in module.__doc__
        for name in module.__all__:
            assert getattr(module, name).__doc__, f"{module.__name__}.{name} has no docstring"


def test_score_takes_one_text_or_a_list_and_refuses_paths(tmp_path):
    one = al.text.score("a dog")
    assert len(one) == 1 and one["text"].tolist() == ["a dog"] and one["n_tokens"].tolist() == [2]
    assert len(al.text.score(["a dog", "a cat on a mat"])) == 2
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("a dog\n")
    with pytest.raises(AffectlabError, match="names a file"):
        al.text.score(str(corpus))
    with pytest.raises(AffectlabError, match="not files"):
        al.text.score(corpus)
    with pytest.raises(AffectlabError, match="use score"):
        al.text.profile("a haunting, melancholic dreamscape")


def test_measures_are_built_once_per_process():
    from affectlab.text import api

    al.text.score("warm up")
    first = api.scorer()
    al.text.score("a dog on a red sofa")
    assert api.scorer() is first  # the same built measures: a second call costs no start-up


def test_score_cli_and_function_agree():
    texts = ["a photo of a dog on a red sofa", "a haunting, melancholic dreamscape"]
    lines = cli("text", "score", *texts, "--json").stdout.splitlines()
    frame = al.text.score(texts)
    for line, (_, row) in zip(lines, frame.iterrows(), strict=True):
        record = json.loads(line)
        for key, value in record.items():
            if value is None:  # JSON null: a missing value (NaN in the frame)
                assert pd.isna(row[key]), key
            else:
                assert row[key] == (pytest.approx(value) if isinstance(value, float) else value), key


@pytest.mark.slow
def test_profile_and_compare_cli_and_functions_agree_on_coco(shared_data, tmp_path):
    coco = shared_data / "captions" / "captions_val2017.json"
    flickr = shared_data / "captions" / "Flickr8k.token.txt"
    cli("text", "profile", coco, "--out", tmp_path / "coco.parquet")
    frame = al.text.profile(coco, progress=False).to_pandas()
    pd.testing.assert_frame_equal(pq.read_table(tmp_path / "coco.parquet").to_pandas(), frame)
    written = al.text.profile(flickr, out=tmp_path / "flickr.parquet", progress=False)
    assert written.rows == 40_460 and written.to_pandas().equals(pq.read_table(tmp_path / "flickr.parquet").to_pandas())
    inputs = [tmp_path / "coco.parquet", tmp_path / "flickr.parquet"]
    cli("text", "compare", *inputs, "--out", tmp_path / "cli-report")
    result = al.text.compare(inputs, progress=False)
    result.save(tmp_path / "api-report")
    for name in ("descriptives.csv", "shares.csv", "pairwise.csv"):
        assert (tmp_path / "cli-report" / name).read_text() == (tmp_path / "api-report" / name).read_text(), name
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "cli-report" / "descriptives.csv"), result.descriptives)


@pytest.fixture(scope="module")
def ravdess(shared_data: Path) -> Path:
    return shared_data / "face_video" / "ravdess"


@pytest.mark.slow
def test_fer_cli_and_functions_agree_on_ravdess(ravdess, shared_data, tmp_path):
    # index
    cli("fer", "index", ravdess, "--dataset", "ravdess", "--folds", "2", "--out", tmp_path / "cli.parquet")
    manifest = al.fer.index(ravdess, "ravdess", folds=2, progress=False)
    assert pq.read_table(tmp_path / "cli.parquet").equals(manifest.table)
    # extract
    options = ["--num-segments", "2", "--device", "cpu"]
    cli("fer", "extract", "--manifest", tmp_path / "cli.parquet", "--out", tmp_path / "cli-store", *options)
    store = al.fer.extract(manifest, tmp_path / "api-store", num_segments=2, device="cpu", progress=False)
    from affectlab.fer.cache.store import FeatureStore

    cli_store = FeatureStore(tmp_path / "cli-store")
    assert cli_store.info == store.info and cli_store.manifest.equals(store.manifest)
    for split in ("test", "train"):
        assert np.array_equal(cli_store.tokens(split), store.tokens(split))
    # train
    train = ["--probe", "linear", "--folds", "loao", "--epochs", "3", "--device", "cpu"]
    cli("fer", "train", "--features", tmp_path / "cli-store", "--out", tmp_path / "cli-run", *train)
    run = al.fer.train(store, tmp_path / "api-run", probe="linear", folds="loao", epochs=3, device="cpu",
                       progress=False)  # fmt: skip
    assert json.loads((tmp_path / "cli-run" / "metrics.json").read_text())["folds"] == run._metrics["folds"]
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "cli-run" / "predictions.csv"), run.predictions)
    # predict (the frame baseline)
    clip = shared_data / "face_video" / "crema_d" / "1001_DFA_HAP_XX.flv"
    cli("fer", "predict", clip, "--out", tmp_path / "cli-pred")
    pred = al.fer.predict(clip, progress=False)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "cli-pred" / "windows.csv"), pred.windows,
                                  check_dtype=False)  # fmt: skip
    assert json.loads((tmp_path / "cli-pred" / "prediction.json").read_text())["video_label"] == pred.label
