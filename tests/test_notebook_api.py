"""The Python API in a notebook: texts in memory for ``profile``, indexes kept, the same dtypes from ``score``
and ``profile``, results that render (headline as Markdown, a prediction's timeline inline), ``Run`` from a
string, and a progress count with its total where the total is known."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import subprocess
import sys

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import affectlab as al

TEXTS = ["a photo of a dog on a red sofa", "a haunting, melancholic dreamscape", "I love this sad, lovely poem"]


def test_score_keeps_a_series_index():
    texts = pd.Series(TEXTS[:2], index=[10, 20])
    scored = al.text.score(texts)
    assert scored.index.tolist() == [10, 20]
    assert scored["text"].tolist() == TEXTS[:2]
    # a missing value in a Series is a null text (null measures), as in a list
    with_missing = al.text.score(pd.Series(["a dog", None], index=["x", "y"]))
    assert with_missing.index.tolist() == ["x", "y"] and pd.isna(with_missing.loc["y", "vader_compound"])


def test_score_and_profile_give_the_same_dtypes(tmp_path):
    path = tmp_path / "texts.parquet"
    pq.write_table(pa.table({"text": TEXTS}), path)
    profiled = al.text.profile(path, workers=1, progress=False).to_pandas()
    scored = al.text.score(TEXTS)
    measures = [c for c in scored.columns if c != "text"]
    assert dict(scored[measures].dtypes) == dict(profiled[measures].dtypes)
    assert str(scored["n_tokens"].dtype) == "int32" and str(scored["share_abstract_nouns"].dtype) == "float64"
    pd.testing.assert_frame_equal(scored[measures], profiled[measures])


def test_profile_takes_texts_in_memory(tmp_path):
    """A DataFrame (text column found as in a file), a Series or a list of texts give the rows a file of the
    same texts gives, with ids ``texts:n``; a DataFrame's or Series' index is kept; the input is unchanged."""
    path = tmp_path / "texts.parquet"
    pq.write_table(pa.table({"caption": TEXTS, "source": ["a", "b", "c"]}), path)
    from_file = al.text.profile(path, keep_columns=["source"], workers=1, progress=False).to_pandas()
    measures = [c for c in from_file.columns if c not in ("id", "corpus", "text", "source")]

    frame = pd.DataFrame({"caption": TEXTS, "source": ["a", "b", "c"]}, index=["p", "q", "r"])
    before = frame.copy()
    from_frame = al.text.profile(frame, keep_columns=["source"], workers=1, progress=False).to_pandas()
    pd.testing.assert_frame_equal(frame, before)
    assert from_frame.index.tolist() == ["p", "q", "r"]
    assert from_frame["id"].tolist() == ["texts:1", "texts:2", "texts:3"]
    assert from_frame["source"].tolist() == ["a", "b", "c"] and set(from_frame["corpus"]) == {"texts"}
    pd.testing.assert_frame_equal(from_frame[measures].reset_index(drop=True), from_file[measures])

    from_series = al.text.profile(pd.Series(TEXTS, index=[7, 8, 9]), corpus="mine", workers=1, progress=False)
    from_series = from_series.to_pandas()
    assert from_series.index.tolist() == [7, 8, 9] and from_series["id"].tolist() == ["mine:1", "mine:2", "mine:3"]
    from_list = al.text.profile(TEXTS, workers=1, progress=False).to_pandas()
    pd.testing.assert_frame_equal(from_list[measures], from_file[measures])

    written = al.text.profile(TEXTS, out=tmp_path / "out.parquet", workers=1, progress=False)
    assert written.rows == 3 and len(pq.read_table(tmp_path / "out.parquet")) == 3


@pytest.mark.parametrize("as_input", ["file", "frame"])
def test_profile_returns_one_type_with_or_without_out(tmp_path, as_input):
    """``profile`` gives a ``ProfileResult`` whether the scores stay in memory or go to ``out`` (a file or a
    folder of parts), and ``to_pandas()`` is the same table in all three, a DataFrame's index included."""
    texts = [f"text {i}: a {'sad' if i % 2 else 'happy'} dog" for i in range(12)]
    if as_input == "file":
        source = tmp_path / "texts.parquet"
        pq.write_table(pa.table({"text": texts}), source)
    else:
        source = pd.DataFrame({"text": texts}, index=[f"r{i}" for i in range(12)])
    options = {"workers": 1, "batch_size": 5, "progress": False}
    in_memory = al.text.profile(source, **options)
    to_file = al.text.profile(source, out=tmp_path / "one.parquet", **options)
    to_parts = al.text.profile(source, out=f"{tmp_path / 'parts'}/", **options)
    assert type(in_memory) is type(to_file) is type(to_parts) is al.text.ProfileResult
    assert in_memory.path is None and to_file.path == tmp_path / "one.parquet"
    assert len(in_memory) == len(to_file) == len(to_parts) == 12
    expected = in_memory.to_pandas()
    assert expected["text"].tolist() == texts
    assert expected.index.tolist() == (list(range(12)) if as_input == "file" else [f"r{i}" for i in range(12)])
    pd.testing.assert_frame_equal(to_file.to_pandas(), expected)
    pd.testing.assert_frame_equal(to_parts.to_pandas(), expected)
    pd.testing.assert_frame_equal(to_file.head(3), expected.head(3))


