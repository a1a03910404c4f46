"""Corpus readers: real caption files, small files of every format, detection, ids, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from affectlab.errors import AffectlabError
from affectlab.text import corpora
from affectlab.text.corpora import BATCH_SCHEMA, detect_format, iter_batches, open_corpus, read_corpus


def write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


# --- real files ---


def test_coco_real_file_matches_json_load(shared_data):
    path = shared_data / "captions" / "captions_val2017.json"
    table = read_corpus(path)
    annotations = json.loads(path.read_text())["annotations"]
    assert table.num_rows == 25_014
    assert table.column("id").to_pylist() == [str(a["id"]) for a in annotations]
    assert table.column("text").to_pylist() == [a["caption"] for a in annotations]
    assert set(table.column("corpus").to_pylist()) == {"captions_val2017"}


def test_flickr8k_real_file_reads_every_line_including_space_separated(shared_data):
    table = read_corpus(shared_data / "captions" / "Flickr8k.token.txt")
    assert table.num_rows == 40_460
    ids = table.column("id").to_pylist()
    assert len(set(ids)) == len(ids) and all("#" in i and " " not in i for i in ids)
    rows = dict(zip(ids, table.column("text").to_pylist(), strict=True))
    # one of the three lines of the official file that use a space instead of the tab
    assert rows["1000268201_693b08cb0e.jpg#0"] == (
        "A child in a pink dress is climbing up a set of stairs in an entry way ."
    )


def test_laion_parquet_real_file(shared_data):
    path = shared_data / "captions" / "img2dataset_test_1000.parquet"
    corpus = open_corpus(path)
    assert (corpus.format, corpus.text_column, corpus.rows) == ("parquet", "TEXT", 1000)
    table = read_corpus(path)
    assert table.num_rows == 1000
    assert table.column("text").to_pylist() == pq.read_table(path).column("TEXT").to_pylist()
    assert table.column("id")[0].as_py() == "img2dataset_test_1000:1"


def test_real_art_text_jsonl_and_csv_with_chosen_column(shared_data):
    tate = read_corpus(shared_data / "art_text" / "tate" / "tate_emotion_artworks.jsonl", text_column="title")
    aic = read_corpus(shared_data / "art_text" / "aic_api_sample" / "someArtworks.csv", text_column="title")
    assert (tate.num_rows, aic.num_rows) == (1820, 422)
    assert tate.column("text")[0].as_py() == "Finger Gloves"
    assert aic.column("text")[0].as_py() == "The Watermill with the Great Red Roof"


def test_ids_are_stable_across_reads_and_batch_sizes(shared_data):
    path = shared_data / "captions" / "Flickr8k.token.txt"
    whole = read_corpus(path)
    batched = pa.concat_tables(iter_batches(open_corpus(path), batch_size=999))
    assert whole.equals(batched)


# --- small files of every format ---


def test_cc_tsv(tmp_path):
    path = write(tmp_path / "cc.tsv", "a dog on a sofa\thttp://x/1.jpg\nred car\thttps://x/2.jpg\n")
    table = read_corpus(path)
    assert table.to_pylist() == [
        {"id": "cc:1", "corpus": "cc", "text": "a dog on a sofa"},
        {"id": "cc:2", "corpus": "cc", "text": "red car"},
    ]


def test_jsonl_default_and_chosen_column_missing_key_and_blank_line(tmp_path):
    lines = ['{"caption": "a cat", "title": "T1"}', "", '{"title": "T2"}', '{"caption": null}']
    path = write(tmp_path / "art.jsonl", "\n".join(lines) + "\n")
    table = read_corpus(path)
    assert table.column("id").to_pylist() == ["art:1", "art:3", "art:4"]  # line numbers, blank skipped
    assert table.column("text").to_pylist() == ["a cat", None, None]
    assert read_corpus(path, text_column="title").column("text").to_pylist() == ["T1", "T2", None]


def test_csv_with_header_quoted_multiline_and_short_row(tmp_path):
    path = write(tmp_path / "notes.csv", 'id,Text\n1,"a, quoted\nline"\n2,plain\n3\n')
    table = read_corpus(path)
    assert open_corpus(path).text_column == "Text"  # matched case-insensitively
    assert table.column("text").to_pylist() == ["a, quoted\nline", "plain", None]
    assert table.column("id").to_pylist() == ["notes:1", "notes:2", "notes:3"]


def test_txt_keeps_blank_lines_crlf_and_replaces_bad_bytes(tmp_path):
    path = write(tmp_path / "prompts.txt", b"first\r\n\r\nbad \xff byte\r\n   \n")
    table = read_corpus(path)
    assert table.column("text").to_pylist() == ["first", "", "bad \ufffd byte", "   "]
    assert table.column("id").to_pylist() == [f"prompts:{n}" for n in range(1, 5)]


def test_coco_streaming_with_tiny_chunks_matches_json_load(tmp_path, monkeypatch):
    doc = {
        "info": {"year": 2017, "nested": {"a": [1, 2, {"b": "}]"}]}},
        "images": [{"id": 123456789, "file_name": 'x\\"y.jpg'}] * 3,
        "annotations": [
            {"image_id": 1, "id": 987654321, "caption": 'A "quoted" caption, with [brackets] and { }'},
            {"image_id": 2, "id": 5, "caption": "caf\u00e9 \u2014 unicode"},
            {"image_id": 3, "caption": None},
        ],
        "type": "captions",
    }
    path = write(tmp_path / "caps.json", json.dumps(doc, indent=1))
    monkeypatch.setattr(corpora, "_CHUNK_CHARS", 7)  # values straddle chunk boundaries
    table = read_corpus(path)
    assert table.column("id").to_pylist() == ["987654321", "5", "caps:3"]
    assert table.column("text").to_pylist() == [a["caption"] for a in doc["annotations"]]


def test_batches_respect_batch_size_and_schema(tmp_path):
    path = write(tmp_path / "t.txt", "".join(f"line {i}\n" for i in range(23)))
    batches = list(iter_batches(open_corpus(path), batch_size=5))
    assert [b.num_rows for b in batches] == [5, 5, 5, 5, 3]
    assert all(b.schema.equals(BATCH_SCHEMA) for b in batches)


def test_parquet_shards_by_row_group_continue_ids(tmp_path):
    path = tmp_path / "laion.parquet"
    pq.write_table(pa.table({"TEXT": [f"t{i}" for i in range(10)]}), path, row_group_size=4)
    pieces = corpora.shards(open_corpus(path))
    assert [(s.row_group, s.first_row, s.rows) for s in pieces] == [(0, 0, 4), (1, 4, 4), (2, 8, 2)]
    by_shard = pa.concat_tables(b for shard in pieces for b in iter_batches(shard, batch_size=3))
    assert by_shard.equals(read_corpus(path))
    assert by_shard.column("id").to_pylist()[4] == "laion:5"


# --- detection ---


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("caps.json", '{"annotations": [{"id": 1, "caption": "x"}]}', "coco"),
        ("caps.json", '{\n  "annotations": []\n}', "coco"),
        ("records.json", '{"text": "a"}\n{"text": "b"}\n', "jsonl"),
        ("records", '{"text": "a"}\n', "jsonl"),
        ("tokens.txt", "1.jpg#0\ta dog\n", "flickr8k"),
        ("tokens", "1.jpg#0 a dog\n", "flickr8k"),
        ("cc.txt", "a dog\thttp://x/1.jpg\n", "cc"),
        ("cc", "a dog\thttp://x/1.jpg\n", "cc"),
        ("prompts.txt", "a dog\n{not json\n", "txt"),
        ("empty.txt", "", "txt"),
        ("table.csv", "text\na\n", "csv"),
        ("cc.tsv", "a dog\thttps://x/1.jpg\n", "cc"),
    ],
)
def test_detect_format(tmp_path, name, content, expected):
    assert detect_format(write(tmp_path / name, content)) == expected


def test_detect_parquet_by_magic_bytes_whatever_the_extension(tmp_path):
    pq.write_table(pa.table({"text": ["a"]}), tmp_path / "shard.bin")
    assert detect_format(tmp_path / "shard.bin") == "parquet"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.xyz", "just some words\n", "cannot detect the format"),
        ("empty.dat", "", "empty file"),
        ("blob", b"\x00\x01\x02", "binary content"),
        ("fake.parquet", "text\n", "not a parquet file"),
    ],
)
def test_detect_format_errors_name_the_file(tmp_path, name, content, message):
    path = write(tmp_path / name, content)
    with pytest.raises(AffectlabError, match=message) as err:
        detect_format(path)
    assert str(path) in str(err.value)


# --- bad input ---


def test_open_corpus_errors(tmp_path):
    with pytest.raises(AffectlabError, match="no such file"):
        open_corpus(tmp_path / "missing.txt")
    with pytest.raises(AffectlabError, match="unknown format 'xml'"):
        open_corpus(write(tmp_path / "a.txt", "x\n"), format="xml")
    with pytest.raises(AffectlabError, match=r"no text column 'body'; columns are \['text'\]"):
        open_corpus(write(tmp_path / "a.jsonl", '{"text": "x"}\n'), text_column="body")
    with pytest.raises(AffectlabError, match="no text column .*pass --text-column"):
        open_corpus(write(tmp_path / "b.csv", "title,url\nx,y\n"))


def test_corrupt_inputs_raise_while_reading(tmp_path):
    bad_line = write(tmp_path / "bad.jsonl", '{"text": "ok"}\n{"text": \n')
    with pytest.raises(AffectlabError, match="line 2 is not valid JSON"):
        read_corpus(bad_line)
    not_coco = write(tmp_path / "other.json", '{"images": [1, 2]}')
    with pytest.raises(AffectlabError, match="no 'annotations' array"):
        read_corpus(not_coco, format="coco")
    truncated = write(tmp_path / "cut.json", '{"annotations": [{"id": 1, "caption": "a"}, {"id": 2, "capt')
    with pytest.raises(AffectlabError, match="invalid JSON"):
        read_corpus(truncated)
    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"text": ["a"] * 100}), good)
    corrupt = write(tmp_path / "corrupt.parquet", good.read_bytes()[:-30])
    with pytest.raises(AffectlabError, match=str(corrupt)):
        read_corpus(corrupt)
