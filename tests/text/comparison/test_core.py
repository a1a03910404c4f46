"""Corpus comparison on small score files with fixed values: statistics, report, bad input via the CLI."""

from __future__ import annotations

import base64
import io
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.image
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats as sps
from typer.testing import CliRunner

from affectlab.cli import app
from affectlab.errors import AffectlabError
from affectlab.text.comparison import core as compare_module
from affectlab.text.comparison import stats
from affectlab.text.comparison.core import compare
from affectlab.text.config import CompareOptions
from tests.text.comparison.helpers import write_report

runner = CliRunner()

CORE = {
    "vader_compound": [0.0, 0.3, -0.6, 0.04, 0.0, 0.7],
    "polarity": [0.0, 0.2, -0.5, 0.0, 0.1, 0.8],
    "subjectivity": [0.0, 0.6, 0.9, 0.1, 0.5, 1.0],
    "concreteness": [4.5, 3.9, None, 4.8, 4.1, 3.5],
    "n_abstract_words": [0, 1, 2, 0, 0, 3],
    "rate_abstract_words": [0.0, 0.1, 0.2, 0.0, 0.0, 0.3],
}
COMPARED = [name for name in CORE if not name.startswith("n_")]  # counts are compared as their rates


def write_scores(
    path: Path, corpus: str | list[str], columns: dict[str, list], with_text: bool = True, id_prefix: str = ""
) -> Path:
    """A score parquet like `affectlab text profile` writes, with the given measure columns (ids
    ``<id_prefix><corpus>:<row>``: shards of one corpus get distinct prefixes, as real shards have)."""
    n = len(next(iter(columns.values())))
    names = corpus if isinstance(corpus, list) else [corpus] * n
    data: dict[str, pa.Array] = {"id": pa.array([f"{id_prefix}{c}:{i}" for i, c in enumerate(names)])}
    data["corpus"] = pa.array(names)
    if with_text:
        data["text"] = pa.array(["some text"] * n)
    for name, values in columns.items():
        kind = pa.int32() if name.startswith("n_") else pa.float64()
        data[name] = pa.array(values, type=kind)
    pq.write_table(pa.table(data), path)
    return path


def art_like(columns: dict[str, list]) -> dict[str, list]:
    """Counts + 1, concreteness - 1.5, other scores + 0.2 (capped at 1); nulls stay null."""

    def move(name: str, v: float) -> float:
        if name.startswith("n_"):
            return v + 1
        return v - 1.5 if name == "concreteness" else min(1.0, v + 0.2)

    return {name: [None if v is None else move(name, v) for v in values] for name, values in columns.items()}


@pytest.fixture
def two_files(tmp_path: Path) -> tuple[Path, Path]:
    a = write_scores(tmp_path / "captions.parquet", "captions", CORE)
    b = write_scores(tmp_path / "art.parquet", "art", art_like(CORE))
    return a, b


def test_statistics_equal_scipy_and_hand_counts(two_files):
    result = compare(two_files)
    assert result.corpora == ["captions", "art"]
    assert result.measures == COMPARED
    conc = np.array([4.5, 3.9, 4.8, 4.1, 3.5])  # the null is dropped
    d = result.describe["concreteness"]["captions"]
    assert (d.n, d.mean, d.median) == (5, pytest.approx(conc.mean()), pytest.approx(np.median(conc)))
    assert d.sd == pytest.approx(conc.std(ddof=1))
    pair = next(p for p in result.pairs if p.measure == "concreteness")
    art = conc - 1.5
    mw = sps.mannwhitneyu(conc, art, alternative="two-sided")
    assert pair.test.u == mw.statistic and pair.test.p_value == pytest.approx(mw.pvalue)
    assert pair.test.cliffs_delta == 1.0 and pair.test.magnitude == "large"
    assert pair.test.ks_distance == sps.ks_2samp(conc, art).statistic
    # Holm over the whole family (5 measures x 1 pair)
    assert [p.p_holm for p in result.pairs] == pytest.approx(stats.holm([p.test.p_value for p in result.pairs]))
    shares = {(s.share.split(" (")[0], s.corpus): (s.hits, s.n) for s in result.shares}
    assert shares[("any sentiment", "captions")] == (3, 6)  # |0.3|, |-0.6|, |0.7| >= 0.05; 0.04 is not
    assert shares[("subjective", "captions")] == (3, 6)  # 0.6, 0.9, 1.0 (0.5 is not > 0.5)
    assert shares[("any abstract word", "captions")] == (3, 6)
    assert shares[("any abstract word", "art")] == (6, 6)


def test_reads_only_needed_columns_never_text(two_files, monkeypatch):
    requested: list[list[str]] = []
    original = pq.ParquetFile.iter_batches

    def spy(self, *args, columns=None, **kwargs):
        requested.append(list(columns))
        return original(self, *args, columns=columns, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy)
    compare(two_files)
    assert requested and all("text" not in cols and len(cols) == 2 for cols in requested)