def test_profile_result_prints_a_summary_and_its_first_rows(tmp_path):
    """What repr() and a notebook show is true: the row count, where the scores are, which rows are shown."""
    many = al.text.profile([f"a dog number {i}" for i in range(7)], workers=1, progress=False)
    text = repr(many)
    assert text.startswith("ProfileResult: 7 texts in memory (") and "local x 1)" in text
    assert "; first 5 rows, .to_pandas() for the table:\n" in text
    assert "texts:5" in text and "texts:6" not in text  # ids of rows 5 and 6 (the first five rows only)
    html = many._repr_html_()
    assert html.startswith("<p>ProfileResult: 7 texts in memory (") and "first 5 rows" in html
    assert html.split("<tbody>")[1].count("<tr>") == 5 and "texts:6" not in html
    written = al.text.profile(TEXTS, out=tmp_path / "out.parquet", workers=1, progress=False)
    assert repr(written).startswith(f"ProfileResult: 3 texts -> {tmp_path / 'out.parquet'} (")
    assert "; all rows," in repr(written)


def test_compare_takes_profile_results(tmp_path):
    """A mapping of ``profile()`` results (in memory, or written to a file) compares as their DataFrames do."""
    happy = [f"a happy, lovely dog number {i}" for i in range(30)]
    plain = [f"a dog on a sofa number {i}" for i in range(30)]
    options = {"workers": 1, "progress": False}
    first = al.text.profile(happy, **options)
    second = al.text.profile(plain, out=tmp_path / "plain.parquet", **options)
    from_results = al.text.compare({"happy": first, "plain": second}, progress=False)
    from_frames = al.text.compare({"happy": first.to_pandas(), "plain": second.to_pandas()}, progress=False)
    pd.testing.assert_frame_equal(from_results.pairwise, from_frames.pairwise)
    assert str(from_results.headline) == str(from_frames.headline)
    assert from_results.descriptives["corpus"].unique().tolist() == ["happy", "plain"]


def test_profile_still_reads_a_list_of_paths_as_files(tmp_path):
    with pytest.raises(al.errors.AffectlabError, match="no such file"):
        al.text.profile([str(tmp_path / "missing.json")], progress=False)
    with pytest.raises(al.errors.AffectlabError, match="no such file"):
        al.text.profile(["captions.parquet"], progress=False)


def test_headline_prints_as_text_and_renders_as_markdown():
    from affectlab.text.comparison.result import Headline

    headline = Headline(["vader_compound: text in a is more positive [x]", "shares of texts: 25% vs 75%"])
    assert str(headline) == "vader_compound: text in a is more positive [x]\nshares of texts: 25% vs 75%"
    assert repr(headline) == str(headline)
    assert headline._repr_markdown_() == (
        "- vader\\_compound: text in a is more positive \\[x\\]\n- shares of texts: 25% vs 75%"
    )
    assert headline[1] == "shares of texts: 25% vs 75%" and len(headline) == 2  # still the list of sentences

    compared = al.text.compare({"a": al.text.score(TEXTS[:2] * 3), "b": al.text.score(TEXTS[1:] * 3)}, progress=False)
    assert isinstance(compared.headline, Headline) and "\n" in str(compared.headline)


def _prediction(face: dict):
    pytest.importorskip("torch")
    pytest.importorskip("cv2")
    from affectlab.fer.prediction import Prediction

    labels = ["happy", "sad"]
    return Prediction(
        video="clip.mp4", source="frame-baseline", labels=labels, fps=10.0, n_frames=30, per_frame=True,
        window_starts=[0, 10, 20], window_frames=1, probs=[[0.9, 0.1], None, [0.2, 0.8]],
        face_found=[True, False, True], face_score=[0.95, 0.1, 0.9], face=face,
        video_probs=[0.55, 0.45], video_label="happy", video_from="mean of frames",
    )  # fmt: skip


def _inline_png(html: str):
    import matplotlib.image

    data = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1))
    return matplotlib.image.imread(io.BytesIO(data), format="png")


