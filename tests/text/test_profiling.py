"""Profile engines: the batch function, local pool and Ray give the same rows, order and values."""

from __future__ import annotations

import json
import pickle
import sys
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from affectlab.engines import map_local
from affectlab.errors import AffectlabError
from affectlab.io import OUTPUT_MARKER
from affectlab.text.config import ProfileOptions
from affectlab.text.corpora import open_corpus
from affectlab.text.measures import Scorer
from affectlab.text.profiling import BatchProfiler, profile_batch, profile_corpora

TOY_SCHEMA = pa.schema([("n_chars", pa.int32()), ("share_upper", pa.float64())])


class ToyMeasure:
    """Characters and share of upper-case letters: a measure whose values are easy to check."""

    name = "toy"
    schema = TOY_SCHEMA

    def score_batch(self, texts: Sequence[str | None], tokens: Sequence | None = None) -> dict[str, list]:
        letters = [[c for c in t if c.isalpha()] if t else [] for t in texts]
        return {
            "n_chars": [len(t) if t is not None else None for t in texts],
            "share_upper": [sum(c.isupper() for c in ls) / len(ls) if ls else None for ls in letters],
        }


def toy_measures() -> list[ToyMeasure]:
    return [ToyMeasure()]


def toy_batch(texts: list[str | None]) -> pa.Table:
    return pa.table({"id": [f"t:{i}" for i in range(len(texts))], "corpus": ["t"] * len(texts), "text": texts})


@pytest.fixture
def corpus_files(tmp_path: Path) -> list[Path]:
    """Three small corpora in three formats, 2,300 texts with empty, null and non-ASCII ones."""
    txt = tmp_path / "prompts.txt"
    txt.write_text("".join(f"A Prompt number {i} café\n" if i % 50 else "\n" for i in range(1500)))
    jsonl = tmp_path / "art.jsonl"
    jsonl.write_text("".join(json.dumps({"text": None if i % 7 == 0 else f"ART {i}"}) + "\n" for i in range(500)))
    shard = tmp_path / "shard.parquet"
    pq.write_table(pa.table({"TEXT": [f"web caption {i}" for i in range(300)]}), shard, row_group_size=64)
    return [txt, jsonl, shard]


def run_profile(files: list[Path], out: Path, **options) -> pa.Table:
    corpora = [open_corpus(path) for path in files]
    summary = profile_corpora(corpora, out, ProfileOptions(**options), measures_factory=toy_measures)
    table = pq.read_table(out)
    assert summary.rows == table.num_rows
    return table


def test_profile_batch_appends_measure_columns_in_order():
    table = profile_batch(toy_batch(["Ab c", "", None]), Scorer(toy_measures()))
    assert table.column_names == ["id", "corpus", "text", "n_chars", "share_upper"]
    assert table.column("n_chars").to_pylist() == [4, 0, None]
    assert table.column("share_upper").to_pylist() == [pytest.approx(1 / 3), None, None]
    assert profile_batch(toy_batch(["x"]), Scorer(toy_measures()), keep_text=False).column_names == [
        "id",
        "corpus",
        "n_chars",
        "share_upper",
    ]


def test_batch_profiler_builds_measures_once_and_pickles_without_them():
    builds = []

    def counting_factory() -> list[ToyMeasure]:
        builds.append(1)
        return toy_measures()

    profiler = BatchProfiler(counting_factory)
    profiler(toy_batch(["a"]))
    profiler(toy_batch(["b"]))
    assert len(builds) == 1
    clone = pickle.loads(pickle.dumps(BatchProfiler(toy_measures)))
    assert clone._scorer is None and clone(toy_batch(["Hi"])).column("n_chars").to_pylist() == [2]


def test_local_engine_keeps_order_and_reads_ahead_at_most_two_batches_per_worker():
    pulled = []

    def batches():
        for i in range(40):
            pulled.append(i)
            yield toy_batch([f"text {i}"])

    results = map_local(BatchProfiler(toy_measures), batches(), workers=2)
    first = next(results)
    assert first.column("text").to_pylist() == ["text 0"]
    assert len(pulled) <= 2 * 2 + 1
    rest = list(results)
    assert [t.column("text")[0].as_py() for t in rest] == [f"text {i}" for i in range(1, 40)]


def test_local_workers_1_and_2_give_identical_output(corpus_files, tmp_path):
    one = run_profile(corpus_files, tmp_path / "one.parquet", workers=1, batch_size=97)
    two = run_profile(corpus_files, tmp_path / "two.parquet", workers=2, batch_size=97)
    assert one.num_rows == 2300
    assert one.equals(two)
    assert one.column("id").to_pylist()[:2] == ["prompts:1", "prompts:2"]
    assert one.column("corpus").unique().to_pylist() == ["prompts", "art", "shard"]


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray")
    # The toy measure lives in this test module, which Ray workers cannot import: ship it by value.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.mark.slow
def test_ray_engine_equals_local_engine(local_ray, corpus_files, tmp_path):
    local = run_profile(corpus_files, tmp_path / "local.parquet", workers=2, batch_size=97)
    on_ray = run_profile(corpus_files, tmp_path / "ray.parquet", workers=2, batch_size=97, engine="ray")
    assert on_ray.equals(local)