def test_several_corpora_per_file_shards_and_groups(tmp_path):
    mixed = write_scores(tmp_path / "mixed.parquet", ["coco"] * 3 + ["flickr"] * 3, CORE)
    shard = write_scores(tmp_path / "shard2.parquet", "coco", CORE, id_prefix="shard2/")
    result = compare([mixed, shard])
    assert result.corpora == ["coco", "flickr"]
    assert result.describe["vader_compound"]["coco"].n == 3 + 6  # shards of one corpus are pooled
    pooled = compare([mixed, shard], groups={"coco": "captions", "flickr": "captions"})
    assert pooled.corpora == ["captions"] and pooled.describe["vader_compound"]["captions"].n == 12
    assert pooled.pairs == []
    with pytest.raises(AffectlabError, match="--group names corpora not in the inputs: laion"):
        compare([mixed, shard], groups={"laion": "captions"})


def test_folder_of_parts_is_read_like_one_file(tmp_path, two_files, monkeypatch):
    captions, art = two_files
    parts = tmp_path / "captions_parts"
    parts.mkdir()
    table = pq.read_table(captions)
    pq.write_table(table.slice(0, 4), parts / "part-000000.parquet")
    pq.write_table(table.slice(4), parts / "part-000001.parquet")
    expected = compare([captions, art])
    result = compare([parts, art])
    assert result.corpora == expected.corpora == ["captions", "art"]
    assert result.describe == expected.describe
    assert [p.test.p_value for p in result.pairs] == [p.test.p_value for p in expected.pairs]
    out = tmp_path / "report"
    assert write_report([parts, art], out).corpora == ["captions", "art"]  # not profiled as raw input
    assert not (out / "scores").exists()
    (tmp_path / "hollow").mkdir()
    with pytest.raises(AffectlabError, match="hollow: folder has no parquet files"):
        compare([tmp_path / "hollow", art])
    with pytest.raises(AffectlabError, match="plots: not a folder of parquet files"):
        compare([out / "plots", art])


def test_profile_folder_outputs_feed_compare(tmp_path):
    (tmp_path / "captions.txt").write_text("a dog on a red sofa\na man riding a bike\n" * 3)
    (tmp_path / "poems.txt").write_text("I love the sad beauty of freedom\nhope is a lovely dream\n" * 3)
    for name in ("captions", "poems"):
        args = ["text", "profile", str(tmp_path / f"{name}.txt"), "--out", f"{tmp_path / name}/"]
        done = runner.invoke(app, [*args, "--workers", "1", "--batch-size", "2"])
        assert done.exit_code == 0, done.output
    done = runner.invoke(
        app,
        [
            "text",
            "compare",
            str(tmp_path / "captions"),
            str(tmp_path / "poems"),
            "--out",
            str(tmp_path / "r"),
        ],
    )
    assert done.exit_code == 0, done.output
    assert "compared 2 corpora" in done.output and not (tmp_path / "r" / "scores").exists()


def test_optional_measures_in_some_files_only_are_skipped(tmp_path):
    a = write_scores(tmp_path / "a.parquet", "a", {**CORE, "valence": [5.0] * 6})
    b = write_scores(tmp_path / "b.parquet", "b", CORE)
    result = compare([a, b])
    assert "valence" not in result.measures and result.skipped == ["valence"]


def test_report_html_parses_and_inlines_every_plot(two_files, tmp_path):
    out = tmp_path / "report"
    write_report(list(two_files), out)
    pngs = sorted(p.name for p in (out / "plots").glob("*.png"))
    assert {"means.png", "shares.png", "effects.png", "dist_concreteness.png"} <= set(pngs)
    images = _inline_images((out / "report.html").read_text(encoding="utf-8"))
    assert len(images) == len(pngs)
    for data in images:
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        pixels = matplotlib.image.imread(io.BytesIO(data), format="png")
        assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.shape[1] > 100
    html_text = (out / "report.html").read_text(encoding="utf-8")
    summary = (out / "summary.md").read_text(encoding="utf-8")
    for cite in ("Hutto", "De Smedt", "Brysbaert, M., Warriner", "Warriner, A. B."):
        assert cite in html_text and cite in summary
    assert "## Pairwise tests" in summary
    for name in ("descriptives.csv", "shares.csv", "pairwise.csv", "compare.json"):
        assert (out / name).is_file()
    rows = pq.read_table(two_files[0]).num_rows
    assert f"corpus captions: {rows:,} texts" in summary


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.sources.append(dict(attrs)["src"])


def _inline_images(document: str) -> list[bytes]:
    parser = _Images()
    parser.feed(document)
    prefix = "data:image/png;base64,"
    assert all(src.startswith(prefix) for src in parser.sources)
    return [base64.b64decode(src[len(prefix) :], validate=True) for src in parser.sources]


