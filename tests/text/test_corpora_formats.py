"""Compressed corpora, headered TSV prompts, kept columns, art corpora (poetry, ArtEmis) on the real files."""

from __future__ import annotations

import bz2
import csv
import gzip
import itertools
import json
import lzma
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from affectlab.errors import AffectlabError
from affectlab.text import api
from affectlab.text.art_text import ArtCleaningWarning, header_kind, write_art_corpora
from affectlab.text.corpora import compression_of, detect_format, open_corpus, read_corpus

COMPRESSORS = {
    ".gz": gzip.compress,
    ".bz2": bz2.compress,
    ".xz": lzma.compress,
    ".zst": lambda data: zstandard.ZstdCompressor().compress(data),
}


@pytest.fixture(scope="module")
def poems_head(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 500 poems of the real poetry file, decompressed."""
    target = tmp_path_factory.mktemp("poems") / "public_domain_poetry.jsonl"
    with gzip.open(shared_data / "art_text/poetry/public_domain_poetry.jsonl.gz", "rb") as fh:
        target.write_bytes(b"".join(itertools.islice(fh, 500)))
    return target


@pytest.mark.slow
def test_real_gzip_poetry_reads_like_the_decompressed_file(shared_data, tmp_path):
    compressed = shared_data / "art_text/poetry/public_domain_poetry.jsonl.gz"
    plain = tmp_path / "public_domain_poetry.jsonl"
    with gzip.open(compressed, "rb") as src:
        plain.write_bytes(src.read())
    assert (compression_of(compressed), detect_format(compressed)) == ("gzip", "jsonl")
    ours = read_corpus(compressed)
    assert ours.num_rows == 33_737
    assert ours.equals(read_corpus(plain))  # row for row: ids, corpus names and texts


@pytest.mark.parametrize("suffix", sorted(COMPRESSORS))
def test_every_compression_equals_the_plain_file(suffix, poems_head, shared_data, tmp_path):
    parti = shared_data / "prompts/PartiPrompts.tsv"
    for plain, keep in ((poems_head, ("author",)), (parti, ("Category",))):
        packed = tmp_path / (plain.name + suffix)
        packed.write_bytes(COMPRESSORS[suffix](plain.read_bytes()))
        assert compression_of(packed) is not None
        assert read_corpus(packed, keep=keep).equals(read_corpus(plain, keep=keep)), (plain.name, suffix)
    coco = {"annotations": [{"id": 7, "image_id": 1, "caption": "a dog"}, {"id": 8, "image_id": 2, "caption": "x"}]}
    plain = tmp_path / "caps.json"
    plain.write_text(json.dumps(coco))
    packed = tmp_path / ("caps.json" + suffix)
    packed.write_bytes(COMPRESSORS[suffix](plain.read_bytes()))
    assert read_corpus(packed, keep=("image_id",)).to_pylist() == [  # the image: the unit of its captions
        {"id": "7", "corpus": "caps", "text": "a dog", "image_id": "1", "cluster": "image:1"},
        {"id": "8", "corpus": "caps", "text": "x", "image_id": "2", "cluster": "image:2"},
    ]


def test_truncated_compressed_file_is_one_line(poems_head, tmp_path):
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(gzip.compress(poems_head.read_bytes())[:5000])
    with pytest.raises(AffectlabError, match="cut.jsonl.gz: cannot read"):
        read_corpus(cut)


def test_partiprompts_tsv_with_text_column_and_kept_columns_round_trip(shared_data, tmp_path):
    parti = shared_data / "prompts/PartiPrompts.tsv"
    with parti.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert open_corpus(parti).format == "tsv"
    out = tmp_path / "parti.parquet"
    api.profile(parti, out=out, text_column="Prompt", keep_columns=["Category", "Challenge"], workers=1, progress=False)
    table = pq.read_table(out)
    assert table.column_names[:5] == ["id", "corpus", "text", "Category", "Challenge"]
    assert table.num_rows == len(rows) == 1632
    assert table.column("text").to_pylist() == [r["Prompt"] for r in rows]
    assert table.column("Category").to_pylist() == [r["Category"] for r in rows]
    assert table.column("Challenge").to_pylist() == [r["Challenge"] for r in rows]
    frame = api.profile(parti, text_column="Prompt", keep_columns=["Note"], workers=1, progress=False).to_pandas()
    assert frame["Note"].tolist() == [r["Note"] for r in rows]  # the in-memory profile keeps them too


def test_kept_columns_in_jsonl_csv_parquet_and_errors(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"text": "x", "year": 1850, "tags": ["a"]}\n{"text": "y"}\n')
    assert read_corpus(tmp_path / "a.jsonl", keep=("year", "tags")).to_pylist() == [
        {"id": "a:1", "corpus": "a", "text": "x", "year": "1850", "tags": '["a"]'},
        {"id": "a:2", "corpus": "a", "text": "y", "year": None, "tags": None},
    ]
    pq.write_table(pa.table({"TEXT": ["p", "q"], "width": [640, None]}), tmp_path / "l.parquet")
    assert read_corpus(tmp_path / "l.parquet", keep=("width",)).column("width").to_pylist() == ["640", None]
    (tmp_path / "n.txt").write_text("plain\n")
    with pytest.raises(AffectlabError, match="--keep-columns needs a format with columns"):
        open_corpus(tmp_path / "n.txt", keep=("x",))
    with pytest.raises(AffectlabError, match="no column\\(s\\) 'nope' to keep"):
        open_corpus(tmp_path / "l.parquet", keep=("nope",))
    with pytest.raises(AffectlabError, match="'vader_compound' is the name of a measure column"):
        api.profile(tmp_path / "a.jsonl", keep_columns=["vader_compound"], progress=False)


def test_profile_lang_column_and_lang_filter(tmp_path):
    (tmp_path / "mixed.txt").write_text("a happy dog on the beach\nein glücklicher Hund am Strand\n\n")
    frame = api.profile(tmp_path / "mixed.txt", languages=["en"], workers=1, progress=False).to_pandas()
    from affectlab.text.measures.language import LanguageIdentifier

    reference = LanguageIdentifier().reference
    assert frame["lang"].tolist()[:2] == [reference.classify(t)[0] for t in frame["text"][:2]] == ["en", "de"]
    assert frame["lang"].isna().iloc[2]
    assert frame["vader_compound"].iloc[0] > 0 and frame["vader_compound"].iloc[1:].isna().all()


@pytest.mark.slow
def test_art_corpora_poetry_lines_stanzas_sampled(shared_data, tmp_path):
    with pytest.warns(ArtCleaningWarning) as caught:
        written = write_art_corpora(shared_data / "art_text", tmp_path, sample=500, seed=3)
    dropped = "dropped 34,846 header or separator lines (10,878 names, 22,285 section numbers, 1,683 separators)"
    assert sorted(str(w.message) for w in caught if w.category is ArtCleaningWarning) == [
        f"poetry_lines: {dropped}",
        f"poetry_stanzas: {dropped} and with them 20,254 stanzas that held nothing else; split 15,426 stanzas of "
        "more than 16 lines into 50,323 parts",
    ]
    assert {"poetry_lines", "poetry_stanzas", "tate_titles", "aic_titles", "aic_descriptions"} <= set(written)
    assert all(count == 500 for name, (_, count) in written.items() if name.startswith("poetry"))
    lines = [json.loads(x) for x in (tmp_path / "poetry_lines.jsonl").read_text(encoding="utf-8").splitlines()]
    assert set(lines[0]) == {"id", "text", "poem", "title", "author", "year", "cluster"}
    assert all(r["cluster"] == "poem:" + r["id"].split(":")[1] for r in lines)  # the unit: the poem
    assert all("\n" not in r["text"] and r["text"].strip() == r["text"] and r["text"] for r in lines)
    numbers = [(int(r["id"].split(":")[1]), int(r["id"].split(":")[3])) for r in lines]
    assert numbers == sorted(numbers)  # a sample, in the order of the file
    with pytest.warns(ArtCleaningWarning):
        again = write_art_corpora(shared_data / "art_text", tmp_path / "again", sample=500, seed=3)
    assert (tmp_path / "again/poetry_stanzas.jsonl").read_bytes() == (tmp_path / "poetry_stanzas.jsonl").read_bytes()
    stanzas = [json.loads(x) for x in (tmp_path / "poetry_stanzas.jsonl").read_text(encoding="utf-8").splitlines()]
    assert all("\n\n" not in r["text"] for r in stanzas) and any("\n" in r["text"] for r in stanzas)
    assert again.keys() == written.keys()


def test_poetry_lines_and_stanzas_of_one_poem_by_hand(tmp_path):
    root = tmp_path / "art"
    (root / "poetry").mkdir(parents=True)
    poem = {"path": "poems/x.txt", "title": "T", "author": "A", "year": 1900, "text": "One\nTwo\n\n  \nThree\n"}
    with gzip.open(root / "poetry/public_domain_poetry.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(json.dumps(poem) + "\n")
    written = write_art_corpora(root, tmp_path / "out")
    assert set(written) == {"poetry_lines", "poetry_stanzas"}
    rows = [json.loads(x) for x in (tmp_path / "out/poetry_lines.jsonl").read_text().splitlines()]
    assert [r["text"] for r in rows] == ["One", "Two", "Three"]
    assert rows[0] == {"id": "poem:1:line:1", "text": "One", "poem": "poems/x.txt", "title": "T", "author": "A",
                       "year": "1900", "cluster": "poem:1"}  # fmt: skip
    stanzas = [json.loads(x)["text"] for x in (tmp_path / "out/poetry_stanzas.jsonl").read_text().splitlines()]
    assert stanzas == ["One\nTwo", "Three"]


POEM_WITH_HEADERS = (
    "I.\n\nHUGO.\nO stay, my love!\n------\nTHE LADY\nI must away.\n\n* * *\n\n"
    + "\n".join(f"line {k}" for k in range(1, 36))
    + "\nO LOVE!\n"
)


def test_poetry_cleaning_by_hand(tmp_path):
    """Headers, names and separators dropped; a 36-line stanza split into 3 parts of 12 lines; the warning
    says exactly that."""
    root = tmp_path / "art"
    (root / "poetry").mkdir(parents=True)
    poem = {"path": "poems/y.txt", "title": "T", "author": "A", "year": 1900, "text": POEM_WITH_HEADERS}
    with gzip.open(root / "poetry/public_domain_poetry.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(json.dumps(poem) + "\n")
    with pytest.warns(ArtCleaningWarning) as caught:
        write_art_corpora(root, tmp_path / "out")
    assert sorted(str(w.message) for w in caught) == [
        "poetry_lines: dropped 5 header or separator lines (2 names, 1 section number, 2 separators)",
        "poetry_stanzas: dropped 5 header or separator lines (2 names, 1 section number, 2 separators) and with "
        "them 2 stanzas that held nothing else; split 1 stanza of more than 16 lines into 3 parts",
    ]
    lines = [json.loads(x)["text"] for x in (tmp_path / "out/poetry_lines.jsonl").read_text().splitlines()]
    verse = [f"line {k}" for k in range(1, 36)] + ["O LOVE!"]
    assert lines == ["O stay, my love!", "I must away.", *verse]
    stanzas = [json.loads(x)["text"] for x in (tmp_path / "out/poetry_stanzas.jsonl").read_text().splitlines()]
    assert stanzas == ["O stay, my love!\nI must away.", *("\n".join(verse[i : i + 12]) for i in (0, 12, 24))]
    cli = subprocess.run(
        [sys.executable, "-m", "affectlab", "text", "art-corpora", str(root), "--out", str(tmp_path / "cli")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert f"warning: {sorted(str(w.message) for w in caught)[1]}\n" in cli.stderr  # the command says it


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("------", "separator"), ("* * * * *", "separator"), (". . .", "separator"),
        ("IV.", "section number"), ("XIV", "section number"), ("12.", "section number"), ("[1]", "section number"),
        ("HUGO.", "name"), ("CHORUS", "name"), ("DON JOHN.", "name"), ("NOTE:", "name"), ("Ô ÉTÉ.", "name"),
        ("O LOVE!", None), ("O", None), ("A", None), ("AND THEN THE WHOLE WORLD FELL", None), ("Part II.", None),
        ("I wandered lonely as a cloud", None), ("ix.", None),
    ],
)  # fmt: skip
def test_header_kinds(line, kind):
    assert header_kind(line) == kind


def test_artemis_csv_into_utterances(tmp_path):
    artemis = tmp_path / "artemis_dataset_release_v0.csv"
    artemis.write_text(
        "art_style,painting,emotion,utterance,repetition\n"
        'Impressionism,claude-monet_water-lilies,contentment,"The calm water makes me feel at peace",10\n'
        "Baroque,rembrandt_night-watch,awe,The light on the faces is stunning,5\n"
        "Baroque,rembrandt_night-watch,awe,,5\n"
    )
    root = tmp_path / "art"
    root.mkdir()
    (root / "poetry").mkdir()  # no source file of the shared folder: only ArtEmis is written
    with pytest.raises(AffectlabError, match="none of the art text files"):
        write_art_corpora(root, tmp_path / "none")
    written = write_art_corpora(root, tmp_path / "out", artemis=artemis)
    assert set(written) == {"artemis"} and written["artemis"][1] == 2
    first = json.loads((tmp_path / "out/artemis.jsonl").read_text().splitlines()[0])
    assert first == {"id": "artemis:1", "text": "The calm water makes me feel at peace", "art_style": "Impressionism",
                     "painting": "claude-monet_water-lilies", "emotion": "contentment", "repetition": "10",
                     "cluster": "painting:claude-monet_water-lilies"}  # fmt: skip
    bad = tmp_path / "bad.csv"
    bad.write_text("painting,utterance\nx,y\n")
    with pytest.raises(AffectlabError, match="not an ArtEmis CSV"):
        write_art_corpora(root, tmp_path / "out2", artemis=bad)