@pytest.mark.slow
def test_ray_engine_surfaces_read_errors_and_leaves_no_output(local_ray, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n' * 300 + "{broken\n")
    out = tmp_path / "out" / "scores.parquet"
    with pytest.raises(AffectlabError, match="bad.jsonl: line 301 is not valid JSON") as err:
        run_profile([bad], out, workers=2, batch_size=100, engine="ray")
    assert "\n" not in str(err.value)
    assert list(out.parent.iterdir()) == []


def test_no_text_option_and_metadata(corpus_files, tmp_path):
    table = run_profile(corpus_files[:1], tmp_path / "out.parquet", workers=1, keep_text=False)
    assert table.column_names == ["id", "corpus", "n_chars", "share_upper"]
    record = json.loads(table.schema.metadata[b"affectlab"])
    assert record["inputs"][0]["format"] == "txt" and record["options"]["keep_text"] is False


def test_empty_input_writes_schema_with_zero_rows(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    table = run_profile([empty], tmp_path / "out.parquet", workers=1)
    assert table.num_rows == 0
    assert table.column_names == ["id", "corpus", "text", "n_chars", "share_upper"]


@pytest.mark.parametrize("workers", [1, 2])
def test_error_mid_corpus_leaves_no_output(tmp_path, workers):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n' * 3000 + "{broken\n")
    out = tmp_path / "out" / "scores.parquet"
    with pytest.raises(AffectlabError, match="line 3001 is not valid JSON"):
        run_profile([bad], out, workers=workers, batch_size=100)
    assert list(out.parent.iterdir()) == []


def read_parts(folder: Path) -> pa.Table:
    """The parts of a folder output, in file-name order (as ``pyarrow.dataset`` reads them)."""
    names = sorted(p.name for p in folder.iterdir() if p.name != OUTPUT_MARKER)
    assert names == [f"part-{i:06d}.parquet" for i in range(len(names))]
    table = pq.read_table(folder)
    assert table.equals(pa.concat_tables(pq.read_table(folder / name) for name in names))
    return table


def run_profile_folder(files: list[Path], out: Path, **options) -> pa.Table:
    corpora = [open_corpus(path) for path in files]
    summary = profile_corpora(corpora, f"{out}/", ProfileOptions(**options), measures_factory=toy_measures)
    table = read_parts(out)
    assert summary.rows == table.num_rows
    return table


def test_local_folder_output_equals_file_output(corpus_files, tmp_path):
    single = run_profile(corpus_files, tmp_path / "one.parquet", workers=2, batch_size=97)
    parts = run_profile_folder(corpus_files, tmp_path / "parts", workers=2, batch_size=97, shard_rows=500)
    assert len(list((tmp_path / "parts").glob("part-*.parquet"))) == 5  # 6 batches of 97 = 582 rows per part
    assert parts.equals(single)
    assert (
        json.loads(pq.read_schema(tmp_path / "parts" / "part-000004.parquet").metadata[b"affectlab"])["options"][
            "shard_rows"
        ]
        == 500
    )
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_folder_output_refuses_non_empty_folder_unless_overwrite(corpus_files, tmp_path):
    out = tmp_path / "parts"
    out.mkdir()
    run_profile_folder(corpus_files[:1], out, workers=1)  # an existing empty folder is fine
    corpora = [open_corpus(corpus_files[1])]
    with pytest.raises(AffectlabError, match="parts: folder is not empty; pass --overwrite"):
        profile_corpora(corpora, out, ProfileOptions(workers=1), measures_factory=toy_measures)
    profile_corpora(corpora, out, ProfileOptions(workers=1), measures_factory=toy_measures, overwrite=True)
    assert read_parts(out).column("corpus").unique().to_pylist() == ["art"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "art.jsonl",
        "parts",
        "prompts.txt",
        "shard.parquet",
    ]


def test_empty_input_folder_output_has_one_empty_part(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    table = run_profile_folder([empty], tmp_path / "out", workers=1)
    assert table.num_rows == 0 and table.column_names == ["id", "corpus", "text", "n_chars", "share_upper"]


@pytest.mark.parametrize("workers", [1, 2])
def test_error_mid_corpus_leaves_no_output_folder(tmp_path, workers):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n' * 3000 + "{broken\n")
    out = tmp_path / "out" / "scores"
    with pytest.raises(AffectlabError, match="line 3001 is not valid JSON"):
        run_profile_folder([bad], out, workers=workers, batch_size=100, shard_rows=250)
    assert list(out.parent.iterdir()) == []


@pytest.mark.slow
def test_ray_folder_output_equals_local_file_output(local_ray, corpus_files, tmp_path):
    local = run_profile(corpus_files, tmp_path / "local.parquet", workers=2, batch_size=97)
    on_ray = run_profile_folder(corpus_files, tmp_path / "ray", workers=2, batch_size=97, engine="ray", shard_rows=300)
    assert on_ray.equals(local)  # row for row, same schema
    assert len(list((tmp_path / "ray").iterdir())) > 3
    record = json.loads(pq.read_schema(tmp_path / "ray" / "part-000000.parquet").metadata[b"affectlab"])
    assert record["options"]["engine"] == "ray" and len(record["inputs"]) == 3
    assert pq.read_schema(tmp_path / "ray" / "part-000000.parquet").metadata.keys() == {b"affectlab"}


@pytest.mark.slow
def test_ray_folder_output_error_leaves_no_folder(local_ray, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n' * 300 + "{broken\n")
    out = tmp_path / "out" / "scores"
    with pytest.raises(AffectlabError, match="bad.jsonl: line 301 is not valid JSON"):
        run_profile_folder([bad], out, workers=2, batch_size=100, engine="ray")
    assert list(out.parent.iterdir()) == []