def test_prediction_renders_its_timeline_and_face_signal():
    pred = _prediction({"frames": 3, "frames_with_face": 2, "face_share": 2 / 3})
    html = pred._repr_html_()
    assert _inline_png(html).shape[0] > 100  # a real, decodable picture
    assert "<th>frames_with_face</th>" in html and "<td>0.667</td>" in html
    assert html.startswith(f"<p><b>{repr(pred).replace(chr(39), '&#x27;')}</b></p>")

    tracks = [{"track": 0, "frames": 2}, {"track": 1, "frames": 1}]
    tracked = _prediction({"frames": 3, "frames_with_face": 2, "tracks": tracks})
    assert tracked._repr_html_().count("<tr><td>") == 2  # one row per face track


def test_prediction_dir_hides_pydantic_v1_methods():
    names = dir(_prediction({}))
    assert not {"dict", "json", "parse_obj", "parse_raw", "copy", "construct", "schema", "from_orm"} & set(names)
    assert {"model_dump", "plot", "windows", "label", "save"} <= set(names)


def test_run_from_a_string(tmp_path):
    from affectlab.fer.probes.run import Run

    (tmp_path / "metrics.json").write_text(json.dumps({"dataset": "ravdess", "labels": ["happy", "sad"]}))
    run = Run(str(tmp_path))
    assert run.path == tmp_path and run.labels == ["happy", "sad"] and run.dataset == "ravdess"


@pytest.mark.parametrize(
    ("content", "lines"),
    [(b"", 0), (b"a\n", 1), (b"a", 1), (b"a\n\nb", 3), (b"a\r\nb\rc\n", 3), (b"\r\n\r\n", 2), (b"a\r", 1)],
)
def test_line_count_is_pythons(tmp_path, content, lines):
    """The bytes count agrees with Python's universal-newline reading, whatever the chunk size."""
    from affectlab.text.profiling import line_count

    path = tmp_path / "t.txt"
    path.write_bytes(content)
    with open(path, encoding="utf-8") as fh:
        assert sum(1 for _ in fh) == lines
    for chunk in (1, 2, 3, 1 << 20):
        assert line_count(path, chunk) == lines, chunk


def test_known_rows_only_where_exact(tmp_path, shared_data):
    from affectlab.text.corpora import open_corpus
    from affectlab.text.profiling import known_rows

    plain = tmp_path / "plain.txt"
    plain.write_text("one\n\ntwo\r\nthree", encoding="utf-8")
    parquet = shared_data / "captions" / "img2dataset_test_1000.parquet"
    corpora = [open_corpus(plain, "txt", None, None), open_corpus(parquet, "auto", None, None)]
    assert known_rows(corpora) == 4 + 1000 == len(al.text.profile([plain, parquet], format="auto", progress=False))
    flickr = open_corpus(shared_data / "captions" / "Flickr8k.token.txt", "auto", None, None)
    assert known_rows([flickr]) is None  # its reader skips lines: only read texts can be counted


def test_profile_progress_shows_done_of_total(tmp_path):
    """On a terminal: ``done/total`` for a plain text file, a running count for a corpus that must be read."""
    plain = tmp_path / "plain.txt"
    plain.write_text("".join(f"text number {i}\n" for i in range(3000)), encoding="utf-8")
    jsonl = tmp_path / "texts.jsonl"
    jsonl.write_text("".join(json.dumps({"text": f"text {i}"}) + "\n" for i in range(3000)), encoding="utf-8")
    seen = {}
    for path in (plain, jsonl):
        done = subprocess.run(
            [sys.executable, "-m", "affectlab", "text", "profile", str(path), "--format", path.suffix[1:],
             "--out", str(tmp_path / f"{path.stem}.parquet"), "--workers", "1", "--batch-size", "500"],
            capture_output=True, text=True, timeout=300, env={**os.environ, "TTY_COMPATIBLE": "1", "COLUMNS": "160"},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        seen[path.suffix] = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", done.stderr)
    assert "3000/3000" in seen[".txt"]
    assert "3,000 texts" in seen[".jsonl"] and "/3000" not in seen[".jsonl"]


def test_profile_of_texts_in_memory_takes_every_option(shared_data):
    """Texts in memory are profiled with the same options as files (word-norm tables, the length cap)."""
    glasgow = shared_data / "norms" / "glasgow_norms.csv"
    frame = al.text.profile(["a dog in a house", "dog " * 20], word_norms=[f"imageability={glasgow}:WORDS:IMAG_M"],
                            max_chars=10, progress=False).to_pandas()  # fmt: skip
    assert "imageability" in frame.columns and frame["imageability"].notna().iloc[0]
    assert frame["n_tokens"].iloc[1] == 3  # 80 characters cut to 10: "dog dog do"