def test_single_corpus_report_has_no_pairwise_section(tmp_path):
    only = write_scores(tmp_path / "only.parquet", "only", CORE)
    result = runner.invoke(app, ["text", "compare", str(only), "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    summary = (tmp_path / "r" / "summary.md").read_text()
    assert "Pairwise" not in summary and not (tmp_path / "r" / "pairwise.csv").exists()
    assert "one corpus only" in summary
    assert len(_inline_images((tmp_path / "r" / "report.html").read_text())) == 2 + len(COMPARED)  # means, shares


def _cli_error(args: list[str]) -> str:
    result = runner.invoke(app, ["text", "compare", *args])
    assert result.exit_code != 0
    assert isinstance(result.exception, AffectlabError), result.exception
    return str(result.exception)


def test_bad_input_different_schemas(tmp_path, two_files):
    partial = {k: v for k, v in CORE.items() if k not in ("concreteness", "n_abstract_words")}
    odd = write_scores(tmp_path / "odd.parquet", "odd", partial)
    message = _cli_error([str(two_files[0]), str(odd), "--out", str(tmp_path / "r")])
    assert str(odd) in message and "concreteness" in message and "n_abstract_words" in message
    assert not (tmp_path / "r" / "report.html").exists()


def test_bad_input_corpus_without_valid_rows(tmp_path, two_files):
    empty_values = {k: [None] * 6 for k in CORE}
    hollow = write_scores(tmp_path / "hollow.parquet", "hollow", empty_values)
    message = _cli_error([str(two_files[0]), str(hollow), "--out", str(tmp_path / "r")])
    assert "'hollow'" in message and "no rows with a valid score" in message


def test_bad_input_file_with_no_rows(tmp_path):
    empty = write_scores(tmp_path / "empty.parquet", "x", {k: [] for k in CORE})
    assert "no rows to compare" in _cli_error([str(empty), "--out", str(tmp_path / "r")])


def test_bad_input_not_parquet_and_bad_group(tmp_path, two_files):
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"not parquet at all")
    assert str(junk) in _cli_error([str(junk), "--out", str(tmp_path / "r")])
    assert "NAME=corpus1,corpus2" in _cli_error([*map(str, two_files), "--group", "oops", "--out", str(tmp_path)])
    assert "missing measure column(s) nope" in _cli_error(
        [*map(str, two_files), "-m", "nope", "--out", str(tmp_path / "r")]
    )


def test_user_error_is_one_line_exit_2(tmp_path, two_files):
    odd = write_scores(tmp_path / "odd.parquet", "odd", {"vader_compound": [0.1]})
    code = "from affectlab.cli import main; main()"
    argv = [
        sys.executable,
        "-c",
        code,
        "text",
        "compare",
        str(two_files[0]),
        str(odd),
        "--out",
        str(tmp_path / "r"),
    ]
    done = subprocess.run(argv, capture_output=True, text=True)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().startswith("error:") and len(done.stderr.strip().splitlines()) <= 2


def test_files_without_corpus_column_named_by_stem(tmp_path):
    a = tmp_path / "alpha.parquet"
    pq.write_table(pa.table({k: pa.array(v, pa.float64()) for k, v in CORE.items()}), a)
    b = write_scores(tmp_path / "beta.parquet", "beta", CORE)
    assert compare([a, b]).corpora == ["alpha", "beta"]
    dup = tmp_path / "sub"
    dup.mkdir()
    pq.write_table(pq.read_table(a), dup / "alpha.parquet")
    with pytest.raises(AffectlabError, match="share a name"):
        compare_module.compare([a, dup / "alpha.parquet"])


def test_raw_corpora_are_profiled_first(tmp_path):
    captions = tmp_path / "captions.txt"
    captions.write_text("a dog on a red sofa\na man riding a bike\ntwo cats on a wooden table\n")
    poems = tmp_path / "poems.txt"
    poems.write_text("I love the sad beauty of freedom\nyour wonderful idea of truth\nhope is a lovely dream\n")
    out = tmp_path / "report"
    result = write_report([captions, poems], out, CompareOptions(workers=1))
    assert result.corpora == ["captions", "poems"]
    scores = pq.read_table(out / "scores" / "captions.parquet")
    assert "text" not in scores.column_names and scores.num_rows == 3
    assert result.describe["concreteness"]["captions"].mean > result.describe["concreteness"]["poems"].mean
    assert result.empty == ["share_abstract_nouns"]  # the default norms carry no parts of speech
    assert "share_abstract_nouns" not in result.measures
    assert "skipped (no value in any corpus): share_abstract_nouns" in (out / "summary.md").read_text()
    twin = tmp_path / "other"
    twin.mkdir()
    (twin / "captions.txt").write_text("a cat\n")
    with pytest.raises(AffectlabError, match="second input named 'captions'"):
        write_report([captions, twin / "captions.txt"], tmp_path / "r2", CompareOptions(workers=1))
